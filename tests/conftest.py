"""Shared fixtures and hypothesis profiles.

Profiles: ``dev`` (default, quick), ``ci`` (more examples, still bounded for 2 cores).
Choose with HYPOTHESIS_PROFILE=ci; .ci/run does.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
SAMPLES = REPO.parent / "shared" / "samples"


def iec62474_schema():
    """The IEC 62474 X8.21 XSD from the samples, for validating files we write; skips if absent."""
    from lxml import etree

    xsd = SAMPLES / "iec62474_schema__IEC62474_Schema_X8.21-120240831.xsd"
    if not xsd.exists():
        pytest.skip(f"real samples not found at {SAMPLES}")
    schema_doc = etree.parse(str(xsd)).getroot()
    xs = "{http://www.w3.org/2001/XMLSchema}"
    # The XSD imports xmldsig from the web for <Signature>; the files we write have none.
    for node in [*schema_doc.findall(f"{xs}import"), *(e for e in schema_doc.iter(f"{xs}element") if e.get("name") == "Signature")]:
        node.getparent().remove(node)
    return etree.XMLSchema(schema_doc)


#: Report fields the renderers read as keys (verdict words, units, codes) or that rarebom
#: computes itself (dates, hashes, the mass basis); every other string may come from an input
#: file or a user's rule pack, so the escaping tests poison it.
COMPUTED_KEYS = frozenset(
    {
        *("verdict", "worst", "status", "unit", "operator", "symbol", "origin", "level", "confidence", "computed", "result"),
        *("as_of", "generated", "date", "data_as_of", "currency", "format", "sha256", "rarebom_version", "severity", "code", "mass_basis"),
    }
)


def poison(value, payload: str, key=None):
    """``value`` (report data) with ``payload`` appended to every string a user's file or pack can set."""
    if isinstance(value, dict):
        return {k: poison(v, payload, k) for k, v in value.items()}
    if isinstance(value, list):
        return [poison(v, payload, key) for v in value]
    return value + payload if isinstance(value, str) and key not in COMPUTED_KEYS else value


def documented_minimal_pack() -> str:
    """The pack in docs/rules.md's "A minimal pack": the tests use the example the docs show."""
    text = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    section = text[text.index("### A minimal pack") :]
    return section[section.index("```toml\n") + len("```toml\n") : section.index("\n```\n")] + "\n"


@pytest.fixture
def write(tmp_path):
    """Write text to a file in tmp_path and return its path."""

    def _write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
        return path

    return _write
