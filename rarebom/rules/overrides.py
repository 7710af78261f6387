"""Overrides: a compliance team's justified corrections, applied when rules are evaluated.

An override never edits the BOM. It is scoped to a part (the node a rule is evaluated at)
and a rule (or a whole pack), and either sets that node's verdict or, for one element or
for one of the part's own substances, says which origin class that content belongs to. Each carries a
justification and a document reference, and every override applied is listed in the
evaluation, beside the verdict it changed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs

from ..engine.policy import OriginClass
from .model import Verdict
from .packs import RuleError, matches, parse_date, read_toml

__all__ = ["Override", "load_overrides"]


@attrs.frozen(kw_only=True)
class Override:
    """One justified override, as read from an overrides file (see docs/rules.md).

    ``part`` is the node a rule is evaluated at and ``rule`` a rule id or a pack id. It
    sets ``verdict``, or moves the content of ``element`` (or of the part's own
    ``substance``) to origin class ``origin``. ``justification`` and ``document`` say why;
    after ``expires`` it is not applied.
    """

    part: str
    rule: str
    justification: str
    document: str
    element: str | None = None
    substance: str | None = None
    verdict: Verdict | None = None
    origin: OriginClass | None = None
    expires: dt.date | None = None
    #: where it came from: "file.toml: /overrides/3"
    where: str | None = None

    def applies(self, rule_id: str, part: str, as_of: dt.date) -> bool:
        if part != self.part or (self.expires is not None and as_of > self.expires):
            return False
        return matches(self.rule, rule_id)

    def __str__(self) -> str:
        content = self.element or f"the elements of substance {self.substance!r}"
        what = f"verdict {self.verdict.value}" if self.verdict else f"{content} counted as {self.origin.value} origin"
        return f"{self.part} × {self.rule}: {what}. {self.justification} (document: {self.document})"


def load_overrides(path: str | Path) -> tuple[Override, ...]:
    """An overrides file, validated; raises :class:`~rarebom.rules.RuleError` listing every problem."""
    path = Path(path)
    data = read_toml(path, "overrides")
    found = []
    problems: list[tuple[str, str]] = []
    for n, o in enumerate(data["overrides"]):
        found.append(
            Override(
                part=o["part"],
                rule=o["rule"],
                justification=o["justification"],
                document=o["document"],
                element=o.get("element"),
                substance=o.get("substance"),
                verdict=Verdict(o["verdict"]) if "verdict" in o else None,
                origin=OriginClass(o["origin"]) if "origin" in o else None,
                expires=parse_date(o["expires"], problems, f"/overrides/{n}/expires") if "expires" in o else None,
                where=f"{path}: /overrides/{n}",
            )
        )
    if problems:
        raise RuleError(problems, str(path))
    return tuple(found)
