"""Time ``rarebom trace FOLDER`` on many BOMs with --jobs 1 and more, and check they agree.

Writes a folder of synthetic BOMs (``benchmarks.generate.synthetic_bom``, written with
``rarebom.dump``), then runs the real command line on it in a fresh interpreter per run, as
a user would, once per --jobs value and repeat. The wall time includes starting Python and
the worker processes. Every run's JSON report must equal the --jobs 1 report (apart from
its ``generated`` time) and every exit code must match, or the benchmark stops.

    python -m benchmarks.bench_batch                         # 40 BOMs of 2,000 parts, --jobs 1,2
    python -m benchmarks.bench_batch --files 8 --parts 500 --jobs 1,2,4
    python -m benchmarks.bench_batch --write docs/performance.md
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import rarebom

from .bench_rollup import REPO, machine, write_section
from .generate import synthetic_bom

MARKERS = ("<!-- bench_batch:start -->", "<!-- bench_batch:end -->")
AS_OF = "2026-11-22"


def write_boms(folder: Path, files: int, parts: int, seed: int) -> int:
    """``files`` synthetic BOMs of ``parts`` parts (seeds ``seed``, ``seed + 1``, ...) in
    ``folder``; returns their total size in bytes."""
    total = 0
    for i in range(files):
        path = folder / f"bom-{i:03d}.xml"
        rarebom.dump(synthetic_bom(parts, seed=seed + i), path)
        total += path.stat().st_size
    return total


def _cpu() -> float:
    """CPU seconds (user and system) of every finished child process, workers included."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(folder: Path, jobs: int, report: Path) -> tuple[float, float, int, dict]:
    """One ``rarebom trace FOLDER --jobs N`` in a fresh interpreter: wall seconds, CPU seconds
    of it and its workers, exit code, report."""
    argv = [sys.executable, "-m", "rarebom", "trace", str(folder), "-q", "-o", "json", "--as-of", AS_OF, "--jobs", str(jobs), "--output", str(report)]
    start, cpu = time.perf_counter(), _cpu()
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - start, _cpu() - cpu
    if done.returncode not in (0, 1, 3):
        raise SystemExit(f"rarebom trace --jobs {jobs} exited {done.returncode}:\n{done.stderr}")
    data = json.loads(report.read_text(encoding="utf-8"))
    data.pop("generated")
    return wall, cpu, done.returncode, data


def table(rows: list[dict], files: int, parts: int, size: int) -> str:
    lines = [
        f"{files} BOMs of {parts:,} parts each ({size / 1e6:.1f} MB of rarebom XML), all built-in rules, JSON report:",
        "",
        "| --jobs | wall time (median) | runs | speed-up | files/s | CPU time, all processes (median) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    base = rows[0]["median"]
    for row in rows:
        lines.append(f"| {row['jobs']} | **{row['median']:.1f} s** | {row['runs']} | {base / row['median']:.2f}× | {files / row['median']:.2f} | {row['cpu']:.1f} s |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=40, help="how many BOMs (default 40)")
    parser.add_argument("--parts", type=int, default=2000, help="parts per BOM (default 2000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", default="1,2", help="comma-separated --jobs values; the first is the baseline (default 1,2)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per --jobs value (default 3)")
    parser.add_argument("--write", type=Path, metavar="FILE", help="replace the bench_batch section of FILE (e.g. docs/performance.md)")
    args = parser.parse_args(argv)
    jobs = [int(j) for j in args.jobs.split(",")]

    info = machine()
    with tempfile.TemporaryDirectory(prefix="rarebom-bench-batch-") as tmp:
        folder = Path(tmp) / "boms"
        folder.mkdir()
        print(f"writing {args.files} BOMs of {args.parts:,} parts ...", file=sys.stderr)
        size = write_boms(folder, args.files, args.parts, args.seed)
        reference = None
        rows = []
        for n in jobs:
            walls, cpus = [], []
            for r in range(args.repeats):
                wall, cpu, code, data = run(folder, n, Path(tmp) / "report.json")
                if reference is None:
                    reference = (code, data)
                elif (code, data) != reference:
                    raise SystemExit(f"--jobs {n} gave another report or exit code than --jobs {jobs[0]}")
                walls.append(wall)
                cpus.append(cpu)
                print(f"--jobs {n}, run {r + 1}: {wall:.2f} s, {cpu:.2f} s CPU, load average {os.getloadavg()[0]:.2f}", file=sys.stderr)
            rows.append({"jobs": n, "median": statistics.median(walls), "runs": len(walls), "cpu": statistics.median(cpus)})
    info["load average at end (1 min)"] = f"{os.getloadavg()[0]:.2f}"

    section = "\n".join(
        [
            "## Many BOMs at once (issue #8)",
            "",
            "`rarebom trace FOLDER` traces the files in a pool of worker processes, one per usable core",
            "(`--jobs`). Each run below is the real command in a fresh interpreter, so the wall time",
            "includes starting Python and the workers; every run's report equals the `--jobs 1` report.",
            "The CPU time adds up the rarebom process and its workers: what the pool costs in work. When",
            "other work keeps the cores busy (see the load averages), the workers get no more CPU than one",
            "process would, and the wall time shows no speed-up; the CPU time still shows the pool's cost.",
            "",
            table(rows, args.files, args.parts, size),
            *[f"- {key}: {value}" for key, value in info.items()],
            f"- rerun: `python -m benchmarks.bench_batch --files {args.files} --parts {args.parts} --jobs {args.jobs} --repeats {args.repeats} --write docs/performance.md`",
            "",
        ]
    )
    print(section)
    if args.write:
        write_section(args.write, section, MARKERS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
