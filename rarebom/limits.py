"""Resource limits: how large, deep and multiplied an input rarebom accepts.

A hostile or broken file must not take the machine down, and a BOM whose quantities
multiply past any real product (10^300 screws) is a data error to report, not a float
``inf`` to print. Each limit has a default sized from the largest real BOMs rarebom is
meant for (a 2-3 million part airliner), with room to spare, and each can be raised:
``load(..., limits=Limits(max_parts=...))``, ``trace(bom, limits=...)``, or the CLI's
``--max-input-size``, ``--max-depth``, ``--max-parts`` and ``--max-multiplicity``.

Exceeding a limit raises :class:`LimitExceededError` (code ``limit-exceeded``) before the
work is done, or, where a part or usage is to blame, a located ``limit-exceeded`` finding
in an :class:`~rarebom.errors.InvalidBomError`. The message names the limit and how to
raise it.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import re
from collections.abc import Iterator
from fractions import Fraction

import attrs

from .errors import Location, UnsafeInputError

__all__ = ["DEFAULT_LIMITS", "LimitExceededError", "Limits", "parse_size"]

#: The CLI option that sets each limit, for messages that say how to raise it.
CLI_OPTIONS = {
    "max_input_bytes": "--max-input-size",
    "max_depth": "--max-depth",
    "max_parts": "--max-parts",
    "max_multiplicity": "--max-multiplicity",
}


def _positive_int(instance, attribute, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"Limits.{attribute.name} must be a whole number of 1 or more, not {value!r}")


def _multiplicity(value):
    """A float, or an int or Fraction as given (exact traces may go past float range)."""
    number = value if isinstance(value, (int, Fraction)) and not isinstance(value, bool) else float(value)
    if not (number == number and number != math.inf and number >= 1):
        raise ValueError(f"Limits.max_multiplicity must be a finite number of 1 or more, not {value!r}")
    return number


@attrs.frozen(kw_only=True)
class Limits:
    """Resource limits for reading and tracing a BOM. Every field has a documented default.

    - ``max_input_bytes`` (2 GiB): the size of one input file or stream. A 3-million-part
      airliner BOM is about 1.2 GB of rarebom XML (about 400 bytes a part, see
      docs/performance.md). Readers stream a file; a pipe or standard input is read
      whole into memory first, to check this limit.
    - ``max_depth`` (256): how deeply a document's elements (XML) or objects and arrays
      (JSON) may nest. rarebom's formats need fewer than 10 levels; 256 is libxml2's own
      ceiling without ``huge_tree``, which rarebom never turns on, so for XML a larger
      value has no effect. This is document nesting, not the depth of the BOM: rarebom
      files list parts flat, so a 100,000-level assembly chain is not limited by it.
    - ``max_parts`` (10,000,000): parts in one BOM; three times an airliner's.
    - ``max_multiplicity`` (1e15): the product of the quantities along any one BOM path
      (how many of a part one unit of an assembly above it holds, in the part's units of
      measure). 10^15 is a million times the rivets in a fleet of airliners, so anything
      above is a data error; the bound keeps float masses far from overflow.
    """

    max_input_bytes: int = attrs.field(default=2 * 1024**3, validator=_positive_int)
    max_depth: int = attrs.field(default=256, validator=_positive_int)
    max_parts: int = attrs.field(default=10_000_000, validator=_positive_int)
    max_multiplicity: float | int | Fraction = attrs.field(default=1e15, converter=_multiplicity)

    def exceeded(self, name: str, found: str, *, location: Location | None = None) -> LimitExceededError:
        """The error for ``found`` going past the limit ``name``."""
        return LimitExceededError(name, getattr(self, name), found, location=location)

    def message(self, name: str, found: str) -> str:
        return limit_message(name, getattr(self, name), found)


DEFAULT_LIMITS = Limits()


def limit_message(name: str, limit, found: str) -> str:
    shown = format_size(limit) if name == "max_input_bytes" else (f"{limit:g}" if isinstance(limit, float) else f"{limit:,}")
    return f"{found}, beyond the limit {name} = {shown}; if the input is genuine, raise it with Limits({name}=...) or {CLI_OPTIONS[name]}"


class LimitExceededError(UnsafeInputError):
    """Input refused because it goes past one of the :class:`Limits`; ``limit`` names which."""

    code = "limit-exceeded"

    def __init__(self, limit: str, value, found: str, *, location: Location | None = None):
        super().__init__(limit_message(limit, value, found), location=location, value=value)
        self.limit = limit

    def __reduce__(self):
        return _rebuild, (self.limit, self.value, self.message, self.location)


def _rebuild(limit, value, message, location):
    error = LimitExceededError.__new__(LimitExceededError)
    UnsafeInputError.__init__(error, message, location=location, value=value)
    error.limit = limit
    return error


_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3, "t": 1000**4, "tb": 1000**4}
_UNITS.update({"kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4})
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*")


def parse_size(text: str) -> int:
    """Bytes in ``"2GiB"``, ``"500 MB"`` or ``"1048576"`` (SI units are powers of 1000, IEC of 1024)."""
    match = _SIZE.fullmatch(text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNITS:
        raise ValueError(f"{text!r} is not a size: give bytes, or a number with B, kB, MB, GB, KiB, MiB or GiB")
    size = int(float(match.group(1)) * _UNITS[unit]) if "." in match.group(1) else int(match.group(1)) * _UNITS[unit]
    if size < 1:
        raise ValueError(f"{text!r} is not a positive size")
    return size


def format_size(size: int) -> str:
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size:,} bytes"


# The limits of the load in progress, for the readers' part builders, which every format
# shares but whose signatures should not all grow a parameter.
_ACTIVE: contextvars.ContextVar[Limits] = contextvars.ContextVar("rarebom_limits", default=DEFAULT_LIMITS)


def active() -> Limits:
    """The limits of the :func:`~rarebom.load` in progress (the defaults outside one)."""
    return _ACTIVE.get()


@contextlib.contextmanager
def applied(limits: Limits) -> Iterator[Limits]:
    token = _ACTIVE.set(limits)
    try:
        yield limits
    finally:
        _ACTIVE.reset(token)
