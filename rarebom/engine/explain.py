"""Explanations: the top contributors of a finished good, coverage, and derivations.

These walk the compiled BOM from one node downwards on demand, so a report pays only for
the nodes it explains. Every walk is iterative, and runs over :class:`Graph`: the usages
as tuples of part indices, built once per trace, so a walk touches ints, not the
candidate tuples of :class:`~rarebom.engine.rollup.Compiled`. What a trace keeps for
later walks is kept in arrays; what one finished good's walk needs is flat lists indexed
by part, where most BOMs allow it (:func:`_one_class_multipliers`).
"""

from __future__ import annotations

import heapq
import itertools
from array import array
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from typing import Any

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
    holding,
    material_breakdown,
)

__all__ = ["Derivation", "Graph", "contributors", "derive"]

#: the array type code of part indices: 4 bytes ("i" is at least 32 bits, enough for any BOM)
_INDEX = "i"

#: The walks from a finished good use numpy (:mod:`.walks`) where the BOM's levels hold this
#: many parts on average, as the vectorised roll-up does (``vector.MIN_LEVEL_WIDTH``): a
#: step of such a walk costs a few array operations, so a deep, narrow BOM walks in Python.
WIDE_LEVEL = 128


class Graph:
    """The usages of a compiled BOM as tuples of ints, for the walks of the explanations and rules.

    ``selected[i]`` holds each usage's selected candidate ``(child, mult min, nominal,
    max)``, in file order; ``children[i]`` the selected children; ``every[i]`` the children
    with the alternates (the same tuple where a part has none). Parts without usages share
    one empty tuple. Built once per trace: one pass over the usages. Where the trace keeps
    its usages as the roll-up's arrays (:class:`.vector.Usages`), ``children`` and ``every``
    are made from them, and ``selected`` is a :class:`.vector.Selected` that makes a
    part's tuple when it is read.
    """

    __slots__ = (
        *("_alternates", "_arrays", "_fixing", "_holders", "_kept", "_kept_size", "_parents", "_recent", "_recent_size", "_used", "_vec"),
        *("children", "compiled", "every", "selected"),
    )

    #: how many of the latest walks :meth:`reachable` keeps at least, whatever their size:
    #: the rules walk down from one node several times in a row (its parts, its coverage,
    #: its multipliers)
    RECENT = 8

    def __init__(self, compiled: Compiled):
        self.compiled = compiled
        #: does any usage have alternates? (if not, the two walks are the same)
        self._alternates = False
        if isinstance(compiled.uses, (list, tuple)):
            self._from_tuples(compiled.uses)
        else:  # the roll-up's arrays (vector.Usages): the selected candidates made when read
            numbers = sorted(compiled.index.values())  # the ints the compiled tuples shared
            self.children = compiled.uses.children(numbers)
            every = compiled.uses.every(numbers, self.children)
            self._alternates = every is not None
            self.every = self.children if every is None else every
            self.selected = compiled.uses.selected_view()
        self._parents: tuple[array, array] | None = None
        self._recent: dict[tuple[int, bool], array] = {}
        self._recent_size = 0  # ints in the walks of ``_recent``
        #: the walks of finished goods, kept for good (see :meth:`reachable`)
        self._kept: dict[tuple[int, bool], array] = {}
        self._kept_size = 0
        self._used: bytearray | None = None
        self._holders: dict[frozenset[int], Holders] = {}
        self._fixing: tuple[list, bytearray | None] | None = None
        #: the usages as arrays for the walks from finished goods, by ``alternates`` (see :meth:`_wide`)
        self._arrays: dict[bool, Any] | None = None
        #: the usages as arrays for the contributors ranking (``vector_contributors._edges``)
        self._vec: Any = None

    def _from_tuples(self, uses: Sequence[tuple]) -> None:
        """The lists from the compiled tuples, in one pass over them."""
        # Tuples, and one empty tuple for every part without usages (most of a BOM): a list
        # per part would cost 56 bytes more, and the garbage collector scans lists, not
        # tuples of ints.
        selected: list[tuple] = []
        children: list[tuple[int, ...]] = []
        every: list[tuple[int, ...]] = []
        for use in uses:
            if not use:
                selected.append(())
                children.append(())
                every.append(())
                continue
            sel = tuple([c[0] for c in use])
            kids = tuple([t[0] for t in sel])
            selected.append(sel)
            children.append(kids)
            if all(len(c) == 1 for c in use):
                every.append(kids)
            else:
                every.append(tuple([t[0] for c in use for t in c]))
                self._alternates = True
        self.selected, self.children, self.every = selected, children, every

    def _wide(self, root: int, alternates: bool) -> Any:
        """The :class:`.walks.Arrays` to walk down from ``root`` with, or None to walk in
        Python: arrays only from a finished good (a walk from anything else is usually small)
        of a BOM whose levels hold :data:`WIDE_LEVEL` parts on average."""
        if self._arrays is None:
            level = self.compiled.level
            wide = len(level) == len(self.children) > 0 and (max(level) + 1) * WIDE_LEVEL <= len(level)
            self._arrays = {} if wide else {False: None, True: None}
        alternates = alternates and self._alternates
        if alternates in self._arrays:
            found = self._arrays[alternates]
            return found if found is not None and self._is_top(root) else None
        if not self._is_top(root):
            return None
        try:
            from .walks import Arrays  # numpy: imported for a large BOM only
        except ImportError:  # as the roll-up does without numpy: walk in Python
            self._arrays = {False: None, True: None}
            return None
        found = self._arrays[alternates] = Arrays(self.every if alternates else self.children, self.compiled.level)
        return found

    def fixing(self, origin: list[int]) -> bytearray | None:
        """Per part, 1 where it has children and a definite origin class (with inheritance,
        it hands that class down to them); None if no part does (made once per ``origin``)."""
        if self._fixing is None or self._fixing[0] is not origin:
            flags = bytearray(len(self.children))
            for i, kids in enumerate(self.children):
                if kids and origin[i] != UNKNOWN:
                    flags[i] = 1
            self._fixing = (origin, flags if any(flags) else None)
        return self._fixing[1]

    def reachable(self, root: int, *, alternates: bool = False) -> array:
        """Indices of ``root`` and everything below it, in topological order (children first).

        An array of ints (4 bytes each, where a list takes 8 and the walks kept add up to a
        few times the BOM), shared with later calls for the same part: do not change it."""
        key = (root, alternates and self._alternates)
        found = self._recent.get(key)
        if found is None:
            kept = self._kept
            found = kept.pop(key, None)
            if found is not None:
                kept[key] = found  # (the latest last)
                return found
            kids = self.every if key[1] else self.children
            top = self._is_top(root)
            arrays = self._wide(root, key[1])
            # A finished good's walk reaches most of the BOM: a byte per part marks it faster
            # than a set, and arrays faster again where the BOM is wide.
            found = arrays.below(root) if arrays is not None else array(_INDEX, self._walk_wide(root, kids) if top else self._walk(root, kids))
            if top:
                # A finished good's walk is asked for again and again by its rules, and then
                # by the report: keep the latest, up to two ints per part of the BOM in all
                # (the least recently asked for goes first; at 1M parts, the walks of ten
                # finished goods kept were 39 MiB).
                kept[key] = found
                self._kept_size += len(found)
                while self._kept_size > 2 * len(self.children) and len(kept) > 1:
                    self._kept_size -= len(kept.pop(next(iter(kept))))
                return found
            # The latest walks, the oldest dropped first once there are more than RECENT of
            # them and they hold more than two ints per part of the BOM: the rules walk down
            # from an item for one rule and again for another, hundreds of walks later.
            recent = self._recent
            recent[key] = found
            self._recent_size += len(found)
            budget = 2 * len(self.children)
            while len(recent) > self.RECENT and self._recent_size > budget:
                oldest = next(iter(recent))
                self._recent_size -= len(recent.pop(oldest))
        return found

    def _is_top(self, i: int) -> bool:
        """Whether nothing uses part ``i`` (a finished good)."""
        if self._used is None:
            used = bytearray(len(self.children))
            for kids in self.every:
                for j in kids:
                    used[j] = 1
            self._used = used
        return not self._used[i]

    @staticmethod
    def _walk(root: int, kids: list[tuple[int, ...]]) -> list[int]:
        seen = {root}
        stack = [root]
        add, push, pop = seen.add, stack.append, stack.pop
        while stack:
            for j in kids[pop()]:
                if j not in seen:
                    add(j)
                    push(j)
        return sorted(seen)

    @staticmethod
    def _walk_wide(root: int, kids: list[tuple[int, ...]]) -> Iterator[int]:
        """:meth:`_walk` with a byte per part of the BOM for the parts seen (they come out in order)."""
        return itertools.compress(range(len(kids)), Graph._marks((root,), kids))

    @staticmethod
    def _marks(roots: Iterable[int], kids: list[tuple[int, ...]]) -> bytearray:
        """Per part, 1 where it is one of ``roots`` or under one, in one walk that enters each
        part once however many of the roots share it."""
        seen = bytearray(len(kids))
        stack = []
        push, pop = stack.append, stack.pop
        for root in roots:
            if not seen[root]:
                seen[root] = 1
                push(root)
            while stack:
                for j in kids[pop()]:
                    if not seen[j]:
                        seen[j] = 1
                        push(j)
        return seen

    def reachable_any(self, roots: Iterable[int], *, alternates: bool = False) -> bytearray:
        """Per part, 1 where it is one of ``roots`` or under one: the union of their
        :meth:`reachable` walks (:meth:`_marks`)."""
        return self._marks(roots, self.every if alternates and self._alternates else self.children)

    def marks(self, root: int, *, alternates: bool = False) -> bytearray:
        """Per part, 1 where it is ``root`` or under it (:meth:`reachable` as a byte per part)."""
        arrays = self._wide(root, alternates)
        if arrays is not None:
            return arrays.marks(root)
        under = bytearray(len(self.children))
        for i in self.reachable(root, alternates=alternates):
            under[i] = 1
        return under

    def reachable_avoiding(self, root: int, stop: bytes | None, *, alternates: bool = False) -> bytearray:
        """Per part, 1 where it is ``root`` or reached from it without passing *through* a
        part whose ``stop`` byte is set (such parts are reached, but not walked into)."""
        arrays = self._wide(root, alternates)
        if arrays is not None:
            return arrays.marks(root, stop)
        kids = self.every if alternates else self.children
        if stop is None:
            return self._marks((root,), kids)
        seen = bytearray(len(kids))
        seen[root] = 1
        if stop[root]:
            return seen
        stack = [root]
        push, pop = stack.append, stack.pop
        while stack:
            for j in kids[pop()]:
                if not seen[j]:
                    seen[j] = 1
                    if not stop[j]:
                        push(j)
        return seen

    def first_parents(self, root: int, *, alternates: bool = False) -> array:
        """Per part, its parent in a breadth-first walk from ``root`` that takes each part's
        children in file order, the first to reach it: -1 for ``root``, -2 for a part not
        under it. Every shortest BOM path from ``root`` is then a look-up (``Trace.path``)."""
        arrays = self._wide(root, alternates)
        if arrays is not None:
            return arrays.first_parents(root)
        parent = array(_INDEX if len(self.children) < 2**31 else "q", [-2]) * len(self.children)
        parent[root] = -1
        queue = [root]
        kids = self.every if alternates else self.children
        for i in queue:
            for j in kids[i]:
                if parent[j] == -2:
                    parent[j] = i
                    queue.append(j)
        return parent

    def parents(self, i: int) -> array:
        """The parts that use part ``i`` as a selected child, once per such usage. All of
        them are kept in two arrays (built on first use), not a list per part."""
        if self._parents is None:
            counts = array(_INDEX, [0]) * (len(self.children) + 1)
            for kids in self.children:
                for j in kids:
                    counts[j + 1] += 1
            for k in range(1, len(counts)):
                counts[k] += counts[k - 1]
            starts = array(_INDEX, counts)
            flat = array(_INDEX, [0]) * counts[-1]
            for p, kids in enumerate(self.children):
                for j in kids:
                    flat[counts[j]] = p
                    counts[j] += 1
            self._parents = (starts, flat)
        starts, flat = self._parents
        return flat[starts[i] : starts[i + 1]]

    def holders(self, wanted: frozenset[int]) -> Holders:
        """Every part whose own materials hold a column of the symbol indices ``wanted``, with
        those columns and their grams, in index order (one pass over the BOM per set)."""
        found = self._holders.get(wanted)
        if found is None:
            own = self.compiled.own
            in_arrays = getattr(own, "holders", None)  # vector.OwnContent: no dict per holder
            found = self._holders[wanted] = in_arrays(wanted) if in_arrays is not None else Holders(own, wanted)
        return found


class Holders:
    """The parts whose own materials hold some of a set of symbols, with those columns.

    Kept per symbol set for the life of a trace, so in arrays: holder ``h`` is part
    ``parts[h]``, with the columns ``cols[ends[h - 1]:ends[h]]`` (grams in ``grams``, the
    own triples themselves), and ``distinct[h]`` says whether those columns are of distinct
    symbols (the usual case: one origin each). About 13 bytes a column, where a list of
    (column, grams) tuples per holder took some 230 bytes a holder. Where the own content
    is the roll-up's arrays, ``vector.OwnContent.holders`` finds them there, and ``grams``
    makes each triple when it is read: 4 bytes a column, where the triples took about 140."""

    __slots__ = ("cols", "distinct", "ends", "grams", "parts")

    def __init__(self, own: Sequence[dict[int, tuple]], wanted: frozenset[int]):
        parts, ends, cols, grams, distinct = array(_INDEX), array(_INDEX), array(_INDEX), [], bytearray()
        for i, columns in holding(own, wanted):
            start = len(cols)
            for col, t in columns.items():
                cols.append(col)
                grams.append(t)
            parts.append(i)
            ends.append(len(cols))
            symbols = {col // N_ORIGINS for col in cols[start:]}
            distinct.append(len(symbols) == len(cols) - start)
        self.parts, self.ends, self.cols, self.grams, self.distinct = parts, ends, cols, grams, distinct

    @classmethod
    def made(cls, parts: array, ends: array, cols: array, grams: Sequence[tuple], distinct: bytearray) -> Holders:
        """Holders already found (``vector.OwnContent.holders``), the fields as above;
        ``grams`` may be any sequence of the triples."""
        self = cls.__new__(cls)
        self.parts, self.ends, self.cols, self.grams, self.distinct = parts, ends, cols, grams, distinct
        return self

    def __iter__(self) -> Iterator[tuple[int, list[tuple[int, tuple]]]]:
        """Each holder's part and its ``(column, grams)``, in index order."""
        cols, grams, start = self.cols, self.grams, 0
        for i, end in zip(self.parts, self.ends, strict=True):
            yield i, list(zip(cols[start:end], grams[start:end], strict=True))
            start = end


def _multipliers(graph: Graph, rolled: Rolled, root: int, below: Sequence[int], inherit: bool) -> dict[int, dict[int, list]]:
    """For each part under ``root``: how many of it one root holds, split by the origin
    class it inherits from the nearest ancestor with a definite class (UNKNOWN if none).

    Sums run parent by parent in the order of ``below`` reversed, so floats add up in the
    same order every time."""
    mult: dict[int, dict[int, list]] = {root: {UNKNOWN: [1, 1, 1]}}
    selected, origin = graph.selected, rolled.origin
    for i in reversed(below):  # parents before children
        here = mult.get(i)
        if not here:
            continue
        own = origin[i]
        fixed = own if inherit and own != UNKNOWN else None
        for j, q_lo, q_nom, q_hi in selected[i]:
            target = mult.get(j)
            if target is None:
                target = mult[j] = {}
            for k, (m_lo, m_nom, m_hi) in here.items():
                passed = k if fixed is None else fixed
                slot = target.get(passed)
                if slot is None:
                    target[passed] = [m_lo * q_lo, m_nom * q_nom, m_hi * q_hi]
                else:
                    slot[0] += m_lo * q_lo
                    slot[1] += m_nom * q_nom
                    slot[2] += m_hi * q_hi
    return mult


def _one_class_multipliers(graph: Graph, rolled: Rolled, root: int, below: Sequence[int], inherit: bool) -> tuple[list, list, list, list[int]] | None:
    """:func:`_multipliers` and :func:`_path_counts` where every part under ``root`` inherits
    one class, UNKNOWN: without inheritance, or where no part under it with children has a
    definite class (most BOMs). Then they are flat lists indexed by part: the multiplier's
    low, nominal and high (None where not under ``root``) and the path count (0 there),
    made in one pass with the same sums in the same order. None where several classes are
    in play."""
    if inherit:
        fixing = graph.fixing(rolled.origin)
        if fixing is not None and any(map(fixing.__getitem__, below)):
            return None
    selected = graph.selected
    n = len(selected)
    lows: list = [None] * n
    nominals: list = [None] * n
    highs: list = [None] * n
    counts = [0] * n
    lows[root] = nominals[root] = highs[root] = counts[root] = 1
    for i in reversed(below):  # parents before children; every part of ``below`` is reached
        uses = selected[i]
        if not uses:  # most parts: nothing to hand down
            continue
        m_lo, m_nom, m_hi, c = lows[i], nominals[i], highs[i], counts[i]
        for j, q_lo, q_nom, q_hi in uses:
            counts[j] += c
            if lows[j] is None:
                lows[j] = m_lo * q_lo
                nominals[j] = m_nom * q_nom
                highs[j] = m_hi * q_hi
            else:
                lows[j] += m_lo * q_lo
                nominals[j] += m_nom * q_nom
                highs[j] += m_hi * q_hi
    return lows, nominals, highs, counts


def _passed(rolled: Rolled, i: int, inherited: int, inherit: bool) -> int:
    """The origin class a part hands down to its children."""
    own = rolled.origin[i]
    return own if inherit and own != UNKNOWN else inherited


def _class_at(rolled: Rolled, i: int, inherited: int) -> int:
    """The class of a part's own content, reached with ``inherited`` from above."""
    own = rolled.origin[i]
    return own if own != UNKNOWN else inherited


def _path_counts(graph: Graph, rolled: Rolled, root: int, below: Sequence[int], inherit: bool) -> dict[int, dict[int, int]]:
    """Paths from ``root`` to each part, counted by the class inherited along them."""
    counts: dict[int, dict[int, int]] = {root: {UNKNOWN: 1}}
    children, origin = graph.children, rolled.origin
    for i in reversed(below):
        here = counts.get(i)
        if not here:
            continue
        own = origin[i]
        fixed = own if inherit and own != UNKNOWN else None
        for j in children[i]:
            target = counts.get(j)
            if target is None:
                target = counts[j] = {}
            for k, c in here.items():
                passed = k if fixed is None else fixed
                target[passed] = target.get(passed, 0) + c
    return counts


def _paths(graph: Graph, rolled: Rolled, root: int, target: int, inside: Container[int], limit: int, origin: int, inherit: bool) -> list[tuple[PathStep, ...]]:
    """Up to ``limit`` paths from ``root`` to ``target`` along which its content has class ``origin``.

    In BOM order (depth first, usages in file order). ``inside`` holds every part under
    ``root``; the walk only enters parts that lead to ``target``, found by walking up from
    it. Paths are linked lists (step, rest) while searching, so a deep path costs O(1) per step.
    """
    ids = graph.compiled.ids
    parents = graph.parents
    leads_to = {target}
    stack = [target]
    while stack:
        for p in parents(stack.pop()):
            if p not in leads_to and p in inside:
                leads_to.add(p)
                stack.append(p)
    selected = graph.selected
    found: list[tuple[PathStep, ...]] = []
    walk: list[tuple[int, int, tuple]] = [(root, UNKNOWN, (PathStep(ids[root], 1), None))]
    while walk and len(found) < limit:
        i, inherited, link = walk.pop()
        if i == target:
            if _class_at(rolled, i, inherited) == origin:
                steps = []
                while link is not None:
                    steps.append(link[0])
                    link = link[1]
                found.append(tuple(reversed(steps)))
            continue
        passed = _passed(rolled, i, inherited, inherit)
        for j, _, q_nom, _ in reversed(selected[i]):
            if j in leads_to:
                walk.append((j, passed, (PathStep(ids[j], q_nom), link)))
    return found


def _merge(holders: Holders, mult: dict[int, dict[int, list]], origins: list[int], wanted_class: int | None) -> dict[tuple[int, int, int], list]:
    """Each holder's grams of each symbol in one root, per origin class: ``[grams, multiplier,
    own grams]`` keyed by (part, symbol index, class), from :func:`_multipliers`. A part
    with several columns of one symbol adds them up, multiplier too."""
    # Keyed by (part, symbol index, origin class index): ints hash fast, enums do not.
    merged: dict[tuple[int, int, int], list] = {}
    for i, cols in holders:
        here = mult.get(i)
        if here is None:
            continue
        own_origin = origins[i]
        for col, own_t in cols:
            symbol_index = col // N_ORIGINS
            for k, m in here.items():
                cls = own_origin if own_origin != UNKNOWN else k
                if wanted_class is not None and cls != wanted_class:
                    continue
                _add_column(merged, (i, symbol_index, cls), own_t, m)
    return merged


def _add_column(slots: dict, key: Any, own_t: tuple, m: Sequence) -> None:
    """Add one own column's grams times the multiplier ``m`` (low, nominal, high) to
    ``slots[key]``: ``[grams, multiplier, own grams]``, made by the key's first column,
    whose own grams it keeps. A part with several columns of one symbol (several origins)
    is one contributor: its grams and its multiplier add up."""
    a, b, c = own_t
    m_lo, m_nom, m_hi = m
    slot = slots.get(key)
    if slot is None:
        slots[key] = [[a * m_lo, b * m_nom, c * m_hi], [m_lo, m_nom, m_hi], own_t]
    else:
        mass, total = slot[0], slot[1]
        mass[0] += a * m_lo
        mass[1] += b * m_nom
        mass[2] += c * m_hi
        total[0] += m_lo
        total[1] += m_nom
        total[2] += m_hi


class _Column:
    """A column of :func:`_merge_one_class` that works an item out when it is asked for:
    the ranking reads the low grams, the class, the multiplier and the own grams of the
    top few items only."""

    __slots__ = ("_item", "_size")

    def __init__(self, item: Callable[[int], Any], size: int):
        self._item, self._size = item, size

    def __getitem__(self, e: int) -> Any:
        return self._item(e)

    def __len__(self) -> int:
        return self._size


def _merge_one_class(holders: Holders, one_class: tuple[list, ...], origins: list[int], wanted_class: int | None) -> tuple[Sequence, ...]:
    """:func:`_merge` over :func:`_one_class_multipliers` (a part's class is then its own),
    with the same sums in the same order, as columns: part, symbol index, class, the grams
    (low, nominal, high), the multiplier and the own grams of each item of the merge.

    Columns, not a list per item: a finished good holds tens of thousands of items, and
    each container made here would be one more for the garbage collector to scan. The
    class, the low grams, the multiplier and the own grams are worked out on demand
    (:class:`_Column`) from where each item came from: its holder's column (one column
    per symbol, the usual case), or the sums of its several columns."""
    parts: list[int] = []
    syms: list[int] = []
    noms: list = []
    his: list = []
    #: per item, the index of its column in ``holders``, or its summed ``[grams, multiplier, own grams]``
    where: list = []
    lows, nominals, highs, _ = one_class
    all_cols, all_grams, start = holders.cols, holders.grams, 0
    for h, i in enumerate(holders.parts):
        begin, start = start, holders.ends[h]
        m_lo = lows[i]
        if m_lo is None:
            continue
        if wanted_class is not None and origins[i] != wanted_class:  # its own class if definite, else UNKNOWN
            continue
        m_nom, m_hi = nominals[i], highs[i]
        if holders.distinct[h]:  # one column per symbol: nothing to add up
            for k in range(begin, start):
                _, b, c = all_grams[k]
                parts.append(i)
                syms.append(all_cols[k] // N_ORIGINS)
                noms.append(b * m_nom)
                his.append(c * m_hi)
                where.append(k)
            continue
        local: dict[int, list] = {}
        for col, own_t in zip(all_cols[begin:start], all_grams[begin:start], strict=True):
            _add_column(local, col // N_ORIGINS, own_t, (m_lo, m_nom, m_hi))
        for symbol_index, slot in local.items():
            parts.append(i)
            syms.append(symbol_index)
            noms.append(slot[0][1])
            his.append(slot[0][2])
            where.append(slot)

    def low(e: int):
        w = where[e]
        return all_grams[w][0] * lows[parts[e]] if type(w) is int else w[0][0]

    def multiplier(e: int):
        w = where[e]
        return None if type(w) is int else w[1]  # None: the part's multiplier, taken from the columns when ranked

    def own(e: int):
        w = where[e]
        return all_grams[w] if type(w) is int else w[2]

    n = len(parts)
    classes = _Column(lambda e: origins[parts[e]], n)
    return parts, syms, classes, _Column(low, n), noms, his, _Column(multiplier, n), _Column(own, n)


def _top_one_class(merged: tuple[list, ...], one_class: tuple[list, ...], limit: int, ids: list[str], values: list[str]) -> list[tuple[tuple[int, int, int], list]]:
    """The first ``limit`` items of :func:`_merge_one_class` in the ranking of
    :func:`contributors`, as its ``(key, [grams, multiplier, own grams])`` items."""
    parts, syms, classes, los, noms, his, mults, owns = merged
    lows, nominals, highs, _ = one_class
    effective = [x if x == x else -1 for x in noms]  # a NaN nominal ranks as -1

    def rank(e: int):
        return (-effective[e], -his[e], ids[parts[e]], SYMBOLS[syms[e]], values[classes[e]])

    if any(x != x for x in his):
        # A NaN upper bound breaks the total order: sort all, in the order of the merge.
        top = sorted(range(len(parts)), key=rank)[:limit]
    else:
        candidates: Iterable[int] = range(len(parts))
        if len(parts) > limit > 0:
            # Only items whose nominal is at least the limit-th largest can make the top.
            kth = heapq.nlargest(limit, effective)[-1]
            candidates = [e for e, x in enumerate(effective) if x >= kth]
        top = heapq.nsmallest(limit, candidates, key=rank)
    return [
        ((i, syms[e], classes[e]), [[los[e], noms[e], his[e]], [lows[i], nominals[i], highs[i]] if mults[e] is None else mults[e], owns[e]])
        for e, i in ((e, parts[e]) for e in top)
    ]


#: From this many parts on, a float trace ranks contributors with numpy where it can
#: (rarebom.engine.vector_contributors): below it, the arrays cost more than they save.
VECTOR_MIN_PARTS = 2000


def _vectorised(
    graph: Graph, rolled: Rolled, root: int, below: Sequence[int], inherit: bool, holders: Holders, wanted_class: int | None, limit: int, ids: list[str], values: list[str]
):
    """The ranked items of :func:`_top_one_class` and each part's path count (a function of
    its index) computed with numpy, identical to the loop's; None where the loop runs."""
    if graph.compiled.exact or len(ids) < VECTOR_MIN_PARTS:
        return None
    try:
        from .vector_contributors import top_contributors  # numpy, imported only here
    except ImportError:
        return None
    return top_contributors(graph, rolled, root, below, inherit, holders, wanted_class, limit, ids, values)


def contributors(
    graph: Graph,
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
    compiled = graph.compiled
    below = graph.reachable(root)
    origins = rolled.origin
    wanted_class = None if origin is None else ORIGIN_CLASSES.index(origin)
    # The parts holding the symbols, in index order (as ``below`` is), and under the root.
    holders = graph.holders(frozenset(SYMBOL_INDEX[s] for s in symbols))
    ids = compiled.ids
    values = [o.value for o in ORIGIN_CLASSES]
    vectorised = _vectorised(graph, rolled, root, below, inherit, holders, wanted_class, limit, ids, values)
    one_class = None if vectorised is not None else _one_class_multipliers(graph, rolled, root, below, inherit)
    if vectorised is not None:
        top, count_of = vectorised
    elif one_class is not None:
        count_of = one_class[3].__getitem__
        top = _top_one_class(_merge_one_class(holders, one_class, origins, wanted_class), one_class, limit, ids, values)
    else:
        mult = _multipliers(graph, rolled, root, below, inherit)
        merged = _merge(holders, mult, origins, wanted_class)

        def rank(item):
            (i, symbol_index, cls), (mass, _, _) = item
            nominal = mass[1] if mass[1] == mass[1] else -1
            return (-nominal, -mass[2], ids[i], SYMBOLS[symbol_index], values[cls])

        # The first ``limit`` of the ranking: nsmallest is sorted()[:limit] where the keys are
        # totally ordered, which a NaN upper bound would break (then sort as before).
        nan = any(slot[0][2] != slot[0][2] for slot in merged.values())
        top = sorted(merged.items(), key=rank)[:limit] if nan else heapq.nsmallest(limit, merged.items(), key=rank)
    ranked = [((i, SYMBOLS[symbol_index], ORIGIN_CLASSES[cls]), slot) for (i, symbol_index, cls), slot in top]
    if not ranked:
        return []
    if vectorised is not None or one_class is not None:
        inside: set[int] | dict = set(below)

        def path_count(i: int, cls: int) -> int:
            return count_of(i)  # one class: the content has class ``cls`` along every path

    else:
        inside = mult
        counts = _path_counts(graph, rolled, root, below, inherit)

        def path_count(i: int, cls: int) -> int:
            return sum(c for k, c in counts.get(i, {}).items() if _class_at(rolled, i, k) == cls)

    result = []
    for (i, symbol, klass), (mass, m, own_t) in ranked:
        cls = ORIGIN_CLASSES.index(klass)
        count = path_count(i, cls)
        result.append(
            Contributor(
                part=compiled.ids[i],
                symbol=symbol,
                origin=klass,
                mass=Bounds.of(mass, "g"),
                multiplier=Bounds.of(m),
                own_mass=Bounds.of(own_t, "g"),
                paths=tuple(_paths(graph, rolled, root, i, inside, max_paths, cls, inherit)),
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
    """``str(Bounds.of(triple, unit))``, without building the Bounds (a wide assembly has one line per child)."""
    lo, nominal, hi = triple
    lo = None if lo != lo else lo  # NaN is unknown, as in Bounds
    hi = None if hi != hi else hi
    unit = f" {unit}" if unit else ""
    if lo == hi:
        return f"{_fmt(lo)}{unit}"
    return f"{_fmt(None if nominal != nominal else nominal)}{unit} [{_fmt(lo)}, {_fmt(hi)}]"


#: A derivation lists this many of a part's usages one by one, and sums the rest in one line.
DERIVATION_USES = 100


def derive(compiled: Compiled, rolled: Rolled, part: Part, *, typical: bool, elements: Iterable[str] | None = None, max_uses: int | None = DERIVATION_USES) -> Derivation:
    """The arithmetic behind one part's result: mass basis, materials, children, origin, value.

    The first ``max_uses`` usages get a line each (all of them with None); the others, of
    an assembly wider than that, one line with their count and their mass in all, so a
    part with 100,000 children does not make a 100,000-line derivation."""
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
    shown = [(symbol, SYMBOL_INDEX[symbol]) for symbol in sorted(show, key=SYMBOL_INDEX.__getitem__)]
    ids, vectors, masses = compiled.ids, rolled.vector, rolled.mass
    uses = compiled.uses[i]
    listed = uses if max_uses is None else uses[:max_uses]
    for candidates in listed:
        j, q_lo, q_nom, q_hi = candidates[0]
        vector = vectors[j] or {}
        per = []
        present = {col // N_ORIGINS for col in vector}
        for symbol, index in shown:
            if index not in present:
                continue
            base = index * N_ORIGINS
            nominal = sum(vector[c][1] for c in range(base, base + N_ORIGINS) if c in vector)
            if nominal == nominal and nominal:
                per.append(f"{symbol} {_fmt(nominal)} g each")
        alternates = f" (alternates: {', '.join(ids[c[0]] for c in candidates[1:])})" if len(candidates) > 1 else ""
        lo, nom, hi = masses[j]
        lines.append(
            f"uses {_t((q_lo, q_nom, q_hi), '')} × {ids[j]!r}{alternates}: {_t((lo, nom, hi))} each -> {_t((lo * q_lo, nom * q_nom, hi * q_hi))}"
            + (f"; {', '.join(per)}" if per else "")
        )
    if len(listed) < len(uses):
        rest = [0, 0, 0]
        for candidates in uses[len(listed) :]:
            j, q_lo, q_nom, q_hi = candidates[0]
            lo, nom, hi = masses[j]
            rest[0] += lo * q_lo
            rest[1] += nom * q_nom
            rest[2] += hi * q_hi
        lines.append(f"and {len(uses) - len(listed):,} more usages, not listed one by one: {_t(rest)} in all")
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
