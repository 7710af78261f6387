"""Explanations: the top contributors of a finished good, coverage, and derivations.

These walk the compiled BOM from one node downwards on demand, so a report pays only for
the nodes it explains. Every walk is iterative.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from .. import chemistry
from ..model import Kind, Part
from .policy import ORIGIN_CLASSES, OriginClass
from .results import Bounds, Contributor, PathStep, _fmt
from .rollup import (
    N_ORIGINS,
    SYMBOL_INDEX,
    SYMBOLS,
    UNDECLARED,
    UNKNOWN,
    UNRESOLVED,
    Compiled,
    Rolled,
    _resolve,
    _times,
    material_breakdown,
)

__all__ = ["Derivation", "contributors", "derive", "reachable"]


def reachable(compiled: Compiled, root: int, *, alternates: bool = False) -> list[int]:
    """Indices of ``root`` and everything below it, in topological order (children first)."""
    seen = {root}
    stack = [root]
    while stack:
        i = stack.pop()
        for candidates in compiled.uses[i]:
            for j, *_ in candidates if alternates else candidates[:1]:
                if j not in seen:
                    seen.add(j)
                    stack.append(j)
    return sorted(seen)


def _multipliers(compiled: Compiled, rolled: Rolled, root: int, below: list[int], inherit: bool) -> dict[int, dict[int, list]]:
    """For each part under ``root``: how many of it one root holds, split by the origin
    class it inherits from the nearest ancestor with a definite class (UNKNOWN if none)."""
    mult: dict[int, dict[int, list]] = {root: {UNKNOWN: [1, 1, 1]}}
    for i in reversed(below):  # parents before children
        here = mult.get(i)
        if not here:
            continue
        own = rolled.origin[i]
        for candidates in compiled.uses[i]:
            j, q_lo, q_nom, q_hi = candidates[0]
            target = mult.setdefault(j, {})
            for k, (m_lo, m_nom, m_hi) in here.items():
                passed = own if inherit and own != UNKNOWN else k
                slot = target.get(passed)
                if slot is None:
                    target[passed] = [m_lo * q_lo, m_nom * q_nom, m_hi * q_hi]
                else:
                    slot[0] += m_lo * q_lo
                    slot[1] += m_nom * q_nom
                    slot[2] += m_hi * q_hi
    return mult


def _passed(rolled: Rolled, i: int, inherited: int, inherit: bool) -> int:
    """The origin class a part hands down to its children."""
    own = rolled.origin[i]
    return own if inherit and own != UNKNOWN else inherited


def _class_at(rolled: Rolled, i: int, inherited: int) -> int:
    """The class of a part's own content, reached with ``inherited`` from above."""
    own = rolled.origin[i]
    return own if own != UNKNOWN else inherited


def _path_counts(compiled: Compiled, rolled: Rolled, root: int, below: list[int], inherit: bool) -> dict[int, dict[int, int]]:
    """Paths from ``root`` to each part, counted by the class inherited along them."""
    counts: dict[int, dict[int, int]] = {root: {UNKNOWN: 1}}
    for i in reversed(below):
        here = counts.get(i)
        if not here:
            continue
        for candidates in compiled.uses[i]:
            target = counts.setdefault(candidates[0][0], {})
            for k, c in here.items():
                passed = _passed(rolled, i, k, inherit)
                target[passed] = target.get(passed, 0) + c
    return counts


def _paths(compiled: Compiled, rolled: Rolled, root: int, target: int, below: list[int], limit: int, origin: int, inherit: bool) -> list[tuple[PathStep, ...]]:
    """Up to ``limit`` paths from ``root`` to ``target`` along which its content has class ``origin``.

    In BOM order (depth first, usages in file order). Paths are linked lists (step, rest)
    while searching, so a deep path costs O(1) per step.
    """
    leads_to = {target}
    for i in below:  # children first: a part leads to target if a child does
        if any(c[0][0] in leads_to for c in compiled.uses[i]):
            leads_to.add(i)
    found: list[tuple[PathStep, ...]] = []
    stack: list[tuple[int, int, tuple]] = [(root, UNKNOWN, (PathStep(compiled.ids[root], 1), None))]
    while stack and len(found) < limit:
        i, inherited, link = stack.pop()
        if i == target:
            if _class_at(rolled, i, inherited) == origin:
                steps = []
                while link is not None:
                    steps.append(link[0])
                    link = link[1]
                found.append(tuple(reversed(steps)))
            continue
        passed = _passed(rolled, i, inherited, inherit)
        for candidates in reversed(compiled.uses[i]):
            j, _, q_nom, _ = candidates[0]
            if j in leads_to:
                stack.append((j, passed, (PathStep(compiled.ids[j], q_nom), link)))
    return found


def contributors(
    compiled: Compiled,
    rolled: Rolled,
    root: int,
    symbols: Iterable[str],
    *,
    inherit: bool,
    limit: int = 10,
    max_paths: int = 5,
    origin: OriginClass | None = None,
) -> list[Contributor]:
    """The parts whose own materials hold the most of ``symbols`` in one ``root``.

    Ranked by nominal mass in the root (then by max). Contributors follow the selected
    part of each usage. A part reached through several paths is one contributor; its
    mass sums all paths and ``paths`` lists some of them.
    """
    wanted = {SYMBOL_INDEX[s] for s in symbols}
    below = reachable(compiled, root)
    mult = _multipliers(compiled, rolled, root, below, inherit)
    found: list[tuple] = []
    for i in below:
        own = compiled.own[i]
        if not own:
            continue
        own_origin = rolled.origin[i]
        for col, (a, b, c) in own.items():
            symbol_index = col // N_ORIGINS
            if symbol_index not in wanted:
                continue
            for k, (m_lo, m_nom, m_hi) in mult.get(i, {}).items():
                cls = own_origin if own_origin != UNKNOWN else k
                klass = ORIGIN_CLASSES[cls]
                if origin is not None and klass is not origin:
                    continue
                mass = (a * m_lo, b * m_nom, c * m_hi)
                found.append((i, SYMBOLS[symbol_index], klass, mass, (m_lo, m_nom, m_hi), (a, b, c)))
    merged: dict[tuple, list] = {}
    for i, symbol, klass, mass, m, own_t in found:
        key = (i, symbol, klass)
        if key in merged:
            slot = merged[key]
            slot[0] = [x + y for x, y in zip(slot[0], mass, strict=True)]
            slot[1] = [x + y for x, y in zip(slot[1], m, strict=True)]
        else:
            merged[key] = [list(mass), list(m), own_t]

    def rank(item):
        (i, symbol, klass), (mass, _, _) = item
        nominal = mass[1] if mass[1] == mass[1] else -1
        return (-nominal, -mass[2], compiled.ids[i], symbol, klass.value)

    ranked = sorted(merged.items(), key=rank)[:limit]
    counts = _path_counts(compiled, rolled, root, below, inherit)
    result = []
    for (i, symbol, klass), (mass, m, own_t) in ranked:
        cls = ORIGIN_CLASSES.index(klass)
        count = sum(c for k, c in counts.get(i, {}).items() if _class_at(rolled, i, k) == cls)
        result.append(
            Contributor(
                part=compiled.ids[i],
                symbol=symbol,
                origin=klass,
                mass=Bounds.of(mass, "g"),
                multiplier=Bounds.of(m),
                own_mass=Bounds.of(own_t, "g"),
                paths=tuple(_paths(compiled, rolled, root, i, below, max_paths, cls, inherit)),
                path_count=count,
            )
        )
    return result


@attrs.frozen
class Derivation:
    """How one part's result was computed, line by line, for a human or an audit file."""

    part: str
    lines: tuple[str, ...]

    def __str__(self) -> str:
        return f"derivation of {self.part!r}\n" + "\n".join(f"  {line}" for line in self.lines)


def _t(triple, unit: str = "g") -> str:
    return str(Bounds.of(triple, unit))


def derive(compiled: Compiled, rolled: Rolled, part: Part, *, typical: bool, elements: Iterable[str] | None = None) -> Derivation:
    """The arithmetic behind one part's result: mass basis, materials, children, origin, value."""
    i = compiled.index[part.id]
    exact = compiled.exact
    lines: list[str] = []
    show = set(elements) if elements is not None else set(chemistry.RARE_EARTHS)
    declared = compiled.declared_mass[i]
    contents = rolled.contents_mass[i]
    mass = rolled.mass[i]
    if compiled.mass_basis_uom[i]:
        lines.append(f"mass: the part is counted in {part.uom}, so one unit weighs {_t(declared)}")
    else:
        lines.append(f"mass: declared {_t(declared) if declared else 'none'}; contents {_t(contents) if contents else 'none'}; used {_t(mass)}")

    def resolved_line(label: str, grams, resolution) -> str:
        parts = []
        for element, f_min, f_nom, f_max in resolution.fractions:
            if element in show or len(resolution.fractions) == 1:
                share = (f_min, f_nom, f_max) if exact else (float(f_min), float(f_nom), float(f_max))
                parts.append(f"{element} {_t(_times(grams, share))} (× {_t(share, '')})")
        return f"{label}: {_t(grams)} -> {', '.join(parts) or 'no element shown'} [{resolution.basis}: {resolution.source}]"

    for material, m_mass, _, substances in material_breakdown(part, declared, exact):
        how = f"{material.amount} of the part" if material.amount is not None and material.amount.kind is Kind.FRACTION else "as declared"
        lines.append(f"material {material.label!r} ({material.completeness.value} declaration): {_t(m_mass)} ({how})")
        for substance, s_mass in substances:
            resolution = _resolve(substance.element, substance.formula, substance.cas, substance.name, typical)
            if resolution is None:
                lines.append(f"  substance {substance.label!r}: {_t(s_mass)}, not resolvable to elements: carried as unresolved mass")
            else:
                lines.append("  " + resolved_line(f"substance {substance.label!r}", s_mass, resolution))
        if not substances and typical and material.name:
            resolution = _resolve(None, None, None, material.name, True)
            if resolution is not None:
                lines.append("  " + resolved_line("no substances declared; by typical composition", m_mass, resolution))
    for candidates in compiled.uses[i]:
        j, q_lo, q_nom, q_hi = candidates[0]
        child = compiled.ids[j]
        vector = rolled.vector[j] or {}
        per = []
        for symbol in sorted(show, key=SYMBOL_INDEX.__getitem__):
            base = SYMBOL_INDEX[symbol] * N_ORIGINS
            cols = [vector[c] for c in range(base, base + N_ORIGINS) if c in vector]
            nominal = sum(t[1] for t in cols)
            if cols and nominal == nominal and nominal:
                per.append(f"{symbol} {_fmt(nominal)} g each")
        alternates = f" (alternates: {', '.join(compiled.ids[c[0]] for c in candidates[1:])})" if len(candidates) > 1 else ""
        child_mass = rolled.mass[j]
        lines.append(
            f"uses {_t((q_lo, q_nom, q_hi), '')} × {child!r}{alternates}: {_t(child_mass)} each -> {_t(tuple(x * q for x, q in zip(child_mass, (q_lo, q_nom, q_hi), strict=True)))}"
            + (f"; {', '.join(per)}" if per else "")
        )
    vector = rolled.vector[i] or {}
    for pseudo in (UNDECLARED, UNRESOLVED):
        base = SYMBOL_INDEX[pseudo] * N_ORIGINS
        cols = [vector[c] for c in range(base, base + N_ORIGINS) if c in vector]
        if cols:
            total = tuple(sum(t[k] for t in cols) for k in range(3))
            lines.append(f"{pseudo} mass in total: {_t(total)}" + (" (may be anything: it bounds every element from above)" if pseudo == UNDECLARED else ""))
    decision = compiled.origin[i]
    claims = "; ".join(f"{c.country} at {c.stage.value}" + (f" ({c.source})" if c.source else "") for c in part.origins) or "none"
    lines.append(f"origin: {decision.origin.value}: {decision.reason}; claims: {claims}")
    value = rolled.value[i]
    currency = compiled.currency or ""
    if compiled.own_value[i] is not None:
        lines.append(f"value: own unit value {_t(compiled.own_value[i], currency)}")
    elif value is not None:
        lines.append(f"value: no own unit value; contents {_t(value, currency)}")
    else:
        lines.append("value: unknown (no unit value, and the contents' values are incomplete)")
    return Derivation(part.id, tuple(lines))
