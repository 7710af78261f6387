"""Origin policy: how a part's origin claims become an origin class.

Origin claims are facts as a supplier stated them ("separated in CN, per declaration X").
The rules care about one question, whether rare-earth material is China-origin, and the
answer depends on which processing stages count. That choice is policy, not fact, so it is
an explicit, configurable object rather than code scattered through the engine.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from ..model import OriginClaim, Stage

__all__ = ["Alternates", "OriginClass", "OriginConflict", "OriginDecision", "OriginPolicy"]


class OriginClass(enum.Enum):
    """Where material comes from, as far as the rules are concerned."""

    CHINA = "china"
    NOT_CHINA = "not-china"
    UNKNOWN = "unknown"


#: Column order of origin classes in the engine's vectors.
ORIGIN_CLASSES: tuple[OriginClass, ...] = (OriginClass.CHINA, OriginClass.NOT_CHINA, OriginClass.UNKNOWN)


class Alternates(enum.Enum):
    """How a usage with alternate parts is counted.

    ``SELECTED``: the part the usage names; alternates are ignored. ``WORST``: for each
    quantity separately, the candidate that is worst for a compliance test: the largest
    element, undeclared and unresolved masses, and the widest mass and value range. Worst
    case is an envelope over all candidates, not one real build, so the conservation of
    mass does not hold in it.
    """

    SELECTED = "selected"
    WORST = "worst"


@attrs.frozen
class OriginConflict:
    """Claims about one part and stage that name different countries. All are kept."""

    part: str
    stage: Stage
    claims: tuple[OriginClaim, ...]

    def __str__(self) -> str:
        said = "; ".join(f"{c.country} ({c.source or 'no source given'})" for c in self.claims)
        return f"part {self.part!r}: conflicting {self.stage.value} origin claims: {said}"


@attrs.frozen
class OriginDecision:
    """A part's origin class and the reason, in words, for an explanation."""

    origin: OriginClass
    reason: str
    claims: tuple[OriginClaim, ...] = ()


_NO_CLAIMS = OriginDecision(OriginClass.UNKNOWN, "no origin claims")

_DEFAULT_CHINA_STAGES = frozenset({Stage.SEPARATED, Stage.METAL_OR_ALLOY, Stage.MAGNET_OR_FUNCTIONAL_MATERIAL})
_DEFAULT_NOT_CHINA_STAGES = frozenset({Stage.SEPARATED, Stage.METAL_OR_ALLOY})


def _stages(value: Iterable[Stage | str]) -> frozenset[Stage]:
    return frozenset(Stage(v) for v in value)


@attrs.frozen(kw_only=True)
class OriginPolicy:
    """Turns a part's claims into an :class:`OriginClass`.

    - **China** if any claim at one of ``china_stages`` names CN. The default stages are
      separation, metal or alloy, and magnet or functional material: MOFCOM No. 61 speaks of
      China-origin rare-earth *items* (oxides, metals, alloys, magnet materials), so a
      mining claim alone does not decide it.
    - **Not China** if every stage in ``not_china_stages`` has at least one claim and no
      claim at a China stage names CN. By default the oxide must have been separated, and
      the metal or alloy made, outside China: a magnet made in Japan says nothing about
      where its metal came from.
    - **Unknown** otherwise.

    With ``inherit`` (the default), a part's definite class also applies to the
    unknown-origin content of everything below it: a CN magnet-stage claim on a magnet
    assembly covers the magnet segments inside it that carry no claims of their own. A
    child's own definite class is never overridden.

    Conflicting claims (one stage, several countries) are all kept and reported; the
    class follows from the rule above, never from a vote.
    """

    china_stages: frozenset[Stage] = attrs.field(default=_DEFAULT_CHINA_STAGES, converter=_stages)
    not_china_stages: frozenset[Stage] = attrs.field(default=_DEFAULT_NOT_CHINA_STAGES, converter=_stages)
    inherit: bool = True

    def decide(self, claims: tuple[OriginClaim, ...]) -> OriginDecision:
        if not claims:
            return _NO_CLAIMS  # one frozen decision serves every part without claims
        china = [c for c in claims if c.stage in self.china_stages and c.country == "CN"]
        if china:
            stages = ", ".join(sorted({c.stage.value for c in china}))
            return OriginDecision(OriginClass.CHINA, f"a claim at a China-relevant stage names CN ({stages})", claims)
        # A required stage counts only with a claim outside China and none inside it (with a
        # custom policy, a CN claim can sit at a stage that is not a China stage).
        china_at = {c.stage for c in claims if c.country == "CN"}
        covered = {c.stage for c in claims if c.country != "CN"} - china_at
        missing = sorted(s.value for s in self.not_china_stages - covered)
        if missing:
            return OriginDecision(OriginClass.UNKNOWN, f"no CN claim at a China stage, but no claim outside China for: {', '.join(missing)}", claims)
        stages = ", ".join(sorted(s.value for s in self.not_china_stages))
        return OriginDecision(OriginClass.NOT_CHINA, f"claims outside China at every required stage ({stages})", claims)

    def describe(self) -> str:
        china = ", ".join(sorted(s.value for s in self.china_stages))
        not_china = ", ".join(sorted(s.value for s in self.not_china_stages))
        inherit = "; a definite class covers unknown-origin content below it" if self.inherit else ""
        return f"China if any claim at [{china}] names CN; not China if claims outside China cover [{not_china}]; else unknown{inherit}"


def conflicts(part_id: str, claims: tuple[OriginClaim, ...]) -> list[OriginConflict]:
    """Stages at which this part's claims name more than one country."""
    by_stage: dict[Stage, list[OriginClaim]] = {}
    for claim in claims:
        by_stage.setdefault(claim.stage, []).append(claim)
    return [OriginConflict(part_id, stage, tuple(group)) for stage, group in by_stage.items() if len({c.country for c in group}) > 1]
