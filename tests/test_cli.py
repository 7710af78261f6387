"""The CLI, called in-process: exit codes, streams, and no tracebacks on bad input."""

import json

import pytest

import rarebom
import rarebom.rules
from rarebom._resources import schema_path
from rarebom.cli import main

from .conftest import EXAMPLES, documented_minimal_pack

EV_XML = EXAMPLES / "ev-traction-motor.xml"


def test_validate_ok(capsys):
    assert main(["validate", str(EV_XML)]) == 0
    out = capsys.readouterr().out
    assert "valid rarebom-xml" in out and "1 finished good (ev-traction-motor)" in out


def test_validate_json_output(capsys):
    assert main(["validate", "-o", "json", str(EV_XML)]) == 0
    [report] = json.loads(capsys.readouterr().out)
    assert report["valid"] and report["finishedGoods"] == ["ev-traction-motor"] and report["parts"] == 25


def test_validate_bad_file_exits_2_with_located_errors(write, capsys):
    path = write("bad.json", '{"format": "rarebom", "formatVersion": "1.0", "parts": [{"id": "a", "uses": [{"part": "b", "quantity": {"value": "-1"}}]}]}')
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert "invalid, 2 errors" in captured.out
    assert "bad.json:1: /parts/0: error: part 'a' uses part 'b', which does not exist [dangling-reference]" in captured.err
    assert "[non-positive-quantity]" in captured.err
    assert "Traceback" not in captured.err


def test_validate_json_output_for_a_bad_file(write, capsys):
    path = write("bad.xml", '<bom xmlns="urn:rarebom:bom:1" formatVersion="1.0"><part id="a"><mass value="x" unit="g"/></part></bom>')
    assert main(["validate", "-o", "json", str(path)]) == 2
    [report] = json.loads(capsys.readouterr().out)
    assert report["valid"] is False
    assert report["findings"][0]["code"] == "schema" and report["findings"][0]["line"] == 1


@pytest.mark.parametrize("suffix", ["json", "xml"])
def test_convert_both_ways(tmp_path, suffix, capsys):
    source = EXAMPLES / f"smartphone.{'xml' if suffix == 'json' else 'json'}"
    target = tmp_path / f"out.{suffix}"
    assert main(["convert", str(source), str(target)]) == 0
    assert rarebom.load(target).bom == rarebom.load(source).bom
    assert "-> " in capsys.readouterr().err


def test_convert_refuses_to_overwrite_its_input(capsys):
    assert main(["convert", str(EV_XML), str(EV_XML)]) == 2
    assert "overwrite" in capsys.readouterr().err


def test_convert_unknown_target_suffix(tmp_path, capsys):
    assert main(["convert", str(EV_XML), str(tmp_path / "out.csv")]) == 2
    assert "cannot tell which format" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["bom-xml", "bom-json"])
def test_schema_prints_the_shipped_schema(name, capsys):
    assert main(["schema", name]) == 0
    assert capsys.readouterr().out == schema_path(name).read_text()


def test_usage_errors_exit_2(capsys):
    assert main(["validate"]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["validate", "--mass-tolerance", "lots", str(EV_XML)]) == 2


def test_missing_file_exits_2(capsys):
    assert main(["validate", "/nonexistent.xml"]) == 2
    assert "cannot open the file" in capsys.readouterr().err


def test_tolerances_from_the_command_line(write, capsys):
    text = (
        '<bom xmlns="urn:rarebom:bom:1" formatVersion="1.0"><part id="a"><mass value="100" unit="g"/><use part="b"><quantity value="2"/></use></part>'
        '<part id="b"><mass value="45" unit="g"/></part></bom>'
    )
    path = write("mb.xml", text)
    assert main(["validate", str(path)]) == 0
    assert "[mass-balance]" in capsys.readouterr().err
    assert main(["validate", "--mass-tolerance", "15%", str(path)]) == 0
    assert "[mass-balance]" not in capsys.readouterr().err


def test_python_dash_m(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "rarebom", "validate", str(EV_XML)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout


# --- rules and trace -----------------------------------------------------------------------

SMARTPHONE_XML = EXAMPLES / "smartphone.xml"
PRICES = EXAMPLES / "prices-usgs-2020.toml"
OVERRIDES = EXAMPLES / "overrides-ev-traction-motor.toml"
PRONG_1 = "CN-MOFCOM-2025-61/prong-1-value-share"
SHIPPED_RULE_IDS = [
    "CN-MOFCOM-2025-61/prong-1-value-share",
    "CN-MOFCOM-2025-61/prong-2-technology",
    "CN-MOFCOM-2025-61/prong-3-china-origin-item",
    "CN-MOFCOM-2025-61/broad-reading-product-mass",
    "CN-MOFCOM-2025-61/broad-reading-product-value",
    "CN-MOFCOM-GAC-2025-18/china-origin-items",
    "CN-MOFCOM-GAC-2025-18/magnet-dy-tb-screen",
    "CN-MOFCOM-GAC-2025-57/china-origin-items",
    "US-DFARS-252.225-7052/covered-magnets",
]

USER_PACK = documented_minimal_pack()


def _rule_lines(out: str) -> dict[str, str]:
    """The lines of `rules list` by rule id."""
    return {line.split()[0]: line for line in out.splitlines() if line.split() and "/" in line.split()[0]}


def _verdict_lines(out: str) -> dict[str, str]:
    """The verdict of each rule block in `trace` output, by rule id."""
    found = {}
    for line in out.splitlines():
        words = line.split()
        if len(words) == 2 and words[0] in ("ABOVE", "BELOW", "INDETERMINATE"):
            found[words[1]] = words[0]
    return found


def test_rules_list_on_a_date_after_the_suspension(capsys):
    assert main(["rules", "list", "--as-of", "2026-11-22"]) == 0
    out = capsys.readouterr().out
    lines = _rule_lines(out)
    assert sorted(lines) == sorted(SHIPPED_RULE_IDS)
    assert lines[PRONG_1].split()[1] == "unverified"
    assert lines["CN-MOFCOM-GAC-2025-18/china-origin-items"].split()[1] == "in-force"
    assert lines["CN-MOFCOM-GAC-2025-18/magnet-dy-tb-screen"].split()[1] == "in-force"
    assert lines["US-DFARS-252.225-7052/covered-magnets"].split()[1] == "in-force"
    assert "Status as of 2026-11-22." in out


def test_rules_list_during_the_suspension(capsys):
    assert main(["rules", "list", "--as-of", "2025-11-20"]) == 0
    lines = _rule_lines(capsys.readouterr().out)
    assert lines[PRONG_1].split()[1] == "suspended"
    assert lines["CN-MOFCOM-GAC-2025-57/china-origin-items"].split()[1] == "suspended"
    assert lines["CN-MOFCOM-GAC-2025-18/china-origin-items"].split()[1] == "in-force"


def test_rules_list_before_no_18(capsys):
    assert main(["rules", "list", "--as-of", "2025-04-03"]) == 0
    lines = _rule_lines(capsys.readouterr().out)
    assert lines["CN-MOFCOM-GAC-2025-18/china-origin-items"].split()[1] == "not-issued"


def test_rules_list_with_a_user_pack(write, capsys):
    pack = write("acme.toml", USER_PACK)
    assert main(["rules", "list", "--as-of", "2026-11-22", "--rules", str(pack)]) == 0
    lines = _rule_lines(capsys.readouterr().out)
    assert len(lines) == 10 and lines["ACME-DY-POLICY/magnet-dy"].split()[1] == "in-force"


def test_rules_show_prong_1(capsys):
    assert main(["rules", "show", PRONG_1, "--as-of", "2026-11-22"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{PRONG_1}: ")
    assert "Threshold: >= 0.1 % [C]" in out
    assert "Elements: Sm, Dy, Gd, Tb, Lu, Sc, Y [S]" in out
    # every source of the pack, each address whole on its own line so it can be copied
    lines = out.splitlines()
    for source in rarebom.rules.load_rules()[PRONG_1].pack.sources:
        assert f"    {source.url}" in lines, source.url
    assert "2025-10-09 to 2025-11-06: not-yet-effective [C]" in out
    assert "2025-11-07 to 2026-11-10: suspended by MOFCOM/GAC Announcement No. 70 of 2025 [C]" in out
    assert "from 2026-11-11: unverified [U]" in out
    assert "Status on 2026-11-22: UNVERIFIED" in out


def test_rules_show_unknown_id_exits_2(capsys):
    assert main(["rules", "show", "CN-MOFCOM-2025-61/prong-9"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no rule is called 'CN-MOFCOM-2025-61/prong-9'" in captured.err


def test_trace_prints_a_block_for_each_rule(capsys):
    assert main(["trace", str(EV_XML), "--as-of", "2026-11-22"]) == 0
    out = capsys.readouterr().out
    assert f"{EV_XML}: 25 parts, 9 rules, as of 2026-11-22" in out
    verdicts = _verdict_lines(out)
    assert sorted(verdicts) == sorted(SHIPPED_RULE_IDS)
    assert verdicts["CN-MOFCOM-GAC-2025-18/china-origin-items"] == "ABOVE"
    assert verdicts["US-DFARS-252.225-7052/covered-magnets"] == "ABOVE"
    assert verdicts["CN-MOFCOM-GAC-2025-57/china-origin-items"] == "BELOW"
    # without prices, prong 1 cannot value the magnet's Dy and Tb
    assert verdicts[PRONG_1] == "INDETERMINATE"
    assert "status on 2026-11-22: UNVERIFIED" in out


def test_trace_fail_on_above_exits_1(capsys):
    assert main(["trace", str(EV_XML), "--as-of", "2026-11-22", "--fail-on", "above"]) == 1
    assert "ABOVE" in capsys.readouterr().out


def test_trace_fail_on_indeterminate_with_a_below_rule_exits_0(capsys):
    assert main(["trace", str(EV_XML), "--as-of", "2026-11-22", "--rules", "CN-MOFCOM-GAC-2025-57", "--fail-on", "indeterminate"]) == 0
    out = capsys.readouterr().out
    assert _verdict_lines(out) == {"CN-MOFCOM-GAC-2025-57/china-origin-items": "BELOW"}
    assert "25 parts, 1 rule, as of 2026-11-22" in out


def test_trace_fail_on_indeterminate_exits_3(capsys):
    argv = ["trace", str(SMARTPHONE_XML), "--as-of", "2026-11-22", "--rules", "CN-MOFCOM-2025-61/prong-2-technology"]
    assert main([*argv, "--fail-on", "indeterminate"]) == 3
    out = capsys.readouterr().out
    assert _verdict_lines(out) == {"CN-MOFCOM-2025-61/prong-2-technology": "INDETERMINATE"}
    assert "china-re-technology flag" in out
    # INDETERMINATE is not ABOVE: --fail-on above lets it pass, and so does no --fail-on
    assert main([*argv, "--fail-on", "above"]) == 0
    assert main(argv) == 0


def test_trace_fail_on_indeterminate_still_exits_1_on_above(capsys):
    argv = ["trace", str(EV_XML), "--as-of", "2026-11-22", "--rules", "CN-MOFCOM-GAC-2025-18", "--fail-on", "indeterminate"]
    assert main(argv) == 1


def test_trace_with_a_user_pack_adds_its_rule(write, capsys):
    pack = write("acme.toml", USER_PACK)
    assert main(["trace", str(EV_XML), "--as-of", "2026-11-22", "--rules", str(pack)]) == 0
    out = capsys.readouterr().out
    assert "25 parts, 10 rules" in out
    verdicts = _verdict_lines(out)
    assert sorted(verdicts) == sorted([*SHIPPED_RULE_IDS, "ACME-DY-POLICY/magnet-dy"])
    assert "company policy SP-12: Dy share of the magnet's mass" in out


def test_trace_with_only_a_user_pack(write, capsys):
    pack = write("acme.toml", USER_PACK)
    assert main(["trace", str(EV_XML), "--as-of", "2026-11-22", "--rules", str(pack), "--no-builtin-rules"]) == 0
    out = capsys.readouterr().out
    assert "25 parts, 1 rule, as of 2026-11-22" in out
    assert list(_verdict_lines(out)) == ["ACME-DY-POLICY/magnet-dy"]
    assert "CN-MOFCOM" not in out and "DFARS" not in out


def test_trace_user_pack_and_an_id_together(write, capsys):
    pack = write("acme.toml", USER_PACK)
    assert main(["trace", str(EV_XML), "--as-of", "2026-11-22", "--rules", str(pack), "--rules", "ACME-DY-POLICY"]) == 0
    assert list(_verdict_lines(capsys.readouterr().out)) == ["ACME-DY-POLICY/magnet-dy"]


def test_trace_broken_user_pack_exits_2_with_the_pointer(write, capsys):
    pack = write("acme.toml", USER_PACK.replace('value = "0.01"', 'value = "1 %"'))
    assert main(["trace", str(EV_XML), "--as-of", "2026-11-22", "--rules", str(pack)]) == 2
    captured = capsys.readouterr()
    assert f"{pack}: 1 problem" in captured.err
    assert "/rules/0/threshold/value: '1 %' does not match" in captured.err
    assert captured.out == ""


def test_trace_unknown_rule_id_exits_2(capsys):
    assert main(["trace", str(EV_XML), "--as-of", "2026-11-22", "--rules", "CN-MOFCOM-2025-6"]) == 2
    assert "no rule or pack is called 'CN-MOFCOM-2025-6'" in capsys.readouterr().err


def test_trace_missing_pack_file_exits_2(tmp_path, capsys):
    missing = tmp_path / "missing-pack.toml"
    assert main(["trace", str(EV_XML), "--as-of", "2026-11-22", "--rules", str(missing)]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "no such file or folder" in err


def test_trace_bad_date_exits_2(capsys):
    assert main(["trace", str(EV_XML), "--as-of", "2026-13-01"]) == 2
    err = capsys.readouterr().err
    assert "'2026-13-01' is not a date" in err
    assert "Traceback" not in err


def test_trace_missing_overrides_file_exits_2(tmp_path, capsys):
    missing = tmp_path / "missing.toml"
    assert main(["trace", str(EV_XML), "--as-of", "2026-11-22", "--overrides", str(missing)]) == 2
    captured = capsys.readouterr()
    assert str(missing) in captured.err and "cannot read the file" in captured.err
    assert captured.out == ""


def test_trace_broken_price_table_exits_2_with_the_pointer(write, capsys):
    prices = write(
        "prices.toml",
        'format = "rarebom-prices/1"\n[table]\nname = "t"\ndate = 2026-01-01\nsource = "s"\ncurrency = "USD"\n'
        '[[prices]]\nelement = "Dy"\nvalue = "300"\nper = "kg"\n'
        '[[prices]]\nformula = "Fe2O3"\nvalue = "1"\nper = "kg"\n',
    )
    assert main(["trace", str(EV_XML), "--as-of", "2026-11-22", "--prices", str(prices)]) == 2
    captured = capsys.readouterr()
    assert f"{prices}: 1 problem" in captured.err
    assert "/prices/1/formula: 'Fe2O3' must hold exactly one rare-earth element" in captured.err
    assert captured.out == ""


def test_trace_with_prices_and_overrides(capsys):
    argv = ["trace", str(EV_XML), "--as-of", "2026-11-22", "--prices", str(PRICES), "--overrides", str(OVERRIDES)]
    assert main(argv) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert _verdict_lines(out)[PRONG_1] == "ABOVE"
    assert "Overrides applied" in out
    assert "bearing-6208-hybrid × CN-MOFCOM-2025-61: verdict below" in out
    assert "estimated" in out
    assert "value share 6.72 % [3.5 %, 12.6 %] against >= 0.1 % (estimated)" in out
    assert "× 296.103 USD/kg (Dy in Dy2O3," not in out  # the deciding line only, unless -v
    assert main([*argv, "-v"]) == 0
    assert "× 296.103 USD/kg (Dy in Dy2O3," in capsys.readouterr().out
    assert "USGS MCS 2021 rare-earth oxide prices (2020 averages)" in out
    assert main([*argv, "--fail-on", "above"]) == 1


def test_trace_converts_a_price_table_in_another_currency_with_rate(write, capsys):
    eur = (EXAMPLES / "prices-usgs-2020.toml").read_text(encoding="utf-8").replace('currency = "USD"', 'currency = "EUR"')
    prices = write("prices-eur.toml", eur)
    argv = ["trace", str(EXAMPLES / "ev-traction-motor.xml"), "--as-of", "2026-11-22", "--rules", "CN-MOFCOM-2025-61/prong-1-value-share", "--prices", str(prices)]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "[price-currency]" in captured.err and "INDETERMINATE" in captured.out
    assert main([*argv, "--rate", "EUR=2"]) == 0
    captured = capsys.readouterr()
    assert "[price-currency]" not in captured.err
    assert "value share 13.44 %" in captured.out  # twice the USD figure of 6.72 %


def test_trace_stops_quietly_when_the_reader_goes_away(monkeypatch, capsys):
    class Gone:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            pass

    monkeypatch.setattr("sys.stdout", Gone())
    assert main(["trace", str(EXAMPLES / "ev-traction-motor.xml"), "--as-of", "2026-11-22"]) == 141
    assert "Broken pipe" not in capsys.readouterr().err


# --- industry formats and tables ----------------------------------------------------------

TABLES = EXAMPLES.parent / "tests" / "data" / "import" / "table"


def test_columns_remap_a_table_from_the_command_line(capsys):
    path = TABLES / "stepper_kit_no_mass_unit.csv"
    assert main(["validate", str(path)]) == 2
    assert "[missing-unit]" in capsys.readouterr().err
    assert main(["validate", "--columns", "unit_mass=Weight (g)", str(path)]) == 0
    assert "valid csv" in capsys.readouterr().out


def test_a_misspelt_column_field_is_a_located_usage_error(capsys):
    assert main(["validate", "--columns", "part=Part Number,wieght=Unit Mass (g)", str(TABLES / "ev_axle_indented.csv")]) == 2
    err = capsys.readouterr().err
    assert "[column-mapping]" in err and "Traceback" not in err


def test_table_options_on_a_declaration_exit_2(capsys):
    assert main(["validate", "--columns", "part=PN", str(EV_XML)]) == 2
    assert "columns apply only to csv, xlsx; this file is rarebom-xml" in capsys.readouterr().err


def test_sheet_picks_a_workbook_sheet_and_trace_reads_it(tmp_path, capsys):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["nothing here"])
    sheet = book.create_sheet("BOM")
    for row in (["Level", "Part Number", "Quantity", "Unit Mass (g)"], [0, "KIT", 1, 100], [1, "MAG", 4, 2.5]):
        sheet.append(row)
    path = tmp_path / "kit.xlsx"
    book.save(path)
    assert main(["validate", "--sheet", "Nope", str(path)]) == 2
    assert "[sheet-not-found]" in capsys.readouterr().err
    assert main(["trace", "-q", "-o", "json", "--sheet", "BOM", "--as-of", "2026-11-22", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["inputs"][0]["format"] == "xlsx"
    (product,) = report["products"]
    assert product["finished_good"] == "KIT" and product["mass"]["nominal"] == 100
