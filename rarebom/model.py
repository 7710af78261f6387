"""The BOM domain model: frozen attrs classes, no I/O.

A :class:`Bom` is a directed acyclic graph of :class:`Part` objects. A part uses other
parts through :class:`Usage` edges, each with a quantity; one sub-assembly may be used by
many parents. A part that no other part uses is a finished good.

Every number is an :class:`Amount`: an exact value (``fractions.Fraction``) in the
canonical unit of its :class:`~rarebom.units.Kind`, optional ``min``/``max`` bounds, and
the unit it was written in. Readers build amounts once, at the edge; everything after them
works on the exact canonical numbers.

Validators here check what a single object can check on its own (types, kinds, bounds in
order, known element symbols). Checks that need the whole BOM, such as dangling references,
cycles and mass balance, are in :mod:`rarebom.checks`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import attrs

from . import chemistry
from .errors import Location
from .units import Kind, format_number, kind_of_unit, parse_number, unit_factor

__all__ = [
    "ITEM_CLASSES",
    "Amount",
    "Bom",
    "Classification",
    "Completeness",
    "Material",
    "OriginClaim",
    "Part",
    "Stage",
    "Substance",
    "Usage",
]


def _tuple_of(item_type):
    """A tuple of ``item_type`` items, checked in one call; attrs' validator words the error."""
    explain = attrs.validators.deep_iterable(attrs.validators.instance_of(item_type), attrs.validators.instance_of(tuple))

    def check(instance, attribute, value):
        # Readers build a model object per item of a file: this plain loop costs a third of
        # attrs' nested validators. Anything it does not pass, attrs checks and explains.
        if isinstance(value, tuple):
            for item in value:
                if not isinstance(item, item_type):
                    break
            else:
                return
        explain(instance, attribute, value)

    return check


# Characters XML 1.0 cannot carry at all. Refusing them here keeps every model writable in
# both encodings, whichever one it was read from.
NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(instance, attribute, value):
    if value is None:
        return
    if type(value) is str and value.isascii() and value.isprintable():
        return  # printable ASCII holds none of NOT_XML_CHAR: a quick pass for most texts
    if not isinstance(value, str):
        raise TypeError(f"{attribute.name} must be a string, not {type(value).__name__}")
    bad = NOT_XML_CHAR.search(value)
    if bad:
        raise ValueError(f"{attribute.name} holds the control character U+{ord(bad.group()):04X}, which no BOM file can carry")


_optional_str = _text


def _provenance(instance, attribute, value):
    if value is not None and not isinstance(value, Location):
        raise TypeError(f"{attribute.name} must be a Location, not {type(value).__name__}")
    if value is not None:
        if value.file is None and value.line is None and value.pointer is None:
            raise ValueError(f"{attribute.name} must name a file, a line or a path")
        _text(instance, attribute, value.file)
        _text(instance, attribute, value.pointer)


def _non_empty(instance, attribute, value):
    _text(instance, attribute, value)
    if not value or not value.strip():
        raise ValueError(f"{attribute.name} must not be empty")


_is_str = attrs.validators.instance_of(str)


def _required_text(instance, attribute, value):
    """``instance_of(str)``, then :func:`_non_empty`: one call instead of attrs' chain of two."""
    if type(value) is str and value and value.isascii() and value.isprintable() and not value.isspace():
        return  # the usual case, decided without a regex (printable ASCII: only " " is blank)
    if not isinstance(value, str):
        _is_str(instance, attribute, value)  # raises attrs' TypeError
    _non_empty(instance, attribute, value)


@attrs.frozen(kw_only=True, hash=False)  # __hash__ below
class Amount:
    """An exact amount with optional bounds.

    ``value``, ``min`` and ``max`` are in the canonical unit of ``kind`` (grams for mass, a
    plain ratio for fractions, metres, square metres or cubic metres for bulk, the currency
    itself for money). ``unit`` is the unit as written, used to write the amount back and to
    show it. ``value`` may be absent when a range is given ("< 10 %" is ``max`` alone).
    """

    kind: Kind = attrs.field(validator=attrs.validators.instance_of(Kind))
    unit: str = attrs.field(validator=attrs.validators.instance_of(str))
    value: Fraction | None = attrs.field(default=None)
    min: Fraction | None = attrs.field(default=None)
    max: Fraction | None = attrs.field(default=None)

    @value.validator
    @min.validator
    @max.validator
    def _exact(self, attribute, number):
        if number is not None and not isinstance(number, Fraction):
            raise TypeError(f"Amount.{attribute.name} must be a Fraction, not {type(number).__name__}")

    def __attrs_post_init__(self):
        unit_factor(self.unit, self.kind)  # raises UnitError for a unit of the wrong kind
        if self.value is None and self.max is None:
            raise ValueError("an amount needs a value or a max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self._show(self.min)} is above max {self._show(self.max)}")
        if self.value is not None and ((self.min is not None and self.value < self.min) or (self.max is not None and self.value > self.max)):
            raise ValueError(f"value {self._show(self.value)} is outside its range [{self._show(self.min)}, {self._show(self.max)}]")

    def __hash__(self) -> int:
        # What attrs would hash, without hashing Fractions (a modular inverse in Python, about
        # 4 us an amount): equal Fractions have equal numerators and denominators. Readers
        # share equal objects that hold amounts by looking them up in dicts (formats/native.py).
        # (as_integer_ratio is one call where .numerator and .denominator are two properties.)
        value, low, high = self.value, self.min, self.max
        if low is None and high is None:
            return hash((self.kind, self.unit, None) if value is None else (self.kind, self.unit, *value.as_integer_ratio()))
        return hash((self.kind, self.unit, *(None if n is None else n.as_integer_ratio() for n in (value, low, high))))

    @classmethod
    def parse(cls, value: str | None, unit: str, kind: Kind, *, min: str | None = None, max: str | None = None) -> Amount:
        """Build an amount from decimal strings written in ``unit``."""
        factor = unit_factor(unit, kind)
        one = factor == 1  # g, each, a plain ratio: the number is already canonical

        def convert(text: str | None) -> Fraction | None:
            if text is None:
                return None
            return parse_number(text) if one else parse_number(text) * factor

        return cls(kind=kind, unit=unit, value=convert(value), min=convert(min), max=convert(max))

    @property
    def factor(self) -> Fraction:
        """How many canonical units one ``unit`` is."""
        return unit_factor(self.unit, self.kind)

    def written(self, number: Fraction | None) -> str | None:
        """``number`` (canonical) as a decimal string in the written unit."""
        return None if number is None else format_number(number / self.factor)

    def _show(self, number: Fraction | None) -> str:
        return "?" if number is None else f"{self.written(number)} {self.unit}".strip()

    def __str__(self) -> str:
        text = self._show(self.value) if self.value is not None else ""
        if self.min is not None or self.max is not None:
            text += f" [{self.written(self.min) or '?'}, {self.written(self.max) or '?'}] {self.unit}".rstrip()
        return text.strip()

    @property
    def quantity(self):
        """The nominal value as a pint Quantity in the written unit (``None`` if only a range is known)."""
        from .units import ureg

        if self.value is None:
            return None
        if self.kind is Kind.COUNT:
            return ureg.Quantity(self.value, "each")
        if self.kind is Kind.FRACTION:
            return ureg.Quantity(self.value, "dimensionless").to(self._pint_fraction_unit())
        return ureg.Quantity(self.value / self.factor, self.unit)

    def _pint_fraction_unit(self) -> str:
        from .units import _FRACTION_ALIASES

        return _FRACTION_ALIASES.get(self.unit.strip().lower(), self.unit.strip()) or "dimensionless"


def _amount_of(*kinds: Kind):
    def check(instance, attribute, value):
        if value is None:
            return
        if not isinstance(value, Amount):
            raise TypeError(f"{attribute.name} must be an Amount")
        if value.kind not in kinds:
            raise ValueError(f"{attribute.name} must be a {' or '.join(k.value for k in kinds)}, not a {value.kind.value}")

    return check


class Completeness(enum.Enum):
    """Whether a material's substance list is the whole of it.

    ``FULL``: the substances are a full declaration; what they do not cover is an error in
    the data, not hidden content. ``PARTIAL``: only declarable substances are listed; the
    rest of the material's mass is undeclared and may hold anything.
    """

    # Members are singletons compared by identity, so identity can hash them: Enum's own
    # __hash__ runs in Python, and readers and the engine hash these in dict keys often.
    __hash__ = object.__hash__

    FULL = "full"
    PARTIAL = "partial"


class Stage(enum.Enum):
    """The processing stage an origin claim speaks of, from the ground to the component."""

    # Members are singletons compared by identity, so identity can hash them: Enum's own
    # __hash__ runs in Python, and readers and the engine hash these in dict keys often.
    __hash__ = object.__hash__

    MINED = "mined"
    SEPARATED = "separated"
    METAL_OR_ALLOY = "metal-or-alloy"
    MAGNET_OR_FUNCTIONAL_MATERIAL = "magnet-or-functional-material"
    COMPONENT = "component"


#: The item classes rarebom's rules know, for classifications with scheme ``item-class``.
#: They follow the item descriptions of MOFCOM announcements No. 18/2025 and No. 61/2025
#: (see docs/formats.md); the rule packs match on these codes.
ITEM_CLASSES = frozenset(
    {
        "rare-earth-permanent-magnet",
        "rare-earth-sputtering-target",
        "rare-earth-metal",
        "rare-earth-alloy",
        "rare-earth-oxide",
        "rare-earth-compound",
        "samarium-cobalt-magnet",
        "ndfeb-magnet",
        "rotor-or-stator-assembly",
    }
)


@attrs.frozen(kw_only=True)
class Substance:
    """A substance in a material, identified by element symbol, CAS number or formula.

    ``amount`` is a mass (per unit of the part) or a mass fraction of the material. A
    substance with no identity at all ("proprietary", "other substances") is undeclared
    content: its mass is known, what it is is not. A substance with no amount is present in
    an unknown amount.

    ``provenance`` is where the substance came from in the original declaration (see
    :attr:`Part.provenance`).
    """

    name: str | None = attrs.field(default=None, validator=_optional_str)
    element: str | None = attrs.field(default=None, validator=_optional_str)
    cas: str | None = attrs.field(default=None, validator=_optional_str)
    formula: str | None = attrs.field(default=None, validator=_optional_str)
    amount: Amount | None = attrs.field(default=None, validator=_amount_of(Kind.MASS, Kind.FRACTION))
    provenance: Location | None = attrs.field(default=None, validator=_provenance)

    @element.validator
    def _known_element(self, attribute, value):
        if value is not None and not chemistry.is_element(value):
            raise ValueError(f"{value!r} is not an element symbol")

    @property
    def identified(self) -> bool:
        return any((self.element, self.cas, self.formula))

    @property
    def label(self) -> str:
        return self.name or self.element or self.formula or self.cas or "unnamed substance"


@attrs.frozen(kw_only=True)
class Material:
    """A homogeneous material in a part: a mass per unit of the part, or a mass fraction of it.

    ``provenance`` is where it came from in the original declaration (see :attr:`Part.provenance`).
    """

    name: str | None = attrs.field(default=None, validator=_optional_str)
    id: str | None = attrs.field(default=None, validator=_optional_str)
    amount: Amount | None = attrs.field(default=None, validator=_amount_of(Kind.MASS, Kind.FRACTION))
    completeness: Completeness = attrs.field(default=Completeness.PARTIAL, validator=attrs.validators.instance_of(Completeness))
    substances: tuple[Substance, ...] = attrs.field(default=(), converter=tuple, validator=_tuple_of(Substance))
    provenance: Location | None = attrs.field(default=None, validator=_provenance)

    @property
    def label(self) -> str:
        return self.name or self.id or "unnamed material"


_COUNTRY = re.compile(r"[A-Z]{2}")


@attrs.frozen(kw_only=True)
class OriginClaim:
    """A claim that a part's material comes from ``country`` at a processing ``stage``.

    ``country`` is an ISO 3166-1 alpha-2 code. ``source`` names the evidence: a supplier
    declaration id, a certificate. Claims are kept as made; conflicting claims are not
    resolved here.
    """

    country: str = attrs.field(validator=attrs.validators.instance_of(str))
    stage: Stage = attrs.field(validator=attrs.validators.instance_of(Stage))
    source: str | None = attrs.field(default=None, validator=_optional_str)

    @country.validator
    def _iso_country(self, attribute, value):
        if not _COUNTRY.fullmatch(value):
            raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")


@attrs.frozen(kw_only=True)
class Classification:
    """A code from a classification scheme: ``item-class`` (see :data:`ITEM_CLASSES`), ``hs``, ``eccn``, ..."""

    scheme: str = attrs.field(validator=_required_text)
    code: str = attrs.field(validator=_required_text)


@attrs.frozen(kw_only=True)
class Usage:
    """A parent's use of a child part.

    ``quantity`` counts pieces, or measures bulk material (0.3 kg of adhesive, 1.2 m of
    wire) in the child's unit of measure's dimension. ``alternates`` name parts that may be
    fitted instead of ``child``.
    """

    child: str = attrs.field(validator=_required_text)
    quantity: Amount = attrs.field(validator=_amount_of(Kind.COUNT, Kind.MASS, Kind.LENGTH, Kind.AREA, Kind.VOLUME))
    alternates: tuple[str, ...] = attrs.field(default=(), converter=tuple, validator=_tuple_of(str))


def _attribute_pairs(value) -> tuple[tuple[str, str], ...]:
    if type(value) is tuple and not value:
        return value
    if type(value) is tuple and all(type(pair) is tuple and len(pair) == 2 and type(pair[0]) is str and type(pair[1]) is str for pair in value):
        return value  # already what the loop below makes: kept, so that readers can share it
    items = value.items() if hasattr(value, "items") else value
    return tuple((str(k), str(v)) for k, v in items)


def _unique_names(instance, attribute, value):
    if not value:
        return
    for name, text in value:
        _non_empty(instance, attribute, name)
        _text(instance, attribute, text)
    names = [name for name, _ in value]
    if len(names) != len(set(names)):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"attribute names repeat: {', '.join(dup)}")


def _known_uom(instance, attribute, value):
    """``instance_of(str)``, then a unit :func:`kind_of_unit` knows (else UnitError)."""
    if type(value) is not str:
        _is_str(instance, attribute, value)  # raises attrs' TypeError
    kind_of_unit(value)


_optional_bool = attrs.validators.optional(attrs.validators.instance_of(bool))


def _tri_state(instance, attribute, value):
    """``optional(instance_of(bool))``, with True, False and None passed in one test."""
    if value is not None and type(value) is not bool:
        _optional_bool(instance, attribute, value)  # raises attrs' TypeError


@attrs.frozen(kw_only=True)
class Part:
    """A part, sub-assembly, material lot or finished good.

    ``uom`` is the unit the part is counted in: ``each`` for pieces, or a unit of mass,
    length, area or volume for bulk material. ``mass`` and ``unit_value`` are per one
    ``uom``; for a part measured by mass the mass is implied (1 kg weighs 1 kg).

    ``china_re_technology`` says whether the part was produced with China-origin rare-earth
    technology: ``True``, ``False`` or ``None`` for unknown. ``attributes`` are free
    name/value pairs from the source, kept in order and never dropped.

    ``location`` is where the part is in the file it was just read from. ``provenance`` is
    where it came from in the original declaration (the file, and the XPath or row there)
    when it was imported from another format. Unlike ``location`` it is data: it takes
    part in equality, and rarebom's own formats write it, so a BOM converted from an IPC
    or IEC declaration still cites its source.
    """

    id: str = attrs.field(validator=_required_text)
    name: str | None = attrs.field(default=None, validator=_optional_str)
    description: str | None = attrs.field(default=None, validator=_optional_str)
    uom: str = attrs.field(default="each", validator=_known_uom)
    mass: Amount | None = attrs.field(default=None, validator=_amount_of(Kind.MASS))
    unit_value: Amount | None = attrs.field(default=None, validator=_amount_of(Kind.CURRENCY))
    materials: tuple[Material, ...] = attrs.field(default=(), converter=tuple, validator=_tuple_of(Material))
    uses: tuple[Usage, ...] = attrs.field(default=(), converter=tuple, validator=_tuple_of(Usage))
    origins: tuple[OriginClaim, ...] = attrs.field(default=(), converter=tuple, validator=_tuple_of(OriginClaim))
    classifications: tuple[Classification, ...] = attrs.field(default=(), converter=tuple, validator=_tuple_of(Classification))
    china_re_technology: bool | None = attrs.field(default=None, validator=_tri_state)
    attributes: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_attribute_pairs, validator=_unique_names)
    provenance: Location | None = attrs.field(default=None, validator=_provenance)
    location: Location | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def uom_kind(self) -> Kind:
        """COUNT for pieces, else MASS, LENGTH, AREA or VOLUME for bulk material."""
        return kind_of_unit(self.uom)

    @property
    def uom_size(self) -> Fraction:
        """One ``uom`` in the canonical unit of its kind (1 for pieces, 1000 for kg, ...)."""
        return unit_factor(self.uom, self.uom_kind)

    @property
    def label(self) -> str:
        return f"{self.id} ({self.name})" if self.name else self.id

    def attribute(self, name: str, default: str | None = None) -> str | None:
        return dict(self.attributes).get(name, default)

    def item_classes(self) -> frozenset[str]:
        return frozenset(c.code for c in self.classifications if c.scheme == "item-class")


def _unique_ids(instance, attribute, parts):
    seen: set[str] = set()
    repeated = []
    for part in parts:
        if part.id in seen:
            repeated.append(part.id)
        seen.add(part.id)
    if repeated:
        raise ValueError(f"part ids repeat: {', '.join(sorted(set(repeated)))}")


@attrs.frozen(kw_only=True)
class Bom:
    """A bill of materials: parts in file order, and the finished goods among them.

    Look parts up with :meth:`part`; :attr:`finished_goods` are the parts no other part
    uses, in file order. A file may hold several.
    """

    parts: tuple[Part, ...] = attrs.field(converter=tuple, validator=[_tuple_of(Part), _unique_ids])
    name: str | None = attrs.field(default=None, validator=_optional_str)
    attributes: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_attribute_pairs, validator=_unique_names)
    source: str | None = attrs.field(default=None, eq=False, repr=False)
    _index: dict[str, Part] = attrs.field(init=False, eq=False, repr=False)
    #: check_bom's findings, by its options: a Bom never changes, so loading a file and
    #: then tracing it checks it once.
    _checked: dict = attrs.field(init=False, eq=False, repr=False)
    #: :attr:`finished_goods`, once asked for (a trace asks twice, and each asking reads every
    #: usage), or once :func:`~rarebom.checks.check_bom` has walked the graph
    _finished: tuple | None = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self):
        object.__setattr__(self, "_index", {part.id: part for part in self.parts})
        object.__setattr__(self, "_checked", {})
        object.__setattr__(self, "_finished", None)

    def part(self, part_id: str) -> Part:
        """The part with this id; ``KeyError`` if there is none."""
        return self._index[part_id]

    def __contains__(self, part_id: object) -> bool:
        return part_id in self._index

    def __iter__(self) -> Iterator[Part]:
        return iter(self.parts)

    def __len__(self) -> int:
        return len(self.parts)

    @property
    def finished_goods(self) -> tuple[Part, ...]:
        if self._finished is None:
            used = {ref for part in self.parts for use in part.uses for ref in (use.child, *use.alternates)}
            object.__setattr__(self, "_finished", tuple(part for part in self.parts if part.id not in used))
        return self._finished

    def _know_finished_goods(self, parts: tuple[Part, ...]) -> None:
        """Keep :attr:`finished_goods` found by a walk of the graph (check_bom's)."""
        object.__setattr__(self, "_finished", parts)

    def evolve(self, **changes: Any) -> Bom:
        return attrs.evolve(self, **changes)
