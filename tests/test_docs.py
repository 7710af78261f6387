"""The docs keep up with the code: every finding code is catalogued, every example prints what it shows."""

from __future__ import annotations

import contextlib
import io
import os
import re

import pytest

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
