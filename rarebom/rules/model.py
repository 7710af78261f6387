"""The rule model: packs, rules, status windows and cited facts; frozen attrs classes, no I/O.

A :class:`Pack` is one legal instrument (or one reading of it) and holds its
:class:`Rule` objects. Every fact a rule rests on (its element set, item classes,
threshold, dates) is a :class:`Cited` value: the fact, a confidence mark and the sources
it comes from, so a report can say how sure each number is.
"""

from __future__ import annotations

import datetime as dt
import enum
from fractions import Fraction
from typing import Any

import attrs

__all__ = [
    "Basis",
    "Cited",
    "Level",
    "Outlook",
    "OutlookEntry",
    "Pack",
    "Reading",
    "Rule",
    "RuleStatus",
    "Source",
    "StageSet",
    "Status",
    "Verdict",
    "Window",
]


#: The confidence marks in words, for reports.
CONFIDENCE_WORDS = {"C": "confirmed", "S": "secondary source only", "U": "unconfirmed"}


def as_date(value: dt.date | str | None) -> dt.date:
    """A date from a ``datetime.date`` or ``"YYYY-MM-DD"``; today for None."""
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None


class Verdict(enum.Enum):
    """Three-valued: the lower bound crosses (ABOVE), the upper bound does not (BELOW), or the data cannot tell."""

    ABOVE = "above"
    INDETERMINATE = "indeterminate"
    BELOW = "below"

    @property
    def rank(self) -> int:
        """Higher is worse: ABOVE > INDETERMINATE > BELOW."""
        return _RANK[self]


_RANK = {Verdict.BELOW: 0, Verdict.INDETERMINATE: 1, Verdict.ABOVE: 2}


class Status(enum.Enum):
    """A rule's legal status on a date."""

    NOT_ISSUED = "not-issued"
    NOT_YET_EFFECTIVE = "not-yet-effective"
    IN_FORCE = "in-force"
    SUSPENDED = "suspended"
    UNVERIFIED = "unverified"
    ENDED = "ended"


class Reading(enum.Enum):
    LEGAL_TEXT = "legal-text"
    BROAD_READING = "broad-reading"
    INDUSTRY_PRACTICE = "industry-practice"


class Level(enum.Enum):
    ITEM = "item"
    ARTICLE = "article"
    ANY = "any"
    FINISHED_GOOD = "finished-good"


class Basis(enum.Enum):
    VALUE_SHARE = "value-share"
    MASS_SHARE = "mass-share"
    PRESENCE = "presence"
    TECHNOLOGY = "technology"
    ITEM_ORIGIN = "item-origin"
    ORIGIN_CLAIMS = "origin-claims"


@attrs.frozen
class Source:
    key: str
    url: str
    title: str
    note: str | None = None


@attrs.frozen
class Cited:
    """A fact with its confidence mark (C, S or U) and the sources it rests on."""

    value: Any
    confidence: str
    sources: tuple[Source, ...] = ()
    note: str | None = None

    @property
    def confirmed(self) -> bool:
        return self.confidence == "C"


@attrs.frozen
class Window:
    """A status from ``start`` to ``end`` (inclusive; ``None`` for an open end)."""

    status: Status
    start: dt.date
    end: dt.date | None
    by: str | None
    confidence: str
    sources: tuple[Source, ...]
    note: str | None = None

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@attrs.frozen
class RuleStatus:
    """A rule's status on ``as_of``, the window it comes from, and what a report must say about it."""

    status: Status
    as_of: dt.date
    window: Window | None
    text: str

    @property
    def in_force(self) -> bool:
        return self.status is Status.IN_FORCE


@attrs.frozen
class StageSet:
    """origin-claims rules: these processing stages count from ``start``."""

    stages: frozenset[str]
    start: dt.date
    confidence: str
    sources: tuple[Source, ...]
    note: str | None = None


@attrs.frozen
class OutlookEntry:
    """One line of a licensing policy: for these end uses, end users or destinations, this result."""

    result: str
    text: str
    end_use: frozenset[str]
    end_user: frozenset[str]
    destinations: frozenset[str]
    instrument: str | None
    start: dt.date | None
    confidence: str
    sources: tuple[Source, ...]
    note: str | None = None

    def matches(self, end_use: frozenset[str], end_user: frozenset[str], destination: str | None, as_of: dt.date) -> bool:
        if self.start is not None and as_of < self.start:
            return False
        if self.destinations and destination not in self.destinations:
            return False
        return bool(self.end_use & end_use) or bool(self.end_user & end_user)


#: Outlook results from the most to the least restrictive; with no entry matching, a
#: licence is required and reviewed in the ordinary way.
OUTLOOK_ORDER = ("prohibited", "presumption-of-denial", "case-by-case", "exempt", "licence-required")


@attrs.frozen
class Outlook:
    """The licensing outlook for an ABOVE verdict: the most restrictive matching entry, and all that matched."""

    result: str
    text: str
    matched: tuple[OutlookEntry, ...]
    #: the entry that decided it (None for the default: a licence with standard review)
    entry: OutlookEntry | None = None

    def __str__(self) -> str:
        if self.entry is None:
            return f"{self.result}: {self.text}"
        source = f", {self.entry.instrument}" if self.entry.instrument else ""
        note = f" ({self.entry.note})" if self.entry.note else ""
        return f"{self.result} [{CONFIDENCE_WORDS[self.entry.confidence]}{source}]: {self.text}{note}"


@attrs.frozen(kw_only=True)
class Rule:
    """One test a pack defines. See docs/rules.md for each field."""

    id: str
    pack: Pack = attrs.field(eq=False, repr=False)
    title: str
    summary: str
    reading: Reading
    label: str | None
    level: Level
    basis: Basis
    origin: str | None
    elements: Cited | None
    item_classes: Cited | None
    input_classes: Cited | None
    operator: str | None
    threshold: Cited | None
    countries: Cited | None
    stages: tuple[StageSet, ...]
    windows: tuple[Window, ...]
    out_of_scope: tuple[Cited, ...]
    consequence: str
    outlook: bool
    notes: tuple[Cited, ...]

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(self.elements.value) if self.elements else ()

    @property
    def classes(self) -> frozenset[str]:
        return frozenset(self.item_classes.value) if self.item_classes else frozenset()

    @property
    def threshold_value(self) -> Fraction | None:
        return self.threshold.value if self.threshold else None

    def status(self, as_of: dt.date | str) -> RuleStatus:
        """The rule's status on ``as_of`` (a date or ``"YYYY-MM-DD"``), with the plain words a report prints."""
        as_of = as_date(as_of)
        pack = self.pack
        for window in self.windows:
            if window.covers(as_of):
                return RuleStatus(window.status, as_of, window, _status_text(window, as_of, pack))
        first = self.windows[0]
        if as_of < first.start:
            text = f"not issued or not yet in effect on {as_of}: the first status in the pack data starts {first.start}"
            return RuleStatus(Status.NOT_ISSUED, as_of, None, text)
        # A gap between windows: the pack does not say, so neither does rarebom.
        text = f"no status recorded for {as_of} in the pack data (data as of {pack.data_as_of}); verify it"
        return RuleStatus(Status.UNVERIFIED, as_of, None, text)

    def stages_on(self, as_of: dt.date | str) -> frozenset[str]:
        """origin-claims rules: the stages that count on ``as_of``."""
        as_of = as_date(as_of)
        return frozenset(s for stage_set in self.stages if stage_set.start <= as_of for s in stage_set.stages)

    def __str__(self) -> str:
        return f"{self.id}: {self.title}"


def _status_text(window: Window, as_of: dt.date, pack: Pack) -> str:
    span = f"from {window.start}" + (f" to {window.end}" if window.end else "")
    if window.status is Status.IN_FORCE:
        return f"in force ({span})"
    if window.status is Status.NOT_YET_EFFECTIVE:
        return f"issued but not yet in effect ({span})"
    if window.status is Status.SUSPENDED:
        return f"suspended by {window.by} ({span})"
    if window.status is Status.ENDED:
        return f"no longer in force ({span}{', ended by ' + window.by if window.by else ''})"
    where = f" at {pack.verify_url}" if pack.verify_url else ""
    why = f": {window.note}" if window.note else ""
    return (
        f"UNVERIFIED: rarebom does not know whether this rule is in force on {as_of}{why}. "
        f"The pack data are as of {pack.data_as_of}. Verify the current status{where} before relying on this verdict"
    )


@attrs.frozen(kw_only=True)
class Pack:
    """One rule pack: an instrument's identity, its sources, outlook and rules."""

    id: str
    authority: str
    instrument: str
    title: str
    title_original: str | None
    summary: str
    issued: Cited
    data_as_of: dt.date
    verify_url: str | None
    sources: tuple[Source, ...]
    outlook_entries: tuple[OutlookEntry, ...]
    rules: tuple[Rule, ...] = attrs.field(factory=tuple, eq=False)
    path: str | None = attrs.field(default=None, eq=False)

    def outlook(self, end_use: frozenset[str], end_user: frozenset[str], destination: str | None, as_of: dt.date) -> Outlook:
        matched = tuple(e for e in self.outlook_entries if e.matches(end_use, end_user, destination, as_of))
        if not matched:
            return Outlook("licence-required", "a licence is required; no end use, end user or destination given calls for more than standard review", ())
        worst = min(matched, key=lambda e: OUTLOOK_ORDER.index(e.result))
        return Outlook(worst.result, worst.text, matched, worst)

    @property
    def outlook_codes(self) -> tuple[frozenset[str], frozenset[str]]:
        """Every end-use and end-user code the pack's outlook knows."""
        uses = frozenset(c for e in self.outlook_entries for c in e.end_use)
        users = frozenset(c for e in self.outlook_entries for c in e.end_user)
        return uses, users
