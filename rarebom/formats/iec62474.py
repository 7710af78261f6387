"""Reading IEC 62474 declarations, chemSHERPA-AI (articles) and chemSHERPA-CI (chemicals) included.

An IEC 62474 file (root ``<Main>`` in namespace ``http://std.iec.ch/iec62474``, schema
X8.x) declares one or more products. Each ``Product`` becomes a finished good, and its
``Composition`` becomes the BOM below it:

- ``ProductPart`` → a :class:`~rarebom.model.Part`, used by its parent ``numberOfUnits``
  times. ``ProductID/Mass`` is the mass of ONE unit (checked on the chemSHERPA samples:
  Σ child mass × numberOfUnits is the parent's mass).
- ``Material`` → a material: a ``Mass`` per unit of its part, or a ``MassPercent`` of it.
- ``Substance`` → a substance: a ``Mass`` per unit of the part, or a ``MassPercent`` of
  its material. Its ``SubstanceID/EntryID/@entryIdentity`` goes into ``cas`` as written.
- ``Substance`` directly under a ``ProductPart`` or ``Composition`` (chemSHERPA-CI files
  hold nothing else) → one material named :data:`WHOLE_PART`, 100 % of the part.
- ``Composition/@isFMD`` ``true`` → every material is a full declaration; anything else
  → partial (only declarable substances are listed).

The ``Compliance`` sectional is a list of yes/no statements about declarable substances
("Neodymium/Neodymium compounds: not above threshold"), never content: it never becomes
a mass. The statements above threshold, and those naming a rare earth, are kept as
attributes of the product.

``comment`` attributes hold chemSHERPA's own ``@``-delimited bookkeeping and are not read.
The ``.shai``/``.shci`` ZIP containers are not opened here: this reads the XML inside.
"""

from __future__ import annotations

import functools
import re
from fractions import Fraction
from typing import BinaryIO

import attrs
from lxml import etree

from .. import chemistry
from ..errors import Finding, Location
from ..model import Amount, Bom, Completeness, Material, Part, Substance, Usage
from ..units import Kind, unit_factor
from . import _xmlsafe
from ._import import ChildCounts, Importer, count_children, local_name

__all__ = ["COMPLIANCE_PREFIX", "MASS_UNITS", "NAMESPACE", "UNIT_TYPES", "WHOLE_PART", "names_rare_earth", "read"]

NAMESPACE = "http://std.iec.ch/iec62474"

#: ``Mass/@unitOfMeasure`` as the X8.21 XSD enumerates it. Other spellings are refused.
MASS_UNITS = ("mg", "g", "kg")

#: ``Product/@unitType`` as the X8.21 XSD enumerates it; it becomes the part's ``uom``.
UNIT_TYPES = ("each", "g", "kg", "cm^2", "m^2", "cm^3", "m^3", "cm", "m", "l")

#: The name of the material that holds substances declared on a part as a whole.
WHOLE_PART = "whole part"

#: Prefix of the product attributes that keep ``Compliance`` statements:
#: ``compliance:<list authority>:<list identity>:<entryIdentity>``.
COMPLIANCE_PREFIX = "compliance"

_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})

# Words that name rare earths as a group, besides the 17 element names.
_RARE_EARTH_GROUP_WORDS = ("rare earth", "rare-earth", "lanthanide", "lanthanoid")


@functools.cache
def _rare_earth_names() -> re.Pattern[str]:
    """Matches text naming a rare earth: an element name (from the CAS table) or a group word."""
    names = [record.name for record in chemistry.load_substances().values() if record.formula in chemistry.RARE_EARTHS]
    words = "|".join(re.escape(word) for word in (*names, *_RARE_EARTH_GROUP_WORDS))
    return re.compile(rf"\b(?:{words})s?\b", re.IGNORECASE)


def names_rare_earth(text: str | None) -> bool:
    """True if ``text`` (a substance or DSL entry name) names a rare earth."""
    return bool(text) and _rare_earth_names().search(text) is not None


def _flag(text: str | None) -> bool | None:
    """An ``xsd:boolean``: True, False, or None when absent or not a boolean."""
    if text is None:
        return None
    text = text.strip()
    return True if text in _TRUE else False if text in _FALSE else None


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    """The children called ``name`` in any namespace (or none): lxml matches ``{*}name`` in C."""
    return list(element.iterchildren("{*}" + name))


def _child(element: etree._Element | None, name: str) -> etree._Element | None:
    if element is None:
        return None
    return next(element.iterchildren("{*}" + name), None)


def _text(value: str | None) -> str | None:
    """An attribute value stripped, or None when absent or blank."""
    if value is None or not value.strip():
        return None
    return value.strip()


def read(stream: BinaryIO, file: str | None) -> tuple[Bom | None, list[Finding]]:
    """Read an IEC 62474 XML declaration into a BOM; ``(None, findings)`` if it has errors.

    Two passes over the stream, and neither holds the whole tree. The first refuses what
    :func:`._xmlsafe.parse` refuses, in its order, and counts the siblings that number the
    XPaths of products and parts. The second builds each ``ProductPart`` at its end tag and
    removes it from the tree, then each ``Product`` the same way: the tree holds the part
    being read and the parts it is in (and what lxml has parsed ahead), not the file.
    """
    counts = count_children(stream, file, _COUNTED, "{*}Product")
    reader = _Reader(Importer(file))
    bom = reader.read(stream, counts)
    return (None if reader.imp.failed else bom), reader.imp.findings


#: The elements the reader streams over, and the children each is counted by for XPaths:
#: ``Main`` holds products, a product its compositions, a composition or a part its parts.
_COUNTED = {"Product": "{*}Composition", "Composition": "{*}ProductPart", "ProductPart": "{*}ProductPart"}
_TAGS = tuple("{*}" + name for name in _COUNTED)

#: Which of them is read under which: a ``Product`` in ``Main``, a product's first
#: ``Composition``, a ``ProductPart`` in a composition or a part that is read.
_READ_UNDER = {"Product": ("Main",), "Composition": ("Product",), "ProductPart": ("Composition", "ProductPart")}

#: A part read, for its parent: the use of it (None if it could not be built) and its findings.
_Read = tuple[Usage | None, list[Finding]]


@attrs.define(eq=False)
class _Frame:
    """A ``Product``, ``Composition`` or ``ProductPart`` whose end tag has not come yet (or ``Main``).

    ``path`` is the XPath :meth:`Importer.at` would give it with the whole tree in hand,
    None for an element the reader does not read. ``parts`` is what the parts read in it
    (for a product, in its composition) gave, in document order. ``product`` is the
    frame of the product it is in: whether its composition is a full declaration, and
    whether a rare-earth substance was seen in parts already read and removed.
    """

    element: etree._Element
    name: str
    path: str | None
    held: int  # how many children it holds of the name it is counted by
    parent: _Frame | None = None
    product: _Frame | None = None
    seen: int = 0  # how many of those have started so far
    parts: list[_Read] = attrs.Factory(list)
    full: bool = False
    rare_earth: bool = False


class _Reader:
    """One streaming pass over a ``<Main>``, building each part at its end tag.

    A part is built children first, which suits streaming: its sub-parts were read (and
    removed) before its end tag came. What comes out is what reading the whole tree gave:
    the same parts added in the same order, the same XPaths (numbered with the first
    pass's counts), and the same findings in the same order (a part's own ``ProductID``
    findings before its sub-parts', as a reader walking down the tree finds them).
    """

    def __init__(self, imp: Importer):
        self.imp = imp

    def read(self, stream: BinaryIO, counts: ChildCounts) -> Bom | None:
        imp = self.imp
        events = etree.iterparse(stream, events=("start", "end"), tag=_TAGS, **_xmlsafe.PARSER_OPTIONS)
        held = iter(counts.held)
        top: _Frame | None = None
        stack: list[_Frame] = []
        names = []
        discard = _xmlsafe.Discard()
        for event, element in events:
            discard.flush()
            if top is None:
                top = self._main(element.getroottree().getroot(), counts)
                if top is None:
                    return None
            if event == "start":
                stack.append(_open(element, next(held), stack, top))
                continue
            frame = stack.pop()
            if frame.path is None:
                continue
            if frame.name == "Composition":
                frame.product.parts = frame.parts
                continue
            if frame.name == "ProductPart":
                product = frame.product
                product.rare_earth = product.rare_earth or _holds_rare_earth(element)
                self.product_part(element, frame)
            else:
                part_id = self._product(element, frame)
                if part_id is not None:
                    names.append(_text(_attr(_child(element, "ProductID"), "name")) or part_id)
                frame.product = None  # it was itself: a cycle only the garbage collector would free
            discard(element)  # read: nothing refers to it again
        discard.flush()
        root = events.root
        if top is None and self._main(root, counts) is None:
            return None
        imp.anchor(root, f"/{local_name(root.tag)}")
        if not names:
            imp.fail("schema", "the file declares no <Product>", imp.at(root))
        return imp.bom("; ".join(names) or None, self._bom_attributes(root), imp.at(root))

    def _main(self, root: etree._Element, counts: ChildCounts) -> _Frame | None:
        """The frame of a ``<Main>`` root; None, with an error, for any other root."""
        if local_name(root.tag) != "Main":
            self.imp.fail("schema", f"the root element is <{local_name(root.tag)}>, not IEC 62474's <Main> in namespace {NAMESPACE}", self.imp.at(root))
            return None
        return _Frame(root, "Main", f"/{local_name(root.tag)}", counts.root)

    # --- the file's frame -------------------------------------------------------------

    def _bom_attributes(self, root: etree._Element) -> list[tuple[str, str]]:
        """Who declared what, when, with which tool; contact persons are not kept."""
        found: list[tuple[str, str | None]] = [
            ("schemaDatabaseVersion", root.get("schemaDatabaseVersion")),
            ("declarationComplete", root.get("declarationComplete")),
        ]
        business = _child(root, "BusinessInfo")
        if business is not None:
            found.append(("businessInfoMode", business.get("mode")))
            response = _child(business, "Response")
            if response is not None:
                found += [("responseDate", response.get("date")), ("responseDocID", response.get("docID"))]
                found += self._company("supplier", _child(response, "SupplyCompany"))
            request = _child(business, "Request")
            if request is not None:
                found += [("requestDate", request.get("date")), ("requestDocID", request.get("docID")), ("respondByDate", request.get("respondByDate"))]
                found += self._company("requester", _child(request, "RequestCompany"))
        tool = _child(root, "ToolNameVersionID")
        if tool is not None:
            found.append(("tool", _unique_id(tool)))
        return [(name, value) for name, value in found if _text(value) is not None]

    @staticmethod
    def _company(role: str, company: etree._Element | None) -> list[tuple[str, str | None]]:
        if company is None:
            return []
        unique = _child(company, "UniqueID")
        return [(role, company.get("name")), (f"{role}ID", None if unique is None else _unique_id(unique))]

    # --- parts ------------------------------------------------------------------------

    def _product(self, product: etree._Element, frame: _Frame) -> str | None:
        """The finished good of one ``<Product>`` and everything in its composition."""
        imp = self.imp
        imp.anchor(product, frame.path)
        where = imp.at(product)
        unit_type = (product.get("unitType") or "").strip()
        if unit_type not in UNIT_TYPES:
            shown = repr(unit_type) if unit_type else "missing"
            imp.fail("unit", f"Product unitType {shown} is not one IEC 62474 allows ({', '.join(UNIT_TYPES)})", where)
            unit_type = "each"
        composition = _child(product, "Composition")
        full = composition is not None and _flag(composition.get("isFMD")) is True
        attributes = [("productFamilyName", product.get("productFamilyName")), ("isArticle", product.get("isArticle"))]
        if composition is not None:
            lists = "; ".join(_unique_id(dsl) for dsl in _children(composition, "DeclarableSubstanceList"))
            attributes.append(("compositionSubstanceList", lists))
        product_ids = _children(product, "ProductID")
        if len(product_ids) > 1:
            attributes.append(("otherProductIDs", "; ".join(filter(None, (_product_id_label(p) for p in product_ids[1:])))))
        attributes += self._compliance(product)
        part_id = self._part(product, composition, full, unit_type, attributes, frame.parts)
        if part_id is not None:
            self._check_rare_earth_statements(product, composition, part_id, frame.rare_earth)
        return part_id

    def _part(self, element: etree._Element, content: etree._Element | None, full: bool, uom: str, attributes: list, parts: list[_Read]) -> str | None:
        """Build the part of a ``<Product>`` or ``<ProductPart>`` whose sub-parts were read; its id."""
        imp = self.imp
        where = imp.at(element)
        product_id = _child(element, "ProductID")
        identifier = None if product_id is None else (_text(product_id.get("identifier")) or _text(product_id.get("name")))
        part_id = identifier or where.pointer
        name = None if product_id is None else _text(product_id.get("name"))
        mass = None
        if product_id is not None:
            attributes = [(key, product_id.get(key)) for key in ("version", "effectiveDate", "manufacturingSite", "requesterName", "requesterIdentifier")] + attributes
            mass_element = _child(product_id, "Mass")
            if mass_element is not None:
                mass = self._amount(mass_element, Kind.MASS, f"part {part_id!r} mass", part_mass=True)
        if uom in ("g", "kg") and mass is not None and mass.value != unit_factor(uom, Kind.MASS):
            # One unit of a part counted by mass weighs exactly that unit. A declared mass
            # that is not one unit is the quantity the composition describes: count that
            # quantity as one piece, so the material masses stay true to it.
            imp.warn(
                "unit-type-mass-mismatch",
                f"part {part_id!r} has unitType {uom!r} but declares a mass of {mass}, not 1 {uom}; it is counted in pieces of {mass} (each)",
                where,
                (part_id,),
            )
            uom = "each"
        uses = []
        materials = []
        if content is not None:
            # Its sub-parts' findings come after its ProductID's, where a reader walking down the tree finds them.
            for used, findings in parts:
                imp.findings.extend(findings)
                if used is not None:
                    uses.append(used)
            materials = [m for m in (self._material(child, part_id, full) for child in _children(content, "Material")) if m is not None]
            loose = _children(content, "Substance")
            if loose and (materials or uses):
                imp.warn(
                    "substances-beside-materials",
                    f"part {part_id!r} lists substances on the part itself beside its materials or sub-parts; they are kept as a "
                    f"{WHOLE_PART!r} material of 100 % of the part, so the part's contents add up to more than its mass",
                    imp.at(loose[0]),
                    (part_id,),
                )
            if loose:
                substances = [s for s in (self._substance(child, part_id, WHOLE_PART) for child in loose) if s is not None]
                whole = Amount(kind=Kind.FRACTION, unit="%", value=Fraction(1))
                completeness = Completeness.FULL if full else Completeness.PARTIAL
                materials.append(Material(name=WHOLE_PART, amount=whole, completeness=completeness, substances=substances, provenance=imp.at(content)))
        kept = [(key, value.strip()) for key, value in attributes if value is not None and value.strip()]
        part = imp.build(
            Part, where, f"part {part_id!r}", id=part_id, name=name, uom=uom, mass=mass, materials=materials, uses=uses, attributes=kept, provenance=where, location=where
        )
        return None if part is None else imp.add_part(part)

    def product_part(self, element: etree._Element, frame: _Frame) -> None:
        """Read a ``<ProductPart>`` whose sub-parts were read, for its parent: the use of it and its findings."""
        imp = self.imp
        imp.anchor(element, frame.path)
        outer, imp.findings = imp.findings, []
        try:
            frame.parent.parts.append((self._product_part(element, frame), imp.findings))
        finally:
            imp.findings = outer

    def _product_part(self, element: etree._Element, frame: _Frame) -> Usage | None:
        """A ``<ProductPart>``: its part, and the use of it by its parent."""
        imp = self.imp
        where = imp.at(element)
        child_id = self._part(element, element, frame.product.full, "each", [("isArticle", element.get("isArticle"))], frame.parts)
        text = element.get("numberOfUnits")
        if text is None or not text.strip():
            imp.fail("schema", "ProductPart has no numberOfUnits, which IEC 62474 requires", where)
            return None
        count = imp.number(text, where, f"numberOfUnits of part {child_id!r}")
        if count is None or child_id is None:
            return None
        if count <= 0:
            imp.fail("non-positive-quantity", f"numberOfUnits of part {child_id!r} is {text.strip()}; a part is used a positive number of times", where, (child_id,))
            return None
        return Usage(child=child_id, quantity=Amount(kind=Kind.COUNT, unit="", value=count))

    # --- materials and substances -----------------------------------------------------

    def _material(self, element: etree._Element, part_id: str, full: bool) -> Material | None:
        imp = self.imp
        name = _text(element.get("name"))
        what = f"part {part_id!r}, material {name or 'unnamed'!r}"
        amount = self._mass_or_percent(element, what)
        material_id = _entry(_child(element, "MaterialID"))
        substances = [s for s in (self._substance(child, part_id, name) for child in _children(element, "Substance")) if s is not None]
        completeness = Completeness.FULL if full else Completeness.PARTIAL
        where = imp.at(element)
        return imp.build(Material, where, what, name=name, id=material_id, amount=amount, completeness=completeness, substances=substances, provenance=where)

    def _substance(self, element: etree._Element, part_id: str, material: str | None) -> Substance | None:
        imp = self.imp
        name = _text(element.get("name"))
        identities = [_entry(sid) for sid in _children(element, "SubstanceID")]
        # "proprietary", "N/A", "-": text with no digit identifies nothing; the substance
        # is then undeclared content (name only), like a lump.
        codes = [code for code in identities if code is not None and any(ch.isdigit() for ch in code)]
        cas = next((code for code in codes if chemistry.is_cas_shaped(code)), codes[0] if codes else None)
        if name is None and cas is None:
            name = next((code for code in identities if code is not None), None)
        what = f"part {part_id!r}, material {material or 'unnamed'!r}, substance {name or cas or 'unnamed'!r}"
        amount = self._mass_or_percent(element, what)
        where = imp.at(element)
        return imp.build(Substance, where, what, name=name, cas=cas, amount=amount, provenance=where)

    def _mass_or_percent(self, element: etree._Element, what: str) -> Amount | None:
        """The ``Mass`` of an item if it has one, else its ``MassPercent``, else None (unknown)."""
        mass = _child(element, "Mass")
        if mass is not None:
            return self._amount(mass, Kind.MASS, f"{what} mass")
        percent = _child(element, "MassPercent")
        if percent is not None:
            return self._amount(percent, Kind.FRACTION, f"{what} share")
        return None

    def _amount(self, element: etree._Element, kind: Kind, what: str, *, part_mass: bool = False) -> Amount | None:
        """A ``<Mass>`` or ``<MassPercent>`` with its range and tolerances, or None.

        The range (``massRangeMin``/``Max``, ``massPercentRangeMin``/``Max``) gives the
        bounds as written. A tolerance gives a bound the range leaves open: ``value −
        negativeTolerance`` and ``value + positiveTolerance``, in the unit of the value
        (grams, milligrams, ... or percentage points), the sign ignored. A bound from a
        tolerance stops at 0 (and, for a percentage, at 100 %).
        """
        imp = self.imp
        where = imp.at(element)
        if kind is Kind.MASS:
            attribute, low, high = "mass", "massRangeMin", "massRangeMax"
            unit = (element.get("unitOfMeasure") or "").strip()
            if unit not in MASS_UNITS:
                shown = repr(unit) if unit else "missing"
                imp.fail("unit", f"{what}: unitOfMeasure {shown} is not one IEC 62474 allows ({', '.join(MASS_UNITS)})", where)
                return None
        else:
            attribute, low, high, unit = "massPercent", "massPercentRangeMin", "massPercentRangeMax", "%"
        value = element.get(attribute)
        if value is None or not value.strip():
            imp.fail("schema", f"{what}: <{local_name(element.tag)}> has no {attribute}, which IEC 62474 requires", where)
            return None
        amount = imp.amount(value, unit, kind, where, what, min=element.get(low), max=element.get(high), part_mass=part_mass)
        below = imp.number(_text(element.get("negativeTolerance")), where, f"{what} negativeTolerance")
        above = imp.number(_text(element.get("positiveTolerance")), where, f"{what} positiveTolerance")
        if amount is None or amount.value is None:
            return amount
        changes = {}
        if amount.min is None and below is not None:
            changes["min"] = max(Fraction(0), amount.value - abs(below) * amount.factor)
        if amount.max is None and above is not None:
            top = amount.value + abs(above) * amount.factor
            changes["max"] = min(top, Fraction(1)) if kind is Kind.FRACTION else top
        if not changes:
            return amount
        return _evolve(imp, amount, where, what, changes)

    # --- compliance statements --------------------------------------------------------

    def _compliance(self, product: etree._Element) -> list[tuple[str, str]]:
        """The ``Compliance`` statements to keep: those above threshold, and any naming a rare earth."""
        kept: list[tuple[str, str]] = []
        seen: set[str] = set()
        for compliance in _children(product, "Compliance"):
            dsl = _child(compliance, "DeclarableSubstanceList")
            list_key = "unnamed-list" if dsl is None else f"{(dsl.get('authority') or '').strip()}:{(dsl.get('identity') or '').strip()}"
            for entry in _children(compliance, "DsDsg"):
                above = _flag(_attr(_child(entry, "ComplianceThreshold"), "aboveComplianceThreshold"))
                if above is not True and not names_rare_earth(entry.get("name")):
                    continue
                key = f"{COMPLIANCE_PREFIX}:{list_key}:{_attr(_child(entry, 'DsDsgID'), 'entryIdentity') or self.imp.at(entry).pointer}"
                n = 2
                unique = key
                while unique in seen:
                    unique = f"{key} ({n})"
                    n += 1
                seen.add(unique)
                kept.append((unique, _statement(entry, above)))
        return kept

    def _check_rare_earth_statements(self, product: etree._Element, composition: etree._Element | None, part_id: str, seen: bool) -> None:
        """Warn where a rare earth is stated above threshold but the composition holds none.

        ``seen`` says whether the parts of the composition already read (and removed from
        the tree) held a rare-earth substance.
        """
        if composition is not None and (seen or _holds_rare_earth(composition)):
            return
        for compliance in _children(product, "Compliance"):
            for entry in _children(compliance, "DsDsg"):
                above = _flag(_attr(_child(entry, "ComplianceThreshold"), "aboveComplianceThreshold"))
                if above is True and names_rare_earth(entry.get("name")):
                    self.imp.warn(
                        "rare-earth-only-in-compliance",
                        f"part {part_id!r}: the Compliance sectional says {entry.get('name')!r} is above its reporting threshold, "
                        "but no substance of the composition is a rare earth; the statement is kept as an attribute and adds no mass",
                        self.imp.at(entry),
                        (part_id,),
                    )


def _evolve(imp: Importer, amount: Amount, where: Location, what: str, changes: dict) -> Amount | None:
    try:
        return attrs.evolve(amount, **changes)
    except ValueError as exc:
        imp.fail("invalid-value", f"{what}: {exc}", where)
        return None


def _attr(element: etree._Element | None, name: str) -> str | None:
    return None if element is None else element.get(name)


def _entry(unique_entry: etree._Element | None) -> str | None:
    """The ``EntryID/@entryIdentity`` of a ``UniqueEntry`` (MaterialID, SubstanceID), stripped."""
    return _text(_attr(_child(unique_entry, "EntryID"), "entryIdentity"))


def _unique_id(element: etree._Element) -> str:
    """A ``UniqueID`` (identity, authority, version) as one line: ``identity (authority, version)``."""
    identity = (element.get("identity") or "").strip()
    rest = ", ".join(v.strip() for v in (element.get("authority"), element.get("version") and f"version {element.get('version')}") if v and v.strip())
    return f"{identity} ({rest})" if rest else identity


def _product_id_label(product_id: etree._Element) -> str | None:
    identifier, name = _text(product_id.get("identifier")), _text(product_id.get("name"))
    if identifier and name:
        return f"{identifier} ({name})"
    return identifier or name


def _statement(entry: etree._Element, above: bool | None) -> str:
    """A ``DsDsg`` in words: name, threshold verdict, threshold, application, declared amounts as written."""
    threshold = _child(entry, "ComplianceThreshold")
    verdict = {True: "above", False: "not above", None: "no statement on"}[above]
    text = f"{(entry.get('name') or '').strip()}: {verdict} the reporting threshold"
    level = _text(_attr(threshold, "reportingThreshold"))
    application = _text(_attr(threshold, "reportableApplication"))
    if level:
        text += f" ({level})"
    if application:
        text += f" for {application}"
    declared = []
    mass = _child(entry, "Mass")
    if mass is not None:
        declared.append(f"{(mass.get('mass') or '').strip()} {(mass.get('unitOfMeasure') or '').strip()}".strip())
    percent = _child(entry, "MassPercent")
    if percent is not None:
        declared.append(f"{(percent.get('massPercent') or '').strip()} %")
    if declared:
        text += "; declared " + ", ".join(declared)
    return text


def _open(element: etree._Element, held: int, stack: list[_Frame], top: _Frame) -> _Frame:
    """The frame of an element at its start tag: whether it is read, and its XPath."""
    name = local_name(element.tag)
    parent_element = element.getparent()
    parent = stack[-1] if stack and stack[-1].element is parent_element else top if parent_element is top.element else None
    if parent is None or parent.path is None or parent.name not in _READ_UNDER[name]:
        return _Frame(element, name, None, held)
    parent.seen += 1
    # Every product and part is read; of a product's compositions, the first.
    if name == "Composition" and parent.seen > 1:
        return _Frame(element, name, None, held)
    path = f"{parent.path}/{name}[{parent.seen}]" if parent.held > 1 else f"{parent.path}/{name}"
    frame = _Frame(element, name, path, held, parent, parent.product)
    if name == "Product":
        frame.product = frame
    elif name == "Composition":
        parent.full = _flag(element.get("isFMD")) is True
    return frame


def _holds_rare_earth(element: etree._Element) -> bool:
    """True if a ``<Substance>`` anywhere below ``element`` is a rare earth."""
    return any(_is_rare_earth(s) for s in element.iter("{*}Substance"))


def _is_rare_earth(substance: etree._Element) -> bool:
    """True if a ``<Substance>`` is a rare earth: by its CAS number, or by its name."""
    if names_rare_earth(substance.get("name")):
        return True
    for sid in _children(substance, "SubstanceID"):
        code = _entry(sid)
        resolution = None if code is None else chemistry.resolve(cas=code)
        if resolution is not None and any(share[0] in chemistry.RARE_EARTHS for share in resolution.fractions):
            return True
    return False
