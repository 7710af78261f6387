"""Plain-text rendering of a report (see :mod:`rarebom.report.data`) and of rules, for a terminal or a log."""

from __future__ import annotations

import datetime as dt
import textwrap

from ..rules.model import Rule
from ..rules.packs import RuleSet
from ._format import COVERAGE_GAPS, FULL_LISTS, bounds_text, mass_text, more_text, neutral

__all__ = ["render_text", "rule_text", "rules_table"]

WIDTH = 100
_INDENT = " " * 9
_COLOURS = {"above": "\x1b[1;31m", "indeterminate": "\x1b[1;33m", "below": "\x1b[32m", "unverified": "\x1b[1;35m"}
_RESET = "\x1b[0m"


#: What textwrap turns into spaces: a line holding none of it, and no whitespace at its ends
#: (where textwrap drops it), is printed as it is when it fits.
_TEXTWRAP_SPACE = frozenset("\t\n\x0b\x0c\r\x00")  # and NUL, the glue below


def _wrap(text: str, first: str = _INDENT, rest: str = _INDENT) -> list[str]:
    # A line that fits needs no wrapping: textwrap would return it unchanged, only slower
    # (a report has a line per missing datum, so thousands with the full lists).
    if text and len(first) + len(text) <= WIDTH and not text[0].isspace() and not text[-1].isspace() and _TEXTWRAP_SPACE.isdisjoint(text):
        return [first + text]
    # Keep "0.1 %" and "45.7 kg" on one line: a unit never starts a line.
    glued = text.replace(" %", "\x00%")
    lines = textwrap.wrap(glued, WIDTH, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False) or [first.rstrip()]
    return [line.replace("\x00", " ") for line in lines]


class _Writer:
    def __init__(self, colour: bool):
        self.lines: list[str] = []
        self.colour = colour

    def paint(self, text: str, key: str) -> str:
        return f"{_COLOURS[key]}{text}{_RESET}" if self.colour and key in _COLOURS else text

    def wrap(self, text: str, first: str = _INDENT, rest: str = _INDENT) -> None:
        self.lines += _wrap(neutral(text), first, rest)

    def heading(self, text: str, rule: str = "-") -> None:
        text = neutral(text)
        self.lines += ["", text, rule * min(WIDTH, len(text))]


def _path_text(path: list[dict]) -> str:
    steps = []
    for n, step in enumerate(path):
        times = "" if n == 0 or step["multiplier"] == 1 else f" ×{step['multiplier']:g}"
        steps.append(step["part"] + times)
    return " > ".join(steps)


def _verdict(w: _Writer, v: dict, as_of: str, verbose: bool) -> None:
    word = v["verdict"].upper()
    w.lines.append(f"  {w.paint(f'{word:<13}', v['verdict'])} {neutral(v['rule'])}")
    w.wrap(v["label"])
    status = _wrap(neutral(f"status on {as_of}: {v['status_text']}"))
    w.lines += [w.paint(line, "unverified") for line in status] if v["status"] == "unverified" else status
    if v["path"]:
        w.wrap(f"at {_path_text(v['path'])}")
    if v["source"]:
        w.wrap(f"declared in {neutral(v['source'])}")
    # The deciding line, or with -v the whole arithmetic.
    lines = v["arithmetic"] if verbose else [v["reason"].split(": ", 1)[-1]] + [a for a in v["arithmetic"] if a.startswith("override:")]
    for line in lines:
        w.wrap(line, _INDENT + "| ", _INDENT + "|   ")
    if v["verdict"] == "above":
        w.wrap(v["consequence"] if v["in_force"] else f"if the rule were in force: {v['consequence']}")
    if v["outlook"] is not None:
        w.wrap(f"licensing outlook: {v['outlook']['text']}")
    missing = v["missing"]
    if missing["count"]:
        shown = missing["items"]
        w.wrap(f"missing data that would settle it (the first {len(shown)} of {missing['count']:,}):" if missing["truncated"] else "missing data that would settle it:")
        for m in shown:
            w.wrap(m, _INDENT + "- ", _INDENT + "  ")
        if missing["truncated"]:
            w.wrap(f"{more_text(missing, len(shown))} ({FULL_LISTS})", _INDENT + "- ", _INDENT + "  ")
    for note in v["scope_notes"]:
        w.wrap(f"scope: {note}")


def _table(rows: list[tuple[str, ...]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]


def _product(w: _Writer, p: dict, as_of: str, verbose: bool) -> None:
    title = neutral(f"{p['finished_good']}" + (f" ({p['name']})" if p["name"] else ""))
    w.lines += [title, "=" * min(WIDTH, len(title))]
    w.wrap(f"{p['file']}: {p['parts']:,} parts, {p['rules']} rule{'' if p['rules'] == 1 else 's'}, as of {as_of}", "", "")
    w.wrap(f"mass {bounds_text(p['mass'])} ({p['mass_basis']}); value {bounds_text(p['value'])}", "", "")
    w.heading("Verdicts")
    for v in p["verdicts"]:
        _verdict(w, v, as_of, verbose)
        w.lines.append("")
    w.heading("Rare earths in one unit, and mass of unknown composition")
    if p["elements"]:
        rows = [("element", "min", "nominal", "max", "| China", "not China", "unknown origin")]
        for e in p["elements"]:
            t = e["total"]
            by_origin = (mass_text(e[o]["nominal"]) for o in ("china", "not-china", "unknown"))
            rows.append((e["symbol"], mass_text(t["min"]), mass_text(t["nominal"]), mass_text(t["max"]), "| " + next(by_origin), *by_origin))
        w.lines += _table(rows)
        w.lines.append("  (min, nominal and max of the total; the split by origin class is nominal)")
    else:
        w.lines.append("  none declared")
    share = p["china_share"]
    by_value = f"{bounds_text(share['value'])} of the value" if share["value"] else "no value share (no value-share rule evaluated it)"
    w.wrap(f"China-origin rare earths: {bounds_text(share['mass'])} of the mass; {by_value}", "  ", "  ")
    cov = p["coverage"]
    w.heading("Coverage")
    declared, known = bounds_text(cov["composition_declared"]), bounds_text(cov["origin_known"])
    w.wrap(f"composition declared for {declared} of the mass; origin known for {known} of the rare-earth mass", "  ", "  ")
    for key, what in COVERAGE_GAPS.items():
        if cov[key]["count"]:
            shown = cov[key]["items"][:8]  # a terminal gets the first 8; the count is the whole list's
            more = more_text(cov[key], len(shown))
            w.wrap(f"{what}: {', '.join(shown)}" + (f" {more}" if more else ""), "  - ", "    ")
    if any(cov[key]["truncated"] for key in COVERAGE_GAPS):
        w.wrap("(every part of these lists: rarebom trace -o json --full-lists)", "  ", "  ")
    if p["contributors"]:
        w.heading("Top contributors")
        for n, c in enumerate(p["contributors"], 1):
            times = f", ×{c['multiplier']:g} in all" if c["multiplier"] is not None else ""
            w.wrap(f"{n}. {c['part']}: {c['symbol']} {bounds_text(c['mass'])}, {c['origin']}{times} ({c['path_count']} path{'s' if c['path_count'] != 1 else ''})", "  ", "     ")
            for path in c["paths"]:
                w.wrap(path, "     ", "       ")


def render_text(data: dict, *, colour: bool = False, verbose: bool = False) -> str:
    """The report for a terminal, 100 columns wide. ``colour`` adds ANSI colours (the CLI
    asks for them only on a TTY, and never with NO_COLOR); ``verbose`` shows every line
    of arithmetic, not just the deciding one."""
    w = _Writer(colour)
    if data["policy"] == "nominal":
        w.wrap(
            "POLICY NOMINAL: these verdicts compare the declared nominal values with the thresholds and ignore the bounds, "
            "so missing data cannot make them indeterminate. A BELOW here is not a clearance.",
            "",
            "",
        )
        w.lines.append("")
    for n, product in enumerate(data["products"]):
        if n:
            w.lines += ["", ""]
        _product(w, product, data["as_of"], verbose)
    if len(data["summary"]) > 1:
        w.heading("Summary", "=")
        rows = [("file", "finished good", "worst", "above", "indeterminate", "below")]
        rows += [(neutral(s["file"]), neutral(s["finished_good"]), s["worst"].upper(), str(s["above"]), str(s["indeterminate"]), str(s["below"])) for s in data["summary"]]
        w.lines += _table(rows)
    w.lines.append("")
    if data["price_table"]:
        t = data["price_table"]
        w.wrap(f"Estimated figures use the price table {t['name']} ({t['date']}; {t['source']}).", "", "")
    if data["overrides_applied"]:
        w.lines.append("Overrides applied:")
        for o in data["overrides_applied"]:
            w.wrap(o, "  - ", "    ")
    return "\n".join(w.lines).strip("\n") + "\n"


def rules_table(rules: RuleSet, as_of: dt.date) -> str:
    """One line per rule: id, status on ``as_of``, basis, level and reading."""
    rows = [("RULE", "STATUS", "BASIS", "LEVEL", "READING")]
    for rule in rules:
        rows.append((rule.id, rule.status(as_of).status.value, rule.basis.value, rule.level.value, rule.reading.value))
    return "\n".join(_table(rows, indent="")) + f"\n\nStatus as of {as_of}. `rarebom rules show ID` explains a rule and its sources.\n"


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
