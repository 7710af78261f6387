"""bench_rollup says how its results were measured, options included."""

from __future__ import annotations

import contextlib
import io

from benchmarks import bench_rollup


def _section(argv: list[str]) -> str:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()):
        assert bench_rollup.main(argv) == 0
    return printed.getvalue()


def test_the_section_names_the_options_that_change_what_is_measured():
    section = _section(["300", "--methods", "python,pint", "--pint-max", "300", "--repeats", "1"])
    assert "with `python -m benchmarks.bench_rollup 300 --methods python,pint --pint-max 300 --repeats 1`." in section
    # both rows ran, and agreed
    assert "| 300 | baseline: memoised walk in Kahn order, lists of floats |" in section
    assert "| 300 | baseline: the same walk, a dict of pint Quantities per part |" in section
    assert "- 300 parts: rarebom and the baselines agree on every finished good's element totals" in section
    assert "The pint baseline runs only up to 300 parts in this run (`--pint-max`)" in section


def test_the_defaults_are_not_written_out():
    section = _section(["200", "--methods", ",".join(bench_rollup.METHODS)])
    assert "with `python -m benchmarks.bench_rollup 200`." in section
    assert f"The pint baseline runs only up to {bench_rollup.DEFAULT_PINT_MAX:,} parts by default" in section
