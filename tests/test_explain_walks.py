"""The fast walks of the explanations and rules against the straightforward code they replaced.

``Trace.coverage``, ``contributors``, ``multipliers``, ``below``, ``path``, ``holders`` and
``derivation`` walk the compiled BOM over integer lists, share what they can between calls,
and skip what cannot matter. The reference functions here are the plain versions they
replaced (issue #8), kept as they were: on random BOMs with shared sub-assemblies and
alternates, under every alternates mode, with and without origin inheritance, in floats and
exact fractions, and with the numpy roll-up, the fast code must give exactly what they give,
down to the last bit of every float and the order of every list.
"""

from __future__ import annotations

import importlib
import math
import sys
from array import array
from fractions import Fraction

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rarebom
from rarebom import Amount, Bom, Completeness, Kind, Material, OriginClaim, Part, Stage, Substance, Usage, chemistry
from rarebom.engine import Alternates, OriginPolicy, explain
from rarebom.engine.explain import Derivation, _class_at, _passed, _t
from rarebom.engine.policy import ORIGIN_CLASSES
from rarebom.engine.results import Bounds, Contributor, Coverage, PathStep, _plus, ratio
from rarebom.engine.rollup import N_ORIGINS, SYMBOL_INDEX, SYMBOLS, UNKNOWN
from rarebom.testing import boms

from .conftest import EXAMPLES

TRACE = sys.modules["rarebom.engine.trace"]
RATES = {"EUR": "1.08", "CNY": "0.14", "JPY": "0.0067"}
SYMBOL_SETS = (chemistry.RARE_EARTHS, ("Dy", "Tb"), ("Nd",), ("Fe", "Nd", "Dy"))


# -- the reference: the walks as they were before issue #8 ----------------------------------------


def ref_reachable(compiled, root, *, alternates=False):
    seen = {root}
    stack = [root]
    while stack:
        i = stack.pop()
        for candidates in compiled.uses[i]:
            for j, *_ in candidates if alternates else candidates[:1]:
                if j not in seen:
                    seen.add(j)
                    stack.append(j)
    return sorted(seen)


def ref_multipliers(compiled, rolled, root, below, inherit):
    mult = {root: {UNKNOWN: [1, 1, 1]}}
    for i in reversed(below):
        here = mult.get(i)
        if not here:
            continue
        own = rolled.origin[i]
        for candidates in compiled.uses[i]:
            j, q_lo, q_nom, q_hi = candidates[0]
            target = mult.setdefault(j, {})
            for k, (m_lo, m_nom, m_hi) in here.items():
                passed = own if inherit and own != UNKNOWN else k
                slot = target.get(passed)
                if slot is None:
                    target[passed] = [m_lo * q_lo, m_nom * q_nom, m_hi * q_hi]
                else:
                    slot[0] += m_lo * q_lo
                    slot[1] += m_nom * q_nom
                    slot[2] += m_hi * q_hi
    return mult


def ref_path_counts(compiled, rolled, root, below, inherit):
    counts = {root: {UNKNOWN: 1}}
    for i in reversed(below):
        here = counts.get(i)
        if not here:
            continue
        for candidates in compiled.uses[i]:
            target = counts.setdefault(candidates[0][0], {})
            for k, c in here.items():
                passed = _passed(rolled, i, k, inherit)
                target[passed] = target.get(passed, 0) + c
    return counts


def ref_paths(compiled, rolled, root, target, below, limit, origin, inherit):
    leads_to = {target}
    for i in below:
        if any(c[0][0] in leads_to for c in compiled.uses[i]):
            leads_to.add(i)
    found = []
    stack = [(root, UNKNOWN, (PathStep(compiled.ids[root], 1), None))]
    while stack and len(found) < limit:
        i, inherited, link = stack.pop()
        if i == target:
            if _class_at(rolled, i, inherited) == origin:
                steps = []
                while link is not None:
                    steps.append(link[0])
                    link = link[1]
                found.append(tuple(reversed(steps)))
            continue
        passed = _passed(rolled, i, inherited, inherit)
        for candidates in reversed(compiled.uses[i]):
            j, _, q_nom, _ = candidates[0]
            if j in leads_to:
                stack.append((j, passed, (PathStep(compiled.ids[j], q_nom), link)))
    return found


def ref_contributors(t, part_id, symbols, *, limit=10, max_paths=5, origin=None):
    compiled, rolled, inherit = t._compiled, t._rolled, t.options.policy.inherit
    root = compiled.index[part_id]
    wanted = {SYMBOL_INDEX[s] for s in symbols}
    below = ref_reachable(compiled, root)
    mult = ref_multipliers(compiled, rolled, root, below, inherit)
    found = []
    for i in below:
        own = compiled.own[i]
        if not own:
            continue
        own_origin = rolled.origin[i]
        for col, (a, b, c) in own.items():
            symbol_index = col // N_ORIGINS
            if symbol_index not in wanted:
                continue
            for k, (m_lo, m_nom, m_hi) in mult.get(i, {}).items():
                cls = own_origin if own_origin != UNKNOWN else k
                klass = ORIGIN_CLASSES[cls]
                if origin is not None and klass is not origin:
                    continue
                found.append((i, SYMBOLS[symbol_index], klass, (a * m_lo, b * m_nom, c * m_hi), (m_lo, m_nom, m_hi), (a, b, c)))
    merged = {}
    for i, symbol, klass, mass, m, own_t in found:
        key = (i, symbol, klass)
        if key in merged:
            slot = merged[key]
            slot[0] = [x + y for x, y in zip(slot[0], mass, strict=True)]
            slot[1] = [x + y for x, y in zip(slot[1], m, strict=True)]
        else:
            merged[key] = [list(mass), list(m), own_t]

    def rank(item):
        (i, symbol, klass), (mass, _, _) = item
        nominal = mass[1] if mass[1] == mass[1] else -1
        return (-nominal, -mass[2], compiled.ids[i], symbol, klass.value)

    counts = ref_path_counts(compiled, rolled, root, below, inherit)
    result = []
    for (i, symbol, klass), (mass, m, own_t) in sorted(merged.items(), key=rank)[:limit]:
        cls = ORIGIN_CLASSES.index(klass)
        count = sum(c for k, c in counts.get(i, {}).items() if _class_at(rolled, i, k) == cls)
        paths = tuple(ref_paths(compiled, rolled, root, i, below, max_paths, cls, inherit))
        result.append(Contributor(compiled.ids[i], symbol, klass, Bounds.of(mass, "g"), Bounds.of(m), Bounds.of(own_t, "g"), paths, count))
    return result


def ref_coverage(t, part_id):
    compiled, rolled = t._compiled, t._rolled
    root = compiled.index[part_id]
    below = ref_reachable(compiled, root, alternates=True)
    below_set = set(below)
    result = t[part_id]
    resolved = Bounds.zero("g")
    for element in result.elements.values():
        resolved = resolved + element.total
    covered = {root: False}
    for i in reversed(below):
        flows = covered.get(i, False) or (t.options.policy.inherit and rolled.origin[i] != UNKNOWN)
        for candidates in compiled.uses[i]:
            for j, *_ in candidates:
                covered[j] = covered.get(j, True) and flows
    lacks = t._lacks()
    missing = ([], [], [], [])
    for i in below:
        for k, bit in enumerate((TRACE._LACKS_MASS, TRACE._LACKS_COMPOSITION, TRACE._LACKS_VALUE)):
            if lacks[i] & bit:
                missing[k].append(compiled.ids[i])
        if lacks[i] & TRACE._LACKS_ORIGIN and not covered.get(i, False):
            missing[3].append(compiled.ids[i])
    typical = dict.fromkeys(r.part for r in compiled.resolved if r.resolution is not None and r.resolution.typical and compiled.index[r.part] in below_set)
    return Coverage(
        part_id,
        ratio(resolved, result.mass),
        TRACE._origin_known([result.element(s) for s in chemistry.RARE_EARTHS]),
        *(tuple(m) for m in missing),
        typical_composition=tuple(typical),
    )


def ref_below(t, part_id):
    c = t._compiled
    return tuple(c.ids[i] for i in ref_reachable(c, c.index[part_id], alternates=t.options.alternates is Alternates.WORST))


def ref_path(t, root, target):
    c = t._compiled
    alternates = t.options.alternates is Alternates.WORST
    parent = {c.index[root]: (-1, 1)}
    queue = [c.index[root]]
    for i in queue:
        for candidates in c.uses[i]:
            for j, _, q_nom, _ in candidates if alternates else candidates[:1]:
                if j not in parent:
                    parent[j] = (i, q_nom)
                    queue.append(j)
    i = c.index[target]
    if i not in parent:
        return None
    steps = []
    while i != -1:
        up, q = parent[i]
        steps.append(PathStep(c.ids[i], q))
        i = up
    return tuple(reversed(steps))


def ref_part_multipliers(t, part_id, stop):
    c = t._compiled
    root = c.index[part_id]
    mult = {root: [1, 1, 1]}
    found = {}
    for i in reversed(ref_reachable(c, root)):
        m = mult.get(i)
        if m is None:
            continue
        if i != root and stop(c.ids[i]):
            found[c.ids[i]] = Bounds(m[0], m[1], m[2])
            continue
        for candidates in c.uses[i]:
            j, q_lo, q_nom, q_hi = candidates[0]
            slot = mult.setdefault(j, [0, 0, 0])
            slot[0] += m[0] * q_lo
            slot[1] += m[1] * q_nom
            slot[2] += m[2] * q_hi
    return found


def ref_uses_lines(t, part_id, show=chemistry.RARE_EARTHS):
    """The derivation's lines for the part's usages, as derive wrote them."""
    c, rolled = t._compiled, t._rolled
    lines = []
    for candidates in c.uses[c.index[part_id]]:
        j, q_lo, q_nom, q_hi = candidates[0]
        vector = rolled.vector[j] or {}
        per = []
        for symbol in sorted(set(show), key=SYMBOL_INDEX.__getitem__):
            base = SYMBOL_INDEX[symbol] * N_ORIGINS
            cols = [vector[k] for k in range(base, base + N_ORIGINS) if k in vector]
            nominal = sum(x[1] for x in cols)
            if cols and nominal == nominal and nominal:
                per.append(f"{symbol} {float(nominal):.6g} g each")
        alternates = f" (alternates: {', '.join(c.ids[x[0]] for x in candidates[1:])})" if len(candidates) > 1 else ""
        child_mass = rolled.mass[j]
        product = tuple(x * q for x, q in zip(child_mass, (q_lo, q_nom, q_hi), strict=True))
        lines.append(
            f"uses {Bounds.of((q_lo, q_nom, q_hi), '')} × {c.ids[j]!r}{alternates}: {Bounds.of(child_mass, 'g')} each -> {Bounds.of(product, 'g')}"
            + (f"; {', '.join(per)}" if per else "")
        )
    return lines


# -- comparing ------------------------------------------------------------------------------------


def same(a, b) -> bool:
    """Equal, with the same types and the same float bits (NaN equals NaN here)."""
    if isinstance(a, float) and isinstance(b, float):
        return (a != a and b != b) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (Bounds, Contributor, Coverage, PathStep)):
        return same([getattr(a, f.name) for f in type(a).__attrs_attrs__], [getattr(b, f.name) for f in type(b).__attrs_attrs__])
    return a == b


def check_trace(t: rarebom.Trace) -> None:
    """Every fast walk of ``t`` against its reference, for every part."""
    c = t._compiled
    inherit = t.options.policy.inherit
    graph = t._graph()
    n = len(c.ids)
    for i in range(n):
        assert graph.selected[i] == tuple(candidates[0] for candidates in c.uses[i])
        assert graph.every[i] == tuple(cand[0] for candidates in c.uses[i] for cand in candidates)
        # Each part's parents, once per usage, in index order: the arrays hold what a list per part held.
        assert list(graph.parents(i)) == [p for p in range(n) for j in graph.children[p] if j == i]
    for pid in c.ids:
        i = c.index[pid]
        for alternates in (False, True):
            assert list(graph.reachable(i, alternates=alternates)) == ref_reachable(c, i, alternates=alternates)
        below = ref_reachable(c, i)
        assert same(explain._multipliers(graph, t._rolled, i, below, inherit), ref_multipliers(c, t._rolled, i, below, inherit))
        assert explain._path_counts(graph, t._rolled, i, below, inherit) == ref_path_counts(c, t._rolled, i, below, inherit)
        check_one_class(t, i, below)
        assert same(t.coverage(pid), ref_coverage(t, pid)), pid
        assert t.below(pid) == ref_below(t, pid)
        for target in c.ids:
            assert same(t.path(pid, target), ref_path(t, pid, target))
        for symbols in SYMBOL_SETS:
            assert same(t.contributors(pid, symbols, limit=4, max_paths=3), ref_contributors(t, pid, symbols, limit=4, max_paths=3))
        # Every item, one, and none: the cut of the ranking at either end.
        for limit in (0, 1, 10**6):
            assert same(t.contributors(pid, chemistry.RARE_EARTHS, limit=limit, max_paths=2), ref_contributors(t, pid, chemistry.RARE_EARTHS, limit=limit, max_paths=2))
        assert same(
            t.contributors(pid, chemistry.RARE_EARTHS, origin=rarebom.OriginClass.UNKNOWN), ref_contributors(t, pid, chemistry.RARE_EARTHS, origin=rarebom.OriginClass.UNKNOWN)
        )
        # A stop set that is neither all nor nothing: every other part in file order.
        stops = set(c.ids[::2])
        assert same(t.multipliers(pid, stops.__contains__), ref_part_multipliers(t, pid, stops.__contains__))
        # No part, or only the part itself, stops: nothing is found (and nothing is walked).
        for stops in (set(), {pid}):
            assert t.multipliers(pid, stops.__contains__) == ref_part_multipliers(t, pid, stops.__contains__) == {}
        lines = [line for line in t.derivation(pid, max_uses=None).lines if line.startswith("uses ")]
        assert lines == ref_uses_lines(t, pid)
    for symbols in SYMBOL_SETS:
        expected = {pid: held for pid in c.ids if (held := t.own_elements(pid, symbols))}
        assert t.holders(symbols) == expected
        wanted = frozenset(SYMBOL_INDEX[s] for s in symbols)
        columns = [(i, [(col, g) for col, g in own.items() if col // N_ORIGINS in wanted]) for i, own in enumerate(c.own)]
        assert list(graph.holders(wanted)) == [(i, cols) for i, cols in columns if cols]


def check_one_class(t: rarebom.Trace, root: int, below: list[int]) -> None:
    """The flat multipliers and path counts are the reference's wherever they apply (every
    part under ``root`` inherits the class UNKNOWN), and they apply wherever that is so."""
    c, rolled, inherit = t._compiled, t._rolled, t.options.policy.inherit
    one_class = explain._one_class_multipliers(t._graph(), rolled, root, below, inherit)
    mult = ref_multipliers(c, rolled, root, below, inherit)
    counts = ref_path_counts(c, rolled, root, below, inherit)
    only_unknown = all(list(classes) == [UNKNOWN] for classes in mult.values())
    # One class, UNKNOWN, exactly where no part under the root with children hands down a definite class.
    handed_down = inherit and any(c.uses[i] and rolled.origin[i] != UNKNOWN for i in below)
    assert only_unknown is not handed_down
    if one_class is None:
        assert handed_down
        return
    assert not handed_down and only_unknown
    lows, nominals, highs, flat_counts = one_class
    n = len(c.ids)
    assert len(lows) == len(nominals) == len(highs) == len(flat_counts) == n
    for i in range(n):
        if i in mult:
            assert same([lows[i], nominals[i], highs[i]], mult[i][UNKNOWN])
            assert flat_counts[i] == counts[i][UNKNOWN]
        else:
            assert lows[i] is nominals[i] is highs[i] is None and flat_counts[i] == 0


OPTIONS = st.fixed_dictionaries(
    {
        "alternates": st.sampled_from(["selected", "worst"]),
        "policy": st.builds(OriginPolicy, inherit=st.booleans()),
        "exact": st.booleans(),
    }
)


@settings(max_examples=30)
@given(boms(max_parts=9), OPTIONS)
def test_the_fast_walks_match_the_reference_on_random_boms(bom, options):
    check_trace(rarebom.trace(bom, currency="USD", rates=RATES, **options))


DY = Material(
    amount=Amount(kind=Kind.FRACTION, unit="%", value=Fraction(1, 10)),
    completeness=Completeness.FULL,
    substances=(Substance(element="Dy", amount=Amount(kind=Kind.FRACTION, unit="%", value=Fraction(1))),),
)


def claimed(country: str) -> tuple[OriginClaim, ...]:
    """Claims at every stage: the part's origin class is definite."""
    return tuple(OriginClaim(country=country, stage=stage, source="test") for stage in Stage)


@st.composite
def origin_boms(draw) -> Bom:
    """Random BOMs in which many parts have a definite origin and many others hold Dy with
    none: the shapes where a part needs an origin claim only if some path reaches it
    without passing a part of definite origin."""
    bom = draw(boms(max_parts=9))
    parts = []
    for part in bom.parts:
        # Assemblies are mostly claimed, and parts without children mostly hold Dy unclaimed.
        kind = draw(st.sampled_from(["as drawn", "claimed", "claimed", "unclaimed Dy"] if part.uses else ["as drawn", "claimed", "unclaimed Dy", "unclaimed Dy"]))
        if kind == "claimed":
            part = attrs.evolve(part, origins=claimed(draw(st.sampled_from(["CN", "JP"]))))
        elif kind == "unclaimed Dy":
            part = attrs.evolve(part, origins=(), materials=(*part.materials, DY))
        parts.append(part)
    return attrs.evolve(bom, parts=tuple(parts))


@settings(max_examples=30)
@given(origin_boms(), OPTIONS)
def test_the_fast_walks_match_the_reference_where_origins_are_inherited(bom, options):
    check_trace(rarebom.trace(bom, currency="USD", rates=RATES, **options))


def test_a_part_needs_an_origin_claim_only_where_a_path_reaches_it_past_no_definite_origin():
    one = Amount(kind=Kind.COUNT, unit="", value=Fraction(1))
    ten = Amount(kind=Kind.MASS, unit="g", value=Fraction(10))
    bom = Bom(
        parts=(
            Part(id="top", uses=(Usage(child="asm", quantity=one), Usage(child="open", quantity=one))),
            Part(id="asm", origins=claimed("JP"), uses=(Usage(child="covered", quantity=one), Usage(child="both", quantity=one))),
            Part(id="open", uses=(Usage(child="both", quantity=one),)),
            *(Part(id=pid, mass=ten, materials=(DY,)) for pid in ("covered", "both")),
        )
    )
    for inherit, expected in ((True, ("both",)), (False, ("covered", "both"))):
        t = rarebom.trace(bom, policy=OriginPolicy(inherit=inherit))
        assert t.coverage("top").missing_origin == expected
        check_trace(t)


@settings(max_examples=10)
@given(boms(max_parts=9), st.sampled_from(["selected", "worst"]), st.booleans())
def test_the_fast_walks_match_the_reference_over_the_numpy_roll_up(bom, alternates, inherit):
    """Big float traces roll up with numpy and hand their results out as lazy views: the
    walks read them through the same interface."""
    pytest.importorskip("numpy")
    from rarebom.engine.vector import rollup_arrays

    t = rarebom.trace(bom, currency="USD", rates=RATES, alternates=alternates, policy=OriginPolicy(inherit=inherit))
    # However small the BOM, roll it up with numpy (trace() would use the loop below 2,000 parts).
    t._rolled = rollup_arrays(t._compiled, alternates=t.options.alternates, inherit=inherit, min_level_width=1)
    assert not isinstance(t._rolled.mass, list)  # the numpy roll-up's views
    check_trace(t)


@pytest.mark.parametrize("example", sorted(p.stem for p in EXAMPLES.glob("*.xml")))
@pytest.mark.parametrize("exact", [False, True])
def test_the_fast_walks_match_the_reference_on_the_examples(example, exact):
    bom = rarebom.load(EXAMPLES / f"{example}.xml").bom
    check_trace(rarebom.trace(bom, exact=exact, rates={"EUR": "1.08", "USD": "1", "CNY": "0.14"}))
    check_trace(rarebom.trace(bom, exact=exact, alternates="worst", policy=OriginPolicy(inherit=False), rates={"EUR": "1.08", "USD": "1", "CNY": "0.14"}))


def test_a_coverage_is_computed_once_and_kept():
    t = rarebom.trace(rarebom.load(EXAMPLES / "ev-traction-motor.xml").bom)
    assert t.coverage("ev-traction-motor") is t.coverage("ev-traction-motor")


def test_a_finished_goods_coverage_is_kept_for_the_latest_two():
    """A finished good's coverage can name most of the BOM: the trace keeps the two asked
    for last, makes an earlier one again, equal, and keeps every other part's."""
    from benchmarks.generate import synthetic_bom

    t = rarebom.trace(synthetic_bom(3000, seed=1))
    fgs = t.finished_goods
    assert len(fgs) == 3
    first = [t.coverage(fg) for fg in fgs]
    assert all(len(c.missing_composition) > 100 for c in first)  # lists worth dropping
    assert list(t._root_coverages) == list(fgs[1:])
    assert t.coverage(fgs[1]) is first[1]  # asked for again: kept, and now the latest
    assert list(t._root_coverages) == [fgs[2], fgs[1]]
    again = t.coverage(fgs[0])
    assert again is not first[0] and again == first[0]
    assert list(t._root_coverages) == [fgs[1], fgs[0]]
    assert t.coverage(fgs[0]) is again
    # Whatever the order of asking, each coverage is the one a fresh trace makes.
    fresh = rarebom.trace(t.bom)
    assert [fresh.coverage(fg) for fg in reversed(fgs)] == first[::-1]
    nodes = [pid for pid in t._compiled.ids[-50:] if pid not in fgs]
    kept = [t.coverage(pid) for pid in nodes]
    for pid in fgs:
        t.coverage(pid)
    assert all(t.coverage(pid) is c for pid, c in zip(nodes, kept, strict=True))


@given(st.binary(min_size=1, max_size=400).map(bytearray), st.data())
def test_the_lacking_parts_are_picked_alike_with_numpy(lacks, data):
    """A large coverage picks the parts that lack data with numpy: the same parts, in the
    order of the walk, as the loop over them."""
    trace_module = importlib.import_module("rarebom.engine.trace")  # (the package exports trace())
    below = array("i", data.draw(st.lists(st.integers(0, len(lacks) - 1), unique=True)))
    wide = trace_module._WIDE_COVERAGE
    try:
        trace_module._WIDE_COVERAGE = 0
        vectorised = trace_module._lacking_under(below, lacks)
        trace_module._WIDE_COVERAGE = len(below) + 1
        looped = trace_module._lacking_under(below, lacks)
    finally:
        trace_module._WIDE_COVERAGE = wide
    assert vectorised == looped
    assert all(type(i) is int for found in vectorised for i in found)
    assert looped == tuple([i for i in below if lacks[i] & bit] for bit in (1, 2, 4, 8))


NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.fractions(max_denominator=10**6),
    st.just(Fraction(0)),
    st.just(0.0),
    st.just(-0.0),
)


@given(NUMBERS, NUMBERS)
def test_plus_adds_as_python_does(a, b):
    """Bounds adds with a shortcut for Fraction zeros and mixed Fraction and float: same
    value, same type, same sign of zero as ``a + b``."""
    assert same(_plus(a, b), a + b)


TRIPLE = st.tuples(NUMBERS | st.integers(-5, 5), NUMBERS | st.integers(-5, 5), NUMBERS | st.integers(-5, 5))


@given(TRIPLE, st.sampled_from(["", "g", "USD"]))
def test_the_derivation_formats_numbers_as_bounds_do(triple, unit):
    assert _t(triple, unit) == str(Bounds.of(triple, unit))


def test_the_derivation_is_a_derivation():
    t = rarebom.trace(rarebom.load(EXAMPLES / "ev-traction-motor.xml").bom)
    assert isinstance(t.derivation("ev-traction-motor"), Derivation)


def test_a_wide_assembly_lists_its_first_usages_and_sums_the_rest():
    one = Amount(kind=Kind.COUNT, unit="", value=Fraction(1))
    children = [Part(id=f"c{k}", mass=Amount(kind=Kind.MASS, unit="g", value=Fraction(k, 10)), materials=(DY,)) for k in range(1, 8)]
    bom = Bom(parts=(Part(id="wide", uses=tuple(Usage(child=c.id, quantity=one) for c in children)), *children))
    t = rarebom.trace(bom, exact=True)
    every = t.derivation("wide", max_uses=None).lines
    assert len([line for line in every if line.startswith("uses ")]) == 7
    assert t.derivation("wide").lines == every  # 7 usages: under the default bound
    short = t.derivation("wide", max_uses=3).lines
    uses = [line for line in every if line.startswith("uses ")]
    assert [line for line in short if line.startswith("uses ")] == uses[:3]
    # c4 to c7 weigh 0.4 + 0.5 + 0.6 + 0.7 g, exactly.
    assert "and 4 more usages, not listed one by one: 2.2 g in all" in short
    assert [line for line in short if not line.startswith(("uses ", "and "))] == [line for line in every if not line.startswith("uses ")]


MASSES = st.one_of(st.sampled_from([0.0, 1.0, 2.5, math.nan, math.inf]), st.floats(0, 10, allow_nan=False), st.fractions(0, 10, max_denominator=7))


@st.composite
def merged_columns(draw):
    """Columns as :func:`explain._merge_one_class` makes them: unique (part, symbol, class)
    keys, many ties on the nominal, and some NaN bounds."""
    keys = draw(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(0, len(ORIGIN_CLASSES) - 1)), unique=True, max_size=30))
    masses = [draw(st.tuples(MASSES, MASSES, MASSES)) for _ in keys]
    return (
        [k[0] for k in keys],
        [k[1] for k in keys],
        [k[2] for k in keys],
        [m[0] for m in masses],
        [m[1] for m in masses],
        [m[2] for m in masses],
        [[1, 2, 3] for _ in keys],
        [m for m in masses],
    )


@given(merged_columns(), st.integers(-2, 35))
def test_the_top_contributors_are_the_first_of_the_full_ranking(merged, limit):
    """Only items whose nominal reaches the limit-th largest are ranked in full; a NaN upper
    bound sorts everything as before. Either way the first ``limit`` of the ranking the
    reference sorts, in its order."""
    ids = [f"p{k}" for k in (3, 1, 4, 0, 5, 2)]  # not in index order
    values = [o.value for o in ORIGIN_CLASSES]
    parts, syms, classes, los, noms, his, mults, owns = merged
    items = [((parts[e], syms[e], classes[e]), [[los[e], noms[e], his[e]], mults[e], owns[e]]) for e in range(len(parts))]

    def rank(item):
        (i, symbol_index, cls), (mass, _, _) = item
        nominal = mass[1] if mass[1] == mass[1] else -1
        return (-nominal, -mass[2], ids[i], SYMBOLS[symbol_index], values[cls])

    expected = sorted(items, key=rank)[:limit] if any(x != x for x in his) else sorted(items, key=rank)[: max(limit, 0)]
    lows = [None] * 6
    found = explain._top_one_class(merged, (lows, lows, lows, [0] * 6), limit, ids, values)
    assert same(found, expected)


def test_the_merge_adds_up_several_columns_of_one_symbol_as_before():
    """A part's own content has one column per symbol today; were there several (one per
    origin), the one-class merge adds them up, multiplier too, as the general merge does."""
    dy, nd = SYMBOL_INDEX["Dy"], SYMBOL_INDEX["Nd"]
    own = [
        {dy * N_ORIGINS: (1.0, 2.0, 3.0), nd * N_ORIGINS + 1: (0.5, 0.5, 0.5), dy * N_ORIGINS + 1: (0.25, 0.5, 1.0)},
        {},
        {nd * N_ORIGINS: (Fraction(1, 3), Fraction(1, 2), 1)},
    ]
    holders = explain.Holders(own, frozenset({dy, nd}))
    assert list(holders.distinct) == [0, 1]
    mult = {0: {UNKNOWN: [0.1, 0.2, 0.3]}, 2: {UNKNOWN: [1, 1, 1]}}
    one_class = ([0.1, None, 1], [0.2, None, 1], [0.3, None, 1], [1, 0, 1])
    origins = [UNKNOWN, UNKNOWN, 0]
    for wanted_class in (None, 0, UNKNOWN):
        expected = list(explain._merge(holders, mult, origins, wanted_class).items())
        columns = explain._merge_one_class(holders, one_class, origins, wanted_class)
        assert columns[0] == [i for (i, _, _), _ in expected]
        found = explain._top_one_class(columns, one_class, 10, ["a", "b", "c"], [o.value for o in ORIGIN_CLASSES])
        assert same(sorted(found, key=lambda item: item[0]), sorted(expected, key=lambda item: item[0]))


@settings(max_examples=25)
@given(boms(), st.sampled_from(list(Alternates)), st.data())
def test_paths_from_roots_asked_in_any_order_keep_two_walks(bom, alternates, data):
    """Trace.path keeps the walks of the two roots asked for last: roots asked for again
    after others give the same paths as the plain walk, and no more walks are held."""
    t = rarebom.trace(bom, alternates=alternates)
    ids = list(t._compiled.ids)
    roots = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=8))
    for root in roots:
        target = data.draw(st.sampled_from(ids))
        assert same(t.path(root, target), ref_path(t, root, target))
        assert len(t._parents) <= 2 and next(reversed(t._parents)) == root


@settings(max_examples=40, deadline=None)
@given(boms(max_parts=9), st.booleans(), st.booleans(), st.data())
def test_a_part_with_several_columns_of_one_symbol_is_one_contributor(bom, inherit, arrays, data):
    """Own content with a symbol of two origins: the part is one contributor, whose grams
    and multiplier add both columns up. Under quantities with ranges, so a mix-up of the
    low, nominal and high sums shows; by the loop and (``arrays``) by numpy."""
    from rarebom.engine import vector_contributors

    t = rarebom.trace(bom, currency="USD", rates=RATES, policy=OriginPolicy(inherit=inherit))
    c = t._compiled
    numbers = st.sampled_from([0, 1, 2, 0.5, 0.25, 3.0, 1e-3])
    triple = st.tuples(numbers, numbers, numbers)
    c.uses = [tuple(tuple((j, *data.draw(triple)) for j, *_ in candidates) for candidates in uses) for uses in c.uses]
    own = []
    for columns in c.own:
        columns = dict(columns)
        for col in list(columns):
            if data.draw(st.booleans()):
                columns[col - col % N_ORIGINS + (col % N_ORIGINS + 1) % N_ORIGINS] = data.draw(triple)
        own.append(columns)
    c.own = own
    t._walks = None  # the graph of the usages drawn here
    with pytest.MonkeyPatch.context() as m:
        if arrays:
            m.setattr(explain, "VECTOR_MIN_PARTS", 0)
            m.setattr(vector_contributors, "MIN_LEVEL_WIDTH", 0)
        for pid in c.ids:
            for origin in (None, rarebom.OriginClass.UNKNOWN):
                found = t.contributors(pid, chemistry.RARE_EARTHS, limit=10**6, max_paths=2, origin=origin)
                assert same(found, ref_contributors(t, pid, chemistry.RARE_EARTHS, limit=10**6, max_paths=2, origin=origin))
