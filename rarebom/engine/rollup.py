"""The roll-up: one pass over the BOM in topological order, children before parents.

The model is compiled once into a compact, integer-indexed form: parts in topological
order, usages as (child index, multiplier bounds), and each part's own content as a sparse
vector. A vector maps a column to ``(min, nominal, max)``; a column is one substance class
(an element, or the undeclared or unresolved pseudo-substances) in one origin class, packed
into an int. Units were converted when the file was read; here every mass is in grams
and every value in the target currency, as plain numbers.

The same code runs on floats (fast, the default) or on exact ``Fraction`` numbers
(``exact=True``), so tests can prove the two agree. Two float values act as sentinels in
both modes: ``math.inf`` for a bound nobody knows (an undeclared mass may be anything) and
``math.nan`` for a nominal nobody knows (a part with no mass). Both propagate through sums
and products on their own, which keeps the inner loop free of special cases.
"""

from __future__ import annotations

import decimal
import functools
import math
import sys
from array import array
from collections.abc import Callable, Collection, Iterator, Sequence
from fractions import Fraction
from typing import Any

import attrs

from .. import chemistry
from ..checks import _topological_numbers
from ..errors import Finding, InvalidBomError, error, warning
from ..limits import DEFAULT_LIMITS, Limits
from ..model import Amount, Bom, Completeness, Material, Part
from ..units import Kind, unit_factor
from .policy import ORIGIN_CLASSES, Alternates, OriginClass, OriginConflict, OriginDecision, OriginPolicy, conflicts

__all__ = ["Compiled", "compile_bom", "rollup"]

#: The pseudo-substances after the 118 elements: mass whose composition nobody declared,
#: and mass declared as a substance rarebom could not turn into elements.
UNDECLARED = "undeclared"
UNRESOLVED = "unresolved"
SYMBOLS: tuple[str, ...] = (*chemistry.ELEMENTS, UNDECLARED, UNRESOLVED)
SYMBOL_INDEX = {symbol: i for i, symbol in enumerate(SYMBOLS)}
N_ORIGINS = len(ORIGIN_CLASSES)
UNKNOWN = ORIGIN_CLASSES.index(OriginClass.UNKNOWN)
ORIGIN_INDEX = {origin: i for i, origin in enumerate(ORIGIN_CLASSES)}
NAN = math.nan
INF = math.inf

Triple = tuple[Any, Any, Any]  # (min, nominal, max), floats or Fractions


def column(symbol: str, origin: OriginClass) -> int:
    return SYMBOL_INDEX[symbol] * N_ORIGINS + ORIGIN_INDEX[origin]


#: Each symbol's unknown-origin column, the only origin a part's own content has: one int
#: object per column, shared by every compiled vector (an int above 256 is a new 28-byte object).
_UNKNOWN_COLUMN: dict[str, int] = {symbol: column(symbol, OriginClass.UNKNOWN) for symbol in SYMBOLS}


def split_column(col: int) -> tuple[str, OriginClass]:
    return SYMBOLS[col // N_ORIGINS], ORIGIN_CLASSES[col % N_ORIGINS]


def holding(own: Sequence[dict[int, Triple]], symbols: Collection[int]) -> Iterator[tuple[int, dict[int, Triple]]]:
    """Each part whose own content (:attr:`Compiled.own`) has a column of the symbol indices
    ``symbols``, in index order, with those columns only (in the part's order).

    ``own`` is the compiled dicts, or the vectorised roll-up's ``OwnContent``, which finds
    the parts in its arrays instead of making every part's dict."""
    found = getattr(own, "holding", None)
    if found is not None:
        return found(symbols)
    return ((i, kept) for i, columns in enumerate(own) if columns and (kept := {col: t for col, t in columns.items() if col // N_ORIGINS in symbols}))


def scan_own(own: Sequence[dict[int, Triple]], rare: Collection[int], opened: Collection[int]) -> tuple[array, list[frozenset[int]], set[int], set[int]]:
    """One pass over the parts whose own content has a column of the symbol indices ``rare``
    or ``opened``: the parts that declare some of ``rare`` (a min or nominal above 0), in
    index order, with the symbols each declares (one frozenset per distinct set); the parts
    that hold some of ``rare`` (a max not 0); and those that hold some of ``opened`` (a
    nominal not 0, NaN included).

    ``own`` is the compiled dicts, or the vectorised roll-up's ``OwnContent``, which
    finds them in its arrays instead."""
    found = getattr(own, "scan_own", None)
    if found is not None:
        return found(rare, opened)
    parts, helds = array("q"), []
    sets: dict[frozenset[int], frozenset[int]] = {}
    rare_content, open_content = set(), set()
    for i, columns in holding(own, frozenset(rare) | frozenset(opened)):
        held = set()
        max_held = open_held = False
        for col, t in columns.items():
            symbol = col // N_ORIGINS
            if symbol in rare:
                if t[0] > 0 or t[1] > 0:
                    held.add(symbol)
                if t[2]:
                    max_held = True
            elif t[1] != 0:
                open_held = True
        if held:
            held = frozenset(held)
            parts.append(i)
            helds.append(sets.setdefault(held, held))
        if max_held:
            rare_content.add(i)
        if open_held:
            open_content.add(i)
    return parts, helds, rare_content, open_content


def is_nan(x) -> bool:
    return x != x


def mul(a, b):
    """a × b, where 0 × ∞ is 0: an absent substance in a material of unknown mass weighs nothing."""
    if a == 0 or b == 0:
        return 0
    return a * b


def nmax(a, b):
    """max() for nominals: unknown (NaN) if either is unknown."""
    if is_nan(a) or is_nan(b):
        return NAN
    return a if a >= b else b


@attrs.frozen
class Resolved:
    """What one declared substance became: element fractions, or unresolved mass."""

    part: str
    material: str
    substance: str
    resolution: chemistry.Resolution | None


#: A progress callback: (what is being done, the share of it done, 0 to 1).
Progress = Callable[[str, float], None]


@attrs.define
class Compiled:
    """A BOM compiled for the roll-up. Index ``i`` is the ``i``-th part in topological order."""

    ids: list[str]
    index: dict[str, int]
    #: per part, its usages; each a tuple of candidates (child index, mult min, nominal, max),
    #: the selected child first, then the alternates. After the vectorised roll-up, a trace
    #: keeps them as a read-only ``vector.Usages`` of equal tuples instead.
    uses: Sequence[tuple[tuple[tuple[int, Any, Any, Any], ...], ...]]
    declared_mass: list[Triple | None]
    #: flags (0 or 1) per part, a byte each: the mass basis is the unit of measure
    mass_basis_uom: bytearray
    #: per part, its own content: column -> triple. Parts with none share one empty dict, parts
    #: with the same materials and mass one dict (see :class:`_Memo`), and equal numbers and
    #: triples are shared (see :class:`_Shared`): nothing may mutate them. After the vectorised
    #: roll-up, a trace keeps them as a read-only ``vector.OwnContent`` of equal dicts instead
    #: (ask :func:`holding` for the parts that hold some symbols: it reads the arrays).
    own: Sequence[dict[int, Triple]]
    own_material_mass: list[Triple | None]
    #: the part's materials as shares of its own mass, and as absolute grams (for its gap)
    own_shares: list[Triple]
    own_absolute: list[Triple]
    origin: list[OriginDecision]
    own_value: list[Triple | None]
    #: the part states a unit value (which may still be unknown: a missing rate); 0 or 1
    has_own_value: bytearray
    #: every material is given as an absolute mass, so the contents can be weighed
    #: against the declared mass (fractions of the declared mass prove nothing); 0 or 1
    materials_absolute: bytearray
    exact: bool
    currency: str | None
    #: per part, its level: 0 for a part that uses nothing, else 1 + its highest
    #: candidate's (alternates included); the vectorised roll-up rolls up a level at a time
    level: list[int] = attrs.field(factory=list)
    resolved: list[Resolved] = attrs.field(factory=list)
    conflicts: list[OriginConflict] = attrs.field(factory=list)
    findings: list[Finding] = attrs.field(factory=list)


def _number(value: Fraction, exact: bool):
    if exact:
        return value
    # int / int is correctly rounded, and much cheaper than Fraction.__float__. A number
    # beyond float range raises OverflowError; compile_bom turns that into a located error.
    return value.numerator / value.denominator


@functools.lru_cache(maxsize=8192)
def _resolve(element, formula, cas, name, typical):
    return chemistry.resolve(element=element, formula=formula, cas=cas, name=name, typical=typical)


def amount_triple(amount: Amount, exact: bool) -> Triple:
    """``(min, nominal, max)`` of an amount in canonical units.

    A range given without a nominal value ("< 10 %", "5–8 %") counts at its midpoint in
    the nominal; its bounds stay the range. A range with a max and no min runs from 0.
    """
    value = None if amount.value is None else _number(amount.value, exact)
    low = _number(amount.min, exact) if amount.min is not None else (value if value is not None else 0)
    high = _number(amount.max, exact) if amount.max is not None else value
    if value is None:
        value = (low + high) / 2 if exact else (low + high) * 0.5
    return low, value, high


def _times(a: Triple, b: Triple) -> Triple:
    # mul() for the nominal too: a declared 0 % of a material of unknown mass is 0 g.
    # (mul, inlined: a compile calls this for every material and substance of every part)
    a0, a1, a2 = a
    b0, b1, b2 = b
    return (0 if a0 == 0 or b0 == 0 else a0 * b0), (0 if a1 == 0 or b1 == 0 else a1 * b1), (0 if a2 == 0 or b2 == 0 else a2 * b2)


def _add_into(vector: dict[int, list], col: int, t: Triple) -> None:
    slot = vector.get(col)
    if slot is None:
        vector[col] = [t[0], t[1], t[2]]
    else:
        slot[0] += t[0]
        slot[1] += t[1]
        slot[2] += t[2]


UNKNOWN_MASS: Triple = (0, NAN, INF)


def _add_resolution(vector: dict[int, list], grams: Triple, resolution: chemistry.Resolution, exact: bool) -> None:
    """Add ``grams`` of a resolved substance as element masses.

    Stoichiometry sums to exactly 1. A typical composition need not: what its ranges leave
    (nominal, and at the extremes) is undeclared content, so the substance's whole mass is
    still accounted for.
    """
    covered = [0, 0, 0]
    for element, f_min, f_nom, f_max in resolution.fractions:
        f = (_number(f_min, exact), _number(f_nom, exact), _number(f_max, exact))
        _add_into(vector, _UNKNOWN_COLUMN[element], _times(grams, f))
        covered = [covered[0] + f[0], covered[1] + f[1], covered[2] + f[2]]
    if resolution.typical:
        rest = (mul(grams[0], max(0, 1 - covered[2])), grams[1] * (1 - covered[1]), mul(grams[2], max(0, 1 - covered[0])))
        _add_into(vector, _UNKNOWN_COLUMN[UNDECLARED], rest)


def _shares(items, exact: bool, memo: _Memo | None = None):
    """Split amounts of one whole into shares of it and absolute grams.

    ``items`` are amounts (fractions of the whole, or masses) or None for "present, amount
    unknown". Returns ``(known shares, absolute grams, share of each unknown item)``: the
    sums (min, nominal, max), and the share range an item of unknown amount can have,
    from 0 to whatever the known shares leave. With a compile's ``memo``, each amount is
    converted once per compile (the same sums in the same order).
    """
    f_lo = f_nom = f_hi = s_lo = s_nom = s_hi = 0
    unknown = 0
    for amount in items:
        if amount is None:
            unknown += 1
            continue
        t = amount_triple(amount, exact) if memo is None else _amount_memo(memo, amount, exact)
        if amount.kind is Kind.MASS:
            s_lo, s_nom, s_hi = s_lo + t[0], s_nom + t[1], s_hi + t[2]
        else:
            f_lo, f_nom, f_hi = f_lo + t[0], f_nom + t[1], f_hi + t[2]
    room = max(0, 1 - f_lo)
    return (f_lo, f_nom, f_hi), (s_lo, s_nom, s_hi), ((0, NAN, room) if unknown else None)


def _item_mass(amount: Amount | None, whole: Triple, unknown_share: Triple | None, exact: bool) -> Triple:
    """Grams of one item of a whole: its mass, or its share of the whole's grams."""
    if amount is None:
        return _times(unknown_share, whole)
    if amount.kind is Kind.MASS:
        return amount_triple(amount, exact)
    return _times(amount_triple(amount, exact), whole)


def _split(whole: Triple, shares: Triple, absolute: Triple, unknown_share: Triple | None, *, full: bool = False) -> tuple[Triple, Triple]:
    """The mass a whole really has, and the rest its items leave undeclared.

    The whole weighs at least what its items weigh. The rest is computed with the shares
    kept as shares, so that "100 % Fe of 100 g [90, 110]" leaves nothing undeclared at any
    bound, instead of the 20 g an interval subtraction would invent. Items of unknown
    amount may take all the room the others leave, so they lower the rest's minimum.

    A ``full`` declaration says its items are all there is: whatever their ranges allow
    them to fill is theirs, and only what even their maxima cannot fill is undeclared.
    """
    w_lo, w_nom, w_hi = whole
    f_lo, f_nom, f_hi = shares
    s_lo, s_nom, s_hi = absolute
    used = (max(w_lo, mul(w_lo, f_lo) + s_lo), nmax(w_nom, w_nom * f_nom + s_nom), max(w_hi, mul(w_hi, f_hi) + s_hi))
    top = f_hi + (unknown_share[2] if unknown_share is not None else 0)
    rest_nominal = used[1] - (w_nom * f_nom + s_nom)
    floor = top if full else f_lo
    rest_max = max(0, mul(w_hi, max(0, 1 - floor)) - (s_hi if full else s_lo))
    if rest_nominal > rest_max:
        # A full declaration whose nominals fall short of the whole (check_bom warns): the
        # shortfall is real undeclared mass, so the max must hold it (NaN compares false).
        rest_max = rest_nominal
    rest = (max(0, mul(w_lo, max(0, 1 - top)) - s_hi), rest_nominal, rest_max)
    return used, rest


def material_breakdown(part: Part, declared: Triple | None, exact: bool, materials_split=None):
    """Each material of ``part`` with its grams, its substances' shares, and each substance with its grams.

    ``materials_split`` is ``_shares`` of the part's materials, if the caller has it already.
    """
    part_mass = declared if declared is not None else UNKNOWN_MASS
    _, _, m_unknown = materials_split or _shares((m.amount for m in part.materials), exact)
    for material in part.materials:
        m_mass = _item_mass(material.amount, part_mass, m_unknown, exact)
        split = _shares((sub.amount for sub in material.substances), exact)
        substances = [(sub, _item_mass(sub.amount, m_mass, split[2], exact)) for sub in material.substances]
        yield material, m_mass, split, substances


class _Shared:
    """Equal numbers and triples of one compiled BOM, each stored once.

    A BOM repeats itself: quantities of 1, 2 or 4, the same shares and masses on many
    parts. A float costs 24 bytes and a triple 64, so a large BOM compiles to a fraction of
    the memory when equal ones are one object. Floats are shared by value (never ``0.0``,
    which equals ``-0.0``, nor NaN), so 1, 1.0 and ``Fraction(1)`` stay apart; Fractions,
    by value, in exact traces. A triple is shared only with an earlier equal triple whose items
    are the very same objects, so sharing never changes a type, a sign or a value. Sharing
    is safe because nothing mutates a compiled number or tuple (they are immutable). The
    usages' tuples are not looked up in a table: readers share equal usages, and a usage
    met again gets the tuple it got before (:class:`_Memo`).
    """

    __slots__ = ("floats", "fractions", "tuples", "empty", "decisions", "multipliers")

    def __init__(self) -> None:
        # one table per type: 0.5 and Fraction(1, 2) are equal keys
        self.floats: dict[float, float] = {}
        self.fractions: dict[Fraction, Fraction] = {}
        self.tuples: dict[tuple, tuple] = {}
        #: the own content of every part that has none; nothing writes into a compiled vector
        self.empty: dict[int, Triple] = {}
        self.decisions: dict[tuple, OriginDecision] = {}
        #: a usage's multipliers, by (the id of its quantity, the child's unit of measure):
        #: the quantity lives in the BOM while it is compiled, so its id is its own, and
        #: readers share equal quantities between usages
        self.multipliers: dict[tuple[int, str], Triple] = {}

    def forget(self) -> None:
        """Forget the numbers and triples met so far: later equal ones are new objects."""
        self.floats.clear()
        self.fractions.clear()
        self.tuples.clear()

    def triple(self, a, b, c) -> Triple:
        """``(a, b, c)``, shared: each float (but ``0.0``, ``-0.0`` and NaN) and Fraction by value,
        then the triple: an earlier one of the very same items, else this one. An int is kept
        as it is: the small ones are shared by Python already."""
        floats = self.floats
        kind = type(a)
        if kind is float:
            if a and a == a:
                a = floats.setdefault(a, a)
        elif kind is Fraction:
            a = self.fractions.setdefault(a, a)
        kind = type(b)
        if kind is float:
            if b and b == b:
                b = floats.setdefault(b, b)
        elif kind is Fraction:
            b = self.fractions.setdefault(b, b)
        kind = type(c)
        if kind is float:
            if c and c == c:
                c = floats.setdefault(c, c)
        elif kind is Fraction:
            c = self.fractions.setdefault(c, c)
        t = (a, b, c)
        found = self.tuples.setdefault(t, t)
        if found is t or (found[0] is a and found[1] is b and found[2] is c):
            return found
        return t  # equal but not the same: 1 and 1.0, 0.0 and -0.0


class _Memo:
    """What one compile has worked out already, by the identity of model objects.

    Readers share equal objects (one :class:`~rarebom.model.Amount`, substance, material
    and usage per distinct value), so many parts repeat objects an earlier part had. Their
    conversions to numbers, their shares and resolutions, and a part's whole own content
    (for the same materials and the same declared mass) are worked out once here, with the
    very operations, in the very order, of a compile without the memo, so every number is
    the same to the last bit. Keys are ``id()``s: the BOM holds every object while it
    compiles, so no id is reused. A computation that raises (a number beyond float range)
    stores nothing, so every part that holds the number fails alike.

    Materials, sets of materials and contents are kept from the second time they are met
    on (``seen`` holds the hashes of keys met once), and contents are looked for only where
    the set of materials was kept: what a BOM holds only once would cost the garbage
    collector more as kept objects than it saves.
    """

    __slots__ = ("triple", "amounts", "uses", "materials", "substances", "parts_materials", "contents", "resolutions", "values", "seen", "zero", "units", "kinds")

    def __init__(self, shared: _Shared) -> None:
        self.triple = shared.triple
        #: id(amount) -> its shared (min, nominal, max)
        self.amounts: dict[int, Triple] = {}
        #: id(usage) -> its tuple of candidates (a usage that warned is not kept). Readers
        #: share equal usages, so a usage met again is the same object: its candidates are
        #: one tuple without a table of every tuple made (which took 20 MiB at 100k parts)
        self.uses: dict[int, tuple] = {}
        #: id(material) -> what :func:`_material_memo` gives
        self.materials: dict[int, tuple] = {}
        #: id(substance) -> what :func:`_substance_memo` gives (a BOM has far fewer
        #: substances than materials that hold them, so every one is kept)
        self.substances: dict[int, tuple] = {}
        #: the ids of a part's materials -> what :func:`_parts_materials_memo` gives
        self.parts_materials: dict[tuple[int, ...], tuple] = {}
        #: (the ids of a part's materials, id(its declared mass triple)) -> its own vector, shared
        #: (nothing mutates a compiled vector), its materials' mass, and what it resolved
        self.contents: dict[tuple, tuple] = {}
        #: id(resolution) -> (resolution, its columns and fractions as numbers, the typical rest's factors)
        self.resolutions: dict[int, tuple] = {}
        #: id(unit value) -> its shared value triple, or the currency code that has no rate
        self.values: dict[int, Triple | str] = {}
        #: the hashes of keys met once (a collision only keeps something early)
        self.seen: set[int] = set()
        self.zero: Triple = shared.triple(0, 0, 0)
        #: per part index so far, its (unit of measure, the unit's kind): what a usage needs of
        #: its child, which comes before it (compile_bom appends each part's before compiling it)
        self.units: list[tuple[str, Kind]] = []
        #: unit of measure -> (it, its kind), one tuple per distinct unit
        self.kinds: dict[str, tuple[str, Kind]] = {}

    def again(self, key) -> bool:
        """Whether ``key`` was met before (then keep what it gave); notes it as met."""
        h = hash(key)
        if h in self.seen:
            return True
        self.seen.add(h)
        return False


def _amount_memo(memo: _Memo, amount: Amount, exact: bool) -> Triple:
    """:func:`amount_triple` of ``amount``, shared, converted once per compile."""
    found = memo.amounts.get(id(amount))
    if found is None:
        found = memo.amounts[id(amount)] = memo.triple(*amount_triple(amount, exact))
    return found


def _resolution_memo(memo: _Memo, resolution: chemistry.Resolution, exact: bool) -> tuple:
    """``resolution``'s fractions as (column, (min, nominal, max)) numbers, and for a typical
    composition the factors its undeclared rest takes (see :func:`_add_resolution`)."""
    found = memo.resolutions.get(id(resolution))
    if found is None:
        fractions = []
        covered = [0, 0, 0]
        for element, f_min, f_nom, f_max in resolution.fractions:
            f = (_number(f_min, exact), _number(f_nom, exact), _number(f_max, exact))
            fractions.append((_UNKNOWN_COLUMN[element], f))
            covered = [covered[0] + f[0], covered[1] + f[1], covered[2] + f[2]]
        rest = (max(0, 1 - covered[2]), 1 - covered[1], max(0, 1 - covered[0])) if resolution.typical else None
        # the resolution is kept in the value: _resolve's cache may drop it, and its id must stay its own
        found = memo.resolutions[id(resolution)] = (resolution, tuple(fractions), rest)
    return found


def _substance_memo(memo: _Memo, substance, typical: bool, exact: bool) -> tuple:
    """What a substance gives every material it is in: the kind and numbers of its amount,
    its resolution's memo, whether :attr:`Compiled.resolved` notes it, its label and resolution.
    Its amount must have been converted (``_amount_memo``) already."""
    amount = substance.amount
    resolution = _resolve(substance.element, substance.formula, substance.cas, substance.name, typical)
    found = memo.substances[id(substance)] = (
        None if amount is None else amount.kind,
        None if amount is None else _amount_memo(memo, amount, exact),
        None if resolution is None else _resolution_memo(memo, resolution, exact),
        resolution is None or resolution.basis != "element",
        substance.label,
        resolution,
    )
    return found


def _material_memo(memo: _Memo, material: Material, typical: bool, exact: bool) -> tuple:
    """What a material gives every part it is in: its amount, its substances' shares, and per
    substance (four items each, in one flat tuple) the kind and numbers of its amount, its
    resolution's memo, and what :attr:`Compiled.resolved` notes of it (or None).

    Each distinct substance is worked out once (:func:`_substance_memo`)."""
    found = memo.materials.get(id(material))
    if found is not None:
        return found
    amount = material.amount
    held = material.substances
    # Every amount is converted here, before any substance is resolved (a number beyond
    # float range raises first, whatever the resolutions would do).
    s_shares, s_absolute, s_unknown = _shares((sub.amount for sub in held), exact, memo)
    known = memo.substances
    substances: list = []
    label = None
    for sub in held:
        s_kind, t, resolution, noted, s_label, resolved = known.get(id(sub)) or _substance_memo(memo, sub, typical, exact)
        if noted:
            if label is None:
                label = material.label
            substances += (s_kind, t, resolution, (label, s_label, resolved))
        else:
            substances += (s_kind, t, resolution, None)
    own_typical = None
    if not held and typical and material.name:
        resolution = _resolve(None, None, None, material.name, True)
        if resolution is not None:
            own_typical = (_resolution_memo(memo, resolution, exact), (material.label, material.label, resolution))
    found = (
        None if amount is None else amount.kind,
        None if amount is None else _amount_memo(memo, amount, exact),
        s_shares,
        s_absolute,
        s_unknown,
        tuple(substances),
        own_typical,
        material.completeness is Completeness.FULL,
    )
    if memo.again(id(material)):
        memo.materials[id(material)] = found
    return found


def _parts_materials_memo(memo: _Memo, materials: tuple[Material, ...], key: tuple, typical: bool, exact: bool) -> tuple:
    """What a part's materials give it, but its mass: :func:`_shares` of them, the gap's shares
    and absolute grams (shared), whether all are absolute masses, and each one's memo."""
    m_shares, m_absolute, m_unknown = _shares((m.amount for m in materials), exact, memo)
    absolute = all(m.amount is not None and m.amount.kind is Kind.MASS and m.amount.value is not None for m in materials)
    # Materials of unknown amount count as shares of the part for the gap: they may fill it.
    gap_shares = m_shares if m_unknown is None else (m_shares[0], m_shares[1], m_shares[2] + m_unknown[2])
    items = tuple([_material_memo(memo, m, typical, exact) for m in materials])
    found = (m_unknown, memo.triple(*gap_shares), memo.triple(*m_absolute), absolute, items)
    if memo.again(key):
        memo.parts_materials[key] = found
    return found


def _add_resolved(vector: dict[int, list], grams: Triple, resolution: tuple) -> None:
    """:func:`_add_resolution` from a :func:`_resolution_memo`: the same operations in the same order."""
    g0, g1, g2 = grams
    for col, (f0, f1, f2) in resolution[1]:
        a = 0 if g0 == 0 or f0 == 0 else g0 * f0
        b = 0 if g1 == 0 or f1 == 0 else g1 * f1
        c = 0 if g2 == 0 or f2 == 0 else g2 * f2
        slot = vector.get(col)
        if slot is None:
            vector[col] = [a, b, c]
        else:
            slot[0] += a
            slot[1] += b
            slot[2] += c
    rest = resolution[2]
    if rest is not None:
        r0, r1, r2 = rest
        _add_into(vector, _UNDECLARED_COLUMN, (mul(g0, r0), g1 * r1, mul(g2, r2)))


_UNDECLARED_COLUMN = _UNKNOWN_COLUMN[UNDECLARED]
_UNRESOLVED_COLUMN = _UNKNOWN_COLUMN[UNRESOLVED]


def _own_content(declared: Triple | None, noted: list[tuple], m_unknown: Triple | None, items: tuple) -> tuple[dict[int, list], Triple]:
    """The part's own materials as a vector (origin unknown for now), and their mass.

    ``items`` are the materials' :func:`_material_memo`; the part adds its mass. The
    numbers are those of :func:`material_breakdown`, :func:`_add_resolution` and :func:`_split`,
    with :func:`_times`, :func:`mul`, :func:`nmax`, :func:`_add_into` and ``max`` of two
    numbers written out (``max(a, b)`` is ``b if b > a else a``: the first unless the second
    is larger, NaN included): the same operations in the same order, without the calls.
    What to note in :attr:`Compiled.resolved` (but the part's id) goes into ``noted``.
    """
    vector: dict[int, list] = {}
    get = vector.get
    p0, p1, p2 = declared if declared is not None else UNKNOWN_MASS
    total0 = total1 = total2 = 0
    for m_kind, m_t, s_shares, s_absolute, s_unknown, substances, own_typical, full in items:
        # _item_mass
        if m_kind is Kind.MASS:
            w0, w1, w2 = m_t
        else:
            a0, a1, a2 = m_unknown if m_kind is None else m_t
            w0 = 0 if a0 == 0 or p0 == 0 else a0 * p0
            w1 = 0 if a1 == 0 or p1 == 0 else a1 * p1
            w2 = 0 if a2 == 0 or p2 == 0 else a2 * p2
        it = iter(substances)
        for s_kind, s_t, resolution, note in zip(it, it, it, it, strict=True):  # four items a substance
            if s_kind is Kind.MASS:
                g0, g1, g2 = s_t
            else:
                a0, a1, a2 = s_unknown if s_kind is None else s_t
                g0 = 0 if a0 == 0 or w0 == 0 else a0 * w0
                g1 = 0 if a1 == 0 or w1 == 0 else a1 * w1
                g2 = 0 if a2 == 0 or w2 == 0 else a2 * w2
            if note is not None:
                noted.append(note)
            if resolution is None:
                slot = get(_UNRESOLVED_COLUMN)
                if slot is None:
                    vector[_UNRESOLVED_COLUMN] = [g0, g1, g2]
                else:
                    slot[0] += g0
                    slot[1] += g1
                    slot[2] += g2
            else:  # _add_resolved(vector, (g0, g1, g2), resolution)
                for col, (f0, f1, f2) in resolution[1]:
                    a = 0 if g0 == 0 or f0 == 0 else g0 * f0
                    b = 0 if g1 == 0 or f1 == 0 else g1 * f1
                    c = 0 if g2 == 0 or f2 == 0 else g2 * f2
                    slot = get(col)
                    if slot is None:
                        vector[col] = [a, b, c]
                    else:
                        slot[0] += a
                        slot[1] += b
                        slot[2] += c
                if resolution[2] is not None:
                    r0, r1, r2 = resolution[2]
                    _add_into(vector, _UNDECLARED_COLUMN, (mul(g0, r0), g1 * r1, mul(g2, r2)))
        if own_typical is not None:
            noted.append(own_typical[1])
            _add_resolved(vector, (w0, w1, w2), own_typical[0])
            s_shares = (1, 1, 1)  # the typical composition covers the material, rest included
        # _split(m_mass, s_shares, s_absolute, s_unknown, full=full)
        f_lo, f_nom, f_hi = s_shares
        s_lo, s_nom, s_hi = s_absolute
        x = (0 if w0 == 0 or f_lo == 0 else w0 * f_lo) + s_lo
        used0 = x if x > w0 else w0
        filled = w1 * f_nom + s_nom
        used1 = NAN if w1 != w1 or filled != filled else (w1 if w1 >= filled else filled)
        x = (0 if w2 == 0 or f_hi == 0 else w2 * f_hi) + s_hi
        used2 = x if x > w2 else w2
        top = f_hi + (s_unknown[2] if s_unknown is not None else 0)
        rest_nominal = used1 - filled
        x = 1 - (top if full else f_lo)
        x = x if x > 0 else 0
        x = (0 if w2 == 0 or x == 0 else w2 * x) - (s_hi if full else s_lo)
        rest_max = x if x > 0 else 0
        if rest_nominal > rest_max:
            rest_max = rest_nominal
        x = 1 - top
        x = x if x > 0 else 0
        x = (0 if w0 == 0 or x == 0 else w0 * x) - s_hi
        rest_min = x if x > 0 else 0
        slot = get(_UNDECLARED_COLUMN)
        if slot is None:
            vector[_UNDECLARED_COLUMN] = [rest_min, rest_nominal, rest_max]
        else:
            slot[0] += rest_min
            slot[1] += rest_nominal
            slot[2] += rest_max
        total0, total1, total2 = total0 + used0, total1 + used1, total2 + used2
    return vector, (total0, total1, total2)


def compile_bom(
    bom: Bom,
    *,
    policy: OriginPolicy,
    currency: str | None,
    rates: dict[str, Fraction],
    typical: bool,
    exact: bool,
    progress: Progress | None = None,
    limits: Limits = DEFAULT_LIMITS,
    sink: Any = None,
) -> Compiled:
    """Compile ``bom`` (already checked: no cycles, no dangling references) for :func:`rollup`.

    ``progress``, if given, is called now and then with ("compiling", share done).
    ``sink``, if given (a float trace's ``vector.ArraySink``), takes the usages and own
    content every ``sink.parts`` parts and gives ``Compiled.uses`` and ``Compiled.own``
    back as arrays at the end.
    A path whose quantities multiply past ``limits.max_multiplicity`` is a located
    ``limit-exceeded`` error, in float and exact traces alike: it is a data error, and
    the bound keeps float products finite."""
    # The parts in order by their number (position in bom.parts), and each usage's child by
    # number: at a million parts a look-up by id string misses the caches on each.
    numbers, kids, starts = _topological_numbers(bom, alternates=True)
    parts = bom.parts
    order = [parts[k] for k in numbers]
    ids = [part.id for part in order]  # the parts' own id strings
    index = {pid: i for i, pid in enumerate(ids)}
    # part number -> index, the same int objects as index's (ids are unique, so index's
    # values are 0, 1, 2, ...). Comprehensions and this loop take 0.7 s at a million parts,
    # one loop that does it all 1.2 s.
    position = [0] * len(numbers)
    for k, i in zip(numbers, index.values(), strict=True):
        position[k] = i
    compiled = Compiled(
        ids=ids,
        index=index,
        uses=[],
        declared_mass=[],
        mass_basis_uom=bytearray(),
        own=[],
        own_material_mass=[],
        own_shares=[],
        own_absolute=[],
        origin=[],
        own_value=[],
        has_own_value=bytearray(),
        materials_absolute=bytearray(),
        exact=exact,
        currency=currency,
    )
    missing_rates: dict[str, list[str]] = {}
    shared = _Shared()
    memo = _Memo(shared)
    too_large: list[Finding] = []
    step = max(1, len(order) // 100)
    # Per part, the largest product of quantities on a path down from it, and the child
    # that path goes through (-1 at a leaf, -2 below a path already reported).
    most: list[Any] = []
    via: list[int] = []
    # A float trace cannot go past float range whatever the limit: its products would be inf.
    ceiling = limits.max_multiplicity if exact else min(limits.max_multiplicity, sys.float_info.max)
    level = compiled.level
    units, kinds = memo.units, memo.kinds
    flush = sink.parts if sink is not None else -1
    for n, part in enumerate(order):
        if progress is not None and n % step == 0:
            progress("compiling", n / len(order))
        if n == flush:
            if sink.flush(compiled):
                # Their tuples and numbers would otherwise be kept for the whole compile,
                # though most are of one part: sharing goes on within the next chunk.
                memo.uses.clear()
                shared.forget()
                flush += sink.parts
            else:
                flush = -1
        best, through, top = 1, -2, 0  # until the part compiles
        unit = kinds.get(part.uom)
        if unit is None:
            unit = kinds[part.uom] = (part.uom, part.uom_kind)
        units.append(unit)
        try:
            _compile_part(compiled, bom, part, index, kids, starts[numbers[n]], position, policy, currency, rates, typical, exact, missing_rates, shared, memo)
            through = -1
            for candidates in compiled.uses[-1]:  # this part's, even after a part that failed
                for j, _, _, q_hi in candidates:
                    if via[j] == -2:
                        through = -2  # reported below this part already
                    m = q_hi * most[j]  # one product and one comparison per usage
                    if m > best:
                        best, child = m, j
                    if level[j] >= top:
                        top = level[j] + 1
            if through == -1 and best > 1:
                through = child
            if best > ceiling and through != -2:
                too_large.append(_multiplicity_error(compiled, order, n, through, via, best, limits))
                through = -2
        except OverflowError:
            too_large.append(
                error(
                    "number-out-of-range",
                    f"part {part.id!r} holds a number beyond the range of floating point (about 1.8e308); trace it with exact=True",
                    part.location,
                    (part.id,),
                )
            )
        most.append(best)
        via.append(through)
        level.append(top)
    if too_large:
        raise InvalidBomError(too_large, bom.source)
    if sink is not None:
        sink.finish(compiled)
    for code, parts in missing_rates.items():
        shown = ", ".join(repr(p) for p in parts[:5]) + (f" and {len(parts) - 5} more" if len(parts) > 5 else "")
        compiled.findings.append(
            warning("missing-rate", f"no exchange rate from {code} to {currency} was given, so the values of {shown} are unknown; no rate is ever assumed", None, tuple(parts))
        )
    for conflict in compiled.conflicts:
        compiled.findings.append(warning("origin-conflict", str(conflict), bom.part(conflict.part).location, (conflict.part,)))
    return compiled


def _multiplicity_error(compiled: Compiled, order: list[Part], n: int, child: int, via: list[int], product, limits: Limits) -> Finding:
    """The ``limit-exceeded`` error for the lowest part whose path down multiplies past the limit."""
    path = [n, child]
    while via[path[-1]] >= 0:
        path.append(via[path[-1]])
    names = [compiled.ids[i] for i in path]
    shown = " -> ".join(names) if len(names) <= 6 else " -> ".join(names[:3]) + f" -> ... ({len(names) - 5} more) -> " + " -> ".join(names[-2:])
    if product != product or product == INF:
        amount = "beyond the range of floating point"
    else:
        exact = decimal.Decimal(product.numerator) / decimal.Decimal(product.denominator) if isinstance(product, Fraction) else decimal.Decimal(product)
        amount = f"{exact:.3e}"  # the same text from a float and a Fraction
    part = order[n]
    message = limits.message("max_multiplicity", f"part {part.id!r}: the quantities along the path {shown} multiply to {amount}")
    return error("limit-exceeded", message, part.location, (part.id, *names[1:]))


def _candidates(compiled: Compiled, bom: Bom, part: Part, use, index: dict[str, int], exact: bool, shared: _Shared, memo: _Memo) -> tuple[tuple, bool]:
    """One usage's candidates (their numbers shared), and whether they compiled without a warning."""
    triple, multipliers = shared.triple, shared.multipliers
    q = None
    clean = True
    candidates = []
    for ref in (use.child, *use.alternates):
        child = bom.part(ref)
        uom_kind, uom = child.uom_kind, child.uom
        if uom_kind is not use.quantity.kind:
            # check_bom refuses this for the selected child; an alternate counted in
            # another dimension cannot stand in for it, so it is left out.
            compiled.findings.append(
                warning(
                    "alternate-unit-mismatch",
                    f"part {part.id!r} names {ref!r} as an alternate for {use.quantity} of {use.child!r}, but {ref!r} is counted in {uom!r}; the alternate is ignored",
                    part.location,
                    (part.id, ref),
                )
            )
            clean = False
            continue
        key = (id(use.quantity), uom)
        m = multipliers.get(key)
        if m is None:
            if q is None:
                q = _amount_memo(memo, use.quantity, exact)
            size = _number(unit_factor(uom, uom_kind), exact)  # the child's uom_size
            m = multipliers[key] = triple(q[0] / size, q[1] / size, q[2] / size)
        # index[ref] is the same int object for every usage of the child
        candidates.append((index[ref], *m))
    return tuple(candidates), clean


def _compile_part(
    compiled: Compiled,
    bom: Bom,
    part: Part,
    index: dict[str, int],
    kids: Sequence[int],
    first: int,
    position: list[int],
    policy: OriginPolicy,
    currency,
    rates,
    typical: bool,
    exact: bool,
    missing_rates,
    shared: _Shared,
    memo: _Memo,
) -> None:
    """Append one part's compiled form to ``compiled``; equal numbers and tuples are ``shared``,
    and what the part repeats of earlier parts comes from the ``memo``. The number of the
    child of the part's ``u``-th usage is ``kids[first + u]``, and that child's index
    ``position[kids[first + u]]`` (``index[child id]``)."""
    triple = shared.triple
    uses = []
    memo_uses = memo.uses
    for u, use in enumerate(part.uses, first):
        candidates = memo_uses.get(id(use))
        if candidates is None:
            # Most usages name one child, counted in a unit whose multipliers this quantity
            # has had before: what _candidates would give, without its call. (The child comes
            # before the part, so memo.units has it; position[k] is the same int object.)
            m = None
            if not use.alternates:
                j = position[kids[u]]
                uom, uom_kind = memo.units[j]
                quantity = use.quantity
                if uom_kind is quantity.kind:
                    m = shared.multipliers.get((id(quantity), uom))
            if m is not None:
                candidates = memo_uses[id(use)] = ((j, *m),)
            else:
                candidates, clean = _candidates(compiled, bom, part, use, index, exact, shared, memo)
                if clean:  # a warning names the part: a usage that warns is compiled for each part
                    memo_uses[id(use)] = candidates
        uses.append(candidates)
    compiled.uses.append(tuple(uses))
    by_mass = memo.units[-1][1] is Kind.MASS
    if by_mass:
        size = _number(part.uom_size, exact)
        declared = triple(size, size, size)
    elif part.mass is not None:
        declared = _amount_memo(memo, part.mass, exact)
    else:
        declared = None
    compiled.declared_mass.append(declared)
    compiled.mass_basis_uom.append(by_mass)
    materials = part.materials
    if materials:
        key = (id(materials[0]),) if len(materials) == 1 else tuple(map(id, materials))
        found = memo.parts_materials.get(key)
        repeated = found is not None  # only a part whose materials repeat can repeat its contents
        if not repeated:
            found = _parts_materials_memo(memo, materials, key, typical, exact)
        m_unknown, gap_shares, absolute, materials_absolute, items = found
        contents_key = (key, id(declared))  # declared is held by compiled.declared_mass
        contents = memo.contents.get(contents_key) if repeated else None
        if contents is None:
            noted: list[tuple] = []
            own, material_mass = _own_content(declared, noted, m_unknown, items)
            own = {col: triple(*t) for col, t in own.items()} if own else shared.empty
            contents = (own, triple(*material_mass), tuple(noted))
            if repeated and memo.again(contents_key):
                memo.contents[contents_key] = contents
        own, material_mass, noted = contents
        for note in noted:
            compiled.resolved.append(Resolved(part.id, *note))
        compiled.own_shares.append(gap_shares)
        compiled.own_absolute.append(absolute)
        compiled.own.append(own)
        compiled.own_material_mass.append(material_mass)
    else:
        compiled.own_shares.append(memo.zero)
        compiled.own_absolute.append(memo.zero)
        compiled.own.append(shared.empty)
        compiled.own_material_mass.append(None)
        materials_absolute = True
    claims = part.origins
    if claims:
        decision = shared.decisions.get(claims)
        if decision is None:
            decision = shared.decisions[claims] = policy.decide(claims)
    else:
        decision = policy.decide(claims)  # one shared decision (OriginPolicy.decide)
    compiled.origin.append(decision)
    if len(claims) > 1:
        compiled.conflicts += conflicts(part.id, claims)
    amount = part.unit_value
    if amount is None:
        compiled.own_value.append(None)
        compiled.has_own_value.append(False)
    else:
        value = memo.values.get(id(amount))
        if value is None:
            value, missing = _value(amount, currency, rates, exact)
            value = memo.values[id(amount)] = missing if value is None else triple(*value)
        if type(value) is str:  # the currency code that has no rate: the value is unknown
            missing_rates.setdefault(value, []).append(part.id)
            value = None
        compiled.own_value.append(value)
        compiled.has_own_value.append(True)
    compiled.materials_absolute.append(materials_absolute)


def _value(amount: Amount, currency: str | None, rates: dict[str, Fraction], exact: bool) -> tuple[Triple | None, str | None]:
    """A unit value in ``currency``, and the currency code that has no rate (the value is then None)."""
    code = amount.unit.strip().upper()
    if code == currency:
        rate = Fraction(1)
    elif code in rates:
        rate = rates[code]
    else:
        return None, code
    t = amount_triple(amount, exact)
    r = _number(rate, exact)
    return (t[0] * r, t[1] * r, t[2] * r), None


@attrs.define
class Rolled:
    """Per part (by index), per one unit of measure: the roll-up's raw results."""

    vector: list[dict[int, Triple] | None]
    mass: list[Triple | None]
    contents_mass: list[Triple | None]
    value: list[Triple | None]
    contents_value: list[Triple | None]
    #: the part's class after inheritance was applied (its own decision's class)
    origin: list[int]
    #: which mass was used: "declared", "contents", "unit of measure" or "unknown"
    basis: list[str]
    #: grams by which the used mass exceeds the contents: undeclared at this part itself
    gap: list[Triple | None]


def rollup(compiled: Compiled, *, alternates: Alternates, inherit: bool, only: list[int] | None = None, progress: Progress | None = None) -> Rolled:
    """Roll up every part (or the parts in ``only``, which must be closed under children).

    Cost: one visit per part and one per usage, times the columns a child carries.
    """
    n = len(compiled.ids)
    out = Rolled(
        vector=[None] * n,
        mass=[None] * n,
        contents_mass=[None] * n,
        value=[None] * n,
        contents_value=[None] * n,
        origin=[UNKNOWN] * n,
        basis=["unknown"] * n,
        gap=[None] * n,
    )
    # Within this relative distance a float sum of contents equals the declared mass it was
    # computed from (30.3 g as 100 % of 30.3 g); exact traces need no such allowance.
    tie = 0 if compiled.exact else 1e-9
    vectors = out.vector
    own, uses = compiled.own, compiled.uses
    if only is None:  # arrays (vector.OwnContent, Usages) are read at once, not a part at a time
        own = own if isinstance(own, list) else list(own)
        uses = uses if isinstance(uses, list) else list(uses)
    worst = alternates is Alternates.WORST
    step = max(1, n // 100)
    for i in only if only is not None else range(n):
        if progress is not None and i % step == 0:
            progress("rolling up", i / n)
        origin = ORIGIN_INDEX[compiled.origin[i].origin]
        # Without inheritance a part's class covers its own content only: apply it now,
        # before the children arrive. With it, it also covers the children's unknowns: below.
        shift = origin - UNKNOWN if not inherit else 0
        acc: dict[int, list] = {}
        for col, t in own[i].items():
            _add_into(acc, col + shift if col % N_ORIGINS == UNKNOWN else col, t)
        contents = compiled.own_material_mass[i]
        c_lo, c_nom, c_hi = contents if contents is not None else (0, 0, 0)
        k_lo = k_nom = k_hi = 0  # the children alone
        has_contents = contents is not None or bool(uses[i])
        v_lo = v_nom = v_hi = 0
        value_known = bool(uses[i])
        for candidates in uses[i]:
            if worst and len(candidates) > 1:
                (m_lo, m_nom, m_hi), (v_known, v) = _worst_into(acc, candidates, vectors, out)
            else:
                j, q_lo, q_nom, q_hi = candidates[0]
                for col, (a, b, c) in vectors[j].items():
                    slot = acc.get(col)
                    if slot is None:
                        acc[col] = [a * q_lo, b * q_nom, c * q_hi]
                    else:
                        slot[0] += a * q_lo
                        slot[1] += b * q_nom
                        slot[2] += c * q_hi
                cm = out.mass[j]
                m_lo, m_nom, m_hi = cm[0] * q_lo, cm[1] * q_nom, cm[2] * q_hi
                cv = out.value[j]
                v_known, v = (cv is not None), ((cv[0] * q_lo, cv[1] * q_nom, cv[2] * q_hi) if cv is not None else None)
            k_lo += m_lo
            k_nom += m_nom
            k_hi += m_hi
            if v_known:
                v_lo += v[0]
                v_nom += v[1]
                v_hi += v[2]
            else:
                value_known = False
        c_lo, c_nom, c_hi = c_lo + k_lo, c_nom + k_nom, c_hi + k_hi
        # Mass basis: the declared mass, unless the contents weigh more (a whole cannot
        # weigh less than what is inside it); the gap above the contents is undeclared.
        declared = compiled.declared_mass[i]
        contents_t = (c_lo, c_nom, c_hi) if has_contents else None
        heavier = declared is not None and contents_t is not None and c_nom > declared[1] * (1 + tie)  # NaN: False
        if declared is None:
            basis = "unknown" if contents_t is None else "contents"
        elif heavier:
            basis = "contents"
        else:
            basis = "unit of measure" if compiled.mass_basis_uom[i] else "declared"
        if declared is None:
            mass = contents_t if contents_t is not None else UNKNOWN_MASS
        elif contents_t is None:
            mass = declared
        else:
            # The declared mass is the nominal unless the contents are heavier; contents
            # of unknown nominal weight leave the declared mass as the best nominal there is.
            # Contents of unknown nominal but a known minimum can still outweigh it: clamp.
            low, high = max(declared[0], c_lo), max(declared[2], c_hi)
            nominal = c_nom if heavier else min(max(declared[1], low), high)
            mass = (low, nominal, high)
        if contents_t is None:
            rest = mass  # nothing inside is known: all of it is undeclared
        elif declared is None:
            rest = (0, 0, 0)  # the contents are the mass
        else:
            # The gap's max keeps the materials given as shares of the part as shares (see
            # _split), so that ranges do not invent undeclared mass. Its min is the plain
            # interval bound, always valid: substances given as masses may outweigh
            # their material's share.
            f_lo = compiled.own_shares[i][0]
            a = compiled.own_absolute[i]
            gap_nominal = mass[1] - c_nom
            rest = (
                max(0, declared[0] - c_hi),
                gap_nominal if is_nan(gap_nominal) else max(0, gap_nominal),
                max(0, mul(declared[2], max(0, 1 - f_lo)) - (a[0] + k_lo)),
            )
        out.basis[i] = basis
        out.gap[i] = rest
        if rest[0] or rest[2] or (rest[1] != 0):
            # The gap belongs to the part itself, so it takes the part's own class.
            _add_into(acc, SYMBOL_INDEX[UNDECLARED] * N_ORIGINS + origin, rest)
        out.origin[i] = origin
        if inherit and origin != UNKNOWN:
            _reclassify(acc, origin)
        top = mass[2]
        if top != INF:  # no one column can weigh more than the whole part
            for slot in acc.values():
                if slot[2] > top:
                    slot[2] = top
                    slot[0] = min(slot[0], top)
        vectors[i] = acc  # lists, not copied into tuples: nothing mutates a finished vector
        out.mass[i] = mass
        out.contents_mass[i] = contents_t
        out.contents_value[i] = (v_lo, v_nom, v_hi) if value_known else None
        # A stated value that cannot be converted (a missing rate) is unknown; the contents'
        # value does not stand in for it.
        own_value = compiled.own_value[i]
        out.value[i] = own_value if compiled.has_own_value[i] else out.contents_value[i]
    return out


def _reclassify(acc: dict[int, list], origin: int) -> None:
    """Move every unknown-origin column to ``origin``."""
    for col in [c for c in acc if c % N_ORIGINS == UNKNOWN]:
        _add_into(acc, col - UNKNOWN + origin, acc.pop(col))


def _worst_into(acc: dict[int, list], candidates, vectors, out: Rolled):
    """Add, for each element and origin class, the most any candidate puts in; return mass and value envelopes.

    This is an upper envelope, not one real build: the China Dy may come from one
    candidate and the unknown-origin Dy from another, so an element's total can exceed
    every single candidate's. That errs on the safe side for every rule-relevant
    quantity (China mass, element mass, presence); the part's mass and value take the
    widest range any candidate allows.
    """
    columns: set[int] = set()
    for j, *_ in candidates:
        columns.update(vectors[j])
    for col in sorted(columns):
        lo = nom = hi = 0
        for j, q_lo, q_nom, q_hi in candidates:
            t = vectors[j].get(col)
            if t is not None:
                lo, nom, hi = max(lo, t[0] * q_lo), nmax(nom, t[1] * q_nom), max(hi, t[2] * q_hi)
        _add_into(acc, col, (lo, nom, hi))
    masses = [(out.mass[j][0] * lo, out.mass[j][1] * nom, out.mass[j][2] * hi) for j, lo, nom, hi in candidates]
    selected = masses[0]
    mass = (min(m[0] for m in masses), selected[1], max(m[2] for m in masses))
    values = [out.value[j] for j, *_ in candidates]
    if any(v is None for v in values):
        return mass, (False, None)
    scaled = [(v[0] * lo, v[1] * nom, v[2] * hi) for v, (_, lo, nom, hi) in zip(values, candidates, strict=True)]
    return mass, (True, (min(v[0] for v in scaled), scaled[0][1], max(v[2] for v in scaled)))
