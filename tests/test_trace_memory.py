"""trace() keeps each part's own content in arrays (rarebom.engine.vector.OwnContent), not dicts.

After the vectorised roll-up has read the compiled own content into arrays, ``trace()``
replaces ``Compiled.own`` (a dict of triples per part) with a read-only sequence over
those arrays. It must give what the dicts gave: the same columns in the same order, the
same floats bit for bit, the same Python types (an int 0 stays an int, which results turn
into an exact Fraction), and the same answers to every question the rules and explanations
ask of it (coverage, holders, own elements, contributors), down to the JSON report.

Coverage reads only the nominals of the roll-up's gap, mass and value, which the array
views give without making every triple: the same numbers as the triples' own.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rarebom
from rarebom import chemistry
from rarebom.engine import Alternates, OriginPolicy
from rarebom.engine.explain import Holders
from rarebom.engine.rollup import N_ORIGINS, SYMBOL_INDEX, SYMBOLS, UNDECLARED, UNRESOLVED, compile_bom, holding, scan_own
from rarebom.testing import boms

np = pytest.importorskip("numpy")
vector = pytest.importorskip("rarebom.engine.vector")
vector_contributors = pytest.importorskip("rarebom.engine.vector_contributors")
trace_module = importlib.import_module("rarebom.engine.trace")

RATES = {"EUR": "1.08", "CNY": "0.14", "JPY": "0.0067"}
#: symbol sets the rules and coverage ask about, and a few more
SYMBOL_SETS = (
    frozenset(SYMBOL_INDEX[s] for s in chemistry.RARE_EARTHS),
    frozenset({SYMBOL_INDEX[UNDECLARED], SYMBOL_INDEX[UNRESOLVED]}),
    frozenset({SYMBOL_INDEX["Nd"], SYMBOL_INDEX["Dy"]}),
    frozenset({SYMBOL_INDEX["Fe"]}),
    frozenset(range(len(SYMBOLS))),
    frozenset(),
)


def bits(x) -> tuple:
    """A number by type and value, NaN and the sign of zero included."""
    if x != x:
        return (type(x), "nan")
    return (type(x), x, math.copysign(1, x) if type(x) is float else 0)


def strict(content: dict) -> list:
    return [(col, [bits(x) for x in t]) for col, t in content.items()]


def assert_same_own(dicts: list[dict], own) -> None:
    """``own`` gives every part's dict strictly equal to ``dicts``, by index and iterated,
    and :func:`holding` finds the same parts with the same columns for every symbol set."""
    assert len(own) == len(dicts)
    for i, want in enumerate(dicts):
        assert type(own[i]) is dict and strict(own[i]) == strict(want), i
    assert [strict(d) for d in own] == [strict(d) for d in dicts]
    assert strict(own[-1]) == strict(dicts[-1]) and [strict(d) for d in own[1:3]] == [strict(d) for d in dicts[1:3]]
    for symbols in SYMBOL_SETS:
        want = [(i, strict(d)) for i, d in holding(dicts, symbols)]
        assert [(i, strict(d)) for i, d in holding(own, symbols)] == want, sorted(symbols)
        assert all(d and all(col // N_ORIGINS in symbols for col in d) for _, d in holding(own, symbols))


def compacted(bom: rarebom.Bom, **options):
    """``bom`` compiled, its own dicts and usage tuples, and the compiled BOM after a
    compacting roll-up (``tests/test_usages_arrays.py`` uses it too)."""
    t = rarebom.trace(bom, **options)
    o = t.options
    compiled = compile_bom(bom, policy=o.policy, currency=t.currency, rates=o.rates, typical=o.typical_compositions, exact=False, limits=o.limits)
    dicts, tuples = list(compiled.own), list(compiled.uses)
    rolled = vector.rollup_arrays(compiled, alternates=Alternates.SELECTED, inherit=True, min_level_width=0, compact=True)
    assert isinstance(rolled.vector, vector._Vectors)  # the array path ran, so both were compacted
    assert isinstance(compiled.own, vector.OwnContent) and isinstance(compiled.uses, vector.Usages)
    return dicts, tuples, compiled


def compact(bom: rarebom.Bom, **options):
    """``bom`` compiled, its own dicts, and the compiled BOM after a compacting roll-up."""
    dicts, _, compiled = compacted(bom, **options)
    return dicts, compiled


# Drawing the BOMs is most of this test's time.
@settings(max_examples=40)
@given(boms(), st.booleans())
def test_hypothesis_boms(bom, typical):
    dicts, compiled = compact(bom, currency="USD", rates=RATES, typical_compositions=typical, limits=rarebom.Limits(max_multiplicity=10**300))
    assert_same_own(dicts, compiled.own)


@pytest.mark.parametrize("seed", [1, 2])
def test_synthetic_boms(seed):
    from benchmarks.generate import synthetic_bom

    dicts, compiled = compact(synthetic_bom(600, seed), rates=RATES)
    assert_same_own(dicts, compiled.own)
    assert any(type(x) is int for d in dicts for t in d.values() for x in t)  # int 0s were compared
    assert sum(1 for d in dicts if not d) > 10


def test_parts_that_shared_a_dict_share_a_range():
    """Parts with the same materials and declared mass shared one compiled dict; their
    entries are stored once, and each part still gets them."""
    from benchmarks.generate import synthetic_bom

    bom = synthetic_bom(300, 7)
    leaf = next(p for p in bom.parts if p.materials and not p.uses and p.mass is not None)
    copies = [attrs.evolve(leaf, id=f"copy-{k}") for k in range(50)]
    bom = attrs.evolve(bom, parts=(*bom.parts, *copies))
    dicts, compiled = compact(bom)
    index = compiled.index
    assert len({id(dicts[index[c.id]]) for c in copies}) <= 3  # the compile shared them (from the third on)
    own = compiled.own
    assert_same_own(dicts, own)
    entries = sum(len(d) for d in {id(d): d for d in dicts}.values())
    assert len(own.cols) == entries < sum(len(d) for d in dicts)
    assert len({int(own.starts[index[c.id]]) for c in copies}) == len({id(dicts[index[c.id]]) for c in copies})


def test_the_comparison_can_fail():
    from benchmarks.generate import synthetic_bom

    dicts, compiled = compact(synthetic_bom(200, 3))
    i = next(i for i, d in enumerate(dicts) if any(type(t[0]) is int for t in d.values()))
    changed = [dict(d) for d in dicts]
    col = next(c for c, t in changed[i].items() if type(t[0]) is int)
    changed[i][col] = (0.0, *changed[i][col][1:])  # a float 0.0 for the int 0
    with pytest.raises(AssertionError):
        assert_same_own(changed, compiled.own)
    changed = [dict(d) for d in dicts]
    changed[i] = dict(reversed(changed[i].items()))  # the order of the columns
    if list(changed[i]) != list(dicts[i]):
        with pytest.raises(AssertionError):
            assert_same_own(changed, compiled.own)
    changed = [dict(d) for d in dicts]
    del changed[i][col]
    with pytest.raises(AssertionError):
        assert_same_own(changed, compiled.own)


def test_trace_answers_the_same_as_with_the_dicts(monkeypatch):
    """A large trace keeps the arrays; coverage, holders, own elements, contributors,
    derivations and the whole report are those of the trace that keeps the dicts."""
    from benchmarks.generate import synthetic_bom
    from rarebom.report import Input, render_json, report_data
    from rarebom.rules import evaluate

    bom = synthetic_bom(trace_module.VECTOR_MIN_PARTS + 500, 4)

    def report(t):
        return render_json(report_data([Input("synthetic", "rarebom-xml", evaluate(t, as_of="2026-11-22"), ())], generated=dt.datetime(2026, 11, 22, tzinfo=dt.UTC)))

    arrays = rarebom.trace(bom, policy=OriginPolicy(inherit=True))
    assert isinstance(arrays._compiled.own, vector.OwnContent)
    original = vector.rollup_arrays

    def keep_dicts(compiled, **options):
        options["compact"] = False
        return original(compiled, **options)

    monkeypatch.setattr(vector, "rollup_arrays", keep_dicts)
    monkeypatch.setattr(trace_module, "_sink", lambda exact, parts: None)  # compile into lists
    dicts = rarebom.trace(bom, policy=OriginPolicy(inherit=True))
    assert isinstance(dicts._compiled.own, list) and isinstance(dicts._rolled.vector, vector._Vectors)
    assert_same_own(dicts._compiled.own, arrays._compiled.own)
    rare = list(chemistry.RARE_EARTHS)
    assert arrays.holders(rare) == dicts.holders(rare)
    assert arrays.holders(["Nd", "Fe", "Dy"]) == dicts.holders(["Nd", "Fe", "Dy"])
    ids = dicts._compiled.ids
    for pid in [*arrays.finished_goods, *ids[:: len(ids) // 40]]:
        assert arrays.coverage(pid) == dicts.coverage(pid)
        assert arrays.own_elements(pid, ["Nd", "Dy", "Fe"]) == dicts.own_elements(pid, ["Nd", "Dy", "Fe"])
        assert arrays.contributors(pid, rare) == dicts.contributors(pid, rare)
        assert arrays.derivation(pid) == dicts.derivation(pid)
    assert report(arrays) == report(dicts)


def test_small_and_exact_traces_keep_the_dicts():
    """Only the array roll-up compacts: the loop and exact traces keep Compiled.own as compiled."""
    from benchmarks.generate import synthetic_bom

    assert type(rarebom.trace(synthetic_bom(100, 4))._compiled.own) is list
    assert type(rarebom.trace(synthetic_bom(trace_module.VECTOR_MIN_PARTS + 10, 4), exact=True)._compiled.own) is list


def test_the_arrays_are_smaller_than_the_dicts():
    """What the compaction is for: about 29 bytes an entry and 8 a part, against a dict per
    part of shared triples of shared floats (measured by tracemalloc in docs/performance-log.md)."""
    from benchmarks.generate import synthetic_bom

    dicts, compiled = compact(synthetic_bom(600, 1))
    own = compiled.own
    entries = len(own.cols)
    held = sum(a.nbytes for a in (own.starts, own.ends, own.cols, own.values, own.ints))
    assert held <= 29 * entries + 8 * len(dicts)
    assert own.cols.dtype == np.int16 and own.starts.dtype == np.int32


@settings(max_examples=20)
@given(boms())
def test_nominals_are_those_of_the_triples(bom):
    """Coverage reads only the nominals of the roll-up's gap, mass and value: from the array
    views, without making every triple; they are the triples' nominals, strictly."""
    t = rarebom.trace(bom, currency="USD", rates=RATES, limits=rarebom.Limits(max_multiplicity=10**300))
    rolled = vector.rollup_arrays(t._compiled, alternates=Alternates.SELECTED, inherit=True, min_level_width=0)
    for name in ("gap", "mass", "value", "contents_mass", "contents_value"):
        view = getattr(rolled, name)
        want = [None if x is None else bits(x[1]) for x in view]
        assert [None if x is None else bits(x) for x in view.nominals()] == want, name
        assert [None if x is None else bits(x) for x in trace_module._nominals(list(view))] == want, name


def test_coverage_of_the_arrays_is_that_of_the_loop(monkeypatch):
    """What coverage finds lacking, part by part, from the array views' nominals and from the
    loop's lists of triples."""
    from benchmarks.generate import synthetic_bom

    bom = synthetic_bom(trace_module.VECTOR_MIN_PARTS + 300, 6)
    arrays = rarebom.trace(bom)
    assert isinstance(arrays._rolled.gap, vector._Triples)
    monkeypatch.setattr(trace_module, "VECTOR_MIN_PARTS", 10**9)
    loop = rarebom.trace(bom)
    assert isinstance(loop._rolled.gap, list)
    assert arrays._lacks() == loop._lacks()
    assert any(arrays._lacks()) and not all(arrays._lacks())
    for pid in loop.finished_goods:
        assert arrays.coverage(pid) == loop.coverage(pid)


@settings(max_examples=40)
@given(boms())
def test_lacks_from_the_arrays_on_hypothesis_boms(bom):
    """The flags of what each part lacks, from the array views and usages (vector.lacks)
    and from the loop over every part's nominals, on BOMs with unknown values, masses,
    origins and compositions."""
    loop = rarebom.trace(bom, currency="USD", rates=RATES, limits=rarebom.Limits(max_multiplicity=10**300))
    o = loop.options
    compiled = compile_bom(bom, policy=o.policy, currency=loop.currency, rates=o.rates, typical=o.typical_compositions, exact=False, limits=o.limits)
    # the array roll-up however narrow the BOM, its usages and own content compacted to arrays
    rolled = vector.rollup_arrays(compiled, alternates=o.alternates, inherit=o.policy.inherit, min_level_width=0, compact=True)
    arrays = trace_module.Trace(bom, o, loop.currency, compiled, rolled, list(loop.findings))
    assert isinstance(arrays._rolled.gap, vector._Triples) and isinstance(arrays._compiled.uses, vector.Usages)
    assert isinstance(loop._rolled.gap, list)
    assert arrays._lacks() == loop._lacks()


# -- holders found in the arrays ------------------------------------------------------------


def own_content(dicts: list[dict]):
    """An OwnContent made from ``dicts`` as ArrayBom.build makes it."""
    counts = np.array([len(d) for d in dicts], dtype=np.int64)
    cols = np.array([c for d in dicts for c in d], dtype=np.int64)
    values, ints = vector._numbers([x for d in dicts for t in d.values() for x in t], (-1, 3))
    return vector.OwnContent.of(dicts, counts, cols, values, ints)


def assert_same_holders(dicts: list[dict], own) -> None:
    """``own.holders`` finds, for every symbol set, the holders :class:`Holders` finds in the
    dicts: the same parts, ends, columns and flags in arrays of the same type, the same
    triples strictly, and the same columns for the contributors ranking."""
    pos = np.arange(len(dicts))[::-1].copy()  # any positions: the columns carry them over
    for symbols in SYMBOL_SETS:
        want, got = Holders(dicts, symbols), own.holders(symbols)
        for name in ("parts", "ends", "cols"):
            a, b = getattr(got, name), getattr(want, name)
            assert type(a) is type(b) and a.typecode == b.typecode and a == b, (name, sorted(symbols))
        assert type(got.distinct) is bytearray and got.distinct == want.distinct, sorted(symbols)
        assert len(got.grams) == len(want.grams)
        assert [[bits(x) for x in t] for t in got.grams] == [[bits(x) for x in t] for t in want.grams]
        if len(want.grams):
            assert [bits(x) for x in got.grams[-1]] == [bits(x) for x in want.grams[-1]]
            assert [[bits(x) for x in t] for t in got.grams[1:3]] == [[bits(x) for x in t] for t in want.grams[1:3]]
        with pytest.raises(IndexError):
            got.grams[len(want.grams)]
        assert [(i, [(c, [bits(x) for x in t]) for c, t in cs]) for i, cs in got] == [(i, [(c, [bits(x) for x in t]) for c, t in cs]) for i, cs in want]
        a, b = vector_contributors._HolderColumns(got, pos), vector_contributors._HolderColumns(want, pos)
        for name in ("parts", "pos", "syms", "distinct"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), name
        assert np.array_equal(a.ints[a.rows], b.ints[b.rows])
        grams_a, grams_b = a.grams[a.rows], b.grams[b.rows]
        assert np.array_equal(grams_a, grams_b, equal_nan=True) and np.array_equal(np.signbit(grams_a), np.signbit(grams_b))
        assert a.mixed == b.mixed
        # kept per symbol set for the trace's life: parts as the positions' 4 bytes, symbols
        # in 2, and a 4-byte row of the own content's grams, not a copy of them
        assert a.parts.dtype == a.pos.dtype == pos.dtype and a.syms.dtype == np.int16
        assert a.rows.dtype == np.int32 and a.grams is got.grams.own.values and a.ints is got.grams.own.ints


def assert_same_scan(dicts: list[dict], own) -> None:
    """``own.scan_own`` finds, for pairs of symbol sets, what the loop over the dicts finds:
    the declaring parts in an array of the same type, their symbol sets (one object per
    distinct set), and the parts holding a rare earth or open content."""
    open_symbols = SYMBOL_SETS[1]
    pairs = [(SYMBOL_SETS[0], open_symbols), (SYMBOL_SETS[2], open_symbols), (SYMBOL_SETS[3], frozenset())]
    pairs += [(SYMBOL_SETS[4] - open_symbols, open_symbols), (frozenset(), open_symbols)]
    for rare, opened in pairs:
        want, got = scan_own(dicts, rare, opened), own.scan_own(rare, opened)
        assert got[0].typecode == want[0].typecode and got[0] == want[0], sorted(rare)
        assert got[1] == want[1] and all(type(x) is frozenset for x in got[1]), sorted(rare)
        assert len({id(x) for x in got[1]}) == len(set(got[1]))  # shared as the loop shares them
        assert got[2:] == want[2:], sorted(rare)


@settings(max_examples=30)
@given(boms())
def test_holders_from_the_arrays_on_hypothesis_boms(bom):
    dicts, compiled = compact(bom, currency="USD", rates=RATES, limits=rarebom.Limits(max_multiplicity=10**300))
    assert_same_holders(dicts, compiled.own)
    assert_same_scan(dicts, compiled.own)


@pytest.mark.parametrize("seed", [1, 7])
def test_holders_from_the_arrays_on_synthetic_boms(seed):
    """Synthetic BOMs, with parts that share their own content's range (copies of a leaf)."""
    from benchmarks.generate import synthetic_bom

    bom = synthetic_bom(400, seed)
    leaf = next(p for p in bom.parts if p.materials and not p.uses and p.mass is not None)
    bom = attrs.evolve(bom, parts=(*bom.parts, *(attrs.evolve(leaf, id=f"copy-{k}") for k in range(20))))
    dicts, compiled = compact(bom, rates=RATES)
    assert_same_holders(dicts, compiled.own)
    assert len(compiled.own.holders(SYMBOL_SETS[0]).parts) > 20  # rare-earth holders were compared
    assert_same_scan(dicts, compiled.own)
    parts, helds, rare_content, open_content = compiled.own.scan_own(SYMBOL_SETS[0], SYMBOL_SETS[1])
    assert len(parts) > 20 and len(set(helds)) > 1 and rare_content and open_content  # each was compared


def test_holders_with_several_columns_of_one_symbol():
    """A holder whose columns share a symbol (one per origin class) is not distinct; int 0s,
    NaN and -0.0 come back as they were; parts without a match hold nothing."""
    nd, dy, fe = (SYMBOL_INDEX[s] * N_ORIGINS for s in ("Nd", "Dy", "Fe"))
    dicts = [
        {fe: (1.0, 2.0, 3.0)},
        {nd: (0, 0.5, 1.0), nd + 1: (0.25, float("nan"), 2.0), dy: (-0.0, 0.0, 0)},
        {},
        {dy + 2: (1.5, 1.5, 1.5), fe: (4.0, 4.0, 4.0)},
        {nd: (0, 0.5, 1.0), nd + 1: (0.25, float("nan"), 2.0), dy: (-0.0, 0.0, 0)},
    ]
    dicts[4] = dicts[1]  # one dict, so one range
    own = own_content(dicts)
    assert own.starts[4] == own.starts[1]
    assert_same_holders(dicts, own)
    rare = own.holders(SYMBOL_SETS[0])
    assert list(rare.parts) == [1, 3, 4] and list(rare.distinct) == [0, 1, 0]
    assert_same_scan(dicts, own)
    # Nd's nominal 0.5 (and min 0.25) declare it, Dy's (-0.0, 0.0, 0) neither declares nor
    # holds it; part 3's Dy does both
    parts, helds, rare_content, _ = own.scan_own(SYMBOL_SETS[0], SYMBOL_SETS[1])
    nd_, dy_ = SYMBOL_INDEX["Nd"], SYMBOL_INDEX["Dy"]
    assert list(parts) == [1, 3, 4] and helds == [frozenset({nd_}), frozenset({dy_}), frozenset({nd_})] and helds[0] is helds[2]
    assert rare_content == {1, 3, 4}


def test_the_scan_counts_what_the_loop_counts():
    """NaN, negative numbers (dirty data) and -0.0 as the loop's tests take them: a max that
    is NaN or negative holds, a NaN nominal is open content, -0.0 holds nothing."""
    nan = float("nan")
    nd, dy = (SYMBOL_INDEX[s] * N_ORIGINS for s in ("Nd", "Dy"))
    undeclared, unresolved = (SYMBOL_INDEX[s] * N_ORIGINS for s in (UNDECLARED, UNRESOLVED))
    dicts = [
        {nd: (0.0, 0.0, nan)},
        {dy: (-1.0, -1.0, -1.0)},
        {nd: (-0.0, -0.0, -0.0), undeclared: (0.0, -0.0, 1.0)},
        {unresolved: (0.0, nan, nan)},
        {dy: (nan, 1.0, 2.0), undeclared: (0.0, -2.0, 0.0)},
    ]
    own = own_content(dicts)
    assert_same_scan(dicts, own)
    parts, helds, rare_content, open_content = own.scan_own(SYMBOL_SETS[0], SYMBOL_SETS[1])
    assert list(parts) == [4] and helds == [frozenset({SYMBOL_INDEX["Dy"]})]
    assert rare_content == {0, 1, 4} and open_content == {3, 4}


def test_the_scan_comparison_can_fail():
    nd, dy = (SYMBOL_INDEX[s] * N_ORIGINS for s in ("Nd", "Dy"))
    undeclared = SYMBOL_INDEX[UNDECLARED] * N_ORIGINS
    dicts = [{nd: (0, 0.5, 1.0), dy: (1.0, 2.0, 3.0)}, {nd: (0.0, 0.0, 1.0), undeclared: (0.0, 0.0, 1.0)}]
    own = own_content(dicts)
    changes = [
        [{nd: (0, 0.5, 1.0)}, dicts[1]],  # another set
        [dicts[0], {nd: (0.0, 0.1, 1.0), undeclared: (0.0, 0.0, 1.0)}],  # another declaring part
        [dicts[0], {nd: (0.0, 0.0, 0.0), undeclared: (0.0, 0.0, 1.0)}],  # a part no longer holding
        [dicts[0], {nd: (0.0, 0.0, 1.0), undeclared: (0.0, 1.0, 1.0)}],  # open content
    ]
    for changed in changes:
        with pytest.raises(AssertionError):
            assert_same_scan(changed, own)


def test_the_holders_comparison_can_fail():
    nd, dy = (SYMBOL_INDEX[s] * N_ORIGINS for s in ("Nd", "Dy"))
    dicts = [{nd: (0, 0.5, 1.0), dy: (1.0, 2.0, 3.0)}, {nd: (1.0, 1.0, 1.0)}]
    own = own_content(dicts)
    for changed in ([{nd: (0.0, 0.5, 1.0), dy: (1.0, 2.0, 3.0)}, dicts[1]], [{dy: (1.0, 2.0, 3.0), nd: (0, 0.5, 1.0)}, dicts[1]], [dicts[0], {nd + 1: (1.0, 1.0, 1.0)}]):
        with pytest.raises(AssertionError):
            assert_same_holders(changed, own)
