"""The docs keep up with the code: every finding code rarebom can emit is catalogued."""

from __future__ import annotations

import re

from .conftest import REPO

# warning("code", ...) / error("code", ...) calls, and the code= of exception classes.
_EMITTED = re.compile(r"""\b(?:warning|error)\(\s*["']([a-z0-9-]+)["']""")


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
