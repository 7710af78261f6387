"""The scaling curve of the end-to-end benchmark as an SVG chart (issue #8: "show the curve").

Two panels against the parts, on a logarithmic axis: the CPU time per part of
``rarebom trace FILE -o json``, with the C floors and the 3× target beside it, and the peak
memory per part, with the 1 KB target. Linear growth is a flat line in both. The SVG is
written by hand (no plotting library: rarebom's benchmarks need none), with every point's
numbers in its ``<title>``, so a reader of the chart can check it against the table.
"""

from __future__ import annotations

import math
from html import escape

WIDTH, HEIGHT = 760, 350
TOP, BOTTOM = 48, 268  # the plotting area's y range in each panel
PANELS = ((70, 350), (450, 730))  # the x ranges of the two panels
#: colour and dash of each series
STYLES = {
    "end to end": ("#1f5fbf", ""),
    "C floor, validating": ("#6b6b6b", ""),
    "C floor": ("#a8a8a8", ""),
    "target": ("#c0392b", "6 4"),
}


def points(rows: list[dict], target_ratio: float) -> dict[str, list[tuple[int, float]]]:
    """Each series of the chart as (parts, value per part) points, in the rows' order:
    CPU seconds per part end to end, of the C floors, and the target (``target_ratio`` times
    the C floor); and the peak memory, bytes per part. Rows whose end to end did not run
    are left out."""
    series: dict[str, list[tuple[int, float]]] = {"end to end": [], "C floor, validating": [], "C floor": [], "target": [], "memory": []}
    for row in rows:
        e2e, parts = row["e2e"], row["parts"]
        if "cpu_s" not in e2e:
            continue
        series["end to end"].append((parts, e2e["cpu_s"] / parts))
        series["C floor"].append((parts, row["floor"]["cpu_s"] / parts))
        series["target"].append((parts, target_ratio * row["floor"]["cpu_s"] / parts))
        if row.get("floor_validating"):
            series["C floor, validating"].append((parts, row["floor_validating"]["cpu_s"] / parts))
        series["memory"].append((parts, e2e["peak_rss_mib"] * 2**20 / parts))
    return series


def _decades(low: float, high: float) -> tuple[int, int]:
    return math.floor(math.log10(low)), max(math.ceil(math.log10(high)), math.floor(math.log10(low)) + 1)


def _parts_label(n: float) -> str:
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= size:
            return f"{n / size:g}{suffix}"
    return f"{n:g}"


def _seconds_label(s: float) -> str:
    for size, unit in ((1, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")):
        if s >= size * 0.999:
            return f"{s / size:g} {unit}"
    return f"{s:g} s"


def _bytes_label(b: float) -> str:
    if b == 0:
        return "0"
    return f"{b / 1024:g} KB" if b >= 1024 else f"{b:g} B"


def _step(top: float) -> float:
    """A round step in bytes that cuts 0..top into more than 4 and at most 10 intervals: 1, 2
    or 5 times a power of ten, of kilobytes (1,024 bytes) from 1 KB up, of bytes below."""
    unit = 1024 if top >= 1024 else 1
    exponent = math.floor(math.log10(top / unit)) - 1
    for factor in (1, 2, 5, 10):
        step = unit * factor * 10.0**exponent
        if top / step <= 10:
            return step
    raise AssertionError("not reached: top is below 100 times its decade's tenth")


def scaling_svg(rows: list[dict], *, target_ratio: float = 3.0, target_bytes: float = 1024, caption: str = "") -> str:
    """The SVG text of the chart for the benchmark's ``rows`` (two or more measured sizes)."""
    series = points(rows, target_ratio)
    measured = [p for p, _ in series["end to end"]]
    if len(measured) < 2:
        raise ValueError("a scaling curve needs the end to end of at least two sizes")
    x_low, x_high = _decades(min(measured), max(measured))
    cpu = [v for name in STYLES for _, v in series[name]]
    y_low, y_high = _decades(min(cpu), max(cpu))
    memory_top = max([v for _, v in series["memory"]] + [target_bytes])
    step = _step(memory_top)
    memory_top = math.ceil(memory_top * 1.05 / step) * step

    def x_of(panel: int, parts: float) -> float:
        left, right = PANELS[panel]
        return left + (math.log10(parts) - x_low) / (x_high - x_low) * (right - left)

    def y_cpu(seconds: float) -> float:
        return BOTTOM - (math.log10(seconds) - y_low) / (y_high - y_low) * (BOTTOM - TOP)

    def y_memory(per_part: float) -> float:
        return BOTTOM - per_part / memory_top * (BOTTOM - TOP)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11" role="img">',
        f"<title>{escape(caption or 'CPU time and peak memory per part against the number of parts')}</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    for panel, title, ticks in (
        (0, "CPU time per part (log scale)", [(y_cpu(10.0**d), _seconds_label(10.0**d)) for d in range(y_low, y_high + 1)]),
        (1, "peak memory per part", [(y_memory(v * step), _bytes_label(v * step)) for v in range(round(memory_top / step) + 1)]),
    ):
        left, right = PANELS[panel]
        out.append(f'<text x="{(left + right) / 2:.1f}" y="20" text-anchor="middle" font-size="13" font-weight="bold">{escape(title)}</text>')
        for y, label in ticks:
            out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#e4e4e4"/>')
            out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(label)}</text>')
        for d in range(x_low, x_high + 1):
            x = x_of(panel, 10.0**d)
            out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{BOTTOM}" stroke="#e4e4e4"/>')
            out.append(f'<text x="{x:.1f}" y="{BOTTOM + 16}" text-anchor="middle">{_parts_label(10.0**d)}</text>')
        out.append(f'<text x="{(left + right) / 2:.1f}" y="{BOTTOM + 34}" text-anchor="middle">parts (log scale)</text>')
        out.append(f'<rect x="{left}" y="{TOP}" width="{right - left}" height="{BOTTOM - TOP}" fill="none" stroke="#888888"/>')

    def line(panel: int, name: str, label: str, values: list[tuple[int, float]], y_of, colour: str, dash: str, show) -> None:
        coords = [(x_of(panel, p), y_of(v)) for p, v in values]
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<g class="series" data-series="{escape(name)}">')
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dashed} points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords) + '"/>')
        for (x, y), (p, v) in zip(coords, values, strict=True):
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{escape(f"{label}, {p:,} parts: {show(v)}")}</title></circle>')
        out.append("</g>")

    for name, (colour, dash) in STYLES.items():
        if series[name]:
            label = f"target: {target_ratio:g}× the C floor" if name == "target" else name
            line(0, name, label, series[name], y_cpu, colour, dash, lambda v: f"{v * 1e6:,.2f} µs a part")
    colour, dash = STYLES["target"]
    left, right = PANELS[1]
    y = y_memory(target_bytes)
    target = f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>'
    out.append(f'<g class="series" data-series="target memory">{target}</g>')
    line(1, "memory", "peak memory, end to end", series["memory"], y_memory, STYLES["end to end"][0], "", lambda v: f"{v:,.0f} B a part")
    # One legend for both panels, below them: the targets are 3× the C floor on the left
    # and the bytes per part on the right.
    x, y = PANELS[0][0], HEIGHT - 12
    for name, (colour, dash) in STYLES.items():
        if not series[name]:
            continue
        label = f"target: {target_ratio:g}× the C floor, {_bytes_label(target_bytes)} a part" if name == "target" else name
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<line x1="{x}" y1="{y - 4}" x2="{x + 22}" y2="{y - 4}" stroke="{colour}" stroke-width="2"{dashed}/>')
        out.append(f'<text x="{x + 27}" y="{y}">{escape(label)}</text>')
        x += 45 + 6 * len(label)
    out.append("</svg>")
    return "\n".join(out) + "\n"
