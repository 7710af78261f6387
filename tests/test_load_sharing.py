"""The native readers' fast paths give exactly what the straightforward code gives.

``rarebom.load`` of a big rarebom XML or JSON file parses each distinct amount once and
shares the :class:`Amount` (and keeps each repeated text once), reads ``<part>`` elements
with a look-up table instead of string slicing, parses plain decimals without
``Fraction``'s own regex, and checks the BOM with integer sums and sign tests instead of
Fraction arithmetic. Each test here sets one of these next to the code it replaced.
"""

from __future__ import annotations

import io
import json
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

import rarebom
from benchmarks.bench_trace import shared_bom
from benchmarks.generate import synthetic_bom
from rarebom import checks, model
from rarebom.errors import InputError, InvalidBomError, Location
from rarebom.formats import native, native_json, native_xml
from rarebom.model import Amount, Classification, Material, Part, Usage
from rarebom.testing import boms
from rarebom.units import Kind, parse_number

# --- exact numbers ------------------------------------------------------------------------

# parse_number's grammar as it was, without capture groups: the fast path must accept
# exactly this language and give what Fraction(text) gives for it.
_OLD_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,60}(?:\.[0-9]{0,60})?|\.[0-9]{1,60})(?:[eE][+-]?[0-9]{1,3})?")
_OLD_RATIO = re.compile(r"[+-]?[0-9]{1,60}/[0-9]{1,60}")


def _reference_parse(text: str) -> Fraction | None:
    stripped = text.strip()
    if _OLD_NUMBER.fullmatch(stripped) or _OLD_RATIO.fullmatch(stripped):
        try:
            return Fraction(stripped)
        except ZeroDivisionError:
            return None
    return None


def _parsed(text: str) -> Fraction | None:
    try:
        return parse_number(text)
    except InputError:
        return None


_decimal_texts = st.from_regex(r"\A\s?[+-]?(?:[0-9]{1,70}(?:\.[0-9]{0,70})?|\.[0-9]{1,70})(?:[eE][+-]?[0-9]{1,4})?\s?\Z")
_noise_texts = st.text(alphabet="0123456789.eE+-/ _", max_size=12)


@given(_decimal_texts | _noise_texts)
def test_parse_number_matches_fraction_of_the_text(text):
    """Digits, signs, exponents, lengths past the limits and junk: same value, same refusals."""
    assert _parsed(text) == _reference_parse(text)


@pytest.mark.parametrize("text", ["0", "-0", "+0.0", "5.", ".5", "-.5e-3", "1E+2", "007.50", "1e999", "1e-999", " 12.5 ", "1/3", "-4/6", "1/0", "", ".", "e3", "1e", "1.2.3"])
def test_parse_number_edge_cases(text):
    assert _parsed(text) == _reference_parse(text)


# --- shared amounts -----------------------------------------------------------------------

# Small pools, so that keys collide on every field but one.
_raw_amounts = st.fixed_dictionaries(
    {},
    optional={
        "value": st.sampled_from(["1", "2", "1.0", "-1", "150", "abc"]),
        "unit": st.sampled_from(["", "each", "g", "%", "USD", "parsec"]),
        "min": st.sampled_from(["0", "1"]),
        "max": st.sampled_from(["2", "200"]),
    },
)
_kinds = st.sampled_from([None, Kind.MASS, Kind.FRACTION, Kind.CURRENCY, Kind.COUNT])


def _structurer(shared: native.Shared | None) -> native._Structurer:
    return native._Structurer(lambda path: Location("f", None, "/".join(map(str, path))), [], shared)


@given(st.lists(st.tuples(_raw_amounts, _kinds), min_size=10, max_size=60))
def test_shared_amounts_equal_fresh_ones(items):
    """Each amount from the shared table is the one a fresh parse gives, of the same kind and
    unit: a key that left out a field (kind, unit, value, min or max) would hand back an
    amount parsed for another text, and fail here. Failures are reported at every place."""
    cached, fresh = _structurer(native.Shared()), _structurer(None)
    first: dict = {}
    for k, (raw, kind) in enumerate(items):
        got = cached.amount(raw, ("a", k), kind, "amount")
        expected = fresh.amount(raw, ("a", k), kind, "amount")
        assert got == expected
        if got is not None:
            assert (got.kind, got.unit) == (expected.kind, expected.unit)
            assert first.setdefault((kind, tuple(sorted(raw.items()))), got) is got  # the same text again: the same object
    assert [str(f) for f in cached.problems] == [str(f) for f in fresh.problems]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (({"value": "1"}, None), ({"value": "1"}, Kind.FRACTION)),
        (({"value": "1", "unit": "g"}, Kind.MASS), ({"value": "1", "unit": "kg"}, Kind.MASS)),
        (({"value": "1", "unit": "g"}, Kind.MASS), ({"value": "2", "unit": "g"}, Kind.MASS)),
        (({"value": "1", "max": "2"}, None), ({"value": "1", "min": "0", "max": "2"}, None)),
        (({"value": "1", "min": "0"}, None), ({"value": "1", "min": "0", "max": "2"}, None)),
    ],
    ids=["kind", "unit", "value", "min", "max"],
)
def test_amounts_differing_in_one_field_are_not_confused(first, second):
    s = _structurer(native.Shared())
    one, two = s.amount(*first[:1], ("a",), first[1], "a"), s.amount(*second[:1], ("b",), second[1], "b")
    assert one == _structurer(None).amount(first[0], ("a",), first[1], "a")
    assert two == _structurer(None).amount(second[0], ("b",), second[1], "b")
    assert one != two


def test_same_text_under_another_kind_is_another_amount():
    """ "1" with no unit is one piece as a quantity and 100 % as a fraction: equal texts,
    different amounts, so the kind must be part of the key."""
    s = _structurer(native.Shared())
    quantity = s.amount({"value": "1"}, ("q",), None, "quantity")
    fraction = s.amount({"value": "1"}, ("f",), Kind.FRACTION, "fraction")
    assert quantity.kind is Kind.COUNT and fraction.kind is Kind.FRACTION
    assert quantity != fraction


SHARED_XML = """<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="urn:rarebom:bom:1" formatVersion="1.0">
  <part id="a"><use part="c"><quantity value="2"/></use><use part="d"><quantity value="2"/></use></part>
  <part id="b"><use part="c"><quantity value="2"/></use><use part="d"><quantity value="2" unit="each"/></use></part>
  <part id="c"><mass value="5" unit="g"/>
    <material name="steel"><fraction value="5" unit="%"/><substance element="Fe"><fraction value="5" unit="%"/></substance></material>
  </part>
  <part id="d"><mass value="5" unit="g"/>
    <material name="steel"><mass value="5" unit="g"/><substance element="Fe"><fraction value="5" unit="%"/></substance></material>
  </part>
</bom>
"""


def test_a_read_shares_equal_amounts_and_texts():
    bom = rarebom.load(io.BytesIO(SHARED_XML.encode())).bom
    a, b, c, d = (bom.part(x) for x in "abcd")
    assert a.uses[0].quantity is a.uses[1].quantity is b.uses[0].quantity
    assert b.uses[1].quantity is not a.uses[0].quantity and b.uses[1].quantity.unit == "each"  # another text: its own object
    assert c.mass is d.mass is d.materials[0].amount
    assert c.materials[0].amount is c.materials[0].substances[0].amount is d.materials[0].substances[0].amount
    assert c.mass.kind is Kind.MASS and c.materials[0].amount.kind is Kind.FRACTION
    assert a.uses[0].child is b.uses[0].child is c.id
    assert c.materials[0].name is d.materials[0].name


def test_a_bad_amount_is_reported_wherever_it_is():
    text = SHARED_XML.replace('value="2"/></use><use part="d"', 'value="2" unit="kelvin"/></use><use part="d"')
    assert text.count('unit="kelvin"') == 2
    with pytest.raises(InvalidBomError) as info:
        rarebom.load(io.BytesIO(text.encode()))
    messages = [(e.code, e.location.pointer) for e in info.value.errors]
    assert messages == [("unit", "part[@id='a']/use[1]/quantity"), ("unit", "part[@id='b']/use[1]/quantity")]


def _unshared(monkeypatch):
    """Read without the per-read table: every amount parsed where it stands, as before."""
    plain = native.structure_part
    for module in (native_xml, native_json):
        monkeypatch.setattr(module, "structure_part", lambda raw, locate, problems, shared=None: plain(raw, locate, problems))


def _snapshot(data: bytes, fmt: str):
    try:
        result = rarebom.load(io.BytesIO(data), format=fmt)
    except InvalidBomError as exc:
        return None, [(f.code, f.message, str(f.location)) for f in exc.findings]
    return (result.bom, [p.location for p in result.bom.parts]), [(f.code, f.message, str(f.location)) for f in result.findings]


@pytest.mark.parametrize("fmt", ["rarebom-xml", "rarebom-json"])
def test_synthetic_bom_reads_the_same_shared_or_not(fmt, monkeypatch):
    """A generated BOM (1,500 parts, the benchmark's shape): equal Bom, same locations and findings."""
    stream = io.BytesIO()
    rarebom.dump(synthetic_bom(1500, 3), stream, format=fmt)
    data = stream.getvalue()
    shared = _snapshot(data, fmt)
    _unshared(monkeypatch)
    plain = _snapshot(data, fmt)
    assert shared[0] is not None
    assert shared == plain


@settings(max_examples=40)
@given(boms(), st.sampled_from(["rarebom-xml", "rarebom-json"]))
def test_generated_boms_read_the_same_shared_or_not(bom, fmt):
    stream = io.BytesIO()
    rarebom.dump(bom, stream, format=fmt)
    data = stream.getvalue()
    shared = _snapshot(data, fmt)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _unshared(monkeypatch)
        plain = _snapshot(data, fmt)
    assert shared == plain
    assert shared[0] is not None and shared[0][0] == bom


EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.[jx][sm][ol]*"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_read_the_same_shared_or_not(path, monkeypatch):
    data = path.read_bytes()
    fmt = "rarebom-json" if path.suffix == ".json" else "rarebom-xml"
    shared = _snapshot(data, fmt)
    _unshared(monkeypatch)
    assert shared[0] is not None and shared == _snapshot(data, fmt)


@pytest.mark.parametrize("fmt", ["rarebom-xml", "rarebom-json"])
def test_shared_shape_reads_the_same_shared_or_not(fmt, monkeypatch):
    """The benchmark's "shared" shape (one part under 300 assemblies), whose usages are nearly all equal."""
    stream = io.BytesIO()
    rarebom.dump(shared_bom(300), stream, format=fmt)
    data = stream.getvalue()
    shared = _snapshot(data, fmt)
    _unshared(monkeypatch)
    assert shared[0] is not None and shared == _snapshot(data, fmt)
    middle = [p for p in shared[0][0].parts if p.id.startswith("S")]
    assert len(middle) == 300 and all(p.uses is middle[0].uses for p in middle)  # one tuple, one Usage


# Two parts that write the same substance, material, usage, origin, classification and
# attributes, and a third whose material differs from theirs in one field each time.
OBJECTS_XML = """<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="urn:rarebom:bom:1" formatVersion="1.1">
  <part id="a"><classification scheme="hs" code="8505"/><origin country="CN" stage="mined"/><attribute name="rev" value="A"/>
    <material name="NdFeB"><fraction value="100" unit="%"/><substance element="Nd"><fraction value="30" unit="%"/></substance></material>
    <use part="x"><quantity value="2"/></use>
  </part>
  <part id="b"><classification scheme="hs" code="8505"/><origin country="CN" stage="mined"/><attribute name="rev" value="A"/>
    <material name="NdFeB"><fraction value="100.0" unit="%"/><substance element="Nd"><fraction value="30" unit="%"/></substance></material>
    <use part="x"><quantity value="2"/></use>
  </part>
  <part id="c"><classification scheme="hs" code="8506"/><origin country="CN" stage="separated"/><attribute name="rev" value="B"/>
    <material name="NdFeB" completeness="full"><fraction value="100" unit="%"/>
      <substance element="Nd"><provenance file="d.xml" line="3"/><fraction value="30" unit="%"/></substance></material>
    <use part="x"><quantity value="2"/><alternate part="y"/></use>
  </part>
  <part id="x"><mass value="1" unit="g"/></part>
  <part id="y"><mass value="1" unit="g"/></part>
</bom>
"""


def test_a_read_shares_equal_model_objects():
    """Equal objects are one object (even from other texts: "100" and "100.0" %), and an object
    that differs in one field, its provenance included, is another."""
    bom = rarebom.load(io.BytesIO(OBJECTS_XML.encode())).bom
    a, b, c = (bom.part(x) for x in "abc")
    for field in ("materials", "uses", "origins", "classifications", "attributes"):
        assert getattr(a, field) is getattr(b, field), field
        assert getattr(a, field) != getattr(c, field) and getattr(a, field)[0] is not getattr(c, field)[0], field
    assert a.materials[0].substances is b.materials[0].substances
    assert b"100.0" in OBJECTS_XML.encode() and b.materials[0].amount is a.materials[0].amount  # b holds a's material
    assert a.materials[0].substances[0] != c.materials[0].substances[0]  # provenance is data
    assert a.attributes[0] is b.attributes[0] and a.attributes[0][0] is c.attributes[0][0]


def test_shared_objects_cannot_be_changed():
    """Sharing is safe because nothing reachable from a part can be changed in place."""
    bom = rarebom.load(io.BytesIO(OBJECTS_XML.encode())).bom
    a = bom.part("a")
    shared = [a.materials[0], a.materials[0].substances[0], a.uses[0], a.origins[0], a.classifications[0], a.uses[0].quantity]
    for obj in shared:
        assert attrs.has(type(obj)) and attrs.fields(type(obj))  # an attrs class ...
        name = attrs.fields(type(obj))[0].name
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(obj, name, None)  # ... that is frozen
        assert not hasattr(obj, "__dict__")  # and slotted: no attribute can be added
    for value in (a.materials, a.uses, a.origins, a.classifications, a.attributes, a.attributes[0], a.materials[0].substances, a.uses[0].alternates):
        assert type(value) is tuple


def test_a_bad_object_is_reported_wherever_it_is(monkeypatch):
    """An object that fails its checks is never kept, so each place that writes it gets its message."""
    text = OBJECTS_XML.replace('element="Nd"', 'element="Xx"')
    with pytest.raises(InvalidBomError) as info:
        rarebom.load(io.BytesIO(text.encode()))
    shared = [(e.code, e.message, str(e.location)) for e in info.value.errors]
    assert [e[2].rsplit(": ", 1)[1] for e in shared] == [f"part[@id='{p}']/material[1]/substance[1]" for p in "abc"]
    _unshared(monkeypatch)
    with pytest.raises(InvalidBomError) as info:
        rarebom.load(io.BytesIO(text.encode()))
    assert shared == [(e.code, e.message, str(e.location)) for e in info.value.errors]


_numbers = st.none() | st.fractions(max_denominator=12).map(lambda f: f / 4)


@given(
    st.lists(st.tuples(st.sampled_from([Kind.MASS, Kind.FRACTION, Kind.COUNT]), st.sampled_from(["g", "kg", "%", "each"]), _numbers, _numbers, _numbers), min_size=2, max_size=12)
)
def test_amount_hash_agrees_with_equality(fields):
    """Amount hashes without hashing Fractions; equal amounts (so equal objects holding them,
    which readers look up by value) must hash equal, and the hash must not merge distinct ones."""
    amounts = []
    for kind, unit, value, low, high in fields:
        try:
            amounts.append(Amount(kind=kind, unit=unit, value=value, min=low, max=high))
        except (ValueError, TypeError):
            continue
    for a in amounts:
        for b in amounts:
            if a == b:
                assert hash(a) == hash(b)
        twin = Amount(kind=a.kind, unit=a.unit, value=a.value and Fraction(a.value.numerator * 3, a.value.denominator * 3), min=a.min, max=a.max)
        assert twin == a and hash(twin) == hash(a) and twin is not a
    assert len(set(amounts)) == len({(a.kind, a.unit, a.value, a.min, a.max) for a in amounts})


@pytest.mark.parametrize("enum_class", [Kind, model.Stage, model.Completeness])
def test_enums_hash_as_members(enum_class):
    """Kind, Stage and Completeness hash by identity (cheap); members stay usable as keys, by value too."""
    table = {member: member.value for member in enum_class}
    assert all(table[enum_class(value)] == value for value in table.values())
    assert len({hash(m) for m in enum_class}) == len(enum_class)


def _reference_attribute_pairs(value) -> tuple:
    items = value.items() if hasattr(value, "items") else value
    return tuple((str(k), str(v)) for k, v in items)


class _Text(str):
    pass


_scalars = st.text(max_size=3) | st.integers(0, 3) | st.booleans() | st.builds(_Text, st.text(max_size=3))
_pairs = st.lists(st.tuples(_scalars, _scalars), max_size=4)


@given(_pairs.map(tuple) | _pairs | _pairs.map(lambda pairs: tuple(list(p) for p in pairs)) | st.dictionaries(_scalars, _scalars, max_size=4))
def test_attribute_pairs_keep_a_tuple_of_text_pairs_and_convert_the_rest(value):
    got, expected = model._attribute_pairs(value), _reference_attribute_pairs(value)
    assert got == expected and type(got) is tuple
    assert all(type(pair) is tuple and type(pair[0]) is str and type(pair[1]) is str for pair in got)


@given(st.dictionaries(_scalars, _scalars, max_size=4))
def test_shared_attributes_are_what_part_made_of_them(raw):
    """Shared.attributes hands Part what it would have made of ``raw.items()``, text or not."""
    shared = native.Shared()
    expected = _reference_attribute_pairs(tuple(raw.items()))
    assert model._attribute_pairs(shared.attributes(raw)) == expected
    assert model._attribute_pairs(shared.attributes(dict(raw))) == expected  # the second time, from the tables


# --- the XML part reader --------------------------------------------------------------------

_NS = "{" + native_xml.NAMESPACE + "}"
_TRI_STATE = {"true": True, "false": False, "unknown": None}


def _local(tag: Any) -> str | None:
    if not isinstance(tag, str):
        return None
    return tag[len(_NS) :] if tag.startswith(_NS) else None


def _amount(element) -> dict:
    return {k: element.get(k) for k in ("value", "unit", "min", "max") if element.get(k) is not None}


def _provenance(element) -> dict:
    return {k: element.get(k) for k in ("file", "line", "path") if element.get(k) is not None}


def _reference_raw_part(element) -> tuple[dict, dict]:
    """native_xml._raw_part as it was written first: one attribute and one tag at a time."""
    lines: dict[tuple, int] = {(): element.sourceline}
    raw: dict[str, Any] = {"id": element.get("id")}
    for name in ("name", "uom"):
        if element.get(name) is not None:
            raw[name] = element.get(name)
    raw["chinaRareEarthTechnology"] = _TRI_STATE[(element.get("chinaRareEarthTechnology") or "unknown").strip()]
    for child in element:
        tag = _local(child.tag)
        if tag == "description":
            raw["description"] = child.text or ""
        elif tag == "provenance":
            raw["provenance"] = _provenance(child)
        elif tag in ("mass", "unitValue"):
            raw[tag] = _amount(child)
            lines[(tag,)] = child.sourceline
        elif tag == "classification":
            raw.setdefault("classifications", []).append({"scheme": child.get("scheme"), "code": child.get("code")})
        elif tag == "origin":
            origin = {k: child.get(k) for k in ("country", "stage", "source") if child.get(k) is not None}
            origin.update({k: origin[k].strip() for k in ("country", "stage") if k in origin})
            lines[("origins", len(raw.setdefault("origins", [])))] = child.sourceline
            raw["origins"].append(origin)
        elif tag == "attribute":
            raw.setdefault("attributes", {})[child.get("name")] = child.get("value")
        elif tag == "material":
            path = ("materials", len(raw.setdefault("materials", [])))
            raw["materials"].append(_reference_raw_material(child, path, lines))
        elif tag == "use":
            path = ("uses", len(raw.setdefault("uses", [])))
            lines[path] = child.sourceline
            use: dict[str, Any] = {"part": child.get("part")}
            for grandchild in child:
                if _local(grandchild.tag) == "quantity":
                    use["quantity"] = _amount(grandchild)
                    lines[(*path, "quantity")] = grandchild.sourceline
                else:
                    use.setdefault("alternates", []).append(grandchild.get("part"))
            raw["uses"].append(use)
    return raw, lines


def _reference_raw_material(element, path: tuple, lines: dict) -> dict:
    lines[path] = element.sourceline
    raw: dict[str, Any] = {k: element.get(k) for k in ("name", "id", "completeness") if element.get(k) is not None}
    if "completeness" in raw:
        raw["completeness"] = raw["completeness"].strip()
    for child in element:
        tag = _local(child.tag)
        if tag in ("mass", "fraction"):
            raw[tag] = _amount(child)
            lines[(*path, tag)] = child.sourceline
        elif tag == "provenance":
            raw["provenance"] = _provenance(child)
        elif tag == "substance":
            spath = (*path, "substances", len(raw.setdefault("substances", [])))
            lines[spath] = child.sourceline
            substance = {k: child.get(k) for k in ("name", "element", "cas", "formula") if child.get(k) is not None}
            if "element" in substance:
                substance["element"] = substance["element"].strip()
            for grandchild in child:
                name = _local(grandchild.tag)
                if name == "provenance":
                    substance["provenance"] = _provenance(grandchild)
                    continue
                substance[name] = _amount(grandchild)
                lines[(*spath, name)] = grandchild.sourceline
            raw["substances"].append(substance)
    return raw


def _parts_of(data: bytes):
    root = etree.fromstring(data)
    schema = native_xml._schema()
    return [p for p in root if p.tag == _NS + "part" and schema.validate(p)]


def _assert_raw_parts_agree(data: bytes) -> int:
    parts = _parts_of(data)
    for element in parts:
        assert native_xml._raw_part(element) == _reference_raw_part(element)
    return len(parts)


def test_raw_parts_match_the_reference_on_the_examples_and_a_synthetic_bom():
    from .conftest import REPO

    files = sorted((REPO / "examples").glob("*.xml"))
    assert files
    total = sum(_assert_raw_parts_agree(path.read_bytes()) for path in files)
    stream = io.BytesIO()
    rarebom.dump(synthetic_bom(600, 5), stream, format="rarebom-xml")
    total += _assert_raw_parts_agree(stream.getvalue())
    assert total > 600


@settings(max_examples=40)
@given(boms())
def test_raw_parts_match_the_reference_on_generated_boms(bom):
    """Generated BOMs carry every element the format has: provenance, origins, classifications, attributes, alternates, ranges."""
    stream = io.BytesIO()
    rarebom.dump(bom, stream, format="rarebom-xml")
    assert _assert_raw_parts_agree(stream.getvalue()) == len(bom.parts)


# --- model validators -----------------------------------------------------------------------


def _error(make) -> tuple[type, str]:
    with pytest.raises((TypeError, ValueError)) as info:
        make()
    return type(info.value), str(info.value)


def test_tuple_validator_words_errors_as_attrs_does():
    attribute = attrs.fields(Part).materials
    explain = attrs.validators.deep_iterable(attrs.validators.instance_of(Material), attrs.validators.instance_of(tuple))
    bad = (Material(), "not a material")
    assert _error(lambda: Part(id="p", materials=bad)) == _error(lambda: explain(None, attribute, bad))
    assert Part(id="p", materials=[Material()]).materials == (Material(),)


def test_required_text_validator_words_errors_as_attrs_does():
    attribute = attrs.fields(Classification).scheme
    assert _error(lambda: Classification(scheme=3, code="x")) == _error(lambda: attrs.validators.instance_of(str)(None, attribute, 3))
    assert _error(lambda: Classification(scheme=" ", code="x")) == (ValueError, "scheme must not be empty")
    assert _error(lambda: Usage(child="a\x01", quantity=Amount.parse("1", "", Kind.COUNT))) == (ValueError, "child holds the control character U+0001, which no BOM file can carry")


# --- check_bom ----------------------------------------------------------------------------

_fractions = st.fractions(max_denominator=10**6) | st.builds(lambda n, e: Fraction(n, 10**e), st.integers(-(10**9), 10**9), st.integers(0, 12))


@given(st.lists(_fractions, max_size=30))
def test_exact_sum_is_the_fraction_sum(numbers):
    assert checks._exact_sum(numbers) == sum(numbers, Fraction(0))


_numbers = st.fractions(min_value=-3, max_value=3, max_denominator=1000) | st.sampled_from([Fraction(0), Fraction(1), Fraction(-1), Fraction(1001, 1000)])


@st.composite
def _any_amounts(draw):
    """Any amount Amount accepts: negative, zero, above one, with or without bounds."""
    low, value, high = sorted(draw(st.lists(_numbers, min_size=3, max_size=3)))
    low, value, high = (None if draw(st.booleans()) else x for x in (low, value, high))
    if value is None and high is None:
        high = Fraction(1) if low is None or low <= 1 else low
    kind, unit = draw(st.sampled_from([(Kind.MASS, "g"), (Kind.FRACTION, ""), (Kind.COUNT, "each")]))
    return Amount(kind=kind, unit=unit, value=value, min=low, max=high)


def _reference_positive(amount: Amount, allow_zero: bool) -> list[tuple[str, str]]:
    """check_bom's zero-or-negative test as first written: a Fraction comparison per number."""
    found = []
    for label, number in (("", amount.value), ("min ", amount.min), ("max ", amount.max)):
        if number is not None and (number < 0 or (number == 0 and not allow_zero and label != "min ")):
            found.append((label, "negative" if number < 0 else "zero"))
    return found


@given(_any_amounts(), st.booleans())
def test_positive_and_unremarkable_agree_with_comparisons(amount, allow_zero):
    part = Part(id="p")
    findings = list(checks._positive(amount, "mass", part, allow_zero=allow_zero))
    expected = _reference_positive(amount, allow_zero)
    assert [f"{label}is {sign}" for label, sign in expected] == [re.search(r"(min |max )?is (negative|zero)", f.message).group() for f in findings]
    above = list(checks._above_one(amount, "fraction", part))
    top = amount.max if amount.max is not None else amount.value
    assert bool(above) == (amount.kind is Kind.FRACTION and top is not None and top > 1)
    quiet = not list(checks._positive(amount, "x", part, allow_zero=True)) and not above
    assert checks._unremarkable(amount) == quiet


@given(st.fractions() | st.builds(Fraction, st.integers(-(10**400), 10**400), st.integers(1, 10**5)))
def test_as_float_is_float(number):
    try:
        expected = float(number)
    except OverflowError:
        expected = None
    assert checks._as_float(number) == expected


def test_a_fraction_beyond_float_range_is_a_warning_not_a_crash(write):
    """1e999 % used to crash the mass-balance walk (None * float) with a TypeError."""
    text = SHARED_XML.replace('<fraction value="5" unit="%"/><substance', '<fraction value="1e999" unit="%"/><substance')
    result = rarebom.load(write("huge.xml", text))
    assert [f.code for f in result.findings] == ["fraction-above-100", "material-fractions-sum"]


def test_trace_reuses_the_checks_load_made(monkeypatch):
    """``rarebom.load`` checks the BOM; ``rarebom.trace`` on it asks again and gets the cached findings."""
    from .conftest import REPO

    runs = []
    check = checks._check
    monkeypatch.setattr(checks, "_check", lambda *args, **kwargs: runs.append(kwargs) or check(*args, **kwargs))
    loaded = rarebom.load(REPO / "examples" / "ev-traction-motor.xml")
    assert runs == [{"graph": True, "mass_balance": True}]
    rarebom.trace(loaded.bom)
    assert runs == [{"graph": True, "mass_balance": True}]


# --- the JSON part check ----------------------------------------------------------------------

_JUNK = [None, True, False, "", " ", "x", "Nd", "full", "mined", "CN", "1/3", [], {}, {"x": "y"}, ["a"], native_json.JsonNumber("1"), native_json.JsonNumber("-2.5e3"), 1.5]


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


@st.composite
def _json_parts(draw):
    """A part as the JSON reader decodes it (numbers as JsonNumber), then broken in up to three places."""
    bom = draw(boms(max_parts=4))
    part = bom.parts[draw(st.integers(0, len(bom.parts) - 1))]
    raw = native_json._Decoder(json.dumps(native.unstructure_part(part))).value(0)[0]
    for _ in range(draw(st.integers(0, 3))):
        paths = list(_paths(raw))
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if not path:
            continue
        holder = raw
        for step in path[:-1]:
            holder = holder[step]
        if action == "replace":
            holder[path[-1]] = draw(st.sampled_from(_JUNK))
        elif action == "delete":
            del holder[path[-1]]
        elif isinstance(holder, dict):
            holder[draw(st.sampled_from(["extra", "value", "unit", "max", "id", "part"]))] = draw(st.sampled_from(_JUNK))
    return raw


def _errors_of(validator, instance):
    return [(e.message, list(e.absolute_path), e.validator) for e in validator.iter_errors(instance)]


@settings(max_examples=100)
@given(_json_parts())
def test_json_part_check_agrees_with_jsonschema(raw):
    """The quick check accepts exactly the parts jsonschema finds no error in, and the
    inlined part schema gives the errors the schema with references gives, in order."""
    document, inlined = native_json._validators()
    referenced = type(inlined)({"$schema": document.schema["$schema"], "$defs": document.schema["$defs"], "$ref": "#/$defs/part"})
    expected = _errors_of(referenced, raw)
    assert _errors_of(inlined, raw) == expected
    assert native_json._part_acceptor()(raw) == (not expected)


def test_json_part_check_knows_every_keyword_of_the_schema():
    """A schema keyword the quick check does not know would send every part to jsonschema (slow, still right): say so here."""
    native_json._acceptor(native_json._validators()[1].schema)
    with pytest.raises(ValueError, match="not supported"):
        native_json._acceptor({"type": "object", "maxProperties": 3})


_N = native_json.JsonNumber
_GOOD_PART = {
    "id": "p",
    "mass": {"value": _N("2.5"), "unit": "g"},
    "materials": [{"name": "steel", "completeness": "full", "fraction": {"value": "100", "unit": "%"}, "substances": [{"element": "Fe", "fraction": {"max": _N("1")}}]}],
    "origins": [{"country": "CN", "stage": "mined"}],
    "attributes": {"a": "b"},
    "uses": [{"part": "q", "quantity": {"value": _N("2")}, "alternates": ["r"]}],
    "chinaRareEarthTechnology": None,
}


@pytest.mark.parametrize(
    "broken",
    [
        {"id": " "},  # pattern
        {"id": ""},  # minLength
        {"name": "p"},  # required
        {"id": "p", "extra": 1},  # additionalProperties: false
        {"id": "p", "mass": {"value": "x", "unit": "g"}},  # the number pattern
        {"id": "p", "mass": {"value": True}},  # type
        {"id": "p", "mass": {"unit": "g"}},  # anyOf
        {"id": "p", "materials": [{"mass": {"value": "1"}, "fraction": {"value": "1"}}]},  # not
        {"id": "p", "materials": [{"completeness": "half"}]},  # enum
        {"id": "p", "origins": [{"country": "cn", "stage": "mined"}]},  # pattern in an array item
        {"id": "p", "attributes": {"": "v"}},  # propertyNames
        {"id": "p", "attributes": {"a": _N("1")}},  # additionalProperties with a schema
        {"id": "p", "uses": [{"part": "q"}]},  # required in an array item
        {"id": "p", "uses": {"part": "q"}},  # type array
        {"id": "p", "chinaRareEarthTechnology": "yes"},
    ],
)
def test_json_part_check_refuses_each_kind_of_break(broken):
    validator = native_json._validators()[1]
    assert native_json._part_acceptor()(_GOOD_PART) and not list(validator.iter_errors(_GOOD_PART))
    assert list(validator.iter_errors(broken))
    assert not native_json._part_acceptor()(broken)
