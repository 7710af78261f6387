"""End-to-end benchmark: ``rarebom trace`` from a rarebom XML file to a JSON report, against the C floor.

For each size it writes one synthetic BOM (:func:`benchmarks.generate.synthetic_bom`, written
by :func:`benchmarks.generate.write_xml`) to a cache folder, keyed by shape, size and seed, so
a rerun reuses it. Then, each in a fresh process:

1. **the C floor**: libxml2's streaming reader over the whole file, doing nothing with it,
   which is what ``xmllint --stream`` does. xmllint is used when it is on PATH; otherwise a
   30-line C program against libxml2 is compiled with ``cc`` and ``xml2-config``; failing
   both, pyexpat without handlers (the table says which);
2. **the stages**, in one interpreter after an untimed warm-up on a 25-part example (so
   imports and pint's registry are not in them): ``rarebom.load`` (parse, build the model,
   ``check_bom``), ``rarebom.trace``, ``rarebom.rules.evaluate`` with the shipped rules,
   and the JSON report (``report_data`` and ``render_json``), each timed over repeats;
3. **end to end**: ``python -m rarebom trace FILE -o json --as-of 2026-11-22``, the report
   on stdout, timed from the spawn to the exit, interpreter start included.

Peak memory is each process's high-water mark (``VmHWM``, read by the process itself just
before it exits; Linux's ``ru_maxrss`` of a child counts the RSS of the runner that forked
it). The targets (issue #8): end to end within 3x the C floor, and at most 1 KB of peak
memory per part. Two shapes that break naive code run end to end too: a chain 100,000
levels deep and one part used by 100,000 parents. ``--profile N`` adds a cProfile of the
stages at N parts, grouped by where the time goes; ``--chart FILE`` draws the scaling curve,
the CPU time and peak memory per part against the parts, as an SVG
(:mod:`benchmarks.scaling_chart`). Run from the repository root::

    python -m benchmarks.bench_trace                                 # 10000 100000 1000000
    python -m benchmarks.bench_trace --sizes 10000 100000 --profile 100000 --write docs/performance.md
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from fractions import Fraction
from pathlib import Path
from typing import Any

from .bench_rollup import REPO, _reset_peak_rss, _rss_mib, _time, machine, write_section
from .scaling_chart import scaling_svg

MARKERS = ("<!-- bench_trace:start -->", "<!-- bench_trace:end -->")
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
AS_OF = "2026-11-22"
WARMUP = REPO / "examples" / "ev-traction-motor.xml"
TARGET_RATIO = 3.0  # end to end / C floor
TARGET_BYTES_PER_PART = 1024
SHAPE_SIZE = 100_000
#: rarebom XML's schema, which `rarebom trace` checks every part against
XSD = REPO / "schemas" / "rarebom-bom-1.xsd"
#: Bump when the generator or the writer changes what a cached file holds.
CACHE_VERSION = 1

# The C floor: what `xmllint --stream FILE` does (xmlReaderForFile and a xmlTextReaderRead
# loop), counting elements so the test can check it read the whole file, and printing its
# own peak RSS. Given the XSD as well, it validates as it reads, as `xmllint --stream
# --schema XSD FILE` does: the floor of a reader that checks the file against its schema.
FLOOR_C = r"""
#include <stdio.h>
#include <string.h>
#include <libxml/xmlreader.h>

static long peak_kib(void) {
    char line[256];
    long kib = -1;
    FILE *status = fopen("/proc/self/status", "r");
    if (status == NULL) return -1;
    while (fgets(line, sizeof line, status) != NULL)
        if (strncmp(line, "VmHWM:", 6) == 0) kib = strtol(line + 6, NULL, 10);
    fclose(status);
    return kib;
}

int main(int argc, char **argv) {
    if (argc != 2 && argc != 3) { fprintf(stderr, "usage: %s FILE [XSD]\n", argv[0]); return 2; }
    xmlTextReaderPtr reader = xmlReaderForFile(argv[1], NULL, 0);
    if (reader == NULL) { fprintf(stderr, "%s: cannot open\n", argv[1]); return 1; }
    if (argc == 3 && xmlTextReaderSchemaValidate(reader, argv[2]) != 0) { fprintf(stderr, "%s: cannot load the schema\n", argv[2]); return 1; }
    long elements = 0;
    int status;
    while ((status = xmlTextReaderRead(reader)) == 1)
        if (xmlTextReaderNodeType(reader) == XML_READER_TYPE_ELEMENT) elements++;
    int valid = argc == 3 ? xmlTextReaderIsValid(reader) : 1;
    xmlFreeTextReader(reader);
    xmlCleanupParser();
    if (status != 0) { fprintf(stderr, "%s: not well-formed\n", argv[1]); return 1; }
    if (valid != 1) { fprintf(stderr, "%s: not valid against %s\n", argv[1], argv[2]); return 1; }
    printf("%ld %ld\n", elements, peak_kib());
    return 0;
}
"""

# The last resort: expat in C, called from Python with no handlers.
FLOOR_EXPAT = """
import pyexpat, sys
parser = pyexpat.ParserCreate()
with open(sys.argv[1], "rb") as handle:
    parser.ParseFile(handle)
"""

# `python -m rarebom`, plus one line on stderr with the interpreter's peak RSS at exit.
E2E_WRAPPER = """
import atexit, runpy, sys

def _peak():
    try:
        with open("/proc/self/status") as status:
            kib = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return
    sys.stderr.write(f"\\nbench_trace peak KiB {kib}\\n")
    sys.stderr.flush()

atexit.register(_peak)
sys.argv = ["rarebom", *sys.argv[1:]]
runpy.run_module("rarebom", run_name="__main__", alter_sys=True)
"""
_PEAK_LINE = "bench_trace peak KiB "


# --- the files ------------------------------------------------------------------------------


def chain_bom(levels: int):
    """A chain ``levels`` deep: each assembly uses the next, the last is a 1 g Nd magnet."""
    from rarebom import Amount, Bom, Classification, Completeness, Kind, Material, Part, Substance, Usage

    width = len(str(levels))
    one = Amount(kind=Kind.COUNT, unit="each", value=Fraction(1))
    parts = [Part(id=f"C{level:0{width}d}", uses=(Usage(child=f"C{level + 1:0{width}d}", quantity=one),)) for level in range(levels)]
    magnet = Material(
        name="NdFeB",
        amount=Amount(kind=Kind.FRACTION, unit="%", value=Fraction(1)),
        completeness=Completeness.FULL,
        substances=(
            Substance(element="Nd", amount=Amount(kind=Kind.FRACTION, unit="%", value=Fraction(30, 100))),
            Substance(element="Fe", amount=Amount(kind=Kind.FRACTION, unit="%", value=Fraction(70, 100))),
        ),
    )
    leaf = Part(
        id=f"C{levels:0{width}d}",
        mass=Amount(kind=Kind.MASS, unit="g", value=Fraction(1)),
        materials=(magnet,),
        classifications=(Classification(scheme="item-class", code="rare-earth-permanent-magnet"),),
    )
    return Bom(parts=[*parts, leaf], name=f"a chain {levels} levels deep")


def shared_bom(parents: int):
    """One finished good using ``parents`` assemblies, each using the same 1 g Nd magnet."""
    from rarebom import Bom, Part, Usage

    chain = chain_bom(1)  # C0 uses the magnet C1
    magnet = chain.parts[1]
    width = len(str(parents))
    one = chain.parts[0].uses[0].quantity
    middle = [Part(id=f"S{number:0{width}d}", uses=(Usage(child=magnet.id, quantity=one),)) for number in range(parents)]
    root = Part(id="ROOT", uses=tuple(Usage(child=p.id, quantity=one) for p in middle))
    return Bom(parts=[root, *middle, magnet], name=f"one part used by {parents} parents")


SHAPES = {
    "synthetic": "the generator's layered DAG",
    "chain": "a chain of assemblies, each using the next",
    "shared": "one part used by every assembly of one finished good",
}


def expected_finished_goods(shape: str, parts: int, seed: int) -> int | None:
    """How many finished goods the file of ``shape`` has (None: known only by generating it)."""
    if shape in ("chain", "shared"):
        return 1
    from .generate import level_sizes

    return level_sizes(parts)[0]


def generate_file(shape: str, parts: int, seed: int, path: Path) -> None:
    """Write the BOM of ``shape`` (``parts`` parts, or levels or parents for the shapes) to ``path``."""
    from .generate import synthetic_bom, write_xml

    bom = synthetic_bom(parts, seed) if shape == "synthetic" else chain_bom(parts) if shape == "chain" else shared_bom(parts)
    temporary = path.with_suffix(".partial")
    with open(temporary, "wb") as stream:
        write_xml(bom, stream)
    os.replace(temporary, path)


def bom_file(shape: str, parts: int, seed: int, cache: Path) -> Path:
    """The cached file of ``shape`` at ``parts``, written in a fresh interpreter if missing
    (so that this runner never holds a BOM, which would show in its children's memory)."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{shape}-{parts}-seed{seed}-v{CACHE_VERSION}.xml"
    if not path.exists():
        command = [sys.executable, "-m", "benchmarks.bench_trace", "--generate", shape, str(parts), str(seed), str(path)]
        subprocess.run(command, cwd=REPO, check=True)
    return path


# --- running a process ------------------------------------------------------------------------


def _run(command: list[str], stdout) -> tuple[float, int, Any, str]:
    """Run ``command``: wall seconds, exit code, resource usage, stderr text."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=stdout, stderr=errors, cwd=REPO)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        return seconds, process.returncode, usage, errors.read().decode("utf-8", "replace")


def _usage_peak_mib(usage) -> float:
    return usage.ru_maxrss / 2**20 if sys.platform == "darwin" else usage.ru_maxrss / 2**10


# --- the C floor --------------------------------------------------------------------------------


def build_floor(directory: Path) -> tuple[list[str] | None, str]:
    """The command of the C floor and what it is: xmllint if on PATH, else the C program
    compiled into ``directory``, else None (pyexpat will stand in)."""
    xmllint = shutil.which("xmllint")
    if xmllint:
        return [xmllint, "--stream", "--noout"], "`xmllint --stream`"
    compiler, config = shutil.which("cc") or shutil.which("gcc"), shutil.which("xml2-config")
    if compiler and config:
        flags = subprocess.run([config, "--cflags", "--libs"], capture_output=True, text=True, check=False).stdout.split()
        source, binary = directory / "floor.c", directory / "floor"
        source.write_text(FLOOR_C, encoding="utf-8")
        built = subprocess.run([compiler, "-O2", "-o", str(binary), str(source), *flags], capture_output=True, text=True, check=False)
        if built.returncode == 0:
            return [str(binary)], "libxml2 `xmlTextReaderRead` loop in C (what `xmllint --stream` does)"
    return None, "pyexpat without handlers (no xmllint, no C compiler with libxml2: a slower floor)"


def measure_floor(command: list[str] | None, path: Path, repeats: int, *, schema: Path | None = None) -> dict[str, Any]:
    """Median wall time of the floor over ``path``, its peak RSS, and the elements it read (the C program only).
    With ``schema``, the floor validates against it as it reads (xmllint or the C program only)."""
    if command is None:
        if schema is not None:
            raise ValueError("pyexpat does not validate: no validating floor without xmllint or the C program")
        command = [sys.executable, "-c", FLOOR_EXPAT]
    if schema is None:
        full = [*command, str(path)]
    elif Path(command[0]).name == "xmllint":
        full = [*command, "--schema", str(schema), str(path)]
    else:
        full = [*command, str(path), str(schema)]
    runs, cpu, peaks, elements = [], [], [], None
    for _ in range(repeats):
        with tempfile.TemporaryFile() as out:
            seconds, code, usage, errors = _run(full, out)
            out.seek(0)
            printed = out.read().decode().split()
        if code != 0:
            raise RuntimeError(f"the C floor failed on {path}: {errors.strip()}")
        runs.append(seconds)
        cpu.append(usage.ru_utime + usage.ru_stime)
        if len(printed) == 2:  # our C program: elements and its own peak
            elements = int(printed[0])
            peaks.append(int(printed[1]) / 2**10)
        else:
            peaks.append(_usage_peak_mib(usage))
    return {"median_s": statistics.median(runs), "runs_s": runs, "cpu_s": statistics.median(cpu), "peak_rss_mib": max(peaks), "elements": elements}


# --- the stages, in one interpreter ----------------------------------------------------------------


def _vmhwm_mib() -> float:
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 2**10
    except (OSError, StopIteration):
        from .bench_rollup import _peak_rss_mib

        return _peak_rss_mib()


def _pipeline(
    path: str,
    rules,
    timings: dict[str, list[float]] | None = None,
    cpu: dict[str, list[float]] | None = None,
    rss: dict[str, float | None] | None = None,
    highest: dict[str, float | None] | None = None,
) -> tuple[dict, str]:
    """What ``rarebom trace FILE -o json`` does, stage by stage; returns the report data and text.
    ``rss`` gets the resident set size after each stage (after a collection, outside the
    timing), and ``highest`` the process's high-water mark then: the most the stage and
    those before it held at any moment."""
    import rarebom
    from rarebom._batch import _collector_paused
    from rarebom.report import Input, render_json, report_data
    from rarebom.rules import evaluate

    def timed(name, work):
        if timings is not None:
            gc.collect()
        started, started_cpu = time.perf_counter(), time.process_time()
        result = work()
        if timings is not None:
            timings[name].append(time.perf_counter() - started)
        if cpu is not None:
            cpu[name].append(time.process_time() - started_cpu)
        if highest is not None:
            highest[name] = _vmhwm_mib()
        if rss is not None:
            gc.collect()
            rss[name] = _rss_mib()
        return result

    # With the cyclic garbage collector off, as `rarebom trace` runs each file
    # (rarebom._batch._collector_paused); the collections between stages are explicit.
    with _collector_paused():
        loaded = timed("load", lambda: rarebom.load(path))
        traced = timed("trace", lambda: rarebom.trace(loaded.bom))
        evaluation = timed("evaluate", lambda: evaluate(traced, rules, as_of=AS_OF))
        data = timed("report", lambda: report_data([Input(path, loaded.format, evaluation, loaded.findings)]))
        text = timed("render", lambda: render_json(data))
    return data, text


STAGES = ("load", "trace", "evaluate", "report", "render")
STAGE_NAMES = {
    "load": "`rarebom.load`: parse, build the model, `check_bom`",
    "trace": "`rarebom.trace`: compile, roll up (`check_bom` comes from load)",
    "evaluate": "`rarebom.rules.evaluate`, the shipped rules",
    "report": "`report_data`: the report as plain data",
    "render": "`render_json`: the JSON text",
}


def measure_stages(path: str, repeats: int) -> dict[str, Any]:
    """Time each stage of the pipeline over ``repeats`` runs in this interpreter, after a warm-up."""
    from rarebom.rules import load_rules

    rules = load_rules()
    _pipeline(str(WARMUP), rules)
    gc.collect()
    result: dict[str, Any] = {"repeats": repeats, "peak_reset": _reset_peak_rss(), "rss_before_mib": _rss_mib()}
    timings: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    data = text = None
    rss: dict[str, float | None] = {}
    highest: dict[str, float | None] = {}
    for n in range(repeats):
        data = text = None
        data, text = _pipeline(path, rules, timings, cpu, rss if n == 0 else None, highest if n == 0 else None)
    result["rss_after_mib"] = rss
    if result["peak_reset"]:  # the high-water mark counts from the warm-up on, not from the imports
        result["highest_after_mib"] = highest
    result["peak_rss_mib"] = _vmhwm_mib()
    result["runs_s"] = dict(timings)
    result["median_s"] = {name: statistics.median(runs) for name, runs in timings.items()}
    result["cpu_s"] = {name: statistics.median(runs) for name, runs in cpu.items()}
    result.update(_summary(data))
    result["report_bytes"] = len(text.encode("utf-8"))
    return result


def _summary(data: dict) -> dict[str, Any]:
    """What a report says, for checking that every way of producing it says the same."""
    products = data["products"]
    return {
        "parts": data["inputs"][0]["parts"],
        "finished_goods": sorted(p["finished_good"] for p in products),
        "verdicts": sum(len(p["verdicts"]) for p in products),
    }


# --- end to end -----------------------------------------------------------------------------------------


def e2e_command(path: Path) -> list[str]:
    return [sys.executable, "-c", E2E_WRAPPER, "trace", str(path), "-o", "json", "--as-of", AS_OF]


def measure_e2e(path: Path, repeats: int) -> dict[str, Any]:
    """Median wall time and peak RSS of ``python -m rarebom trace FILE -o json``, the report checked."""
    runs, cpu, peaks, summary = [], [], [], None
    for _ in range(repeats):
        with tempfile.TemporaryFile() as out:
            seconds, code, usage, errors = _run(e2e_command(path), out)
            if code != 0:
                raise RuntimeError(f"rarebom trace exited {code} on {path}: {errors.strip()[-2000:]}")
            out.seek(0)
            summary = _summary(json.load(out))
        runs.append(seconds)
        cpu.append(usage.ru_utime + usage.ru_stime)
        peak = next((line[len(_PEAK_LINE) :] for line in reversed(errors.splitlines()) if line.startswith(_PEAK_LINE)), None)
        peaks.append(int(peak) / 2**10 if peak else _usage_peak_mib(usage))
        warnings = [line for line in errors.splitlines() if line.strip() and not line.startswith(_PEAK_LINE)]
    return {"median_s": statistics.median(runs), "runs_s": runs, "cpu_s": statistics.median(cpu), "peak_rss_mib": max(peaks), "stderr_lines": len(warnings), **summary}


# --- the profile ------------------------------------------------------------------------------------------

# Where a function's own time goes, by the file it is in (first match wins).
_GROUPS = (
    ("XML parse (lxml, rarebom's XML reader)", ("lxml", "_xmlsafe.py", "native_xml.py")),
    ("exact numbers (fractions, decimal parsing)", ("fractions.py", "decimal", "units.py")),
    ("model building (raw dicts to attrs classes)", ("formats/native.py", "formats/__init__.py", "model.py", "<attrs generated", "attr/")),
    ("check_bom", ("checks.py", "limits.py")),
    ("engine: compile and roll-up", ("engine/",)),
    ("chemistry (substance resolution)", ("chemistry.py",)),
    ("rules", ("rules/",)),
    ("report", ("report/", "json/", "hashlib")),
)
# The pipeline's entry points, for cumulative times.
_ENTRY_POINTS = (
    ("formats/__init__.py", "load", "rarebom.load"),
    ("formats/native_xml.py", "read", "of which the XML reader (parse and model)"),
    ("checks.py", "check_bom", "check_bom (run in load; trace reuses its findings)"),
    ("engine/trace.py", "trace", "rarebom.trace"),
    ("engine/rollup.py", "compile_bom", "of which compile_bom"),
    ("engine/rollup.py", "rollup", "of which rollup"),
    ("engine/vector.py", "rollup_arrays", "of which rollup_arrays (numpy)"),
    ("rules/evaluate.py", "evaluate", "rules.evaluate"),
    ("report/data.py", "report_data", "report_data"),
    ("report/__init__.py", "render_json", "render_json"),
)


def _group(filename: str, function: str) -> str:
    where = filename.replace(os.sep, "/")
    if where == "~":  # a builtin: lxml's C methods name their class
        where = function
    for name, needles in _GROUPS:
        if any(needle in where for needle in needles):
            return name
    return "other (builtins, gc, attrs, stdlib)"


def profile(path: str, top: int = 15) -> dict[str, Any]:
    """cProfile of one pass of the stages after a warm-up: cumulative time of each entry
    point, own time by group, and the top functions by own time."""
    from rarebom.rules import load_rules

    rules = load_rules()
    _pipeline(str(WARMUP), rules)
    gc.collect()
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    _pipeline(path, rules)
    profiler.disable()
    wall = time.perf_counter() - started
    stats = pstats.Stats(profiler, stream=io.StringIO()).stats  # {(file, line, function): (cc, nc, tt, ct, callers)}
    total = sum(tt for _, _, tt, _, _ in stats.values())
    entries = []
    for suffix, function, label in _ENTRY_POINTS:
        cumulative = sum(ct for (file, _, name), (_, _, _, ct, _) in stats.items() if name == function and file.replace(os.sep, "/").endswith(suffix))
        if cumulative:  # an entry point this version of rarebom does not have, or did not call
            entries.append({"what": label, "cumulative_s": cumulative})
    groups: dict[str, float] = defaultdict(float)
    for (file, _, name), (_, _, tt, _, _) in stats.items():
        groups[_group(file, name)] += tt
    functions = sorted(stats.items(), key=lambda item: -item[1][2])[:top]
    top_functions = [
        {"function": f"{Path(file).name}:{line}({name})" if file != "~" else name, "calls": nc, "own_s": tt, "cumulative_s": ct}
        for (file, line, name), (_, nc, tt, ct, _) in functions
    ]
    return {
        "wall_s": wall,
        "profiled_s": total,
        "entries": entries,
        "groups": sorted(({"group": g, "own_s": s} for g, s in groups.items()), key=lambda g: -g["own_s"]),
        "top": top_functions,
    }


# --- the runner -----------------------------------------------------------------------------------------


def default_repeats(parts: int) -> int:
    return 5 if parts <= 10_000 else 3 if parts <= 100_000 else 1


def _spawn(mode: str, path: Path, repeats: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.bench_trace", f"--{mode}", str(path), "--repeats", str(repeats)]
    completed = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if completed.returncode != 0:
        lines = completed.stderr.strip().splitlines() or [f"exit code {completed.returncode}"]
        return {"error": lines[-1]}
    return json.loads(completed.stdout)


def run_size(shape: str, parts: int, seed: int, repeats: int, cache: Path, floor: list[str] | None, *, stages: bool = True, skip: str | None = None) -> dict[str, Any]:
    """Every measurement of one file; the result is JSON-ready. With ``skip`` (the reason),
    only the C floor runs."""
    path = bom_file(shape, parts, seed, cache)
    row: dict[str, Any] = {"shape": shape, "parts": parts, "file_bytes": path.stat().st_size, "repeats": repeats}
    row["floor"] = measure_floor(floor, path, max(repeats, 3))
    if floor is not None:
        row["floor_validating"] = measure_floor(floor, path, max(repeats, 3), schema=XSD)
    if skip:
        row["e2e"] = {"skipped": skip}
        return row
    if stages:
        row["stages"] = _spawn("stages", path, repeats)
    try:
        row["e2e"] = measure_e2e(path, repeats)
    except RuntimeError as exc:
        row["e2e"] = {"error": str(exc).splitlines()[-1]}
    return row


def _mib(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} MiB"


def _wall_cpu(measured: dict) -> str:
    return f"{_time(measured['median_s'])} / {_time(measured['cpu_s'])}"


def _bytes_per_part(mib: float, parts: int) -> str:
    return f"{mib * 2**20 / parts:,.0f} B"


def render(
    rows: list[dict], shape_rows: list[dict], floor_name: str, prof: dict | None, profile_parts: int | None, command: str, info: dict | None = None, *, chart: str | None = None
) -> str:
    """The Markdown section of the results; ``chart``, if given, is the link to the scaling
    curve's SVG (:func:`write_chart`), shown below the scaling table."""
    info = info or machine()
    lines = [
        "## End to end: file to JSON report",
        "",
        f"`rarebom trace FILE -o json` on synthetic rarebom XML BOMs, against the C floor: {floor_name}, over the same file in the same run. "
        "Medians of the runs shown; every process is a fresh one. Each time is wall / CPU (user + system): on a shared machine the CPU time is the steadier one.",
        "",
        "| parts | file | C floor | C floor, validating | end to end | ratio, wall / CPU (target ≤ 3×) | ratio to the validating floor, CPU "
        "| peak RSS | per part (target ≤ 1 KB) | C floor peak | runs |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        e2e, floor, valid = r["e2e"], r["floor"], r.get("floor_validating")
        valid_cell = "–" if valid is None else _wall_cpu(valid)
        if "error" in e2e or "skipped" in e2e:
            why = f"failed: {e2e['error']}" if "error" in e2e else e2e["skipped"]
            cells = f"{_wall_cpu(floor)} | {valid_cell} | {why} | | | | | {_mib(floor['peak_rss_mib'])} | – / {len(floor['runs_s'])}"
            lines.append(f"| {r['parts']:,} | {r['file_bytes'] / 1e6:,.1f} MB | {cells} |")
            continue
        ratio, cpu_ratio = e2e["median_s"] / floor["median_s"], e2e["cpu_s"] / floor["cpu_s"]
        valid_ratio = "–" if valid is None else f"{e2e['cpu_s'] / valid['cpu_s']:.0f}×"
        per_part = e2e["peak_rss_mib"] * 2**20 / r["parts"]
        lines.append(
            f"| {r['parts']:,} | {r['file_bytes'] / 1e6:,.1f} MB | {_wall_cpu(floor)} | {valid_cell} | **{_wall_cpu(e2e)}** | "
            f"{ratio:.0f}× / {cpu_ratio:.0f}× {'✓' if ratio <= TARGET_RATIO else '✗'} | {valid_ratio} | {_mib(e2e['peak_rss_mib'])} | "
            f"{per_part:,.0f} B {'✓' if per_part <= TARGET_BYTES_PER_PART else '✗'} | "
            f"{_mib(floor['peak_rss_mib'])} | {len(e2e['runs_s'])} / {len(floor['runs_s'])} |"
        )
    lines += [
        "",
        "The stages, timed one by one in one interpreter after a warm-up on the 25-part EV motor (imports and pint's registry are not in them), "
        "wall / CPU and the share of the CPU time:",
        "",
        "| parts | " + " | ".join(STAGE_NAMES[s] for s in STAGES) + " | sum | end to end − sum, CPU | stages' peak RSS |",
        "|---:|" + "---:|" * (len(STAGES) + 3),
    ]
    for r in rows:
        stages = r.get("stages", {})
        if "skipped" in r["e2e"] or not stages:
            continue
        if "error" in stages:
            lines.append(f"| {r['parts']:,} | failed: {stages.get('error', 'not run')} |" + " |" * (len(STAGES) + 2))
            continue
        medians, cpu = stages["median_s"], stages["cpu_s"]
        total, total_cpu = sum(medians[s] for s in STAGES), sum(cpu[s] for s in STAGES)
        rest = r["e2e"]["cpu_s"] - total_cpu if "cpu_s" in r["e2e"] else None
        cells = " | ".join(f"{_time(medians[s])} / {_time(cpu[s])} ({cpu[s] / total_cpu:.0%})" for s in STAGES)
        lines.append(f"| {r['parts']:,} | {cells} | {_time(total)} / {_time(total_cpu)} | {_time(rest)} | {_mib(stages['peak_rss_mib'])} |")
    with_rss = [r for r in rows if r.get("stages", {}).get("rss_after_mib") and r["stages"].get("rss_before_mib") is not None]
    if with_rss:
        lines += [
            "",
            "Memory by stage: the resident set size of the stage runs' interpreter after each stage of the first run (a collection first), "
            "and what each stage adds, per part. Each stage keeps what the next one needs: the model, the trace, the evaluation, the report data. "
            "The row *highest* is the process's high-water mark at the end of each stage (before the collection): the most it had held so far, "
            "in a stage's transients too.",
            "",
            "| parts | before (imports, warm-up) | " + " | ".join(f"after {s}" for s in STAGES) + " |",
            "|---:|---:|" + "---:|" * len(STAGES),
        ]
        for r in with_rss:
            stages = r["stages"]
            before, after = stages["rss_before_mib"], stages["rss_after_mib"]
            cells, last = [], before
            for s in STAGES:
                now = after.get(s)
                if now is None or last is None:
                    cells.append("–")
                else:
                    grew = now - last
                    cells.append(f"{_mib(now)} ({'+' if grew >= 0 else '−'}{_bytes_per_part(abs(grew), r['parts'])})")
                last = now
            lines.append(f"| {r['parts']:,} | {_mib(before)} | " + " | ".join(cells) + " |")
            highest = stages.get("highest_after_mib")
            if highest:
                lines.append(f"| {r['parts']:,}, highest | | " + " | ".join(_mib(highest.get(s)) for s in STAGES) + " |")
    measured = [r for r in rows if "cpu_s" in r["e2e"]]
    if len(measured) > 1:
        lines += [
            "",
            "Scaling, end to end: linear means the cost per part stays flat as the parts grow.",
            "",
            "| parts | × parts | end to end, CPU | × time | CPU per part | peak RSS | × memory | peak per part |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        previous = None
        for r in measured:
            e2e = r["e2e"]
            grow = (
                ("–", "–", "–")
                if previous is None
                else (
                    f"{r['parts'] / previous['parts']:.0f}×",
                    f"{e2e['cpu_s'] / previous['e2e']['cpu_s']:.1f}×",
                    f"{e2e['peak_rss_mib'] / previous['e2e']['peak_rss_mib']:.1f}×",
                )
            )
            lines.append(
                f"| {r['parts']:,} | {grow[0]} | {_time(e2e['cpu_s'])} | {grow[1]} | {_time(e2e['cpu_s'] / r['parts'])} | {_mib(e2e['peak_rss_mib'])} | {grow[2]} | "
                f"{_bytes_per_part(e2e['peak_rss_mib'], r['parts'])} |"
            )
            previous = r
        if chart:
            lines += [
                "",
                f"![The scaling curve: CPU time and peak memory per part of `rarebom trace`, against the parts, with the C floors and the targets]({chart})",
                "",
                "The same, drawn: flat lines are linear growth. Each point's numbers are in its tooltip.",
            ]
    lines += [
        "",
        "What the runs read and wrote (the same in every process):",
        "",
        "| parts | XML elements (C floor) | finished goods | verdicts | report | warnings on stderr |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        e2e, stages = r["e2e"], r.get("stages", {})
        report = f"{stages['report_bytes'] / 1e6:,.1f} MB" if "report_bytes" in stages else "–"
        elements = r["floor"]["elements"]
        lines.append(
            f"| {r['parts']:,} | {'–' if elements is None else f'{elements:,}'} | {len(e2e['finished_goods']) if 'finished_goods' in e2e else '–'} | {e2e.get('verdicts', '–')} | "
            f"{report} | {e2e.get('stderr_lines', '–')} |"
        )
    if shape_rows:
        lines += [
            "",
            f"Shapes that break naive code, end to end ({shape_rows[0]['parts']:,} is the depth of the chain and the number of parents of the shared part):",
            "",
            "| shape | parts | file | C floor | end to end | ratio, wall / CPU | peak RSS | per part | finished goods | verdicts |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in shape_rows:
            e2e = r["e2e"]
            label = f"{r['shape']}: {SHAPES[r['shape']]}"
            if "error" in e2e:
                lines.append(f"| {label} | | {r['file_bytes'] / 1e6:,.1f} MB | {_time(r['floor']['median_s'])} | failed: {e2e['error']} | | | | | |")
                continue
            lines.append(
                f"| {label} | {e2e['parts']:,} | {r['file_bytes'] / 1e6:,.1f} MB | {_wall_cpu(r['floor'])} | **{_wall_cpu(e2e)}** | "
                f"{e2e['median_s'] / r['floor']['median_s']:.0f}× / {e2e['cpu_s'] / r['floor']['cpu_s']:.0f}× | "
                f"{_mib(e2e['peak_rss_mib'])} | {_bytes_per_part(e2e['peak_rss_mib'], e2e['parts'])} | "
                f"{len(e2e['finished_goods'])} | {e2e['verdicts']} |"
            )
    if prof:
        lines += [
            "",
            f"### Where the time goes ({profile_parts:,} parts)",
            "",
            f"cProfile of one pass of the stages: {_time(prof['wall_s'])} under the profiler, which slows Python calls about 1.5–2×, so read shares, not times.",
            "",
            "| entry point | cumulative | share |",
            "|---|---:|---:|",
        ]
        lines += [f"| {e['what']} | {_time(e['cumulative_s'])} | {e['cumulative_s'] / prof['profiled_s']:.0%} |" for e in prof["entries"] if e["cumulative_s"]]
        lines += ["", "| own time in | time | share |", "|---|---:|---:|"]
        lines += [f"| {g['group']} | {_time(g['own_s'])} | {g['own_s'] / prof['profiled_s']:.0%} |" for g in prof["groups"]]
        lines += ["", "| function (top by own time) | calls | own | cumulative |", "|---|---:|---:|---:|"]
        lines += [f"| `{f['function']}` | {f['calls']:,} | {_time(f['own_s'])} | {_time(f['cumulative_s'])} |" for f in prof["top"]]
    lines += [
        "",
        "How to read this:",
        "",
        "- *C floor, validating* is the same reader checking the file against rarebom XML's schema as it reads (`xmllint --stream --schema`), "
        "which `rarebom trace` does too: the floor of a reader that refuses an invalid file.",
        "- *end to end* is `python -m rarebom trace FILE -o json --as-of 2026-11-22` with the report on stdout, from the spawn to the exit: "
        "interpreter start, imports, pint's registry, reading, checking, tracing, the rules and the report. "
        "The report is parsed afterwards and must name the expected finished goods.",
        "- *peak RSS* is each process's own high-water mark (`VmHWM`, read as it exits); *per part* divides it by the parts, so the interpreter and its libraries "
        "(about 40 MiB for the 25-part example) weigh heavily at 10,000 parts.",
        "- *end to end − sum* (CPU) is what the stages leave out: interpreter start, imports, pint's registry, the rule packs, printing warnings, and writing the report.",
        "- Timings on a shared machine drift by 10–20 % between runs; compare rows of one run.",
        "",
        f"Machine: {info['CPU']}, {info['cores']} cores, {info['RAM']}, {info['OS']}, {info['Python']}; {info['libraries']}; commit {info['commit']}; "
        f"load average (1 min) {info['load average at start (1 min)']}.",
        f"Command: {command}",
        "",
    ]
    return "\n".join(lines)


def write_chart(path: Path | None, rows: list[dict], document: Path | None) -> str | None:
    """Draw the scaling curve of ``rows`` into ``path``, if given and two sizes or more ran
    end to end; return its link from ``document`` (the file the results go into), or None."""
    measured = [r for r in rows if "cpu_s" in r["e2e"]]
    if path is None or len(measured) < 2:
        return None
    parts = ", ".join(f"{r['parts']:,}" for r in measured)
    caption = f"rarebom trace: CPU time and peak memory per part at {parts} parts"
    path.write_text(scaling_svg(measured, target_ratio=TARGET_RATIO, target_bytes=TARGET_BYTES_PER_PART, caption=caption), encoding="utf-8")
    return os.path.relpath(path, document.parent if document is not None else Path.cwd()).replace(os.sep, "/")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_trace", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=list(DEFAULT_SIZES), metavar="N", help="parts (default 10000 100000 1000000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=None, help="runs per measurement (default 5 up to 10,000 parts, 3 up to 100,000, then 1)")
    parser.add_argument("--shapes", type=int, default=SHAPE_SIZE, metavar="N", help="depth of the chain and parents of the shared part (default 100000; 0 skips them)")
    parser.add_argument("--e2e-max", type=int, default=None, metavar="N", help="above N parts, run only the C floor (end to end at 1,000,000 parts: about 2 min of CPU, 2 GB)")
    parser.add_argument("--no-stages", action="store_true", help="skip the stage-by-stage runs (at 1,000,000 parts they take as long as end to end)")
    parser.add_argument("--profile", type=int, default=None, metavar="N", help="also profile the stages at N parts")
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "rarebom-bench-trace", help="where the generated files are kept (default: a folder in the temp dir)"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the raw results as JSON (after each measurement)")
    parser.add_argument("--from-json", type=Path, nargs="+", metavar="FILE", help="measure nothing: render the results saved by earlier runs with --json, combined")
    parser.add_argument("--write", type=Path, metavar="FILE", help="also write the results into FILE between the bench_trace markers")
    parser.add_argument("--chart", type=Path, metavar="FILE", help="also draw the scaling curve (two sizes or more) as an SVG in FILE, linked from the results")
    # Internal: one measurement in this fresh interpreter, the result as JSON on stdout.
    parser.add_argument("--stages", metavar="FILE", help=argparse.SUPPRESS)
    parser.add_argument("--profile-file", metavar="FILE", help=argparse.SUPPRESS)
    parser.add_argument("--generate", nargs=4, metavar=("SHAPE", "N", "SEED", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.generate:
        shape, parts, seed, path = args.generate
        generate_file(shape, int(parts), int(seed), Path(path))
        return 0
    if args.stages:
        print(json.dumps(measure_stages(args.stages, args.repeats or 1)))
        return 0
    if args.profile_file:
        print(json.dumps(profile(args.profile_file)))
        return 0

    if args.from_json:
        saved = [json.loads(path.read_text(encoding="utf-8")) for path in args.from_json]
        rows = sorted((r for s in saved for r in s["rows"]), key=lambda r: r["parts"])
        shape_rows = [r for s in saved for r in s["shapes"]]
        prof, profile_parts = next(((s["profile"], s["profile_parts"]) for s in saved if s["profile"]), (None, None))
        info = {**saved[0].get("machine", machine())}
        info["load average at start (1 min)"] = ", then ".join(s.get("machine", {}).get("load average at start (1 min)", "?") for s in saved)
        info["commit"] = ", then ".join(dict.fromkeys(s.get("machine", {}).get("commit", "?") for s in saved))  # runs may span commits
        chart = write_chart(args.chart, rows, args.write)
        section = render(rows, shape_rows, saved[0]["floor"], prof, profile_parts, "; ".join(f"`{s['command']}`" for s in saved), info, chart=chart)
        print(section)
        if args.write:
            write_section(args.write, section, MARKERS)
        return 0

    command = "python -m benchmarks.bench_trace --sizes " + " ".join(map(str, args.sizes))
    if args.shapes != SHAPE_SIZE:
        command += f" --shapes {args.shapes}"
    if args.repeats:
        command += f" --repeats {args.repeats}"
    if args.no_stages:
        command += " --no-stages"
    if args.e2e_max is not None:
        command += f" --e2e-max {args.e2e_max}"
    if args.profile:
        command += f" --profile {args.profile}"
    if args.write:
        command += f" --write {args.write}"
    if args.chart:
        command += f" --chart {args.chart}"
    rows: list[dict] = []
    shape_rows: list[dict] = []
    prof = None
    info = machine()

    def save(floor_name: str) -> None:
        if args.json:
            results = {"rows": rows, "shapes": shape_rows, "profile": prof, "profile_parts": args.profile, "floor": floor_name, "command": command, "machine": info}
            args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")

    with tempfile.TemporaryDirectory() as scratch:
        floor, floor_name = build_floor(Path(scratch))
        for parts in args.sizes:
            repeats = args.repeats or default_repeats(parts)
            skip = f"not run: above `--e2e-max {args.e2e_max}`" if args.e2e_max is not None and parts > args.e2e_max else None
            row = run_size("synthetic", parts, args.seed, repeats, args.cache, floor, stages=not args.no_stages, skip=skip)
            e2e = row["e2e"]
            print(
                f"{parts:>9,} parts: C floor {_time(row['floor']['median_s'])}, end to end {_time(e2e.get('median_s'))} "
                f"({e2e.get('peak_rss_mib', 0):,.0f} MiB), stages {row.get('stages', {}).get('median_s', row.get('stages'))}",
                file=sys.stderr,
            )
            rows.append(row)
            save(floor_name)
        if args.shapes:
            for shape in ("chain", "shared"):
                row = run_size(shape, args.shapes, args.seed, 1, args.cache, floor, stages=False)
                print(f"{shape} {args.shapes:,}: end to end {_time(row['e2e'].get('median_s'))} {row['e2e'].get('error', '')}", file=sys.stderr)
                shape_rows.append(row)
                save(floor_name)
        if args.profile:
            path = bom_file("synthetic", args.profile, args.seed, args.cache)
            completed = subprocess.run([sys.executable, "-m", "benchmarks.bench_trace", "--profile-file", str(path)], cwd=REPO, capture_output=True, text=True, check=True)
            prof = json.loads(completed.stdout)
            save(floor_name)
    chart = write_chart(args.chart, rows, args.write)
    section = render(rows, shape_rows, floor_name, prof, args.profile, f"`{command}`", info, chart=chart)
    print(section)
    if args.write:
        write_section(args.write, section, MARKERS)
    failed = any("error" in r["e2e"] or "error" in r.get("stages", {}) for r in [*rows, *shape_rows])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
