"""Rule-evaluation benchmark: ``rarebom.rules.evaluate`` with every shipped rule, on synthetic BOMs.

For each size it generates a BOM with :func:`benchmarks.generate.synthetic_bom`, traces it
once, and times ``evaluate(trace, rules, as_of=...)`` with all shipped rules: the median of
``time.perf_counter`` (and of ``time.process_time``, the steadier on a shared machine) over
repeats, each on a fresh trace (evaluation caches per-part facts for one run only). Then,
on the same trace, it times what the report asks of each finished good after the rules:
its coverage, top contributors with their paths, and derivation ("explain"). It also
times ``rarebom trace`` on the bundled EV-motor example as a
user runs it: a fresh interpreter, from the command line to the printed verdicts. Run from
the repository root::

    python -m benchmarks.bench_rules                        # 1000 10000 30000
    python -m benchmarks.bench_rules 1000 10000 --write docs/performance.md
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import time
from pathlib import Path

import rarebom
from rarebom import chemistry
from rarebom.rules import evaluate, load_rules

from .bench_rollup import REPO, _time, machine, write_section
from .generate import synthetic_bom

MARKERS = ("<!-- bench_rules:start -->", "<!-- bench_rules:end -->")
TOP_CONTRIBUTORS = 5  # as the report (rarebom.report.data) lists them
DEFAULT_SIZES = (1000, 10_000, 30_000)
AS_OF = "2026-11-22"


def measure(parts: int, seed: int, repeats: int) -> dict:
    bom = synthetic_bom(parts, seed=seed)
    rules = load_rules()
    gc.collect()
    start = time.perf_counter()
    traced = rarebom.trace(bom)
    trace_s = time.perf_counter() - start
    times, cpu, explain, explain_cpu = [], [], [], []
    for _ in range(repeats):
        fresh = rarebom.trace(bom)
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        evaluation = evaluate(fresh, rules, as_of=AS_OF)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        start, start_cpu = time.perf_counter(), time.process_time()
        for fg in fresh.finished_goods:  # what the report asks for each finished good
            fresh.coverage(fg)
            fresh.contributors(fg, chemistry.RARE_EARTHS, limit=TOP_CONTRIBUTORS, max_paths=3)
            fresh.derivation(fg)
        explain.append(time.perf_counter() - start)
        explain_cpu.append(time.process_time() - start_cpu)
    del traced
    verdicts = len(evaluation.verdicts)
    nodes = sum(len(v.nodes) for v in evaluation.verdicts)
    return {
        "parts": parts,
        "rules": len(rules),
        "verdicts": verdicts,
        "nodes": nodes,
        "trace": trace_s,
        "evaluate": statistics.median(times),
        "evaluate_cpu": statistics.median(cpu),
        "explain": statistics.median(explain),
        "explain_cpu": statistics.median(explain_cpu),
        "repeats": repeats,
    }


def cli_example(repeats: int) -> float:
    """Median wall time of ``python -m rarebom trace`` on the EV-motor example, interpreter start included."""
    command = [sys.executable, "-m", "rarebom", "trace", str(REPO / "examples" / "ev-traction-motor.xml"), "--as-of", AS_OF]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise RuntimeError(f"rarebom trace failed: {done.stderr}")
    return statistics.median(times)


def render(rows: list[dict], cli_s: float | None, command: str) -> str:
    info = machine()
    lines = [
        "### Rule evaluation",
        "",
        f"`evaluate()` with all shipped rules on `trace()` results of the synthetic BOMs, as of {AS_OF}. "
        "Medians; each repeat evaluates a fresh trace. 'nodes' counts rule × node evaluations "
        "over all finished goods. 'explain' is what the report asks of each finished good after the rules: "
        "its coverage, top contributors with paths, and derivation.",
        "",
        "| parts | rules | verdicts | nodes | trace | evaluate, wall / CPU | evaluate per part | explain, wall / CPU |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        per_part = r["evaluate"] / r["parts"]
        lines.append(
            f"| {r['parts']:,} | {r['rules']} | {r['verdicts']} | {r['nodes']:,} | {_time(r['trace'])} | {_time(r['evaluate'])} / {_time(r['evaluate_cpu'])} "
            f"| {_time(per_part)} | {_time(r['explain'])} / {_time(r['explain_cpu'])} |"
        )
    lines += [
        "",
        *(
            (f"`rarebom trace examples/ev-traction-motor.xml` (25 parts, all rules, text report), a fresh interpreter each time: **{_time(cli_s)}** median.", "")
            if cli_s is not None
            else ()
        ),
        f"Machine: {info['CPU']}, {info['cores']} cores, {info['RAM']}, {info['OS']}, {info['Python']}; commit {info['commit']}.",
        f"Command: `{command}`",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_rules", description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=list(DEFAULT_SIZES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write", type=Path, metavar="FILE", help="also write the results into FILE between the bench_rules markers")
    parser.add_argument("--no-cli", action="store_true", help="skip timing the command line on the EV-motor example")
    args = parser.parse_args(argv)
    rows = []
    for parts in args.sizes:
        row = measure(parts, args.seed, args.repeats)
        print(
            f"{parts:>9,} parts: trace {_time(row['trace'])}, evaluate {_time(row['evaluate'])} / {_time(row['evaluate_cpu'])} CPU, "
            f"explain {_time(row['explain'])} / {_time(row['explain_cpu'])} CPU ({row['verdicts']} verdicts, {row['nodes']:,} nodes)",
            file=sys.stderr,
        )
        rows.append(row)
    cli_s = None if args.no_cli else cli_example(5)
    section = render(rows, cli_s, "python -m benchmarks.bench_rules " + " ".join(map(str, args.sizes)) + (" --write " + str(args.write) if args.write else ""))
    print(section)
    if args.write:
        write_section(args.write, section, MARKERS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
