"""Where rarebom's own schema files are.

The canonical files live in the repository's top-level ``schemas/``. A wheel carries them
inside the package as ``rarebom/schemas/`` (see ``pyproject.toml``), so an installed
rarebom finds them there; a source checkout finds the top-level folder. There is one copy
of each schema in the repository and nothing to drift.
"""

from __future__ import annotations

import functools
from pathlib import Path

from .errors import RarebomError

__all__ = ["SCHEMAS", "schema_path"]

#: Schema files by short name, as ``rarebom schema NAME`` prints them.
SCHEMAS = {
    "bom-xml": "rarebom-bom-1.xsd",
    "bom-json": "rarebom-bom-1.schema.json",
    "rules": "rarebom-rules-1.schema.json",
    "overrides": "rarebom-overrides-1.schema.json",
    "prices": "rarebom-prices-1.schema.json",
    "report": "rarebom-report-2.schema.json",
}


@functools.cache
def schema_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "schemas", here.parent / "schemas"):
        if (candidate / SCHEMAS["bom-xml"]).is_file():
            return candidate
    raise RarebomError(f"rarebom's schema files are missing (looked in {here / 'schemas'} and {here.parent / 'schemas'}); reinstall rarebom")


def schema_path(name: str) -> Path:
    """The path of the schema called ``name`` (a key of :data:`SCHEMAS`)."""
    return schema_dir() / SCHEMAS[name]
