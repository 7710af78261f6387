"""The Granta BoM XML importer (BillOfMaterialsEco 17/11 to 25/05), on real files and our fixtures.

The real files are the three published in ansys/grantami-bomanalytics (MIT), read from the
shared samples folder; the fixtures in tests/data/import/granta were written for these
tests. Masses are checked against an independent sum made here with lxml.
"""

from __future__ import annotations

import io
import math
from fractions import Fraction
from pathlib import Path

import pytest
from lxml import etree

import rarebom
import rarebom.rules
from rarebom import chemistry
from rarebom.errors import Severity, UnsafeInputError
from rarebom.formats import granta
from rarebom.model import Completeness
from rarebom.rules import Verdict

from .conftest import SAMPLES
from .test_granta_streaming import every_location

DATA = Path(__file__).parent / "data" / "import" / "granta"
BLDC = DATA / "bldc-motor-2412.xml"
GIMBAL = DATA / "gimbal-drive-1711.xml"
DIRTY = DATA / "dirty-values-2412.xml"
BROKEN = DATA / "dirty-errors-2412.xml"

COMPLIANCE = "granta_bom1711__compliance-bom.xml"
SUSTAINABILITY = "granta_bom2412__sustainability-bom-2412.xml"
MEDIUM = "granta_bom2412__medium-test-bom-2412.xml"
XSD = "granta_schema__BillOfMaterialsEco2412.xsd"


def sample(name: str) -> Path:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"real samples not found at {SAMPLES}")
    return path


def codes(findings) -> list[str]:
    return [f.code for f in findings]


def by_code(findings, code: str) -> list:
    return [f for f in findings if f.code == code]


def depth(bom, part_id: str) -> int:
    """Levels of parts from ``part_id`` down, itself included."""
    return 1 + max((depth(bom, use.child) for use in bom.part(part_id).uses), default=0)


# --- an independent computation, with lxml, of what the engine should find -----------------


def parts_in(path: Path) -> list[etree._Element]:
    return etree.parse(str(path)).getroot().findall(".//{*}Part")


def mass_by_hand(part: etree._Element) -> Fraction | None:
    """Grams in one unit of a Part: its MassPerUom, or Σ Quantity × child mass when that is heavier.

    (A whole weighs at least what is in it: rarebom keeps the heavier of the two.) The real
    files write every MassPerUom in kg/Part and every Quantity in Each.
    """
    element = part.find("{*}MassPerUom")
    declared = None
    if element is not None:
        assert element.get("Unit") == "kg/Part"
        declared = Fraction(element.text) * 1000
    children = part.findall("{*}Components/{*}Part")
    if not children:
        return declared
    masses = [mass_by_hand(child) for child in children]
    if None in masses:
        return declared
    contents = sum(Fraction(child.findtext("{*}Quantity")) * mass for child, mass in zip(children, masses, strict=True))
    return contents if declared is None else max(declared, contents)


def known_mass_by_hand(path: Path) -> Fraction:
    """Σ MassPerUom × the product of the Quantities above it, for every Part that declares one."""
    total = Fraction(0)
    for part in parts_in(path):
        if (element := part.find("{*}MassPerUom")) is None:
            continue
        grams = Fraction(element.text) * 1000
        node = part
        while node is not None and etree.QName(node).localname == "Part":
            grams *= Fraction(node.findtext("{*}Quantity"))
            node = node.getparent().getparent()
        total += grams
    return total


def substance_by_hand(path: Path, cas: str) -> Fraction:
    """Grams of the substance ``cas`` in one motor: Σ Quantity × MassPerUom × Percentage over the parts listing it."""
    total = Fraction(0)
    for part in parts_in(path):
        for substance in part.findall("{*}Substances/{*}Substance"):
            if substance.findtext("{*}Identity") == cas:
                grams = Fraction(part.findtext("{*}MassPerUom")) * 1000 * Fraction(substance.findtext("{*}Percentage")) / 100
                total += grams * Fraction(part.findtext("{*}Quantity"))
    return total


# --- the 24/12 XSD, for our fixtures -----------------------------------------------------

#: The 24/12 XSD imports grantarecord1205.xsd (Granta's record-reference types), which is not
#: among the samples. This stand-in declares the part of it the files use: MIRecordReference
#: with dbKey, identity, recordGUID and recordHistoryGUID (GUID pattern as in the original),
#: and the recordUID attribute. It is checked against the three real files below.
RECORD_TYPES = b"""<?xml version="1.0" encoding="UTF-8"?>
<schema targetNamespace="http://www.grantadesign.com/12/05/GrantaBaseTypes" elementFormDefault="qualified"
        attributeFormDefault="qualified" xmlns="http://www.w3.org/2001/XMLSchema" xmlns:gbt="http://www.grantadesign.com/12/05/GrantaBaseTypes">
  <complexType name="MIRecordReference">
    <sequence>
      <element name="dbKey" type="normalizedString" minOccurs="0"/>
      <element name="identity" minOccurs="0">
        <complexType><sequence>
          <element name="recordHistoryIdentity" type="int"/>
          <element name="version" type="int" minOccurs="0"/>
        </sequence></complexType>
      </element>
      <element name="recordGUID" type="gbt:StringifiedGUID" minOccurs="0"/>
      <element name="recordHistoryGUID" type="gbt:StringifiedGUID" minOccurs="0"/>
    </sequence>
    <attribute name="recordUID" type="token" use="optional"/>
  </complexType>
  <simpleType name="StringifiedGUID">
    <restriction base="normalizedString"><pattern value="[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"/></restriction>
  </simpleType>
</schema>"""


class _RecordTypes(etree.Resolver):
    def resolve(self, url, pubid, context):
        if url.endswith("grantarecord1205.xsd"):
            return self.resolve_string(RECORD_TYPES, context)
        return None


@pytest.fixture(scope="module")
def xsd_2412() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_RecordTypes())
    return etree.XMLSchema(etree.parse(str(sample(XSD)), parser))


def as_2412(path: Path) -> etree._Element:
    """The document, with a 17/11 namespace moved to 24/12: 17/11 is a subset of it for these files."""
    return etree.fromstring(path.read_bytes().replace(b"/17/11/BillOfMaterialsEco", b"/24/12/BillOfMaterialsEco"))


@pytest.mark.parametrize("name", [COMPLIANCE, SUSTAINABILITY, MEDIUM])
def test_the_record_type_stand_in_accepts_the_real_files(xsd_2412, name):
    assert xsd_2412.validate(as_2412(sample(name))), xsd_2412.error_log


@pytest.mark.parametrize("path", [BLDC, GIMBAL, DIRTY], ids=lambda p: p.name)
def test_our_fixtures_are_valid_against_the_2412_xsd(xsd_2412, path):
    assert xsd_2412.validate(as_2412(path)), xsd_2412.error_log


def test_the_xsd_refuses_only_the_non_numeric_quantity_of_the_broken_fixture(xsd_2412):
    assert not xsd_2412.validate(as_2412(BROKEN))
    (error,) = xsd_2412.error_log
    assert error.line == 17 and "'two' is not a valid value of the atomic type 'xs:double'" in error.message


# --- compliance-bom.xml, 17/11 -----------------------------------------------------------


@pytest.fixture(scope="module")
def compliance():
    return rarebom.load(sample(COMPLIANCE))


def test_compliance_bom_parts_levels_materials_and_substances(compliance):
    bom = compliance.bom
    assert compliance.format == "granta-bom"
    assert dict(bom.attributes) == {"granta-bom-version": "17/11"}
    # 10 Parts in the file; two at the top, so the PartsEco element is the product, named
    # after Notes/ProductName.
    assert len(bom) == 11 and bom.name == "Complex Bom"
    (product,) = bom.finished_goods
    assert product.id == "Complex Bom" and product.provenance.pointer == "/PartsEco" and product.provenance.line == 1
    assert [(u.child, u.quantity.value) for u in product.uses] == [("Part 1", 1), ("Part 2", 1)]
    assert depth(bom, "Part 1") == 4
    materials = [m for p in bom for m in p.materials if m.name != granta.PART_SUBSTANCES]
    assert len(materials) == 5 and all(m.completeness is Completeness.PARTIAL and not m.substances for m in materials)
    substances = [s for p in bom for m in p.materials for s in m.substances]
    assert sorted(s.cas for s in substances) == ["143-50-0", "68476-30-2"]
    assert sum(p.mass is not None for p in bom) == 3


def test_compliance_bom_keeps_each_mi_record_for_lookup_and_warns_where_it_is(compliance):
    bom = compliance.bom
    unresolved = by_code(compliance.findings, "granta-record-unresolved")
    # 1 part with nothing but its record, 4 specifications, 5 materials; the 2 substances
    # carry their CAS number in Identity, so they are known.
    assert len(unresolved) == 10
    assert set(codes(compliance.findings)) == {"granta-record-unresolved"}
    extinguisher = bom.part("Fire Distinguisher")
    assert extinguisher.attribute("granta-mi-part") == "dbKey=MI_Restricted_Substances recordGUID=d00873c5-9544-48c5-8de2-2e2b00893db4"
    assert extinguisher.attribute("granta-specification-1") == "AMS2420,Class1; AMS®2420™, Class 1"
    first = unresolved[0]
    assert first.parts == ("Fire Distinguisher",) and first.location.line == 16
    assert first.location.pointer == "/PartsEco/Components/Part[1]/Components/Part[1]/Components/Part[1]/MIPartReference"
    body = bom.part("mid_frame: Body 1")
    assert body.attribute("granta-mi-material-1") == "dbKey=MI_Restricted_Substances recordGUID=5a4d882d-789b-4c94-8af4-fd3527845849"
    (aluminium,) = body.materials
    assert (aluminium.id, aluminium.name, aluminium.amount.value) == ("aluminum-2024-t6", "Aluminum, 2024, T6", 1)
    assert aluminium.provenance.line == 67
    assert aluminium.provenance.pointer == "/PartsEco/Components/Part[1]/Components/Part[1]/Components/Part[2]/Components/Part[1]/Materials/Material"


def test_compliance_bom_part_substances_go_where_the_file_puts_them(compliance):
    bom = compliance.bom
    # A part with no materials: its substances are the whole part.
    (holder,) = bom.part("Substance Component").materials
    assert holder.name == granta.PART_SUBSTANCES and holder.amount.value == 1
    (kepone,) = holder.substances
    assert (kepone.cas, kepone.name, kepone.amount) == ("143-50-0", "Kepone [143-50-0]", None)
    assert kepone.provenance.pointer.endswith("/Components/Part[3]/Substances/Substance")
    # Beside a material of unknown amount they stay apart; with no share given, nothing is lost.
    cap, apart = bom.part("Part 2").materials
    assert cap.name == "CAP (13-18% plasticizer)" and apart.amount is None
    assert apart.substances[0].cas == "68476-30-2"


def test_compliance_bom_masses_through_the_engine(compliance):
    result = rarebom.trace(compliance.bom, exact=True)
    product = result["Complex Bom"]
    # Three masses are declared; the rest are unknown, so the product weighs at least their sum.
    assert product.mass.min == known_mass_by_hand(sample(COMPLIANCE)) == Fraction("24043.9486372237808")
    assert product.mass.nominal is None and product.mass.max == math.inf
    extinguisher = result["Fire Distinguisher"]
    assert extinguisher.mass.nominal == 10200 and extinguisher.undeclared.total.nominal == 10200


# --- sustainability-bom-2412.xml ---------------------------------------------------------


def test_sustainability_bom_reads_its_composition_and_ignores_processes_and_transport():
    path = sample(SUSTAINABILITY)
    result = rarebom.load(path)
    bom = result.bom
    assert len(bom) == 8 and depth(bom, "Part1") == 3
    (product,) = bom.finished_goods
    assert product.id == "Part1" and product.name == "Assembly"  # one top Part, counted once: it is the product
    materials = [m for p in bom for m in p.materials]
    assert len(materials) == 6 and {m.amount.value for m in materials} == {1}
    # 13 processes and 23 transport stages are in the file; none reaches the model.
    tree = etree.parse(str(path))
    assert len(tree.findall(".//{*}Process")) == 13 and len(tree.findall(".//{*}TransportStage")) == 23
    assert not any("Process" in name or "Transport" in name for p in bom for name, _ in p.attributes)
    assert codes(result.findings) == ["granta-record-unresolved"] * 6
    mass = rarebom.trace(bom, exact=True)["Part1"].mass
    assert mass.nominal == mass_by_hand(tree.getroot().find("{*}Components/{*}Part")) == 4114


# --- medium-test-bom-2412.xml ------------------------------------------------------------


@pytest.fixture(scope="module")
def medium():
    return rarebom.load(sample(MEDIUM))


def test_medium_bom_counts(medium):
    bom = medium.bom
    assert len(bom) == 220 and [p.id for p in bom.finished_goods] == ["2edd8862"]
    assert depth(bom, "2edd8862") == 6
    assert sum(len(p.materials) for p in bom) == 828
    assert max(u.quantity.value for p in bom for u in p.uses) == 9
    tree = etree.parse(str(sample(MEDIUM)))
    assert len(tree.findall(".//{*}Process")) == 1229
    # 43 parts are MI records with nothing else; every one of the 828 materials is a record.
    unresolved = by_code(medium.findings, "granta-record-unresolved")
    assert len(unresolved) == 43 + 828
    assert sum("MIPartReference" in f.location.pointer for f in unresolved) == 43


def test_medium_bom_mass_multiplies_quantities_per_level(medium):
    root = etree.parse(str(sample(MEDIUM))).getroot().find("{*}Components/{*}Part")
    result = rarebom.trace(medium.bom, exact=True)
    assert result["2edd8862"].mass.nominal == mass_by_hand(root)
    assert float(mass_by_hand(root)) == pytest.approx(3.2508e9, rel=1e-4)


def test_medium_bom_warns_where_children_outweigh_the_declared_assembly(medium):
    heavier = []
    for part in parts_in(sample(MEDIUM)):
        children = part.findall("{*}Components/{*}Part")
        declared = Fraction(part.findtext("{*}MassPerUom")) * 1000
        if children and mass_by_hand(part) > declared:
            heavier.append(part.findtext("{*}PartNumber"))
    warned = by_code(medium.findings, "mass-balance")
    assert len(heavier) == 5 and sorted(p for f in warned for p in f.parts) == sorted(heavier)


def test_a_cobalt_steel_magnet_is_not_a_rare_earth_magnet(medium):
    bom = medium.bom
    magnets = [p for p in bom for m in p.materials if m.name == "Hard magnetic alloy, 36%Co steel"]
    assert sorted(p.id for p in magnets) == ["4bf6e986", "c6deee78"]
    assert chemistry.typical_composition("Hard magnetic alloy, 36%Co steel") is None
    for typical in (False, True):
        result = rarebom.trace(bom, typical_compositions=typical)
        for part in (*magnets, bom.part("2edd8862")):
            assert result[part.id].rare_earths.nominal == 0, (typical, part.id)
        prong_1 = [v for v in rarebom.rules.evaluate(result) if v.rule.id.startswith("CN-MOFCOM-2025-61/prong-1")]
        assert prong_1 and all(v.verdict is not Verdict.ABOVE for v in prong_1)
        assert all(n.verdict is not Verdict.ABOVE for v in prong_1 for n in v.nodes)


# --- our BLDC motor, 24/12, and the gimbal drive, 17/11 ----------------------------------


@pytest.fixture(scope="module")
def motor():
    return rarebom.load(BLDC)


def test_the_motor_rolls_up_its_magnets_through_the_engine(motor):
    bom = motor.bom
    assert [p.id for p in bom.finished_goods] == ["BLDC-5208"] and bom.name == "BLDC motor 5208"
    result = rarebom.trace(bom, exact=True)["BLDC-5208"]
    for symbol, cas, grams in (("Nd", "7440-00-8", "7.728"), ("Pr", "7440-10-0", "2.184"), ("Dy", "7429-91-6", "0.6048")):
        assert result.element(symbol).total.nominal == substance_by_hand(BLDC, cas) == Fraction(grams), symbol
    assert result.mass.nominal == 175 and result.contents_mass.nominal == Fraction("168.84")
    magnet = bom.part("MAG-N42SH-A28")
    (ndfeb,) = magnet.materials
    assert ndfeb.name == "Sintered NdFeB, N42SH" and [s.cas for s in ndfeb.substances] == ["7440-00-8", "7440-10-0", "7429-91-6", "7440-42-8"]
    assert ndfeb.substances[0].provenance.pointer == "/PartsEco/Components/Part/Components/Part[1]/Components/Part[2]/Substances/Substance[1]"
    assert ndfeb.substances[0].provenance.line == 82


def test_the_motor_reads_bulk_quantities_and_material_masses(motor):
    bom = motor.bom
    wire = bom.part("WIRE-CU-0.5")
    assert wire.uom == "m" and wire.mass.value == Fraction("2.12")  # g per metre
    (use,) = [u for u in bom.part("STA-5208").uses if u.child == "WIRE-CU-0.5"]
    assert (use.quantity.value, use.quantity.unit) == (Fraction("9.5"), "m")
    adhesive = bom.part("ADH-EP-2K")
    assert adhesive.uom == "kg" and adhesive.mass is None  # 1 kg of it weighs 1 kg
    (steel,) = bom.part("SCR-M3X6-129").materials
    assert steel.amount.value == Fraction("0.35")
    result = rarebom.trace(bom, exact=True)
    assert result["STA-5208"].contents_mass.nominal == 42 + Fraction("9.5") * Fraction("2.12") + 15
    assert result["ROT-5208"].contents_mass.nominal == Fraction("85.1")


def test_the_motor_bearing_is_only_a_record(motor):
    (warning,) = [f for f in by_code(motor.findings, "granta-record-unresolved") if f.parts == ("BRG-686ZZ",)]
    assert warning.location.pointer.endswith("/Components/Part[3]/MIPartReference")
    assert "0117ec92-59bb-400c-bf45-be3280de9cb4" in warning.message
    bearing = rarebom.trace(motor.bom, exact=True)["BRG-686ZZ"]
    assert bearing.undeclared.total.nominal == bearing.mass.nominal == Fraction("2.6")
    # 9 materials and the magnets' plating specification are records too; substances with a CAS number are not.
    assert len(by_code(motor.findings, "granta-record-unresolved")) == 11
    assert set(codes(motor.findings)) == {"granta-record-unresolved"}


def test_the_17_11_gimbal_holds_two_of_the_same_motor(motor):
    result = rarebom.load(GIMBAL)
    bom = result.bom
    assert dict(bom.attributes) == {"granta-bom-version": "17/11"}
    (product,) = bom.finished_goods
    assert product.id == "Two-axis gimbal drive"
    assert [(u.child, u.quantity.value) for u in product.uses] == [("BLDC-5208", 2), ("ESC-2AX", 1)]
    gimbal = rarebom.trace(bom, exact=True)
    single = rarebom.trace(motor.bom, exact=True)
    assert gimbal["BLDC-5208"].mass == single["BLDC-5208"].mass
    assert gimbal[product.id].element("Nd").total.nominal == 2 * single["BLDC-5208"].element("Nd").total.nominal == Fraction("15.456")
    assert gimbal[product.id].mass.nominal == 2 * 175 + 14


@pytest.mark.parametrize("version", ["23/01", "25/05"])
def test_the_other_versions_of_the_schema_read_the_same(write, motor, version):
    path = write("motor.xml", BLDC.read_bytes().replace(b"/24/12/BillOfMaterialsEco", f"/{version}/BillOfMaterialsEco".encode()))
    result = rarebom.load(path)
    assert dict(result.bom.attributes)["granta-bom-version"] == version
    assert rarebom.trace(result.bom)["BLDC-5208"].element("Nd").total == rarebom.trace(motor.bom)["BLDC-5208"].element("Nd").total


def test_an_unknown_version_is_refused(write):
    path = write("motor.xml", BLDC.read_bytes().replace(b"/24/12/", b"/26/01/"))
    with pytest.raises(rarebom.InvalidBomError) as caught:
        rarebom.load(path)
    (error,) = caught.value.errors
    assert error.code == "unsupported-version" and "17/11, 23/01, 24/12, 25/05" in error.message


def test_another_root_read_as_granta_is_refused(write):
    path = write("x.xml", '<bom xmlns="urn:rarebom:bom:1" formatVersion="1.0"/>')
    with pytest.raises(rarebom.InvalidBomError) as caught:
        rarebom.load(path, format="granta-bom")
    assert codes(caught.value.errors) == ["schema"]


def test_a_doctype_is_refused_before_parsing(write):
    path = write("x.xml", b'<?xml version="1.0"?>\n<!DOCTYPE PartsEco [<!ENTITY x "y">]>\n' + BLDC.read_bytes().split(b"-->\n", 1)[1])
    with pytest.raises(UnsafeInputError):
        rarebom.load(path)


@pytest.mark.parametrize("encoding", ["rarebom-json", "rarebom-xml"])
@pytest.mark.parametrize("source", ["motor", "compliance"])
def test_a_converted_bom_keeps_everything_and_cites_its_source(source, encoding, motor, request):
    bom = motor.bom if source == "motor" else request.getfixturevalue("compliance").bom
    buffer = io.BytesIO()
    rarebom.dump(bom, buffer, format=encoding)
    again = rarebom.load(buffer.getvalue()).bom
    assert again == bom
    assert [p.provenance for p in again] == [p.provenance for p in bom]
    assert again.parts[0].provenance.file.endswith(".xml")


# --- dirty data ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dirty():
    return rarebom.load(DIRTY)


def test_dirty_values_are_rejected_with_a_located_warning_and_become_unknown(dirty):
    bom = dirty.bom
    rejected = by_code(dirty.findings, "rejected-value")
    assert [(f.location.line, f.location.pointer.rsplit("/", 2)[-2:]) for f in rejected] == [
        (32, ["Part[1]", "MassPerUom"]),
        (38, ["Part[2]", "MassPerUom"]),
        (49, ["Material", "Percentage"]),
    ]
    assert "-0.5 kg is negative" in rejected[0].message
    assert "more than any manufactured object weighs" in rejected[1].message
    assert "120 % is more than 100 %" in rejected[2].message
    assert bom.part("BRK-1").mass is None and bom.part("COV-1").mass is None
    assert bom.part("GSK-1").materials[0].amount is None
    (zero,) = by_code(dirty.findings, "zero-mass")
    assert zero.location.pointer.endswith("Part[8]/MassPerUom") and bom.part("SHIM-1").mass is None
    assert rarebom.trace(bom)["ACT-1"].mass.max == math.inf  # unknown is never zero


def test_percentages_by_volume_are_not_read_as_mass_shares(dirty):
    (warning,) = by_code(dirty.findings, "granta-volume-share")
    assert warning.parts == ("PAD-1",) and warning.location.line == 66
    assert dirty.bom.part("PAD-1").materials[0].amount is None


def test_substance_shares_beside_several_materials_are_kept_without_an_amount(dirty):
    (warning,) = by_code(dirty.findings, "granta-substance-unplaced")
    assert warning.parts == ("ENC-MAG",) and "Neodymium 20 %" in warning.message and "it has 2 materials" in warning.message
    *_, holder = dirty.bom.part("ENC-MAG").materials
    assert holder.name == granta.PART_SUBSTANCES and holder.amount is None
    assert [(s.cas, s.amount) for s in holder.substances] == [("7440-00-8", None)]


def test_a_substance_used_only_in_production_is_not_in_the_part(dirty):
    (warning,) = by_code(dirty.findings, "granta-process-substance")
    assert warning.location.pointer.endswith("Part[6]/Substances/Substance[1]/Category") and "UsedInProduction" in warning.message
    (glass,) = dirty.bom.part("WIN-1").materials
    (additive,) = glass.substances  # the CeO2 slurry is gone; the unnamed record stays as undeclared content
    assert additive.name == "Proprietary anti-reflective additive" and not additive.identified
    assert dirty.bom.part("WIN-1").attribute("granta-mi-substance-2") == "dbKey=MI_Restricted_Substances recordHistoryGUID=2e5b8c0d-4f1a-4c6e-b3d7-5e7a9c1e3a57"
    assert any(f.parts == ("WIN-1",) and "Proprietary" in f.message for f in by_code(dirty.findings, "granta-record-unresolved"))
    assert rarebom.trace(dirty.bom)["WIN-1"].element("Ce").total.nominal == 0


def test_a_missing_quantity_is_one_piece_with_a_warning(dirty):
    (warning,) = by_code(dirty.findings, "granta-quantity-missing")
    assert warning.parts == ("LBL-1",) and warning.location.pointer.endswith("Part[7]")
    (use,) = [u for u in dirty.bom.part("ACT-1").uses if u.child == "LBL-1"]
    assert use.quantity.value == 1


def test_mass_units_per_piece_and_per_length(dirty):
    cable = dirty.bom.part("CBL-1")
    assert cable.uom == "m" and cable.mass.value == 50  # 0.05 g/mm is 50 g per metre
    assert dirty.bom.part("NUT-M3").mass.value == Fraction("0.4")  # a plain "kg" is per piece
    result = rarebom.trace(dirty.bom, exact=True)
    (use,) = [u for u in dirty.bom.part("ACT-1").uses if u.child == "CBL-1"]
    assert use.quantity.value * result["CBL-1"].mass.nominal == 20


def test_repeated_part_numbers_are_shared_or_renamed(dirty):
    bom = dirty.bom
    assert sum(p.id == "SCREW-M3" for p in bom) == 1
    assert [(u.child, u.quantity.value) for u in bom.part("SUB-1").uses] == [("SCREW-M3", 4), ("SPACER (2)", 2)]
    (warning,) = by_code(dirty.findings, "repeated-part-number")
    assert warning.parts == ("SPACER (2)",) and warning.location.line == 195


def test_unreadable_numbers_and_units_stop_the_read_each_located():
    with pytest.raises(rarebom.InvalidBomError) as caught:
        rarebom.load(BROKEN)
    errors = caught.value.errors
    assert [(e.code, e.location.line, e.location.pointer) for e in errors] == [
        ("invalid-number", 17, "/PartsEco/Components/Part/Components/Part[1]/Quantity"),
        ("unit", 23, "/PartsEco/Components/Part/Components/Part[2]/Quantity"),
        ("unit", 29, "/PartsEco/Components/Part/Components/Part[3]/MassPerUom"),
        ("non-positive-quantity", 34, "/PartsEco/Components/Part/Components/Part[4]/Quantity"),
    ]
    assert "'two' is not a number" in errors[0].message
    assert "'rolls' is neither a count nor a unit" in errors[1].message
    assert "'kg/m' is a mass per 'm', but the part's Quantity counts it in pieces" in errors[2].message
    assert "Quantity is -3 Each; a part is used in a quantity above zero" in errors[3].message
    assert codes(by_code(caught.value.findings, "rejected-value")) == ["rejected-value"]  # the -3 itself, located the same
    assert all(e.severity is Severity.ERROR for e in errors)


# --- which part is the product, and part ids -------------------------------------------------

PARTS_ECO = '<PartsEco xmlns="http://www.grantadesign.com/24/12/BillOfMaterialsEco"><Components>{}</Components></PartsEco>'


def test_one_top_part_used_more_than_once_makes_the_file_the_product(write):
    part = '<Part><Quantity Unit="Each">3</Quantity><MassPerUom Unit="kg/Part">0.5</MassPerUom><PartNumber>W-1</PartNumber></Part>'
    bom = rarebom.load(write("w.xml", PARTS_ECO.format(part))).bom
    (product,) = bom.finished_goods
    assert product.id == "PartsEco" and [(u.child, u.quantity.value) for u in product.uses] == [("W-1", 3)]
    assert rarebom.trace(bom)["PartsEco"].mass.nominal == 1500


def test_part_ids_fall_back_from_part_number_to_name_to_id_to_the_path(write):
    parts = (
        "<Part><Quantity>1</Quantity><PartNumber> </PartNumber><Name>Named</Name></Part>"
        '<Part id="R7"><Quantity>1</Quantity><PartNumber/></Part>'
        "<Part><Quantity>1</Quantity><PartNumber/></Part>"
    )
    bom = rarebom.load(write("ids.xml", PARTS_ECO.format(parts))).bom
    assert [p.id for p in bom] == ["Named", "R7", "/PartsEco/Components/Part[3]", "PartsEco"]


def test_a_shared_part_written_under_two_parents_is_warned_about_once(write):
    screw = (
        "<Part><Quantity Unit='Each'>4</Quantity><MassPerUom Unit='kg/Part'>0.003</MassPerUom><PartNumber>SCREW</PartNumber>"
        "<Materials><Material><Percentage>100</Percentage><MIMaterialReference><dbKey xmlns='http://www.grantadesign.com/12/05/GrantaBaseTypes'>MI_RS</dbKey>"
        "<recordGUID xmlns='http://www.grantadesign.com/12/05/GrantaBaseTypes'>11111111-2222-3333-4444-555555555555</recordGUID></MIMaterialReference>"
        "<Identity>stainless</Identity></Material></Materials></Part>"
    )
    assembly = "<Part><Quantity Unit='Each'>1</Quantity><PartNumber>{}</PartNumber><Components>" + screw + "</Components></Part>"
    text = (
        "<PartsEco xmlns='http://www.grantadesign.com/24/12/BillOfMaterialsEco'><Components><Part><Quantity Unit='Each'>1</Quantity>"
        f"<PartNumber>TOP</PartNumber><Components>{assembly.format('A')}{assembly.format('B')}</Components></Part></Components></PartsEco>"
    )
    result = rarebom.load(write("shared.xml", text))
    assert sorted(p.id for p in result.bom) == ["A", "B", "SCREW", "TOP"]  # one screw, used by both
    (warning,) = by_code(result.findings, "granta-record-unresolved")
    assert warning.parts == ("SCREW",) and warning.location.pointer.endswith("/Part/Components/Part[1]/Components/Part/Materials/Material")
    assert rarebom.trace(result.bom, exact=True)["TOP"].mass.nominal == 24  # 2 assemblies x 4 screws x 3 g


@pytest.mark.parametrize("name", [COMPLIANCE, SUSTAINABILITY, MEDIUM])
def test_streamed_locations_are_the_whole_trees(name):
    """The reader streams (tests/test_granta_streaming.py), yet every line and XPath it gives
    on the real files is where lxml's whole tree puts that element."""
    from rarebom.formats._import import _Paths

    path = sample(name)
    root = etree.parse(str(path)).getroot()
    paths = _Paths()  # numbers each parent's children once, with the whole tree in hand
    places = {(element.sourceline, paths.path(element)) for element in root.iter() if isinstance(element.tag, str)}
    result = rarebom.load(path)
    located = every_location(result)
    assert located and all((where.line, where.pointer) in places for where in located)
