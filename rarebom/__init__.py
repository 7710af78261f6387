"""rarebom: trace rare-earth content through a bill of materials.

Read a BOM (:func:`load`), inspect it as a DAG of frozen model objects, write it back
(:func:`dump`), and roll it up (:func:`trace`): element masses by origin, value, coverage
and explanations for every part. Rule packs and reports build on the trace.
"""

from __future__ import annotations

from .checks import CheckOptions, check_bom
from .engine import Alternates, Bounds, OriginClass, OriginPolicy, PartResult, Trace, TraceOptions, trace
from .errors import Finding, InputError, InvalidBomError, Location, RarebomError, Severity, UnitError, UnsafeInputError
from .formats import FORMATS, LoadResult, detect_format, dump, load
from .limits import LimitExceededError, Limits
from .model import Amount, Bom, Classification, Completeness, Material, OriginClaim, Part, Stage, Substance, Usage
from .units import Kind

__version__ = "0.1.0"

__all__ = [
    "FORMATS",
    "Alternates",
    "Bounds",
    "OriginClass",
    "OriginPolicy",
    "PartResult",
    "Trace",
    "TraceOptions",
    "trace",
    "Amount",
    "Bom",
    "CheckOptions",
    "Classification",
    "Completeness",
    "Finding",
    "InputError",
    "InvalidBomError",
    "Kind",
    "LimitExceededError",
    "Limits",
    "LoadResult",
    "Location",
    "Material",
    "OriginClaim",
    "Part",
    "Q_",
    "RarebomError",
    "Severity",
    "Stage",
    "Substance",
    "UnitError",
    "UnsafeInputError",
    "Usage",
    "__version__",
    "check_bom",
    "detect_format",
    "dump",
    "load",
    "ureg",
]


def __getattr__(name: str):
    # The pint registry is built on first use: importing rarebom stays fast.
    if name in ("ureg", "Q_"):
        from . import units

        return getattr(units, name)
    raise AttributeError(f"module 'rarebom' has no attribute {name!r}")
