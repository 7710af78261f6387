"""Untrusted XML is refused before it can read a file, reach the network or blow up."""

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
