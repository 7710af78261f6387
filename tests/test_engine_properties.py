"""The published roll-up invariants, as hypothesis properties over random valid BOMs.

Each transformation lives in :mod:`rarebom.testing`, so users can run the same properties
against their own tools. Traces here are exact (Fractions), so "equal" means equal.
"""

from __future__ import annotations

import math
from fractions import Fraction

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import rarebom
from rarebom import OriginClass, chemistry
from rarebom.engine import Alternates
from rarebom.testing import add_china_rare_earth, boms, expand_tree, scale_masses, shuffled, threshold_boms, with_mass_unit

SYMBOLS = ("Nd", "Pr", "Dy", "Tb", "Sm", "Fe", "B", "Co", "O")


# One currency and a rate for every other one rarebom.testing draws, so that values are
# comparable across transformed BOMs (the default currency depends on file order).
RATES = {"EUR": "1.08", "CNY": "0.14", "JPY": "0.0067"}


# These properties are about arithmetic, not resource limits: scaling masses also scales
# quantities measured by mass, which may carry a path past the default multiplicity limit.
NO_MULTIPLICITY_LIMIT = rarebom.Limits(max_multiplicity=10**400)


def exact(bom, **options):
    return rarebom.trace(bom, exact=True, currency="USD", rates=RATES, limits=NO_MULTIPLICITY_LIMIT, **options)


def fingerprint(result: rarebom.PartResult):
    """Everything a part's result says, as comparable data."""
    elements = {s: (e.total, tuple(e.by_origin.values())) for s, e in result.elements.items() if not e.total.is_zero}
    return (result.mass, elements, result.undeclared.total, tuple(result.undeclared.by_origin.values()), result.unresolved.total, result.value)


def same_per_finished_good(a: rarebom.Trace, b: rarebom.Trace):
    assert a.finished_goods == b.finished_goods or sorted(a.finished_goods) == sorted(b.finished_goods)
    for fg in a.finished_goods:
        assert fingerprint(a[fg]) == fingerprint(b[fg]), fg


@given(boms())
def test_additivity_a_parent_is_its_own_materials_plus_its_children_times_quantities(bom):
    """Exact for the min and the nominal of every element."""
    t = exact(bom)
    for part in bom.parts:
        alone = exact(rarebom.Bom(parts=(attrs.evolve(part, uses=()),)))[part.id]
        parent = t[part.id]
        for symbol in SYMBOLS:
            expected = alone.element(symbol).total
            for use in part.uses:
                child = t[use.child].element(symbol).total
                size = bom.part(use.child).uom_size
                q = use.quantity
                low = q.min if q.min is not None else (q.value if q.value is not None else 0)
                high = q.max if q.max is not None else q.value
                nominal = q.value if q.value is not None else (low + high) / 2
                term = rarebom.Bounds(child.min * low / size, None if child.nominal is None else child.nominal * nominal / size, child.max * high / size, "g")
                expected = expected + term
            got = parent.element(symbol).total
            assert (got.min, got.nominal) == (expected.min, expected.nominal), (part.id, symbol)
            # Max bounds are capped at each part's own mass (no element can outweigh the
            # part): a tightening that does not add up, so the max is checked as a bound.
            assert got.max <= parent.mass.max
            if alone.element(symbol).total.max < alone.mass.max and got.max < parent.mass.max:
                assert got.max == expected.max, (part.id, symbol)  # no cap was active: exact


@given(boms(max_parts=8, max_uses=3))
def test_a_dag_gives_the_same_results_as_the_same_bom_expanded_into_a_tree(bom):
    tree = expand_tree(bom)
    assume(len(tree.parts) <= 400)
    same_per_finished_good(exact(bom), exact(tree))


@given(boms(), st.data())
def test_order_of_parts_and_children_does_not_matter(bom, data):
    same_per_finished_good(exact(bom), exact(data.draw(shuffled(bom))))


@given(boms(max_parts=6), st.sampled_from(["g", "kg", "lb", "mg", "oz"]), st.sampled_from([".xml", ".json"]))
def test_unit_invariance_through_a_file(tmp_path_factory, bom, unit, suffix):
    path = tmp_path_factory.mktemp("units") / f"bom{suffix}"
    rarebom.dump(with_mass_unit(bom, unit), path)
    same_per_finished_good(exact(bom), exact(rarebom.load(path).bom))


@given(boms(), st.sampled_from([Fraction(2), Fraction(1, 3), Fraction(1000), Fraction(7, 1000)]))
def test_scaling_every_mass_scales_element_masses_and_leaves_shares_unchanged(bom, k):
    # A part counted by the kg that is assembled from pieces weighs 1 kg per unit whatever
    # its pieces weigh; scaling cannot apply to it (see scale_masses).
    assume(not any(p.uses and p.uom_kind is rarebom.Kind.MASS for p in bom.parts))
    before, after = exact(bom), exact(scale_masses(bom, k))
    for fg in before.finished_goods:
        a, b = before[fg], after[fg]
        # A finished good counted by mass is reported per kg of itself: its shares stay,
        # and so do its masses.
        factor = 1 if bom.part(fg).uom_kind is rarebom.Kind.MASS else k
        for symbol in SYMBOLS:
            x, y = a.element(symbol).total, b.element(symbol).total
            assert (y.min, y.max) == (x.min * factor, x.max * factor)
            assert y.nominal == (None if x.nominal is None else x.nominal * factor)
            assert a.share([symbol]) == b.share([symbol])


def _contained(b: rarebom.Bounds):
    assert b.min <= b.max
    if b.nominal is not None:
        assert b.min <= b.nominal <= b.max


@given(boms(), st.sampled_from(Alternates))
def test_bounds_contain_the_nominal(bom, mode):
    t = exact(bom, alternates=mode)
    for result in t:
        _contained(result.mass)
        for e in (*result.elements.values(), result.undeclared, result.unresolved):
            _contained(e.total)
            for b in e.by_origin.values():
                _contained(b)
        for origin in (None, *OriginClass):
            _contained(result.mass_of(chemistry.RARE_EARTHS, origin))
            _contained(result.share(["Dy", "Tb"], origin))


@given(boms(), st.data(), st.sampled_from(["Dy", "Nd", "Tb"]), st.sampled_from([Fraction(1, 1000), Fraction(5), Fraction(1000)]))
def test_adding_china_rare_earth_never_lowers_the_china_share(bom, data, element, grams):
    part = data.draw(st.sampled_from([p.id for p in bom.parts if p.uom == "each"] or [None]))
    assume(part is not None)
    before = exact(bom)
    after = exact(add_china_rare_earth(bom, part, grams, element))
    for fg in before.finished_goods:
        # The China mass never falls, at either bound or nominally.
        a_mass = before[fg].mass_of(chemistry.RARE_EARTHS, OriginClass.CHINA)
        b_mass = after[fg].mass_of(chemistry.RARE_EARTHS, OriginClass.CHINA)
        assert b_mass.min >= a_mass.min
        if a_mass.nominal is not None and b_mass.nominal is not None:
            assert b_mass.nominal >= a_mass.nominal
        # Nor does the nominal share. The share's *min* may fall, and rightly: it is the
        # China min over the mass max, and a use whose quantity is a range [q_min, q_max]
        # adds grams x q_min to the first but grams x q_max to the second.
        a = before[fg].share(chemistry.RARE_EARTHS, OriginClass.CHINA)
        b = after[fg].share(chemistry.RARE_EARTHS, OriginClass.CHINA)
        if a.nominal is not None and b.nominal is not None:
            assert b.nominal >= a.nominal


@given(boms())
def test_conservation_elements_plus_unresolved_plus_undeclared_is_the_total_mass(bom):
    for result in exact(bom):
        nominal = [e.total.nominal for e in result.elements.values()] + [result.undeclared.total.nominal, result.unresolved.total.nominal]
        if result.mass.nominal is None or None in nominal:
            continue  # a nominal nobody knows; the bounds still hold (test above)
        assert sum(nominal) == result.mass.nominal, result.part


@given(threshold_boms(Fraction(1, 1000), "Dy"))
def test_exactly_at_the_threshold_compares_equal(case):
    bom, part = case
    assert exact(bom)[part].share(["Dy"]).nominal == Fraction(1, 1000)
    assert rarebom.trace(bom).exact(part).share(["Dy"]).nominal == Fraction(1, 1000)


@given(boms(), st.sampled_from([Fraction(1, 1000), Fraction(1, 100), Fraction(1, 10)]))
def test_float_traces_reach_the_same_side_of_a_threshold_as_exact_ones(bom, threshold):
    """Floats are used for speed; wherever a float share is not within 1e-9 of the
    threshold, it is on the same side as the exact share. Closer than that, rarebom's
    comparisons recompute exactly (Trace.exact)."""
    fast, slow = rarebom.trace(bom), exact(bom)
    for result in slow:
        for origin in (None, OriginClass.CHINA):
            s = result.share(["Dy", "Tb", "Nd"], origin)
            f = fast[result.part].share(["Dy", "Tb", "Nd"], origin)
            for exact_value, float_value in ((s.min, f.min), (s.nominal, f.nominal), (s.max, f.max)):
                if exact_value is None or float_value is None or math.isinf(float_value):
                    continue
                if abs(float(exact_value) - float(threshold)) > 1e-9:
                    assert (float_value >= threshold) == (exact_value >= threshold)
                # Shares lie in [0, 1]; a float difference of near-equal masses loses
                # relative precision on tiny shares, never absolute precision.
                assert float_value == pytest.approx(float(exact_value), rel=1e-9, abs=1e-12)


@given(boms())
def test_finished_goods_are_the_parts_nothing_uses_computed_once(bom):
    used = {ref for part in bom.parts for use in part.uses for ref in (use.child, *use.alternates)}
    expected = tuple(part for part in bom.parts if part.id not in used)
    assert bom.finished_goods == expected
    assert bom.finished_goods is bom.finished_goods  # kept: a Bom never changes
    smaller = bom.evolve(parts=[p for p in bom.parts if p not in expected] or bom.parts[:1])
    assert smaller.finished_goods == tuple(p for p in smaller.parts if p.id not in {r for q in smaller.parts for u in q.uses for r in (u.child, *u.alternates)})
