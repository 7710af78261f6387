"""Verdict invariants as hypothesis properties over random valid BOMs and dates."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

import rarebom
from rarebom.rules import Verdict, evaluate, load_rules
from rarebom.rules.prices import Price, PriceTable
from rarebom.testing import boms

RULES = load_rules()
RATES = {"EUR": "1.08", "CNY": "0.14", "JPY": "0.0067"}
DAYS = st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2028, 12, 31))
PRICES = PriceTable(
    name="property prices",
    date=dt.date(2026, 1, 1),
    source="test",
    currency="USD",
    elements={s: Price(0.2, 0.3, 0.5, s) for s in ("Nd", "Pr", "Dy", "Tb", "Sm", "Y")},
    item_classes={},
)


def verdicts(evaluation):
    return {(v.finished_good, v.rule.id): v.verdict for v in evaluation}


@given(boms(), DAYS, st.booleans())
def test_every_verdict_is_whole_and_explains_itself(bom, day, priced):
    traced = rarebom.trace(bom, currency="USD", rates=RATES)
    evaluation = evaluate(traced, RULES, as_of=day, prices=PRICES if priced else None)
    assert len(evaluation.verdicts) == len(RULES) * len(traced.finished_goods)
    for v in evaluation:
        assert v.status.as_of == day and v.status.text
        if v.verdict is Verdict.ABOVE:
            assert v.node is not None and v.node.verdict is Verdict.ABOVE
            assert v.path and v.path[0].part == v.finished_good and v.path[-1].part == v.node.part
        elif v.verdict is Verdict.INDETERMINATE:
            assert v.missing, f"{v.rule.id} at {v.finished_good}: indeterminate without saying what would settle it"
        else:
            assert all(n.verdict is Verdict.BELOW for n in v.nodes)
        for n in v.nodes:
            if n.measured is not None and v.rule.threshold is not None:
                assert 0 <= n.measured.min <= n.measured.max <= 1


@given(boms(), DAYS)
def test_float_and_exact_traces_reach_the_same_verdicts(bom, day):
    floats = evaluate(rarebom.trace(bom, currency="USD", rates=RATES), RULES, as_of=day, prices=PRICES)
    exact = evaluate(rarebom.trace(bom, currency="USD", rates=RATES, exact=True), RULES, as_of=day, prices=PRICES)
    assert verdicts(floats) == verdicts(exact)


@settings(max_examples=15)
@given(boms(), DAYS)
def test_the_parts_each_rule_looks_at_are_those_the_plain_filters_find(bom, day):
    """evaluate() shares, between rules and finished goods, the lists of items and of parts
    holding a rule's elements under each finished good: they are the plain filters of the
    finished good's parts, in the same order."""
    from rarebom.rules.evaluate import _Context, _symbols, _unclassified

    traced = rarebom.trace(bom, currency="USD", rates=RATES)
    context = _Context(traced, day, (), None)
    for fg in traced.finished_goods:
        below = traced.below(fg)
        for rule in RULES:
            assert context.items_under(fg, rule.classes) == [pid for pid in below if traced.bom.part(pid).item_classes() & rule.classes]
            excluded = frozenset(e.value for e in rule.out_of_scope)
            assert context.items_under(fg, excluded) == [pid for pid in below if traced.bom.part(pid).item_classes() & excluded]
            symbols = _symbols(rule)
            holders = {pid: held for pid in below if (held := traced.own_elements(pid, symbols))}
            assert context.holders_under(fg, symbols) == list(holders)
            nodes = [context.node(rule, pid) for pid in context.items_under(fg, rule.classes)]
            inside = {x for n in nodes for x in traced.below(n.part)}
            parts, held = _unclassified(context, rule, fg, nodes)  # by index in the trace
            assert {traced._compiled.ids[i]: h for i, h in zip(parts, held, strict=True)} == {pid: held for pid, held in holders.items() if pid not in inside}
            assert parts == sorted(parts)
