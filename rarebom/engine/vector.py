"""The roll-up vectorised with numpy: the same results as :func:`.rollup.rollup`, level by level.

A part's level is one more than its highest child's (alternates included), leaves are
level 0, so every part of a level only needs parts of lower levels (``compile_bom``
records each part's level as it compiles it: ``Compiled.level``). Each level is then a
handful of array operations over all its parts at once, instead of a Python loop per part:

- the parts' own content, then each usage's child vector times the usage's multipliers,
  in usage order, then the part's undeclared gap, are summed per (part, column) with
  ``np.bincount`` into a dense block of (parts × columns used anywhere in the BOM), which
  adds in input order, so each sum is the same floating-point sum as the loop's;
- the per-part steps of the loop (contents, the mass basis, the mass, the gap, origin
  inheritance, capping each column at the part's maximum mass) are array expressions of
  the same operations in the same order.

What a parent reads of each child (mass, value, where its vector is stored) is one row of
a results table, so a level gathers one row per usage instead of nine scattered numbers.

The result must be *identical* to the loop's, Python types included: the loop leaves some
numbers as the int 0 (``max(0, x)``, ``mul``), which results turn into exact ``Fraction(0)``,
and exactness changes what the rules re-check. So every number carries an "is an int"
flag, propagated with Python's rules (``int + int`` is an int; ``max(a, b)`` keeps ``a``
unless ``b > a``, NaN included). tests/test_engine_vector.py compares the two on every
example, import fixture, synthetic BOMs and hypothesis BOMs.

Usages whose alternates count under ``Alternates.WORST`` are rare: each goes through the
loop's own ``_worst_into`` on views of the finished levels, and its envelope then enters
the level's sums in its usage's place. Exact (``Fraction``) traces, and BOMs so deep and
narrow that a level holds only a few parts (where the per-level cost of numpy outweighs
the loop), use :func:`.rollup.rollup` itself.
"""

from __future__ import annotations

from array import array
from collections.abc import Collection, Iterator, Sequence
from itertools import chain, pairwise
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from .policy import Alternates
from .rollup import INF, N_ORIGINS, ORIGIN_INDEX, SYMBOL_INDEX, UNDECLARED, UNKNOWN, Compiled, Progress, Rolled, _worst_into, rollup

if TYPE_CHECKING:
    from .explain import Holders

__all__ = ["ArraySink", "OwnContent", "Selected", "Usages", "rollup_arrays"]

#: The array path pays about 1-2 ms of numpy call overhead per level (about the loop's
#: time for 30-150 parts, by their vectors' sizes), so a BOM whose levels hold fewer parts
#: than this on average goes through the loop.
MIN_LEVEL_WIDTH = 128
#: The largest dense (parts × columns) block summed at once; a wider level is cut into chunks.
BLOCK_CELLS = 1 << 18
#: The store's first capacity, in entries per part (the synthetic BOMs need about 7); it
#: doubles when full.
STORE_PER_PART = 8

_BASIS = ("unknown", "contents", "declared", "unit of measure")
_B_UNKNOWN, _B_CONTENTS, _B_DECLARED, _B_UOM = range(4)
_TIE = 1e-9  # as rollup(): a float sum of contents within this of the declared mass equals it
_CHUNK = 1 << 16  # numbers converted to a Python list at once


def rollup_arrays(
    compiled: Compiled, *, alternates: Alternates, inherit: bool, progress: Progress | None = None, min_level_width: int = MIN_LEVEL_WIDTH, compact: bool = False
) -> Rolled:
    """Roll up every part of a float ``compiled``: what :func:`.rollup.rollup` returns, computed with numpy.

    The result's fields are read-only sequences with the same items as the loop's lists.
    ``min_level_width``: BOMs whose levels hold fewer parts than this on average use the loop.
    ``compact``: where the arrays were used, also replace ``compiled.own`` by an
    :class:`OwnContent` and ``compiled.uses`` by :class:`Usages`, over the arrays the
    roll-up read them into (equal dicts and tuples, made when asked for), so the dicts and
    tuples become garbage; ``trace()`` does this.
    """
    if compiled.exact or not compiled.ids:
        return rollup(compiled, alternates=alternates, inherit=inherit, progress=progress)
    if _narrow(max(compiled.level), len(compiled.ids), min_level_width):
        return rollup(compiled, alternates=alternates, inherit=inherit, progress=progress)
    arrays = ArrayBom.build(compiled, own_content=compact)
    if compact:
        compiled.own = arrays.own_content
        if arrays.usages.faithful():  # always, in a float trace: its multipliers are floats
            compiled.uses = arrays.usages
    return arrays.roll(alternates=alternates, inherit=inherit, progress=progress)


def _narrow(top: int, parts: int, width: int) -> bool:
    """Whether ``parts`` in levels 0 to ``top`` hold fewer than ``width`` parts a level on
    average: the loop rolls such a BOM up, not the arrays."""
    return (top + 1) * width > parts


def _numbers(flat: list, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Python numbers as float64 values and flags of which are ints (the loop's int 0s)."""
    values = np.array(flat, dtype=np.float64)
    ints = np.zeros(len(flat), dtype=bool)
    # An int is a whole number (or beyond float range: inf), so only those need a look; a
    # chunk of them at a time, as a list of every whole number's index would be 40 bytes
    # each (most multipliers are whole: 1.0, 2.0).
    whole = np.flatnonzero(values == np.trunc(values))
    for a in range(0, len(whole), _CHUNK):
        at = whole[a : a + _CHUNK].tolist()
        ints[at] = [type(flat[k]) is int for k in at]
    return values.reshape(shape), ints.reshape(shape)


_MISSING = (np.nan, np.nan, np.nan)


def _triples(seq: Sequence[Any], n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``seq`` of triples or None as (values n×3, present, int flags n×3)."""
    present = np.array([t is not None for t in seq], dtype=bool)  # compares pointers only
    values, ints = _numbers(list(chain.from_iterable(t if t is not None else _MISSING for t in seq)), (n, 3))
    return values, present, ints


def _entries(own: Sequence[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Compiled own-content dicts as arrays, every part's entries in order (a shared dict's
    once per part): the count per part, and every entry's column, values (n×3) and int flags."""
    counts = np.fromiter(map(len, own), dtype=np.int64, count=len(own))
    cols = np.fromiter(chain.from_iterable(own), dtype=np.int64, count=int(counts.sum()))
    values, ints = _numbers(list(chain.from_iterable(chain.from_iterable(map(dict.values, own)))), (-1, 3))
    return counts, cols, values, ints


def _edges(usages: Usages) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[int, tuple]]:
    """The usages as edges, in usage order: each edge's parent, its selected candidate's
    child, that candidate's row of ``usages.q`` (its multipliers, min, nominal, max), and
    the candidate lists of the usages with alternates (for Alternates.WORST), by edge.
    Parents, children and rows have the usages' own index type (int32 below 2**31)."""
    index = usages.starts.dtype
    e_parent = np.repeat(np.arange(len(usages), dtype=index), np.diff(usages.starts))
    sel = usages.selected_candidates().astype(index, copy=False)
    alternates = {e: usages.candidates(e) for e in usages.with_alternates().tolist()}
    return e_parent, usages.child[sel], sel, alternates


def _max(a, fa, b, fb):
    """Python's ``max(a, b)`` with int flags: ``a`` unless ``b > a`` (so NaN in ``a`` stays)."""
    take = b > a
    return np.where(take, b, a), np.where(take, fb, fa)


def _min(a, fa, b, fb):
    take = b < a
    return np.where(take, b, a), np.where(take, fb, fa)


def _max0(x, fx):
    """``max(0, x)``: ``x`` if it is positive, else the int 0 (NaN included)."""
    take = x > 0
    return np.where(take, x, 0.0), ~take | fx


def _mul(a, fa, b, fb):
    """rollup.mul: 0 × anything is the int 0."""
    zero = (a == 0) | (b == 0)
    return np.where(zero, 0.0, a * b), zero | (fa & fb)


class _Store:
    """Every finished part's vector: entries (compact column, min, nominal, max, int flags), contiguous per part.

    27 bytes an entry: the compact column in 2 (there are at most 120 symbols × 3 origin
    classes), the three numbers, and which of them are ints as the bits of one byte
    (bit ``d`` for bound ``d``: :meth:`ints`)."""

    def __init__(self, capacity: int):
        self.size = 0
        self.col = np.empty(capacity, dtype=np.int16)
        self.val = [np.empty(capacity) for _ in range(3)]
        self.flags = np.empty(capacity, dtype=np.uint8)

    def reserve(self, extra: int) -> None:
        need = self.size + extra
        if need <= len(self.col):
            return
        capacity = max(need, 2 * len(self.col))

        def grown(x):
            y = np.empty(capacity, dtype=x.dtype)
            y[: self.size] = x[: self.size]  # the used part only
            return y

        self.col = grown(self.col)
        self.val = [grown(v) for v in self.val]
        self.flags = grown(self.flags)

    def trim(self) -> None:
        """Give back the capacity no vector uses (a finished store only shrinks), in place:
        a copy of the used part would hold the whole store twice for a moment, and at 1M
        parts that moment was the peak of ``trace()`` (the store is about 220 MiB). No view
        of the arrays outlives a roll-up step, so nothing points into what is given back."""
        if self.size < len(self.col):
            for x in (self.col, *self.val, self.flags):
                x.resize(self.size, refcheck=False)  # a realloc that shrinks: no copy

    def append(self, col, val, ints) -> int:
        """Entries with these columns, (min, nominal, max) arrays and three arrays of int flags; where they start."""
        self.reserve(len(col))
        start, end = self.size, self.size + len(col)
        self.col[start:end] = col
        for d in range(3):
            self.val[d][start:end] = val[d]
        flags = self.flags[start:end]
        flags[:] = ints[0]
        flags |= np.asarray(ints[1], dtype=np.uint8) << 1
        flags |= np.asarray(ints[2], dtype=np.uint8) << 2
        self.size = end
        return start

    def ints(self, d: int, at) -> np.ndarray:
        """Whether bound ``d`` of the entries ``at`` (an index, slice or array of them) is an int."""
        return (self.flags[at] & (1 << d)) != 0


class ArraySink:
    """Takes a float compile's usages and own content into arrays, a chunk of parts at a time.

    ``compile_bom(sink=ArraySink())`` hands it each chunk's tuples and dicts (:meth:`flush`)
    and then lets them go, so a large BOM never holds a tuple per usage and a dict per part
    at once: ``Compiled.uses`` and ``Compiled.own`` end as :class:`Usages` and
    :class:`OwnContent` of equal tuples and dicts (:meth:`finish`), as ``trace()`` keeps
    them after the vectorised roll-up anyway. A BOM so deep that :func:`rollup_arrays`
    would hand it to the loop keeps its lists, which the loop reads a part at a time."""

    #: parts compiled between two flushes
    parts = 1 << 14

    def __init__(self) -> None:
        self.uses: list[Usages] = []
        self.own: list[OwnContent] = []
        self.top = self.done = 0  # the highest level of the parts so far, and how many they are

    def flush(self, compiled: Compiled) -> bool:
        """Move the usages and own content compiled so far into arrays, and empty their lists.
        False, moving nothing, where the parts so far are too deep for the arrays: the
        compile then keeps its lists (and calls no more)."""
        level = compiled.level
        self.top = max(self.top, max(level[self.done :], default=0))
        self.done = len(level)
        if not self.uses and _narrow(self.top, len(level), MIN_LEVEL_WIDTH):
            return False
        self._move(compiled)
        return True

    def _move(self, compiled: Compiled) -> None:
        if compiled.uses:
            self.uses.append(Usages.of(compiled.uses))
            compiled.uses.clear()
        if compiled.own:
            own = compiled.own
            self.own.append(OwnContent.of(own, *_entries(own)))
            own.clear()

    def finish(self, compiled: Compiled) -> None:
        """Give ``compiled`` its usages and own content as arrays, or leave its lists where no
        chunk was moved and :meth:`flush` declines the whole."""
        if not self.uses and not self.flush(compiled):
            return
        self._move(compiled)
        compiled.uses = Usages.joined(self.uses)
        compiled.own = OwnContent.joined(self.own)
        self.uses = self.own = []


class ArrayBom:
    """A :class:`Compiled` as arrays, parts in level order: ``order[k]`` is the part at position ``k``, ``pos[i]`` part ``i``'s position.

    Every per-part array is by position, so each block of a level is a slice.
    """

    def __init__(self) -> None:
        self.n = 0
        self.levels = 0
        self.own_content: OwnContent | None = None
        self.usages: Usages | None = None

    @classmethod
    def build(cls, compiled: Compiled, *, own_content: bool = False) -> ArrayBom:
        """The arrays for ``compiled``; with ``own_content``, also its own content as an
        :class:`OwnContent` (``own_content``), by part index."""
        self = cls()
        n = self.n = len(compiled.ids)
        usages = self.usages = Usages.of(compiled.uses)
        e_parent, e_child, e_row, alternates = _edges(usages)
        # Positions, and every array of them the roll-up holds while it runs, are int32
        # (a BOM of 2**31 parts would not fit in memory anyway): half of int64's bytes.
        level_arr = np.array(compiled.level, dtype=np.int64)
        order = self.order = np.argsort(level_arr, kind="stable").astype(np.int32)
        pos = self.pos = np.empty(n, dtype=np.int32)
        pos[order] = np.arange(n, dtype=np.int32)
        counts = np.bincount(level_arr)
        del level_arr
        self.levels = len(counts)
        self.level_start = np.concatenate(([0], np.cumsum(counts)))
        e_parent_pos = pos[e_parent]
        del e_parent
        e_sort = np.argsort(e_parent_pos, kind="stable")
        self.e_pos = e_parent_pos[e_sort]
        del e_parent_pos
        self.e_child = pos[e_child[e_sort]]
        # The multipliers stay in usages.q: each block reads its edges' rows from there.
        self.q_rows, self.q_source = e_row[e_sort], usages.q
        back = np.empty(len(e_sort), dtype=np.int64)
        back[e_sort] = np.arange(len(e_sort))
        self.alternates = {int(back[e]): c for e, c in alternates.items()}
        self.alternate_edges = np.array(sorted(self.alternates), dtype=np.int64)
        del back, e_sort
        self.n_uses = np.bincount(self.e_pos, minlength=n).astype(np.int32)

        # Own content, by part position; columns as compact indices.
        own = compiled.own
        if isinstance(own, OwnContent):  # compile_bom wrote it into arrays (ArraySink)
            own_counts, entries = own.by_part()
            o_col, o_val, o_int = own.cols[entries].astype(np.int64), own.values[entries], own.ints[entries]
            del entries
            if own_content:
                self.own_content = own
        else:
            own_counts, o_col, o_val, o_int = _entries(own)
            if own_content:  # by part index, as read: what rollup_arrays(compact=True) keeps in place of the dicts
                self.own_content = OwnContent.of(own, own_counts, o_col, o_val, o_int)
        o_part = np.repeat(np.arange(n, dtype=np.int32), own_counts)
        symbols = sorted({SYMBOL_INDEX[UNDECLARED], *np.unique(o_col // N_ORIGINS).tolist()})
        self.compact_symbol = np.full(len(SYMBOL_INDEX), -1, dtype=np.int64)
        self.compact_symbol[symbols] = np.arange(len(symbols))
        self.columns = len(symbols) * N_ORIGINS
        self.real_column = (np.array(symbols, dtype=np.int64)[:, None] * N_ORIGINS + np.arange(N_ORIGINS)).ravel()
        o_sort = np.argsort(pos[o_part], kind="stable")
        self.o_pos = pos[o_part][o_sort]
        o_col = o_col[o_sort]
        self.o_col = (self.compact_symbol[o_col // N_ORIGINS] * N_ORIGINS + o_col % N_ORIGINS).astype(np.int32)
        self.o_val = [np.ascontiguousarray(o_val[o_sort, d]) for d in range(3)]
        self.o_int = [np.ascontiguousarray(o_int[o_sort, d]) for d in range(3)]
        self.undeclared = int(self.compact_symbol[SYMBOL_INDEX[UNDECLARED]])

        # Per-part inputs, by position.
        def by_pos(x):
            return [np.ascontiguousarray(x[order, d]) for d in range(3)] if x.ndim == 2 else x[order]

        def triples(seq):
            values, present, ints = _triples(seq, n)
            return by_pos(values), by_pos(present), by_pos(ints)

        self.declared, self.has_declared, self.declared_int = triples(compiled.declared_mass)
        self.material_mass, self.has_material_mass, self.material_mass_int = triples(compiled.own_material_mass)
        self.own_value, self.own_value_known, self.own_value_int = triples(compiled.own_value)
        self.has_own_value = by_pos(np.array(compiled.has_own_value, dtype=bool))
        self.uom = by_pos(np.array(compiled.mass_basis_uom, dtype=bool))
        f_lo, f_lo_int = _numbers([s[0] for s in compiled.own_shares], (n,))
        self.f_lo, self.f_lo_int = by_pos(f_lo), by_pos(f_lo_int)
        a_lo, a_lo_int = _numbers([a[0] for a in compiled.own_absolute], (n,))
        self.a_lo, self.a_lo_int = by_pos(a_lo), by_pos(a_lo_int)
        by_id = {id(origin): k for origin, k in ORIGIN_INDEX.items()}  # an enum's hash is slow
        self.origin = by_pos(np.fromiter((by_id[id(d.origin)] for d in compiled.origin), dtype=np.int8, count=n))
        return self

    def roll(self, *, alternates: Alternates, inherit: bool, progress: Progress | None = None) -> Rolled:
        n, C = self.n, self.columns
        r = _Results(n)
        store = _Store(max(1024, STORE_PER_PART * n))
        worst = alternates is Alternates.WORST
        views = _Views(self, r, store)
        chunk = max(1, BLOCK_CELLS // C)
        reported = 0
        with np.errstate(all="ignore"):  # inf × 0 and inf - inf are NaN, as in Python
            for level in range(self.levels):
                a, b = int(self.level_start[level]), int(self.level_start[level + 1])
                for start in range(a, b, chunk):
                    self._roll_block(start, min(b, start + chunk), r, store, views, worst, inherit)
                if progress is not None and b - reported >= n // 100:
                    progress("rolling up", b / n)
                    reported = b
        store.trim()
        return views.rolled()

    def _roll_block(self, a: int, b: int, r: _Results, store: _Store, views: _Views, worst: bool, inherit: bool) -> None:
        """Roll up the parts at positions ``a`` to ``b`` (all of one level)."""
        C = self.columns
        P = b - a
        ea, eb = (int(x) for x in np.searchsorted(self.e_pos, [a, b]))
        e_local = self.e_pos[ea:eb] - a
        child = self.e_child[ea:eb]
        multipliers = self.q_source.take(self.q_rows[ea:eb], axis=0)
        q = [multipliers[:, d] for d in range(3)]
        # The children's masses and values, times the multipliers, per usage: one row of
        # the results table per child.
        info = r.table.take(child, axis=0)
        m = [info[:, d] * q[d] for d in range(3)]
        v = [info[:, 3 + d] * q[d] for d in range(3)]
        v_known = info[:, _VALUE_KNOWN] != 0
        c_start = info[:, _VSTART].astype(np.int64)
        c_len = info[:, _VLEN].astype(np.int64)
        c_q = q
        c_int = None
        fallback = self.alternate_edges[np.searchsorted(self.alternate_edges, ea) : np.searchsorted(self.alternate_edges, eb)].tolist() if worst else []
        scratch = store.size
        if fallback:
            # Each usage with alternates: the loop's own envelope, entered as a pseudo-child
            # with multipliers 1 (x × 1.0 is x) at its usage's place.
            c_q = [np.array(x, dtype=np.float64) for x in q]
            c_int = np.zeros(eb - ea, dtype=bool)
            for e in fallback:
                acc: dict[int, list] = {}
                mass, (known, value) = _worst_into(acc, self.alternates[e], views.vector, views)
                k = e - ea
                cols = np.array(sorted(acc), dtype=np.int64)
                val, flags = _numbers(list(chain.from_iterable(acc[c] for c in cols.tolist())), (-1, 3))
                col = self.compact_symbol[cols // N_ORIGINS] * N_ORIGINS + cols % N_ORIGINS
                c_start[k] = store.append(col, [val[:, d] for d in range(3)], [flags[:, d] for d in range(3)])
                c_len[k] = len(cols)
                for d in range(3):
                    c_q[d][k] = 1.0
                    m[d][k] = mass[d]
                    v[d][k] = value[d] if known else np.nan
                v_known[k] = known
                c_int[k] = True

        # --- the per-part steps of rollup(), as arrays over the block's parts --------------
        has_uses = self.n_uses[a:b] > 0
        k_sum = [np.bincount(e_local, weights=m[d], minlength=P) for d in range(3)]
        k_int = ~has_uses  # 0, then + a float per usage
        has_mm = self.has_material_mass[a:b]
        c, c_i = [], []
        for d in range(3):
            c.append(np.where(has_mm, self.material_mass[d][a:b], 0.0) + k_sum[d])
            c_i.append(np.where(has_mm, self.material_mass_int[d][a:b], True) & k_int)
        has_contents = has_mm | has_uses
        has_decl = self.has_declared[a:b]
        D = [x[a:b] for x in self.declared]
        Di = [x[a:b] for x in self.declared_int]
        heavier = has_decl & has_contents & (c[1] > D[1] * (1 + _TIE))
        basis = np.where(~has_decl, np.where(has_contents, _B_CONTENTS, _B_UNKNOWN), np.where(heavier, _B_CONTENTS, np.where(self.uom[a:b], _B_UOM, _B_DECLARED)))
        # the mass
        low, low_i = _max(D[0], Di[0], c[0], c_i[0])
        high, high_i = _max(D[2], Di[2], c[2], c_i[2])
        nom, nom_i = _max(D[1], Di[1], low, low_i)
        nom, nom_i = _min(nom, nom_i, high, high_i)
        nom = np.where(heavier, c[1], nom)
        nom_i = np.where(heavier, c_i[1], nom_i)
        both = has_decl & has_contents
        only_contents = ~has_decl & has_contents
        unknown_mass = ((0.0, np.nan, INF), (True, False, False))
        mass, mass_i = [], []
        for d, (x, xi) in enumerate(((low, low_i), (nom, nom_i), (high, high_i))):
            mass.append(np.where(both, x, np.where(has_decl, D[d], np.where(only_contents, c[d], unknown_mass[0][d]))))
            mass_i.append(np.where(both, xi, np.where(has_decl, Di[d], np.where(only_contents, c_i[d], unknown_mass[1][d]))))
        # the gap
        r0, r0_i = _max0(D[0] - c[2], Di[0] & c_i[2])
        gap_nominal = mass[1] - c[1]
        r1, r1_i = _max0(gap_nominal, mass_i[1] & c_i[1])
        nan_gap = np.isnan(gap_nominal)
        r1 = np.where(nan_gap, gap_nominal, r1)
        r1_i = r1_i & ~nan_gap
        room, room_i = _max0(1 - self.f_lo[a:b], self.f_lo_int[a:b])
        share, share_i = _mul(D[2], Di[2], room, room_i)
        r2, r2_i = _max0(share - (self.a_lo[a:b] + k_sum[0]), share_i & self.a_lo_int[a:b] & k_int)
        rest, rest_i = [], []
        for d, (x, xi) in enumerate(((r0, r0_i), (r1, r1_i), (r2, r2_i))):
            rest.append(np.where(~has_contents, mass[d], np.where(~has_decl, 0.0, x)))
            rest_i.append(np.where(~has_contents, mass_i[d], np.where(~has_decl, True, xi)))
        gap_in = (rest[0] != 0) | (rest[1] != 0) | (rest[2] != 0)
        origin = self.origin[a:b]
        # the value
        cv_known = has_uses & (np.bincount(e_local, weights=~v_known, minlength=P) == 0)
        cv = [np.bincount(e_local, weights=v[d], minlength=P) for d in range(3)]
        own_value = self.has_own_value[a:b]

        # --- the vectors: own content, each usage's child times its multipliers, the gap ------
        oa, ob = (int(x) for x in np.searchsorted(self.o_pos, [a, b]))
        o_local = self.o_pos[oa:ob] - a
        o_col = self.o_col[oa:ob]
        if not inherit:
            o_col = np.where(o_col % N_ORIGINS == UNKNOWN, o_col - UNKNOWN + origin[o_local], o_col)
        total = int(c_len.sum())
        idx = np.arange(total) + np.repeat(c_start - (np.cumsum(c_len) - c_len), c_len)
        o_keys = o_local * C + o_col
        ch_keys = np.repeat(e_local * C, c_len) + store.col[idx]
        g_local = np.flatnonzero(gap_in)
        g_keys = g_local * C + (self.undeclared * N_ORIGINS) + origin[g_local]
        keys = np.concatenate((o_keys, ch_keys, g_keys))
        # bincount adds in input order: own + child 1 + child 2 ... + gap, as the loop does.
        cells = P * C
        count = np.bincount(keys, minlength=cells)
        n_o, n_c = len(o_keys), len(o_keys) + total
        terms = np.empty(len(keys))
        sums = []
        for d in range(3):
            terms[:n_o] = self.o_val[d][oa:ob]
            np.multiply(store.val[d].take(idx), np.repeat(c_q[d], c_len), out=terms[n_o:n_c])
            terms[n_c:] = rest[d][g_local]
            sums.append(np.bincount(keys, weights=terms, minlength=cells))
        # The few terms that are ints: a cell is an int if all its terms are.
        int_keys = []
        for d in range(3):
            found = [o_keys[self.o_int[d][oa:ob]], g_keys[rest_i[d][g_local]]]
            if c_int is not None:
                found.append(ch_keys[np.repeat(c_int, c_len) & store.ints(d, idx)])
            int_keys.append(np.concatenate(found))
        store.size = scratch  # the envelopes were scratch space
        if inherit:
            # Unknown-origin columns move to the part's class: target + moved, in that order.
            moves = np.where(origin != UNKNOWN, origin - UNKNOWN, 0)
            for o in range(N_ORIGINS):
                rows = np.flatnonzero(origin == o) if o != UNKNOWN else ()
                if not len(rows):
                    continue
                for x in (count, *sums):
                    block = x.reshape(P, -1, N_ORIGINS)
                    block[rows, :, o] += block[rows, :, UNKNOWN]
                    block[rows, :, UNKNOWN] = 0
            for d in range(3):
                k = int_keys[d]
                int_keys[d] = np.where(k % N_ORIGINS == UNKNOWN, k + moves[k // C], k)
        present = np.flatnonzero(count != 0)  # nonzero() of a bool array is much cheaper than of ints
        e_part = present // C
        val = [x[present] for x in sums]
        ints = []
        for d in range(3):
            if len(int_keys[d]):
                at = np.searchsorted(present, int_keys[d])
                ints.append(np.bincount(at, minlength=len(present)) == count[present])
            else:
                ints.append(np.zeros(len(present), dtype=bool))
        # No one column weighs more than the whole part (NaN and inf compare false).
        top = mass[2][e_part]
        clamp = val[2] > top
        if clamp.any():
            top_i = mass_i[2][e_part]
            lower = clamp & (top < val[0])
            val[2] = np.where(clamp, top, val[2])
            ints[2] = np.where(clamp, top_i, ints[2])
            val[0] = np.where(lower, top, val[0])
            ints[0] = np.where(lower, top_i, ints[0])
        start = store.append(present - e_part * C, val, ints)
        lengths = np.bincount(e_part, minlength=P)
        r.vstart[a:b] = start + np.cumsum(lengths) - lengths
        r.vlen[a:b] = lengths

        # --- results --------------------------------------------------------------------------
        r.origin[a:b] = origin
        r.basis[a:b] = basis
        r.has_contents[a:b] = has_contents
        r.contents_value_known[a:b] = cv_known
        r.value_known[a:b] = np.where(own_value, self.own_value_known[a:b], cv_known)
        for d in range(3):
            r.mass[d][a:b] = mass[d]
            r.mass_int[d][a:b] = mass_i[d]
            r.contents[d][a:b] = c[d]
            r.contents_int[d][a:b] = c_i[d]
            r.gap[d][a:b] = rest[d]
            r.gap_int[d][a:b] = rest_i[d]
            r.contents_value[d][a:b] = cv[d]
            r.value[d][a:b] = np.where(own_value, self.own_value[d][a:b], cv[d])
            r.value_int[d][a:b] = own_value & self.own_value_int[d][a:b]


#: Columns of the results table: what a parent reads of each child, in one row.
_VSTART, _VLEN, _VALUE_KNOWN = 6, 7, 8


class _Results:
    """The roll-up's per-part results as arrays, by position.

    What a parent reads of each child (mass, value, whether the value is known, where its
    vector is in the store) is one row of ``table``, so a level gathers one row per usage,
    not nine scattered numbers; ``mass``, ``value``, ``vstart``, ``vlen`` and
    ``value_known`` are views of its columns.
    """

    def __init__(self, n: int):
        def triple(dtype=np.float64):
            return [np.zeros(n, dtype=dtype) for _ in range(3)]

        self.table = np.zeros((n, 9))
        self.mass = [self.table[:, d] for d in range(3)]
        self.value = [self.table[:, 3 + d] for d in range(3)]
        self.vstart, self.vlen, self.value_known = self.table[:, _VSTART], self.table[:, _VLEN], self.table[:, _VALUE_KNOWN]
        self.mass_int = triple(bool)
        self.contents, self.contents_int = triple(), triple(bool)
        self.has_contents = np.zeros(n, dtype=bool)
        self.gap, self.gap_int = triple(), triple(bool)
        self.value_int = triple(bool)
        self.contents_value = triple()
        self.contents_value_known = np.zeros(n, dtype=bool)
        self.origin = np.zeros(n, dtype=np.int8)  # an ORIGIN_CLASSES index
        self.basis = np.zeros(n, dtype=np.int8)  # a _BASIS index


def _ints(x: np.ndarray) -> array:
    """``x`` as an ``array("i")``, what :class:`.explain.Holders` keeps (its items are Python ints when read)."""
    out = array("i")
    out.frombytes(x.astype(np.intc).tobytes())
    return out


def _number(x: float, is_int) -> float | int:
    return int(x) if is_int else x


class _ByPart(Sequence):
    """A read-only list by part index over arrays by position."""

    def __init__(self, pos: np.ndarray):
        self.pos = pos

    def __len__(self) -> int:
        return len(self.pos)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        return self._get(int(self.pos[i]))


class _Triples(_ByPart):
    """Triples (or None) from three value arrays and their int flags."""

    def __init__(self, pos, values, ints, present=None):
        super().__init__(pos)
        self.values, self.ints, self.present = values, ints, present

    def _get(self, k: int):
        if self.present is not None and not self.present[k]:
            return None
        v, f = self.values, self.ints
        return (_number(float(v[0][k]), f[0][k]), _number(float(v[1][k]), f[1][k]), _number(float(v[2][k]), f[2][k]))

    def __iter__(self):
        """Every part's triple, as :meth:`_get` gives it, converted from the arrays at once:
        ``list(view)`` (what coverage reads for every part) costs a few array calls, not a
        Python call per part."""
        pos = self.pos
        columns = []
        for d in range(3):
            numbers = self.values[d][pos].tolist()
            for j in np.flatnonzero(self.ints[d][pos]).tolist():
                numbers[j] = int(numbers[j])
            columns.append(numbers)
        triples = zip(*columns, strict=True)
        if self.present is None:
            return triples
        return (t if known else None for t, known in zip(triples, self.present[pos].tolist(), strict=True))

    def nominals(self) -> list:
        """Every part's nominal, as ``[t[1] for t in self]`` gives it (None where there is no triple)."""
        pos = self.pos
        numbers = self.values[1][pos].tolist()
        for j in np.flatnonzero(self.ints[1][pos]).tolist():
            numbers[j] = int(numbers[j])
        if self.present is not None:
            for j in np.flatnonzero(self.present[pos] == 0).tolist():  # a bool array, or the table's float column
                numbers[j] = None
        return numbers

    def nominal_array(self) -> tuple[np.ndarray, np.ndarray]:
        """Every part's nominal as floats, and where there is a triple (elsewhere the
        nominal means nothing): :meth:`nominals` as arrays, for tests over every part."""
        pos = self.pos
        known = np.ones(len(pos), dtype=bool) if self.present is None else self.present[pos] != 0  # a bool array, or the table's float column
        return self.values[1][pos], known


class _Vectors(_ByPart):
    """The parts' vectors, each a dict column -> [min, nominal, max]."""

    def __init__(self, pos, real_column: np.ndarray, r: _Results, store: _Store):
        super().__init__(pos)
        # Only the column map, not the ArrayBom: its inputs are garbage once rolled up.
        self.real_column, self.r, self.store = real_column, r, store

    def _get(self, k: int) -> dict[int, list]:
        start = int(self.r.vstart[k])
        end = start + int(self.r.vlen[k])
        s = self.store
        cols = self.real_column[s.col[start:end]].tolist()
        rows = zip(*(s.val[d][start:end].tolist() for d in range(3)), strict=True)
        vector = {col: list(t) for col, t in zip(cols, rows, strict=True)}
        for d in range(3):
            for j in np.flatnonzero(s.ints(d, slice(start, end))).tolist():
                vector[cols[j]][d] = 0
        return vector


class OwnContent(Sequence):
    """Every part's own content (:attr:`Compiled.own`) in flat arrays: ``own[i]`` is a dict
    equal to the compiled one (the same columns in the same order, the same numbers of the
    same types: an int 0 stays an int), made when it is asked for.

    Part ``i``'s entries are ``starts[i]`` to ``ends[i]``: their columns in ``cols`` (int16:
    there are 120 symbols × 3 origin classes), their (min, nominal, max) in ``values``, and
    which of those are ints in ``ints``. Parts that shared one dict share one range. About
    29 bytes an entry and 8 a part, where a dict of shared triples took about 140 bytes an
    entry and 64 a part. The passes of the rules over every part go through :meth:`holding`,
    which makes a dict only for the parts it finds."""

    __slots__ = ("cols", "ends", "ints", "starts", "values")

    def __init__(self, starts: np.ndarray, ends: np.ndarray, cols: np.ndarray, values: np.ndarray, ints: np.ndarray):
        self.starts, self.ends, self.cols, self.values, self.ints = starts, ends, cols, values, ints

    @classmethod
    def of(cls, own: list[dict], counts: np.ndarray, cols: np.ndarray, values: np.ndarray, ints: np.ndarray) -> OwnContent:
        """From ``own`` (the compiled dicts) and their entries in index order, as ``ArrayBom.build``
        read them: ``counts`` per part, and every entry's column, values and int flags."""
        first: dict[int, int] = {}
        owner = np.fromiter((first.setdefault(id(columns), i) for i, columns in enumerate(own)), dtype=np.int64, count=len(own))
        kept = owner == np.arange(len(own))
        if not kept.all():  # equal contents shared one dict: keep their entries once
            entries = np.repeat(kept, counts)
            cols, values, ints = cols[entries], values[entries], ints[entries]
            counts = np.where(kept, counts, 0)
        index = np.int32 if len(cols) < 2**31 else np.int64
        ends = np.cumsum(counts).astype(index)
        starts = (ends - counts.astype(index))[owner]
        return cls(starts, ends[owner], cols.astype(np.int16), values, ints)

    @classmethod
    def joined(cls, pieces: Sequence[OwnContent]) -> OwnContent:
        """One :class:`OwnContent` of ``pieces`` (of consecutive parts) after one another."""
        offsets = np.cumsum([0] + [len(p.cols) for p in pieces])
        index = np.int32 if offsets[-1] < 2**31 else np.int64
        starts = np.concatenate([p.starts.astype(index) + index(k) for p, k in zip(pieces, offsets[:-1], strict=True)] or [np.zeros(0, index)])
        ends = np.concatenate([p.ends.astype(index) + index(k) for p, k in zip(pieces, offsets[:-1], strict=True)] or [np.zeros(0, index)])
        cols = np.concatenate([p.cols for p in pieces] or [np.zeros(0, np.int16)])
        values = np.concatenate([p.values for p in pieces] or [np.zeros((0, 3))])
        ints = np.concatenate([p.ints for p in pieces] or [np.zeros((0, 3), dtype=bool)])
        return cls(starts, ends, cols, values, ints)

    def by_part(self) -> tuple[np.ndarray, np.ndarray]:
        """Every part's count of entries, and the indices of their entries, part after part
        (a shared range once for each part that shares it)."""
        counts = (self.ends - self.starts).astype(np.int64)
        ends = np.cumsum(counts)
        return counts, np.arange(int(ends[-1]) if len(ends) else 0) + np.repeat(self.starts - (ends - counts), counts)

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        i = range(len(self))[i]  # an int, negatives counted from the end, or IndexError
        start, end = int(self.starts[i]), int(self.ends[i])
        if start == end:
            return {}
        return dict(zip(self.cols[start:end].tolist(), self._triples(slice(start, end)), strict=True))

    def __iter__(self):
        """Every part's dict, the entries converted at once, not with a few array calls per
        part (the rules do not iterate: they ask :meth:`holding`)."""
        cols = self.cols.tolist()
        triples = self._triples(slice(None))
        for start, end in zip(self.starts.tolist(), self.ends.tolist(), strict=True):
            yield dict(zip(cols[start:end], triples[start:end], strict=True))

    def _triples(self, at) -> list[tuple]:
        """The entries ``at`` (a slice or indices) as triples of Python numbers, ints where they were."""
        bounds = self.values[at].T.tolist()
        for d, k in np.argwhere(self.ints[at].T).tolist():
            bounds[d][k] = int(bounds[d][k])
        return list(zip(*bounds, strict=True))

    def holders(self, symbols: Collection[int]) -> Holders:
        """The :class:`.explain.Holders` of ``symbols``, found in the arrays: the same parts,
        columns and triples as from :meth:`holding`, but no dict is made, and the grams
        are a :class:`_Grams` over the entries (the contributors ranking reads them as
        arrays: ``vector_contributors._HolderColumns``)."""
        from .explain import Holders

        held, counts, ends, entries = self._matched(symbols)
        cols = self.cols[entries].astype(np.int64)
        owner = np.repeat(np.arange(len(held)), counts)
        distinct = np.ones(len(held), dtype=np.uint8)
        # a holder's columns are of distinct symbols unless two of them share one
        syms = cols // N_ORIGINS
        by = np.lexsort((syms, owner))
        owner, syms = owner[by], syms[by]
        distinct[owner[1:][(owner[1:] == owner[:-1]) & (syms[1:] == syms[:-1])]] = 0
        return Holders.made(_ints(held), _ints(ends), _ints(cols), _Grams(self, entries), bytearray(distinct.tobytes()))

    def scan_own(self, rare: Collection[int], opened: Collection[int]) -> tuple[array, list[frozenset[int]], set[int], set[int]]:
        """:func:`.rollup.scan_own` from the arrays: the same parts, sets and flags, with no
        dict and no Python number per part (1.5 s at a million parts, as a loop over the
        dicts :meth:`holding` makes). Each holder's set of symbols is found as bit masks, one
        64-bit word per 64 symbols, and one frozenset is made per distinct mask."""
        rare = np.fromiter(rare, dtype=np.int64)
        found, counts, _, entries = self._matched(set(rare.tolist()) | set(opened))
        owner = np.repeat(found, counts)  # the part of each entry, in index order
        syms = self.cols[entries].astype(np.int64) // N_ORIGINS
        low, nominal, high = self.values[entries].T
        is_rare = np.isin(syms, rare)
        # as the loop tests a triple: a max "not 0" (NaN is), a nominal != 0, a min or nominal > 0
        rare_content = set(_distinct_sorted(owner[is_rare & (high != 0)]).tolist())
        open_content = set(_distinct_sorted(owner[~is_rare & (nominal != 0)]).tolist())
        # (the owners are in order: distinct by a comparison with the one before, not np.unique's sort)
        held = is_rare & ((low > 0) | (nominal > 0))
        owner, syms = owner[held], syms[held]
        if not len(owner):
            return array("q"), [], rare_content, open_content
        start = np.flatnonzero(_run_starts(owner))
        bit = np.left_shift(np.uint64(1), (syms % 64).astype(np.uint64))
        words = [np.bitwise_or.reduceat(np.where(syms // 64 == w, bit, np.uint64(0)), start).tolist() for w in range(int(syms.max()) // 64 + 1)]
        # a dict, not np.unique over the rows: that sorts them, three times the cost at 1M parts
        sets: dict[tuple[int, ...], frozenset[int]] = {}
        helds = []
        for row in zip(*words, strict=True):
            made = sets.get(row)
            if made is None:
                made = sets[row] = frozenset(64 * w + b for w, word in enumerate(row) for b in range(64) if word >> b & 1)
            helds.append(made)
        return array("q", owner[start].tolist()), helds, rare_content, open_content

    def _matched(self, symbols: Collection[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The parts with entries of ``symbols`` (in index order), their counts of them, the
        running ends of those counts, and the entries themselves, part after part."""
        at, first, last = self._matches(symbols)
        parts = np.flatnonzero(last > first)
        counts = (last - first)[parts]
        ends = np.cumsum(counts)
        # part p's entries are at[first:last] of it: one gather for all of them
        return parts, counts, ends, at[np.arange(int(ends[-1]) if len(ends) else 0) + np.repeat(first[parts] - (ends - counts), counts)]

    def _matches(self, symbols: Collection[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The entries whose column is of ``symbols``, and per part where its matches start
        and end among them: part i's matches are ``at[first[i]:last[i]]``."""
        match = np.isin(self.cols // N_ORIGINS, np.fromiter(symbols, dtype=np.int64))
        before = np.concatenate(([0], np.cumsum(match)))  # matches before each entry
        return np.flatnonzero(match), before[self.starts], before[self.ends]

    def holding(self, symbols: Collection[int]) -> Iterator[tuple[int, dict]]:
        """:func:`.rollup.holding` from the arrays: only the parts found make a dict."""
        at, first, last = self._matches(symbols)
        if not len(at):
            return
        cols = self.cols[at].tolist()
        triples = self._triples(at)
        for i, a, b in zip(*(x.tolist() for x in (np.flatnonzero(last > first), first[last > first], last[last > first])), strict=True):
            yield i, dict(zip(cols[a:b], triples[a:b], strict=True))


class Usages(Sequence):
    """Every part's usages (:attr:`Compiled.uses`) in flat arrays: ``uses[i]`` is a tuple
    equal to the compiled one (its usages, each a tuple of candidates ``(child, mult min,
    nominal, max)``, the selected one first; the same numbers of the same types), made when
    it is asked for.

    Part ``i``'s usages are ``starts[i]`` to ``starts[i + 1]``. Usage ``u``'s candidates are
    ``first[u]`` to ``first[u + 1]``; where no usage has alternates, ``first`` is None and
    usage ``u`` is candidate ``u``. Candidate ``k`` uses part ``child[k]`` with the
    multipliers ``q[k]``; ``ints[k]`` flags which of them are ints (None where none is).
    About 28 bytes a usage and 4 a part, where the compiled tuples took about 160 bytes a
    usage. The walks and the contributors ranking read the arrays themselves
    (:meth:`children`, :meth:`every`, :meth:`selected_candidates`), not a tuple per part."""

    __slots__ = ("child", "first", "ints", "q", "starts")

    def __init__(self, starts: np.ndarray, first: np.ndarray | None, child: np.ndarray, q: np.ndarray, ints: np.ndarray | None):
        self.starts, self.first, self.child, self.q, self.ints = starts, first, child, q, ints

    @classmethod
    def of(cls, uses: Sequence[tuple]) -> Usages:
        """From the compiled tuples (or ``uses`` itself, if it is one already)."""
        if isinstance(uses, Usages):
            return uses
        n_uses = np.fromiter(map(len, uses), dtype=np.int64, count=len(uses))
        flat = list(chain.from_iterable(uses))
        n_candidates = np.fromiter(map(len, flat), dtype=np.int64, count=len(flat))
        candidates = list(chain.from_iterable(flat))
        index = np.int32 if max(len(uses), len(candidates)) < 2**31 else np.int64
        starts = np.zeros(len(uses) + 1, dtype=index)
        np.cumsum(n_uses, out=starts[1:])
        first = None
        if (n_candidates != 1).any():
            first = np.zeros(len(flat) + 1, dtype=index)
            np.cumsum(n_candidates, out=first[1:])
        child = np.fromiter(map(itemgetter(0), candidates), dtype=index, count=len(candidates))
        q, ints = _numbers(list(chain.from_iterable(map(itemgetter(1, 2, 3), candidates))), (-1, 3))
        return cls(starts, first, child, q, ints if ints.any() else None)

    @classmethod
    def joined(cls, pieces: Sequence[Usages]) -> Usages:
        """One :class:`Usages` of ``pieces`` (of consecutive parts) after one another."""
        parts = sum(map(len, pieces))
        n_uses = [int(p.starts[-1]) for p in pieces]
        n_candidates = [len(p.child) for p in pieces]
        index = np.int32 if max(parts, sum(n_candidates)) < 2**31 else np.int64
        starts = np.empty(parts + 1, dtype=index)
        first = None if all(p.first is None for p in pieces) else np.empty(sum(n_uses) + 1, dtype=index)
        i = u = k = 0
        for p, nu, nc in zip(pieces, n_uses, n_candidates, strict=True):
            starts[i : i + len(p)] = p.starts[:-1] + u
            if first is not None:
                first[u : u + nu] = (np.arange(nu) if p.first is None else p.first[:-1]) + k
            i, u, k = i + len(p), u + nu, k + nc
        starts[i] = u
        if first is not None:
            first[u] = k
        child = np.concatenate([p.child.astype(index, copy=False) for p in pieces] or [np.zeros(0, index)])
        q = np.concatenate([p.q for p in pieces] or [np.zeros((0, 3))])
        ints = None
        if any(p.ints is not None for p in pieces):
            ints = np.concatenate([np.zeros((len(p.child), 3), dtype=bool) if p.ints is None else p.ints for p in pieces])
        return cls(starts, first, child, q, ints)

    def faithful(self) -> bool:
        """Whether every number is sure to come back as it went in: not where an int is
        2**53 or more (float64 holds ints exactly only below that)."""
        return self.ints is None or bool(np.abs(self.q[self.ints]).max() < 2**53)  # (of() keeps no flags where none is set)

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        i = range(len(self))[i]  # an int, negatives counted from the end, or IndexError
        a, b = int(self.starts[i]), int(self.starts[i + 1])
        if a == b:
            return ()
        if self.first is None:
            return tuple((row,) for row in self._rows(slice(a, b)))
        bounds = self.first[a : b + 1].tolist()
        rows = self._rows(slice(bounds[0], bounds[-1]))
        at = bounds[0]
        return tuple(tuple(rows[x - at : y - at]) for x, y in pairwise(bounds))

    def __iter__(self):
        """Every part's tuple, the numbers converted at once, not with a few array calls per
        part (the loop roll-up reads every part of a deep BOM compiled into arrays)."""
        rows = self._rows(slice(None))
        usages = [(row,) for row in rows] if self.first is None else [tuple(rows[x:y]) for x, y in pairwise(self.first.tolist())]
        del rows
        empty = ()
        for a, b in pairwise(self.starts.tolist()):
            yield tuple(usages[a:b]) if a != b else empty

    def _rows(self, at) -> list[tuple]:
        """The candidates ``at`` (a slice or indices) as ``(child, min, nominal, max)``, ints where they were."""
        bounds = self.q[at].T.tolist()
        if self.ints is not None:
            for d, k in np.argwhere(self.ints[at].T).tolist():
                bounds[d][k] = int(bounds[d][k])
        return list(zip(self.child[at].tolist(), *bounds, strict=True))

    def candidates(self, u: int) -> tuple[tuple, ...]:
        """Usage ``u``'s candidates (by its index among every part's usages, in order)."""
        if self.first is None:
            return tuple(self._rows(slice(u, u + 1)))
        return tuple(self._rows(slice(int(self.first[u]), int(self.first[u + 1]))))

    def selected_candidates(self) -> np.ndarray:
        """Each usage's selected candidate, as an index into ``child`` and ``q``."""
        if self.first is None:
            return np.arange(len(self.child))
        return self.first[:-1]

    def with_alternates(self) -> np.ndarray:
        """The usages that have alternates."""
        if self.first is None:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(np.diff(self.first) > 1)

    def selected(self, i: int) -> tuple[tuple, ...]:
        """Part ``i``'s selected candidates: ``tuple(c[0] for c in uses[i])``."""
        a, b = int(self.starts[i]), int(self.starts[i + 1])
        if a == b:
            return ()
        return tuple(self._rows(slice(a, b) if self.first is None else self.first[a:b]))

    def selected_view(self) -> Selected:
        """Every part's :meth:`selected` candidates, as a read-only sequence."""
        return Selected(self)

    def children(self, numbers: Sequence[int]) -> list[tuple[int, ...]]:
        """Per part, the children its usages select, in order (one empty tuple for every part
        without usages). Child ``k`` is ``numbers[k]``: pass the compiled index's own ints,
        so the tuples share them rather than hold an int object per usage."""
        kids = list(map(numbers.__getitem__, self.child[self.selected_candidates()].tolist()))
        empty = ()
        bounds = self.starts.tolist()
        return [tuple(kids[a:b]) if a != b else empty for a, b in pairwise(bounds)]

    def every(self, numbers: Sequence[int], children: list[tuple[int, ...]]) -> list[tuple[int, ...]] | None:
        """Per part, every child its usages name, alternates included (``children[i]``
        itself where part ``i`` has no alternates); None where no usage has alternates."""
        alternated = self.with_alternates()
        if not len(alternated):
            return None
        every = list(children)
        first, starts = self.first, self.starts
        for i in np.unique(np.searchsorted(starts, alternated, side="right") - 1).tolist():
            every[i] = tuple(map(numbers.__getitem__, self.child[first[starts[i]] : first[starts[i + 1]]].tolist()))
        return every


class Selected(Sequence):
    """Every part's selected candidates from :class:`Usages`: ``selected[i]`` is
    ``tuple(c[0] for c in uses[i])``, made when asked for (``explain.Graph.selected``)."""

    __slots__ = ("usages",)

    def __init__(self, usages: Usages):
        self.usages = usages

    def __len__(self) -> int:
        return len(self.usages)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        return self.usages.selected(range(len(self))[i])


class _Grams(Sequence):
    """The own grams of a :class:`.explain.Holders` made from :class:`OwnContent`: item ``k``
    is the triple of entry ``entries[k]``, made when it is read (a finished good's holders
    are hundreds of thousands of triples, and the ranking reads a few)."""

    __slots__ = ("entries", "own")

    def __init__(self, own: OwnContent, entries: np.ndarray):
        self.own, self.entries = own, entries

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return self.own._triples(self.entries[k])
        k = range(len(self))[k]
        return self.own._triples(self.entries[k : k + 1])[0]


class _Basis(_ByPart):
    def __init__(self, pos, codes):
        super().__init__(pos)
        self.codes = codes

    def _get(self, k: int) -> str:
        return _BASIS[self.codes[k]]


class _Views:
    """The finished results as the sequences :class:`Rolled` holds (also ``out`` for ``_worst_into``)."""

    def __init__(self, arrays: ArrayBom, r: _Results, store: _Store):
        pos = arrays.pos  # int32, kept by every view for the trace's life
        self.vector = _Vectors(pos, arrays.real_column, r, store)
        self.mass = _Triples(pos, r.mass, r.mass_int)
        self.value = _Triples(pos, r.value, r.value_int, r.value_known)
        self.pos, self.r = pos, r

    def rolled(self) -> Rolled:
        r, pos = self.r, self.pos
        floats = [np.zeros(len(pos), dtype=bool)] * 3
        return Rolled(
            vector=self.vector,
            mass=self.mass,
            contents_mass=_Triples(pos, r.contents, r.contents_int, r.has_contents),
            value=self.value,
            contents_value=_Triples(pos, r.contents_value, floats, r.contents_value_known),
            origin=r.origin[pos].tolist(),
            basis=_Basis(pos, r.basis),
            gap=_Triples(pos, r.gap, r.gap_int),
        )


def _run_starts(values: np.ndarray) -> np.ndarray:
    """Where each run of equal values in ``values`` starts (a bool per value)."""
    return np.concatenate(([True], values[1:] != values[:-1])) if len(values) else np.zeros(0, dtype=bool)


def _distinct_sorted(values: np.ndarray) -> np.ndarray:
    """The distinct values of a sorted array, in order: ``np.unique`` without its sort."""
    return values[_run_starts(values)]


def lacks(compiled: Compiled, rolled: Rolled, tolerance: float, rare_content: Collection[int], open_content: Collection[int]) -> bytearray:
    """:meth:`.trace.Trace._lacks` for a trace whose usages and roll-up are arrays
    (``Usages`` and ``_Triples``): the same flags, each test made over every part at once
    rather than in a loop over the parts (about 1 µs a part)."""
    from .trace import _LACKS_COMPOSITION, _LACKS_MASS, _LACKS_ORIGIN, _LACKS_VALUE

    n = len(compiled.ids)
    uses = compiled.uses
    starts = np.asarray(uses.starts)
    counts = np.diff(starts)
    # Mass: no declared mass, no children, and no material of known mass.
    mass = np.fromiter((d is None for d in compiled.declared_mass), dtype=bool, count=n) & (counts == 0)
    mass &= np.fromiter((m is None or m[1] != m[1] for m in compiled.own_material_mass), dtype=bool, count=n)
    # Composition: a gap that is NaN or above the tolerance, or open content of its own.
    gap, gap_known = rolled.gap.nominal_array()
    whole, _ = rolled.mass.nominal_array()
    with np.errstate(invalid="ignore"):
        composition = gap_known & (np.isnan(gap) | (gap > tolerance * whole))
    composition[np.fromiter(open_content, dtype=np.int64, count=len(open_content))] = True
    # Value: unknown, where every selected child's is known.
    _, value_known = rolled.value.nominal_array()
    child = uses.child[uses.selected_candidates()]
    unknown_children = np.bincount(np.repeat(np.arange(n), counts), weights=~value_known[child], minlength=n)
    value = ~value_known & (unknown_children == 0)
    # Origin: of unknown class, and holding a rare earth.
    origin = np.zeros(n, dtype=bool)
    origin[np.fromiter(rare_content, dtype=np.int64, count=len(rare_content))] = True
    origin &= np.asarray(rolled.origin) == UNKNOWN
    flags = mass * _LACKS_MASS | composition * _LACKS_COMPOSITION | value * _LACKS_VALUE | origin * _LACKS_ORIGIN
    return bytearray(flags.astype(np.uint8).tobytes())
