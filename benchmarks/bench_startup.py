"""Start-up benchmark: how long small commands take from a fresh interpreter.

A user who traces a 25-part BOM waits for the interpreter, the imports and the first use of
every lazy resource, not for the roll-up. This times, as a user runs them, each command in a
new ``python`` process, from spawn to exit: ``python -c pass`` (the floor), ``import
rarebom``, ``rarebom --version``, ``rarebom validate`` and ``rarebom trace`` (text and JSON
report) on the bundled EV-motor example. Runs are interleaved round-robin so that load on a
shared machine drifts across all commands alike; each command's median wall time is
reported, and its median CPU time (user + system, from ``getrusage``), which a busy machine
inflates less.

Bytecode is cached as in an installed rarebom (pip compiles it on install): the runs use a
private ``PYTHONPYCACHEPREFIX`` in a temporary folder, warmed by one untimed run of each
command, so the repository tree gets no ``__pycache__``. One extra row traces with no
bytecode cache at all (``PYTHONDONTWRITEBYTECODE=1``, as in a checkout with that set),
where every module is compiled from source on each run. Run from the repository root::

    python -m benchmarks.bench_startup                     # 11 runs of each command
    python -m benchmarks.bench_startup --write docs/performance.md
    git worktree add /tmp/before HEAD~5                    # then compare, interleaved:
    python -m benchmarks.bench_startup --baseline /tmp/before --baseline-label 'commit abc1234'
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .bench_rollup import REPO, _time, machine, write_section

MARKERS = ("<!-- bench_startup:start -->", "<!-- bench_startup:end -->")
EXAMPLE = "examples/ev-traction-motor.xml"
AS_OF = "2026-11-22"

#: (label, arguments after ``python``, bytecode cached?)
CASES = [
    ("`python -c pass` (the interpreter alone)", ["-c", "pass"], True),
    ("`python -c 'import rarebom'`", ["-c", "import rarebom"], True),
    ("`rarebom --version`", ["-m", "rarebom", "--version"], True),
    (f"`rarebom validate {EXAMPLE}`", ["-m", "rarebom", "validate", EXAMPLE], True),
    (f"`rarebom trace {EXAMPLE}`", ["-m", "rarebom", "trace", EXAMPLE, "--as-of", AS_OF], True),
    (f"`rarebom trace {EXAMPLE} -o json`", ["-m", "rarebom", "trace", EXAMPLE, "--as-of", AS_OF, "-o", "json"], True),
    (f"`rarebom trace {EXAMPLE}`, no bytecode cache", ["-m", "rarebom", "trace", EXAMPLE, "--as-of", AS_OF], False),
]


def _environments(cache: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The environment with a warm private bytecode cache, and the one with none."""
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "PYTHONPROFILEIMPORTTIME")}
    return {**base, "PYTHONPYCACHEPREFIX": str(cache)}, {**base, "PYTHONDONTWRITEBYTECODE": "1"}


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(arguments: list[str], env: dict[str, str], tree: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run in ``tree``, in seconds."""
    cpu = _cpu_of_children()
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *arguments], cwd=tree, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"python {' '.join(arguments)} in {tree} exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return elapsed, _cpu_of_children() - cpu


def _summary(times: list[tuple[float, float]]) -> dict:
    wall = [w for w, _ in times]
    return {"median": statistics.median(wall), "min": min(wall), "max": max(wall), "cpu": statistics.median(c for _, c in times), "runs": len(times)}


def measure(repeats: int, baseline: Path | None = None) -> list[dict]:
    """Every case's median, fastest and slowest wall time and median CPU time over ``repeats``
    interleaved runs; with ``baseline`` (another checkout), the same for that tree, interleaved too."""
    trees = [REPO] if baseline is None else [REPO, baseline]
    with tempfile.TemporaryDirectory(prefix="rarebom-pycache-") as cache:
        cached, uncached = _environments(Path(cache))
        plan = [(i, tree, arguments, cached if warm else uncached) for i, (_, arguments, warm) in enumerate(CASES) for tree in trees]
        for _, tree, arguments, env in plan:
            _run(arguments, env, tree)  # warm-up: writes the bytecode cache and fills the page cache
        runs: dict[tuple[int, Path], list[tuple[float, float]]] = {(i, tree): [] for i, tree, _, _ in plan}
        for _ in range(repeats):
            for i, tree, arguments, env in plan:
                runs[i, tree].append(_run(arguments, env, tree))
    rows = []
    for i, (label, _, _) in enumerate(CASES):
        row = {"label": label, **_summary(runs[i, REPO])}
        if baseline is not None:
            row["baseline"] = _summary(runs[i, baseline])
        rows.append(row)
    return rows


def render(rows: list[dict], load: float, command: str, baseline_label: str | None = None) -> str:
    info = machine()
    floor = rows[0]["median"]
    lines = [
        "## Start-up (issue #8)",
        "",
        "Small commands from a fresh interpreter, spawn to exit, as a user runs them "
        f"(`benchmarks/bench_startup.py`). Medians of {rows[0]['runs']} runs of each command, interleaved; "
        "bytecode cached as in an installed rarebom, unless the row says otherwise. "
        "CPU time (user + system) is inflated less than wall time when the machine is busy.",
        "",
    ]
    if baseline_label:
        lines += [
            "| command | wall, median | above `python -c pass` | fastest – slowest | CPU, median | before: wall, median | before: CPU, median |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
    else:
        lines += ["| command | wall, median | above `python -c pass` | fastest – slowest | CPU, median |", "|---|---:|---:|---:|---:|"]
    for r in rows:
        above = "–" if r is rows[0] else _time(r["median"] - floor)
        line = f"| {r['label']} | **{_time(r['median'])}** | {above} | {_time(r['min'])} – {_time(r['max'])} | {_time(r['cpu'])} |"
        if "baseline" in r:
            line += f" {_time(r['baseline']['median'])} | {_time(r['baseline']['cpu'])} |"
        lines.append(line)
    lines += [""]
    if baseline_label:
        lines += [f"*Before* is {baseline_label}, measured in the same run, interleaved with the current tree.", ""]
    lines += [
        f"Machine: {info['CPU']}, {info['cores']} cores, {info['RAM']}, {info['OS']}, {info['Python']}; "
        f"{info['libraries']}; commit {info['commit']}; load average at start (1 min) {load:.2f}.",
        f"Command: `{command}`",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_startup", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11, help="timed runs of each command (default 11)")
    parser.add_argument(
        "--baseline", type=Path, metavar="DIR", help="also time the same commands in DIR, another rarebom checkout (e.g. from git worktree or git archive), interleaved"
    )
    parser.add_argument("--baseline-label", metavar="TEXT", help="what DIR is, for the table (default: its path)")
    parser.add_argument("--write", type=Path, metavar="FILE", help="also write the results into FILE between the bench_startup markers")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = measure(args.repeats, args.baseline.resolve() if args.baseline else None)
    for r in rows:
        before = f"  (before: {_time(r['baseline']['median'])} wall, {_time(r['baseline']['cpu'])} CPU)" if "baseline" in r else ""
        print(f"{_time(r['median']):>9} wall {_time(r['cpu']):>9} CPU  {r['label']}{before}", file=sys.stderr)
    command = "python -m benchmarks.bench_startup" + (f" --repeats {args.repeats}" if args.repeats != 11 else "")
    if args.baseline:
        command += f" --baseline {args.baseline}" + (f" --baseline-label '{args.baseline_label}'" if args.baseline_label else "")
    command += f" --write {args.write}" if args.write else ""
    label = (args.baseline_label or str(args.baseline)) if args.baseline else None
    section = render(rows, load, command, label)
    print(section)
    if args.write:
        write_section(args.write, section, MARKERS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
