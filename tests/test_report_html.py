"""The HTML report: self-contained, escaped, complete, and drawn by a real browser.

The browser tests run Debian's chromium headless. Where it is missing they skip, except
under CI (the CI environment variable set), where a skipped browser test would hide a
broken page: there they fail. ``.ci/run`` installs chromium.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import attrs
import pytest

import rarebom
from rarebom.report._format import bounds_text, mass_text, share_text
from rarebom.report.data import Input, report_data
from rarebom.report.html import CHART_WIDTH, chart_svg, render_html
from rarebom.rules import evaluate, load_overrides, load_prices

from .conftest import EXAMPLES, REPO, poison

AS_OF = "2026-11-22"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.xml"))
XSS = "<script>alert(1)</script>"
XSS_ID = 'seg"<b>&x'
XSS_FILE = "<img src=x onerror=alert(2)>.xml"
BROWSER_TIMEOUT_S = 60

# Elements whose src/href/data the browser fetches when it renders the page.
LOADING_TAGS = {"script", "link", "img", "iframe", "object", "embed", "source", "video", "audio", "track", "image", "use", "frame", "input"}
LOADING_ATTRIBUTES = {"src", "href", "xlink:href", "data", "srcset", "poster", "background"}


def _evaluated(path: Path, bom: rarebom.Bom | None = None, *, file: str | None = None) -> Input:
    read = rarebom.load(path)
    overrides = load_overrides(EXAMPLES / "overrides-ev-traction-motor.toml") if path.name == "ev-traction-motor.xml" and bom is None else ()
    evaluation = evaluate(rarebom.trace(bom or read.bom), as_of=AS_OF, prices=load_prices(EXAMPLES / "prices-usgs-2020.toml"), overrides=overrides)
    return Input(file or str(path.relative_to(REPO)), read.format, evaluation, read.findings)


@pytest.fixture(scope="module")
def reports() -> dict[str, dict]:
    """Each example's report data, by file name."""
    return {path.name: report_data([_evaluated(path)]) for path in EXAMPLE_FILES}


def _hostile_bom() -> rarebom.Bom:
    """The EV motor with markup in its finished good's name, a magnet's name and a magnet's id."""
    bom = rarebom.load(EXAMPLES / "ev-traction-motor.xml").bom
    old = "rotor-magnet-segment"

    def change(part: rarebom.Part) -> rarebom.Part:
        uses = tuple(attrs.evolve(u, child=XSS_ID) if u.child == old else u for u in part.uses)
        if part.id == old:
            return attrs.evolve(part, id=XSS_ID, name=XSS, uses=uses)
        if part.id == "ev-traction-motor":
            return attrs.evolve(part, name=XSS, uses=uses)
        return attrs.evolve(part, uses=uses)

    return bom.evolve(parts=tuple(change(p) for p in bom.parts))


@pytest.fixture(scope="module")
def hostile() -> dict:
    path = EXAMPLES / "ev-traction-motor.xml"
    return report_data([_evaluated(path, _hostile_bom(), file=XSS_FILE)])


class Dom(HTMLParser):
    """The elements, text and verdict-table rows of an HTML page (ours, or chromium's DOM dump)."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.verdict_rows: list[list[str]] = []  # per verdicts table, the data-rule of each body row
        self._table: str | None = None
        self._in_body = False
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs_):
        a = dict(attrs_)
        self.elements.append((tag, a))
        if tag == "table":
            self._table = a.get("class")
            if self._table == "verdicts":
                self.verdict_rows.append([])
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._table == "verdicts" and self._in_body:
            self.verdict_rows[-1].append(a.get("data-rule") or "")

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag == "tbody":
            self._in_body = False

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag: str, cls: str | None = None) -> list[dict]:
        return [a for t, a in self.elements if t == tag and (cls is None or cls in (a.get("class") or "").split())]

    @property
    def content(self) -> str:
        return "".join(self.text)


def _loads_from_network(dom: Dom) -> list[str]:
    found = []
    for tag, a in dom.elements:
        for name, value in a.items():
            fetched = tag in LOADING_TAGS and name in LOADING_ATTRIBUTES and re.match(r"\s*(https?:)?//", value or "", re.I)
            if fetched or "url(" in (value or ""):
                found.append(f"<{tag} {name}={value!r}>")
    return found


def _check_report(page: str, data: dict) -> Dom:
    """The shape every report must have, in our HTML or in the browser's DOM."""
    dom = Dom(page)
    products = data["products"]
    assert len(dom.verdict_rows) == len(products), "one <table class=verdicts> per finished good"
    for rows, product in zip(dom.verdict_rows, products, strict=True):
        assert rows == [v["rule"] for v in product["verdicts"]], "one verdict row per verdict, in order"
    charts = dom.all("svg", "chart")
    assert len(charts) == len(products)
    assert dom.all("rect") or dom.all("path"), "the chart draws shapes"
    for rule in data["rules"]:
        assert rule["id"] in dom.content
    assert not _loads_from_network(dom)
    assert not dom.all("script"), "the report runs no script"
    assert not [a for a in dom.all("link") if "stylesheet" in (a.get("rel") or "")]
    return dom


# ---------------------------------------------------------------------------- pure Python


@pytest.mark.parametrize("name", [p.name for p in EXAMPLE_FILES])
def test_each_example_renders_a_self_contained_complete_page(reports, name):
    data = reports[name]
    page = render_html(data)
    assert page.startswith("<!DOCTYPE html>")
    assert '<table class="verdicts"' in page and '<svg class="chart"' in page
    assert "<script" not in page.lower() and '<link rel="stylesheet"' not in page
    assert not re.search(r"""\b(?:src|srcset|data|poster|background)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    dom = _check_report(page, data)
    # The links that exist are a rule's sources and verify pages: navigated to, never loaded.
    hrefs = {a["href"] for a in dom.all("a") if (a.get("href") or "").startswith("http")}
    sources = {s["url"] for r in data["rules"] for s in r["sources"]} | {r["verify_url"] for r in data["rules"]}
    assert hrefs and hrefs <= sources
    # Nothing the page uses may be fetched, even by mistake: its own policy forbids it.
    (csp,) = [a["content"] for a in dom.all("meta") if (a.get("http-equiv") or "").lower() == "content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp


def test_the_page_says_what_the_data_says(reports):
    data = reports["ev-traction-motor.xml"]
    page = render_html(data)
    content = Dom(page).content
    product = data["products"][0]
    assert "465.408 g" in content  # China-origin rare earths of the motor: the chart's legend and tooltip
    assert "UNVERIFIED" in content and "status-unverified" in page
    assert "legal text" in content and "broad reading" in content
    assert "estimated" in content
    assert "ev-traction-motor > rotor-assembly > rotor-magnet-segment ×48" in content
    assert bounds_text(product["china_share"]["mass"]) in content
    for override in data["overrides_applied"]:
        assert override in content
    assert data["price_table"]["name"] in content
    assert len(re.findall(r'<g class="node"', page)) == 3  # motor > rotor > magnet: the rest holds < 0.5 %


def test_numbers_read_as_people_write_them():
    assert mass_text(465.408) == "465.4 g"
    assert mass_text(38481.366) == "38.48 kg"
    assert mass_text(0.2727) == "272.7 mg"
    assert mass_text("unbounded") == "∞"
    assert share_text(0.010178726084560271) == "1.018 %"
    assert bounds_text({"min": 0.5, "nominal": None, "max": "unbounded", "unit": ""}) == "unknown [50 %, ∞]"
    assert bounds_text({"min": 1150.0, "nominal": 1150.0, "max": 1150.0, "unit": "USD"}) == "1150 USD"


def _node(part: str, china: float = 0.0, unknown: float = 0.0, children: tuple = ()) -> dict:
    return {"part": part, "name": None, "grams": {"china": china, "not-china": 0.0, "unknown": unknown}, "children": list(children)}


def test_the_chart_is_as_wide_as_the_grams():
    svg = chart_svg(_node("product", 80.0, 20.0, [_node("a", 30.0, 30.0), _node("b", 20.0)]))
    widths: dict[str, list[tuple[str, float]]] = {}
    part = None
    for tag, a in Dom(svg).elements:  # a node's <g>, its origin segments, then its outline
        if tag == "g" and a.get("class") == "node":
            part = a["data-part"]
            widths[part] = []
        elif tag == "rect" and part is not None:
            if a.get("class") == "outline":
                part = None
            else:
                widths[part].append((a["class"], float(a["width"])))
    assert widths["product"] == [("origin-china", CHART_WIDTH * 0.8), ("origin-unknown", CHART_WIDTH * 0.2)]
    assert widths["a"] == [("origin-china", CHART_WIDTH * 0.3), ("origin-unknown", CHART_WIDTH * 0.3)]
    assert widths["b"] == [("origin-china", CHART_WIDTH * 0.2)]
    assert "<title>a\nrare earths: 60 g\nChina: 30 g" in svg


def test_a_product_without_rare_earths_gets_an_empty_chart():
    svg = chart_svg(_node("toaster"))
    assert svg.startswith('<svg class="chart"') and "<rect" in svg and "No rare-earth mass" in svg


def test_markup_in_the_data_is_shown_as_text(hostile):
    page = render_html(hostile)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>&x" not in page
    dom = _check_report(page, hostile)
    assert XSS in dom.content and XSS_FILE in dom.content and XSS_ID in dom.content
    assert not dom.all("img") and not dom.all("b")
    assert [a["data-part"] for a in dom.all("g", "node")][-1] == XSS_ID  # an attribute, escaped and intact


def test_a_javascript_source_url_is_not_a_link(reports):
    data = reports["smartphone.xml"]
    rule = {**data["rules"][0], "sources": [{"key": "x", "url": "javascript:alert(1)", "title": "evil"}], "verify_url": "javascript:alert(2)"}
    page = render_html({**data, "rules": [rule, *data["rules"][1:]]})
    assert "javascript:" not in [a.get("href", "")[:11] for a in Dom(page).all("a")]
    assert 'href="javascript' not in page


def test_several_files_get_a_summary(reports):
    inputs = [_evaluated(path) for path in EXAMPLE_FILES]
    data = report_data(inputs)
    page = render_html(data)
    dom = _check_report(page, data)
    assert len(dom.all("table", "summary")) == 1
    assert len(dom.all("section", "product")) == len(EXAMPLE_FILES)
    single = render_html(reports["smartphone.xml"])
    assert 'class="summary"' not in single


# ---------------------------------------------------------------------------- in a browser


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    message = "chromium is not installed (Debian: apt-get install chromium); the HTML report was not checked in a browser"
    if os.environ.get("CI"):
        pytest.fail(message + "; CI must check it, not skip it")
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Run headless chromium on a file with extra arguments; returns (stdout, stderr)."""
    executable = _chromium()

    def run(page: Path, *args: str) -> tuple[str, str]:
        profile = tmp_path_factory.mktemp("chromium-profile")
        command = [
            executable,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            *args,
            page.as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S, check=False)
        assert done.returncode == 0, f"chromium failed ({done.returncode}):\n{done.stderr[-3000:]}"
        return done.stdout, done.stderr

    return run


def _console(stderr: str) -> list[str]:
    """The page's console messages: chromium logs them to stderr as ``...:CONSOLE...] "text", source: ...``.

    Our page runs no script, so any message (an error, a blocked load, a policy violation)
    is a fault.
    """
    return [line for line in stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]


def _png_rows(path: Path) -> list[bytes]:
    """The decompressed scanlines of a PNG (each with its filter byte): enough to tell a blank image."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    assert header is not None
    width, height, depth, colour = header[:4]
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    stride = 1 + (width * channels * depth + 7) // 8
    raw = zlib.decompress(idat)
    assert len(raw) == stride * height
    return [raw[i * stride : (i + 1) * stride] for i in range(height)]


def test_console_messages_are_caught(browser, tmp_path):
    """The console check below can fail: a page that throws is seen."""
    page = tmp_path / "throws.html"
    page.write_text("<!DOCTYPE html><title>t</title><p>x</p><script>undefinedFunction()</script>", encoding="utf-8")
    _, stderr = browser(page, "--dump-dom")
    assert any("Uncaught" in line for line in _console(stderr)), stderr[-3000:]


def test_the_browser_renders_the_report(browser, tmp_path):
    data = report_data([_evaluated(path) for path in EXAMPLE_FILES])
    page = tmp_path / "report.html"
    page.write_text(render_html(data), encoding="utf-8")

    dom_text, stderr = browser(page, "--dump-dom")
    dom = _check_report(dom_text, data)
    assert len(dom.all("rect")) >= 3 * len(data["products"])
    assert not _console(stderr), "\n".join(_console(stderr))

    shot = tmp_path / "shot.png"
    _, stderr = browser(page, f"--screenshot={shot}", "--window-size=1280,2000", "--hide-scrollbars")
    assert shot.is_file() and shot.stat().st_size > 10_000
    assert len(set(_png_rows(shot))) > 200, "the screenshot is blank"  # an empty page gives 2 distinct rows
    assert not _console(stderr), "\n".join(_console(stderr))


def test_the_browser_shows_markup_from_the_data_as_text(browser, hostile, tmp_path):
    page = tmp_path / "hostile.html"
    page.write_text(render_html(hostile), encoding="utf-8")
    dom_text, stderr = browser(page, "--dump-dom")
    dom = _check_report(dom_text, hostile)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom_text
    assert XSS in dom.content and XSS_FILE in dom.content
    assert not dom.all("script") and not dom.all("img") and "<script>alert" not in dom_text
    assert not _console(stderr), "\n".join(_console(stderr))


# ------------------------------------------------- guarantee 5: every user string is text

#: Breaks out of element content, a quoted attribute (either quote), a comment and CDATA.
HOSTILE_HTML = "</title><script>alert(1)</script>\"'><img src=x onerror=alert(3)><!-- ]]> &amp;"


@pytest.fixture(scope="module")
def poisoned() -> dict:
    inputs = []
    for path in EXAMPLE_FILES:
        read = _evaluated(path)
        hostile_warning = rarebom.Finding(rarebom.Severity.WARNING, "unit", f"odd {HOSTILE_HTML}", rarebom.Location(HOSTILE_HTML, 1), (HOSTILE_HTML,))
        inputs.append(attrs.evolve(read, findings=(*read.findings, hostile_warning)))
    return poison(report_data(inputs), HOSTILE_HTML)


def _strings(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str) and HOSTILE_HTML in value:
        yield value


def test_every_user_string_in_the_data_is_text_in_the_page(poisoned):
    page = render_html(poisoned)
    dom = _check_report(page, poisoned)
    assert not dom.all("img") and not dom.all("script") and "<!-- ]]>" not in page
    shown = dom.content + "".join(v or "" for _, a in dom.elements for v in a.values())
    assert shown.count(HOSTILE_HTML) >= 20  # ids, names, file names, rule text, each intact
    for product in poisoned["products"]:
        assert product["finished_good"] in dom.content and product["file"] in dom.content


def test_the_browser_shows_every_user_string_as_text(browser, poisoned, tmp_path):
    page = tmp_path / "poisoned.html"
    page.write_text(render_html(poisoned), encoding="utf-8")
    dom_text, stderr = browser(page, "--dump-dom")
    dom = _check_report(dom_text, poisoned)
    assert not dom.all("script") and not dom.all("img")
    assert poisoned["products"][0]["finished_good"] in dom.content
    assert not _console(stderr), "\n".join(_console(stderr))
