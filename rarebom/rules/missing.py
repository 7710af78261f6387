"""The data that would settle a verdict: sentences written when they are read.

An indeterminate verdict names a part for each datum that would settle it ("origin claims
for P17 (magnet)", "the mass of P9"), and a finished good's verdict can name every part
under it: 74,000 sentences for one rule at 100,000 parts, and the same parts again for each
rule and finished good. Kept as strings, they took more memory than the verdicts
themselves. A :class:`Missing` keeps, per sentence, the part it names and which of a few
forms it takes (the text before and after the part's label), and writes the sentence when
it is read. A report reads the first hundred.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import repeat
from typing import Any

__all__ = ["NOTHING", "Gather", "Missing"]


class Missing(Sequence[str]):
    """The sentences of what would settle a verdict, in order, each once: a read-only
    sequence of ``str`` that compares equal to the tuple of its sentences and prints as it.

    Sentence ``k`` is ``head + label + tail``, with ``(head, tail) = forms[which[k]]`` its
    form and ``label`` the label in ``bom`` of the part ``ids[parts[k]]``; a sentence that
    names no part (``parts[k]`` is -1) is its head. ``which`` is None when there is one form
    (a node's one datum, or one list of parts). ``parts`` is an array of 4-byte ints, and
    ``ids`` is shared: the trace's part ids, in its index order, for every ``Missing`` of an
    evaluation. Build one with :class:`Gather`, or :meth:`of` for sentences already written.
    """

    __slots__ = ("_bom", "_forms", "_ids", "_parts", "_which")

    def __init__(self, forms: tuple[tuple[str, str], ...], which: array | None, parts: array, ids: Sequence[str] = (), bom: Any = None):
        self._forms = forms
        self._which = which
        self._parts = parts
        self._ids = ids
        self._bom = bom

    @classmethod
    def of(cls, texts: Iterable[str]) -> Missing:
        """Sentences already written, each once, in order."""
        gather = Gather(None)
        for text in texts:
            gather.text(text)
        return gather.done()

    @property
    def part_ids(self) -> tuple[str | None, ...]:
        """The part each sentence names (None for a sentence that names none), in order."""
        ids = self._ids
        return tuple([None if i < 0 else ids[i] for i in self._parts])

    def __len__(self) -> int:
        return len(self._parts)

    def _text(self, k: int) -> str:
        head, tail = self._forms[0 if self._which is None else self._which[k]]
        i = self._parts[k]
        return head if i < 0 else head + self._bom.part(self._ids[i]).label + tail

    def __getitem__(self, k):
        if isinstance(k, slice):
            return tuple(self._text(i) for i in range(*k.indices(len(self._parts))))
        n = len(self._parts)
        if not -n <= k < n:
            raise IndexError("Missing index out of range")
        return self._text(k % n)

    def __iter__(self) -> Iterator[str]:
        forms, ids, part = self._forms, self._ids, self._bom.part if self._bom is not None else None
        for w, i in zip(repeat(0) if self._which is None else self._which, self._parts, strict=False):
            head, tail = forms[w]
            yield head if i < 0 else head + part(ids[i]).label + tail

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Missing | tuple | list):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))

    def __reduce__(self):
        return (Missing, (self._forms, self._which, self._parts, self._ids, self._bom))


class Gather:
    """A :class:`Missing` being built: each sentence once, in the order it was first added.

    ``forms`` is shared by every gathering of an evaluation (a form is the same pair of str
    objects wherever it is used): a dict of ``(head, tail)`` to the one-tuple of itself,
    which is also the forms of every :class:`Missing` of that one form. The forms are
    counted in a byte per sentence until there are more than 256.

    ``table`` is ``(index, ids)``: the trace's part ids in its index order, and the index of
    each. A sentence keeps its part as that index, 4 bytes where a reference to the id takes
    8. Without a table (sentences already written, or a few made by hand), the gathering
    numbers the parts it meets itself.
    """

    __slots__ = ("_at", "_bom", "_forms", "_ids", "_index", "_local", "_parts", "_seen", "_shared", "_which")

    def __init__(self, bom: Any, forms: dict[tuple[str, str], tuple[tuple[str, str]]] | None = None, table: tuple[Mapping[str, int], Sequence[str]] | None = None):
        self._bom = bom
        self._shared = {} if forms is None else forms
        self._forms: list[tuple[str, str]] = []
        self._index: dict[tuple[str, str], int] = {}
        #: per form, the parts (their numbers, -1 for none) it has named: an empty set for a
        #: form with no sentence yet, None where its sentences were added at once and the set
        #: is made only if more of them are (see :meth:`_sets`)
        self._seen: list[set | None] = []
        self._which = array("B")
        self._parts = array("i")
        self._local = table is None
        self._at: Mapping[str, int]
        self._ids: Sequence[str]
        self._at, self._ids = ({}, []) if table is None else table

    def form(self, head: str, tail: str = "") -> int:
        key = (head, tail)
        k = self._index.get(key)
        if k is None:
            k = self._index[key] = len(self._forms)
            self._forms.append(self._shared.setdefault(key, (key,))[0])
            self._seen.append(set())
            if k == 256:  # (before the sentences of the form are added: the loops hold the array)
                self._which = array("I", self._which)
        return k

    def _numbers(self, part_ids: Iterable[str | None]) -> list[int]:
        """Each part's number in the table (-1 for None); parts new to a gathering's own
        table are added to it."""
        at = self._at
        if not isinstance(part_ids, list | tuple):
            part_ids = list(part_ids)
        if not self._local:
            try:
                return list(map(at.__getitem__, part_ids))
            except KeyError:  # a sentence of no part among them
                return [-1 if pid is None else at[pid] for pid in part_ids]
        found = []
        for pid in part_ids:
            if pid is None:
                found.append(-1)
                continue
            i = at.get(pid)
            if i is None:
                i = at[pid] = len(self._ids)
                self._ids.append(pid)
            found.append(i)
        return found

    def _fresh(self, form: int) -> bool:
        """Whether the form has no sentence yet."""
        seen = self._seen[form]
        return seen is not None and not seen

    def _sets(self, forms: Iterable[int]) -> dict[int, set]:
        """The parts each of ``forms`` has named; the sets of forms whose sentences were
        added at once are made now, in one pass over the sentences."""
        found = {k: self._seen[k] for k in forms}
        unmade = {k for k, seen in found.items() if seen is None}
        if unmade:
            for k in unmade:
                found[k] = self._seen[k] = set()
            for k, i in zip(self._which, self._parts, strict=True):
                if k in unmade:
                    found[k].add(i)
        return found

    def add(self, form: int, part_ids: Iterable[str | None]) -> None:
        """The sentences of ``form`` for each of ``part_ids`` (None: the form's head alone)."""
        self._add(form, self._numbers(part_ids))

    def _add(self, form: int, numbers: list[int]) -> None:
        if self._fresh(form):  # its first sentences: each part once, in order, with no set
            new = dict.fromkeys(numbers)
            if new:
                self._parts.extend(new)
                self._which.extend(repeat(form, len(new)))
                self._seen[form] = None
            return
        seen, which, parts = self._sets((form,))[form], self._which, self._parts
        for i in numbers:
            if i not in seen:
                seen.add(i)
                which.append(form)
                parts.append(i)

    def pairs(self, forms: Sequence[int], part_ids: Sequence[str]) -> None:
        """The sentence of each form for the part beside it; ``part_ids`` are distinct."""
        self._pairs(forms, self._numbers(part_ids))

    def numbered_pairs(self, forms: Sequence[int], numbers: list[int]) -> None:
        """:meth:`pairs` of the parts numbered as in the table the gathering was given (its
        ``index``): a gathering that numbers its parts itself takes ids only."""
        if self._local:
            raise ValueError("a gathering given no table takes part ids, not numbers")
        self._pairs(forms, numbers)

    def _pairs(self, forms: Sequence[int], numbers: list[int]) -> None:
        distinct = set(forms)
        if all(map(self._fresh, distinct)):  # the forms' first sentences: nothing to look up
            self._which.extend(forms)
            self._parts.extend(numbers)
            for k in distinct:
                self._seen[k] = None
            return
        sets, which, parts = self._sets(distinct), self._which, self._parts
        for k, i in zip(forms, numbers, strict=True):
            if i not in sets[k]:
                sets[k].add(i)
                which.append(k)
                parts.append(i)

    def text(self, text: str) -> None:
        """A sentence already written."""
        self._add(self.form(text), [-1])

    def extend(self, missing: Sequence[str]) -> None:
        """The sentences of ``missing``, those not yet here, in order."""
        if not isinstance(missing, Missing):
            for text in missing:
                self.text(text)
            return
        if not missing:
            return
        if missing._bom is not None:
            self._bom = missing._bom
        forms = [self.form(*f) for f in missing._forms]
        which = repeat(forms[0], len(missing)) if missing._which is None else map(forms.__getitem__, missing._which)
        # its parts by number in this gathering's table: the same numbers where it shares it
        numbers = missing._parts if missing._ids is self._ids else self._numbers(missing.part_ids)
        if all(map(self._fresh, forms)):  # a Missing holds each sentence once: all of it is new
            self._which.extend(which)
            self._parts.extend(numbers)
            for k in forms:
                self._seen[k] = None
            return
        sets = self._sets(forms)
        mine, parts = self._which, self._parts
        for k, i in zip(which, numbers, strict=False):
            found = sets[k]
            if i not in found:
                found.add(i)
                mine.append(k)
                parts.append(i)

    def done(self) -> Missing:
        if not self._parts:
            return NOTHING
        # Copies: the gathering may go on, and a copy has no spare room (a Missing is kept
        # as long as its verdict); a gathering's own table may number more parts.
        ids = tuple(self._ids) if self._local else self._ids
        if len(self._forms) == 1:
            return Missing(self._shared[self._forms[0]], None, self._parts[:], ids, self._bom)
        return Missing(tuple(self._forms), self._which[:], self._parts[:], ids, self._bom)


#: No missing data: what a decided verdict holds.
NOTHING = Missing((), None, array("i"))
