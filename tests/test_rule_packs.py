"""Rule packs, price tables and overrides: the shipped data, its legal facts, and located load errors."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path

import pytest

from rarebom import chemistry
from rarebom.rules import (
    BUILTIN_PACKS,
    Basis,
    Level,
    Reading,
    RuleError,
    Status,
    Verdict,
    load_overrides,
    load_pack,
    load_prices,
    load_rules,
)
from rarebom.rules.overrides import Override

from .conftest import EXAMPLES, documented_minimal_pack

D = dt.date.fromisoformat

PRONG_1 = "CN-MOFCOM-2025-61/prong-1-value-share"
PRONG_3 = "CN-MOFCOM-2025-61/prong-3-china-origin-item"
NO_18_ITEMS = "CN-MOFCOM-GAC-2025-18/china-origin-items"
NO_18_SCREEN = "CN-MOFCOM-GAC-2025-18/magnet-dy-tb-screen"
DFARS = "US-DFARS-252.225-7052/covered-magnets"
BROAD = ("CN-MOFCOM-2025-61/broad-reading-product-mass", "CN-MOFCOM-2025-61/broad-reading-product-value")
CONFIDENCE = {"C", "S", "U"}

SHIPPED_FILES = sorted(BUILTIN_PACKS.glob("*.toml"))


@pytest.fixture(scope="module")
def shipped():
    return load_rules()


# --- the shipped packs -----------------------------------------------------------------


def test_four_packs_and_nine_rules_ship():
    assert [p.name for p in SHIPPED_FILES] == [
        "cn-mofcom-2025-61.toml",
        "cn-mofcom-gac-2025-18.toml",
        "cn-mofcom-gac-2025-57.toml",
        "us-dfars-252.225-7052.toml",
    ]
    rules = load_rules()
    assert len(rules.packs) == 4 and len(rules) == 9


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.stem)
def test_every_shipped_pack_loads_on_its_own(path):
    pack = load_pack(path)
    assert pack.path == str(path)
    assert pack.rules
    assert all(rule.pack is pack for rule in pack.rules)
    assert all(rule.id.startswith(pack.id + "/") for rule in pack.rules)


def test_shipped_rule_ids_are_unique(shipped):
    ids = [rule.id for rule in shipped]
    assert len(ids) == len(set(ids)) == 9


def test_every_shipped_pack_has_its_dates(shipped):
    for pack in shipped.packs:
        assert isinstance(pack.data_as_of, dt.date), pack.id
        assert isinstance(pack.issued.value, dt.date), pack.id
        assert pack.issued.confidence in CONFIDENCE, pack.id
        # A pack cannot be checked before its instrument was issued.
        assert pack.issued.value <= pack.data_as_of, pack.id
        assert pack.verify_url and pack.verify_url.startswith("https://"), pack.id


def test_every_shipped_rule_has_its_texts_and_windows(shipped):
    for rule in shipped:
        assert rule.title.strip(), rule.id
        assert rule.summary.strip(), rule.id
        assert rule.consequence.strip(), rule.id
        assert len(rule.windows) >= 1, rule.id
        # Windows are ordered, closed except the last, and never end before they start.
        for a, b in zip(rule.windows, rule.windows[1:], strict=False):
            assert a.end is not None and a.end < b.start, rule.id
        for window in rule.windows:
            assert window.end is None or window.start <= window.end, rule.id


def _cited_facts(rule):
    """Every Cited value of a rule, with a name for the assertion message."""
    for name in ("elements", "item_classes", "input_classes", "threshold", "countries"):
        fact = getattr(rule, name)
        if fact is not None:
            yield name, fact
    for n, note in enumerate(rule.notes):
        yield f"notes/{n}", note
    for n, scope in enumerate(rule.out_of_scope):
        yield f"out_of_scope/{n}", scope


def test_every_shipped_fact_has_a_confidence_mark(shipped):
    checked = 0
    for rule in shipped:
        for name, fact in _cited_facts(rule):
            assert fact.confidence in CONFIDENCE, f"{rule.id} {name}: {fact.confidence!r}"
            checked += 1
        for n, window in enumerate(rule.windows):
            assert window.confidence in CONFIDENCE, f"{rule.id} windows/{n}"
        for n, stage_set in enumerate(rule.stages):
            assert stage_set.confidence in CONFIDENCE, f"{rule.id} stages/{n}"
    for pack in shipped.packs:
        for n, entry in enumerate(pack.outlook_entries):
            assert entry.confidence in CONFIDENCE, f"{pack.id} outlook/{n}"
    assert checked > 50  # the walk really visited the facts


def test_every_cited_source_has_a_web_address(shipped):
    cited = []
    for rule in shipped:
        for _, fact in _cited_facts(rule):
            cited += fact.sources
        for window in rule.windows:
            cited += window.sources
        for stage_set in rule.stages:
            cited += stage_set.sources
    for pack in shipped.packs:
        cited += pack.issued.sources
        cited += pack.sources
        for entry in pack.outlook_entries:
            cited += entry.sources
    assert len(cited) > 100
    for source in cited:
        assert source.url.startswith(("https://", "http://")), source
        assert " " not in source.url, source
        assert source.title.strip(), source


def test_legal_text_facts_cite_at_least_one_source(shipped):
    # A confirmed (C) or secondary (S) fact with no source would be a mark nothing backs.
    for rule in shipped:
        for name, fact in _cited_facts(rule):
            if fact.confidence in ("C", "S"):
                assert fact.sources, f"{rule.id} {name} is marked {fact.confidence} but cites no source"


# --- the legal facts the issue insists on ----------------------------------------------


def test_prong_1_is_a_value_share_of_one_in_a_thousand_at_the_magnet(shipped):
    rule = shipped[PRONG_1]
    assert rule.basis is Basis.VALUE_SHARE
    assert rule.level is Level.ITEM
    assert rule.reading is Reading.LEGAL_TEXT
    assert rule.origin == "china"
    assert rule.operator == ">="
    assert rule.threshold_value == Fraction(1, 1000)
    assert type(rule.threshold_value) is Fraction  # exact, never a float
    assert {"rare-earth-permanent-magnet", "rare-earth-sputtering-target"} <= rule.classes
    assert set(rule.symbols) == {"Sm", "Dy", "Gd", "Tb", "Lu", "Sc", "Y"}
    assert len(rule.symbols) == 7


def test_prong_1_not_yet_effective_before_the_suspension(shipped):
    status = shipped[PRONG_1].status(D("2025-11-06"))
    assert status.status is Status.NOT_YET_EFFECTIVE
    assert not status.in_force


@pytest.mark.parametrize("day", ["2025-11-07", "2026-11-10"])
def test_prong_1_suspended_by_announcement_70(shipped, day):
    status = shipped[PRONG_1].status(D(day))
    assert status.status is Status.SUSPENDED
    assert not status.in_force
    assert "Announcement No. 70" in status.window.by
    assert "Announcement No. 70" in status.text


@pytest.mark.parametrize("day", ["2026-11-11", "2026-11-22"])
def test_prong_1_unverified_after_the_suspension_ends(shipped, day):
    rule = shipped[PRONG_1]
    status = rule.status(D(day))
    assert status.status is Status.UNVERIFIED
    assert not status.in_force
    assert "UNVERIFIED" in status.text
    assert str(rule.pack.data_as_of) in status.text
    assert rule.pack.data_as_of == D("2026-11-22")
    assert "in force" not in status.text.replace("whether this rule is in force", "")
    assert rule.pack.verify_url in status.text


def test_prong_1_unverified_text_never_says_in_force_plainly(shipped):
    # The only "in force" the text may contain is the question "whether ... is in force".
    text = shipped[PRONG_1].status(D("2026-11-22")).text
    assert text.count("in force") == text.count("whether this rule is in force") == 1


def test_prong_3_applied_on_publication(shipped):
    status = shipped[PRONG_3].status(D("2025-10-20"))
    assert status.status is Status.IN_FORCE and status.in_force
    assert shipped[PRONG_3].status(D("2025-11-07")).status is Status.SUSPENDED


@pytest.mark.parametrize("rule_id", [NO_18_ITEMS, NO_18_SCREEN])
def test_no_18_in_force_from_publication_and_not_suspended(shipped, rule_id):
    rule = shipped[rule_id]
    assert rule.status(D("2025-04-04")).status is Status.IN_FORCE
    assert rule.status(D("2025-11-20")).status is Status.IN_FORCE  # No. 70 does not list No. 18
    assert rule.status(D("2026-11-22")).status is Status.IN_FORCE
    before = rule.status(D("2025-04-03"))
    assert before.status is Status.NOT_ISSUED and before.window is None


def test_dfars_mining_stages_count_from_2027(shipped):
    rule = shipped[DFARS]
    assert rule.basis is Basis.ORIGIN_CLAIMS
    late_2026 = rule.stages_on(D("2026-12-31"))
    assert "mined" not in late_2026 and "separated" not in late_2026
    assert {"metal-or-alloy", "magnet-or-functional-material"} <= late_2026
    assert {"mined", "separated", "metal-or-alloy", "magnet-or-functional-material"} <= rule.stages_on(D("2027-01-01"))
    assert rule.stages_on(D("2019-04-29")) == frozenset()


def test_dfars_covered_countries(shipped):
    assert shipped[DFARS].countries.value == frozenset({"CN", "RU", "KP", "IR"})


def test_dy_tb_screen_is_industry_practice_and_says_it_is_not_law(shipped):
    rule = shipped[NO_18_SCREEN]
    assert rule.reading is Reading.INDUSTRY_PRACTICE
    assert "not law" in rule.label
    assert set(rule.symbols) == {"Dy", "Tb"}
    assert rule.operator == ">" and rule.threshold_value == Fraction(1, 1000)


@pytest.mark.parametrize("rule_id", BROAD)
def test_broad_readings_are_labelled_and_measured_on_the_finished_good(shipped, rule_id):
    rule = shipped[rule_id]
    assert rule.reading is Reading.BROAD_READING
    assert rule.level is Level.FINISHED_GOOD
    assert "not the legal test" in rule.label


def test_only_the_two_broad_rules_are_broad_readings(shipped):
    assert {r.id for r in shipped if r.reading is Reading.BROAD_READING} == set(BROAD)


# --- broken packs -------------------------------------------------------------------------

MINIMAL = documented_minimal_pack()


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def _broken(write, text: str, name: str = "pack.toml") -> RuleError:
    path = write(name, text)
    with pytest.raises(RuleError) as caught:
        load_pack(path)
    error = caught.value
    assert error.file == str(path)
    assert str(path) in str(error)
    for pointer, message in error.problems:
        assert (f"{pointer}: {message}" if pointer else message) in str(error)
    return error


@pytest.mark.parametrize("mark", [b"", b"\xef\xbb\xbf"])
def test_a_pack_that_is_not_utf8_names_the_byte(write, mark):
    data = mark + MINIMAL.encode() + b"# \xff\n"
    error = _broken(write, data)
    at = data.index(0xFF)
    assert error.problems == (("", f"the file is not UTF-8 (invalid start byte at byte {at})"),)


def test_the_minimal_pack_loads(write):
    pack = load_pack(write("pack.toml", MINIMAL))
    [rule] = pack.rules
    assert rule.id == "ACME-DY-POLICY/magnet-dy"
    assert rule.threshold_value == Fraction(1, 100)
    assert rule.status(D("2026-11-22")).status is Status.IN_FORCE
    assert rule.status(D("2026-02-28")).status is Status.NOT_ISSUED
    assert rule.elements.sources[0].url == "https://intranet.example.com/policies/sp-12"


def test_invalid_toml_syntax(write):
    error = _broken(write, MINIMAL + "\nthis is = = not toml\n")
    [(pointer, message)] = error.problems
    assert pointer == "" and message.startswith("not valid TOML")
    assert f"at line {MINIMAL.count(chr(10)) + 2}, column 6" in message


def test_wrong_format_string(write):
    error = _broken(write, _edit(MINIMAL, '"rarebom-rules/1"', '"rarebom-rules/2"'))
    assert error.problems == (("/format", "'rarebom-rules/1' was expected"),)


def test_rule_without_consequence(write):
    text = _edit(MINIMAL, 'consequence = "the magnet breaches SP-12: ask the supplier for a low-Dy grade or a waiver"\n', "")
    error = _broken(write, text)
    assert error.problems == (("/rules/0", "'consequence' is a required property"),)


def test_threshold_written_as_a_percentage(write):
    error = _broken(write, _edit(MINIMAL, 'value = "0.01"', 'value = "0.1 %"'))
    [(pointer, message)] = error.problems
    assert pointer == "/rules/0/threshold/value"
    assert message.startswith("'0.1 %' does not match")


def test_unknown_source_key(write):
    text = _edit(MINIMAL, 'elements = { symbols = ["Dy"], confidence = "C", sources = ["sp12"] }', 'elements = { symbols = ["Dy"], confidence = "C", sources = ["sp12", "sp-13"] }')
    error = _broken(write, text)
    assert error.problems == (("/rules/0/elements/sources/1", "source 'sp-13' is not in the pack's [sources] table"),)


def test_unknown_source_key_in_a_window(write):
    text = _edit(MINIMAL, 'confidence = "C"\nsources = ["sp12"]\n', 'confidence = "C"\nsources = ["nowhere"]\n')
    error = _broken(write, text)
    assert error.problems == (("/status/0/sources/0", "source 'nowhere' is not in the pack's [sources] table"),)


SECOND_WINDOW = """
[[status]]
status = "ended"
from = {start}
confidence = "C"
sources = ["sp12"]
"""


def test_overlapping_status_windows(write):
    text = _edit(MINIMAL, "from = 2026-03-01\n", "from = 2026-03-01\nto = 2026-06-30\n")
    text = _edit(text, "\n[[rules]]", SECOND_WINDOW.format(start="2026-06-30") + "\n[[rules]]")
    error = _broken(write, text)
    [(pointer, message)] = error.problems
    assert pointer == "/status/1/from"
    assert "overlap" in message and "2026-06-30" in message


def test_adjacent_status_windows_are_fine(write):
    text = _edit(MINIMAL, "from = 2026-03-01\n", "from = 2026-03-01\nto = 2026-06-30\n")
    text = _edit(text, "\n[[rules]]", SECOND_WINDOW.format(start="2026-07-01") + "\n[[rules]]")
    [rule] = load_pack(write("pack.toml", text)).rules
    assert rule.status(D("2026-06-30")).status is Status.IN_FORCE
    assert rule.status(D("2026-07-01")).status is Status.ENDED


def test_an_open_window_before_another_is_reported(write):
    text = _edit(MINIMAL, "\n[[rules]]", SECOND_WINDOW.format(start="2026-07-01") + "\n[[rules]]")
    error = _broken(write, text)
    [(pointer, message)] = error.problems
    assert pointer == "/status/1/from" and "open" in message


def test_window_that_ends_before_it_starts(write):
    text = _edit(MINIMAL, "from = 2026-03-01\n", "from = 2026-03-01\nto = 2026-02-01\n")
    error = _broken(write, text)
    assert error.problems == (("/status/0/to", "the window ends (2026-02-01) before it starts (2026-03-01)"),)


def test_unknown_element_symbol(write):
    error = _broken(write, _edit(MINIMAL, 'symbols = ["Dy"]', 'symbols = ["Dy", "Xx"]'))
    assert error.problems == (("/rules/0/elements/symbols", "not element symbols: Xx"),)


def test_unknown_item_class(write):
    error = _broken(write, _edit(MINIMAL, 'classes = ["ndfeb-magnet", ', 'classes = ["ndfeb-magnet", "flux-capacitor", '))
    [(pointer, message)] = error.problems
    assert pointer == "/rules/0/item_classes/classes"
    assert message.startswith("item classes rarebom does not know: flux-capacitor (known: ")
    assert "ndfeb-magnet" in message


def test_value_share_rule_must_count_china_origin(write):
    error = _broken(write, _edit(MINIMAL, 'basis = "mass-share"', 'basis = "value-share"'))
    assert error.problems == (("/rules/0/origin", "a value-share rule measures China-origin content; origin must be 'china'"),)


def test_value_share_rule_with_china_origin_loads(write):
    text = _edit(_edit(MINIMAL, 'basis = "mass-share"', 'basis = "value-share"'), 'origin = "any"', 'origin = "china"')
    [rule] = load_pack(write("pack.toml", text)).rules
    assert rule.basis is Basis.VALUE_SHARE and rule.origin == "china"


def test_item_level_rule_needs_item_classes(write):
    text = _edit(MINIMAL, 'item_classes = { classes = ["ndfeb-magnet", "rare-earth-permanent-magnet"], confidence = "C", sources = ["sp12"] }\n', "")
    error = _broken(write, text)
    assert error.problems == (("/rules/0", "'item_classes' is a required property"),)


def test_finished_good_level_needs_no_item_classes(write):
    text = _edit(MINIMAL, 'item_classes = { classes = ["ndfeb-magnet", "rare-earth-permanent-magnet"], confidence = "C", sources = ["sp12"] }\n', "")
    text = _edit(text, 'level = "item"', 'level = "finished-good"')
    [rule] = load_pack(write("pack.toml", text)).rules
    assert rule.level is Level.FINISHED_GOOD and rule.classes == frozenset()


SECOND_RULE = """
[[rules]]
id = "{id}"
title = "Any Tb"
summary = "Any terbium at all."
reading = "legal-text"
level = "finished-good"
basis = "presence"
origin = "any"
elements = {{ symbols = ["Tb"], confidence = "C", sources = ["sp12"] }}
consequence = "ask"
"""


def test_duplicate_rule_ids_in_one_pack(write):
    error = _broken(write, MINIMAL + SECOND_RULE.format(id="ACME-DY-POLICY/magnet-dy"))
    assert error.problems == (("/rules/1/id", "rule id 'ACME-DY-POLICY/magnet-dy' repeats in this pack"),)


def test_same_rule_id_in_two_pack_files(write):
    a = write("a.toml", MINIMAL)
    b = write("b.toml", _edit(MINIMAL, 'id = "ACME-DY-POLICY"', 'id = "ACME-DY-POLICY-COPY"'))
    with pytest.raises(RuleError) as caught:
        load_rules([a, b], builtin=False)
    [(where, message)] = caught.value.problems
    assert where == "ACME-DY-POLICY/magnet-dy"
    assert message == f"rule id 'ACME-DY-POLICY/magnet-dy' is defined in both {a} and {b}"


def test_a_user_pack_cannot_replace_a_shipped_rule(write):
    text = _edit(MINIMAL, 'id = "ACME-DY-POLICY/magnet-dy"', f'id = "{NO_18_SCREEN}"')
    mine = write("mine.toml", text)
    with pytest.raises(RuleError) as caught:
        load_rules([mine])
    [(where, message)] = caught.value.problems
    assert where == NO_18_SCREEN
    assert str(BUILTIN_PACKS / "cn-mofcom-gac-2025-18.toml") in message and str(mine) in message


def test_folder_with_no_packs(tmp_path):
    (tmp_path / "readme.txt").write_text("not a pack")
    with pytest.raises(RuleError) as caught:
        load_rules([tmp_path], builtin=False)
    assert caught.value.file == str(tmp_path)
    assert caught.value.problems == (("", "the folder holds no *.toml rule packs"),)


def test_missing_path(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(RuleError) as caught:
        load_rules([missing])
    assert caught.value.file == str(missing)
    assert caught.value.problems == (("", "no such file or folder"),)
    assert str(missing) in str(caught.value)


def test_a_folder_contributes_every_pack_in_it(tmp_path):
    (tmp_path / "a.toml").write_text(MINIMAL)
    (tmp_path / "b.toml").write_text(_edit(MINIMAL, 'id = "ACME-DY-POLICY/magnet-dy"', 'id = "ACME-DY-POLICY/magnet-dy-2"'))
    rules = load_rules([tmp_path], builtin=False)
    assert [r.id for r in rules] == ["ACME-DY-POLICY/magnet-dy", "ACME-DY-POLICY/magnet-dy-2"]
    assert len(load_rules([tmp_path])) == 11


def test_rule_error_is_a_value_error_with_a_location(write):
    error = _broken(write, _edit(MINIMAL, 'value = "0.01"', 'value = "1 %"'))
    assert isinstance(error, ValueError)
    assert error.location.file == error.file
    assert error.location.pointer == "/rules/0/threshold/value"


def test_every_schema_problem_in_a_file_is_reported_at_once(write):
    text = _edit(MINIMAL, '"rarebom-rules/1"', '"rarebom-rules/9"')
    text = _edit(text, 'value = "0.01"', 'value = "0.1 %"')
    text = _edit(text, 'consequence = "the magnet breaches SP-12: ask the supplier for a low-Dy grade or a waiver"\n', "")
    text = _edit(text, 'item_classes = { classes = ["ndfeb-magnet", "rare-earth-permanent-magnet"], confidence = "C", sources = ["sp12"] }\n', "")
    error = _broken(write, text)
    pointers = [p for p, _ in error.problems]
    assert sorted(pointers) == ["/format", "/rules/0", "/rules/0", "/rules/0/threshold/value"]
    messages = {m for _, m in error.problems}
    assert {"'consequence' is a required property", "'item_classes' is a required property"} <= messages
    assert str(error).startswith(f"{error.file}: 4 problems\n")


def test_every_semantic_problem_in_a_file_is_reported_at_once(write):
    text = _edit(MINIMAL, 'symbols = ["Dy"]', 'symbols = ["Dy", "Xx"]')
    text = _edit(text, 'classes = ["ndfeb-magnet", ', 'classes = ["flux-capacitor", ')
    text = _edit(text, 'value = "0.01", confidence = "C", sources = ["sp12"]', 'value = "0.01", confidence = "C", sources = ["sp99"]')
    text = _edit(text, "from = 2026-03-01\n", "from = 2026-03-01\nto = 2026-02-01\n")
    text = _edit(text, 'basis = "mass-share"', 'basis = "value-share"')
    text += SECOND_RULE.format(id="ACME-DY-POLICY/magnet-dy")
    error = _broken(write, text)
    assert sorted(p for p, _ in error.problems) == [
        "/rules/0/elements/symbols",
        "/rules/0/item_classes/classes",
        "/rules/0/origin",
        "/rules/0/threshold/sources/0",
        "/rules/1/id",
        "/status/0/to",
    ]


# --- selecting rules ----------------------------------------------------------------------


def test_select_a_pack_by_its_id(shipped):
    picked = shipped.select(["CN-MOFCOM-2025-61"])
    assert [p.id for p in picked.packs] == ["CN-MOFCOM-2025-61"]
    assert [r.id for r in picked] == [
        "CN-MOFCOM-2025-61/prong-1-value-share",
        "CN-MOFCOM-2025-61/prong-2-technology",
        "CN-MOFCOM-2025-61/prong-3-china-origin-item",
        "CN-MOFCOM-2025-61/broad-reading-product-mass",
        "CN-MOFCOM-2025-61/broad-reading-product-value",
    ]


def test_select_one_rule_by_its_id(shipped):
    picked = shipped.select([NO_18_SCREEN])
    assert [r.id for r in picked] == [NO_18_SCREEN]
    assert NO_18_SCREEN in picked and NO_18_ITEMS not in picked
    assert picked[NO_18_SCREEN] is shipped[NO_18_SCREEN]


def test_select_a_pack_and_a_rule_together(shipped):
    picked = shipped.select([DFARS, "CN-MOFCOM-GAC-2025-18"])
    assert [r.id for r in picked] == [NO_18_ITEMS, NO_18_SCREEN, DFARS]


def test_select_does_not_match_a_shared_prefix(shipped):
    with pytest.raises(RuleError) as caught:
        shipped.select(["CN-MOFCOM-2025-6"])
    assert caught.value.problems == (("", "no rule or pack is called 'CN-MOFCOM-2025-6' (`rarebom rules list` lists them)"),)


def test_select_unknown_ids_are_all_named(shipped):
    with pytest.raises(RuleError) as caught:
        shipped.select(["NOPE", PRONG_1, "ALSO-NOPE/x"])
    assert [m.split(" (")[0] for _, m in caught.value.problems] == ["no rule or pack is called 'NOPE'", "no rule or pack is called 'ALSO-NOPE/x'"]


# --- price tables -------------------------------------------------------------------------

PRICES_HEAD = """\
format = "rarebom-prices/1"

[table]
name = "test prices"
date = 2026-01-31
source = "a test"
currency = "USD"
"""


def _price(**fields) -> str:
    return "\n[[prices]]\n" + "".join(f'{k} = "{v}"\n' for k, v in fields.items())


def _broken_prices(write, *entries: str) -> RuleError:
    path = write("prices.toml", PRICES_HEAD + "".join(entries))
    with pytest.raises(RuleError) as caught:
        load_prices(path)
    assert caught.value.file == str(path)
    return caught.value


def test_the_example_price_table_loads():
    table = load_prices(EXAMPLES / "prices-usgs-2020.toml")
    assert table.currency == "USD"
    assert table.date == D("2020-12-31")
    assert set(table.elements) == {"Dy", "Tb", "Nd", "Eu", "Ce", "La"}
    assert table.item_classes == {}
    assert "USGS" in table.label


def test_dy_price_derived_from_the_oxide_is_exact():
    table = load_prices(EXAMPLES / "prices-usgs-2020.toml")
    dy_share = chemistry.formula_fractions("Dy2O3")["Dy"]
    expected = Fraction(258) / 1000 / dy_share  # USD per gram of Dy
    price = table.element("Dy")
    assert price.nominal == price.min == price.max == expected
    assert price.basis == "Dy in Dy2O3"
    assert round(float(expected) * 1000, 3) == 296.103  # USD/kg, as the report prints it


def test_units_and_ranges(write):
    path = write("prices.toml", PRICES_HEAD + _price(element="Tb", min="600", max="700", per="lb") + _price(item_class="ndfeb-magnet", value="80", per="t"))
    table = load_prices(path)
    tb = table.element("Tb")
    pound = Fraction(45359237, 100000)
    assert (tb.min, tb.nominal, tb.max) == (600 / pound, 650 / pound, 700 / pound)
    assert table.item(frozenset({"ndfeb-magnet", "rotor-or-stator-assembly"})).nominal == Fraction(80, 1_000_000)
    assert table.item(frozenset({"rare-earth-oxide"})) is None


def test_an_element_price_wins_over_a_formula_price(write):
    for order in ((0, 1), (1, 0)):
        entries = [_price(formula="Dy2O3", value="258", per="kg"), _price(element="Dy", value="400", per="kg")]
        path = write("prices.toml", PRICES_HEAD + entries[order[0]] + entries[order[1]])
        price = load_prices(path).element("Dy")
        assert price.nominal == Fraction(400, 1000) and price.basis == "Dy metal"


def test_formula_with_two_rare_earths(write):
    error = _broken_prices(write, _price(formula="NdPrO3", value="50", per="kg"))
    assert error.problems == (("/prices/0/formula", "'NdPrO3' must hold exactly one rare-earth element to price it, not 2"),)


def test_formula_with_no_rare_earth(write):
    error = _broken_prices(write, _price(element="Dy", value="300", per="kg"), _price(formula="Fe2O3", value="1", per="kg"))
    assert error.problems == (("/prices/1/formula", "'Fe2O3' must hold exactly one rare-earth element to price it, not 0"),)


def test_not_a_formula(write):
    error = _broken_prices(write, _price(formula="dysprosia", value="1", per="kg"))
    assert error.problems == (("/prices/0/formula", "'dysprosia' is not a chemical formula"),)


def test_value_outside_its_range(write):
    error = _broken_prices(write, _price(element="Dy", value="300", min="100", max="200", per="kg"))
    assert error.problems == (("/prices/0", "the price 300 is outside its range [100, 200]"),)


def test_zero_price(write):
    error = _broken_prices(write, _price(element="Dy", value="0", per="kg"))
    [(pointer, message)] = error.problems
    assert pointer == "/prices/0/value" and "zero" in message


def test_unknown_item_class_price(write):
    error = _broken_prices(write, _price(item_class="flux-capacitor", value="1", per="kg"))
    [(pointer, message)] = error.problems
    assert pointer == "/prices/0/item_class"
    assert message.startswith("item class 'flux-capacitor' is not one rarebom knows")


def test_element_priced_twice(write):
    error = _broken_prices(write, _price(element="Dy", value="300", per="kg"), _price(element="Dy", value="310", per="kg"))
    assert error.problems == (("/prices/1/element", "Dy is priced twice"),)


def test_every_price_problem_is_reported_at_once(write):
    error = _broken_prices(
        write,
        _price(formula="NdPrO3", value="50", per="kg"),
        _price(element="Dy", value="0", per="kg"),
        _price(item_class="flux-capacitor", value="1", per="kg"),
        _price(element="Tb", value="9", min="1", max="2", per="kg"),
    )
    assert [p for p, _ in error.problems] == ["/prices/0/formula", "/prices/1/value", "/prices/2/item_class", "/prices/3"]


def test_price_schema_problems_are_located(write):
    error = _broken_prices(write, _price(element="Dy", value="1,5", per="kg"), _price(element="Tb", value="1", per="oz"))
    assert [p for p, _ in error.problems] == ["/prices/0/value", "/prices/1/per"]


# --- overrides ----------------------------------------------------------------------------


def _override(**fields) -> str:
    return "\n[[overrides]]\n" + "".join(f'{k} = "{v}"\n' for k, v in fields.items())


OVERRIDES_HEAD = 'format = "rarebom-overrides/1"\n'


def _broken_overrides(write, *entries: str) -> RuleError:
    path = write("overrides.toml", OVERRIDES_HEAD + "".join(entries))
    with pytest.raises(RuleError) as caught:
        load_overrides(path)
    assert caught.value.file == str(path)
    return caught.value


def test_the_example_overrides_load():
    path = EXAMPLES / "overrides-ev-traction-motor.toml"
    overrides = load_overrides(path)
    assert len(overrides) == 2
    assert all(o.verdict is Verdict.BELOW for o in overrides)
    assert {o.part for o in overrides} == {"bearing-6208-hybrid"}
    assert [o.rule for o in overrides] == ["CN-MOFCOM-2025-61", "CN-MOFCOM-GAC-2025-18"]
    assert overrides[1].where == f"{path}: /overrides/1"


def test_override_without_justification(write):
    error = _broken_overrides(write, _override(part="a", rule="X", verdict="below", document="memo 1"))
    assert error.problems == (("/overrides/0", "'justification' is a required property"),)


def test_override_with_both_verdict_and_origin(write):
    good = _override(part="a", rule="X", verdict="below", justification="j", document="d")
    bad = _override(part="a", rule="X", verdict="below", origin="not-china", element="Dy", justification="j", document="d")
    error = _broken_overrides(write, good, bad)
    [(pointer, message)] = error.problems
    assert pointer == "/overrides/1"
    assert "either a verdict alone, or an origin with the element or the substance it applies to" in message


def test_override_origin_without_element(write):
    error = _broken_overrides(write, _override(part="a", rule="X", origin="not-china", justification="j", document="d"))
    [(pointer, message)] = error.problems
    assert pointer == "/overrides/0"
    assert "either a verdict alone, or an origin with the element or the substance it applies to" in message


def test_origin_override_with_element_loads(write):
    path = write("overrides.toml", OVERRIDES_HEAD + _override(part="a", rule="X", origin="not-china", element="Dy", justification="j", document="d"))
    [override] = load_overrides(path)
    assert override.element == "Dy" and override.origin.value == "not-china" and override.verdict is None


def _an_override(rule: str, expires: dt.date | None = None) -> Override:
    return Override(part="magnet", rule=rule, justification="j", document="d", verdict=Verdict.BELOW, expires=expires)


def test_override_applies_to_its_rule():
    override = _an_override(PRONG_1)
    assert override.applies(PRONG_1, "magnet", D("2026-11-22"))
    assert not override.applies("CN-MOFCOM-2025-61/prong-2-technology", "magnet", D("2026-11-22"))
    assert not override.applies(PRONG_1, "another-part", D("2026-11-22"))


def test_override_by_pack_id_applies_to_every_rule_of_the_pack():
    override = _an_override("CN-MOFCOM-2025-61")
    assert override.applies(PRONG_1, "magnet", D("2026-11-22"))
    assert override.applies(PRONG_3, "magnet", D("2026-11-22"))
    assert not override.applies(NO_18_ITEMS, "magnet", D("2026-11-22"))


def test_override_pack_prefix_does_not_reach_another_pack():
    override = _an_override("CN-MOFCOM-2025-6")
    assert not override.applies(PRONG_1, "magnet", D("2026-11-22"))
    assert not _an_override("CN-MOFCOM-GAC-2025-1").applies(NO_18_ITEMS, "magnet", D("2026-11-22"))


def test_override_expires():
    override = _an_override(PRONG_1, expires=D("2026-06-30"))
    assert override.applies(PRONG_1, "magnet", D("2026-06-30"))  # the last day still counts
    assert not override.applies(PRONG_1, "magnet", D("2026-07-01"))


def test_override_expiry_loads_from_a_file(write):
    path = write("overrides.toml", OVERRIDES_HEAD + _override(part="a", rule="X", verdict="above", justification="j", document="d", expires="2026-06-30"))
    [override] = load_overrides(path)
    assert override.expires == D("2026-06-30") and override.verdict is Verdict.ABOVE


def test_paths_in_errors_are_the_paths_given(tmp_path):
    # A relative path stays relative in the message, so a user sees what they typed.
    missing = Path("no-such-dir") / "overrides.toml"
    with pytest.raises(RuleError) as caught:
        load_overrides(missing)
    assert caught.value.file == str(missing)
    assert caught.value.problems[0][1].startswith("cannot read the file")


def test_an_impossible_price_table_date_is_a_located_error(write):
    path = write("prices.toml", PRICES_HEAD.replace("date = 2026-01-31", 'date = "2020-02-30"') + _price(element="Dy", value="300", per="kg"))
    with pytest.raises(RuleError) as caught:
        load_prices(path)
    assert caught.value.problems == (("/table/date", "'2020-02-30' is not a calendar date"),)


def test_an_impossible_expiry_date_is_a_located_error(write):
    error = _broken_overrides(write, _override(part="a", rule="X", verdict="above", justification="j", document="d", expires="2026-02-30"))
    assert error.problems == (("/overrides/0/expires", "'2026-02-30' is not a calendar date"),)


def test_an_upside_down_price_range(write):
    error = _broken_prices(write, _price(element="Dy", min="50", max="40", per="kg"))
    assert error.problems == (("/prices/0", "the range is upside down: min 50 is above max 40"),)
