"""Untrusted XML is refused before it can read a file, reach the network or blow up."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import rarebom
from rarebom.errors import UnsafeInputError

BOM_OPEN = '<bom xmlns="urn:rarebom:bom:1" formatVersion="1.0">'


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-MARKER")
    return path


def _refused(path, capsys=None):
    with pytest.raises(UnsafeInputError, match="DOCTYPE") as info:
        rarebom.load(path)
    assert "TOP-SECRET-MARKER" not in str(info.value)
    return info.value


def test_xxe_local_file_is_refused(write, secret):
    text = f'<?xml version="1.0"?>\n<!DOCTYPE bom [<!ENTITY xxe SYSTEM "file://{secret}">]>\n{BOM_OPEN}<part id="&xxe;"/></bom>'
    error = _refused(write("xxe.xml", text))
    assert error.location.line == 2


def test_external_dtd_is_refused(write):
    _refused(write("ext.xml", f'<?xml version="1.0"?>\n<!DOCTYPE bom SYSTEM "http://127.0.0.1:9/x.dtd">\n{BOM_OPEN}</bom>'))


def test_billion_laughs_is_refused(write):
    lol = '<!ENTITY lol0 "lol">' + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    _refused(write("lol.xml", f'<?xml version="1.0"?>\n<!DOCTYPE bom [{lol}]>\n{BOM_OPEN}<part id="&lol9;"/></bom>'))


def test_quadratic_blowup_is_refused(write):
    big = "A" * 100_000
    _refused(write("quad.xml", f'<!DOCTYPE bom [<!ENTITY a "{big}">]>{BOM_OPEN}<part id="x" name="{"&a;" * 1000}"/></bom>'))


def test_doctype_hidden_behind_a_long_prolog_is_still_refused(write):
    # The prolog scan reads past comments and processing instructions to the root element.
    padding = "<!-- " + "x" * 200_000 + " -->\n"
    _refused(write("late.xml", f'<?xml version="1.0"?>\n{padding}<!DOCTYPE bom [<!ENTITY e "x">]>\n{BOM_OPEN}</bom>'))


def test_doctype_in_utf16_is_refused(write):
    text = f'<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE bom [<!ENTITY e "x">]>\n{BOM_OPEN}</bom>'
    _refused(write("u16.xml", text.encode("utf-16")))


def test_xinclude_is_not_processed(write, secret):
    text = f'{BOM_OPEN}<part id="a"><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{secret}" parse="text"/></part></bom>'
    with pytest.raises(rarebom.InvalidBomError) as info:
        rarebom.load(write("xi.xml", text))
    assert "TOP-SECRET-MARKER" not in str(info.value)
    assert info.value.errors[0].code == "schema"


def test_cli_refuses_with_exit_2_and_no_traceback(write, secret, capsys):
    from rarebom.cli import main

    path = write("xxe.xml", f'<!DOCTYPE bom [<!ENTITY xxe SYSTEM "file://{secret}">]>{BOM_OPEN}<part id="&xxe;"/></bom>')
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert "DOCTYPE" in captured.err and "Traceback" not in captured.err
    assert "TOP-SECRET-MARKER" not in captured.out + captured.err


# --- the importers share the hardened parser --------------------------------------------

IMPORTER_ROOTS = {
    "ipc-1752": '<MainDeclaration xmlns="http://webstds.ipc.org/175x/2.0" version="2.0"><Product><ProductID itemName="&xxe;"/></Product></MainDeclaration>',
    "iec-62474": '<Main xmlns="http://std.iec.ch/iec62474"><Product><ProductID name="&xxe;"/></Product></Main>',
    "granta-bom": (
        '<PartsEco xmlns="http://www.grantadesign.com/24/12/BillOfMaterialsEco"><Components><Part>'
        '<Quantity Unit="Each">1</Quantity><PartNumber>&xxe;</PartNumber></Part></Components></PartsEco>'
    ),
}


@pytest.mark.parametrize("fmt", sorted(IMPORTER_ROOTS))
@pytest.mark.parametrize("forced", [False, True], ids=["detected", "forced"])
def test_every_xml_importer_refuses_entities(fmt, forced, write, secret):
    root = IMPORTER_ROOTS[fmt]
    name = root[1 : root.index(" ")]
    path = write("decl.xml", f'<?xml version="1.0"?>\n<!DOCTYPE {name} [<!ENTITY xxe SYSTEM "file://{secret}">]>\n{root}')
    with pytest.raises(UnsafeInputError, match="DOCTYPE") as info:
        rarebom.load(path, format=fmt if forced else None)
    assert "TOP-SECRET-MARKER" not in str(info.value)


def test_a_workbook_sheet_with_entities_is_refused(tmp_path, secret):
    import zipfile

    path = tmp_path / "evil.xlsx"
    sheet = (
        f'<?xml version="1.0"?>\n<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Part Number</t></is></c><c r="B1" t="inlineStr"><is><t>Quantity</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>&xxe;</t></is></c><c r="B2"><v>1</v></c></row></sheetData></worksheet>'
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="BOM" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    with pytest.raises(rarebom.InputError) as info:
        rarebom.load(path)
    assert "DOCTYPE" in str(info.value) and "TOP-SECRET-MARKER" not in str(info.value)


# --- every attack against every XML reader, detected and forced ---------------------------
#
# Each attack is a function of (root element name, secret file, port of a watched socket)
# returning (what comes before the root, what goes inside it). The secret file holds a
# marker that must never appear in an error or a model; the socket must never be connected
# to. Timings are in docs/robustness.md (measured by a script, not asserted here).

SECRET = "TOP-SECRET-MARKER"
XI = "http://www.w3.org/2001/XInclude"
HUGE = 11_000_000  # above libxml2's 10 MB limit on one text node or attribute value

XML_ROOTS = {
    "rarebom-xml": ('<bom xmlns="urn:rarebom:bom:1" formatVersion="1.0">', "</bom>"),
    "ipc-1752": ('<MainDeclaration xmlns="http://webstds.ipc.org/175x/2.0" version="2.0">', "</MainDeclaration>"),
    "iec-62474": ('<Main xmlns="http://std.iec.ch/iec62474">', "</Main>"),
    "granta-bom": ('<PartsEco xmlns="http://www.grantadesign.com/24/12/BillOfMaterialsEco">', "</PartsEco>"),
}


def _lol(root):
    lol = '<!ENTITY lol0 "lol">' + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    return f"<!DOCTYPE {root} [{lol}]>", "<x>&lol9;</x>"


ATTACKS = {
    # refused at the prolog, before the parser sees the DOCTYPE
    "xxe-local-file": lambda root, secret, port: (f'<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file://{secret}">]>', "<x>&xxe;</x>"),
    "xxe-parameter-entity": lambda root, secret, port: (f'<!DOCTYPE {root} [<!ENTITY % ext SYSTEM "http://127.0.0.1:{port}/e.dtd"> %ext;]>', "<x/>"),
    "external-dtd": lambda root, secret, port: (f'<!DOCTYPE {root} SYSTEM "http://127.0.0.1:{port}/x.dtd">', "<x/>"),
    "billion-laughs": lambda root, secret, port: _lol(root),
    "quadratic-blowup": lambda root, secret, port: (f'<!DOCTYPE {root} [<!ENTITY a "{"A" * 100_000}">]>', f"<x>{'&a;' * 1000}</x>"),
    # parsed, and refused or ignored
    "xinclude": lambda root, secret, port: (
        "",
        f'<xi:include xmlns:xi="{XI}" href="file://{secret}" parse="text"/><xi:include xmlns:xi="{XI}" href="http://127.0.0.1:{port}/x.xml"/>',
    ),
    "deep-nesting": lambda root, secret, port: ("", "<x>" * 100_000 + "</x>" * 100_000),
    "huge-text-node": lambda root, secret, port: ("", f"<x>{'A' * HUGE}</x>"),
    "huge-attribute": lambda root, secret, port: ("", f'<x a="{"A" * HUGE}"/>'),
}
DOCTYPE_ATTACKS = {"xxe-local-file", "xxe-parameter-entity", "external-dtd", "billion-laughs", "quadratic-blowup"}
BAD_ENCODINGS = {
    "unknown-encoding": '<?xml version="1.0" encoding="x-no-such-encoding"?>',
    "lying-encoding": '<?xml version="1.0" encoding="UTF-16"?>',  # the bytes are UTF-8
}


def xml_attack(fmt: str, attack: str, secret, port: int) -> bytes:
    """The document of ``attack`` in the XML format ``fmt``."""
    open_tag, close_tag = XML_ROOTS[fmt]
    root = open_tag[1 : open_tag.index(" ")]
    if attack in BAD_ENCODINGS:
        return f"{BAD_ENCODINGS[attack]}\n{open_tag}<x/>{close_tag}".encode()
    prolog, body = ATTACKS[attack](root, secret, port)
    return f'<?xml version="1.0"?>\n{prolog}\n{open_tag}{body}{close_tag}'.encode()


def xlsx_attack(member: str, attack: str, secret, port: int) -> bytes:
    """A one-sheet workbook whose part ``member`` carries ``attack``."""
    import io
    import zipfile

    main_ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rels_ns = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts = {
        "xl/workbook.xml": (
            f'<workbook xmlns="{main_ns}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">',
            '<sheets><sheet name="BOM" sheetId="1" r:id="rId1"/></sheets></workbook>',
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{rels_ns}">',
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>",
        ),
        "xl/sharedStrings.xml": (f'<sst xmlns="{main_ns}">', "<si><t>Part Number</t></si><si><t>Quantity</t></si></sst>"),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{main_ns}">',
            '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
            '<row r="2"><c r="A2" t="inlineStr"><is><t>p1</t></is></c><c r="B2"><v>1</v></c></row></sheetData></worksheet>',
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        for name, (open_tag, rest) in parts.items():
            if name != member:
                archive.writestr(name, f'<?xml version="1.0"?>\n{open_tag}{rest}')
                continue
            root = open_tag[1 : open_tag.index(" ")]
            if attack in BAD_ENCODINGS:
                archive.writestr(name, f"{BAD_ENCODINGS[attack]}\n{open_tag}{rest}")
            else:
                prolog, body = ATTACKS[attack](root, secret, port)
                archive.writestr(name, f'<?xml version="1.0"?>\n{prolog}\n{open_tag}{body}{rest}')
    return buffer.getvalue()


@pytest.fixture
def watched_port():
    """A listening socket on 127.0.0.1; the test fails if anything connected to it."""
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        yield listener.getsockname()[1]
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing is waiting: no reader reached the network


def _attacked(path, fmt, forced, attack):
    """Load an attack file; return the error (or the result, for an attack that is ignored)."""
    try:
        result = rarebom.load(path, format=fmt if forced else None)
    except rarebom.InputError as exc:  # every refusal is a documented error, located
        assert SECRET not in str(exc)
        assert exc.location is not None and exc.location.file == str(path)
        if attack in DOCTYPE_ATTACKS:
            assert isinstance(exc, UnsafeInputError) and "DOCTYPE" in str(exc)
        return exc
    assert attack == "xinclude", f"{attack} was accepted"
    assert SECRET not in repr(result.bom)
    return result


ALL_ATTACKS = [*ATTACKS, *BAD_ENCODINGS]


@pytest.mark.parametrize("attack", ALL_ATTACKS)
@pytest.mark.parametrize("fmt", sorted(XML_ROOTS))
@pytest.mark.parametrize("forced", [False, True], ids=["detected", "forced"])
def test_every_xml_attack_on_every_xml_reader_is_refused(fmt, attack, forced, tmp_path, secret, watched_port):
    path = tmp_path / "attack.xml"
    path.write_bytes(xml_attack(fmt, attack, secret, watched_port))
    outcome = _attacked(path, fmt, forced, attack)
    if attack in {"huge-text-node", "huge-attribute", *BAD_ENCODINGS}:
        # libxml2's own limits (depth 256, 10 MB a node) or rarebom's (rarebom/limits.py)
        assert isinstance(outcome, rarebom.InvalidBomError) and [f.code for f in outcome.errors] in (["xml-syntax"], ["limit-exceeded"])
    if attack == "deep-nesting":  # past Limits.max_depth, 256, which is also libxml2's ceiling
        assert isinstance(outcome, rarebom.InvalidBomError) and [f.code for f in outcome.errors] == ["limit-exceeded"]


XLSX_MEMBERS = ["xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"]


@pytest.mark.parametrize("attack", ALL_ATTACKS)
@pytest.mark.parametrize("member", XLSX_MEMBERS, ids=["workbook", "rels", "shared-strings", "sheet"])
@pytest.mark.parametrize("forced", [False, True], ids=["detected", "forced"])
def test_every_xml_attack_on_every_workbook_part_is_refused(member, attack, forced, tmp_path, secret, watched_port):
    path = tmp_path / "attack.xlsx"
    path.write_bytes(xlsx_attack(member, attack, secret, watched_port))
    outcome = _attacked(path, "xlsx", forced, attack)
    if attack in {"deep-nesting", *BAD_ENCODINGS}:
        assert outcome.errors[0].code in ("invalid-workbook", "limit-exceeded")


def test_the_workbook_attack_builder_makes_a_readable_workbook(tmp_path, secret, watched_port):
    """The attack tests above are meaningful: without the attack the same workbook reads."""
    path = tmp_path / "ok.xlsx"
    path.write_bytes(xlsx_attack("none", "xinclude", secret, watched_port))
    assert "p1" in {p.id for p in rarebom.load(path).bom.parts}


@pytest.mark.parametrize("attack", ALL_ATTACKS)
def test_the_cli_refuses_every_xml_attack_with_exit_2(attack, tmp_path, secret, watched_port, capsys):
    from rarebom.cli import main

    path = tmp_path / "attack.xml"
    path.write_bytes(xml_attack("rarebom-xml", attack, secret, watched_port))
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "internal error" not in captured.err
    assert SECRET not in captured.out + captured.err


# --- JSON attacks -------------------------------------------------------------------------

JSON_HEAD = '{"format": "rarebom", "formatVersion": "1.0", "parts": '
JSON_MASS = JSON_HEAD + '[{"id": "a", "mass": {"value": %s, "unit": "g"}}]}'
JSON_QUANTITY = JSON_HEAD + '[{"id": "t", "uses": [{"part": "a", "quantity": {"value": %s}}]}, {"id": "a", "mass": {"value": "1", "unit": "g"}}]}'
JSON_ATTRIBUTES = JSON_HEAD + '[{"id": "a", "attributes": %s}]}'
DEPTH = 100_000

# (document, the codes that may report it, the JSON pointer of the first error or None)
JSON_ATTACKS = {
    "deep-objects": (JSON_ATTRIBUTES % ('{"x": ' * DEPTH + '"1"' + "}" * DEPTH), {"json-syntax", "limit-exceeded"}, None),
    "deep-arrays": (JSON_ATTRIBUTES % ("[" * DEPTH + "]" * DEPTH), {"json-syntax", "limit-exceeded"}, None),
    "deep-unclosed": (JSON_HEAD + "[" * DEPTH, {"json-syntax", "limit-exceeded"}, None),
    "huge-exponent": (JSON_MASS % "1e999999999", {"invalid-number"}, "/parts/0/mass"),
    "huge-negative-exponent": (JSON_MASS % "-1e999999999", {"invalid-number"}, "/parts/0/mass"),
    "huge-exponent-string": (JSON_MASS % '"1e999999999"', {"schema", "invalid-number"}, "/parts/0/mass/value"),
    "400-digit-integer": (JSON_MASS % ("1" + "0" * 400), {"invalid-number"}, "/parts/0/mass"),
    "400-digit-quantity": (JSON_QUANTITY % ("1" + "0" * 400), {"invalid-number", "limit-exceeded"}, "/parts/0/uses/0/quantity"),
    "5000-digit-integer": (JSON_MASS % ("9" * 5000), {"invalid-number"}, "/parts/0/mass"),  # past Python's int-string limit
    "nan": (JSON_MASS % "NaN", {"json-syntax"}, None),
    "infinity": (JSON_MASS % "Infinity", {"json-syntax"}, None),
    "minus-infinity": (JSON_QUANTITY % "-Infinity", {"json-syntax"}, None),
    "duplicate-key": (JSON_HEAD + '[{"id": "a", "id": "b"}]}', {"duplicate-key"}, "/parts/0"),
    "duplicate-top-key": ('{"format": "rarebom", "format": "rarebom", "formatVersion": "1.0", "parts": []}', {"duplicate-key"}, "/"),
    "parts-an-object": (JSON_HEAD + '{"id": "a"}}', {"json-syntax", "schema"}, None),
    "id-a-number": (JSON_HEAD + '[{"id": 5}]}', {"schema"}, "/parts/0/id"),
    "mass-a-string": (JSON_HEAD + '[{"id": "a", "mass": "1 g"}]}', {"schema"}, "/parts/0/mass"),
    "value-a-boolean": (JSON_MASS % "true", {"schema"}, "/parts/0/mass/value"),
    "value-null": (JSON_MASS % "null", {"schema"}, "/parts/0/mass/value"),
}


@pytest.mark.parametrize("attack", sorted(JSON_ATTACKS))
def test_json_attacks_are_located_errors(attack, write):
    text, codes, pointer = JSON_ATTACKS[attack]
    path = write("attack.json", text)
    with pytest.raises(rarebom.InvalidBomError) as info:
        rarebom.load(path)
    first = info.value.errors[0]
    assert first.code in codes, str(info.value)
    assert first.location.file == str(path) and first.location.line == 1
    if pointer is not None:
        assert first.location.pointer == pointer, str(info.value)
    # nothing escaped as a RecursionError, OverflowError or ValueError of the json module
    assert info.value.__cause__ is None or isinstance(info.value.__cause__, rarebom.RarebomError)


@pytest.mark.parametrize("attack", sorted(JSON_ATTACKS))
def test_the_cli_exits_2_on_every_json_attack(attack, write, capsys):
    from rarebom.cli import main

    path = write("attack.json", JSON_ATTACKS[attack][0])
    for command in (["validate", str(path)], ["trace", str(path)]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert f"{path}:1" in err and "Traceback" not in err and "internal error" not in err


def test_a_control_sequence_in_a_message_does_not_reach_the_terminal(tmp_path, capsys):
    """Finding messages quote the input; the CLI prints them to stderr neutralised."""
    from rarebom.cli import _print_findings, main
    from rarebom.errors import Location, warning

    hostile = "x\x1b[2J\x1b]8;;http://127.0.0.1:9/\x07link\x1b]8;;\x07\x08\r\x9b31m"
    _print_findings([warning("unit", f"part {hostile}: odd", Location(f"{hostile}.csv", 3))], quiet=False)
    err = capsys.readouterr().err
    assert not any(c in err for c in "\x1b\x07\x08\r\x9b")
    assert "\\x1b[2J" in err and "\\x07" in err and "\\x9b31m" in err
    # end to end: a file name with an escape sequence, in the "cannot open" error
    assert main(["validate", str(tmp_path / f"{hostile}.xml")]) == 2
    assert main(["trace", str(tmp_path / f"{hostile}.xml")]) == 2
    captured = capsys.readouterr()
    for stream in (captured.out, captured.err):
        assert not any(c in stream for c in "\x1b\x07\x08\r\x9b")
    assert "\\x1b[2J" in captured.err and "\\x1b[2J" in captured.out  # "<file>: invalid" on stdout


# -- memory safety of the streaming readers ----------------------------------------------------

_DATA = Path(__file__).parent / "data" / "import"
#: Each streaming reader, a file it reads, and the end tag of the element it drops once read.
STREAMED = {
    "rarebom-xml": (Path(__file__).parents[1] / "examples" / "ev-traction-motor.xml", b"</part>"),
    "granta-bom": (_DATA / "granta" / "bldc-motor-2412.xml", b"</Part>"),
    "iec-62474": (_DATA / "iec62474" / "hdd_nd_compliance_only.xml", b"</ProductPart>"),
    "ipc-1752": (_DATA / "ipc1752" / "rotor_1752b_subproducts.xml", b"</SubProduct>"),
}
#: 33 KB of comments on one line: the parser drops them and joins the spaces between them
#: into one text node after the element, which it grows across its read buffers.
COMMENT_RUN = b"<!-- x --> " * 3000

_SUMMARY = """
import hashlib, sys
import rarebom
try:
    result = rarebom.load(sys.argv[1])
    text = repr((result.bom, result.findings, result.format))
except rarebom.RarebomError as exc:
    text = repr(exc)
print(hashlib.sha256(text.encode()).hexdigest(), len(text))
"""


def _load_in_a_child(folder: Path, name: str) -> subprocess.CompletedProcess:
    """Load ``folder / name`` in a fresh interpreter, where a crash cannot take the tests down."""
    here = str(Path(rarebom.__file__).parents[1])  # the rarebom under test, wherever the child starts
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-c", _SUMMARY, name], cwd=folder, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("fmt", sorted(STREAMED))
def test_a_long_run_of_comments_after_a_dropped_element_is_read_safely(fmt, tmp_path):
    """A streaming reader drops each element once read. Removing it at its end tag used to
    free the text after it while libxml2 was still growing it, and the process died of heap
    corruption (a segmentation fault or "corrupted double-linked list"), or first reported a
    schema error the file does not have. ``_xmlsafe.Discard`` removes it one step later. The
    comments sit on the element's own line, so the file reads exactly as it does without them."""
    source, end_tag = STREAMED[fmt]
    data = source.read_bytes()
    assert data.count(end_tag) >= 3
    (tmp_path / "plain").mkdir()
    (tmp_path / "commented").mkdir()
    (tmp_path / "plain" / "bom.xml").write_bytes(data)
    (tmp_path / "commented" / "bom.xml").write_bytes(data.replace(end_tag, end_tag + COMMENT_RUN))
    plain = _load_in_a_child(tmp_path / "plain", "bom.xml")
    commented = _load_in_a_child(tmp_path / "commented", "bom.xml")
    assert plain.returncode == 0, plain.stderr
    assert commented.returncode == 0, commented.stderr[-2000:]
    assert commented.stdout == plain.stdout
