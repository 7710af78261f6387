"""The end-to-end benchmark (benchmarks/bench_trace.py) at a small size: its results, never its timings.

It checks that the fast writer writes exactly what ``rarebom.dump`` writes, that the C floor
reads the whole file, that the command line's JSON report and the stage-by-stage pipeline
say the same about the same file, and that the two extreme shapes trace to the right
totals.
"""

from __future__ import annotations

import io
import json
from fractions import Fraction

import pytest
from hypothesis import given, settings

import rarebom
from benchmarks import bench_trace
from benchmarks.bench_import import count_elements
from benchmarks.bench_rollup import _time
from benchmarks.generate import synthetic_bom, write_xml
from rarebom.rules import load_rules
from rarebom.testing import boms

PARTS = 300
SEED = 3


def _dumped(bom) -> bytes:
    out = io.BytesIO()
    rarebom.dump(bom, out, format="rarebom-xml")
    return out.getvalue()


def _written(bom) -> bytes:
    out = io.BytesIO()
    write_xml(bom, out)
    return out.getvalue()


@pytest.fixture(scope="module")
def synthetic_file(tmp_path_factory):
    """The benchmark's own cached file: written in a fresh interpreter, as the runner does."""
    return bench_trace.bom_file("synthetic", PARTS, SEED, tmp_path_factory.mktemp("cache"))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_fast_writer_writes_what_dump_writes(seed):
    bom = synthetic_bom(PARTS, seed)
    assert _written(bom) == _dumped(bom)


@settings(max_examples=15)
@given(boms(max_parts=6))
def test_the_fast_writer_matches_dump_on_any_bom(bom):
    # Names, descriptions, provenance, bulk units, ranges, attributes: every field the model has.
    assert _written(bom) == _dumped(bom)


def test_the_fast_writer_escapes_what_lxml_escapes():
    tricky = 'a "quoted" <tag> & more > less\tTAB\nLF\rCR é'
    part = rarebom.Part(
        id=tricky,
        name=tricky,
        description=tricky,
        attributes=((tricky, tricky),),
        provenance=rarebom.Location(tricky, 7, tricky),
        classifications=(rarebom.Classification(scheme=tricky, code=tricky),),
    )
    top = rarebom.Part(id="top", uses=(rarebom.Usage(child=tricky, quantity=rarebom.Amount(kind=rarebom.Kind.COUNT, unit="each", value=Fraction(1))),))
    bom = rarebom.Bom(parts=[part, top], name=tricky, attributes={tricky: tricky})
    assert _written(bom) == _dumped(bom)
    assert rarebom.load(_written(bom)).bom.parts == bom.parts


def test_the_cached_file_loads_to_the_generated_model(synthetic_file):
    loaded = rarebom.load(synthetic_file)
    assert loaded.bom.parts == synthetic_bom(PARTS, SEED).parts
    assert loaded.bom.parts  # not vacuous


def test_the_cache_is_reused(synthetic_file):
    written = synthetic_file.stat().st_mtime_ns
    again = bench_trace.bom_file("synthetic", PARTS, SEED, synthetic_file.parent)
    assert again == synthetic_file
    assert again.stat().st_mtime_ns == written


def test_the_c_floor_reads_every_element(synthetic_file, tmp_path):
    command, name = bench_trace.build_floor(tmp_path)
    floor = bench_trace.measure_floor(command, synthetic_file, 1)
    assert floor["peak_rss_mib"] > 0
    if command is not None and "xmllint" not in command[0]:
        assert floor["elements"] == count_elements(synthetic_file)
    else:
        assert "pyexpat" in name or "xmllint" in name


def test_a_broken_file_fails_the_floor(tmp_path):
    command, _ = bench_trace.build_floor(tmp_path)
    broken = tmp_path / "broken.xml"
    broken.write_text('<bom xmlns="urn:rarebom:bom:1"><part id="A"></bom>', encoding="utf-8")
    with pytest.raises(RuntimeError):
        bench_trace.measure_floor(command, broken, 1)


def test_the_validating_floor_reads_every_element_and_refuses_an_invalid_file(synthetic_file, tmp_path):
    command, _ = bench_trace.build_floor(tmp_path)
    if command is None:
        pytest.skip("neither xmllint nor a C compiler with libxml2: no validating floor")
    floor = bench_trace.measure_floor(command, synthetic_file, 1, schema=bench_trace.XSD)
    if "xmllint" not in command[0]:
        assert floor["elements"] == count_elements(synthetic_file)
    invalid = tmp_path / "invalid.xml"  # well-formed, but a part without its id
    invalid.write_text('<bom xmlns="urn:rarebom:bom:1" formatVersion="1.0"><part/></bom>', encoding="utf-8")
    bench_trace.measure_floor(command, invalid, 1)  # the plain floor reads it
    with pytest.raises(RuntimeError, match="not valid|fails to validate"):
        bench_trace.measure_floor(command, invalid, 1, schema=bench_trace.XSD)


@pytest.fixture(scope="module")
def end_to_end(synthetic_file):
    return bench_trace.measure_e2e(synthetic_file, 1)


def test_end_to_end_reports_every_finished_good(end_to_end):
    bom = synthetic_bom(PARTS, SEED)
    expected = sorted(p.id for p in bom.finished_goods)
    assert end_to_end["finished_goods"] == expected
    assert len(expected) == bench_trace.expected_finished_goods("synthetic", PARTS, SEED)
    assert end_to_end["parts"] == PARTS
    assert end_to_end["verdicts"] == len(load_rules()) * len(expected)
    assert end_to_end["peak_rss_mib"] > 0


def test_the_stages_say_what_the_command_line_says(synthetic_file, end_to_end):
    stages = bench_trace.measure_stages(str(synthetic_file), 1)
    assert {k: stages[k] for k in ("parts", "finished_goods", "verdicts")} == {k: end_to_end[k] for k in ("parts", "finished_goods", "verdicts")}
    assert set(stages["median_s"]) == set(bench_trace.STAGES)
    assert stages["report_bytes"] > 0
    # The resident set after every stage, on Linux (where /proc says it).
    if stages["rss_before_mib"] is not None:
        assert list(stages["rss_after_mib"]) == list(bench_trace.STAGES)
        assert all(mib > 0 for mib in stages["rss_after_mib"].values())
    # and the high-water mark after each, where it can be lowered to the warm-up's first
    if stages["peak_reset"]:
        highest = stages["highest_after_mib"]
        assert list(highest) == list(bench_trace.STAGES)
        assert list(highest.values()) == sorted(highest.values())  # it only rises
        assert all(highest[s] >= stages["rss_after_mib"][s] for s in bench_trace.STAGES)
        assert highest["render"] <= stages["peak_rss_mib"]


@pytest.mark.parametrize(("shape", "nd_grams"), [("chain", Fraction(3, 10)), ("shared", 50 * Fraction(3, 10))])
def test_the_shapes_trace_to_the_right_totals(shape, nd_grams):
    bom = bench_trace.chain_bom(50) if shape == "chain" else bench_trace.shared_bom(50)
    assert len(bom) == (51 if shape == "chain" else 52)
    loaded = rarebom.load(_written(bom)).bom
    assert loaded.parts == bom.parts
    (root,) = loaded.finished_goods
    traced = rarebom.trace(loaded)
    assert traced[root.id].element("Nd").total.nominal == pytest.approx(float(nd_grams), rel=1e-12)


def test_the_section_renders_and_is_written_between_the_markers(synthetic_file, end_to_end, tmp_path):
    row = {"shape": "synthetic", "parts": PARTS, "file_bytes": synthetic_file.stat().st_size, "repeats": 1}
    row["floor"] = {"median_s": 0.01, "runs_s": [0.01], "cpu_s": 0.01, "peak_rss_mib": 5.0, "elements": 1234}
    row["e2e"] = end_to_end
    row["stages"] = {"median_s": dict.fromkeys(bench_trace.STAGES, 0.1), "cpu_s": dict.fromkeys(bench_trace.STAGES, 0.1), "peak_rss_mib": 50.0, "report_bytes": 1000}
    row["stages"].update(rss_before_mib=40.0, rss_after_mib={"load": 41.0, "trace": 43.0, "evaluate": 42.0, "report": 42.0, "render": 42.0})
    row["stages"]["highest_after_mib"] = {"load": 45.0, "trace": 47.0, "evaluate": 47.0, "report": 48.0, "render": 48.0}
    section = bench_trace.render([row], [], "the floor", None, None, "python -m benchmarks.bench_trace --sizes 300")
    assert f"| {PARTS} |" in section
    # Memory by stage: what each stage adds per part, and a stage that gave memory back.
    one, two = f"{2**20 / PARTS:,.0f} B", f"{2 * 2**20 / PARTS:,.0f} B"
    assert f"| {PARTS} | 40 MiB | 41 MiB (+{one}) | 43 MiB (+{two}) | 42 MiB (−{one}) | 42 MiB (+0 B) |" in section
    assert f"| {PARTS}, highest | | 45 MiB | 47 MiB | 47 MiB | 48 MiB | 48 MiB |" in section
    assert "1,234" in section
    document = tmp_path / "performance.md"
    document.write_text("# Performance\n\nintro\n", encoding="utf-8")
    bench_trace.write_section(document, section, bench_trace.MARKERS)
    bench_trace.write_section(document, section, bench_trace.MARKERS)  # replaced, not appended
    text = document.read_text(encoding="utf-8")
    assert text.count(bench_trace.MARKERS[0]) == 1
    assert text.startswith("# Performance\n\nintro\n")
    json.dumps(row)  # the runner saves rows as JSON


def test_a_negative_difference_of_timings_is_written_as_one():
    """End to end less the stages is negative when the machine drifted between the runs:
    written with its unit like any other time, not as millions of microseconds."""
    assert _time(-0.690663) == "−691 ms"
    assert _time(-2e-4) == "−200 µs"
    assert _time(0.690663) == "691 ms"


def test_a_time_that_rounds_up_takes_the_next_unit():
    """0.99982 s rounds to 1000 ms: it is written "1 s" (the tables once read "1e+03 ms")."""
    assert _time(0.99982) == "1 s" and _time(0.0009996) == "1 ms" and _time(999.7) == "1,000 s"
    assert _time(0.9994) == "999 ms" and _time(0.00099949) == "999 µs" and _time(999.4) == "999 s"
