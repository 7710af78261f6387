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
