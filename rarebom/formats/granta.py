"""Reading Ansys Granta BoM XML: the "BillOfMaterialsEco" schema, versions 17/11 to 25/05.

Granta MI's BoM Analyzer and the ``ansys-grantami-bomanalytics`` package exchange these
files. A ``PartsEco`` root holds trees of ``Components/Part``. Each part has a
``Quantity`` in its parent, a ``MassPerUom``, and ``Materials`` and ``Substances``. Most
materials and substances only *reference* records in a Granta MI database (a dbKey and a
record GUID); the XSD makes that reference mandatory for every material and substance.
rarebom cannot reach that database, so what a record holds is unknown:

- a part that is only a record (no materials, substances or components in the file) has
  unknown content;
- a material's substances live in its record, never in the file, so every material is a
  partial declaration and whatever its record holds is undeclared.

Each such record is a ``granta-record-unresolved`` warning, and its dbKey and GUID stay on
the part as attributes (``granta-mi-part``, ``granta-mi-material-<n>``, ...) so that a user
can look it up in Granta MI.

Processes, transport stages, the use phase, end-of-life fates, recycled content and RoHS
exemptions feed Granta's sustainability and compliance reports. rarebom traces composition,
value and origin, and none of these changes a part's composition, so they are not read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from fractions import Fraction
from typing import BinaryIO

import attrs
from lxml import etree

from ..errors import Finding, Location, Severity, UnitError
from ..model import Amount, Bom, Completeness, Material, Part, Substance, Usage
from ..units import COUNT_UNITS, Kind, kind_of_unit, unit_factor
from . import _xmlsafe
from ._import import ChildCounts, Importer, count_children, local_name

__all__ = ["NAMESPACE", "VERSIONS", "read"]

#: The namespace of every version: ``http://www.grantadesign.com/YY/MM/BillOfMaterialsEco``.
NAMESPACE = re.compile(r"http://www\.grantadesign\.com/(\d\d/\d\d)/BillOfMaterialsEco")

#: The versions read. Their XSDs (published in ansys/grantami-bomanalytics, MIT) share
#: every element this reader uses. 24/12 added transport and location to parts and
#: processes, 25/05 the ``EquivalentReferences`` of a record reference: neither is read.
VERSIONS = ("17/11", "23/01", "24/12", "25/05")

#: ``Quantity/@Unit`` values that count pieces. The XSD says a discrete part has "a blank
#: unit (or 'Each')"; ``Part`` is the denominator Granta writes in ``kg/Part``.
_PIECES = frozenset({"part", "parts"} | COUNT_UNITS)

#: ``Substance/Category`` values saying the substance does not stay in the part: it is used
#: while making it (a polishing slurry, a process solvent), not incorporated.
_NOT_INCORPORATED = frozenset({"UsedInProduction", "MayBeUsedInProduction"})

#: The name of the material that holds the substances a part lists outside any material.
PART_SUBSTANCES = "substances listed on the part"


def read(stream: BinaryIO, file: str | None) -> tuple[Bom | None, list[Finding]]:
    """Read a Granta BoM file; ``(None, findings)`` if any error was found.

    Two passes over the stream, and neither holds the whole tree. The first checks the file
    as :func:`._xmlsafe.parse` does (syntax, DOCTYPE, depth, in that order, so a broken file
    fails as it always did) and counts the siblings that number each part's XPath. The
    second builds each part at its end tag and removes it from the tree, so the tree holds
    the part being read and the parts it is in (and what lxml has parsed ahead), not the file.
    """
    counts = count_children(stream, file, _COUNTED, "{*}Components")
    reader = _Reader(Importer(file))
    bom = reader.read(stream, counts)
    imp = reader.imp
    return (None if imp.failed else bom), imp.findings


#: The elements both passes see: every part and every list of components, in any namespace.
_TAGS = ("{*}Part", "{*}Components")

#: What each of them holds that numbers an XPath: parts hold lists of components, and a list
#: of components holds parts.
_COUNTED = {"Part": "{*}Components", "Components": "{*}Part"}


# --- small XML helpers ------------------------------------------------------------------


def _children(element: etree._Element, name: str) -> Iterator[etree._Element]:
    """The children called ``name`` in any namespace (or none): lxml matches ``{*}name`` in C."""
    return element.iterchildren("{*}" + name)


def _child(element: etree._Element, name: str) -> etree._Element | None:
    return next(element.iterchildren("{*}" + name), None)


def _text(element: etree._Element, name: str) -> str | None:
    """The stripped text of the first child called ``name``; None if absent or blank."""
    child = _child(element, name)
    text = (child.text or "").strip() if child is not None else ""
    return text or None


def _record(reference: etree._Element) -> str:
    """A Granta MI record reference as ``dbKey=... recordGUID=...``: what a user looks it up by."""
    fields = []
    for child in reference:
        name = local_name(child.tag)
        text = (child.text or "").strip()
        if name in ("dbKey", "recordGUID", "recordHistoryGUID") and text:
            fields.append(f"{name}={text}")
        elif name == "identity":
            for key in ("recordHistoryIdentity", "version"):
                if (value := _text(child, key)) is not None:
                    fields.append(f"{key}={value}")
        elif name == "lookupValue" and (value := _text(child, "attributeValue")) is not None:
            fields.append(f"lookupValue={value}")
    return " ".join(fields) or "no record identifier"


class _Later:
    """Warnings about one part, held until the part is added and the id it is known by is settled."""

    def __init__(self):
        self._held: list[tuple[str, str, Location]] = []

    def warn(self, code: str, message: str, where: Location) -> None:
        self._held.append((code, message, where))

    def emit(self, imp: Importer, part_id: str) -> None:
        for code, message, where in self._held:
            imp.warn(code, message, where, (part_id,))


@attrs.frozen
class _Placed:
    """A part read from the file: the id it is known by, and its Quantity in its parent."""

    id: str
    quantity: Amount | None
    where: Location


@attrs.define
class _Open:
    """A ``Part`` or ``Components`` element whose end tag has not come yet (or the root).

    ``read`` is whether the reader reads it: the root's first ``Components``, its ``Part``
    elements, each such part's first ``Components``, and so on down. For those, ``path`` is
    the XPath :meth:`Importer.at` would give with the whole tree in hand, and ``children``
    the parts read in the (first) ``Components``: each part's :class:`_Placed` (None if it
    could not be built) and its findings, in the order the reader found them.
    """

    element: etree._Element
    name: str
    read: bool
    path: str | None
    held: int  # how many Components (a Part, the root) or Part (a Components) it holds
    parent: _Open | None
    seen: int = 0  # how many of those have started so far
    children: list[tuple[_Placed | None, list[Finding]]] = attrs.Factory(list)


class _Reader:
    """One streaming pass over a ``PartsEco`` document, building each part at its end tag.

    The tree formats build parts children first, which suits streaming: a part is read when
    it ends (its components were read before it), then removed from the tree. What comes out
    is what reading the whole tree would give: the same parts added in the same order (so
    repeated sub-assemblies are shared and renamed alike), the same XPaths (numbered with
    the first pass's counts), and the same findings in the same order (a part's own
    ``Quantity`` findings before its components', as a reader walking down the tree finds them).
    """

    def __init__(self, imp: Importer):
        self.imp = imp
        #: parts whose warnings were given: a tree format writes a shared sub-assembly under
        #: every parent, and one part gets one set of warnings, not one per occurrence
        self.warned: set[str] = set()

    def read(self, stream: BinaryIO, counts: ChildCounts) -> Bom | None:
        imp = self.imp
        events = etree.iterparse(stream, events=("start", "end"), tag=_TAGS, **_xmlsafe.PARSER_OPTIONS)
        top: _Open | None = None
        stack: list[_Open] = []
        held = iter(counts.held)
        discard = _xmlsafe.Discard()
        for event, element in events:
            discard.flush()
            if top is None:
                root = element.getroottree().getroot()
                version = self._version(root)
                if version is None:
                    return None
                top = _Open(root, "PartsEco", True, f"/{local_name(root.tag)}", counts.root, None)
            if event == "start":
                stack.append(self._open(element, next(held), stack, top))
                continue
            frame = stack.pop()
            if not frame.read:
                continue
            parent = frame.parent
            if frame.name == "Components":
                parent.children = frame.children
            else:
                parent.children.append(self.part(element, frame.path, frame.children))
                discard(element)  # read: nothing refers to it again
        discard.flush()
        if top is None:  # no Part or Components anywhere
            root = events.root
            version = self._version(root)
            if version is None:
                return None
            top = _Open(root, "PartsEco", True, f"/{local_name(root.tag)}", counts.root, None)
        root = top.element
        imp.anchor(root, top.path)
        where = imp.at(root)
        tops = []
        for placed, findings in top.children:
            imp.findings.extend(findings)
            tops.append(placed)
        notes = _child(root, "Notes")
        product = _text(notes, "ProductName") if notes is not None else None
        attributes = [("granta-bom-version", version)]
        if notes is not None and (text := _text(notes, "Notes")) is not None:
            attributes.append(("granta-notes", text))
        if None not in tops and not self._is_one_product(tops):
            # Several top-level parts, or one used more than once: the PartsEco element is
            # the product, and it uses each top-level part in its Quantity.
            root_part = imp.build(
                Part,
                where,
                "the product",
                id=product or "PartsEco",
                name=product,
                uses=self._uses(tops),
                provenance=where,
                location=where,
            )
            if root_part is not None:
                imp.add_part(root_part)
        return imp.bom(product, attributes, where)

    def _version(self, root: etree._Element) -> str | None:
        """The BoM version of a ``PartsEco`` root; None, with an error, for any other root or version."""
        imp = self.imp
        namespace = etree.QName(root).namespace or ""
        match = NAMESPACE.fullmatch(namespace)
        if local_name(root.tag) != "PartsEco" or match is None:
            imp.fail("schema", f"the root element is <{local_name(root.tag)}> in namespace {namespace!r}, not a Granta <PartsEco>", imp.at(root))
            return None
        version = match.group(1)
        if version not in VERSIONS:
            imp.fail("unsupported-version", f"Granta BoM version {version} is not supported; this rarebom reads {', '.join(VERSIONS)}", imp.at(root))
            return None
        return version

    @staticmethod
    def _open(element: etree._Element, held: int, stack: list[_Open], top: _Open) -> _Open:
        """The frame of a ``Part`` or ``Components`` element at its start tag: whether it is read, and its XPath."""
        name = local_name(element.tag)
        parent_element = element.getparent()
        parent = stack[-1] if stack and stack[-1].element is parent_element else top if parent_element is top.element else None
        if parent is None or not parent.read or (name == "Part") != (parent.name == "Components"):
            return _Open(element, name, False, None, held, parent)
        parent.seen += 1
        # The first Components of a part (or of the root) is read, and every Part in it.
        read = name == "Part" or parent.seen == 1
        path = f"{parent.path}/{name}[{parent.seen}]" if parent.held > 1 else f"{parent.path}/{name}"
        return _Open(element, name, read, path if read else None, held, parent)

    @staticmethod
    def _is_one_product(tops: list[_Placed]) -> bool:
        """True when the file holds one top-level Part, counted once: that part is the product."""
        if len(tops) != 1:
            return len(tops) == 0
        quantity = tops[0].quantity
        return quantity is None or (quantity.kind is Kind.COUNT and quantity.value == 1)

    def _uses(self, placed: list[_Placed]) -> list[Usage]:
        uses = []
        for child in placed:
            quantity = child.quantity
            if quantity is None:
                self.imp.warn(
                    "granta-quantity-missing",
                    f"part {child.id!r} has no Quantity in its parent; one piece is assumed",
                    child.where,
                    (child.id,),
                )
                quantity = Amount(kind=Kind.COUNT, unit="each", value=Fraction(1))
            uses.append(Usage(child=child.id, quantity=quantity))
        return uses

    # --- parts ----------------------------------------------------------------------------

    def part(self, element: etree._Element, path: str, children: list[tuple[_Placed | None, list[Finding]]]) -> tuple[_Placed | None, list[Finding]]:
        """Read one Part whose components were read: its :class:`_Placed` (None if it could not
        be built; an error says why) and its findings, its components' included."""
        imp = self.imp
        imp.anchor(element, path)
        outer, imp.findings = imp.findings, []
        try:
            placed = self._part(element, path, children)
            return placed, imp.findings
        finally:
            imp.findings = outer

    def _part(self, element: etree._Element, path: str, children: list[tuple[_Placed | None, list[Finding]]]) -> _Placed | None:
        imp = self.imp
        where = imp.at(element)
        pid = _text(element, "PartNumber") or _text(element, "Name") or (element.get("id") or "").strip() or path
        quantity, uom = self._quantity(element, pid)
        # Its components' findings come after its Quantity's, where a reader walking down the tree finds them.
        placed = []
        for child, findings in children:
            imp.findings.extend(findings)
            placed.append(child)
        uses = self._uses([p for p in placed if p is not None])

        attributes: list[tuple[str, str]] = []
        later = _Later()
        mass_element = _child(element, "MassPerUom")
        mass = self._mass_per_uom(mass_element, uom, f"part {pid!r} MassPerUom", part_mass=True) if mass_element is not None and uom is not None else None
        # The XSD: with a VolumePerUom and no MassPerUom, material percentages are by volume.
        by_volume = mass_element is None and _child(element, "VolumePerUom") is not None
        materials_element, substances_element = _child(element, "Materials"), _child(element, "Substances")
        material_elements = list(_children(materials_element, "Material")) if materials_element is not None else []
        substance_elements = list(_children(substances_element, "Substance")) if substances_element is not None else []

        reference = _child(element, "MIPartReference")
        if reference is not None:
            record = _record(reference)
            attributes.append(("granta-mi-part", record))
            if not (material_elements or substance_elements or placed):
                later.warn(
                    "granta-record-unresolved",
                    f"part {pid!r} is a Granta MI record ({record}) with no materials, substances or components in this file; "
                    "rarebom cannot read the MI database, so the part's content is unknown (undeclared)",
                    imp.at(reference),
                )
        specifications = _child(element, "Specifications")
        for n, specification in enumerate(_children(specifications, "Specification") if specifications is not None else (), 1):
            self._specification(specification, n, pid, attributes, later)
        materials = [m for n, e in enumerate(material_elements, 1) if (m := self._material(e, n, pid, uom, by_volume, attributes, later)) is not None]
        if substance_elements:
            materials = self._place_substances(substances_element, substance_elements, materials, has_components=bool(placed), pid=pid, attributes=attributes, later=later)

        if uom is None or None in placed:
            return None  # an error already says why; the part cannot be built faithfully
        part = imp.build(
            Part,
            where,
            f"part {pid!r}",
            id=pid,
            name=_text(element, "Name"),
            uom=uom,
            mass=mass,
            materials=materials,
            uses=uses,
            attributes=attributes,
            provenance=where,
            location=where,
        )
        if part is None:
            return None
        known_as = imp.add_part(part)
        if known_as not in self.warned:
            self.warned.add(known_as)
            later.emit(imp, known_as)
        return _Placed(known_as, quantity, where)

    def _quantity(self, element: etree._Element, pid: str) -> tuple[Amount | None, str | None]:
        """The part's Quantity in its parent, and the unit the part is counted in (None after an error)."""
        imp = self.imp
        quantity = _child(element, "Quantity")
        if quantity is None or not (quantity.text or "").strip():
            return None, "each"
        where = imp.at(quantity)
        what = f"part {pid!r} Quantity"
        unit = (quantity.get("Unit") or "").strip()
        if unit.lower() in _PIECES:
            kind, uom = Kind.COUNT, "each"
        else:
            try:
                kind, uom = kind_of_unit(unit), unit
            except UnitError as exc:
                imp.fail("unit", f"{what}: {exc.message}", where)
                return None, None
        before = len(imp.findings)
        amount = imp.amount(quantity.text, uom, kind, where, what)
        if amount is None:
            if not any(f.severity is Severity.ERROR for f in imp.findings[before:]):
                # Rejected (negative), not unreadable: a use needs a quantity, so this stops the read.
                imp.fail("non-positive-quantity", f"{what} is {quantity.text.strip()} {unit}; a part is used in a quantity above zero", where)
            return None, None
        return amount, uom

    def _mass_per_uom(self, element: etree._Element, uom: str, what: str, *, part_mass: bool) -> Amount | None:
        """A mass per one unit of the part: ``MassPerUom``, or a material's ``Mass``.

        The unit is ``<mass>/<per>``: ``kg/Part`` (per piece), ``kg/m`` for a part counted
        in metres, or a plain mass unit, read as per one unit of the part. A per-unit of
        the same dimension as the part's Quantity but another size (``g/mm`` for a part
        counted in metres) is rescaled to the part's unit.
        """
        imp = self.imp
        where = imp.at(element)
        unit = (element.get("Unit") or "").strip()
        mass_unit, slash, per = (s.strip() for s in unit.partition("/"))
        scale = Fraction(1)
        if slash:
            per_pieces = per.lower() in _PIECES
            try:
                per_kind = Kind.COUNT if per_pieces else kind_of_unit(per)
            except UnitError as exc:
                imp.fail("unit", f"{what}: {unit!r} is not a mass per unit of the part: {exc.message}", where)
                return None
            uom_kind = kind_of_unit(uom)
            if per_kind is not uom_kind:
                counted = "in pieces" if uom_kind is Kind.COUNT else f"in {uom!r}"
                imp.fail("unit", f"{what}: {unit!r} is a mass per {'piece' if per_pieces else repr(per)}, but the part's Quantity counts it {counted}", where)
                return None
            if not per_pieces:
                scale = unit_factor(uom, uom_kind) / unit_factor(per, per_kind)
        amount = imp.amount(element.text, mass_unit, Kind.MASS, where, what, part_mass=part_mass)
        if amount is None or scale == 1:
            return amount
        return Amount(kind=Kind.MASS, unit=mass_unit, value=amount.value * scale)

    # --- materials, substances, specifications --------------------------------------------

    def _entry(self, element: etree._Element, n: int, pid: str, kind: str) -> tuple[Location, str | None, str | None, str]:
        """A material's or substance's location, Identity, Name, and how messages name it."""
        identity, name = _text(element, "Identity"), _text(element, "Name")
        return self.imp.at(element), identity, name, f"part {pid!r} {kind} {name or identity or f'{kind} {n}'!r}"

    def _material(
        self,
        element: etree._Element,
        n: int,
        pid: str,
        uom: str | None,
        by_volume: bool,
        attributes: list[tuple[str, str]],
        later: _Later,
    ) -> Material | None:
        """A Material: a share or a mass of the part, partial, with no substances of its own."""
        imp = self.imp
        where, identity, name, what = self._entry(element, n, pid, "material")
        amount = None
        percentage, mass = _child(element, "Percentage"), _child(element, "Mass")
        if percentage is not None and by_volume:
            later.warn(
                "granta-volume-share",
                f"{what} Percentage {(percentage.text or '').strip()} is a share by volume (the part gives a VolumePerUom and no MassPerUom); "
                "rarebom needs shares by mass, so the material's amount is unknown",
                imp.at(percentage),
            )
        elif percentage is not None:
            amount = imp.amount(percentage.text, "%", Kind.FRACTION, imp.at(percentage), f"{what} Percentage")
        elif mass is not None and uom is not None:
            amount = self._mass_per_uom(mass, uom, f"{what} Mass", part_mass=False)
        reference = _child(element, "MIMaterialReference")
        if reference is not None:
            record = _record(reference)
            attributes.append((f"granta-mi-material-{n}", record))
            later.warn(
                "granta-record-unresolved",
                f"{what} is a Granta MI record ({record}); its substances are kept in the MI database, not in this file, "
                "so the material is read as a partial declaration and what the record holds is undeclared",
                where,
            )
        return imp.build(Material, where, what, name=name or identity, id=identity, amount=amount, completeness=Completeness.PARTIAL, provenance=where)

    def _substance(
        self,
        element: etree._Element,
        n: int,
        pid: str,
        attributes: list[tuple[str, str]],
        later: _Later,
    ) -> Substance | None:
        """A Substance: Identity is its CAS field (kept as written), Percentage its share of the part."""
        imp = self.imp
        where, identity, name, what = self._entry(element, n, pid, "substance")
        reference = _child(element, "MISubstanceReference")
        record = _record(reference) if reference is not None else None
        if record is not None:
            attributes.append((f"granta-mi-substance-{n}", record))
        category = _text(element, "Category")
        if category in _NOT_INCORPORATED:
            later.warn(
                "granta-process-substance",
                f"{what} has Category {category}: it is used to make the part and does not stay in it, so it is not part of the composition",
                imp.at(_child(element, "Category")),
            )
            return None
        if record is not None and identity is None:
            later.warn(
                "granta-record-unresolved",
                f"{what} is a Granta MI record ({record}) with no Identity in this file; rarebom cannot tell what it is, so its amount is undeclared content",
                where,
            )
        percentage = _child(element, "Percentage")
        amount = imp.amount(percentage.text, "%", Kind.FRACTION, imp.at(percentage), f"{what} Percentage") if percentage is not None else None
        return imp.build(Substance, where, what, name=name, cas=identity, amount=amount, provenance=where)

    def _place_substances(
        self,
        element: etree._Element,
        substance_elements: list[etree._Element],
        materials: list[Material],
        *,
        has_components: bool,
        pid: str,
        attributes: list[tuple[str, str]],
        later: _Later,
    ) -> list[Material]:
        """Put the part's own Substances into a material, where the file says which one.

        A Granta substance's Percentage is a share of the *part*. rarebom keeps substances
        inside materials, so the share carries over only where a material is the whole
        part: the part's only material at 100 %, or, for a part with no materials and no
        components, a material standing for the whole part. Anywhere else the file does not
        say which material holds them: they go into a material of unknown amount, with no
        amounts (a share of the part is not a share of that material), and a warning.
        """
        imp = self.imp
        where = imp.at(element)
        substances = [s for n, e in enumerate(substance_elements, 1) if (s := self._substance(e, n, pid, attributes, later)) is not None]
        if not substances:
            return materials
        whole = Amount(kind=Kind.FRACTION, unit="%", value=Fraction(1))
        if len(materials) == 1 and materials[0].amount == whole:
            return [attrs.evolve(materials[0], substances=materials[0].substances + tuple(substances))]
        if not materials and not has_components:
            holder = imp.build(
                Material, where, f"part {pid!r} substances", name=PART_SUBSTANCES, amount=whole, completeness=Completeness.PARTIAL, substances=substances, provenance=where
            )
            return [holder] if holder is not None else []
        shares = ", ".join(f"{s.label} {s.amount}" for s in substances if s.amount is not None)
        if shares:  # without shares nothing is lost by placing them apart
            if not materials:
                layout = "it is an assembly of components"
            elif len(materials) == 1:
                layout = f"its only material is {materials[0].amount or 'of unknown amount'}, not 100 %"
            else:
                layout = f"it has {len(materials)} materials"
            later.warn(
                "granta-substance-unplaced",
                f"part {pid!r} gives substance shares of the whole part ({shares}), but {layout}; "
                "rarebom keeps substances inside a material and the file does not say which one holds them, so their amounts are unknown",
                where,
            )
        unplaced = [attrs.evolve(s, amount=None) for s in substances]
        holder = imp.build(Material, where, f"part {pid!r} substances", name=PART_SUBSTANCES, completeness=Completeness.PARTIAL, substances=unplaced, provenance=where)
        return materials + ([holder] if holder is not None else [])

    def _specification(
        self,
        element: etree._Element,
        n: int,
        pid: str,
        attributes: list[tuple[str, str]],
        later: _Later,
    ) -> None:
        """A Specification (a coating or treatment standard): kept as attributes, with a warning."""
        identity, name = _text(element, "Identity"), _text(element, "Name")
        label = name or identity or f"specification {n}"
        quantity = _child(element, "Quantity")
        amount = f"{(quantity.text or '').strip()} {quantity.get('Unit') or ''}".strip() if quantity is not None else None
        attributes.append((f"granta-specification-{n}", "; ".join(filter(None, (identity, name, amount))) or label))
        reference = _child(element, "MISpecificationReference")
        if reference is not None:
            record = _record(reference)
            attributes.append((f"granta-mi-specification-{n}", record))
            later.warn(
                "granta-record-unresolved",
                f"part {pid!r} specification {label!r} is a Granta MI record ({record}); what it adds to the part (a coating or a treatment) is not in this file and is not traced",
                self.imp.at(element),
            )
