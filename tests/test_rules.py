"""Rule evaluation on hand-built BOMs whose verdicts are worked out by hand.

Every shipped rule has an ABOVE, a BELOW and an INDETERMINATE case here; the share rules
also have their boundary at exactly 0.1 %, and the suspended rules their dates before,
inside and after the window. The examples run through every pack at the end.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rarebom
from rarebom import Amount, Bom, Classification, Completeness, Kind, Material, OriginClaim, Part, Stage, Substance, Usage
from rarebom.rules import Override, Status, Verdict, evaluate, load_overrides, load_prices, load_rules
from rarebom.rules.prices import Price, PriceTable
from rarebom.testing import threshold_boms

from .conftest import EXAMPLES

F = Fraction
ABOVE, BELOW, INDETERMINATE = Verdict.ABOVE, Verdict.BELOW, Verdict.INDETERMINATE
RULES = load_rules()
PRONG_1 = "CN-MOFCOM-2025-61/prong-1-value-share"
PRONG_2 = "CN-MOFCOM-2025-61/prong-2-technology"
PRONG_3 = "CN-MOFCOM-2025-61/prong-3-china-origin-item"
BROAD_MASS = "CN-MOFCOM-2025-61/broad-reading-product-mass"
BROAD_VALUE = "CN-MOFCOM-2025-61/broad-reading-product-value"
NO_18 = "CN-MOFCOM-GAC-2025-18/china-origin-items"
SCREEN = "CN-MOFCOM-GAC-2025-18/magnet-dy-tb-screen"
NO_57 = "CN-MOFCOM-GAC-2025-57/china-origin-items"
DFARS = "US-DFARS-252.225-7052/covered-magnets"
TODAY = dt.date(2026, 11, 22)


# -- builders ----------------------------------------------------------------------------


def grams(value: str) -> Amount:
    return Amount.parse(value, "g", Kind.MASS)


def usd(value: str) -> Amount:
    return Amount.parse(value, "USD", Kind.CURRENCY)


def pct(value: str) -> Amount:
    return Amount.parse(value, "%", Kind.FRACTION)


def item(*codes: str) -> tuple[Classification, ...]:
    return tuple(Classification(scheme="item-class", code=c) for c in codes)


def claims(country: str, *stages: Stage) -> tuple[OriginClaim, ...]:
    return tuple(OriginClaim(country=country, stage=s, source=f"declaration {country}-{s.value}") for s in stages)


CN = claims("CN", Stage.SEPARATED, Stage.METAL_OR_ALLOY, Stage.MAGNET_OR_FUNCTIONAL_MATERIAL)
JP = claims("JP", Stage.SEPARATED, Stage.METAL_OR_ALLOY, Stage.MAGNET_OR_FUNCTIONAL_MATERIAL)


def alloy(completeness: Completeness = Completeness.FULL, **percent: str) -> Material:
    """One material, 100 % of its part; Fe is the rest of the elements given."""
    rest = 100 - sum(F(v) for v in percent.values())
    substances = [Substance(element=symbol, amount=pct(v)) for symbol, v in percent.items()]
    if rest:
        substances.append(Substance(element="Fe", amount=pct(str(rest))))
    return Material(name="alloy", amount=pct("100"), completeness=completeness, substances=tuple(substances))


def magnet(pid: str = "magnet", mass: str = "10", *, value: str | None = "10", origins=CN, classes=("rare-earth-permanent-magnet", "ndfeb-magnet"), **percent: str) -> Part:
    percent = percent or {"Nd": "30", "Dy": "1"}
    return Part(
        id=pid,
        mass=grams(mass),
        unit_value=usd(value) if value else None,
        materials=(alloy(**percent),),
        origins=origins,
        classifications=item(*classes),
    )


def product(*children: tuple[str, str], value: str | None = "1000", mass: str | None = None, pid: str = "product") -> Part:
    return Part(
        id=pid,
        mass=grams(mass) if mass else None,
        unit_value=usd(value) if value else None,
        uses=tuple(Usage(child=c, quantity=Amount.parse(q, "", Kind.COUNT)) for c, q in children),
    )


def steel(pid: str = "steel", mass: str = "990") -> Part:
    return Part(id=pid, mass=grams(mass), materials=(alloy(),))


def table(**per_kg: str) -> PriceTable:
    prices = {s: Price(F(v) / 1000, F(v) / 1000, F(v) / 1000, f"{s} metal") for s, v in per_kg.items()}
    return PriceTable(name="test prices", date=dt.date(2026, 1, 1), source="hand-made", currency="USD", elements=prices, item_classes={})


def verdict_of(bom: Bom, rule: str, *, as_of=TODAY, exact: bool = False, **options):
    """The finished good's verdict for one rule."""
    evaluation = evaluate(rarebom.trace(bom, exact=exact), RULES.select([rule]), as_of=as_of, **options)
    (found,) = evaluation.verdicts
    return found


# -- No. 61 prong 1: value share at the magnet ------------------------------------------


def test_prong_1_at_exactly_a_tenth_of_a_percent_of_the_magnets_value_is_above():
    # 10 g magnet, 1 % Dy = 0.1 g; Dy at 100 USD/kg = 0.01 USD; the magnet is worth 10 USD.
    bom = Bom(parts=(product(("magnet", "2")), magnet()))
    found = verdict_of(bom, PRONG_1, prices=table(Dy="100"))
    assert found.verdict is ABOVE
    assert found.node.part == "magnet"
    assert found.node.measured.min == F(1, 1000)
    assert found.node.exact  # 0.1 g × 0.1 USD/g is 0.010000000000000002 in floats: decided exactly
    assert found.node.estimated
    assert [step.part for step in found.path] == ["product", "magnet"]
    # One hundredth of a dollar per kg less and it is below.
    assert verdict_of(bom, PRONG_1, prices=table(Dy="99.99")).verdict is BELOW


def test_prong_1_is_measured_at_the_magnet_not_diluted_in_the_product():
    # The same magnet in a 1000 USD product: 0.001 % of the product's value, 0.1 % of the magnet's.
    bom = Bom(parts=(product(("magnet", "1")), magnet()))
    found = verdict_of(bom, PRONG_1, prices=table(Dy="100"))
    assert found.verdict is ABOVE
    assert verdict_of(bom, BROAD_VALUE, prices=table(Dy="100", Nd="1")).node.measured.max < F(1, 1000)


def test_prong_1_without_prices_is_indeterminate_and_names_what_is_missing():
    bom = Bom(parts=(product(("magnet", "1")), magnet()))
    found = verdict_of(bom, PRONG_1)
    assert found.verdict is INDETERMINATE
    assert any("a price for Dy" in m for m in found.missing)
    assert found.node.measured.min == 0 and found.node.measured.max == 1


def test_prong_1_magnet_made_outside_china_from_non_china_material_is_below_without_prices():
    bom = Bom(parts=(product(("magnet", "1")), magnet(origins=JP)))
    found = verdict_of(bom, PRONG_1)
    assert found.verdict is BELOW
    assert found.node.numerator.max == 0


def test_prong_1_values_china_origin_input_items_at_their_declared_value():
    # A magnet made from a Dy-Fe alloy lot worth 0.50 USD, in a magnet worth 100 USD: 0.5 %.
    lot = Part(id="dyfe-lot", mass=grams("1"), unit_value=usd("0.50"), materials=(alloy(Dy="80"),), origins=CN[:2], classifications=item("rare-earth-alloy"))
    body = Part(id="body", mass=grams("99"), materials=(alloy(Nd="30"),), origins=JP[:2])
    made = Part(
        id="magnet",
        unit_value=usd("100"),
        uses=(Usage(child="dyfe-lot", quantity=Amount.parse("1", "", Kind.COUNT)), Usage(child="body", quantity=Amount.parse("1", "", Kind.COUNT))),
        origins=claims("DE", Stage.MAGNET_OR_FUNCTIONAL_MATERIAL),
        classifications=item("rare-earth-permanent-magnet"),
    )
    bom = Bom(parts=(product(("magnet", "1")), made, lot, body))
    found = verdict_of(bom, PRONG_1)
    assert found.verdict is ABOVE
    assert found.node.numerator.min == pytest.approx(0.5)
    assert found.node.measured.min == pytest.approx(0.005)
    assert not found.node.estimated
    # The same lot with no origin claim: it counts 0 at least and all of it at most.
    unknown = Bom(parts=(product(("magnet", "1")), made, attrs.evolve(lot, origins=()), body))
    found = verdict_of(unknown, PRONG_1)
    assert found.verdict is INDETERMINATE
    assert (found.node.numerator.min, found.node.numerator.max) == (0, pytest.approx(0.5))
    assert any("origin claims for dyfe-lot" in m for m in found.missing)


def test_prong_1_with_no_unit_value_is_indeterminate_unless_a_price_table_values_the_item():
    bom = Bom(parts=(product(("magnet", "1")), magnet(value=None)))
    found = verdict_of(bom, PRONG_1, prices=table(Dy="100"))
    assert found.verdict is INDETERMINATE
    assert any("the unit value of magnet" in m for m in found.missing)
    priced = attrs.evolve(table(Dy="100"), item_classes={"ndfeb-magnet": Price(F(50, 1000), F(50, 1000), F(50, 1000), "ndfeb-magnet per kg")})
    found = verdict_of(bom, PRONG_1, prices=priced)
    assert found.verdict is ABOVE  # 0.01 USD of Dy in a magnet estimated at 0.50 USD: 2 %
    assert found.node.denominator.nominal == pytest.approx(0.5)
    assert found.node.estimated


# -- No. 61 prongs 2 and 3 -------------------------------------------------------------


@pytest.mark.parametrize(("flag", "expected"), [(True, ABOVE), (False, BELOW), (None, INDETERMINATE)])
def test_prong_2_reads_the_technology_flag(flag, expected):
    bom = Bom(parts=(product(("magnet", "1")), attrs.evolve(magnet(origins=JP), china_re_technology=flag)))
    found = verdict_of(bom, PRONG_2)
    assert found.verdict is expected
    assert bool(found.missing) is (expected is INDETERMINATE)


@pytest.mark.parametrize(("origins", "expected"), [(CN, ABOVE), (JP, BELOW), ((), INDETERMINATE)])
def test_prong_3_reads_the_items_own_origin(origins, expected):
    found = verdict_of(Bom(parts=(product(("magnet", "1")), magnet(origins=origins))), PRONG_3, as_of=dt.date(2025, 10, 20))
    assert found.verdict is expected
    assert found.status.status is Status.IN_FORCE


# -- The broad readings, at the finished good --------------------------------------------


def test_broad_mass_reading_at_exactly_a_tenth_of_a_percent():
    # 1000 g product: 990 g steel and a 10 g magnet with 10 % Nd of China origin: 1 g.
    bom = Bom(parts=(product(("magnet", "1"), ("steel", "1")), magnet(Nd="10"), steel()))
    found = verdict_of(bom, BROAD_MASS)
    assert found.verdict is ABOVE
    assert found.node.measured.min == F(1, 1000)
    assert found.node.part == "product"
    assert verdict_of(bom, BROAD_MASS, exact=True).verdict is ABOVE
    below = Bom(parts=(product(("magnet", "1"), ("steel", "1")), magnet(Nd="9.99"), steel()))
    assert verdict_of(below, BROAD_MASS).verdict is BELOW
    unknown = Bom(parts=(product(("magnet", "1"), ("steel", "1")), magnet(Nd="10", origins=()), steel()))
    found = verdict_of(unknown, BROAD_MASS)
    assert found.verdict is INDETERMINATE
    assert any("origin claims for magnet" in m for m in found.missing)


def test_broad_value_reading_at_exactly_a_tenth_of_a_percent():
    # 1 g of China Nd at 1000 USD/kg is 1 USD of a 1000 USD product.
    bom = Bom(parts=(product(("magnet", "1"), ("steel", "1")), magnet(Nd="10", value=None), steel()))
    assert verdict_of(bom, BROAD_VALUE, prices=table(Nd="1000")).verdict is ABOVE
    assert verdict_of(bom, BROAD_VALUE, prices=table(Nd="999")).verdict is BELOW
    found = verdict_of(bom, BROAD_VALUE)
    assert found.verdict is INDETERMINATE
    assert any("a price for Nd" in m for m in found.missing)


def test_each_reading_says_which_it_is():
    assert "not the legal test" in RULES[BROAD_MASS].label and "press" in RULES[BROAD_MASS].label
    assert "not law" in RULES[SCREEN].label
    assert RULES[PRONG_1].reading.value == "legal-text"


# -- No. 18 and its industry screen ---------------------------------------------------


def test_no_18_presence_of_china_origin_listed_elements_in_an_item():
    assert verdict_of(Bom(parts=(product(("magnet", "1")), magnet())), NO_18).verdict is ABOVE
    plain = magnet(Nd="30")  # NdFeB without Dy or Tb: not a listed magnet
    assert verdict_of(Bom(parts=(product(("magnet", "1")), plain)), NO_18).verdict is BELOW
    found = verdict_of(Bom(parts=(product(("magnet", "1")), magnet(origins=()))), NO_18)
    assert found.verdict is INDETERMINATE
    assert found.missing


def test_no_18_says_rotor_assemblies_are_generally_out_of_scope_and_tests_the_magnets_in_them():
    rotor = Part(id="rotor", uses=(Usage(child="magnet", quantity=Amount.parse("8", "", Kind.COUNT)),), classifications=item("rotor-or-stator-assembly"))
    found = verdict_of(Bom(parts=(product(("rotor", "1")), rotor, magnet())), NO_18)
    assert found.verdict is ABOVE
    assert [s.part for s in found.path] == ["product", "rotor", "magnet"]
    assert found.path[-1].multiplier == 8
    assert any("rotor" in note and "FAQ No. 5" in note for note in found.scope_notes)


def test_dy_tb_screen_at_exactly_a_tenth_of_a_percent_is_not_above():
    # The screen is "Dy + Tb <= 0.1 % usually ships": exactly 0.1 % is not above it.
    at = Bom(parts=(product(("magnet", "1")), magnet(Nd="30", Dy="0.06", Tb="0.04")))
    assert verdict_of(at, SCREEN).verdict is BELOW
    above = Bom(parts=(product(("magnet", "1")), magnet(Nd="30", Dy="0.06", Tb="0.0401")))
    assert verdict_of(above, SCREEN).verdict is ABOVE
    declared = (Substance(element="Nd", amount=pct("30")), Substance(element="Fe", amount=pct("60")))
    material = Material(amount=pct("100"), completeness=Completeness.PARTIAL, substances=declared)
    partial = Part(id="magnet", mass=grams("10"), materials=(material,), classifications=item("ndfeb-magnet"))
    found = verdict_of(Bom(parts=(product(("magnet", "1")), partial)), SCREEN)
    assert found.verdict is INDETERMINATE  # 10 % undeclared could be Dy
    assert any("full declaration of magnet" in m for m in found.missing)


@settings(max_examples=25, deadline=None)
@given(threshold_boms(element="Dy"))
def test_a_magnet_at_exactly_the_screen_is_below_in_floats_too(case):
    bom, pid = case
    magnet_part = attrs.evolve(bom.part(pid), classifications=item("ndfeb-magnet"))
    bom = bom.evolve(parts=tuple(magnet_part if p.id == pid else p for p in bom.parts))
    assert verdict_of(bom, SCREEN).verdict is BELOW


@settings(max_examples=25, deadline=None)
@given(threshold_boms(element="Nd"), st.sampled_from(["float", "exact"]))
def test_china_origin_at_exactly_a_tenth_of_a_percent_of_the_product_is_above(case, mode):
    bom, pid = case
    # Everything in it separated and alloyed in China: the product's share is exactly 0.1 %.
    parts = tuple(attrs.evolve(p, origins=CN[:2]) if p.id == pid else p for p in bom.parts)
    found = verdict_of(bom.evolve(parts=parts), BROAD_MASS, exact=mode == "exact")
    assert found.verdict is ABOVE


# -- No. 57 and its dates --------------------------------------------------------------


def test_no_57_presence_and_its_status_around_the_suspension():
    holmium = Bom(parts=(product(("magnet", "1")), magnet(Nd="29", Ho="1")))
    found = verdict_of(holmium, NO_57, as_of=dt.date(2025, 11, 5))
    assert found.verdict is ABOVE
    assert found.status.status is Status.NOT_YET_EFFECTIVE
    assert "would apply if the rule were in force" in found.headline
    assert verdict_of(holmium, NO_57, as_of=dt.date(2025, 12, 1)).status.status is Status.SUSPENDED
    after = verdict_of(holmium, NO_57, as_of=dt.date(2026, 11, 11))
    assert after.status.status is Status.UNVERIFIED
    assert after.verdict is ABOVE  # computed whatever the status
    assert verdict_of(Bom(parts=(product(("magnet", "1")), magnet())), NO_57).verdict is BELOW
    assert verdict_of(Bom(parts=(product(("magnet", "1")), magnet(Nd="29", Ho="1", origins=()))), NO_57).verdict is INDETERMINATE


@pytest.mark.parametrize(
    ("day", "status"),
    [
        ("2025-10-08", Status.NOT_ISSUED),
        ("2025-11-06", Status.NOT_YET_EFFECTIVE),
        ("2025-11-07", Status.SUSPENDED),
        ("2026-11-10", Status.SUSPENDED),
        ("2026-11-11", Status.UNVERIFIED),
        ("2027-06-01", Status.UNVERIFIED),
    ],
)
def test_prong_1_status_before_inside_and_after_the_no_70_window(day, status):
    found = verdict_of(Bom(parts=(product(("magnet", "1")), magnet())), PRONG_1, as_of=day, prices=table(Dy="300"))
    assert found.status.status is status
    assert found.verdict is ABOVE  # the test itself does not depend on the date
    if status is Status.UNVERIFIED:
        assert "UNVERIFIED" in found.status.text and "2026-11-22" in found.status.text and "in force (" not in found.status.text
    if status is Status.SUSPENDED:
        assert "No. 70" in found.status.text


# -- DFARS -----------------------------------------------------------------------------


def test_dfars_covered_country_at_a_stage_that_counts():
    assert verdict_of(Bom(parts=(product(("magnet", "1")), magnet())), DFARS).verdict is ABOVE
    russia = claims("RU", Stage.METAL_OR_ALLOY) + claims("DE", Stage.MAGNET_OR_FUNCTIONAL_MATERIAL)
    assert verdict_of(Bom(parts=(product(("magnet", "1")), magnet(origins=russia))), DFARS).verdict is ABOVE
    assert verdict_of(Bom(parts=(product(("magnet", "1")), magnet(origins=JP))), DFARS).verdict is BELOW
    found = verdict_of(Bom(parts=(product(("magnet", "1")), magnet(origins=claims("JP", Stage.MAGNET_OR_FUNCTIONAL_MATERIAL)))), DFARS)
    assert found.verdict is INDETERMINATE
    assert any("metal-or-alloy stage" in m for m in found.missing)


def test_dfars_mining_and_separation_count_from_2027():
    mined_in_china = claims("CN", Stage.MINED) + claims("JP", Stage.SEPARATED, Stage.METAL_OR_ALLOY, Stage.MAGNET_OR_FUNCTIONAL_MATERIAL)
    bom = Bom(parts=(product(("magnet", "1")), magnet(origins=mined_in_china)))
    assert verdict_of(bom, DFARS, as_of="2026-12-31").verdict is BELOW
    assert verdict_of(bom, DFARS, as_of="2027-01-01").verdict is ABOVE
    # A magnet cleared today needs claims at the new stages from 2027.
    assert verdict_of(Bom(parts=(product(("magnet", "1")), magnet(origins=JP[1:]))), DFARS, as_of="2027-01-01").verdict is INDETERMINATE


# -- Roll-up to the finished good, unclassified parts and overrides ------------------------


def test_the_worst_node_decides_and_the_path_leads_to_it():
    bom = Bom(parts=(product(("clean", "4"), ("dirty", "2")), magnet("clean", origins=JP), magnet("dirty")))
    found = verdict_of(bom, NO_18)
    assert found.verdict is ABOVE
    assert found.node.part == "dirty"
    assert {n.part: n.verdict for n in found.nodes} == {"clean": BELOW, "dirty": ABOVE}
    assert [(s.part, s.multiplier) for s in found.path] == [("product", 1), ("dirty", 2)]


def test_an_unclassified_part_holding_listed_elements_keeps_the_verdict_open():
    loose = Part(id="loose", mass=grams("10"), materials=(alloy(Nd="30", Dy="1"),), origins=CN)
    bom = Bom(parts=(product(("loose", "1")), loose))
    found = verdict_of(bom, NO_18)
    assert found.verdict is INDETERMINATE
    assert any("the item class of loose" in m and "Dy" in m for m in found.missing)
    cleared = Override(part="loose", rule="CN-MOFCOM-GAC-2025-18", verdict=BELOW, justification="a bearing, not an item", document="memo 1")
    evaluation = evaluate(rarebom.trace(bom), RULES.select([NO_18]), as_of=TODAY, overrides=[cleared])
    assert evaluation.verdicts[0].verdict is BELOW
    assert evaluation.overrides_applied == (cleared,)


def test_a_verdict_override_keeps_the_computed_verdict_beside_it():
    bom = Bom(parts=(product(("magnet", "1")), magnet()))
    override = Override(part="magnet", rule=NO_18, verdict=BELOW, justification="licence LIC-1 covers it", document="LIC-1")
    evaluation = evaluate(rarebom.trace(bom), RULES, as_of=TODAY, overrides=[override])
    found = evaluation.get("product", NO_18)
    assert (found.verdict, found.node.computed) == (BELOW, ABOVE)
    assert found.node.overrides == (override,)
    assert any(line.startswith("override:") for line in found.node.arithmetic)
    assert evaluation.get("product", SCREEN).verdict is ABOVE  # scoped to the one rule
    assert evaluation.overrides_applied == (override,)


def test_an_origin_override_reassigns_one_element_at_one_node():
    bom = Bom(parts=(product(("magnet", "1")), magnet(Nd="30", Dy="1", Tb="1")))
    dy = Override(part="magnet", rule="CN-MOFCOM-GAC-2025-18", element="Dy", origin=rarebom.OriginClass.NOT_CHINA, justification="recycled Dy", document="mill cert 7")
    found = verdict_of(bom, NO_18, overrides=[dy])
    assert found.verdict is ABOVE  # the Tb is still China origin
    assert found.node.measured.min == pytest.approx(0.1)
    tb = attrs.evolve(dy, element="Tb")
    assert verdict_of(bom, NO_18, overrides=[dy, tb]).verdict is BELOW
    assert rarebom.trace(bom)["magnet"].element("Dy").by_origin[rarebom.OriginClass.CHINA].min == pytest.approx(0.1)  # the BOM is untouched


def test_overrides_that_match_nothing_or_have_expired_are_warned_about():
    bom = Bom(parts=(product(("magnet", "1")), magnet()))
    stale = Override(part="magnet", rule=NO_18, verdict=BELOW, justification="old licence", document="LIC-0", expires=dt.date(2026, 1, 1), where="o.toml: /overrides/0")
    typo = Override(part="magent", rule=NO_18, verdict=BELOW, justification="typo", document="x", where="o.toml: /overrides/1")
    evaluation = evaluate(rarebom.trace(bom), RULES.select([NO_18]), as_of=TODAY, overrides=[stale, typo])
    assert evaluation.verdicts[0].verdict is ABOVE
    codes = {f.code: f.message for f in evaluation.findings}
    assert "expired on 2026-01-01" in codes["override-expired"]
    assert "magent" in codes["override-unused"]


# -- Licensing outlook -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "result"),
    [
        ({}, "licence-required"),
        ({"end_user": ["military"]}, "presumption-of-denial"),
        ({"end_user": ["watch-list"]}, "presumption-of-denial"),
        ({"end_use": ["logic-chips-14nm"]}, "case-by-case"),
        ({"end_use": ["humanitarian"]}, "exempt"),
        ({"end_user": ["military"], "destination": "jp"}, "prohibited"),
        ({"end_user": ["military"], "destination": "JP", "as_of": "2025-12-01"}, "presumption-of-denial"),
    ],
)
def test_licensing_outlook_in_the_rules_own_terms(kwargs, result):
    bom = Bom(parts=(product(("magnet", "1")), magnet()))
    found = verdict_of(bom, PRONG_3, **kwargs)
    assert found.outlook.result == result


def test_an_unknown_end_use_code_is_warned_about_not_ignored():
    evaluation = evaluate(rarebom.trace(Bom(parts=(product(("magnet", "1")), magnet()))), RULES, as_of=TODAY, end_use=["milatary"])
    assert [f.code for f in evaluation.findings] == ["unknown-end-use"]


def test_a_price_table_in_another_currency_needs_a_rate():
    bom = Bom(parts=(product(("magnet", "1")), magnet()))
    eur = attrs.evolve(table(Dy="100"), currency="EUR")
    evaluation = evaluate(rarebom.trace(bom), RULES.select([PRONG_1]), as_of=TODAY, prices=eur)
    assert [f.code for f in evaluation.findings] == ["price-currency"]
    assert evaluation.verdicts[0].verdict is INDETERMINATE
    converted = evaluate(rarebom.trace(bom, rates={"EUR": "2"}), RULES.select([PRONG_1]), as_of=TODAY, prices=eur)
    assert converted.verdicts[0].node.numerator.nominal == pytest.approx(0.02)


# -- The examples through every pack ---------------------------------------------------


@pytest.fixture(scope="module")
def example_evaluations():
    prices = load_prices(EXAMPLES / "prices-usgs-2020.toml")
    overrides = load_overrides(EXAMPLES / "overrides-ev-traction-motor.toml")
    found = {}
    for path in sorted(EXAMPLES.glob("*.xml")):
        traced = rarebom.trace(rarebom.load(path).bom)
        found[path.stem] = evaluate(traced, RULES, as_of=TODAY, prices=prices, overrides=overrides if path.stem == "ev-traction-motor" else ())
    return found


def test_every_example_gets_a_verdict_from_every_rule(example_evaluations):
    assert len(example_evaluations) == 4
    for name, evaluation in example_evaluations.items():
        assert len(evaluation.verdicts) == len(RULES) * len(evaluation.trace.finished_goods), name
        for v in evaluation:
            assert v.status.text
            if v.verdict is ABOVE:
                assert v.node is not None and v.node.verdict is ABOVE
                assert v.path[0].part == v.finished_good and v.path[-1].part == v.node.part
            if v.verdict is INDETERMINATE:
                assert v.missing, (name, v.rule.id)
            assert v.verdict.rank == max([n.verdict.rank for n in v.nodes] + [INDETERMINATE.rank if v.missing else BELOW.rank])


def test_the_ev_motor_verdicts(example_evaluations):
    evaluation = example_evaluations["ev-traction-motor"]
    got = {v.rule.id: v.verdict for v in evaluation}
    assert got == {
        PRONG_1: ABOVE,  # China Dy and Tb worth ~6.7 % of a 3.20 USD magnet (estimated)
        PRONG_2: INDETERMINATE,  # the magnet's technology flag is not given
        PRONG_3: ABOVE,
        BROAD_MASS: ABOVE,
        BROAD_VALUE: ABOVE,
        NO_18: ABOVE,
        SCREEN: ABOVE,
        NO_57: BELOW,  # a full declaration without Ho, Er, Tm, Eu or Yb
        DFARS: ABOVE,
    }
    prong_1 = evaluation.get("ev-traction-motor", PRONG_1)
    assert prong_1.node.part == "rotor-magnet-segment"
    assert prong_1.node.measured.nominal == pytest.approx(0.0672, abs=5e-4)
    assert [s.part for s in prong_1.path] == ["ev-traction-motor", "rotor-assembly", "rotor-magnet-segment"]
    assert len(evaluation.overrides_applied) == 2  # the hybrid bearing's yttria, for No. 61 and No. 18


def test_an_override_for_a_rule_left_out_of_this_run_is_not_warned_about_but_a_typo_is():
    bom = Bom(parts=(product(("magnet", "1")), magnet()))
    elsewhere = Override(part="magnet", rule=PRONG_1, verdict=BELOW, justification="j", document="d", where="o.toml: /overrides/0")
    typo = Override(part="magnet", rule="CN-MOFCOM-2025-16", verdict=BELOW, justification="j", document="d", where="o.toml: /overrides/1")
    evaluation = evaluate(rarebom.trace(bom), RULES.select([NO_18]), as_of=TODAY, overrides=[elsewhere, typo])
    assert [(f.code, "CN-MOFCOM-2025-16" in f.message) for f in evaluation.findings] == [("override-unused", True)]
    assert "names no rule or pack that is loaded" in evaluation.findings[0].message


def test_a_substance_override_moves_only_that_substances_content():
    # A magnet with Dy declared twice: as Dy2O3 from a recycler (1.148 g of oxide = 1 g Dy)
    # and as Dy metal (0.5 g). The recycler's certificate moves only the oxide's Dy.
    substances = (
        Substance(element="Nd", amount=grams("3")),
        Substance(name="dysprosium oxide (recycled)", formula="Dy2O3", cas="1308-87-8", amount=grams("1.1477")),
        Substance(element="Dy", amount=grams("0.5")),
        Substance(element="Fe", amount=grams("5.3523")),
    )
    material = Material(amount=pct("100"), completeness=Completeness.FULL, substances=substances)
    part = Part(id="magnet", mass=grams("10"), materials=(material,), origins=CN, classifications=item("ndfeb-magnet"))
    bom = Bom(parts=(product(("magnet", "1")), part))
    recycled = Override(part="magnet", rule=NO_18, substance="1308-87-8", origin=rarebom.OriginClass.NOT_CHINA, justification="recycled in EU", document="cert R-9")
    found = verdict_of(bom, NO_18, overrides=[recycled])
    assert found.verdict is ABOVE  # the 0.5 g of Dy metal is still China origin
    assert found.node.measured.min == pytest.approx(0.5, abs=1e-6) and found.node.measured.max == pytest.approx(0.5, abs=1e-6)
    metal = Override(part="magnet", rule=NO_18, substance="Dy", origin=rarebom.OriginClass.NOT_CHINA, justification="EU metal", document="cert M-2")
    assert verdict_of(bom, NO_18, overrides=[recycled, metal]).verdict is BELOW
    missing = Override(part="magnet", rule=NO_18, substance="Tb4O7", origin=rarebom.OriginClass.NOT_CHINA, justification="j", document="d", where="o.toml: /overrides/0")
    evaluation = evaluate(rarebom.trace(bom), RULES.select([NO_18]), as_of=TODAY, overrides=[missing])
    assert "'Tb4O7' is not among the own substances of magnet" in evaluation.findings[0].message
    assert evaluation.overrides_applied == ()


def test_the_humanitarian_exemption_is_marked_secondary_source():
    found = verdict_of(Bom(parts=(product(("magnet", "1")), magnet())), PRONG_3, end_use=["humanitarian"])
    assert found.outlook.result == "exempt"
    assert str(found.outlook).startswith("exempt [secondary source only]")


def test_ranges_that_straddle_the_threshold_ask_for_narrower_ranges():
    # Dy 0.05-0.2 % in a full declaration: every value is declared, the range straddles 0.1 %.
    dy = Substance(element="Dy", amount=Amount.parse("0.1", "%", Kind.FRACTION, min="0.05", max="0.2"))
    rest = (Substance(element="Nd", amount=pct("30")), Substance(element="Fe", amount=Amount.parse("69.9", "%", Kind.FRACTION, min="69.8", max="69.95")))
    material = Material(amount=pct("100"), completeness=Completeness.FULL, substances=(dy, *rest))
    part = Part(id="magnet", mass=grams("10"), materials=(material,), origins=CN, classifications=item("ndfeb-magnet"))
    found = verdict_of(Bom(parts=(product(("magnet", "1")), part)), SCREEN)
    assert found.verdict is INDETERMINATE
    assert found.missing == ("narrower ranges, or measured values, for the Dy, Tb content of magnet and the parts under it: the declared ranges straddle the threshold",)


def test_an_origin_override_is_not_listed_on_rules_it_cannot_change():
    bom = Bom(parts=(product(("magnet", "1")), magnet()))
    dy = Override(part="magnet", rule="CN-MOFCOM-GAC-2025-18", element="Dy", origin=rarebom.OriginClass.NOT_CHINA, justification="j", document="d")
    evaluation = evaluate(rarebom.trace(bom), RULES, as_of=TODAY, overrides=[dy])
    assert evaluation.get("product", NO_18).node.overrides == (dy,)
    assert evaluation.get("product", SCREEN).node.overrides == ()  # the screen counts Dy of any origin


def test_a_missing_substance_is_warned_about_once_and_plainly():
    bom = Bom(parts=(product(("magnet", "1")), magnet()))
    missing = Override(
        part="magnet", rule="CN-MOFCOM-GAC-2025-18", substance="Tb4O7", origin=rarebom.OriginClass.NOT_CHINA, justification="j", document="d", where="o.toml: /overrides/0"
    )
    evaluation = evaluate(rarebom.trace(bom), RULES, as_of=TODAY, overrides=[missing])
    assert [f.message for f in evaluation.findings] == ["o.toml: /overrides/0: substance 'Tb4O7' is not among the own substances of magnet, so the override changes nothing"]


def test_rule_status_takes_a_date_or_its_iso_text():
    assert RULES[PRONG_1].status("2026-11-10") == RULES[PRONG_1].status(dt.date(2026, 11, 10))
    with pytest.raises(ValueError, match="not a date"):
        RULES[PRONG_1].status("10/11/2026")


USER_PACK = """\
format = "rarebom-rules/1"

[pack]
id = "ACME-REACH-LIKE"
authority = "ACME compliance team"
instrument = "ACME internal screen 1"
title = "Every article below 0.1 % Dy by mass"
summary = "A REACH-style screen: each article on its own, not diluted in the product."
issued = { date = 2026-01-01, confidence = "C", sources = ["memo"] }
data_as_of = 2026-11-22

[sources]
memo = { url = "https://example.com/acme-memo-1", title = "ACME memo 1" }

[[status]]
status = "in-force"
from = 2026-01-01
confidence = "C"
sources = ["memo"]

[[rules]]
id = "ACME-REACH-LIKE/article"
title = "Dy above 0.1 % in an article"
summary = "Each part counted in pieces."
reading = "industry-practice"
level = "article"
basis = "mass-share"
origin = "any"
elements = { symbols = ["Dy"], confidence = "C", sources = ["memo"] }
threshold = { operator = ">", value = "0.001", confidence = "C", sources = ["memo"] }
consequence = "declare it to the customer"

[[rules]]
id = "ACME-REACH-LIKE/any-node"
title = "Any Dy anywhere, bulk material included"
summary = "Every part, pieces or bulk."
reading = "industry-practice"
level = "any"
basis = "presence"
origin = "any"
elements = { symbols = ["Dy"], confidence = "C", sources = ["memo"] }
consequence = "list it"
"""


def test_article_and_any_levels_from_a_users_own_pack(tmp_path):
    path = tmp_path / "acme.toml"
    path.write_text(USER_PACK, encoding="utf-8")
    rules = load_rules([path], builtin=False)
    # A 1000 g product with one 10 g magnet of 1 % Dy (0.1 g: 0.01 % of the product, 1 % of
    # the magnet) and 2 kg of a bulk Dy-free compound counted in kg.
    compound = Part(id="compound", uom="kg", materials=(alloy(Nd="1"),))
    top = Part(
        id="product",
        mass=grams("3000"),
        uses=(
            Usage(child="magnet", quantity=Amount.parse("1", "", Kind.COUNT)),
            Usage(child="steel", quantity=Amount.parse("1", "", Kind.COUNT)),
            Usage(child="compound", quantity=Amount.parse("2", "kg", Kind.MASS)),
        ),
    )
    bom = Bom(parts=(top, magnet(Nd="30", Dy="1"), steel(), compound))
    evaluation = evaluate(rarebom.trace(bom), rules, as_of=TODAY)
    article = evaluation.get("product", "ACME-REACH-LIKE/article")
    assert {n.part for n in article.nodes} == {"product", "magnet", "steel"}  # not the bulk compound
    assert (article.verdict, article.node.part) == (ABOVE, "magnet")
    assert {n.part: n.verdict for n in article.nodes}["product"] is BELOW  # diluted: 0.0033 %
    anywhere = evaluation.get("product", "ACME-REACH-LIKE/any-node")
    assert {n.part for n in anywhere.nodes} == {"product", "magnet", "steel", "compound"}
    assert {n.part: n.verdict for n in anywhere.nodes} == {"product": ABOVE, "magnet": ABOVE, "steel": BELOW, "compound": BELOW}


def test_the_nominal_policy_decides_on_declared_values_only_when_asked():
    # Dy 0.1 % [0.05, 0.2] of a magnet: conservative says INDETERMINATE, nominal says BELOW
    # (the screen is "> 0.1 %"), and 0.15 % nominal says ABOVE.
    def magnet_with(nominal: str) -> Bom:
        dy = Substance(element="Dy", amount=Amount.parse(nominal, "%", Kind.FRACTION, min="0.05", max="0.2"))
        fe = Substance(element="Fe", amount=Amount.parse(str(70 - F(nominal)), "%", Kind.FRACTION, min="69.8", max="69.95"))
        material = Material(amount=pct("100"), completeness=Completeness.FULL, substances=(dy, Substance(element="Nd", amount=pct("30")), fe))
        part = Part(id="magnet", mass=grams("10"), materials=(material,), origins=CN, classifications=item("ndfeb-magnet"))
        return Bom(parts=(product(("magnet", "1")), part))

    assert verdict_of(magnet_with("0.1"), SCREEN).verdict is INDETERMINATE
    assert verdict_of(magnet_with("0.1"), SCREEN, policy="nominal").verdict is BELOW
    assert verdict_of(magnet_with("0.15"), SCREEN, policy="nominal").verdict is ABOVE
    with pytest.raises(ValueError, match="not conservative or nominal"):
        verdict_of(magnet_with("0.1"), SCREEN, policy="optimistic")
