"""Result objects of a trace: bounds, element masses, per-part results, contributors, coverage.

Numbers are plain floats (or exact Fractions from an exact trace) in canonical units,
grams and the trace's currency; each :class:`Bounds` also hands them out as pint
Quantities. Every result carries a nominal value and ``[min, max]`` bounds: the nominal is
what the declarations say, the bounds also hold what they leave open. A bound nobody knows
is ``math.inf``; a nominal nobody knows is ``None``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

import attrs

from .. import chemistry
from .policy import ORIGIN_CLASSES, OriginClass, OriginDecision

__all__ = ["Bounds", "Contributor", "Coverage", "ElementMass", "PartResult", "PathStep"]

Number = float | Fraction


def _clean(x: Any) -> Number | None:
    """A bound as stored in a result: ints become Fractions; NaN becomes None."""
    if isinstance(x, int):
        return Fraction(x)
    if isinstance(x, float) and math.isnan(x):
        return None
    return x


def _make(lo: Any, nominal: Any, hi: Any, unit: str) -> Bounds:
    """``Bounds(lo, nominal, hi, unit)`` without attrs' ``__init__``: the same four fields,
    each cleaned by :func:`_clean` (inline for a float, the common case), at a third of the
    cost. The roll-up's results, the rules and the report build hundreds of thousands."""
    b = _new(Bounds)
    _set_min(b, (None if lo != lo else lo) if type(lo) is float else _clean(lo))
    _set_nominal(b, (None if nominal != nominal else nominal) if type(nominal) is float else _clean(nominal))
    _set_max(b, (None if hi != hi else hi) if type(hi) is float else _clean(hi))
    _set_unit(b, unit)
    return b


def _plus(a: Number, b: Number) -> Number:
    """``a + b``, exactly as Python adds them, without the slow dispatch of ``fractions``
    for a Fraction zero (most element sums add zeros) and for a Fraction and a float
    (which Python adds as two floats)."""
    if type(a) is float:
        return a + float(b) if type(b) is Fraction else a + b
    if type(a) is Fraction:
        if type(b) is Fraction:
            if not b:
                return a
            if not a:
                return b
        elif type(b) is float:
            return float(a) + b
    return a + b


def _sum(a: Any, x: Any) -> Any:
    """``_clean(_plus(a, x))``: a cleaned Bounds field plus another number, as one Bounds
    plus another sums them; without a call to ``fractions`` for the common cases, two
    floats and a Fraction zero (an origin class or element with nothing in it)."""
    ta, tx = type(a), type(x)
    if tx is float:
        if ta is float:
            total = a + x
        elif ta is Fraction and not a:
            total = 0.0 + x  # float(Fraction(0)) + x, as _plus adds them
        else:
            return _clean(_plus(a, x))
        return None if total != total else total
    if tx is Fraction and not x:
        if ta is Fraction:
            return a
        if ta is float:
            total = a + 0.0
            return None if total != total else total
    return _clean(_plus(a, x))


def _sum_step(total: Number, x: Number) -> Number:
    """``total + x`` for a sum that started as ``sum()``'s int 0, as Python adds them, by
    :func:`_plus`: int 0 + a Fraction is that Fraction (0 + a float may not be the float:
    0 + -0.0 is 0.0, so a float is added)."""
    if type(total) is int:
        return x if type(x) is Fraction else total + x
    return _plus(total, x)


def _add_up(bounds: Iterable[Bounds]) -> tuple[Any, Any, Any]:
    """The min, nominal and max of ``Bounds.zero()`` + each of ``bounds`` in turn, as
    :meth:`Bounds.__add__` sums them (``_sum`` is its field arithmetic), without a Bounds
    per step. Leaving out a zero changes no sum: a Fraction plus a Fraction zero is itself,
    and a float sum that starts at a Fraction zero is never -0.0, the one float it would change."""
    zero = Bounds.zero()
    lo, nominal, hi = zero.min, zero.nominal, zero.max
    for b in bounds:
        lo = _sum(lo, b.min)
        nominal = None if nominal is None or b.nominal is None else _sum(nominal, b.nominal)
        hi = _sum(hi, b.max)
    return lo, nominal, hi


def _fmt(x: Number | None, digits: int = 6) -> str:
    if x is None:
        return "?"
    if x == math.inf:
        return "∞"
    return f"{float(x):.{digits}g}"


@attrs.frozen
class Bounds:
    """A nominal value and the range the truth must lie in, in ``unit``.

    ``nominal`` is ``None`` when nobody knows it (a part with no mass); ``max`` is
    ``math.inf`` when nothing bounds it (undeclared content may be anything).
    """

    min: Number = attrs.field(converter=_clean)
    nominal: Number | None = attrs.field(converter=_clean)
    max: Number = attrs.field(converter=_clean)
    unit: str = ""

    @classmethod
    def of(cls, triple, unit: str = "") -> Bounds:
        if cls is Bounds:
            return _make(triple[0], triple[1], triple[2], unit)
        return cls(triple[0], triple[1], triple[2], unit)

    @classmethod
    def zero(cls, unit: str = "") -> Bounds:
        found = _ZEROS.get(unit) if cls is Bounds else None
        if found is None:
            found = cls(0, 0, 0, unit)
            if cls is Bounds:
                _ZEROS[unit] = found  # frozen, so one zero per unit serves every caller
        return found

    @property
    def exact(self) -> bool:
        """True if every known number is an exact Fraction."""
        return all(isinstance(x, Fraction) for x in (self.min, self.nominal, self.max) if x is not None and x != math.inf)

    @property
    def is_zero(self) -> bool:
        return self.max == 0

    @property
    def bounded(self) -> bool:
        return self.max != math.inf

    def _q(self, number):
        from ..units import ureg

        if number is None:
            return None
        return ureg.Quantity(number, self.unit or "dimensionless")

    @property
    def quantity(self):
        """The nominal as a pint Quantity (``None`` if unknown)."""
        return self._q(self.nominal)

    @property
    def min_quantity(self):
        return self._q(self.min)

    @property
    def max_quantity(self):
        return self._q(self.max)

    def __add__(self, other: Bounds) -> Bounds:
        if not isinstance(other, Bounds):
            return NotImplemented
        nominal = None if self.nominal is None or other.nominal is None else _plus(self.nominal, other.nominal)
        return _make(_plus(self.min, other.min), nominal, _plus(self.max, other.max), self.unit or other.unit)

    def __str__(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.min == self.max:
            return f"{_fmt(self.min)}{unit}"
        return f"{_fmt(self.nominal)}{unit} [{_fmt(self.min)}, {_fmt(self.max)}]"


_ZEROS: dict[str, Bounds] = {}

# What :func:`_make` fills a new Bounds with: its slots, as attrs' own ``__init__`` does
# (``object.__setattr__``, past the frozen class's ``__setattr__``).
_new = object.__new__
_set_min, _set_nominal, _set_max, _set_unit = (Bounds.__dict__[name].__set__ for name in ("min", "nominal", "max", "unit"))


def ratio(numerator: Bounds, denominator: Bounds) -> Bounds:
    """``numerator / denominator`` as bounds: the smallest and largest share they allow.

    The share cannot exceed 1 when the numerator is part of the denominator, which is how
    every share in rarebom is built. Exact inputs give exact shares.
    """
    lo = numerator.min / denominator.max if denominator.max not in (0, math.inf) else 0
    # Nothing of it at all is a share of 0, whatever the whole weighs (even 0 g).
    hi = 0 if numerator.max == 0 else (numerator.max / denominator.min if denominator.min else math.inf)
    nominal = None
    if numerator.nominal is not None and denominator.nominal:
        nominal = numerator.nominal / denominator.nominal
    return _make(_at_most_one(lo), None if nominal is None else _at_most_one(nominal), _at_most_one(hi), "")


_ONE = Fraction(1)


def _at_most_one(x: Number) -> Number:
    """``min(x, Fraction(1))``, which is x unless 1 < x, without the slow dispatch of
    ``fractions`` for a float (1.0 is exact, so ``1.0 < x`` is the same comparison, NaN and
    infinity included)."""
    if type(x) is float:
        return _ONE if x > 1.0 else x
    return min(x, _ONE)


@attrs.frozen
class ElementMass:
    """Grams of one element (or of undeclared or unresolved content) per unit of a part."""

    symbol: str
    total: Bounds
    by_origin: Mapping[OriginClass, Bounds]

    def __str__(self) -> str:
        split = ", ".join(f"{o.value} {b}" for o, b in self.by_origin.items() if not b.is_zero)
        return f"{self.symbol}: {self.total} ({split})"


@functools.lru_cache(maxsize=256)
def _zero_element(symbol: str) -> ElementMass:
    """No grams of ``symbol`` in any origin class: one value per symbol, shared (nothing mutates a result)."""
    zero = Bounds.zero("g")
    return ElementMass(symbol, zero, {o: zero for o in ORIGIN_CLASSES})


@attrs.frozen
class PartResult:
    """What one unit of a part contains, rolled up through everything below it.

    ``mass_basis`` says which mass was used: ``declared`` (the part's own mass),
    ``contents`` (the sum of children and materials, when no mass is declared or the
    contents weigh more), ``unit of measure`` (1 kg of a part counted in kg) or
    ``unknown``. ``value`` is the part's own unit value if it has one, else the value of
    its contents (``value_basis`` says which), in ``currency``.
    """

    part: str
    mass: Bounds
    mass_basis: str
    declared_mass: Bounds | None
    contents_mass: Bounds | None
    elements: Mapping[str, ElementMass]
    undeclared: ElementMass
    unresolved: ElementMass
    value: Bounds | None
    value_basis: str
    own_value: Bounds | None
    contents_value: Bounds | None
    currency: str | None
    origin: OriginDecision

    def element(self, symbol: str) -> ElementMass:
        """The element's mass; zero for an element nothing declares."""
        found = self.elements.get(symbol)
        if found is None:
            return _zero_element(symbol)
        return found

    def mass_of(self, symbols: Iterable[str], origin: OriginClass | None = None) -> Bounds:
        """Grams of the elements ``symbols`` (of ``origin``, or of any origin) per unit.

        The nominal and min count what is declared, and for an origin, what is known to be
        of that origin. The max adds everything that could still be those elements of that
        origin: unknown-origin mass of them, and all undeclared and unresolved mass (which
        may be anything), capped at the part's mass.
        """
        symbols = list(dict.fromkeys(symbols))
        unknown = OriginClass.UNKNOWN
        elements = self.elements
        # The declared grams (an element the part does not hold would add zeros: left out).
        held = [elements[s] for s in symbols if s in elements]
        lo, nominal, hi = _add_up([e.total for e in held] if origin is None else [e.by_origin[origin] for e in held])
        # ``could_be`` is sum() of the terms, by _sum_step and _plus (without the slow dispatch
        # of ``fractions`` for the Fraction zeros of an element or content the part does not hold).
        could_be = 0
        for pseudo in (self.undeclared, self.unresolved):
            if origin is None:
                x = pseudo.total.max
            elif origin is not unknown:
                x = _plus(pseudo.by_origin[origin].max, pseudo.by_origin[unknown].max)
            else:
                x = pseudo.by_origin[origin].max + 0
            could_be = _sum_step(could_be, x)
        if origin is not None and origin is not unknown:
            for symbol in symbols:
                element = elements.get(symbol)
                if element is None:
                    if type(could_be) is float:
                        could_be = could_be + 0.0  # + Fraction(0), as a float adds it
                    # (a Fraction + Fraction(0) is itself)
                else:
                    could_be = _plus(could_be, element.by_origin[unknown].max)
        high = min(_plus(hi, could_be), self.mass.max)
        return _make(lo, nominal, max(high, lo), "g")

    def share(self, symbols: Iterable[str], origin: OriginClass | None = None) -> Bounds:
        """The mass share of those elements (of that origin) in the part, as bounds (ratios)."""
        return ratio(self.mass_of(symbols, origin), self.mass)

    def moved(self, symbol: str, grams: Bounds, to: OriginClass, source: OriginClass | None = None) -> PartResult:
        """A copy in which ``grams`` of ``symbol`` count as of origin class ``to``.

        They are taken from ``source`` (the class they had), or, with ``source`` None, all
        of the element moves. The total does not change; the BOM and this result are not
        touched. Overrides backed by a document use it at evaluation time.
        """
        element = self.element(symbol)
        if source is None:
            zero = Bounds.zero("g")
            by_origin = {o: element.total if o is to else zero for o in ORIGIN_CLASSES}
        else:
            by_origin = dict(element.by_origin)
            held = by_origin[source]
            moved = Bounds(min(grams.min, held.max), grams.nominal, min(grams.max, held.max), "g")
            nominal = None if held.nominal is None or moved.nominal is None else max(held.nominal - moved.nominal, 0)
            by_origin[source] = Bounds(max(held.min - moved.max, 0), nominal, max(held.max - moved.min, 0), "g")
            by_origin[to] = by_origin[to] + moved
        elements = {**self.elements, symbol: ElementMass(symbol, element.total, by_origin)}
        return attrs.evolve(self, elements=elements)

    @property
    def rare_earths(self) -> Bounds:
        """Grams of all 17 rare earths, declared (the max includes what could be)."""
        return self.mass_of(chemistry.RARE_EARTHS)


@attrs.frozen
class PathStep:
    """One usage on a path: the child, and the quantity multiplier of this step."""

    part: str
    multiplier: Number


@attrs.frozen
class Contributor:
    """Where some of a finished good's element mass comes from.

    ``part`` holds the mass in its own materials; ``paths`` are BOM paths from the finished
    good down to it (up to a limit; ``path_count`` says how many there are), each step
    with its own quantity (their product is the path's multiplier); ``multiplier`` sums
    over all paths; ``mass`` is
    grams in the finished good through all those paths; ``origin`` is its class there.
    """

    part: str
    symbol: str
    origin: OriginClass
    mass: Bounds
    multiplier: Bounds
    own_mass: Bounds
    paths: tuple[tuple[PathStep, ...], ...]
    path_count: int

    def path_text(self, path: tuple[PathStep, ...]) -> str:
        return " > ".join(f"{step.part}" + (f" ×{_fmt(step.multiplier)}" if step.multiplier != 1 else "") for step in path)


@attrs.frozen
class Coverage:
    """How much of a part's data is there.

    ``composition_declared``: the share of the mass whose composition resolved to
    elements. ``origin_known``: the share of declared rare-earth mass whose origin class
    is known. The ``missing_*`` tuples name the parts below (and including) the part whose
    mass, composition, value or origin is missing, in topological order.
    ``typical_composition`` names the parts whose composition came from rarebom's typical
    compositions (on opt-in) rather than from a declaration.
    """

    part: str
    composition_declared: Bounds
    origin_known: Bounds | None
    missing_mass: tuple[str, ...]
    missing_composition: tuple[str, ...]
    missing_value: tuple[str, ...]
    missing_origin: tuple[str, ...]
    typical_composition: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not (self.missing_mass or self.missing_composition or self.missing_value or self.missing_origin)


def element_masses(vector: Mapping[int, tuple], split_column) -> dict[str, dict[OriginClass, tuple]]:
    """Regroup a raw vector into symbol -> origin -> triple."""
    grouped: dict[str, dict[OriginClass, tuple]] = {}
    for col, triple in vector.items():
        symbol, origin = split_column(col)
        grouped.setdefault(symbol, {})[origin] = triple
    return grouped


def element_mass(symbol: str, per_origin: Mapping[OriginClass, tuple], cap: Number = math.inf) -> ElementMass:
    """One symbol's masses by origin class, and their total, whose max is capped at ``cap``
    (the part's mass: no element outweighs the part it is in)."""
    zero = Bounds.zero("g")
    if not per_origin and not zero.max > cap:
        return _zero_element(symbol)  # the same fields (most parts hold no undeclared content)
    # The total sums the classes with something in them (a trace builds one ElementMass
    # per element of every part it reports).
    by_origin = {o: zero if (t := per_origin.get(o)) is None else _make(t[0], t[1], t[2], "g") for o in ORIGIN_CLASSES}
    lo, nominal, hi = _add_up([b for b in by_origin.values() if b is not zero])
    if hi > cap:
        # (A worst-case envelope can put the nominal above the part's max; keep it inside.)
        top = cap if nominal is None else max(cap, nominal)
        lo, hi = min(lo, top), top
    return ElementMass(symbol, _make(lo, nominal, hi, "g"), by_origin)
