"""trace() keeps the usages in arrays (rarebom.engine.vector.Usages), not tuples.

After the vectorised roll-up has read the compiled usages into arrays, ``trace()``
replaces ``Compiled.uses`` (a tuple per part of its usages, each a tuple of candidates
``(child, mult min, nominal, max)``) with a read-only sequence over those arrays, and the
walks' :class:`~rarebom.engine.explain.Graph` makes its lists from the arrays: the
selected candidates as a part's tuple when it is read. Everything read from them must be
what the tuples gave: the same children in the same order, the same numbers bit for bit
and of the same types, and the same answers to every question the rules, explanations and
report ask, down to the JSON report.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rarebom
from rarebom import chemistry
from rarebom.engine import OriginPolicy
from rarebom.engine.explain import Graph
from rarebom.testing import boms

from .test_trace_memory import compacted

np = pytest.importorskip("numpy")
vector = pytest.importorskip("rarebom.engine.vector")
vector_contributors = pytest.importorskip("rarebom.engine.vector_contributors")
trace_module = importlib.import_module("rarebom.engine.trace")

RATES = {"EUR": "1.08", "CNY": "0.14", "JPY": "0.0067"}


def bits(x) -> tuple:
    """A number by type and value, NaN and the sign of zero included."""
    if x != x:
        return (type(x), "nan")
    return (type(x), x, math.copysign(1, x) if type(x) is float else 0)


def strict(uses) -> list:
    """A part's usages as comparable values: every number by :func:`bits`."""
    return [[tuple(bits(x) for x in candidate) for candidate in candidates] for candidates in uses]


def assert_same_uses(tuples: list[tuple], usages, index: dict[str, int] | None = None) -> None:
    """``usages`` gives every part's usages strictly equal to ``tuples``, by index (negative
    ones too), by slice and iterated; each usage's candidates and each part's selected ones
    as the tuples hold them; and a :class:`Graph` made from it has the lists of one made
    from the tuples."""
    n = len(tuples)
    assert len(usages) == n
    for i, want in enumerate(tuples):
        got = usages[i]
        assert type(got) is tuple and all(type(c) is tuple for c in got), i
        assert strict(got) == strict(want), i
    assert [strict(u) for u in usages] == [strict(u) for u in tuples]
    assert strict(usages[-1]) == strict(tuples[-1])
    assert [strict(u) for u in usages[1:4]] == [strict(u) for u in tuples[1:4]]
    with pytest.raises(IndexError):
        usages[n]
    flat = [c for u in tuples for c in u]
    assert [strict([usages.candidates(u)]) for u in range(len(flat))] == [strict([c]) for c in flat]
    selected = usages.selected_view()
    assert len(selected) == n
    for i, want in enumerate(tuples):
        assert [tuple(bits(x) for x in t) for t in selected[i]] == [tuple(bits(x) for x in c[0]) for c in want], i
    if index is None:
        return
    from_tuples = Graph.__new__(Graph)
    from_tuples._alternates = False
    from_tuples._from_tuples(tuples)
    numbers = sorted(index.values())
    children = usages.children(numbers)
    assert children == from_tuples.children
    # the tuples hold the compiled index's own ints, not an int object per usage
    assert all(j is numbers[j] for kids in children for j in kids)
    every = usages.every(numbers, children)
    assert (every is not None) == from_tuples._alternates
    assert (every or children) == from_tuples.every
    assert all(j is numbers[j] for kids in every or () for j in kids)


def compact(bom: rarebom.Bom, **options):
    """``bom`` compiled, its usages as tuples, and the compiled BOM after a compacting roll-up."""
    _, tuples, compiled = compacted(bom, **options)
    return tuples, compiled


# Drawing the BOMs is most of this test's time.
@settings(max_examples=40)
@given(boms())
def test_hypothesis_boms(bom):
    tuples, compiled = compact(bom, currency="USD", rates=RATES, limits=rarebom.Limits(max_multiplicity=10**300))
    assert_same_uses(tuples, compiled.uses, compiled.index)


@pytest.mark.parametrize("seed", [1, 2])
def test_synthetic_boms(seed):
    from benchmarks.generate import synthetic_bom

    tuples, compiled = compact(synthetic_bom(600, seed, alternates_rate=0.05), rates=RATES)
    assert_same_uses(tuples, compiled.uses, compiled.index)
    assert compiled.uses.first is not None and len(compiled.uses.with_alternates())  # alternates were compared
    assert sum(1 for u in tuples if not u) > 10


def test_a_bom_without_alternates_stores_no_candidate_starts():
    from benchmarks.generate import synthetic_bom

    tuples, compiled = compact(synthetic_bom(400, 5, alternates_rate=0))
    assert compiled.uses.first is None and compiled.uses.every(sorted(compiled.index.values()), []) is None
    assert_same_uses(tuples, compiled.uses, compiled.index)


@pytest.mark.parametrize("alternates", [False, True])
def test_numbers_keep_their_type_and_sign(alternates):
    """A float trace compiles every multiplier as a float, but the arrays keep whatever they
    are given: ints, NaN, infinities and -0.0 come back as they went in."""
    q = [(2, 1.0, 2**60), (float("nan"), -0.0, float("inf")), (0.5, 3, 7.25), (1.0, 1.0, 1.0)]
    second = ((1, *q[1]), (0, *q[2])) if alternates else ((1, *q[1]),)
    tuples = [(), (((0, *q[0]),),), (second,), (((2, *q[3]),), ((0, *q[0]),))]
    usages = vector.Usages.of(tuples)
    assert usages.ints is not None and (usages.first is not None) == alternates
    assert_same_uses(tuples, usages, {str(k): k for k in range(3)})
    assert vector.Usages.of(usages) is usages
    assert not usages.faithful()  # 2**60 came back, but 2**53 + 1 would not
    assert vector.Usages.of([(((0, 2, 1.0, 2**53 - 1),),)]).faithful()
    assert not vector.Usages.of([(((0, 2, 1.0, 2**53 + 1),),)]).faithful()
    assert vector.Usages.of([(((0, 2.0, 1.0, 2.0**60),),)]).faithful()  # floats are what they are


def test_the_comparison_can_fail():
    from benchmarks.generate import synthetic_bom

    tuples, compiled = compact(synthetic_bom(200, 3, alternates_rate=0.1))
    i = next(i for i, u in enumerate(tuples) if u)
    j, lo, nom, hi = tuples[i][0][0]
    for changed_use in (((j, int(lo) if lo == int(lo) else lo + 1, nom, hi),), ((j, lo, nom, hi + 1),), ((j + 1, lo, nom, hi),)):
        changed = list(tuples)
        changed[i] = (changed_use + tuples[i][0][1:], *tuples[i][1:])
        with pytest.raises(AssertionError):
            assert_same_uses(changed, compiled.uses)
    k = next(k for k, u in enumerate(tuples) if any(len(c) > 1 for c in u))
    changed = list(tuples)
    changed[k] = tuple(tuple(reversed(c)) for c in tuples[k])  # the selected candidate last
    with pytest.raises(AssertionError):
        assert_same_uses(changed, compiled.uses)


def test_the_numbers_are_checked_a_chunk_at_a_time(monkeypatch):
    """vector._numbers looks at the whole numbers a chunk at a time (a list of all their
    indices was 36 MiB at 100,000 parts): the flags are those of a look at every number."""
    flat = [1.0, 2, 3.5, 0, -0.0, 4, 5.0, 2**70, float("inf"), 6, 7.0] * 7
    monkeypatch.setattr(vector, "_CHUNK", 3)
    values, ints = vector._numbers(flat, (-1, 11))
    assert ints.ravel().tolist() == [type(x) is int for x in flat]
    assert values.ravel().tolist() == [float(x) for x in flat]


def test_trace_answers_the_same_as_with_the_tuples(monkeypatch):
    """A large trace keeps the arrays; paths, multipliers, coverage, substance elements,
    contributors, derivations and the whole report are those of the trace that keeps the
    tuples, with the alternates selected and at their worst."""
    from benchmarks.generate import synthetic_bom
    from rarebom.report import Input, render_json, report_data
    from rarebom.rules import evaluate

    bom = synthetic_bom(trace_module.VECTOR_MIN_PARTS + 500, 4, alternates_rate=0.05)

    def report(t):
        return render_json(report_data([Input("synthetic", "rarebom-xml", evaluate(t, as_of="2026-11-22"), ())], generated=dt.datetime(2026, 11, 22, tzinfo=dt.UTC)))

    original, sink = vector.rollup_arrays, trace_module._sink

    def keep_tuples(compiled, **options):
        options["compact"] = False
        return original(compiled, **options)

    rare = list(chemistry.RARE_EARTHS)
    for alternates in ("selected", "worst"):
        monkeypatch.setattr(vector, "rollup_arrays", original)
        monkeypatch.setattr(trace_module, "_sink", sink)
        arrays = rarebom.trace(bom, policy=OriginPolicy(inherit=True), alternates=alternates)
        assert isinstance(arrays._compiled.uses, vector.Usages)
        monkeypatch.setattr(vector, "rollup_arrays", keep_tuples)
        monkeypatch.setattr(trace_module, "_sink", lambda exact, parts: None)  # compile into lists
        tuples = rarebom.trace(bom, policy=OriginPolicy(inherit=True), alternates=alternates)
        assert isinstance(tuples._compiled.uses, list) and isinstance(tuples._rolled.vector, vector._Vectors)
        assert_same_uses(tuples._compiled.uses, arrays._compiled.uses, arrays._compiled.index)
        assert isinstance(arrays._graph().selected, vector.Selected) and isinstance(tuples._graph().selected, list)
        edges_a, edges_t = vector_contributors._edges(arrays._graph()), vector_contributors._edges(tuples._graph())
        for name in ("cpos", "ppos", "pos"):
            assert np.array_equal(getattr(edges_a, name), getattr(edges_t, name)), name
        assert edges_a.blocks == edges_t.blocks
        # each edge reads the same multipliers and int flags
        assert np.array_equal(edges_a.values[edges_a.rows], edges_t.values[edges_t.rows], equal_nan=True)
        flags_a = np.zeros((len(edges_a.rows), 3), dtype=bool) if edges_a.ints is None else edges_a.ints[edges_a.rows]
        assert np.array_equal(flags_a, edges_t.ints[edges_t.rows])
        # positions in 4 bytes, the multipliers read in place from the trace's usages: no copy
        assert all(getattr(edges_a, name).dtype == np.int32 for name in ("cpos", "ppos", "pos", "rows"))
        assert edges_a.values is arrays._compiled.uses.q and len(edges_a.rows) == len(edges_a.cpos)
        assert arrays._lacks() == tuples._lacks()
        ids = tuples._compiled.ids
        for pid in [*arrays.finished_goods, *ids[:: len(ids) // 40]]:
            assert arrays.coverage(pid) == tuples.coverage(pid)
            assert arrays.contributors(pid, rare) == tuples.contributors(pid, rare)
            assert arrays.derivation(pid) == tuples.derivation(pid)
            assert arrays.substance_elements(pid, "Nd") == tuples.substance_elements(pid, "Nd")
            assert arrays.multipliers(pid, lambda p: p.endswith("7")) == tuples.multipliers(pid, lambda p: p.endswith("7"))
            for fg in arrays.finished_goods[:2]:
                assert arrays.path(fg, pid) == tuples.path(fg, pid)
        assert report(arrays) == report(tuples)


def test_small_narrow_and_exact_traces_keep_the_tuples():
    """Only the array roll-up compacts: the loop and exact traces keep Compiled.uses as compiled."""
    from benchmarks.generate import synthetic_bom

    assert type(rarebom.trace(synthetic_bom(100, 4))._compiled.uses) is list
    assert type(rarebom.trace(synthetic_bom(trace_module.VECTOR_MIN_PARTS + 10, 4), exact=True)._compiled.uses) is list


def test_the_arrays_are_smaller_than_the_tuples():
    """What the compaction is for: 28 bytes a candidate, 4 a part and 4 a usage (where some
    have alternates), against about 160 bytes a usage of tuples of shared numbers."""
    from benchmarks.generate import synthetic_bom

    tuples, compiled = compact(synthetic_bom(600, 1))
    usages = compiled.uses
    candidates, uses = len(usages.child), sum(map(len, tuples))
    held = sum(a.nbytes for a in (usages.starts, usages.child, usages.q))
    held += 0 if usages.first is None else usages.first.nbytes
    assert usages.ints is None  # a float trace's multipliers are floats
    assert held <= 28 * candidates + 4 * (len(tuples) + 1) + 4 * (uses + 1)
    assert usages.child.dtype == np.int32 and usages.starts.dtype == np.int32


@settings(max_examples=20)
@given(st.data())
def test_selected_and_candidates_of_drawn_tuples(data):
    """Drawn usages, with and without alternates and with numbers of every kind: the views
    give back what they were made from."""
    number = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(2**53), 2**53))
    n = data.draw(st.integers(1, 12))
    candidate = st.tuples(st.integers(0, n - 1), number, number, number)
    tuples = data.draw(st.lists(st.lists(st.lists(candidate, min_size=1, max_size=3).map(tuple), max_size=3).map(tuple), min_size=n, max_size=n))
    usages = vector.Usages.of(tuples)
    assert_same_uses(tuples, usages, {str(k): k for k in range(n)})
