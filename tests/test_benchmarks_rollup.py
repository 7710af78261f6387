"""bench_rollup says how its results were measured, options included."""

from __future__ import annotations

import contextlib
import io

import pytest

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


@pytest.mark.parametrize("method", ["trace", "check"])
def test_every_timed_run_checks_the_bom_anew(method, monkeypatch):
    """check_bom keeps its findings in the BOM for trace() to reuse; a timed run that found
    them there would time a look-up (17 µs at 1,000 parts), not the check."""
    from rarebom import checks

    real, runs = checks._check, []

    def counting(*args, **kwargs):
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(checks, "_check", counting)
    result = bench_rollup.run_case(bench_rollup.METHODS[method], 200, 1, 3)
    assert len(result["runs_s"]) == 3
    assert len(runs) >= 3
