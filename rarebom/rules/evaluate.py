"""Evaluating rules against a trace: three-valued verdicts that explain themselves.

Each rule is evaluated at the BOM nodes its level names (classified items, articles, every
part, or the finished good), once per node. A finished good's verdict for a rule is the
worst verdict of the nodes under it (ABOVE over INDETERMINATE over BELOW), with the BOM
path to the node that decided it. Every verdict carries the measured bounds, the
arithmetic, the data that would settle it if it is indeterminate, the overrides applied,
and the rule's legal status on the ``as_of`` date. The test is computed whatever the
status, so a suspended or unverified rule still says what it *would* find.

Comparisons at the threshold are exact: a float result within a hair of the threshold is
recomputed with exact fractions (:meth:`rarebom.Trace.exact`) before it decides.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

import attrs

from .. import chemistry
from ..engine.policy import OriginClass
from ..engine.results import Bounds, PartResult, PathStep, _make, _plus, _sum_step, ratio
from ..engine.trace import Trace
from ..errors import Finding, warning
from ..units import Kind
from .missing import NOTHING, Gather, Missing
from .model import Basis, Level, Outlook, Rule, RuleStatus, Verdict, as_date
from .overrides import Override
from .packs import RuleSet, load_rules, matches
from .prices import Price, PriceTable

__all__ = ["Evaluation", "NodeVerdict", "RuleVerdict", "evaluate"]

#: A float bound this close to a threshold (relatively) is re-decided with exact numbers.
_NEAR = 1e-9

# The missing-data sentences that name a part: kept as the part and the text around its
# label (:meth:`_Context.around`), and written when read (see rarebom/rules/missing.py).
_ITEM_CLASS = (
    "the item class of {label}: it holds {held} in its own materials but is not classified as {classes}, "
    "nor under a part that is (classify it, or record with an override that it is not such an item)"
)
_ORIGIN_CLAIMS = "origin claims for {label} (at the separated and metal-or-alloy stages)"
_ITEM_ORIGIN_CLAIMS = "origin claims for {label} (at the separated, metal-or-alloy and magnet stages)"
_COMPOSITION = "a full declaration of {label}'s composition (its undeclared content could hold {symbols})"
_MASS = "the mass of {label}"
_INPUT_VALUE = "the unit value of {label}, or prices for {symbols}"
_UNIT_VALUE = "the unit value of {label}"
_TECHNOLOGY = "whether {label} was produced with China-origin rare-earth technology (the part's china-re-technology flag)"
_PRICE = "a price for {symbol} (a price table), or the BOM's unit values of the China-origin {symbol} inputs in {label}"
_UNDER = "a full declaration of what is under {label} ({could} of undeclared content could hold {symbols})"
_STAGE_CLAIM = "an origin claim for {label} (or its materials) at the {stage} stage"
_NARROWER = "narrower ranges, or measured values, for the {what}content of {label} and the parts under it: the declared ranges straddle the threshold"


def _around_label(template: str, fields: dict[str, str]) -> tuple[str, str]:
    """The text before and after ``{label}`` in ``template`` with ``fields`` filled in: a
    sentence of many parts is then ``head + label + tail``, the same str that
    ``template.format(label=label, **fields)`` makes (every template names the part once)."""
    head, tail = template.split("{label}")
    return head.format(**fields), tail.format(**fields)


@attrs.frozen
class NodeVerdict:
    """One rule at one BOM node (per unit of that part).

    ``measured`` is what was compared: a share (a ratio) for share rules, grams for
    presence rules, None for rules that test a flag or claims; ``test`` says it in a line. ``computed`` is the verdict
    before overrides; ``verdict`` is after. ``missing`` lists the data that would settle an
    indeterminate verdict. ``estimated`` is true when a price table supplied a figure.
    """

    rule: str
    part: str
    verdict: Verdict
    computed: Verdict
    measured: Bounds | None
    numerator: Bounds | None
    denominator: Bounds | None
    arithmetic: tuple[str, ...]
    missing: Missing
    estimated: bool = False
    exact: bool = False
    overrides: tuple[Override, ...] = ()
    #: the one line that decides: the comparison, the flag or the claim
    test: str = ""


@attrs.frozen
class RuleVerdict:
    """One rule for one finished good: the worst node verdict, and why."""

    rule: Rule
    finished_good: str
    status: RuleStatus
    verdict: Verdict
    reason: str
    node: NodeVerdict | None
    path: tuple[PathStep, ...]
    nodes: tuple[NodeVerdict, ...]
    missing: Missing
    outlook: Outlook | None
    scope_notes: tuple[str, ...]

    @property
    def headline(self) -> str:
        """One line: verdict, rule, what it means and whether the rule is in force on the date."""
        rule = self.rule
        word = self.verdict.value.upper()
        if self.verdict is Verdict.ABOVE:
            meaning = rule.consequence if self.status.in_force else f"would apply if the rule were in force: {rule.consequence}"
        elif self.verdict is Verdict.BELOW:
            meaning = "not caught"
        else:
            meaning = "the data cannot settle it"
        return f"{word} {rule.id} ({rule.label or rule.reading.value}): {meaning}. Status on {self.status.as_of}: {self.status.text}"


class Evaluation:
    """Every rule's verdict for every finished good of a trace, on one date."""

    def __init__(
        self,
        trace: Trace,
        rules: RuleSet,
        as_of: dt.date,
        verdicts: list[RuleVerdict],
        findings: list[Finding],
        overrides: tuple[Override, ...],
        applied: list[Override],
        prices: PriceTable | None,
        policy: str = "conservative",
    ):
        self.trace = trace
        self.policy = policy
        self.rules = rules
        self.as_of = as_of
        self.verdicts = tuple(verdicts)
        self.findings = tuple(findings)
        self.overrides = overrides
        self.overrides_applied = tuple(dict.fromkeys(applied))
        self.prices = prices

    def __iter__(self):
        return iter(self.verdicts)

    def __len__(self) -> int:
        return len(self.verdicts)

    def get(self, finished_good: str, rule_id: str) -> RuleVerdict:
        for v in self.verdicts:
            if v.finished_good == finished_good and v.rule.id == rule_id:
                return v
        raise KeyError((finished_good, rule_id))

    def for_finished_good(self, finished_good: str) -> tuple[RuleVerdict, ...]:
        return tuple(v for v in self.verdicts if v.finished_good == finished_good)

    def worst(self, *, in_force_only: bool = False) -> Verdict:
        """The worst verdict over everything (BELOW if there is nothing)."""
        picked = [v.verdict for v in self.verdicts if not in_force_only or v.status.in_force]
        return max(picked, key=lambda v: v.rank, default=Verdict.BELOW)

    def __repr__(self) -> str:
        counts = {v: sum(1 for x in self.verdicts if x.verdict is v) for v in Verdict}
        return f"<Evaluation as of {self.as_of}: " + ", ".join(f"{n} {v.value}" for v, n in counts.items()) + ">"


def evaluate(
    trace: Trace,
    rules: RuleSet | None = None,
    *,
    as_of: dt.date | str | None = None,
    end_use: Iterable[str] = (),
    end_user: Iterable[str] = (),
    destination: str | None = None,
    overrides: Iterable[Override] = (),
    prices: PriceTable | None = None,
    policy: str = "conservative",
) -> Evaluation:
    """Evaluate ``rules`` (rarebom's shipped packs by default) against ``trace`` on ``as_of`` (today by default).

    ``end_use``, ``end_user`` and ``destination`` (ISO 3166-1 alpha-2) feed the licensing
    outlook of the rules that give one; their codes are listed in docs/rules.md.
    ``overrides`` come from :func:`~rarebom.rules.load_overrides`, ``prices`` from
    :func:`~rarebom.rules.load_prices`.

    ``policy`` is ``conservative`` (the default: the bounds decide, so unknown data can only
    make a verdict INDETERMINATE) or ``nominal`` (the declared nominal values decide, and
    the bounds are ignored: a faster answer that can be wrong where data are missing; every
    report says which policy was used).
    """
    if policy not in ("conservative", "nominal"):
        raise ValueError(f"policy {policy!r} is not conservative or nominal")
    rules = load_rules() if rules is None else rules
    day = as_date(as_of)
    context = _Context(trace, day, tuple(overrides), prices, nominal=policy == "nominal")
    findings = context.findings
    uses, users = frozenset(end_use), frozenset(end_user)
    known_uses = frozenset().union(*(p.outlook_codes[0] for p in rules.packs))
    known_users = frozenset().union(*(p.outlook_codes[1] for p in rules.packs))
    for code in sorted(uses - known_uses):
        findings.append(warning("unknown-end-use", f"end use {code!r} is not one the loaded packs know ({', '.join(sorted(known_uses)) or 'none'}); it changes no outlook"))
    for code in sorted(users - known_users):
        findings.append(warning("unknown-end-user", f"end user {code!r} is not one the loaded packs know ({', '.join(sorted(known_users)) or 'none'}); it changes no outlook"))
    dest = destination.strip().upper() if destination else None
    verdicts = []
    for fg in trace.finished_goods:
        below = context.below(fg)
        for rule in rules:
            verdicts.append(_for_finished_good(context, rule, fg, below, uses, users, dest))
        context.forget(fg)
    for o in context.overrides:
        if o.expires is not None and day > o.expires:
            findings.append(warning("override-expired", f"{o.where}: the override for {o.part} × {o.rule} expired on {o.expires} and was not applied"))
        elif o not in context.applied and o not in context.reported:
            if not any(matches(o.rule, rule_id) for rule_id in rules.known_ids):
                findings.append(warning("override-unused", f"{o.where}: the override for {o.part} × {o.rule} names no rule or pack that is loaded (check the rule id)"))
            elif any(matches(o.rule, rule.id) for rule in rules):
                findings.append(warning("override-unused", f"{o.where}: the override for {o.part} × {o.rule} matched no evaluated node (check the part id)"))
            # else: its rule was loaded but not selected for this run: nothing to say.
    return Evaluation(trace, rules, day, verdicts, findings, context.overrides, context.applied, prices, policy)


class _Context:
    def __init__(self, trace: Trace, as_of: dt.date, overrides: tuple[Override, ...], prices: PriceTable | None, *, nominal: bool = False):
        self.trace = trace
        self.nominal = nominal
        self.as_of = as_of
        self.overrides = overrides
        self.applied: list[Override] = []
        #: overrides already warned about while evaluating (no second, vaguer warning)
        self.reported: set[Override] = set()
        self.findings: list[Finding] = []
        self.cache: dict[tuple[str, str], NodeVerdict] = {}
        # Per-part facts every rule asks for again: computed once per evaluation.
        self._classes: dict[str, frozenset[str]] = {}
        #: each distinct set of item classes once (most parts have none: one empty set for all)
        self._class_sets: dict[frozenset[str], frozenset[str]] = {}
        self._below: dict[str, tuple[str, ...]] = {}
        self._coverage: dict[str, Any] = {}
        self._holders: dict[tuple[str, ...], dict[str, tuple[str, ...]]] = {}
        self._holding: dict[tuple[str, ...], tuple] = {}
        self._items: dict[frozenset[str], set[str]] = {}
        self._under: dict[tuple, list[str]] = {}
        #: (finished good, item classes, elements) -> the unclassified parts that hold them
        #: (their indices in the trace) and what they hold (see _for_finished_good)
        self.unclassified: dict[tuple, tuple[list[int], list[tuple[str, ...]]]] = {}
        self._by_class: dict[str, list[str]] | None = None
        #: (template, its other fields by name) -> the text around the label (see :meth:`around`)
        self._around: dict[tuple[str, ...], tuple[str, str]] = {}
        #: every form of the evaluation's missing data, once (see :class:`Gather`)
        self._forms: dict[tuple[str, str], tuple[tuple[str, str]]] = {}
        #: the trace's numbering of the parts, which the missing data keep (see :class:`Gather`)
        self._table = trace._numbering()
        self.prices = prices
        self.currency = trace.currency or (prices.currency if prices else None)
        self.price_rate: Fraction | None = None
        if prices is not None:
            if self.currency == prices.currency:
                self.price_rate = Fraction(1)
            elif prices.currency in trace.options.rates:
                self.price_rate = trace.options.rates[prices.currency]
            else:
                self.findings.append(
                    warning(
                        "price-currency",
                        f"price table {prices.name!r} is in {prices.currency} but values are reported in {self.currency}, and no exchange rate for "
                        f"{prices.currency} was given; its prices are not used",
                    )
                )

    def price(self, found: Price | None) -> Price | None:
        if found is None or self.price_rate is None:
            return None
        r = self.price_rate
        return Price(found.min * r, found.nominal * r, found.max * r, found.basis)

    def classes(self, part_id: str) -> frozenset[str]:
        found = self._classes.get(part_id)
        if found is None:
            found = self.trace.bom.part(part_id).item_classes()
            found = self._classes[part_id] = self._class_sets.setdefault(found, found)
        return found

    def below(self, part_id: str) -> tuple[str, ...]:
        found = self._below.get(part_id)
        if found is None:
            found = self._below[part_id] = self.trace.below(part_id)
        return found

    def coverage(self, part_id: str):
        found = self._coverage.get(part_id)
        if found is None:
            found = self._coverage[part_id] = self.trace.coverage(part_id)
        return found

    def holders(self, symbols: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
        """Every part whose own materials declare any of ``symbols``, with which (one pass per set)."""
        found = self._holders.get(symbols)
        if found is None:
            found = self._holders[symbols] = self.trace.holders(symbols, found=self.holding(symbols))
        return found

    def holding(self, symbols: tuple[str, ...]) -> tuple:
        """:meth:`Trace.holding` of ``symbols`` (one pass per set)."""
        found = self._holding.get(symbols)
        if found is None:
            found = self._holding[symbols] = self.trace.holding(symbols)
        return found

    def items(self, classes: frozenset[str]) -> set[str]:
        """Every part classified with any of ``classes`` (one pass per set)."""
        found = self._items.get(classes)
        if found is None:
            if self._by_class is None:  # one pass over the parts, for every set
                self._by_class = {}
                for part in self.trace.bom.parts:  # not kept per part: most parts have no class
                    if part.classifications:  # 3 % of the synthetic BOMs' parts: no empty frozenset for the rest
                        for c in part.item_classes():
                            self._by_class.setdefault(c, []).append(part.id)
            found = self._items[classes] = set().union(*(self._by_class.get(c, ()) for c in classes))
        return found

    def items_under(self, finished_good: str, classes: frozenset[str]) -> list[str]:
        """The parts under the finished good classified with any of ``classes``, children first
        (one pass over its parts per set: rules share class sets)."""
        return self._under_in(finished_good, ("items", classes), self.items(classes))

    def holders_under(self, finished_good: str, symbols: tuple[str, ...]) -> list[str]:
        """The parts under the finished good whose own materials declare any of ``symbols``, children first."""
        return self._under_in(finished_good, ("holders", symbols), self.holders(symbols), in_order=True)

    def _under_in(self, finished_good: str, key: tuple, parts, *, in_order: bool = False) -> list[str]:
        found = self._under.get((finished_good, key))
        if found is None:
            # in the order of below(finished_good), which is the trace's index order
            found = self._under[(finished_good, key)] = self.trace.within(finished_good, parts, in_order=in_order)
        return found

    def part_id(self, index: int) -> str:
        """The id of the part at ``index`` in the trace (as the missing data number them)."""
        return self._table[1][index]

    def gather(self) -> Gather:
        """A :class:`Missing` to build, whose forms are those of every other in the evaluation."""
        return Gather(self.trace.bom, self._forms, self._table)

    def around(self, template: str, fields: dict[str, str]) -> tuple[str, str]:
        """:func:`_around_label` of ``template`` and ``fields``, worked out once per evaluation."""
        key = (template, *fields.items())  # names too: fields given in another order never meet
        found = self._around.get(key)
        if found is None:
            found = self._around[key] = _around_label(template, fields)
        return found

    def said(self, missing: Gather, template: str, part_ids: Iterable[str], **fields: str) -> None:
        """``template`` said of each of ``part_ids`` (its label) and ``fields``, added to ``missing``."""
        missing.add(missing.form(*self.around(template, fields)), part_ids)

    def one(self, template: str, part_id: str, **fields: str) -> Missing:
        """``template`` said of the part and ``fields``: a node's one missing datum."""
        missing = self.gather()
        self.said(missing, template, (part_id,), **fields)
        return missing.done()

    def item_classes(self, missing: Gather, parts: list[int], helds: list[tuple[str, ...]], classes: str) -> None:
        """The item-class sentence of each unclassified part (its index in the trace) and
        what it holds, added to ``missing`` in order (a rule can find tens of thousands;
        their forms, one per distinct ``held``, are worked out once)."""
        forms = {held: missing.form(*self.around(_ITEM_CLASS, {"held": ", ".join(held), "classes": classes})) for held in dict.fromkeys(helds)}
        missing.numbered_pairs(list(map(forms.__getitem__, helds)), parts)

    def forget(self, finished_good: str) -> None:
        """Drop what only the finished good's own verdicts use (its parts, its coverage and
        its item lists), once they are written: one finished good's worth is kept at a time."""
        self._below.pop(finished_good, None)
        self._coverage.pop(finished_good, None)
        for key in [key for key in self._under if key[0] == finished_good]:
            del self._under[key]
        for key in [key for key in self.unclassified if key[0] == finished_good]:
            del self.unclassified[key]
        # The trace's part results: the next finished good asks for those of its own nodes
        # (a node shared with this one has its verdicts here already).
        self.trace._forget_results()

    def node(self, rule: Rule, part_id: str) -> NodeVerdict:
        key = (rule.id, part_id)
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = _node(self, rule, part_id)
        return found


# -- levels and scope ------------------------------------------------------------------


def _nodes_at_level(rule: Rule, context: _Context, below: tuple[str, ...], finished_good: str) -> list[str]:
    """The parts under the finished good the rule is evaluated at, children first."""
    if rule.level is Level.ITEM:
        return list(context.items_under(finished_good, rule.classes))
    if rule.level is Level.FINISHED_GOOD:
        return [finished_good]
    if rule.level is Level.ARTICLE:
        bom = context.trace.bom
        return [pid for pid in below if bom.part(pid).uom_kind is Kind.COUNT]
    return list(below)


def _for_finished_good(context: _Context, rule: Rule, fg: str, below: tuple[str, ...], uses, users, destination) -> RuleVerdict:
    trace = context.trace
    status = rule.status(context.as_of)
    nodes = [context.node(rule, pid) for pid in _nodes_at_level(rule, context, below, fg)]
    scope_notes = []
    for pid in context.items_under(fg, frozenset(e.value for e in rule.out_of_scope)) if rule.out_of_scope else ():
        classes = context.classes(pid)
        for excluded in rule.out_of_scope:
            if excluded.value in classes and not classes & rule.classes:
                scope_notes.append(f"{trace.bom.part(pid).label} is classified {excluded.value}: {excluded.note} [{excluded.confidence}]")
    verdict_overrides = [o for o in context.overrides if o.verdict is not None]
    if rule.level is Level.ITEM:
        # Rules with the same item classes and elements find the same unclassified parts:
        # found once per finished good.
        key = (fg, rule.classes, _symbols(rule))
        found = context.unclassified.get(key)
        if found is None:
            found = context.unclassified[key] = _unclassified(context, rule, fg, nodes)
        unclassified, held = found  # the parts' indices in the trace, and what each holds
    else:
        unclassified, held = [], []
    settled = set()
    for k, i in enumerate(unclassified) if verdict_overrides else ():
        # An override can settle an unclassified part: "this bearing is not a magnet".
        pid = context.part_id(i)
        said = [o for o in verdict_overrides if o.applies(rule.id, pid, context.as_of)]
        if said:
            settled.add(k)
            context.applied.extend(said)
            line = f"{pid} is not classified as {' or '.join(sorted(rule.classes))}; its verdict comes from an override"
            lines = (line, *(f"override: {o}" for o in said))
            nodes.append(NodeVerdict(rule.id, pid, said[-1].verdict, Verdict.INDETERMINATE, None, None, None, lines, NOTHING, overrides=tuple(said)))
    if settled:
        unclassified = [i for k, i in enumerate(unclassified) if k not in settled]
        held = [h for k, h in enumerate(held) if k not in settled]
    missing = NOTHING
    deciding = max(nodes, key=lambda n: (n.verdict.rank, _top(n.measured)), default=None)
    verdict = deciding.verdict if deciding else Verdict.BELOW
    if verdict is Verdict.ABOVE:
        reason = f"{deciding.part}: {deciding.test or deciding.arithmetic[0]}"
    elif verdict is Verdict.INDETERMINATE or unclassified:
        verdict = Verdict.INDETERMINATE
        undecided = [n for n in nodes if n.verdict is Verdict.INDETERMINATE]
        if len(undecided) == 1 and not unclassified:
            missing = undecided[0].missing  # each datum once already: the node's own (a finished good's)
        else:
            gathered = context.gather()
            for n in undecided:
                gathered.extend(n.missing)
            context.item_classes(gathered, unclassified, held, " or ".join(sorted(rule.classes)))
            missing = gathered.done()
        reason = f"{len(undecided)} node(s) cannot be decided" + (f"; {len(unclassified)} unclassified part(s) may be items" if unclassified else "")
        if deciding is not None and deciding.verdict is not Verdict.INDETERMINATE:
            deciding = None
    elif nodes:
        reason = f"all {len(nodes)} node(s) evaluated are below"
    else:
        what = f"no part under {fg} is classified as {' or '.join(sorted(rule.classes))}" if rule.level is Level.ITEM else f"no node under {fg} is at level {rule.level.value}"
        reason = what + (f", and no unclassified part holds {', '.join(_symbols(rule))}" if rule.level is Level.ITEM else "")
    outlook = rule.pack.outlook(uses, users, destination, context.as_of) if rule.outlook and verdict is not Verdict.BELOW else None
    path = trace.path(fg, deciding.part) if deciding is not None else ()
    return RuleVerdict(rule, fg, status, verdict, reason, deciding, path or (), tuple(nodes), missing, outlook, tuple(dict.fromkeys(scope_notes)))


def _top(measured: Bounds | None) -> float:
    return float(measured.max) if measured is not None else 0.0


def _symbols(rule: Rule) -> tuple[str, ...]:
    return rule.symbols or chemistry.RARE_EARTHS


def _unclassified(context: _Context, rule: Rule, finished_good: str, nodes: list[NodeVerdict]) -> tuple[list[int], list[tuple[str, ...]]]:
    """Parts that declare the rule's elements in their own materials but are neither items
    nor inside one (their indices in the trace), with what they hold."""
    # the holders under the finished good and under none of the nodes (their parts in one walk)
    return context.trace.holding_within(finished_good, context.holding(_symbols(rule)), outside=[n.part for n in nodes])


# -- one node ----------------------------------------------------------------------------


def _node(context: _Context, rule: Rule, part_id: str) -> NodeVerdict:
    applied = [o for o in context.overrides if o.applies(rule.id, part_id, context.as_of)]
    trace = context.trace
    # An origin override only means something to a rule that counts China-origin content.
    counts_origin = rule.origin == "china" and rule.basis in (Basis.PRESENCE, Basis.MASS_SHARE, Basis.VALUE_SHARE)
    applied = [o for o in applied if o.origin is None or counts_origin]
    for o in [o for o in applied if o.substance is not None]:
        if not trace.substance_elements(part_id, o.substance):
            applied.remove(o)
            if o not in context.reported:
                context.reported.add(o)
                message = f"{o.where}: substance {o.substance!r} is not among the own substances of {part_id}, so the override changes nothing"
                context.findings.append(warning("override-unused", message))
    moves = [o for o in applied if o.origin is not None]

    def getter(base: Callable[[str], PartResult], exact: bool) -> Callable[[str], PartResult]:
        if not moves:
            return base
        return lambda pid: _moved(trace, base(pid), moves, exact) if pid == part_id else base(pid)

    # Element overrides also speak for the input items that hold the element (value share).
    reassign = {o.element: o.origin for o in moves if o.element is not None}
    evaluate_with = _BASES[rule.basis]
    found = evaluate_with(context, rule, part_id, getter(trace.__getitem__, False), reassign)
    if found.measured is not None and not trace.options.exact and _near(rule, found.measured, context.nominal):
        # Floats decide nothing at the boundary: recompute this node exactly.
        found = attrs.evolve(evaluate_with(context, rule, part_id, getter(trace.exact, True), reassign), exact=True)
    elif found.measured is not None and trace.options.exact:
        found = attrs.evolve(found, exact=True)
    if found.verdict is Verdict.INDETERMINATE and not found.missing:
        # Every value is declared, but the declared ranges straddle the threshold.
        what = f"{', '.join(rule.symbols)} " if rule.symbols else ""
        found = attrs.evolve(found, missing=context.one(_NARROWER, part_id, what=what))
    if not applied and (found.verdict is Verdict.INDETERMINATE or not found.missing):
        return found  # what the evolve below would make of it, field for field (the usual case)
    verdict_overrides = [o for o in applied if o.verdict is not None]
    verdict = verdict_overrides[-1].verdict if verdict_overrides else found.verdict
    lines = found.arithmetic + tuple(f"override: {o}" for o in applied)
    context.applied.extend(applied)
    return attrs.evolve(found, verdict=verdict, arithmetic=lines, overrides=tuple(applied), missing=found.missing if verdict is Verdict.INDETERMINATE else NOTHING)


def _moved(trace: Trace, result: PartResult, moves: list[Override], exact: bool) -> PartResult:
    """The node's result with the overrides' origin classes applied; the BOM is not touched."""
    own = result.origin.origin  # the class of the node's own materials, seen from the node
    for o in moves:
        if o.element is not None:
            result = result.moved(o.element, result.element(o.element).total, o.origin)
            continue
        for symbol, (grams, whole) in trace.substance_elements(result.part, o.substance, exact=exact).items():
            result = result.moved(symbol, grams, o.origin, None if whole else own)
    return result


def _near(rule: Rule, measured: Bounds, nominal: bool) -> bool:
    t = rule.threshold_value
    if t is None:
        return False
    deciding = (measured.nominal,) if nominal else (measured.min, measured.max)
    ft = float(t)  # once, not per bound (every node of a share rule asks)
    # (a float is never a Fraction: the isinstance check, slow for an ABC, only for the rest)
    return any(x is not None and (type(x) is float or not isinstance(x, Fraction)) and x != math.inf and abs(x - ft) <= _NEAR * ft for x in deciding)


def _compare(share: Bounds, operator: str, threshold: Fraction, *, nominal: bool = False) -> Verdict:
    if nominal:
        # The nominal policy, on request only: the declared values decide, the bounds do not.
        if share.nominal is None:
            return Verdict.INDETERMINATE
        crosses = share.nominal >= threshold if operator == ">=" else share.nominal > threshold
        return Verdict.ABOVE if crosses else Verdict.BELOW
    if operator == ">=":
        if share.min >= threshold:
            return Verdict.ABOVE
        if share.max < threshold:
            return Verdict.BELOW
    else:
        if share.min > threshold:
            return Verdict.ABOVE
        if share.max <= threshold:
            return Verdict.BELOW
    return Verdict.INDETERMINATE


def _pct(x: Any) -> str:
    if x is None:
        return "?"
    if x == math.inf:
        return "∞"
    return f"{float(x) * 100:.4g} %"


def _share_text(b: Bounds) -> str:
    return _pct(b.min) if b.min == b.max else f"{_pct(b.nominal)} [{_pct(b.min)}, {_pct(b.max)}]"


def _origin_of(rule: Rule) -> OriginClass | None:
    return OriginClass.CHINA if rule.origin == "china" else None


def _content_missing(context: _Context, missing: Gather, rule: Rule, part_id: str, *, need_mass: bool) -> Gather:
    """What would settle a content-based verdict, added to ``missing``: origins, compositions
    and masses missing under the node."""
    coverage = context.coverage(part_id)
    symbols = _symbols(rule)
    if rule.origin == "china" and coverage.missing_origin:
        # Parts of unknown origin whose own materials hold the rule's elements (the holders
        # of the rule's elements: what :meth:`Trace.own_elements` finds, for every part at once).
        holds = context.holders(symbols)
        context.said(missing, _ORIGIN_CLAIMS, [pid for pid in coverage.missing_origin if pid in holds])
    if coverage.missing_composition:
        context.said(missing, _COMPOSITION, coverage.missing_composition, symbols=", ".join(symbols))
    if need_mass and coverage.missing_mass:
        context.said(missing, _MASS, coverage.missing_mass)
    return missing


def _presence(context: _Context, rule: Rule, part_id: str, get: Callable[[str], PartResult], reassign) -> NodeVerdict:
    result = get(part_id)
    origin = _origin_of(rule)
    mass = result.mass_of(rule.symbols, origin)
    what = f"{'China-origin ' if origin else ''}{'+'.join(rule.symbols)}"
    if context.nominal:
        verdict = Verdict.INDETERMINATE if mass.nominal is None else (Verdict.ABOVE if mass.nominal > 0 else Verdict.BELOW)
    elif mass.min > 0:
        verdict = Verdict.ABOVE
    elif mass.max == 0:
        verdict = Verdict.BELOW
    else:
        verdict = Verdict.INDETERMINATE
    line = f"{what} in one {part_id}: {mass} (present if the lower bound is above 0 g; absent if the upper bound is 0 g)"
    missing = _content_missing(context, context.gather(), rule, part_id, need_mass=False).done() if verdict is Verdict.INDETERMINATE else NOTHING
    return NodeVerdict(rule.id, part_id, verdict, verdict, mass, mass, None, (line,), missing, test=line)


def _mass_share(context: _Context, rule: Rule, part_id: str, get: Callable[[str], PartResult], reassign) -> NodeVerdict:
    result = get(part_id)
    origin = _origin_of(rule)
    mass = result.mass_of(rule.symbols, origin)
    share = ratio(mass, result.mass)
    verdict = _compare(share, rule.operator, rule.threshold_value, nominal=context.nominal)
    what = f"{'China-origin ' if origin else ''}{'+'.join(rule.symbols) if len(rule.symbols) <= 4 else 'rare earths'}"
    lines = (
        f"{what} in one {part_id}: {mass}",
        f"mass of one {part_id}: {result.mass}",
        f"mass share {_share_text(share)} against {rule.operator} {_pct(rule.threshold_value)}",
    )
    missing = _content_missing(context, context.gather(), rule, part_id, need_mass=True).done() if verdict is Verdict.INDETERMINATE else NOTHING
    return NodeVerdict(rule.id, part_id, verdict, verdict, share, mass, result.mass, lines, missing, test=lines[-1])


def _element_split(result: PartResult, symbol: str) -> tuple[Bounds, Any]:
    """Grams of the element known to be China-origin, and the most that is of unknown origin."""
    element = result.element(symbol)
    return element.by_origin[OriginClass.CHINA], element.by_origin[OriginClass.UNKNOWN].max


def _value_share(context: _Context, rule: Rule, part_id: str, get: Callable[[str], PartResult], reassign) -> NodeVerdict:
    trace = context.trace
    result = get(part_id)
    symbols = rule.symbols
    lines: list[str] = []
    missing = context.gather()
    estimated = False
    lo, nominal, hi = 0, 0, 0
    # Grams of each element inside the valued input items, by the class their content has at the node.
    held = {cls: {s: [0, 0, 0] for s in symbols} for cls in (OriginClass.CHINA, OriginClass.UNKNOWN)}

    # 1. Input items (Part 1 items) under the node, by their declared value.
    inputs = rule.input_classes.value if rule.input_classes else frozenset()
    node_class = result.origin.origin
    inherit = trace.options.policy.inherit
    if inputs:
        is_input = context.items(inputs).__contains__  # classified with any input class
        for pid, mult in trace.multipliers(part_id, is_input).items():
            item = get(pid)
            content = item.mass_of(symbols)
            if content.max == 0:
                continue
            own = item.origin.origin
            cls = own if own is not OriginClass.UNKNOWN else (node_class if inherit else OriginClass.UNKNOWN)
            overridden = [reassign[s] for s in symbols if s in reassign and item.element(s).total.max > 0]
            if overridden:
                cls = overridden[0]  # the override speaks for the element, and so for the input holding it
            if cls is OriginClass.NOT_CHINA:
                lines.append(f"input {pid} ×{_num(mult.nominal)}: not China origin ({item.origin.reason}); counts 0")
                continue
            value = item.value
            basis = "declared value"
            if value is None:
                value, how = _estimate_content(context, item, symbols)
                basis = how
                if value is None:
                    context.said(missing, _INPUT_VALUE, (pid,), symbols=", ".join(s for s in symbols if item.element(s).total.max > 0))
                    value = Bounds(0, None, math.inf)
                else:
                    estimated = True
            for s in symbols:
                total = item.element(s).total
                slot = held[cls][s]
                slot[0] += total.min * mult.min
                slot[1] = _add(slot[1], _mul(total.nominal, mult.nominal))
                slot[2] += total.max * mult.max
            if cls is OriginClass.CHINA:
                lo += value.min * mult.min
                nominal = _add(nominal, _mul(value.nominal, mult.nominal))
                lines.append(f"input {pid} ×{_num(mult.nominal)}: China origin, {basis} {value} {context.currency or ''} each")
            else:
                nominal = None
                lines.append(f"input {pid} ×{_num(mult.nominal)}: origin unknown, {basis} {value} {context.currency or ''} each: counts 0 at least, all of it at most")
            hi += value.max * mult.max

    # 2. The elements' content outside those input items, valued by the price table.
    top_price = 0
    elements = result.elements
    for s in symbols:
        inside = held[OriginClass.CHINA][s]
        if s not in elements and not inside[0] and not inside[2] and not held[OriginClass.UNKNOWN][s][0]:
            continue  # nothing of it at the node nor in its inputs: c_hi below is 0
        china, unknown_max = _element_split(result, s)
        c_lo = max(china.min - inside[2], 0)
        c_nom = None if china.nominal is None or inside[1] is None else max(china.nominal - inside[1], 0)
        c_hi = max(china.max - inside[0], 0) + max(unknown_max - held[OriginClass.UNKNOWN][s][0], 0)
        if c_hi == 0:
            continue
        price = context.price(context.prices.element(s)) if context.prices else None
        if price is None:
            context.said(missing, _PRICE, (part_id,), symbol=s)
            nominal = None
            hi = math.inf
            lines.append(f"{s}: {_g(c_lo)} to {_g(c_hi)} of China or unknown origin, no price for it")
            continue
        estimated = True
        top_price = max(top_price, price.max)
        lo += c_lo * price.min
        nominal = None if nominal is None or c_nom is None else nominal + c_nom * price.nominal
        hi += c_hi * price.max
        lines.append(f"{s}: {_g(c_lo)} to {_g(c_hi)} China origin (nominal {_g(c_nom)}) × {_num(price.nominal * 1000)} {context.currency}/kg ({price.basis}, estimated)")

    # 3. Content nobody declared could be any of the elements, and of China origin.
    china_or_unknown = (OriginClass.CHINA, OriginClass.UNKNOWN)
    # sum() of the terms, by _sum_step (they are mostly the Fraction zeros of content a part
    # does not hold, which ``fractions`` adds slowly).
    could = 0
    for o in china_or_unknown:
        x = _plus(result.undeclared.by_origin[o].max, result.unresolved.by_origin[o].max)
        could = _sum_step(could, x)
    if could > 0 and hi != math.inf:
        if not context.prices or not top_price:
            prices = [context.price(context.prices.element(s)) for s in symbols] if context.prices else []
            top_price = max((p.max for p in prices if p is not None), default=0)
        if top_price and len([s for s in symbols if context.prices and context.prices.element(s)]) == len(symbols):
            hi += could * top_price
            lines.append(f"undeclared or unresolved content, {_g(could)} at most, could be any of {', '.join(symbols)}: valued at the highest price at most")
        else:
            hi = math.inf
            context.said(missing, _UNDER, (part_id,), could=_g(could), symbols=", ".join(symbols))
    numerator = _make(lo, nominal, max(hi, lo), context.currency or "")

    # 4. The node's own value.
    denominator = result.value
    if denominator is None:
        price = context.price(context.prices.item(context.classes(part_id))) if context.prices else None
        if price is not None and result.mass.max != math.inf:
            m = result.mass
            denominator = Bounds(m.min * price.min, None if m.nominal is None else m.nominal * price.nominal, m.max * price.max, context.currency or "")
            estimated = True
            lines.append(f"value of one {part_id}: {denominator} (estimated: {_g(m.nominal)} × {price.basis} from the price table)")
        else:
            context.said(missing, _UNIT_VALUE, (part_id,))
            lines.append(f"value of one {part_id}: unknown")
    else:
        lines.append(f"value of one {part_id}: {denominator} ({result.value_basis})")

    lines.insert(0, f"China-origin {', '.join(symbols) if len(symbols) <= 7 else 'rare-earth'} content of one {part_id}, by value: {numerator}")
    if numerator.max == 0:
        share = Bounds(0, 0, 0)
    elif denominator is None:
        share = Bounds(0, None, 1)
    else:
        share = ratio(numerator, denominator)
    verdict = _compare(share, rule.operator, rule.threshold_value, nominal=context.nominal)
    test = f"value share {_share_text(share)} against {rule.operator} {_pct(rule.threshold_value)}" + (" (estimated)" if estimated else "")
    lines.append(test)
    if verdict is Verdict.INDETERMINATE:
        _content_missing(context, missing, rule, part_id, need_mass=False)
    if estimated and context.prices:
        lines.append(f"prices from {context.prices.label}")
    return NodeVerdict(rule.id, part_id, verdict, verdict, share, numerator, denominator, tuple(lines), missing.done(), estimated, test=test)


def _estimate_content(context: _Context, item: PartResult, symbols) -> tuple[Bounds | None, str]:
    """An input item's value from its rare-earth content and the price table, or None."""
    if not context.prices:
        return None, ""
    lo = nominal = hi = 0
    for s in symbols:
        total = item.element(s).total
        if total.max == 0:
            continue
        price = context.price(context.prices.element(s))
        if price is None or total.max == math.inf:
            return None, ""
        lo += total.min * price.min
        nominal = None if nominal is None or total.nominal is None else nominal + total.nominal * price.nominal
        hi += total.max * price.max
    return Bounds(lo, nominal, hi, context.currency or ""), "estimated value of its content"


def _technology(context: _Context, rule: Rule, part_id: str, get, reassign) -> NodeVerdict:
    part = context.trace.bom.part(part_id)
    flag = part.china_re_technology
    if flag is True:
        line = f"{part_id} was produced with China-origin rare-earth technology (declared)"
        return NodeVerdict(rule.id, part_id, Verdict.ABOVE, Verdict.ABOVE, None, None, None, (line,), NOTHING, test=line)
    if flag is False:
        line = f"{part_id} was produced without China-origin rare-earth technology (declared)"
        return NodeVerdict(rule.id, part_id, Verdict.BELOW, Verdict.BELOW, None, None, None, (line,), NOTHING)
    missing = context.one(_TECHNOLOGY, part_id)
    return NodeVerdict(
        rule.id, part_id, Verdict.INDETERMINATE, Verdict.INDETERMINATE, None, None, None, (f"{part_id}: use of China-origin rare-earth technology not declared",), missing
    )


def _item_origin(context: _Context, rule: Rule, part_id: str, get, reassign) -> NodeVerdict:
    decision = get(part_id).origin
    line = f"origin of {part_id}: {decision.origin.value} ({decision.reason})"
    if decision.origin is OriginClass.CHINA:
        verdict, missing = Verdict.ABOVE, NOTHING
    elif decision.origin is OriginClass.NOT_CHINA:
        verdict, missing = Verdict.BELOW, NOTHING
    else:
        verdict = Verdict.INDETERMINATE
        missing = context.one(_ITEM_ORIGIN_CLAIMS, part_id)
    return NodeVerdict(rule.id, part_id, verdict, verdict, None, None, None, (line,), missing, test=line)


def _origin_claims(context: _Context, rule: Rule, part_id: str, get, reassign) -> NodeVerdict:
    trace = context.trace
    stages = rule.stages_on(context.as_of)
    countries = rule.countries.value
    claims = [(pid, claim) for pid in context.below(part_id) for claim in trace.bom.part(pid).origins]
    hits = [(pid, c) for pid, c in claims if c.country in countries and c.stage.value in stages]
    lines = [f"stages that count on {context.as_of}: {', '.join(sorted(stages))}; covered countries: {', '.join(sorted(countries))}"]
    later = sorted({s for stage_set in rule.stages if stage_set.start > context.as_of for s in stage_set.stages} - stages)
    if later:
        starts = sorted({str(stage_set.start) for stage_set in rule.stages if stage_set.start > context.as_of})
        lines.append(f"from {', '.join(starts)} the rule also looks at: {', '.join(later)}")
    if hits:
        lines += [f"{pid}: {c.country} at {c.stage.value} ({c.source or 'no source given'})" for pid, c in hits]
        return NodeVerdict(rule.id, part_id, Verdict.ABOVE, Verdict.ABOVE, None, None, None, tuple(lines), NOTHING, test=lines[-1])
    claimed = {c.stage.value for _, c in claims}
    unclaimed = sorted(stages - claimed)
    if unclaimed:
        lines.append(f"no origin claim under {part_id} at: {', '.join(unclaimed)}")
        missing = context.gather()
        for s in unclaimed:
            context.said(missing, _STAGE_CLAIM, (part_id,), stage=s)
        missing = missing.done()
        return NodeVerdict(rule.id, part_id, Verdict.INDETERMINATE, Verdict.INDETERMINATE, None, None, None, tuple(lines), missing)
    lines.append(f"every stage that counts is claimed, none in a covered country ({len(claims)} claim(s))")
    return NodeVerdict(rule.id, part_id, Verdict.BELOW, Verdict.BELOW, None, None, None, tuple(lines), NOTHING)


_BASES = {
    Basis.PRESENCE: _presence,
    Basis.MASS_SHARE: _mass_share,
    Basis.VALUE_SHARE: _value_share,
    Basis.TECHNOLOGY: _technology,
    Basis.ITEM_ORIGIN: _item_origin,
    Basis.ORIGIN_CLAIMS: _origin_claims,
}


def _add(a, b):
    return None if a is None or b is None else a + b


def _mul(a, b):
    return None if a is None or b is None else a * b


def _num(x) -> str:
    return "?" if x is None else f"{float(x):.6g}"


def _g(x) -> str:
    if x is None:
        return "?"
    if x == math.inf:
        return "∞ g"
    return f"{float(x):.6g} g"
