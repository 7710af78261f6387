"""rarebom.chemistry: formulas, the CAS table, typical compositions and resolve()."""

from __future__ import annotations

import tomllib
from fractions import Fraction
from importlib import resources

import molmass
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rarebom import chemistry
from rarebom.chemistry import (
    DataFileError,
    cas_check_digit_ok,
    cas_record,
    formula_fractions,
    load_substances,
    load_typical_compositions,
    resolve,
    typical_composition,
)

SHIPPED_SUBSTANCES = tomllib.loads(resources.files("rarebom").joinpath("data/substances.toml").read_text("utf-8"))["substance"]


def percent(fractions: dict[str, Fraction], element: str, digits: int) -> float:
    return round(float(fractions[element] * 100), digits)


# --- formula_fractions ---------------------------------------------------------------


@pytest.mark.parametrize(
    "formula, expected_percent",
    [
        # regulations.md §6.4, computed from the atomic weights.
        ("Nd2Fe14B", {"Nd": 26.68, "Fe": 72.32, "B": 1.00}),
        ("Dy2Fe14B", {"Dy": 29.08}),
        ("SmCo5", {"Sm": 33.79, "Co": 66.21}),
        ("Sm2Co17", {"Sm": 23.09, "Co": 76.91}),
    ],
)
def test_magnet_phase_fractions(formula, expected_percent):
    fractions = formula_fractions(formula)
    assert {element: percent(fractions, element, 2) for element in expected_percent} == expected_percent


@pytest.mark.parametrize(
    "oxide, metal, factor",
    # Oxide-to-metal mass factors, regulations.md §6.4.
    [("Nd2O3", "Nd", 0.8574), ("Dy2O3", "Dy", 0.8713), ("Tb4O7", "Tb", 0.8502), ("Sm2O3", "Sm", 0.8624), ("Pr6O11", "Pr", 0.8277)],
)
def test_oxide_to_metal_factors(oxide, metal, factor):
    fractions = formula_fractions(oxide)
    assert set(fractions) == {"O", metal}
    assert round(float(fractions[metal]), 4) == factor


def test_fractions_are_exact_and_ordered_by_atomic_number():
    fractions = formula_fractions("Nd2Fe14B")
    assert list(fractions) == ["B", "Fe", "Nd"]
    nd, fe, b = (Fraction(str(molmass.ELEMENTS[s].mass)) for s in ("Nd", "Fe", "B"))
    assert fractions["Nd"] == 2 * nd / (2 * nd + 14 * fe + b)
    assert sum(fractions.values()) == 1
    assert formula_fractions("Fe") == {"Fe": Fraction(1)}


def test_hydrate_dots_and_surrounding_whitespace():
    assert formula_fractions("  Nd2O3\n") == formula_fractions("Nd2O3")
    assert formula_fractions("CuSO4.5H2O") == formula_fractions("CuSO9H10")


def test_result_is_a_fresh_dict():
    formula_fractions("Nd2O3")["Nd"] = Fraction(0)
    assert formula_fractions("Nd2O3")["Nd"] > Fraction(85, 100)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "NdFeB N42",  # molmass would drop the space and read N42
        "Sm(Co,Fe)7.5",
        "SmCo7.5",  # a decimal count
        "Nd1.5",
        "12*",
        "nd2o3",
        "Xx2O3",
        "Nd0",
        "Nd2O3(",
        ")+-4.]5++",  # molmass raises a bare ValueError here
        "D2O",  # isotope
        "[13C]O2",
        "[145Pm]",
        "Fe2+",  # charge
        "SO4-2",
        "Me",  # a molmass chemical-group abbreviation
        "WQ",  # a peptide sequence to molmass
        "Og",  # an element molmass has no atomic weight for
    ],
)
def test_not_a_formula(text):
    assert formula_fractions(text) is None


def test_promethium_uses_the_longest_lived_isotope():
    # No standard atomic weight; molmass gives 145Pm's mass, accepted and documented.
    fractions = formula_fractions("Pm2O3")
    o, pm = Fraction(str(molmass.ELEMENTS["O"].mass)), Fraction("144.9128")
    assert fractions["Pm"] == 2 * pm / (2 * pm + 3 * o)


_SYMBOLS = [symbol for symbol in chemistry.ELEMENTS if symbol in molmass.ELEMENTS]


@given(st.lists(st.tuples(st.sampled_from(_SYMBOLS), st.integers(1, 20)), min_size=1, max_size=6))
def test_property_fractions_are_count_times_mass_over_total(parts):
    formula = "".join(f"{symbol}{count if count > 1 else ''}" for symbol, count in parts)
    counts: dict[str, int] = {}
    for symbol, count in parts:
        counts[symbol] = counts.get(symbol, 0) + count
    masses = {symbol: Fraction(str(molmass.ELEMENTS[symbol].mass)) * count for symbol, count in counts.items()}
    total = sum(masses.values())
    fractions = formula_fractions(formula)
    assert fractions is not None, formula
    assert sum(fractions.values()) == 1
    assert fractions == {symbol: mass / total for symbol, mass in masses.items()}


# --- the CAS table -------------------------------------------------------------------


@pytest.mark.parametrize("entry", SHIPPED_SUBSTANCES, ids=lambda entry: entry["cas"])
def test_shipped_entry_is_sound(entry):
    assert cas_check_digit_ok(entry["cas"])
    fractions = formula_fractions(entry["formula"])
    assert fractions is not None and sum(fractions.values()) == 1
    assert entry["confidence"] in {"C", "S", "U"} and entry["source"].strip()
    assert cas_record(entry["cas"]).formula == entry["formula"]


def test_shipped_table_covers_the_rare_earths_and_their_oxides():
    records = load_substances().values()
    elements = {r.formula for r in records if r.formula in chemistry.ELEMENTS}
    assert set(chemistry.RARE_EARTHS) <= elements
    assert {"Fe", "Co", "B", "Ni", "Cu", "Al", "Nb", "Ga", "Zr", "Ge", "Sb", "W", "Ta", "Si", "Mn", "Cr", "Ti", "Sn"} <= elements
    oxides = {r.formula for r in records if r.formula.endswith(("O2", "O3", "O7", "O11"))}
    assert len(oxides) == 16  # Pm has no oxide entry
    assert [r.cas for r in records if r.formula == "Tb4O7"] == ["12037-01-3", "12738-76-0"]
    assert all(r.confidence == "U" for r in records if r.formula == "Tb4O7")
    assert cas_record("12017-68-4").confidence == "U"
    assert cas_record("918106-59-9") is None  # vendor-specific Nd2Fe14B number, left out on purpose


@pytest.mark.parametrize(
    "cas, element, factor",
    [
        ("1313-97-9", "Nd", 0.8574),
        ("1308-87-8", "Dy", 0.8713),
        ("12037-01-3", "Tb", 0.8502),
        ("12738-76-0", "Tb", 0.8502),
        ("12060-58-1", "Sm", 0.8624),
        ("12037-29-5", "Pr", 0.8277),
        ("1306-38-3", "Ce", 0.8141),
        ("7440-00-8", "Nd", 1.0),
    ],
)
def test_resolve_by_cas(cas, element, factor):
    resolution = resolve(cas=cas)
    assert resolution.basis == "cas" and not resolution.typical
    [(_, low, nominal, high)] = [share for share in resolution.fractions if share[0] == element]
    assert low == nominal == high
    assert round(float(nominal), 4) == factor
    assert resolution.source.startswith(f"CAS {cas} is ") and "substances.toml, confidence " in resolution.source


@pytest.mark.parametrize("cas", ["231-072-3", "1313-97-8", "50-00-0", "NdFeB", "", "1313979"])
def test_unknown_or_malformed_cas_is_unresolved(cas):
    assert cas_record(cas) is None
    assert resolve(cas=cas) is None


_GOOD_ENTRY = '[[substance]]\ncas = "1313-97-9"\nname = "neodymium oxide"\nformula = "Nd2O3"\nconfidence = "S"\nsource = "here"\n'


def test_load_substances_from_a_path(write):
    records = load_substances(write("ok.toml", _GOOD_ENTRY))
    assert dict(records) == {"1313-97-9": chemistry.SubstanceRecord("1313-97-9", "neodymium oxide", "Nd2O3", "S", "here")}


def test_broken_substance_file_names_every_broken_entry(write):
    path = write(
        "broken.toml",
        _GOOD_ENTRY
        + _GOOD_ENTRY  # duplicate
        + _GOOD_ENTRY.replace("1313-97-9", "1313-97-8")  # check digit
        + _GOOD_ENTRY.replace("1313-97-9", "231-072-3")  # an EC number
        + _GOOD_ENTRY.replace("1313-97-9", "1308-87-8").replace("Nd2O3", "NdFeB N42")
        + _GOOD_ENTRY.replace("1313-97-9", "1306-38-3").replace('"S"', '"X"')
        + _GOOD_ENTRY.replace("1313-97-9", "12060-58-1").replace('"here"', '""'),
    )
    with pytest.raises(DataFileError) as caught:
        load_substances(path)
    error = caught.value
    assert isinstance(error, ValueError) and error.file == str(path)
    message = str(error)
    assert message.startswith(f"{path}: 6 problems")
    assert "[[substance]] #2 (cas '1313-97-9'): duplicate CAS number" in message
    assert "[[substance]] #3 (cas '1313-97-8'): the CAS check digit is wrong" in message
    assert "[[substance]] #4 (cas '231-072-3'): not a CAS number" in message
    assert "[[substance]] #5 (cas '1308-87-8'): formula 'NdFeB N42' does not parse" in message
    assert "[[substance]] #6 (cas '1306-38-3'): confidence 'X' is not one of C, S, U" in message
    assert "[[substance]] #7 (cas '12060-58-1'): 'source' must be a non-empty string" in message


def test_substance_file_that_is_not_toml(write):
    with pytest.raises(DataFileError, match=r"bad\.toml: 1 problem\n  not valid TOML"):
        load_substances(write("bad.toml", "[[substance]\n"))


# --- typical compositions ------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("NdFeB N42", "ndfeb-sintered"),
        ("Neodymium-Iron-Boron", "ndfeb-sintered"),
        ("sintered Nd-Fe-B magnet", "ndfeb-sintered"),
        ("neodymium magnet", "ndfeb-sintered"),
        ("Nd2Fe14B", "ndfeb-sintered"),
        ("SmCo 2:17", "smco-2-17"),
        ("Sm2Co17", "smco-2-17"),
        ("Sm(Co,Fe,Cu,Zr)7.5", "smco-2-17"),
        ("SmCo5", "smco-1-5"),
        ("samarium-cobalt 1:5", "smco-1-5"),
        ("samarium cobalt", "smco"),
        ("steel", None),
        ("bonded NdFeB", None),  # a binder; no sourced figures
        ("", None),
    ],
)
def test_typical_composition_matches_names(text, expected):
    composition = typical_composition(text)
    assert (composition and composition.id) == expected


def test_shipped_typical_compositions_are_sound():
    compositions = {c.id: c for c in load_typical_compositions()}
    assert list(compositions) == ["smco-2-17", "smco-1-5", "smco", "ndfeb-sintered"]
    for composition in compositions.values():
        assert all(0 <= low <= nominal <= high <= 1 for _, low, nominal, high in composition.fractions)
        assert sum(nominal for _, _, nominal, _ in composition.fractions) <= 1
        assert [share[0] for share in composition.fractions] == sorted((share[0] for share in composition.fractions), key=chemistry.ELEMENTS.index)
        assert composition.sources and composition.confidence in {"C", "S", "U"}
    ndfeb = {element: (low, nominal, high) for element, low, nominal, high in compositions["ndfeb-sintered"].fractions}
    # couragemagnet figures (regulations.md §6.4), widened for high-coercivity grades [U].
    assert ndfeb["Fe"] == (Fraction("0.6395"), Fraction("0.663"), Fraction("0.6865"))
    assert ndfeb["B"] == (Fraction("0.011"), Fraction("0.0115"), Fraction("0.012"))
    assert ndfeb["Cu"] == (Fraction("0.0005"), Fraction("0.001"), Fraction("0.0015"))
    assert ndfeb["Dy"][0] == 0 and ndfeb["Dy"][2] == Fraction(1, 10)
    assert ndfeb["Tb"] == (0, 0, Fraction(3, 100))
    assert ndfeb["Nd"][2] == ndfeb["Pr"][2] == Fraction("0.325")
    assert compositions["ndfeb-sintered"].confidence == "U"
    smco = {element: (low, nominal, high) for element, low, nominal, high in compositions["smco-2-17"].fractions}
    assert smco["Sm"] == (Fraction("0.23"), Fraction("0.255"), Fraction("0.28"))
    assert smco["Zr"] == (Fraction("0.02"), Fraction("0.025"), Fraction("0.03"))
    assert dict((e, n) for e, _, n, _ in compositions["smco-1-5"].fractions)["Sm"] == Fraction(36, 100)


_GOOD_COMPOSITION = """
[[composition]]
id = "x"
name = "x"
patterns = ['x']
confidence = "U"
sources = ["here"]
note = ""
[composition.mass_percent]
Sm = { min = 20, nominal = 25, max = 30 }
"""


def test_load_typical_compositions_from_a_path(write):
    [composition] = load_typical_compositions(write("ok.toml", _GOOD_COMPOSITION.replace('note = ""', 'note = "n"')))
    assert composition.fractions == (("Sm", Fraction(1, 5), Fraction(1, 4), Fraction(3, 10)),)


def test_broken_typical_composition_file_names_every_broken_entry(write):
    good = _GOOD_COMPOSITION.replace('note = ""', 'note = "n"')
    path = write(
        "broken.toml",
        good
        + good.replace('id = "x"', 'id = "order"').replace("min = 20, nominal = 25", "min = 26, nominal = 25")
        + good.replace('id = "x"', 'id = "symbol"').replace("Sm =", "Xx =")
        + good.replace('id = "x"', 'id = "regex"').replace("['x']", "['(']")
        + good.replace('id = "x"', 'id = "sum"').replace("nominal = 25, max = 30", "nominal = 80, max = 90")
        + "Co = { min = 0, nominal = 30, max = 40 }\n"
        + good.replace('confidence = "U"', 'confidence = "maybe"'),
    )
    with pytest.raises(DataFileError) as caught:
        load_typical_compositions(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: 6 problems")
    assert "[[composition]] #2 (id 'order'): Sm: needs 0 <= min <= nominal <= max <= 100, got 26, 25, 30" in message
    assert "[[composition]] #3 (id 'symbol'): Xx: not an element symbol" in message
    assert "[[composition]] #4 (id 'regex'): pattern '(' does not compile" in message
    assert "[[composition]] #5 (id 'sum'): the nominal values add up to 110 %, more than 100 %" in message
    assert "[[composition]] #6 (id 'x'): duplicate id" in message
    assert "[[composition]] #6 (id 'x'): confidence 'maybe' is not one of C, S, U" in message


# --- resolve -------------------------------------------------------------------------


def test_resolve_priority_and_bases():
    one = Fraction(1)
    assert resolve(element="Nd", formula="Dy2O3", cas="1313-97-9") == chemistry.Resolution((("Nd", one, one, one),), "element", "element Nd")
    by_formula = resolve(formula="Dy2O3", cas="1313-97-9")
    assert by_formula.basis == "formula" and [share[0] for share in by_formula.fractions] == ["O", "Dy"]
    assert by_formula.source == f"formula Dy2O3, atomic weights from molmass {molmass.__version__}"
    # An identifier that does not resolve gives way to the next one.
    assert resolve(formula="NdFeB N42", cas="1313-97-9").basis == "cas"
    assert resolve(element="Xx", formula="Nd2O3").basis == "formula"


@pytest.mark.parametrize("kwargs", [{}, {"element": "Xx"}, {"element": "nd"}, {"formula": "12*"}, {"cas": "231-072-3"}, {"name": "Nd2O3"}, {"name": "NdFeB N42"}])
def test_unresolved(kwargs):
    assert resolve(**kwargs) is None


def test_typical_only_when_opted_in():
    assert resolve(name="NdFeB N42") is None
    resolution = resolve(name="NdFeB N42", typical=True)
    assert resolution.basis == "typical" and resolution.typical
    assert resolution.fractions == typical_composition("NdFeB N42").fractions
    assert resolution.source.startswith("typical composition 'ndfeb-sintered' (opt-in, confidence U): http://www.couragemagnet.com/faq/324.html")
    assert resolve(name="steel", typical=True) is None
    # A declared formula or CAS number always wins over a name.
    assert resolve(cas="12017-68-4", name="SmCo 2:17", typical=True).basis == "cas"
