"""Reports: one structure, four renderings; golden files over every example, schema, escaping, colour.

Refresh the golden reports after an intended change with ``RAREBOM_UPDATE_GOLDEN=1`` and
review the diff.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re

import attrs
import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rarebom
from rarebom._resources import schema_path
from rarebom.cli import main
from rarebom.report import FORMATS, Input, render, report_data
from rarebom.report import data as report_data_module
from rarebom.report.data import LIST_LIMIT, bounded
from rarebom.rules import evaluate, load_overrides, load_prices
from rarebom.testing import boms

from .conftest import EXAMPLES, REPO, poison

GOLDEN = REPO / "tests" / "data" / "golden" / "reports"
EXAMPLE_NAMES = sorted(p.stem for p in EXAMPLES.glob("*.xml"))
GENERATED = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
SUFFIX = {"text": "txt", "json": "json", "markdown": "md", "html": "html"}


def example_data(name: str, bom: rarebom.Bom | None = None) -> dict:
    path = EXAMPLES / f"{name}.xml"
    loaded = rarebom.load(path)
    overrides = load_overrides(EXAMPLES / "overrides-ev-traction-motor.toml") if name == "ev-traction-motor" else ()
    evaluation = evaluate(rarebom.trace(bom or loaded.bom), as_of="2026-11-22", prices=load_prices(EXAMPLES / "prices-usgs-2020.toml"), overrides=overrides)
    data = report_data([Input(f"examples/{name}.xml", loaded.format, evaluation, loaded.findings)], generated=GENERATED)
    # Findings name the file as it was opened (an absolute path here): make them relative,
    # so the golden files do not depend on where the checkout is.
    for finding in data["findings"]:
        if finding["file"]:
            finding["file"] = os.path.relpath(finding["file"], REPO)
    return data


@pytest.fixture(scope="module")
def datas():
    return {name: example_data(name) for name in EXAMPLE_NAMES}


def _schema():
    return jsonschema.Draft202012Validator(json.loads(schema_path("report").read_text(encoding="utf-8")))


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_example_report_matches_its_golden_file(datas, name, fmt):
    got = render(datas[name], fmt)
    path = GOLDEN / f"{name}.{SUFFIX[fmt]}"
    if os.environ.get("RAREBOM_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_json_report_is_valid_against_the_schema(datas, name):
    document = json.loads(render(datas[name], "json"))
    errors = sorted(_schema().iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    assert not errors, [(list(e.absolute_path), e.message) for e in errors[:5]]
    assert document["format"] == "rarebom-report/2"
    assert document["inputs"][0]["sha256"] == hashlib.sha256((EXAMPLES / f"{name}.xml").read_bytes()).hexdigest()


def test_the_json_report_holds_the_numbers_derivations_and_sources(datas):
    document = json.loads(render(datas["ev-traction-motor"], "json"))
    [product] = document["products"]
    prong_1 = next(v for v in product["verdicts"] if v["rule"] == "CN-MOFCOM-2025-61/prong-1-value-share")
    assert prong_1["verdict"] == "above" and prong_1["status"] == "unverified" and prong_1["estimated"]
    assert prong_1["measured"]["min"] == pytest.approx(0.035, abs=5e-4)
    assert prong_1["threshold"] == {"operator": ">=", "value": 0.001}
    assert [s["part"] for s in prong_1["path"]] == ["ev-traction-motor", "rotor-assembly", "rotor-magnet-segment"]
    assert any("× 296.103 USD/kg" in line for line in prong_1["arithmetic"])
    rule = next(r for r in document["rules"] if r["id"] == prong_1["rule"])
    assert any(s["url"].startswith("https://politics.neamco.com/") for s in rule["sources"])
    assert "UNVERIFIED" in rule["status_text"]
    dy = next(e for e in product["elements"] if e["symbol"] == "Dy")
    assert dy["total"]["unit"] == "g" and dy["china"]["nominal"] == pytest.approx(13.0896)
    assert product["chart"]["children"][0]["part"] == "rotor-assembly"
    assert len(document["overrides_applied"]) == 2


def test_a_bound_nobody_knows_is_written_as_unbounded_never_as_infinity():
    bom = rarebom.Bom(parts=(rarebom.Part(id="mystery", unit_value=rarebom.Amount.parse("5", "USD", rarebom.Kind.CURRENCY)),))
    data = report_data([Input("mystery.xml", "rarebom-xml", evaluate(rarebom.trace(bom), as_of="2026-11-22"), ())], generated=GENERATED)
    text = render(data, "json")
    assert "Infinity" not in text and "NaN" not in text
    assert json.loads(text)["products"][0]["mass"]["max"] == "unbounded"
    assert not list(_schema().iter_errors(json.loads(text)))


def _hostile_bom() -> rarebom.Bom:
    bom = rarebom.load(EXAMPLES / "ev-traction-motor.xml").bom
    evil = {"rotor-magnet-segment": "<script>alert(1)</script> | pipe \x9b31m red \x85 next"}
    return bom.evolve(parts=tuple(attrs.evolve(p, name=evil[p.id]) if p.id in evil else p for p in bom.parts))


def test_text_and_markdown_neutralise_control_characters_and_markup_from_input():
    data = example_data("ev-traction-motor", _hostile_bom())
    for fmt in ("text", "markdown"):
        out = render(data, fmt)
        assert "\x9b" not in out and "\x85" not in out, fmt
        assert "\\x9b31m" in out or "x9b31m" in out, fmt
    markdown = render(data, "markdown")
    assert "<script>" not in markdown and "\\<script\\>" in markdown


def test_colour_only_when_asked_and_never_with_no_color(monkeypatch, capsys):
    argv = ["trace", str(EXAMPLES / "ev-traction-motor.xml"), "--as-of", "2026-11-22"]
    assert main([*argv, "--color", "always"]) == 0
    assert "\x1b[1;31mABOVE" in capsys.readouterr().out
    assert main(argv) == 0  # auto, and pytest's stdout is not a TTY
    assert "\x1b[" not in capsys.readouterr().out
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    assert main(argv) == 0
    assert "\x1b[" not in capsys.readouterr().out


def test_cli_writes_each_format_and_a_summary_for_several_files(tmp_path, capsys):
    files = [str(EXAMPLES / "ev-traction-motor.xml"), str(EXAMPLES / "smartphone.xml")]
    out = tmp_path / "report.json"
    assert main(["trace", *files, "--as-of", "2026-11-22", "-o", "json", "--output", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and f"wrote the json report to {out}" in captured.err
    document = json.loads(out.read_text(encoding="utf-8"))
    assert [s["finished_good"] for s in document["summary"]] == ["ev-traction-motor", "smartphone"]
    assert not list(_schema().iter_errors(document))
    assert main(["trace", *files, "--as-of", "2026-11-22", "-o", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("# rarebom report, as of 2026-11-22") and "| `examples" not in markdown
    assert "| **ABOVE** |" in markdown
    assert main(["trace", *files, "--as-of", "2026-11-22"]) == 0
    text = capsys.readouterr().out
    assert "\nSummary\n=======" in text


def test_the_text_report_fits_a_100_column_terminal(datas):
    for name, data in datas.items():
        long = [line for line in render(data, "text").splitlines() if len(line) > 100 and " " in line.strip()]
        assert not long, (name, long[:3])


def test_a_nominal_policy_report_says_so_first(capsys):
    argv = ["trace", str(EXAMPLES / "smartphone.xml"), "--as-of", "2026-11-22", "--policy", "nominal"]
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith("POLICY NOMINAL: these verdicts compare the declared nominal values")
    assert main([*argv, "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["policy"] == "nominal"
    assert main([*argv, "-o", "markdown"]) == 0
    assert "> **Policy nominal:**" in capsys.readouterr().out


def test_the_json_report_carries_the_finished_goods_derivation(datas):
    [product] = json.loads(render(datas["ev-traction-motor"], "json"))["products"]
    assert product["derivation"][0].startswith("mass: declared 45700 g")
    assert any(line.startswith("uses 1 × 'rotor-assembly'") for line in product["derivation"])


def test_a_rates_file_converts_values_and_a_broken_one_is_a_located_error(write, capsys):
    eur = (EXAMPLES / "prices-usgs-2020.toml").read_text(encoding="utf-8").replace('currency = "USD"', 'currency = "EUR"')
    prices = write("prices-eur.toml", eur)
    rates = write("rates.toml", 'currency = "USD"\n[rates]\nEUR = "2"\n')
    argv = ["trace", str(EXAMPLES / "ev-traction-motor.xml"), "--as-of", "2026-11-22", "--rules", "CN-MOFCOM-2025-61/prong-1-value-share", "--prices", str(prices)]
    assert main([*argv, "--rates", str(rates)]) == 0
    assert "value share 13.44 %" in capsys.readouterr().out
    broken = write("broken-rates.toml", '[rates]\nEUR = "-1"\n')
    assert main([*argv, "--rates", str(broken)]) == 2
    err = capsys.readouterr().err
    assert f"{broken}: /rates/EUR:" in err and "a rate is positive" in err


def test_progress_goes_to_stderr_only_when_enabled(capsys):
    from rarebom.cli import _Progress

    _Progress(False)("reading big.xml")
    assert capsys.readouterr() == ("", "")
    shown = _Progress(True)
    shown("tracing 1,000,000 parts")
    shown.done()
    captured = capsys.readouterr()
    assert captured.out == "" and "tracing 1,000,000 parts (" in captured.err and captured.err.endswith("\r\x1b[2K")


def test_a_large_input_on_a_terminal_gets_a_progress_bar_on_stderr_and_a_clean_report(monkeypatch, capsys):
    from rarebom import cli

    monkeypatch.setattr(cli._Progress, "LARGE", 0)  # every file is "large" for this test
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    assert main(["trace", str(EXAMPLES / "ev-traction-motor.xml"), "--as-of", "2026-11-22", "-o", "json"]) == 0
    captured = capsys.readouterr()
    frames = [f for f in captured.err.split("\r\x1b[2K") if f]
    assert any(f.startswith(f"reading {EXAMPLES / 'ev-traction-motor.xml'} [") for f in frames)
    assert any(f.startswith("compiling [") for f in frames) and any(f.startswith("rolling up [") for f in frames)
    assert any(f.startswith("evaluating 9 rules") for f in frames)
    assert json.loads(captured.out)["format"] == "rarebom-report/2"  # nothing of it in the report
    assert main(["trace", str(EXAMPLES / "ev-traction-motor.xml"), "--as-of", "2026-11-22", "-q", "-o", "json"]) == 0
    assert "reading" not in capsys.readouterr().err  # -q: no bar


def test_reports_cite_where_an_imported_part_was_declared():
    path = REPO / "tests" / "data" / "import" / "table" / "ev_axle_indented.csv"
    loaded = rarebom.load(path)
    evaluation = evaluate(rarebom.trace(loaded.bom, typical_compositions=True), as_of="2026-11-22")
    data = report_data([Input(str(path), loaded.format, evaluation, loaded.findings)], generated=GENERATED)
    _schema().validate(data)
    (product,) = data["products"]
    cited = [v for v in product["verdicts"] if v["node"] is not None]
    assert cited, "some verdict decides at a part"
    for v in cited:
        assert v["source"] == str(loaded.bom.part(v["node"]).provenance)
        assert v["source"].startswith(f"{path}:") and "row " in v["source"]
    assert product["contributors"] and all(c["source"] == str(loaded.bom.part(c["part"]).provenance) for c in product["contributors"])
    text, markdown, html = (render(data, fmt) for fmt in ("text", "markdown", "html"))
    source = cited[0]["source"]
    assert f"declared in {source}" in " ".join(text.split())
    assert "- Declared in: " in markdown
    assert 'class="source"' in html
    typical = product["coverage"]["typical_composition"]
    assert typical["count"] and "- Typical, not declared, composition: " + ", ".join(f"`{pid}`" for pid in typical["items"]) in markdown  # as text and HTML do


def test_reports_of_rarebom_files_cite_no_declaration(datas):
    for data in datas.values():
        for product in data["products"]:
            assert all(v["source"] is None for v in product["verdicts"])
            assert all(c["source"] is None for c in product["contributors"])


# --- guarantee 5: no text from an input steers a terminal or breaks Markdown ---------------

#: ANSI colour (CSI), an OSC 8 hyperlink ended by BEL, backspace, carriage return, C1 CSI,
#: a Markdown table pipe, HTML and a code-span backtick.
HOSTILE = "\x1b[31mRED\x1b[2J\x1b]8;;http://127.0.0.1:9/\x07link\x1b]8;;\x07\x08\rX\x9b2J|<script>alert(1)</script>`"
CONTROLS = "\x1b\x07\x08\r\x9b"


@pytest.fixture(scope="module")
def poisoned():
    inputs = []
    for name in EXAMPLE_NAMES:
        loaded = rarebom.load(EXAMPLES / f"{name}.xml")
        hostile_warning = rarebom.Finding(rarebom.Severity.WARNING, "unit", f"part {HOSTILE}: odd unit", rarebom.Location(f"{HOSTILE}.csv", 3, f"/p{HOSTILE}"), (HOSTILE,))
        inputs.append(Input(f"{name}{HOSTILE}.xml", loaded.format, evaluate(rarebom.trace(loaded.bom), as_of="2026-11-22"), (*loaded.findings, hostile_warning)))
    return poison(report_data(inputs, generated=GENERATED), HOSTILE)


@pytest.mark.parametrize("verbose", [False, True], ids=["short", "verbose"])
@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_every_input_string_is_neutralised_in_text_and_markdown(poisoned, fmt, verbose):
    out = render(poisoned, fmt, verbose=verbose)
    leaked = sorted({repr(c) for c in CONTROLS if c in out})
    assert not leaked, f"{fmt} passes {', '.join(leaked)} from the input to the reader's terminal"
    # the text is still there, shown, not dropped: part ids, names, file names, rule text
    assert out.count("x1b") >= 10
    for product in poisoned["products"]:  # shown as \x1b (Markdown escapes the backslash: \\x1b)
        assert re.search(re.escape(product["finished_good"].partition("\x1b")[0]) + r"\\+x1b", out)
    if fmt == "markdown":
        assert "odd unit" in out  # the warnings list, with the hostile message neutralised
        assert not _markdown_tags(out), "markup from the input acts in the rendered Markdown"


def _markdown_tags(markdown_text: str) -> list[str]:
    """Each ``<`` that a CommonMark renderer would read as markup: one outside code spans and
    fenced blocks and not backslash-escaped (CommonMark 0.31, sections 2.4 and 6.1)."""
    found, fenced = [], False
    for line in markdown_text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        i = 0
        while i < len(line) and not fenced:
            if line[i] == "\\":
                i += 2
            elif line[i] == "`":
                run = len(re.match("`+", line[i:]).group())
                close = re.compile(f"(?<!`){'`' * run}(?!`)").search(line, i + run)
                i = close.end() if close else i + run  # an unclosed run is literal backticks
            else:
                if line[i] == "<":
                    found.append(line[i : i + 20])
                i += 1
    return found


def test_the_markdown_check_sees_markup():
    assert _markdown_tags("| a |\n|---|\n| <script>x</script> |\n") == ["<script>x</script> |", "</script> |"]
    assert _markdown_tags("`a`<img src=x>`b`") == ["<img src=x>`b`"]
    assert _markdown_tags("`` a`<b> `` \\<i>\n```text\n<x>\n```") == []


def test_the_poisoning_reaches_the_renderers(poisoned):
    """The check above can fail: without neutralising, the raw escape would be printed."""
    from rarebom.report import _format, markdown, text

    original = _format.neutral
    try:
        for module in (_format, text, markdown):
            module.neutral = str
        assert "\x1b[31m" in render(poisoned, "text") and "\x1b[31m" in render(poisoned, "markdown")
    finally:
        for module in (_format, text, markdown):
            module.neutral = original


# -- bounded lists: the first LIST_LIMIT items and the count -----------------------------

COVERAGE_LISTS = ("missing_mass", "missing_composition", "missing_value", "missing_origin", "typical_composition")


@pytest.mark.parametrize("n", [0, 1, LIST_LIMIT - 1, LIST_LIMIT, LIST_LIMIT + 1, 3 * LIST_LIMIT])
def test_a_bounded_list_keeps_the_first_items_and_counts_them_all(n):
    items = tuple(f"item {i}" for i in range(n))
    got = bounded(items, LIST_LIMIT)
    assert got == {"count": n, "items": list(items[:LIST_LIMIT]), "truncated": n > LIST_LIMIT}
    assert bounded(items, None) == {"count": n, "items": list(items), "truncated": False}
    assert bounded(items, 0) == {"count": n, "items": [], "truncated": n > 0}


@pytest.mark.parametrize("limit", [-1, 2.5, "20", True])
def test_a_limit_is_a_whole_number_or_none(limit):
    bom = rarebom.Bom(parts=(rarebom.Part(id="p"),))
    with pytest.raises(ValueError, match="limit"):
        report_data([Input("p.xml", "rarebom-xml", evaluate(rarebom.trace(bom), as_of="2026-11-22"))], limit=limit)


def _gappy(k: int) -> rarebom.Bom:
    """A product of ``k`` parts of 1 g each with no composition and no value: every content
    rule has k gaps to name, and the coverage lists k parts."""
    count = rarebom.Amount.parse("1", "", rarebom.Kind.COUNT)
    leaves = [rarebom.Part(id=f"p{i:03d}", mass=rarebom.Amount.parse("1", "g", rarebom.Kind.MASS)) for i in range(k)]
    top = rarebom.Part(id="product", uses=tuple(rarebom.Usage(child=p.id, quantity=count) for p in leaves))
    return rarebom.Bom(parts=(top, *leaves))


def _gappy_report(k: int, **kw) -> tuple[dict, object]:
    evaluation = evaluate(rarebom.trace(_gappy(k)), as_of="2026-11-22")
    return report_data([Input(f"gappy-{k}.xml", "rarebom-xml", evaluation)], generated=GENERATED, **kw), evaluation


MASS_RULE = "CN-MOFCOM-2025-61/broad-reading-product-mass"


@pytest.mark.parametrize("k", [LIST_LIMIT - 1, LIST_LIMIT, LIST_LIMIT + 1])
def test_verdicts_and_coverage_hold_the_first_items_and_the_count_at_the_boundary(k):
    data, evaluation = _gappy_report(k)
    [product] = data["products"]
    mass_verdict = next(v for v in product["verdicts"] if v["rule"] == MASS_RULE)
    full = list(next(v for v in evaluation if v.rule.id == MASS_RULE).missing)
    assert len(full) == k  # the BOM gives this rule exactly k gaps
    assert mass_verdict["missing"] == {"count": k, "items": full[:LIST_LIMIT], "truncated": k > LIST_LIMIT}
    coverage = product["coverage"]["missing_composition"]
    assert coverage == {"count": k, "items": [f"p{i:03d}" for i in range(min(k, LIST_LIMIT))], "truncated": k > LIST_LIMIT}
    assert not list(_schema().iter_errors(json.loads(render(data, "json"))))


def test_the_full_report_holds_exactly_the_evaluations_lists():
    data, evaluation = _gappy_report(3 * LIST_LIMIT, limit=None)
    [product] = data["products"]
    verdicts = list(evaluation)
    assert [v["rule"] for v in product["verdicts"]] == [v.rule.id for v in verdicts]
    for entry, verdict in zip(product["verdicts"], verdicts, strict=True):
        assert entry["missing"] == {"count": len(verdict.missing), "items": list(verdict.missing), "truncated": False}
        assert entry["nodes"]["items"] == [{"part": n.part, "verdict": n.verdict.value, "computed": n.computed.value} for n in verdict.nodes]
    coverage = evaluation.trace.coverage("product")
    for key in COVERAGE_LISTS:
        assert product["coverage"][key] == {"count": len(getattr(coverage, key)), "items": list(getattr(coverage, key)), "truncated": False}
    assert any(v["missing"]["count"] > LIST_LIMIT for v in product["verdicts"])  # the test has long lists to compare
    assert not list(_schema().iter_errors(json.loads(render(data, "json"))))


@settings(max_examples=15)
@given(bom=boms(max_parts=10), limit=st.one_of(st.none(), st.integers(0, 4)))
def test_every_bounded_list_is_a_prefix_of_the_full_one_with_its_count(bom, limit):
    evaluation = evaluate(rarebom.trace(bom), as_of="2026-11-22")
    inputs = [Input("drawn.xml", "rarebom-xml", evaluation)]
    full, cut = report_data(inputs, generated=GENERATED, limit=None), report_data(inputs, generated=GENERATED, limit=limit)
    lists = 0
    for p_full, p_cut in zip(full["products"], cut["products"], strict=True):
        pairs = [(a[key], b[key]) for a, b in zip(p_full["verdicts"], p_cut["verdicts"], strict=True) for key in ("missing", "nodes")]
        pairs += [(p_full["coverage"][k], p_cut["coverage"][k]) for k in COVERAGE_LISTS]
        for whole, part in pairs:
            lists += 1
            assert part["count"] == whole["count"] == len(whole["items"]) and not whole["truncated"]
            assert part["items"] == whole["items"][: len(part["items"])]
            assert len(part["items"]) == (whole["count"] if limit is None else min(limit, whole["count"]))
            assert part["truncated"] == (len(part["items"]) < whole["count"])
            if "above" in whole:  # nodes: counted by verdict, listed or not
                assert {k: part[k] for k in ("above", "indeterminate", "below")} == {k: whole[k] for k in ("above", "indeterminate", "below")}
                assert [whole[k] for k in ("above", "indeterminate", "below")] == [sum(n["verdict"] == k for n in whole["items"]) for k in ("above", "indeterminate", "below")]
    assert lists == sum(2 * len(p["verdicts"]) + len(COVERAGE_LISTS) for p in full["products"])
    for document in (full, cut):
        assert not list(_schema().iter_errors(json.loads(render(document, "json"))))


def test_every_renderer_says_how_many_more_and_how_to_get_them():
    data, _ = _gappy_report(LIST_LIMIT + 1)
    last = f"p{LIST_LIMIT:03d}"  # the 21st part: in no list of the bounded report
    value_missing = next(v["missing"]["count"] for v in data["products"][0]["verdicts"] if v["rule"].endswith("broad-reading-product-value"))
    text, markdown, html = render(data, "text"), render(data, "markdown"), render(data, "html")
    for out in (text, markdown, html):
        assert f"the first {LIST_LIMIT} of {LIST_LIMIT + 1}" in out  # the product-mass verdict
        assert "and 1 more" in out and f"and {value_missing - LIST_LIMIT} more" in out
        assert "rarebom trace --full-lists shows them all" in out
        assert last not in out
    assert "undeclared composition: p000, p001, p002, p003, p004, p005, p006, p007 and 13 more" in text  # the text shows 8 of 21
    assert "(every part of these lists: rarebom trace -o json --full-lists)" in text
    assert f"`p{LIST_LIMIT - 1:03d}` *and 1 more*" in markdown
    assert f'<code>p{LIST_LIMIT - 1:03d}</code> <span class="more">and 1 more' in html


def test_a_list_of_exactly_the_limit_is_whole_and_says_nothing_more():
    data, _ = _gappy_report(LIST_LIMIT)
    out = {fmt: render(data, fmt) for fmt in ("text", "markdown", "html")}
    for fmt in out:  # (the product-value verdict has LIST_LIMIT + 2 gaps: a unit value per part, and two more)
        assert f"the first {LIST_LIMIT} of" not in out[fmt].replace(f"the first {LIST_LIMIT} of {LIST_LIMIT + 2}", ""), fmt
        assert f"p{LIST_LIMIT - 1:03d}" in out[fmt] and "and 1 more" not in out[fmt], fmt
    assert "and 12 more" in out["text"]  # the text's coverage still shows 8 of 20
    assert "every part of these lists" not in out["text"]


def test_with_the_full_lists_every_renderer_shows_every_item():
    data, _ = _gappy_report(LIST_LIMIT + 1, limit=None)
    last = f"p{LIST_LIMIT:03d}"
    for fmt in ("text", "markdown", "html"):
        out = render(data, fmt)
        assert "--full-lists" not in out and last in out, fmt


def test_cli_full_lists_writes_every_item(tmp_path, capsys):
    path = tmp_path / "gappy.xml"
    rarebom.dump(_gappy(LIST_LIMIT + 5), path)
    argv = ["trace", str(path), "--as-of", "2026-11-22", "-o", "json", "-q"]
    assert main(argv) == 0
    cut = json.loads(capsys.readouterr().out)["products"][0]["coverage"]["missing_composition"]
    assert main([*argv, "--full-lists"]) == 0
    whole = json.loads(capsys.readouterr().out)["products"][0]["coverage"]["missing_composition"]
    assert cut == {"count": LIST_LIMIT + 5, "items": whole["items"][:LIST_LIMIT], "truncated": True}
    assert whole == {"count": LIST_LIMIT + 5, "items": [f"p{i:03d}" for i in range(LIST_LIMIT + 5)], "truncated": False}


def test_the_cli_help_names_the_default_limit(capsys):
    assert main(["trace", "--help"]) == 0
    assert f"the first {LIST_LIMIT} of each" in " ".join(capsys.readouterr().out.split())


def test_a_maximum_nobody_knows_is_unbounded_never_null():
    """A NaN maximum (Bounds keeps it as None) once made a report its own schema rejected."""
    from rarebom.engine.results import Bounds
    from rarebom.report.data import bounds

    assert bounds(Bounds(0, None, float("nan"), "")) == {"min": 0.0, "nominal": None, "max": "unbounded", "unit": ""}


def test_a_rules_nodes_are_bounded_and_counted_by_verdict():
    """Every magnet is a node of the magnet rules: 21 magnets, the last of them Chinese, so
    the one ABOVE node of the China-origin-item rule is past the listed 20, and counted."""
    from rarebom.model import Classification

    magnet_class = (Classification(scheme="item-class", code="ndfeb-magnet"),)
    nd = rarebom.Material(
        name="NdFeB",
        amount=rarebom.Amount.parse("100", "%", rarebom.Kind.FRACTION),
        substances=(rarebom.Substance(element="Nd", amount=rarebom.Amount.parse("30", "%", rarebom.Kind.FRACTION)),),
    )
    k = LIST_LIMIT + 1
    claims = {k - 1: (rarebom.OriginClaim(country="CN", stage=rarebom.Stage.SEPARATED, source="test"),)}
    magnets = [
        rarebom.Part(id=f"m{i:03d}", mass=rarebom.Amount.parse("1", "g", rarebom.Kind.MASS), materials=(nd,), classifications=magnet_class, origins=claims.get(i, ()))
        for i in range(k)
    ]
    count = rarebom.Amount.parse("1", "", rarebom.Kind.COUNT)
    bom = rarebom.Bom(parts=(rarebom.Part(id="product", uses=tuple(rarebom.Usage(child=m.id, quantity=count) for m in magnets)), *magnets))
    evaluation = evaluate(rarebom.trace(bom), as_of="2026-11-22")
    data = report_data([Input("magnets.xml", "rarebom-xml", evaluation)], generated=GENERATED)
    checked = 0
    for entry, verdict in zip(data["products"][0]["verdicts"], evaluation, strict=True):
        nodes = entry["nodes"]
        full = [{"part": n.part, "verdict": n.verdict.value, "computed": n.computed.value} for n in verdict.nodes]
        assert nodes["count"] == len(full) and nodes["items"] == full[:LIST_LIMIT] and nodes["truncated"] == (len(full) > LIST_LIMIT)
        assert [nodes[v] for v in ("above", "indeterminate", "below")] == [sum(n["verdict"] == v for n in full) for v in ("above", "indeterminate", "below")]
        if len(full) == k:
            checked += 1
            assert nodes["truncated"] and len(nodes["items"]) == LIST_LIMIT
    assert checked  # some rule has a node per magnet
    prong_3 = next(v["nodes"] for v in data["products"][0]["verdicts"] if v["rule"].endswith("prong-3-china-origin-item"))
    assert prong_3["above"] == 1 and all(n["verdict"] != "above" for n in prong_3["items"])
    assert not list(_schema().iter_errors(json.loads(render(data, "json"))))


def _unbounded(value):
    """A format-2 report with its bounded lists turned back into plain lists: format 1."""
    if isinstance(value, dict):
        if {"count", "items", "truncated"} <= set(value):
            assert not value["truncated"] and value["count"] == len(value["items"])
            return [_unbounded(v) for v in value["items"]]
        return {k: _unbounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unbounded(v) for v in value]
    return value


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_the_full_lists_are_format_1_in_format_2s_shape(name):
    """Format 2 changed only how the growing lists are written: with every item, each is a
    format-1 list (the format-1 schema is kept for reports written before)."""
    loaded = rarebom.load(EXAMPLES / f"{name}.xml")
    data = report_data([Input(f"examples/{name}.xml", loaded.format, evaluate(rarebom.trace(loaded.bom), as_of="2026-11-22"))], generated=GENERATED, limit=None)
    document = _unbounded(json.loads(render(data, "json"))) | {"format": "rarebom-report/1"}
    v1 = jsonschema.Draft202012Validator(json.loads((REPO / "schemas" / "rarebom-report-1.schema.json").read_text(encoding="utf-8")))
    assert not list(v1.iter_errors(document))
    assert not list(_schema().iter_errors(json.loads(render(data, "json"))))


@settings(max_examples=300)
@given(
    text=st.text(alphabet=st.sampled_from("ab- %\t\n\r\x0b\x0c\xa0\u3000\u2028\x00é"), max_size=120),
    first=st.sampled_from(["", "  ", " " * 9, " " * 9 + "- ", "  - "]),
    rest=st.sampled_from(["", "    ", " " * 11]),
)
def test_the_text_reports_quick_line_is_textwraps_line(text, first, rest):
    """A line that fits skips textwrap: it must come out exactly as textwrap would write it."""
    import textwrap

    from rarebom.report.text import WIDTH, _wrap

    glued = text.replace(" %", "\x00%")
    slow = textwrap.wrap(glued, WIDTH, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False) or [first.rstrip()]
    assert _wrap(text, first, rest) == [line.replace("\x00", " ") for line in slow]


def test_the_input_digest_reads_the_file_a_chunk_at_a_time(tmp_path, monkeypatch):
    """The report's sha256 of its input: that of the whole file, read in chunks (read whole,
    a 1M-part BOM's 414 MB were the peak of the run's memory), and None when unreadable."""
    path = tmp_path / "big.xml"
    path.write_bytes(os.urandom(3 << 20) + b"end")
    reads: list[int] = []

    class Watched:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def readable(self):
            return True

        def readinto(self, buffer):
            reads.append(len(buffer))
            return self.f.readinto(buffer)

        def read(self, size=-1):
            reads.append(size)
            return self.f.read(size)

    # (Watched closes the file it is given when the digest leaves its with block)
    monkeypatch.setattr(report_data_module, "open", lambda p, mode: Watched(open(p, mode)), raising=False)  # noqa: SIM115
    assert report_data_module._digest(str(path)) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert len(reads) > 3 and all(0 < n <= 1 << 20 for n in reads), reads[:5]
    assert report_data_module._digest(str(tmp_path / "gone.xml")) is None
