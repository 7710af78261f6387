"""Reading and writing BOM files: format detection, :func:`load` and :func:`dump`.

Each format has one module with ``read(stream, file) -> (bom | None, findings)`` and,
where rarebom writes it, ``write(bom, stream)``. :func:`load` adds what every format
shares: the format is detected from the content, the whole-BOM checks run, and any error
raises :class:`~rarebom.errors.InvalidBomError` with every problem located.
"""

from __future__ import annotations

import importlib
import io
import os
import re
import stat
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import BinaryIO

import attrs
from lxml import etree

from ..checks import CheckOptions, check_bom
from ..errors import Finding, InputError, InvalidBomError, Location, Severity, error
from ..limits import DEFAULT_LIMITS, LimitExceededError, Limits, applied
from ..model import Bom
from . import _xmlsafe, native_xml

__all__ = ["FORMATS", "Format", "LoadResult", "detect_format", "dump", "load"]


@attrs.frozen
class Format:
    """A file format rarebom reads: its name, what it is, and how to recognise it.

    Readers are imported when first used, so ``rarebom trace`` on a rarebom file never
    pays for the importers of other formats.
    """

    name: str
    description: str
    module: str
    writes: bool = False
    suffixes: tuple[str, ...] = ()
    #: for XML formats: the root element's local name, and its namespace (a regular
    #: expression matched in full)
    root: str | None = None
    namespace: str | None = None
    #: keyword options the reader takes beyond ``(stream, file)``, such as a column mapping
    options: tuple[str, ...] = ()

    @property
    def read(self) -> Callable[[BinaryIO, str | None], tuple[Bom | None, list[Finding]]]:
        return importlib.import_module(f"{__name__}.{self.module}").read

    @property
    def write(self) -> Callable[[Bom, BinaryIO], None] | None:
        return importlib.import_module(f"{__name__}.{self.module}").write if self.writes else None


_NATIVE_NS = re.escape(native_xml.NAMESPACE)

#: The formats rarebom reads, by the name ``--format`` takes.
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("rarebom-xml", "rarebom BOM format 1, XML", "native_xml", True, (".xml",), "bom", _NATIVE_NS),
        Format("rarebom-json", "rarebom BOM format 1, JSON", "native_json", True, (".json",)),
        Format("ipc-1752", "IPC-1752A (Class C and D) and IPC-1752B material declarations", "ipc1752", root="MainDeclaration", namespace=r"https?://webstds\.ipc\.org/175x/.*"),
        Format("iec-62474", "IEC 62474 and chemSHERPA-AI/CI declarations", "iec62474", root="Main", namespace=r"http://std\.iec\.ch/iec62474"),
        Format(
            "granta-bom",
            "Ansys Granta BoM XML (BillOfMaterialsEco 17/11 to 25/05)",
            "granta",
            root="PartsEco",
            namespace=r"http://www\.grantadesign\.com/\d\d/\d\d/BillOfMaterialsEco",
        ),
        Format("csv", "indented or parent-child BOM tables: CSV, TSV, Markdown tables", "table", options=("columns",)),
        Format("xlsx", "indented or parent-child BOM tables in an Excel workbook", "table_xlsx", options=("columns", "sheet")),
    )
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
            return open(_openable(path), "rb"), path, True
        except OSError as exc:
            raise InputError(f"cannot open the file: {exc.strerror}", location=Location(path)) from None
    return source, getattr(source, "name", None), False


def _openable(path):
    """``path``, or its bytes where UTF-8 cannot encode it: a Linux file name of other bytes
    comes from the command line decoded with surrogates. lxml makes an open file's name its
    base URL and refuses such a name; the file's bytes are the same either way."""
    if isinstance(path, str) and not path.isascii():
        try:
            path.encode("utf-8")
        except UnicodeEncodeError:
            return os.fsencode(path)
    return path


#: A pipe is copied into a temporary file that stays in memory up to this size, then moves to disk.
SPOOL_IN_MEMORY = 8 * 1024 * 1024
_SPOOL_CHUNK = 1024 * 1024


def _bounded(stream: BinaryIO, file: str | None, owned: bool, limits: Limits) -> tuple[BinaryIO, bool]:
    """``stream``, refused if more than ``limits.max_input_bytes`` remain in it, before any
    parsing; and whether :func:`load` must close what it returns.

    Files and seekable streams are measured. Any other stream (a pipe, a device) is copied
    into a temporary file, a chunk at a time, never more than one byte past the limit: the
    readers need to look at the start again and some read twice, which a pipe cannot do, and
    a temporary file keeps memory bounded where reading it all into memory would not.
    """
    limit = limits.max_input_bytes
    found = None
    if isinstance(stream, io.BytesIO):
        size = len(stream.getbuffer()) - stream.tell()
    elif owned and stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
        size = os.fstat(stream.fileno()).st_size
    elif not owned and getattr(stream, "seekable", lambda: False)():
        start = stream.tell()
        size = stream.seek(0, io.SEEK_END) - start
        stream.seek(start)
    else:  # a pipe or a device
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 (load() closes it)
        size = 0
        try:
            while size <= limit:
                chunk = stream.read(min(_SPOOL_CHUNK, limit + 1 - size))
                if not chunk:
                    break
                spool.write(chunk)
                size += len(chunk)
        except BaseException:
            spool.close()
            raise
        finally:
            if owned:
                stream.close()
        if size > limit:
            spool.close()
            found = f"the input is more than {limit:,} bytes"
        else:
            spool.seek(0)
            stream, owned = spool, True
    if size > limit:
        raise limits.exceeded("max_input_bytes", found or f"the input is {size:,} bytes", location=Location(file))
    return stream, owned


_XMLNS = re.compile(r"""xmlns(?::([\w.\-]+))?\s*=\s*(["'])(.*?)\2""")


def _root_namespace(tag: str, start_tag: str) -> str:
    prefix = tag.rpartition(":")[0] if ":" in tag else None
    for match in _XMLNS.finditer(start_tag):
        if match.group(1) == prefix:
            return match.group(3)
    return ""


def detect_format(stream: BinaryIO, file: str | None = None) -> str:
    """The name of the format of ``stream``, judged from its content, not its name."""
    start = stream.tell()
    head = stream.read(4096)
    stream.seek(start)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    table_probe = head
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        # UTF-16: XML, or a table (Excel's "Unicode text" export is tab-separated UTF-16).
        decoded = head[: len(head) // 2 * 2].decode("utf-16", errors="replace").lstrip("\ufeff \t\r\n")
        text = table_probe = b"<" if decoded.startswith("<") else decoded.encode("utf-8", errors="replace")
    if text.startswith(b"{"):
        return "rarebom-json"
    if text.startswith(b"<"):
        tag, start_tag = _xmlsafe.read_prolog(stream, file)
        local = tag.rpartition(":")[2]
        namespace = _root_namespace(tag, start_tag)
        for candidate in FORMATS.values():
            if candidate.root == local and re.fullmatch(candidate.namespace or "", namespace):
                return candidate.name
        known = "; ".join(f"<{f.root}> ({f.name})" for f in FORMATS.values() if f.root)
        in_ns = f" in namespace {namespace!r}" if namespace else " in no namespace"
        raise InputError(f"an XML file whose root element <{local}>{in_ns} is not one rarebom reads; it reads {known}", location=Location(file))
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if _looks_like_text(table_probe):
        return "csv"
    raise InputError("the file is neither XML, JSON, a text table nor an Excel workbook; rarebom cannot tell its format", location=Location(file))


#: A Markdown table's delimiter row: ``|---|:--:|``.
_MARKDOWN_DELIMITER_ROW = re.compile(r"\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*")


def _looks_like_text(head: bytes) -> bool:
    """A text table: decodable text, no NUL bytes, and either a delimiter on one of its
    first 11 non-blank lines (CSV, TSV, ``;``; an export may open with title lines, and the
    table reader looks for the header that far) or a Markdown pipe table (a line with ``|``
    over a ``|---|`` row) among the lines of ``head``: Markdown BOMs open with a heading."""
    if not head.strip() or b"\x00" in head:
        return False
    for encoding in ("utf-8-sig", "cp1252"):
        # ``head`` may end inside a UTF-8 sequence (up to 3 bytes of one): drop them.
        lines = None
        for cut in range(4):
            try:
                lines = head[: len(head) - cut].decode(encoding).splitlines()
                break
            except UnicodeDecodeError:
                continue
        if lines is None:
            continue
        first = [line for line in lines if line.strip()][:11]
        if any(delimiter in line for line in first for delimiter in (",", ";", "\t", "|")):
            return True
        return any("|" in line and _MARKDOWN_DELIMITER_ROW.fullmatch(after) for line, after in zip(lines, lines[1:], strict=False))
    return False


def load(
    source: Source,
    *,
    format: str | None = None,
    check_options: CheckOptions = CheckOptions(),
    columns: Mapping[str, str] | str | None = None,
    sheet: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> LoadResult:
    """Read a BOM file (a path, bytes or a binary stream), check it, and return it with its warnings.

    ``columns`` maps rarebom's field names to a table's headers (``"part=PN,quantity=Menge"``
    or a dict) and ``sheet`` picks a workbook's sheet; both apply to tables only.
    ``limits`` bounds the input's size, nesting depth and part count (:class:`~rarebom.Limits`).

    Raises :class:`~rarebom.errors.InvalidBomError` listing every located error, or
    :class:`~rarebom.errors.InputError` when the file cannot be opened or recognised, and
    :class:`~rarebom.LimitExceededError` when it goes past one of ``limits``.
    """
    stream, file, owned = _open(source)
    try:
        stream, owned = _bounded(stream, file, owned, limits)
        name = format or detect_format(stream, file)
        if name not in FORMATS:
            raise InputError(f"unknown format {name!r}; rarebom reads {', '.join(FORMATS)}", location=Location(file))
        chosen = FORMATS[name]
        options = {key: value for key, value in (("columns", columns), ("sheet", sheet)) if value is not None}
        misplaced = sorted(set(options) - set(chosen.options))
        if misplaced:
            takers = ", ".join(f.name for f in FORMATS.values() if set(misplaced) <= set(f.options))
            raise InputError(f"{' and '.join(misplaced)} apply only to {takers}; this file is {name}", location=Location(file))
        try:
            with applied(limits):
                bom, findings = chosen.read(stream, file, **options)
        except LimitExceededError as exc:  # found in the document (its depth, its parts): a located error like any other
            raise InvalidBomError([exc.to_finding()], file) from None
        except etree.XMLSyntaxError as exc:
            if exc.msg.startswith("Excessive depth in document"):
                # libxml2's own ceiling: 256 without huge_tree, which rarebom never turns on
                found = f"the XML nests elements more than {_xmlsafe.LIBXML2_MAX_DEPTH} deep, the most libxml2 reads"
                message = limits.message("max_depth", found) if limits.max_depth <= _xmlsafe.LIBXML2_MAX_DEPTH else found + "; no limit raises it"
                raise InvalidBomError([error("limit-exceeded", message, Location(file, exc.lineno))], file) from None
            raise InvalidBomError([error("xml-syntax", f"XML syntax: {exc.msg}", Location(file, exc.lineno))], file) from None
    finally:
        if owned:
            stream.close()
    if bom is not None and len(bom.parts) > limits.max_parts:  # every reader counts as it builds; this guards one that forgets
        raise InvalidBomError([limits.exceeded("max_parts", f"{len(bom.parts):,} parts", location=Location(file)).to_finding()], file)
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
        format = next((f.name for f in FORMATS.values() if suffix in f.suffixes and f.writes), None)
        if format is None:
            raise InputError(f"cannot tell which format to write from {suffix or 'the target'!r}; give format= (one of {', '.join(FORMATS)})")
    writer = FORMATS[format].write if format in FORMATS else None
    if writer is None:
        raise InputError(f"rarebom does not write {format}")
    if isinstance(target, (str, os.PathLike)):
        with open(target, "wb") as stream:
            writer(bom, stream)
    else:
        writer(bom, target)
