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

import math
import sys
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
    for pid in c.ids:
        i = c.index[pid]
        for alternates in (False, True):
            assert graph.reachable(i, alternates=alternates) == ref_reachable(c, i, alternates=alternates)
        below = ref_reachable(c, i)
        assert same(explain._multipliers(graph, t._rolled, i, below, inherit), ref_multipliers(c, t._rolled, i, below, inherit))
        assert explain._path_counts(graph, t._rolled, i, below, inherit) == ref_path_counts(c, t._rolled, i, below, inherit)
        assert same(t.coverage(pid), ref_coverage(t, pid)), pid
        assert t.below(pid) == ref_below(t, pid)
        for target in c.ids:
            assert same(t.path(pid, target), ref_path(t, pid, target))
        for symbols in SYMBOL_SETS:
            assert same(t.contributors(pid, symbols, limit=4, max_paths=3), ref_contributors(t, pid, symbols, limit=4, max_paths=3))
        assert same(
            t.contributors(pid, chemistry.RARE_EARTHS, origin=rarebom.OriginClass.UNKNOWN), ref_contributors(t, pid, chemistry.RARE_EARTHS, origin=rarebom.OriginClass.UNKNOWN)
        )
        # A stop set that is neither all nor nothing: every other part in file order.
        stops = set(c.ids[::2])
        assert same(t.multipliers(pid, stops.__contains__), ref_part_multipliers(t, pid, stops.__contains__))
        lines = [line for line in t.derivation(pid, max_uses=None).lines if line.startswith("uses ")]
        assert lines == ref_uses_lines(t, pid)
    for symbols in SYMBOL_SETS:
        expected = {pid: held for pid in c.ids if (held := t.own_elements(pid, symbols))}
        assert t.holders(symbols) == expected


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
