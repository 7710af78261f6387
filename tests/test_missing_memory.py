"""The missing-data sentences are written once per evaluation and shared (issue #8, memory).

A verdict's ``missing`` names a part for each datum that would settle it, and the same parts
lack data under every node above them, for every rule and finished good. The evaluation
writes each sentence once and every verdict holds that one str object. These tests check
that the sentences are still exactly the ones the f-strings of commit f0de0ce wrote, that
equal sentences are one object, and that the sharing (and the per-finished-good caches the
evaluation now drops) changes no verdict.
"""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rarebom
from benchmarks.generate import synthetic_bom
from rarebom import chemistry
from rarebom.rules import Verdict, evaluate, load_rules
from rarebom.rules.prices import Price, PriceTable
from rarebom.testing import boms, parts_texts, texts

# ``rarebom.rules.evaluate`` is also the name of the function the package exports.
E = importlib.import_module("rarebom.rules.evaluate")

RULES = load_rules()
DAYS = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2027, 12, 31))
RATES = {"EUR": "1.08", "CNY": "0.14", "JPY": "0.0067"}
PRICES = PriceTable(
    name="test prices",
    date=dt.date(2026, 1, 1),
    source="test",
    currency="USD",
    elements={s: Price(0.2, 0.3, 0.5, s) for s in ("Nd", "Dy", "Tb")},
    item_classes={},
)

# The sentences as the f-strings of commit f0de0ce wrote them (rarebom/rules/evaluate.py),
# by the template that now writes each; ``label`` is the part's label.
OLD = {
    E._ITEM_CLASS: lambda label, held, classes: (
        f"the item class of {label}: it holds {held} in its own materials but is not classified as "
        f"{classes}, nor under a part that is (classify it, or record with an override that it is not such an item)"
    ),
    E._ORIGIN_CLAIMS: lambda label: f"origin claims for {label} (at the separated and metal-or-alloy stages)",
    E._ITEM_ORIGIN_CLAIMS: lambda label: f"origin claims for {label} (at the separated, metal-or-alloy and magnet stages)",
    E._COMPOSITION: lambda label, symbols: f"a full declaration of {label}'s composition (its undeclared content could hold {symbols})",
    E._MASS: lambda label: f"the mass of {label}",
    E._INPUT_VALUE: lambda label, symbols: f"the unit value of {label}, or prices for {symbols}",
    E._UNIT_VALUE: lambda label: f"the unit value of {label}",
    E._TECHNOLOGY: lambda label: f"whether {label} was produced with China-origin rare-earth technology (the part's china-re-technology flag)",
}

SYMBOL_LISTS = st.lists(st.sampled_from(chemistry.RARE_EARTHS), min_size=1, max_size=4, unique=True).map(", ".join)
CLASS_LISTS = st.lists(st.sampled_from(["ndfeb-magnet", "rare-earth-alloy", "samarium-cobalt-magnet", "{x}"]), min_size=1, max_size=3, unique=True).map(
    lambda c: " or ".join(sorted(c))
)


def _fields(template: str, draw_symbols: str, draw_classes: str) -> dict[str, str]:
    if template == E._ITEM_CLASS:
        return {"held": draw_symbols, "classes": draw_classes}
    if template in (E._COMPOSITION, E._INPUT_VALUE):
        return {"symbols": draw_symbols}
    return {}


def test_every_template_has_its_old_sentence():
    written = {v for k, v in vars(E).items() if k.isupper() and k.startswith("_") and isinstance(v, str) and "{label}" in v}
    assert written == set(OLD)


class _Part:
    def __init__(self, label: str):
        self.label = label


class _Bom:
    def __init__(self, labels: dict[str, str]):
        self.part = lambda part_id: _Part(labels[part_id])


@given(st.dictionaries(parts_texts(), texts(40) | st.sampled_from(["{label}", "{}", "{0}", "%s", "'s"]), min_size=1, max_size=4), SYMBOL_LISTS, CLASS_LISTS)
def test_the_sentences_are_the_old_ones_and_one_object_each(labels, symbols, classes):
    context = E._Context.__new__(E._Context)  # only what sentence() reads: the parts' labels
    context.trace = type("Trace", (), {"bom": _Bom(labels)})()
    context._sentences = {}
    for pid, label in labels.items():
        for template, old in OLD.items():
            fields = _fields(template, symbols, classes)
            first = context.sentence(template, pid, **fields)
            assert first == old(label, **fields)
            assert context.sentence(template, pid, **fields) is first
    # Other fields for the same part and template: their own sentence, not the one kept.
    for pid, label in labels.items():
        for template, old in OLD.items():
            fields = _fields(template, symbols + ", Lu", classes + " or x")
            assert context.sentence(template, pid, **fields) == old(label, **fields)
        # The same values under the other names, given in the other order: not the kept sentence.
        swapped = context.sentence(E._ITEM_CLASS, pid, classes=symbols, held=classes)
        assert swapped == OLD[E._ITEM_CLASS](label, held=classes, classes=symbols)


def _reference_evaluate(monkeypatch, *args, **kwargs):
    """``evaluate`` as at f0de0ce: every sentence written anew by its old f-string, the item
    classes of each part their own set, and no per-finished-good cache dropped."""
    with monkeypatch.context() as m:
        m.setattr(E._Context, "sentence", lambda self, template, part_id, **fields: OLD[template](self.trace.bom.part(part_id).label, **fields))
        # The list forms of sentence(), which a node's missing data now go through.
        m.setattr(E._Context, "sentences", lambda self, template, part_ids, **fields: [OLD[template](self.trace.bom.part(p).label, **fields) for p in part_ids])
        m.setattr(
            E._Context,
            "item_class_sentences",
            lambda self, unclassified, classes: [OLD[E._ITEM_CLASS](self.trace.bom.part(p).label, held=", ".join(held), classes=classes) for p, held in unclassified.items()],
        )
        m.setattr(E._Context, "forget", lambda self, finished_good: None)

        def classes(self, part_id):
            found = self._classes.get(part_id)
            if found is None:
                found = self._classes[part_id] = self.trace.bom.part(part_id).item_classes()
            return found

        m.setattr(E._Context, "classes", classes)
        return evaluate(*args, **kwargs)


def _same(new, old):
    assert len(new.verdicts) == len(old.verdicts)
    for a, b in zip(new, old, strict=True):
        assert a == b
        assert type(a.missing) is tuple and all(type(m) is str for m in a.missing)
        assert a.missing == b.missing and a.nodes == b.nodes and a.reason == b.reason
    assert new.findings == old.findings


@settings(max_examples=60)  # two evaluations an example: the dev profile's count under the ci profile too
@given(boms(), DAYS, st.booleans(), st.sampled_from(["conservative", "nominal"]))
def test_sharing_changes_no_verdict(bom, day, priced, policy):
    traced = rarebom.trace(bom, currency="USD", rates=RATES)
    options = {"as_of": day, "prices": PRICES if priced else None, "policy": policy}
    with pytest.MonkeyPatch.context() as monkeypatch:
        old = _reference_evaluate(monkeypatch, traced, RULES, **options)
    _same(evaluate(traced, RULES, **options), old)


@pytest.fixture(scope="module")
def shared_bom():
    """Two finished goods over 300 parts that share sub-assemblies, most data missing."""
    bom = synthetic_bom(300, seed=1)
    assert len(bom.finished_goods) == 2
    return bom


def test_finished_goods_hold_the_same_sentence_objects(shared_bom, monkeypatch):
    traced = rarebom.trace(shared_bom)
    evaluation = evaluate(traced, RULES, as_of="2026-11-22")
    one: dict[str, str] = {}
    where: dict[str, set[str]] = {}
    for v in evaluation:
        texts = [*v.missing, *(m for n in v.nodes for m in n.missing)]
        for text in texts:
            assert one.setdefault(text, text) is text, f"two str objects for {text!r}"
            where.setdefault(text, set()).add(v.finished_good)
    # The test can fail: the two finished goods do ask for the same data, item classes included.
    both = [text for text, fgs in where.items() if len(fgs) == 2]
    assert len(both) > 100
    assert any(text.startswith("the item class of ") for text in both)
    # And a rule's missing data hold what the evaluation at f0de0ce held, in the same order.
    _same(evaluation, _reference_evaluate(monkeypatch, traced, RULES, as_of="2026-11-22"))
    assert any(v.verdict is Verdict.INDETERMINATE for v in evaluation)
