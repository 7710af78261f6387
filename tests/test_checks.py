"""Graph errors name the parts involved; dirty arithmetic gives warnings, not silence."""

import attrs
import pytest

import rarebom
from rarebom import Amount, Bom, Kind, Material, Part, Substance, Usage, check_bom
from rarebom.checks import CheckOptions, topological_order


def _use(child, n="1", unit=""):
    return Usage(child=child, quantity=Amount.parse(n, unit, rarebom.units.kind_of_unit(unit)))


def _codes(bom, **options):
    return [(f.severity.value, f.code, f.parts) for f in check_bom(bom, CheckOptions(**options))]


def test_dangling_reference_names_both_parts():
    bom = Bom(parts=[Part(id="a", uses=[_use("ghost")])])
    findings = check_bom(bom)
    assert [(f.code, f.parts) for f in findings] == [("dangling-reference", ("a", "ghost"))]
    assert "'ghost', which does not exist" in findings[0].message


def test_cycle_prints_its_path():
    bom = Bom(parts=[Part(id="a", uses=[_use("b")]), Part(id="b", uses=[_use("c")]), Part(id="c", uses=[_use("a")])])
    findings = check_bom(bom)
    assert [f.code for f in findings] == ["cycle"]
    assert "a -> b -> c -> a" in findings[0].message
    with pytest.raises(ValueError):
        topological_order(bom)


def _alternate_use(child, *alternates):
    return Usage(child=child, quantity=Amount.parse("1", "", Kind.COUNT), alternates=alternates)


def test_a_cycle_through_an_alternate_is_an_error_that_says_so():
    # b's use of c names a as an alternate, and a uses b: whichever candidate a trace
    # picks, the roll-up orders a before b and b before a. It used to pass check_bom and
    # stop the trace with a bare ValueError.
    bom = Bom(parts=[Part(id="a", uses=[_use("b")]), Part(id="b", uses=[_alternate_use("c", "a")]), Part(id="c")])
    findings = check_bom(bom)
    assert [(f.code, f.parts) for f in findings] == [("cycle", ("a", "b"))]
    assert findings[0].message == "the BOM has a cycle: a -> b -> a, where b names a as an alternate to c"
    topological_order(bom)  # without alternates there is no loop
    with pytest.raises(ValueError):
        topological_order(bom, alternates=True)
    with pytest.raises(rarebom.InvalidBomError) as raised:
        rarebom.trace(bom)
    assert [f.code for f in raised.value.errors] == ["cycle"]


def test_alternates_that_close_no_loop_are_no_cycle():
    bom = Bom(parts=[Part(id="a", uses=[_alternate_use("b", "c")]), Part(id="b", uses=[_alternate_use("d", "c")]), Part(id="c"), Part(id="d")])
    assert check_bom(bom) == []


def test_a_cycle_of_alternates_names_every_alternate_step():
    bom = Bom(parts=[Part(id="a", uses=[_alternate_use("x", "b")]), Part(id="b", uses=[_alternate_use("y", "a")]), Part(id="x"), Part(id="y")])
    (finding,) = check_bom(bom)
    assert finding.message == "the BOM has a cycle: a -> b -> a, where a names b as an alternate to x and b names a as an alternate to y"


def test_self_use_is_a_cycle():
    assert "a -> a" in check_bom(Bom(parts=[Part(id="a", uses=[_use("a")])]))[0].message


@pytest.mark.parametrize("n", ["0", "-2"])
def test_zero_or_negative_quantity_is_an_error(n):
    bom = Bom(parts=[Part(id="a", uses=[_use("b", n)]), Part(id="b")])
    assert _codes(bom) == [("error", "non-positive-quantity", ("a",))]


@pytest.mark.parametrize("n", ["0", "-1.8e308"])
def test_zero_or_negative_mass_is_an_error(n):
    bom = Bom(parts=[Part(id="a", mass=Amount.parse(n, "kg", Kind.MASS))])
    assert _codes(bom) == [("error", "non-positive-mass", ("a",))]


def test_bulk_quantity_must_match_the_child_unit_of_measure():
    bom = Bom(parts=[Part(id="a", uses=[_use("glue", "3")]), Part(id="glue", uom="kg")])
    assert _codes(bom)[0][:2] == ("error", "quantity-unit-mismatch")
    ok = Bom(parts=[Part(id="a", uses=[_use("glue", "0.3", "kg")]), Part(id="glue", uom="kg")])
    assert _codes(ok) == []


def _fraction(value, unit="%"):
    return Amount.parse(value, unit, Kind.FRACTION)


def test_fraction_above_100_percent_warns():
    magnet = Part(id="m", mass=Amount.parse("10", "g", Kind.MASS), materials=[Material(name="NdFeB", substances=[Substance(element="Nd", amount=_fraction("130"))])])
    codes = [c for _, c, _ in _codes(Bom(parts=[magnet]))]
    assert "fraction-above-100" in codes and "substance-fractions-sum" in codes


def test_substance_fractions_sum_with_tolerance():
    def bom(total_fe):
        subs = [Substance(element="Nd", amount=_fraction("30")), Substance(element="Fe", amount=_fraction(total_fe))]
        return Bom(parts=[Part(id="m", materials=[Material(name="NdFeB", substances=subs)])])

    assert _codes(bom("70.5")) == []  # 100.5 % is within the default 1 % tolerance
    assert _codes(bom("72")) == [("warning", "substance-fractions-sum", ("m",))]
    assert _codes(bom("72"), fraction_tolerance=rarebom.units.parse_number("0.05")) == []


def test_material_fractions_sum_above_100_warns():
    part = Part(id="p", materials=[Material(name="x", amount=_fraction("60")), Material(name="y", amount=_fraction("50"))])
    assert _codes(Bom(parts=[part])) == [("warning", "material-fractions-sum", ("p",))]


def test_mass_balance_warns_with_both_numbers():
    bom = Bom(parts=[Part(id="asm", mass=Amount.parse("100", "g", Kind.MASS), uses=[_use("b", "2")]), Part(id="b", mass=Amount.parse("40", "g", Kind.MASS))])
    findings = check_bom(bom)
    assert [f.code for f in findings] == ["mass-balance"]
    assert "declares 100 g" in findings[0].message and "sum to 80 g" in findings[0].message
    assert check_bom(bom, CheckOptions(mass_tolerance=rarebom.units.parse_number("0.25"))) == []


def test_shared_subassembly_mass_balance_uses_quantities_along_paths():
    screw = Part(id="screw", mass=Amount.parse("2", "g", Kind.MASS))
    a = Part(id="a", mass=Amount.parse("8", "g", Kind.MASS), uses=[_use("screw", "4")])
    b = Part(id="b", mass=Amount.parse("4", "g", Kind.MASS), uses=[_use("screw", "2")])
    top = Part(id="top", mass=Amount.parse("20", "g", Kind.MASS), uses=[_use("a"), _use("b"), _use("screw", "4")])
    assert check_bom(Bom(parts=[top, a, b, screw])) == []


def test_cas_problems_warn_and_keep_the_entry():
    # 215-169-8 is the EC number of Nd2O3; SN0015 a chemSHERPA list code; 1308-87-9 a
    # CAS number with a wrong check digit; 1308-87-8 (Dy2O3) is right.
    subs = [Substance(cas="215-169-8"), Substance(cas="SN0015"), Substance(cas="1308-87-9"), Substance(cas="1308-87-8")]
    codes = [c for _, c, _ in _codes(Bom(parts=[Part(id="p", materials=[Material(substances=subs)])]))]
    assert codes == ["ec-number-in-cas-field", "not-a-cas-number", "cas-check-digit"]


def test_unknown_item_class_warns():
    part = Part(id="p", classifications=[rarebom.Classification(scheme="item-class", code="magent")])
    assert _codes(Bom(parts=[part])) == [("warning", "unknown-item-class", ("p",))]


def test_deep_chain_has_no_recursion_limit():
    depth = 100_000
    parts = [Part(id=f"p{i}", uses=[_use(f"p{i + 1}")]) for i in range(depth)] + [Part(id=f"p{depth}", mass=Amount.parse("1", "g", Kind.MASS))]
    bom = Bom(parts=parts)
    assert check_bom(bom) == []
    assert topological_order(bom)[0] == f"p{depth}"
    assert [p.id for p in bom.finished_goods] == ["p0"]


def test_check_bom_keeps_the_finished_goods_of_its_graph():
    """A part used only as an alternate is no finished good; check_bom finds the finished
    goods in the graph it walks, and a BOM with a cycle falls back to reading the usages."""
    parts = [Part(id="spare"), Part(id="fg", uses=[_alternate_use("a", "spare")]), Part(id="a"), Part(id="other")]
    checked = Bom(parts=parts)
    assert check_bom(checked) == []
    kept = checked._finished
    assert [p.id for p in kept] == ["fg", "other"]
    assert checked.finished_goods is kept
    assert Bom(parts=parts).finished_goods == kept  # found from the usages, without check_bom
    looped = Bom(parts=[*parts, Part(id="x", uses=[_use("y")]), Part(id="y", uses=[_use("x")])])
    assert [f.code for f in check_bom(looped)] == ["cycle"]
    assert looped._finished is None
    assert [p.id for p in looped.finished_goods] == ["fg", "other"]


def test_long_cycle_found_without_recursion():
    n = 50_000
    parts = [Part(id=f"p{i}", uses=[_use(f"p{(i + 1) % n}")]) for i in range(n)]
    findings = check_bom(Bom(parts=parts))
    assert [f.code for f in findings] == ["cycle"]
    assert findings[0].message.count("->") == n


def test_full_declaration_that_falls_short_warns():
    subs = [Substance(element="Nd", amount=_fraction("30")), Substance(element="Fe", amount=_fraction("40"))]
    full = Bom(parts=[Part(id="m", materials=[Material(name="NdFeB", completeness=rarebom.Completeness.FULL, substances=subs)])])
    assert _codes(full) == [("warning", "full-declaration-short", ("m",))]
    partial = Bom(parts=[Part(id="m", materials=[Material(name="NdFeB", substances=subs)])])
    assert _codes(partial) == []


def test_less_than_lump_makes_no_sum_warning():
    # "Nd 30 %, Fe 62 %, other substances < 10 %": nominal 92 %, at most 102 %. A real,
    # consistent declaration: neither "above 100 %" nor "full but short" applies.
    subs = [
        Substance(element="Nd", amount=_fraction("30")),
        Substance(element="Fe", amount=_fraction("62")),
        Substance(name="other substances", amount=Amount(kind=Kind.FRACTION, unit="%", max=rarebom.units.parse_number("0.1"))),
    ]
    for completeness in rarebom.Completeness:
        part = Part(id="m", materials=[Material(name="NdFeB", completeness=completeness, substances=subs)])
        assert _codes(Bom(parts=[part])) == []
    over = subs[:2] + [Substance(element="B", amount=Amount(kind=Kind.FRACTION, unit="%", min=rarebom.units.parse_number("0.1"), max=rarebom.units.parse_number("0.2")))]
    assert _codes(Bom(parts=[Part(id="m", materials=[Material(name="NdFeB", substances=over)])])) == [("warning", "substance-fractions-sum", ("m",))]


def test_topological_order_of_a_bom_with_a_dangling_reference_is_a_value_error():
    """Without check_bom first, the order says which usage names a missing part, as a
    ValueError (it was a bare KeyError of the id)."""
    bom = Bom(parts=[Part(id="a", uses=[_use("b")]), Part(id="b", uses=[_alternate_use("c", "ghost")]), Part(id="c")])
    assert topological_order(bom) == ["c", "b", "a"]
    with pytest.raises(ValueError, match="part 'b' names part 'ghost' as an alternate, which does not exist"):
        topological_order(bom, alternates=True)
    with pytest.raises(ValueError, match="part 'a' uses part 'ghost', which does not exist"):
        topological_order(Bom(parts=[Part(id="a", uses=[_use("ghost")])]))


def test_the_mass_balance_pairs_each_usage_with_its_own_child():
    """The balance walks the parts by number; a usage must meet its own child's mass even
    where the children come in another order than the file's (here y, then x)."""

    def grams(n):
        return Amount.parse(n, "g", Kind.MASS)

    asm = Part(id="asm", mass=grams("21"), uses=[_use("y", "1"), _use("x", "10")])
    bom = Bom(parts=[asm, Part(id="x", mass=grams("2")), Part(id="y", mass=grams("1"))])
    assert _codes(bom) == []  # 1 × 1 g + 10 × 2 g = 21 g, as declared
    lighter = Bom(parts=[attrs.evolve(asm, mass=grams("12")), *bom.parts[1:]])
    [finding] = check_bom(lighter)
    assert finding.code == "mass-balance" and "sum to 21 g" in finding.message
