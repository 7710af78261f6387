"""Structural mutators for fuzzing the readers: seeds per format, and hypothesis strategies
that break them the way real files break (elements dropped, duplicated, reordered or moved;
units changed; numbers replaced by garbage; rows and columns shuffled; JSON keys dropped or
given the wrong type; deep nesting).

tests/test_fuzz.py draws from these; fuzz/atheris_harness.py reuses the seeds. The public,
valid-BOM strategies stay in :mod:`rarebom.testing`; these make invalid files on purpose.
"""

from __future__ import annotations

import copy
import csv
import functools
import io
import json
import zipfile
from pathlib import Path

from hypothesis import strategies as st
from lxml import etree

REPO = Path(__file__).resolve().parent.parent
IMPORT = REPO / "tests" / "data" / "import"
SAMPLES = REPO.parent / "shared" / "samples"

XML_FORMATS = ("rarebom-xml", "ipc-1752", "iec-62474", "granta-bom")
FORMATS = (*XML_FORMATS, "rarebom-json", "csv", "xlsx")

#: Values a broken file puts where a number or a unit belongs.
GARBAGE = (
    "-1",
    "0",
    "1e308",
    "-1e308",
    "1e-320",
    "NaN",
    "inf",
    "-0",
    "",
    " ",
    "abc",
    "12*",
    "1,5",
    "1.5.5",
    "0x10",
    "(g",
    "g)",
    "**",
    "1/0",
    "%",
    "ppm",
    "\u00a0",
    "\x7f",
    "12 kg",
    "9" * 400,
)
#: Units, right and wrong, for mass and everything else.
UNITS = (
    "g",
    "kg",
    "mg",
    "t",
    "lb",
    "oz",
    "ug",
    "ppm",
    "%",
    "wt%",
    "mm",
    "m",
    "s",
    "PC",
    "EA",
    "ST",
    "each",
    "mol",
    "kg/m",
    "g**2",
    "(g",
    "1/g",
    "degC",
    "",
    "µg",
    "Kg",
    "KG",
    "ton",
)


def _texts(directory: Path, pattern: str) -> list[bytes]:
    return [p.read_bytes() for p in sorted(directory.glob(pattern))] if directory.is_dir() else []


def _sample_seeds(prefix: str) -> list[bytes]:
    return [p.read_bytes() for p in sorted(SAMPLES.glob(f"{prefix}*")) if p.suffix in (".xml", ".json", ".md", ".csv")] if SAMPLES.is_dir() else []


@functools.cache
def seeds() -> dict[str, list[bytes]]:
    """Valid (or nearly valid) files per format: the examples, the import fixtures and,
    where present, the real samples in ../shared/samples."""
    tables = _texts(IMPORT / "table", "*.csv") + _sample_seeds("openhw_bom__")
    return {
        "rarebom-xml": _texts(REPO / "examples", "*.xml"),
        "rarebom-json": _texts(REPO / "examples", "*.json"),
        "ipc-1752": _texts(IMPORT / "ipc1752", "*.xml"),
        "iec-62474": _texts(IMPORT / "iec62474", "*.xml") + _sample_seeds("iec62474_chemsherpa__"),
        "granta-bom": _texts(IMPORT / "granta", "*.xml") + _sample_seeds("granta_bom"),
        "csv": tables,
        "xlsx": [workbook(_table_rows(t)[0]) for t in _texts(IMPORT / "table", "*.csv")],
    }


# --- XML -------------------------------------------------------------------------------

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _xml_text(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot hold (lxml refuses to set them)."""
    return "".join(ch for ch in value if ch in "\t\n\r" or (ord(ch) >= 32 and ord(ch) != 0x7F and not 0xD800 <= ord(ch) <= 0xDFFF and ch not in "\ufffe\uffff"))


def _elements(root) -> list:
    return [e for e in root.iter() if isinstance(e.tag, str)]


@st.composite
def _xml_mutation(draw, root) -> None:
    elements = _elements(root)
    kind = draw(st.sampled_from(("drop", "duplicate", "reorder", "move", "attribute", "text", "unit", "garbage-element", "comments")))
    node = draw(st.sampled_from(elements))
    parent = node.getparent()
    if kind == "drop" and parent is not None:
        parent.remove(node)
    elif kind == "duplicate" and parent is not None:
        parent.insert(parent.index(node) + draw(st.integers(0, 1)), copy.deepcopy(node))
    elif kind == "reorder" and len(node):
        children = list(node)
        order = draw(st.permutations(children))
        for child in children:
            node.remove(child)
        node.extend(order)
    elif kind == "move" and parent is not None:
        target = draw(st.sampled_from(elements))
        if node not in target.iterancestors() and target is not node:
            parent.remove(node)
            target.append(node)
    elif kind == "attribute" and node.attrib:
        name = draw(st.sampled_from(sorted(node.attrib)))
        if draw(st.booleans()):
            node.set(name, _xml_text(draw(st.sampled_from(GARBAGE + UNITS))))
        else:
            del node.attrib[name]
    elif kind == "unit":
        names = [n for n in node.attrib if "unit" in n.lower() or n in ("uom", "UoM")]
        value = draw(st.sampled_from(UNITS))
        if names:
            node.set(draw(st.sampled_from(names)), value)
        elif "unit" in etree.QName(node).localname.lower():
            node.text = value
    elif kind == "text":
        leaves = [e for e in elements if len(e) == 0]
        if leaves:
            draw(st.sampled_from(leaves)).text = _xml_text(draw(st.sampled_from(GARBAGE) | st.text(max_size=8)))
    elif kind == "garbage-element":
        child = etree.SubElement(node, node.tag if draw(st.booleans()) else "junk")
        child.text = _xml_text(draw(st.sampled_from(GARBAGE)))
    elif kind == "comments" and parent is not None:
        # A run of comments or processing instructions after the element, a space between
        # each: the parser drops them and joins the spaces into one long text, which a
        # streaming reader that frees the element with its tail too early writes into
        # after it is freed (tests/test_security.py).
        make = etree.Comment if draw(st.booleans()) else lambda text: etree.PI("x", text)
        at = parent.index(node) + 1
        for _ in range(draw(st.sampled_from((1, 100, 3000)))):
            run = make(" x ")
            run.tail = " "
            parent.insert(at, run)


@st.composite
def mutated_xml(draw, fmt: str, max_mutations: int = 4) -> bytes:
    """A seed of ``fmt`` with 1 to ``max_mutations`` structural mutations."""
    root = etree.fromstring(draw(st.sampled_from(seeds()[fmt])), _PARSER)
    for _ in range(draw(st.integers(1, max_mutations))):
        draw(_xml_mutation(root))
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


# --- JSON ------------------------------------------------------------------------------

_WRONG_TYPES = st.sampled_from([None, True, False, 0, -1, 1e308, -1e308, "", "abc", "12*", "NaN", [], {}, [1, "x"], {"x": 1}, 2**70, 0.1])


def _containers(value, out):
    if isinstance(value, (dict, list)):
        out.append(value)
        for child in value.values() if isinstance(value, dict) else value:
            _containers(child, out)
    return out


@st.composite
def _json_mutation(draw, doc) -> None:
    containers = [c for c in _containers(doc, []) if c]
    if not containers:
        return
    node = draw(st.sampled_from(containers))
    keys = sorted(node) if isinstance(node, dict) else list(range(len(node)))
    key = draw(st.sampled_from(keys))
    kind = draw(st.sampled_from(("drop", "duplicate", "wrong-type", "garbage", "unit", "nest", "reorder")))
    if kind == "drop":
        del node[key]
    elif kind == "duplicate":
        if isinstance(node, list):
            node.insert(key, copy.deepcopy(node[key]))
        else:
            other = draw(st.sampled_from(keys))
            node[other] = copy.deepcopy(node[key])
    elif kind == "wrong-type":
        node[key] = draw(_WRONG_TYPES)
    elif kind == "garbage":
        node[key] = draw(st.sampled_from(GARBAGE))
    elif kind == "unit":
        units = [k for k in keys if isinstance(k, str) and "unit" in k.lower()]
        node[draw(st.sampled_from(units)) if units else key] = draw(st.sampled_from(UNITS))
    elif kind == "nest":
        # Written into the text by mutated_json: a deep Python structure here would make
        # the strategy depend on the recursion depth it runs at.
        node[key] = _NEST
    elif kind == "reorder" and isinstance(node, list):
        node[:] = draw(st.permutations(node))


_NEST = "\x00nest\x00"


@st.composite
def mutated_json(draw, max_mutations: int = 4) -> bytes:
    doc = json.loads(draw(st.sampled_from(seeds()["rarebom-json"])))
    for _ in range(draw(st.integers(1, max_mutations))):
        draw(_json_mutation(doc))
    text = json.dumps(doc)
    depth = draw(st.sampled_from((2, 50, 5000)))
    return text.replace(json.dumps(_NEST), "[" * depth + "1" + "]" * depth).encode("utf-8")


# --- tables ----------------------------------------------------------------------------


def _table_rows(data: bytes) -> tuple[list[list[str]], str, str]:
    """A text table as rows of cells, its delimiter and its encoding."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    lines = text.splitlines()
    delimiter = max(("\t", ";", ",", "|"), key=lambda d: sum(line.count(d) for line in lines[:12]))
    return list(csv.reader(lines, delimiter=delimiter)), delimiter, encoding


def _write_table(rows: list[list[str]], delimiter: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


@st.composite
def _table_mutation(draw, rows: list[list[str]]) -> None:
    if not rows:
        return
    kind = draw(st.sampled_from(("drop-row", "duplicate-row", "swap-rows", "drop-column", "duplicate-column", "swap-columns", "cell", "unit-cell")))
    i = draw(st.integers(0, len(rows) - 1))
    j = draw(st.integers(0, len(rows) - 1))
    width = max(len(r) for r in rows)
    c = draw(st.integers(0, max(width - 1, 0)))
    d = draw(st.integers(0, max(width - 1, 0)))
    if kind == "drop-row":
        del rows[i]
    elif kind == "duplicate-row":
        rows.insert(j, list(rows[i]))
    elif kind == "swap-rows":
        rows[i], rows[j] = rows[j], rows[i]
    else:
        for row in rows:
            row.extend([""] * (width - len(row)))
        if kind == "drop-column":
            for row in rows:
                del row[c]
        elif kind == "duplicate-column":
            for row in rows:
                row.insert(d, row[c])
        elif kind == "swap-columns":
            for row in rows:
                row[c], row[d] = row[d], row[c]
        elif kind == "cell":
            rows[i][c] = draw(st.sampled_from(GARBAGE) | st.text(max_size=6))
        else:
            rows[i][c] = draw(st.sampled_from(UNITS))


@st.composite
def mutated_rows(draw, max_mutations: int = 4) -> tuple[list[list[str]], str, str]:
    rows, delimiter, encoding = _table_rows(draw(st.sampled_from(seeds()["csv"])))
    for _ in range(draw(st.integers(1, max_mutations))):
        draw(_table_mutation(rows))
    return rows, delimiter, encoding


@st.composite
def mutated_csv(draw, max_mutations: int = 4) -> bytes:
    rows, delimiter, encoding = draw(mutated_rows(max_mutations))
    return _write_table(rows, delimiter).encode(encoding, errors="replace")


def workbook(rows: list[list[str]]) -> bytes:
    """A minimal .xlsx (one sheet, inline strings and numbers) holding ``rows``."""
    from xml.sax.saxutils import escape

    def column(n: int) -> str:
        name = ""
        n += 1
        while n:
            n, r = divmod(n - 1, 26)
            name = chr(65 + r) + name
        return name

    cells = []
    for r, row in enumerate(rows, 1):
        out = []
        for c, value in enumerate(row):
            ref = f"{column(c)}{r}"
            try:
                float(value)
                numeric = value.strip() == value and value.lower() not in ("nan", "inf", "-inf", "infinity")
            except ValueError:
                numeric = False
            if numeric:
                out.append(f'<c r="{ref}"><v>{escape(value)}</v></c>')
            else:
                clean = "".join(ch for ch in value if ch in "\t\n\r" or ord(ch) >= 32)
                out.append(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(clean)}</t></is></c>')
        cells.append(f'<row r="{r}">{"".join(out)}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0"?><Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet name="BOM" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0"?><Relationships xmlns="{pkg}">'
        f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0"?><worksheet xmlns="{main}"><sheetData>{"".join(cells)}</sheetData></worksheet>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in parts.items():
            book.writestr(name, text)
    return buffer.getvalue()


@st.composite
def mutated_xlsx(draw, max_mutations: int = 4) -> bytes:
    """A table mutated as for CSV, then as a workbook; sometimes a package part is
    mutated too (dropped, or its XML mutated structurally)."""
    rows, _, _ = draw(mutated_rows(max_mutations))
    data = workbook(rows)
    kind = draw(st.sampled_from(("none", "none", "drop-part", "mutate-part")))
    if kind == "none":
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        parts = {name: book.read(name) for name in book.namelist()}
    name = draw(st.sampled_from(sorted(parts)))
    if kind == "drop-part":
        del parts[name]
    else:
        root = etree.fromstring(parts[name], _PARSER)
        for _ in range(draw(st.integers(1, 3))):
            draw(_xml_mutation(root))
        parts[name] = etree.tostring(root)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        for part, content in parts.items():
            book.writestr(part, content)
    return buffer.getvalue()


def mutated(fmt: str) -> st.SearchStrategy[bytes]:
    """Mutated files of ``fmt``, from :func:`seeds`."""
    if fmt in XML_FORMATS:
        return mutated_xml(fmt)
    return {"rarebom-json": mutated_json, "csv": mutated_csv, "xlsx": mutated_xlsx}[fmt]()
