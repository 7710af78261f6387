"""Hardened XML reading: no DTD, no entities, no network, no external files.

Every XML reader in rarebom goes through :func:`iter_events`. It refuses a document
before parsing if its prolog holds a DOCTYPE (which is where entity declarations, external
DTDs and XXE payloads live), then parses with entity resolution, DTD loading and network
access all off, and checks once more at the root element. A BOM format has no use for a DTD,
so refusing one costs real users nothing.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from typing import BinaryIO

from lxml import etree

from .. import limits
from ..errors import Location, UnsafeInputError

__all__ = ["PARSER_OPTIONS", "iter_events", "read_prolog", "safe_parser"]

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
            if text.startswith("<!", pos) and len(text) - pos >= 9:
                if text[pos : pos + 9].upper() == "<!DOCTYPE":
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


def iter_events(stream: BinaryIO, file: str | None, events=("start", "end")) -> Iterator[tuple[str, etree._Element]]:
    """Parse ``stream`` incrementally and safely, yielding lxml ``(event, element)`` pairs.

    With start and end events, elements nested deeper than the active ``Limits.max_depth``
    are refused with a :class:`~rarebom.LimitExceededError`; libxml2 itself stops at 256
    without ``huge_tree``.
    """
    read_prolog(stream, file)
    first = True
    # Depth is counted where the caller asks for start and end events (the rarebom XML
    # reader); other callers have libxml2's ceiling of 256.
    counted = "start" in events and "end" in events
    max_depth = limits.active().max_depth
    depth = 0
    for event, element in etree.iterparse(stream, events=events, **PARSER_OPTIONS):
        if counted:
            depth += 1 if event == "start" else -1 if event == "end" else 0
            if depth > max_depth:
                raise limits.active().exceeded("max_depth", f"the XML nests elements more than {max_depth} deep", location=Location(file, element.sourceline))
        if first:
            first = False
            docinfo = element.getroottree().docinfo
            if docinfo.doctype or docinfo.internalDTD is not None:
                raise UnsafeInputError("the file declares a DOCTYPE; rarebom does not read DTDs", location=Location(file, 1))
        yield event, element
