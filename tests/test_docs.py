"""The docs keep up with the code: every finding code is catalogued, every example prints what it shows."""

from __future__ import annotations

import contextlib
import io
import os
import re

import pytest

from benchmarks.bench_rollup import _time

from .conftest import REPO

# warning("code", ...) / error("code", ...) calls (and the importers' warn/fail), and the
# code= of exception classes.
_EMITTED = re.compile(r"""\b(?:warning|error|warn|fail)\(\s*["']([a-z0-9-]+)["']""")


def emitted_codes() -> set[str]:
    codes = set()
    for path in (REPO / "rarebom").rglob("*.py"):
        codes |= set(_EMITTED.findall(path.read_text(encoding="utf-8")))
    return codes


def test_every_finding_code_is_in_the_error_catalogue():
    catalogue = (REPO / "docs" / "errors.md").read_text(encoding="utf-8")
    codes = emitted_codes()
    assert {"cycle", "mass-balance", "missing-rate", "origin-conflict", "unresolved-substance"} <= codes  # the scan works
    missing = sorted(code for code in codes if f"[`{code}`](#{code})" not in catalogue)
    assert not missing, f"finding codes missing from docs/errors.md's catalogue table: {missing}"


# A ```python block followed by "Output:" (or "It prints...:") and a ```text block.
_EXAMPLE = re.compile(r"```python\n((?:(?!```).)*?)```\n\n(?:Output|It prints)[^\n]*:\n\n```text\n((?:(?!```).)*?)```", re.S)


def _examples():
    for path in sorted((REPO / "docs").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        for n, match in enumerate(_EXAMPLE.finditer(text)):
            yield pytest.param(path, match.group(1), match.group(2), id=f"{path.name}-{n}")


@pytest.mark.parametrize(("path", "code", "shown"), list(_examples()))
def test_documented_examples_print_what_the_docs_show(path, code, shown, monkeypatch):
    """Each example runs from the repository root; RAREBOM_UPDATE_DOCS=1 rewrites its output."""
    monkeypatch.chdir(REPO)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, f"{path.name} example", "exec"), {"__name__": "__docs__"})
    if os.environ.get("RAREBOM_UPDATE_DOCS") and printed.getvalue() != shown:
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(f"```python\n{code}```", f"```python\n{code}```", 1).replace(f"```text\n{shown}```", f"```text\n{printed.getvalue()}```", 1), encoding="utf-8")
        return
    assert printed.getvalue() == shown


_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


def test_every_image_a_page_shows_is_in_the_docs():
    """mkdocs --strict checks links between pages, not images: a missing one would show as a
    broken image on the site."""
    shown = [(page.name, link) for page in (REPO / "docs").glob("*.md") for link in _IMAGE.findall(page.read_text(encoding="utf-8"))]
    assert ("performance.md", "performance-scaling.svg") in shown
    for page, link in shown:
        if "://" not in link:
            assert (REPO / "docs" / link).is_file(), f"{page} shows {link}, which is not in docs/"


def test_the_scaling_curve_draws_the_scaling_table():
    """The chart and the table of docs/performance.md come from one benchmark run: each
    size's CPU and peak memory per part in the chart's tooltips are the table's."""
    text = (REPO / "docs" / "performance.md").read_text(encoding="utf-8")
    table = text.split("Scaling, end to end")[1].split("\n\n")[1]
    rows = re.findall(r"^\| ([\d,]+) \|[^|]*\|[^|]*\|[^|]*\| ([\d.,]+ [µm]?s) \|[^|]*\|[^|]*\| ([\d,]+) B \|$", table, re.M)
    assert len(rows) >= 2
    svg = (REPO / "docs" / "performance-scaling.svg").read_text(encoding="utf-8")
    cpu = dict(re.findall(r"<title>end to end, ([\d,]+) parts: ([\d.,]+) µs a part</title>", svg))
    memory = dict(re.findall(r"<title>peak memory, end to end, ([\d,]+) parts: ([\d,]+) B a part</title>", svg))
    assert sorted(cpu) == sorted(memory) == sorted(parts for parts, _, _ in rows)
    for parts, per_part_us, per_part_bytes in rows:
        assert _time(float(cpu[parts].replace(",", "")) * 1e-6) == per_part_us, parts
        assert memory[parts] == per_part_bytes, parts
