"""Hypothesis-generated BOMs survive every round trip the format promises."""

import io
import json

import jsonschema
import pytest
from hypothesis import given
from lxml import etree

import rarebom
from rarebom._resources import schema_path
from rarebom.testing import boms


def _write(bom, fmt) -> bytes:
    buffer = io.BytesIO()
    rarebom.dump(bom, buffer, format=fmt)
    return buffer.getvalue()


def _read(data: bytes, fmt=None):
    return rarebom.load(data, format=fmt).bom


@pytest.mark.parametrize("fmt", ["rarebom-xml", "rarebom-json"])
@given(bom=boms())
def test_file_model_file(fmt, bom):
    first = _write(bom, fmt)
    back = _read(first)
    assert back == bom
    assert _write(back, fmt) == first


@given(boms())
def test_xml_json_xml(bom):
    xml = _write(bom, "rarebom-xml")
    via_json = _read(_write(_read(xml), "rarebom-json"))
    assert via_json == bom
    assert _write(via_json, "rarebom-xml") == xml


@given(boms())
def test_written_files_are_valid_against_the_published_schemas(bom):
    # The schemas on their own, with stock validators, accept what rarebom writes: a
    # third-party tool validating against them agrees with rarebom's readers.
    xsd = etree.XMLSchema(etree.parse(str(schema_path("bom-xml"))))
    xsd.assertValid(etree.fromstring(_write(bom, "rarebom-xml")))
    schema = json.loads(schema_path("bom-json").read_text())
    jsonschema.validate(json.loads(_write(bom, "rarebom-json")), schema, cls=jsonschema.Draft202012Validator)


@given(boms())
def test_generated_boms_pass_the_checks(bom):
    errors = [f for f in rarebom.check_bom(bom) if f.severity is rarebom.Severity.ERROR]
    assert errors == []
