"""Errors and findings.

Every error rarebom raises derives from :class:`RarebomError`. Concrete errors also
derive from the matching builtin, as pint's do, so ``except ValueError`` still works::

    RarebomError(Exception)
    └── InputError(RarebomError, ValueError)     a file or value that cannot be used
        ├── UnitError                            unknown unit, or the wrong dimension
        ├── UnsafeInputError                     DTDs, entities, oversized input
        └── InvalidBomError                      one or more located problems in a file

A reader collects every problem it can find in a file before it raises
:class:`InvalidBomError`, so the user fixes a file in one pass, not one error at a time.
Problems that do not stop the work are :class:`Finding` objects of severity
``warning`` returned beside the model.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

__all__ = [
    "Finding",
    "InputError",
    "InvalidBomError",
    "Location",
    "RarebomError",
    "Severity",
    "UnitError",
    "UnsafeInputError",
]


@attrs.frozen
class Location:
    """Where something is in an input file.

    ``line`` is 1-based. ``pointer`` is a JSON pointer (RFC 6901) for JSON input, or an
    XPath-like path for XML input; either may be absent.
    """

    file: str | None = None
    line: int | None = None
    pointer: str | None = None

    def __str__(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        if self.pointer:
            where += f": {self.pointer}"
        return where

    def at(self, *, line: int | None = None, pointer: str | None = None) -> Location:
        """A copy with a more precise line or pointer."""
        return Location(
            self.file,
            line if line is not None else self.line,
            pointer if pointer is not None else self.pointer,
        )


#: the slot that holds a Location's pointer (a _PartLocation keeps its part's id in it)
_POINTER = Location.__dict__["pointer"]


class _PartLocation(Location):
    """A ``<part>``'s :class:`Location` in a rarebom XML file, whose pointer
    (``part[@id='P1']``) is written when it is read: it keeps the part's id, which the
    part holds anyway, not a string of its own (about 70 bytes a part, 70 MiB in a BOM of
    a million). It is a :class:`Location` in every other way: it equals, hashes and
    prints as the Location of the same fields, and a copy, a pickle or ``attrs.evolve``
    of it is a plain one. Made by :func:`part_location`."""

    __slots__ = ()

    def __new__(cls, *args, **kwargs):
        # attrs.evolve and copies construct the class: they get a plain Location (whose
        # __init__ runs; this class's does not, for an object that is not one of it)
        return Location(*args, **kwargs)

    @property
    def pointer(self) -> str:  # type: ignore[override]
        return f"part[@id={_POINTER.__get__(self)!r}]"

    def _fields(self) -> tuple[str | None, int | None, str]:
        return self.file, self.line, self.pointer

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Location):
            return self._fields() == (other.file, other.line, other.pointer)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(Location(*self._fields()))

    def __repr__(self) -> str:
        return repr(Location(*self._fields()))

    def __reduce__(self):
        return Location, self._fields()


def part_location(file: str | None, line: int | None, part_id: str) -> Location:
    """The :class:`Location` ``Location(file, line, f"part[@id={part_id!r}]")``, keeping
    the id rather than the pointer's text (see :class:`_PartLocation`)."""
    found = object.__new__(_PartLocation)
    object.__setattr__(found, "file", file)
    object.__setattr__(found, "line", line)
    _POINTER.__set__(found, part_id)
    return found


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@attrs.frozen
class Finding:
    """A located problem: an error that stops the work, or a warning that does not.

    ``code`` is a stable kebab-case identifier (listed in ``docs/errors.md``), so that
    reports and CI gates can match on it. ``parts`` names the BOM parts involved.
    """

    severity: Severity
    code: str
    message: str
    location: Location | None = None
    parts: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.severity.value}: {self.message} [{self.code}]"


def error(code: str, message: str, location: Location | None = None, parts: Iterable[str] = ()) -> Finding:
    return Finding(Severity.ERROR, code, message, location, tuple(parts))


def warning(code: str, message: str, location: Location | None = None, parts: Iterable[str] = ()) -> Finding:
    return Finding(Severity.WARNING, code, message, location, tuple(parts))


class RarebomError(Exception):
    """Root of every error rarebom raises on purpose."""


class InputError(RarebomError, ValueError):
    """A file or value that cannot be used; ``location`` says where, ``value`` what."""

    code = "input"

    def __init__(self, message: str, *, location: Location | None = None, value: object = None):
        super().__init__(message)
        self.message = message
        self.location = location
        self.value = value

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message

    def __reduce__(self):
        return _rebuild, (type(self), self.message, self.location, self.value)

    def to_finding(self) -> Finding:
        return Finding(Severity.ERROR, self.code, self.message, self.location)


def _rebuild(cls, message, location, value):
    return cls(message, location=location, value=value)


class UnitError(InputError):
    """A unit that is unknown, or of the wrong dimension for where it is used."""

    code = "unit"


class UnsafeInputError(InputError):
    """Input refused before it is read: a DTD, an entity declaration, an oversized file."""

    code = "unsafe-input"


class InvalidBomError(InputError):
    """A file with one or more problems; ``findings`` holds every one, each located.

    The warnings found on the way are kept too, so nothing the reader saw is lost.
    """

    code = "invalid-bom"

    def __init__(self, findings: Iterable[Finding], file: str | None = None):
        self.file = file
        self.findings = tuple(findings)
        self.errors = tuple(f for f in self.findings if f.severity is Severity.ERROR)
        count = len(self.errors)
        head = f"{file or '<input>'}: {count} error{'s' if count != 1 else ''}"
        super().__init__(head + "".join(f"\n  {f}" for f in self.errors), location=Location(file))

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        return type(self), (self.findings, self.file)
