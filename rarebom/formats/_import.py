"""What every importer of a foreign format shares: locations, amounts, ids and findings.

An importer reads a declaration or an ERP export that rarebom did not write (IPC-1752,
IEC 62474, Granta BoM XML, CSV) and builds the same model the native readers build. The
rules below are the same for all of them, so they live here once:

- **Locations.** Every part, material and substance keeps its ``provenance``: the file and
  the XPath (by local names, so namespaces do not matter) or the row it came from.
- **Amounts.** A number that cannot be parsed, or a unit that is unknown or measures the
  wrong thing, is a located error. A value that parses but cannot be true (a negative mass,
  a mass heavier than anything ever built, a share below zero) is rejected with a warning
  and becomes *unknown*; it never enters a sum. A part mass of exactly 0 (CAD exports that
  never computed one) is unknown too, never a weightless part.
- **Ids.** Declarations repeat part numbers. A repeat that is the same part (same content)
  becomes one shared part, which is what the BOM graph is for; a repeat that differs is
  kept under a new id, with a warning.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any, BinaryIO

import attrs
from lxml import etree

from .. import limits
from ..errors import Finding, InputError, Location, Severity, error, warning
from ..model import Amount, Bom, Part
from ..units import Kind, parse_number, unit_factor
from . import _xmlsafe

__all__ = ["MAX_MASS_G", "ChildCounts", "Importer", "count_children", "local_name", "same_part", "scan", "xpath"]

#: The heaviest mass rarebom believes for one unit of anything: 10^12 g, a million tonnes.
#: The largest ship ever built displaced about 650 000 t; a declared mass above this is
#: a data error (one published Catena-X example carries -1.8e308 kg), not a product.
MAX_MASS_G = Fraction(10**12)


def local_name(tag: Any) -> str | None:
    """The tag without its namespace; None for comments and processing instructions."""
    if not isinstance(tag, str):
        return None
    return tag.rpartition("}")[2]


def xpath(element: etree._Element) -> str:
    """An XPath to ``element`` by local names, with positions where siblings share a name.

    ``/Main/Product/Composition/ProductPart[2]/Material[1]``. It is for people and reports:
    it shows no namespaces, so it reads the same whatever prefixes a file uses. For many
    elements of one document, :meth:`Importer.at` is faster: it numbers each parent's
    children once.
    """
    return _Paths().path(element)


class _Paths:
    """XPaths of one document's elements, each parent's children numbered once.

    Counting siblings afresh for every element is quadratic in a parent's child count (a
    1752B file with 2,000 products took minutes). Holding the elements as keys keeps
    lxml's proxies alive, so their identity is stable.
    """

    def __init__(self):
        self._paths: dict[etree._Element, str] = {}

    def path(self, element: etree._Element) -> str:
        paths = self._paths
        found = paths.get(element)
        if found is not None:
            return found
        parent = element.getparent()
        if parent is None:
            found = paths[element] = f"/{local_name(element.tag)}"
            return found
        base = self.path(parent)
        children = list(parent)
        names = [_local_name(child.tag) for child in children]
        total: dict[str | None, int] = {}
        for name in names:
            total[name] = total.get(name, 0) + 1
        seen: dict[str, int] = {}
        for child, name in zip(children, names, strict=True):
            if name is None:
                continue  # a comment or processing instruction
            if total[name] > 1:
                seen[name] = n = seen.get(name, 0) + 1
                paths[child] = f"{base}/{name}[{n}]"
            else:
                paths[child] = f"{base}/{name}"
        return paths[element]


#: :func:`local_name` for numbering siblings, remembered: a document has few distinct tags
#: and each is seen many times. Bounded, so a file of made-up tag names cannot grow it.
_local_name = functools.lru_cache(maxsize=1024)(local_name)


@attrs.frozen
class ChildCounts:
    """What :func:`count_children` found: for each counted element, in the order their start
    tags come, how many children of the name it is counted by it holds; and how many the root holds."""

    held: list[int]
    root: int


def count_children(stream: BinaryIO, file: str | None, counted: dict[str, str], root_counted: str) -> ChildCounts:
    """The first pass of a streaming reader: the sibling counts that number XPaths, and the refusals.

    ``counted`` maps the local name of each element a reader streams over to the children it
    is counted by (``{"Part": "{*}Components"}``: how many ``Components`` each ``Part``
    holds), and ``root_counted`` names those of the root. An element's XPath says ``Part[2]``
    only where its parent holds more than one ``Part``, which a streaming reader would know
    only when the parent ends; the counts are known here first. Elements are cleared as they
    end, so this pass holds little more than the second. Its refusals are :func:`scan`'s.
    """
    held: list[int] = []
    open_: list[int] = []

    def count(event: str, element: etree._Element, name: str) -> None:
        if event == "start":
            open_.append(len(held))
            held.append(0)
        else:
            held[open_.pop()] = sum(1 for _ in element.iterchildren(counted[name]))
            element.clear(keep_tail=True)  # its parent counts it by its tag, which clear() keeps; the tail may still be parsing (_xmlsafe.Discard)

    root = scan(stream, file, counted, count)
    return ChildCounts(held, sum(1 for _ in root.iterchildren(root_counted)))


def scan(stream: BinaryIO, file: str | None, names: Iterable[str], handle: Callable[[str, etree._Element, str], None]) -> etree._Element:
    """A first pass over ``stream`` that refuses what :func:`._xmlsafe.parse` refuses; its root.

    ``handle(event, element, local_name)`` is called at the start and at the end of each
    element whose local name is in ``names``; it may clear what it has seen. The refusals
    come in the order :func:`._xmlsafe.parse` gives them: a syntax error anywhere in the
    file, then a DOCTYPE, then the first element nested too deep. On a syntax error it
    parses again with :func:`._xmlsafe.parse`, because libxml2 words some errors differently
    when it is fed a stream: a broken file gives the error it always gave. The stream is
    left where it was.
    """
    start = stream.tell()
    try:
        root = _scan(stream, file, frozenset(names), handle)
    except etree.XMLSyntaxError:
        stream.seek(start)
        _xmlsafe.parse(stream, file)
        raise
    stream.seek(start)
    return root


def _scan(stream: BinaryIO, file: str | None, names: frozenset[str], handle: Callable[[str, etree._Element, str], None]) -> etree._Element:
    _xmlsafe.read_prolog(stream, file)
    max_depth = limits.active().max_depth
    too_deep = None
    if max_depth < _xmlsafe.LIBXML2_MAX_DEPTH:
        # Depth is counted on every element, so every element is seen here (only when a
        # lower limit is set: libxml2 stops at its own).
        events = etree.iterparse(stream, events=("start", "end"), **_xmlsafe.PARSER_OPTIONS)
        depth = 0
        for event, element in events:
            if event == "start":
                depth += 1
                if depth > max_depth and too_deep is None:
                    too_deep = element
            else:
                depth -= 1
            name = local_name(element.tag)
            if name in names:
                handle(event, element, name)
    else:
        tags = tuple("{*}" + name for name in sorted(names))
        events = etree.iterparse(stream, events=("start", "end"), tag=tags, **_xmlsafe.PARSER_OPTIONS)
        for event, element in events:
            handle(event, element, local_name(element.tag))
    root = events.root
    _xmlsafe._refuse_doctype(root.getroottree(), file)
    if too_deep is not None:
        raise _xmlsafe._too_deep(max_depth, file, too_deep, None)
    return root


class Importer:
    """The state of one import: the file, its findings, and the parts built so far."""

    def __init__(self, file: str | None):
        self.file = file
        self.findings: list[Finding] = []
        self.parts: list[Part] = []
        self._by_id: dict[str, Part] = {}
        self._renamed: dict[str, int] = {}
        self._contents: dict[str, Part] = {}  # see _content_of
        self._paths = _Paths()
        self._max_parts = limits.active().max_parts

    # --- findings -------------------------------------------------------------------

    @property
    def failed(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)

    def warn(self, code: str, message: str, where: Location | None, parts: Iterable[str] = ()) -> None:
        self.findings.append(warning(code, message, where, parts))

    def fail(self, code: str, message: str, where: Location | None, parts: Iterable[str] = ()) -> None:
        self.findings.append(error(code, message, where, parts))

    # --- locations ------------------------------------------------------------------

    def at(self, element: etree._Element) -> Location:
        """The location of an XML element: file, line, XPath."""
        return Location(self.file, element.sourceline, self._paths.path(element))

    def anchor(self, element: etree._Element, path: str) -> None:
        """Take ``path`` as the XPath of ``element``, and forget every path found so far.

        For a streaming reader, which removes what it has read: the tree around ``element``
        no longer says where it stood, so the reader says it, and the elements below it are
        numbered from there. Forgetting the rest lets the elements already read be freed.
        """
        self._paths = _Paths()
        self._paths._paths[element] = path

    def at_row(self, row: int, column: str | None = None) -> Location:
        """The location of a table row (1-based, counting the header), and optionally a column."""
        return Location(self.file, row, f"row {row}" + (f", column {column!r}" if column else ""))

    # --- amounts --------------------------------------------------------------------

    def number(self, text: str | None, where: Location, what: str) -> Fraction | None:
        """``text`` as an exact number; None (and a located error) if it is not one."""
        if text is None:
            return None
        try:
            return parse_number(text)
        except InputError as exc:
            self.fail("invalid-number", f"{what}: {exc.message}", where)
            return None

    def amount(
        self,
        value: str | None,
        unit: str,
        kind: Kind,
        where: Location,
        what: str,
        *,
        min: str | None = None,
        max: str | None = None,
        part_mass: bool = False,
    ) -> Amount | None:
        """An :class:`Amount` from decimal strings written in ``unit``, or None.

        None with a located error when a number or the unit cannot be read; None with a
        warning (``rejected-value``) when a value is impossible: negative, or a mass over
        :data:`MAX_MASS_G`, or a share over 100 % or below zero. With ``part_mass`` a
        value of 0 is unknown too (``zero-mass``). A bound that is impossible is dropped
        and the rest kept.
        """
        numbers, texts = {}, {}
        for name, text in (("value", value), ("min", min), ("max", max)):
            if text is not None and text.strip() != "":
                number = self.number(text, where, what)
                if number is None:
                    return None
                numbers[name], texts[name] = number, text.strip()
        if not numbers:
            return None
        try:
            factor = unit_factor(unit, kind)
        except InputError as exc:
            self.fail("unit", f"{what}: {exc.message}", where)
            return None
        canonical = {name: number * factor for name, number in numbers.items()}
        for name, number in list(canonical.items()):
            problem = self._impossible(number, kind)
            if problem is None:
                continue
            written = f"{texts[name]} {unit}".strip()
            if name == "value" or len(canonical) == 1:
                self.warn("rejected-value", f"{what}: {written} {problem}; it is treated as unknown", where)
                return None
            self.warn("rejected-value", f"{what}: the {name} {written} {problem}; the bound is dropped", where)
            del canonical[name]
        if part_mass and canonical.get("value") == 0 and not canonical.get("max"):
            self.warn("zero-mass", f"{what} is 0, which no real part weighs; it is treated as unknown", where)
            return None
        if "value" not in canonical and "max" not in canonical:
            return None  # only a min: "at least x" bounds nothing above, so the amount is unknown
        try:
            return Amount(kind=kind, unit=unit, **canonical)
        except ValueError as exc:
            self.fail("invalid-value", f"{what}: {exc}", where)
            return None

    @staticmethod
    def _impossible(number: Fraction, kind: Kind) -> str | None:
        if number < 0:
            return "is negative"
        if kind is Kind.MASS and number > MAX_MASS_G:
            return "is more than any manufactured object weighs (over a million tonnes)"
        if kind is Kind.FRACTION and number > 1:
            return "is more than 100 %"
        return None

    # --- building -------------------------------------------------------------------

    def build(self, cls, where: Location | None, what: str, **fields):
        """``cls(**fields)``, or None with a located error when the model refuses the values."""
        try:
            return cls(**fields)
        except (ValueError, TypeError) as exc:
            self.fail("invalid-value", f"{what}: {exc}", where)
            return None

    def add_part(self, part: Part) -> str:
        """Add ``part`` and return the id it is known by.

        A part whose id is taken by an equal part (ignoring where each was found) is the
        same part declared twice: the first is kept and shared. One that differs is kept
        as ``"<id> (2)"``, ``"<id> (3)"``, ... with a ``repeated-part-number`` warning.
        """
        existing = self._by_id.get(part.id)
        if existing is None:
            self._keep(part)
            return part.id
        content = _content(part)
        if self._content_of(part.id) == content:
            return existing.id
        for candidate in self._variants(part.id):
            if candidate in self._by_id and self._content_of(candidate) == content:
                return candidate
        n = self._renamed.get(part.id, 1) + 1
        while f"{part.id} ({n})" in self._by_id:
            n += 1
        self._renamed[part.id] = n
        new_id = f"{part.id} ({n})"
        first = existing.provenance or existing.location
        self.warn(
            "repeated-part-number",
            f"part number {part.id!r} is used again for a part that differs from the first (at {first}); this one is kept as {new_id!r}",
            part.location,
            (new_id,),
        )
        renamed = attrs.evolve(part, id=new_id)
        self._keep(renamed)
        return new_id

    def _content_of(self, part_id: str) -> Part:
        """:func:`_content` of the part kept as ``part_id``, made once: a tree format repeats a
        shared sub-assembly under every parent, and each repeat is compared with it."""
        content = self._contents.get(part_id)
        if content is None:
            content = self._contents[part_id] = _content(self._by_id[part_id])
        return content

    def _variants(self, part_id: str):
        for n in range(2, self._renamed.get(part_id, 1) + 1):
            yield f"{part_id} ({n})"

    def _keep(self, part: Part) -> None:
        if len(self.parts) >= self._max_parts:  # refused at the part past the limit, not after the whole file
            raise limits.active().exceeded("max_parts", f"more than {self._max_parts:,} parts", location=part.location or part.provenance)
        self._by_id[part.id] = part
        self.parts.append(part)

    def bom(self, name: str | None = None, attributes: Iterable[tuple[str, str]] = (), where: Location | None = None) -> Bom | None:
        """The BOM of the parts added, or None with a located error."""
        return self.build(Bom, where or Location(self.file), "the BOM", parts=self.parts, name=name, attributes=tuple(attributes), source=self.file)


def _content(part: Part) -> Part:
    """``part`` without any provenance, for comparing what two declarations say."""
    materials = tuple(attrs.evolve(m, provenance=None, substances=tuple(attrs.evolve(s, provenance=None) for s in m.substances)) for m in part.materials)
    return attrs.evolve(part, id="-", provenance=None, materials=materials)


def same_part(a: Part, b: Part) -> bool:
    """True if two parts say the same thing, whatever their ids and wherever each was found."""
    return _content(a) == _content(b)
