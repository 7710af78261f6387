"""Reading and writing BOM files: format detection, :func:`load` and :func:`dump`.

Each format has one module with ``read(stream, file) -> (bom | None, findings)`` and,
where rarebom writes it, ``write(bom, stream)``. :func:`load` adds what every format
shares: the format is detected from the content, the whole-BOM checks run, and any error
raises :class:`~rarebom.errors.InvalidBomError` with every problem located.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import attrs
from lxml import etree

from ..checks import CheckOptions, check_bom
from ..errors import Finding, InputError, InvalidBomError, Location, Severity, error
from ..model import Bom
from . import _xmlsafe, native_json, native_xml

__all__ = ["FORMATS", "LoadResult", "detect_format", "dump", "load"]


@attrs.frozen
class _Format:
    name: str
    description: str
    read: Callable[[BinaryIO, str | None], tuple[Bom | None, list[Finding]]]
    write: Callable[[Bom, BinaryIO], None] | None
    suffixes: tuple[str, ...]


#: The formats rarebom reads, by the name ``--format`` takes.
FORMATS: dict[str, _Format] = {
    "rarebom-xml": _Format("rarebom-xml", "rarebom BOM format 1, XML", native_xml.read, native_xml.write, (".xml",)),
    "rarebom-json": _Format("rarebom-json", "rarebom BOM format 1, JSON", native_json.read, native_json.write, (".json",)),
}


@attrs.frozen
class LoadResult:
    """A BOM read from a file, the warnings found on the way, and the format it was in."""

    bom: Bom
    findings: tuple[Finding, ...]
    format: str


Source = str | os.PathLike | bytes | BinaryIO


def _open(source: Source) -> tuple[BinaryIO, str | None, bool]:
    if isinstance(source, bytes):
        return io.BytesIO(source), None, True
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        try:
            return open(path, "rb"), path, True
        except OSError as exc:
            raise InputError(f"cannot open the file: {exc.strerror}", location=Location(path)) from None
    return source, getattr(source, "name", None), False


def detect_format(stream: BinaryIO, file: str | None = None) -> str:
    """The name of the format of ``stream``, judged from its content, not its name."""
    start = stream.tell()
    head = stream.read(4096)
    stream.seek(start)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{"):
        return "rarebom-json"
    if text.startswith(b"<") or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        tag, start_tag = _xmlsafe.read_prolog(stream, file)
        if native_xml.NAMESPACE in start_tag and tag.rsplit(":", 1)[-1] == "bom":
            return "rarebom-xml"
        raise InputError(f"an XML file whose root element <{tag}> is not one rarebom reads (expected <bom xmlns=\"{native_xml.NAMESPACE}\">)", location=Location(file))
    raise InputError("the file is neither XML nor JSON; rarebom cannot tell its format", location=Location(file))


def load(source: Source, *, format: str | None = None, check_options: CheckOptions = CheckOptions()) -> LoadResult:
    """Read a BOM file (a path, bytes or a binary stream), check it, and return it with its warnings.

    Raises :class:`~rarebom.errors.InvalidBomError` listing every located error, or
    :class:`~rarebom.errors.InputError` when the file cannot be opened or recognised.
    """
    stream, file, owned = _open(source)
    try:
        name = format or detect_format(stream, file)
        if name not in FORMATS:
            raise InputError(f"unknown format {name!r}; rarebom reads {', '.join(FORMATS)}", location=Location(file))
        try:
            bom, findings = FORMATS[name].read(stream, file)
        except etree.XMLSyntaxError as exc:
            raise InvalidBomError([error("xml-syntax", f"XML syntax: {exc.msg}", Location(file, exc.lineno))], file) from None
    finally:
        if owned:
            stream.close()
    reader_failed = any(f.severity is Severity.ERROR for f in findings)
    if bom is not None:
        # After reader errors some parts are missing, so only per-part checks make sense.
        findings = findings + check_bom(bom, check_options, graph=not reader_failed)
    if bom is None or reader_failed or any(f.severity is Severity.ERROR for f in findings):
        raise InvalidBomError(findings, file)
    return LoadResult(bom, tuple(findings), name)


def dump(bom: Bom, target: str | os.PathLike | BinaryIO, *, format: str | None = None) -> None:
    """Write ``bom`` to a path or binary stream; ``format`` defaults from the path's suffix."""
    if format is None:
        suffix = Path(os.fspath(target)).suffix.lower() if isinstance(target, (str, os.PathLike)) else ""
        format = next((f.name for f in FORMATS.values() if suffix in f.suffixes and f.write), None)
        if format is None:
            raise InputError(f"cannot tell which format to write from {suffix or 'the target'!r}; give format= (one of {', '.join(FORMATS)})")
    writer = FORMATS[format].write
    if writer is None:
        raise InputError(f"rarebom does not write {format}")
    if isinstance(target, (str, os.PathLike)):
        with open(target, "wb") as stream:
            writer(bom, stream)
    else:
        writer(bom, target)
