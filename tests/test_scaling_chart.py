"""The scaling curve of the end-to-end benchmark (benchmarks/scaling_chart.py): what it draws
is where the numbers put it, and the runner links it from the results."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from benchmarks import bench_trace
from benchmarks.scaling_chart import _step, points, scaling_svg

SVG = "{http://www.w3.org/2000/svg}"


def _row(parts: int, e2e_cpu_s: float, floor_cpu_s: float, peak_mib: float, *, validating_cpu_s: float | None = None, ran: bool = True) -> dict:
    floor = {"median_s": floor_cpu_s, "cpu_s": floor_cpu_s, "runs_s": [floor_cpu_s], "peak_rss_mib": 5.0, "elements": 10 * parts}
    row = {"shape": "synthetic", "parts": parts, "floor": floor}
    if validating_cpu_s is not None:
        row["floor_validating"] = {"median_s": validating_cpu_s, "cpu_s": validating_cpu_s, "runs_s": [validating_cpu_s], "peak_rss_mib": 5.0}
    row["e2e"] = {"median_s": e2e_cpu_s, "cpu_s": e2e_cpu_s, "runs_s": [e2e_cpu_s], "peak_rss_mib": peak_mib} if ran else {"skipped": "not run"}
    return row


def _parse(svg: str) -> etree._Element:
    return etree.fromstring(svg.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))


def _circles(root: etree._Element, series: str) -> list[tuple[float, float, str]]:
    (group,) = root.findall(f"{SVG}g[@data-series='{series}']")
    return [(float(c.get("cx")), float(c.get("cy")), c.findtext(f"{SVG}title")) for c in group.iter(f"{SVG}circle")]


ROWS = [
    _row(10_000, 1.2, 0.03, 80.0, validating_cpu_s=0.075),
    _row(100_000, 9.4, 0.3, 250.0, validating_cpu_s=0.75),
    _row(1_000_000, 120.0, 3.0, 2000.0, validating_cpu_s=7.5),
]


def test_the_points_are_the_costs_per_part_and_a_row_that_did_not_run_is_left_out():
    series = points([*ROWS, _row(3_000_000, 1.0, 9.0, 1.0, ran=False)], 3.0)
    assert series["end to end"] == [(10_000, 1.2 / 10_000), (100_000, 9.4 / 100_000), (1_000_000, 120.0 / 1_000_000)]
    assert series["target"] == [(p, 3.0 * f / p) for p, f in ((10_000, 0.03), (100_000, 0.3), (1_000_000, 3.0))]
    assert series["C floor, validating"][2] == (1_000_000, 7.5 / 1_000_000)
    assert series["memory"][1] == (100_000, 250.0 * 2**20 / 100_000)


def test_each_series_has_a_point_a_size_with_its_numbers():
    root = _parse(scaling_svg(ROWS))
    for series in ("end to end", "C floor, validating", "C floor", "target", "memory"):
        assert len(_circles(root, series)) == 3, series
    titles = [t for _, _, t in _circles(root, "end to end")]
    assert titles == ["end to end, 10,000 parts: 120.00 µs a part", "end to end, 100,000 parts: 94.00 µs a part", "end to end, 1,000,000 parts: 120.00 µs a part"]
    assert _circles(root, "memory")[2][2] == f"peak memory, end to end, 1,000,000 parts: {2000 * 2**20 / 1_000_000:,.0f} B a part"


def test_linear_growth_is_a_flat_line_and_more_per_part_is_higher():
    flat = [_row(10_000, 1.0, 0.03, 10.0), _row(100_000, 10.0, 0.3, 100.0), _row(1_000_000, 100.0, 3.0, 1000.0)]
    root = _parse(scaling_svg(flat))
    for series in ("end to end", "C floor", "target", "memory"):
        ys = {y for _, y, _ in _circles(root, series)}
        assert len(ys) == 1, series  # the cost per part does not move
    xs = [x for x, _, _ in _circles(root, "end to end")]
    assert xs[0] < xs[1] < xs[2] and xs[2] - xs[1] == pytest.approx(xs[1] - xs[0])  # one decade, one step
    (end,) = {y for _, y, _ in _circles(root, "end to end")}
    (floor,) = {y for _, y, _ in _circles(root, "C floor")}
    (target,) = {y for _, y, _ in _circles(root, "target")}
    assert end < target < floor  # SVG's y grows downwards: more time a part is higher up
    # A logarithmic axis: heights go as the logarithms of the ratios (3x the floor, 100 µs / 3 µs).
    assert (floor - target) / (floor - end) == pytest.approx(math.log10(3) / math.log10(100 / 3), abs=1e-3)
    root = _parse(scaling_svg(ROWS))
    ys = [y for _, y, _ in _circles(root, "end to end")]
    assert ys[1] > ys[0] == ys[2]  # 94 µs a part is below 120 µs, twice


def test_the_memory_target_line_is_at_its_bytes():
    at_target = [_row(10_000, 1.0, 0.03, 1024 * 10_000 / 2**20), _row(100_000, 10.0, 0.3, 2 * 1024 * 100_000 / 2**20)]
    root = _parse(scaling_svg(at_target, target_bytes=1024))
    (line,) = root.find(f"{SVG}g[@data-series='target memory']")
    ys = [y for _, y, _ in _circles(root, "memory")]
    assert float(line.get("y1")) == float(line.get("y2")) == pytest.approx(ys[0])
    zero = [y for y, label in ((float(t.get("y")), t.text) for t in root.iter(f"{SVG}text")) if label == "0"]
    # 2 KB is twice as high above 0 as 1 KB (a tick's label is 4 px below it; coordinates to 0.1 px)
    assert ys[0] - ys[1] == pytest.approx((zero[0] - 4) - ys[0], abs=0.2)


def test_one_size_is_no_curve():
    with pytest.raises(ValueError, match="at least two sizes"):
        scaling_svg([ROWS[0], _row(100_000, 1.0, 0.3, 1.0, ran=False)])


@given(st.floats(min_value=1, max_value=1e9))
def test_the_memory_axis_steps_are_round_and_few(top):
    step = _step(top)
    assert 4 < top / step <= 10 * (1 + 1e-12)
    unit = 1024 if top >= 1024 else 1
    scaled = step / unit
    mantissa = scaled / 10 ** math.floor(math.log10(scaled) + 1e-9)
    assert any(mantissa == pytest.approx(m) for m in (1, 2, 5))


def test_the_runner_draws_the_chart_and_links_it_from_the_results(tmp_path):
    document = tmp_path / "docs" / "performance.md"
    document.parent.mkdir()
    chart = bench_trace.write_chart(tmp_path / "docs" / "scaling.svg", ROWS, document)
    assert chart == "scaling.svg"
    assert len(_circles(_parse((tmp_path / "docs" / "scaling.svg").read_text(encoding="utf-8")), "end to end")) == 3
    for row in ROWS:
        row["e2e"].update(stderr_lines=0, finished_goods=["P1"], verdicts=9)
        row.update(file_bytes=1000, repeats=1)
    section = bench_trace.render(ROWS, [], "the floor", None, None, "python -m benchmarks.bench_trace", chart=chart)
    assert "](scaling.svg)" in section.split("Scaling, end to end")[1]
    assert "](" not in bench_trace.render(ROWS, [], "the floor", None, None, "python -m benchmarks.bench_trace")
    assert bench_trace.write_chart(tmp_path / "one.svg", ROWS[:1], document) is None and not (tmp_path / "one.svg").exists()
    assert bench_trace.write_chart(None, ROWS, document) is None
