"""The vectorised roll-up (rarebom.engine.vector) gives exactly what the loop (rollup()) gives.

Every field of every part is compared: the vectors column by column, mass, contents, value,
contents value, origin, basis and gap. "Equal" is strict: the same floats bit for bit
(NaN to NaN), and the same Python types, since the loop's int 0 becomes an exact
Fraction(0) in results while a float 0.0 does not.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rarebom
from rarebom.engine import Alternates, OriginPolicy
from rarebom.engine.rollup import Rolled, rollup
from rarebom.testing import boms

np = pytest.importorskip("numpy")
vector = pytest.importorskip("rarebom.engine.vector")

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((REPO / "examples").glob("*.xml")) + sorted((REPO / "examples").glob("*.json"))
IMPORTS = sorted(p for p in (REPO / "tests" / "data" / "import").rglob("*") if p.is_file())
RATES = {"EUR": "1.08", "CNY": "0.14", "JPY": "0.0067"}
FIELDS = ("mass", "contents_mass", "value", "contents_value", "gap")


def same_number(a, b) -> bool:
    if type(a) is not type(b):
        return False
    return a == b or (a != a and b != b)


def same_triple(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return len(a) == len(b) == 3 and all(same_number(x, y) for x, y in zip(a, b, strict=True))


def assert_same(loop: Rolled, arrays: Rolled, ids: list[str]) -> None:
    """Every field of every part, strictly equal."""
    for name in (*FIELDS, "vector", "origin", "basis"):
        assert len(getattr(arrays, name)) == len(ids), name
    for name in FIELDS:  # iterating converts a whole field at once: the same numbers, the same types
        for pid, want, got in zip(ids, getattr(loop, name), list(getattr(arrays, name)), strict=True):
            assert same_triple(want, got), (pid, name, "iterated", want, got)
    for i, pid in enumerate(ids):
        for name in FIELDS:
            want, got = getattr(loop, name)[i], getattr(arrays, name)[i]
            assert same_triple(want, got), (pid, name, want, got)
        assert loop.origin[i] == arrays.origin[i], (pid, "origin")
        assert loop.basis[i] == arrays.basis[i], (pid, "basis")
        want, got = loop.vector[i], arrays.vector[i]
        assert want.keys() == got.keys(), (pid, "columns", sorted(want), sorted(got))
        for col in want:
            assert same_triple(want[col], got[col]), (pid, col, want[col], got[col])


def compare(bom: rarebom.Bom, **options) -> None:
    """Trace ``bom`` both ways for each alternates mode and origin inheritance."""
    for inherit in (True, False):
        t = rarebom.trace(bom, policy=OriginPolicy(inherit=inherit), **options)
        compiled = t._compiled
        for alternates in Alternates:
            loop = rollup(compiled, alternates=alternates, inherit=inherit)
            arrays = vector.rollup_arrays(compiled, alternates=alternates, inherit=inherit, min_level_width=0)
            assert isinstance(arrays.vector, vector._Vectors)  # the array path ran, not the loop
            assert_same(loop, arrays, compiled.ids)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
@pytest.mark.parametrize("typical", [False, True])
def test_examples(path, typical):
    compare(rarebom.load(path).bom, currency="USD", rates=RATES, typical_compositions=typical)


def _loadable(path: Path):
    try:
        bom = rarebom.load(path).bom
        rarebom.trace(bom)
    except (rarebom.RarebomError, ValueError):
        return None
    return bom


@pytest.mark.parametrize("path", IMPORTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_import_fixtures(path):
    bom = _loadable(path)
    if bom is None:
        pytest.skip("does not load or trace (a fixture for errors)")
    compare(bom, typical_compositions=True)


def test_every_kind_of_fixture_loads():
    """The skips above are the error fixtures only: most fixtures are compared."""
    assert sum(_loadable(p) is not None for p in IMPORTS) >= 15


@pytest.mark.parametrize("seed", [1, 2])
def test_synthetic_bom(seed):
    from benchmarks.generate import synthetic_bom

    compare(synthetic_bom(1000, seed), rates=RATES)


# Drawing the BOMs is most of this test's time: 40 examples under every profile.
@settings(max_examples=40)
@given(boms(), st.booleans())
def test_hypothesis_boms(bom, typical):
    compare(bom, currency="USD", rates=RATES, typical_compositions=typical, limits=rarebom.Limits(max_multiplicity=10**300))


def test_the_comparison_can_fail():
    """A changed column, a float 0.0 for the loop's int 0, or a missing column is caught."""
    from benchmarks.generate import synthetic_bom

    t = rarebom.trace(synthetic_bom(200, 3))
    compiled = t._compiled
    loop = rollup(compiled, alternates=Alternates.SELECTED, inherit=True)
    arrays = vector.rollup_arrays(compiled, alternates=Alternates.SELECTED, inherit=True, min_level_width=0)
    assert_same(loop, arrays, compiled.ids)
    i = next(i for i, v in enumerate(loop.vector) if any(type(t[0]) is int for t in v.values()))
    col = next(c for c, t in loop.vector[i].items() if type(t[0]) is int)
    changed = Rolled(**{name: list(getattr(loop, name)) for name in ("vector", *FIELDS, "origin", "basis")})
    changed.vector[i] = {**loop.vector[i], col: [0.0, *loop.vector[i][col][1:]]}
    with pytest.raises(AssertionError):
        assert_same(changed, arrays, compiled.ids)
    changed.vector[i] = {c: t for c, t in loop.vector[i].items() if c != col}
    with pytest.raises(AssertionError):
        assert_same(changed, arrays, compiled.ids)
    changed.vector[i] = loop.vector[i]
    changed.mass[i] = (loop.mass[i][0], loop.mass[i][1] * (1 + 1e-15), loop.mass[i][2])
    with pytest.raises(AssertionError):
        assert_same(changed, arrays, compiled.ids)


def test_a_deep_chain_uses_the_loop_unless_forced_and_both_agree():
    """A 300-level chain: by default the loop (levels of one part each), forced: the arrays."""
    from rarebom import Amount, Bom, Kind, Material, Part, Substance, Usage

    nd = Substance(element="Nd", amount=Amount.parse("30", "%", Kind.FRACTION))
    leaf = Part(id="p0", mass=Amount.parse("2", "g", Kind.MASS), materials=(Material(name="NdFeB", amount=Amount.parse("100", "%", Kind.FRACTION), substances=(nd,)),))
    chain = [Part(id=f"p{k}", uses=(Usage(child=f"p{k - 1}", quantity=Amount.parse("2", "", Kind.COUNT)),)) for k in range(1, 300)]
    compiled = rarebom.trace(Bom(parts=(*reversed(chain), leaf)), limits=rarebom.Limits(max_multiplicity=10**300))._compiled
    loop = rollup(compiled, alternates=Alternates.SELECTED, inherit=True)
    by_default = vector.rollup_arrays(compiled, alternates=Alternates.SELECTED, inherit=True)
    assert isinstance(by_default.vector, list)
    forced = vector.rollup_arrays(compiled, alternates=Alternates.SELECTED, inherit=True, min_level_width=0)
    assert isinstance(forced.vector, vector._Vectors)
    assert_same(loop, forced, compiled.ids)
    nd_unknown = vector.SYMBOL_INDEX["Nd"] * vector.N_ORIGINS + vector.UNKNOWN
    assert math.isclose(forced.vector[compiled.index["p299"]][nd_unknown][1], 0.6 * 2**299)


def test_trace_rolls_a_large_float_bom_up_with_arrays_and_reports_the_same(monkeypatch):
    """trace() takes the array path from VECTOR_MIN_PARTS parts on (float traces only), and
    the whole report (every verdict, element, coverage and contributor) is the same."""
    import importlib

    from benchmarks.generate import synthetic_bom

    trace_module = importlib.import_module("rarebom.engine.trace")
    from rarebom.report import Input, render_json, report_data
    from rarebom.rules import evaluate

    bom = synthetic_bom(trace_module.VECTOR_MIN_PARTS + 500, 4)

    def report(t):
        return render_json(report_data([Input("synthetic", "rarebom-xml", evaluate(t, as_of="2026-11-22"), ())], generated=dt.datetime(2026, 11, 22, tzinfo=dt.UTC)))

    arrays = rarebom.trace(bom)
    assert isinstance(arrays._rolled.vector, vector._Vectors)
    monkeypatch.setattr(trace_module, "VECTOR_MIN_PARTS", 0)
    assert not isinstance(rarebom.trace(synthetic_bom(100, 4), exact=True)._rolled.vector, vector._Vectors)
    monkeypatch.setattr(trace_module, "VECTOR_MIN_PARTS", 10**9)
    loop = rarebom.trace(bom)
    assert isinstance(loop._rolled.vector, list)
    assert_same(loop._rolled, arrays._rolled, loop._compiled.ids)
    assert [arrays[p] for p in arrays.finished_goods] == [loop[p] for p in loop.finished_goods]
    assert report(arrays) == report(loop)


def test_without_numpy_trace_falls_back_to_the_loop(monkeypatch):
    import importlib
    import sys

    from benchmarks.generate import synthetic_bom

    trace_module = importlib.import_module("rarebom.engine.trace")
    monkeypatch.setattr(trace_module, "VECTOR_MIN_PARTS", 0)
    bom = synthetic_bom(1000, 5)  # wide enough for the arrays (see MIN_LEVEL_WIDTH)
    assert isinstance(rarebom.trace(bom)._rolled.vector, vector._Vectors)
    monkeypatch.setitem(sys.modules, "rarebom.engine.vector", None)  # as if numpy could not be imported
    assert isinstance(rarebom.trace(bom)._rolled.vector, list)


def _levels(compiled) -> list[int]:
    """Each part's level by its definition: 0 without usages, else 1 + the highest candidate's."""
    memo: dict[int, int] = {}

    def level(i: int) -> int:
        if i not in memo:
            memo[i] = max((level(c[0]) + 1 for candidates in compiled.uses[i] for c in candidates), default=0)
        return memo[i]

    return [level(i) for i in range(len(compiled.ids))]


@settings(max_examples=25)
@given(boms(), st.booleans())
def test_compile_records_each_parts_level(bom, exact):
    """compile_bom's levels (which the arrays roll up by) follow the definition, alternates included."""
    compiled = rarebom.trace(bom, exact=exact, limits=rarebom.Limits(max_multiplicity=10**300))._compiled
    assert compiled.level == _levels(compiled)


def test_compile_records_levels_of_a_synthetic_bom():
    from benchmarks.generate import synthetic_bom

    compiled = rarebom.trace(synthetic_bom(1000, 2, alternates_rate=0.2))._compiled
    assert compiled.level == _levels(compiled)
    assert max(compiled.level) >= 3


def test_numbers_flags_exactly_the_ints():
    """Only whole numbers are looked at, and every int is one: 0, 1, a big int, not 0.0, -0.0, 1.0, inf or NaN."""
    flat = [0, 0.0, -0.0, 1, 1.0, 2.5, math.inf, -math.inf, math.nan, 10**20, 3, 1e300]
    values, ints = vector._numbers(flat, (len(flat),))
    assert ints.tolist() == [type(x) is int for x in flat]
    assert values[9] == 1e20 and values[10] == 3.0 and math.isnan(values[8])


def test_a_store_that_grows_keeps_every_vector(monkeypatch):
    """The vector store starts small and doubles: the result is the same as the loop's."""
    from benchmarks.generate import synthetic_bom

    monkeypatch.setattr(vector, "STORE_PER_PART", 0)  # 1,024 entries at first, about 7,000 needed
    compiled = rarebom.trace(synthetic_bom(1000, 6, alternates_rate=0.2))._compiled
    for alternates in Alternates:
        loop = rollup(compiled, alternates=alternates, inherit=True)
        arrays = vector.rollup_arrays(compiled, alternates=alternates, inherit=True, min_level_width=0)
        assert arrays.vector.store.size > 1024
        assert_same(loop, arrays, compiled.ids)


def test_a_finished_store_gives_its_spare_capacity_back_in_place():
    """The store is trimmed in place, not copied (a copy held it twice at the roll-up's
    end): the same arrays and buffers, exactly as long as it is used, with every entry
    kept; and the trace's vectors are the loop's."""
    from benchmarks.generate import synthetic_bom

    store = vector._Store(64)
    arrays = (store.col, *store.val, store.flags)
    buffers = [x.__array_interface__["data"][0] for x in arrays]

    def flags(k):  # each bound's own int flags for the three entries of append k
        return [np.array([True, False, k % 2 == 0]), np.array([False, k % 3 == 0, True]), np.array([k % 2 == 1, True, False])]

    for k in range(5):
        store.append(np.arange(k, k + 3, dtype=np.int32), [np.full(3, k + d / 10) for d in range(3)], flags(k))
    store.trim()
    assert (store.col, *store.val, store.flags) == arrays  # the same objects
    assert [x.__array_interface__["data"][0] for x in arrays] == buffers  # shrunk where they were
    assert all(len(x) == store.size == 15 for x in arrays)
    assert store.col.tolist() == [k + j for k in range(5) for j in range(3)]
    assert store.val[2].tolist() == [k + 0.2 for k in range(5) for _ in range(3)]
    for d in range(3):
        assert store.ints(d, slice(None)).tolist() == [bool(x) for k in range(5) for x in flags(k)[d]]
        assert store.ints(d, np.array([4, 0])).tolist() == [bool(flags(1)[d][1]), bool(flags(0)[d][0])]
    # 27 bytes an entry: a 2-byte column, three floats, the three int flags in one byte
    assert sum(x.nbytes for x in arrays) == 27 * store.size and store.col.dtype == np.int16
    compiled = rarebom.trace(synthetic_bom(1000, 6, alternates_rate=0.2))._compiled
    loop = rollup(compiled, alternates=Alternates.WORST, inherit=True)
    rolled = vector.rollup_arrays(compiled, alternates=Alternates.WORST, inherit=True, min_level_width=0)
    assert len(rolled.vector.store.col) == rolled.vector.store.size  # trimmed
    assert_same(loop, rolled, compiled.ids)


def test_the_roll_up_holds_4_byte_positions_and_reads_the_multipliers_in_place():
    """While it runs, the roll-up holds its inputs: positions as int32, origin classes as
    int8, and no copy of the multipliers (each block reads its edges' rows of usages.q).
    The worst case's envelopes overwrite the multipliers of their block's own copy only:
    usages.q is as compiled afterwards, and the results are the loop's."""
    from benchmarks.generate import synthetic_bom

    compiled = rarebom.trace(synthetic_bom(1000, 6, alternates_rate=0.2))._compiled
    arrays = vector.ArrayBom.build(compiled)
    for name in ("pos", "order", "e_pos", "e_child", "q_rows", "n_uses", "o_pos", "o_col"):
        assert getattr(arrays, name).dtype == np.int32, name
    assert arrays.origin.dtype == np.int8
    assert arrays.q_source is arrays.usages.q
    held = [x for x in vars(arrays).values() for x in (x if isinstance(x, list) else [x]) if isinstance(x, np.ndarray) and x.dtype == np.float64]
    assert len(arrays.o_pos) != len(arrays.e_pos) != arrays.n  # so only a copy of the multipliers would be as long as the edges
    assert [x for x in held if len(x) == len(arrays.e_pos) and x is not arrays.q_source] == []
    before = arrays.usages.q.copy()
    assert len(arrays.alternates) > 0
    rolled = arrays.roll(alternates=Alternates.WORST, inherit=True)
    assert np.array_equal(arrays.usages.q, before)
    assert_same(rollup(compiled, alternates=Alternates.WORST, inherit=True), rolled, compiled.ids)


def test_an_alternate_deeper_than_its_child_raises_the_level():
    """A usage's alternate counts for the level: here it is two levels deeper than the child it may replace."""
    from rarebom import Amount, Bom, Kind, Material, Part, Substance, Usage

    nd = Substance(element="Nd", amount=Amount.parse("30", "%", Kind.FRACTION))
    magnet = Material(name="NdFeB", amount=Amount.parse("100", "%", Kind.FRACTION), substances=(nd,))
    one = Amount.parse("1", "", Kind.COUNT)
    parts = (
        Part(id="top", uses=(Usage(child="plain", quantity=one, alternates=("deep",)),)),
        Part(id="plain", mass=Amount.parse("1", "g", Kind.MASS), materials=(magnet,)),
        Part(id="deep", uses=(Usage(child="middle", quantity=one),)),
        Part(id="middle", uses=(Usage(child="leaf", quantity=one),)),
        Part(id="leaf", mass=Amount.parse("2", "g", Kind.MASS), materials=(magnet,)),
    )
    compiled = rarebom.trace(Bom(parts=parts))._compiled
    level = dict(zip(compiled.ids, compiled.level, strict=True))
    assert level == {"leaf": 0, "plain": 0, "middle": 1, "deep": 2, "top": 3}
    for alternates in Alternates:
        loop = rollup(compiled, alternates=alternates, inherit=True)
        assert_same(loop, vector.rollup_arrays(compiled, alternates=alternates, inherit=True, min_level_width=0), compiled.ids)
