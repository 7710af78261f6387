"""The roll-up engine on hand-built BOMs whose answers are worked out by hand."""

from __future__ import annotations

import math
from fractions import Fraction

import attrs
import pytest

import rarebom
from rarebom import Amount, Bom, Completeness, Kind, Material, OriginClaim, OriginClass, Part, Stage, Substance, Usage
from rarebom.engine import Alternates, OriginPolicy

from .conftest import EXAMPLES

F = Fraction
CHINA, NOT_CHINA, UNKNOWN = OriginClass.CHINA, OriginClass.NOT_CHINA, OriginClass.UNKNOWN


def mass(text: str) -> Amount:
    value, unit = text.split()
    return Amount.parse(value, unit, Kind.MASS)


def frac(text: str, **bounds: str) -> Amount:
    value, unit = text.split()
    return Amount.parse(None if value == "-" else value, unit, Kind.FRACTION, **bounds)


def use(child: str, qty: str = "1", unit: str = "", alternates: tuple[str, ...] = ()) -> Usage:
    kind = Kind.COUNT if unit in ("", "each") else Kind.MASS
    return Usage(child=child, quantity=Amount.parse(qty, unit, kind), alternates=alternates)


def magnet(pid: str = "magnet", grams: str = "30 g", *, dy: str = "1", nd: str = "30", origins=(), completeness=Completeness.FULL, **kw) -> Part:
    """A magnet: 100 % one material of Nd, Dy and Fe (the rest)."""
    fe = str(100 - F(dy) - F(nd))
    substances = (
        Substance(element="Nd", amount=frac(f"{nd} %")),
        Substance(element="Dy", amount=frac(f"{dy} %")),
        Substance(element="Fe", amount=frac(f"{fe} %")),
    )
    material = Material(name="NdFeB", amount=frac("100 %"), completeness=completeness, substances=substances)
    return Part(id=pid, mass=mass(grams), materials=(material,), origins=tuple(origins), **kw)


def cn(stage=Stage.SEPARATED, source="SD-1"):
    return OriginClaim(country="CN", stage=stage, source=source)


def jp(stage=Stage.SEPARATED):
    return OriginClaim(country="JP", stage=stage)


def bom(*parts: Part) -> Bom:
    return Bom(parts=parts)


def exact(b: Bom, **options):
    return rarebom.trace(b, exact=True, **options)


# -- additivity, sharing, quantities ---------------------------------------------------


def test_quantities_multiply_along_paths_and_shared_parts_count_once_per_path():
    b = bom(
        Part(id="product", uses=(use("rotor"), use("stator"), use("bolt", "2"))),
        Part(id="rotor", uses=(use("magnet", "48"), use("bolt", "8"))),
        Part(id="stator", uses=(use("bolt", "6"),)),
        magnet(origins=(cn(),)),
        Part(
            id="bolt",
            mass=mass("6.6 g"),
            materials=(Material(name="steel", amount=frac("100 %"), completeness=Completeness.FULL, substances=(Substance(element="Fe", amount=frac("100 %")),)),),
        ),
    )
    t = exact(b)
    product = t["product"]
    assert product.element("Nd").total.nominal == 48 * F(30) * F(30, 100)
    assert product.element("Dy").by_origin[CHINA].nominal == 48 * F(30) / 100
    # 16 bolts (2 + 8 + 6) of 6.6 g, plus 48 magnets' iron.
    assert product.element("Fe").total.nominal == 16 * F("6.6") + 48 * 30 * F(69, 100)
    assert product.mass == rarebom.Bounds(48 * 30 + 16 * F("6.6"), 48 * 30 + 16 * F("6.6"), 48 * 30 + 16 * F("6.6"), "g")
    assert product.mass_basis == "contents"
    assert product.undeclared.total.max == 0
    # The bolts have no origin claims: their iron is of unknown origin.
    assert product.element("Fe").by_origin[UNKNOWN].nominal == 16 * F("6.6")


def test_bulk_usage_is_measured_in_the_childs_unit():
    resin = Part(id="resin", uom="kg", materials=(Material(amount=frac("100 %"), substances=(Substance(formula="Nd2O3", amount=frac("10 %")),)),))
    b = bom(Part(id="rotor", uses=(use("resin", "60", "g"),)), resin)
    t = exact(b)
    # 60 g of a resin that is 10 % Nd2O3: 6 g of oxide, of which Nd is 2 Nd / (2 Nd + 3 O).
    nd_fraction = rarebom.chemistry.formula_fractions("Nd2O3")["Nd"]
    assert t["rotor"].mass.nominal == 60
    assert t["rotor"].element("Nd").total.nominal == 6 * nd_fraction
    assert t["resin"].mass_basis == "unit of measure"


def test_a_hundred_thousand_level_chain_needs_no_recursion():
    n = 100_000
    parts = [Part(id=f"p{i}", uses=(use(f"p{i + 1}"),)) for i in range(n)]
    parts.append(magnet("leaf", "1 g"))
    parts[-2] = Part(id=f"p{n - 1}", uses=(use("leaf"),))
    t = rarebom.trace(bom(*parts))
    assert t["p0"].element("Nd").total.nominal == pytest.approx(0.3)
    assert t.contributors("p0", "Nd")[0].paths[0][-1].part == "leaf"


# -- bounds and unknowns ---------------------------------------------------------------


def test_a_part_without_composition_bounds_every_element_from_above_never_zero():
    b = bom(Part(id="product", uses=(use("magnet"), use("housing"))), magnet(), Part(id="housing", mass=mass("2 kg")))
    result = exact(b)["product"]
    nd = result.mass_of(["Nd"])
    assert nd.min == 9 and nd.nominal == 9
    assert nd.max == 9 + 2000  # the housing could be anything
    assert result.undeclared.total.nominal == 2000
    assert result.mass_of(["Dy", "Tb"]).max == F("0.3") + 2000


def test_a_part_with_no_mass_at_all_is_unbounded():
    b = bom(Part(id="product", uses=(use("magnet"), use("mystery"))), magnet(), Part(id="mystery"))
    result = rarebom.trace(b)["product"]
    assert result.mass.nominal is None
    assert result.mass.max == math.inf
    assert result.mass_of(["Dy"]).max == math.inf
    assert result.element("Dy").total.nominal == pytest.approx(0.3)
    assert rarebom.trace(b).coverage("product").missing_mass == ("mystery",)


def test_ranges_carry_through_and_a_less_than_line_counts_at_its_midpoint():
    material = Material(
        amount=frac("100 %"),
        completeness=Completeness.PARTIAL,
        substances=(Substance(element="Dy", amount=frac("1 %", min="0.5", max="2")), Substance(name="other substances", amount=frac("- %", max="10"))),
    )
    b = bom(Part(id="m", mass=mass("100 g"), materials=(material,)))
    result = exact(b)["m"]
    assert result.element("Dy").total == rarebom.Bounds(F("0.5"), 1, 2, "g")
    assert result.unresolved.total == rarebom.Bounds(0, 5, 10, "g")
    # What the lines leave: 100 - (1 + 5) nominal; at least 100 - (2 + 10), at most 100 - 0.5.
    assert result.undeclared.total == rarebom.Bounds(88, 94, F("99.5"), "g")
    assert result.mass_of(["Dy"]).max == 100  # 2 + 10 + 99.5, capped at the part's mass


def test_declared_mass_or_contents_whichever_is_heavier_and_the_result_says_which():
    heavy = bom(Part(id="a", mass=mass("100 g"), uses=(use("m", "2"),)), magnet("m", "30 g"))
    light = bom(Part(id="a", mass=mass("50 g"), uses=(use("m", "2"),)), magnet("m", "30 g"))
    h, lt = exact(heavy)["a"], exact(light)["a"]
    assert (h.mass.nominal, h.mass_basis, h.undeclared.total.nominal) == (100, "declared", 40)
    assert (lt.mass.nominal, lt.mass_basis, lt.undeclared.total.nominal) == (60, "contents", 0)
    assert lt.declared_mass.nominal == 50 and lt.contents_mass.nominal == 60
    [heavy_warning] = [f for f in exact(heavy).findings if f.code == "mass-balance"]
    [light_warning] = [f for f in exact(light).findings if f.code == "mass-balance"]
    assert "declares 100 g" in heavy_warning.message and "sum to 60 g" in heavy_warning.message and "declared mass is used" in heavy_warning.message
    assert "declares 50 g" in light_warning.message and "contents' mass is used" in light_warning.message
    # check_bom, which `rarebom validate` runs, says the same.
    assert [f.message for f in rarebom.check_bom(light) if f.code == "mass-balance"] == [light_warning.message]


# -- origin policy ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "claims, expected",
    [
        ((), UNKNOWN),
        ((cn(Stage.SEPARATED),), CHINA),
        ((cn(Stage.METAL_OR_ALLOY),), CHINA),
        ((cn(Stage.MAGNET_OR_FUNCTIONAL_MATERIAL),), CHINA),
        ((cn(Stage.MINED),), UNKNOWN),  # mining alone is not a China-origin rare-earth item
        ((cn(Stage.COMPONENT),), UNKNOWN),
        ((jp(Stage.MAGNET_OR_FUNCTIONAL_MATERIAL),), UNKNOWN),  # says nothing about the metal
        ((jp(Stage.SEPARATED), jp(Stage.METAL_OR_ALLOY)), NOT_CHINA),
        ((jp(Stage.SEPARATED), jp(Stage.METAL_OR_ALLOY), cn(Stage.MAGNET_OR_FUNCTIONAL_MATERIAL)), CHINA),
        ((jp(Stage.SEPARATED), cn(Stage.SEPARATED), jp(Stage.METAL_OR_ALLOY)), CHINA),  # conflict: any CN claim decides
    ],
)
def test_default_origin_policy(claims, expected):
    t = exact(bom(magnet(origins=claims)))
    assert t["magnet"].origin.origin is expected
    assert t["magnet"].element("Nd").by_origin[expected].nominal == 9


def test_conflicting_claims_are_all_kept_and_reported():
    t = rarebom.trace(bom(magnet(origins=(jp(), cn(source="declaration A"), jp(Stage.METAL_OR_ALLOY)))))
    [conflict] = t.conflicts
    assert {c.country for c in conflict.claims} == {"CN", "JP"}
    assert any(f.code == "origin-conflict" and "declaration A" in f.message for f in t.findings)


def test_a_definite_class_covers_unknown_content_below_it_but_never_overrides():
    b = bom(
        Part(id="assembly", uses=(use("plain"), use("japanese")), origins=(cn(Stage.MAGNET_OR_FUNCTIONAL_MATERIAL),)),
        magnet("plain"),
        magnet("japanese", origins=(jp(), jp(Stage.METAL_OR_ALLOY))),
    )
    inherited = exact(b)["assembly"].element("Nd").by_origin
    assert (inherited[CHINA].nominal, inherited[NOT_CHINA].nominal, inherited[UNKNOWN].nominal) == (9, 9, 0)
    flat = exact(b, policy=OriginPolicy(inherit=False))["assembly"].element("Nd").by_origin
    assert (flat[CHINA].nominal, flat[NOT_CHINA].nominal, flat[UNKNOWN].nominal) == (0, 9, 9)


def test_unknown_origin_is_in_the_china_upper_bound_but_not_the_lower():
    b = bom(Part(id="p", uses=(use("a"), use("b"))), magnet("a", origins=(cn(),)), magnet("b"))
    china_dy = exact(b)["p"].mass_of(["Dy"], CHINA)
    assert (china_dy.min, china_dy.nominal, china_dy.max) == (F("0.3"), F("0.3"), F("0.6"))


def test_policy_is_configurable():
    strict = OriginPolicy(china_stages={Stage.MINED, Stage.SEPARATED}, not_china_stages={Stage.MAGNET_OR_FUNCTIONAL_MATERIAL})
    assert exact(bom(magnet(origins=(cn(Stage.MINED),))), policy=strict)["magnet"].origin.origin is CHINA
    assert exact(bom(magnet(origins=(jp(Stage.MAGNET_OR_FUNCTIONAL_MATERIAL),))), policy=strict)["magnet"].origin.origin is NOT_CHINA


# -- exactness -------------------------------------------------------------------------


def test_one_gram_in_one_kilogram_is_exactly_a_tenth_of_a_percent():
    b = bom(magnet("m", "1 kg", dy="0.1"))
    t = rarebom.trace(b)
    assert t.exact("m").share(["Dy"]).nominal == F(1, 1000)
    assert t.exact("m").mass_of(["Dy"]).nominal == 1
    assert exact(b)["m"].share(["Dy"]).nominal == F(1, 1000)
    assert t["m"].share(["Dy"]).nominal == pytest.approx(0.001)
    assert t.exact("m").share(["Dy"]).exact


def test_exact_results_agree_with_float_results():
    t = rarebom.trace(rarebom.load(EXAMPLES / "ev-traction-motor.xml").bom)
    for pid in ("ev-traction-motor", "rotor-assembly", "rotor-magnet-segment"):
        fast, slow = t[pid], t.exact(pid)
        for symbol in ("Nd", "Pr", "Dy", "Tb", "Fe"):
            for o in OriginClass:
                a, b = fast.element(symbol).by_origin[o], slow.element(symbol).by_origin[o]
                assert a.nominal == pytest.approx(float(b.nominal), rel=1e-12)
                assert a.max == pytest.approx(float(b.max), rel=1e-12)


# -- value -----------------------------------------------------------------------------


def test_values_convert_with_the_callers_rates_and_a_missing_rate_is_reported():
    b = bom(
        Part(id="product", uses=(use("a", "2"), use("b"))),
        Part(id="a", unit_value=Amount.parse("10", "EUR", Kind.CURRENCY)),
        Part(id="b", unit_value=Amount.parse("5", "USD", Kind.CURRENCY)),
    )
    t = exact(b, currency="USD", rates={"EUR": "1.08"})
    assert t["product"].value.nominal == 2 * 10 * F("1.08") + 5
    assert (t["product"].value_basis, t["product"].value.unit) == ("contents", "USD")
    missing = exact(b, currency="USD")
    assert missing["product"].value is None
    assert any(f.code == "missing-rate" and "EUR" in f.message for f in missing.findings)
    assert missing.coverage("product").missing_value == ("a", "product") or missing.coverage("product").missing_value == ("a",)


def test_own_value_wins_over_contents_value():
    b = bom(Part(id="p", uses=(use("a"),), unit_value=Amount.parse("100", "USD", Kind.CURRENCY)), Part(id="a", unit_value=Amount.parse("3", "USD", Kind.CURRENCY)))
    result = exact(b)["p"]
    assert (result.value.nominal, result.value_basis, result.contents_value.nominal) == (100, "own", 3)


# -- alternates ------------------------------------------------------------------------


def test_worst_case_alternates_take_the_largest_of_each_quantity():
    b = bom(Part(id="p", uses=(use("low-dy", alternates=("high-dy",)),)), magnet("low-dy", dy="1", nd="30"), magnet("high-dy", dy="5", nd="25"))
    selected = exact(b)["p"]
    worst = exact(b, alternates=Alternates.WORST)["p"]
    assert selected.element("Dy").total.nominal == F("0.3")
    assert worst.element("Dy").total.nominal == F("1.5")
    assert worst.element("Nd").total.nominal == 9  # low-dy has more Nd


# -- chemistry and unresolved content --------------------------------------------------


def test_unresolvable_substances_are_carried_not_dropped():
    material = Material(amount=frac("100 %"), substances=(Substance(cas="999-99-1", amount=frac("40 %")), Substance(name="NdFeB N42", amount=frac("60 %"))))
    b = bom(Part(id="p", mass=mass("10 g"), materials=(material,)))
    t = exact(b)
    assert t["p"].unresolved.total.nominal == 10
    assert t["p"].mass_of(["Nd"]).max == 10
    assert sum(f.code == "unresolved-substance" for f in t.findings) == 2


def test_typical_compositions_only_when_the_caller_opts_in():
    material = Material(name="sintered NdFeB", amount=frac("100 %"))
    b = bom(Part(id="p", mass=mass("100 g"), materials=(material,)))
    off = exact(b)["p"]
    assert off.elements == {} and off.undeclared.total.nominal == 100
    t = exact(b, typical_compositions=True)
    on = t["p"]
    assert on.element("Nd").total.nominal > 0 and on.element("Dy").total.max > 0
    assert any(f.code == "typical-composition" for f in t.findings)
    assert t.coverage("p").typical_composition == ("p",)
    assert exact(b).coverage("p").typical_composition == ()


# -- explanations, coverage ------------------------------------------------------------


def test_contributors_name_the_path_and_multiplier_on_the_example_motor():
    t = rarebom.trace(rarebom.load(EXAMPLES / "ev-traction-motor.xml").bom)
    top = t.contributors("ev-traction-motor", "Nd")[0]
    assert top.part == "rotor-magnet-segment" and top.origin is CHINA
    assert top.multiplier.nominal == 48 and top.path_count == 1
    assert [s.part for s in top.paths[0]] == ["ev-traction-motor", "rotor-assembly", "rotor-magnet-segment"]
    assert top.mass.nominal == pytest.approx(t["ev-traction-motor"].element("Nd").total.nominal)


def test_a_shared_part_is_one_contributor_with_all_its_paths():
    b = bom(Part(id="p", uses=(use("a", "2"), use("b", "3"))), Part(id="a", uses=(use("m"),)), Part(id="b", uses=(use("m", "2"),)), magnet("m"))
    [c] = exact(b).contributors("p", "Dy")
    assert (c.part, c.multiplier.nominal, c.path_count, len(c.paths)) == ("m", 8, 2, 2)
    assert c.mass.nominal == 8 * F("0.3")


def test_derivation_shows_the_arithmetic():
    t = exact(bom(Part(id="p", uses=(use("m", "2"),)), magnet("m", origins=(cn(),))))
    text = str(t.derivation("m"))
    assert "Dy 0.3 g" in text and "china" in text and "SD-1" in text
    assert "uses 2 × 'm'" in str(t.derivation("p"))


def test_coverage_on_the_example_motor():
    t = rarebom.trace(rarebom.load(EXAMPLES / "ev-traction-motor.xml").bom)
    coverage = t.coverage("ev-traction-motor")
    assert "rotor-magnet-segment" not in coverage.missing_composition
    assert "rotor-shaft" in coverage.missing_composition
    assert 0 < coverage.composition_declared.nominal < 1
    assert coverage.origin_known.nominal > 0.99  # only the magnets hold rare earths, and they are claimed


def test_a_bom_with_errors_is_refused():
    b = bom(Part(id="a", uses=(use("b"),)), Part(id="b", uses=(use("a"),)))
    with pytest.raises(rarebom.InvalidBomError, match="cycle"):
        rarebom.trace(b)


# -- regressions from review -----------------------------------------------------------


def test_a_typical_composition_accounts_for_the_whole_substance():
    material = Material(amount=frac("100 %"), substances=(Substance(name="SmCo 2:17 alloy", amount=frac("100 %")),))
    result = exact(bom(Part(id="p", mass=mass("10 g"), materials=(material,))), typical_compositions=True)["p"]
    assert result.element("Sm").total.nominal > 0
    parts = [e.total.nominal for e in result.elements.values()] + [result.undeclared.total.nominal, result.unresolved.total.nominal]
    assert sum(parts) == 10


def test_worst_case_is_an_envelope_never_below_any_candidate():
    # Selected: 10 g of Dy, not China. Alternate: 1 g of Dy, China. Worst case must not
    # report less Dy than the selected part, nor less China Dy than the alternate.
    b = bom(
        Part(id="p", uses=(use("jp", alternates=("cn",)),)),
        magnet("jp", "1000 g", dy="1", origins=(jp(), jp(Stage.METAL_OR_ALLOY))),
        magnet("cn", "100 g", dy="1", origins=(cn(),)),
    )
    dy = exact(b, alternates=Alternates.WORST)["p"].element("Dy")
    assert dy.by_origin[NOT_CHINA].nominal == 10 and dy.by_origin[CHINA].nominal == 1
    assert dy.total.nominal == 11  # an envelope over the candidates, not one real build


def test_a_cn_claim_never_makes_a_part_not_china_under_a_custom_policy():
    policy = OriginPolicy(china_stages={Stage.MAGNET_OR_FUNCTIONAL_MATERIAL}, not_china_stages={Stage.SEPARATED})
    decision = exact(bom(magnet(origins=(cn(Stage.SEPARATED),))), policy=policy)["magnet"].origin
    assert decision.origin is UNKNOWN


def test_a_value_that_cannot_be_converted_is_unknown_not_replaced_by_the_contents():
    b = bom(Part(id="p", uses=(use("a"),), unit_value=Amount.parse("100", "EUR", Kind.CURRENCY)), Part(id="a", unit_value=Amount.parse("3", "USD", Kind.CURRENCY)))
    result = exact(b, currency="USD")["p"]
    assert result.value is None and result.contents_value.nominal == 3


def test_materials_given_as_fractions_are_not_weighed_against_the_declared_mass():
    partial = Material(name="balls", amount=frac("7 %"), substances=(Substance(element="Si", amount=frac("60 %")),))
    t = exact(bom(Part(id="bearing", mass=mass("370 g"), materials=(partial,))))
    assert not any(f.code == "mass-balance" for f in t.findings)
    assert t.coverage("bearing").missing_composition == ("bearing",)


def test_a_float_trace_keeps_the_declared_mass_when_the_contents_equal_it():
    t = rarebom.trace(bom(magnet("m", "30.3 g", dy="0.9", nd="23.0")))
    assert t["m"].mass_basis == "declared"


def test_coverage_lists_assemblies_whose_declared_mass_exceeds_their_contents():
    b = bom(Part(id="a", mass=mass("100 g"), uses=(use("m"),)), magnet("m"))
    assert exact(b).coverage("a").missing_composition == ("a",)
    close = bom(Part(id="a", mass=mass("31 g"), uses=(use("m"),)), magnet("m"))  # within the 5 % mass tolerance
    assert exact(close).coverage("a").missing_composition == ()


def test_numbers_beyond_float_range_are_a_located_error_and_exact_traces_handle_them():
    b = bom(Part(id="p", uses=(use("m", "1e310"),)), magnet("m"))
    with pytest.raises(rarebom.InvalidBomError, match="number-out-of-range|beyond the range"):
        rarebom.trace(b)
    # past float range, an exact trace needs the multiplicity limit raised past it too
    assert exact(b, limits=rarebom.Limits(max_multiplicity=10**400))["p"].element("Dy").total.nominal == F(10) ** 310 * F("0.3")


def test_a_declared_zero_percent_stays_zero_in_a_material_of_unknown_mass():
    material = Material(amount=frac("100 %"), substances=(Substance(element="Dy", amount=frac("0 %")), Substance(element="Fe", amount=frac("50 %"))))
    result = exact(bom(Part(id="p", materials=(material,))))["p"]
    assert result.element("Dy").total == rarebom.Bounds(0, 0, 0, "g")


def test_ranges_do_not_invent_undeclared_mass():
    steel = Material(amount=frac("100 %"), completeness=Completeness.FULL, substances=(Substance(element="Fe", amount=frac("100 %")),))
    part = Part(id="p", mass=Amount.parse("100", "g", Kind.MASS, min="90", max="110"), materials=(steel,))
    result = exact(bom(part))["p"]
    assert result.undeclared.total == rarebom.Bounds(0, 0, 0, "g")
    assert result.mass_of(["Dy"]).max == 0
    fewer = bom(Part(id="a", uses=(Usage(child="m", quantity=Amount(kind=Kind.COUNT, unit="", max=F(5))),)), magnet("m"))
    assert exact(fewer)["a"].undeclared.total.max == 0
    # The share's bounds are interval arithmetic (max Dy over min mass): valid, but they do
    # not know that Dy and mass move together, so here they are [0, 1], not [1 %, 1 %].
    assert exact(fewer)["a"].share(["Dy"]).nominal == F(1, 100)


def test_a_substance_of_unknown_amount_takes_only_the_room_the_others_leave():
    material = Material(amount=frac("100 %"), substances=(Substance(element="Dy"), Substance(element="Fe", amount=frac("90 %"))))
    result = exact(bom(Part(id="p", mass=mass("100 g"), materials=(material,))))["p"]
    assert result.mass == rarebom.Bounds(100, 100, 100, "g")
    assert (result.element("Dy").total.min, result.element("Dy").total.nominal, result.element("Dy").total.max) == (0, None, 10)
    unknown_material = Part(id="q", mass=mass("100 g"), materials=(Material(name="mystery"),))
    assert exact(bom(unknown_material))["q"].undeclared.total.max == 100


def test_a_share_of_nothing_is_zero_even_in_a_part_that_may_weigh_nothing():
    light = attrs.evolve(magnet("m"), mass=Amount(kind=Kind.MASS, unit="g", max=F(30)))  # "< 30 g": min 0
    result = exact(bom(light))["m"]
    assert result.mass.min == 0
    assert result.share(["Tb"]).max == 0  # a full declaration without terbium
    assert result.share(["Dy"]).max == 1  # some Dy, over a mass that may be ~0: interval bounds


def test_origin_known_counts_unknown_amounts_as_open_not_zero():
    b = bom(Part(id="p", uses=(use("m"), use("n"))), magnet("m", origins=(cn(),)), magnet("n", dy="1"))
    known = exact(b).coverage("p").origin_known
    assert known.nominal == F(1, 2)


def test_contributor_paths_are_those_of_their_origin_class():
    b = bom(
        Part(id="p", uses=(use("cn-box"), use("jp-box"))),
        Part(id="cn-box", uses=(use("m"),), origins=(cn(Stage.MAGNET_OR_FUNCTIONAL_MATERIAL),)),
        Part(id="jp-box", uses=(use("m"),), origins=(jp(), jp(Stage.METAL_OR_ALLOY))),
        magnet("m"),
    )
    by_class = {c.origin: c for c in exact(b).contributors("p", "Dy")}
    assert by_class[CHINA].path_count == 1 and [s.part for s in by_class[CHINA].paths[0]] == ["p", "cn-box", "m"]
    assert by_class[NOT_CHINA].path_count == 1 and [s.part for s in by_class[NOT_CHINA].paths[0]] == ["p", "jp-box", "m"]


def test_derivation_shows_a_material_resolved_by_typical_composition():
    b = bom(Part(id="p", mass=mass("100 g"), materials=(Material(name="sintered NdFeB", amount=frac("100 %")),)))
    text = str(exact(b, typical_compositions=True).derivation("p"))
    assert "typical composition" in text and "Nd " in text


def test_contents_heavier_than_the_declared_mass_warn_even_with_fraction_materials():
    b = bom(Part(id="a", mass=mass("100 g"), uses=(use("m", "10"),), materials=(Material(amount=frac("1 %")),)), magnet("m"))
    assert any(f.code == "mass-balance" and "contents' mass is used" in f.message for f in exact(b).findings)
    bulk = bom(Part(id="top", uses=(use("k", "1", "kg"),)), Part(id="k", uom="kg", uses=(use("m", "100"),)), magnet("m"))
    assert any(f.code == "mass-balance" and "counted in 'kg'" in f.message for f in exact(bulk).findings)


def test_a_loaded_bom_is_checked_once_not_again_by_trace(monkeypatch):
    result = rarebom.load(EXAMPLES / "ev-traction-motor.xml")
    calls = []
    monkeypatch.setattr(rarebom.checks, "_check_amounts", lambda *a: calls.append(a) or [])
    t = rarebom.trace(result.bom)
    assert calls == []  # load() already ran the checks; trace reused them
    # The check findings come first, without check_bom's own mass balance (trace reports
    # the balance from its roll-up; on this example it has nothing to say).
    assert list(t.findings) == [f for f in result.findings if f.code != "mass-balance"]


def test_the_trace_takes_the_topological_order_check_bom_made(monkeypatch):
    """load() ran check_bom, which ordered the parts (by number); the compile uses that order
    and does not order them again. The order is handed out once: the BOM does not keep it."""
    checks = rarebom.checks
    bom = rarebom.load(EXAMPLES / "ev-traction-motor.xml").bom
    made = checks._ids(bom, bom._checked[checks._ORDER][0])
    assert made == checks._ids(bom, checks._kahn(*checks._graph(bom, checks._numbered(bom), alternates=True)))
    orderings = []
    real_kahn = checks._kahn
    monkeypatch.setattr(checks, "_kahn", lambda *a: orderings.append(a) or real_kahn(*a))
    t = rarebom.trace(bom)
    assert orderings == []
    assert t._compiled.ids == made
    assert checks._ORDER not in bom._checked
    again = rarebom.trace(bom)  # nothing handed out now: computed afresh, the same
    assert len(orderings) == 1 and again._compiled.ids == made


def ranged(element: str, nominal: str, low: str, high: str) -> Substance:
    return Substance(element=element, amount=frac(f"{nominal} %", min=low, max=high))


def test_a_full_declaration_with_ranges_leaves_room_only_where_its_maxima_cannot_reach():
    # Nd 30 [28, 32] % and Fe 70 [68, 72] %: the two can fill the material at any point of
    # their ranges, so nothing else is in it, and no Dy may hide in the gap between the mins.
    full = Material(amount=frac("100 %"), completeness=Completeness.FULL, substances=(ranged("Nd", "30", "28", "32"), ranged("Fe", "70", "68", "72")))
    result = exact(bom(Part(id="p", mass=mass("100 g"), materials=(full,))))["p"]
    assert result.undeclared.total == rarebom.Bounds(0, 0, 0, "g")
    assert result.mass_of(["Dy"]).max == 0
    # The same lines as a partial declaration leave the gap open: up to 4 g of anything.
    partial = attrs.evolve(full, completeness=Completeness.PARTIAL)
    assert exact(bom(Part(id="p", mass=mass("100 g"), materials=(partial,))))["p"].mass_of(["Dy"]).max == 4
    # A full declaration whose maxima reach only 96 % leaves at least 4 g that even they
    # cannot fill; its nominals (94 %) leave 6 g, and that shortfall is undeclared too.
    short = attrs.evolve(full, substances=(ranged("Nd", "29", "28", "30"), ranged("Fe", "65", "64", "66")))
    result = exact(bom(Part(id="p", mass=mass("100 g"), materials=(short,))))["p"]
    undeclared = result.undeclared.total
    assert (undeclared.min, undeclared.nominal, undeclared.max) == (4, 6, 6)
    nominals = [e.total.nominal for e in result.elements.values()] + [undeclared.nominal]
    assert sum(nominals) == result.mass.nominal == 100  # the nominals still add up
