"""Guarantees 1 and 8 of docs/robustness.md, fuzzed: every reader, on structurally mutated
files, either returns a BOM or raises a :class:`~rarebom.errors.RarebomError`; nothing else
escapes. Every BOM it accepts traces (again only RarebomError may escape), conserves mass
(elements + undeclared + unresolved = total, per part), and survives the round trip through
rarebom-json and rarebom-xml unchanged.

The mutators are in tests/fuzz_strategies.py; fuzz/atheris_harness.py runs the same check
coverage-guided for longer.
"""

from __future__ import annotations

import contextlib
import io

import pytest
from hypothesis import HealthCheck, given, settings

import rarebom
from rarebom.errors import RarebomError

from .fuzz_strategies import FORMATS, mutated, seeds

SEEDS = seeds()
#: Bounded for CI (2 cores): the whole file stays under a minute in the ci profile.
EXAMPLES = 40 if settings.default.max_examples >= 200 else 15


def conserves_mass(trace: rarebom.Trace) -> None:
    """The conservation invariant as tests/test_engine_properties.py states it: where every
    nominal is known, elements + undeclared + unresolved == mass, exactly."""
    for result in trace:
        nominal = [e.total.nominal for e in result.elements.values()] + [result.undeclared.total.nominal, result.unresolved.total.nominal]
        if result.mass.nominal is None or None in nominal:
            continue
        assert sum(nominal) == result.mass.nominal, result.part


def survives(data: bytes, fmt: str) -> rarebom.Bom | None:
    """Guarantee 1 on one input, and guarantee 8 when it is accepted; the BOM, or None."""
    try:
        bom = rarebom.load(data, format=fmt).bom
    except RarebomError:
        return None
    try:
        trace = rarebom.trace(bom, exact=True)
    except RarebomError:
        trace = None
    if trace is not None:
        conserves_mass(trace)
    for native in ("rarebom-json", "rarebom-xml"):
        buffer = io.BytesIO()
        rarebom.dump(bom, buffer, format=native)
        assert rarebom.load(buffer.getvalue(), format=native).bom == bom, native
    return bom


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_seed_is_read_and_survives(fmt):
    """The seeds themselves load (the fuzzing starts from valid files) and pass guarantee 8."""
    assert SEEDS[fmt], fmt
    accepted = [survives(data, fmt) for data in SEEDS[fmt]]
    assert any(bom is not None for bom in accepted), fmt


@pytest.mark.parametrize("fmt", FORMATS)
def test_mutated_files_raise_only_rarebom_errors(fmt):
    @settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
    @given(data=mutated(fmt))
    def check(data):
        survives(data, fmt)

    check()


@pytest.mark.parametrize("fmt", FORMATS)
def test_mutated_files_detected_without_a_format(fmt):
    """Format detection is part of every reader's entry: :func:`rarebom.load` without
    ``format=`` must also raise only RarebomError."""

    @settings(max_examples=EXAMPLES // 4, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=mutated(fmt))
    def check(data):
        with contextlib.suppress(RarebomError):
            rarebom.load(data)

    check()


def test_an_escape_fails_the_check(monkeypatch):
    """The check can fail: a reader that lets a KeyError out is caught, not swallowed."""
    from rarebom.formats import native_json

    def broken(stream, file):
        raise KeyError("units")

    monkeypatch.setattr(native_json, "read", broken)
    with pytest.raises(KeyError):
        survives(SEEDS["rarebom-json"][0], "rarebom-json")


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_mutators_change_the_files(fmt):
    """Each reader's strategy makes files that differ from every seed (it fuzzes, not replays)."""
    drawn = set()

    @settings(max_examples=10, database=None, suppress_health_check=list(HealthCheck))
    @given(data=mutated(fmt))
    def collect(data):
        drawn.add(data)

    collect()
    assert drawn - set(SEEDS[fmt]), fmt


@pytest.mark.parametrize("value", ["1.7e308", "1e308"])
def test_masses_near_the_float_limit_are_no_overflow_error(value):
    """Regression (fuzz/long_run.py): an exact trace's mass balance, and the check's
    percentage, called float() on Fractions beyond float range and let OverflowError out."""
    from lxml import etree

    root = etree.fromstring(SEEDS["rarebom-xml"][0])
    for element in root.iter("{*}mass"):
        element.set("value", value)
    survives(etree.tostring(root), "rarebom-xml")


def test_a_workbook_with_corrupt_deflate_data_is_an_invalid_workbook():
    """Regression (atheris, xlsx): a member whose deflate stream is corrupt raised zlib.error."""
    import zipfile

    from rarebom.errors import InvalidBomError

    from .fuzz_strategies import workbook

    data = bytearray(workbook([["Part Number", "Qty"], ["A-1", "1"]] * 40))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as book:
        info = book.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start : start + 8] = b"\xff" * 8
    with pytest.raises(InvalidBomError, match="cannot be read"):
        rarebom.load(bytes(data), format="xlsx")


def test_a_workbook_cut_short_before_its_first_part_is_an_invalid_workbook():
    """Regression (atheris, xlsx): bytes erased after the first member shift every offset
    zipfile computes, and reading the first member seeked to -1: ValueError, not a
    RarebomError. The first member here is the one the reader opens first."""
    import zipfile

    from rarebom.errors import InvalidBomError

    from .fuzz_strategies import workbook

    with zipfile.ZipFile(io.BytesIO(workbook([["Part Number", "Qty"], ["A-1", "1"]]))) as book:
        members = {name: book.read(name) for name in sorted(book.namelist(), key=lambda name: name != "_rels/.rels")}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        for name, member in members.items():
            book.writestr(name, member)
        second = book.infolist()[1]
    data = buffer.getvalue()
    assert rarebom.load(data, format="xlsx").bom.parts  # readable before the cut
    cut = second.header_offset + 40
    with pytest.raises(InvalidBomError, match="cannot be read: part _rels/.rels: negative seek"):
        rarebom.load(data[:cut] + data[cut + 1 :], format="xlsx")


@pytest.mark.parametrize("method", [12, 14], ids=["bzip2", "lzma"])
def test_a_workbook_part_whose_compression_method_lies_is_an_invalid_workbook(method):
    """Regression (atheris, xlsx): one flipped bit turned a deflated part into a "bzip2" or
    "LZMA" one, and the decompressor's OSError or LZMAError escaped."""
    import struct
    import zipfile

    from rarebom.errors import InvalidBomError

    from .fuzz_strategies import workbook

    data = bytearray(workbook([["Part Number", "Qty"], ["A-1", "1"]]))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as book:
        info = book.getinfo("_rels/.rels")
    struct.pack_into("<H", data, info.header_offset + 8, method)  # the local file header
    central = bytes(data).find(b"PK\x01\x02")
    while not bytes(data).startswith(info.filename.encode(), central + 46):
        central = bytes(data).find(b"PK\x01\x02", central + 1)
    struct.pack_into("<H", data, central + 10, method)  # its central directory entry
    with pytest.raises(InvalidBomError, match="cannot be read: part _rels/.rels"):
        rarebom.load(bytes(data), format="xlsx")


@pytest.mark.parametrize("unit", ["g/0", "1/0", "g/(0*g)", "mg/0kg"])
def test_a_unit_that_divides_by_zero_is_a_located_unit_error(unit):
    """Regression (fuzz/long_run.py, rarebom-json): a mutated unit "g/0" made pint divide
    an exact Fraction by zero, and ZeroDivisionError escaped load()."""
    import json

    from rarebom.errors import InvalidBomError

    document = {"format": "rarebom", "formatVersion": "1.0", "parts": [{"id": "p", "mass": {"value": "1", "unit": unit}}]}
    with pytest.raises(InvalidBomError) as info:
        rarebom.load(json.dumps(document).encode())
    [problem] = info.value.errors
    assert "divides by zero" in problem.message and problem.location.pointer == "/parts/0/mass"
