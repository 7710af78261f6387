"""The report as one self-contained HTML5 page, for a browser or for print.

:func:`render_html` draws from the report data of :mod:`rarebom.report.data` only, so it
says what the JSON, text and Markdown reports say and never computes a number of its own:
it formats numbers and scales the chart's bars to the grams the data gives.

The page loads nothing: the CSS is inline, there is no script, and the chart is inline SVG
drawn here. A Content-Security-Policy in the page forbids every fetch and every script, so
even a mistake in this module, or a hostile part name, cannot make the page load or run
anything. Every string from the data (part ids, names, messages, paths, URLs) is escaped,
and a source link is a link only when its URL is http(s).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from ._format import FULL_LISTS, bounds_text, mass_text, more_text, neutral, share_text

__all__ = ["render_html"]

#: Origin classes in the order the chart, the tables and the legend show them.
ORIGINS = ("china", "not-china", "unknown")
ORIGIN_LABELS = {"china": "China", "not-china": "not China", "unknown": "unknown origin"}
#: Okabe-Ito colours: told apart by colour-blind readers and in greyscale print.
ORIGIN_COLOURS = {"china": "#d55e00", "not-china": "#0072b2", "unknown": "#b8b8b8"}

READINGS = {"legal-text": "legal text", "broad-reading": "broad reading", "industry-practice": "industry practice"}
ROW_LABELS = {"undeclared": "undeclared composition", "unresolved": "unresolved substances"}

# The page may load nothing and run nothing: only its own inline <style> is allowed.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

# Chart geometry, in SVG user units (CSS pixels at 100 %).
CHART_WIDTH = 960
BAND_HEIGHT = 42
LEGEND_HEIGHT = 34
CHAR_WIDTH = 6.6  # rough advance of an 11 px sans-serif character, to shorten labels that would not fit


def render_html(data: dict) -> str:
    """The whole report (a ``rarebom-report/2`` dict) as one HTML document."""
    products = data["products"]
    title = "rarebom report: " + ", ".join(p["finished_good"] for p in products)
    body = [
        _page_header(data),
        *(_product(p, n, data["as_of"]) for n, p in enumerate(products, 1)),
        _summary(data["summary"]) if len(products) > 1 else "",
        _rules(data["rules"], data["as_of"]),
        _prices_and_overrides(data["price_table"], data["overrides_applied"]),
        _findings(data["findings"]),
        f"<footer><p>Made by rarebom {esc(data['rarebom_version'])} on {esc(data['generated'])}. This page loads nothing from the network and runs no script.</p></footer>",
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n" + "\n".join(part for part in body if part) + "\n</body>\n</html>\n"
    )


# ---------------------------------------------------------------------------- formatting


def esc(value: Any) -> str:
    """Text from the data, safe in element content and in quoted attributes; control
    characters are shown as ``\\xNN``, as the other reports show them."""
    return html.escape(neutral(value), quote=True)


def _threshold_text(t: dict | None) -> str:
    return "no threshold" if t is None else f"{t['operator']} {share_text(t['value'])}"


def _path_text(path: list[dict]) -> str:
    steps = []
    for n, step in enumerate(path):
        times = "" if n == 0 or step["multiplier"] == 1 else f" ×{step['multiplier']:g}"
        steps.append(step["part"] + times)
    return " > ".join(steps)


def _list(items: Iterable[Any], cls: str = "") -> str:
    items = list(items)
    if not items:
        return ""
    attr = f' class="{cls}"' if cls else ""
    return f"<ul{attr}>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"


def _link(url: str | None, text: str) -> str:
    """A link only to an http(s) URL: a pack's ``javascript:`` URL stays text."""
    if url and url.lower().startswith(("https://", "http://")):
        return f'<a href="{esc(url)}" rel="noopener noreferrer">{esc(text)}</a>'
    return esc(text)


def _verdict_badge(verdict: str) -> str:
    return f'<span class="badge verdict-{esc(verdict)}">{esc(verdict.upper())}</span>'


def _status_badge(status: str) -> str:
    mark = "⚠ " if status == "unverified" else ""
    return f'<span class="badge status-{esc(status)}">{mark}{esc(status.upper())}</span>'


def _reading_badge(reading: str) -> str:
    return f'<span class="badge reading reading-{esc(reading)}">{esc(READINGS.get(reading, reading))}</span>'


def _table(cls: str, head: Iterable[str], rows: Iterable[str], *, table_id: str = "") -> str:
    ident = f' id="{esc(table_id)}"' if table_id else ""
    header = "".join(f'<th scope="col">{h}</th>' for h in head)
    return f'<table class="{cls}"{ident}>\n<thead><tr>{header}</tr></thead>\n<tbody>\n' + "\n".join(rows) + "\n</tbody>\n</table>"


# ---------------------------------------------------------------------------- page parts


def _page_header(data: dict) -> str:
    rows = [
        f'<tr><td>{esc(i["file"])}</td><td>{esc(i["format"])}</td><td class="num">{i["parts"]}</td><td><code class="digest">{esc(i["sha256"] or "unreadable")}</code></td></tr>'
        for i in data["inputs"]
    ]
    toc = "".join(
        f'<li><a href="#product-{n}">{esc(p["name"] or p["finished_good"])}</a> <code>{esc(p["finished_good"])}</code> {_verdict_badge(p["worst"])}</li>'
        for n, p in enumerate(data["products"], 1)
    )
    return (
        '<header class="report-header">\n<h1>rarebom report</h1>\n'
        f'<p>Rules applied as of <time datetime="{esc(data["as_of"])}">{esc(data["as_of"])}</time>. '
        f"Report format {esc(data['format'])}.</p>\n"
        f'<nav><ol class="toc">{toc}</ol></nav>\n' + _table("inputs", ["Input file", "Format", "Parts", "SHA-256"], rows) + "\n</header>"
    )


def _product(p: dict, n: int, as_of: str) -> str:
    return "\n".join(
        [
            f'<section class="product" id="product-{n}">',
            _product_header(p, as_of),
            "<h3>Verdicts</h3>",
            _verdicts(p["verdicts"], n, as_of),
            "<h3>Where the rare-earth mass sits</h3>",
            _chart_figure(p["chart"]),
            "<h3>Rare earths by element and origin</h3>",
            _elements(p["elements"]),
            _shares_and_coverage(p),
            "<h3>Top contributors</h3>",
            _contributors(p["contributors"]),
            "</section>",
        ]
    )


def _product_header(p: dict, as_of: str) -> str:
    name = p["name"] or p["finished_good"]
    facts = [
        ("Finished good", f"<code>{esc(p['finished_good'])}</code>"),
        ("File", esc(p["file"])),
        ("As of", f'<time datetime="{esc(as_of)}">{esc(as_of)}</time>'),
        ("Mass", f'{esc(bounds_text(p["mass"]))} <span class="muted">(basis: {esc(p["mass_basis"])})</span>'),
        ("Value", esc(bounds_text(p["value"], missing="unknown"))),
        ("Origin", esc(ORIGIN_LABELS.get(p["origin"], p["origin"]))),
        ("Worst verdict", _verdict_badge(p["worst"])),
    ]
    items = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in facts)
    return f'<header class="product-header"><h2>{esc(name)}</h2><dl class="facts">{items}</dl></header>'


def _verdicts(verdicts: list[dict], n: int, as_of: str) -> str:
    head = ["Rule and reading", "Verdict", f"Status on {esc(as_of)}", "Deciding part and BOM path", "Measured against threshold", "Details"]
    return _table("verdicts", head, (_verdict_row(v) for v in verdicts), table_id=f"verdicts-{n}")


def _verdict_row(v: dict) -> str:
    rule = f'<code class="rule-id">{esc(v["rule"])}</code><br>{_reading_badge(v["reading"])} <span class="label">{esc(v["label"])}</span>'
    status = f'{_status_badge(v["status"])}<p class="status-text">{esc(v["status_text"])}</p>'
    where = '<span class="muted">no deciding part</span>'
    if v["node"] is not None:
        where = f'<code>{esc(v["node"])}</code><p class="path">{esc(_path_text(v["path"]))}</p>'
        if v["source"]:
            where += f'<p class="source">declared in <code>{esc(v["source"])}</code></p>'
    if v["measured"] is None and v["threshold"] is None:
        measured = '<span class="muted">no threshold</span>'
    else:
        measured = f'{esc(bounds_text(v["measured"]))} <span class="against">against</span> {esc(_threshold_text(v["threshold"]))}'
    if v["estimated"]:
        measured += ' <span class="badge estimated" title="uses estimated figures, such as prices from a price table">estimated</span>'
    if v["exact"]:
        measured += ' <span class="badge exact" title="decided by an exact comparison">exact</span>'
    return (
        f'<tr class="verdict-row verdict-{esc(v["verdict"])} status-row-{esc(v["status"])}" data-rule="{esc(v["rule"])}">'
        f'<td>{rule}</td><td>{_verdict_badge(v["verdict"])}</td><td class="status">{status}</td>'
        f'<td class="where">{where}</td><td class="measured">{measured}</td><td class="details">{_verdict_details(v)}</td></tr>'
    )


def _verdict_details(v: dict) -> str:
    out = [f'<p class="reason">{esc(v["reason"])}</p>']
    if v["consequence"]:
        lead = "Consequence" if v["in_force"] else "If the rule were in force"
        out.append(f'<p class="consequence"><strong>{lead}:</strong> {esc(v["consequence"])}</p>')
    if v["outlook"]:
        out.append(f'<p class="outlook"><strong>Licensing outlook:</strong> {esc(v["outlook"]["text"])}</p>')
    missing = v["missing"]
    if missing["count"]:
        shown = missing["items"]
        head = f"Missing data that would settle it (the first {len(shown)} of {missing['count']:,}):" if missing["truncated"] else "Missing data that would settle it:"
        out.append(f'<p class="missing-head"><strong>{head}</strong></p>' + _list(shown, "missing"))
        if missing["truncated"]:
            out.append(f'<p class="more">{esc(more_text(missing, len(shown)))} ({esc(FULL_LISTS)})</p>')
    if v["scope_notes"]:
        out.append("<p><strong>Scope:</strong></p>" + _list(v["scope_notes"], "scope-notes"))
    if v["overrides"]:
        out.append("<p><strong>Overrides:</strong></p>" + _list(v["overrides"], "overrides"))
    if v["arithmetic"]:
        out.append(_list(v["arithmetic"], "arithmetic"))
    return "".join(out)


# ---------------------------------------------------------------------------- the chart


def _node_grams(node: dict) -> float:
    return sum(node["grams"][o] for o in ORIGINS)


def _icicle(node: dict, x: float, width: float, depth: int, out: list[tuple[dict, float, float, int]]) -> None:
    """Lay the tree out as bands: a node spans ``width``, its children share it by grams.

    The data leave out small parts, so children may fill less than their parent; and
    should they (by rounding) weigh more, they are squeezed into its width.
    """
    out.append((node, x, width, depth))
    total = _node_grams(node)
    children = [c for c in node["children"] if _node_grams(c) > 0]
    weight = sum(_node_grams(c) for c in children)
    if not children or total <= 0:
        return
    scale = width / max(total, weight)
    for child in children:
        child_width = _node_grams(child) * scale
        _icicle(child, x, child_width, depth + 1, out)
        x += child_width


def _fit(text: str, width: float) -> str:
    chars = int((width - 8) / CHAR_WIDTH)
    if chars >= len(text):
        return text
    return text[: chars - 1] + "…" if chars >= 3 else ""


def _chart_node(node: dict, x: float, width: float, depth: int) -> str:
    y = depth * BAND_HEIGHT
    height = BAND_HEIGHT - 2
    total = _node_grams(node)
    tip = [f"{node['part']}" + (f" ({node['name']})" if node["name"] else ""), f"rare earths: {mass_text(total)}"]
    tip += [f"{ORIGIN_LABELS[o]}: {mass_text(node['grams'][o])}" for o in ORIGINS]
    shapes = []
    sx = x
    for origin in ORIGINS:
        w = width * node["grams"][origin] / total if total > 0 else 0.0
        if w > 0:
            shapes.append(f'<rect class="origin-{origin}" x="{sx:.2f}" y="{y}" width="{w:.2f}" height="{height}" fill="{ORIGIN_COLOURS[origin]}"/>')
        sx += w
    shapes.append(f'<rect class="outline" x="{x:.2f}" y="{y}" width="{width:.2f}" height="{height}" fill="none" stroke="#ffffff" stroke-width="1"/>')
    label, amount = _fit(node["part"], width), _fit(mass_text(total), width)
    if label:
        shapes.append(f'<text x="{x + 4:.2f}" y="{y + 16}" class="label">{esc(label)}</text>')
    if amount:
        shapes.append(f'<text x="{x + 4:.2f}" y="{y + 31}" class="amount">{esc(amount)}</text>')
    return f'<g class="node" data-part="{esc(node["part"])}"><title>{esc(chr(10).join(tip))}</title>{"".join(shapes)}</g>'


def _legend(root: dict, y: float) -> str:
    items = []
    x = 0.0
    for origin in ORIGINS:
        text = f"{ORIGIN_LABELS[origin]}: {mass_text(root['grams'][origin])}"
        items.append(
            f'<rect x="{x:.2f}" y="{y + 8}" width="14" height="14" fill="{ORIGIN_COLOURS[origin]}" stroke="#555555" stroke-width="0.5"/>'
            f'<text x="{x + 20:.2f}" y="{y + 19}" class="legend">{esc(text)}</text>'
        )
        x += 34 + len(text) * CHAR_WIDTH
    return f'<g class="legend">{"".join(items)}</g>'


def chart_svg(root: dict) -> str:
    """An icicle of ``product["chart"]``: one band per BOM depth, each part as wide as its
    rare-earth grams (nominal) and split into China / not China / unknown origin."""
    if _node_grams(root) <= 0:
        return (
            f'<svg class="chart" viewBox="0 0 {CHART_WIDTH} {BAND_HEIGHT}" role="img" '
            f'aria-label="no rare-earth mass"><rect x="0" y="0" width="{CHART_WIDTH}" height="{BAND_HEIGHT - 2}" fill="#eeeeee"/>'
            f'<text x="8" y="25" class="label">No rare-earth mass declared in {esc(root["part"])}</text></svg>'
        )
    placed: list[tuple[dict, float, float, int]] = []
    _icicle(root, 0.0, float(CHART_WIDTH), 0, placed)
    depth = max(d for _, _, _, d in placed) + 1
    height = depth * BAND_HEIGHT + LEGEND_HEIGHT
    nodes = "".join(_chart_node(node, x, w, d) for node, x, w, d in placed)
    label = f"Rare-earth mass of {root['part']} by part and origin"
    return (
        f'<svg class="chart" viewBox="0 0 {CHART_WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" role="img" aria-label="{esc(label)}">'
        f"<title>{esc(label)}</title>{nodes}{_legend(root, depth * BAND_HEIGHT)}</svg>"
    )


def _chart_figure(root: dict) -> str:
    caption = (
        "Each band is one level of the BOM; a part is as wide as the rare-earth grams it holds (nominal), "
        "split by origin. A shared sub-assembly appears once per path; parts under 0.5 % of the product's "
        "rare earths are left out. Hover a part for its grams."
    )
    return f'<figure class="chart-figure">{chart_svg(root)}<figcaption>{esc(caption)}</figcaption></figure>'


# ---------------------------------------------------------------------------- tables


def _elements(rows: list[dict]) -> str:
    if not rows:
        return '<p class="muted">No rare-earth, undeclared or unresolved mass.</p>'
    head = ["Element", "Total", *(ORIGIN_LABELS[o] for o in ORIGINS)]
    body = [
        f'<tr><th scope="row">{esc(ROW_LABELS.get(r["symbol"], r["symbol"]))}</th><td class="num">{esc(bounds_text(r["total"]))}</td>'
        + "".join(f'<td class="num">{esc(bounds_text(r[o]))}</td>' for o in ORIGINS)
        + "</tr>"
        for r in rows
    ]
    note = (
        '<p class="note">Masses are nominal [min, max]. Undeclared composition is mass nobody declared the '
        "make-up of: it may hold any element, so it bounds every element from above.</p>"
    )
    return _table("elements", head, body) + note


def _shares_and_coverage(p: dict) -> str:
    share, coverage = p["china_share"], p["coverage"]
    facts = [
        ("China-origin rare earths, share of mass", esc(bounds_text(share["mass"]))),
        ("China-origin rare earths, share of value", esc(bounds_text(share["value"]))),
        ("Composition declared, share of mass", esc(bounds_text(coverage["composition_declared"]))),
        ("Origin known, share of mass", esc(bounds_text(coverage["origin_known"]))),
        ("Data complete", "yes" if coverage["complete"] else '<strong class="incomplete">no</strong>'),
    ]
    gaps = [
        ("Parts with no mass", coverage["missing_mass"]),
        ("Parts with undeclared or unresolved composition", coverage["missing_composition"]),
        ("Parts with no value", coverage["missing_value"]),
        ("Parts with no origin", coverage["missing_origin"]),
        ("Parts using a typical composition", coverage["typical_composition"]),
    ]
    for label, parts in gaps:
        if parts["count"]:
            more = more_text(parts, len(parts["items"]))
            facts.append(
                (label, ", ".join(f"<code>{esc(part)}</code>" for part in parts["items"]) + (f' <span class="more">{esc(more)} ({esc(FULL_LISTS)})</span>' if more else ""))
            )
    items = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in facts)
    return f'<h3>China share and coverage</h3><dl class="facts coverage">{items}</dl>'


def _source_note(source: str | None) -> str:
    return "" if not source else f'<p class="source">{esc(source)}</p>'


def _contributors(rows: list[dict]) -> str:
    if not rows:
        return '<p class="muted">No rare-earth contributors.</p>'
    body = []
    for c in rows:
        paths = list(c["paths"])
        more = c["path_count"] - len(paths)
        if more > 0:
            paths.append(f"and {more} more path{'s' if more > 1 else ''}")
        multiplier = "unknown" if c["multiplier"] is None else f"{c['multiplier']:g}"
        body.append(
            f"<tr><td><code>{esc(c['part'])}</code>{_source_note(c['source'])}</td><td>{esc(c['symbol'])}</td><td>{esc(ORIGIN_LABELS.get(c['origin'], c['origin']))}</td>"
            f'<td class="num">{esc(bounds_text(c["mass"]))}</td><td class="num">×{esc(multiplier)}</td><td>{_list(paths, "paths")}</td></tr>'
        )
    return _table("contributors", ["Part", "Element", "Origin", "Mass in the product", "Count", "BOM paths"], body)


def _summary(summary: list[dict]) -> str:
    body = [
        f"<tr><td>{esc(s['file'])}</td><td><code>{esc(s['finished_good'])}</code></td><td>{_verdict_badge(s['worst'])}</td>"
        f'<td class="num">{s["above"]}</td><td class="num">{s["indeterminate"]}</td><td class="num">{s["below"]}</td></tr>'
        for s in summary
    ]
    table = _table("summary", ["File", "Finished good", "Worst verdict", "Above", "Indeterminate", "Below"], body)
    return f'<section class="summary-section"><h2>Summary</h2>{table}</section>'


def _rules(rules: list[dict], as_of: str) -> str:
    body = []
    for r in rules:
        notes = "".join(f'<li><span class="confidence" title="{esc(n["confidence_words"])}">[{esc(n["confidence"])}]</span> {esc(n["note"])}</li>' for n in r["notes"])
        threshold = _threshold_text(r["threshold"]) + (f" [{r['threshold']['confidence']}]" if r["threshold"] else "")
        body.append(
            f'<tr data-rule="{esc(r["id"])}"><td><code class="rule-id">{esc(r["id"])}</code><p>{esc(r["title"])}</p>'
            f'<p class="muted">{esc(r["instrument"])}; {esc(r["authority"])}; pack <code>{esc(r["pack"])}</code></p>'
            + (f'<ul class="notes">{notes}</ul>' if notes else "")
            + f"</td><td>{_reading_badge(r['reading'])}<p>{esc(r['label'])}</p></td>"
            f"<td>{esc(r['basis'])} at {esc(r['level'])} level; elements {esc(', '.join(r['elements']) or 'none')}</td>"
            f"<td>{esc(threshold)}</td>"
            f'<td class="status">{_status_badge(r["status"])}<p class="status-text">{esc(r["status_text"])}</p></td></tr>'
        )
    table = _table("rules", ["Rule", "Reading", "Basis", "Threshold", f"Status on {esc(as_of)}"], body)
    words = {n["confidence"]: n["confidence_words"] for r in rules for n in r["notes"]}
    legend = "; ".join(f"[{esc(mark)}] {esc(text)}" for mark, text in sorted(words.items()))
    legend = f'<p class="note">Confidence marks: {legend}.</p>' if legend else ""
    return f'<section class="rules-section"><h2>Rules</h2>{table}{legend}{_pack_sources(rules)}</section>'


def _pack_sources(rules: list[dict]) -> str:
    """Each pack's sources once: the rules of a pack share them."""
    packs: dict[str, dict] = {}
    for r in rules:
        packs.setdefault(r["pack"], r)
    out = ["<h3>Sources</h3>"]
    for pack, r in packs.items():
        verify = f"; verify the current status at {_link(r['verify_url'], r['verify_url'])}" if r["verify_url"] else ""
        sources = "".join(f'<li>{_link(s["url"], s["title"])} <span class="muted">[{esc(s["key"])}]</span></li>' for s in r["sources"])
        out.append(
            f'<div class="pack-sources"><h4><code>{esc(pack)}</code>: {esc(r["instrument"])}</h4>'
            f'<p class="muted">Pack data as of {esc(r["data_as_of"])}{verify}</p><ul class="sources">{sources}</ul></div>'
        )
    return "".join(out)


def _prices_and_overrides(prices: dict | None, overrides: list[str]) -> str:
    if prices is None:
        table = '<p class="muted">No price table: figures use only the values in the BOM.</p>'
    else:
        fields = (("Name", "name"), ("Date", "date"), ("Source", "source"), ("Currency", "currency"))
        rows = [f'<tr><th scope="row">{label}</th><td>{esc(prices[key])}</td></tr>' for label, key in fields]
        table = '<table class="prices"><tbody>' + "".join(rows) + "</tbody></table>"
    applied = _list(overrides, "overrides") if overrides else '<p class="muted">No overrides applied.</p>'
    return f'<section class="prices-section"><h2>Price table</h2>{table}<h2>Overrides applied</h2>{applied}</section>'


def _findings(findings: list[dict]) -> str:
    if not findings:
        return '<section class="findings-section"><h2>Findings</h2><p class="muted">No warnings.</p></section>'
    body = []
    for f in findings:
        where = ":".join(str(x) for x in (f["file"], f["line"]) if x is not None)
        if f["pointer"]:
            where += f" {f['pointer']}"
        body.append(
            f'<tr class="finding-{esc(f["severity"])}"><td>{esc(f["severity"])}</td><td><code>{esc(f["code"])}</code></td>'
            f"<td>{esc(f['message'])}</td><td>{esc(where)}</td><td>{', '.join(f'<code>{esc(p)}</code>' for p in f['parts'])}</td></tr>"
        )
    table = _table("findings", ["Severity", "Code", "Message", "Where", "Parts"], body)
    return f'<section class="findings-section"><h2>Findings</h2>{table}</section>'


_CSS = """
:root { color-scheme: light; --border: #c8c8c8; --muted: #5a5a5a; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1a1a1a;
       background: #ffffff; margin: 0 auto; padding: 1.5rem; max-width: 1400px; }
h1 { font-size: 1.7rem; margin: 0 0 .4rem; }
h2 { font-size: 1.35rem; margin: 1.6rem 0 .5rem; border-bottom: 2px solid #333333; padding-bottom: .2rem; }
h3 { font-size: 1.08rem; margin: 1.2rem 0 .4rem; }
code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .92em; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 .8rem; }
th, td { border: 1px solid var(--border); padding: .35rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #eef0f3; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td p, td ul { margin: .2rem 0; }
td ul { padding-left: 1.1rem; }
.muted, .note { color: var(--muted); }
.note { font-size: .9em; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); gap: .3rem 1.2rem; margin: .4rem 0; }
.facts dt { font-size: .8em; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
.facts dd { margin: 0; }
.badge { display: inline-block; padding: .05rem .4rem; border-radius: 3px; font-weight: 600; font-size: .85em;
         white-space: nowrap; border: 1px solid transparent; }
.verdict-above.badge { background: #b3261e; color: #ffffff; }
.verdict-indeterminate.badge { background: #f2c14e; color: #1a1a1a; border-color: #9a7400; }
.verdict-below.badge { background: #2e7d32; color: #ffffff; }
.status-in-force.badge { background: #1a1a1a; color: #ffffff; }
.status-unverified.badge { background: #ffeb3b; color: #000000; border: 2px solid #000000; font-size: .95em; }
.status-suspended.badge, .status-not-yet-effective.badge, .status-not-issued.badge, .status-ended.badge {
  background: #e0e0e0; color: #1a1a1a; border-color: #9e9e9e; }
td.status { min-width: 14rem; width: 24%; }
td.where { min-width: 11rem; }
td.measured { min-width: 10rem; }
tr.status-row-unverified td.status { background: #fff8c4; }
.status-text { font-size: .85em; }
.reading { background: #e8eaf6; color: #1a237e; border-color: #9fa8da; }
.reading-broad-reading { background: #fce4ec; color: #880e4f; border-color: #f48fb1; }
.reading-industry-practice { background: #e0f2f1; color: #004d40; border-color: #80cbc4; }
.estimated { background: #ede7f6; color: #4527a0; border-color: #b39ddb; }
.exact { background: #e8f5e9; color: #1b5e20; border-color: #a5d6a7; }
.path { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .85em; overflow-wrap: anywhere; }
.source { font-size: .8em; color: var(--muted, #555); overflow-wrap: anywhere; margin: .2em 0 0; }
.details { font-size: .9em; min-width: 18rem; }
ul.arithmetic { list-style: none; padding-left: 0; border-left: 3px solid var(--border); padding-left: .5rem; color: #333333; }
.missing li { color: #8a4b00; }
.more { font-style: italic; color: #8a4b00; }
.incomplete { color: #b3261e; }
figure.chart-figure { margin: .4rem 0 1rem; }
figure.chart-figure figcaption { color: var(--muted); font-size: .88em; margin-top: .3rem; }
svg.chart { display: block; width: 100%; height: auto; max-width: 1200px; }
svg.chart text { font-family: system-ui, "DejaVu Sans", sans-serif; fill: #111111; stroke: #ffffff; stroke-width: 3px;
                 paint-order: stroke; stroke-linejoin: round; }
svg.chart text.label { font-size: 11px; font-weight: 600; }
svg.chart text.amount, svg.chart text.legend { font-size: 10.5px; }
svg.chart g.node:hover rect.outline { stroke: #000000; stroke-width: 2; }
code.digest { font-size: .8em; }
h4 { font-size: 1rem; margin: .9rem 0 .2rem; }
ul.sources { columns: 2 24rem; margin: .2rem 0; }
ul.sources li { break-inside: avoid; }
footer { margin-top: 2rem; color: var(--muted); font-size: .88em; border-top: 1px solid var(--border); padding-top: .5rem; }
@media print {
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { padding: 0; max-width: none; font-size: 10.5pt; }
  nav { display: none; }
  section.product { break-before: page; }
  tr, figure, svg.chart, .product-header, .facts > div { break-inside: avoid; page-break-inside: avoid; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; }
}
"""
