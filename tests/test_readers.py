"""Every kind of broken file gives located errors: line numbers for XML, JSON pointers for JSON."""

import json

import pytest

import rarebom
from rarebom.errors import InvalidBomError

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<bom xmlns="urn:rarebom:bom:1" formatVersion="1.0">\n'

GOOD_XML = (
    HEAD
    + """  <part id="motor">
    <use part="magnet"><quantity value="8"/></use>
  </part>
  <part id="magnet">
    <mass value="25" unit="g"/>
    <material name="NdFeB" completeness="full">
      <substance element="Nd"><fraction value="30" unit="%"/></substance>
      <substance element="Fe"><fraction value="69" unit="%"/></substance>
      <substance element="B"><fraction value="1" unit="%"/></substance>
    </material>
  </part>
</bom>
"""
)


def _errors(path):
    with pytest.raises(InvalidBomError) as info:
        rarebom.load(path)
    return info.value.errors


def test_good_file_reads(write):
    result = rarebom.load(write("ok.xml", GOOD_XML))
    assert result.format == "rarebom-xml"
    assert [p.id for p in result.bom.finished_goods] == ["motor"]
    magnet = result.bom.part("magnet")
    assert magnet.mass.value == 25
    assert magnet.location.line == 6
    assert result.findings == ()


def test_xml_reports_every_problem_with_its_line(write):
    text = GOOD_XML.replace('value="8"', 'value="eight"').replace('value="25" unit="g"', 'value="25" unit="gramz"').replace('element="B"', 'element="Bx"')
    errors = _errors(write("bad.xml", text))
    lines = sorted((e.location.line, e.code) for e in errors)
    assert lines == [(4, "schema"), (7, "unit"), (11, "invalid-value")]
    messages = " | ".join(e.message for e in errors)
    assert "'eight'" in messages and "'gramz'" in messages and "'Bx'" in messages
    assert all(e.location.file.endswith("bad.xml") for e in errors)


def test_json_reports_every_problem_with_its_pointer(write, tmp_path):
    xml = write("ok.xml", GOOD_XML)
    rarebom.dump(rarebom.load(xml).bom, tmp_path / "ok.json")
    doc = json.loads((tmp_path / "ok.json").read_text())
    doc["parts"][0]["uses"][0]["quantity"]["value"] = "eight"
    doc["parts"][1]["mass"]["unit"] = "gramz"
    doc["parts"][1]["materials"][0]["substances"][2]["element"] = "Bx"
    errors = _errors(write("bad.json", json.dumps(doc, indent=1)))
    pointers = sorted(e.location.pointer for e in errors)
    assert pointers == ["/parts/0/uses/0/quantity/value", "/parts/1/mass", "/parts/1/materials/0/substances/2"]
    assert all(e.location.line is not None for e in errors)


def test_json_numbers_are_read_exactly(write):
    doc = {"format": "rarebom", "formatVersion": "1.0", "parts": [{"id": "a", "mass": {"value": 0.1, "unit": "kg"}}]}
    bom = rarebom.load(write("n.json", json.dumps(doc))).bom
    assert bom.part("a").mass.value == 100  # exactly, not 100.00000000000001


@pytest.mark.parametrize(
    "text, code, where",
    [
        ('{"format": "rarebom", "formatVersion": "1.0", "parts": [{"id": "a", "mass": {"value": NaN, "unit": "g"}}]}', "json-syntax", 1),
        ('{"format": "rarebom", "formatVersion": "1.0",\n "parts": [{"id": "a",}]}', "json-syntax", 2),
        ('{"format": "rarebom", "formatVersion": "1.0", "parts": [{"id": "a", "id": "b"}]}', "duplicate-key", 1),
        ('{"format": "rarebom", "formatVersion": "2.0", "parts": []}', "unsupported-version", None),
        ('{"format": "rarebom", "formatVersion": "1.0", "parts": [{"id": 5}]}', "schema", 1),
        ('{"format": "rarebom", "formatVersion": "1.0", "parts": []} trailing', "json-syntax", 1),
    ],
)
def test_json_syntax_and_structure_errors(write, text, code, where):
    errors = _errors(write("x.json", text))
    assert errors[0].code == code
    assert errors[0].location.line == where


@pytest.mark.parametrize(
    "body, code, line",
    [
        (HEAD + "<part id='a'><mass value='1' unit='g'/></part>\n<part id='a'/></bom>", "duplicate-part-id", 4),
        (HEAD + "<part id='a'><unknownThing/></part></bom>", "schema", 3),
        (HEAD + "<part id='a'></bom>", "xml-syntax", 3),
        ('<?xml version="1.0"?>\n<bom xmlns="urn:rarebom:bom:1" formatVersion="2.0"/>', "unsupported-version", 2),
        (HEAD + "<part id='a' uom='furlongz'/></bom>", "unit", 3),
    ],
)
def test_xml_structure_errors(write, body, code, line):
    errors = _errors(write("x.xml", body))
    assert errors[0].code == code
    assert errors[0].location.line == line


def test_unrecognised_files_are_input_errors(write):
    with pytest.raises(rarebom.InputError, match="neither XML, JSON, a text table nor an Excel workbook"):
        rarebom.load(write("x.bin", b"\x00\x01\x02 binary"))
    with pytest.raises(rarebom.InputError, match="root element <foo>"):
        rarebom.load(write("x.xml", "<foo/>"))
    with pytest.raises(rarebom.InputError, match="cannot open"):
        rarebom.load("/nonexistent/bom.xml")


def test_attributes_are_preserved_in_order(write):
    text = HEAD + '<attribute name="plant" value="Leipzig"/><part id="a"><attribute name="z" value="1"/><attribute name="a" value="2"/></part></bom>'
    bom = rarebom.load(write("a.xml", text)).bom
    assert bom.attributes == (("plant", "Leipzig"),)
    assert bom.part("a").attributes == (("z", "1"), ("a", "2"))


def test_large_xml_streams_and_frees_parts(write):
    # 20,000 parts read with the tree trimmed as it goes; the model holds every part.
    parts = "".join(f'<part id="p{i}"><mass value="1" unit="g"/></part>\n' for i in range(20000))
    uses = "".join(f'<use part="p{i}"><quantity value="1"/></use>' for i in range(20000))
    bom = rarebom.load(write("big.xml", HEAD + f'<part id="root">{uses}</part>\n' + parts + "</bom>")).bom
    assert len(bom) == 20001
    assert [p.id for p in bom.finished_goods] == ["root"]


def test_token_attributes_are_trimmed_as_the_xsd_does(write):
    text = HEAD + '<part id="a"><origin country=" CN " stage=" mined "/><material><substance element=" Nd "/></material></part></bom>'
    part = rarebom.load(write("ws.xml", text.replace('formatVersion="1.0"', 'formatVersion=" 1.0 "'))).bom.part("a")
    assert part.origins[0].country == "CN" and part.origins[0].stage is rarebom.Stage.MINED
    assert part.materials[0].substances[0].element == "Nd"


def test_control_characters_in_the_bom_header_are_located_errors(write):
    errors = _errors(write("ctl.json", '{"format":"rarebom","formatVersion":"1.0","name":"bad\\u0001name","parts":[]}'))
    assert errors[0].code == "invalid-value" and "U+0001" in errors[0].message


@pytest.mark.parametrize("unit", ["mL/L", "mol/mol", "radian", "count", "ppt", "degree"])
def test_dimensionless_units_that_are_not_mass_fractions_are_refused(write, unit):
    text = HEAD + f'<part id="a"><material><substance element="Nd"><fraction value="1" unit="{unit}"/></substance></material></part></bom>'
    errors = _errors(write("f.xml", text))
    assert errors[0].code == "unit" and "not a mass fraction" in errors[0].message
