"""The walks down from a finished good, with numpy: a step of the walk at a time, not a part.

:class:`~rarebom.engine.explain.Graph` walks down from a part in Python, one part and one
usage at a time. From a finished good, a walk reaches a large share of the BOM, and every
rule and the report ask for several such walks (the parts under it, the parts whose origin
is still open, the BOM paths), so at 100,000 parts these walks were about a quarter of the
rules' time. Here each walk is breadth-first, and each of its steps is a handful of array
operations over the whole frontier: gather the frontier's children, drop those seen, keep
each new part once.

The results are the same as the Python walks', part for part and parent for parent
(tests/test_walks.py compares them). A walk costs a few array operations per step, so a
BOM whose steps hold few parts (a deep chain) walks in Python: ``Graph`` uses this module
only for a BOM whose levels hold ``explain.WIDE_LEVEL`` parts on average, as the vectorised
roll-up does, and imports it only then.
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Sequence

import numpy as np

__all__ = ["Arrays"]


class Arrays:
    """One kind of usage of a :class:`~rarebom.engine.explain.Graph` (the selected children,
    or every child with the alternates) as arrays, in two orders:

    - by parent: part ``i``'s children are ``kids[starts[i]:starts[i + 1]]``, in file order,
      for the breadth-first walk of :meth:`first_parents`;
    - by the parent's level, highest first (``Compiled.level``: a part's level is above its
      children's): usage ``e`` goes from ``parent[e]`` to ``child[e]``, and the usages of
      the parents of one level are one slice (``spans``), so :meth:`marks` marks a level's
      children at once, once every parent of theirs is marked.

    About 12 bytes per usage and 4 per part."""

    __slots__ = ("child", "kids", "level", "n", "parent", "spans", "starts")

    def __init__(self, children: Sequence[tuple[int, ...]], level: Sequence[int]):
        n = self.n = len(children)
        counts = np.fromiter(map(len, children), dtype=np.int64, count=n)
        total = int(counts.sum())
        index = np.int32 if max(n, total) < 2**31 else np.int64
        starts = self.starts = np.zeros(n + 1, dtype=index)
        np.cumsum(counts, out=starts[1:])
        kids = self.kids = np.fromiter(itertools.chain.from_iterable(children), dtype=index, count=total)
        self.level = level  # the compiled BOM's own list
        parent = np.repeat(np.arange(n, dtype=index), counts)
        top = max(level)
        below_top = top - np.asarray(level, dtype=np.int64)[parent]
        by_level = np.argsort(below_top, kind="stable")
        self.parent, self.child = parent[by_level], kids[by_level]
        # spans[k]:spans[k + 1] holds the usages of the parents at level top - k
        self.spans = [0, *np.cumsum(np.bincount(below_top, minlength=top + 1)).tolist()]

    def below(self, root: int) -> array:
        """``root`` and every part under it, in index order (``Graph.reachable``)."""
        found = array("i")
        found.frombytes(np.flatnonzero(self._seen(root, None)).astype(np.dtype(f"i{found.itemsize}")).tobytes())
        return found

    def marks(self, root: int, stop: bytes | None = None) -> bytearray:
        """Per part, 1 where it is ``root`` or under it; with ``stop`` (a byte per part), the
        parts whose byte is set are reached but not walked into (``Graph.marks`` and
        ``Graph.reachable_avoiding``)."""
        return bytearray(self._seen(root, None if stop is None else np.frombuffer(stop, dtype=np.bool_)).view(np.uint8))

    def _seen(self, root: int, stop: np.ndarray | None) -> np.ndarray:
        seen = np.zeros(self.n, dtype=np.bool_)
        seen[root] = True
        parent, child, spans = self.parent, self.child, self.spans
        # from the root's level down: no part above it is under it
        for k in range(len(spans) - 2 - self.level[root], len(spans) - 1):
            a, b = spans[k], spans[k + 1]
            if a == b:
                continue
            p = parent[a:b]
            walked = seen[p] if stop is None else seen[p] & ~stop[p]
            seen[child[a:b][walked]] = True
        return seen

    def _expand(self, frontier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The children of each part of ``frontier``, the parts in order and each one's
        children in file order, and how many each part has."""
        lo = self.starts[frontier]
        counts = self.starts[frontier + 1] - lo
        ends = np.cumsum(counts)
        # the positions in ``kids``: lo[k], lo[k] + 1, ... for each part k of the frontier
        at = np.repeat(lo - (ends - counts), counts) + np.arange(int(ends[-1]))
        return self.kids[at], counts

    def first_parents(self, root: int) -> array:
        """Per part, its parent in a breadth-first walk from ``root`` that takes each part's
        children in file order and keeps the first parent to reach a part: -1 for ``root``,
        -2 for a part not under it (``Graph.first_parents``: ``parent[j]`` is the first part
        of the queue whose children include ``j``)."""
        parent = np.full(self.n, -2, dtype=self.kids.dtype)
        parent[root] = -1
        #: per part, the position of its first arrival in the current step
        first = np.empty(self.n, dtype=np.int64)
        frontier = np.array([root], dtype=np.int64)
        while len(frontier):
            kids, counts = self._expand(frontier)
            parents = np.repeat(frontier, counts)
            fresh = parent[kids] == -2
            kids, parents = kids[fresh], parents[fresh]
            # the queue's next step: each new part once, where the queue first reached it
            at = np.arange(len(kids))
            first[kids] = len(kids)
            np.minimum.at(first, kids, at)
            once = first[kids] == at
            frontier = kids[once].astype(np.int64)
            parent[frontier] = parents[once]
        found = array("i" if parent.itemsize == array("i").itemsize else "q")
        found.frombytes(parent.tobytes())
        return found
