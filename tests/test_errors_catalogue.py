"""docs/errors.md is a full catalogue: each code has a section with its meaning, an example
message and the fix; each exception's code is in it; and the JSON reports carry the codes."""

from __future__ import annotations

import inspect
import json
import re

import pytest

import rarebom
import rarebom.errors
import rarebom.rules
from rarebom.cli import main

from .conftest import EXAMPLES, REPO

CATALOGUE = (REPO / "docs" / "errors.md").read_text(encoding="utf-8")
_ROW = re.compile(r"^\| \[`([a-z0-9-]+)`\]\(#\1\) \| (error|warning)", re.M)
_SECTION = re.compile(r"^#### `([a-z0-9-]+)`\n(.*?)(?=^#{1,4} |\Z)", re.M | re.S)


def table_codes() -> list[str]:
    return _ROW.findall(CATALOGUE) and [code for code, _ in _ROW.findall(CATALOGUE)]


def sections() -> dict[str, str]:
    return {code: body for code, body in _SECTION.findall(CATALOGUE)}


def test_the_catalogue_parses():
    assert len(table_codes()) > 50 and "xml-syntax" in sections()
    assert len(table_codes()) == len(set(table_codes())), "a code listed twice"


@pytest.mark.parametrize("code", table_codes())
def test_every_catalogued_code_has_a_section_with_an_example_and_a_fix(code):
    body = sections().get(code)
    assert body is not None, f"docs/errors.md lists `{code}` but has no #### `{code}` section"
    severity = dict(_ROW.findall(CATALOGUE))[code]
    assert body.lstrip().startswith(f"**{severity.capitalize()}.**"), f"`{code}`: the section opens with **{severity.capitalize()}.** and its meaning"
    assert re.search(r"^```[a-z]*\n.+?^```$", body, re.M | re.S), f"`{code}`: no example message block"
    assert re.search(r"^\*\*Fix:\*\* \S", body, re.M), f"`{code}`: no **Fix:** line"


def test_every_section_is_in_the_table():
    assert sorted(set(sections()) - set(table_codes())) == []


def _exception_classes():
    for module in (rarebom.errors, rarebom.rules, *(m for name, m in inspect.getmembers(rarebom.rules, inspect.ismodule) if name != "packs_data")):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, rarebom.RarebomError) and "code" in vars(cls):
                yield cls


def test_every_exception_code_is_catalogued():
    classes = set(_exception_classes())
    assert {rarebom.InputError, rarebom.UnsafeInputError, rarebom.rules.RuleError} <= classes  # the scan works
    missing = sorted(f"{cls.__name__}: {cls.code}" for cls in classes if cls.code not in table_codes())
    assert not missing, f"exception codes missing from docs/errors.md's catalogue: {missing}"


# --- the codes reach the JSON reports ------------------------------------------------------

WARNED = REPO / "tests" / "data" / "import" / "granta" / "dirty-values-2412.xml"  # eight warning codes
TRACED = EXAMPLES / "smartphone.xml"  # traced with an unresolved-substance warning


def _json(capsys, argv) -> tuple[int, dict]:
    status = main(argv)
    return status, json.loads(capsys.readouterr().out)


def test_validate_json_carries_each_findings_code(write, capsys):
    bad = write("bad.json", '{"format": "rarebom", "formatVersion": "1.0", "parts": [{"id": "a", "id": "b"}]}')
    unsafe = write("unsafe.xml", '<!DOCTYPE bom [<!ENTITY e "x">]><bom xmlns="urn:rarebom:bom:1" formatVersion="1.0"/>')
    status, data = _json(capsys, ["validate", "-o", "json", str(WARNED), str(bad), str(unsafe)])
    assert status == 2
    by_file = {r["file"]: r for r in data["files"]} if isinstance(data, dict) and "files" in data else {r["file"]: r for r in data}
    expected = {f.code for f in rarebom.load(WARNED).findings}
    assert len(expected) >= 5 and {f["code"] for f in by_file[str(WARNED)]["findings"]} == expected
    assert [f["code"] for f in by_file[str(bad)]["findings"]][0] == "duplicate-key"
    assert [f["code"] for f in by_file[str(unsafe)]["findings"]] == ["unsafe-input"]
    for result in by_file.values():
        for finding in result["findings"]:
            assert finding["code"] in table_codes(), finding


@pytest.mark.parametrize("path", [WARNED, TRACED], ids=["reader-warnings", "trace-warnings"])
def test_trace_json_carries_each_findings_code(path, capsys):
    status, data = _json(capsys, ["trace", "-o", "json", str(path)])
    assert status in (0, 1)
    codes = {f["code"] for f in data["findings"]}
    evaluated = rarebom.trace(rarebom.load(path).bom)
    assert {f.code for f in (*rarebom.load(path).findings, *evaluated.findings)} <= codes
    assert codes and codes <= set(table_codes())
