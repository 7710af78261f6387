"""Import benchmark: ``rarebom.load`` on the industry formats, next to rarebom's own XML.

For each size the runner generates a BOM with :func:`benchmarks.generate_formats.format_bom`
(the synthetic generator with little sharing, so that tree formats stay near the size of
the BOM) and writes it, into a temporary directory, as IEC 62474 (chemSHERPA style),
IPC-1752B, Granta BoM 24/12, an indented CSV, and rarebom XML as the reference. Then, for
each file, a fresh interpreter:

1. loads a 20-part file of the same format once, untimed: importing the reader, building
   pint's registry and loading the substance table happen there, not in the timings;
2. resets its peak RSS (``/proc/self/clear_refs``) and notes the RSS;
3. times ``rarebom.load(path)`` (read, build the model, ``check_bom``) over repeats, with
   ``gc.collect()`` before each, and takes the median;
4. notes the peak RSS (``VmHWM``, so libxml2's tree counts too, which ``tracemalloc``
   would not see), and times ``check_bom`` once on a fresh copy of the BOM, the share of
   the load that is not the reader's.

It checks that each file reads back with the expected number of parts and no errors. The
real public samples are measured the same way when present: Granta's
``medium-test-bom-2412.xml`` and the largest chemSHERPA-AI file. Run from the repository
root::

    python -m benchmarks.bench_import                          # 1000 10000 30000
    python -m benchmarks.bench_import 1000 10000 --formats granta-bom,csv
    python -m benchmarks.bench_import --write docs/performance.md
    python -m benchmarks.bench_import 10000 --profile granta-bom    # where its time goes
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rarebom
from rarebom import Bom

from .bench_rollup import REPO, _mib, _peak_rss_mib, _reset_peak_rss, _rss_mib, _time, machine, write_section
from .generate import describe
from .generate_formats import WRITERS, expected_parts, format_bom, write

MARKERS = ("<!-- bench_import:start -->", "<!-- bench_import:end -->")
DEFAULT_SIZES = (1000, 10_000, 30_000)
NATIVE = "rarebom-xml"
FORMATS = (*WRITERS, NATIVE)
WARMUP_PARTS = 20

#: The real public samples (third-party files, read in place and never copied), as the tests find them.
SAMPLES = REPO.parent / "shared" / "samples"
GRANTA_SAMPLE = "granta_bom2412__medium-test-bom-2412.xml"
CHEMSHERPA_SAMPLES = "iec62474_chemsherpa__SHAI_*.xml"


def default_repeats(parts: int) -> int:
    return 5 if parts <= 1000 else 3 if parts <= 10_000 else 1


@dataclass
class File:
    """A file to load: what it holds, how big it is, and how it was made."""

    label: str  # the size in parts, or the sample's name
    format: str
    path: str
    bytes: int
    elements: int  # XML elements, or table rows below the header
    nodes: int | None = None  # part occurrences written (a shared part once per path); None for samples
    write_s: float | None = None
    expected_parts: int | None = None
    parts: int | None = None  # the BOM's parts, for synthetic files


def _peak_mib() -> float:
    """This interpreter's peak RSS: ``VmHWM`` on Linux, else ``ru_maxrss``.

    Linux's ``ru_maxrss`` is at least the RSS the parent had when it forked this process
    (it survives ``exec``, and ``/proc/self/clear_refs`` does not lower it), so a runner
    holding a 50,000-part BOM would show in every case. ``VmHWM`` belongs to this process
    alone and is reset by ``clear_refs``.
    """
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 2**10
    except (OSError, StopIteration):
        return _peak_rss_mib()


def count_elements(path: Path) -> int:
    """The XML elements in a file: its start tags (``<`` cannot appear unescaped elsewhere)."""
    data = path.read_bytes()
    return data.count(b"<") - data.count(b"</") - data.count(b"<?") - data.count(b"<!")


# --- writing ---------------------------------------------------------------------------------


def write_files(bom: Bom, label: str, directory: Path, formats: list[str]) -> list[File]:
    """``bom`` in each of ``formats``, timed."""
    files = []
    for name in formats:
        started = time.perf_counter()
        if name == NATIVE:
            path = directory / f"{label}-{name}.xml"
            rarebom.dump(bom, path, format=NATIVE)
            seconds = time.perf_counter() - started
            size, elements, nodes, expected = path.stat().st_size, count_elements(path), len(bom), len(bom)
        else:
            path = directory / f"{label}-{name}{WRITERS[name][1]}"
            written = write(bom, name, path)
            seconds = time.perf_counter() - started
            size, elements, nodes, expected = written.bytes, written.elements, written.nodes, expected_parts(bom, name)
        files.append(File(label, name, str(path), size, elements, nodes=nodes, write_s=seconds, expected_parts=expected, parts=len(bom)))
    return files


def sample_files(directory: Path) -> list[File]:
    """The real samples present in ``directory``: Granta's medium test BoM and the largest chemSHERPA-AI file."""
    found = []
    granta = directory / GRANTA_SAMPLE
    if granta.is_file():
        found.append(File(granta.name, "granta-bom", str(granta), granta.stat().st_size, count_elements(granta)))
    chemsherpa = sorted(directory.glob(CHEMSHERPA_SAMPLES), key=lambda p: p.stat().st_size)
    if chemsherpa:
        largest = chemsherpa[-1]
        found.append(File(largest.name, "iec-62474", str(largest), largest.stat().st_size, count_elements(largest)))
    return found


# --- one case, in its own interpreter ---------------------------------------------------------


def run_case(path: str, warmup: str | None, repeats: int) -> dict[str, Any]:
    """Time ``rarebom.load(path)``; the result is JSON-ready."""
    if warmup:
        rarebom.load(warmup)
    gc.collect()
    result: dict[str, Any] = {"repeats": repeats, "peak_reset": _reset_peak_rss(), "rss_before_mib": _rss_mib()}
    runs = []
    for _ in range(repeats):
        loaded = None
        gc.collect()
        started = time.perf_counter()
        loaded = rarebom.load(path)
        runs.append(time.perf_counter() - started)
    result["peak_rss_mib"] = _peak_mib()
    result["runs_s"] = runs
    result["median_s"] = statistics.median(runs)
    bom = loaded.bom
    result["format"] = loaded.format
    result["parts_read"] = len(bom)
    result["warnings"] = len(loaded.findings)
    result["warning_codes"] = dict(Counter(f.code for f in loaded.findings).most_common(3))
    fresh = Bom(parts=bom.parts, name=bom.name, attributes=bom.attributes)  # no cached findings
    started = time.perf_counter()
    rarebom.check_bom(fresh)
    result["check_s"] = time.perf_counter() - started
    return result


def _spawn(file: File, warmup: str | None, repeats: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.bench_import", "--case", file.path, "--repeats", str(repeats)]
    if warmup:
        command += ["--warmup", warmup]
    completed = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if completed.returncode != 0:
        lines = completed.stderr.strip().splitlines() or [f"exit code {completed.returncode}"]
        return {"error": lines[-1]}
    result = json.loads(completed.stdout)
    if file.expected_parts is not None and result["parts_read"] != file.expected_parts:
        result["error"] = f"read {result['parts_read']} parts, expected {file.expected_parts}"
    return result


def profile(path: str, warmup: str | None, top: int = 25) -> str:
    """cProfile of one ``rarebom.load(path)`` after a warm-up: the functions by cumulative time."""
    if warmup:
        rarebom.load(warmup)
    profiler = cProfile.Profile()
    profiler.enable()
    rarebom.load(path)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# --- the report ----------------------------------------------------------------------------------


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n < 10e6 else f"{n / 1e6:.1f} MB"


def _rate(count: float, seconds: float) -> str:
    per_second = count / seconds
    return f"{per_second:,.0f}" if per_second >= 100 else f"{per_second:.3g}"


def _row(file: File, case: dict[str, Any], *, synthetic: bool) -> str:
    what = f"{int(file.label):,}" if synthetic else f"`{file.label}`"
    size = f"{_mb(file.bytes)} | {file.elements:,}"
    if synthetic:
        size += f" | {file.nodes:,}"
    if "error" in case:
        blanks = " |" * (8 if synthetic else 7)
        return f"| {what} | {file.format} | {size} | **failed**: {case['error']}{blanks}"
    seconds = case["median_s"]
    before = case["rss_before_mib"]
    grown = None if before is None else max(0.0, case["peak_rss_mib"] - before)
    mark = "" if case["peak_reset"] else " †"
    warnings = f"{case['warnings']:,}" + (f" ({', '.join(f'{code} {n:,}' for code, n in case['warning_codes'].items())})" if case["warnings"] else "")
    cells = [
        what,
        file.format,
        size,
        *([_time(file.write_s)] if synthetic else []),
        f"**{_time(seconds)}**",
        str(case["repeats"]),
        f"{case['parts_read']:,}",
        _rate(case["parts_read"], seconds),
        f"{file.bytes / 1e6 / seconds:.2g}",
        _time(case["check_s"]),
        f"{_mib(case['peak_rss_mib'])}{mark} / {_mib(grown)}{mark}",
        warnings,
    ]
    return "| " + " | ".join(cells) + " |"


def render(shapes: dict[int, dict], files: list[File], cases: dict[str, dict], samples: list[File], command: str, samples_dir: Path) -> str:
    info = machine()
    lines = [
        "### Import results",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} with `{command}`.",
        "",
        f"Machine: {info['CPU']}, {info['cores']} cores, {info['RAM']}, {info['OS']}, {info['Python']}; {info['libraries']}; "
        f"commit {info['commit']}; load average at start {info['load average at start (1 min)']}.",
        "",
        "The synthetic BOMs (`benchmarks.generate_formats.format_bom`: the generator with sharing 1.25 and no alternates); "
        "*tree nodes* counts every path from a finished good, which is what a tree format writes:",
        "",
        "| parts | depth | finished goods | assemblies | leaves | uses | substances | tree nodes |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for parts, shape in shapes.items():
        lines.append(
            f"| {parts:,} | {shape['depth']} | {shape['roots']} | {shape['assemblies']:,} | {shape['leaves']:,} | {shape['uses']:,} | "
            f"{shape['substances']:,} | {shape['exploded']:,} |"
        )
    lines += [
        "",
        "| parts | format | file | elements / rows | part nodes written | write | load (median) | runs | parts read | parts/s | MB/s | "
        "of which check_bom | peak RSS / growth | warnings |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    lines += [_row(file, cases[file.path], synthetic=True) for file in files]
    lines += ["", "Real public samples:", ""]
    if samples:
        lines += [
            "| file | format | size | elements | load (median) | runs | parts read | parts/s | MB/s | of which check_bom | peak RSS / growth | warnings |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        lines += [_row(file, cases[file.path], synthetic=False) for file in samples]
    else:
        lines.append(f"Skipped: the samples were not found in `{samples_dir}`.")
    lines += [
        "",
        "How to read this:",
        "",
        "- *load* is `rarebom.load(path)`, end to end: parse, build the model, share repeated sub-assemblies, and `check_bom`. "
        "Each file is timed in a fresh interpreter after one untimed load of a 20-part file of the same format "
        "(reader import, pint's registry and the substance table are not in the timings). *of which check_bom* is "
        "`check_bom` timed once on the same BOM; the reader's own time is the difference.",
        "- *elements / rows* counts XML elements, or the table's rows; *part nodes written* counts part occurrences: a "
        "sub-assembly used by two parents is written twice in a tree format, and rarebom XML writes each part once.",
        "- *parts/s* is parts read per second of *load*; *MB/s* is file megabytes per second.",
        "- *peak RSS* is the interpreter's high-water mark (`VmHWM`, which counts libxml2's tree; not `ru_maxrss`, which on Linux "
        "includes the RSS of the runner that started it); *growth* is how far the loads raised it above the RSS after the "
        "warm-up (the peak is reset there via `/proc/self/clear_refs`; † marks a system where that was impossible, so the "
        "peak may be the warm-up's).",
        "- Timings on a shared machine drift by 10–20 % between runs; compare rows of one run.",
        "",
    ]
    return "\n".join(lines)


# --- the runner -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_import", description="Time rarebom.load on synthetic BOMs in each industry format, and on real samples.")
    parser.add_argument("sizes", nargs="*", type=int, default=list(DEFAULT_SIZES), help="BOM sizes in parts (default 1000 10000 30000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=None, help="timed loads per file (default 5 up to 1,000 parts, 3 up to 10,000, then 1)")
    parser.add_argument("--formats", default=",".join(FORMATS), help=f"comma-separated, from {', '.join(FORMATS)} (default all)")
    parser.add_argument("--samples", type=Path, default=SAMPLES, help=f"the folder of real samples (default {SAMPLES}); skipped when absent")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="write the files into DIR and keep them (default: a temporary directory)")
    parser.add_argument("--profile", metavar="FORMAT", help="instead of timing, profile one load of each size in FORMAT and print the top functions")
    parser.add_argument("--write", type=Path, metavar="FILE", help="also write the results into FILE between the bench_import markers")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # internal: one file, JSON on stdout
    parser.add_argument("--warmup", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.case:
        print(json.dumps(run_case(args.case, args.warmup, args.repeats or 1)))
        return 0

    formats = [name.strip() for name in args.formats.split(",") if name.strip()]
    unknown = [name for name in formats if name not in FORMATS]
    if unknown:
        parser.error(f"unknown formats: {', '.join(unknown)}")
    if args.profile and args.profile not in FORMATS:
        parser.error(f"--profile takes one of {', '.join(FORMATS)}")
    if args.profile:
        formats = [args.profile]

    with tempfile.TemporaryDirectory(prefix="bench_import-") as temporary:
        directory = args.keep or Path(temporary)
        directory.mkdir(parents=True, exist_ok=True)
        warmups = {file.format: file.path for file in write_files(format_bom(WARMUP_PARTS, args.seed), "warmup", directory, formats)}

        shapes: dict[int, dict] = {}
        files: list[File] = []
        for parts in args.sizes:
            started = time.perf_counter()
            bom = format_bom(parts, args.seed)
            shapes[parts] = describe(bom)
            print(f"{parts:>9,} parts generated in {_time(time.perf_counter() - started)}", file=sys.stderr)
            written = write_files(bom, str(parts), directory, formats)
            del bom
            for file in written:
                print(f"{parts:>9,} {file.format:<11} wrote {_mb(file.bytes)}, {file.elements:,} elements or rows, in {_time(file.write_s)}", file=sys.stderr)
            files += written

        if args.profile:
            for file in files:
                print(f"## {file.format}, {int(file.label):,} parts\n\n{profile(file.path, warmups[file.format])}")
            return 0

        samples = sample_files(args.samples) if args.samples.is_dir() else []
        cases: dict[str, dict] = {}
        failed = False
        for file in files + samples:
            repeats = args.repeats or default_repeats(file.parts or 1000)
            case = cases[file.path] = _spawn(file, warmups.get(file.format), repeats)
            if "error" in case:
                failed = True
                print(f"{file.label:>9} {file.format:<11} FAILED: {case['error']}", file=sys.stderr)
            else:
                print(
                    f"{file.label:>9} {file.format:<11} load {_time(case['median_s'])} (median of {repeats}), {case['parts_read']:,} parts, peak RSS {_mib(case['peak_rss_mib'])}",
                    file=sys.stderr,
                )

    command = "python -m benchmarks.bench_import " + " ".join(str(s) for s in args.sizes)
    if args.formats != ",".join(FORMATS):
        command += f" --formats {args.formats}"
    section = render(shapes, files, cases, samples, command, args.samples)
    print(section)
    if args.write:
        write_section(args.write, section, MARKERS)
        print(f"wrote the results into {args.write}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
