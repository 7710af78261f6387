"""The contributors ranking of :func:`.explain.contributors` vectorised with numpy, with the loop's results.

Where every part under a finished good inherits one origin class (most BOMs), the ranking
needs how many of each part one root holds (:func:`.explain._one_class_multipliers`), each
holder's grams times that (:func:`.explain._merge_one_class`), and the first few items
(:func:`.explain._top_one_class`). Here the multipliers are handed down a level at a time
(``Compiled.level``: every parent of a part of level L has a higher level, so its
multiplier is final before level L is summed), and only the top items become Python numbers.

The results must be those of the loop, Python types included, as in :mod:`.vector`:

- a usage's share of its child is ``multiplier * quantity``, and a child's multiplier is
  its parents' shares summed with ``np.bincount`` over the usages ordered as the loop adds
  them (parents by index descending, each parent's usages in file order): bincount adds in
  input order, starting from +0.0 where the loop starts from the first share, which
  differs only where every share is -0.0;
- every number carries an "is an int" flag (``int * int`` and ``int + int`` are ints), and
  the float64 of an int must be the int itself: where an int could pass 2**53 (a share, a
  running sum or a path count), the loop runs instead;
- a usage of a parent not under the root adds nothing (it is left out, not multiplied
  by 0: ``0 * inf`` is NaN).

Exact traces, BOMs without numpy, small BOMs and deep narrow ones (few parts a level,
where numpy's cost per call outweighs the loop) keep the loop.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from itertools import chain, repeat
from operator import is_, itemgetter

import numpy as np

from .explain import _add_column
from .rollup import N_ORIGINS, SYMBOLS
from .vector import Selected, _Grams

__all__ = ["top_contributors"]

#: A BOM whose levels hold fewer usages than this on average goes through the loop: each
#: level costs some 30 numpy calls (about 50 us) where the loop pays about 1 us a usage.
MIN_LEVEL_WIDTH = 64
#: Ints are exact in float64 below this.
_EXACT = float(2**53)


def top_contributors(graph, rolled, root: int, below: Sequence[int], inherit: bool, holders, wanted_class: int | None, limit: int, ids: list[str], values: list[str]):
    """:func:`.explain._top_one_class` of :func:`.explain._merge_one_class` of
    :func:`.explain._one_class_multipliers`, with each part's path count as a function of
    its index; None where the loop must run (several classes in play, a BOM too deep for
    its width, an int past 2**53)."""
    edges = _edges(graph)
    if edges is None:
        return None
    if inherit:
        fixing = graph.fixing(rolled.origin)
        if fixing is not None and np.frombuffer(fixing, dtype=np.uint8)[np.asarray(below, dtype=np.int64)].any():
            return None
    columns = edges.holder_columns(holders)
    if columns is None:
        return None
    with np.errstate(all="ignore"):  # inf × 0 and inf - inf are NaN, a product past float range inf, as in Python
        mult = edges.multipliers(root)
        top = None if mult is None else _top(columns, mult, rolled.origin, wanted_class, limit, ids, values)
    if top is None:
        return None
    return top, mult.count


def _numbers(flat: list, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Python numbers as float64 values and flags of which are ints (OverflowError for an
    int beyond float range)."""
    values = np.array(flat, dtype=np.float64).reshape(shape)
    ints = np.fromiter(map(is_, map(type, flat), repeat(int)), dtype=bool, count=len(flat)).reshape(shape)
    return values, ints


def _past_exact(values: np.ndarray, ints: np.ndarray, rows: np.ndarray) -> bool:
    """Whether an int among ``rows`` of ``values`` (rows × 3, flagged in ``ints``) is too
    large for float64 to hold exactly; only the ints are gathered."""
    at, bound = np.nonzero(ints[rows])
    return bool(len(at)) and bool(np.abs(values[rows[at], bound]).max() >= _EXACT)


class _Multipliers:
    """How many of each part one root holds (low, nominal, high), by position, with int
    flags, whether each part is under the root, and its path count."""

    __slots__ = ("counts", "ints", "pos", "present", "value")

    def __init__(self, pos: np.ndarray, value: np.ndarray, ints: np.ndarray, present: np.ndarray, counts: np.ndarray):
        self.pos, self.value, self.ints, self.present, self.counts = pos, value, ints, present, counts

    def triple(self, i: int) -> list:
        """Part ``i``'s multiplier as the loop has it: ``[low, nominal, high]``, ints as ints."""
        p = self.pos[i]
        return [int(v) if f else v for v, f in zip(self.value[:, p].tolist(), self.ints[:, p].tolist(), strict=True)]

    def count(self, i: int) -> int:
        """The number of paths from the root to part ``i``."""
        return int(self.counts[self.pos[i]])


class _HolderColumns:
    """A :class:`.explain.Holders` as arrays by column: its part's position, its symbol
    index, the row of its own grams (min, nominal, max) in ``grams`` and of their int flags
    in ``ints``, and whether its holder's columns are of distinct symbols; ``mixed``: the
    holders that are not. Where the holders were found in the own content's arrays,
    ``grams`` and ``ints`` are those arrays themselves, not a copy."""

    __slots__ = ("distinct", "grams", "holders", "ints", "mixed", "parts", "pos", "rows", "syms")

    def __init__(self, holders, pos: np.ndarray):
        self.holders = holders  # kept: the cache is keyed by its id
        n_cols = np.diff(np.asarray(holders.ends, dtype=np.int64), prepend=0)
        # kept for the trace's life, per symbol set: parts in 4 bytes, symbols in 2
        self.parts = np.repeat(np.asarray(holders.parts, dtype=pos.dtype), n_cols)
        self.pos = pos[self.parts]
        self.syms = (np.asarray(holders.cols, dtype=np.int64) // N_ORIGINS).astype(np.int16)
        distinct = np.frombuffer(holders.distinct, dtype=np.uint8).astype(bool)
        self.distinct = np.repeat(distinct, n_cols)
        self.mixed = np.flatnonzero(~distinct).tolist()
        if isinstance(holders.grams, _Grams):  # the own content's arrays themselves
            own, rows = holders.grams.own, holders.grams.entries
            self.grams, self.ints = own.values, own.ints
        else:
            self.grams, self.ints = _numbers(list(chain.from_iterable(holders.grams)), (-1, 3))
            rows = np.arange(len(self.grams))
        self.rows = np.asarray(rows).astype(np.int32 if len(self.grams) < 2**31 else np.int64)

    @classmethod
    def build(cls, holders, pos: np.ndarray) -> _HolderColumns | None:
        """The columns, or None where a gram is an int too large for float64 to hold exactly."""
        try:
            columns = cls(holders, pos)
        except OverflowError:
            return None
        return None if _past_exact(columns.grams, columns.ints, columns.rows) else columns


class _Edges:
    """The selected usages of a :class:`.explain.Graph` as arrays, in the order the
    multipliers are summed: by child level (highest first), then parent index (highest
    first), then file order. Parts are by position: in level order, so each level's parts
    are a slice."""

    __slots__ = ("blocks", "cpos", "holders", "ints", "n", "pos", "ppos", "root_level", "rows", "values")

    def __init__(self, graph, level: np.ndarray):
        selected = graph.selected
        n = self.n = len(selected)
        index = np.int32 if n < 2**31 else np.int64  # positions: 4 bytes a usage, not 8
        order = np.argsort(level, kind="stable")
        self.pos = np.empty(n, dtype=index)
        self.pos[order] = np.arange(n, dtype=index)
        if isinstance(selected, Selected):  # the trace's usages are arrays already: read in place
            usages = selected.usages
            n_uses = np.diff(usages.starts)
            rows = usages.selected_candidates()
            child = usages.child[rows]
            values, ints = usages.q, usages.ints
        else:
            n_uses = np.fromiter(map(len, selected), dtype=np.int64, count=n)
            uses = list(chain.from_iterable(selected))
            child = np.fromiter(map(itemgetter(0), uses), dtype=np.int64, count=len(uses))
            values, ints = _numbers(list(chain.from_iterable(map(itemgetter(1, 2, 3), uses))), (-1, 3))
            rows = None
        parent = np.repeat(np.arange(n, dtype=index), n_uses)
        child_level = level[child]
        # lexsort's last key sorts first
        edge = np.lexsort((np.arange(len(child), dtype=index), -parent, -child_level))
        self.cpos, self.ppos = self.pos[child[edge]], self.pos[parent[edge]]
        # The multipliers stay where they are (the trace's usages.q, kept anyway): by edge,
        # the row of ``values`` (and ``ints``, None where no multiplier is an int) to read.
        self.rows = (edge if rows is None else rows[edge]).astype(np.int32 if len(values) < 2**31 else np.int64, copy=False)
        self.values, self.ints = values, ints
        starts = np.concatenate(([0], np.cumsum(np.bincount(level))))
        #: per level with usages, highest first: (level, the usages' slice, the level's parts' slice)
        self.blocks = []
        levels = child_level[edge]
        bounds = np.flatnonzero(np.diff(levels)) + 1
        for a, b in () if not len(levels) else zip(chain((0,), bounds.tolist()), chain(bounds.tolist(), (len(levels),)), strict=True):
            lev = int(levels[a])
            self.blocks.append((lev, a, b, int(starts[lev]), int(starts[lev + 1])))
        self.root_level = level
        #: the :class:`_HolderColumns` of each Holders asked for, by id
        self.holders: dict[int, _HolderColumns | None] = {}

    @classmethod
    def build(cls, graph) -> _Edges | None:
        """The edges, or None where a quantity is an int too large for float64 to hold exactly."""
        level = np.asarray(graph.compiled.level, dtype=np.int32)  # kept: 4 bytes a part
        try:
            edges = cls(graph, level)
        except OverflowError:
            return None
        return None if edges.ints is not None and _past_exact(edges.values, edges.ints, edges.rows) else edges

    def holder_columns(self, holders) -> _HolderColumns | None:
        key = id(holders)
        if key not in self.holders:
            self.holders[key] = _HolderColumns.build(holders, self.pos)
        found = self.holders[key]
        return found if found is not None and found.holders is holders else None

    def multipliers(self, root: int) -> _Multipliers | None:
        """What :func:`.explain._one_class_multipliers` computes for ``root``, as arrays; None
        where an int could pass 2**53."""
        n = self.n
        value = np.zeros((3, n))
        ints = np.zeros((3, n), dtype=bool)
        present = np.zeros(n, dtype=bool)
        counts = np.zeros(n)
        r = self.pos[root]
        value[:, r] = 1.0
        ints[:, r] = present[r] = True
        counts[r] = 1.0
        top = self.root_level[root]
        for lev, a, b, lo, hi in self.blocks:
            if lev >= top:  # no part under the root uses a part of its level or higher
                continue
            live = np.flatnonzero(present[self.ppos[a:b]])
            if not len(live):
                continue
            live += a
            width = hi - lo
            parents = self.ppos[live]
            kids = self.cpos[live]
            kids -= lo
            hits = np.bincount(kids, minlength=width)
            hit = hits > 0
            present[lo:hi] = hit
            counts[lo:hi] = np.bincount(kids, weights=counts[parents], minlength=width)
            rows = self.rows[live]
            del live
            # One bound at a time: a level's widest arrays are a few of its live edges' length.
            for c in range(3):
                share = self.values[:, c].take(rows)
                np.multiply(value[c, parents], share, out=share)
                if self.ints is None:  # no multiplier is an int, so no share is
                    value[c, lo:hi] = _summed(kids, share, hit, hits, width)
                    ints[c, lo:hi] = False
                    continue
                share_int = ints[c, parents] & self.ints[:, c].take(rows)
                if share_int.any():
                    np.add(share, 0.0, out=share, where=share_int)  # -0.0 as an int is the int 0
                    # Every running sum of ints is at most the sum of their sizes: below
                    # 2**53, each is exact (and the float sum of exact ints is exact until then).
                    if np.bincount(kids, weights=np.where(share_int, np.abs(share), 0.0), minlength=width).max() >= _EXACT:
                        return None
                value[c, lo:hi] = _summed(kids, share, hit, hits, width)
                if share_int.all():
                    ints[c, lo:hi] = hit
                else:
                    ints[c, lo:hi] = hit & (np.bincount(kids, weights=~share_int, minlength=width) == 0)
        if counts.max() >= _EXACT:  # a count is at least every count it was summed from
            return None
        return _Multipliers(self.pos, value, ints, present, counts)


def _summed(kids: np.ndarray, share: np.ndarray, hit: np.ndarray, hits: np.ndarray, width: int) -> np.ndarray:
    """Each kid's shares summed, in order; -0.0 where all of a kid's shares are -0.0 (the
    loop's sum of nothing but -0.0 is -0.0; bincount's is 0.0)."""
    total = np.bincount(kids, weights=share, minlength=width)
    minus_zero = (share == 0) & np.signbit(share)
    if minus_zero.any():
        total[hit & (np.bincount(kids, weights=minus_zero, minlength=width) == hits)] = -0.0
    return total


def _edges(graph) -> _Edges | None:
    """The graph's :class:`_Edges`, built on first use and kept on it; None where the
    loop must run (or the BOM's levels are too narrow)."""
    found = graph._vec
    if found is None:
        level = graph.compiled.level
        narrow = (max(level, default=0) + 1) * MIN_LEVEL_WIDTH > sum(map(len, graph.children))  # the usages
        found = graph._vec = False if narrow else (_Edges.build(graph) or False)
    return found or None


def _top(columns: _HolderColumns, mult: _Multipliers, origins: Sequence[int], wanted_class: int | None, limit: int, ids: list[str], values: list[str]):
    """The ranking of :func:`.explain._top_one_class` over the merge of ``columns`` with
    ``mult``: the first ``limit`` items as ``(key, [grams, multiplier, own grams])``, or
    None where an int could pass 2**53."""
    keep = mult.present[columns.pos]
    if wanted_class is not None:
        holders = columns.holders
        wanted = np.fromiter((origins[i] == wanted_class for i in holders.parts), dtype=bool, count=len(holders.parts))
        keep &= np.repeat(wanted, np.diff(np.asarray(holders.ends, dtype=np.int64), prepend=0))
    # Items in the merge's order: holders in order, each one's columns in order, where a
    # holder with several columns of one symbol gives one item at its first column.
    col = np.flatnonzero(keep & columns.distinct)
    pos = columns.pos[col]
    rows = columns.rows[col]
    noms = columns.grams[rows, 1] * mult.value[1, pos]
    his = columns.grams[rows, 2] * mult.value[2, pos]
    for x, x_int in ((noms, columns.ints[rows, 1] & mult.ints[1, pos]), (his, columns.ints[rows, 2] & mult.ints[2, pos])):
        if x_int.any() and np.abs(x[x_int]).max() >= _EXACT:
            return None
    parts, syms = columns.parts[col], columns.syms[col]
    #: the summed ``[grams, multiplier, own grams]`` of the items of holders with several columns of one symbol
    slots: list[list] = []
    if columns.mixed:
        found = _mixed(columns, mult, keep, slots)
        if found is None:
            return None
        first, m_parts, m_syms, m_noms, m_his = found
        if first:
            order = np.argsort(np.concatenate((col, first)), kind="stable")
            col = np.concatenate((col, -1 - np.arange(len(first))))[order]  # -1 - k: slot k
            parts = np.concatenate((parts, m_parts))[order]
            syms = np.concatenate((syms, m_syms))[order]
            noms = np.concatenate((noms, m_noms))[order]
            his = np.concatenate((his, m_his))[order]
    effective = np.where(noms == noms, noms, -1.0)  # a NaN nominal ranks as -1
    n = len(col)
    if np.isnan(his).any():
        # A NaN upper bound breaks the total order: sort all, in the order of the merge.
        top = _ranked(np.arange(n), None, effective, his, parts, syms, origins, ids, values)[:limit]
    elif limit <= 0:
        top = []
    else:
        candidates = np.arange(n)
        if n > limit:
            # Only items whose nominal is at least the limit-th largest can make the top.
            kth = np.partition(effective, n - limit)[n - limit]
            candidates = np.flatnonzero(effective >= kth)
        top = _ranked(candidates, limit, effective, his, parts, syms, origins, ids, values)
    grams = columns.holders.grams
    items = []
    for e in top:
        i, k, symbol_index = int(parts[e]), int(col[e]), int(syms[e])
        if k >= 0:
            own_t = grams[k]
            m = mult.triple(i)
            items.append(((i, symbol_index, origins[i]), [[own_t[0] * m[0], own_t[1] * m[1], own_t[2] * m[2]], m, own_t]))
        else:
            mass, total, own_t = slots[-1 - k]
            items.append(((i, symbol_index, origins[i]), [[mass[0], mass[1], mass[2]], total, own_t]))
    return items


def _ranked(
    chosen: np.ndarray, limit: int | None, effective: np.ndarray, his: np.ndarray, parts: np.ndarray, syms: np.ndarray, origins: Sequence[int], ids: list[str], values: list[str]
) -> list[int]:
    """The items ``chosen`` (positions in the merge, in its order) in the ranking's order,
    the first ``limit`` of them (all for None). Only the chosen items become Python
    numbers: every item's would be five lists of a million at 1M parts."""
    # Floats where the loop may have ints: each is exact, so every comparison comes out the same.
    effective_l, his_l = effective[chosen].tolist(), his[chosen].tolist()
    parts_l, syms_l = parts[chosen].tolist(), syms[chosen].tolist()

    def rank(k: int):
        return (-effective_l[k], -his_l[k], ids[parts_l[k]], SYMBOLS[syms_l[k]], values[origins[parts_l[k]]])

    order = sorted(range(len(chosen)), key=rank) if limit is None else heapq.nsmallest(limit, range(len(chosen)), key=rank)
    chosen_l = chosen.tolist()
    return [chosen_l[k] for k in order]


def _mixed(columns: _HolderColumns, mult: _Multipliers, keep: np.ndarray, slots: list[list]):
    """The items of the kept holders with several columns of one symbol, summed as the
    loop sums them, into ``slots``: each one's first column, part, symbol, nominal and high
    grams; None where an int could pass 2**53."""
    holders = columns.holders
    first, parts, syms, noms, his = [], [], [], [], []
    for h in columns.mixed:
        begin, end = holders.ends[h - 1] if h else 0, holders.ends[h]
        if not keep[begin]:
            continue
        i = holders.parts[h]
        m = mult.triple(i)
        local: dict[int, list] = {}
        firsts: dict[int, int] = {}  # each symbol's first column
        for k in range(begin, end):
            symbol_index = holders.cols[k] // N_ORIGINS
            firsts.setdefault(symbol_index, k)
            _add_column(local, symbol_index, holders.grams[k], m)
        for symbol_index, slot in local.items():
            first.append(firsts[symbol_index])
            parts.append(i)
            syms.append(symbol_index)
            noms.append(slot[0][1])
            his.append(slot[0][2])
            slots.append(slot)
    if any(type(x) is int and abs(x) >= _EXACT for x in chain(noms, his)):
        return None
    as_floats = np.array(noms + his, dtype=np.float64).reshape(2, -1)
    return first, np.array(parts, dtype=np.int64), np.array(syms, dtype=np.int64), as_floats[0], as_floats[1]
