"""Markdown rendering of a report: the text report's content, ready for a ticket or an audit file."""

from __future__ import annotations

import re

from ._format import COVERAGE_GAPS, FULL_LISTS, bounds_text, more_text, neutral

__all__ = ["render_markdown"]


def _cell(text: object) -> str:
    """Text safe inside a table cell: no control characters, no pipes, no line breaks."""
    return neutral(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _text_cell(text: object) -> str:
    """Text from an input file or a pack in a table cell: no HTML tag, code span or link can start."""
    out = _cell(text)
    for char in "<`[":
        out = out.replace(char, "\\" + char)
    return out


def _code(text: object) -> str:
    """A code span holding ``text`` as a table cell does: its fence is longer than any run of
    backticks inside it (CommonMark), so a backtick from an input file cannot end the span
    and let markup after it act."""
    out = _cell(text)
    fence = "`" * (max((len(run) for run in re.findall("`+", out)), default=0) + 1)
    pad = " " if out.startswith("`") or out.endswith("`") else ""
    return f"{fence}{pad}{out}{pad}{fence}"


def _inline(text: object) -> str:
    """Text safe in a paragraph or list item: Markdown and HTML characters shown, not acted on."""
    out = neutral(text)
    for char in "\\`*_[]<>#|":
        out = out.replace(char, "\\" + char)
    return out


def _path(path: list[dict]) -> str:
    return " › ".join(s["part"] + ("" if n == 0 or s["multiplier"] == 1 else f" ×{s['multiplier']:g}") for n, s in enumerate(path))


def _verdict(v: dict, verbose: bool) -> list[str]:
    out = [f"#### {v['verdict'].upper()}: {_code(v['rule'])}", ""]
    out.append(f"- Reading: {_inline(v['label'])}")
    status = _inline(v["status_text"])
    out.append(f"- Status on the date: **{status}**" if v["status"] == "unverified" else f"- Status on the date: {status}")
    if v["path"]:
        out.append(f"- At: {_inline(_path(v['path']))}")
    if v["source"]:
        out.append(f"- Declared in: {_inline(v['source'])}")
    out.append(f"- Why: {_inline(v['reason'])}")
    if v["verdict"] == "above":
        meaning = v["consequence"] if v["in_force"] else f"if the rule were in force: {v['consequence']}"
        out.append(f"- Meaning: {_inline(meaning)}")
    if v["outlook"] is not None:
        out.append(f"- Licensing outlook: {_inline(v['outlook']['text'])}")
    missing = v["missing"]
    if missing["count"]:
        shown = missing["items"]
        out.append(f"- Missing data that would settle it (the first {len(shown)} of {missing['count']:,}):" if missing["truncated"] else "- Missing data that would settle it:")
        out += [f"  - {_inline(m)}" for m in shown]
        if missing["truncated"]:
            out.append(f"  - *{more_text(missing, len(shown))}* ({_inline(FULL_LISTS)})")
    out += [f"- Scope: {_inline(note)}" for note in v["scope_notes"]]
    out += [f"- Override: {_inline(o)}" for o in v["overrides"]]
    if verbose and v["arithmetic"]:
        out += ["", "```text", *(neutral(line).replace("```", "'''") for line in v["arithmetic"]), "```"]
    out.append("")
    return out


def _product(p: dict, as_of: str, verbose: bool) -> list[str]:
    title = f"{p['finished_good']}" + (f" ({p['name']})" if p["name"] else "")
    out = [f"## {_inline(title)}", ""]
    out.append(f"{_code(p['file'])}, as of {as_of}. Mass {bounds_text(p['mass'])} ({p['mass_basis']}); value {bounds_text(p['value'])}.")
    out += ["", "### Verdicts", "", "| Verdict | Rule | Reading | Status on the date | Where |", "|---|---|---|---|---|"]
    for v in p["verdicts"]:
        out.append(f"| **{v['verdict'].upper()}** | {_code(v['rule'])} | {_text_cell(v['label'])} | {_text_cell(v['status'])} | {_text_cell(v['node'] or '')} |")
    out.append("")
    for v in p["verdicts"]:
        out += _verdict(v, verbose)
    out += ["### Rare earths in one unit, and mass of unknown composition", "", "| Element | Total | China | Not China | Unknown origin |", "|---|---:|---:|---:|---:|"]
    for e in p["elements"]:
        out.append(f"| {e['symbol']} | {bounds_text(e['total'])} | {bounds_text(e['china'])} | {bounds_text(e['not-china'])} | {bounds_text(e['unknown'])} |")
    share = p["china_share"]
    by_value = f"{bounds_text(share['value'])} of the value" if share["value"] else "no value share computed"
    out += ["", f"China-origin rare earths: {bounds_text(share['mass'])} of the mass; {by_value}.", ""]
    cov = p["coverage"]
    declared, known = bounds_text(cov["composition_declared"]), bounds_text(cov["origin_known"])
    out += ["### Coverage", "", f"Composition declared for {declared} of the mass; origin known for {known} of the rare-earth mass.", ""]
    for key, what in COVERAGE_GAPS.items():
        if cov[key]["count"]:
            more = more_text(cov[key], len(cov[key]["items"]))
            out.append(f"- {what[:1].upper()}{what[1:]}: " + ", ".join(f"{_code(pid)}" for pid in cov[key]["items"]) + (f" *{more}*" if more else ""))
    if any(cov[key]["truncated"] for key in COVERAGE_GAPS):
        out += ["", f"({_inline(FULL_LISTS)})"]
    out.append("")
    if p["contributors"]:
        out += ["### Top contributors", "", "| Part | Element | Mass | Origin | Paths |", "|---|---|---:|---|---|"]
        for c in p["contributors"]:
            paths = "<br>".join(_text_cell(path) for path in c["paths"])
            out.append(f"| {_code(c['part'])} | {c['symbol']} | {bounds_text(c['mass'])} | {c['origin']} | {paths} ({c['path_count']}) |")
        out.append("")
    return out


def render_markdown(data: dict, *, verbose: bool = False) -> str:
    """The report as Markdown (CommonMark with pipe tables); text from input files is escaped."""
    out = [f"# rarebom report, as of {data['as_of']}", ""]
    if data["policy"] == "nominal":
        out += ["> **Policy nominal:** these verdicts compare the declared nominal values with the thresholds and ignore the bounds. A BELOW here is not a clearance.", ""]
    if len(data["summary"]) > 1:
        out += ["| File | Finished good | Worst | Above | Indeterminate | Below |", "|---|---|---|---:|---:|---:|"]
        for s in data["summary"]:
            out.append(f"| {_code(s['file'])} | {_code(s['finished_good'])} | **{s['worst'].upper()}** | {s['above']} | {s['indeterminate']} | {s['below']} |")
        out.append("")
    for product in data["products"]:
        out += _product(product, data["as_of"], verbose)
    if data["price_table"]:
        t = data["price_table"]
        out += [f"Estimated figures use the price table {_inline(t['name'])} ({t['date']}; {_inline(t['source'])}).", ""]
    if data["overrides_applied"]:
        out += ["### Overrides applied", ""] + [f"- {_inline(o)}" for o in data["overrides_applied"]] + [""]
    out += ["### Rules", "", "| Rule | Reading | Status | Pack data as of |", "|---|---|---|---|"]
    for r in data["rules"]:
        out.append(f"| {_code(r['id'])} | {_text_cell(r['label'])} | {_text_cell(r['status'])} | {r['data_as_of']} |")
    if data["findings"]:
        out += ["", "### Warnings", ""] + [f"- `{f['code']}`: {_inline(f['message'])}" for f in data["findings"]]
    return "\n".join(out).rstrip() + "\n"
