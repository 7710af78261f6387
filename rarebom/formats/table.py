"""Tabular BOMs as ERP and PLM systems export them: CSV, TSV, semicolon text, Markdown tables.

A table is read in one of three shapes, decided by its columns:

- **indented** (a ``level`` column): each row is a child of the nearest row above it one
  level up. Levels are ``0, 1, 2``, SAP's ``.1, ..2`` or outline numbers ``1.2.1``. Rows at
  level 0 are finished goods; a file whose levels start at 1 (a component list below a
  header the export left out) gets one finished good named after the file.
- **parent-child** (a ``parent`` column): each row says that the parent uses the child.
- **single-level** (neither): every row is a child of one finished good named after the
  file, or after a Markdown document's first heading.

Which column holds what is found from its header (see :data:`FIELDS`: case, spaces and
punctuation do not matter; a unit may sit in the header, ``Mass (g)``) or from a mapping
the user gives (:func:`parse_columns`). Columns rarebom does not read are kept as part
attributes. Indented exports repeat a sub-assembly's rows under each of its parents; the
same part number with the same content is one shared part, which is what the BOM graph is
for (:meth:`Importer.add_part`).

The row logic is shared: the XLSX reader (``table_xlsx``) turns a sheet into a
:class:`Table` and calls :func:`build`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import difflib
import functools
import io
import re
from collections import defaultdict
from collections.abc import Mapping
from fractions import Fraction
from pathlib import PurePath
from typing import BinaryIO

import attrs

from ..errors import Finding, InputError, Location, UnitError
from ..model import NOT_XML_CHAR, Amount, Bom, Classification, Material, OriginClaim, Part, Stage, Usage
from ..units import COUNT_UNITS, CURRENCIES, Kind, kind_of_unit, parse_number, unit_factor
from ._import import Importer, same_part

__all__ = ["FIELDS", "MAX_LEVEL", "MAX_PREAMBLE_ROWS", "Field", "Row", "Table", "build", "parse_columns", "read"]


# --- the field vocabulary -------------------------------------------------------------


@attrs.frozen
class Field:
    """A thing rarebom reads from a table column, and the headers it is found under by default.

    ``unit`` says what a unit in the header or the cell measures: ``usage`` (a count, or a
    bulk mass, length, area or volume), ``mass`` or ``currency``. A ``line`` field describes
    the BOM line (the use of a part), not the part: see :func:`build`.
    """

    name: str
    meaning: str
    headers: tuple[str, ...]
    unit: str | None = None
    line: bool = False

    @classmethod
    def of(cls, name: str, meaning: str, headers: str, *, unit: str | None = None, line: bool = False) -> Field:
        """A field whose default headers are given as one comma-separated string."""
        return cls(name, meaning, tuple(header.strip() for header in headers.split(",")), unit, line)


#: Every field a column can be mapped to, in the order headers are claimed. Header
#: spellings are compared case-, space- and punctuation-insensitively; earlier ones win
#: when a table has several (``Part Number`` beats ``Item``).
FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field.of(
            "level",
            "the row's depth in an indented BOM: 0, 1, 2, .1, ..2 or 1.2.1",
            "Level, Lvl, Lev, BOM Level, Explosion Level, Indent, Indentation, Stufe, Ebene, Auflösungsstufe",
        ),
        Field.of(
            "part",
            "the part number (the child's, in a parent-child BOM)",
            "Part Number, Part No, Part, PN, Part ID, Component, Component Number, Child, Child Part, Child Part Number, Item, Item Number, Article Number, Number, "
            "Sachnummer, Teilenummer, Artikelnummer, Materialnummer, Komponente",
        ),
        Field.of(
            "parent",
            "the parent's part number in a parent-child BOM",
            "Parent, Parent Part, Parent Part Number, Parent PN, Parent Number, Parent Item, Assembly, Parent Assembly, Baugruppe",
        ),
        Field.of("name", "the part's name (and its part number when there is no part column)", "Name, Part Name, Item Name, Component Name, Title, Benennung, Bezeichnung"),
        Field.of("description", "free text", "Description, Desc, Part Description, Item Description, Component Description, Object Description, Beschreibung, Kurztext"),
        Field.of(
            "quantity",
            "how many of the part one parent uses, or a bulk amount (1.2 m)",
            "Quantity, Qty, Qty Per, Quantity Per, Qty Per Assembly, QPA, Component Quantity, Comp Qty, Count, Menge, Anzahl, Stückzahl",
            unit="usage",
        ),
        Field.of("uom", "the unit the part is counted in (PC, kg, m)", "UoM, Unit of Measure, Unit, Units, Base Unit, BUn, Quantity Unit, Qty Unit, Mengeneinheit, ME, Einheit"),
        Field.of(
            "unit_mass",
            "the mass of one unit of the part",
            "Unit Mass, Mass, Unit Weight, Weight, Net Weight, Mass per Unit, Weight per Unit, Part Mass, Part Weight, Gewicht, Masse, Einzelgewicht, Stückgewicht, Nettogewicht",
            unit="mass",
        ),
        Field.of("mass_unit", "the unit of the mass column", "Mass Unit, Weight Unit, Unit of Weight, WUn, Gewichtseinheit"),
        Field.of(
            "unit_cost", "the price of one unit of the part", "Unit Cost, Unit Price, Price, Cost, Price per Unit, Cost per Unit, Preis, Einzelpreis, Stückpreis", unit="currency"
        ),
        Field.of("currency", "the ISO 4217 currency of the cost column", "Currency, Curr, Crcy, Währung"),
        Field.of("material", "the part's material by name (NdFeB N42), as 100 % of the part", "Material, Material Name, Material Grade, Werkstoff"),
        Field.of("country", "country of origin, ISO 3166-1 alpha-2 (CN)", "Country of Origin, COO, Origin, Origin Country, Country, Made in, Ursprungsland, Herkunftsland"),
        Field.of("item_class", "a rarebom item class (ndfeb-magnet)", "Item Class"),
        Field.of("hs_code", "customs tariff code", "HS Code, HS, HTS Code, Tariff Code, Customs Tariff Number, Zolltarifnummer, Warennummer"),
        Field.of("eccn", "export control classification number", "ECCN"),
        Field.of("position", "the line's position or find number", "Position, Pos, Item No, Find No, Find Number, FN, Line, Line No, Line Number, Sort String", line=True),
        Field.of("designators", "the line's reference designators", "Reference Designators, Reference Designator, RefDes, Designators, Designator, References", line=True),
        Field.of("total_quantity", "the line's quantity per finished good", "Total Quantity, Total Qty, Extended Quantity, Extended Qty, Ext Qty, Gesamtmenge", line=True),
    )
}

#: The deepest level an indented BOM may have. Real BOMs stay below 30; a deeper one is a
#: data error, and the bound keeps the recursion that builds the graph shallow.
MAX_LEVEL = 99

#: How many non-empty rows above the header a CSV or sheet may have (an export's title lines).
MAX_PREAMBLE_ROWS = 10

_CLASSIFICATION_SCHEMES = {"item_class": "item-class", "hs_code": "hs", "eccn": "eccn"}
_NUMERIC_FIELDS = ("quantity", "unit_mass", "unit_cost")
# Fields read before the attributes are collected, or structure (level, parent).
_READ_ELSEWHERE = {"level", "part", "parent", "name", "description", "quantity", "uom", "unit_mass", "mass_unit", "unit_cost", "currency"}

# Cells that say "nothing here" in a number column: the amount is unknown, not zero.
_BLANK_WORDS = {"-", "–", "—", "n/a", "na", "tbd", "tba", "?", "unknown", "k.a.", "k. a."}


def _key(text: str) -> str:
    """A header or alias for comparing: case, spaces and punctuation removed."""
    return re.sub(r"[\W_]+", "", text.casefold())


_FIELD_OF_KEY: dict[str, str] = {}
for _field in FIELDS.values():
    for _header in _field.headers:
        assert _FIELD_OF_KEY.setdefault(_key(_header), _field.name) == _field.name, _header


# --- column mappings ------------------------------------------------------------------

_MAP_ITEM = re.compile(r'\s*([^=,"]*?)\s*=\s*("(?:[^"]|"")*"|[^,"]*?)\s*(?:,|$)')


def _field_name(text: str) -> str:
    return text.strip().lower().replace("-", "_").replace(" ", "_")


def _unknown_field(name: str) -> str:
    close = difflib.get_close_matches(name, FIELDS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{name!r} is not a field rarebom reads{hint}; the fields are {', '.join(FIELDS)}"


def _parse_columns(text: str) -> tuple[dict[str, str], list[tuple[int, str]]]:
    mapping: dict[str, str] = {}
    problems: list[tuple[int, str]] = []
    pos, number = 0, 0
    text = text.strip()
    while pos < len(text):
        number += 1
        match = _MAP_ITEM.match(text, pos)
        if match is None or match.end() == pos:
            item = text[pos:].split(",", 1)[0].strip()
            problems.append((number, f"item {number} {item!r}: expected FIELD=HEADER, such as part=PN"))
            comma = text.find(",", pos)
            pos = len(text) if comma < 0 else comma + 1
            continue
        pos = match.end()
        field, header = _field_name(match.group(1)), match.group(2)
        if header.startswith('"'):
            header = header[1:-1].replace('""', '"')
        item = match.group(0).strip().rstrip(",")
        if field not in FIELDS:
            problems.append((number, f"item {number} {item!r}: {_unknown_field(field)}"))
        elif field in mapping:
            problems.append((number, f"item {number} {item!r}: {field!r} is mapped twice"))
        else:
            mapping[field] = header
    return mapping, problems


def parse_columns(text: str) -> dict[str, str]:
    """A column mapping given as text, ``"part=PN,quantity=Menge"``, as a dict.

    Keys are field names (:data:`FIELDS`), values are headers as written in the file. A
    header holding a comma is quoted: ``part="Part No, new"``. ``field=`` (empty) means
    the table has no such column, so the default header is not used for it. Raises
    :class:`InputError` naming each bad item by its position.
    """
    mapping, problems = _parse_columns(text)
    if problems:
        raise InputError("; ".join(message for _, message in problems), location=Location(pointer="columns"), value=text)
    return mapping


def _mapping(imp: Importer, columns: Mapping[str, str] | str | None) -> dict[str, str]:
    """The user's mapping, checked; each problem a located ``column-mapping`` error."""
    if columns is None:
        return {}
    if isinstance(columns, str):
        mapping, problems = _parse_columns(columns)
        for number, message in problems:
            imp.fail("column-mapping", f"column mapping: {message}", Location(imp.file, None, f"columns item {number}"))
        return mapping
    mapping = {}
    for name, header in columns.items():
        field = _field_name(str(name))
        if field not in FIELDS:
            imp.fail("column-mapping", f"column mapping: {_unknown_field(field)}", Location(imp.file, None, f"columns[{name!r}]"))
        else:
            mapping[field] = "" if header is None else str(header)
    return mapping


# --- tables and columns ---------------------------------------------------------------


@attrs.frozen
class Row:
    """One row of a table: its cells (stripped text), its line in the file, and a pointer.

    The pointer names the row for people: ``row 12`` in a CSV, ``Sheet1!row 12`` in a
    workbook, ``table 2, row 3`` in a Markdown document.
    """

    cells: tuple[str, ...]
    line: int | None
    pointer: str


@attrs.frozen
class Table:
    """The rows of one table. ``header_first``: the first row is the header (Markdown),
    rather than the first row within :data:`MAX_PREAMBLE_ROWS` that names a part column.
    ``section`` is the heading a Markdown table sits under."""

    rows: tuple[Row, ...]
    header_first: bool = False
    section: str | None = None


@attrs.frozen
class _Column:
    index: int
    header: str
    unit: str | None  # the unit the header names ("Mass (g)"), checked for the field


_HEADER_UNIT = (
    re.compile(r"^(?P<base>.*?)\s*[\(\[]\s*(?P<unit>[^()\[\]]*?)\s*[\)\]]\s*$"),
    re.compile(r"^(?P<base>.*?)\s+in\s+(?P<unit>\S+)$", re.IGNORECASE),
)


def _header_forms(header: str) -> list[tuple[str, str | None]]:
    """``header`` as a key, and as a base key plus a unit when it ends in one."""
    forms: list[tuple[str, str | None]] = [(_key(header), None)]
    for pattern in _HEADER_UNIT:
        match = pattern.match(header.strip())
        if match and _key(match["base"]):
            forms.append((_key(match["base"]), match["unit"]))
    return forms


def _header_unit(field: Field, text: str | None) -> str | None:
    """``text`` as a unit of ``field``'s kind, or None when it is not one ("Price (net)")."""
    if text is None or field.unit is None:
        return None
    try:
        return _UNIT_READERS[field.unit](text)[0]
    except UnitError:
        return None


def _resolve_columns(headers: tuple[str, ...], mapping: Mapping[str, str]) -> dict[str, _Column]:
    """Which column holds each field: the user's mapping first, then the default headers."""
    found: dict[str, _Column] = {}
    taken: set[int] = set()
    for name, wanted in mapping.items():
        if not wanted.strip():
            continue
        hit = _find_header(headers, wanted, FIELDS[name])
        if hit is not None:
            found[name] = hit
            taken.add(hit.index)
    for field in FIELDS.values():
        if field.name in mapping:
            continue
        hit = _default_header(headers, field, taken)
        if hit is not None:
            found[field.name] = hit
            taken.add(hit.index)
    return found


def _find_header(headers: tuple[str, ...], wanted: str, field: Field) -> _Column | None:
    """The column a mapping names: its exact header, the same header ignoring case and
    punctuation, or (for ``Weight (g)`` against a header ``Weight``) the base plus a unit."""
    wanted_forms = _header_forms(wanted)
    for index, header in enumerate(headers):
        if header.strip() == wanted.strip() or _key(header) == wanted_forms[0][0]:
            unit = next((_header_unit(field, u) for _, u in _header_forms(header)[1:] if _header_unit(field, u)), None)
            return _Column(index, header, unit)
    for base, unit in wanted_forms[1:]:
        for index, header in enumerate(headers):
            if _key(header) == base:
                return _Column(index, header, _header_unit(field, unit))
    return None


def _default_header(headers: tuple[str, ...], field: Field, taken: set[int]) -> _Column | None:
    for alias in field.headers:
        alias_key = _key(alias)
        for index, header in enumerate(headers):
            if index in taken:
                continue
            units = [_header_unit(field, unit) for key, unit in _header_forms(header) if key == alias_key]
            if units:  # "Unit Price (€)" is "unitprice" as a whole too: prefer the form with a unit
                return _Column(index, header, next((unit for unit in units if unit), None))
    return None


# --- units and numbers in cells -------------------------------------------------------

# Piece spellings of ERP systems and UN/ECE Rec. 20 that units.COUNT_UNITS does not know.
_PIECES = {"pce", "pcs.", "pc.", "stück", "stck", "stk.", "st.", "nos", "no", "no.", "c62", "h87", "ea.", "pz", "pza", "szt"}
# UN/ECE Recommendation 20 codes (what EDI and SAP's ISO units write) for the bulk units of BOMs.
_UNECE = {
    "kgm": "kg",
    "grm": "g",
    "mgm": "mg",
    "tne": "t",
    "lbr": "lb",
    "onz": "oz",
    "mtr": "m",
    "mmt": "mm",
    "cmt": "cm",
    "kmt": "km",
    "fot": "ft",
    "inh": "in",
    "mtk": "m^2",
    "mtq": "m^3",
    "ltr": "l",
    "mlt": "ml",
    "to": "t",
}
# "gr" is a grain to pint and a gram in many BOMs: rarebom will not guess which.
_AMBIGUOUS_UNITS = {"gr": "'gr' is a grain to unit libraries but a gram in many BOMs; write g or grain"}
_CURRENCY_SYMBOLS = {"€": "EUR", "£": "GBP"}
_AMBIGUOUS_CURRENCY = {"$": "USD, CAD, AUD, ...", "¥": "JPY or CNY", "kr": "SEK, NOK, DKK or ISK"}


def _unit_spellings(text: str) -> list[str]:
    """The spellings of a written unit worth trying: as written, then lower case for an
    ERP's upper-case codes (``KG``, ``MM``, ``ML``: SAP's ML is a millilitre, pint's a
    megalitre), then the UN/ECE code's meaning."""
    written = text.strip()
    lower = written.lower()
    if lower in _AMBIGUOUS_UNITS:
        raise UnitError(_AMBIGUOUS_UNITS[lower], value=text)
    spellings = [lower, written] if written.isupper() and len(written) > 1 else [written, lower]
    if lower in _UNECE:
        spellings.insert(0, _UNECE[lower])
    return list(dict.fromkeys(spellings))


@functools.cache
def _usage_unit(text: str) -> tuple[str, Kind]:
    """A quantity's unit as ``(unit, kind)``: ``("", COUNT)`` for pieces, else a bulk unit."""
    if text.strip().lower() in COUNT_UNITS | _PIECES:
        return "", Kind.COUNT
    for spelling in _unit_spellings(text):
        try:
            return spelling, kind_of_unit(spelling)
        except UnitError:
            continue
    raise UnitError(f"{text!r} is neither a count of pieces nor a unit of mass, length, area or volume", value=text)


@functools.cache
def _mass_unit(text: str) -> tuple[str, Kind]:
    for spelling in _unit_spellings(text):
        try:
            unit_factor(spelling, Kind.MASS)
        except UnitError:
            continue
        return spelling, Kind.MASS
    raise UnitError(f"{text!r} is not a unit of mass", value=text)


@functools.cache
def _currency(text: str) -> tuple[str, Kind]:
    written = text.strip()
    if written in _CURRENCY_SYMBOLS:
        return _CURRENCY_SYMBOLS[written], Kind.CURRENCY
    if written.lower() in _AMBIGUOUS_CURRENCY:
        raise UnitError(f"{written!r} names no single currency ({_AMBIGUOUS_CURRENCY[written.lower()]}); write its ISO 4217 code", value=text)
    if written.upper() in CURRENCIES:
        return written.upper(), Kind.CURRENCY
    raise UnitError(f"{written!r} is not an ISO 4217 currency code", value=text)


_UNIT_READERS = {"usage": _usage_unit, "mass": _mass_unit, "currency": _currency}

# A number, optionally with a currency symbol before it, a unit after it and footnote
# marks ("12*"). What does not match goes to parse_number whole, which says why it fails.
_AMOUNT = re.compile(r"(?P<symbol>[€£$¥])?\s*(?P<number>[+-]?(?:\d[\d.,]*|[.,]\d+)(?:[eE][+-]?\d{1,3})?)\s*(?P<unit>[^\d\s*/].*?)?\s*(?P<mark>\*+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_GROUPED_DECIMAL_COMMA = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+,\d+")
_GROUPED_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+")
_OUTLINE = re.compile(r"\d+(?:\.\d+)*\.?")
_DOTTED_OUTLINE = re.compile(r"\d+(?:\.\d+)+\.?")


# --- reading text ---------------------------------------------------------------------

_MD_DELIMITER_ROW = re.compile(r"\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*")
_MD_HEADING = re.compile(r"\s{0,3}(#{1,6})\s*(.*?)\s*#*\s*")
_DELIMITERS = ("\t", ";", ",", "|")


def read(stream: BinaryIO, file: str | None, *, columns: Mapping[str, str] | str | None = None, sheet: str | None = None) -> tuple[Bom | None, list[Finding]]:
    """Read a CSV, TSV, semicolon or Markdown BOM table. ``sheet`` is for workbooks and ignored here."""
    imp = Importer(file)
    text = _decode(stream.read(), imp)
    lines = text.splitlines()
    if any("|" in line and _MD_DELIMITER_ROW.fullmatch(after) for line, after in zip(lines, lines[1:], strict=False)):
        tables, title, title_line = _markdown_tables(lines)
        return build(imp, tables, columns=columns, name=title or _stem(file), name_line=title_line, decimal_comma=True)
    delimiter = _sniff(lines)
    return build(imp, [_delimited_table(text, delimiter, imp)], columns=columns, name=_stem(file), decimal_comma=delimiter != ",")


def _stem(file: str | None) -> str | None:
    return PurePath(file).stem if file else None


def _decode(data: bytes, imp: Importer) -> str:
    """UTF-8 (with or without a byte-order mark), UTF-16 with one, else Windows-1252 with a warning."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0)  # the decoder counts after a byte order mark
        line = data.count(b"\n", 0, start) + 1
        imp.warn(
            "not-utf-8",
            f"the file is not UTF-8 (byte 0x{data[start]:02X} at byte {start}); it was read as Windows-1252, as spreadsheet exports often are. "
            "Check that accented letters read right, or save the file as UTF-8",
            Location(imp.file, line),
        )
        # A byte order mark says UTF-8, though the rest is not: it is no part of the first header.
        return data.removeprefix(codecs.BOM_UTF8).decode("cp1252", errors="replace")


def _sniff(lines: list[str]) -> str:
    """The delimiter that splits the first lines into the same number (above 1) of cells most often."""
    sample = [line for line in lines[:60] if line.strip()][:30]
    best, best_score = ",", (0, 0)
    for delimiter in _DELIMITERS:
        try:
            counts = [len(cells) for cells in csv.reader(sample, delimiter=delimiter)]
        except csv.Error:
            continue  # the reader reports it, located
        widths = [n for n in counts if n > 1]
        if not widths:
            continue
        mode = max(set(widths), key=lambda n: (widths.count(n), n))
        score = (widths.count(mode), mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _delimited_table(text: str, delimiter: str, imp: Importer) -> Table:
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append(Row(tuple(cell.strip() for cell in cells), start, f"row {start}"))
            start = reader.line_num + 1
    except csv.Error as exc:
        imp.fail("table-syntax", f"the table cannot be read past this row: {exc}", Location(imp.file, start, f"row {start}"))
    return Table(tuple(rows))


def _markdown_cells(line: str) -> tuple[str, ...]:
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    return tuple(cell.replace("\\|", "|").strip() for cell in re.split(r"(?<!\\)\|", text))


def _markdown_tables(lines: list[str]) -> tuple[list[Table], str | None, int | None]:
    """The pipe tables of a Markdown document, and its first heading and that heading's line."""
    found: list[tuple[list[Row], str | None]] = []
    title = heading = title_line = None
    index = 0
    while index < len(lines):
        line = lines[index]
        match = _MD_HEADING.fullmatch(line)
        if match and match[2]:
            heading = match[2]
            if title is None:
                title, title_line = heading, index + 1
        if "|" in line and index + 1 < len(lines) and _MD_DELIMITER_ROW.fullmatch(lines[index + 1]):
            number = len(found) + 1
            rows = [Row(_markdown_cells(line), index + 1, f"table {number}, row 1")]
            index += 2
            while index < len(lines) and "|" in lines[index] and lines[index].strip():
                cells = _markdown_cells(lines[index])
                if any(cells):
                    rows.append(Row(cells, index + 1, f"table {number}, row {len(rows) + 1}"))
                index += 1
            found.append((rows, heading))
            continue
        index += 1
    several = len(found) > 1
    return [Table(tuple(rows), header_first=True, section=section if several else None) for rows, section in found], title, title_line


# --- building the BOM -----------------------------------------------------------------


@attrs.define
class _Line:
    """A data row, read: the part it describes and where it sits in the structure."""

    where: Location
    part: dict  # Part fields, without uses
    quantity: Amount | None = None
    line_values: list[tuple[str, str]] = attrs.Factory(list)


@attrs.define
class _Sheet:
    """A table with its header found and its columns resolved."""

    table: Table
    header: Row
    columns: dict[str, _Column]
    rows: list[Row]
    outline: bool = False  # the level column holds outline numbers (1, 2.1, 2.2)
    names: dict[int, str] = attrs.field(init=False)  # attribute names by column

    def __attrs_post_init__(self):
        self.names = _attribute_names(self.header.cells)

    def cell(self, row: Row, field: str) -> str:
        column = self.columns.get(field)
        if column is None or column.index >= len(row.cells):
            return ""
        return row.cells[column.index]


def build(
    imp: Importer,
    tables: list[Table],
    *,
    columns: Mapping[str, str] | str | None = None,
    name: str | None = None,
    name_line: int | None = None,
    decimal_comma: bool = True,
) -> tuple[Bom | None, list[Finding]]:
    """Turn the rows of ``tables`` into a BOM (the row logic CSV, Markdown and XLSX share).

    ``name`` names the BOM, and the finished good of a single-level list (``name_line``:
    the line of the Markdown heading it comes from). ``decimal_comma``: whether ``1,5``
    may mean 1.5 (not in a comma-delimited file).
    """
    return _Builder(imp, name, name_line, decimal_comma).run(tables, _mapping(imp, columns))


class _Builder:
    def __init__(self, imp: Importer, name: str | None, name_line: int | None, decimal_comma: bool):
        self.imp = imp
        self.name = name
        self.name_line = name_line
        self.decimal_comma = decimal_comma
        self.grouped_numbers_ambiguous = False
        self.comma_numbers: list[tuple[str, Location]] = []
        self.masses: list[tuple[Fraction, Location]] = []
        self.unitless_reported: set[tuple[int, str]] = set()
        self.preamble: list[tuple[str, str]] = []
        self.first_of_id: dict[str, Part] = {}
        self.added: dict[tuple, str] = {}  # what a row says, without where -> the id it was added under
        self.line_values: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))

    def at(self, row: Row, column: _Column | None = None) -> Location:
        if column is None:
            return Location(self.imp.file, row.line, row.pointer)
        return Location(self.imp.file, row.line, f"{row.pointer}, column {column.header!r}")

    # --- the frame: headers, shape ----------------------------------------------------

    def run(self, tables: list[Table], mapping: dict[str, str]) -> tuple[Bom | None, list[Finding]]:
        self.control_characters(tables)
        if self.imp.failed:
            return None, self.imp.findings
        sheets = [sheet for table in tables if (sheet := self.sheet(table, mapping, several=len(tables) > 1)) is not None]
        if not tables:
            self.imp.fail("missing-column", "no table found: a BOM table needs a header row naming at least a part or name column", Location(self.imp.file))
        for field, header in mapping.items():
            if header.strip() and sheets and not any(field in sheet.columns for sheet in sheets):
                headers = ", ".join(repr(h) for h in sheets[0].header.cells if h)
                self.imp.fail(
                    "missing-column", f"the column mapping names {header!r} for {field}, but no header is {header!r} (the headers are {headers})", self.at(sheets[0].header)
                )
        if not sheets or self.imp.failed:
            return None, self.imp.findings
        for sheet in sheets:
            self.outline_levels(sheet)
        if any("parent" in sheet.columns for sheet in sheets):
            shape = "parent"
        elif any("level" in sheet.columns for sheet in sheets):
            shape = "level"
        else:
            shape = "list"
        for sheet in sheets:
            needed = {"parent": ("parent", "quantity"), "level": ("level", "quantity"), "list": ("quantity",)}[shape]
            for field in needed:
                if field not in sheet.columns:
                    self.missing_column(sheet, field)
        if self.imp.failed:
            return None, self.imp.findings
        self.scan_numbers(sheets)
        if shape == "level":
            self.indented(sheets)
        elif shape == "parent":
            self.parent_child(sheets)
        else:
            self.single_level(sheets)
        return self.finish()

    def control_characters(self, tables: list[Table]) -> None:
        """A located error for each cell holding a character no BOM file can carry (U+0000-U+001F
        but tab and line breaks): ids and names with them could not be written back."""
        for table in tables:
            for row in table.rows:
                for n, cell in enumerate(row.cells):
                    bad = NOT_XML_CHAR.search(cell)
                    if bad:
                        where = Location(self.imp.file, row.line, f"{row.pointer}, cell {n + 1}")
                        self.imp.fail("invalid-value", f"the cell holds the control character U+{ord(bad.group()):04X}, which no BOM file can carry", where)

    def sheet(self, table: Table, mapping: dict[str, str], several: bool) -> _Sheet | None:
        """``table`` with its header row found and its columns resolved, or None."""
        if not table.rows:
            return None
        candidates = table.rows[:1] if table.header_first else table.rows[: MAX_PREAMBLE_ROWS + 1]
        for position, row in enumerate(candidates):
            found = _resolve_columns(row.cells, mapping)
            if "part" in found or "name" in found:
                for before in table.rows[:position]:
                    self.preamble.append((f"preamble {len(self.preamble) + 1}", " ".join(cell for cell in before.cells if cell)))
                rest = list(table.rows[position + 1 :])
                if not rest:
                    self.imp.warn("empty-table", "the table has a header but no rows", self.at(row))
                return _Sheet(table, row, found, rest)
        header = table.rows[0]
        headers = ", ".join(repr(cell) for cell in header.cells if cell) or "none"
        message = f"no column holds the part number (headers: {headers}); name it 'Part Number' or 'Name', or map it: --columns part=HEADER"
        if several and table.header_first:
            self.imp.warn("table-skipped", f"this table is not read as part of the BOM: {message}", self.at(header))
        else:
            self.imp.fail("missing-column", message, self.at(header))
        return None

    def outline_levels(self, sheet: _Sheet) -> None:
        """Outline numbers (1, 2, 2.1, 2.2, 3), as CAD indented BOMs number their rows: a
        level column holding a dotted one is read as outline numbers, where ``2`` is at
        level 1 and ``2.1`` at level 2. An item-number column holding only outline numbers,
        at least one dotted, is taken as the level column when there is none."""
        if "level" not in sheet.columns and "parent" not in sheet.columns and "position" in sheet.columns:
            values = [sheet.cell(row, "position") for row in sheet.rows]
            if all(_OUTLINE.fullmatch(value) for value in values) and any(_DOTTED_OUTLINE.fullmatch(value) for value in values):
                sheet.columns["level"] = sheet.columns.pop("position")
        if "level" in sheet.columns:
            sheet.outline = any(_DOTTED_OUTLINE.fullmatch(sheet.cell(row, "level")) for row in sheet.rows)

    def missing_column(self, sheet: _Sheet, field: str) -> None:
        headers = ", ".join(repr(h) for h in sheet.header.cells if h)
        why = {
            "quantity": "every row needs how many of the part its parent uses",
            "parent": "a parent-child BOM names each row's parent",
            "level": "an indented BOM gives each row's level",
        }[field]
        default = FIELDS[field].headers[0]
        self.imp.fail("missing-column", f"no {field} column ({why}); the headers are {headers}. Name one {default!r}, or map it: --columns {field}=HEADER", self.at(sheet.header))

    def scan_numbers(self, sheets: list[_Sheet]) -> None:
        """Whether the file writes decimal commas: then ``1.000`` is ambiguous (a thousand, or one?)."""
        if not self.decimal_comma:
            return
        for sheet in sheets:
            for row in sheet.rows:
                for field in _NUMERIC_FIELDS:
                    if re.search(r"\d,\d", sheet.cell(row, field)):
                        self.grouped_numbers_ambiguous = True
                        return

    # --- one row ------------------------------------------------------------------------

    def read_row(self, sheet: _Sheet, row: Row, *, needs_quantity: bool) -> _Line | None:
        """The part a row describes, and the quantity it is used in (when ``needs_quantity``)."""
        where = self.at(row)
        columns = sheet.columns
        part_column = columns.get("part") or columns.get("name")
        part_id = sheet.cell(row, "part" if "part" in columns else "name")
        if not part_id:
            self.imp.fail("empty-cell", f"the row has no part number in column {part_column.header!r}", self.at(row, part_column))
            return None
        if "\n" in part_id or "\r" in part_id:
            self.imp.fail("invalid-value", f"the part number {part_id!r} spans several lines", self.at(row, part_column))
            return None
        what = f"part {part_id!r}"
        fields: dict = {"id": part_id, "provenance": where, "location": where}
        if "part" in columns and sheet.cell(row, "name"):
            fields["name"] = sheet.cell(row, "name")
        if sheet.cell(row, "description"):
            fields["description"] = sheet.cell(row, "description")
        uom = self.uom(sheet, row, what)
        line = _Line(where, fields)
        if needs_quantity:
            line.quantity, inferred = self.quantity(sheet, row, uom, part_id)
            uom = uom or inferred
        fields["uom"] = uom[0] if uom else "each"
        fields["mass"] = self.amount(sheet, row, "unit_mass", "mass_unit", f"{what} unit mass", part_mass=True)
        fields["unit_value"] = self.amount(sheet, row, "unit_cost", "currency", f"{what} unit cost")
        field_at = {column.index: name for name, column in columns.items()}
        names = sheet.names
        attributes: list[tuple[str, str]] = []
        classifications: list[Classification] = []
        for index, value in enumerate(row.cells):
            field = field_at.get(index)
            if not value or field in _READ_ELSEWHERE:
                continue
            if field is None:
                if index >= len(sheet.header.cells):
                    self.imp.warn("extra-cells", f"the row has a cell beyond the last header ({value!r}); it is kept as attribute {names[index]!r}", where, (part_id,))
                attributes.append((names[index], value))
            elif FIELDS[field].line:
                line.line_values.append((names[index], value))
            elif field == "material":
                whole = Amount(kind=Kind.FRACTION, unit="%", value=Fraction(1))
                material = self.imp.build(Material, self.at(row, columns[field]), f"{what} material", name=value, amount=whole, provenance=where)
                fields["materials"] = (material,) if material else ()
            elif field == "country":
                origin = self.origin(value, row, columns[field], part_id)
                if origin is None:
                    attributes.append((names[index], value))
                else:
                    fields["origins"] = (origin,)
            else:
                code = self.imp.build(Classification, self.at(row, columns[field]), f"{what} {field}", scheme=_CLASSIFICATION_SCHEMES[field], code=value)
                classifications += [code] if code else []
        if sheet.table.section and "section" not in {name for name, _ in attributes}:
            attributes.append(("section", sheet.table.section))
        fields["attributes"] = tuple(attributes)
        fields["classifications"] = tuple(classifications)
        return line

    def uom(self, sheet: _Sheet, row: Row, what: str) -> tuple[str, Kind] | None:
        text = sheet.cell(row, "uom")
        if not text:
            return None
        try:
            unit, kind = _usage_unit(text)
        except UnitError as exc:
            self.imp.fail("unit", f"{what} unit of measure: {exc.message}", self.at(row, sheet.columns["uom"]))
            return None
        return ("each" if kind is Kind.COUNT else unit), kind

    def quantity(self, sheet: _Sheet, row: Row, uom: tuple[str, Kind] | None, part_id: str) -> tuple[Amount | None, tuple[str, Kind] | None]:
        """The row's use quantity, and the unit the part is counted in when the quantity implies one."""
        what = f"part {part_id!r}"
        column = sheet.columns["quantity"]
        where = self.at(row, column)
        text = sheet.cell(row, "quantity")
        if text.lower() in _BLANK_WORDS or not text:
            self.imp.fail("empty-cell", f"{what} has no quantity; a row below the top says how many of the part one parent uses", where)
            return None, None
        split = self.split(text, where, f"{what} quantity")
        if split is None:
            return None, None
        number, written_unit = split
        try:
            if written_unit is not None:
                unit, kind = _usage_unit(written_unit)
            elif column.unit is not None:
                unit, kind = _usage_unit(column.unit)
            elif uom is not None:
                unit, kind = ("" if uom[1] is Kind.COUNT else uom[0]), uom[1]
            else:
                unit, kind = "", Kind.COUNT
        except UnitError as exc:
            self.imp.fail("unit", f"{what} quantity: {exc.message}", where)
            return None, None
        if uom is not None and kind is not uom[1]:
            self.imp.fail("quantity-unit-mismatch", f"{what} quantity {text!r} is {_a(kind.value)}, but its unit of measure {uom[0]!r} is {_a(uom[1].value)}", where)
            return None, None
        value = self.imp.number(number, where, f"{what} quantity")
        if value is None:
            return None, None
        if value <= 0:
            reason = "zero: a part that is not fitted has no row" if value == 0 else "negative: a BOM line uses a positive amount of its part"
            self.imp.fail("non-positive-quantity", f"{what} quantity {text!r} is {reason}", where)
            return None, None
        amount = self.imp.amount(number, unit, kind, where, f"{what} quantity")
        inferred = None
        if kind is not Kind.COUNT and uom is None:
            inferred = (unit, kind)
            if written_unit is not None:
                self.imp.warn(
                    "bulk-quantity",
                    f"{what} quantity {text!r} is {_a(kind.value)}, so the part is counted in {unit!r} (its mass and cost are per {unit}); "
                    "a unit of measure column makes this explicit",
                    where,
                    (part_id,),
                )
        return amount, inferred

    def split(self, text: str, where: Location, what: str) -> tuple[str, str | None] | None:
        """A cell as (number text, unit or None): footnote marks and decimal commas handled."""
        match = _AMOUNT.fullmatch(text.strip())
        if match is None:
            # a ratio (1/3) is a number; anything else is reported as not one
            return None if self.imp.number(text, where, what) is None else (text.strip(), None)
        number = match["number"]
        unit = match["unit"] or match["symbol"]
        if match["unit"] and match["symbol"]:
            self.imp.fail("unit", f"{what}: {text!r} has two units, {match['symbol']!r} and {match['unit']!r}", where)
            return None
        if match["mark"]:
            self.imp.warn(
                "dirty-number", f"{what}: {text!r} carries the footnote mark {match['mark']!r}, which is ignored; it is read as {number}{' ' + unit if unit else ''}", where
            )
        if "," in number and self.decimal_comma and (_DECIMAL_COMMA.fullmatch(number) or _GROUPED_DECIMAL_COMMA.fullmatch(number)):
            self.comma_numbers.append((text, where))
            number = number.replace(".", "").replace(",", ".")
        elif "," in number and not self.decimal_comma:
            self.imp.fail("invalid-number", f"{what}: {text!r} is not a number: in a comma-delimited file a comma cannot be a decimal point or a thousands separator", where)
            return None
        elif self.grouped_numbers_ambiguous and _GROUPED_THOUSANDS.fullmatch(number):
            self.imp.fail(
                "invalid-number", f"{what}: {text!r} is ambiguous in a file that writes decimal commas (a thousand, or one?); write it without the dot, or with a comma", where
            )
            return None
        return number, unit

    def amount(self, sheet: _Sheet, row: Row, field: str, unit_field: str, what: str, *, part_mass: bool = False) -> Amount | None:
        """A mass or cost cell as an Amount; its unit from the cell, the header or a unit column."""
        column = sheet.columns.get(field)
        text = sheet.cell(row, field)
        if column is None or not text or text.lower() in _BLANK_WORDS:
            return None
        where = self.at(row, column)
        split = self.split(text, where, what)
        if split is None:
            return None
        number, written_unit = split
        reader = _UNIT_READERS[FIELDS[field].unit]
        unit_text = written_unit or column.unit or sheet.cell(row, unit_field)
        if not unit_text:
            self.unitless(sheet, row, column, field, unit_field)
            return None
        try:
            unit, kind = reader(unit_text)
        except UnitError as exc:
            self.imp.fail("unit", f"{what}: {exc.message}", where if written_unit or column.unit else self.at(row, sheet.columns[unit_field]))
            return None
        amount = self.imp.amount(number, unit, kind, where, what, part_mass=part_mass)
        if part_mass:
            with contextlib.suppress(InputError):  # already reported by imp.amount
                self.masses.append((parse_number(number), where))
        return amount

    def unitless(self, sheet: _Sheet, row: Row, column: _Column, field: str, unit_field: str) -> None:
        """One ``missing-unit`` error per column of numbers that never says its unit."""
        key = (id(sheet), field)
        if key in self.unitless_reported:
            return
        self.unitless_reported.add(key)
        header = column.header
        if field == "unit_mass":
            how = (
                f"write it in the header ('{header} (g)' or '{header} [kg]'), add a 'Mass Unit' column, write it in each cell ('12 g'), "
                f"or map the column with one: --columns 'unit_mass={header} (g)'"
            )
            kind = "masses"
        else:
            how = (
                f"write it in the header ('{header} (EUR)'), add a 'Currency' column, write it in each cell ('12.50 EUR'), "
                f"or map the column with one: --columns 'unit_cost={header} (EUR)'"
            )
            kind = "prices"
        self.imp.fail("missing-unit", f"column {header!r} holds {kind} but no unit: {how}", self.at(row, column))

    def origin(self, value: str, row: Row, column: _Column, part_id: str) -> OriginClaim | None:
        if re.fullmatch(r"[A-Za-z]{2}", value):
            source = " ".join(filter(None, (PurePath(self.imp.file).name if self.imp.file else None, row.pointer)))
            return self.imp.build(OriginClaim, self.at(row, column), f"part {part_id!r} country of origin", country=value.upper(), stage=Stage.COMPONENT, source=source)
        self.imp.warn(
            "country-not-alpha-2",
            f"part {part_id!r} country of origin {value!r} is not an ISO 3166-1 alpha-2 code (CN, JP, DE); it is kept as an attribute, and no origin claim is made",
            self.at(row, column),
            (part_id,),
        )
        return None

    # --- shapes ---------------------------------------------------------------------------

    def add(self, line: _Line, uses: list[Usage]) -> str:
        """Add the part a row describes (children first) and return the id it is known by.

        Repeats of a part number are compared with the first: a repeat that lists no
        children takes the first one's (exports often explode a sub-assembly once), and
        origin claims that differ only in the row they cite are the same claims.
        """
        signature = _signature(line.part, uses)
        part_id = self.added.get(signature)
        if part_id is not None:  # the same row again (a repeated sub-assembly): no need to compare
            for name, value in line.line_values:
                self.line_values[part_id][name].append(value)
            return part_id
        part = self.imp.build(Part, line.where, f"part {line.part['id']!r}", uses=tuple(uses), **line.part)
        if part is None:
            return line.part["id"]
        first = self.first_of_id.get(part.id)
        if first is None:
            self.first_of_id[part.id] = part
        else:
            if not part.uses and first.uses:
                part = attrs.evolve(part, uses=first.uses)
            if [(o.country, o.stage) for o in part.origins] == [(o.country, o.stage) for o in first.origins]:
                part = attrs.evolve(part, origins=first.origins)
        part_id = self.added[signature] = self.imp.add_part(part)
        for name, value in line.line_values:
            self.line_values[part_id][name].append(value)
        return part_id

    def root(self, children: list[tuple[str, Amount | None]], where: Location | None) -> None:
        """A finished good named after the file (or the document's heading) using ``children``."""
        uses = [Usage(child=part_id, quantity=quantity) for part_id, quantity in children if quantity is not None]
        name = self.name or "finished good"
        part = self.imp.build(Part, where, f"part {name!r}", id=name, uses=tuple(uses), provenance=where, location=where)
        if part is not None:
            self.imp.add_part(part)

    def root_location(self) -> Location | None:
        if self.name_line is not None:
            return Location(self.imp.file, self.name_line, "heading")
        return Location(self.imp.file) if self.imp.file else None

    def single_level(self, sheets: list[_Sheet]) -> None:
        lines = [line for sheet in sheets for row in sheet.rows if (line := self.read_row(sheet, row, needs_quantity=True))]
        self.root([(self.add(line, []), line.quantity) for line in lines], self.root_location())

    def indented(self, sheets: list[_Sheet]) -> None:
        levels: list[tuple[_Sheet, Row, int]] = []
        for sheet in sheets:
            for row in sheet.rows:
                level = self.level(sheet, row)
                if level is not None:
                    levels.append((sheet, row, level))
        if not levels:
            return
        top = min(level for _, _, level in levels)
        # (level, line, children) nodes; the sentinel holds the finished goods, or is the
        # finished good named after the file when the levels start below 0.
        root: list = [top - 1, None, []]
        stack = [root]
        for sheet, row, level in levels:
            line = self.read_row(sheet, row, needs_quantity=level > 0 or top > 0)
            while stack[-1][0] >= level:
                stack.pop()
            if stack[-1][0] != level - 1:
                above = f"the nearest row above it at a lower level is at level {stack[-1][0]}" if stack[-1] is not root else "no row above it is at a lower level"
                self.imp.fail(
                    "level-jump", f"the row is at level {level}, but {above}; a level-{level} row belongs under a level-{level - 1} row", self.at(row, sheet.columns["level"])
                )
                continue
            # a row that failed stays in the tree, so its children are not reported again
            node = [level, line, []]
            stack[-1][2].append(node)
            stack.append(node)
        if top > 0:
            self.root([self.build_node(node) for node in root[2]], self.root_location())
        else:
            for node in root[2]:
                self.build_node(node)

    def build_node(self, node: list) -> tuple[str, Amount | None]:
        """Add a node's subtree, children first; returns the id it was added under and its quantity."""
        _, line, children = node
        uses = []
        for child in children:
            child_id, quantity = self.build_node(child)
            if quantity is not None:
                uses.append(Usage(child=child_id, quantity=quantity))
        if line is None:
            return "", None  # the row failed, and its error is reported
        return self.add(line, uses), line.quantity

    def level(self, sheet: _Sheet, row: Row) -> int | None:
        text = sheet.cell(row, "level")
        column = sheet.columns["level"]
        if sheet.outline and _OUTLINE.fullmatch(text):
            level = len(text.rstrip(".").split("."))  # 2 is level 1, 2.1 level 2
        elif not sheet.outline and re.fullmatch(r"\.*\d+", text):
            level = int(text.lstrip("."))  # 0, 1, 2 or SAP's .1, ..2
        elif not sheet.outline and re.fullmatch(r"\.+", text):
            level = len(text)  # the level as dots alone
        else:
            shown = repr(text) if text else "empty"
            expected = "an outline number such as 2.1, like the rest of the column" if sheet.outline else "0, 1, 2 ..., SAP's .1, ..2, or an outline number such as 1.2.1"
            self.imp.fail("invalid-level", f"the level is {shown}; write {expected}", self.at(row, column))
            return None
        if level > MAX_LEVEL:
            self.imp.fail("invalid-level", f"level {level} is deeper than any BOM rarebom reads (at most {MAX_LEVEL})", self.at(row, column))
            return None
        return level

    def parent_child(self, sheets: list[_Sheet]) -> None:
        order: dict[str, Location] = {}  # every id, where it is first named
        described: dict[str, _Line] = {}
        first_part: dict[str, Part] = {}
        edges: dict[str, list[_Line]] = defaultdict(list)
        for sheet in sheets:
            for row in sheet.rows:
                parent = sheet.cell(row, "parent")
                line = self.read_row(sheet, row, needs_quantity=bool(parent))
                if line is None:
                    continue
                part_id = line.part["id"]
                if parent:
                    order.setdefault(parent, self.at(row, sheet.columns["parent"]))
                    edges[parent].append(line)
                order.setdefault(part_id, line.where)
                candidate = self.imp.build(Part, line.where, f"part {part_id!r}", **line.part)
                if part_id not in described:
                    described[part_id] = line
                    if candidate is not None:
                        first_part[part_id] = candidate
                elif candidate is not None and part_id in first_part:
                    first = first_part[part_id]
                    if [(o.country, o.stage) for o in candidate.origins] == [(o.country, o.stage) for o in first.origins]:
                        candidate = attrs.evolve(candidate, origins=first.origins)
                    if not same_part(candidate, first):
                        self.imp.warn(
                            "part-rows-differ",
                            f"part {part_id!r} is described differently here than at {described[part_id].where.pointer}; the first description is kept",
                            line.where,
                            (part_id,),
                        )
                for name, value in line.line_values:
                    self.line_values[part_id][name].append(value)
        for part_id, where in order.items():
            line = described.get(part_id)
            uses = tuple(Usage(child=edge.part["id"], quantity=edge.quantity) for edge in edges.get(part_id, ()) if edge.quantity is not None)
            if line is None:
                part = self.imp.build(Part, where, f"part {part_id!r}", id=part_id, uses=uses, provenance=where, location=where)
            elif part_id not in first_part:
                continue  # its row failed; the error is reported
            else:
                part = attrs.evolve(first_part[part_id], uses=uses)
            if part is not None:
                self.imp.add_part(part)

    # --- the end ----------------------------------------------------------------------------

    def finish(self) -> tuple[Bom | None, list[Finding]]:
        imp = self.imp
        if self.comma_numbers:
            text, where = self.comma_numbers[0]
            count = len(self.comma_numbers)
            numbers = f"{count} numbers in this file are" if count > 1 else "1 number in this file is"
            imp.warn("decimal-comma", f"{numbers} written with a decimal comma (the first is {text!r}); the comma is read as the decimal point", where)
        if self.masses and all(value == 0 for value, _ in self.masses):
            count = len(self.masses)
            imp.warn(
                "all-masses-zero",
                f"every mass in the file is 0 ({count} row{'s' if count > 1 else ''}): the masses were never computed "
                "(a CAD export without materials, or an ERP field nobody fills), so they are unknown, not zero",
                self.masses[0][1],
            )
        if imp.failed:
            return None, imp.findings
        if self.line_values:
            imp.parts[:] = [self.with_line_values(part) for part in imp.parts]
        return imp.bom(self.name, self.preamble), imp.findings

    def with_line_values(self, part: Part) -> Part:
        """``part`` with its BOM-line columns (positions, designators), one value per use, joined."""
        values = self.line_values.get(part.id)
        if not values:
            return part
        taken = {name for name, _ in part.attributes}
        extra = tuple((name, "; ".join(dict.fromkeys(texts))) for name, texts in values.items() if name not in taken)
        return attrs.evolve(part, attributes=part.attributes + extra)


def _a(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


def _signature(fields: dict, uses: list[Usage]) -> tuple:
    """What a row says about its part, without where it says it (hashable)."""
    materials = tuple((m.name, m.amount) for m in fields.get("materials", ()))
    origins = tuple((o.country, o.stage) for o in fields.get("origins", ()))
    rest = tuple((key, value) for key, value in fields.items() if key not in ("provenance", "location", "materials", "origins"))
    return rest, materials, origins, tuple(uses)


def _attribute_names(headers: tuple[str, ...]) -> dict[int, str]:
    """Attribute names for columns: the header, ``column N`` when it is empty, ``X (2)`` when it repeats."""

    class _Names(dict):
        def __missing__(self, index):
            return f"column {index + 1}"

    names = _Names()
    seen: set[str] = set()
    for index, header in enumerate(headers):
        name = header.strip() or f"column {index + 1}"
        candidate, n = name, 1
        while candidate in seen:
            n += 1
            candidate = f"{name} ({n})"
        seen.add(candidate)
        names[index] = candidate
    return names
