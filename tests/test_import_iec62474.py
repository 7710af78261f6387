"""The IEC 62474 / chemSHERPA importer, on the ten real chemSHERPA files and on our own fixtures.

Expected numbers are computed here from the XML with a few lines of lxml, independently
of the reader, or written down from the files by hand (the table below).
"""

from __future__ import annotations

import io
import math
from fractions import Fraction
from pathlib import Path

import pytest
from lxml import etree

import rarebom
from rarebom.formats import detect_format
from rarebom.model import Completeness
from rarebom.units import Kind

from .conftest import SAMPLES, iec62474_schema

NS = "{http://std.iec.ch/iec62474}"
FIXTURES = Path(__file__).parent / "data" / "import" / "iec62474"
GRAMS = {"mg": Fraction(1, 1000), "g": Fraction(1), "kg": Fraction(1000)}

# file (after "iec62474_chemsherpa__"), product id, product mass per unit in grams (None:
# not declared), parts, materials, substances, as counted by hand in each file.
REAL = [
    ("SHAI_20241029165808_Touch_light_001.xml", "Touch_light", Fraction("113.62"), 30, 30, 18),
    ("SHAI_20241029165156_PR1806EZ_001.xml", "PR1806EZ", Fraction("0.6678617"), 7, 9, 7),
    ("SHAI_20241113151403_PSP220407_001.xml", "PSP220407", Fraction("0.8997008"), 14, 19, 13),
    ("SHAI_20241030151206_KLM7890_006.xml", "KLM7890", Fraction("0.286"), 6, 8, 7),
    ("SHAI_20241030151206_LED-001_007.xml", "LED-001", Fraction("0.135"), 6, 6, 5),
    ("SHAI_20241030151206_PWBOAD-001_008.xml", "PWBOAD-001", Fraction("0.044"), 5, 9, 2),
    ("SHAI_20241030151206_HIJ4567_001.xml", "HIJ4567", Fraction("6.8"), 2, 2, 2),
    ("SHAI_20241030151206_screw_009.xml", "screw", Fraction(3), 2, 1, 1),
    ("SHCI_20240920130558_000-000-000_001.xml", "000-000-000", None, 1, 1, 4),
    ("SHCI_20241113144850_000-000-001_001.xml", "000-000-001", None, 1, 1, 5),
]
SHAI = [row for row in REAL if row[0].startswith("SHAI")]


def sample(name: str) -> Path:
    path = SAMPLES / f"iec62474_chemsherpa__{name}"
    if not path.exists():
        pytest.skip(f"real samples not found at {SAMPLES}")
    return path


def grams(mass: etree._Element) -> Fraction:
    """A <Mass> in grams, straight from the XML."""
    return Fraction(mass.get("mass")) * GRAMS[mass.get("unitOfMeasure")]


def own_mass(element: etree._Element) -> Fraction:
    return grams(element.find(f"{NS}ProductID/{NS}Mass"))


def content_of(element: etree._Element) -> etree._Element:
    return element.find(f"{NS}Composition") if element.tag == f"{NS}Product" else element


def codes(findings) -> list[str]:
    return [f.code for f in findings]


# --- the ten real chemSHERPA files --------------------------------------------------------


@pytest.mark.parametrize(("name", "product", "mass_g", "parts", "materials", "substances"), REAL, ids=[r[1] for r in REAL])
def test_real_file_counts_and_product_mass(name, product, mass_g, parts, materials, substances):
    path = sample(name)
    tree = etree.parse(str(path))
    composition = tree.find(f"{NS}Product/{NS}Composition")
    # The table agrees with the file ...
    assert len(composition.findall(f".//{NS}ProductPart")) + 1 == parts
    # (substances listed on a part itself, as in chemSHERPA-CI, make one "whole part" material)
    holders = [composition, *composition.iter(f"{NS}ProductPart")]
    loose = sum(1 for holder in holders if holder.find(f"{NS}Substance") is not None)
    assert len(composition.findall(f".//{NS}Material")) + loose == materials
    assert len(composition.findall(f".//{NS}Substance")) == substances
    declared = tree.find(f"{NS}Product/{NS}ProductID/{NS}Mass")
    assert (None if declared is None else grams(declared)) == mass_g
    # ... and the reader agrees with both.
    result = rarebom.load(path)
    assert result.format == "iec-62474"
    bom = result.bom
    assert [p.id for p in bom.finished_goods] == [product]
    assert len(bom.parts) == parts
    assert sum(len(p.materials) for p in bom.parts) == materials
    assert sum(len(m.substances) for p in bom.parts for m in p.materials) == substances
    good = bom.part(product)
    if mass_g is None:
        assert good.mass is None
    else:
        assert good.mass.value == mass_g
        assert rarebom.trace(bom, exact=True)[product].mass.nominal == mass_g


def test_real_product_masses_are_the_published_ones():
    masses = {product: mass for _, product, mass, *_ in SHAI}
    assert masses["Touch_light"] == Fraction("113.62")
    assert round(masses["PR1806EZ"] * 1000, 2) == Fraction("667.86")  # mg
    assert round(masses["PSP220407"] * 1000, 2) == Fraction("899.70")  # mg
    assert masses["KLM7890"] * 1000 == 286
    assert masses["LED-001"] * 1000 == 135
    assert masses["PWBOAD-001"] * 1000 == 44
    assert masses["HIJ4567"] == Fraction("6.8")
    assert masses["screw"] == 3


@pytest.mark.parametrize(("name", "product"), [(r[0], r[1]) for r in SHAI], ids=[r[1] for r in SHAI])
def test_real_mass_per_unit_sums_exactly_through_the_engine(name, product):
    """ProductID/Mass is per ONE unit: Σ child mass × numberOfUnits (+ material masses) is the parent's mass, at every level."""
    path = sample(name)
    tree = etree.parse(str(path))
    bom = rarebom.load(path).bom
    trace = rarebom.trace(bom, exact=True)
    checked = 0
    for element in tree.iter(f"{NS}Product", f"{NS}ProductPart"):
        content = content_of(element)
        children = content.findall(f"{NS}ProductPart")
        part_id = element.find(f"{NS}ProductID").get("identifier")
        # Through the engine: each child's rolled-up mass per unit, times numberOfUnits.
        via_engine = sum((trace[c.find(f"{NS}ProductID").get("identifier")].mass.nominal * Fraction(c.get("numberOfUnits")) for c in children), Fraction(0))
        materials = sum((grams(m.find(f"{NS}Mass")) for m in content.findall(f"{NS}Material")), Fraction(0))
        assert via_engine + materials == own_mass(element), part_id
        assert trace[part_id].contents_mass.nominal == own_mass(element), part_id
        checked += 1
    assert checked == len(bom.parts)
    assert rarebom.load(path).findings == ()  # no mass-balance or any other warning


def test_touch_light_uses_parts_several_and_fractional_times():
    bom = rarebom.load(sample("SHAI_20241029165808_Touch_light_001.xml")).bom
    uses = {u.child: u.quantity for u in bom.part("Touch_light").uses}
    assert len(uses) == 9
    assert uses["Parts00009"].kind is Kind.COUNT and uses["Parts00009"].value == 4  # 4 × SUS-Screw
    assert uses["Parts00017"].value == Fraction("0.15")  # 0.15 of the wire, 6.8 g each
    assert uses["Parts00024"].value == 2  # 2 × surface mount LED
    assert bom.part("Parts00009").name == "SUS-Screw"
    assert bom.part("Parts00009").mass.value == 3
    trace = rarebom.trace(bom, exact=True)
    assert trace["Parts00009"].mass.nominal * 4 == 12


def test_touch_light_mixes_mg_on_parts_and_g_on_materials():
    bom = rarebom.load(sample("SHAI_20241029165808_Touch_light_001.xml")).bom
    part = bom.part("Parts00002")  # "PP": <Mass mass="50000" unitOfMeasure="mg"/>, material "50" g
    assert (part.mass.unit, part.mass.written(part.mass.value)) == ("mg", "50000")
    material = part.materials[0]
    assert material.name == "PP (Polypropylene)"
    assert material.id == "P512"
    assert (material.amount.kind, material.amount.unit, material.amount.written(material.amount.value)) == (Kind.MASS, "g", "50")
    assert part.mass.value == material.amount.value == 50
    # mg and g in one part too: the switch housing is 0.102 g and its material 102.0 mg.
    housing = bom.part("Parts00012")
    assert (housing.mass.unit, housing.materials[0].amount.unit) == ("g", "mg")
    assert housing.mass.value == housing.materials[0].amount.value == Fraction("0.102")


@pytest.mark.parametrize(("name", "product"), [(r[0], r[1]) for r in SHAI], ids=[r[1] for r in SHAI])
def test_real_nd_compliance_entry_never_becomes_nd_mass(name, product):
    path = sample(name)
    tree = etree.parse(str(path))
    entry = next(d for d in tree.iter(f"{NS}DsDsg") if d.find(f"{NS}DsDsgID").get("entryIdentity") == "00176")
    assert entry.get("name") == "Neodymium/Neodymium compounds"
    assert entry.find(f"{NS}ComplianceThreshold").get("aboveComplianceThreshold") == "false"
    assert len(tree.findall(f".//{NS}DsDsg")) == 196
    bom = rarebom.load(path).bom
    good = bom.part(product)
    statement = good.attribute("compliance:IEC62474:DSL:00176")
    assert statement.startswith("Neodymium/Neodymium compounds: not above the reporting threshold")
    assert "HDDs used in computer servers" in statement
    # No substance anywhere is neodymium ...
    assert not any(s.cas == "7440-00-8" or s.element == "Nd" for p in bom.parts for m in p.materials for s in m.substances)
    # ... so the engine finds none declared, but cannot rule it out: the composition is partial.
    result = rarebom.trace(bom, exact=True)[product]
    assert result.element("Nd").total.max == 0
    nd = result.mass_of(["Nd"])
    assert (nd.min, nd.nominal) == (0, 0)
    assert nd.max > 0
    assert all(m.completeness is Completeness.PARTIAL for p in bom.parts for m in p.materials)


def test_real_compliance_keeps_only_entries_above_threshold_or_naming_a_rare_earth():
    path = sample("SHAI_20241029165808_Touch_light_001.xml")
    tree = etree.parse(str(path))
    above = sorted(d.find(f"{NS}DsDsgID").get("entryIdentity") for d in tree.iter(f"{NS}DsDsg") if d.find(f"{NS}ComplianceThreshold").get("aboveComplianceThreshold") == "true")
    assert above == ["00021", "00036", "00038", "00154"]
    good = rarebom.load(path).bom.part("Touch_light")
    kept = sorted(name.rsplit(":", 1)[1] for name, _ in good.attributes if name.startswith("compliance:"))
    assert kept == [*above, "00176"]
    assert good.attribute("compliance:IEC62474:DSL:00038") == (
        "Bis (2-ethylhexyl)phthalate (DEHP): above the reporting threshold (0.1 mass% in homogenous material [ReportingLevel:Material]) for All; declared 18 mg, 15 %"
    )


def test_real_business_info_and_tool_become_bom_attributes_and_comments_are_ignored():
    path = sample("SHAI_20241029165808_Touch_light_001.xml")
    bom = rarebom.load(path).bom
    attributes = dict(bom.attributes)
    assert attributes == {
        "schemaDatabaseVersion": "X8.00ex2.0",
        "declarationComplete": "true",
        "businessInfoMode": "Distribution",
        "responseDate": "2024-09-30",
        "responseDocID": "Touch_light",
        "supplier": "SHERPA CORPORATION",
        "supplierID": "12345678 (DUNS, version 0)",
        "tool": "chemSHERPA-AI-V2R1.00.1@2.10.00 (chemSHERPA, version 0)",
    }
    assert bom.name == "Touch light"
    good = bom.part("Touch_light")
    assert good.attribute("effectiveDate") == "2024-09-30"
    assert good.attribute("compositionSubstanceList") == "chemSHERPA_SubstanceList (chemSHERPA, version 2.10.00)"
    # chemSHERPA's @-delimited comments are nowhere in the model.
    comments = {e.get("comment") for e in etree.parse(str(path)).iter() if e.get("comment")}
    values = [v for p in bom.parts for _, v in p.attributes] + list(attributes.values())
    names = [x for p in bom.parts for m in p.materials for x in (m.name, *(s.name for s in m.substances))]
    assert not any(c in text for c in comments for text in values + names if text and len(c) > 2)


def test_wire_product_is_counted_in_metres():
    bom = rarebom.load(sample("SHAI_20241030151206_HIJ4567_001.xml")).bom
    wire = bom.part("HIJ4567")
    assert wire.uom == "m"
    assert wire.mass.value == Fraction("6.8")  # grams per metre
    assert [u.child for u in wire.uses] == ["Parts00001"]


def test_screw_nickel_is_10_5_percent_of_3_g():
    path = sample("SHAI_20241030151206_screw_009.xml")
    tree = etree.parse(str(path))
    material = tree.find(f".//{NS}Material")
    substance = material.find(f"{NS}Substance")
    expected = grams(material.find(f"{NS}Mass")) * Fraction(substance.find(f"{NS}MassPercent").get("massPercent")) / 100
    assert expected == Fraction("0.315")
    bom = rarebom.load(path).bom
    ni = bom.part("Parts00001").materials[0].substances[0]
    assert (ni.name, ni.cas, ni.amount.kind, ni.amount.value) == ("Nickel", "7440-02-0", Kind.FRACTION, Fraction("0.105"))
    # provenance points at the <Substance> in the original file
    assert ni.provenance.file == str(path)
    assert ni.provenance.line == substance.sourceline
    assert ni.provenance.pointer == "/Main/Product/Composition/ProductPart/Material/Substance"
    trace = rarebom.trace(bom, exact=True)
    for part_id in ("Parts00001", "screw"):
        nickel = trace[part_id].element("Ni").total
        assert (nickel.min, nickel.nominal, nickel.max) == (expected, expected, expected)


def test_shci_group_code_is_kept_warned_and_unresolved():
    path = sample("SHCI_20240920130558_000-000-000_001.xml")
    result = rarebom.load(path)
    bom = result.bom
    good = bom.part("000-000-000")
    assert good.name == "JAMP Styrene Compound100"
    assert good.mass is None
    assert good.uses == ()
    [material] = good.materials
    assert material.name == "whole part"
    assert (material.amount.kind, material.amount.value) == (Kind.FRACTION, 1)
    assert material.completeness is Completeness.PARTIAL
    bfr = material.substances[3]
    assert (bfr.name, bfr.cas, bfr.amount.value) == ("Brominated flame retardants (BFRs)", "SN0015", Fraction("0.07"))
    [warning] = result.findings
    assert warning.code == "not-a-cas-number" and "'SN0015'" in warning.message
    part = rarebom.trace(bom)["000-000-000"]
    assert part.mass.nominal is None and part.mass.max == math.inf  # a chemical with no declared mass
    assert part.unresolved.total.nominal is None and part.unresolved.total.max == math.inf


def test_shci_solder_paste_substances_by_percent_only():
    bom = rarebom.load(sample("SHCI_20241113144850_000-000-001_001.xml")).bom
    [material] = bom.part("000-000-001").materials
    shares = {s.cas: s.amount.value * 100 for s in material.substances}
    assert shares == {"7439-92-1": 85, "7440-22-4": 2, "8050-09-7": Fraction("7.5"), "16961-83-4": Fraction("1.5"), "67-63-0": 4}


@pytest.mark.parametrize("name", [r[0] for r in REAL], ids=[r[1] for r in REAL])
def test_real_files_round_trip_with_provenance(name):
    bom = rarebom.load(sample(name)).bom
    assert all(p.provenance is not None for p in bom.parts)
    for fmt in ("rarebom-json", "rarebom-xml"):
        buf = io.BytesIO()
        rarebom.dump(bom, buf, format=fmt)
        assert rarebom.load(buf.getvalue()).bom == bom


# --- our fixtures -------------------------------------------------------------------------


def fixture(name: str) -> Path:
    return FIXTURES / name


def test_rotor_nd_pr_dy_masses_match_hand_arithmetic():
    path = fixture("servo_rotor_ndfeb.xml")
    result = rarebom.load(path)
    assert result.findings == ()
    bom = result.bom
    assert detect_format(io.BytesIO(path.read_bytes())) == "iec-62474"
    trace = rarebom.trace(bom, exact=True)
    rotor = trace["RT-400-NDFEB"]
    assert rotor.mass.nominal == 480
    alloy = Fraction("6.1") * 8  # grams of magnet alloy per rotor
    pct = Fraction(1, 100)
    nd, dy, pr = rotor.element("Nd").total, rotor.element("Dy").total, rotor.element("Pr").total
    assert (nd.min, nd.nominal, nd.max) == (alloy * 22 * pct, Fraction("11.468"), alloy * 25 * pct)
    assert (dy.min, dy.nominal, dy.max) == (alloy * 2 * pct, Fraction("1.22"), alloy * Fraction("3.5") * pct)
    # Pr is 6 % ± 0.5 percentage point (a tolerance, not a range)
    assert (pr.min, pr.nominal, pr.max) == (alloy * Fraction("5.5") * pct, Fraction("2.928"), alloy * Fraction("6.5") * pct)
    assert rotor.rare_earths.nominal == Fraction("11.468") + Fraction("2.928") + Fraction("1.22")
    # one segment
    segment = trace["MAG-48SH-S1"]
    assert segment.element("Nd").total.nominal == Fraction("6.1") * Fraction("0.235")


def test_rotor_structure_and_attributes():
    bom = rarebom.load(fixture("servo_rotor_ndfeb.xml")).bom
    rotor = bom.part("RT-400-NDFEB")
    assert rotor.name == "Rotor assembly, 400 W servo motor"
    assert [(u.child, u.quantity.value) for u in rotor.uses] == [("MAG-48SH-S1", 8), ("CORE-35A", 1), ("SHAFT-S45C", 1)]
    assert bom.part("CORE-35A").mass.unit == "kg" and bom.part("CORE-35A").mass.value == 310
    alloy, coating = bom.part("MAG-48SH-S1").materials
    assert (alloy.id, alloy.name, coating.id) == ("NdFeB-48SH", "Sintered NdFeB, grade 48SH", None)
    nd = alloy.substances[0]
    assert (nd.cas, nd.amount.min, nd.amount.value, nd.amount.max) == ("7440-00-8", Fraction("0.22"), Fraction("0.235"), Fraction("0.25"))
    shaft_steel = bom.part("SHAFT-S45C").materials[0].amount  # 120 g ± 2 g
    assert (shaft_steel.min, shaft_steel.value, shaft_steel.max) == (118, 120, 122)
    # Nd is above threshold and the composition holds Nd: the statement is kept, no warning.
    assert rotor.attribute("compliance:IEC62474:DSL:00176").startswith("Neodymium/Neodymium compounds: above the reporting threshold")
    assert rotor.attribute("compliance:IEC62474:DSL:00021") is None  # lead, not above: dropped
    assert dict(bom.attributes)["supplier"] == "Example Motion Components Ltd."
    assert dict(bom.attributes)["tool"] == "hand-written (rarebom tests, version 1)"


def test_full_declaration_leaves_nothing_undeclared():
    bom = rarebom.load(fixture("fmd_copper_terminal.xml")).bom
    assert {m.completeness for p in bom.parts for m in p.materials} == {Completeness.FULL}
    terminal = bom.part("TRM-250-SN")
    assert [m.name for m in terminal.materials] == ["Tin plating"]  # a material of the product itself
    result = rarebom.trace(bom, exact=True)["TRM-250-SN"]
    assert result.mass.nominal == 2
    assert result.undeclared.total.max == 0
    assert result.mass_of(["Nd"]).max == 0  # fully declared: no room for any rare earth
    assert result.element("Cu").total.nominal == Fraction("1.96")
    assert result.element("Sn").total.nominal == Fraction("0.04")


def test_rare_earth_above_threshold_but_absent_from_composition_warns():
    path = fixture("hdd_nd_compliance_only.xml")
    tree = etree.parse(str(path))
    entry = next(d for d in tree.iter(f"{NS}DsDsg") if d.get("name") == "Neodymium/Neodymium compounds")
    result = rarebom.load(path)
    [warning] = [f for f in result.findings if f.code == "rare-earth-only-in-compliance"]
    assert warning.location.line == entry.sourceline
    assert warning.location.pointer == "/Main/Product/Compliance/DsDsg[3]"
    assert warning.parts == ("HDD-35-8TB",)
    hdd = result.bom.part("HDD-35-8TB")
    assert hdd.attribute("compliance:IEC62474:DSL:00176").startswith("Neodymium/Neodymium compounds: above")
    assert hdd.attribute("compliance:IEC62474:DSL:00021").endswith("; declared 520 mg, 0.1 %")
    assert hdd.attribute("compliance:IEC62474:DSL:00093") is None  # cadmium, not above
    nd = rarebom.trace(result.bom, exact=True)["HDD-35-8TB"].mass_of(["Nd"])
    assert (nd.min, nd.nominal) == (0, 0) and nd.max > 0


def test_substances_on_a_part_without_material_become_a_whole_part_material():
    bom = rarebom.load(fixture("hdd_nd_compliance_only.xml")).bom
    [material] = bom.part("SOLDER-SAC305").materials
    assert material.name == "whole part"
    assert (material.amount.kind, material.amount.value) == (Kind.FRACTION, 1)
    assert material.completeness is Completeness.PARTIAL
    assert [(s.cas, s.amount.value * 100) for s in material.substances] == [("7440-31-5", Fraction("96.5")), ("7440-22-4", 3), ("7440-50-8", Fraction("0.5"))]
    tin = rarebom.trace(bom, exact=True)["SOLDER-SAC305"].element("Sn").total
    assert tin.nominal == Fraction("1.2") * Fraction("0.965")


def test_dirty_values_are_rejected_kept_or_warned():
    path = fixture("dirty_values.xml")
    tree = etree.parse(str(path))
    result = rarebom.load(path)
    assert sorted(codes(result.findings)) == ["ec-number-in-cas-field", "full-declaration-short", "rejected-value", "rejected-value"]
    negative, huge = [f for f in result.findings if f.code == "rejected-value"]
    assert "-5 g is negative" in negative.message
    assert negative.location.pointer == "/Main/Product/Composition/ProductPart[1]/ProductID/Mass"
    assert "-1.7976931348623157E308 kg is negative" in huge.message
    assert huge.location.pointer == "/Main/Product/Composition/ProductPart[2]/Material/Mass"
    assert huge.location.line == tree.find(f".//{NS}ProductPart[2]/{NS}Material/{NS}Mass").sourceline
    bom = result.bom
    assert bom.part("BRKT-01").mass is None  # unknown, never negative, never zero
    epdm = bom.part("GSK-01").materials[0]
    assert epdm.amount is None
    lump = epdm.substances[2]
    assert lump.name == "other miscellaneous substances (<10%)"
    assert not lump.identified
    assert (lump.amount.min, lump.amount.value, lump.amount.max) == (0, Fraction("0.1"), Fraction("0.1"))
    nickel = bom.part("BRKT-01").materials[0].substances[2]
    assert nickel.cas == "231-111-4"
    assert "85 %" in next(f.message for f in result.findings if f.code == "full-declaration-short")
    trace = rarebom.trace(bom, exact=True)
    assert trace["BRKT-01"].element("Ni").total.max == 0  # the EC number is not resolved ...
    assert trace["BRKT-01"].unresolved.total.nominal == Fraction("1.5")  # ... its 10 % of 15 g is carried as unresolved
    assert trace["BRKT-GSK"].mass.nominal == Fraction("18.2")


def test_mass_abc_is_a_located_error():
    path = fixture("bad_mass_abc.xml")
    line = etree.parse(str(path)).find(f".//{NS}Material/{NS}Mass").sourceline
    with pytest.raises(rarebom.InvalidBomError) as caught:
        rarebom.load(path)
    [error] = caught.value.errors
    assert error.code == "invalid-number"
    assert (error.location.file, error.location.line) == (str(path), line)
    assert error.location.pointer == "/Main/Product/Composition/ProductPart/Material/Mass"
    assert "'abc' is not a number" in error.message
    assert f"bad_mass_abc.xml:{line}: /Main/Product/Composition/ProductPart/Material/Mass: error:" in str(error)


def test_unit_outside_the_xsd_is_an_error():
    path = fixture("bad_unit.xml")
    with pytest.raises(rarebom.InvalidBomError) as caught:
        rarebom.load(path)
    [error] = caught.value.errors
    assert error.code == "unit"
    assert error.location.pointer == "/Main/Product/ProductID/Mass"
    assert "unitOfMeasure 'lb' is not one IEC 62474 allows (mg, g, kg)" in error.message


@pytest.mark.parametrize("name", ["servo_rotor_ndfeb.xml", "fmd_copper_terminal.xml", "hdd_nd_compliance_only.xml", "dirty_values.xml"])
def test_fixtures_round_trip_with_provenance(name):
    bom = rarebom.load(fixture(name)).bom
    assert all(s.provenance is not None for p in bom.parts for m in p.materials for s in m.substances)
    for fmt in ("rarebom-json", "rarebom-xml"):
        buf = io.BytesIO()
        rarebom.dump(bom, buf, format=fmt)
        assert rarebom.load(buf.getvalue()).bom == bom


def test_fixtures_follow_the_xsd():
    schema = iec62474_schema()
    for name in ("servo_rotor_ndfeb.xml", "fmd_copper_terminal.xml", "hdd_nd_compliance_only.xml", "dirty_values.xml"):
        assert schema.validate(etree.parse(str(fixture(name)))), (name, str(schema.error_log))
    # The two broken files break it exactly where they mean to.
    for name, attribute in (("bad_mass_abc.xml", "'mass': 'abc'"), ("bad_unit.xml", "'unitOfMeasure': [facet 'enumeration'] The value 'lb'")):
        assert not schema.validate(etree.parse(str(fixture(name))))
        assert [attribute in str(e) for e in schema.error_log] == [True]


# --- small cases, written inline ----------------------------------------------------------

HEAD = """<?xml version="1.0" encoding="utf-8"?>
<Main xmlns="http://std.iec.ch/iec62474" schemaDatabaseVersion="X8.21">
  <BusinessInfo mode="Distribution"/>
"""


def declaration(product: str) -> bytes:
    return (HEAD + product + "\n</Main>\n").encode()


def test_tolerance_bounds_stop_at_zero_and_100_percent():
    xml = declaration("""<Product unitType="each">
    <ProductID identifier="P"><Mass mass="10" unitOfMeasure="g"/></ProductID>
    <Composition isFMD="false"><DeclarableSubstanceList identity="DSL" authority="IEC62474" version="D29.00"/>
      <Material name="m"><MassPercent massPercent="99.8" positiveTolerance="1" negativeTolerance="-0.3"/>
        <Substance name="a"><SubstanceID><EntryID entryIdentity="7440-02-0"/></SubstanceID><MassPercent massPercent="0.05" negativeTolerance="0.1"/></Substance>
      </Material>
    </Composition></Product>""")
    material = rarebom.load(xml).bom.part("P").materials[0]
    assert (material.amount.min, material.amount.value, material.amount.max) == (Fraction("0.995"), Fraction("0.998"), 1)  # sign ignored; capped at 100 %
    substance = material.substances[0].amount
    assert (substance.min, substance.value, substance.max) == (0, Fraction("0.0005"), None)  # no positive tolerance: no max


def test_range_wins_over_tolerance_for_the_same_bound():
    xml = declaration("""<Product unitType="each">
    <ProductID identifier="P"><Mass mass="10" unitOfMeasure="g" massRangeMax="10.5" positiveTolerance="2" negativeTolerance="1"/></ProductID>
    </Product>""")
    mass = rarebom.load(xml).bom.part("P").mass
    assert (mass.min, mass.value, mass.max) == (9, 10, Fraction("10.5"))


@pytest.mark.parametrize(("units", "code"), [("-2", "non-positive-quantity"), ("0", "non-positive-quantity"), ("INF", "invalid-number")])
def test_bad_number_of_units_is_an_error(units, code):
    xml = declaration(f"""<Product unitType="each"><ProductID identifier="P"/>
    <Composition><DeclarableSubstanceList identity="DSL" authority="IEC62474" version="D29.00"/>
      <ProductPart numberOfUnits="{units}"><ProductID identifier="C"/></ProductPart>
    </Composition></Product>""")
    with pytest.raises(rarebom.InvalidBomError) as caught:
        rarebom.load(xml)
    assert codes(caught.value.errors) == [code]
    assert caught.value.errors[0].location.pointer == "/Main/Product/Composition/ProductPart"


def test_part_ids_fall_back_to_name_then_xpath_and_repeats_are_renamed():
    xml = declaration("""<Product unitType="kg"><ProductID name="Compound"/>
    <Composition><DeclarableSubstanceList identity="DSL" authority="IEC62474" version="D29.00"/>
      <ProductPart numberOfUnits="1"><ProductID/></ProductPart>
      <ProductPart numberOfUnits="2"><ProductID identifier="X"><Mass mass="1" unitOfMeasure="g"/></ProductID></ProductPart>
      <ProductPart numberOfUnits="3"><ProductID identifier="X"><Mass mass="2" unitOfMeasure="g"/></ProductID></ProductPart>
    </Composition></Product>""")
    result = rarebom.load(xml)
    bom = result.bom
    good = bom.part("Compound")
    assert good.uom == "kg"
    assert [(u.child, u.quantity.value) for u in good.uses] == [("/Main/Product/Composition/ProductPart[1]", 1), ("X", 2), ("X (2)", 3)]
    assert codes(result.findings) == ["repeated-part-number"]


def test_identity_without_digits_is_no_identity():
    xml = declaration("""<Product unitType="each"><ProductID identifier="P"><Mass mass="1" unitOfMeasure="g"/></ProductID>
    <Composition><DeclarableSubstanceList identity="DSL" authority="IEC62474" version="D29.00"/>
      <Material name="m"><Mass mass="1" unitOfMeasure="g"/>
        <Substance name="Confidential"><SubstanceID><EntryID entryIdentity="Proprietary"/></SubstanceID><MassPercent massPercent="20"/></Substance>
        <Substance><SubstanceID><EntryID entryIdentity="N/A"/></SubstanceID><MassPercent massPercent="5"/></Substance>
        <Substance name="Nickel">
          <SubstanceID><EntryID entryIdentity="028-002-00-7"/></SubstanceID>
          <SubstanceID><EntryID entryIdentity="7440-02-0"/></SubstanceID>
          <MassPercent massPercent="1"/>
        </Substance>
      </Material>
    </Composition></Product>""")
    confidential, unnamed, nickel = rarebom.load(xml).bom.part("P").materials[0].substances
    assert (confidential.name, confidential.cas, confidential.identified) == ("Confidential", None, False)
    assert (unnamed.name, unnamed.cas) == ("N/A", None)
    assert nickel.cas == "7440-02-0"  # of several ids, the CAS-shaped one


def test_rare_earth_named_in_composition_silences_the_warning_and_names_match_words():
    from rarebom.formats.iec62474 import names_rare_earth

    assert names_rare_earth("Neodymium/Neodymium compounds")
    assert names_rare_earth("Rare earth elements") and names_rare_earth("Lanthanides")
    assert not names_rare_earth("Lead/Lead Compounds") and not names_rare_earth("Ceramic capacitor")
    xml = declaration("""<Product unitType="each"><ProductID identifier="P"/>
    <Compliance><DeclarableSubstanceList identity="DSL" authority="IEC62474" version="D29.00"/>
      <DsDsg name="Dysprosium"><DsDsgID entryIdentity="90001"/>
        <ComplianceThreshold aboveComplianceThreshold="1" reportableApplication="All" reportingThreshold="0.1 mass%"/>
      </DsDsg>
    </Compliance>
    <Composition><DeclarableSubstanceList identity="DSL" authority="IEC62474" version="D29.00"/>
      <Material name="magnet"><Substance><SubstanceID><EntryID entryIdentity="7429-91-6"/></SubstanceID></Substance></Material>
    </Composition></Product>""")
    result = rarebom.load(xml)
    assert "rare-earth-only-in-compliance" not in codes(result.findings)
    assert result.bom.part("P").attribute("compliance:IEC62474:DSL:90001") == "Dysprosium: above the reporting threshold (0.1 mass%) for All"


def test_a_doctype_is_refused():
    xml = b'<?xml version="1.0"?><!DOCTYPE Main [<!ENTITY x "y">]><Main xmlns="http://std.iec.ch/iec62474"/>'
    with pytest.raises(rarebom.UnsafeInputError):
        rarebom.load(xml, format="iec-62474")


def test_a_root_other_than_main_is_refused_when_forced():
    with pytest.raises(rarebom.InvalidBomError) as caught:
        rarebom.load(b'<bom xmlns="urn:rarebom:bom:1" formatVersion="1.0"/>', format="iec-62474")
    assert codes(caught.value.errors) == ["schema"]


def test_substances_beside_materials_are_kept_whole_and_warned():
    xml = declaration("""<Product unitType="each"><ProductID identifier="P"><Mass mass="10" unitOfMeasure="g"/></ProductID>
    <Composition><DeclarableSubstanceList identity="DSL" authority="IEC62474" version="D29.00"/>
      <Material name="steel"><Mass mass="10" unitOfMeasure="g"/></Material>
      <Substance name="Neodymium"><SubstanceID><EntryID entryIdentity="7440-00-8"/></SubstanceID><MassPercent massPercent="5"/></Substance>
    </Composition></Product>""")
    result = rarebom.load(xml)
    assert "substances-beside-materials" in codes(result.findings)
    steel, whole = result.bom.part("P").materials
    assert (steel.name, whole.name, whole.amount.value) == ("steel", "whole part", 1)
    # The Nd grams are right (5 % of the part); the part's contents are overstated, never the other way.
    nd = rarebom.trace(result.bom, exact=True)["P"].element("Nd").total
    assert (nd.min, nd.nominal, nd.max) == (Fraction("0.5"), Fraction("0.5"), Fraction("0.5"))


def test_a_product_counted_by_mass_keeps_its_declared_quantity_as_one_piece():
    one_kg = declaration("""<Product unitType="kg"><ProductID identifier="P"><Mass mass="1000" unitOfMeasure="g"/></ProductID></Product>""")
    assert rarebom.load(one_kg).bom.part("P").uom == "kg"
    drum = declaration("""<Product unitType="kg"><ProductID identifier="D"><Mass mass="25" unitOfMeasure="kg"/></ProductID>
    <Composition><DeclarableSubstanceList identity="DSL" authority="IEC62474" version="D29.00"/>
      <Material name="resin"><Mass mass="25" unitOfMeasure="kg"/></Material>
    </Composition></Product>""")
    result = rarebom.load(drum)
    part = result.bom.part("D")
    assert (part.uom, part.mass.value) == ("each", 25000)
    assert codes(result.findings) == ["unit-type-mass-mismatch"]
    assert rarebom.trace(result.bom, exact=True)["D"].mass.nominal == 25000
