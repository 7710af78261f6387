"""Every bundled example validates, with no warnings, and its two encodings agree."""

import pytest

import rarebom

from .conftest import EXAMPLES

NAMES = sorted(p.stem for p in EXAMPLES.glob("*.xml"))


def test_the_four_required_examples_exist():
    assert {"ev-traction-motor", "smartphone", "wind-generator-segment", "hard-disk-drive"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_example_validates_and_encodings_agree(name):
    xml = rarebom.load(EXAMPLES / f"{name}.xml")
    json_ = rarebom.load(EXAMPLES / f"{name}.json")
    assert xml.findings == () and json_.findings == ()
    assert xml.bom == json_.bom
    assert len(xml.bom.finished_goods) >= 1


def test_ev_motor_shares_fasteners_between_subassemblies():
    bom = rarebom.load(EXAMPLES / "ev-traction-motor.xml").bom
    parents = [p.id for p in bom.parts if any(u.child == "m6-bolt" for u in p.uses)]
    assert len(parents) >= 2
    magnets = [p for p in bom.parts if "rare-earth-permanent-magnet" in p.item_classes()]
    elements = {s.element for m in magnets for mat in m.materials for s in mat.substances}
    assert {"Nd", "Pr", "Dy", "Tb"} <= elements


def test_smartphone_has_chinese_and_unknown_origin_magnets():
    bom = rarebom.load(EXAMPLES / "smartphone.xml").bom
    magnets = [p for p in bom.parts if "rare-earth-permanent-magnet" in p.item_classes()]
    assert any(any(o.country == "CN" for o in m.origins) for m in magnets)
    assert any(not m.origins for m in magnets)
