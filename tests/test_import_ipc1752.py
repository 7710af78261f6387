"""The IPC-1752A/B importer: structure, amounts relative to their parent, classes, dirt.

No real IPC-1752 file is public (research/formats.md §1.5), so the fixtures in
tests/data/import/ipc1752/ were written for these tests, each modelled on a real part and
following the element names public parsers use. Masses are checked through the engine
(exact traces) against arithmetic done by hand from the numbers in the files.
"""

from __future__ import annotations

import io
import math
from fractions import Fraction as F
from pathlib import Path

import pytest

import rarebom
from rarebom import Completeness, InvalidBomError, Kind, UnsafeInputError
from rarebom.chemistry import RARE_EARTHS, formula_fractions
from rarebom.formats import ipc1752

DATA = Path(__file__).parent / "data" / "import" / "ipc1752"
MLCC = DATA / "mlcc_class_d.xml"
ROTOR = DATA / "rotor_1752b_subproducts.xml"
STEPPER = DATA / "stepper_class_c.xml"
MULTI = DATA / "multi_1752b_mixed.xml"
DIRTY = DATA / "dirty_class_d.xml"
ERRORS = DATA / "errors_class_d.xml"

MG = F(1, 1000)  # grams in a milligram


def codes(findings) -> list[str]:
    return [f.code for f in findings]


def exact(path: Path):
    return rarebom.trace(rarebom.load(path).bom, exact=True)


def declaration(body: str, *, include: str | None = "D", ns: str = "http://webstds.ipc.org/175x/2.0") -> str:
    """A minimal IPC-1752 file around ``body`` (Products), with a document-level class."""
    sectional = f'<Include><Sectional name="MaterialInfo"><SubSectional name="{include}"/></Sectional></Include>' if include else ""
    return f'<?xml version="1.0"?>\n<MainDeclaration xmlns="{ns}" version="2.0">\n{sectional}\n{body}\n</MainDeclaration>\n'


# --- detection -----------------------------------------------------------------------


@pytest.mark.parametrize("path", [MLCC, ROTOR, MULTI, STEPPER])
def test_both_namespaces_with_or_without_the_1752b_wrapper_are_detected(path):
    assert rarebom.load(path).format == "ipc-1752"


def test_the_standard_and_business_info_become_bom_attributes():
    a = rarebom.load(MLCC).bom
    assert a.name == "Chip Monolithic Ceramic Capacitor 0603 2.2uF 25V X5R"
    attributes = dict(a.attributes)
    assert attributes["standard"] == "IPC-1752A"
    assert attributes["declarationClass"] == "D"
    assert attributes["supplyCompany"] == "Example Capacitor Co."
    assert attributes["supplyCompanyID"] == "000000001 (DUNS)"
    assert attributes["responseDate"] == "2024-03-14"
    assert attributes["authorizer"] == "A. Example"
    assert attributes["supplierAcceptance"] == "true"
    b = dict(rarebom.load(ROTOR).bom.attributes)
    assert (b["standard"], b["namespace"]) == ("IPC-1752B", "https://webstds.ipc.org/175x/1752B/1752B")


# --- a Class D capacitor ---------------------------------------------------------------


def test_mlcc_structure_units_and_provenance():
    result = rarebom.load(MLCC)
    assert result.findings == ()
    part = result.bom.part("GRM188R61E225MA12D")
    assert [p.id for p in result.bom.finished_goods] == ["GRM188R61E225MA12D"]
    assert part.mass.value == F("0.008") and part.mass.unit == "g"
    assert part.attribute("version") == "A" and part.attribute("manufacturingSite") == "Example plant"
    assert [m.name for m in part.materials] == ["Ceramic", "Internal electrode", "External electrode", "Nickel plating", "Tin plating"]
    assert all(m.completeness is Completeness.FULL for m in part.materials)
    ceramic, electrode, termination = part.materials[:3]
    assert ceramic.amount.value == F("5.2") * MG and ceramic.amount.unit == "mg"
    assert termination.amount.value == F("0.0009") and termination.amount.unit == "g"
    barium_titanate, _, dysprosia, yttria = ceramic.substances[:4]
    assert (barium_titanate.cas, barium_titanate.amount.kind, barium_titanate.amount.value) == ("12047-27-7", Kind.FRACTION, F("0.8627"))
    # massPercent, IPC's spelling, is read as %.
    assert (yttria.amount.unit, yttria.amount.value) == ("%", F("0.008"))
    assert electrode.substances[0].amount.kind is Kind.MASS and electrode.substances[0].amount.value == F("1.089") * MG
    assert (part.provenance.line, part.provenance.pointer) == (25, "/MainDeclaration/Product/ProductID")
    assert ceramic.provenance.pointer == "/MainDeclaration/Product/MaterialInfo/HomogeneousMaterialList/HomogeneousMaterial[1]"
    assert dysprosia.provenance.pointer.endswith("HomogeneousMaterial[1]/SubstanceCategoryList/SubstanceCategory/Substance[3]")
    assert dysprosia.provenance.file == str(MLCC)


def test_mlcc_masses_through_the_engine():
    result = exact(MLCC)["GRM188R61E225MA12D"]
    ceramic = F("5.2") * MG
    assert result.mass.nominal == F("0.008") and result.mass_basis == "declared"
    # Substance % are shares of the homogeneous material: 1.50 % Dy2O3 of 5.2 mg of ceramic.
    assert result.element("Dy").total.nominal == ceramic * F("0.015") * formula_fractions("Dy2O3")["Dy"]
    assert result.element("Y").total.nominal == ceramic * F("0.008") * formula_fractions("Y2O3")["Y"]
    assert result.element("Ni").total.nominal == F("1.089") * MG + F("0.35") * MG
    assert result.element("Cu").total.nominal == F("0.0009") * F("0.97")
    assert result.element("Sn").total.nominal == F("0.45") * MG
    # A full declaration whose substances close at 100 %: nothing undeclared. What rarebom's
    # CAS table cannot turn into elements (BaTiO3, CaZrO3, MgO, MnO, SiO2, glass) is unresolved.
    assert result.undeclared.total.max == 0
    assert result.unresolved.total.nominal == ceramic * (F("0.8627") + F("0.08") + F("0.006") + F("0.0033") + F("0.025")) + F("0.011") * MG + F("0.0009") * F("0.03")
    assert result.rare_earths.max == result.rare_earths.nominal + result.unresolved.total.max


# --- a magnet rotor with sub-products --------------------------------------------------


def test_rotor_sub_products_become_parts_with_quantities():
    bom = rarebom.load(ROTOR).bom
    assert [p.id for p in bom.finished_goods] == ["ROT-48-8P"]
    rotor, core, magnet, shaft = (bom.part(i) for i in ("ROT-48-8P", "CORE-48-8P", "MAG-N42SH-20105", "SH-48"))
    assert [(u.child, u.quantity.value) for u in rotor.uses] == [("CORE-48-8P", 1), ("SH-48", 1)]
    assert [(u.child, u.quantity.value) for u in core.uses] == [("MAG-N42SH-20105", 8)]
    assert rotor.mass.value == 1254 and rotor.mass.unit == "kg"
    assert magnet.mass.value == F("7.5")
    # Mass written as attributes on the node itself, not in an Amount child.
    assert shaft.mass.value == 310 and shaft.materials[0].amount.value == 310
    # numberOfInstances of a sub-product is the usage, not an attribute of the part.
    assert magnet.attribute("numberOfInstances") is None and rotor.attribute("numberOfInstances") == "1"
    # A homogeneous material's % is a share of its (sub-)product.
    assert magnet.materials[0].amount.value == F("0.975") and magnet.materials[0].amount.kind is Kind.FRACTION
    assert magnet.materials[0].substances[3].amount.unit == "ppm"
    assert magnet.provenance.pointer == "/MainDeclaration/IPC-1752B/Product/SubProduct[1]/SubProduct/ProductID"
    assert rotor.materials[0].substances[0].name == "proprietary material-other epoxy resins"
    assert rotor.materials[0].substances[0].identified is False


def test_rotor_rare_earth_grams_are_magnet_mass_times_the_declared_shares():
    trace = exact(ROTOR)
    rotor = trace["ROT-48-8P"]
    magnets = 8 * F("7.5") * F("0.975")  # 8 segments x 7.5 g x 97.5 % NdFeB body
    assert rotor.element("Nd").total.nominal == magnets * F("0.235") == F("13.7475")
    assert rotor.element("Pr").total.nominal == magnets * F("0.06")
    assert rotor.element("Dy").total.nominal == magnets * F("0.03")
    assert rotor.element("Tb").total.nominal == magnets * F(500, 10**6)  # 500 ppm
    assert trace["MAG-N42SH-20105"].element("Nd").total.nominal == F("7.5") * F("0.975") * F("0.235")
    assert rotor.element("Ni").total.nominal == 8 * F("7.5") * F("0.025") * F("0.85")
    assert rotor.mass.nominal == 1254 and rotor.mass_basis == "declared"
    declared_re = magnets * (F("0.235") + F("0.06") + F("0.03") + F("0.0005"))
    assert rotor.rare_earths.nominal == declared_re
    # The adhesive is a lump with no identity: 4 g that may be anything.
    assert rotor.rare_earths.max == declared_re + 4
    assert "mass-balance" not in codes(trace.findings)


# --- Class C: statements, no composition -------------------------------------------------


def test_class_c_keeps_statements_and_declares_no_composition():
    result = rarebom.load(STEPPER)
    bom = result.bom
    assert [p.id for p in bom.finished_goods] == ["STP-17-40", "STP-17-48"]
    first, second = bom.parts
    assert first.materials == () and second.materials == ()
    assert first.attribute("declarationClass") == "C"
    assert first.attribute("requesterItemNumber") == "100-4711" and second.attribute("requesterItemNumber") is None
    assert first.attribute("EUROHS-1907: Lead/Lead Compounds") == (
        "overThreshold=true; threshold=0.1 mass% of homogeneous material; reportableApplication=All; exemption=6(c); concentration=3.5 %"
    )
    assert first.attribute("EUREACH-0624: Lead") == "overThreshold=true; threshold=0.1 mass% of article; reportableApplication=All; substance=Lead [7439-92-1] 0.12 massPercent"
    assert first.attribute("EUROHS-1907: Cadmium/Cadmium Compounds").startswith("overThreshold=false")
    # A mass of 0 g (how request-mode files write "not given") is unknown, not weightless.
    [zero] = [f for f in result.findings if f.code == "zero-mass"]
    assert (zero.location.line, zero.location.pointer) == (30, "/MainDeclaration/Product/ProductID[2]/Amount")
    assert second.mass is None


def test_class_c_gives_no_element_mass_and_an_unknown_composition():
    trace = exact(STEPPER)
    known, unknown = trace["STP-17-40"], trace["STP-17-48"]
    assert known.element("Nd").total.max == 0  # nothing declares Nd...
    assert known.undeclared.total.nominal == 280  # ...but all 280 g are undeclared,
    assert known.mass_of(["Nd"]).max == 280  # so the motor may hold up to 280 g of it.
    assert known.rare_earths.nominal == 0 and known.rare_earths.max == 280
    assert unknown.mass.nominal is None and unknown.rare_earths.max == math.inf
    assert not unknown.rare_earths.bounded


# --- IPC-1752B: several products, several classes --------------------------------------


def test_multi_product_file_gives_one_finished_good_per_product_each_in_its_class():
    result = rarebom.load(MULTI)
    assert result.findings == ()
    bom = result.bom
    assert [p.id for p in bom.finished_goods] == ["SMCO-RING-12", "FAN-60-12V", "HALL-SOT23"]
    magnet, fan, hall = bom.parts
    assert [(p.attribute("declarationClass")) for p in bom.parts] == ["D", "C", "C, D"]
    assert all(m.completeness is Completeness.FULL for m in magnet.materials)
    assert fan.materials == () and fan.attribute("EUROHS-1907: Lead/Lead Compounds").startswith("overThreshold=false")
    # Class D+C: a full declaration with some undeclared share is read as partial, so its
    # 4 % gap is undeclared content and not a warning.
    assert all(m.completeness is Completeness.PARTIAL for m in hall.materials)
    assert hall.attribute("EUREACH-0624: Lead").startswith("overThreshold=false")
    trace = rarebom.trace(bom, exact=True)
    assert trace["SMCO-RING-12"].element("Sm").total.nominal == F("2.3") * F("0.25")
    assert trace["HALL-SOT23"].undeclared.total.nominal == 15 * MG * F("0.04")
    assert trace["FAN-60-12V"].mass_of(RARE_EARTHS).max == 52


# --- dirty data --------------------------------------------------------------------------


def test_dirty_file_loads_with_named_located_warnings():
    result = rarebom.load(DIRTY)
    found = codes(result.findings)
    for code in ("cas-in-name", "rejected-value", "repeated-part-number", "full-declaration-short", "ec-number-in-cas-field", "substance-fractions-sum"):
        assert code in found, code
    rejected = [f for f in result.findings if f.code == "rejected-value"]
    base = "/MainDeclaration/Product[1]/MaterialInfo/HomogeneousMaterialList"
    assert [(f.location.line, f.location.pointer) for f in rejected] == [
        (38, f"{base}/HomogeneousMaterial[3]/Amount"),
        (49, f"{base}/HomogeneousMaterial[4]/SubstanceCategoryList/SubstanceCategory/Substance[3]/Concentration"),
        (54, f"{base}/HomogeneousMaterial[5]/Amount"),
    ]
    assert "-1.7976931348623157E308 kg is negative" in rejected[2].message
    [named] = [f for f in result.findings if f.code == "cas-in-name"]
    assert "13676-54-5, 25722-66-1" in named.message and named.location.pointer.endswith("HomogeneousMaterial[2]/SubstanceCategoryList/SubstanceCategory/Substance[1]")


def test_dirty_values_stay_unknown_and_lumps_keep_their_names_and_amounts():
    bom = rarebom.load(DIRTY).bom
    assert [p.id for p in bom.parts] == ["QFN32-DIRTY", "QFN32-DIRTY (2)"]
    mold, substrate, die_attach, lead_frame, plating, die = bom.part("QFN32-DIRTY").materials
    lumps = [(s.name, s.cas, s.amount.value) for s in mold.substances if not s.identified]
    assert lumps == [("proprietary material-other epoxy resins", None, F("0.10")), ("other miscellaneous substances (less than 10%).", None, F("0.04"))]
    # The CAS numbers in a name are not read: the substance stays name-only.
    assert (substrate.substances[0].name, substrate.substances[0].cas) == ("bt resin (cas# 13676-54-5/25722-66-1)", None)
    # An EC number in a CAS SubstanceID is kept as written (checks warn, the engine leaves it unresolved).
    assert die_attach.substances[1].cas == "500-033-5"
    # "N/A" identifies nothing.
    assert die.substances[0].cas is None and die.substances[0].name == "silicon, doped"
    assert die_attach.amount is None and plating.amount is None and lead_frame.substances[2].amount is None
    result = rarebom.trace(bom, exact=True)["QFN32-DIRTY"]
    assert result.element("Cu").total.nominal == 8 * MG * F("0.10") + 10 * MG * F("0.98")
    # The plating's mass was impossible, so its tin is unknown: not zero.
    tin = result.element("Sn").total
    assert tin.nominal is None and tin.max > 0
    # The mold compound's substances stop at 94.3 %: the 5.7 % short is undeclared at least.
    assert result.undeclared.total.min == 25 * MG * F("0.057")


def test_unreadable_numbers_and_units_are_located_errors():
    with pytest.raises(InvalidBomError) as caught:
        rarebom.load(ERRORS)
    number, unit = caught.value.findings
    assert (number.code, number.location.line) == ("invalid-number", 18)
    assert (
        number.location.pointer == "/MainDeclaration/Product/MaterialInfo/HomogeneousMaterialList/HomogeneousMaterial[1]/SubstanceCategoryList/SubstanceCategory/Substance/Amount"
    )
    assert "'0,9' is not a number" in number.message
    assert (unit.code, unit.location.line) == ("unit", 22)
    assert unit.location.pointer == "/MainDeclaration/Product/MaterialInfo/HomogeneousMaterialList/HomogeneousMaterial[2]/Amount"
    assert "unknown unit 'mgm'" in unit.message
    with ERRORS.open("rb") as stream:
        bom, findings = ipc1752.read(stream, str(ERRORS))
    assert bom is None and codes(findings) == ["invalid-number", "unit"]


# --- smaller cases, written inline ---------------------------------------------------------


def product(number: str, mass: str = '<Amount value="10" UOM="g"/>', inner: str = "", attributes: str = 'unitType="Each"') -> str:
    return f'<Product {attributes}><ProductID itemNumber="{number}" itemName="{number} name">{mass}</ProductID>{inner}</Product>'


def sub_product(number: str, mass: str, inner: str = "", attributes: str = "") -> str:
    return f'<SubProduct {attributes}><ProductID itemNumber="{number}">{mass}</ProductID>{inner}</SubProduct>'


def test_a_shared_sub_product_is_one_part_and_extra_product_ids_are_alternates(write):
    shared = sub_product("SCREW-M3", '<Amount value="0.5" UOM="g"/>')
    family = (
        '<SubProduct><ProductID itemNumber="NUT-A"><Amount value="0.2" UOM="g"/></ProductID><ProductID itemNumber="NUT-B"><Amount value="0.2" UOM="g"/></ProductID></SubProduct>'
    )
    path = write("shared.xml", declaration(product("A", inner=shared + family) + product("B", inner=shared)))
    bom = rarebom.load(path).bom
    assert [p.id for p in bom.parts] == ["SCREW-M3", "NUT-A", "NUT-B", "A", "B"]
    assert [p.id for p in bom.finished_goods] == ["A", "B"]
    assert [(u.child, u.alternates) for u in bom.part("A").uses] == [("SCREW-M3", ()), ("NUT-A", ("NUT-B",))]
    assert [u.child for u in bom.part("B").uses] == ["SCREW-M3"]


def test_a_sub_product_mass_given_as_a_share_of_its_parent(write):
    inner = sub_product("MAG", '<Amount value="25" UOM="%"/>')
    path = write("share.xml", declaration(product("MOTOR", '<Amount value="0.2" UOM="kg"/>', inner) + product("LOOSE", '<Amount value="5" UOM="%"/>')))
    result = rarebom.load(path)
    assert result.bom.part("MAG").mass.value == 50  # 25 % of 200 g
    [warned] = [f for f in result.findings if f.code == "relative-product-mass"]
    assert warned.location.pointer == "/MainDeclaration/Product[2]/ProductID" and result.bom.part("LOOSE").mass is None


def test_without_a_declared_class_materials_are_partial_and_a_warning_says_so(write):
    material = (
        '<MaterialInfo><HomogeneousMaterialList><HomogeneousMaterial name="Steel"><Amount value="10" UOM="g"/></HomogeneousMaterial></HomogeneousMaterialList></MaterialInfo>'
    )
    path = write("noclass.xml", declaration(product("P", inner=material), include=None))
    result = rarebom.load(path)
    assert codes(result.findings) == ["declaration-class-missing"]
    assert result.findings[0].location.pointer == "/MainDeclaration/Product"
    assert result.bom.part("P").materials[0].completeness is Completeness.PARTIAL


def test_identities_unique_ids_unit_types_and_missing_part_numbers(write):
    substance = '<Substance name="Neodymium"><UniqueID identity="7440-00-8" authority="CAS"/><Concentration value="30"/></Substance>'
    substance += '<Substance name="Iron"><SubstanceID identity="7439-89-6" authority="CAS"/><Concentration value="70"/></Substance>'
    material = (
        f'<MaterialInfo><HomogeneousMaterialList><HomogeneousMaterial name="Alloy" value="1" UOM="g">{substance}</HomogeneousMaterial></HomogeneousMaterialList></MaterialInfo>'
    )
    body = (
        product("WIRE", '<Amount value="1" UOM="g"/>', material, 'unitType="Meters"')
        + product("REEL", attributes='unitType="Reels"')
        + '<Product unitType="Each"><ProductID><Amount value="1" UOM="g"/></ProductID></Product>'
    )
    result = rarebom.load(write("misc.xml", declaration(body)))
    bom = result.bom
    assert bom.part("WIRE").uom == "meters" and bom.part("REEL").uom == "each"
    assert bom.part("WIRE").materials[0].substances[0].cas == "7440-00-8"
    assert "unnamed product 1" in bom
    assert codes(result.findings) == ["unknown-unit-type", "missing-part-number"]
    assert rarebom.trace(bom, exact=True)["WIRE"].element("Nd").total.nominal == F("0.3")


def test_an_empty_declaration_warns(write):
    result = rarebom.load(write("empty.xml", declaration("")))
    assert len(result.bom) == 0 and codes(result.findings) == ["empty-declaration"]


def test_a_doctype_is_refused(write):
    text = declaration(product("P")).replace("<MainDeclaration", '<!DOCTYPE x [<!ENTITY e "boom">]>\n<MainDeclaration', 1)
    with pytest.raises(UnsafeInputError):
        rarebom.load(write("xxe.xml", text))


# --- round trip ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [MLCC, ROTOR, STEPPER, MULTI, DIRTY])
@pytest.mark.parametrize("fmt", ["rarebom-json", "rarebom-xml"])
def test_round_trip_keeps_everything_including_provenance(path, fmt):
    bom = rarebom.load(path).bom
    buf = io.BytesIO()
    rarebom.dump(bom, buf, format=fmt)
    back = rarebom.load(buf.getvalue()).bom
    assert back == bom
    first = next(p for p in back.parts if p.materials) if any(p.materials for p in back.parts) else back.parts[0]
    assert first.provenance.file == str(path) and first.provenance.pointer.startswith("/MainDeclaration/")
