from fractions import Fraction

import pint
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rarebom
from rarebom.errors import InputError, UnitError
from rarebom.units import Kind, format_number, kind_of_unit, parse_number, to_canonical, unit_factor


def test_one_registry_exported_and_exact():
    assert rarebom.ureg is rarebom.units.ureg
    assert rarebom.Q_(Fraction("1.5"), "lb").to("g").magnitude == Fraction("680.388555")
    assert rarebom.ureg("0.1 percent").to("dimensionless").magnitude == Fraction(1, 1000)


@pytest.mark.parametrize(
    "text, unit, expected_g",
    [
        ("1", "mg", Fraction(1, 1000)),
        ("2.5", "kg", 2500),
        ("1", "t", 10**6),
        ("1", "lb", Fraction("453.59237")),
        ("1", "oz", Fraction("28.349523125")),
        ("3", "µg", Fraction(3, 10**6)),
        ("0.1", "g", Fraction(1, 10)),
    ],
)
def test_mass_units_convert_exactly_to_grams(text, unit, expected_g):
    assert to_canonical(text, unit, Kind.MASS) == expected_g


@pytest.mark.parametrize(
    "unit, factor",
    [
        ("%", Fraction(1, 100)),
        ("wt%", Fraction(1, 100)),
        ("wt.%", Fraction(1, 100)),
        ("mass%", Fraction(1, 100)),
        ("% w/w", Fraction(1, 100)),
        ("ppm", Fraction(1, 10**6)),
        ("ppmw", Fraction(1, 10**6)),
        ("mg/kg", Fraction(1, 10**6)),
        ("g/kg", Fraction(1, 1000)),
        ("", 1),
        ("fraction", 1),
    ],
)
def test_fraction_spellings(unit, factor):
    assert unit_factor(unit, Kind.FRACTION) == factor


def test_one_tenth_of_a_percent_is_exact():
    # 1 g in 1 kg is exactly 0.1 %: no binary float in between.
    assert to_canonical("1", "g", Kind.MASS) / to_canonical("1", "kg", Kind.MASS) == to_canonical("0.1", "%", Kind.FRACTION)


@pytest.mark.parametrize("unit", ["", "each", "ea", "pcs", "pc", "PCS", "pieces", "units"])
def test_count_spellings_are_pieces_not_parsecs(unit):
    assert unit_factor(unit, Kind.COUNT) == 1
    assert kind_of_unit(unit) is Kind.COUNT


@pytest.mark.parametrize("unit, kind", [("m", Kind.LENGTH), ("ft", Kind.LENGTH), ("m**2", Kind.AREA), ("mL", Kind.VOLUME), ("L", Kind.VOLUME), ("kg", Kind.MASS)])
def test_bulk_units(unit, kind):
    assert kind_of_unit(unit) is kind


def test_volume_is_exact():
    assert to_canonical("5", "mL", Kind.VOLUME) == Fraction(5, 10**6)


def test_currencies_are_separate_dimensions():
    usd = rarebom.ureg("12.50 USD")
    assert usd.magnitude == Fraction(25, 2)
    with pytest.raises(pint.DimensionalityError):
        usd + rarebom.ureg("1 EUR")
    assert unit_factor("CNY", Kind.CURRENCY) == 1
    with pytest.raises(UnitError, match="ISO 4217"):
        unit_factor("usd", Kind.CURRENCY)


@pytest.mark.parametrize(
    "unit, kind, message",
    [
        ("blorbs", Kind.MASS, "unknown unit 'blorbs'"),
        ("furlong", Kind.MASS, r"not a unit of mass \(it measures \[length\]\)"),
        ("m", Kind.MASS, "not a unit of mass"),
        ("kg", Kind.FRACTION, "not a mass fraction"),
        ("at%", Kind.FRACTION, "not a mass fraction"),
        ("mol%", Kind.FRACTION, "not a mass fraction"),
        ("ppb", Kind.FRACTION, "not a mass fraction"),
        ("kg", Kind.COUNT, "not a count"),
        ("pcs", Kind.MASS, "counts pieces"),
        ("", Kind.MASS, "unit is required"),
    ],
)
def test_bad_units_are_errors_that_name_the_unit(unit, kind, message):
    with pytest.raises(UnitError, match=message) as info:
        unit_factor(unit, kind)
    assert isinstance(info.value, ValueError)  # a builtin too, as pint's errors are
    assert info.value.value == unit


@pytest.mark.parametrize("text", ["NaN", "inf", "-Infinity", "1,5", "", "1e99999", "0x10", "1/0", "١٢", "1.2.3", "12*"])
def test_parse_number_refuses_what_is_not_a_finite_decimal(text):
    with pytest.raises(InputError):
        parse_number(text)


@pytest.mark.parametrize("text, value", [("0.1", Fraction(1, 10)), ("1.5e-3", Fraction(3, 2000)), ("-2", -2), ("1/3", Fraction(1, 3)), (" 7 ", 7), (".5", Fraction(1, 2))])
def test_parse_number_is_exact(text, value):
    assert parse_number(text) == value


@given(st.fractions(max_denominator=10**60).filter(lambda f: abs(f.numerator) < 10**60))
def test_format_number_round_trips_every_rational(value):
    assert parse_number(format_number(value)) == value


@given(st.integers(1, 10**40), st.integers(-950, 950))
def test_format_number_round_trips_decimals_of_any_magnitude(mantissa, exponent):
    value = mantissa * Fraction(10) ** exponent
    assert parse_number(format_number(value)) == value
    assert format_number(parse_number("-1.8e308")) == "-18e307"


def test_format_number_refuses_what_no_file_could_hold():
    with pytest.raises(ValueError, match="digits"):
        format_number(Fraction(1, 3**200))


def test_format_number_writes_plain_decimals():
    assert format_number(Fraction(1, 1000)) == "0.001"
    assert format_number(Fraction(-25, 2)) == "-12.5"
    assert format_number(Fraction(1, 3)) == "1/3"
    assert format_number(Fraction(1200)) == "1200"


@pytest.mark.parametrize(
    "unit, kind, factor", [("m2", Kind.AREA, 1), ("M2", Kind.AREA, 1), ("mm2", Kind.AREA, Fraction(1, 10**6)), ("m3", Kind.VOLUME, 1), ("cm3", Kind.VOLUME, Fraction(1, 10**6))]
)
def test_erp_power_spellings(unit, kind, factor):
    assert kind_of_unit(unit) is kind
    assert unit_factor(unit, kind) == factor


@pytest.mark.parametrize("unit, factor", [("PPM", Fraction(1, 10**6)), ("Percent", Fraction(1, 100)), ("µg/g", Fraction(1, 10**6)), ("g/t", Fraction(1, 10**6))])
def test_fraction_case_and_mass_ratios(unit, factor):
    assert unit_factor(unit, Kind.FRACTION) == factor
