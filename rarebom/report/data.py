"""The report as data: one plain, versioned structure that every renderer draws from.

:func:`report_data` turns evaluations into dicts, lists, strings and numbers only, in
the shape ``schemas/rarebom-report-2.schema.json`` describes. The JSON report is this
structure as it is; the text, Markdown and HTML reports render it. So every format says
the same thing, and no renderer computes a number of its own.

Numbers are floats in grams (masses), ratios (shares) or the report's currency. A bound
nobody knows is the string ``"unbounded"``; a nominal nobody knows is ``null``.

The lists that grow with the BOM (a verdict's ``missing`` data and ``nodes``, a finished
good's coverage lists) are repeated for every rule and finished good. So each is written
as ``{"count": n, "items": [...], "truncated": bool}``: the first ``limit`` items
(:data:`LIST_LIMIT` by default) and how many there are in all; ``nodes`` also counts its
nodes by verdict. ``limit=None`` writes every item: the items are then exactly the lists
the evaluation holds.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from .. import __version__, chemistry
from ..engine.policy import ORIGIN_CLASSES, OriginClass
from ..engine.results import Bounds
from ..errors import Finding
from ..rules.evaluate import Evaluation, RuleVerdict
from ..rules.model import CONFIDENCE_WORDS, Basis, Level, Rule, Verdict

__all__ = ["LIST_LIMIT", "REPORT_FORMAT", "Input", "assemble", "input_report", "report_data"]

REPORT_FORMAT = "rarebom-report/2"

#: How many items of each list that grows with the BOM a report holds unless asked for all
#: of them (``limit=None``, ``rarebom trace --full-lists``). The count is always the whole list's.
LIST_LIMIT = 20

#: How many contributors and chart nodes a report shows per finished good.
TOP_CONTRIBUTORS = 5
CHART_NODES = 60


@attrs.frozen
class Input:
    """One input file and its evaluation."""

    file: str
    format: str
    evaluation: Evaluation
    findings: tuple[Finding, ...] = ()


def _number(x: Any) -> float | str | None:
    if x is None:
        return None
    if x == math.inf:
        return "unbounded"
    return float(x)


def bounds(b: Bounds | None) -> dict | None:
    if b is None:
        return None
    # A maximum nobody knows (a NaN, which Bounds stores as None, e.g. a share of unbounded
    # over unbounded) is "unbounded": the schema has no null maximum.
    return {"min": _number(b.min), "nominal": _number(b.nominal), "max": "unbounded" if b.max is None else _number(b.max), "unit": b.unit}


def finding(f: Finding) -> dict:
    location = f.location
    return {
        "severity": f.severity.value,
        "code": f.code,
        "message": f.message,
        "file": location.file if location else None,
        "line": location.line if location else None,
        "pointer": location.pointer if location else None,
        "parts": list(f.parts),
    }


def bounded(items: Sequence, limit: int | None) -> dict:
    """The first ``limit`` of ``items`` (all of them if ``limit`` is None), with the count of
    all and whether some were left out: a partial list never passes for a whole one."""
    count = len(items)
    shown = list(items) if limit is None or count <= limit else list(items[:limit])
    return {"count": count, "items": shown, "truncated": len(shown) < count}


def _sources(rule: Rule) -> list[dict]:
    return [{"key": s.key, "url": s.url, "title": s.title} for s in rule.pack.sources]


def rule_data(rule: Rule, as_of: dt.date) -> dict:
    status = rule.status(as_of)
    return {
        "id": rule.id,
        "title": rule.title,
        "pack": rule.pack.id,
        "instrument": rule.pack.instrument,
        "authority": rule.pack.authority,
        "reading": rule.reading.value,
        "label": rule.label or rule.reading.value,
        "level": rule.level.value,
        "basis": rule.basis.value,
        "elements": list(rule.symbols),
        "item_classes": sorted(rule.classes),
        "threshold": None if rule.threshold is None else {"operator": rule.operator, "value": float(rule.threshold.value), "confidence": rule.threshold.confidence},
        "status": status.status.value,
        "status_text": status.text,
        "data_as_of": rule.pack.data_as_of.isoformat(),
        "verify_url": rule.pack.verify_url,
        "consequence": rule.consequence,
        "notes": [{"confidence": n.confidence, "confidence_words": CONFIDENCE_WORDS[n.confidence], "note": n.value} for n in rule.notes],
        "sources": _sources(rule),
    }


def _source(bom, part_id: str | None) -> str | None:
    """Where a part came from in the declaration it was imported from, for citing."""
    if part_id is None or part_id not in bom:
        return None
    provenance = bom.part(part_id).provenance
    return None if provenance is None else str(provenance)


def _verdict(v: RuleVerdict, bom, limit: int | None) -> dict:
    node = v.node
    return {
        "rule": v.rule.id,
        "label": v.rule.label or v.rule.reading.value,
        "reading": v.rule.reading.value,
        "verdict": v.verdict.value,
        "status": v.status.status.value,
        "status_text": v.status.text,
        "in_force": v.status.in_force,
        "headline": v.headline,
        "reason": v.reason,
        "consequence": v.rule.consequence if v.verdict is Verdict.ABOVE else None,
        "node": None if node is None else node.part,
        "source": None if node is None else _source(bom, node.part),
        "path": [{"part": s.part, "multiplier": float(s.multiplier)} for s in v.path],
        "measured": None if node is None else bounds(node.measured),
        "numerator": None if node is None else bounds(node.numerator),
        "denominator": None if node is None else bounds(node.denominator),
        "threshold": None if v.rule.threshold is None else {"operator": v.rule.operator, "value": float(v.rule.threshold.value)},
        "estimated": bool(node and node.estimated),
        "exact": bool(node and node.exact),
        "arithmetic": [] if node is None else list(node.arithmetic),
        "missing": bounded(v.missing, limit),
        "outlook": None if v.outlook is None else {"result": v.outlook.result, "text": str(v.outlook)},
        "scope_notes": list(v.scope_notes),
        "overrides": [] if node is None else [str(o) for o in node.overrides],
        "nodes": _nodes(v, limit),
    }


def _nodes(v: RuleVerdict, limit: int | None) -> dict:
    """The verdict's nodes, bounded like every growing list, with how many are above,
    indeterminate and below: a node left out of the items is still counted by its verdict."""
    listed = bounded(v.nodes, limit)
    by_verdict = {verdict.value: 0 for verdict in (Verdict.ABOVE, Verdict.INDETERMINATE, Verdict.BELOW)}
    for n in v.nodes:
        by_verdict[n.verdict.value] += 1
    items = [{"part": n.part, "verdict": n.verdict.value, "computed": n.computed.value} for n in listed["items"]]
    return {"count": listed["count"], **by_verdict, "items": items, "truncated": listed["truncated"]}


def _elements(result) -> list[dict]:
    rows = []
    for symbol in (*chemistry.RARE_EARTHS, "undeclared", "unresolved"):
        if symbol == "undeclared":
            element = result.undeclared
        elif symbol == "unresolved":
            element = result.unresolved
        else:
            element = result.elements.get(symbol)
        if element is None or element.total.is_zero:
            continue
        row = {"symbol": symbol, "total": bounds(element.total)}
        for origin in ORIGIN_CLASSES:
            row[origin.value] = bounds(element.by_origin[origin])
        rows.append(row)
    return rows


def _contributors(evaluation: Evaluation, fg: str) -> list[dict]:
    found = evaluation.trace.contributors(fg, chemistry.RARE_EARTHS, limit=TOP_CONTRIBUTORS, max_paths=3)
    return [
        {
            "part": c.part,
            "symbol": c.symbol,
            "origin": c.origin.value,
            "mass": bounds(c.mass),
            "multiplier": float(c.multiplier.nominal) if c.multiplier.nominal is not None else None,
            "paths": [c.path_text(p) for p in c.paths],
            "path_count": c.path_count,
            "source": _source(evaluation.trace.bom, c.part),
        }
        for c in found
    ]


def _chart(evaluation: Evaluation, fg: str) -> dict:
    """Where the rare-earth mass sits: the finished good's tree of parts, unfolded along
    paths, with each node's rare-earth grams by origin class (nominal; the largest first).

    A shared sub-assembly appears once per path. Parts holding less than 0.5 % of the
    finished good's rare earths are left out, and the tree stops at CHART_NODES nodes.
    """
    trace = evaluation.trace
    symbols = chemistry.RARE_EARTHS

    @functools.cache
    def grams(pid: str) -> dict[str, float]:  # each part's split once, however often it is met
        return {o.value: grams for o, grams in trace.nominal_by_origin(pid, symbols).items()}

    top = grams(fg)
    total = sum(top.values())
    floor = total * 0.005

    if total <= 0:
        return {"part": fg, "name": trace.bom.part(fg).name, "grams": top, "children": []}
    return _chart_node(trace, grams, floor, [CHART_NODES], fg, 1.0, 0)


def _chart_node(trace, grams: Callable[[str], dict[str, float]], floor: float, budget: list[int], pid: str, multiplier: float, depth: int) -> dict:
    """One node of :func:`_chart` and the nodes below it.

    A module function rather than a closure in ``_chart``: a closure that calls itself is a
    reference cycle, which would keep the whole trace alive until the garbage collector
    next runs (and ``rarebom trace`` pauses the collector).
    """
    part = trace.bom.part(pid)
    split = {k: v * multiplier for k, v in grams(pid).items()}  # a new dict: the cached one is shared
    budget[0] -= 1
    children = []
    if depth < 12:
        kids = []
        for use in part.uses:
            q = use.quantity.value if use.quantity.value is not None else use.quantity.max
            q = float(q) if q is not None else 0.0
            child = trace.bom.part(use.child)
            scale = q / float(child.uom_size)
            mass = sum(grams(use.child).values()) * scale * multiplier
            if mass > floor:
                kids.append((mass, use.child, scale * multiplier))
        for _, child_id, child_multiplier in sorted(kids, key=lambda k: (-k[0], k[1])):
            if budget[0] <= 0:
                break
            children.append(_chart_node(trace, grams, floor, budget, child_id, child_multiplier, depth + 1))
    return {"part": pid, "name": part.name, "grams": split, "children": children}


def _product(item: Input, fg: str, limit: int | None) -> dict:
    evaluation = item.evaluation
    trace = evaluation.trace
    result = trace[fg]
    coverage = trace.coverage(fg)
    verdicts = evaluation.for_finished_good(fg)
    # The value share is whatever a whole-product, China-origin value-share rule measured;
    # the reporter computes no value of its own.
    value_share = next(
        (v.node.measured for v in verdicts if v.rule.basis is Basis.VALUE_SHARE and v.rule.level is Level.FINISHED_GOOD and v.node is not None and v.node.part == fg),
        None,
    )
    return {
        "file": item.file,
        "parts": len(trace),
        "rules": len(evaluation.rules),
        "finished_good": fg,
        "name": trace.bom.part(fg).name,
        "mass": bounds(result.mass),
        "mass_basis": result.mass_basis,
        "value": bounds(result.value),
        "currency": result.currency,
        "origin": result.origin.origin.value,
        "elements": _elements(result),
        "china_share": {
            "mass": bounds(result.share(chemistry.RARE_EARTHS, OriginClass.CHINA)),
            "value": bounds(value_share),
        },
        "coverage": {
            "composition_declared": bounds(coverage.composition_declared),
            "origin_known": bounds(coverage.origin_known),
            "complete": coverage.complete,
            "missing_mass": bounded(coverage.missing_mass, limit),
            "missing_composition": bounded(coverage.missing_composition, limit),
            "missing_value": bounded(coverage.missing_value, limit),
            "missing_origin": bounded(coverage.missing_origin, limit),
            "typical_composition": bounded(coverage.typical_composition, limit),
        },
        "verdicts": [_verdict(v, trace.bom, limit) for v in verdicts],
        "worst": max((v.verdict for v in verdicts), key=lambda v: v.rank, default=Verdict.BELOW).value,
        "contributors": _contributors(evaluation, fg),
        "derivation": list(trace.derivation(fg).lines),
        "chart": _chart(evaluation, fg),
    }


def _digest(path: str) -> str | None:
    """The file's SHA-256, read a chunk at a time: a 1M-part BOM is 414 MB, and read whole
    it was the peak of the run's memory."""
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return None


def _limit(limit: int | None) -> int | None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be a whole number of items, 0 or more, or None for all of them; got {limit!r}")
    return limit


def input_report(item: Input, *, limit: int | None = LIST_LIMIT) -> dict:
    """One evaluated file's share of the report: plain data, and its findings as
    :class:`Finding` objects (deduplicated across files only when the report is assembled).
    ``limit`` bounds each list that grows with the BOM (see the module docstring).

    It is small and cheap to pickle (an Evaluation is neither), so files evaluated in other
    processes make the same report: ``assemble([input_report(i) for i in inputs])`` is
    ``report_data(inputs)``.
    """
    limit = _limit(limit)
    evaluation = item.evaluation
    prices = evaluation.prices
    return {
        "as_of": evaluation.as_of.isoformat(),
        "policy": evaluation.policy,
        "rules": [rule_data(rule, evaluation.as_of) for rule in evaluation.rules],
        "price_table": None if prices is None else {"name": prices.name, "date": prices.date.isoformat(), "source": prices.source, "currency": prices.currency},
        "products": [_product(item, fg, limit) for fg in evaluation.trace.finished_goods],
        "overrides_applied": [str(o) for o in evaluation.overrides_applied],
        "findings": [*item.findings, *evaluation.trace.findings, *evaluation.findings],
        "input": {"file": item.file, "format": item.format, "parts": len(evaluation.trace), "sha256": _digest(item.file)},
    }


def assemble(parts: Sequence[dict], *, generated: dt.datetime | None = None) -> dict:
    """The whole report from :func:`input_report` parts, in input order. The first part
    gives the date, policy, rules and price table: one run evaluates every file with the same."""
    if not parts:
        raise ValueError("a report needs at least one evaluated file")
    first = parts[0]
    products = [p for part in parts for p in part["products"]]
    return {
        "format": REPORT_FORMAT,
        "rarebom_version": __version__,
        "generated": (generated or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        "as_of": first["as_of"],
        "policy": first["policy"],
        "inputs": [part["input"] for part in parts],
        "rules": first["rules"],
        "price_table": first["price_table"],
        "overrides_applied": list(dict.fromkeys(o for part in parts for o in part["overrides_applied"])),
        "summary": [
            {
                "file": p["file"],
                "finished_good": p["finished_good"],
                "worst": p["worst"],
                "above": sum(1 for v in p["verdicts"] if v["verdict"] == "above"),
                "indeterminate": sum(1 for v in p["verdicts"] if v["verdict"] == "indeterminate"),
                "below": sum(1 for v in p["verdicts"] if v["verdict"] == "below"),
            }
            for p in products
        ],
        "products": products,
        "findings": [finding(f) for f in _unique(f for part in parts for f in part["findings"])],
    }


def report_data(inputs: Sequence[Input], *, generated: dt.datetime | None = None, limit: int | None = LIST_LIMIT) -> dict:
    """The whole report for one or more evaluated files, as plain data (see the module
    docstring). Each list that grows with the BOM holds its first ``limit`` items and its
    count; ``limit=None`` holds every item."""
    if not inputs:
        raise ValueError("a report needs at least one evaluated file")
    return assemble([input_report(item, limit=limit) for item in inputs], generated=generated)


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))
