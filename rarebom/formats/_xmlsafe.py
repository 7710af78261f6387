"""Hardened XML reading: no DTD, no entities, no network, no external files.

Every XML reader in rarebom goes through :func:`iter_events` (streaming) or :func:`parse`
(a whole tree). Both refuse a document before parsing if its prolog holds a DOCTYPE (which
is where entity declarations, external DTDs and XXE payloads live), then parse with entity
resolution, DTD loading and network access all off, and check once more at the root
element. A BOM format has no use for a DTD, so refusing one costs real users nothing. Both
refuse elements nested deeper than the active ``Limits.max_depth``.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from typing import BinaryIO

from lxml import etree

from .. import limits
from ..errors import Location, UnsafeInputError

__all__ = ["LIBXML2_MAX_DEPTH", "PARSER_OPTIONS", "Discard", "Restart", "iter_events", "iter_root_children", "parse", "read_prolog", "root_and_children", "safe_parser"]

#: lxml options for every parse: nothing is resolved, loaded or fetched.
PARSER_OPTIONS = dict(
    resolve_entities=False,
    load_dtd=False,
    no_network=True,
    huge_tree=False,
    dtd_validation=False,
    remove_comments=True,
    remove_pis=True,
)

#: How deep libxml2 nests elements without ``huge_tree`` (which rarebom never turns on);
#: deeper is an XMLSyntaxError "Excessive depth in document" whatever the limits say.
LIBXML2_MAX_DEPTH = 256

#: How much of a file may come before its root element (XML declaration, comments, PIs).
MAX_PROLOG_BYTES = 1 << 20

_ROOT = re.compile(r"<([A-Za-z_][\w.\-]*(?::[\w.\-]+)?)")


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(**PARSER_OPTIONS)


def _decoder_for(head: bytes):
    if head.startswith(codecs.BOM_UTF8):
        return codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return codecs.getincrementaldecoder("utf-16")(errors="replace")
    if head.startswith(b"<\x00"):
        return codecs.getincrementaldecoder("utf-16-le")(errors="replace")
    if head.startswith(b"\x00<"):
        return codecs.getincrementaldecoder("utf-16-be")(errors="replace")
    # ASCII-compatible encodings agree on the markup characters the prolog scan looks at.
    return codecs.getincrementaldecoder("latin-1")()


def read_prolog(stream: BinaryIO, file: str | None) -> tuple[str, str]:
    """Scan the prolog of an XML stream and return ``(root tag as written, text of the start tag)``.

    Raises :class:`UnsafeInputError` if a DOCTYPE comes before the root element, or if the
    prolog is longer than :data:`MAX_PROLOG_BYTES`. The stream is left where it was.
    """
    start = stream.tell()
    head = stream.read(4)
    decoder = _decoder_for(head)
    text = decoder.decode(head)
    read = len(head)
    try:
        pos = 0
        while True:
            # Skip what may legally precede the root: whitespace, the XML declaration, PIs, comments.
            while True:
                while pos < len(text) and text[pos] in " \t\r\n\ufeff":
                    pos += 1
                if text.startswith("<?", pos):
                    end = text.find("?>", pos)
                elif text.startswith("<!--", pos):
                    end = text.find("-->", pos)
                else:
                    break
                if end < 0:
                    break
                pos = end + 2 + (text[end] == "-")
            if text.startswith("<!", pos) and len(text) - pos >= 9 and text[pos : pos + 9].upper() == "<!DOCTYPE":
                raise UnsafeInputError(
                    "the file declares a DOCTYPE; rarebom does not read DTDs or entity declarations in untrusted files",
                    location=Location(file, text.count("\n", 0, pos) + 1),
                )
            match = _ROOT.match(text, pos)
            if match and (len(text) - match.end() > 0):
                close = text.find(">", match.end())
                if close >= 0:
                    return match.group(1), text[pos : close + 1]
            if read > MAX_PROLOG_BYTES:
                raise UnsafeInputError(f"no root element in the first {MAX_PROLOG_BYTES} bytes", location=Location(file))
            chunk = stream.read(65536)
            if not chunk:
                return "", ""
            read += len(chunk)
            text += decoder.decode(chunk)
    finally:
        stream.seek(start)


def iter_events(stream: BinaryIO, file: str | None, events=("start", "end"), *, member: str | None = None) -> Iterator[tuple[str, etree._Element]]:
    """Parse ``stream`` incrementally and safely, yielding lxml ``(event, element)`` pairs for ``events``.

    Elements nested deeper than the active ``Limits.max_depth`` are refused with a
    :class:`~rarebom.LimitExceededError` as soon as their start tag is read; libxml2 itself
    stops at :data:`LIBXML2_MAX_DEPTH`. ``member`` names the part of an archive being read,
    for error locations.
    """
    read_prolog(stream, file)
    wanted = frozenset(events)
    first = True
    max_depth = limits.active().max_depth
    depth = 0
    # Start and end events are always asked for, since they are what depth is counted on.
    for event, element in etree.iterparse(stream, events=tuple(wanted | {"start", "end"}), **PARSER_OPTIONS):
        if event == "start":
            depth += 1
            if depth > max_depth:
                raise _too_deep(max_depth, file, element, member)
            if first:
                first = False
                _refuse_doctype(element.getroottree(), file)
        elif event == "end":
            depth -= 1
        if event in wanted:
            yield event, element


def iter_root_children(stream: BinaryIO, file: str | None, *, member: str | None = None) -> Iterator[tuple[str, etree._Element]]:
    """:func:`iter_events` for a reader that wants only the root element, as ``("start", root)``,
    then each child of the root once it is complete, as ``("end", child)``.

    The same parse and the same refusals, at the same elements; the other elements' events
    are counted here and not handed on, which saves a reader a Python step per element.
    """
    read_prolog(stream, file)
    max_depth = limits.active().max_depth
    depth = 0
    for event, element in etree.iterparse(stream, events=("start", "end"), **PARSER_OPTIONS):
        if event == "start":
            depth += 1
            if depth > max_depth:
                raise _too_deep(max_depth, file, element, member)
            if depth == 1:
                _refuse_doctype(element.getroottree(), file)
                yield event, element
        else:
            depth -= 1
            if depth == 1:
                yield event, element


class Restart(Exception):
    """A filtered parse (:func:`root_and_children`) cannot refuse the file the way the
    unfiltered one would: read it again from the start with :func:`iter_root_children`."""


def root_and_children(stream: BinaryIO, file: str | None, root: str, child: str) -> Iterator[tuple[str, etree._Element]] | None:
    """:func:`iter_root_children` for a reader that uses only a root whose local name is
    ``root`` and those of its children whose (namespaced) tag is ``child``; or None where
    this way cannot give the same events and refusals.

    libxml2 then hands Python only the elements with those names, so a ``<part>`` of ten
    elements costs Python one step where it cost twenty. Depth is not counted here, so this
    way is taken only where ``Limits.max_depth`` is at libxml2's own ceiling or above, and
    only for a root of that name (from :func:`read_prolog`; another root would come without
    its start event). libxml2 then refuses a document too deep before Python could, except
    at exactly the ceiling, where :func:`iter_root_children` refuses with the limit's message
    instead: there the iterator raises :class:`Restart`, as it does if the prolog scan read
    the root's name wrong.
    """
    if limits.active().max_depth < LIBXML2_MAX_DEPTH:
        return None
    written, _ = read_prolog(stream, file)
    if written.rpartition(":")[2] != root:
        return None
    return _root_and_children(stream, file, root, child)


def _root_and_children(stream: BinaryIO, file: str | None, root: str, child: str) -> Iterator[tuple[str, etree._Element]]:
    top = None
    try:
        for event, element in etree.iterparse(stream, events=("start", "end"), tag=("{*}" + root, child), **PARSER_OPTIONS):
            if top is None:
                if event != "start" or element.getparent() is not None:
                    raise Restart  # not the root first: read_prolog misread its name
                top = element
                _refuse_doctype(element.getroottree(), file)
                yield event, element
            elif event == "end" and element.tag == child and element.getparent() is top:
                yield event, element
    except etree.XMLSyntaxError as exc:
        if exc.msg.startswith("Excessive depth in document") and limits.active().max_depth <= LIBXML2_MAX_DEPTH:
            raise Restart from None
        raise


class Discard:
    """Drops the elements a streaming reader is done with, one step late.

    Removing an element from the tree at its end event also frees its tail, the text after
    it. libxml2 may still be adding to that text: lxml hands over events only after parsing
    a buffer ahead, and a long run of text (the line breaks between a thousand comments,
    which the parser drops) is grown in place across buffers. It would then write into
    freed memory, and the process aborts ("realloc(): invalid next size") or worse. So an
    element is emptied at once, keeping its tail (all it holds is complete at its end), and
    removed only when the next element is dropped, or at :meth:`flush` after the parse, when
    some tag has ended its tail.
    """

    __slots__ = ("_pending",)

    def __init__(self) -> None:
        self._pending: etree._Element | None = None

    def __call__(self, element: etree._Element) -> None:
        self.flush()
        element.clear(keep_tail=True)
        self._pending = element

    def flush(self) -> None:
        """Remove the element dropped last. Safe at any event after it (that event's tag
        ended its tail); a reader calls it at each event, so its code sees the tree as if
        each element had gone at its end, and once the parse is over."""
        pending, self._pending = self._pending, None
        if pending is not None:
            parent = pending.getparent()
            if parent is not None:  # else its parent was emptied, and it with it
                parent.remove(pending)


def parse(stream: BinaryIO, file: str | None, *, member: str | None = None) -> etree._Element:
    """Parse all of ``stream`` safely and return its root element.

    The same refusals as :func:`iter_events` (a DOCTYPE, nesting past ``Limits.max_depth``),
    for readers that need the whole tree. Depth is checked after libxml2 has built the tree,
    which its own ceiling of :data:`LIBXML2_MAX_DEPTH` keeps small, with one XPath that
    steps down ``max_depth + 1`` levels.
    """
    read_prolog(stream, file)
    tree = etree.parse(stream, safe_parser())
    _refuse_doctype(tree, file)
    max_depth = limits.active().max_depth
    if max_depth < LIBXML2_MAX_DEPTH:
        deeper = tree.xpath("(" + "/*" * (max_depth + 1) + ")[1]")
        if deeper:
            raise _too_deep(max_depth, file, deeper[0], member)
    return tree.getroot()


def _refuse_doctype(tree: etree._ElementTree, file: str | None) -> None:
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise UnsafeInputError("the file declares a DOCTYPE; rarebom does not read DTDs", location=Location(file, 1))


def _too_deep(max_depth: int, file: str | None, element: etree._Element, member: str | None) -> limits.LimitExceededError:
    return limits.active().exceeded("max_depth", f"the XML nests elements more than {max_depth} deep", location=Location(file, element.sourceline, member))
