"""Tabular BOMs in Excel workbooks (.xlsx): one sheet, read as the CSV reader reads a table.

The workbook is read with :mod:`zipfile` and rarebom's hardened XML parser
(:mod:`._xmlsafe`), not with a spreadsheet library: every XML part goes through the parser
that refuses DTDs and entities, numbers are taken as the exact decimal text Excel stores
in ``<v>`` (never through a float), and nothing is written to disk. The package is
followed as the OOXML standard lays it out (ECMA-376 Part 1, §12.3 and §18.3):
``_rels/.rels`` names the workbook part, the workbook's relationships name its sheets and
shared strings, and ``<sheet name r:id>`` picks the sheet.

A workbook is untrusted input, so the package is bounded before anything is decompressed:
at most :data:`MAX_MEMBERS` members, :data:`MAX_PART_BYTES` per XML part read, and
:data:`MAX_READ_BYTES` for all the parts read together. A zip bomb stops at the bound with
:class:`~rarebom.errors.UnsafeInputError`.
"""

from __future__ import annotations

import io
import lzma
import posixpath
import re
import zipfile
import zlib
from collections.abc import Mapping
from typing import BinaryIO

from lxml import etree

from ..errors import Finding, Location, UnsafeInputError
from ..model import Bom
from . import _xmlsafe
from ._import import Importer, local_name
from .table import Row, Table, build

__all__ = ["MAX_MEMBERS", "MAX_PART_BYTES", "MAX_READ_BYTES", "MAX_WORKBOOK_BYTES", "read"]

#: The most members a workbook package may have. A BOM workbook has a dozen or two (sheets,
#: styles, theme, shared strings); thousands mean something else is going on.
MAX_MEMBERS = 1000
#: The largest XML part read, uncompressed: 256 MiB holds a sheet of over a million rows.
MAX_PART_BYTES = 256 * 1024 * 1024
#: The most uncompressed bytes read from one workbook, all parts together.
MAX_READ_BYTES = 512 * 1024 * 1024
#: The largest workbook read from a stream that cannot seek (it is held in memory).
MAX_WORKBOOK_BYTES = 256 * 1024 * 1024

_CELL_REF = re.compile(r"([A-Z]{1,3})(\d+)")


def read(stream: BinaryIO, file: str | None, *, columns: Mapping[str, str] | str | None = None, sheet: str | None = None) -> tuple[Bom | None, list[Finding]]:
    """Read the first visible sheet of a workbook (or the sheet named ``sheet``) as a BOM table."""
    imp = Importer(file)
    if not stream.seekable():
        data = stream.read(MAX_WORKBOOK_BYTES + 1)
        if len(data) > MAX_WORKBOOK_BYTES:
            raise UnsafeInputError(f"the workbook is larger than {MAX_WORKBOOK_BYTES} bytes", location=Location(file))
        stream = io.BytesIO(data)
    try:
        archive = zipfile.ZipFile(stream)
    except _DAMAGED as exc:
        imp.fail("invalid-workbook", f"the file is not a readable Excel workbook: {exc}", Location(file))
        return None, imp.findings
    with archive:
        try:
            table = _Workbook(archive, imp).table(sheet)
        except _DamagedMember as exc:
            imp.fail("invalid-workbook", f"the workbook cannot be read: {exc}", Location(file))
            return None, imp.findings
    if table is None:
        return None, imp.findings
    stem = posixpath.splitext(posixpath.basename(file.replace("\\", "/")))[0] if file else None
    return build(imp, [table], columns=columns, name=stem, decimal_comma=True)


#: What zipfile raises on a damaged archive: a bad header or CRC (BadZipFile), an
#: unsupported compression method (NotImplementedError), an encrypted member (RuntimeError),
#: corrupt deflate data (zlib.error), corrupt bzip2 or LZMA data (OSError, LZMAError), a
#: truncated member (EOFError), and a member offset before the start of the file, after
#: bytes were cut from it (ValueError: negative seek). Only zipfile's own calls are guarded
#: with it, so a ValueError of rarebom's is not hidden.
_DAMAGED = (zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error, lzma.LZMAError, OSError, EOFError, ValueError)


class _DamagedMember(Exception):
    """A workbook part zipfile cannot read; becomes an ``invalid-workbook`` error."""


class _Workbook:
    """An open workbook package: its parts, read within the bounds."""

    def __init__(self, archive: zipfile.ZipFile, imp: Importer):
        self.archive = archive
        self.imp = imp
        self.file = imp.file
        self.read_bytes = 0
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise UnsafeInputError(f"the workbook has {len(members)} members; rarebom reads workbooks of at most {MAX_MEMBERS}", location=Location(self.file))
        self.names = {info.filename for info in members}

    def part(self, name: str) -> bytes | None:
        """The bytes of member ``name``, or None when there is none; bounded in size."""
        if name not in self.names:
            return None
        info = self.archive.getinfo(name)
        if info.file_size > MAX_PART_BYTES:
            raise UnsafeInputError(
                f"workbook part {name} is {info.file_size} bytes uncompressed; rarebom reads parts of at most {MAX_PART_BYTES}", location=Location(self.file, None, name)
            )
        try:
            with self.archive.open(info) as member:
                data = member.read(MAX_PART_BYTES + 1)  # the declared size may lie
        except _DAMAGED as exc:
            raise _DamagedMember(f"part {name}: {exc}") from None
        if len(data) > MAX_PART_BYTES:
            raise UnsafeInputError(f"workbook part {name} is larger than {MAX_PART_BYTES} bytes uncompressed", location=Location(self.file, None, name))
        self.read_bytes += len(data)
        if self.read_bytes > MAX_READ_BYTES:
            raise UnsafeInputError(f"the workbook's parts hold more than {MAX_READ_BYTES} bytes uncompressed", location=Location(self.file, None, name))
        return data

    def xml(self, name: str) -> etree._Element | None:
        """Member ``name`` parsed with the hardened parser; None (with an error) if it is not XML."""
        data = self.part(name)
        if data is None:
            return None
        stream = io.BytesIO(data)
        try:
            return _xmlsafe.parse(stream, self.file, member=name)
        except etree.XMLSyntaxError as exc:
            self.imp.fail("invalid-workbook", f"workbook part {name}: XML syntax: {exc.msg}", Location(self.file, exc.lineno, name))
            return None

    def relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """The relationships of ``part``: id -> (type, target member name)."""
        folder, base = posixpath.split(part)
        root = self.xml(posixpath.join(folder, "_rels", base + ".rels"))
        found = {}
        for rel in root.iter() if root is not None else ():
            if local_name(rel.tag) == "Relationship" and rel.get("TargetMode") != "External":
                target = rel.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
                found[rel.get("Id", "")] = (rel.get("Type", ""), path)
        return found

    def table(self, wanted: str | None) -> Table | None:
        """The rows of the chosen sheet, or None with an error."""
        office = [target for kind, target in self.relationships("").values() if kind.endswith("/officeDocument")]
        workbook_name = office[0] if office else "xl/workbook.xml"
        workbook = self.xml(workbook_name)
        if workbook is None:
            hint = " (an OpenDocument spreadsheet? save it as .xlsx or CSV)" if "mimetype" in self.names else ""
            if not self.imp.failed:
                self.imp.fail("invalid-workbook", f"the file is a zip archive but not an Excel workbook: it has no {workbook_name}{hint}", Location(self.file))
            return None
        rels = self.relationships(workbook_name)
        sheets = []  # (name, member, hidden)
        for element in workbook.iter():
            if local_name(element.tag) == "sheet":
                rid = next((value for key, value in element.attrib.items() if local_name(key) == "id"), None)
                kind, target = rels.get(rid or "", ("", ""))
                if kind.endswith("/worksheet"):
                    sheets.append((element.get("name", ""), target, element.get("state", "visible") != "visible"))
        chosen = self.choose(sheets, wanted)
        if chosen is None:
            return None
        name, member = chosen
        shared_name = next((target for kind, target in rels.values() if kind.endswith("/sharedStrings")), None)
        shared = self.shared_strings(shared_name) if shared_name else []
        return self.rows(name, member, shared)

    def choose(self, sheets: list[tuple[str, str, bool]], wanted: str | None) -> tuple[str, str] | None:
        names = ", ".join(repr(name) for name, _, _ in sheets) or "none"
        if wanted is None:
            for name, member, hidden in sheets:
                if not hidden:
                    return name, member
            self.imp.fail("sheet-not-found", f"the workbook has no visible worksheet (its worksheets: {names})", Location(self.file))
            return None
        for match in (lambda n: n == wanted, lambda n: n.casefold() == wanted.casefold()):
            for name, member, _ in sheets:
                if match(name):
                    return name, member
        self.imp.fail("sheet-not-found", f"the workbook has no sheet {wanted!r}; its worksheets are {names}", Location(self.file))
        return None

    def shared_strings(self, name: str) -> list[str]:
        root = self.xml(name)
        if root is None:
            return []
        return [_text_of(si) for si in root if local_name(si.tag) == "si"]

    def rows(self, sheet: str, member: str, shared: list[str]) -> Table | None:
        data = self.part(member)
        if data is None:
            self.imp.fail("invalid-workbook", f"sheet {sheet!r} names part {member}, which the workbook does not hold", Location(self.file))
            return None
        rows = []
        unsaved = 0
        number = 0
        try:
            for _, element in _xmlsafe.iter_events(io.BytesIO(data), self.file, events=("end",), member=member):
                if local_name(element.tag) != "row":
                    continue
                number = int(element.get("r") or number + 1)
                cells: dict[int, str] = {}
                column = 0
                for cell in element:
                    if local_name(cell.tag) != "c":
                        continue
                    ref = _CELL_REF.fullmatch(cell.get("r") or "")
                    column = _column_index(ref.group(1)) if ref else column
                    text, computed = self.cell_text(cell, shared, sheet, number)
                    unsaved += not computed
                    if text:
                        cells[column] = text
                    column += 1
                element.clear(keep_tail=True)  # the tail may still be parsing (_xmlsafe.Discard)
                while element.getprevious() is not None:
                    del element.getparent()[0]
                if cells:
                    rows.append(Row(tuple(cells.get(i, "") for i in range(max(cells) + 1)), number, f"{sheet}!row {number}"))
        except etree.XMLSyntaxError as exc:
            self.imp.fail("invalid-workbook", f"sheet {sheet!r} ({member}): XML syntax: {exc.msg}", Location(self.file, exc.lineno, member))
            return None
        if unsaved:
            self.imp.warn(
                "formula-not-computed",
                f"{unsaved} formula {'cells' if unsaved > 1 else 'cell'} in sheet {sheet!r} {'hold' if unsaved > 1 else 'holds'} no saved result "
                "(the workbook was written by a program that does not compute them), so they read as empty; open and save the workbook in a spreadsheet program",
                Location(self.file, None, sheet),
            )
        return Table(tuple(rows))

    def cell_text(self, cell: etree._Element, shared: list[str], sheet: str, row: int) -> tuple[str, bool]:
        """A cell's value as text (numbers exactly as stored), and whether a formula in it was computed."""
        kind = cell.get("t", "n")
        value = formula = None
        inline = None
        for child in cell:
            name = local_name(child.tag)
            if name == "v":
                value = child.text or ""
            elif name == "f":
                formula = child
            elif name == "is":
                inline = child
        if kind == "inlineStr":
            return (_text_of(inline) if inline is not None else "").strip(), True
        if value is None:
            return "", formula is None
        if kind == "s":
            try:
                return shared[int(value)].strip(), True
            except (ValueError, IndexError):
                self.imp.fail(
                    "invalid-workbook", f"cell {cell.get('r')} refers to shared string {value!r}, which the workbook does not hold", Location(self.file, row, f"{sheet}!row {row}")
                )
                return "", True
        if kind == "b":
            return ("TRUE" if value.strip() == "1" else "FALSE"), True
        return value.strip(), True


def _text_of(element: etree._Element) -> str:
    """The text of a string item: its ``<t>`` runs, without phonetic guides (``<rPh>``)."""
    parts = []
    for node in element.iter():
        if local_name(node.tag) == "t" and not any(local_name(a.tag) == "rPh" for a in node.iterancestors()):
            parts.append(node.text or "")
    return "".join(parts)


def _column_index(letters: str) -> int:
    """``A`` -> 0, ``Z`` -> 25, ``AA`` -> 26."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1
