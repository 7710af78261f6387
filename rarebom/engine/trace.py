"""``rarebom.trace()``: roll a BOM up and hand out results, explanations and coverage."""

from __future__ import annotations

import itertools
import math
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import attrs

from .. import chemistry
from ..checks import CheckOptions, check_bom, mass_balance_apart, mass_balance_warning
from ..errors import Finding, InvalidBomError, Severity, warning
from ..limits import DEFAULT_LIMITS, Limits
from ..model import Bom
from ..units import parse_number
from .explain import DERIVATION_USES, Derivation, Graph, contributors, derive
from .policy import ORIGIN_CLASSES, Alternates, OriginClass, OriginConflict, OriginPolicy
from .results import Bounds, Contributor, Coverage, PartResult, PathStep, _add_up, _make, element_mass, element_masses, ratio
from .rollup import (
    N_ORIGINS,
    SYMBOL_INDEX,
    UNDECLARED,
    UNKNOWN,
    UNRESOLVED,
    Compiled,
    Resolved,
    Rolled,
    _resolve,
    _times,
    compile_bom,
    holding,
    material_breakdown,
    rollup,
    scan_own,
    split_column,
)

__all__ = ["Trace", "TraceOptions", "trace"]


def _rate(value: Any) -> Fraction:
    if isinstance(value, Fraction):
        rate = value
    elif isinstance(value, int):
        rate = Fraction(value)
    else:
        rate = parse_number(str(value))  # "1.08", never a float's binary noise
    if rate <= 0:
        raise ValueError(f"exchange rate {value!r} must be positive")
    return rate


def _rates(value: Mapping[str, Any] | None) -> dict[str, Fraction]:
    return {code.strip().upper(): _rate(rate) for code, rate in (value or {}).items()}


@attrs.frozen(kw_only=True)
class TraceOptions:
    """How to trace.

    - ``policy``: turns origin claims into origin classes (:class:`OriginPolicy`).
    - ``alternates``: ``selected`` or ``worst`` (:class:`Alternates`).
    - ``currency``: the ISO 4217 code values are reported in; by default the currency of
      the first finished good with a unit value, else the most common one in the BOM.
    - ``rates``: how many ``currency`` units one unit of another currency is worth, e.g.
      ``{"EUR": "1.08"}``. A missing rate makes those values unknown, with a warning;
      no rate is ever assumed.
    - ``typical_compositions``: resolve alloys named only in free text ("NdFeB N42") from
      rarebom's table of typical compositions, with ranges and sources. Off by default,
      so such content stays unknown unless the caller opts in.
    - ``exact``: compute everything with exact fractions (slower; for audits and tests).
      A float trace recomputes any part exactly on request (:meth:`Trace.exact`).
    - ``limits``: the trace uses ``max_multiplicity`` (:class:`~rarebom.Limits`): a BOM
      path whose quantities multiply past it is a located ``limit-exceeded`` error.
    """

    policy: OriginPolicy = attrs.field(factory=OriginPolicy)
    alternates: Alternates = attrs.field(default=Alternates.SELECTED, converter=Alternates)
    currency: str | None = attrs.field(default=None, converter=lambda c: c.strip().upper() if c else None)
    rates: Mapping[str, Fraction] = attrs.field(factory=dict, converter=_rates)
    typical_compositions: bool = False
    exact: bool = False
    check: CheckOptions = attrs.field(factory=CheckOptions)
    limits: Limits = DEFAULT_LIMITS
    #: called now and then with (what is being done, the share of it done): for a progress
    #: bar on a large BOM. It changes no result.
    progress: Callable[[str, float], None] | None = attrs.field(default=None, eq=False, repr=False)


def _pick_currency(bom: Bom) -> str | None:
    for part in bom.finished_goods:
        if part.unit_value is not None:
            return part.unit_value.unit.strip().upper()
    counts = Counter(p.unit_value.unit.strip().upper() for p in bom.parts if p.unit_value is not None)
    return min(counts, key=lambda c: (-counts[c], c)) if counts else None


def trace(bom: Bom, options: TraceOptions | None = None, **kwargs: Any) -> Trace:
    """Roll ``bom`` up: mass, element masses by origin, value and coverage for every part.

    Options are a :class:`TraceOptions` or its fields as keywords
    (``trace(bom, currency="USD", rates={"EUR": "1.08"})``). The BOM is checked first;
    errors (a cycle, a dangling reference, a zero quantity) raise
    :class:`~rarebom.errors.InvalidBomError`, and warnings are kept in
    :attr:`Trace.findings`.
    """
    if options is None:
        options = TraceOptions(**kwargs)
    elif kwargs:
        options = attrs.evolve(options, **kwargs)
    findings = check_bom(bom, options.check, mass_balance=False)
    if any(f.severity is Severity.ERROR for f in findings):
        raise InvalidBomError(findings, bom.source)
    currency = options.currency or _pick_currency(bom)
    compiled = compile_bom(
        bom,
        policy=options.policy,
        currency=currency,
        rates=options.rates,
        typical=options.typical_compositions,
        exact=options.exact,
        progress=options.progress,
        limits=options.limits,
        sink=_sink(options.exact, len(bom)),
    )
    rolled = _rollup(compiled, alternates=options.alternates, inherit=options.policy.inherit, progress=options.progress)
    findings += _mass_balance(bom, compiled, rolled, options.check.mass_tolerance)
    return Trace(bom, options, currency, compiled, rolled, findings)


#: From this many parts on, a float trace rolls up with numpy (rarebom.engine.vector), if it
#: is installed: below it, importing numpy and building the arrays cost more than they save.
VECTOR_MIN_PARTS = 2000


def _sink(exact: bool, parts: int) -> Any:
    """A ``vector.ArraySink`` for a float compile of this many parts, where the roll-up is
    vectorised: the compile then keeps its usages and own content as arrays, a chunk of
    parts at a time, rather than a tuple per usage and a dict per part. None otherwise."""
    if exact or parts < VECTOR_MIN_PARTS:
        return None
    try:
        from .vector import ArraySink  # numpy, imported only here
    except ImportError:
        return None
    return ArraySink()


def _rollup(compiled: Compiled, **options: Any) -> Rolled:
    """:func:`rollup`, vectorised for a large float trace; the results are identical."""
    if not compiled.exact and len(compiled.ids) >= VECTOR_MIN_PARTS:
        try:
            from .vector import rollup_arrays  # numpy, imported only here
        except ImportError:
            pass
        else:
            # compact: the own content's dicts give way to the arrays they were read into
            return rollup_arrays(compiled, compact=True, **options)
    return rollup(compiled, **options)


def _mass_balance(bom: Bom, compiled: Compiled, rolled: Rolled, tolerance: Fraction) -> list[Finding]:
    """The mass-balance warnings, from the roll-up's own contents (the rule is check_bom's)."""
    findings = []
    apart = float(tolerance)
    # every part's contents nominal at once: the array roll-up's view makes no triple per part
    for i, (declared, contents) in enumerate(zip(compiled.declared_mass, _nominals(rolled.contents_mass), strict=True)):
        if declared is None or contents is None:
            continue
        declared, contents = _to_float(declared[1]), _to_float(contents)
        if mass_balance_apart(declared, contents, apart):  # the part is looked up only then
            finding = mass_balance_warning(bom.part(compiled.ids[i]), declared, contents, materials_absolute=compiled.materials_absolute[i], tolerance=tolerance)
            if finding is not None:
                findings.append(finding)
    return findings


def _to_float(value) -> float:
    """``value`` as a float; an exact trace's Fraction beyond float range becomes +-inf, as
    in a float trace (``float(Fraction)`` raises OverflowError there)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _origin_known(rare_earths) -> Bounds | None:
    """Known-origin rare-earth mass over all rare-earth mass, as bounds; None if there is none.

    Known and unknown origin vary independently, so the share is lowest with the least
    known and the most unknown, and highest the other way round.
    """
    # Summed without a Bounds per step: the rules ask for the coverage of every node they
    # cannot decide, 17 elements by three classes each.
    china, not_china, unknown_class = OriginClass.CHINA, OriginClass.NOT_CHINA, OriginClass.UNKNOWN
    u_lo, u_nom, u_hi = _add_up([e.by_origin[unknown_class] for e in rare_earths])
    k_lo, k_nom, k_hi = _add_up([b for e in rare_earths for b in (e.by_origin[china], e.by_origin[not_china])])
    if k_hi == 0 and u_hi == 0:
        return None
    low = k_lo / (k_lo + u_hi) if k_lo + u_hi else 0
    high = k_hi / (k_hi + u_lo) if k_hi + u_lo else 1
    nominal = None
    if k_nom is not None and u_nom is not None and k_nom + u_nom:
        nominal = k_nom / (k_nom + u_nom)
    return Bounds(low, nominal, high)


def _nominals(triples) -> list:
    """The nominal of each triple of a :class:`Rolled` field, None where there is none (the
    array roll-up's views read them from their arrays, without making the triples)."""
    found = getattr(triples, "nominals", None)
    if found is not None:
        return found()
    return [t if t is None else t[1] for t in triples]


#: each element's place in chemistry.ELEMENTS (see :meth:`Trace._result`)
_ELEMENT_ORDER = {s: k for k, s in enumerate(chemistry.ELEMENTS)}
#: the symbol indices of the rare earths (see :meth:`Trace.holders`)
_RARE_EARTH_INDICES = frozenset(SYMBOL_INDEX[s] for s in chemistry.RARE_EARTHS)
#: the symbol indices of undeclared and unresolved content (see :meth:`Trace._lacks`)
_OPEN_INDICES = frozenset((SYMBOL_INDEX[UNDECLARED], SYMBOL_INDEX[UNRESOLVED]))

#: The roots whose walks :meth:`Trace.path` keeps (4 bytes per part each): the rules ask
#: for one finished good's paths at a time, and at 1M parts a walk kept for each of 10
#: finished goods held 38 MiB.
_PATH_ROOTS = 2

#: The finished goods whose coverage :meth:`Trace.coverage` keeps, for the same reason: a
#: finished good's lists can name most of the BOM (75 MiB for 10 finished goods at 1M parts).
_COVERAGE_ROOTS = 2

# What a part's own data lacks, for Trace.coverage (bits of Trace._lacks()).
_LACKS_MASS, _LACKS_COMPOSITION, _LACKS_VALUE, _LACKS_ORIGIN = 1, 2, 4, 8


#: From how many parts below a coverage picks the lacking ones with numpy.
_WIDE_COVERAGE = 4096


def _wide_numpy(parts: int) -> Any:
    """numpy, for a pick among ``parts`` parts that is wide enough to pay for its calls (a
    finished good's coverage reaches most of the BOM); None below that or without numpy."""
    if parts < _WIDE_COVERAGE:
        return None
    try:
        import numpy as np
    except ImportError:
        return None
    return np


def _lacking_under(below: Sequence[int], lacks: bytearray) -> tuple[list[int], list[int], list[int], list[int]]:
    """The parts of ``below`` (in its order) that lack mass, composition, value and origin
    (the ``_LACKS_*`` bits of ``lacks``)."""
    np = _wide_numpy(len(below))
    if np is not None:
        at = np.asarray(below)
        flags = np.frombuffer(lacks, dtype=np.uint8)[at]
        return tuple(at[(flags & bit) != 0].tolist() for bit in (_LACKS_MASS, _LACKS_COMPOSITION, _LACKS_VALUE, _LACKS_ORIGIN))  # type: ignore[return-value]
    found: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
    mass, composition, value, origin = (f.append for f in found)
    for i in below:
        flags = lacks[i]
        if not flags:
            continue
        if flags & _LACKS_MASS:
            mass(i)
        if flags & _LACKS_COMPOSITION:
            composition(i)
        if flags & _LACKS_VALUE:
            value(i)
        if flags & _LACKS_ORIGIN:
            origin(i)
    return found


def _marked(parts: array, under: bytearray, out: bytearray | None) -> tuple[list[int], list[int]]:
    """Which of ``parts`` (indices) are marked in ``under`` and, with ``out``, not marked in
    it, in order: their positions in ``parts``, and the indices. With numpy where there
    are many: the rules ask this of every rare-earth holder, once per finished good and
    item class."""
    np = _wide_numpy(len(parts))
    if np is not None:
        at = np.asarray(parts, dtype=np.int64)
        keep = np.frombuffer(under, dtype=np.uint8)[at] != 0
        if out is not None:
            keep &= np.frombuffer(out, dtype=np.uint8)[at] == 0
        found = np.flatnonzero(keep)
        return found.tolist(), at[found].tolist()
    found = [k for k, i in enumerate(parts) if under[i] and (out is None or not out[i])]
    return found, [parts[k] for k in found]


def _latest(kept: dict, key: str, make: Callable[[], Any], size: int) -> Any:
    """``kept[key]``, made with ``make()`` if it is not there; ``kept`` holds the ``size``
    keys asked for last, the latest last (the least recently asked for goes first)."""
    found = kept.pop(key, None)
    if found is None:
        found = make()
        if len(kept) >= size:
            del kept[next(iter(kept))]
    kept[key] = found
    return found


class Trace:
    """The results of :func:`trace`.

    ``trace[part_id]`` is that part's :class:`PartResult` (per one unit of it);
    :attr:`finished_goods` lists the parts nothing else uses, in file order. Results are
    built on first access and cached; they are deterministic, so golden files work. The
    rules' evaluation drops the cached ones after each finished good (see
    :meth:`_forget_results`); they are made again, equal, when asked for.
    """

    def __init__(self, bom: Bom, options: TraceOptions, currency: str | None, compiled: Compiled, rolled: Rolled, findings: list[Finding]):
        self.bom = bom
        self.options = options
        self.currency = currency
        self._compiled = compiled
        self._rolled = rolled
        self._cache: dict[str, PartResult] = {}
        #: the latest :data:`_PATH_ROOTS` roots' walks for :meth:`path`, the latest last
        self._parents: dict[str, array] = {}
        self._lacking: bytearray | None = None
        self._walks: Graph | None = None
        self._coverages: dict[str, Coverage] = {}
        #: the latest :data:`_COVERAGE_ROOTS` finished goods' coverages, the latest last
        self._root_coverages: dict[str, Coverage] = {}
        self._typical: list[tuple[int, str]] | None = None
        self._definite_origin: bytes | None = None
        self._re_holders: tuple[array, list[frozenset[int]]] | None = None
        self._mask: tuple[str, bytearray] | None = None  # see within()
        self.finished_goods: tuple[str, ...] = tuple(p.id for p in bom.finished_goods)
        self._finished = frozenset(self.finished_goods)
        self.findings: tuple[Finding, ...] = tuple(findings) + tuple(compiled.findings) + tuple(self._substance_findings())

    def _substance_findings(self) -> Iterable[Finding]:
        for r in self._compiled.resolved:
            location = self.bom.part(r.part).location
            if r.resolution is None:
                yield warning(
                    "unresolved-substance",
                    f"part {r.part!r}, material {r.material!r}: substance {r.substance!r} could not be resolved to elements; its mass is carried as unresolved",
                    location,
                    (r.part,),
                )
            elif r.resolution.typical:
                yield warning(
                    "typical-composition",
                    f"part {r.part!r}, material {r.material!r}: {r.substance!r} was resolved from a typical composition, not a declaration: {r.resolution.source}",
                    location,
                    (r.part,),
                )

    # -- results -----------------------------------------------------------------------

    def __getitem__(self, part_id: str) -> PartResult:
        found = self._cache.get(part_id)
        if found is None:
            found = self._cache[part_id] = self._result(self._compiled, self._rolled, self._compiled.index[part_id])
        return found

    def _forget_results(self) -> None:
        """Drop the part results built so far. The rules evaluate one finished good at a
        time and keep their node verdicts, so they ask for each result within one finished
        good only (at 1M parts, 30,033 results, each asked for within one): kept to the
        end, they raised the evaluation's high-water mark there by about 45 MiB."""
        self._cache.clear()

    def __contains__(self, part_id: object) -> bool:
        return part_id in self._compiled.index

    def __iter__(self):
        """Every part's result, in topological order (children first)."""
        return (self[pid] for pid in self._compiled.ids)

    def __len__(self) -> int:
        return len(self._compiled.ids)

    def _numbering(self) -> tuple[Mapping[str, int], Sequence[str]]:
        """Each part id's index, and the ids in index order: the table the rules' missing
        data number the parts by (:class:`rarebom.rules.missing.Gather`). Not to be changed."""
        return self._compiled.index, self._compiled.ids

    @property
    def results(self) -> tuple[PartResult, ...]:
        """The finished goods' results, in file order."""
        return tuple(self[pid] for pid in self.finished_goods)

    @property
    def resolved_substances(self) -> tuple[Resolved, ...]:
        """Every declared substance that is not plainly an element, and what it resolved to.

        ``resolution`` is None for unresolved substances; otherwise it names the basis
        (formula, CAS, typical composition) and its source, for an audit trail.
        """
        return tuple(self._compiled.resolved)

    @property
    def conflicts(self) -> tuple[OriginConflict, ...]:
        return tuple(self._compiled.conflicts)

    def _result(self, compiled: Compiled, rolled: Rolled, i: int) -> PartResult:
        grouped = element_masses(rolled.vector[i] or {}, split_column)
        top = rolled.mass[i][2]
        # in the order of chemistry.ELEMENTS (a part holds a few of them: sorted, not searched for)
        elements = {s: element_mass(s, grouped[s], top) for s in sorted([s for s in grouped if s in _ELEMENT_ORDER], key=_ELEMENT_ORDER.__getitem__)}
        # Elements that are declared but with zero mass everywhere stay listed: a
        # declaration of absence is information too.
        declared = compiled.declared_mass[i]
        contents = rolled.contents_mass[i]
        mass = Bounds.of(rolled.mass[i], "g")
        basis = rolled.basis[i]
        own_value = compiled.own_value[i]
        contents_value = rolled.contents_value[i]
        value = rolled.value[i]
        unit = compiled.currency or ""
        return PartResult(
            part=compiled.ids[i],
            mass=mass,
            mass_basis=basis,
            declared_mass=Bounds.of(declared, "g") if declared is not None else None,
            contents_mass=Bounds.of(contents, "g") if contents is not None else None,
            elements=elements,
            undeclared=element_mass(UNDECLARED, grouped.get(UNDECLARED, {}), top),
            unresolved=element_mass(UNRESOLVED, grouped.get(UNRESOLVED, {}), top),
            value=Bounds.of(value, unit) if value is not None else None,
            value_basis="own" if own_value is not None else ("contents" if value is not None else "unknown"),
            own_value=Bounds.of(own_value, unit) if own_value is not None else None,
            contents_value=Bounds.of(contents_value, unit) if contents_value is not None else None,
            currency=compiled.currency,
            origin=compiled.origin[i],
        )

    def nominal_by_origin(self, part_id: str, symbols: Iterable[str]) -> dict[OriginClass, float]:
        """The nominal grams of ``symbols`` in ``part_id`` by origin class, as floats: for each
        class, ``float(self[part_id].elements[s].by_origin[o].nominal)`` summed over
        ``symbols`` in their order, from 0.0, an unknown nominal counted as nothing.

        The same numbers, read from the roll-up without building and keeping the part's
        result: the report's chart asks this of every child of a node, which in a wide BOM
        is most of the parts (a part's result takes about 70 µs and 2 KB)."""
        columns: dict[int, list[tuple[int, Any]]] = {}
        for col, t in (self._rolled.vector[self._compiled.index[part_id]] or {}).items():
            columns.setdefault(col // N_ORIGINS, []).append((col % N_ORIGINS, t[1]))
        split = [0.0] * len(ORIGIN_CLASSES)
        for symbol in symbols:
            if symbol not in _ELEMENT_ORDER:  # not an element: a result has no such entry
                continue
            # An origin class without a column adds its zero's 0.0, which changes no sum
            # that starts at 0.0 (it is never -0.0): it is left out.
            for o, nominal in columns.get(SYMBOL_INDEX[symbol], ()):
                if nominal is not None and nominal == nominal:  # a NaN is a result's None
                    split[o] += float(nominal)
        return dict(zip(ORIGIN_CLASSES, split, strict=True))

    # -- exactness ---------------------------------------------------------------------

    def exact(self, part_id: str) -> PartResult:
        """``part_id``'s result recomputed with exact fractions, from the BOM itself.

        Only the part and what is below it are recomputed. Use it wherever a number is
        compared against a threshold and the float result is close to it.
        """
        if self.options.exact:
            return self[part_id]
        compiled = self._exact_compiled()
        below = self._graph().reachable(compiled.index[part_id], alternates=True)  # the exact BOM's indices are the same
        rolled = rollup(compiled, alternates=self.options.alternates, inherit=self.options.policy.inherit, only=below)
        return self._result(compiled, rolled, compiled.index[part_id])

    def _exact_compiled(self) -> Compiled:
        cached = getattr(self, "_exact", None)
        if cached is None:
            o = self.options
            cached = self._exact = compile_bom(self.bom, policy=o.policy, currency=self.currency, rates=o.rates, typical=o.typical_compositions, exact=True, limits=o.limits)
        return cached

    # -- walking -----------------------------------------------------------------------

    def _graph(self) -> Graph:
        """The usages as lists of ints, for every walk below (built on first use)."""
        if self._walks is None:
            self._walks = Graph(self._compiled)
        return self._walks

    def below(self, part_id: str) -> tuple[str, ...]:
        """``part_id`` and every part under it, children first. With ``alternates="worst"``
        the alternates count as under it too, since any of them may be fitted."""
        c = self._compiled
        found = self._graph().reachable(c.index[part_id], alternates=self.options.alternates is Alternates.WORST)
        ids = c.ids
        return tuple([ids[i] for i in found])

    def below_any(self, part_ids: Iterable[str]) -> set[str]:
        """The parts of every :meth:`below` of ``part_ids`` together, in one walk (the rules
        ask which parts lie under any of a rule's nodes)."""
        c = self._compiled
        under = self._graph().reachable_any([c.index[pid] for pid in part_ids], alternates=self.options.alternates is Alternates.WORST)
        ids = c.ids
        return {ids[i] for i in itertools.compress(range(len(ids)), under)}

    def within(self, root: str, part_ids: Iterable[str], *, in_order: bool = False, outside: Iterable[str] = ()) -> list[str]:
        """Those of the distinct ``part_ids`` that are ``root`` or under it (as :meth:`below`
        walks) and neither one of ``outside`` nor under one (:meth:`below_any`), in the
        order :meth:`below` lists them: index order (``in_order``: they are in it already,
        as :meth:`holders` gives them). The walk of the latest root is kept as one byte per
        part, so each list costs a look-up per id, not a pass over the parts under ``root``
        (the rules ask for several lists per finished good)."""
        index = self._compiled.index
        worst = self.options.alternates is Alternates.WORST
        under = self._under(root)
        outside = [index[pid] for pid in outside]
        if outside:
            out = self._graph().reachable_any(outside, alternates=worst)
            found = [pid for pid in part_ids if under[i := index[pid]] and not out[i]]
        else:
            found = [pid for pid in part_ids if under[index[pid]]]
        if not in_order:
            found.sort(key=index.__getitem__)
        return found

    def _under(self, root: str) -> bytearray:
        """Per part, 1 where it is ``root`` or under it (as :meth:`below` walks): kept for
        the latest root only."""
        mask = self._mask
        if mask is None or mask[0] != root:
            under = self._graph().marks(self._compiled.index[root], alternates=self.options.alternates is Alternates.WORST)
            mask = self._mask = (root, under)
        return mask[1]

    def path(self, root: str, target: str) -> tuple[PathStep, ...] | None:
        """One shortest BOM path from ``root`` down to ``target`` (the first in file order), or None."""
        c = self._compiled
        alternates = self.options.alternates is Alternates.WORST
        # One breadth-first walk per root, kept as each part's parent on the walk (-1 for
        # the root, -2 where not under it): every path from the root is then a lookup.
        parent = _latest(self._parents, root, lambda: self._graph().first_parents(c.index[root], alternates=alternates), _PATH_ROOTS)
        i = c.index[target]
        if parent[i] == -2:
            return None
        steps = []
        while True:
            up = parent[i]
            if up == -1:
                steps.append(PathStep(c.ids[i], 1))
                break
            steps.append(PathStep(c.ids[i], self._first_quantity(up, i, alternates)))
            i = up
        return tuple(reversed(steps))

    def _first_quantity(self, parent: int, child: int, alternates: bool):
        """The nominal quantity of the first usage (or candidate, with alternates) of
        ``parent`` that uses ``child``: the one a breadth-first walk reaches it by."""
        for candidates in self._compiled.uses[parent]:
            for j, _, q_nom, _ in candidates if alternates else candidates[:1]:
                if j == child:
                    return q_nom
        raise AssertionError(f"part {child} is not under part {parent}")

    def multipliers(self, part_id: str, stop: Callable[[str], bool]) -> dict[str, Bounds]:
        """How many of each part for which ``stop(id)`` is true one unit of ``part_id`` holds,
        summed over every path that meets no other such part on the way (selected parts only).

        ``stop`` must be a plain test of the id: it is asked about every part under ``part_id``."""
        c = self._compiled
        graph = self._graph()
        root = c.index[part_id]
        ids, selected = c.ids, graph.selected
        below = graph.reachable(root)
        stops = {i for i in below if stop(ids[i])}
        stops.discard(root)
        if not stops:
            return {}  # the usual case for a rule's inputs: no walk
        mult: dict[int, list] = {root: [1, 1, 1]}
        found: dict[str, Bounds] = {}
        for i in reversed(below):  # parents before children
            m = mult.get(i)
            if m is None:
                continue
            if i in stops:
                found[ids[i]] = Bounds(m[0], m[1], m[2])
                continue
            m_lo, m_nom, m_hi = m
            for j, q_lo, q_nom, q_hi in selected[i]:
                slot = mult.get(j)
                if slot is None:
                    slot = mult[j] = [0, 0, 0]
                slot[0] += m_lo * q_lo
                slot[1] += m_nom * q_nom
                slot[2] += m_hi * q_hi
        return found

    def own_elements(self, part_id: str, symbols: Iterable[str]) -> tuple[str, ...]:
        """Which of ``symbols`` the part's own materials (not its children) declare, in the order given."""
        own = self._compiled.own[self._compiled.index[part_id]]
        held = {col // N_ORIGINS for col, t in own.items() if t[0] > 0 or t[1] > 0}
        return tuple(s for s in symbols if SYMBOL_INDEX[s] in held)

    def holders(self, symbols: Iterable[str], *, found: tuple[array, list[tuple[str, ...]]] | None = None) -> dict[str, tuple[str, ...]]:
        """Every part whose own materials declare any of ``symbols``, with which of them:
        :meth:`own_elements` of every part, in one pass over the BOM (in index order).
        ``found`` is what :meth:`holding` gave for ``symbols``, if it was asked already."""
        parts, helds = self.holding(symbols) if found is None else found
        ids = self._compiled.ids
        return {ids[i]: held for i, held in zip(parts, helds, strict=True)}

    def holding(self, symbols: Iterable[str]) -> tuple[array, list[tuple[str, ...]]]:
        """:meth:`holders` as the parts' indices, in order, and what each holds (the same
        tuples): for :meth:`holders_within`, which the rules ask for once per finished good."""
        symbols = tuple(symbols)
        wanted = {SYMBOL_INDEX[s] for s in symbols}
        found, helds = array("q"), []
        if wanted <= _RARE_EARTH_INDICES:
            # The rules ask for several sets of rare earths: the parts that hold any rare
            # earth, with which, are found in one pass (kept), and each set is picked from them.
            parts, held_sets = self._rare_earth_holders()
            kept: dict[frozenset[int], tuple[str, ...]] = {}  # one tuple per distinct held set
            for i, held in zip(parts, held_sets, strict=True):
                if held.isdisjoint(wanted):
                    continue
                these = kept.get(held)
                if these is None:
                    these = kept[held] = tuple(s for s in symbols if SYMBOL_INDEX[s] in held)
                found.append(i)
                helds.append(these)
            return found, helds
        for i, own in holding(self._compiled.own, wanted):
            held = {col // N_ORIGINS for col, t in own.items() if t[0] > 0 or t[1] > 0}
            if held:
                found.append(i)
                helds.append(tuple(s for s in symbols if SYMBOL_INDEX[s] in held))
        return found, helds

    def holders_within(self, root: str, holders: tuple[array, list[tuple[str, ...]]], *, outside: Iterable[str] = ()) -> dict[str, tuple[str, ...]]:
        """Those of ``holders`` (from :meth:`holding`) that are ``root`` or under it and
        neither one of ``outside`` nor under one, as :meth:`holders` gives them: the
        ``holders`` of :meth:`within`, without a look-up per part id."""
        ids = self._compiled.ids
        parts, helds = self.holding_within(root, holders, outside=outside)
        return {ids[i]: held for i, held in zip(parts, helds, strict=True)}

    def holding_within(self, root: str, holders: tuple[array, list[tuple[str, ...]]], *, outside: Iterable[str] = ()) -> tuple[list[int], list[tuple[str, ...]]]:
        """:meth:`holders_within` as :meth:`holding` gives it: the parts' indices, in order,
        and what each holds. The rules keep them so, and word only those they report."""
        under = self._under(root)
        parts, helds = holders
        outside = [self._compiled.index[pid] for pid in outside]
        out = self._graph().reachable_any(outside, alternates=self.options.alternates is Alternates.WORST) if outside else None
        at, found = _marked(parts, under, out)
        return found, list(map(helds.__getitem__, at))

    def _rare_earth_holders(self) -> tuple[array, list[frozenset[int]]]:
        """The parts whose own materials declare a rare earth (a min or nominal above 0), in
        index order, and the symbol indices of those they declare: one pass over the BOM,
        kept (one frozenset per distinct set, which most parts share)."""
        if self._re_holders is None:
            self._scan_own()
        return self._re_holders

    def _scan_own(self) -> tuple[set[int], set[int]]:
        """One pass over the parts whose own materials hold a rare earth or undeclared or
        unresolved content (:func:`.rollup.scan_own`): keeps :meth:`_rare_earth_holders`,
        and returns the parts that hold a rare earth (a max not 0) and those that hold open
        content (a nominal not 0) for :meth:`_lacks`, which asks for both in the same
        evaluation."""
        parts, helds, rare_content, open_content = scan_own(self._compiled.own, _RARE_EARTH_INDICES, _OPEN_INDICES)
        self._re_holders = (parts, helds)
        return rare_content, open_content

    def substance_elements(self, part_id: str, match: str, *, exact: bool = False) -> dict[str, tuple[Bounds, bool]]:
        """Grams of each element, per unit of the part, in its own substances that ``match``
        (a CAS number, formula, element symbol or name; case and surrounding space ignored).

        Each element also says whether those substances are the only source of it in the
        part (no other own substance and no child holds it), so the grams are all of it.
        """
        c = self._exact_compiled() if exact and not self.options.exact else self._compiled
        i = c.index[part_id]
        part = self.bom.part(part_id)
        key = match.strip().lower()
        typical = self.options.typical_compositions
        found: dict[str, list] = {}
        elsewhere: set[str] = set()
        for _, _, _, substances in material_breakdown(part, c.declared_mass[i], c.exact):
            for substance, grams in substances:
                resolution = _resolve(substance.element, substance.formula, substance.cas, substance.name, typical)
                if resolution is None:
                    continue
                names = {x.strip().lower() for x in (substance.cas, substance.formula, substance.name, substance.element) if x}
                for symbol, f_min, f_nom, f_max in resolution.fractions:
                    if key not in names:
                        elsewhere.add(symbol)
                        continue
                    share = (f_min, f_nom, f_max) if c.exact else (float(f_min), float(f_nom), float(f_max))
                    g = _times(grams, share)
                    slot = found.setdefault(symbol, [0, 0, 0])
                    for k in range(3):
                        slot[k] += g[k]
        for candidates in c.uses[i]:
            for j, *_ in candidates:
                for col in self._rolled.vector[j] or {}:
                    elsewhere.add(split_column(col)[0])
        return {symbol: (Bounds(t[0], t[1], t[2], "g"), symbol not in elsewhere) for symbol, t in found.items()}

    # -- explanations ------------------------------------------------------------------

    def contributors(self, part_id: str, symbols: str | Iterable[str], *, limit: int = 10, max_paths: int = 5, origin: OriginClass | None = None) -> list[Contributor]:
        """The parts that put the most of ``symbols`` into ``part_id``, with BOM paths.

        ``symbols`` is an element symbol or several (``["Dy", "Tb"]``); ``origin`` keeps
        only contributions of that origin class.
        """
        symbols = [symbols] if isinstance(symbols, str) else list(symbols)
        unknown = [s for s in symbols if s not in SYMBOL_INDEX]
        if unknown:
            raise ValueError(f"not element symbols: {', '.join(unknown)}")
        return contributors(
            self._graph(), self._rolled, self._compiled.index[part_id], symbols, inherit=self.options.policy.inherit, limit=limit, max_paths=max_paths, origin=origin
        )

    def derivation(self, part_id: str, elements: Iterable[str] | None = None, *, max_uses: int | None = DERIVATION_USES) -> Derivation:
        """The arithmetic behind ``part_id``'s result, line by line (rare earths by default).

        The first ``max_uses`` usages of the part get a line each; the rest are summed in
        one line (``max_uses=None`` lists them all)."""
        return derive(self._compiled, self._rolled, self.bom.part(part_id), typical=self.options.typical_compositions, elements=elements, max_uses=max_uses)

    def coverage(self, part_id: str) -> Coverage:
        """How complete the data under ``part_id`` is, and which parts are missing what.

        Kept once computed: the rules ask for the coverage of the nodes they cannot
        decide, again and again. A finished good's is kept for the two finished goods
        asked for last (the rules and the report work one finished good at a time), and
        made again, equal, when asked for after that."""
        if part_id in self._finished:
            return _latest(self._root_coverages, part_id, lambda: self._coverage(part_id), _COVERAGE_ROOTS)
        found = self._coverages.get(part_id)
        if found is None:
            found = self._coverages[part_id] = self._coverage(part_id)
        return found

    def _coverage(self, part_id: str) -> Coverage:
        compiled = self._compiled
        graph = self._graph()
        root = compiled.index[part_id]
        below = graph.reachable(root, alternates=True)
        result = self[part_id]
        elements = result.elements
        resolved = _make(*_add_up([e.total for e in elements.values()]), "g")
        # The rare earths the part holds: one it does not would add zeros (see _add_up).
        origin_known = _origin_known([elements[s] for s in chemistry.RARE_EARTHS if s in elements])
        ids = compiled.ids
        missing_mass, missing_comp, missing_value, lacking_origin = _lacking_under(below, self._lacks())
        missing_origin = []
        if lacking_origin:
            # Parts reached only through ancestors with a definite origin need no claim of
            # their own: those still open are the ones a walk reaches without passing
            # through such an ancestor (the root itself always needs one).
            definite = self._definite() if self.options.policy.inherit else None
            open_ = graph.reachable_avoiding(root, definite, alternates=True)
            missing_origin = [ids[i] for i in lacking_origin if open_[i]]
        missing_mass, missing_comp, missing_value = ([ids[i] for i in found] for found in (missing_mass, missing_comp, missing_value))
        return Coverage(
            part=part_id,
            composition_declared=ratio(resolved, result.mass),
            origin_known=origin_known,
            missing_mass=tuple(missing_mass),
            missing_composition=tuple(missing_comp),
            missing_value=tuple(missing_value),
            missing_origin=tuple(missing_origin),
            typical_composition=self._typical_under(below),
        )

    def _definite(self) -> bytes:
        """Per part, 1 where its origin class is definite (it then covers what is under it)."""
        if self._definite_origin is None:
            self._definite_origin = bytes([o != UNKNOWN for o in self._rolled.origin])
        return self._definite_origin

    def _typical_under(self, below: list[int]) -> tuple[str, ...]:
        """The parts in ``below`` whose composition came from a typical composition, in the
        order they were resolved (the list of them is made once per trace; it is usually empty)."""
        if self._typical is None:
            compiled = self._compiled
            self._typical = [(compiled.index[r.part], r.part) for r in compiled.resolved if r.resolution is not None and r.resolution.typical]
        if not self._typical:
            return ()
        below_set = set(below)
        return tuple(dict.fromkeys(part for i, part in self._typical if i in below_set))

    def _lacks(self) -> bytearray:
        """Per part, what its own data lacks, as ``_LACKS_*`` bits (a byte); computed once for every
        :meth:`coverage` call (the rules ask for the coverage of many parts, and the subtrees
        below them overlap). An origin is lacking only where no ancestor's class covers the
        part, which depends on the part asked about, so :meth:`coverage` checks that itself."""
        if self._lacking is not None:
            return self._lacking
        compiled, rolled = self._compiled, self._rolled
        tolerance = self.options.check.mass_tolerance if compiled.exact else float(self.options.check.mass_tolerance)
        # The parts whose own content holds undeclared or unresolved mass (a nominal not 0), and
        # those that hold a rare earth (a maximum not 0).
        rare_content, open_content = self._scan_own()
        if hasattr(rolled.gap, "nominal_array") and hasattr(compiled.uses, "selected_candidates"):
            from .vector import lacks  # the roll-up's arrays: numpy is imported already

            self._lacking = lacks(compiled, rolled, tolerance, rare_content, open_content)
            return self._lacking
        # the nominals only: three lists of every part's triples were 40 MiB at 100,000 parts
        gaps, masses, values, origins = _nominals(rolled.gap), _nominals(rolled.mass), _nominals(rolled.value), list(rolled.origin)
        children = self._graph().children  # a tuple per part, where the usages may be arrays
        lacking = bytearray()
        for i in range(len(compiled.ids)):
            flags = 0
            own_mass = compiled.own_material_mass[i]
            uses = children[i]  # the selected child of each usage
            # Mass is missing where nothing gives this part's own weight: no declared mass,
            # no children, and no material of known mass.
            if compiled.declared_mass[i] is None and not uses and (own_mass is None or own_mass[1] != own_mass[1]):
                flags |= _LACKS_MASS
            # Composition is missing where the part itself holds undeclared or unresolved
            # mass: a material's uncovered rest, or a declared mass above its contents by
            # more than the mass tolerance (less is a rounded declared mass, as in the
            # mass-balance warning). By the nominal, so a full declaration whose ranges
            # leave room still counts as declared.
            gap = gaps[i]
            gap_open = gap is not None and (gap != gap or gap > tolerance * masses[i])
            if gap_open or i in open_content:
                flags |= _LACKS_COMPOSITION
            if values[i] is None and all(values[j] is not None for j in uses):
                flags |= _LACKS_VALUE
            if origins[i] == UNKNOWN and i in rare_content:
                flags |= _LACKS_ORIGIN
            lacking.append(flags)
        self._lacking = lacking
        return lacking

    def __repr__(self) -> str:
        return f"<Trace of {len(self)} parts, {len(self.finished_goods)} finished good(s), currency {self.currency}>"
