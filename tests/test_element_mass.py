"""``element_mass`` sums a part's origin classes without a Bounds per step (issue #8).

The reference is the code it replaced: ``Bounds.zero`` plus each class in turn with
``Bounds.__add__``. On floats (with inf and NaN), exact fractions, ints and mixes of them,
with and without a cap, the two must give the same ElementMass down to the type of every
number.
"""

from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from rarebom.engine.policy import ORIGIN_CLASSES
from rarebom.engine.results import Bounds, ElementMass, element_mass


def reference(symbol, per_origin, cap=math.inf) -> ElementMass:
    by_origin = {o: Bounds.of(per_origin[o], "g") if o in per_origin else Bounds.zero("g") for o in ORIGIN_CLASSES}
    total = Bounds.zero("g")
    for b in by_origin.values():
        total = total + b
    if total.max > cap:
        top = cap if total.nominal is None else max(cap, total.nominal)
        total = Bounds(min(total.min, top), total.nominal, top, "g")
    return ElementMass(symbol, total, by_origin)


def same(a, b) -> bool:
    """Equal numbers of the same type (NaN is None in a Bounds, so == is enough)."""
    return type(a) is type(b) and a == b


def same_bounds(a: Bounds, b: Bounds) -> bool:
    return all(same(getattr(a, f), getattr(b, f)) for f in ("min", "nominal", "max", "unit"))


numbers = st.one_of(
    st.floats(min_value=0, max_value=1e6, allow_nan=False),
    st.just(math.inf),
    st.just(math.nan),
    st.fractions(min_value=0, max_value=10**6, max_denominator=1000),
    st.integers(min_value=0, max_value=10**6),
)
triples = st.tuples(numbers, numbers, numbers).filter(lambda t: t[0] == t[0] and t[2] == t[2])  # NaN only as the nominal
per_origins = st.dictionaries(st.sampled_from(ORIGIN_CLASSES), triples, max_size=len(ORIGIN_CLASSES))
caps = st.one_of(st.just(math.inf), st.floats(min_value=0, max_value=1e6), st.fractions(min_value=0, max_value=10**6, max_denominator=1000))


@given(per_origins, caps)
def test_element_mass_is_the_step_by_step_sum(per_origin, cap):
    fast, slow = element_mass("Nd", per_origin, cap), reference("Nd", per_origin, cap)
    assert fast.symbol == slow.symbol
    assert same_bounds(fast.total, slow.total), (fast.total, slow.total)
    assert list(fast.by_origin) == list(slow.by_origin)
    assert all(same_bounds(fast.by_origin[o], slow.by_origin[o]) for o in ORIGIN_CLASSES)


def test_a_cap_below_the_sum_cuts_the_max_and_keeps_the_nominal_inside():
    china, unknown = ORIGIN_CLASSES[0], ORIGIN_CLASSES[-1]
    found = element_mass("Dy", {china: (1.0, 2.0, 5.0), unknown: (0.0, 1.0, 4.0)}, cap=6.0)
    assert (found.total.min, found.total.nominal, found.total.max) == (1.0, 3.0, 6.0)
    # A nominal above the cap lifts the top to the nominal, as the envelope allows.
    found = element_mass("Dy", {china: (1.0, 7.0, 9.0)}, cap=Fraction(5))
    assert (found.total.min, found.total.nominal, found.total.max) == (1.0, 7.0, 7.0)
    # An unknown nominal anywhere leaves the total's nominal unknown.
    assert element_mass("Dy", {china: (1.0, math.nan, 2.0)}).total.nominal is None
