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
from collections.abc import Iterable, Iterator, Sequence
from itertools import repeat
from typing import Any

__all__ = ["NOTHING", "Gather", "Missing"]


class Missing(Sequence[str]):
    """The sentences of what would settle a verdict, in order, each once: a read-only
    sequence of ``str`` that compares equal to the tuple of its sentences and prints as it.

    Sentence ``k`` is ``head + label + tail``, with ``(head, tail) = forms[which[k]]`` its
    form and ``label`` the label of the part ``parts[k]`` in ``bom``; a sentence that names no
    part is its head. ``which`` is None when there is one form (a node's one datum, or one
    list of parts). Build one with :class:`Gather`, or :meth:`of` for sentences already written.
    """

    __slots__ = ("_bom", "_forms", "_parts", "_which")

    def __init__(self, forms: tuple[tuple[str, str], ...], which: array | None, parts: tuple[str | None, ...], bom: Any = None):
        self._forms = forms
        self._which = which
        self._parts = parts
        self._bom = bom

    @classmethod
    def of(cls, texts: Iterable[str]) -> Missing:
        """Sentences already written, each once, in order."""
        gather = Gather(None)
        for text in texts:
            gather.text(text)
        return gather.done()

    def __len__(self) -> int:
        return len(self._parts)

    def _text(self, k: int) -> str:
        head, tail = self._forms[0 if self._which is None else self._which[k]]
        pid = self._parts[k]
        return head if pid is None else head + self._bom.part(pid).label + tail

    def __getitem__(self, k):
        if isinstance(k, slice):
            return tuple(self._text(i) for i in range(*k.indices(len(self._parts))))
        n = len(self._parts)
        if not -n <= k < n:
            raise IndexError("Missing index out of range")
        return self._text(k % n)

    def __iter__(self) -> Iterator[str]:
        forms, part = self._forms, self._bom.part if self._bom is not None else None
        for w, pid in zip(repeat(0) if self._which is None else self._which, self._parts, strict=False):
            head, tail = forms[w]
            yield head if pid is None else head + part(pid).label + tail

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Missing | tuple | list):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))

    def __reduce__(self):
        return (Missing, (self._forms, self._which, self._parts, self._bom))


class Gather:
    """A :class:`Missing` being built: each sentence once, in the order it was first added.

    ``forms`` is shared by every gathering of an evaluation (a form is the same pair of str
    objects wherever it is used): a dict of ``(head, tail)`` to the one-tuple of itself,
    which is also the forms of every :class:`Missing` of that one form. The forms are
    counted in a byte per sentence until there are more than 256.
    """

    __slots__ = ("_bom", "_forms", "_index", "_parts", "_seen", "_shared", "_which")

    def __init__(self, bom: Any, forms: dict[tuple[str, str], tuple[tuple[str, str]]] | None = None):
        self._bom = bom
        self._shared = {} if forms is None else forms
        self._forms: list[tuple[str, str]] = []
        self._index: dict[tuple[str, str], int] = {}
        #: per form, the parts (or None) it has named: an empty set for a form with no
        #: sentence yet, None where its sentences were added at once and the set is made
        #: only if more of them are (see :meth:`_sets`)
        self._seen: list[set | None] = []
        self._which = array("B")
        self._parts: list[str | None] = []

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
            for k, pid in zip(self._which, self._parts, strict=True):
                if k in unmade:
                    found[k].add(pid)
        return found

    def add(self, form: int, part_ids: Iterable[str | None]) -> None:
        """The sentences of ``form`` for each of ``part_ids`` (None: the form's head alone)."""
        if self._fresh(form):  # its first sentences: each part once, in order, with no set
            new = dict.fromkeys(part_ids)
            if new:
                self._parts.extend(new)
                self._which.extend(repeat(form, len(new)))
                self._seen[form] = None
            return
        seen, which, parts = self._sets((form,))[form], self._which, self._parts
        for pid in part_ids:
            if pid not in seen:
                seen.add(pid)
                which.append(form)
                parts.append(pid)

    def pairs(self, forms: Sequence[int], part_ids: Sequence[str]) -> None:
        """The sentence of each form for the part beside it; ``part_ids`` are distinct."""
        distinct = set(forms)
        if all(map(self._fresh, distinct)):  # the forms' first sentences: nothing to look up
            self._which.extend(forms)
            self._parts.extend(part_ids)
            for k in distinct:
                self._seen[k] = None
            return
        sets, which, parts = self._sets(distinct), self._which, self._parts
        for k, pid in zip(forms, part_ids, strict=True):
            if pid not in sets[k]:
                sets[k].add(pid)
                which.append(k)
                parts.append(pid)

    def text(self, text: str) -> None:
        """A sentence already written."""
        self.add(self.form(text), (None,))

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
        if all(map(self._fresh, forms)):  # a Missing holds each sentence once: all of it is new
            self._which.extend(which)
            self._parts.extend(missing._parts)
            for k in forms:
                self._seen[k] = None
            return
        sets = self._sets(forms)
        mine, parts = self._which, self._parts
        for k, pid in zip(which, missing._parts, strict=False):
            found = sets[k]
            if pid not in found:
                found.add(pid)
                mine.append(k)
                parts.append(pid)

    def done(self) -> Missing:
        if not self._parts:
            return NOTHING
        if len(self._forms) == 1:
            return Missing(self._shared[self._forms[0]], None, tuple(self._parts), self._bom)
        return Missing(tuple(self._forms), self._which, tuple(self._parts), self._bom)


#: No missing data: what a decided verdict holds.
NOTHING = Missing((), None, ())
