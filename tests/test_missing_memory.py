"""The missing-data sentences are written when read (issue #8, memory).

A verdict's ``missing`` names a part for each datum that would settle it, and the same parts
lack data under every node above them, for every rule and finished good. The evaluation
keeps, per sentence, the part it names and the text around the part's label
(:class:`rarebom.rules.Missing`), and writes the sentence when it is read. These tests check
that the sentences are still exactly the ones the f-strings of commits f0de0ce and 0ffd8ca
wrote, in the same order and each once; that a ``Missing`` reads as the tuple of its
sentences; that it keeps no sentence, only the model's own part ids and one pair of texts
per form for the whole evaluation; and that none of this changes a verdict.
"""

from __future__ import annotations

import datetime as dt
import importlib
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rarebom
from benchmarks.generate import synthetic_bom
from rarebom import chemistry
from rarebom.rules import Missing, Verdict, evaluate, load_rules
from rarebom.rules.missing import NOTHING, Gather
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
# and the last four as those of 0ffd8ca, by the template that now writes each; ``label`` is
# the part's label.
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
    E._PRICE: lambda label, symbol: f"a price for {symbol} (a price table), or the BOM's unit values of the China-origin {symbol} inputs in {label}",
    E._UNDER: lambda label, could, symbols: f"a full declaration of what is under {label} ({could} of undeclared content could hold {symbols})",
    E._STAGE_CLAIM: lambda label, stage: f"an origin claim for {label} (or its materials) at the {stage} stage",
    E._NARROWER: lambda label, what: f"narrower ranges, or measured values, for the {what}content of {label} and the parts under it: the declared ranges straddle the threshold",
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
    if template == E._PRICE:
        return {"symbol": draw_symbols}
    if template == E._UNDER:
        return {"could": "1.5 g", "symbols": draw_symbols}
    if template == E._STAGE_CLAIM:
        return {"stage": draw_classes}
    if template == E._NARROWER:
        return {"what": draw_symbols + " "}
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
def test_the_sentences_are_the_old_ones(labels, symbols, classes):
    context = E._Context.__new__(E._Context)  # only what the sentences read: the parts' labels
    context.trace = type("Trace", (), {"bom": _Bom(labels)})()
    context._around, context._forms = {}, {}
    context._table = None  # no trace: the gatherings number the parts themselves
    for pid, label in labels.items():
        for template, old in OLD.items():
            fields = _fields(template, symbols, classes)
            one = context.one(template, pid, **fields)
            assert isinstance(one, Missing)
            assert list(one) == [old(label, **fields)]
            # Other fields for the same part and template: their own sentence.
            other = _fields(template, symbols + ", Lu", classes + " or x")
            assert context.one(template, pid, **other) == (old(label, **other),)
        # The same values under the other names, given in the other order: not the kept form.
        swapped = context.one(E._ITEM_CLASS, pid, classes=symbols, held=classes)
        assert swapped == (OLD[E._ITEM_CLASS](label, held=classes, classes=symbols),)
    # Many parts at once, a part twice, and item classes by what each part holds: each
    # sentence once, in the order first asked for, and the one a part alone would have.
    # (numbered as a trace numbers them: the item classes' parts come as their indices)
    pids = list(labels)
    context._table = ({pid: k for k, pid in enumerate(pids)}, pids)
    gathered = context.gather()
    context.said(gathered, E._COMPOSITION, pids + pids[:1], symbols=symbols)
    context.item_classes(gathered, list(range(len(pids))), [(symbols,) if k % 2 else ("Nd", symbols) for k in range(len(pids))], classes)
    context.said(gathered, E._MASS, pids[::-1])
    found = gathered.done()
    expected = [OLD[E._COMPOSITION](labels[p], symbols=symbols) for p in pids]
    expected += [OLD[E._ITEM_CLASS](labels[p], held=symbols if k % 2 else f"Nd, {symbols}", classes=classes) for k, p in enumerate(pids)]
    expected += [OLD[E._MASS](labels[p]) for p in pids[::-1]]
    assert list(found) == expected


def _reference_evaluate(monkeypatch, *args, **kwargs):
    """``evaluate`` as at f0de0ce: every sentence written anew by its old f-string when it is
    asked for (and one kept only if its text is new), the item classes of each part their
    own set, and no per-finished-good cache dropped."""

    def said(self, missing, template, part_ids, **fields):
        for p in part_ids:
            missing.text(OLD[template](self.trace.bom.part(p).label, **fields))

    def item_classes(self, missing, parts, helds, classes):
        for i, held in zip(parts, helds, strict=True):
            missing.text(OLD[E._ITEM_CLASS](self.trace.bom.part(self.part_id(i)).label, held=", ".join(held), classes=classes))

    with monkeypatch.context() as m:
        m.setattr(E._Context, "said", said)
        m.setattr(E._Context, "item_classes", item_classes)
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
        assert isinstance(a.missing, Missing) and all(type(m) is str for m in a.missing)
        assert list(a.missing) == list(b.missing) and a.nodes == b.nodes and a.reason == b.reason
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


def test_the_missing_data_keep_no_sentence(shared_bom, monkeypatch):
    """What a verdict keeps per datum: the model's own part id and an index, no str of its
    own; the texts around the labels are one pair of str objects per form for the whole
    evaluation, whichever rule, node and finished good holds them."""
    traced = rarebom.trace(shared_bom)
    evaluation = evaluate(traced, RULES, as_of="2026-11-22")
    forms: dict[tuple[str, str], tuple[str, str]] = {}
    where: dict[str, set[str]] = {}
    entries = 0
    for v in evaluation:
        for missing in (v.missing, *(n.missing for n in v.nodes)):
            assert isinstance(missing, Missing)
            # each part as a 4-byte index into the trace's ids, one list for every verdict
            assert missing._parts.itemsize == 4 and (not missing or missing._ids is traced._numbering()[1])
            for pid in missing.part_ids:
                assert pid is shared_bom.part(pid).id  # the model's str, not a copy
            for form in missing._forms:
                assert forms.setdefault(form, form) is form, f"two pairs for the form {form!r}"
            entries += len(missing)
        for text in v.missing:
            where.setdefault(text, set()).add(v.finished_good)
    # The test can fail: there are thousands of sentences of a few forms, and the two
    # finished goods ask for the same data, item classes included.
    assert entries > 1000 and len(forms) < 100
    both = [text for text, fgs in where.items() if len(fgs) == 2]
    assert len(both) > 100
    assert any(text.startswith("the item class of ") for text in both)
    # And a rule's missing data hold what the evaluation at f0de0ce held, in the same order.
    _same(evaluation, _reference_evaluate(monkeypatch, traced, RULES, as_of="2026-11-22"))
    assert any(v.verdict is Verdict.INDETERMINATE for v in evaluation)


class _Labels:
    def part(self, pid):
        return _Part(f"{pid} (label)")


@given(st.lists(st.tuples(st.sampled_from(["a", "b{", "c {label}"]), st.sampled_from(["", " tail", "}"]), st.sampled_from([None, "P1", "P2", "P3"])), max_size=12), st.data())
def test_a_missing_reads_as_the_tuple_of_its_sentences(added, data):
    """Gather keeps each sentence once in the order first added; the Missing it makes
    reads, compares, hashes, prints and pickles as the tuple of those sentences."""
    gathered = Gather(_Labels())
    expected: list[str] = []
    for head, tail, pid in added:
        tail = "" if pid is None else tail  # a sentence of no part is its head: its form has no tail
        gathered.add(gathered.form(head, tail), (pid,))
        text = head if pid is None else f"{head}{pid} (label){tail}"
        if text not in expected:
            expected.append(text)
    missing = gathered.done()
    sentences = tuple(expected)
    assert len(missing) == len(sentences) and tuple(missing) == sentences and list(iter(missing)) == list(sentences)
    assert missing == sentences and sentences == missing and missing == list(sentences) and missing != sentences + ("x",)
    assert hash(missing) == hash(sentences) and repr(missing) == repr(sentences) and bool(missing) is bool(sentences)
    for k in range(-len(sentences), len(sentences)):
        assert missing[k] == sentences[k]
    start, stop, step = data.draw(st.integers(-14, 14)), data.draw(st.integers(-14, 14)), data.draw(st.sampled_from([1, 2, -1, 3]))
    assert missing[start:stop:step] == sentences[start:stop:step]
    for k in (len(sentences), -len(sentences) - 1):
        with pytest.raises(IndexError):
            missing[k]
    assert pickle.loads(pickle.dumps(missing)) == sentences
    # Gathering it again, or its sentences as written text, adds nothing new.
    again = Gather(_Labels())
    again.extend(missing)
    again.extend(missing)
    assert again.done() == sentences
    assert Missing.of([*sentences, *sentences]) == sentences


def test_nothing_is_the_empty_tuple():
    assert NOTHING == () and len(NOTHING) == 0 and not NOTHING and repr(NOTHING) == "()" and list(NOTHING) == []


def test_more_forms_than_a_byte_counts():
    """Past 256 forms the index of each sentence's form takes four bytes, the ones before it too."""
    gathered = Gather(_Labels())
    heads = [f"form {k}: " for k in range(300)]
    for k, head in enumerate(heads):
        gathered.add(gathered.form(head), (f"P{k % 7}",))
        assert gathered._which.typecode == ("B" if k < 256 else "I")
    gathered.add(gathered.form(heads[3]), ("P3", "P9"))  # P3 was said in form 3: only P9 is new
    missing = gathered.done()
    expected = (*(f"{head}P{k % 7} (label)" for k, head in enumerate(heads)), "form 3: P9 (label)")
    assert missing == expected and missing[257] == expected[257] and missing[-1] == expected[-1]


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 3), st.lists(st.sampled_from(["P1", "P2", "P3", "P4", None]), max_size=5)),
        st.tuples(st.just("pairs"), st.dictionaries(st.sampled_from(["P1", "P2", "P3", "P4", "P5"]), st.integers(0, 3), max_size=5)),
        st.tuples(st.just("extend"), st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["P1", "P2", "P6"])), max_size=5)),
    ),
    max_size=10,
)


#: A trace's numbering of the parts (``Trace._numbering``): the ids in index order, and the index of each.
_IDS = ["P6", "P4", "P1", "P5", "P3", "P2"]
_TABLE = ({pid: i for i, pid in enumerate(_IDS)}, _IDS)


@given(OPERATIONS, st.sampled_from(["none", "mine", "shared"]))
def test_gathering_keeps_each_sentence_once_in_the_order_first_added(operations, numbering):
    """Any mix of adds, pairs and extends, into fresh forms (added at once, without a set)
    and into forms already used (their sets made when first needed): the sentences of a
    plain ordered dict of (form, part). The same whether the gatherings number the parts
    themselves, by a trace's table, or one by the table and the other itself."""
    heads = [f"form {k}: " for k in range(4)]
    table = None if numbering == "none" else _TABLE
    gathered, expected = Gather(_Labels(), table=table), {}
    for operation in operations:
        if operation[0] == "add":
            _, k, pids = operation
            gathered.add(gathered.form(heads[k]), pids)
            expected.update(((k, pid), None) for pid in pids)
        elif operation[0] == "pairs":
            by_part = operation[1]
            gathered.pairs([gathered.form(heads[k]) for k in by_part.values()], list(by_part))
            expected.update(((k, pid), None) for pid, k in by_part.items())
        else:
            other = Gather(_Labels(), table=_TABLE if numbering == "shared" else None)
            for k, pid in operation[1]:
                other.add(other.form(heads[k]), (pid,))
            gathered.extend(other.done())
            expected.update(((k, pid), None) for k, pid in operation[1])
    done = gathered.done()
    assert list(done) == [heads[k] if pid is None else f"{heads[k]}{pid} (label)" for k, pid in expected]
    assert done.part_ids == tuple(pid for _, pid in expected)
    if table is not None and done:
        # four bytes a sentence, numbered by the trace's own list, not a copy of it
        assert done._ids is _IDS and done._parts.itemsize == 4
        assert list(done._parts) == [-1 if pid is None else _IDS.index(pid) for _, pid in expected]
