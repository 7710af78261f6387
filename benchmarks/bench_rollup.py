"""Roll-up benchmark: ``rarebom.trace`` and three baselines on the same synthetic BOMs.

For each size the runner generates a BOM with :func:`benchmarks.generate.synthetic_bom`
and times, each in a fresh interpreter:

- ``rarebom.trace(bom)``, the library's roll-up, end to end (it checks the BOM first);
- ``rarebom.check_bom(bom)`` alone, the part of ``trace`` that is not roll-up;
- rarebom's roll-up alone on the compiled BOM ``trace`` builds: the loop, ``rollup()``,
  and the vectorised ``rollup_arrays()`` (its arrays built first and timed apart);
- four baselines on the BOM compiled to flat int-indexed arrays (edges with float
  quantities, element masses in grams): a memoised pure-Python walk in Kahn order; the
  same walk with a pint Quantity per element and node; scipy sparse matrix products,
  one per level of the DAG, of one nominal mass per element; and the like-for-like scipy
  baseline (``scipy-full``): the columns rarebom's roll-up computes, every (symbol,
  origin class) column in min, nominal and max, three products per level.

The baselines must agree on the finished goods' element totals (relative error below
1e-9), or the run stops with an ``AssertionError``. Times are medians of
``time.perf_counter`` over repeats with ``gc.collect()`` before each; peak RSS is
``ru_maxrss``. Run from the repository root::

    python -m benchmarks.bench_rollup                       # 1000 10000 100000
    python -m benchmarks.bench_rollup 1000 10000 --write docs/performance.md

numpy is needed for the vectorised roll-up and numpy and scipy for the sparse baseline;
without them those rows say they were skipped.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import importlib.metadata
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import rarebom
from rarebom import Amount, Bom, Kind
from rarebom.engine.policy import ORIGIN_CLASSES, OriginPolicy

from .generate import describe, synthetic_bom

REPO = Path(__file__).resolve().parent.parent
START_MARKER = "<!-- bench_rollup:start -->"
END_MARKER = "<!-- bench_rollup:end -->"
TOLERANCE = 1e-9
DEFAULT_SIZES = (1000, 10_000, 100_000)
DEFAULT_PINT_MAX = 10_000


# --- the BOM as flat arrays -------------------------------------------------------------


@dataclass
class Compiled:
    """A BOM as int-indexed arrays: what every baseline starts from.

    Part ``i`` is ``ids[i]`` (file order). Edge ``e`` says one unit of ``edge_parent[e]``
    holds ``edge_quantity[e]`` units of ``edge_child[e]``. Content ``c`` says one unit of
    ``content_part[c]`` holds ``content_grams[c]`` grams of ``elements[content_element[c]]``.
    Alternates are left out: the roll-up follows the selected child.
    """

    ids: list[str]
    elements: tuple[str, ...]
    roots: list[int]
    edge_parent: list[int]
    edge_child: list[int]
    edge_quantity: list[float]
    content_part: list[int]
    content_element: list[int]
    content_grams: list[float]
    #: per edge, the quantity's (min, nominal, max); a quantity without a range is its nominal thrice
    edge_bounds: list[tuple[float, float, float]] = field(default_factory=list)
    #: per part, its own origin class (an index into ``ORIGIN_CLASSES``) by the default policy
    origin: list[int] = field(default_factory=list)


def _grams(amount: Amount | None, whole_g: Fraction | None, what: str) -> Fraction:
    """``amount`` in grams: a mass as it is, a fraction of ``whole_g`` grams."""
    if amount is None or amount.value is None:
        raise ValueError(f"{what} has no nominal amount; the baselines need fully quantified BOMs")
    if amount.kind is Kind.MASS:
        return amount.value
    if whole_g is None:
        raise ValueError(f"{what} is a fraction of a mass that is not given")
    return amount.value * whole_g


def compile_bom(bom: Bom) -> Compiled:
    """The arrays for ``bom``; exact until each number is stored as a float."""
    index = {part.id: i for i, part in enumerate(bom.parts)}
    elements = tuple(sorted({s.element for p in bom.parts for m in p.materials for s in m.substances if s.element}))
    element_index = {symbol: i for i, symbol in enumerate(elements)}
    c = Compiled(list(index), elements, [index[p.id] for p in bom.finished_goods], [], [], [], [], [], [])
    policy = OriginPolicy()
    for i, part in enumerate(bom.parts):
        c.origin.append(ORIGIN_CLASSES.index(policy.decide(part.origins).origin))
        for use in part.uses:
            q = use.quantity
            if q.value is None:
                raise ValueError(f"part {part.id!r} uses {use.child!r} in a range only; the baselines need nominal quantities")
            size = bom.part(use.child).uom_size
            c.edge_parent.append(i)
            c.edge_child.append(index[use.child])
            c.edge_quantity.append(float(q.value / size))
            c.edge_bounds.append(tuple(float((q.value if x is None else x) / size) for x in (q.min, q.value, q.max)))
        part_g = part.uom_size if part.uom_kind is Kind.MASS else (part.mass.value if part.mass else None)
        for material in part.materials:
            material_g = _grams(material.amount, part_g, f"part {part.id!r}, material {material.label!r}")
            for substance in material.substances:
                if substance.element is None:
                    continue
                c.content_part.append(i)
                c.content_element.append(element_index[substance.element])
                c.content_grams.append(float(_grams(substance.amount, material_g, f"part {part.id!r}, substance {substance.label!r}")))
    return c


def _kahn(c: Compiled) -> tuple[list[int], list[list[int]], list[list[float]]]:
    """Children before parents, and each part's children with their quantities."""
    n = len(c.ids)
    kids: list[list[int]] = [[] for _ in range(n)]
    quantities: list[list[float]] = [[] for _ in range(n)]
    parents: list[list[int]] = [[] for _ in range(n)]
    pending = [0] * n
    for parent, child, quantity in zip(c.edge_parent, c.edge_child, c.edge_quantity, strict=True):
        kids[parent].append(child)
        quantities[parent].append(quantity)
        parents[child].append(parent)
        pending[parent] += 1
    ready = [v for v in range(n) if not pending[v]]
    order = []
    while ready:
        v = ready.pop()
        order.append(v)
        for parent in parents[v]:
            pending[parent] -= 1
            if not pending[parent]:
                ready.append(parent)
    if len(order) != n:
        raise ValueError("the BOM has a cycle")
    return order, kids, quantities


# --- the baselines ----------------------------------------------------------------------
# Each is (build, rollup, totals): build turns the arrays into the method's own structure,
# rollup is the timed computation, totals picks the finished goods' element grams out of
# rollup's result as [[grams per element] per root].


def _python_build(c: Compiled):
    order, kids, quantities = _kahn(c)
    zero = (0.0,) * len(c.elements)
    own: list[Any] = [zero] * len(c.ids)
    for part, element, grams in zip(c.content_part, c.content_element, c.content_grams, strict=True):
        if own[part] is zero:
            own[part] = list(zero)
        own[part][element] += grams
    return order, kids, quantities, own


def _python_rollup(structure) -> list:
    # Kahn order puts every child before its parents, so one pass computes each part once
    # (the memo is ``totals``), however many paths lead to it.
    order, kids, quantities, own = structure
    totals: list = [None] * len(order)
    for v in order:
        acc = own[v]
        for child, quantity in zip(kids[v], quantities[v], strict=True):
            acc = [a + quantity * b for a, b in zip(acc, totals[child], strict=True)]
        totals[v] = acc
    return totals


def _python_totals(c: Compiled, totals) -> list[list[float]]:
    return [list(totals[r]) for r in c.roots]


def _pint_build(c: Compiled):
    order, kids, quantities = _kahn(c)
    ureg = rarebom.ureg
    own: list[dict[int, Any]] = [{} for _ in c.ids]
    for part, element, grams in zip(c.content_part, c.content_element, c.content_grams, strict=True):
        previous = own[part].get(element)
        mass = ureg.Quantity(grams, "g")
        own[part][element] = mass if previous is None else previous + mass
    return order, kids, quantities, own


def _pint_rollup(structure) -> list:
    # The same walk, with the obvious data structure: a dict of pint Quantities per part,
    # one per element present.
    order, kids, quantities, own = structure
    totals: list = [None] * len(order)
    for v in order:
        acc = dict(own[v])
        for child, quantity in zip(kids[v], quantities[v], strict=True):
            for element, mass in totals[child].items():
                term = mass * quantity
                previous = acc.get(element)
                acc[element] = term if previous is None else previous + term
        totals[v] = acc
    return totals


def _pint_totals(c: Compiled, totals) -> list[list[float]]:
    return [[totals[r][e].m_as("g") if e in totals[r] else 0.0 for e in range(len(c.elements))] for r in c.roots]


def _numpy_setup() -> None:
    import numpy  # noqa: F401


def _scipy_setup() -> None:
    import numpy  # noqa: F401
    import scipy.sparse  # noqa: F401


def _heights(c: Compiled):
    """Height above the leaves: 0 for a leaf, else 1 + the highest child. Each pass settles
    one more level, so the loop runs depth + 1 times."""
    import numpy as np

    n = len(c.ids)
    parent = np.asarray(c.edge_parent, dtype=np.int64)
    child = np.asarray(c.edge_child, dtype=np.int64)
    height = np.zeros(n, dtype=np.int64)
    for _ in range(n + 1):
        taller = np.zeros(n, dtype=np.int64)
        np.maximum.at(taller, parent, height[child] + 1)
        if np.array_equal(taller, height):
            return height
        height = taller
    raise ValueError("the BOM has a cycle")


def _scipy_build(c: Compiled):
    import numpy as np
    import scipy.sparse

    n, k = len(c.ids), len(c.elements)
    parent = np.asarray(c.edge_parent, dtype=np.int64)
    child = np.asarray(c.edge_child, dtype=np.int64)
    # A[p, c] = units of c in one p; a child used twice by one parent is summed, as it should be.
    matrix = scipy.sparse.csr_matrix((np.asarray(c.edge_quantity), (parent, child)), shape=(n, n))
    own = np.zeros((n, k))
    np.add.at(own, (np.asarray(c.content_part, dtype=np.int64), np.asarray(c.content_element, dtype=np.int64)), np.asarray(c.content_grams))
    height = _heights(c)
    levels = []
    for h in range(1, int(height.max(initial=0)) + 1):
        rows = np.flatnonzero(height == h)
        levels.append((rows, matrix[rows]))
    return own, levels


def _scipy_rollup(structure):
    # Parts of height h only use parts below h, whose totals are final: one sparse
    # matrix times dense matrix product per level.
    own, levels = structure
    totals = own.copy()
    for rows, block in levels:
        totals[rows] += block @ totals
    return totals


def _scipy_totals(c: Compiled, totals) -> list[list[float]]:
    return totals[c.roots].tolist()


# The like-for-like sparse baseline: the columns rarebom's roll-up computes. A column is a
# symbol (each element the BOM holds, plus undeclared mass, as rarebom's compact columns)
# in an origin class, and each bound (min, nominal, max) has its own block, multiplied by
# the quantities' own bound: three sparse × dense products per level. It adds content and
# nothing else: no gap, capping, inheritance, mass basis, value or int flags.


def _full_columns(c: Compiled) -> int:
    return (len(c.elements) + 1) * len(ORIGIN_CLASSES)


def _scipy_full_build(c: Compiled):
    import numpy as np
    import scipy.sparse

    n = len(c.ids)
    parent = np.asarray(c.edge_parent, dtype=np.int64)
    child = np.asarray(c.edge_child, dtype=np.int64)
    bounds = np.asarray(c.edge_bounds, dtype=np.float64).reshape(-1, 3)
    matrices = [scipy.sparse.csr_matrix((bounds[:, d], (parent, child)), shape=(n, n)) for d in range(3)]
    own = np.zeros((n, _full_columns(c)))
    part = np.asarray(c.content_part, dtype=np.int64)
    columns = np.asarray(c.content_element, dtype=np.int64) * len(ORIGIN_CLASSES) + np.asarray(c.origin, dtype=np.int64)[part]
    np.add.at(own, (part, columns), np.asarray(c.content_grams))
    height = _heights(c)
    levels = []
    for h in range(1, int(height.max(initial=0)) + 1):
        rows = np.flatnonzero(height == h)
        levels.append((rows, [m[rows] for m in matrices]))
    return own, levels


def _scipy_full_rollup(structure):
    # As _scipy_rollup, once per bound: every (symbol, origin class) column, min, nominal and max.
    own, levels = structure
    totals = [own.copy() for _ in range(3)]
    for rows, blocks in levels:
        for total, block in zip(totals, blocks, strict=True):
            total[rows] += block @ total
    return totals


def _scipy_full_totals(c: Compiled, totals) -> list[list[float]]:
    # The nominal block, summed over the origin classes, for the agreement check.
    nominal = totals[1][c.roots]
    origins = len(ORIGIN_CLASSES)
    return [[float(row[e * origins : (e + 1) * origins].sum()) for e in range(len(c.elements))] for row in nominal]


@dataclass(frozen=True)
class Method:
    name: str
    label: str
    needs_arrays: bool
    build: Callable[[Compiled], Any] | None = None
    rollup: Callable[[Any], Any] | None = None
    totals: Callable[[Compiled, Any], list[list[float]]] | None = None
    baseline: bool = False
    setup: Callable[[], object] | None = None  # one-time imports and registries, not timed


METHODS = {
    m.name: m
    for m in (
        Method("trace", "`rarebom.trace(bom)`, end to end", needs_arrays=False),
        Method("check", "`rarebom.check_bom(bom, mass_balance=False)` (the first step of trace)", needs_arrays=False),
        Method("rollup", "`rollup(compiled)`: rarebom's roll-up loop alone, on its compiled BOM", needs_arrays=False),
        Method("vector", "`rollup_arrays(compiled)`: rarebom's vectorised roll-up alone (build: `ArrayBom.build`)", needs_arrays=False, setup=_numpy_setup),
        Method("python", "baseline: memoised walk in Kahn order, lists of floats", True, _python_build, _python_rollup, _python_totals, baseline=True),
        Method("pint", "baseline: the same walk, a dict of pint Quantities per part", True, _pint_build, _pint_rollup, _pint_totals, baseline=True, setup=lambda: rarebom.ureg),
        Method("scipy", "baseline: scipy sparse mat-vec, one product per DAG level", True, _scipy_build, _scipy_rollup, _scipy_totals, baseline=True, setup=_scipy_setup),
        Method(
            "scipy-full",
            "baseline: scipy sparse, like for like: every (symbol, origin class) column × min, nominal, max, three products per DAG level",
            True,
            _scipy_full_build,
            _scipy_full_rollup,
            _scipy_full_totals,
            baseline=True,
            setup=_scipy_setup,
        ),
    )
}


# --- one case, in its own interpreter ------------------------------------------------------


def _rss_mib() -> float | None:
    """The resident set size now (Linux only)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return None


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux


def _reset_peak_rss() -> bool:
    """Lower the high-water mark to the current RSS (Linux 4.0+), so that ``ru_maxrss``
    measures what comes next, not the BOM generator's temporaries."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def run_case(method: Method, parts: int, seed: int, repeats: int) -> dict[str, Any]:
    """Generate the BOM, then time ``method`` on it; the result is JSON-ready."""
    result: dict[str, Any] = {"method": method.name, "parts": parts, "repeats": repeats}
    started = time.perf_counter()
    bom = synthetic_bom(parts, seed)
    result["generate_s"] = time.perf_counter() - started
    result["shape"] = describe(bom)
    compiled = None
    if method.needs_arrays:
        started = time.perf_counter()
        compiled = compile_bom(bom)
        result["compile_s"] = time.perf_counter() - started
    if method.setup:
        method.setup()
    gc.collect()
    result["peak_reset"] = _reset_peak_rss()
    result["rss_before_mib"] = _rss_mib()

    if method.name == "trace":
        trace = rarebom.trace

        def work():
            return trace(bom)
    elif method.name == "check":

        def work():
            return rarebom.check_bom(bom, mass_balance=False)
    elif method.name in ("rollup", "vector"):
        # rarebom's own compiled form, as trace() makes it; only the roll-up is timed.
        from rarebom.engine.policy import Alternates, OriginPolicy
        from rarebom.engine.rollup import compile_bom as engine_compile
        from rarebom.engine.rollup import rollup

        started = time.perf_counter()
        engine = engine_compile(bom, policy=OriginPolicy(), currency=None, rates={}, typical=False, exact=False)
        result["engine_compile_s"] = time.perf_counter() - started
        options = {"alternates": Alternates.SELECTED, "inherit": True}
        if method.name == "rollup":

            def work():
                return rollup(engine, **options)
        else:
            from rarebom.engine.vector import ArrayBom

            started = time.perf_counter()
            arrays = ArrayBom.build(engine)
            result["build_s"] = time.perf_counter() - started
            result["levels"] = arrays.levels

            def work():
                return arrays.roll(**options)
    else:
        started = time.perf_counter()
        structure = method.build(compiled)
        result["build_s"] = time.perf_counter() - started

        def work():
            return method.rollup(structure)

    runs = []
    for _ in range(repeats):
        if method.name in ("trace", "check"):
            # check_bom keeps its findings in the BOM for trace() to reuse: each run checks anew
            bom._checked.clear()
        gc.collect()
        started = time.perf_counter()
        output = work()
        runs.append(time.perf_counter() - started)
    result["runs_s"] = runs
    result["median_s"] = statistics.median(runs)
    result["peak_rss_mib"] = _peak_rss_mib()
    if method.name == "trace":
        # trace's nominal element totals must agree with the baselines too.
        reference = compile_bom(bom)
        result["elements"] = list(reference.elements)
        result["root_ids"] = [reference.ids[r] for r in reference.roots]
        result["root_totals_g"] = [[float(output[root].element(e).total.nominal) for e in reference.elements] for root in result["root_ids"]]
    if method.name in ("rollup", "vector"):
        # The finished goods' nominal element totals, over every origin class.
        from rarebom.engine.rollup import N_ORIGINS, SYMBOL_INDEX

        reference = compile_bom(bom)
        result["elements"] = list(reference.elements)
        result["root_ids"] = [reference.ids[r] for r in reference.roots]
        vectors = [output.vector[engine.index[root]] for root in result["root_ids"]]
        result["root_totals_g"] = [
            [float(sum(vector[c][1] for c in range(SYMBOL_INDEX[e] * N_ORIGINS, (SYMBOL_INDEX[e] + 1) * N_ORIGINS) if c in vector)) for e in reference.elements]
            for vector in vectors
        ]
    if method.baseline:
        result["elements"] = list(compiled.elements)
        result["root_ids"] = [compiled.ids[r] for r in compiled.roots]
        result["root_totals_g"] = method.totals(compiled, output)
    return result


# --- the runner ---------------------------------------------------------------------------


def default_repeats(parts: int) -> int:
    return 7 if parts <= 10_000 else 3 if parts <= 100_000 else 1


def _skip_reason(name: str, parts: int, pint_max: int) -> str | None:
    if name == "trace" and getattr(rarebom, "trace", None) is None:
        return "skipped: `rarebom.trace` does not exist in this checkout yet"
    if name == "pint" and parts > pint_max:
        return f"skipped above {pint_max:,} parts, because it is slow and grows linearly (raise `--pint-max` to include it)"
    if name == "vector" and importlib.util.find_spec("numpy") is None:
        return "skipped: numpy is not installed"
    if name in ("scipy", "scipy-full") and (importlib.util.find_spec("numpy") is None or importlib.util.find_spec("scipy") is None):
        return "skipped: numpy and scipy are not installed (`pip install numpy scipy`)"
    return None


def _spawn(name: str, parts: int, seed: int, repeats: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.bench_rollup", "--case", name, "--seed", str(seed), "--repeats", str(repeats), str(parts)]
    completed = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if completed.returncode != 0:
        lines = completed.stderr.strip().splitlines() or [f"exit code {completed.returncode}"]
        return {"method": name, "parts": parts, "error": lines[-1]}
    return json.loads(completed.stdout)


def check_agreement(cases: list[dict[str, Any]]) -> float:
    """The largest relative error of any baseline against the first, over every finished good.

    Raises ``AssertionError`` when it is not below :data:`TOLERANCE`.
    """
    if len(cases) < 2:
        return 0.0
    reference = cases[0]
    worst = 0.0
    for case in cases[1:]:
        if case["root_ids"] != reference["root_ids"] or case["elements"] != reference["elements"]:
            raise AssertionError(f"{case['method']} and {reference['method']} did not see the same BOM")
        for root, ours, theirs in zip(reference["root_ids"], case["root_totals_g"], reference["root_totals_g"], strict=True):
            scale = max(abs(x) for x in theirs) or 1.0
            error = max(abs(a - b) for a, b in zip(ours, theirs, strict=True)) / scale
            if not error < TOLERANCE:
                raise AssertionError(f"{case['method']} and {reference['method']} disagree on {root!r} at {reference['parts']} parts: relative error {error:.3g}")
            worst = max(worst, error)
    return worst


def _time(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 0:  # a difference of two timings that drifted (end to end less the stages)
        return "−" + _time(-seconds)
    # each unit while the rounded number stays below 1000: 0.99982 s is "1 s", not "1e+03 ms"
    if round(seconds * 1e6) < 1000:
        return f"{seconds * 1e6:.0f} µs"
    if float(f"{seconds * 1e3:.3g}") < 1000:
        return f"{seconds * 1e3:.3g} ms"
    if float(f"{seconds:.3g}") < 1000:
        return f"{seconds:.3g} s"
    return f"{seconds:,.0f} s"  # not 1.13e+03 s


def _mib(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} MiB"


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), cpu)
    except OSError:
        pass
    ram = "unknown"
    try:
        with open("/proc/meminfo") as meminfo:
            kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:"))
            ram = f"{kib / 2**20:.1f} GiB"
    except (OSError, StopIteration):
        pass
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    versions = []
    for package in ("rarebom", "attrs", "pint", "lxml", "numpy", "scipy"):
        try:
            versions.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{package} not installed")
    return {
        "CPU": cpu,
        "cores": f"{cores} ({usable} usable)",
        "RAM": ram,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "libraries": ", ".join(versions),
        "commit": _commit(),
        "load average at start (1 min)": f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "unknown",
    }


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{head} with uncommitted changes" if dirty else head


def _vector_ratios(parts: int, cases: list[dict[str, Any]]) -> str | None:
    """How the vectorised roll-up compares with the scipy baseline, the loop and the pint walk."""
    run = {case["method"]: case["median_s"] for case in cases if "median_s" in case}
    if "vector" not in run:
        return None
    vector = run["vector"]
    build = next(case.get("build_s") for case in cases if case["method"] == "vector" and "median_s" in case)
    said = [f"- {parts:,} parts: `rollup_arrays` takes {_time(vector)} ({_time(build)} more to build its arrays from the compiled BOM)"]
    if "scipy" in run:
        said.append(f"{vector / run['scipy']:.1f}× the nominal-only scipy baseline")
    if "scipy-full" in run:
        said.append(f"{vector / run['scipy-full']:.1f}× the like-for-like scipy baseline (target: at most 3×)")
    if "rollup" in run:
        said.append(f"{run['rollup'] / vector:.1f}× faster than the loop, {run['rollup'] / (vector + build):.1f}× with the build")
    if "pint" in run:
        said.append(f"{run['pint'] / vector:.0f}× faster than the pint walk (target: at least 100× at 100,000 parts)")
    return ": ".join(said[:1]) + (": " + "; ".join(said[1:]) if len(said) > 1 else "") + "."


def render(sizes: list[int], results: dict[int, list[dict[str, Any]]], agreement: dict[int, float], info: dict[str, str], command: str, pint_max: int) -> str:
    """The Markdown section: machine, BOM shapes, timings, and the agreement check."""
    lines = ["## Results", "", f"Measured {datetime.date.today().isoformat()} with `{command}`.", ""]
    lines += [f"- **{key}**: {value}" for key, value in info.items()]
    lines += ["", "### The synthetic BOMs", ""]
    lines += [
        "| parts | depth | finished goods | assemblies | leaves | uses | substances | exploded tree nodes | generate | compile to arrays |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for parts in sizes:
        done = [case for case in results[parts] if "shape" in case]
        if not done:
            continue
        shape = done[0]["shape"]
        generate = statistics.median(case["generate_s"] for case in done)
        compiles = [case["compile_s"] for case in done if "compile_s" in case]
        lines.append(
            f"| {parts:,} | {shape['depth']} | {shape['roots']} | {shape['assemblies']:,} | {shape['leaves']:,} | {shape['uses']:,} | "
            f"{shape['substances']:,} | {shape['exploded']:.3g} | {_time(generate)} | {_time(statistics.median(compiles)) if compiles else '–'} |"
        )
    lines += ["", "### Roll-up", ""]
    lines += [
        "| parts | method | build | run (median) | runs | peak RSS | peak − RSS before |",
        "|---|---|---|---|---|---|---|",
    ]
    for parts in sizes:
        for case in results[parts]:
            label = METHODS[case["method"]].label
            if "skipped" in case or "error" in case:
                note = case.get("skipped") or f"**failed**: {case['error']}"
                lines.append(f"| {parts:,} | {label} | {note} | | | | |")
                continue
            before = case["rss_before_mib"]
            delta = None if before is None else max(0.0, case["peak_rss_mib"] - before)
            mark = "" if case["peak_reset"] else " †"
            lines.append(
                f"| {parts:,} | {label} | {_time(case.get('build_s'))} | **{_time(case['median_s'])}** | {case['repeats']} | "
                f"{_mib(case['peak_rss_mib'])}{mark} | {_mib(delta)}{mark} |"
            )
    lines += [""]
    for parts in sizes:
        if parts in agreement:
            lines.append(
                f"- {parts:,} parts: rarebom and the baselines agree on every finished good's element totals, largest relative error {agreement[parts]:.2g} (limit {TOLERANCE:g})."
            )
    lines += [line for parts in sizes if (line := _vector_ratios(parts, results[parts]))]
    lines += [
        "",
        "How to read this:",
        "",
        "- Each row runs in a fresh interpreter that first generates the BOM (same seed, same BOM) and, for the baselines, "
        "compiles it to flat arrays. *Build* turns the arrays into the method's own structure (Kahn order, pint Quantities, "
        "sparse matrices per level); *run* is the median of *runs* timed repeats with `gc.collect()` before each.",
        "- `rarebom.trace` starts from the model and includes everything it does: `check_bom`, its own compile and the roll-up.",
        "- `rollup(compiled)` and `rollup_arrays(compiled)` time rarebom's roll-up alone, on the compiled BOM `trace` builds "
        "(compiled before timing, not in *build*); for `rollup_arrays`, *build* converts that compiled BOM to its arrays "
        "(`ArrayBom.build`), and *run* is the vectorised roll-up (`ArrayBom.roll`), the counterpart of the scipy baseline's run.",
        "- *Peak RSS* is `ru_maxrss` of that interpreter, BOM included; *peak − RSS before* is how far the method raised it "
        "above the RSS it started from (the peak is reset to the current RSS after generating, via `/proc/self/clear_refs`; "
        "† marks a system where that was impossible, so the peak may be the generator's).",
        '- Two scipy baselines: `scipy` rolls up one nominal mass per element (the issue\'s "scipy level-by-level" '
        "baseline as first measured); `scipy-full` rolls up the columns rarebom's roll-up computes, every (symbol, origin "
        "class) column in min, nominal and max, as three sparse × dense products per level. Neither computes the gap, "
        "capping, inheritance, mass basis, value or exactness flags that the roll-up also does.",
        f"- The pint baseline runs only up to {pint_max:,} parts"
        + (" by default, because it is slow." if pint_max == DEFAULT_PINT_MAX else " in this run (`--pint-max`), because it is slow."),
        "- Timings on a shared machine drift by 10–20 % between runs; compare rows of one run, not runs.",
    ]
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str, markers: tuple[str, str] = (START_MARKER, END_MARKER)) -> None:
    """Put ``section`` between the markers in ``path``, creating the file if need be."""
    start_marker, end_marker = markers
    block = f"{start_marker}\n{section}{end_marker}\n"
    if not path.exists():
        path.write_text(_INTRO + "\n" + block, encoding="utf-8")
        return
    text = path.read_text(encoding="utf-8")
    start, end = text.find(start_marker), text.find(end_marker)
    if start == -1 or end == -1 or end < start:
        path.write_text(text.rstrip("\n") + "\n\n" + block, encoding="utf-8")
    else:
        path.write_text(text[:start] + block + text[end + len(end_marker) :].lstrip("\n"), encoding="utf-8")


_INTRO = """\
# Performance

How fast rarebom rolls a BOM up, measured against simple baselines on synthetic BOMs of
1,000 to 100,000 parts. The BOMs come from `benchmarks/generate.py`, a seeded generator of
layered DAGs shaped like real assembly BOMs: about 5 children per assembly, about 2
parents per part, sub-assemblies shared between levels, and leaves holding 1-3 elements.

The baselines compute the same thing as the roll-up's core, the grams of each element in
each finished good, from the BOM compiled to flat arrays: a pure-Python walk, the same walk
with pint Quantities, and scipy sparse products. They check each other (relative error
below 1e-9), and show what the roll-up costs against what Python can do.

To rerun, from the repository root (numpy and scipy are needed for the sparse baseline
only; they are not dependencies of rarebom):

```sh
pip install numpy scipy
python -m benchmarks.bench_rollup 1000 10000 100000 --write docs/performance.md
```

The section below is rewritten by that command; edit this introduction by hand.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_rollup", description="Time rarebom.trace and the roll-up baselines on synthetic BOMs.")
    parser.add_argument("sizes", nargs="*", type=int, default=list(DEFAULT_SIZES), help="BOM sizes in parts (default 1000 10000 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per case (default 7 up to 10,000 parts, 3 up to 100,000, then 1)")
    parser.add_argument("--pint-max", type=int, default=DEFAULT_PINT_MAX, help=f"largest size the pint baseline runs at (default {DEFAULT_PINT_MAX})")
    parser.add_argument("--methods", default=",".join(METHODS), help=f"comma-separated, from {', '.join(METHODS)} (default all)")
    parser.add_argument("--write", type=Path, metavar="FILE", help="also write the results into FILE between the bench_rollup markers")
    parser.add_argument("--case", choices=list(METHODS), help=argparse.SUPPRESS)  # internal: one case, JSON on stdout
    args = parser.parse_args(argv)

    if args.case:
        (parts,) = args.sizes
        print(json.dumps(run_case(METHODS[args.case], parts, args.seed, args.repeats or default_repeats(parts))))
        return 0

    names = [name.strip() for name in args.methods.split(",") if name.strip()]
    unknown = [name for name in names if name not in METHODS]
    if unknown:
        parser.error(f"unknown methods: {', '.join(unknown)}")
    command = "python -m benchmarks.bench_rollup " + " ".join(str(s) for s in args.sizes)
    # the options that change what is measured, so that the section says how to get it again
    if args.methods != ",".join(METHODS):
        command += f" --methods {','.join(names)}"
    if args.pint_max != DEFAULT_PINT_MAX:
        command += f" --pint-max {args.pint_max}"
    if args.repeats is not None:
        command += f" --repeats {args.repeats}"
    if args.seed != 1:
        command += f" --seed {args.seed}"
    info = machine()
    results: dict[int, list[dict[str, Any]]] = {}
    agreement: dict[int, float] = {}
    failed = False
    for parts in args.sizes:
        results[parts] = []
        for name in names:
            reason = _skip_reason(name, parts, args.pint_max)
            if reason:
                print(f"{parts:>9,} {name:<7} {reason}", file=sys.stderr)
                results[parts].append({"method": name, "parts": parts, "skipped": reason})
                continue
            repeats = args.repeats or default_repeats(parts)
            if name == "pint":
                repeats = min(repeats, 3)
            case = _spawn(name, parts, args.seed, repeats)
            results[parts].append(case)
            if "error" in case:
                failed = True
                print(f"{parts:>9,} {name:<7} FAILED: {case['error']}", file=sys.stderr)
            else:
                print(f"{parts:>9,} {name:<7} {_time(case['median_s'])} (median of {repeats}), peak RSS {_mib(case['peak_rss_mib'])}", file=sys.stderr)
        baselines = [case for case in results[parts] if "root_totals_g" in case]
        agreement[parts] = check_agreement(baselines)
        if len(baselines) < 2:
            del agreement[parts]
    section = render(args.sizes, results, agreement, info, command, args.pint_max)
    print(section)
    if args.write:
        write_section(args.write, section)
        print(f"wrote the results into {args.write}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
