"""rarebom BOM format version 1, XML encoding: streaming reader and writer.

The reader never holds the whole document: it validates each ``<part>`` against the XSD
as soon as the part ends (lxml keeps the line numbers), turns it into a model
:class:`~rarebom.model.Part`, and drops it from the tree. Memory stays near the size of
the model, not of the file.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from lxml import etree

from .._resources import schema_path
from ..errors import Finding, Location, RarebomError, error, part_location
from ..model import Amount, Bom, Classification, Completeness, Material, OriginClaim, Part, Stage, Substance, Usage
from ..units import Kind, kind_of_unit
from . import _xmlsafe
from .native import EXPECTED_TEXT, PartList, Shared, _where, build_bom, check_version, ids, structure_part, unstructure_part, version_for

__all__ = ["NAMESPACE", "read", "write"]

NAMESPACE = "urn:rarebom:bom:1"
_NS = "{" + NAMESPACE + "}"

# Raw dict keys to XML element names, for locations written as XML paths.
_XML_NAMES = {"materials": "material", "substances": "substance", "uses": "use", "origins": "origin", "classifications": "classification", "alternates": "alternate"}


@functools.cache
def _schema() -> etree.XMLSchema:
    with open(schema_path("bom-xml"), "rb") as handle:
        return etree.XMLSchema(etree.parse(handle, _xmlsafe.safe_parser()))


_PATTERN_MISS = re.compile(r"Element '([\w:]+)', attribute '(\w+)': \[facet 'pattern'\] The value '(.*)' is not accepted by the pattern '.*'\.$", re.S)


def _clean(message: str) -> str:
    """lxml's message without the namespace, and without a regex where a word says more."""
    message = message.replace(_NS, "")
    match = _PATTERN_MISS.match(message)
    if match:
        element, attribute, value = match.groups()
        expected = EXPECTED_TEXT.get(attribute, "a non-empty value")
        return f"<{element} {attribute}={value!r}>: expected {expected}"
    return message


def _local(tag: Any) -> str | None:
    if not isinstance(tag, str):
        return None
    return tag[len(_NS) :] if tag.startswith(_NS) else None


# The local names of the elements a part may hold, by their namespaced tag: one dict
# look-up per element in the reader's inner loop, where _local slices a string.
_TAGS = {
    _NS + name: name
    for name in ("description", "provenance", "mass", "fraction", "unitValue", "classification", "origin", "attribute", "material", "substance", "use", "quantity", "alternate")
}

_AMOUNT_KEYS = frozenset(("value", "unit", "min", "max"))
_PROVENANCE_KEYS = frozenset(("file", "line", "path"))


def _amount(element: etree._Element) -> dict[str, str]:
    raw = dict(element.items())  # one call to lxml; the schema allows only these keys (and xsi:*)
    return raw if _AMOUNT_KEYS.issuperset(raw) else {k: v for k, v in raw.items() if k in _AMOUNT_KEYS}


def _provenance(element: etree._Element) -> dict[str, str]:
    return {k: v for k, v in element.items() if k in _PROVENANCE_KEYS}


_TRI_STATE = {"true": True, "false": False, "unknown": None}


def _raw_part(element: etree._Element) -> tuple[dict, dict[tuple, int]]:
    """The raw dict of a schema-valid ``<part>``, and the source line of each path in it."""
    lines: dict[tuple, int] = {(): element.sourceline}
    get = dict(element.items()).get  # one call to lxml, not one per attribute
    raw: dict[str, Any] = {"id": get("id")}
    for name in ("name", "uom"):
        value = get(name)
        if value is not None:
            raw[name] = value
    raw["chinaRareEarthTechnology"] = _TRI_STATE[(get("chinaRareEarthTechnology") or "unknown").strip()]
    tags = _TAGS
    for child in element:
        tag = tags.get(child.tag)
        if tag == "use":
            uses = raw.get("uses")
            if uses is None:
                uses = raw["uses"] = []
            path = ("uses", len(uses))
            lines[path] = child.sourceline
            use: dict[str, Any] = {"part": child.get("part")}
            for grandchild in child:
                if tags.get(grandchild.tag) == "quantity":
                    use["quantity"] = _amount(grandchild)
                    lines[(*path, "quantity")] = grandchild.sourceline
                else:
                    use.setdefault("alternates", []).append(grandchild.get("part"))
            uses.append(use)
        elif tag == "material":
            path = ("materials", len(raw.setdefault("materials", [])))
            raw["materials"].append(_raw_material(child, path, lines))
        elif tag in ("mass", "unitValue"):
            raw[tag] = _amount(child)
            lines[(tag,)] = child.sourceline
        elif tag == "description":
            raw["description"] = child.text or ""
        elif tag == "provenance":
            raw["provenance"] = _provenance(child)
        elif tag == "classification":
            raw.setdefault("classifications", []).append({"scheme": child.get("scheme"), "code": child.get("code")})
        elif tag == "origin":
            origin = {k: child.get(k) for k in ("country", "stage", "source") if child.get(k) is not None}
            origin.update({k: origin[k].strip() for k in ("country", "stage") if k in origin})  # xs:token
            lines[("origins", len(raw.setdefault("origins", [])))] = child.sourceline
            raw["origins"].append(origin)
        elif tag == "attribute":
            raw.setdefault("attributes", {})[child.get("name")] = child.get("value")
    return raw, lines


def _raw_material(element: etree._Element, path: tuple, lines: dict) -> dict:
    lines[path] = element.sourceline
    raw: dict[str, Any] = {k: v for k, v in element.items() if k in ("name", "id", "completeness")}
    if "completeness" in raw:
        raw["completeness"] = raw["completeness"].strip()
    tags = _TAGS
    for child in element:
        tag = tags.get(child.tag)
        if tag == "substance":
            spath = (*path, "substances", len(raw.setdefault("substances", [])))
            lines[spath] = child.sourceline
            substance = {k: v for k, v in child.items() if k in ("name", "element", "cas", "formula")}
            if "element" in substance:
                substance["element"] = substance["element"].strip()  # xs:token
            for grandchild in child:
                name = tags.get(grandchild.tag)
                if name == "provenance":
                    substance["provenance"] = _provenance(grandchild)
                    continue
                substance[name] = _amount(grandchild)
                lines[(*spath, name)] = grandchild.sourceline
            raw["substances"].append(substance)
        elif tag in ("mass", "fraction"):
            raw[tag] = _amount(child)
            lines[(*path, tag)] = child.sourceline
        elif tag == "provenance":
            raw["provenance"] = _provenance(child)
    return raw


def _xml_path(part_id: str, path: tuple) -> str:
    if not path:
        return f"part[@id={part_id!r}]"  # every part's own location: the short way
    steps = [f"part[@id={part_id!r}]"]
    items = list(path)
    while items:
        key = items.pop(0)
        if items and isinstance(items[0], int):
            steps.append(f"{_XML_NAMES.get(key, key)}[{items.pop(0) + 1}]")
        else:
            steps.append(f"@{key}" if key == "uom" else key)
    return "/".join(steps)


def read(stream: BinaryIO, file: str | None) -> tuple[Bom | None, list[Finding]]:
    """Read a rarebom XML file. Returns the BOM (None if there were errors) and every finding."""
    start = stream.tell()
    events = _xmlsafe.root_and_children(stream, file, "bom", _NS + "part")
    if events is not None:
        try:
            return _read(events, file)
        except _xmlsafe.Restart:
            stream.seek(start)
    return _read(_xmlsafe.iter_root_children(stream, file), file)


def _read(events: Iterator[tuple[str, etree._Element]], file: str | None) -> tuple[Bom | None, list[Finding]]:
    """The reader's loop over the root's start and its children's ends (those that are not
    parts may be left out: it does not use them)."""
    problems: list[Finding] = []
    schema = _schema()
    parts = PartList(problems)
    root = None
    part_tag = _NS + "part"
    discard = _xmlsafe.Discard()
    for event, element in events:
        discard.flush()
        if event == "start":  # the root
            root = element
            if element.tag != _NS + "bom":
                problems.append(
                    error("not-rarebom", f"the root element is {_clean(str(element.tag))!r}, not a rarebom <bom> in namespace {NAMESPACE}", Location(file, element.sourceline))
                )
                return None, problems
            version = (element.get("formatVersion") or "").strip() or None
            bad = version is not None and check_version(version, Location(file, element.sourceline))
            if bad:
                problems.append(bad)
                return None, problems
        elif element.tag == part_tag:  # a child of the root, complete
            _read_part(element, schema, file, parts, problems)
            discard(element)
    discard.flush()
    if root is None:
        problems.append(error("xml-syntax", "the file holds no XML element", Location(file)))
        return None, problems
    if not schema.validate(root):
        problems.extend(error("schema", _clean(e.message), Location(file, e.line)) for e in schema.error_log)
    bom_attributes = {child.get("name"): child.get("value") for child in root if _local(child.tag) == "attribute"}
    if len(bom_attributes) != sum(1 for child in root if _local(child.tag) == "attribute"):
        return None, problems  # repeated names: the schema reported them
    return build_bom(parts.parts, root.get("name"), bom_attributes, file, Location(file, root.sourceline), problems), problems


def _read_part(element: etree._Element, schema: etree.XMLSchema, file: str | None, parts: PartList, problems: list[Finding]) -> None:
    if not schema.validate(element):
        problems.extend(error("schema", _clean(e.message), Location(file, e.line, _xml_path(element.get("id") or "?", ()))) for e in schema.error_log)
        return
    part = _direct_part(element, file, parts.shared)
    if part is not None:
        parts.add(part)
        return
    raw, lines = _raw_part(element)

    def locate(path: tuple) -> Location:
        line = lines.get(path)
        probe = path
        while line is None and probe:
            probe = probe[:-1]
            line = lines.get(probe)
        return Location(file, line, _xml_path(raw["id"], path))

    part = structure_part(raw, locate, problems, parts.shared)
    if part is not None:
        parts.add(part)


# --- the direct path: a schema-valid <part> straight to model objects --------------------
#
# _raw_part and structure_part build a raw dict, a dict of lines, a closure per path and a
# dict of fields per object. For the usual part, none of them is needed: nothing fails, so
# no message is written and no line is looked up. _direct_part builds the Part from the
# element, with the same constructors, the same arguments and the same Shared caches, in
# the same order within each kind of object (so the first equal object wins, as there); it
# looks each object up by its key first, and builds only one it has not met (below).
# Anything unusual (a value that does not parse, a constructor that refuses, an element in a
# place or number the usual part does not have it, any exception at all) makes it give up:
# what it added to the shared caches is removed again, and the part is read the usual way,
# which words every message and locates it. So messages and warnings come only from there.


class _Decline(Exception):
    """The part is not the usual kind: read it the usual way."""


def _undo(cache: dict, size: int) -> None:
    """Remove the entries added to ``cache`` since it held ``size`` (a dict keeps insertion order)."""
    for key in list(itertools.islice(reversed(cache), len(cache) - size)):
        del cache[key]


def _direct_part(element: etree._Element, file: str | None, shared: Shared) -> Part | None:
    """The :class:`Part` that ``_raw_part`` and ``structure_part`` would build from this
    schema-valid ``<part>``, sharing the same objects, or None (with ``shared`` as it was)
    if the part is not plain enough to be sure of that."""
    caches = shared.caches()
    sizes = [len(cache) for cache in caches]
    try:
        return _direct(element, file, shared)
    except (_Decline, RarebomError, ValueError, TypeError, KeyError, ArithmeticError):
        # What the usual path reports (or what the schema already rules out): it reads the
        # part again and words it. Anything else is a bug, and propagates.
        for cache, size in zip(caches, sizes, strict=True):
            if len(cache) != size:
                _undo(cache, size)
        return None


# Each object is looked up by its key (Shared.key) before it is built, the key made of what
# was read: the texts as read, the amount's key id, the ids of the shared objects inside.
# Texts, amounts and children are read and shared as before; an object found is the first
# equal one, the one Shared.objects gives for the object once built, so it is not built. Only
# an object met for the first time is built (and checked) and kept under its key.


def _direct_amount(element: etree._Element, kind: Kind | None, shared: Shared) -> tuple[Amount, int]:
    """``_Structurer.amount`` of ``_amount(element)``, raising where it would report; with
    the amount's key id (:meth:`Shared.amount_id`)."""
    value = low = high = None
    unit = ""
    for key, text in element.items():
        if key == "value":
            value = text
        elif key == "unit":
            unit = text
        elif key == "min":
            low = text
        elif key == "max":
            high = text
    amounts = shared.amounts
    key = (kind, unit, value, low, high)
    amount = amounts.get(key)
    if amount is None:
        if kind is None:
            kind = kind_of_unit(unit)
        amount = Amount.parse(value, unit, kind, min=low, max=high)
        amounts[key] = amount
    # Shared.amount_id, with its look-up written out for the amounts met before (most of
    # them): this runs for every amount of every part, about five a part.
    known = shared.amount_ids.get(id(amount))
    return (amount, shared.amount_id(amount)) if known is None else (amount, known[1])


def _direct_provenance(element: etree._Element) -> Location:
    """``native._provenance`` of ``_provenance(element)``."""
    source = _provenance(element)
    line = source.get("line")
    return Location(source.get("file"), None if line is None else int(line), source.get("path"))


def _direct(element: etree._Element, file: str | None, shared: Shared) -> Part:
    texts = shared.texts
    objects = shared.objects
    first_usages = shared.usages
    tags = _TAGS
    get = dict(element.items()).get
    pid = get("id")
    china = _TRI_STATE[(get("chinaRareEarthTechnology") or "unknown").strip()]
    description = provenance = mass = unit_value = attributes = None
    materials: list = []
    uses: list = []
    origins: list = []
    classifications: list = []
    for child in element:
        tag = tags.get(child.tag)
        if tag == "use":
            child_id = child.get("part")
            if child_id is None:
                raise _Decline
            quantity = None
            alternates: list = []
            for grandchild in child:
                name = tags.get(grandchild.tag)
                if name == "quantity" and quantity is None:
                    quantity, quantity_id = _direct_amount(grandchild, None, shared)
                elif name == "alternate":
                    alternate = grandchild.get("part")
                    if alternate is None:
                        raise _Decline
                    alternates.append(alternate)
                else:
                    raise _Decline
            if quantity is None:
                raise _Decline
            child_id = texts.setdefault(child_id, child_id)
            # Shared.keep: the first usage of a child is found by the child's id alone, and
            # a usage with alternates or of the same child in another quantity by its key.
            made = None if alternates else first_usages.get(child_id)
            if made is None and not alternates:
                made = first_usages[child_id] = Usage(child=child_id, quantity=quantity)
            elif made is None or (made.quantity is not quantity and shared.amount_id(made.quantity) != quantity_id):
                key = (Usage, child_id, quantity_id, *[texts.setdefault(a, a) for a in alternates])
                made = objects.get(key)
                if made is None:
                    made = objects[key] = Usage(child=child_id, quantity=quantity, alternates=key[3:])
            uses.append(made)
        elif tag == "material":
            materials.append(_direct_material(child, shared))
        elif tag == "mass" and mass is None:
            mass = _direct_amount(child, Kind.MASS, shared)[0]
        elif tag == "unitValue" and unit_value is None:
            unit_value = _direct_amount(child, Kind.CURRENCY, shared)[0]
        elif tag == "description" and description is None:
            description = child.text or ""
        elif tag == "provenance" and provenance is None:
            provenance = _direct_provenance(child)
        elif tag == "classification":
            scheme, code = child.get("scheme"), child.get("code")
            if scheme is None or code is None:
                raise _Decline
            key = (Classification, scheme, code)
            made = objects.get(key)
            if made is None:
                made = objects[key] = Classification(scheme=texts.setdefault(scheme, scheme), code=texts.setdefault(code, code))
            classifications.append(made)
        elif tag == "origin":
            country, stage, source = child.get("country"), child.get("stage"), child.get("source")
            if country is None or stage is None:
                raise _Decline
            country = country.strip()
            stage = Stage(stage.strip())
            key = (OriginClaim, country, stage, source)
            made = objects.get(key)
            if made is None:
                if source is not None:
                    source = texts.setdefault(source, source)
                made = objects[key] = OriginClaim(country=texts.setdefault(country, country), stage=stage, source=source)
            origins.append(made)
        elif tag == "attribute":
            if attributes is None:
                attributes = {}
            attributes[child.get("name")] = child.get("value")
        else:
            raise _Decline
    uom = get("uom")
    if uom is None:
        uom = "each"
    uom = texts.setdefault(uom, uom)
    kind_of_unit(uom)
    name = get("name")
    if name is not None:
        name = texts.setdefault(name, name)
    if description is not None:
        description = texts.setdefault(description, description)
    pid = texts.setdefault(pid, pid)
    return Part(
        id=pid,
        name=name,
        description=description,
        uom=uom,
        mass=mass,
        unit_value=unit_value,
        materials=shared.tuple_of(materials),
        uses=shared.tuple_of(uses),
        origins=shared.tuple_of(origins),
        classifications=shared.tuple_of(classifications),
        china_re_technology=china,
        attributes=() if attributes is None else shared.attributes(attributes),
        provenance=provenance,
        location=part_location(file, element.sourceline, pid),  # its pointer written when read
    )


def _direct_material(element: etree._Element, shared: Shared) -> Material:
    texts = shared.texts
    objects = shared.objects
    tags = _TAGS
    name = material_id = None
    completeness = Completeness.PARTIAL
    for key, value in element.items():
        if key == "name":
            name = value
        elif key == "id":
            material_id = value
        elif key == "completeness":
            completeness = Completeness(value.strip())
    amount = amount_id = provenance = None
    substances = []
    for child in element:
        tag = tags.get(child.tag)
        if tag == "substance":
            substances.append(_direct_substance(child, shared))
        elif tag == "mass" or tag == "fraction":
            if amount is not None:
                raise _Decline
            amount, amount_id = _direct_amount(child, Kind.MASS if tag == "mass" else Kind.FRACTION, shared)
        elif tag == "provenance" and provenance is None:
            provenance = _direct_provenance(child)
        else:
            raise _Decline
    key = (Material, name, material_id, amount_id, completeness, _where(provenance), ids(substances))
    made = objects.get(key)
    if made is None:
        if name is not None:
            name = texts.setdefault(name, name)
        if material_id is not None:
            material_id = texts.setdefault(material_id, material_id)
        made = Material(name=name, id=material_id, amount=amount, completeness=completeness, substances=tuple(substances), provenance=provenance)
        objects[key] = made
    return made


def _direct_substance(element: etree._Element, shared: Shared) -> Substance:
    name = symbol = cas = formula = None
    for key, value in element.items():
        if key == "name":
            name = value
        elif key == "element":
            symbol = value.strip()
        elif key == "cas":
            cas = value
        elif key == "formula":
            formula = value
    amount = amount_id = provenance = None
    tags = _TAGS
    for child in element:
        tag = tags.get(child.tag)
        if (tag == "mass" or tag == "fraction") and amount is None:
            amount, amount_id = _direct_amount(child, Kind.MASS if tag == "mass" else Kind.FRACTION, shared)
        elif tag == "provenance" and provenance is None:
            provenance = _direct_provenance(child)
        else:
            raise _Decline
    objects = shared.objects
    key = (Substance, name, symbol, cas, formula, amount_id, _where(provenance))
    made = objects.get(key)
    if made is None:
        text = shared.texts.setdefault
        made = Substance(
            name=None if name is None else text(name, name),
            element=None if symbol is None else text(symbol, symbol),
            cas=None if cas is None else text(cas, cas),
            formula=None if formula is None else text(formula, formula),
            amount=amount,
            provenance=provenance,
        )
        objects[key] = made
    return made


# --- writing ----------------------------------------------------------------------------


def _sub(parent: etree._Element, tag: str, attrib: dict[str, str]) -> etree._Element:
    return etree.SubElement(parent, _NS + tag, {k: v for k, v in attrib.items() if v is not None})


def _part_element(raw: dict) -> etree._Element:
    element = etree.Element(_NS + "part", nsmap={None: NAMESPACE})
    for name in ("id", "name", "uom"):
        if name in raw:
            element.set(name, raw[name])
    if "chinaRareEarthTechnology" in raw:
        element.set("chinaRareEarthTechnology", "true" if raw["chinaRareEarthTechnology"] else "false")
    if "description" in raw:
        _sub(element, "description", {}).text = raw["description"]
    if "provenance" in raw:
        _sub(element, "provenance", raw["provenance"])
    for tag in ("mass", "unitValue"):
        if tag in raw:
            _sub(element, tag, raw[tag])
    for classification in raw.get("classifications", ()):
        _sub(element, "classification", classification)
    for origin in raw.get("origins", ()):
        _sub(element, "origin", origin)
    for name, value in raw.get("attributes", {}).items():
        _sub(element, "attribute", {"name": name, "value": value})
    for material in raw.get("materials", ()):
        m = _sub(element, "material", {k: material.get(k) for k in ("name", "id", "completeness")})
        if "provenance" in material:
            _sub(m, "provenance", material["provenance"])
        for tag in ("mass", "fraction"):
            if tag in material:
                _sub(m, tag, material[tag])
        for substance in material.get("substances", ()):
            s = _sub(m, "substance", {k: substance.get(k) for k in ("name", "element", "cas", "formula")})
            if "provenance" in substance:
                _sub(s, "provenance", substance["provenance"])
            for tag in ("mass", "fraction"):
                if tag in substance:
                    _sub(s, tag, substance[tag])
    for use in raw.get("uses", ()):
        u = _sub(element, "use", {"part": use["part"]})
        _sub(u, "quantity", use["quantity"])
        for alternate in use.get("alternates", ()):
            _sub(u, "alternate", {"part": alternate})
    return element


_DECLARATION = b' xmlns="' + NAMESPACE.encode() + b'"'


def _bytes(element: etree._Element) -> bytes:
    # Each element is serialised on its own, so lxml repeats the namespace declaration on
    # it; the root already declares it, so the copy is dropped.
    return etree.tostring(element, encoding="utf-8").replace(_DECLARATION, b"", 1)


def write(bom: Bom, stream: BinaryIO) -> None:
    """Write ``bom`` as rarebom XML, one part at a time (memory does not grow with the BOM)."""
    root = etree.Element(_NS + "bom", {"formatVersion": version_for(bom)}, nsmap={None: NAMESPACE})
    if bom.name is not None:
        root.set("name", bom.name)
    stream.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(etree.tostring(root, encoding="utf-8")[:-2] + b">")
    for name, value in bom.attributes:
        stream.write(b"\n  " + _bytes(etree.Element(_NS + "attribute", {"name": name, "value": value}, nsmap={None: NAMESPACE})))
    for part in bom.parts:
        element = _part_element(unstructure_part(part))
        etree.indent(element, space="  ", level=1)
        stream.write(b"\n  " + _bytes(element))
    stream.write(b"\n</bom>\n")
