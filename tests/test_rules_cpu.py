"""The CPU work of the rules and the report (issue #8) against the code it replaced.

``rarebom.rules.evaluate`` wrote a node's missing-data sentences a list at a time (it now
writes them when they are read: tests/test_missing_memory.py), finds the parts that need an
origin claim from the holders of the rule's elements, and gathers a
rule's missing data with one chain; the results build their :class:`Bounds` without attrs'
``__init__``; the explanations keep the walks of finished goods and skip the parts without
usages when they hand multipliers down. The reference functions here are the code as it was
before (commit b69dd2f), kept as it was: patched back in, on random BOMs, the shipped rule
packs, several dates, both policies, with and without prices, overrides and alternates, the
evaluation and both reports (bounded and ``--full-lists``) must be exactly what they were,
down to the type and last bit of every number (``repr``) and the order of every list.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import json
import math
from array import array
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rarebom
from benchmarks.generate import synthetic_bom
from rarebom import Amount, Bom, Kind, Part, Usage, chemistry
from rarebom.engine import explain, results
from rarebom.engine.policy import ORIGIN_CLASSES, OriginClass, OriginPolicy
from rarebom.engine.results import Bounds, ElementMass, PartResult, _clean, _make, _plus
from rarebom.engine.rollup import N_ORIGINS
from rarebom.report import Input, render_json, report_data
from rarebom.rules import Verdict, evaluate, load_overrides, load_prices, load_rules
from rarebom.rules.model import Level
from rarebom.rules.prices import Price, PriceTable
from rarebom.testing import boms

from .conftest import EXAMPLES

# ``rarebom.rules.evaluate`` is also the name of the function the package exports.
E = importlib.import_module("rarebom.rules.evaluate")
TRACE = importlib.import_module("rarebom.engine.trace")

RULES = load_rules()
DAYS = st.sampled_from([dt.date(2024, 6, 1), dt.date(2025, 10, 9), dt.date(2025, 12, 1), dt.date(2026, 11, 22), dt.date(2027, 12, 31)])
RATES = {"EUR": "1.08", "CNY": "0.14", "JPY": "0.0067"}
PRICES = PriceTable(
    name="test prices",
    date=dt.date(2026, 1, 1),
    source="test",
    currency="USD",
    elements={s: Price(0.2, 0.3, 0.5, s) for s in ("Nd", "Pr", "Dy", "Tb", "Sm", "Y")},
    item_classes={},
)


# -- the reference: the code as it was at b69dd2f -----------------------------------------------


def ref_sentence(context, template, part_id, **fields):
    """The sentence as ``_Context.sentence`` wrote it at b69dd2f."""
    return template.format(label=context.trace.bom.part(part_id).label, **fields)


def ref_content_missing(context, gathered, rule, part_id, *, need_mass):
    # The sentences added to the evaluation's gathering (rarebom/rules/missing.py), in the
    # order this code wrote them; it returned them as a list.
    coverage = context.coverage(part_id)
    symbols = E._symbols(rule)
    missing = []
    if rule.origin == "china":
        missing.extend(ref_sentence(context, E._ORIGIN_CLAIMS, pid) for pid in coverage.missing_origin if context.trace.own_elements(pid, symbols))
    held = ", ".join(symbols)
    missing.extend(ref_sentence(context, E._COMPOSITION, pid, symbols=held) for pid in coverage.missing_composition)
    if need_mass:
        missing.extend(ref_sentence(context, E._MASS, pid) for pid in coverage.missing_mass)
    gathered.extend(missing)
    return gathered


def ref_for_finished_good(context, rule, fg, below, uses, users, destination):
    NodeVerdict, RuleVerdict = E.NodeVerdict, E.RuleVerdict
    trace = context.trace
    status = rule.status(context.as_of)
    nodes = [context.node(rule, pid) for pid in E._nodes_at_level(rule, context, below, fg)]
    scope_notes = []
    for pid in context.items_under(fg, frozenset(e.value for e in rule.out_of_scope)) if rule.out_of_scope else ():
        classes = context.classes(pid)
        for excluded in rule.out_of_scope:
            if excluded.value in classes and not classes & rule.classes:
                scope_notes.append(f"{trace.bom.part(pid).label} is classified {excluded.value}: {excluded.note} [{excluded.confidence}]")
    # (evaluate's _unclassified as it was: the trace's dict of the holders, by part id)
    unclassified = trace.holders_within(fg, context.holding(E._symbols(rule)), outside=[n.part for n in nodes]) if rule.level is Level.ITEM else {}
    for pid in list(unclassified):
        said = [o for o in context.overrides if o.verdict is not None and o.applies(rule.id, pid, context.as_of)]
        if said:
            del unclassified[pid]
            context.applied.extend(said)
            line = f"{pid} is not classified as {' or '.join(sorted(rule.classes))}; its verdict comes from an override"
            nodes.append(NodeVerdict(rule.id, pid, said[-1].verdict, Verdict.INDETERMINATE, None, None, None, (line, *(f"override: {o}" for o in said)), (), overrides=tuple(said)))
    missing = []
    deciding = max(nodes, key=lambda n: (n.verdict.rank, E._top(n.measured)), default=None)
    verdict = deciding.verdict if deciding else Verdict.BELOW
    if verdict is Verdict.ABOVE:
        reason = f"{deciding.part}: {deciding.test or deciding.arithmetic[0]}"
    elif verdict is Verdict.INDETERMINATE or unclassified:
        verdict = Verdict.INDETERMINATE
        gathered = dict.fromkeys(m for n in nodes if n.verdict is Verdict.INDETERMINATE for m in n.missing)
        missing.extend(gathered)
        classes = " or ".join(sorted(rule.classes))
        missing.extend(ref_sentence(context, E._ITEM_CLASS, pid, held=", ".join(held), classes=classes) for pid, held in unclassified.items())
        reason = f"{len([n for n in nodes if n.verdict is Verdict.INDETERMINATE])} node(s) cannot be decided" + (
            f"; {len(unclassified)} unclassified part(s) may be items" if unclassified else ""
        )
        if deciding is not None and deciding.verdict is not Verdict.INDETERMINATE:
            deciding = None
    elif nodes:
        reason = f"all {len(nodes)} node(s) evaluated are below"
    else:
        what = f"no part under {fg} is classified as {' or '.join(sorted(rule.classes))}" if rule.level is Level.ITEM else f"no node under {fg} is at level {rule.level.value}"
        reason = what + (f", and no unclassified part holds {', '.join(E._symbols(rule))}" if rule.level is Level.ITEM else "")
    outlook = rule.pack.outlook(uses, users, destination, context.as_of) if rule.outlook and verdict is not Verdict.BELOW else None
    path = trace.path(fg, deciding.part) if deciding is not None else ()
    return RuleVerdict(rule, fg, status, verdict, reason, deciding, path or (), tuple(nodes), tuple(missing), outlook, tuple(dict.fromkeys(scope_notes)))


def ref_bounds_of(cls, triple, unit=""):
    return cls(triple[0], triple[1], triple[2], unit)


def ref_add(self, other):
    if not isinstance(other, Bounds):
        return NotImplemented
    nominal = None if self.nominal is None or other.nominal is None else _plus(self.nominal, other.nominal)
    return Bounds(_plus(self.min, other.min), nominal, _plus(self.max, other.max), self.unit or other.unit)


def ref_ratio(numerator, denominator):
    lo = numerator.min / denominator.max if denominator.max not in (0, math.inf) else 0
    hi = 0 if numerator.max == 0 else (numerator.max / denominator.min if denominator.min else math.inf)
    nominal = None
    if numerator.nominal is not None and denominator.nominal:
        nominal = numerator.nominal / denominator.nominal
    one = Fraction(1)
    return Bounds(min(lo, one), None if nominal is None else min(nominal, one), min(hi, one), "")


def ref_mass_of(self, symbols, origin=None):
    symbols = list(dict.fromkeys(symbols))
    unknown = OriginClass.UNKNOWN
    pick = (lambda m: m.total) if origin is None else (lambda m: m.by_origin[origin])
    declared = Bounds.zero("g")
    for symbol in symbols:
        declared = declared + pick(self.element(symbol))
    could_be = 0
    for pseudo in (self.undeclared, self.unresolved):
        if origin is None:
            could_be += pseudo.total.max
        else:
            could_be += pseudo.by_origin[origin].max + (pseudo.by_origin[unknown].max if origin is not unknown else 0)
    if origin is not None and origin is not unknown:
        for symbol in symbols:
            could_be += self.element(symbol).by_origin[unknown].max
    high = min(declared.max + could_be, self.mass.max)
    return Bounds(declared.min, declared.nominal, max(high, declared.min), "g")


def ref_element_mass(symbol, per_origin, cap=math.inf):
    zero = Bounds.zero("g")
    by_origin = {o: Bounds.of(per_origin[o], "g") if o in per_origin else zero for o in ORIGIN_CLASSES}
    lo, nominal, hi = zero.min, zero.nominal, zero.max
    for b in by_origin.values():
        lo = _clean(_plus(lo, b.min))
        nominal = None if nominal is None or b.nominal is None else _clean(_plus(nominal, b.nominal))
        hi = _clean(_plus(hi, b.max))
    if hi > cap:
        top = cap if nominal is None else max(cap, nominal)
        lo, hi = min(lo, top), top
    return ElementMass(symbol, Bounds(lo, nominal, hi, "g"), by_origin)


def ref_reachable(self, root, *, alternates=False):
    key = (root, alternates and self._alternates)
    found = self._recent.get(key)
    if found is None:
        found = array("i", self._walk(root, self.every if key[1] else self.children))
        if len(self._recent) >= self.RECENT:
            del self._recent[next(iter(self._recent))]
        self._recent[key] = found
    return found


def ref_one_class_multipliers(graph, rolled, root, below, inherit):
    if inherit:
        fixing = graph.fixing(rolled.origin)
        if fixing is not None and any(map(fixing.__getitem__, below)):
            return None
    selected = graph.selected
    n = len(selected)
    lows = [None] * n
    nominals = [None] * n
    highs = [None] * n
    counts = [0] * n
    lows[root] = nominals[root] = highs[root] = counts[root] = 1
    for i in reversed(below):
        m_lo, m_nom, m_hi, c = lows[i], nominals[i], highs[i], counts[i]
        for j, q_lo, q_nom, q_hi in selected[i]:
            counts[j] += c
            if lows[j] is None:
                lows[j] = m_lo * q_lo
                nominals[j] = m_nom * q_nom
                highs[j] = m_hi * q_hi
            else:
                lows[j] += m_lo * q_lo
                nominals[j] += m_nom * q_nom
                highs[j] += m_hi * q_hi
    return lows, nominals, highs, counts


def ref_merge_one_class(holders, one_class, origins, wanted_class):
    parts = []
    syms = []
    classes = []
    los = []
    noms = []
    his = []
    mults = []
    owns = []
    lows, nominals, highs, _ = one_class
    all_cols, all_grams, start = holders.cols, holders.grams, 0
    for h, i in enumerate(holders.parts):
        begin, start = start, holders.ends[h]
        m_lo = lows[i]
        if m_lo is None:
            continue
        cls = origins[i]  # its own class if definite, else the one inherited: UNKNOWN
        if wanted_class is not None and cls != wanted_class:
            continue
        m_nom, m_hi = nominals[i], highs[i]
        if holders.distinct[h]:  # one column per symbol: nothing to add up
            for k in range(begin, start):
                own_t = all_grams[k]
                a, b, c = own_t
                parts.append(i)
                syms.append(all_cols[k] // N_ORIGINS)
                classes.append(cls)
                los.append(a * m_lo)
                noms.append(b * m_nom)
                his.append(c * m_hi)
                mults.append(None)  # the part's multiplier, taken from the columns when ranked
                owns.append(own_t)
            continue
        cols = zip(all_cols[begin:start], all_grams[begin:start], strict=True)
        local = {}
        for col, own_t in cols:
            a, b, c = own_t
            symbol_index = col // N_ORIGINS
            slot = local.get(symbol_index)
            if slot is None:
                local[symbol_index] = [[a * m_lo, b * m_nom, c * m_hi], [m_lo, m_nom, m_hi], own_t]
            else:
                mass, total = slot[0], slot[1]
                mass[0] += a * m_lo
                mass[1] += b * m_nom
                mass[2] += c * m_hi
                total[0] += m_lo
                total[1] += m_nom
                total[2] += m_hi
        for symbol_index, (mass, total, own_t) in local.items():
            parts.append(i)
            syms.append(symbol_index)
            classes.append(cls)
            los.append(mass[0])
            noms.append(mass[1])
            his.append(mass[2])
            mults.append(total)
            owns.append(own_t)
    return parts, syms, classes, los, noms, his, mults, owns


@contextlib.contextmanager
def reference():
    """The code of b69dd2f patched back in for the duration."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(E, "_content_missing", ref_content_missing)
        m.setattr(E, "_for_finished_good", ref_for_finished_good)
        m.setattr(Bounds, "of", classmethod(ref_bounds_of))
        m.setattr(Bounds, "__add__", ref_add)
        for module in (results, E, TRACE):
            m.setattr(module, "ratio", ref_ratio)
        m.setattr(PartResult, "mass_of", ref_mass_of)
        m.setattr(TRACE, "element_mass", ref_element_mass)
        m.setattr(results, "element_mass", ref_element_mass)
        m.setattr(explain.Graph, "reachable", ref_reachable)
        m.setattr(explain, "_one_class_multipliers", ref_one_class_multipliers)
        m.setattr(explain, "_merge_one_class", ref_merge_one_class)
        yield


def run(bom, *, options=None, **kwargs):
    """Trace, evaluate and both reports: what the comparison looks at, as text."""
    traced = rarebom.trace(bom, **(options or {}))
    evaluation = evaluate(traced, RULES, **kwargs)
    when = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    item = Input("bom.xml", "rarebom-xml", evaluation, ())
    bounded = render_json(report_data([item], generated=when))
    full = render_json(report_data([item], generated=when, limit=None))
    return {
        "verdicts": repr(evaluation.verdicts),
        "findings": repr(evaluation.findings),
        "applied": repr(evaluation.overrides_applied),
        "contributors": repr([traced.contributors(fg, ("Nd", "Dy"), limit=3) for fg in traced.finished_goods]),
        "bounded": bounded,
        "full": full,
    }, evaluation


def compare(bom, *, options=None, **kwargs):
    new, evaluation = run(bom, options=options, **kwargs)
    with reference():
        old, _ = run(bom, options=options, **kwargs)
    for key in new:
        assert new[key] == old[key], key
    return evaluation


# -- the checks ---------------------------------------------------------------------------------


@settings(max_examples=30)  # two evaluations and four reports an example
@given(boms(), DAYS, st.booleans(), st.sampled_from(["conservative", "nominal"]), st.sampled_from(["selected", "worst"]), st.booleans())
def test_evaluation_and_reports_are_those_of_the_old_code(bom, day, priced, policy, alternates, inherit):
    options = {"currency": "USD", "rates": RATES, "alternates": alternates, "policy": OriginPolicy(inherit=inherit)}
    compare(bom, options=options, as_of=day, prices=PRICES if priced else None, policy=policy)
    # The one walk from many nodes finds what their walks find together.
    traced = rarebom.trace(bom, **options)
    ids = [p.id for p in bom.parts]
    for picked in (ids[:1], ids[::2], ids[1::3], ids):
        assert traced.below_any(picked) == set().union(*(traced.below(pid) for pid in picked))


@pytest.mark.parametrize("seed", [1, 2])
def test_a_synthetic_bom_with_items_and_unclassified_holders(seed):
    """Items, unclassified holders and missing data by the thousand: what the fast paths are for."""
    bom = synthetic_bom(400, seed=seed)
    evaluation = compare(bom, as_of="2026-11-22")
    # The test can fail: there are unclassified parts and missing origin claims to name.
    texts = [m for v in evaluation for m in v.missing]
    assert any(m.startswith("the item class of ") for m in texts)
    assert any(m.startswith("origin claims for ") for m in texts)
    assert any(m.startswith("a full declaration of ") for m in texts)


def test_the_examples_with_overrides_and_prices():
    overrides = load_overrides(EXAMPLES / "overrides-ev-traction-motor.toml")
    prices = load_prices(EXAMPLES / "prices-usgs-2020.toml")
    for name in ("ev-traction-motor.xml", "hard-disk-drive.xml", "smartphone.xml", "wind-generator-segment.xml"):
        bom = rarebom.load(EXAMPLES / name).bom
        for day in ("2025-06-01", "2026-11-22"):
            evaluation = compare(bom, as_of=day, overrides=overrides, prices=prices)
            assert evaluation.verdicts


VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-3, 3),
    st.fractions(max_denominator=9),
    st.sampled_from([0.0, -0.0, math.nan, math.inf, True, None]),
)


@given(VALUES, VALUES, VALUES, st.sampled_from(["", "g", "USD"]))
def test_make_is_the_constructor(lo, nominal, hi, unit):
    made, built = _make(lo, nominal, hi, unit), Bounds(lo, nominal, hi, unit)
    assert type(made) is Bounds
    assert repr(made) == repr(built)
    assert [type(x) for x in (made.min, made.nominal, made.max)] == [type(x) for x in (built.min, built.nominal, built.max)]
    if made.min is not None and made.min == made.min and made.max == made.max and made.nominal == made.nominal:
        assert made == built and hash(made) == hash(built)


TRIPLES = st.tuples(VALUES.filter(lambda x: x is not None), VALUES.filter(lambda x: x is not None), VALUES.filter(lambda x: x is not None))


@given(st.dictionaries(st.sampled_from(ORIGIN_CLASSES), TRIPLES), st.sampled_from([math.inf, 1.0, 0.0, Fraction(1, 3), 100]))
def test_element_mass_sums_as_before(per_origin, cap):
    try:
        expected = repr(ref_element_mass("Dy", per_origin, cap))
    except TypeError as e:  # the old code could not add these (an unknown bound, None, on the way)
        with pytest.raises(TypeError):
            results.element_mass("Dy", per_origin, cap)
        assert str(e)
        return
    assert repr(results.element_mass("Dy", per_origin, cap)) == expected


def test_finished_goods_keep_their_walks_within_two_ints_per_part():
    traced = rarebom.trace(synthetic_bom(400, seed=1))
    graph = traced._graph()
    index = traced._compiled.index
    n = len(graph.children)
    tops = [index[fg] for fg in traced.finished_goods]
    assert len(tops) >= 2
    for root in tops:
        walk = graph.reachable(root)
        assert list(walk) == explain.Graph._walk(root, graph.children)
        for other in range(0, n, 7):  # other walks in between push the recent ones out
            graph.reachable(other)
        assert graph.reachable(root) is walk  # kept, not walked again
    assert graph._kept_size <= 2 * n
    # The latest walks: at most RECENT of them, or two ints per part, each the walk it says.
    assert graph._recent_size == sum(len(w) for w in graph._recent.values())
    assert len(graph._recent) <= explain.Graph.RECENT or graph._recent_size <= 2 * n
    assert len(graph._recent) > explain.Graph.RECENT  # small walks: more are kept than before
    for (root, _), walk in graph._recent.items():
        assert list(walk) == explain.Graph._walk(root, graph.children)
    # A part that something uses is not kept for good.
    inner = next(i for i in range(n) if i not in tops and graph.children[i])
    graph.reachable(inner)
    assert (inner, False) not in graph._kept


def test_kept_walks_stop_at_two_ints_per_part():
    """Finished goods over one large shared sub-assembly: only the latest walks are kept."""
    one = Amount(kind=Kind.COUNT, unit="", value=Fraction(1))
    hub = Part(id="hub", name="hub", mass=Amount(kind=Kind.MASS, unit="g", value=Fraction(1)), uses=tuple(Usage(child=f"leaf{k}", quantity=one) for k in range(30)))
    leaves = [Part(id=f"leaf{k}", name=f"leaf {k}", mass=Amount(kind=Kind.MASS, unit="g", value=Fraction(1, 30))) for k in range(30)]
    tops = [Part(id=f"top{k}", name=f"top {k}", uses=(Usage(child="hub", quantity=one),)) for k in range(5)]
    traced = rarebom.trace(Bom(parts=(*tops, hub, *leaves)))
    graph = traced._graph()
    for fg in traced.finished_goods:
        assert [traced._compiled.ids[i] for i in graph.reachable(traced._compiled.index[fg])] == list(traced.below(fg))
    n = len(graph.children)
    assert graph._kept_size <= 2 * n < 5 * 32  # 32 parts under each finished good: not all five fit
    index = traced._compiled.index
    tops = [index[fg] for fg in traced.finished_goods]
    assert list(graph._kept) == [(i, False) for i in tops[-2:]]
    assert graph._kept_size == sum(map(len, graph._kept.values())) and not graph._recent
    # Asked for again, an earlier one is walked again, equal, and the least recent goes.
    again = graph.reachable(tops[0])
    assert list(again) == explain.Graph._walk(tops[0], graph.children)
    assert list(graph._kept) == [(tops[-1], False), (tops[0], False)]
    assert graph.reachable(tops[-1]) is graph._kept[(tops[-1], False)]
    assert list(graph._kept) == [(tops[0], False), (tops[-1], False)]


def test_one_class_multipliers_skip_leaves_and_sum_as_before():
    traced = rarebom.trace(synthetic_bom(300, seed=2))
    graph, rolled = traced._graph(), traced._rolled
    for fg in traced.finished_goods:
        root = traced._compiled.index[fg]
        below = graph.reachable(root)
        for inherit in (False, True):
            new = explain._one_class_multipliers(graph, rolled, root, below, inherit)
            old = ref_one_class_multipliers(graph, rolled, root, below, inherit)
            assert repr(new) == repr(old)


def test_a_bom_with_nothing_to_report_is_unchanged():
    """Nothing indeterminate: the fast paths are not taken, and nothing changes."""
    bom = Bom(parts=(Part(id="a", name="a", mass=Amount(kind=Kind.MASS, unit="g", value=Fraction(2))),))
    evaluation = compare(bom, as_of="2026-11-22")
    assert json.loads(render_json(report_data([Input("x", "rarebom-xml", evaluation, ())])))["products"]


@settings(max_examples=20)  # exact traces are slow
@given(boms(), st.lists(st.sampled_from((*chemistry.RARE_EARTHS, "Fe")), max_size=5), st.sampled_from([None, *ORIGIN_CLASSES]), st.booleans())
def test_mass_of_sums_as_before(bom, symbols, origin, exact):
    traced = rarebom.trace(bom, exact=exact)
    results_ = list(traced)
    new = [repr(r.mass_of(symbols, origin)) for r in results_]
    with reference():
        old = [repr(r.mass_of(symbols, origin)) for r in results_]
    assert new == old


@given(VALUES, VALUES)
def test_sum_is_clean_plus(a, x):
    a = _clean(a)  # a running sum is a cleaned field
    try:
        expected = _clean(_plus(a, x))
    except TypeError:
        with pytest.raises(TypeError):
            results._sum(a, x)
        return
    found = results._sum(a, x)
    assert repr(found) == repr(expected) and type(found) is type(expected)


@pytest.mark.parametrize("seed", [1, 4])
def test_contributors_are_those_of_the_old_merge(seed):
    """Every limit, symbol set and origin class: the lazy columns rank as the lists did."""
    traced = rarebom.trace(synthetic_bom(300, seed=seed))

    def everything():
        found = []
        for fg in traced.finished_goods:
            for symbols in (chemistry.RARE_EARTHS, ("Dy", "Tb"), ("Nd",), ("Fe", "Nd")):
                for origin in (None, *ORIGIN_CLASSES):
                    for limit in (0, 1, 3, 10, 1000):
                        found.append(repr(traced.contributors(fg, symbols, limit=limit, max_paths=2, origin=origin)))
        return found

    new = everything()
    with reference():
        old = everything()
    assert new == old
    assert any("Contributor(" in text for text in new)


@pytest.mark.parametrize("seed", [1, 2, 5])
@pytest.mark.parametrize("alternates", ["selected", "worst"])
def test_the_evaluation_drops_the_part_results_after_each_finished_good(seed, alternates):
    """The rules ask for each part result within one finished good only (a node shared with
    another has its verdicts already), so the evaluation drops the trace's results after
    each: it builds no more of them than with the results kept, it gives the same verdicts
    and reports, and a result asked for afterwards is made again, equal."""
    bom = synthetic_bom(1000, seed=seed)  # two finished goods
    overrides = load_overrides(EXAMPLES / "overrides-ev-traction-motor.toml")

    def evaluated(keep: bool):
        built = []
        real = TRACE.Trace._result
        with pytest.MonkeyPatch.context() as m:
            m.setattr(TRACE.Trace, "_result", lambda self, *a: built.append(a[2]) or real(self, *a))
            if keep:
                m.setattr(TRACE.Trace, "_forget_results", lambda self: None)
            traced = rarebom.trace(bom, alternates=alternates)
            evaluation = evaluate(traced, RULES, as_of=dt.date(2026, 11, 22), overrides=overrides, prices=PRICES)
            kept = dict(traced._cache)
        when = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
        item = Input("bom.xml", "rarebom-xml", evaluation, ())
        shown = (repr(evaluation.verdicts), render_json(report_data([item], generated=when, limit=None)))
        return traced, built, kept, shown

    traced, built, kept, shown = evaluated(keep=False)
    _, built_kept, kept_kept, shown_kept = evaluated(keep=True)
    assert len(traced.finished_goods) > 1 and len(built) > len(traced.finished_goods)  # there is something to drop
    assert kept == {} and len(kept_kept) == len(built_kept)
    assert sorted(built) == sorted(built_kept)  # no result built twice
    assert shown == shown_kept
    fresh = rarebom.trace(bom, alternates=alternates)
    for pid in list(traced.finished_goods) + [p.id for p in bom.parts][::50]:
        assert repr(traced[pid]) == repr(fresh[pid])
