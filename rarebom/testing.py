"""Hypothesis strategies for BOMs, for rarebom's tests and for yours.

Install with ``pip install rarebom[testing]``. Every strategy builds valid model objects:
BOMs are DAGs by construction (a part only uses parts drawn after it), shared
sub-assemblies are common, and amounts come in every unit kind the format accepts, with
and without ranges. A BOM from :func:`boms` passes :func:`rarebom.check_bom` without
errors (warnings, such as fractions that sum above 100 %, may occur: they are data a
real file can hold).

Example::

    from hypothesis import given
    from rarebom.testing import boms

    @given(boms())
    def test_my_tool_reads_every_bom(bom):
        ...
"""

from __future__ import annotations

import functools
from fractions import Fraction

try:
    from hypothesis import assume
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("rarebom.testing needs hypothesis: pip install 'rarebom[testing]'") from exc

from . import chemistry
from .errors import Location
from .limits import DEFAULT_LIMITS
from .model import ITEM_CLASSES, Amount, Bom, Classification, Completeness, Material, OriginClaim, Part, Stage, Substance, Usage
from .units import Kind

__all__ = [
    "add_china_rare_earth",
    "amounts",
    "boms",
    "decimals",
    "expand_tree",
    "materials",
    "parts_texts",
    "scale_masses",
    "shuffled",
    "substances",
    "texts",
    "threshold_boms",
    "with_mass_unit",
]

#: Units each kind is drawn in; every spelling here must survive a round trip.
UNITS = {
    Kind.MASS: ("g", "kg", "mg", "lb", "oz", "t", "µg"),
    Kind.FRACTION: ("", "%", "wt%", "ppm", "mg/kg", "percent"),
    Kind.COUNT: ("", "each", "pcs", "ea"),
    Kind.LENGTH: ("m", "mm", "cm", "ft"),
    Kind.AREA: ("m**2", "cm**2"),
    Kind.VOLUME: ("mL", "L", "m**3"),
    Kind.CURRENCY: ("USD", "EUR", "CNY", "JPY"),
}

#: Units of measure bulk parts are drawn in, by kind.
BULK_UOMS = {Kind.MASS: ("kg", "g"), Kind.LENGTH: ("m",), Kind.AREA: ("m**2",), Kind.VOLUME: ("mL", "L")}

# Printable text, including spaces, tabs, newlines and non-ASCII, but nothing XML 1.0 forbids.
_CHARS = st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff") | st.sampled_from(" \t\n")


def _not_blank(text: str) -> bool:
    return bool(text.strip())


@functools.cache
def texts(max_size: int = 12) -> st.SearchStrategy[str]:
    """Non-blank text an XML attribute or JSON string can hold."""
    return st.text(_CHARS, min_size=1, max_size=max_size).filter(_not_blank)


def decimals(*, min_exp: int = -4, max_exp: int = 4, positive: bool = True) -> st.SearchStrategy[Fraction]:
    """Exact decimal numbers (what a file can write), from 10**min_exp to 10**max_exp."""
    digits = st.integers(1 if positive else 0, 10**6)
    return st.builds(lambda d, e: Fraction(d) * Fraction(10) ** e, digits, st.integers(min_exp - 6, max_exp))


@functools.cache
def amounts(kind: Kind, *, ranges: bool = True, max_fraction: Fraction | None = None) -> st.SearchStrategy[Amount]:
    """Amounts of ``kind`` in any of its accepted units, with optional [min, max] bounds."""

    @st.composite
    def build(draw):
        unit = draw(st.sampled_from(UNITS[kind]))
        amount = Amount.parse("1", unit, kind)
        factor = amount.factor
        # The number is drawn as written in the unit, then made canonical, as a reader does.
        written = draw(decimals()) if max_fraction is None else draw(st.fractions(0, max_fraction / factor, max_denominator=10**4))
        nominal = written * factor
        low = high = None
        if ranges and draw(st.booleans()):
            low = nominal * draw(st.sampled_from([Fraction(1, 2), Fraction(9, 10), Fraction(1)]))
            high = nominal * draw(st.sampled_from([Fraction(1), Fraction(11, 10), Fraction(2)]))
        if ranges and draw(st.integers(0, 9)) == 0:
            return Amount(kind=kind, unit=unit, value=None, min=None, max=nominal)  # "less than"
        return Amount(kind=kind, unit=unit, value=nominal, min=low, max=high)

    return build()


#: Where an imported entity came from: a file, and a line and an XPath or row in it.
_provenances = st.none() | st.builds(Location, file=texts(), line=st.none() | st.integers(1, 10**9), pointer=st.none() | st.text(_CHARS, max_size=20))


@functools.cache
def substances() -> st.SearchStrategy[Substance]:
    identity = st.one_of(
        st.builds(dict, element=st.sampled_from(chemistry.RARE_EARTHS + ("Fe", "B", "Co", "Cu", "Nb", "Al"))),
        st.builds(dict, cas=st.sampled_from(["7440-00-8", "1308-87-8", "7440-27-9", "7439-89-6", "215-169-8"])),
        st.builds(dict, formula=st.sampled_from(["Dy2O3", "Nd2O3", "SmCo5", "Nd2Fe14B", "Tb4O7"])),
        st.just({}),  # unidentified: undeclared content
    )
    amount = st.one_of(st.none(), amounts(Kind.FRACTION, max_fraction=Fraction(1)), amounts(Kind.MASS))
    return st.builds(lambda ident, name, a, p: Substance(name=name, amount=a, provenance=p, **ident), identity, st.none() | texts(), amount, _provenances)


@functools.cache
def materials() -> st.SearchStrategy[Material]:
    return st.builds(
        Material,
        name=st.none() | texts(),
        id=st.none() | texts(6),
        amount=st.none() | amounts(Kind.FRACTION, max_fraction=Fraction(1)) | amounts(Kind.MASS),
        completeness=st.sampled_from(Completeness),
        substances=st.lists(substances(), max_size=4).map(tuple),
        provenance=_provenances,
    )


_origins = st.builds(OriginClaim, country=st.sampled_from(["CN", "JP", "US", "DE", "VN", "MY", "AU", "EE"]), stage=st.sampled_from(Stage), source=st.none() | texts())
_classifications = st.one_of(
    st.builds(Classification, scheme=st.just("item-class"), code=st.sampled_from(sorted(ITEM_CLASSES))),
    st.builds(Classification, scheme=st.sampled_from(["hs", "eccn"]), code=st.sampled_from(["8505.11", "850511", "1C902", "EAR99"])),
)
_attributes = st.dictionaries(texts(8), st.text(_CHARS, max_size=10), max_size=3)


def parts_texts() -> st.SearchStrategy[str]:
    """Part ids: short, unique-able, sometimes with spaces or non-ASCII."""
    return texts(10)


@st.composite
def boms(draw, *, max_parts: int = 12, max_uses: int = 4) -> Bom:
    """A valid BOM: a DAG of up to ``max_parts`` parts with shared sub-assemblies.

    Part ``i`` may only use parts ``j > i``, so the graph is acyclic by construction.
    Children drawn from a small pool make sharing (one part, many parents) frequent.
    """
    count = draw(st.integers(1, max_parts))
    ids = draw(st.lists(parts_texts(), min_size=count, max_size=count, unique=True))
    uoms = [draw(st.sampled_from(["each"] * 3 + [u for us in BULK_UOMS.values() for u in us])) for _ in ids]
    parts = []
    for i, pid in enumerate(ids):
        uom = uoms[i]
        uses = []
        later = list(range(i + 1, count))
        if later:
            for j in draw(st.lists(st.sampled_from(later), max_size=max_uses)):
                child_kind = Kind.COUNT if uoms[j] == "each" else next(k for k, us in BULK_UOMS.items() if uoms[j] in us)
                alternates = draw(st.lists(st.sampled_from(later), max_size=1))
                uses.append(Usage(child=ids[j], quantity=draw(amounts(child_kind)), alternates=tuple(ids[a] for a in alternates)))
        mass = None if uom in BULK_UOMS[Kind.MASS] else draw(st.none() | amounts(Kind.MASS))
        parts.append(
            Part(
                id=pid,
                name=draw(st.none() | texts()),
                description=draw(st.none() | st.text(_CHARS, max_size=20)),
                uom=uom,
                mass=mass,
                unit_value=draw(st.none() | amounts(Kind.CURRENCY)),
                materials=tuple(draw(st.lists(materials(), max_size=2))),
                uses=tuple(uses),
                origins=tuple(draw(st.lists(_origins, max_size=2))),
                classifications=tuple(draw(st.lists(_classifications, max_size=2))),
                china_re_technology=draw(st.sampled_from([None, True, False])),
                attributes=draw(_attributes),
                provenance=draw(_provenances),
            )
        )
    # Valid under the default limits too: no path's quantities multiply past max_multiplicity.
    assume(_max_multiplicity(parts) <= DEFAULT_LIMITS.max_multiplicity)
    return Bom(parts=draw(st.permutations(parts)), name=draw(st.none() | texts()), attributes=draw(_attributes))


def _max_multiplicity(parts: list[Part]) -> Fraction:
    """The largest product of quantities (in the child's units of measure) down any path;
    ``parts`` only use parts after them."""
    by_id = {p.id: p for p in parts}
    most: dict[str, Fraction] = {}
    for part in reversed(parts):
        best = Fraction(1)
        for use in part.uses:
            q = use.quantity.max if use.quantity.max is not None else use.quantity.value
            for ref in (use.child, *use.alternates):
                best = max(best, q / by_id[ref].uom_size * most[ref])
        most[part.id] = best
    return max(most.values())


# -- roll-up invariants ----------------------------------------------------------------
# Transformations that must not change what rarebom.trace() computes (or must change it
# in a known way), and strategies for the boundary cases a threshold test must get right.
# rarebom's own property tests use them; use them to test your tool against rarebom.


def expand_tree(bom: Bom) -> Bom:
    """The same BOM with every shared sub-assembly copied once per path: a tree.

    Copies are named ``"<id>@<n>"``. The finished goods keep their ids. Exponential in
    the depth of sharing, so only for small BOMs.
    """
    import attrs

    originals = {p.id: p for p in bom.parts}
    out: list[Part] = []
    counter = [0]

    def copy_of(pid: str) -> str:
        counter[0] += 1
        return f"{pid}@{counter[0]}"

    # Iterative: (original id, new id) pairs still to expand.
    todo = [(fg.id, fg.id) for fg in bom.finished_goods]
    while todo:
        original, new_id = todo.pop()
        part = originals[original]
        uses = []
        for use in part.uses:
            child = copy_of(use.child)
            alternates = tuple(copy_of(a) for a in use.alternates)
            todo.append((use.child, child))
            todo.extend(zip(use.alternates, alternates, strict=True))
            uses.append(attrs.evolve(use, child=child, alternates=alternates))
        out.append(attrs.evolve(part, id=new_id, uses=tuple(uses)))
    return attrs.evolve(bom, parts=tuple(out))


def _scaled(amount: Amount | None, k: Fraction) -> Amount | None:
    if amount is None or amount.kind is not Kind.MASS:
        return amount
    times = lambda x: None if x is None else x * k  # noqa: E731
    return Amount(kind=amount.kind, unit=amount.unit, value=times(amount.value), min=times(amount.min), max=times(amount.max))


def scale_masses(bom: Bom, k: Fraction) -> Bom:
    """Every mass in the BOM times ``k``: every element mass scales by ``k``, every share stays.

    Part masses, material and substance masses and bulk usages by mass are scaled. A part
    counted in kg still weighs 1 kg per unit, so its own per-unit amounts are left alone
    and the usages of it, which are masses, carry the scaling. The invariant holds for
    BOMs in which no part counted by mass is itself assembled from other parts: such a
    part weighs 1 kg per kg whatever its pieces weigh.
    """
    import attrs

    parts = []
    for part in bom.parts:
        bulk_by_mass = part.uom_kind is Kind.MASS
        materials = part.materials
        if not bulk_by_mass:
            materials = tuple(
                attrs.evolve(m, amount=_scaled(m.amount, k), substances=tuple(attrs.evolve(s, amount=_scaled(s.amount, k)) for s in m.substances)) for m in part.materials
            )
        uses = tuple(attrs.evolve(u, quantity=_scaled(u.quantity, k)) for u in part.uses)
        parts.append(attrs.evolve(part, mass=_scaled(part.mass, k), materials=materials, uses=uses))
    return attrs.evolve(bom, parts=tuple(parts))


def with_mass_unit(bom: Bom, unit: str) -> Bom:
    """Every mass written in ``unit`` (same canonical values): write it to a file to test unit handling."""
    import attrs

    def re_unit(amount: Amount | None) -> Amount | None:
        if amount is None or amount.kind is not Kind.MASS:
            return amount
        return attrs.evolve(amount, unit=unit)

    parts = []
    for part in bom.parts:
        materials = tuple(attrs.evolve(m, amount=re_unit(m.amount), substances=tuple(attrs.evolve(s, amount=re_unit(s.amount)) for s in m.substances)) for m in part.materials)
        uses = tuple(attrs.evolve(u, quantity=re_unit(u.quantity)) for u in part.uses)
        parts.append(attrs.evolve(part, mass=re_unit(part.mass), materials=materials, uses=uses))
    return attrs.evolve(bom, parts=tuple(parts))


@st.composite
def shuffled(draw, bom: Bom) -> Bom:
    """The same BOM with its parts and every part's usages in another order."""
    import attrs

    parts = [attrs.evolve(p, uses=tuple(draw(st.permutations(p.uses)))) for p in bom.parts]
    return attrs.evolve(bom, parts=tuple(draw(st.permutations(parts))))


def add_china_rare_earth(bom: Bom, part_id: str, grams: Fraction, element: str = "Dy") -> Bom:
    """``bom`` with one more child of ``part_id``: ``grams`` of pure ``element``, separated in China.

    Adding China-origin rare-earth mass never lowers a China share (monotonicity).
    """
    import attrs

    extra_id = f"{part_id}+{element}-CN"
    while extra_id in bom:
        extra_id += "'"
    substance = Substance(element=element, amount=Amount(kind=Kind.FRACTION, unit="%", value=Fraction(1)))
    extra = Part(
        id=extra_id,
        mass=Amount(kind=Kind.MASS, unit="g", value=grams),
        materials=(Material(amount=Amount(kind=Kind.FRACTION, unit="%", value=Fraction(1)), completeness=Completeness.FULL, substances=(substance,)),),
        origins=(OriginClaim(country="CN", stage=Stage.SEPARATED, source="rarebom.testing"),),
    )
    parts = [attrs.evolve(p, uses=(*p.uses, Usage(child=extra_id, quantity=Amount(kind=Kind.COUNT, unit="", value=Fraction(1))))) if p.id == part_id else p for p in bom.parts]
    return attrs.evolve(bom, parts=(*parts, extra))


@st.composite
def threshold_boms(draw, threshold: Fraction = Fraction(1, 1000), element: str = "Dy") -> tuple[Bom, str]:
    """A BOM, and a part in it, whose ``element`` mass share is exactly ``threshold``.

    The part (a magnet, say) is built of 1-3 children in random quantities and mass units,
    each a full declaration; the element sits in one of them, sized so that the share at
    the part is ``threshold`` to the last digit. Any rounding on the way shows as a share
    off the threshold.
    """
    count = draw(st.integers(1, 3))
    quantities = [draw(st.sampled_from([Fraction(1), Fraction(2), Fraction(3), Fraction(48)])) for _ in range(count)]
    masses = [draw(decimals(min_exp=-2, max_exp=3)) for _ in range(count)]
    units = [draw(st.sampled_from(["g", "kg", "mg", "lb", "oz"])) for _ in range(count)]
    total = sum(q * m for q, m in zip(quantities, masses, strict=True))
    host = draw(st.integers(0, count - 1))
    # Element grams in one host unit so that the share at the top is exactly the threshold.
    fraction = threshold * total / (quantities[host] * masses[host])
    assume(fraction <= 1)  # a host too light to carry the element alone
    children = []
    for i in range(count):
        substances = [Substance(element="Fe", amount=Amount(kind=Kind.FRACTION, unit="%", value=Fraction(1) - (fraction if i == host else 0)))]
        if i == host:
            substances.insert(0, Substance(element=element, amount=Amount(kind=Kind.FRACTION, unit="%", value=fraction)))
        children.append(
            Part(
                id=f"child-{i}",
                mass=Amount(kind=Kind.MASS, unit=units[i], value=masses[i]),
                materials=(Material(amount=Amount(kind=Kind.FRACTION, unit="%", value=Fraction(1)), completeness=Completeness.FULL, substances=tuple(substances)),),
            )
        )
    top = Part(id="at-threshold", uses=tuple(Usage(child=f"child-{i}", quantity=Amount(kind=Kind.COUNT, unit="", value=quantities[i])) for i in range(count)))
    product = Part(id="product", uses=(Usage(child="at-threshold", quantity=Amount(kind=Kind.COUNT, unit="", value=Fraction(draw(st.integers(1, 10))))),))
    return Bom(parts=(product, top, *children)), "at-threshold"
