"""The table importers: CSV, TSV, semicolon text and Markdown (formats/table.py) and XLSX
(formats/table_xlsx.py), on two real open-hardware BOMs and on fixtures modelled on ERP,
PLM and CAD exports (tests/data/import/table/)."""

from __future__ import annotations

import csv
import io
import zipfile
from fractions import Fraction
from pathlib import Path

import attrs
import pytest

import rarebom
from rarebom.errors import InputError, InvalidBomError, Location, Severity, UnsafeInputError
from rarebom.formats import detect_format, table_xlsx
from rarebom.formats.table import FIELDS, MAX_PREAMBLE_ROWS, parse_columns
from rarebom.model import Completeness, Stage
from rarebom.units import Kind

from .conftest import SAMPLES

DATA = Path(__file__).parent / "data" / "import" / "table"
MICRO = SAMPLES / "openhw_bom__MicroManipulatorStepper_bom.md"
CUBESAT = SAMPLES / "openhw_bom__EasyControls_Cubesat_HardwareSetup.md"
AXLE = DATA / "ev_axle_indented.csv"


def sample(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real samples not found at {SAMPLES}")
    return path


def failures(source, **options) -> list:
    with pytest.raises(InvalidBomError) as caught:
        rarebom.load(source, **options)
    return caught.value.findings


def found(findings, code: str) -> list:
    return [f for f in findings if f.code == code]


def grams(text: str) -> Fraction:
    return Fraction(text)


# --- the real Markdown BOMs -----------------------------------------------------------


def test_micromanipulator_markdown_three_tables_one_finished_good():
    path = sample(MICRO)
    result = rarebom.load(path)
    bom = result.bom
    assert result.format == "csv"
    assert len(bom) == 25  # 6 mechanical + 13 electronic + 6 printed parts, and the finished good
    (product,) = bom.finished_goods
    assert product.id == "Bill of Materials (BOM)"  # the document's first heading
    assert product.provenance == Location(str(path), 1, "heading")
    uses = {use.child: use.quantity for use in product.uses}
    assert len(uses) == 24
    magnet = bom.part("Neodym Cylinder Magnet")
    assert uses[magnet.id].kind is Kind.COUNT and uses[magnet.id].value == 70
    assert magnet.description == "Ø3mm h=4 mm"
    assert magnet.attribute("Comments") == "N42 Grade"
    assert magnet.attribute("section") == "Mechanics"
    assert magnet.provenance == Location(str(path), 8, "table 1, row 4")
    assert magnet.mass is None  # the file gives none, and none is invented
    assert uses["Steel ball"].value == 12
    assert uses["NEMA 17 Stepper Motor"].value == 3 and bom.part("NEMA 17 Stepper Motor").attribute("section") == "Electronics"
    assert bom.part("Base Block").attribute("section") == "3D Printing"
    # "1 m" of cord and of pipe: bulk quantities, and the parts are counted in metres
    for part_id in ("PU stretch cord", "Brass Pipe"):
        assert uses[part_id].kind is Kind.LENGTH and uses[part_id].value == 1 and uses[part_id].unit == "m"
        assert bom.part(part_id).uom == "m"
    bulk = found(result.findings, "bulk-quantity")
    assert [(f.location.line, f.location.pointer) for f in bulk] == [(7, "table 1, row 3, column 'Qty'"), (9, "table 1, row 5, column 'Qty'")]
    assert [f.code for f in result.findings] == ["bulk-quantity", "bulk-quantity"]
    mass = rarebom.trace(bom, exact=True)[product.id].mass
    assert mass.nominal is None and mass.max == float("inf")  # no masses: unknown, not zero


def test_cubesat_markdown_masses_roll_up_to_1209_g():
    path = sample(CUBESAT)
    result = rarebom.load(path)
    bom = result.bom
    assert len(bom) == 9
    (product,) = bom.finished_goods
    assert product.id == "Expanded 1U Hardware Setup"
    uses = {use.child: use.quantity.value for use in product.uses}
    motor = bom.part("Moteus Controller and MJ5208 Motor")
    assert uses[motor.id] == 3 and motor.mass.value == 199 and motor.mass.unit == "g"  # from the header "Mass (g)"
    bolt = bom.part("Individual Bolt embedded in Reaction Wheel")
    assert uses[bolt.id] == 12 and bolt.mass.value == grams("2.5")
    (dirty,) = result.findings
    assert dirty.code == "dirty-number" and dirty.severity is Severity.WARNING
    assert dirty.location == Location(str(path), 14, "table 1, row 9, column 'Quantity'")
    assert "'12*'" in dirty.message
    trace = rarebom.trace(bom, exact=True)
    assert trace[product.id].mass.nominal == 1209  # 231 + 3×199 + 35 + 75 + 3×4 + 160 + 3×23 + 12×2.5
    assert trace[product.id].mass.min == trace[product.id].mass.max == 1209


def test_markdown_is_detected_although_it_opens_with_a_heading():
    text = b"# Robot arm\n\nSome prose, with a comma.\n\n| Name | Qty |\n|---|---|\n| Servo | 4 |\n"
    assert detect_format(io.BytesIO(text)) == "csv"
    assert detect_format(io.BytesIO(b"Part Number;Menge\nA;1\n")) == "csv"
    with pytest.raises(InputError):
        detect_format(io.BytesIO(b"Just a note\nwith no table at all\n"))
    bom = rarebom.load(text).bom
    assert [p.id for p in bom.finished_goods] == ["Robot arm"]


def test_title_lines_above_the_header_are_detected_and_kept():
    """Detection looks as far down for a delimiter as the reader looks for the header."""
    titles = "".join(f"Title line {n}\n" for n in range(1, MAX_PREAMBLE_ROWS + 1))
    text = (titles + "Part Number;Qty\nA;2\n").encode()
    assert detect_format(io.BytesIO(text)) == "csv"
    bom = rarebom.load(text).bom
    assert bom.attributes[-1] == (f"preamble {MAX_PREAMBLE_ROWS}", f"Title line {MAX_PREAMBLE_ROWS}")
    assert bom.part("A").provenance == Location(None, MAX_PREAMBLE_ROWS + 2, f"row {MAX_PREAMBLE_ROWS + 2}")


# --- an indented ERP BOM ----------------------------------------------------------------


def test_indented_bom_shares_the_repeated_sub_assembly():
    result = rarebom.load(AXLE)
    bom = result.bom
    assert result.findings == ()
    assert [p.id for p in bom.finished_goods] == ["EAX-300"]
    assert sorted(p.id for p in bom) == sorted(
        ["EAX-300", "MOT-150-L", "HSG-150-L", "ROT-150", "LAM-150", "MAG-N42-12", "ADH-7", "STA-150", "MOT-150-R", "HSG-150-R", "GBX-2"]
    )  # the rotor's four rows, repeated under the right motor, are the same parts: no "(2)"
    users = [p.id for p in bom if any(u.child == "ROT-150" for u in p.uses)]
    assert users == ["MOT-150-L", "MOT-150-R"]
    rotor = bom.part("ROT-150")
    assert [(u.child, u.quantity.value) for u in rotor.uses] == [("LAM-150", 1), ("MAG-N42-12", 48), ("ADH-7", 24)]
    assert rotor.uses[2].quantity.kind is Kind.MASS and rotor.uses[2].quantity.unit == "kg"  # 0.024 KG, exactly 24 g
    assert bom.part("ADH-7").uom == "kg"
    assert rotor.provenance == Location(str(AXLE), 6, "row 6")  # the first occurrence
    assert rotor.attribute("Find No") == "20"  # a line column, kept once per distinct value
    assert bom.attributes[0][0] == "preamble 1" and bom.attributes[0][1].startswith("Written for rarebom's tests.")
    assert bom.part("EAX-300").description == "Electric axle, dual motor"


def test_indented_bom_magnet_material_origin_and_cost():
    bom = rarebom.load(AXLE).bom
    magnet = bom.part("MAG-N42-12")
    assert magnet.mass.value == grams("12.5")
    assert str(magnet.unit_value) == "1.85 EUR"
    (material,) = magnet.materials
    assert material.name == "NdFeB N42" and material.amount.kind is Kind.FRACTION and material.amount.value == 1
    assert material.completeness is Completeness.PARTIAL and material.substances == ()
    assert material.provenance == Location(str(AXLE), 8, "row 8")
    (origin,) = magnet.origins
    assert (origin.country, origin.stage, origin.source) == ("CN", Stage.COMPONENT, "ev_axle_indented.csv row 8")


def test_quantities_multiply_along_both_paths_to_the_shared_rotor():
    bom = rarebom.load(AXLE).bom
    trace = rarebom.trace(bom, exact=True)
    assert trace["ROT-150"].mass.nominal == 10424  # 9800 + 48 × 12.5 + 24
    assert trace["MOT-150-L"].mass.nominal == trace["MOT-150-R"].mass.nominal == 40124
    assert trace["EAX-300"].mass.nominal == 104248  # 2 × 40124 + 24000
    # Without typical compositions the magnets' NdFeB is undeclared content: 96 × 12.5 g
    # counted among what may hold anything, and no Nd claimed.
    assert trace["EAX-300"].element("Nd").total.nominal == 0
    assert trace["MAG-N42-12"].undeclared.total.nominal == grams("12.5")
    typical = rarebom.trace(bom, exact=True, typical_compositions=True)
    magnet_nd = typical["MAG-N42-12"].element("Nd").total
    assert magnet_nd.nominal > 0
    assert typical["EAX-300"].element("Nd").total.nominal == 96 * magnet_nd.nominal  # 2 motors × 48 magnets
    assert typical["EAX-300"].element("Nd").total.max == 96 * magnet_nd.max
    (note,) = typical.findings
    assert note.code == "typical-composition" and note.location.pointer == "row 8"


def test_round_trip_through_rarebom_json_and_xml_keeps_provenance():
    for path in (AXLE, DATA / "luefter_motor_cs12.csv"):
        bom = rarebom.load(path).bom
        for fmt in ("rarebom-json", "rarebom-xml"):
            buffer = io.BytesIO()
            rarebom.dump(bom, buffer, format=fmt)
            again = rarebom.load(buffer.getvalue()).bom
            assert again == bom
            assert again.part(bom.parts[0].id).provenance == bom.parts[0].provenance


# --- parent-child -----------------------------------------------------------------------


def test_parent_child_bom_gives_the_same_axle():
    path = DATA / "ev_axle_parent_child.csv"
    result = rarebom.load(path)
    bom = result.bom
    assert result.findings == ()
    assert len(bom) == 11
    assert [p.id for p in bom.finished_goods] == ["EAX-300"]
    assert bom.part("EAX-300").description == "Electric axle, dual motor"  # from its row with no parent
    assert bom.part("MAG-N42-12").origins[0].source == "ev_axle_parent_child.csv row 14"
    assert bom.part("MAG-N42-12").provenance == Location(str(path), 14, "row 14")
    indented = rarebom.load(AXLE).bom
    for part in indented:
        other = bom.part(part.id)
        assert [(u.child, u.quantity) for u in other.uses] == sorted([(u.child, u.quantity) for u in part.uses], key=lambda u: [x.child for x in other.uses].index(u[0]))
        assert (other.mass, other.uom, other.materials[0].name if other.materials else None) == (part.mass, part.uom, part.materials[0].name if part.materials else None)
    a, b = rarebom.trace(bom, exact=True, typical_compositions=True), rarebom.trace(indented, exact=True, typical_compositions=True)
    assert a["EAX-300"].mass == b["EAX-300"].mass
    assert a["EAX-300"].element("Nd").total == b["EAX-300"].element("Nd").total


def test_parent_child_rows_that_disagree_keep_the_first(write):
    path = write("pc.csv", "Parent,Child,Qty,Weight (g)\nA,B,2,10\nC,B,1,11\n")
    result = rarebom.load(path)
    (differ,) = result.findings
    assert differ.code == "part-rows-differ" and differ.location == Location(str(path), 3, "row 3") and differ.parts == ("B",)
    assert result.bom.part("B").mass.value == 10
    assert sorted(p.id for p in result.bom.finished_goods) == ["A", "C"]


# --- a CAD export whose masses were never computed ----------------------------------------


def test_cad_export_all_masses_zero_are_unknown():
    path = DATA / "servo_actuator_cad.csv"
    result = rarebom.load(path)
    bom = result.bom
    zero = found(result.findings, "zero-mass")
    assert len(zero) == 6
    assert zero[0].location == Location(str(path), 3, "row 3, column 'Mass (kg)'")
    (summary,) = found(result.findings, "all-masses-zero")
    assert "never computed" in summary.message and "6 rows" in summary.message
    assert all(part.mass is None for part in bom)
    # "ITEM NO." holds outline numbers (1, 2, 2.1, 2.2, 3, 4): it is the level column
    (product,) = bom.finished_goods
    assert product.id == "servo_actuator_cad"
    assert [(u.child, u.quantity.value) for u in product.uses] == [("SRV-40-HSG", 1), ("SRV-40-ROT", 1), ("SRV-40-STA", 1), ("ISO 4762 M3x8", 4)]
    assert [(u.child, u.quantity.value) for u in bom.part("SRV-40-ROT").uses] == [("SRV-40-SHAFT", 1), ("SRV-40-MAG", 8)]
    mass = rarebom.trace(bom, exact=True)[product.id].mass
    assert mass.nominal is None and mass.max == float("inf")


# --- a German semicolon export --------------------------------------------------------------


def test_german_semicolon_export_with_decimal_commas():
    path = DATA / "luefter_motor_cs12.csv"
    result = rarebom.load(path)
    bom = result.bom
    assert [f.code for f in result.findings] == ["not-utf-8", "decimal-comma"]
    not_utf8, comma = result.findings
    assert not_utf8.location == Location(str(path), 1) and "Windows-1252" in not_utf8.message
    assert comma.location == Location(str(path), 3, "row 3, column 'Gewicht'") and comma.message.startswith("9 numbers")
    rotor = bom.part("LM-ROTOR-40")
    assert rotor.name == "Rotor Lüftermotor"  # Benennung, read right from Windows-1252
    assert rotor.mass.value == 215 and rotor.mass.unit == "kg"  # 0,215 KG
    assert bom.part("LM-MAG-RING").materials[0].name == "NdFeB gebunden"
    glue = bom.part("LM-KLEBER")
    assert glue.uom == "g" and [u.quantity for u in rotor.uses if u.child == glue.id][0].value == grams("2.5")
    wire = bom.part("LM-DRAHT-05")
    assert wire.uom == "m" and wire.mass.value == grams("1.7")  # 0,0017 kg per metre
    stator = bom.part("LM-STATOR-40")
    assert [(u.child, u.quantity.value, u.quantity.unit) for u in stator.uses] == [("LM-BLECH-S40", 1, ""), ("LM-DRAHT-05", grams("12.5"), "m")]
    # levels .1 and ..2 start below 0: one finished good named after the file
    (product,) = bom.finished_goods
    assert product.id == "luefter_motor_cs12" and [u.child for u in product.uses] == ["LM-ROTOR-40", "LM-STATOR-40"]
    trace = rarebom.trace(bom, exact=True)
    assert trace["LM-DRAHT-05"].mass.nominal == grams("1.7")
    assert trace[product.id].mass.nominal == grams("836.75")


def test_ambiguous_grouped_number_in_a_decimal_comma_file(write):
    path = write("de.csv", "Sachnummer;Menge;Gewicht (g)\nA;1,5;1.000\nB;2;1.234,5\n")
    (error,) = [f for f in failures(path) if f.severity is Severity.ERROR]
    assert error.code == "invalid-number" and error.location.pointer == "row 2, column 'Gewicht (g)'" and "ambiguous" in error.message
    ok = rarebom.load(write("de2.csv", "Sachnummer;Menge;Gewicht (g)\nA;1,5;1,25\nB;2;1.234,5\n")).bom
    assert ok.part("B").mass.value == grams("1234.5") and ok.part("A").mass.value == grams("1.25")


# --- dirty quantities and missing units ---------------------------------------------------


def test_dirty_quantities_are_located():
    path = DATA / "dirty_quantities.csv"
    findings = failures(path)
    errors = [(f.code, f.location.line, f.location.pointer) for f in findings if f.severity is Severity.ERROR]
    assert errors == [
        ("empty-cell", 6, "row 6, column 'Qty'"),
        ("invalid-number", 7, "row 7, column 'Qty'"),
        ("non-positive-quantity", 8, "row 8, column 'Qty'"),
        ("non-positive-quantity", 9, "row 9, column 'Qty'"),
        ("invalid-number", 10, "row 10, column 'Qty'"),  # "1,5" in a comma-delimited file is no number
    ]
    messages = {f.location.line: f.message for f in findings}
    assert "negative" in messages[8] and "zero" in messages[9] and "'abc'" in messages[7]
    warnings = [(f.code, f.location.line) for f in findings if f.severity is Severity.WARNING]
    assert warnings == [("dirty-number", 3), ("bulk-quantity", 5), ("country-not-alpha-2", 5)]


def test_quantity_units_pieces_and_bulk(write):
    bom = rarebom.load(write("q.csv", "Part Number,Qty,UoM,Country of Origin\nA,2 pcs,,China\nB,3,PCE,cn\nC,500 g,KG,\nD,2,MTR,\nE,1/3,,\nF,4x,,\n")).bom
    uses = {u.child: u.quantity for u in bom.finished_goods[0].uses}
    assert (uses["A"].kind, uses["A"].value) == (Kind.COUNT, 2)
    assert (uses["B"].kind, uses["B"].value, bom.part("B").uom) == (Kind.COUNT, 3, "each")
    assert (uses["C"].kind, uses["C"].value, bom.part("C").uom) == (Kind.MASS, 500, "kg")  # 500 g of a part counted in kg
    assert (uses["D"].kind, uses["D"].value, bom.part("D").uom) == (Kind.LENGTH, 2, "m")
    assert uses["E"].value == Fraction(1, 3) and uses["F"].value == 4
    assert bom.part("A").attribute("Country of Origin") == "China" and bom.part("A").origins == ()
    assert bom.part("B").origins[0].country == "CN"


def test_quantity_unit_against_the_unit_of_measure(write):
    (error,) = failures(write("m.csv", "Part Number,Qty,UoM\nA,2 m,PC\n"))
    assert error.code == "quantity-unit-mismatch" and error.location.pointer == "row 2, column 'Qty'"
    (error,) = failures(write("gr.csv", "Part Number,Qty\nA,5 gr\n"))
    assert error.code == "unit" and "grain" in error.message


def test_missing_mass_unit_says_how_to_give_one():
    path = DATA / "stepper_kit_no_mass_unit.csv"
    (error,) = failures(path)
    assert error.code == "missing-unit" and error.location == Location(str(path), 3, "row 3, column 'Weight'")
    assert "'Weight (g)'" in error.message and "Mass Unit" in error.message and "--columns 'unit_mass=Weight (g)'" in error.message
    for columns in ("unit_mass=Weight (g)", {"unit_mass": "Weight (g)"}):
        bom = rarebom.load(path, columns=columns).bom
        assert bom.part("SM-17-40").mass.value == 280 and bom.part("SM-17-40").mass.unit == "g"
        assert str(bom.part("SM-17-40").unit_value) == "12.4 USD"  # the Currency column
        assert rarebom.trace(bom, exact=True)["stepper_kit_no_mass_unit"].mass.nominal == 1478  # 3×280 + 3×6 + 620


def test_unit_cost_needs_a_currency(write):
    (error,) = failures(write("c.csv", "Part Number,Qty,Unit Cost\nA,1,2.50\nB,1,3\n"))
    assert error.code == "missing-unit" and "'Unit Cost (EUR)'" in error.message and error.location.line == 2
    (error,) = failures(write("d.csv", "Part Number,Qty,Price\nA,1,$2.50\n"))
    assert error.code == "unit" and "USD, CAD" in error.message
    bom = rarebom.load(write("e.csv", "Part Number,Qty,Unit Price (€),Cost\nA,1,2.50,3 usd\n")).bom
    assert str(bom.part("A").unit_value) == "2.5 EUR" and bom.part("A").attribute("Cost") == "3 usd"


def test_mass_with_unit_in_the_cell_or_a_column(write):
    bom = rarebom.load(write("w.csv", "PN,Qty,Weight,Weight Unit\nA,1,12 g,\nB,1,0.5,KG\nC,1,-,\n")).bom
    assert bom.part("A").mass.value == 12 and bom.part("B").mass.value == 500 and bom.part("C").mass is None
    findings = rarebom.load(write("n.csv", "PN,Qty,Mass (g)\nA,1,-3\n")).findings
    assert [f.code for f in findings] == ["rejected-value"]


# --- repeated part numbers ----------------------------------------------------------------


def test_same_part_number_with_other_children_is_renamed(write):
    text = "Level,Part Number,Qty,Find No\n0,TOP,1,\n1,SA-1,1,10\n2,X,2,10\n1,SA-1,1,20\n2,X,3,10\n1,SA-1,1,30\n"
    result = rarebom.load(write("r.csv", text))
    (renamed,) = result.findings
    assert renamed.code == "repeated-part-number" and renamed.parts == ("SA-1 (2)",) and renamed.location.line == 5
    top = result.bom.part("TOP")
    # the third SA-1 lists no children: it is the first SA-1, exploded once
    assert [(u.child, u.quantity.value) for u in top.uses] == [("SA-1", 1), ("SA-1 (2)", 1), ("SA-1", 1)]
    assert [(u.child, u.quantity.value) for u in result.bom.part("SA-1 (2)").uses] == [("X", 3)]
    assert result.bom.part("SA-1").attribute("Find No") == "10; 30"  # both lines that use it
    assert result.bom.part("X").attribute("Find No") == "10"


def test_several_level_zero_rows_are_several_finished_goods(write):
    bom = rarebom.load(write("two.csv", "Level,Part Number,Qty\n0,P1,1\n1,S,2\n0,P2,1\n1,S,5\n")).bom
    assert [p.id for p in bom.finished_goods] == ["P1", "P2"]
    assert bom.part("P2").uses[0].quantity.value == 5 and len(bom) == 3


def test_level_errors_are_located(write):
    findings = failures(write("j.csv", "Level,Part Number,Qty\n0,A,1\n2,B,1\nx,C,1\n1,D,1\n"))
    assert sorted((f.location.line, f.code, f.location.pointer) for f in findings) == [(3, "level-jump", "row 3, column 'Level'"), (4, "invalid-level", "row 4, column 'Level'")]


def test_sap_dotted_levels_and_dots_only(write):
    bom = rarebom.load(write("sap.csv", "Lvl,Component,Qty\n.1,A,1\n..2,B,2\n...3,C,4\n.1,D,1\n")).bom
    assert [u.child for u in bom.finished_goods[0].uses] == ["A", "D"] and bom.part("B").uses[0].child == "C"


# --- columns, mapping, delimiters, encodings ------------------------------------------------


def test_parse_columns():
    assert parse_columns('part=PN, quantity = Menge, unit_mass="Gewicht, netto (kg)", material=') == {
        "part": "PN",
        "quantity": "Menge",
        "unit_mass": "Gewicht, netto (kg)",
        "material": "",
    }
    with pytest.raises(InputError) as caught:
        parse_columns("prt=PN,quantity,part=A,part=B")
    message = str(caught.value)
    assert "item 1 'prt=PN': 'prt' is not a field rarebom reads (did you mean 'part'?)" in message
    assert "item 2 'quantity': expected FIELD=HEADER" in message
    assert "item 4 'part=B': 'part' is mapped twice" in message
    assert set(FIELDS) >= {"level", "part", "parent", "description", "name", "quantity", "uom", "unit_mass", "mass_unit", "unit_cost", "currency", "material", "country"}


def test_bad_mapping_is_a_located_error():
    findings = failures(AXLE, columns="part=Part Number,wieght=Unit Mass (g)")
    (error,) = findings
    assert error.code == "column-mapping" and error.location.pointer == "columns item 2" and "'weight'" not in error.message
    (error,) = failures(AXLE, columns={"quantity": "Menge"})
    assert error.code == "missing-column" and "'Menge'" in error.message


def test_mapping_overrides_and_disables_defaults(write):
    # SAP's English exports call the part number "Material"
    path = write("sap_en.csv", "Material,Material Description,Qty,Grade\nM-1,Magnet,4,NdFeB N42\n")
    bom = rarebom.load(path, columns="part=Material,description=Material Description,material=Grade").bom
    part = bom.part("M-1")
    assert part.description == "Magnet" and part.materials[0].name == "NdFeB N42"
    bom = rarebom.load(AXLE, columns="material=").bom
    assert bom.part("MAG-N42-12").materials == () and bom.part("MAG-N42-12").attribute("Material") == "NdFeB N42"


def test_tsv_pipe_and_utf8_bom(write):
    for name, text in (("t.tsv", "Part Number\tQty\tDescription\nA\t2\tx, y\n"), ("p.txt", "Part Number|Qty|Description\nA|2|x, y\n")):
        bom = rarebom.load(write(name, b"\xef\xbb\xbf" + text.encode())).bom
        assert bom.part("A").description == "x, y" and bom.finished_goods[0].uses[0].quantity.value == 2
    findings = rarebom.load(write("u16.csv", "Part Number;Qty\nÄ;1\n".encode("utf-16")), format="csv").findings
    assert findings == ()


def test_not_utf8_after_a_byte_order_mark_names_the_right_byte(write):
    # The decoder counts offsets after the byte order mark: the message used to name the
    # byte three places before the bad one and its offset. And the mark, read as
    # Windows-1252, became "ï»¿" at the start of the first header, so no part number was found.
    data = b"\xef\xbb\xbfPart Number,Qty\nA,1\nL\xfcfter,2\n"
    (finding,) = rarebom.load(write("bom.csv", data)).findings
    assert finding.code == "not-utf-8"
    at = data.index(0xFC)
    assert f"(byte 0xFC at byte {at})" in finding.message and finding.location.line == 3


def test_unmapped_columns_and_extra_cells_are_kept(write):
    result = rarebom.load(write("x.csv", "Part Number,Qty,Supplier,,Supplier\nA,1,ACME,note,B-Co,extra\n"))
    part = result.bom.part("A")
    assert part.attributes == (("Supplier", "ACME"), ("column 4", "note"), ("Supplier (2)", "B-Co"), ("column 6", "extra"))
    (extra,) = result.findings
    assert extra.code == "extra-cells" and extra.location.line == 2


def test_a_markdown_table_without_parts_is_skipped(write):
    text = "# Kit\n\n| Pin | Signal |\n|---|---|\n| 1 | GND |\n\n| Name | Qty |\n|---|---|\n| Motor | 2 |\n"
    result = rarebom.load(write("kit.md", text))
    (skipped,) = result.findings
    assert skipped.code == "table-skipped" and skipped.location == Location(skipped.location.file, 3, "table 1, row 1")
    assert [u.child for u in result.bom.part("Kit").uses] == ["Motor"]


def test_a_cell_too_large_for_the_csv_reader(write):
    path = write("big.csv", "Part Number,Qty,Note\nA,1,ok\nB,1," + "x" * 200_000 + "\n")
    (error,) = failures(path)
    assert error.code == "table-syntax" and error.location == Location(str(path), 3, "row 3")


def test_no_part_column_or_no_quantity(write):
    (error,) = failures(write("n.csv", "Foo,Bar\n1,2\n"))
    assert error.code == "missing-column" and "--columns part=HEADER" in error.message
    (error,) = failures(write("q.csv", "Part Number,Description\nA,x\n"))
    assert error.code == "missing-column" and "no quantity column" in error.message and error.location.pointer == "row 1"


# --- XLSX ---------------------------------------------------------------------------------


def _cell_value(text: str):
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text or None


def axle_workbook(path: Path) -> Path:
    """The indented axle BOM as a workbook, numbers as numbers (12.5 and 0.024 as floats)."""
    openpyxl = pytest.importorskip("openpyxl")
    rows = list(csv.reader(AXLE.read_text("utf-8").splitlines()))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "BOM"
    sheet.append(rows[0])
    for row in rows[1:]:
        sheet.append(row if row is rows[1] else [_cell_value(cell) for cell in row])
    book.save(path)
    return path


def _without_provenance(bom):
    parts = [
        attrs.evolve(p, provenance=None, origins=[attrs.evolve(o, source=None) for o in p.origins], materials=[attrs.evolve(m, provenance=None) for m in p.materials]) for p in bom
    ]
    return bom.evolve(parts=parts)


def test_xlsx_gives_the_same_model_as_the_csv(tmp_path):
    path = axle_workbook(tmp_path / "ev_axle_indented.xlsx")
    result = rarebom.load(path)
    assert result.format == "xlsx" and result.findings == ()
    assert _without_provenance(result.bom) == _without_provenance(rarebom.load(AXLE).bom)
    magnet = result.bom.part("MAG-N42-12")
    assert magnet.provenance == Location(str(path), 8, "BOM!row 8")
    assert magnet.origins[0].source == "ev_axle_indented.xlsx BOM!row 8"
    assert magnet.mass.value == grams("12.5")
    adhesive_use = [u for u in result.bom.part("ROT-150").uses if u.child == "ADH-7"][0]
    assert adhesive_use.quantity.value == 24  # a float 0.024 in the sheet, read exactly from its text
    assert rarebom.trace(result.bom, exact=True)["EAX-300"].mass.nominal == 104248


_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def handmade_workbook(path: Path, sheets: dict[str, str], shared: list[str], hidden: tuple[str, ...] = (), extra: dict[str, str] | None = None) -> Path:
    """A minimal workbook package written by hand: shared strings, several sheets."""
    state = ' state="hidden"'
    entries = "".join(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"{state if name in hidden else ""}/>' for i, name in enumerate(sheets, 1))
    rels = "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(sheets) + 1))
    rels += f'<Relationship Id="rIdS" Type="{_REL}/sharedStrings" Target="/xl/sharedStrings.xml"/>'
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    members = {
        "_rels/.rels": f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f"<workbook {_NS}><sheets>{entries}</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{pkg}">{rels}</Relationships>',
        "xl/sharedStrings.xml": f"<sst {_NS}>" + "".join(shared) + "</sst>",
    }
    for i, body in enumerate(sheets.values(), 1):
        members[f"xl/worksheets/sheet{i}.xml"] = f"<worksheet {_NS}><sheetData>{body}</sheetData></worksheet>"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in {**members, **(extra or {})}.items():
            archive.writestr(name, text)
    return path


PARTS_SHEET = (
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c>'
    '<c r="D1" t="inlineStr"><is><t>RoHS</t></is></c><c r="E1" t="s"><v>4</v></c></row>'
    '<row r="3"><c r="A3" t="s"><v>3</v></c><c r="B3"><v>0.1</v></c><c r="C3"><v>1.5E-2</v></c><c r="D3" t="b"><v>1</v></c><c r="E3"><f>B3*2</f></c></row>'
)
SHARED = [
    "<si><t>Part Number</t></si>",
    "<si><t>Qty</t></si>",
    '<si><r><t>Mass</t></r><r><t xml:space="preserve"> (kg)</t></r></si>',
    '<si><t>MAG-1</t><rPh sb="0" eb="1"><t>マグ</t></rPh></si>',
    "<si><t>Twice</t></si>",
]


def test_xlsx_shared_strings_booleans_formulas_and_sheets(tmp_path):
    path = handmade_workbook(tmp_path / "kit.xlsx", {"Notes": "", "Parts": PARTS_SHEET}, SHARED, hidden=("Notes",))
    result = rarebom.load(path)  # the hidden first sheet is passed over
    part = result.bom.part("MAG-1")  # the phonetic guide is not part of the text
    assert part.mass.value == 15 and part.mass.unit == "kg"  # 1.5E-2 kg, a rich-text header "Mass (kg)"
    assert result.bom.finished_goods[0].uses[0].quantity.value == Fraction(1, 10)
    assert part.provenance == Location(str(path), 3, "Parts!row 3")  # the empty row 2 is skipped, numbering kept
    assert part.attribute("RoHS") == "TRUE"
    (formula,) = result.findings
    assert formula.code == "formula-not-computed" and formula.location.pointer == "Parts"
    assert rarebom.load(path, sheet="parts").bom == result.bom
    (error,) = failures(path, sheet="BOM")
    assert error.code == "sheet-not-found" and "'Notes', 'Parts'" in error.message


def test_xlsx_bounds_and_refusals(tmp_path, monkeypatch):
    path = handmade_workbook(tmp_path / "kit.xlsx", {"Parts": PARTS_SHEET}, SHARED)
    monkeypatch.setattr(table_xlsx, "MAX_MEMBERS", 3)
    with pytest.raises(UnsafeInputError, match="members"):
        rarebom.load(path)
    monkeypatch.setattr(table_xlsx, "MAX_MEMBERS", 1000)
    monkeypatch.setattr(table_xlsx, "MAX_PART_BYTES", 200)
    with pytest.raises(UnsafeInputError, match="uncompressed"):
        rarebom.load(path)
    monkeypatch.setattr(table_xlsx, "MAX_PART_BYTES", 256 * 1024 * 1024)
    xxe = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><workbook/>'
    doctype = handmade_workbook(tmp_path / "xxe.xlsx", {"Parts": PARTS_SHEET}, SHARED, extra={"xl/workbook.xml": xxe})
    with pytest.raises(UnsafeInputError, match="DOCTYPE"):
        rarebom.load(doctype)
    other = tmp_path / "doc.ods"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    (error,) = failures(other)
    assert error.code == "invalid-workbook" and "OpenDocument" in error.message


def test_table_findings_are_documented_as_codes():
    """Every code this importer emits is kebab-case; the list is what docs/errors.md gets."""
    codes = {
        "not-utf-8",
        "table-syntax",
        "column-mapping",
        "missing-column",
        "table-skipped",
        "empty-table",
        "empty-cell",
        "dirty-number",
        "decimal-comma",
        "bulk-quantity",
        "missing-unit",
        "all-masses-zero",
        "country-not-alpha-2",
        "part-rows-differ",
        "extra-cells",
        "invalid-level",
        "level-jump",
        "invalid-workbook",
        "sheet-not-found",
        "formula-not-computed",
    }
    source = (Path(rarebom.__file__).parent / "formats" / "table.py").read_text("utf-8") + (Path(rarebom.__file__).parent / "formats" / "table_xlsx.py").read_text("utf-8")
    for code in codes:
        assert f'"{code}"' in source
