"""A large float compile writes its usages and own content into arrays as it goes.

``trace()`` hands ``compile_bom`` a :class:`rarebom.engine.vector.ArraySink` where the
roll-up is vectorised. Every ``ArraySink.parts`` parts, the sink reads the usage tuples
and own-content dicts compiled so far into arrays, and the compile lets them go, with the
tables it shared their numbers through. ``Compiled.uses`` and ``Compiled.own`` end as the
:class:`~rarebom.engine.vector.Usages` and :class:`~rarebom.engine.vector.OwnContent`
that a trace kept after the roll-up anyway. What they give must be what the lists gave,
number for number and type for type, in whatever chunks the compile was cut, and the
whole trace must answer as before, down to the JSON report.
"""

from __future__ import annotations

import datetime as dt
import importlib

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rarebom
from rarebom import chemistry
from rarebom.engine import OriginPolicy
from rarebom.engine.rollup import compile_bom
from rarebom.model import Amount, Bom, Part, Usage
from rarebom.testing import boms
from rarebom.units import Kind

from .test_trace_memory import assert_same_own
from .test_usages_arrays import assert_same_uses, bits

np = pytest.importorskip("numpy")
vector = pytest.importorskip("rarebom.engine.vector")
trace_module = importlib.import_module("rarebom.engine.trace")

RATES = {"EUR": "1.08", "CNY": "0.14", "JPY": "0.0067"}


class Recording(vector.ArraySink):
    """An :class:`ArraySink` of ``parts`` parts a chunk that notes how many usage tuples
    and own dicts the compile held at each flush."""

    def __init__(self, parts: int):
        super().__init__()
        self.parts = parts
        self.held: list[tuple[int, int]] = []

    def flush(self, compiled):
        self.held.append((len(compiled.uses), len(compiled.own)))
        return super().flush(compiled)


def compile_both(bom: rarebom.Bom, parts: int, **options):
    """``bom`` compiled into lists and through a :class:`Recording` sink of ``parts``."""
    t = rarebom.trace(bom, **options)
    o = t.options
    kwargs = dict(policy=o.policy, currency=t.currency, rates=o.rates, typical=o.typical_compositions, exact=False, limits=o.limits)
    sink = Recording(parts)
    return compile_bom(bom, **kwargs), compile_bom(bom, sink=sink, **kwargs), sink


def triples(seq) -> list:
    return [None if t is None else [bits(x) for x in t] for t in seq]


def assert_same_compile(lists, arrays) -> None:
    """``arrays`` (compiled through a sink) holds what ``lists`` holds."""
    assert isinstance(arrays.uses, vector.Usages) and isinstance(arrays.own, vector.OwnContent)
    assert_same_uses(lists.uses, arrays.uses, lists.index)
    assert_same_own(lists.own, arrays.own)
    assert arrays.ids == lists.ids and arrays.level == lists.level
    for name in ("declared_mass", "own_material_mass", "own_shares", "own_absolute", "own_value"):
        assert triples(getattr(arrays, name)) == triples(getattr(lists, name)), name
    assert arrays.origin == lists.origin and arrays.resolved == lists.resolved
    assert arrays.findings == lists.findings and arrays.conflicts == lists.conflicts
    for name in ("mass_basis_uom", "has_own_value", "materials_absolute"):
        assert getattr(arrays, name) == getattr(lists, name), name


# Drawing the BOMs is most of this test's time.
@settings(max_examples=60)
@given(boms(), st.integers(1, 4), st.booleans())
def test_hypothesis_boms_in_any_chunks(bom, parts, typical):
    """Drawn BOMs (alternates, ranges, unknowns, warnings) cut into chunks of 1 to 4 parts:
    some chunks have alternates and some not, some parts no usages or no content."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(vector, "MIN_LEVEL_WIDTH", 0)  # a small BOM is never too deep here
        lists, arrays, sink = compile_both(bom, parts, currency="USD", rates=RATES, typical_compositions=typical, limits=rarebom.Limits(max_multiplicity=10**300))
    assert_same_compile(lists, arrays)
    # a flush after every chunk but the last, which finish() moves (or one at the end)
    assert len(sink.held) == max(1, (len(bom) - 1) // parts)
    assert all(uses <= parts and own <= parts for uses, own in sink.held[:-1])


@pytest.mark.parametrize(("seed", "parts", "width"), [(1, 97, 8), (2, 512, 8), (4, 1 << 14, 8), (3, 97, 128)])
def test_synthetic_boms(seed, parts, width, monkeypatch):
    from benchmarks.generate import synthetic_bom

    bom = synthetic_bom(3000, seed, alternates_rate=0.05)
    monkeypatch.setattr(vector, "MIN_LEVEL_WIDTH", width)
    lists, arrays, sink = compile_both(bom, parts, rates=RATES)
    assert_same_compile(lists, arrays)
    if width * 10 > parts:
        # 97 parts of a BOM about 10 levels deep are too deep for levels 128 parts wide:
        # the sink declines them and moves the whole BOM at the end
        assert sink.held == [(parts, parts), (3000, 3000)]
    else:  # the compile never held more than a chunk of tuples and dicts
        assert sink.held[:-1] == [(parts, parts)] * (len(sink.held) - 1) and max(sink.held) <= (parts, parts)
    assert any(type(x) is int for d in lists.own for t in d.values() for x in t)  # int 0s were compared
    assert arrays.uses.first is not None  # some usages have alternates


def test_the_comparison_can_fail():
    from benchmarks.generate import synthetic_bom

    lists, arrays, _ = compile_both(synthetic_bom(400, 3), 64)
    i = next(i for i, u in enumerate(lists.uses) if u)
    changed = attrs.evolve(lists, uses=[*lists.uses[:i], (), *lists.uses[i + 1 :]])
    with pytest.raises(AssertionError):
        assert_same_compile(changed, arrays)
    k = next(k for k, d in enumerate(lists.own) if d)
    changed = attrs.evolve(lists, own=[*lists.own[:k], {}, *lists.own[k + 1 :]])
    with pytest.raises(AssertionError):
        assert_same_compile(changed, arrays)


def test_a_deep_bom_keeps_its_lists():
    """A chain is rolled up by the loop, which reads a part at a time: its compile keeps the
    lists, and the sink moves nothing."""
    one = Amount.parse("1", "each", Kind.COUNT)
    chain = Bom(parts=[Part(id=f"P{k}", mass=Amount.parse("1", "g", Kind.MASS), uses=[Usage(child=f"P{k + 1}", quantity=one)] if k < 2999 else []) for k in range(3000)])
    t = rarebom.trace(chain)
    assert type(t._compiled.uses) is list and type(t._compiled.own) is list
    assert t["P0"].mass.nominal == 1


def test_a_bom_deep_after_its_first_chunks_is_rolled_up_alike(monkeypatch):
    """Chunks already in arrays stay there when the parts after them make the BOM too deep
    for the arrays: the loop then reads the arrays, with the results of a compile into lists."""
    from benchmarks.generate import synthetic_bom

    bom = synthetic_bom(600, 5)
    top = next(iter(bom.finished_goods)).id
    one = Amount.parse("1", "each", Kind.COUNT)
    links = [Part(id=f"L{k}", uses=[Usage(child=f"L{k + 1}" if k < 299 else top, quantity=one)]) for k in range(300)]
    bom = attrs.evolve(bom, parts=(*bom.parts, *links))
    monkeypatch.setattr(vector, "MIN_LEVEL_WIDTH", 2)
    monkeypatch.setattr(trace_module, "VECTOR_MIN_PARTS", 100)
    monkeypatch.setattr(vector.ArraySink, "parts", 128)
    arrays = rarebom.trace(bom, rates=RATES)
    assert isinstance(arrays._compiled.uses, vector.Usages)
    assert not isinstance(arrays._rolled.vector, vector._Vectors)  # the loop rolled it up
    monkeypatch.setattr(trace_module, "_sink", lambda exact, parts: None)
    lists = rarebom.trace(bom, rates=RATES)
    assert type(lists._compiled.uses) is list
    for pid in (top, "L0", "L150", *lists._compiled.ids[::37]):
        assert arrays[pid] == lists[pid]
        assert arrays.derivation(pid) == lists.derivation(pid)


def test_trace_answers_the_same_in_small_chunks(monkeypatch):
    """A trace compiled through a sink of 300 parts a chunk answers as one compiled into
    lists: results, coverage, contributors, derivations and the whole report."""
    from benchmarks.generate import synthetic_bom
    from rarebom.report import Input, render_json, report_data
    from rarebom.rules import evaluate

    bom = synthetic_bom(trace_module.VECTOR_MIN_PARTS + 500, 6, alternates_rate=0.05)

    def report(t):
        return render_json(report_data([Input("synthetic", "rarebom-xml", evaluate(t, as_of="2026-11-22"), ())], generated=dt.datetime(2026, 11, 22, tzinfo=dt.UTC)))

    monkeypatch.setattr(vector.ArraySink, "parts", 300)
    arrays = rarebom.trace(bom, policy=OriginPolicy(inherit=True))
    assert isinstance(arrays._compiled.own, vector.OwnContent)
    monkeypatch.setattr(trace_module, "_sink", lambda exact, parts: None)
    lists = rarebom.trace(bom, policy=OriginPolicy(inherit=True))
    rare = list(chemistry.RARE_EARTHS)
    ids = lists._compiled.ids
    for pid in [*arrays.finished_goods, *ids[:: len(ids) // 40]]:
        assert arrays[pid] == lists[pid]
        assert arrays.coverage(pid) == lists.coverage(pid)
        assert arrays.contributors(pid, rare) == lists.contributors(pid, rare)
        assert arrays.derivation(pid) == lists.derivation(pid)
    assert report(arrays) == report(lists)


def test_parts_that_share_a_dict_share_a_range_and_roll_up_alike(monkeypatch):
    """Parts with the same materials and declared mass share one compiled dict; through the
    sink their entries are stored once per chunk, and the roll-up reads each part's own."""
    from benchmarks.generate import synthetic_bom

    bom = synthetic_bom(trace_module.VECTOR_MIN_PARTS, 7)
    leaf = next(p for p in bom.parts if p.materials and not p.uses and p.mass is not None)
    copies = [attrs.evolve(leaf, id=f"copy-{k}") for k in range(60)]
    top = Part(id="top", uses=[Usage(child=c.id, quantity=Amount.parse(str(k + 1), "each", Kind.COUNT)) for k, c in enumerate(copies)])
    bom = attrs.evolve(bom, parts=(*bom.parts, *copies, top))
    monkeypatch.setattr(vector.ArraySink, "parts", 512)
    arrays = rarebom.trace(bom, rates=RATES)
    own = arrays._compiled.own
    assert isinstance(own, vector.OwnContent) and isinstance(arrays._rolled.vector, vector._Vectors)
    index = arrays._compiled.index
    starts = {int(own.starts[index[c.id]]) for c in copies}
    assert len(starts) < len(copies)  # shared ranges
    monkeypatch.setattr(trace_module, "_sink", lambda exact, parts: None)
    lists = rarebom.trace(bom, rates=RATES)
    assert_same_own(lists._compiled.own, own)
    for pid in ("top", *(c.id for c in copies), *lists._compiled.ids[::23]):
        assert arrays[pid] == lists[pid], pid


def test_joined_pieces_are_the_whole():
    """Usages and own content read a chunk at a time and joined are those read at once."""
    from benchmarks.generate import synthetic_bom

    compiled = compile_both(synthetic_bom(500, 2, alternates_rate=0.1), 10**6)[0]
    uses, own = list(compiled.uses), compiled.own
    k = next(k for k in range(60, len(uses)) if len(uses[k]) == 1 and len(uses[k][0]) == 1)
    uses[k] = ((uses[k][0][0][:1] + (1, 2, 3),),)  # int multipliers in one piece only
    whole = vector.Usages.of(uses)
    assert whole.ints is not None and whole.first is not None
    cuts = [0, 1, 1, 50, 51, 300, len(uses)]
    pieces = [vector.Usages.of(uses[a:b]) for a, b in zip(cuts, cuts[1:], strict=False)]
    assert any(p.ints is None for p in pieces) and any(p.first is None for p in pieces[:3])
    joined = vector.Usages.joined(pieces)
    for name in ("starts", "first", "child", "q", "ints"):
        assert np.array_equal(getattr(joined, name), getattr(whole, name)), name
        assert getattr(joined, name).dtype == getattr(whole, name).dtype, name
    whole_own = vector.OwnContent.of(own, *vector._entries(own))
    joined_own = vector.OwnContent.joined([vector.OwnContent.of(own[a:b], *vector._entries(own[a:b])) for a, b in zip(cuts, cuts[1:], strict=False)])
    assert [*joined_own] == [*whole_own] and len(joined_own) == len(own)
    counts, entries = joined_own.by_part()
    assert counts.tolist() == [len(d) for d in own]
    assert joined_own.cols[entries].tolist() == [c for d in own for c in d]
