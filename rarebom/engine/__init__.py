"""The roll-up engine: what every part and finished good contains.

:func:`trace` compiles a checked :class:`~rarebom.model.Bom` into a compact integer-indexed
graph, rolls it up once in topological order (each shared sub-assembly computed once, no
recursion), and returns a :class:`Trace` of per-part results: mass, element masses split
by origin class, undeclared and unresolved mass, value, and on demand the top
contributors, coverage and the full derivation of any node.
"""

from .explain import Derivation
from .policy import Alternates, OriginClass, OriginConflict, OriginDecision, OriginPolicy
from .results import Bounds, Contributor, Coverage, ElementMass, PartResult, PathStep, ratio
from .trace import Trace, TraceOptions, trace

__all__ = [
    "Alternates",
    "Bounds",
    "Contributor",
    "Coverage",
    "Derivation",
    "ElementMass",
    "OriginClass",
    "OriginConflict",
    "OriginDecision",
    "OriginPolicy",
    "PartResult",
    "PathStep",
    "Trace",
    "TraceOptions",
    "ratio",
    "trace",
]
