"""rarebom format version 1: the information model both encodings share.

The XML and JSON readers each turn one ``part`` of their file into the same plain "raw"
dict (the JSON shape, numbers as strings); :func:`structure_part` turns that into a
:class:`~rarebom.model.Part`, collecting every problem with its location. Writers go the
other way through :func:`unstructure_part`. So the two encodings cannot disagree about
what a field means: there is one place that says it.
"""

from __future__ import annotations

import operator
from array import array
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from .. import limits
from ..errors import Finding, InputError, Location, error
from ..model import Amount, Bom, Classification, Completeness, Material, OriginClaim, Part, Stage, Substance, Usage
from ..units import Kind, kind_of_unit

__all__ = ["EXPECTED_TEXT", "FORMAT_VERSION", "version_for", "Locate", "PartList", "Shared", "build_bom", "check_version", "structure_part", "unstructure_part"]

#: The format version this code writes when the BOM needs it; it reads every 1.x.
#: Version 1.1 added ``provenance``. A BOM without any is written as 1.0, so that a
#: rarebom which knows only 1.0 still reads it.
FORMAT_VERSION = "1.1"
MAJOR_VERSION = 1


def version_for(bom: Bom) -> str:
    """The lowest format version that holds everything in ``bom``."""
    for part in bom.parts:
        if part.provenance is not None or any(m.provenance is not None or any(s.provenance is not None for s in m.substances) for m in part.materials):
            return FORMAT_VERSION
    return "1.0"


#: What a field whose pattern failed should hold, in words (for both encodings' messages).
EXPECTED_TEXT = {
    "value": "a number such as 12.5, 1.2e-3 or 1/3",
    "min": "a number such as 12.5, 1.2e-3 or 1/3",
    "max": "a number such as 12.5, 1.2e-3 or 1/3",
    "country": "an ISO 3166-1 alpha-2 country code such as CN",
    "element": "an element symbol such as Nd",
    "formatVersion": "a format version such as 1.0",
}

#: Maps a path inside a raw part dict, such as ("materials", 0, "mass"), to a location.
Locate = Callable[[tuple[Any, ...]], Location]


def ids(objects: Sequence[Any]) -> int | bytes:
    """What a key holds of the shared ``objects`` in it: the ``id`` of the one object, or
    the ids of several packed in one bytes object. A key is kept for every distinct object
    until the file is read, and a tuple of ids held a 32-byte int per id besides its slot
    (12 MiB at 100k parts). Equal results name the same objects: one int never equals bytes."""
    if len(objects) == 1:
        return id(objects[0])
    return array("Q", map(id, objects)).tobytes()


class Shared:
    """What the parts of one read share: each distinct amount parsed once, each repeated text
    kept once, each distinct substance, material, usage, origin claim and classification
    built once.

    An :class:`Amount` is frozen, compared by value and carries no location, so one object
    serves every place a file writes the same amount ("1 each", "100 %"); a child id, an
    element symbol or a material name read a thousand times is one string, not a thousand.
    The same holds for the other frozen parts of a :class:`Part` (none carries a location;
    ``provenance`` is data and part of the key), and for the tuples of them a part holds.
    The dicts hold at most what the model holds anyway, plus a key per distinct object,
    and go with the reader.
    """

    def __init__(self) -> None:
        self.amounts: dict[tuple, Amount] = {}
        self.texts: dict[str, str] = {}
        #: Substances, materials, usages, origin claims, classifications and the tuples of
        #: them a part holds, each under its :meth:`key`: the first of equal ones built in
        #: this read. Two objects have equal keys exactly when they are equal, and a key
        #: is hashed in C (texts hash once), where hashing the object itself would hash
        #: its substances and amounts again in Python at every look-up.
        self.objects: dict[tuple | int | bytes, Any] = {}
        #: The first usage without alternates of each child id, found by the id alone (a
        #: string the part keeps anyway). Most of a file's usages are the first of their
        #: child: under a key each, they held a 64-byte tuple per usage (and a part's tuple
        #: of them a bytes key) until the file was read, freed only at its end among the
        #: parts' objects, where later stages' arrays cannot use the space (the resident set
        #: after reading 1M parts fell by 117-119 MiB without them). A usage of the same child in
        #: another quantity, or with alternates, goes under its key in :attr:`objects`.
        self.usages: dict[str, Usage] = {}
        #: The same for the parts' tuples of usages: the first tuple to start with each child
        #: id; another tuple that starts with that child goes under its key.
        self.usage_tuples: dict[str, tuple[Usage, ...]] = {}
        #: Each amount met, by its ``id``: the amount (which keeps the id valid) and the id
        #: of the first amount equal to it (:attr:`equal_amounts`), which keys name it by.
        self.amount_ids: dict[int, tuple[Amount, int]] = {}
        self.equal_amounts: dict[Amount, Amount] = {}
        #: A part's ``attributes`` (name/value pairs of text), each pair and each whole tuple kept once.
        self.attribute_pairs: dict[tuple[str, str], tuple[str, str]] = {}
        self.attribute_tuples: dict[tuple, tuple] = {}

    def caches(self) -> tuple[dict, ...]:
        """Every dict above: a reader that gives a part up removes what it added to each."""
        return (self.texts, self.amounts, self.objects, self.usages, self.usage_tuples, self.amount_ids, self.equal_amounts, self.attribute_pairs, self.attribute_tuples)

    def text(self, value: Any) -> Any:
        """The first string equal to ``value`` that this read kept (anything but a plain string is returned as is)."""
        if type(value) is not str:
            return value
        return self.texts.setdefault(value, value)

    def amount_id(self, amount: Amount | None) -> int | None:
        """The id of the first amount equal to ``amount`` in this read (None for None): equal
        amounts, and only they, have the same one."""
        if amount is None:
            return None
        known = self.amount_ids.get(id(amount))
        if known is None:
            known = self.amount_ids[id(amount)] = (amount, id(self.equal_amounts.setdefault(amount, amount)))
        return known[1]

    def keep(self, made: Any) -> Any:
        """The first object of this read equal to ``made`` (a substance, material, usage,
        origin claim or classification), which is ``made`` if it is the first."""
        if type(made) is Usage and not made.alternates:
            first = self.usages.setdefault(made.child, made)
            if first is made or self.amount_id(first.quantity) == self.amount_id(made.quantity):
                return first
        return self.objects.setdefault(self.key(made), made)

    def tuple_of(self, items: list) -> tuple:
        """``tuple(items)`` (the read's shared objects): the first equal tuple of this read,
        or a new one, found by its first usage's child (:attr:`usage_tuples`) or by its
        :meth:`key` before it is built."""
        if not items:
            return ()
        first = items[0]
        if type(first) is Usage:
            made = self.usage_tuples.setdefault(first.child, tuple(items))
            if len(made) == len(items) and all(map(operator.is_, made, items)):
                return made
        key = ids(items)
        made = self.objects.get(key)
        if made is None:
            made = self.objects[key] = tuple(items)
        return made

    def key(self, made: Any) -> tuple | int | bytes:
        """The key of a built substance, material, usage, origin claim, classification or
        tuple of them (whose items are this read's shared objects): equal to another's
        exactly when the objects are equal. Texts stand for themselves, amounts for the
        first equal amount, shared objects for themselves (by ``id``, packed by :func:`ids`:
        equal ones are one object), a provenance for its three fields (as :class:`Location`
        compares)."""
        cls = type(made)
        if cls is tuple:
            return ids(made)
        if cls is Substance:
            return (Substance, made.name, made.element, made.cas, made.formula, self.amount_id(made.amount), _where(made.provenance))
        if cls is Material:
            return (Material, made.name, made.id, self.amount_id(made.amount), made.completeness, _where(made.provenance), ids(made.substances))
        if cls is Usage:
            return (Usage, made.child, self.amount_id(made.quantity), *made.alternates)
        if cls is OriginClaim:
            return (OriginClaim, made.country, made.stage, made.source)
        if cls is Classification:
            return (Classification, made.scheme, made.code)
        raise TypeError(f"no shared key for a {cls.__name__}")

    def attributes(self, raw: dict) -> tuple:
        """The pairs of a raw ``attributes`` dict, as :class:`Part` keeps them, shared when all are text."""
        text, pairs = self.text, self.attribute_pairs
        made = tuple((text(k), text(v)) for k, v in raw.items())
        for k, v in made:
            if type(k) is not str or type(v) is not str:
                return tuple(raw.items())  # Part's converter words or converts it (1 and True are equal keys)
        made = tuple(pairs.setdefault(pair, pair) for pair in made)
        return self.attribute_tuples.setdefault(made, made)


def _where(location: Location | None) -> tuple | None:
    """A provenance in a key: its fields, which decide whether two Locations are equal."""
    return None if location is None else (location.file, location.line, location.pointer)


def _same(value: Any) -> Any:
    return value


class _Structurer:
    def __init__(self, locate: Locate, problems: list[Finding], shared: Shared | None):
        self.locate = locate
        self.problems = problems
        self.failed = False
        self.amounts = None if shared is None else shared.amounts
        self._store = shared

    def fail(self, path: tuple, message: str, code: str = "invalid-value") -> None:
        self.failed = True
        self.problems.append(error(code, message, self.locate(path)))

    def amount(self, raw: dict | None, path: tuple, kind: Kind | None, what: str | Callable[[], str]) -> Amount | None:
        """``kind`` None means a usage quantity: a count, or a bulk unit decided by the unit.

        ``what`` names the amount in a message: a string, or a function that writes it (only
        called when there is a message to write).
        """
        if raw is None:
            return None
        unit = raw.get("unit", "")
        # The key determines the amount: equal keys parse to equal amounts (see Shared).
        key = (kind, unit, raw.get("value"), raw.get("min"), raw.get("max"))
        amounts = self.amounts
        if amounts is not None:
            known = amounts.get(key)
            if known is not None:
                return known
        try:
            if kind is None:
                kind = kind_of_unit(unit)
            amount = Amount.parse(raw.get("value"), unit, kind, min=raw.get("min"), max=raw.get("max"))
            if amounts is not None:
                amounts[key] = amount
            return amount
        except InputError as exc:
            code = "unit" if exc.code == "unit" else "invalid-number"
            self.fail(path, f"{_text(what)}: {exc.message}", code)
        except ValueError as exc:
            self.fail(path, f"{_text(what)}: {exc}")
        return None

    def new(self, cls, path: tuple, what: str | Callable[[], str], fields: dict):
        """``cls(**fields)``, or None with a problem noted. Callers do not build a parent whose
        child failed (it was reported): one mistake gives one message, not a cascade."""
        try:
            return cls(**fields)
        except (ValueError, TypeError) as exc:
            self.fail(path, f"{_text(what)}: {exc}")
            return None

    def shared(self, cls, path: tuple, what: str | Callable[[], str], fields: dict):
        """Like :meth:`new`, but an equal object built earlier in this read if there is one.
        Objects are built (and checked) in every case, so a failure is reported at each place
        it occurs; only objects that were built are kept."""
        made = self.new(cls, path, what, fields)
        if self._store is None or made is None:
            return made
        return self._store.keep(made)

    def tuple_of(self, items: list) -> tuple:
        """``tuple(items)``: an equal tuple kept earlier in this read, if there is one."""
        return tuple(items) if self._store is None else self._store.tuple_of(items)


def _text(what: str | Callable[[], str]) -> str:
    return what if isinstance(what, str) else what()


def _provenance(s: _Structurer, raw: dict, path: tuple) -> Location | None:
    """The ``provenance`` of a raw entity: where it came from in the original declaration."""
    source = raw.get("provenance")
    if source is None:
        return None
    line = source.get("line")
    return Location(source.get("file"), None if line is None else int(line), source.get("path"))


def unstructure_provenance(location: Location | None) -> dict[str, str] | None:
    if location is None:
        return None
    return _drop_none(file=location.file, line=None if location.line is None else str(location.line), path=location.pointer)


def _mass_or_fraction(s: _Structurer, raw: dict, path: tuple, what: Callable[[], str]) -> Amount | None:
    if "mass" in raw:
        return s.amount(raw["mass"], (*path, "mass"), Kind.MASS, lambda: f"{what()} mass")
    if "fraction" in raw:
        return s.amount(raw["fraction"], (*path, "fraction"), Kind.FRACTION, lambda: f"{what()} fraction")
    return None


def structure_part(raw: dict, locate: Locate, problems: list[Finding], shared: Shared | None = None) -> Part | None:
    """Build a :class:`Part` from a raw dict; append problems and return None if any.

    ``shared`` is what the caller keeps for one read (:attr:`PartList.shared`): amounts and
    texts already seen are reused (equal values, fewer objects). Only amounts that parse
    are kept, so a failing one is reported at each place it occurs.

    Labels for messages ("part 'P1', material steel, substance Nd") are written only when
    a message needs them: this runs once per part of a file, and most parts have none.
    """
    s = _Structurer(locate, problems, shared)
    text = _same if shared is None else shared.text
    pid = raw["id"]
    label = f"part {pid!r}"

    materials = []
    for m, raw_material in enumerate(raw.get("materials", ())):
        mpath = ("materials", m)

        def mlabel(raw_material=raw_material, m=m) -> str:
            return f"{label}, material {raw_material.get('name') or m + 1}"

        substances = []
        substance_failed = False
        for n, raw_substance in enumerate(raw_material.get("substances", ())):
            spath = (*mpath, "substances", n)

            def slabel(raw_substance=raw_substance, n=n, mlabel=mlabel) -> str:
                return f"{mlabel()}, substance {raw_substance.get('name') or raw_substance.get('element') or n + 1}"

            fields = {
                "name": text(raw_substance.get("name")),
                "element": text(raw_substance.get("element")),
                "cas": text(raw_substance.get("cas")),
                "formula": text(raw_substance.get("formula")),
                "amount": _mass_or_fraction(s, raw_substance, spath, slabel),
                "provenance": _provenance(s, raw_substance, spath),
            }
            substance = s.shared(Substance, spath, slabel, fields)
            substance_failed = substance_failed or substance is None
            substances.append(substance)
        fields = {
            "name": text(raw_material.get("name")),
            "id": text(raw_material.get("id")),
            "amount": _mass_or_fraction(s, raw_material, mpath, mlabel),
            "completeness": Completeness(raw_material.get("completeness", "partial")),
            "substances": tuple(substances),
            "provenance": _provenance(s, raw_material, mpath),
        }
        # A failed substance was reported: its material is not built (one mistake, one message).
        materials.append(None if substance_failed else s.shared(Material, mpath, mlabel, fields))

    uses = []
    for u, raw_use in enumerate(raw.get("uses", ())):
        upath = ("uses", u)
        child = text(raw_use["part"])
        quantity = s.amount(raw_use["quantity"], (*upath, "quantity"), None, lambda child=child: f"{label}, quantity of {child!r}")
        if quantity is None:
            continue  # reported
        alternates = tuple(text(a) for a in raw_use["alternates"]) if "alternates" in raw_use else ()
        fields = {"child": child, "quantity": quantity, "alternates": alternates}
        uses.append(None if None in alternates else s.shared(Usage, upath, lambda child=child: f"{label}, use of {child!r}", fields))

    origins = []
    for o, claim in enumerate(raw.get("origins", ())):
        try:
            stage = Stage(claim["stage"].strip())
        except ValueError:
            s.fail(("origins", o), f"{label}, origin: {claim['stage']!r} is not a processing stage ({', '.join(x.value for x in Stage)})")
            continue
        origins.append(s.shared(OriginClaim, ("origins", o), f"{label}, origin", {"country": text(claim["country"].strip()), "stage": stage, "source": text(claim.get("source"))}))
    classifications = [
        s.shared(Classification, ("classifications", k), f"{label}, classification", {"scheme": text(c["scheme"]), "code": text(c["code"])})
        for k, c in enumerate(raw.get("classifications", ()))
    ]
    uom = text(raw.get("uom", "each"))
    try:
        kind_of_unit(uom)
    except InputError as exc:
        s.fail(("uom",), f"{label}: unit of measure {exc.message}", "unit")
    mass = s.amount(raw.get("mass"), ("mass",), Kind.MASS, f"{label} mass")
    unit_value = s.amount(raw.get("unitValue"), ("unitValue",), Kind.CURRENCY, f"{label} unit value")
    if s.failed:
        return None
    # Every child that failed was reported through s.fail, so none of these tuples holds None here.
    fields = {
        "id": text(pid),
        "name": text(raw.get("name")),
        "description": text(raw.get("description")),
        "uom": uom,
        "mass": mass,
        "unit_value": unit_value,
        "materials": s.tuple_of(materials),
        "uses": s.tuple_of(uses),
        "origins": s.tuple_of(origins),
        "classifications": s.tuple_of(classifications),
        "china_re_technology": raw.get("chinaRareEarthTechnology"),
        "attributes": tuple(raw.get("attributes", {}).items()) if shared is None or "attributes" not in raw else shared.attributes(raw["attributes"]),
        "provenance": _provenance(s, raw, ()),
        "location": locate(()),
    }
    return s.new(Part, (), label, fields)


def build_bom(parts: list[Part], name, attributes, file: str | None, location: Location, problems: list[Finding]) -> Bom | None:
    """The :class:`Bom` of a file's parts and header, or None with a located problem."""
    try:
        return Bom(parts=parts, name=name, attributes=attributes, source=file)
    except (ValueError, TypeError) as exc:
        problems.append(error("invalid-value", f"the BOM's name or attributes: {exc}", location))
        return None


class PartList:
    """The parts a reader has built, in file order, with repeated ids reported where they repeat."""

    def __init__(self, problems: list[Finding]):
        self.parts: list[Part] = []
        self.problems = problems
        self._seen: dict[str, Location | None] = {}
        self._max_parts = limits.active().max_parts
        #: What this read's parts share, for :func:`structure_part`.
        self.shared = Shared()

    def add(self, part: Part) -> None:
        if len(self.parts) >= self._max_parts:
            raise limits.active().exceeded("max_parts", f"more than {self._max_parts:,} parts", location=part.location)
        if part.id in self._seen:
            first = self._seen[part.id]
            where = f" (first at {first})" if first else ""
            self.problems.append(error("duplicate-part-id", f"part id {part.id!r} is used by two parts{where}", part.location, (part.id,)))
            return
        self._seen[part.id] = part.location
        self.parts.append(part)


# --- writing ----------------------------------------------------------------------------


def unstructure_amount(amount: Amount) -> dict[str, str]:
    raw: dict[str, str] = {}
    if amount.value is not None:
        raw["value"] = amount.written(amount.value)
    if amount.unit:
        raw["unit"] = amount.unit
    for name in ("min", "max"):
        number = getattr(amount, name)
        if number is not None:
            raw[name] = amount.written(number)
    return raw


def _put_amount(raw: dict, amount: Amount | None) -> None:
    if amount is not None:
        raw["mass" if amount.kind is Kind.MASS else "fraction"] = unstructure_amount(amount)


def _drop_none(**fields) -> dict:
    return {k: v for k, v in fields.items() if v is not None and v != () and v != [] and v != {}}


def unstructure_part(part: Part) -> dict:
    """The raw dict of a part: the JSON shape, numbers as exact decimal strings, defaults left out."""
    materials = []
    for material in part.materials:
        raw_material = _drop_none(name=material.name, id=material.id, completeness=material.completeness.value, provenance=unstructure_provenance(material.provenance))
        _put_amount(raw_material, material.amount)
        substances = []
        for substance in material.substances:
            raw_substance = _drop_none(
                name=substance.name, element=substance.element, cas=substance.cas, formula=substance.formula, provenance=unstructure_provenance(substance.provenance)
            )
            _put_amount(raw_substance, substance.amount)
            substances.append(raw_substance)
        if substances:
            raw_material["substances"] = substances
        materials.append(raw_material)
    return _drop_none(
        id=part.id,
        name=part.name,
        description=part.description,
        provenance=unstructure_provenance(part.provenance),
        uom=None if part.uom == "each" else part.uom,
        chinaRareEarthTechnology=part.china_re_technology,
        mass=None if part.mass is None else unstructure_amount(part.mass),
        unitValue=None if part.unit_value is None else unstructure_amount(part.unit_value),
        classifications=[attrs.asdict(c) for c in part.classifications],
        origins=[_drop_none(country=o.country, stage=o.stage.value, source=o.source) for o in part.origins],
        attributes=dict(part.attributes),
        materials=materials,
        uses=[_drop_none(part=u.child, quantity=unstructure_amount(u.quantity), alternates=list(u.alternates)) for u in part.uses],
    )


def check_version(version: str, location: Location) -> Finding | None:
    """An error if ``version`` is not a 1.x this code reads."""
    major = version.split(".", 1)[0]
    if major != str(MAJOR_VERSION):
        return error(
            "unsupported-version",
            f"format version {version!r} is not supported; this rarebom reads version {MAJOR_VERSION}.x",
            location,
        )
    return None
