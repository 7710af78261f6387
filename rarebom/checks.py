"""Whole-BOM checks: the graph, the amounts, and the arithmetic a file states about itself.

:func:`check_bom` returns findings; it never raises for bad data. Errors make the BOM
unusable (a usage naming a missing part, a cycle, a zero or negative quantity or mass);
warnings are dirty data the tool can still work with (fractions above 100 %, a declared
mass that disagrees with the sum of its contents).

Every walk here is iterative, so a 100,000-level chain is no problem.
"""

from __future__ import annotations

import functools
import math
from array import array
from collections.abc import Iterable, Sequence
from fractions import Fraction

import attrs

from . import chemistry
from .errors import Finding, Severity, error, warning
from .model import ITEM_CLASSES, Amount, Bom, Completeness, Part, Usage
from .units import Kind

__all__ = ["CheckOptions", "check_bom", "find_cycles", "topological_order"]


DEFAULT_FRACTION_TOLERANCE = Fraction(1, 100)
DEFAULT_MASS_TOLERANCE = Fraction(5, 100)


@attrs.frozen(kw_only=True)
class CheckOptions:
    """Tolerances for the warnings about a file's own arithmetic.

    ``fraction_tolerance``: how far above 100 % fractions may sum before a warning (0.01 =
    one percentage point), because suppliers round each line. ``mass_tolerance``: the
    relative gap allowed between a part's declared mass and the sum of its children and
    materials (0.05 = 5 %), because a declared mass is often weighed and the sum computed.
    """

    fraction_tolerance: Fraction = DEFAULT_FRACTION_TOLERANCE
    mass_tolerance: Fraction = DEFAULT_MASS_TOLERANCE
    max_cycles_reported: int = 20


def _g(grams: float) -> str:
    return f"{grams:.6g} g"


def _pct(ratio: Fraction | float) -> str:
    try:
        return f"{float(ratio * 100):.6g} %"
    except OverflowError:  # a Fraction beyond float range, from absurd masses in a file
        return "more than 1e308 %"


#: Where :func:`check_bom` leaves its topological order in ``Bom._checked`` (a key no
#: options tuple can equal), for :func:`topological_order` (or the trace's compile, through
#: :func:`_topological_numbers`) to hand out once: ``(order, with_alternates, kids,
#: starts)``, the order as part numbers, True where the BOM has alternates and the order is
#: ``topological_order(bom, alternates=True)``'s only, and the children of the usages by
#: number (:class:`_Numbered`'s ``kids`` and ``starts``).
_ORDER = "topological order"


def check_bom(bom: Bom, options: CheckOptions = CheckOptions(), *, graph: bool = True, mass_balance: bool = True) -> list[Finding]:
    """All findings for ``bom``: graph errors first, then amounts, then arithmetic.

    ``graph=False`` checks each part on its own only: for the parts a reader could build
    from a file that also had errors, where references to the broken parts would dangle.
    ``mass_balance=False`` skips the mass-balance walk, for callers that roll the masses
    up anyway and report the balance themselves (:func:`rarebom.trace`).
    """
    full = bom._checked.get((options, graph, True))
    if full is not None:  # checked before (rarebom.load does): the same findings, minus what was not asked for
        return [f for f in full if mass_balance or f.code != "mass-balance"]
    found = bom._checked.get((options, graph, mass_balance))
    if found is None:
        found = bom._checked[(options, graph, mass_balance)] = _check(bom, options, graph=graph, mass_balance=mass_balance)
    return list(found)


def _check(bom: Bom, options: CheckOptions, *, graph: bool, mass_balance: bool) -> list[Finding]:
    uoms = _uom_facts(bom)
    facts = _AmountFacts()
    if not graph:
        return _check_amounts(bom, options, uoms, facts)
    findings, numbered = _check_references(bom, uoms)
    if numbered.dangling:
        return findings + _check_amounts(bom, options, uoms, facts)
    # Kahn's order exists exactly when there is no cycle, and costs less than the search
    # for cycles: the search runs only for a BOM that has one, to name them. The order is
    # made once, with the alternates' edges where the BOM names alternates (a part named as
    # an alternate of one of its own parts is a cycle too: whichever candidate a trace
    # picks, the roll-up orders every alternate before its users). It is a topological
    # order of the children too: the mass-balance walk reuses it, and it is left for the
    # trace's compile, which orders the parts with their alternates, through
    # topological_order.
    pending, parents = _graph(bom, numbered, alternates=True)
    try:
        order = _kahn(pending, parents)  # topological_order(bom, alternates=True), as part numbers
    except ValueError:
        order = None
        # A cycle among the children is named as such; only a BOM without one has its
        # cycles through alternates named.
        cycles = find_cycles(bom, limit=options.max_cycles_reported)
        if not cycles:
            cycles = find_cycles(bom, limit=options.max_cycles_reported, alternates=True)
        findings += cycles
    else:
        # Arrays, not lists: kept until the trace, lists would keep an int object per part too.
        bom._checked[_ORDER] = (array("q", order), bool(numbered.alternated), array("q", numbered.kids), numbered.starts)
    if order is not None and bom._finished is None:
        # ``parents`` has the alternates' edges too: the parts nothing waits for are the
        # finished goods, which Bom would otherwise find through a set of every usage's id
        # string (1.5 s at 1M parts, the caches missed on each).
        parts = bom.parts
        bom._know_finished_goods(tuple(parts[k] for k, waiting in enumerate(parents) if waiting is None))
    del pending, parents
    findings += _check_amounts(bom, options, uoms, facts)
    if mass_balance and order is not None and not any(f.severity is Severity.ERROR for f in findings):
        findings += _check_mass_balance(bom, options, facts, order, numbered)
    return findings


def _uom_facts(bom: Bom) -> dict[str, tuple[Kind, Fraction, bool, float | None]]:
    """Per distinct unit of measure: its kind, its size (canonical units in one), whether
    the size is 1, and the size as a float. A BOM has a handful of units; parts have many."""
    found: dict[str, tuple[Kind, Fraction, bool, float | None]] = {}
    for part in bom.parts:
        if part.uom not in found:
            size = part.uom_size
            found[part.uom] = (part.uom_kind, size, size == 1, _as_float(size))
    return found


class _AmountFacts(dict):
    """What the checks need to know about each distinct :class:`Amount`, worked out once.

    Readers share one object per distinct amount (a 100,000-part file has a few thousand),
    so the facts are kept by the amount's ``id``: every amount stays alive inside the BOM
    for as long as one check runs. :meth:`of` returns a tuple, read with the indices below.
    """

    def of(self, amount: Amount) -> tuple:
        facts = self.get(id(amount))
        if facts is None:
            facts = self[id(amount)] = _amount_facts(amount)
        return facts


# Indices into a tuple from _AmountFacts.of.
_POSITIVE, _UNREMARKABLE, _NOT_NEGATIVE, _FRACTION, _LOW, _HIGH, _NOMINAL = range(7)


def _amount_facts(amount: Amount) -> tuple:
    value, low, high = amount.value, amount.min, amount.max
    numbers = [n for n in (value, low, high) if n is not None]
    if value is not None:
        share_low = share_high = value
    else:
        share_low, share_high = low or Fraction(0), high
    low_terms = (share_low.numerator, share_low.denominator)
    return (
        all(n.numerator > 0 for n in numbers),  # _positive(allow_zero=False) says nothing
        _unremarkable(amount),
        all(n.numerator >= 0 for n in numbers),
        amount.kind is Kind.FRACTION,
        low_terms,  # _share's (low, high) as (numerator, denominator)
        low_terms if share_high is share_low else None if share_high is None else (share_high.numerator, share_high.denominator),
        _as_float(value),
    )


@attrs.frozen
class _Numbered:
    """A BOM's graph on part numbers, a part's number being its position in ``bom.parts``
    (so number order is file order): the graph walks of :func:`check_bom` index lists by
    number rather than dicts by id, which at a million parts cost about twice as much per
    look-up as at 100,000 (the dicts and id strings no longer fit the caches).

    ``kids[starts[k] + j]`` is the number of the child of part ``k``'s ``j``-th usage (None
    for a child that does not exist); ``alternated`` the numbers of the parts whose usages
    name alternates, in file order; ``dangling`` whether a usage names a part (a child or an
    alternate) that does not exist, and then the graph is not walked. ``sizes`` are each
    part's unit-of-measure facts (as :func:`_uom_facts` gives them), by number."""

    number: dict[str, int]
    sizes: list[tuple]
    kids: list[int]
    starts: array
    alternated: list[int]
    dangling: bool


def _numbered(bom: Bom) -> _Numbered:
    """The BOM's :class:`_Numbered` graph; ``ValueError`` for a usage whose child is missing."""
    _, numbered = _check_references(bom, _uom_facts(bom))
    if None in numbered.kids:
        part, use = next((part, use) for part in bom.parts for use in part.uses if use.child not in numbered.number)
        raise ValueError(f"part {part.id!r} uses part {use.child!r}, which does not exist")
    return numbered


def _check_references(bom: Bom, uoms: dict) -> tuple[list[Finding], _Numbered]:
    """The reference findings, and the BOM's graph on part numbers: one look-up of each
    usage's child serves both."""
    findings: list[Finding] = []
    parts = bom.parts
    number = {part.id: k for k, part in enumerate(parts)}
    find = number.get
    sizes = [uoms[part.uom] for part in parts]
    kids: list[int] = []
    starts = array("q", [0])  # an int object per part would be 28 bytes more a part
    alternated = []
    dangling = False
    for k, part in enumerate(parts):
        uses = part.uses
        for use in uses:
            child = find(use.child)
            # The usual usage (an existing child, no alternates, a quantity of the child's kind) is
            # settled here; any other goes through the full test.
            if child is None or use.alternates or use.quantity.kind is not sizes[child][0]:
                found = list(_reference_findings(bom, part, use))
                dangling = dangling or any(f.code == "dangling-reference" for f in found)
                findings += found
                if use.alternates and (not alternated or alternated[-1] != k):
                    alternated.append(k)
            kids.append(child)  # type: ignore[arg-type]  # None where the child is missing: see _Numbered
        starts.append(len(kids))
    return findings, _Numbered(number, sizes, kids, starts, alternated, dangling)


def _reference_findings(bom: Bom, part: Part, use: Usage) -> Iterable[Finding]:
    for ref in (use.child, *use.alternates):
        if ref not in bom:
            role = "uses" if ref == use.child else "names as an alternate"
            yield error("dangling-reference", f"part {part.id!r} {role} part {ref!r}, which does not exist", part.location, (part.id, ref))
        elif ref == use.child:
            child = bom.part(ref)
            if use.quantity.kind is not child.uom_kind:
                yield error(
                    "quantity-unit-mismatch",
                    f"part {part.id!r} uses {use.quantity} of {ref!r}, but {ref!r} is counted in {child.uom!r} ({child.uom_kind.value})",
                    part.location,
                    (part.id, ref),
                )


def _children(part: Part) -> list[str]:
    return [use.child for use in part.uses]


def _children_and_alternates(part: Part) -> list[tuple[str, str | None]]:
    """Each child and alternate of ``part``, with the child an alternate stands in for (None for a child)."""
    return [(ref, None if ref == use.child else use.child) for use in part.uses for ref in (use.child, *use.alternates)]


def find_cycles(bom: Bom, *, limit: int = 20, alternates: bool = False) -> list[Finding]:
    """One error per cycle found, each with the cycle's path ``a -> b -> ... -> a``.

    With ``alternates``, a step may go to a part named as an alternate, and the message
    says which steps those are.
    """
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys((p.id for p in bom.parts), WHITE)
    findings: list[Finding] = []
    steps = _children_and_alternates if alternates else lambda part: [(child, None) for child in _children(part)]
    for start in bom.parts:
        if colour[start.id] != WHITE:
            continue
        # Iterative DFS: the stack holds (part id, iterator over its children); ``via`` says,
        # for each part on the path, which child it stands in for if it was reached as an alternate.
        path, via = [start.id], [None]
        colour[start.id] = GREY
        stack = [iter(steps(start))]
        while stack:
            child, instead = next(stack[-1], (None, None))
            if child is None:
                stack.pop()
                colour[path.pop()] = BLACK
                via.pop()
                continue
            if child not in colour:
                continue  # dangling; reported elsewhere
            if colour[child] == GREY:
                first = path.index(child)
                cycle = path[first:] + [child]
                message = "the BOM has a cycle: " + " -> ".join(cycle)
                named = [(cycle[k], cycle[k + 1], v) for k, v in enumerate([*via[first + 1 :], instead]) if v is not None]
                if named:
                    message += ", where " + " and ".join(f"{parent} names {alternate} as an alternate to {child_}" for parent, alternate, child_ in named)
                findings.append(error("cycle", message, bom.part(child).location, tuple(dict.fromkeys(cycle))))
                if len(findings) >= limit:
                    return findings
            elif colour[child] == WHITE:
                colour[child] = GREY
                path.append(child)
                via.append(instead)
                stack.append(iter(steps(bom.part(child))))
    return findings


def topological_order(bom: Bom, *, alternates: bool = False) -> list[str]:
    """Part ids with every child before its parents (Kahn's algorithm, iterative).

    With ``alternates``, every alternate also comes before the parts that name it. The
    order is deterministic: among parts that are ready together, file order wins.
    Raises ``ValueError`` if the BOM has a cycle or a dangling reference; run
    :func:`check_bom` first for a located message.

    The first call after :func:`check_bom` takes the order the check made (the same order),
    and later calls compute it again: the BOM does not keep it.
    """
    return _ids(bom, _topological_numbers(bom, alternates=alternates)[0])


def _topological_numbers(bom: Bom, *, alternates: bool = False) -> tuple[Sequence[int], Sequence[int], array]:
    """:func:`topological_order` as part numbers (positions in ``bom.parts``), with the
    number of each usage's child (:class:`_Numbered`'s ``kids`` and ``starts``): what the
    trace's compile walks, without looking a part or a child up by its id. Like
    :func:`topological_order`, the first call after :func:`check_bom` takes the check's."""
    kept = bom._checked.get(_ORDER)
    # pop, not del: of two threads that found it, one takes it and the other computes.
    if kept is not None and (alternates or not kept[1]) and bom._checked.pop(_ORDER, None) is kept:
        return kept[0], kept[2], kept[3]
    numbered = _numbered(bom)
    return _kahn(*_graph(bom, numbered, alternates=alternates)), numbered.kids, numbered.starts


def _ids(bom: Bom, order: list[int]) -> list[str]:
    """The ids of the parts numbered ``order``, in that order."""
    parts = bom.parts
    return [parts[k].id for k in order]


def _graph(bom: Bom, numbered: _Numbered, *, alternates: bool = False) -> tuple[list[int], list[list[int] | None]]:
    """For Kahn's algorithm, by part number: how many distinct parts (children, and with
    ``alternates`` the alternates too) each part waits for, and the parts that wait for
    each, in file order (None for a part nothing waits for)."""
    n = len(bom.parts)
    kids, starts = numbered.kids, numbered.starts
    pending = [0] * n
    parents: list[list[int] | None] = [None] * n
    a = 0
    for k in range(n):
        b = starts[k + 1]
        if b - a == 1:  # most parts: one child, no set needed
            child = kids[a]
            waiting = parents[child]
            if waiting is None:
                parents[child] = [k]
            else:
                waiting.append(k)
            pending[k] = 1
        elif b != a:
            # The set is a temporary: bound to a name, a 10,000-child part's set would live to the end.
            count = 0
            for child in set(kids[a:b]):
                waiting = parents[child]
                if waiting is None:
                    parents[child] = [k]
                else:
                    waiting.append(k)
                count += 1
            pending[k] = count
        a = b
    if alternates and numbered.alternated:
        _add_alternates(bom, numbered, pending, parents)
    return pending, parents


def _add_alternates(bom: Bom, numbered: _Numbered, pending: list[int], parents: list[list[int] | None]) -> None:
    """Turn :func:`_graph`'s children-only graph into the graph with alternates, in place:
    only the parts that name alternates gain edges. A part that gains a waiting part has its
    list put back in file order (number order), so Kahn's algorithm gives the same order as
    on the graph built with alternates from the start."""
    number, kids, starts = numbered.number, numbered.kids, numbered.starts
    gained = set()
    for k in numbered.alternated:
        children = set(kids[starts[k] : starts[k + 1]])
        uses = bom.parts[k].uses
        missing = next((ref for use in uses for ref in use.alternates if ref not in number), None)
        if missing is not None:
            raise ValueError(f"part {bom.parts[k].id!r} names part {missing!r} as an alternate, which does not exist")
        refs = children | {number[ref] for use in uses for ref in use.alternates}
        for ref in refs - children:
            waiting = parents[ref]
            if waiting is None:
                parents[ref] = [k]
            else:
                waiting.append(k)
            gained.add(ref)
        pending[k] = len(refs)
    for ref in gained:
        parents[ref].sort()  # type: ignore[union-attr]


def _kahn(pending: list[int], parents: list[list[int] | None]) -> list[int]:
    """The order of :func:`topological_order`, as part numbers, from :func:`_graph`'s two
    lists (``pending`` is used up): among the parts ready together, the first in the file
    goes first."""
    ready = [k for k, n in enumerate(pending) if n == 0]
    ready.reverse()
    order = []
    while ready:
        k = ready.pop()
        order.append(k)
        waiting = parents[k]
        if waiting is None:
            continue
        for parent in waiting:
            left = pending[parent] - 1
            pending[parent] = left
            if left == 0:
                ready.append(parent)
    if len(order) != len(pending):
        raise ValueError("the BOM has a cycle")
    return order


def _positive(amount: Amount, what: str, part: Part, *, allow_zero: bool) -> Iterable[Finding]:
    """Errors for a zero or negative amount. ``allow_zero`` lets a substance declare absence."""
    # A Fraction's sign is its numerator's (the denominator is always positive): the common
    # case, every number above zero, is settled without Fraction comparisons.
    value, low, high = amount.value, amount.min, amount.max
    if (value is None or value.numerator > 0) and (low is None or low.numerator > 0) and (high is None or high.numerator > 0):
        return
    for label, number in (("", amount.value), ("min ", amount.min), ("max ", amount.max)):
        if number is None:
            continue
        bad = number < 0 or (number == 0 and not allow_zero and label != "min ")
        if bad:
            code = "non-positive-quantity" if what.startswith("quantity") else "non-positive-mass"
            sign = "negative" if number < 0 else "zero"
            yield error(code, f"part {part.id!r}: {what} {label}is {sign} ({amount})", part.location, (part.id,))


def _unremarkable(amount: Amount) -> bool:
    """True when neither :func:`_positive` with ``allow_zero`` nor :func:`_above_one` has
    anything to say: no number below zero, and a fraction no higher than 1. Lets the
    per-substance loop skip writing labels for messages it will not give."""
    value, low, high = amount.value, amount.min, amount.max
    if (value is not None and value.numerator < 0) or (low is not None and low.numerator < 0) or (high is not None and high.numerator < 0):
        return False
    top = high if high is not None else value
    return amount.kind is not Kind.FRACTION or top is None or top.numerator <= top.denominator


def _above_one(amount: Amount, what: str, part: Part) -> Iterable[Finding]:
    top = amount.max if amount.max is not None else amount.value
    if amount.kind is Kind.FRACTION and top is not None and top.numerator > top.denominator:  # top > 1
        yield warning("fraction-above-100", f"part {part.id!r}: {what} is {amount}, above 100 %", part.location, (part.id,))


def _check_amounts(bom: Bom, options: CheckOptions, uoms: dict, facts: _AmountFacts) -> list[Finding]:
    """The per-part findings, in file order.

    Each test first asks the amount's facts (worked out once per distinct amount) whether
    it can have anything to say; only then does it build the labels and run the full test.
    """
    findings: list[Finding] = []
    limit = 1 + options.fraction_tolerance
    short = 1 - options.fraction_tolerance
    bounds = (limit.numerator, limit.denominator, short.numerator, short.denominator)
    no_materials_warn = limit < 0  # no materials sum to 0 %, above a limit below zero (a tolerance below -100 %)
    of = facts.of
    known = facts.get
    for part in bom.parts:
        kind, size = uoms[part.uom][:2]
        mass = part.mass
        if mass is not None:
            if not (known(id(mass)) or of(mass))[_POSITIVE]:
                findings += _positive(mass, "mass", part, allow_zero=False)
            if kind is Kind.MASS and mass.value is not None and mass.value != size:
                findings.append(
                    error(
                        "uom-mass-mismatch",
                        f"part {part.id!r} is counted in {part.uom!r}, so one unit of it weighs 1 {part.uom}, not {part.mass}",
                        part.location,
                        (part.id,),
                    )
                )
        if part.unit_value is not None and not (known(id(part.unit_value)) or of(part.unit_value))[_NOT_NEGATIVE]:
            findings.append(error("negative-value", f"part {part.id!r}: unit value {part.unit_value} is negative", part.location, (part.id,)))
        for use in part.uses:
            if not (known(id(use.quantity)) or of(use.quantity))[_POSITIVE]:
                findings += _positive(use.quantity, f"quantity of {use.child!r}", part, allow_zero=False)
        for code in part.item_classes() - ITEM_CLASSES if part.classifications else ():
            findings.append(
                warning("unknown-item-class", f"part {part.id!r}: item class {code!r} is not one rarebom knows ({', '.join(sorted(ITEM_CLASSES))})", part.location, (part.id,))
            )
        if part.materials or no_materials_warn:
            part_mass = size if kind is Kind.MASS else (mass.value if mass is not None else None)
            if not _materials_quiet(part, part_mass, bounds, facts):
                findings += _check_materials(part, part_mass, limit, short)
    return findings


def _materials_quiet(part: Part, part_mass: Fraction | None, bounds: tuple[int, int, int, int], facts: _AmountFacts) -> bool:
    """True when :func:`_check_materials` has nothing to say about ``part``, False when it may.

    The same sums and comparisons, on integer numerators over a common denominator (as
    :func:`_exact_sum` adds) and without labels: exact, so "quiet" is never a guess.
    ``bounds`` is ``1 + tolerance`` and ``1 - tolerance`` as numerators and denominators.
    """
    limit_n, limit_d, short_n, short_d = bounds
    of = facts.of
    known = facts.get
    material_shares = []
    share_known = True
    for material in part.materials:
        amount = material.amount
        if amount is not None:
            facts_of = known(id(amount)) or of(amount)
            if not facts_of[_UNREMARKABLE]:
                return False
            if facts_of[_FRACTION]:
                material_shares.append(facts_of[_LOW])
            elif part_mass:
                material_shares.append(_terms(_share(amount, part_mass)[0]))
            else:
                share_known = False
        substances = material.substances
        if material.completeness is Completeness.FULL and not substances:
            return False  # empty-full-declaration
        lows = []
        highs = []
        shares_known = bool(substances)
        material_mass = _UNSET
        for substance in substances:
            if substance.cas is not None and not _cas_quiet(substance.cas):
                return False
            sub_amount = substance.amount
            if sub_amount is None:
                shares_known = False
                continue
            facts_of = known(id(sub_amount)) or of(sub_amount)
            if not facts_of[_UNREMARKABLE]:
                return False
            if facts_of[_FRACTION]:
                lows.append(facts_of[_LOW])
                highs.append(facts_of[_HIGH])
                continue
            if material_mass is _UNSET:
                material_mass = None
                if amount is not None and amount.value is not None:
                    material_mass = amount.value if amount.kind is Kind.MASS else (amount.value * part_mass if part_mass else None)
            share = _share(sub_amount, material_mass)
            if share is None:
                shares_known = False
            else:
                lows.append(_terms(share[0]))
                highs.append(_terms(share[1]))
        low_n, low_d = _sum_terms(lows)
        if low_n * limit_d > limit_n * low_d:  # substance-fractions-sum
            return False
        if material.completeness is Completeness.FULL and shares_known:
            high_n, high_d = _sum_terms(highs)
            if high_n * short_d < short_n * high_d:  # full-declaration-short
                return False
    if share_known:
        share_n, share_d = _sum_terms(material_shares)
        if share_n * limit_d > limit_n * share_d:  # material-fractions-sum
            return False
    return True


_UNSET = object()


def _terms(number: Fraction) -> tuple[int, int]:
    return number.numerator, number.denominator


def _sum_terms(terms: list[tuple[int, int]]) -> tuple[int, int]:
    """The sum of ``numerator / denominator`` pairs as one such pair (denominator positive,
    not reduced; ``(0, 1)`` for none): integers over a common denominator, the larger one
    when one divides the other (as the denominators of decimal percentages do), else their
    product."""
    if len(terms) == 1:
        return terms[0]
    numerator, denominator = 0, 1
    for n, d in terms:
        if d == denominator:
            numerator += n
        elif denominator % d == 0:
            numerator += n * (denominator // d)
        elif d % denominator == 0:
            numerator = numerator * (d // denominator) + n
            denominator = d
        else:
            numerator = numerator * d + n * denominator
            denominator *= d
    return numerator, denominator


@functools.lru_cache(maxsize=4096)
def _cas_quiet(cas: str) -> bool:
    """True when a CAS field makes none of :func:`_check_materials`'s three CAS warnings."""
    return not chemistry.is_ec_number(cas) and chemistry.is_cas_shaped(cas) and chemistry.cas_check_digit_ok(cas)


def _check_materials(part: Part, part_mass: Fraction | None, limit: Fraction, short: Fraction) -> Iterable[Finding]:
    """The findings about ``part``'s materials and substances; ``part_mass`` is grams per unit,
    ``limit`` and ``short`` are 1 plus and minus the fraction tolerance."""
    material_shares: list[Fraction] = []  # lowest the materials can sum to
    share_known = True
    for material in part.materials:
        where = f"material {material.label!r}"
        if material.amount is not None:
            if not _unremarkable(material.amount):
                yield from _positive(material.amount, f"{where} amount", part, allow_zero=True)
                yield from _above_one(material.amount, f"{where} fraction", part)
            share = _share(material.amount, part_mass)
            if share is None:
                share_known = False
            else:
                material_shares.append(share[0])
        if material.completeness is Completeness.FULL and not material.substances:
            yield warning("empty-full-declaration", f"part {part.id!r}: {where} is declared full but lists no substance", part.location, (part.id,))
        # Nominal values where given; otherwise the range's low end for the "above 100 %"
        # sum and its high end for the "full but short" sum, so that a legitimate
        # "other substances < 10 %" line makes neither warning.
        substance_lows: list[Fraction] = []
        substance_highs: list[Fraction] = []
        shares_known = bool(material.substances)
        material_mass = None
        if material.amount is not None and material.amount.value is not None:
            material_mass = material.amount.value if material.amount.kind is Kind.MASS else (material.amount.value * part_mass if part_mass else None)
        for substance in material.substances:
            if substance.amount is not None:
                if not _unremarkable(substance.amount):
                    swhere = f"{where}, substance {substance.label!r}"
                    yield from _positive(substance.amount, f"{swhere} amount", part, allow_zero=True)
                    yield from _above_one(substance.amount, f"{swhere} fraction", part)
                share = _share(substance.amount, material_mass)
                if share is not None:
                    substance_lows.append(share[0])
                    substance_highs.append(share[1])
                else:
                    shares_known = False
            else:
                shares_known = False
            if substance.cas is not None:
                swhere = f"{where}, substance {substance.label!r}"
                if chemistry.is_ec_number(substance.cas):
                    yield warning(
                        "ec-number-in-cas-field",
                        f"part {part.id!r}: {swhere} has the EC number {substance.cas!r} in its CAS field; it is kept but not resolved",
                        part.location,
                        (part.id,),
                    )
                elif not chemistry.is_cas_shaped(substance.cas):
                    yield warning(
                        "not-a-cas-number",
                        f"part {part.id!r}: {swhere} has {substance.cas!r} in its CAS field, which is not a CAS number; it is kept but not resolved",
                        part.location,
                        (part.id,),
                    )
                elif not chemistry.cas_check_digit_ok(substance.cas):
                    yield warning("cas-check-digit", f"part {part.id!r}: {swhere} has CAS {substance.cas!r}, whose check digit is wrong", part.location, (part.id,))
        substance_low, substance_high = _exact_sum(substance_lows), _exact_sum(substance_highs)
        if substance_low > limit:
            yield warning("substance-fractions-sum", f"part {part.id!r}: the substances of {where} sum to {_pct(substance_low)}, above 100 %", part.location, (part.id,))
        elif material.completeness is Completeness.FULL and shares_known and substance_high < short:
            yield warning(
                "full-declaration-short",
                f"part {part.id!r}: {where} is declared full but its substances sum to {_pct(substance_high)}; the rest is treated as undeclared",
                part.location,
                (part.id,),
            )
    material_share = _exact_sum(material_shares)
    if share_known and material_share > limit:
        yield warning("material-fractions-sum", f"part {part.id!r}: its materials sum to {_pct(material_share)} of its mass, above 100 %", part.location, (part.id,))


def _exact_sum(numbers: list[Fraction]) -> Fraction:
    """``sum(numbers, Fraction(0))``, exactly, normalised once at the end instead of once per term.

    Adding Fractions costs a gcd and a new object per term; here the terms are added as
    integers over a common denominator (the larger one when one divides the other, as the
    denominators of decimal percentages do, else their product).
    """
    if len(numbers) == 1:
        return numbers[0]
    return Fraction(*_sum_terms([_terms(number) for number in numbers]))


def _share(amount: Amount, whole: Fraction | None) -> tuple[Fraction, Fraction] | None:
    """``(low, high)`` shares of ``whole`` grams (a fraction stays a fraction); None if unknown.

    Both are the nominal value where there is one; else the range's ends, 0 standing
    for a missing min ("< 10 %").
    """
    if amount.value is not None:
        low = high = amount.value
    else:
        low, high = amount.min or Fraction(0), amount.max
    if amount.kind is Kind.FRACTION:
        return low, high
    if whole:
        return low / whole, high / whole
    return None


def _check_mass_balance(bom: Bom, options: CheckOptions, facts: _AmountFacts, order: list[int], numbered: _Numbered) -> list[Finding]:
    """Warn where a declared part mass and the sum of its children and materials differ.

    The effective mass of a part is the heavier of its declared mass and its contents, as
    in :func:`rarebom.trace`; a part whose contents are not all known has no computed sum,
    and nothing is compared. This is a warning against a tolerance, never a verdict, so it
    runs on floats: exact fractions would cost ~50x more on a million-part BOM for no
    change in any finding. ``order`` is ``topological_order(bom, alternates=True)``'s, as
    part numbers: children come before their parents in it, and the findings follow it.
    """
    findings: list[Finding] = []
    tolerance = float(options.mass_tolerance)
    of = facts.of
    known = facts.get
    parts = bom.parts
    effective: list[float | None] = [None] * len(parts)
    sizes, kids, starts = numbered.sizes, numbered.kids, numbered.starts
    for k in order:
        part = parts[k]
        uom = sizes[k]
        declared = uom[3] if uom[0] is Kind.MASS else (None if part.mass is None else (known(id(part.mass)) or of(part.mass))[_NOMINAL])
        computed = _contents_mass(part, kids[starts[k] : starts[k + 1]], sizes, facts, effective, declared)
        if mass_balance_apart(declared, computed, tolerance):  # only where it may warn
            absolute = all(m.amount is not None and m.amount.kind is Kind.MASS for m in part.materials)
            finding = mass_balance_warning(part, declared, computed, materials_absolute=absolute, tolerance=options.mass_tolerance)
            if finding is not None:
                findings.append(finding)
        effective[k] = declared if computed is None else computed if declared is None else max(declared, computed)
    return findings


def mass_balance_warning(part: Part, declared: float, computed: float, *, materials_absolute: bool, tolerance: Fraction) -> Finding | None:
    """The ``mass-balance`` warning for one part, or None; :func:`check_bom` and :func:`rarebom.trace` both use it.

    ``declared`` and ``computed`` are grams per unit of the part. Contents heavier than the
    declared mass beyond the tolerance always warn. Lighter contents warn only when every
    material is given as a mass: materials given as fractions of the part may cover only
    part of it (a partial declaration), which is undeclared content, not an error.
    """
    if not mass_balance_apart(declared, computed, float(tolerance)) or (computed < declared and not materials_absolute):
        return None
    gap = abs(declared - computed)
    said = f"is counted in {part.uom!r}, so one unit weighs {_g(declared)}," if part.uom_kind is Kind.MASS else f"declares {_g(declared)}"
    return warning(
        "mass-balance",
        f"part {part.id!r} {said} but its children and materials sum to {_g(computed)} ({_pct(gap / declared)} apart); {mass_balance_choice(declared >= computed)}",
        part.location,
        (part.id,),
    )


def mass_balance_apart(declared: float | None, computed: float | None, tolerance: float) -> bool:
    """:func:`mass_balance_warning`'s first test: both masses known, non-zero, not NaN and
    apart by more than ``tolerance`` times the declared mass. The walks ask it before they
    find the part a warning would name."""
    return bool(declared and computed and declared == declared and computed == computed and abs(declared - computed) > tolerance * declared)


def mass_balance_choice(declared_is_heavier: bool) -> str:
    """Which mass rarebom uses where the two disagree: the heavier, since a part cannot weigh less than its contents."""
    if declared_is_heavier:
        return "the declared mass is used, and the difference is undeclared content"
    return "the contents' mass is used, since a part cannot weigh less than what is in it"


def _contents_mass(part: Part, children: list[int], sizes: list[tuple], facts: _AmountFacts, effective: list[float | None], declared: float | None) -> float | None:
    """Grams of children plus materials per unit of ``part``; None unless every term is known.

    ``children`` are the numbers of its usages' children, ``sizes`` and ``effective`` the
    unit of measure and the effective mass of each part by number. A material given as a
    fraction counts as that fraction of the declared mass.
    """
    if not part.uses and not part.materials:
        return None
    of = facts.of
    known = facts.get
    total = 0.0
    for use, child in zip(part.uses, children, strict=True):
        child_mass = effective[child]
        quantity = use.quantity
        if child_mass is None or quantity.value is None:
            return None
        size = sizes[child]
        multiplier = (known(id(quantity)) or of(quantity))[_NOMINAL] if size[2] else _as_float(quantity.value / size[1])
        if multiplier is None:
            return None
        total += multiplier * child_mass
    for material in part.materials:
        amount = material.amount
        if amount is None or amount.value is None:
            return None
        grams = (known(id(amount)) or of(amount))[_NOMINAL]  # None beyond float range ("1e999 %")
        if amount.kind is not Kind.MASS and grams is not None:
            grams = None if declared is None else grams * declared
        if grams is None:
            return None
        total += grams
    return total if math.isfinite(total) else None


def _as_float(number: Fraction | None) -> float | None:
    """``number`` as a float, or None if it has none (absent, or beyond float range)."""
    if number is None:
        return None
    try:
        return number.numerator / number.denominator  # what float(number) computes, without its dispatch
    except OverflowError:
        return None
