"""IPC-1752A (Class C and D) and IPC-1752B material declarations, read into the model.

IPC-1752 is the electronics supply chain's XML material declaration: a ``MainDeclaration``
in namespace ``http://webstds.ipc.org/175x/2.0`` (1752A) or a 1752B namespace such as
``https://webstds.ipc.org/175x/1752B/1752B``, with or without an ``IPC-1752B`` wrapper
element. Elements are matched by local name only. The schema is not public (IPC gives it
out after registration), so the element names here are the ones public parsers and
fixtures use; docs/formats.md says which are confirmed and which inferred.

How the declaration maps onto the model:

- Each ``Product`` is a finished good, once per ``ProductID`` (a declaration may cover a
  family of part numbers). Its ``ProductID/Amount`` is the mass of ONE unit.
- Each ``SubProduct`` is a part of its own, used by its parent ``numberOfInstances``
  times (once when absent); its ``ProductID/Amount`` is the mass of one of it.
- ``HomogeneousMaterial`` becomes a material, ``Substance`` a substance. A mass is
  a mass per unit of the (sub-)product; a percentage or ppm is a share of the parent: a
  substance's of its homogeneous material, a homogeneous material's of its product.
- Class D (a full material declaration) gives ``full`` materials. Class C (statements
  against regulatory lists) gives no composition at all: its statements are kept as part
  attributes and the product's content stays unknown. A product that is both C and D
  (BOMcheck's "Class D+C", a full declaration with up to 5 % undeclared) gives ``partial``
  materials, as does a product whose class is not stated.

A file is read in two passes that never hold it whole (see :func:`read`); one in an
unusual order is read whole, with the same result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from fractions import Fraction
from typing import BinaryIO

import attrs
from lxml import etree

from ..errors import Finding, Location, UnitError
from ..model import Amount, Bom, Completeness, Material, Part, Substance, Usage
from ..units import Kind, kind_of_unit, unit_factor
from . import _xmlsafe
from ._import import Importer, local_name, scan

__all__ = ["read"]

#: Elements that start a new part: what lies inside them belongs to that part, not its parent.
_PART_ELEMENTS = frozenset({"Product", "SubProduct"})

#: Spellings of a percentage in IPC files that rarebom's unit table does not know.
_PERCENT_SPELLINGS = frozenset({"masspercent", "mass percent"})

#: Identities that identify nothing: what suppliers type into SubstanceID when they have
#: no number to give. A substance with one of these is name-only: its amount is known, what it is is not.
_NO_IDENTITY = frozenset({"", "n/a", "na", "-", "--", "none", "unknown", "not applicable", "proprietary", "confidential", "trade secret", "undisclosed", "system"})

#: A CAS-shaped number inside free text, such as "bt resin (cas# 13676-54-5/25722-66-1)".
_CAS_IN_TEXT = re.compile(r"(?<![\d-])\d{2,7}-\d{2}-\d(?![\d-])")

#: ProductID attributes kept as part attributes (itemNumber and itemName are the id and name).
_PRODUCT_ID_ATTRIBUTES = ("version", "manufacturingSite", "requesterItemName", "requesterItemNumber")

#: The standard a namespace belongs to, for the BOM's ``standard`` attribute.
_STANDARD_1752B = re.compile(r"1752B", re.IGNORECASE)


def read(stream: BinaryIO, file: str | None) -> tuple[Bom | None, list[Finding]]:
    """Read an IPC-1752A/B declaration; ``(None, findings)`` if any error was found.

    Two passes over the stream, and neither holds the whole tree. The first
    (:func:`_look_ahead`) refuses what :func:`._xmlsafe.parse` refuses, in its order, and
    notes what the second needs before it comes: the document's classes, the sibling
    counts that number XPaths, and whether every product gives its ``ProductID`` and
    ``Include`` before its first ``SubProduct``. The second (:class:`_Stream`) builds each
    product and sub-product at its end tag and removes it from the tree. A file in another
    order is read whole by :class:`_Declaration`, which gives the same result.
    """
    start = stream.tell()
    ahead = _look_ahead(stream, file)
    if ahead.streamable:
        declaration: _Declaration = _Stream(file, ahead)
        bom = declaration.read_stream(stream)
    else:
        stream.seek(start)
        declaration = _Declaration(file, _xmlsafe.parse(stream, file))
        bom = declaration.read()
    imp = declaration.imp
    return (None if imp.failed else bom), imp.findings


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    """The children called ``name`` in any namespace (or none): lxml matches ``{*}name`` in C."""
    return list(element.iterchildren("{*}" + name))


def _child(element: etree._Element, name: str) -> etree._Element | None:
    return next(iter(_children(element, name)), None)


def _own(element: etree._Element, name: str) -> Iterator[etree._Element]:
    """Descendants of ``element`` named ``name``, in document order, not looking inside
    nested sub-products (their content is theirs) nor inside a match."""
    stack = list(reversed(element))
    while stack:
        node = stack.pop()
        local = local_name(node.tag)
        if local is None or local in _PART_ELEMENTS:
            continue
        if local == name:
            yield node
            continue
        stack.extend(reversed(node))


def _text(value: str | None) -> str | None:
    """An attribute's text, stripped; None when absent or blank."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def _unique(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Attribute pairs with repeated names numbered ``name (2)``, ``name (3)``, ..."""
    seen: dict[str, int] = {}
    out = []
    for name, value in pairs:
        n = seen.get(name, 0) + 1
        seen[name] = n
        out.append((name if n == 1 else f"{name} ({n})", value))
    return out


@attrs.define(eq=False)
class _Head:
    """What a Product or SubProduct says before its sub-products: read first, used when it is built."""

    classes: tuple[str, ...]
    ids: list[etree._Element]  # its ProductIDs: one part each
    label: str  # what findings call it
    uom: str
    masses: list[Amount | None]  # one per ProductID
    own_mass: Fraction | None  # in grams: what a sub-product's share of it is a share of
    top: bool
    uses: list[Usage] = attrs.Factory(list)  # of its sub-products, as they are built


class _Declaration:
    """One IPC-1752 file being read: its top elements, its class, and the importer."""

    def __init__(self, file: str | None, root: etree._Element):
        self.imp = Importer(file)
        self.at = self.imp.at
        self.root = root
        self.tops = _tops(root)
        self.document_classes = self._classes(self.tops)
        self.unnamed = 0
        self.names: dict[str, str | None] = {}

    # --- the document ----------------------------------------------------------------

    def read(self) -> Bom | None:
        products = [product for top in self.tops for product in _children(top, "Product")]
        if not products:
            self.imp.warn("empty-declaration", "the declaration holds no Product, so the BOM has no parts", self.at(self.root))
        names = []
        for product in products:
            for part_id in self._part(product, inherited=self.document_classes, parent_mass=None, top=True):
                names.append(self.names[part_id] or part_id)
        name = names[0] if len(names) == 1 else None
        return self.imp.bom(name, self._business_attributes(), self.at(self.root))

    def _business_attributes(self) -> list[tuple[str, str]]:
        """The declaration's business information, as BOM attributes."""
        namespace = etree.QName(self.root).namespace or ""
        is_b = _STANDARD_1752B.search(namespace) or len(self.tops) > 1
        pairs = [("standard", "IPC-1752B" if is_b else "IPC-1752A"), ("namespace", namespace)]
        if version := _text(self.root.get("version")):
            pairs.append(("schemaVersion", version))
        if self.document_classes:
            pairs.append(("declarationClass", ", ".join(self.document_classes)))
        info = next((b for top in self.tops for b in _children(top, "BusinessInfo")), None)
        if info is None:
            return pairs
        if mode := _text(info.get("mode")):
            pairs.append(("mode", mode))
        for section in ("Response", "Request"):
            for node in _children(info, section):
                key = section.lower()
                if date := _text(node.get("date")):
                    pairs.append((f"{key}Date", date))
                if comment := _text(node.get("comment")):
                    pairs.append((f"{key}Comment", comment))
                for role in ("SupplyCompany", "RequestCompany", "Authorizer", "Contact"):
                    for who in _children(node, role):
                        attribute = role[0].lower() + role[1:]
                        if name := _text(who.get("name")):
                            pairs.append((attribute, name))
                        for company_id in _children(who, "CompanyID"):
                            identity, authority = _text(company_id.get("identity")), _text(company_id.get("authority"))
                            if identity:
                                pairs.append((f"{attribute}ID", f"{identity} ({authority})" if authority else identity))
        for legal in _children(info, "Declaration"):
            for attribute in ("legalType", "supplierAcceptance"):
                if value := _text(legal.get(attribute)):
                    pairs.append((attribute, value))
        return _unique(pairs)

    # --- classes ---------------------------------------------------------------------

    @staticmethod
    def _classes(holders: Iterable[etree._Element]) -> tuple[str, ...]:
        """The declaration classes named by the ``Include`` directly under ``holders``."""
        found = []
        for holder in holders:
            for include in _children(holder, "Include"):
                for sectional in _children(include, "Sectional"):
                    if (sectional.get("name") or "").strip() != "MaterialInfo":
                        continue
                    for sub in _children(sectional, "SubSectional"):
                        if (name := _text(sub.get("name"))) and name.upper() not in found:
                            found.append(name.upper())
        return tuple(sorted(found))

    # --- parts -----------------------------------------------------------------------

    def _part(self, element: etree._Element, *, inherited: tuple[str, ...], parent_mass: Fraction | None, top: bool) -> list[str]:
        """Build the parts one Product or SubProduct declares (one per ProductID); return their ids."""
        head = self._head(element, inherited, parent_mass, top)
        for sub in _children(element, "SubProduct"):
            self._use(head, sub, self._part(sub, inherited=head.classes, parent_mass=head.own_mass, top=False))
        return self._build(element, head)

    def _head(self, element: etree._Element, inherited: tuple[str, ...], parent_mass: Fraction | None, top: bool) -> _Head:
        """What a Product or SubProduct says before its sub-products are read: its class, unit and mass.

        It reads the element's attributes and its ``ProductID`` and ``Include`` children, and
        its findings come before its sub-products'.
        """
        classes = self._classes([element]) or inherited
        ids = _children(element, "ProductID")
        first = ids[0] if ids else element
        label = _text(first.get("itemNumber")) or _text(first.get("itemName")) or self.at(element).pointer
        if not classes and top:  # a sub-product inherits its parent's class, and its parent warned
            self.imp.warn(
                "declaration-class-missing",
                f"{label}: no Include/Sectional[@name='MaterialInfo']/SubSectional names the declaration class; its materials are read as partial",
                self.at(element),
            )
        uom = self._uom(element, label)
        masses = [self._product_mass(node, label, parent_mass, top=top) for node in ids]
        own_mass = next((m.value for m in masses if m is not None and m.value is not None), None)
        return _Head(classes, ids, label, uom, masses, own_mass, top)

    def _use(self, head: _Head, sub: etree._Element, child_ids: list[str]) -> None:
        """Note the use of a sub-product whose parts were built, by the parent ``head`` is of."""
        quantity = self._instances(sub, head.label)
        if child_ids and quantity is not None:
            head.uses.append(Usage(child=child_ids[0], quantity=quantity, alternates=child_ids[1:]))

    def _build(self, element: etree._Element, head: _Head) -> list[str]:
        """Build the parts of a Product or SubProduct whose sub-products were built; return their ids."""
        imp = self.imp
        classes, ids = head.classes, head.ids
        full = "D" in classes and "C" not in classes
        materials = [m for m in (self._material(hm, head.label, full) for hm in _own(element, "HomogeneousMaterial")) if m is not None]
        shared = self._attributes(element, classes, head.top)
        built = []
        for node, mass in zip(ids or [None], head.masses or [None], strict=True):
            where = self.at(node if node is not None else element)
            part_id = self._part_id(node, where)
            pairs = [(name, value) for name in _PRODUCT_ID_ATTRIBUTES if node is not None and (value := _text(node.get(name)))] + shared
            part = imp.build(
                Part,
                where,
                f"part {part_id!r}",
                id=part_id,
                name=_text(node.get("itemName")) if node is not None else None,
                uom=head.uom,
                mass=mass,
                materials=materials,
                uses=head.uses,
                attributes=_unique(pairs),
                provenance=where,
                location=where,
            )
            if part is not None:
                built.append(imp.add_part(part))
                self.names[built[-1]] = part.name
        return built

    def _attributes(self, element: etree._Element, classes: tuple[str, ...], top: bool) -> list[tuple[str, str]]:
        """What a Product or SubProduct says besides its content: its class, unit type, and Class C statements."""
        pairs = [("declarationClass", ", ".join(classes))] if classes else []
        # A SubProduct's numberOfInstances is its parent's usage quantity, not a property
        # of the part: the same magnet may go into two parents in different numbers.
        for name in ("unitType", "numberOfInstances", "comment") if top else ("unitType", "comment"):
            if (value := _text(element.get(name))) is not None:
                pairs.append((name, value))
        return pairs + self._statements(element)

    def _part_id(self, node: etree._Element | None, where: Location) -> str:
        """A ProductID's part number: itemNumber, else itemName, else a made-up, warned one."""
        if node is not None:
            for attribute in ("itemNumber", "itemName", "requesterItemNumber"):
                if value := _text(node.get(attribute)):
                    return value
        self.unnamed += 1
        part_id = f"unnamed product {self.unnamed}"
        self.imp.warn("missing-part-number", f"a product has no ProductID with an itemNumber or itemName; it is kept as {part_id!r}", where, (part_id,))
        return part_id

    def _uom(self, element: etree._Element, label: str) -> str:
        """The part's unit of measure from ``@unitType``: each, or a bulk unit rarebom knows."""
        written = _text(element.get("unitType"))
        if written is None:
            return "each"
        try:
            kind = kind_of_unit(written.lower())
        except UnitError:
            self.imp.warn(
                "unknown-unit-type",
                f"{label}: unitType {written!r} is not a unit rarebom knows; the product is counted in pieces (each)",
                self.at(element),
            )
            return "each"
        return "each" if kind is Kind.COUNT else written.lower()

    def _instances(self, sub: etree._Element, label: str) -> Amount | None:
        """How many of a SubProduct go into one unit of its parent: ``@numberOfInstances``, else 1."""
        written = _text(sub.get("numberOfInstances"))
        if written is None:
            return Amount(kind=Kind.COUNT, unit="each", value=Fraction(1))
        return self.imp.amount(written, "each", Kind.COUNT, self.at(sub), f"{label}: sub-product numberOfInstances")

    def _product_mass(self, node: etree._Element, label: str, parent_mass: Fraction | None, *, top: bool) -> Amount | None:
        """One unit's mass from a ProductID; a share of the parent becomes grams of it."""
        what = f"{_text(node.get('itemNumber')) or label}: product mass"
        amount = self._amount(node, what, part_mass=True)
        if amount is None or amount.kind is Kind.MASS:
            return amount
        if top or parent_mass is None:
            parent = "a top-level Product has no parent" if top else "its parent's mass is not known"
            self.imp.warn("relative-product-mass", f"{what} is {amount}, a share of its parent, but {parent}; the mass is unknown", self.at(node))
            return None
        # A sub-product given as a share of its parent: that share of the parent's grams.
        return Amount(
            kind=Kind.MASS,
            unit="g",
            value=None if amount.value is None else amount.value * parent_mass,
            min=None if amount.min is None else amount.min * parent_mass,
            max=None if amount.max is None else amount.max * parent_mass,
        )

    # --- materials and substances ------------------------------------------------------

    def _material(self, element: etree._Element, label: str, full: bool) -> Material | None:
        imp = self.imp
        name = _text(element.get("name")) or _text(element.get("materialGroupName"))
        what = f"{label}, homogeneous material {name!r}"
        amount = self._amount(element, f"{what} amount")
        substances = [s for s in (self._substance(node, what) for node in _own(element, "Substance")) if s is not None]
        # A material that lists no substance declares nothing about its composition.
        completeness = Completeness.FULL if full and substances else Completeness.PARTIAL
        where = self.at(element)
        return imp.build(Material, where, what, name=name, amount=amount, completeness=completeness, substances=substances, provenance=where)

    def _substance(self, element: etree._Element, material: str) -> Substance | None:
        imp = self.imp
        name = _text(element.get("name"))
        what = f"{material}, substance {name!r}"
        where = self.at(element)
        cas = self._identity(element)
        if cas is None and name and (numbers := _CAS_IN_TEXT.findall(name)):
            imp.warn(
                "cas-in-name",
                f"{what} has no SubstanceID, though its name mentions {', '.join(numbers)}; rarebom does not read identities from names, so the substance stays unidentified",
                where,
            )
        amount = self._amount(element, f"{what} amount")
        return imp.build(Substance, where, what, name=name, cas=cas, amount=amount, provenance=where)

    @staticmethod
    def _identity(element: etree._Element) -> str | None:
        """The substance's identity as written: the CAS one if several, else the first."""
        identities = []
        for tag in ("SubstanceID", "UniqueID"):
            for node in _children(element, tag):
                identity = (node.get("identity") or "").strip()
                if identity.lower() not in _NO_IDENTITY:
                    identities.append((identity, (node.get("authority") or "").strip().upper()))
        for identity, authority in identities:
            if authority == "CAS":
                return identity
        return identities[0][0] if identities else None

    # --- amounts ---------------------------------------------------------------------

    def _amount(self, node: etree._Element, what: str, *, part_mass: bool = False) -> Amount | None:
        """A node's amount: ``@value``/``@UOM`` on the node, else its ``Amount``, else its ``Concentration`` (% by default)."""
        if node.get("value") is not None:
            carrier, default = node, ""
        elif (found := _child(node, "Amount")) is not None:
            carrier, default = found, ""
        elif (found := _child(node, "Concentration")) is not None:
            carrier, default = found, "%"
        else:
            return None
        written = (carrier.get("UOM") or default).strip()
        unit = "%" if written.lower() in _PERCENT_SPELLINGS else written
        kind = Kind.FRACTION if unit and _is_fraction(unit) else Kind.MASS
        return self.imp.amount(carrier.get("value"), unit, kind, self.at(carrier), what, part_mass=part_mass and kind is Kind.MASS)

    # --- Class C statements --------------------------------------------------------------

    def _statements(self, element: etree._Element) -> list[tuple[str, str]]:
        """Class C statements as ``("<list>: <category>", "overThreshold=...; ...")`` pairs.

        They are the ``SubstanceCategoryList`` elements directly under the product's
        ``MaterialInfo`` (those inside a homogeneous material only group its substances).
        Values are kept as written: they are statements, not composition.
        """
        pairs = []
        for info in _children(element, "MaterialInfo"):
            for category_list in _children(info, "SubstanceCategoryList"):
                list_id = _child(category_list, "SubstanceCategoryListID")
                list_name = _text(list_id.get("identity")) if list_id is not None else None
                for category in _children(category_list, "SubstanceCategory"):
                    name = f"{list_name or 'SubstanceCategoryList'}: {_text(category.get('name')) or '?'}"
                    pairs.append((name, _statement(category)))
        return pairs


def _tops(root: etree._Element) -> list[etree._Element]:
    """The elements that may hold BusinessInfo, Include and Product: the root and, in 1752B
    files, an IPC-1752B wrapper under it."""
    return [root, *(child for child in root if (local_name(child.tag) or "").startswith("IPC-175"))]


# --- streaming ---------------------------------------------------------------------------


@attrs.frozen
class _Ahead:
    """What the first pass found, for the second."""

    held: list[int]  # for each Product and SubProduct, in the order they start: how many SubProducts it holds
    products: int  # how many Products the top element that holds them holds
    classes: tuple[str, ...]  # the document's declaration classes
    streamable: bool  # False: a part gives a ProductID or Include after a SubProduct, or products lie in two top elements


def _look_ahead(stream: BinaryIO, file: str | None) -> _Ahead:
    """The first pass: the refusals of :func:`._xmlsafe.parse`, in its order, and what the second pass needs first.

    A part's class, unit and mass are read, and their findings given, before its
    sub-products'; streaming can do that at its first ``SubProduct`` only if its
    ``ProductID`` and ``Include`` children all come before it (as in every file seen so
    far). The document's classes come from ``Include`` elements that may follow the
    products. Each part is cleared as it ends, so this pass holds little more than the second.
    """
    held: list[int] = []
    open_: list[list] = []  # [element, its index in held, whether a SubProduct child has started]
    late = False

    def see(event: str, element: etree._Element, name: str) -> None:
        nonlocal late
        inside = open_[-1] if open_ and open_[-1][0] is element.getparent() else None
        if name in _PART_ELEMENTS:
            if event == "start":
                if inside is not None and name == "SubProduct":
                    inside[2] = True
                open_.append([element, len(held), False])
                held.append(0)
            else:
                held[open_.pop()[1]] = sum(1 for _ in element.iterchildren("{*}SubProduct"))
                element.clear(keep_tail=True)  # its parent counts it by its tag, which clear() keeps; the tail may still be parsing (_xmlsafe.Discard)
        elif event == "start" and inside is not None and inside[2]:
            late = True  # a ProductID or Include after a SubProduct

    root = scan(stream, file, (*_PART_ELEMENTS, "ProductID", "Include"), see)
    tops = _tops(root)
    counts = [sum(1 for _ in top.iterchildren("{*}Product")) for top in tops]
    streamable = not late and len(tops) <= 2 and sum(1 for n in counts if n) <= 1
    return _Ahead(held, max(counts), _Declaration._classes(tops), streamable)


@attrs.define(eq=False)
class _Frame:
    """A Product or SubProduct whose end tag has not come yet, or the top element that holds the products.

    ``path`` is the XPath :meth:`Importer.at` would give it with the whole tree in hand,
    None for an element the reader does not read. ``head`` is read at the start of its
    first SubProduct, or at its end if it has none.
    """

    element: etree._Element
    path: str | None
    held: int  # how many SubProducts (for the top element: Products) it holds
    parent: _Frame | None = None
    inherited: tuple[str, ...] = ()
    parent_mass: Fraction | None = None
    top: bool = False
    seen: int = 0  # how many of those have started so far
    head: _Head | None = None


class _Stream(_Declaration):
    """One streaming pass over a declaration in the usual order, building each part at its end tag.

    What comes out is what :class:`_Declaration` gives with the whole tree: the same parts
    added in the same order (children first), the same XPaths (numbered with the first
    pass's counts) and the same findings in the same order, since a part's head is read
    before its sub-products and its materials after them, as the whole-tree reader does.
    """

    def __init__(self, file: str | None, ahead: _Ahead):
        self.imp = Importer(file)
        self.at = self.imp.at
        self.ahead = ahead
        self.document_classes = ahead.classes
        self.unnamed = 0
        self.names = {}
        self.products: _Frame | None = None  # the top element that holds the products

    def read_stream(self, stream: BinaryIO) -> Bom | None:
        events = etree.iterparse(stream, events=("start", "end"), tag=("{*}Product", "{*}SubProduct"), **_xmlsafe.PARSER_OPTIONS)
        held = iter(self.ahead.held)
        stack: list[_Frame] = []
        names = []
        discard = _xmlsafe.Discard()
        for event, element in events:
            discard.flush()
            if event == "start":
                stack.append(self._open(element, next(held), stack))
                continue
            frame = stack.pop()
            if frame.path is None:
                continue
            built = self._end(element, frame)
            if frame.top:
                names += [self.names[part_id] or part_id for part_id in built]
            else:
                self._use(frame.parent.head, element, built)
            discard(element)  # built: nothing refers to it again
        discard.flush()
        self.root = root = events.root
        self.tops = _tops(root)
        self.imp.anchor(root, f"/{local_name(root.tag)}")
        if not self.ahead.products:
            self.imp.warn("empty-declaration", "the declaration holds no Product, so the BOM has no parts", self.at(root))
        name = names[0] if len(names) == 1 else None
        return self.imp.bom(name, self._business_attributes(), self.at(root))

    def _open(self, element: etree._Element, held: int, stack: list[_Frame]) -> _Frame:
        """The frame of a Product or SubProduct at its start tag: whether it is read, and its XPath."""
        name = local_name(element.tag)
        above = element.getparent()
        if name == "Product":
            if above is None or not _is_top(above):
                return _Frame(element, None, held)
            if self.products is None:
                root = above if above.getparent() is None else above.getparent()
                path = f"/{local_name(root.tag)}" + ("" if above is root else f"/{local_name(above.tag)}")
                self.products = _Frame(above, path, self.ahead.products)
            parent = self.products
        else:
            parent = stack[-1] if stack and stack[-1].element is above else None
            if parent is None or parent.path is None:
                return _Frame(element, None, held)
            if parent.head is None:
                self._begin(parent)  # its first SubProduct: its ProductIDs and Include came before
        parent.seen += 1
        path = f"{parent.path}/{name}[{parent.seen}]" if parent.held > 1 else f"{parent.path}/{name}"
        if name == "Product":
            return _Frame(element, path, held, parent, self.document_classes, None, top=True)
        return _Frame(element, path, held, parent, parent.head.classes, parent.head.own_mass)

    def _begin(self, frame: _Frame) -> None:
        self.imp.anchor(frame.element, frame.path)
        frame.head = self._head(frame.element, frame.inherited, frame.parent_mass, frame.top)

    def _end(self, element: etree._Element, frame: _Frame) -> list[str]:
        """Build the parts of a Product or SubProduct at its end tag; their ids."""
        if frame.head is None:
            self._begin(frame)
        else:
            self.imp.anchor(element, frame.path)  # paths found at its head may have counted siblings not yet parsed
        return self._build(element, frame.head)


def _is_top(element: etree._Element) -> bool:
    """True for the root, or an IPC-175x wrapper directly under it."""
    above = element.getparent()
    return above is None or (above.getparent() is None and (local_name(element.tag) or "").startswith("IPC-175"))


def _statement(category: etree._Element) -> str:
    """One SubstanceCategory's statement as text, every value as written."""
    parts = []
    for threshold in _children(category, "Threshold"):
        parts += [f"{key}={value}" for key in ("overThreshold", "threshold") if (value := _text(threshold.get(key)))]
    if application := _text(category.get("reportableApplication")):
        parts.append(f"reportableApplication={application}")
    parts += [f"exemption={identity}" for exemption in _children(category, "Exemption") if (identity := _text(exemption.get("identity")))]
    parts += [f"{tag.lower()}={_written(node, default)}" for tag, default in _AMOUNT_TAGS for node in _children(category, tag)]
    for substance in _children(category, "Substance"):
        identity = _Declaration._identity(substance)
        text = (_text(substance.get("name")) or "?") + (f" [{identity}]" if identity else "")
        text += "".join(f" {_written(node, default)}" for tag, default in _AMOUNT_TAGS for node in _children(substance, tag))
        parts.append(f"substance={text}")
    return "; ".join(parts)


#: The elements that carry an amount in a statement, and the unit each has when none is written.
_AMOUNT_TAGS = (("Concentration", "%"), ("Amount", ""))


def _written(node: etree._Element, default_unit: str) -> str:
    """An amount element as written: ``"0.12 massPercent"``."""
    return f"{node.get('value', '?')} {node.get('UOM') or default_unit}".strip()


def _is_fraction(unit: str) -> bool:
    try:
        unit_factor(unit, Kind.FRACTION)
    except UnitError:
        return False
    return True
