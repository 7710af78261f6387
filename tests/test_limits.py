"""Resource limits (rarebom.limits): each limit refuses limit + 1 and accepts the limit,
from the API and from the CLI; quantity products that overflow are located errors."""

from __future__ import annotations

import io
import json
import math
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

import pytest

import rarebom
from benchmarks.generate_formats import expected_parts, format_bom, write
from rarebom import Amount, Bom, Kind, LimitExceededError, Limits, Part, Usage, formats
from rarebom.cli import main
from rarebom.limits import parse_size

IMPORT_DATA = Path(__file__).parent / "data" / "import"

# -- documents of known size, depth and part count ------------------------------------------


def json_chain(quantities: list[str], *, leaf_mass: str = "1") -> str:
    """A rarebom JSON chain p0 uses quantities[0] of p1, which uses quantities[1] of p2, ...

    Its nesting depth is 6: document, parts array, part, uses array, use, quantity."""
    parts = [{"id": f"p{i}", "uses": [{"part": f"p{i + 1}", "quantity": {"value": q}}]} for i, q in enumerate(quantities)]
    parts.append({"id": f"p{len(quantities)}", "mass": {"value": leaf_mass, "unit": "g"}})
    return json.dumps({"format": "rarebom", "formatVersion": "1.0", "parts": parts})


JSON_DEPTH = 6


def xml_chain(quantities: list[str]) -> str:
    """The XML twin of :func:`json_chain`; its depth is 4: bom, part, use, quantity."""
    parts = "".join(f'<part id="p{i}"><use part="p{i + 1}"><quantity value="{q}"/></use></part>\n' for i, q in enumerate(quantities))
    last = f'<part id="p{len(quantities)}"><mass value="1" unit="g"/></part>\n'
    return f'<bom xmlns="urn:rarebom:bom:1" formatVersion="1.0">\n{parts}{last}</bom>\n'


XML_DEPTH = 4


def usage(child: str, quantity: str) -> Usage:
    return Usage(child=child, quantity=Amount.parse(quantity, "", Kind.COUNT))


def chain_bom(*quantities: str) -> Bom:
    """fleet -> ... -> screw, each level using ``quantities[k]`` of the next; a screw weighs 1 g."""
    names = [f"level{k}" for k in range(len(quantities))] + ["screw"]
    parts = [Part(id=names[k], uses=(usage(names[k + 1], q),)) for k, q in enumerate(quantities)]
    return Bom(parts=(*parts, Part(id="screw", mass=Amount.parse("1", "g", Kind.MASS))))


class Pipe:
    """A non-seekable binary stream that counts what is read from it."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)
        self.read_bytes = 0

    def read(self, n: int = -1) -> bytes:
        chunk = self._data.read(n)
        self.read_bytes += len(chunk)
        return chunk

    def seekable(self) -> bool:
        return False


# -- the Limits class --------------------------------------------------------------------------


def test_defaults_are_the_documented_ones():
    limits = Limits()
    assert (limits.max_input_bytes, limits.max_depth, limits.max_parts, limits.max_multiplicity) == (2 * 1024**3, 256, 10_000_000, 1e15)
    assert limits == rarebom.limits.DEFAULT_LIMITS


@pytest.mark.parametrize(
    "field, value",
    [
        ("max_parts", 0),
        ("max_parts", True),
        ("max_parts", 1.5),
        ("max_depth", -1),
        ("max_input_bytes", 0),
        ("max_multiplicity", math.inf),
        ("max_multiplicity", 0.5),
        ("max_multiplicity", math.nan),
    ],
)
def test_nonsense_limits_are_refused(field, value):
    with pytest.raises(ValueError, match=field):
        Limits(**{field: value})


@pytest.mark.parametrize("text, size", [("2GiB", 2 * 1024**3), ("500 MB", 500_000_000), ("1048576", 1048576), ("1.5KiB", 1536), ("10kb", 10_000)])
def test_sizes_parse_in_si_and_iec_units(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "2 GiBs", "-1", "0", "lots"])
def test_bad_sizes_are_refused(text):
    with pytest.raises(ValueError):
        parse_size(text)


# -- input size ------------------------------------------------------------------------------


def test_input_size_limit_from_bytes_path_and_streams(tmp_path):
    data = json_chain(["2"]).encode()
    n = len(data)
    path = tmp_path / "bom.json"
    path.write_bytes(data)
    with open(path, "rb") as seekable:
        sources = [lambda: data, lambda: path, lambda: str(path), lambda: seekable, lambda: Pipe(data)]
        for source in sources:
            if source() is seekable:
                seekable.seek(0)
            assert len(rarebom.load(source(), limits=Limits(max_input_bytes=n)).bom.parts) == 2
            if source() is seekable:
                seekable.seek(0)
            with pytest.raises(LimitExceededError) as info:
                rarebom.load(source(), limits=Limits(max_input_bytes=n - 1))
            assert info.value.limit == "max_input_bytes" and info.value.code == "limit-exceeded"
            assert "max_input_bytes" in str(info.value) and "--max-input-size" in str(info.value)


def test_input_size_is_checked_before_parsing(tmp_path):
    """An oversized file is refused as oversized, not read: its broken content is never seen."""
    path = tmp_path / "big.xml"
    path.write_bytes(b"<not xml at all" * 1000)
    with pytest.raises(LimitExceededError) as info:
        rarebom.load(path, limits=Limits(max_input_bytes=1000))
    assert info.value.location.file == str(path)
    assert "15,000 bytes" in str(info.value)


def test_a_pipe_is_read_no_further_than_one_byte_past_the_limit():
    pipe = Pipe(b"x" * 1_000_000)
    with pytest.raises(LimitExceededError, match="more than 1,000 bytes"):
        rarebom.load(pipe, limits=Limits(max_input_bytes=1000))
    assert pipe.read_bytes == 1001


PIPED = [
    Path(__file__).parents[1] / "examples" / "ev-traction-motor.xml",
    Path(__file__).parents[1] / "examples" / "ev-traction-motor.json",
    IMPORT_DATA / "granta" / "bldc-motor-2412.xml",
    IMPORT_DATA / "iec62474" / "fmd_copper_terminal.xml",
    IMPORT_DATA / "ipc1752" / "rotor_1752b_subproducts.xml",
    IMPORT_DATA / "table" / "ev_axle_indented.csv",
]


@pytest.mark.parametrize("path", PIPED, ids=lambda p: p.name)
@pytest.mark.parametrize("in_memory", [8 * 1024 * 1024, 64], ids=["in-memory", "on-disk"])
def test_a_pipe_reads_as_the_file_does(path, in_memory, monkeypatch):
    """A pipe is copied to a temporary file (on disk past ``SPOOL_IN_MEMORY``), which every
    reader reads as it reads the file itself, and which is closed after the load."""
    made = []

    class Spool(tempfile.SpooledTemporaryFile):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(formats, "SPOOL_IN_MEMORY", in_memory)
    monkeypatch.setattr(formats.tempfile, "SpooledTemporaryFile", Spool)
    expected = rarebom.load(io.BytesIO(path.read_bytes()))  # no file name, as a pipe has none
    piped = rarebom.load(Pipe(path.read_bytes()))
    assert (piped.bom, piped.format) == (expected.bom, expected.format)
    assert [(f.code, f.message) for f in piped.findings] == [(f.code, f.message) for f in expected.findings]
    assert len(made) == 1 and made[0].closed


def test_a_pipe_is_closed_after_a_failed_load(monkeypatch):
    made = []

    class Spool(tempfile.SpooledTemporaryFile):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(formats.tempfile, "SpooledTemporaryFile", Spool)
    with pytest.raises(rarebom.InvalidBomError):
        rarebom.load(Pipe(xml_chain(["1", "x"]).encode()))
    with pytest.raises(LimitExceededError):
        rarebom.load(Pipe(b"x" * 5000), limits=Limits(max_input_bytes=1000))
    assert len(made) == 2 and all(spool.closed for spool in made)


def test_a_large_pipe_is_not_held_in_memory():
    """A 32 MB pipe (a small BOM padded with comments) is read in chunks into a temporary
    file that moves to disk past 8 MiB: Python's allocations stay far below the input's size."""
    padding = (b"<!--" + b"x" * 1016 + b"-->\n") * (32 * 1024)
    data = xml_chain(["2", "3"]).encode().replace(b"\n</bom>", padding + b"</bom>")
    tracemalloc.start()
    try:
        loaded = rarebom.load(Pipe(data))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(loaded.bom.parts) == 3
    assert peak < 12 * 1024 * 1024, f"{peak:,} bytes traced for a {len(data):,}-byte pipe"


# -- part count ------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["json", "xml", "csv"])
def test_part_count_limit(encoding):
    if encoding == "json":
        data = json_chain(["1"] * 9)
    elif encoding == "xml":
        data = xml_chain(["1"] * 9)
    else:  # a parent-child table, whose parts are built once every row is read
        data = "parent,part,quantity,mass\n" + "".join(f"p{i},p{i + 1},1,\n" for i in range(9)) + ",p0,1,\n"
    assert len(rarebom.load(data.encode(), limits=Limits(max_parts=10)).bom.parts) == 10
    with pytest.raises(rarebom.InvalidBomError) as info:
        rarebom.load(data.encode(), limits=Limits(max_parts=9))
    [problem] = info.value.errors
    assert problem.code == "limit-exceeded" and "max_parts" in problem.message and "--max-parts" in problem.message
    # refused at the part past the limit, with its line (a table's parts are built children first)
    assert problem.location.line == {"xml": 11, "json": 1, "csv": 10}[encoding]


IMPORTED = ["iec-62474", "ipc-1752", "granta-bom", "csv"]


@pytest.mark.parametrize("fmt", IMPORTED)
def test_importers_refuse_the_part_past_the_limit_where_it_is_declared(fmt, tmp_path):
    """Each industry reader counts parts as it builds them (rarebom.formats._import.Importer),
    so the error points at the declaration of the part past the limit, not at the file."""
    bom = format_bom(60)
    path = tmp_path / ("bom.csv" if fmt == "csv" else "bom.xml")
    write(bom, fmt, path)
    parts = expected_parts(bom, fmt)
    assert len(rarebom.load(path, limits=Limits(max_parts=parts)).bom.parts) == parts
    with pytest.raises(rarebom.InvalidBomError) as info:
        rarebom.load(path, limits=Limits(max_parts=parts // 2))
    [problem] = info.value.errors
    assert problem.code == "limit-exceeded" and f"more than {parts // 2:,} parts" in problem.message
    lines = path.read_text("utf-8").count("\n")
    assert problem.location.file == str(path) and 1 < problem.location.line < lines


# -- nesting depth ---------------------------------------------------------------------------


@pytest.mark.parametrize("encoding, depth", [("json", JSON_DEPTH), ("xml", XML_DEPTH)])
def test_depth_limit(encoding, depth):
    data = (json_chain(["2"]) if encoding == "json" else xml_chain(["2"])).encode()
    assert len(rarebom.load(data, limits=Limits(max_depth=depth)).bom.parts) == 2
    with pytest.raises(rarebom.InvalidBomError) as info:
        rarebom.load(data, limits=Limits(max_depth=depth - 1))
    [problem] = info.value.errors
    assert problem.code == "limit-exceeded" and "max_depth" in problem.message and problem.location.line is not None


def document_depth(source) -> int:
    """How deeply the elements of an XML file nest, counted independently of rarebom with lxml."""
    from lxml import etree

    root = etree.parse(source if isinstance(source, io.BytesIO) else str(source)).getroot()
    return max(len(list(element.iterancestors())) + 1 for element in root.iter())


DEEPEST_FIXTURES = [*sorted(IMPORT_DATA.glob("ipc1752/*_1752b_*.xml")), IMPORT_DATA / "iec62474/servo_rotor_ndfeb.xml", IMPORT_DATA / "granta/bldc-motor-2412.xml"]


@pytest.mark.parametrize("path", DEEPEST_FIXTURES, ids=lambda p: p.name)
def test_whole_tree_readers_keep_the_depth_limit(path):
    """The industry XML readers parse a whole tree (rarebom.formats._xmlsafe.parse); they hold
    the same max_depth as the streaming rarebom reader, at the first element too deep."""
    depth = document_depth(path)
    assert rarebom.load(path, limits=Limits(max_depth=depth)).bom.parts
    with pytest.raises(rarebom.InvalidBomError) as info:
        rarebom.load(path, limits=Limits(max_depth=depth - 1))
    [problem] = info.value.errors
    assert problem.code == "limit-exceeded" and f"more than {depth - 1} deep" in problem.message
    from lxml import etree

    first_too_deep = next(e for e in etree.parse(str(path)).getroot().iter() if len(list(e.iterancestors())) == depth - 1)
    assert problem.location.line == first_too_deep.sourceline


def test_a_workbook_keeps_the_depth_limit(tmp_path):
    """Every XML part of a workbook that rarebom reads is read under max_depth; the error names the part."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["Part Number", "Quantity"])
    book.active.append(["p1", 1])
    path = tmp_path / "bom.xlsx"
    book.save(path)
    with zipfile.ZipFile(path) as archive:
        read = ["xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"]
        depths = {name: document_depth(io.BytesIO(archive.read(name))) for name in read if name in archive.namelist()}
    deepest = max(depths, key=depths.get)
    assert "p1" in {p.id for p in rarebom.load(path, limits=Limits(max_depth=depths[deepest])).bom.parts}
    with pytest.raises(rarebom.InvalidBomError) as info:
        rarebom.load(path, limits=Limits(max_depth=depths[deepest] - 1))
    [problem] = info.value.errors
    assert problem.code == "limit-exceeded" and problem.location.pointer in {n for n, d in depths.items() if d == depths[deepest]}


def test_json_deeper_than_the_limit_in_a_header_value_is_refused_before_the_schema_sees_it():
    nested = '{"format": "rarebom", "formatVersion": "1.0", "attributes": ' + '{"a": ' * 300 + '"1"' + "}" * 300 + ', "parts": []}'
    with pytest.raises(rarebom.InvalidBomError) as info:
        rarebom.load(nested.encode())
    assert [f.code for f in info.value.errors] == ["limit-exceeded"]
    assert "301 levels" in info.value.errors[0].message


def test_xml_past_libxml2s_ceiling_says_no_limit_raises_it():
    data = b'<bom xmlns="urn:rarebom:bom:1" formatVersion="1.0">' + b"<x>" * 400 + b"</x>" * 400 + b"</bom>"
    with pytest.raises(rarebom.InvalidBomError) as info:
        rarebom.load(data, limits=Limits(max_depth=1000))
    [problem] = info.value.errors
    assert problem.code == "limit-exceeded" and "no limit raises it" in problem.message


def test_a_deep_assembly_chain_is_not_document_depth():
    """rarebom files list parts flat, so a BOM's depth is not limited by max_depth: a chain
    of 10,000 assembly levels reads with max_depth at the file's 4 levels of elements.
    (A 100,000-level chain loads and traces too, in about 25 s: too slow to run here.)"""
    levels = 10_000
    loaded = rarebom.load(xml_chain(["1"] * levels).encode(), limits=Limits(max_depth=XML_DEPTH))
    assert len(loaded.bom.parts) == levels + 1
    assert str(rarebom.trace(loaded.bom)["p0"].mass) == "1 g"


# -- path multiplicity -----------------------------------------------------------------------


@pytest.mark.parametrize("exact", [False, True], ids=["float", "exact"])
def test_multiplicity_limit_at_and_past_it(exact):
    bom = chain_bom("1000", "1000", "1000")  # 10^9 screws in a level0
    assert rarebom.trace(bom, exact=exact, limits=Limits(max_multiplicity=1e9))["level0"].mass.nominal == 1e9
    with pytest.raises(rarebom.InvalidBomError) as info:
        rarebom.trace(bom, exact=exact, limits=Limits(max_multiplicity=1e9 - 1))
    [problem] = info.value.errors
    assert problem.code == "limit-exceeded"
    assert problem.parts == ("level0", "level1", "level2", "screw")
    assert "level0 -> level1 -> level2 -> screw multiply to 1.000e+9" in problem.message
    assert "--max-multiplicity" in problem.message


@pytest.mark.parametrize("exact", [False, True], ids=["float", "exact"])
@pytest.mark.parametrize("ceiling", [1e15, 1.7e308])
def test_ten_to_the_300_screws_is_a_located_error_not_inf(exact, ceiling):
    """1e300 x 1e300 overflows a float: before the limit, the float trace said "inf g" and the
    exact one raised OverflowError when printed. Even with the limit at float's edge it is an error."""
    fleet = Part(id="fleet", uses=(usage("plane", "1e300"),))
    plane = Part(id="plane", uses=(usage("screw", "1e300"),))
    screw = Part(id="screw", mass=Amount.parse("1", "g", Kind.MASS))
    bom = Bom(parts=(fleet, plane, screw))
    with pytest.raises(rarebom.InvalidBomError) as info:
        rarebom.trace(bom, exact=exact, limits=Limits(max_multiplicity=ceiling))
    [problem] = info.value.errors
    assert problem.code == "limit-exceeded"
    if ceiling == 1e15:  # the lowest part past the limit is named, with its path
        assert problem.parts == ("plane", "screw") and "1.000e+300" in problem.message
    else:
        assert problem.parts == ("fleet", "plane", "screw")
        assert ("1.000e+600" if exact else "beyond the range of floating point") in problem.message
    assert "inf" not in problem.message


def test_multiplicity_is_reported_once_at_the_lowest_part():
    bom = chain_bom("1e10", "1e10", "2", "2")
    with pytest.raises(rarebom.InvalidBomError) as info:
        rarebom.trace(bom)
    assert [f.parts[0] for f in info.value.errors] == ["level0"]


def test_a_float_trace_recomputed_exactly_keeps_the_limit():
    bom = chain_bom("1000", "1000")
    traced = rarebom.trace(bom, limits=Limits(max_multiplicity=1e6))
    assert traced.exact("level0").mass.nominal == 1_000_000


# -- the CLI ---------------------------------------------------------------------------------


def _run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "internal error" not in captured.err
    return code, captured.out + captured.err


def test_cli_input_size(tmp_path, capsys):
    path = tmp_path / "bom.json"
    path.write_text(json_chain(["2"]))
    n = path.stat().st_size
    assert _run(capsys, "validate", str(path), "--max-input-size", str(n))[0] == 0
    code, out = _run(capsys, "validate", str(path), "--max-input-size", str(n - 1))
    assert code == 2 and "max_input_bytes" in out and "--max-input-size" in out
    code, out = _run(capsys, "convert", str(path), str(tmp_path / "out.xml"), "--max-input-size", str(n - 1))
    assert code == 2 and "max_input_bytes" in out


def test_cli_parts_and_depth(tmp_path, capsys):
    path = tmp_path / "bom.json"
    path.write_text(json_chain(["1"] * 4))
    assert _run(capsys, "validate", str(path), "--max-parts", "5", "--max-depth", str(JSON_DEPTH))[0] == 0
    code, out = _run(capsys, "validate", str(path), "--max-parts", "4")
    assert code == 2 and "[limit-exceeded]" in out and "max_parts" in out
    code, out = _run(capsys, "convert", str(path), str(tmp_path / "out.xml"), "--max-depth", str(JSON_DEPTH - 1))
    assert code == 2 and "[limit-exceeded]" in out and "max_depth" in out
    assert not (tmp_path / "out.xml").exists()


def test_cli_multiplicity(tmp_path, capsys):
    path = tmp_path / "bom.json"
    path.write_text(json_chain(["1000", "1000"]))
    code, out = _run(capsys, "trace", str(path), "--max-multiplicity", "1e6", "-q")
    assert code == 0
    code, out = _run(capsys, "trace", str(path), "--max-multiplicity", "999999")
    assert code == 2 and "[limit-exceeded]" in out and "p0 -> p1 -> p2" in out


@pytest.mark.parametrize("option, value", [("--max-input-size", "lots"), ("--max-parts", "0"), ("--max-depth", "1.5"), ("--max-multiplicity", "inf")])
def test_cli_refuses_nonsense_limits(option, value, tmp_path, capsys):
    path = tmp_path / "bom.json"
    path.write_text(json_chain(["1"]))
    code, out = _run(capsys, "validate", str(path), option, value)
    assert code == 2 and option in out
