"""The CPU work cut from ``rarebom.load`` (issue #8) changes no result.

What changed, each set here next to the code it replaced:

- the model's text, unit-of-measure, tri-state and attribute validators pass the usual
  value in one test (no regex), and :meth:`Amount.__hash__` reads a fraction in one call;
- the XML reader reads an element's attributes in one call to lxml, and writes a part's
  own path without the general loop.

Each validator is compared with the one it replaced, on values of every kind, by outcome
and message. The reference reader below is ``structure_part`` as it was (commit b69dd2f),
with its own ``Shared``: it pins down what a read gives, so that a change to the reader or
to the model's checks that alters a result fails here. Both run on BOMs from
:mod:`rarebom.testing` written to XML and JSON, valid and broken, and must give equal BOMs,
the same sharing of objects (which ones are one object), and the same findings in order.
"""

from __future__ import annotations

import io
import itertools
import json
import re
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rarebom
from benchmarks.generate import synthetic_bom
from rarebom import model
from rarebom.errors import Finding, InputError, InvalidBomError, Location, error
from rarebom.formats import native, native_json, native_xml
from rarebom.model import Amount, Bom, Classification, Completeness, Material, OriginClaim, Part, Stage, Substance, Usage
from rarebom.testing import boms
from rarebom.units import Kind, kind_of_unit

from .test_checks_cpu import _ref_topological_order

# --- the reference: structure_part as it was -----------------------------------------------


class _RefShared:
    def __init__(self) -> None:
        self.amounts: dict = {}
        self.texts: dict = {}
        self.objects: dict = {}
        self.attribute_pairs: dict = {}
        self.attribute_tuples: dict = {}

    def text(self, value):
        if type(value) is not str:
            return value
        return self.texts.setdefault(value, value)

    def attributes(self, raw: dict) -> tuple:
        text, pairs = self.text, self.attribute_pairs
        made = tuple((text(k), text(v)) for k, v in raw.items())
        for k, v in made:
            if type(k) is not str or type(v) is not str:
                return tuple(raw.items())
        made = tuple(pairs.setdefault(pair, pair) for pair in made)
        return self.attribute_tuples.setdefault(made, made)


class _RefStructurer:
    def __init__(self, locate, problems, shared):
        self.locate, self.problems, self.failed = locate, problems, False
        self.amounts = None if shared is None else shared.amounts
        self.objects = None if shared is None else shared.objects

    def fail(self, path, message, code="invalid-value"):
        self.failed = True
        self.problems.append(error(code, message, self.locate(path)))

    def amount(self, raw, path, kind, what):
        if raw is None:
            return None
        unit = raw.get("unit", "")
        key = (kind, unit, raw.get("value"), raw.get("min"), raw.get("max"))
        if self.amounts is not None and self.amounts.get(key) is not None:
            return self.amounts[key]
        try:
            if kind is None:
                kind = kind_of_unit(unit)
            amount = Amount.parse(raw.get("value"), unit, kind, min=raw.get("min"), max=raw.get("max"))
            if self.amounts is not None:
                self.amounts[key] = amount
            return amount
        except InputError as exc:
            self.fail(path, f"{_ref_text(what)}: {exc.message}", "unit" if exc.code == "unit" else "invalid-number")
        except ValueError as exc:
            self.fail(path, f"{_ref_text(what)}: {exc}")
        return None

    def new(self, cls, path, what, fields):
        try:
            return cls(**fields)
        except (ValueError, TypeError) as exc:
            self.fail(path, f"{_ref_text(what)}: {exc}")
            return None

    def shared(self, cls, path, what, fields):
        made = self.new(cls, path, what, fields)
        if self.objects is None or made is None:
            return made
        return self.objects.setdefault(made, made)

    def tuple_of(self, items):
        made = tuple(items)
        if self.objects is None or not made:
            return made
        return self.objects.setdefault(made, made)


def _ref_text(what) -> str:
    return what if isinstance(what, str) else what()


def _ref_provenance(raw: dict) -> Location | None:
    source = raw.get("provenance")
    if source is None:
        return None
    line = source.get("line")
    return Location(source.get("file"), None if line is None else int(line), source.get("path"))


def _ref_mass_or_fraction(s, raw, path, what):
    if "mass" in raw:
        return s.amount(raw["mass"], (*path, "mass"), Kind.MASS, lambda: f"{what()} mass")
    if "fraction" in raw:
        return s.amount(raw["fraction"], (*path, "fraction"), Kind.FRACTION, lambda: f"{what()} fraction")
    return None


def reference_structure_part(raw: dict, locate, problems: list[Finding], shared: _RefShared | None = None) -> Part | None:
    s = _RefStructurer(locate, problems, shared)
    text = (lambda v: v) if shared is None else shared.text
    pid = raw["id"]
    label = f"part {pid!r}"
    materials = []
    for m, raw_material in enumerate(raw.get("materials", ())):
        mpath = ("materials", m)

        def mlabel(raw_material=raw_material, m=m) -> str:
            return f"{label}, material {raw_material.get('name') or m + 1}"

        substances, substance_failed = [], False
        for n, raw_substance in enumerate(raw_material.get("substances", ())):
            spath = (*mpath, "substances", n)

            def slabel(raw_substance=raw_substance, n=n, mlabel=mlabel) -> str:
                return f"{mlabel()}, substance {raw_substance.get('name') or raw_substance.get('element') or n + 1}"

            fields = {
                "name": text(raw_substance.get("name")),
                "element": text(raw_substance.get("element")),
                "cas": text(raw_substance.get("cas")),
                "formula": text(raw_substance.get("formula")),
                "amount": _ref_mass_or_fraction(s, raw_substance, spath, slabel),
                "provenance": _ref_provenance(raw_substance),
            }
            substance = s.shared(Substance, spath, slabel, fields)
            substance_failed = substance_failed or substance is None
            substances.append(substance)
        fields = {
            "name": text(raw_material.get("name")),
            "id": text(raw_material.get("id")),
            "amount": _ref_mass_or_fraction(s, raw_material, mpath, mlabel),
            "completeness": Completeness(raw_material.get("completeness", "partial")),
            "substances": tuple(substances),
            "provenance": _ref_provenance(raw_material),
        }
        materials.append(None if substance_failed else s.shared(Material, mpath, mlabel, fields))
    uses = []
    for u, raw_use in enumerate(raw.get("uses", ())):
        upath = ("uses", u)
        child = text(raw_use["part"])
        quantity = s.amount(raw_use["quantity"], (*upath, "quantity"), None, lambda child=child: f"{label}, quantity of {child!r}")
        if quantity is None:
            continue
        alternates = tuple(text(a) for a in raw_use["alternates"]) if "alternates" in raw_use else ()
        fields = {"child": child, "quantity": quantity, "alternates": alternates}
        uses.append(None if None in alternates else s.shared(Usage, upath, lambda child=child: f"{label}, use of {child!r}", fields))
    origins = []
    for o, claim in enumerate(raw.get("origins", ())):
        try:
            stage = Stage(claim["stage"].strip())
        except ValueError:
            s.fail(("origins", o), f"{label}, origin: {claim['stage']!r} is not a processing stage ({', '.join(x.value for x in Stage)})")
            continue
        origins.append(s.shared(OriginClaim, ("origins", o), f"{label}, origin", {"country": text(claim["country"].strip()), "stage": stage, "source": text(claim.get("source"))}))
    classifications = [
        s.shared(Classification, ("classifications", k), f"{label}, classification", {"scheme": text(c["scheme"]), "code": text(c["code"])})
        for k, c in enumerate(raw.get("classifications", ()))
    ]
    uom = text(raw.get("uom", "each"))
    try:
        kind_of_unit(uom)
    except InputError as exc:
        s.fail(("uom",), f"{label}: unit of measure {exc.message}", "unit")
    mass = s.amount(raw.get("mass"), ("mass",), Kind.MASS, f"{label} mass")
    unit_value = s.amount(raw.get("unitValue"), ("unitValue",), Kind.CURRENCY, f"{label} unit value")
    if s.failed:
        return None
    fields = {
        "id": text(pid),
        "name": text(raw.get("name")),
        "description": text(raw.get("description")),
        "uom": uom,
        "mass": mass,
        "unit_value": unit_value,
        "materials": s.tuple_of(materials),
        "uses": s.tuple_of(uses),
        "origins": s.tuple_of(origins),
        "classifications": s.tuple_of(classifications),
        "china_re_technology": raw.get("chinaRareEarthTechnology"),
        "attributes": tuple(raw.get("attributes", {}).items()) if shared is None or "attributes" not in raw else shared.attributes(raw["attributes"]),
        "provenance": _ref_provenance(raw),
        "location": locate(()),
    }
    return s.new(Part, (), label, fields)


# --- comparing two reads -----------------------------------------------------------------


def _shape(parts) -> list:
    """Which objects of the parts are one object: each object (texts, amounts, model objects,
    tuples) numbered by where it is first met. Equal shapes mean the same sharing."""
    seen: dict[int, int] = {}

    def number(obj) -> int:
        return seen.setdefault(id(obj), len(seen))

    def walk(obj):
        if obj is None or isinstance(obj, (bool, Completeness, Stage, Kind)):
            return obj
        if isinstance(obj, (str, Amount, Location)):
            return number(obj)
        if isinstance(obj, tuple):
            return (number(obj), *(walk(item) for item in obj))
        if attrs.has(type(obj)):
            return (number(obj), *(walk(getattr(obj, f.name)) for f in attrs.fields(type(obj)) if f.name != "location"))
        raise AssertionError(type(obj))

    return [walk(part) for part in parts]


def _findings(problems) -> list[tuple]:
    return [(f.severity, f.code, f.message, f.location) for f in problems]


def _structure_both(raws: list[dict]):
    """Structure ``raws`` in order, as one read, with the new code and with the reference."""

    def locate(k):
        return lambda path: Location("f", k, "/".join(map(str, path)))

    new_problems: list = []
    ref_problems: list = []
    shared, ref_shared = native.Shared(), _RefShared()
    new = [native.structure_part(raw, locate(k), new_problems, shared) for k, raw in enumerate(raws)]
    ref = [reference_structure_part(raw, locate(k), ref_problems, ref_shared) for k, raw in enumerate(raws)]
    return (new, new_problems), (ref, ref_problems)


def _assert_same(raws: list[dict]) -> None:
    (new, new_problems), (ref, ref_problems) = _structure_both(raws)
    assert new == ref
    assert [p is None for p in new] == [p is None for p in ref]
    assert [p.location for p in new if p] == [p.location for p in ref if p]
    assert _findings(new_problems) == _findings(ref_problems)
    assert _shape([p for p in new if p]) == _shape([p for p in ref if p])


def _load(data: bytes, fmt: str):
    try:
        result = rarebom.load(io.BytesIO(data), format=fmt)
    except InvalidBomError as exc:
        return None, _findings(exc.findings), []
    return result.bom, _findings(result.findings), [p.location for p in result.bom.parts]


def _load_both(data: bytes, fmt: str):
    """``rarebom.load`` as it reads now (the XML reader's direct path included), then with the
    reference structure_part reading every part."""
    new = _load(data, fmt)
    tables: dict[int, _RefShared] = {}

    def reference(raw, locate, problems, shared=None):
        return reference_structure_part(raw, locate, problems, None if shared is None else tables.setdefault(id(shared), _RefShared()))

    with pytest.MonkeyPatch.context() as patch:
        for module in (native_xml, native_json):
            patch.setattr(module, "structure_part", reference)
        patch.setattr(native_xml, "_direct_part", lambda element, file, shared: None)  # every part to the reference
        ref = _load(data, fmt)
    return new, ref


def _assert_loads_the_same(data: bytes, fmt: str) -> Any:
    new, ref = _load_both(data, fmt)
    assert new[1:] == ref[1:]  # findings in order, part locations
    assert new[0] == ref[0]
    if new[0] is not None:
        assert _shape(new[0].parts) == _shape(ref[0].parts)
    return new


def _dump(bom, fmt: str) -> bytes:
    stream = io.BytesIO()
    rarebom.dump(bom, stream, format=fmt)
    return stream.getvalue()


# --- whole files ---------------------------------------------------------------------------

_FORMATS = ["rarebom-xml", "rarebom-json"]


@settings(max_examples=20)
@given(boms(), st.sampled_from(_FORMATS))
def test_generated_boms_load_as_the_reference_loads_them(bom, fmt):
    new = _assert_loads_the_same(_dump(bom, fmt), fmt)
    assert new[0] == bom


# Edits that break a written BOM in ways the schema lets through (the model or the units
# refuse them), so that the errors of structure_part are compared, not the schema's.
_BREAKS = [
    (r'unit="%"', 'unit="kelvin"'),
    (r'"unit": "%"', '"unit": "kelvin"'),
    (r'value="(\d)', r'value="-\1'),
    (r'"value": "(\d)', r'"value": "-\1'),
    (r'element="[A-Z][a-z]?"', 'element="Xx"'),
    (r'"element": "[A-Z][a-z]?"', '"element": "Xx"'),
    (r'unit="g"', 'unit="each"'),
    (r'"unit": "g"', '"unit": "each"'),
    (r'min="[^"]*"', 'min="1e9"'),
    (r'"min": "[^"]*"', '"min": "1e9"'),
    (r'unit="USD"', 'unit="XXX"'),
    (r'"unit": "USD"', '"unit": "XXX"'),
]


@settings(max_examples=20)
@given(boms(), st.sampled_from(_FORMATS), st.lists(st.sampled_from(_BREAKS), min_size=1, max_size=3), st.integers(1, 3))
def test_broken_boms_load_as_the_reference_loads_them(bom, fmt, breaks, count):
    """Bad units, negative values, unknown elements, ranges that exclude their value: the same
    findings, in the same order and places, however often a broken thing repeats."""
    text = _dump(bom, fmt).decode()
    for pattern, replacement in breaks:
        text = re.sub(pattern, replacement, text, count=count)
    _assert_loads_the_same(text.encode(), fmt)


@pytest.mark.parametrize("fmt", _FORMATS)
def test_a_synthetic_bom_loads_as_the_reference_loads_it(fmt):
    """The benchmark's shape (1,000 parts): many repeated substances and usages."""
    _assert_loads_the_same(_dump(synthetic_bom(1000, 7), fmt), fmt)


# --- raw parts, repeated and broken ------------------------------------------------------

_raw_amounts = st.fixed_dictionaries(
    {"value": st.sampled_from(["1", "1.0", "2", "abc", "-1"])}, optional={"unit": st.sampled_from(["", "%", "g", "kg", "each", "kelvin"]), "max": st.sampled_from(["2", "0"])}
)
_raw_substances = st.fixed_dictionaries(
    {},
    optional={
        "element": st.sampled_from(["Fe", "Nd", "Xx"]),
        "name": st.sampled_from(["a", " ", "b\x01"]),
        "cas": st.just("7440-00-8"),
        "fraction": _raw_amounts,
        "mass": _raw_amounts,
        "provenance": st.just({"file": "d.xml", "line": "3"}),
    },
)
_raw_uses = st.fixed_dictionaries(
    {"part": st.sampled_from(["x", "y", " ", "z\x02"]), "quantity": _raw_amounts}, optional={"alternates": st.lists(st.sampled_from(["x", "w", ""]), max_size=2)}
)
_raw_parts = st.fixed_dictionaries(
    {"id": st.sampled_from(["p", "q", "r"]), "chinaRareEarthTechnology": st.sampled_from([None, True, False])},
    optional={
        "uom": st.sampled_from(["each", "kg", "parsec", "m2"]),
        "mass": _raw_amounts,
        "materials": st.lists(
            st.fixed_dictionaries(
                {}, optional={"name": st.sampled_from(["steel", "\x03"]), "completeness": st.sampled_from(["full", "partial"]), "substances": st.lists(_raw_substances, max_size=3)}
            ),
            max_size=2,
        ),
        "uses": st.lists(_raw_uses, max_size=3),
        "origins": st.lists(st.fixed_dictionaries({"country": st.sampled_from(["CN", "cn", "JP"]), "stage": st.sampled_from(["mined", "smelted"])}), max_size=2),
        "classifications": st.lists(st.fixed_dictionaries({"scheme": st.sampled_from(["hs", " "]), "code": st.just("8505")}), max_size=1),
        "attributes": st.dictionaries(st.sampled_from(["a", "b", ""]), st.sampled_from(["1", "\x04"]), max_size=2),
    },
)


@settings(max_examples=150)
@given(st.lists(_raw_parts, min_size=1, max_size=8))
def test_raw_parts_structure_as_the_reference_structures_them(raws):
    """Small pools of texts, so that substances and usages repeat, good and bad: a thing that
    failed once fails again where it repeats, and an equal one is the object built before."""
    _assert_same(raws)


def test_a_substance_whose_amount_failed_is_reported_where_it_repeats():
    """The substance is built (with no amount) after its amount fails, and kept; where it
    repeats, the amount's error must be reported again (a cache keyed by the substance's
    texts that kept it would skip the message)."""
    bad = {"id": "p", "materials": [{"substances": [{"element": "Fe", "fraction": {"value": "1", "unit": "kelvin"}}]}]}
    _assert_same([bad, dict(bad, id="q"), dict(bad, id="r")])
    (_, problems), _ = _structure_both([bad, dict(bad, id="q")])
    assert [f.location.line for f in problems] == [0, 1]


def test_equal_objects_are_the_first_equal_ones():
    """ "100" and "100.0" % are other texts but equal amounts: the second part's substance
    and usage are the first part's objects."""
    raws = [
        {"id": f"p{k}", "materials": [{"substances": [{"element": "Nd", "fraction": {"value": value, "unit": "%"}}]}], "uses": [{"part": "x", "quantity": {"value": value}}]}
        for k, value in enumerate(["100", "100.0", "100", "100.0"])
    ]
    (new, _), _ = _structure_both(raws)
    first = new[0].materials[0].substances[0]
    assert all(p.materials[0].substances[0] is first for p in new)
    assert all(p.uses[0] is new[0].uses[0] for p in new)
    _assert_same(raws)


def test_a_value_that_is_no_text_is_refused_as_before():
    """A raw value that cannot be a dict key (a list where a text should be) is refused with the same message."""
    raws = [{"id": "p", "materials": [{"substances": [{"name": ["x"], "element": "Fe"}]}]}, {"id": "q", "uses": [{"part": "x", "quantity": {"value": "1"}, "alternates": [["y"]]}]}]
    _assert_same(raws)


# --- model validators ----------------------------------------------------------------------

_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_is_str = attrs.validators.instance_of(str)


def _ref_text_validator(instance, attribute, value):
    if value is None:
        return
    if not isinstance(value, str):
        raise TypeError(f"{attribute.name} must be a string, not {type(value).__name__}")
    bad = _NOT_XML_CHAR.search(value)
    if bad:
        raise ValueError(f"{attribute.name} holds the control character U+{ord(bad.group()):04X}, which no BOM file can carry")


def _ref_required_text(instance, attribute, value):
    _is_str(instance, attribute, value)
    _ref_text_validator(instance, attribute, value)
    if not value or not value.strip():
        raise ValueError(f"{attribute.name} must not be empty")


def _outcome(check: Callable, *args) -> tuple:
    try:
        check(*args)
    except (TypeError, ValueError) as exc:
        return type(exc), str(exc)
    return None, None


class _Text(str):
    pass


_values = (
    st.none()
    | st.text(max_size=6)
    | st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=6)
    | st.sampled_from(["", " ", "  ", "\t", "a\x7f", "\x7f", "x\ud800", "\ufffe", "a b", " a ", "\u00a0", "\u2028", "\x85"])
    | st.builds(_Text, st.text(max_size=4))
    | st.integers()
    | st.booleans()
)


@settings(max_examples=300)
@given(_values)
def test_text_validators_accept_and_word_errors_as_before(value):
    attribute = attrs.fields(Classification).scheme
    assert _outcome(model._text, None, attribute, value) == _outcome(_ref_text_validator, None, attribute, value)
    assert _outcome(model._required_text, None, attribute, value) == _outcome(_ref_required_text, None, attribute, value)


_ref_tri_state = attrs.validators.optional(attrs.validators.instance_of(bool))


@given(st.none() | st.booleans() | st.integers(0, 2) | st.sampled_from(["true", 1.0, _Text("each")]) | st.sampled_from(["each", "kg", "m2", "parsec", " EA ", ""]))
def test_part_uom_and_tri_state_validators_as_before(value):
    """uom: instance_of(str) then kind_of_unit; china_re_technology: optional(instance_of(bool))."""
    fields = attrs.fields(Part)

    def ref_uom(instance, attribute, v):
        _is_str(instance, attribute, v)
        kind_of_unit(v)

    assert _outcome(model._known_uom, None, fields.uom, value) == _outcome(ref_uom, None, fields.uom, value)
    assert _outcome(model._tri_state, None, fields.china_re_technology, value) == _outcome(_ref_tri_state, None, fields.china_re_technology, value)
    assert _outcome(lambda: Part(id="p", uom=value)) == _outcome(lambda: ref_uom(None, fields.uom, value))
    assert _outcome(lambda: Part(id="p", china_re_technology=value)) == _outcome(lambda: _ref_tri_state(None, fields.china_re_technology, value))


def _ref_attribute_pairs(value):
    if type(value) is tuple and all(type(p) is tuple and len(p) == 2 and type(p[0]) is str and type(p[1]) is str for p in value):
        return value
    items = value.items() if hasattr(value, "items") else value
    return tuple((str(k), str(v)) for k, v in items)


@given(st.sampled_from([(), [], {}, (("a", "b"),), [("a", "b")], {"a": "b"}, (("a", "b"), ("a", "c")), (("", "b"),), (("a", "\x00"),)]))
def test_empty_attributes_pass_as_before(value):
    converted = model._attribute_pairs(value)
    assert converted == _ref_attribute_pairs(value) and type(converted) is tuple
    attribute = attrs.fields(Part).attributes

    def ref_unique(v):
        for name, text in v:
            _ref_text_validator(None, attribute, name)
            if not name or not name.strip():
                raise ValueError(f"{attribute.name} must not be empty")
            _ref_text_validator(None, attribute, text)
        names = [name for name, _ in v]
        if len(names) != len(set(names)):
            raise ValueError(f"attribute names repeat: {', '.join(sorted({n for n in names if names.count(n) > 1}))}")

    assert _outcome(model._unique_names, None, attribute, converted) == _outcome(ref_unique, converted)


_fractions = st.none() | st.fractions(max_denominator=50)


@given(st.sampled_from([Kind.MASS, Kind.FRACTION]), st.sampled_from(["g", "kg", "%"]), _fractions, _fractions, _fractions)
def test_amount_hash_is_the_hash_it_was(kind, unit, value, low, high):
    try:
        amount = Amount(kind=kind, unit=unit, value=value, min=low, max=high)
    except (TypeError, ValueError):
        return
    if low is None and high is None:
        expected = hash((kind, unit, None) if value is None else (kind, unit, value.numerator, value.denominator))
    else:
        expected = hash((kind, unit, *(None if n is None else (n.numerator, n.denominator) for n in (value, low, high))))
    assert hash(amount) == expected


# --- the XML reader --------------------------------------------------------------------------

_XSI = "http://www.w3.org/2001/XMLSchema-instance"


def test_an_amount_with_an_xsi_attribute_reads_as_before():
    """The schema lets xsi:* attributes through on any element; an amount keeps only its own."""
    text = (
        '<?xml version="1.0"?><bom xmlns="urn:rarebom:bom:1" xmlns:xsi="' + _XSI + '" formatVersion="1.0">'
        '<part id="p"><mass value="2" unit="g" xsi:schemaLocation="urn:x x.xsd"/></part></bom>'
    )
    new, ref = _load_both(text.encode(), "rarebom-xml")
    assert new == ref
    assert new[0].part("p").mass == Amount.parse("2", "g", Kind.MASS)


@pytest.mark.parametrize("part_id", ["P1", "it's", 'a"b', "\u00e9"])
def test_a_parts_own_path_is_written_as_before(part_id):
    assert native_xml._xml_path(part_id, ()) == "/".join([f"part[@id={part_id!r}]"])
    assert native_xml._xml_path(part_id, ("materials", 0, "mass")) == f"part[@id={part_id!r}]/material[1]/mass"


def test_the_json_reader_still_structures_through_native():
    """native_json calls the same structure_part: a JSON BOM with repeats reads as the XML one does."""
    bom = synthetic_bom(300, 2)
    xml, js = (rarebom.load(io.BytesIO(_dump(bom, fmt)), format=fmt).bom for fmt in _FORMATS)
    assert xml == js == bom
    assert len(json.loads(_dump(bom, "rarebom-json"))["parts"]) == 300


# --- check_bom: the cycle test through alternates ------------------------------------------


@st.composite
def _graphs(draw) -> Bom:
    """A BOM of a few parts whose uses and alternates go anywhere among them (cycles, self
    references, a child that is also an alternate, repeats), with no missing part."""
    count = draw(st.integers(1, 7))
    ids = [f"p{k}" for k in range(count)]
    one = Amount.parse("1", "each", Kind.COUNT)
    parts = []
    for pid in ids:
        uses = [Usage(child=draw(st.sampled_from(ids)), quantity=one, alternates=tuple(draw(st.lists(st.sampled_from(ids), max_size=2)))) for _ in range(draw(st.integers(0, 3)))]
        parts.append(Part(id=pid, uses=tuple(uses)))
    return Bom(parts=parts)


def _reference_order(bom: Bom, alternates: bool) -> list[str] | None:
    """topological_order as it was written on part ids (tests/test_checks_cpu.py), None for a cycle."""
    try:
        return _ref_topological_order(bom, alternates=alternates)
    except ValueError:
        return None


@settings(max_examples=300)
@given(_graphs())
def test_the_orders_on_part_numbers_are_the_orders_on_ids(bom):
    """The checks order the parts by number, from one graph of the children with the
    alternates' edges added to it; both orders must be those of Kahn's algorithm on the
    ids, or a ValueError where that finds a cycle. check_bom keeps
    the order with alternates where the BOM has them, else the order without, and names
    the cycles among the children, or where there are none the cycles through alternates."""
    from rarebom import checks

    for alternates in (False, True):
        expected = _reference_order(bom, alternates)
        if expected is None:
            with pytest.raises(ValueError):
                checks.topological_order(bom, alternates=alternates)
        else:
            assert checks.topological_order(bom, alternates=alternates) == expected

    fresh = bom.evolve()
    found = rarebom.check_bom(fresh)
    has_alternates = any(use.alternates for part in bom.parts for use in part.uses)
    kept = fresh._checked.get(checks._ORDER)
    if _reference_order(bom, False) is None or _reference_order(bom, has_alternates) is None:
        assert kept is None
        assert "cycle" in {f.code for f in found}
    else:
        order, with_alternates, kids, starts = kept
        assert (checks._ids(bom, order), with_alternates) == (_reference_order(bom, has_alternates), has_alternates)
        # the children by number, for the trace's compile: those of the usages, in file order
        assert [bom.parts[k].id for k in kids] == [use.child for part in bom.parts for use in part.uses]
        assert list(starts) == [0, *itertools.accumulate(len(part.uses) for part in bom.parts)]

    # One Kahn's order, with the alternates, serves both: the cycles named are those among
    # the children where there are any, else those through alternates.
    if _reference_order(bom, False) is None:
        cycles = checks.find_cycles(bom)
    elif _reference_order(bom, True) is None:
        cycles = checks.find_cycles(bom, alternates=True)
    else:
        cycles = []
    assert [(f.code, f.message, f.location) for f in found if f.code == "cycle"] == [(f.code, f.message, f.location) for f in cycles]


def test_an_alternate_edge_takes_its_place_in_file_order():
    """``p0`` waits for ``p3`` only as an alternate, so its edge comes after ``p2``'s in the
    children's graph; both are ready when ``p3`` is done, and file order must decide."""
    from rarebom import checks

    one = Amount.parse("1", "each", Kind.COUNT)
    bom = Bom(
        parts=[
            Part(id="p0", uses=(Usage(child="c", quantity=one, alternates=("p3",)),)),
            Part(id="p2", uses=(Usage(child="p3", quantity=one),)),
            Part(id="c"),
            Part(id="p3"),
        ]
    )
    numbered = checks._numbered(bom)
    with_alternates = checks._kahn(*checks._graph(bom, numbered, alternates=True))
    assert checks._ids(bom, with_alternates) == checks.topological_order(bom, alternates=True) == ["c", "p3", "p2", "p0"]
    rarebom.check_bom(bom)
    kept = bom._checked[checks._ORDER]
    assert (checks._ids(bom, kept[0]), kept[1]) == (["c", "p3", "p2", "p0"], True)
    assert checks.topological_order(bom) == ["c", "p0", "p3", "p2"]  # without alternates: not the kept order
    assert checks.topological_order(bom, alternates=True) == ["c", "p3", "p2", "p0"]
    assert checks._ORDER not in bom._checked


def test_an_order_taken_by_another_thread_is_computed_again():
    """Two threads tracing one BOM may both find check_bom's order; the one that comes
    second computes its own rather than failing on a key the first removed."""
    from rarebom import checks

    class Racing(dict):
        def get(self, key, default=None):
            value = super().get(key, default)
            if key == checks._ORDER:
                super().pop(key, None)  # the other thread takes it now
            return value

    one = Amount.parse("1", "each", Kind.COUNT)
    bom = Bom(parts=[Part(id="a", uses=(Usage(child="b", quantity=one),)), Part(id="b")])
    rarebom.check_bom(bom)
    object.__setattr__(bom, "_checked", Racing(bom._checked))
    kept = dict.get(bom._checked, checks._ORDER)[0]
    order, _, _ = checks._topological_numbers(bom, alternates=True)
    assert checks._ids(bom, order) == ["b", "a"] and order is not kept
