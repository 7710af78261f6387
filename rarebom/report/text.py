"""Plain-text rendering of an evaluation and of rules, for a terminal or a log."""

from __future__ import annotations

import datetime as dt
import textwrap

from ..rules.evaluate import Evaluation, RuleVerdict
from ..rules.model import Rule, Verdict
from ..rules.packs import RuleSet

__all__ = ["rule_text", "rules_table", "verdicts_text"]

WIDTH = 100
_INDENT = " " * 9


def _wrap(text: str, first: str = _INDENT, rest: str = _INDENT) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False) or [first.rstrip()]


def _path(verdict: RuleVerdict) -> str:
    steps = []
    for n, step in enumerate(verdict.path):
        times = "" if n == 0 or step.multiplier == 1 else f" ×{float(step.multiplier):g}"
        steps.append(step.part + times)
    return " > ".join(steps)


def _verdict(v: RuleVerdict) -> list[str]:
    lines = [f"  {v.verdict.value.upper():<12} {v.rule.id}"]
    lines += _wrap(v.rule.label or v.rule.reading.value)
    lines += _wrap(f"status on {v.status.as_of}: {v.status.text}")
    if v.node is not None:
        if v.path:
            lines += _wrap(f"at {_path(v)}")
        for line in v.node.arithmetic:
            lines += _wrap(line, _INDENT + "| ", _INDENT + "|   ")
    else:
        lines += _wrap(v.reason)
    if v.verdict is Verdict.ABOVE:
        meaning = v.rule.consequence if v.status.in_force else f"if the rule were in force: {v.rule.consequence}"
        lines += _wrap(meaning)
    if v.outlook is not None:
        lines += _wrap(f"licensing outlook: {v.outlook}")
    if v.missing:
        lines += _wrap("missing data that would settle it:")
        for m in v.missing:
            lines += _wrap(m, _INDENT + "- ", _INDENT + "  ")
    for note in v.scope_notes:
        lines += _wrap(f"scope: {note}")
    return lines


def verdicts_text(evaluation: Evaluation) -> str:
    """Every finished good's verdicts, one block per rule, 100 columns wide."""
    trace = evaluation.trace
    out: list[str] = []
    for fg in trace.finished_goods:
        part = trace.bom.part(fg)
        out.append(f"{part.label} as of {evaluation.as_of}")
        out.append("=" * min(WIDTH, len(out[-1])))
        for v in evaluation.for_finished_good(fg):
            out += _verdict(v)
            out.append("")
    if evaluation.prices is not None:
        out += _wrap(f"Estimated figures use the price table {evaluation.prices.label}.", "", "")
    if evaluation.overrides_applied:
        out.append("Overrides applied:")
        for o in evaluation.overrides_applied:
            out += _wrap(str(o), "  - ", "    ")
    return "\n".join(out).rstrip() + "\n"


def rules_table(rules: RuleSet, as_of: dt.date) -> str:
    """One line per rule: id, status on ``as_of``, basis, level and reading."""
    rows = [("RULE", "STATUS", "BASIS", "LEVEL", "READING")]
    for rule in rules:
        rows.append((rule.id, rule.status(as_of).status.value, rule.basis.value, rule.level.value, rule.reading.value))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines) + f"\n\nStatus as of {as_of}. `rarebom rules show ID` explains a rule and its sources.\n"


def rule_text(rule: Rule, as_of: dt.date) -> str:
    """A rule in full: what it says, its facts with confidence marks, status and sources."""
    pack = rule.pack
    out = [f"{rule.id}: {rule.title}", ""]
    out += _wrap(rule.summary, "", "")
    out.append("")
    out += _wrap(f"Instrument: {pack.instrument}, {pack.authority}; issued {pack.issued.value} [{pack.issued.confidence}]", "", "  ")
    out += _wrap(f"Reading: {rule.reading.value}" + (f" ({rule.label})" if rule.label else ""), "", "  ")
    out.append(f"Basis: {rule.basis.value}; evaluated at: {rule.level.value}")
    if rule.elements:
        out.append(f"Elements: {', '.join(rule.elements.value)} [{rule.elements.confidence}]")
    if rule.item_classes:
        out += _wrap(f"Item classes: {', '.join(sorted(rule.item_classes.value))} [{rule.item_classes.confidence}]", "", "  ")
    if rule.input_classes:
        out += _wrap(f"Input items valued: {', '.join(sorted(rule.input_classes.value))} [{rule.input_classes.confidence}]", "", "  ")
    if rule.threshold:
        out.append(f"Threshold: {rule.operator} {float(rule.threshold.value) * 100:g} % [{rule.threshold.confidence}]")
    if rule.countries:
        out.append(f"Countries: {', '.join(sorted(rule.countries.value))} [{rule.countries.confidence}]")
    for stage_set in rule.stages:
        out.append(f"Stages from {stage_set.start}: {', '.join(sorted(stage_set.stages))} [{stage_set.confidence}]")
    out.append("")
    out.append(f"Status on {as_of}: {rule.status(as_of).text}")
    out.append("Status windows:")
    for w in rule.windows:
        span = f"{w.start} to {w.end}" if w.end else f"from {w.start}"
        out += _wrap(f"{span}: {w.status.value}" + (f" by {w.by}" if w.by else "") + f" [{w.confidence}]" + (f"; {w.note}" if w.note else ""), "  - ", "    ")
    for o in rule.out_of_scope:
        out += _wrap(f"Out of scope: {o.value}: {o.note} [{o.confidence}]", "", "  ")
    if rule.notes:
        out.append("Notes:")
        for n in rule.notes:
            out += _wrap(f"[{n.confidence}] {n.value}", "  - ", "    ")
    out.append("Sources:")
    cited = {s.key: s for s in pack.sources}
    for s in cited.values():
        out += _wrap(f"{s.key}: {s.title}", "  - ", "    ")
        out.append(f"    {s.url}")  # never wrapped: a broken URL cannot be copied
    out.append(f"Pack data as of {pack.data_as_of}" + (f"; verify at {pack.verify_url}" if pack.verify_url else "") + f" ({pack.path})")
    return "\n".join(out) + "\n"
