"""The XML reader's direct path (``native_xml._direct_part``) reads exactly what the usual path reads.

For a schema-valid ``<part>`` the reader first tries to build the model :class:`Part` straight
from the element; if anything is unusual it gives up, undoes what it added to the read's
shared caches, and ``_raw_part`` + ``structure_part`` read the part (and word every message).
Here each file is read twice, with the direct path and with it forced to give up on every
part, and the two reads must give an equal ``Bom``, the same part locations, the same
findings in order, and the same sharing (which objects are one object). Each test also
counts the parts the direct path took and gave up, so that a direct path that never runs, or
never gives up where it must, fails here.
"""

from __future__ import annotations

import io
import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rarebom
from benchmarks.generate import synthetic_bom
from benchmarks.generate import write_xml as write_synthetic_xml
from rarebom.errors import InputError, InvalidBomError
from rarebom.formats import native, native_xml
from rarebom.model import Material, Usage
from rarebom.testing import boms
from rarebom.units import Kind

from .test_load_cpu import _shape

# --- reading both ways -----------------------------------------------------------------------


def _read(data: bytes, *, direct: bool) -> tuple[tuple, list[int]]:
    """One read: (outcome, [parts the direct path took, parts it gave up])."""
    counts = [0, 0]
    real = native_xml._direct_part

    def counting(element, file, shared):
        part = real(element, file, shared) if direct else None
        counts[part is None] += 1
        return part

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(native_xml, "_direct_part", counting)
        try:
            result = rarebom.load(io.BytesIO(data), format="rarebom-xml")
        except InvalidBomError as exc:
            outcome = ("invalid", None, [], [(f.severity, f.code, f.message, f.location) for f in exc.findings], None)
        except (InputError, LookupError, ValueError, TypeError) as exc:  # what the usual path raises, the same either way
            outcome = ("raised", type(exc), str(exc), [], None)
        else:
            bom = result.bom
            outcome = ("ok", bom, [p.location for p in bom.parts], [(f.severity, f.code, f.message, f.location) for f in result.findings], _shape(bom.parts))
    return outcome, counts


def _assert_same(data: bytes) -> list[int]:
    """Both reads give the same; returns the direct path's [taken, given up]."""
    direct, counts = _read(data, direct=True)
    usual, usual_counts = _read(data, direct=False)
    assert usual_counts[0] == 0
    assert direct[0] == usual[0]
    assert direct[1] == usual[1]  # the Bom (==), or the exception's type
    assert direct[2] == usual[2]  # every part's location (or the exception's text)
    assert direct[3] == usual[3]  # the findings, in order
    assert direct[4] == usual[4]  # the sharing
    assert sum(counts) == sum(usual_counts)
    return counts


def _xml(bom) -> bytes:
    stream = io.BytesIO()
    native_xml.write(bom, stream)
    return stream.getvalue()


# --- valid files: the direct path reads every part ------------------------------------------


@settings(max_examples=40)
@given(boms())
def test_generated_boms_read_directly_as_the_usual_path_reads_them(bom):
    counts = _assert_same(_xml(bom))
    assert counts == [len(bom.parts), 0]  # every part of a valid BOM goes the direct way


@pytest.mark.parametrize("seed", [7, 8])
def test_a_synthetic_bom_reads_directly_as_the_usual_path_reads_it(seed):
    """The benchmark's shape (1,000 parts, written by benchmarks.generate):
    many repeated texts, amounts, substances, materials and usages."""
    bom = synthetic_bom(1000, seed)
    stream = io.BytesIO()
    write_synthetic_xml(bom, stream)
    assert _assert_same(stream.getvalue()) == [1000, 0]


# --- files the usual path has something to say about ---------------------------------------

# Edits that the schema lets through (or not): bad units, bad and negative numbers, unknown
# element symbols, ranges that exclude their value, unknown stages and units of measure.
_BREAKS = [
    (r'unit="%"', 'unit="kelvin"'),
    (r'unit="g"', 'unit="each"'),
    (r'unit="USD"', 'unit="XXX"'),
    (r'value="(\d)', r'value="-\1'),
    (r'value="(\d)', r'value="1/0'),
    (r'value="(\d)', r'value="1e99999\1'),
    (r'element="[A-Z][a-z]?"', 'element="Xx"'),
    (r'min="[^"]*"', 'min="1e9"'),
    (r'max="[^"]*"', 'max="0"'),
    (r'stage="[^"]*"', 'stage="smelted"'),
    (r'country="[^"]*"', 'country="cn"'),
    (r'<part id="[^"]*"', '<part id="P-same"'),
    (r'<part id="([^"]*)"', r'<part id="\1" uom="parsec"'),
    (r'<part id="([^"]*)"', r'<part id="\1" uom="kg"'),
    (r'(<use part="[^"]*">)', r'\1<alternate part="zz"/>'),
    (r"<quantity ", '<quantity max="0" '),
    (r"<provenance ", '<provenance line="x" '),
    (r'(<part id="[^"]*"[^>]*>)', r'\1<unknown xmlns="urn:other"/>'),
    (r"(<material[^>]*>)", r'\1<mass value="1" unit="g"/>'),
    (r'name="([^"]*)"', 'name="a\u00a0b"'),
]


#: The codes structure_part words (check_bom's and the schema's are others).
_STRUCTURE_CODES = frozenset(("invalid-value", "invalid-number", "unit"))


@settings(max_examples=60)
@given(boms(), st.lists(st.sampled_from(_BREAKS), min_size=1, max_size=3), st.integers(1, 3))
def test_broken_boms_read_as_the_usual_path_reads_them(bom, breaks, count):
    """The same findings, in the same order and places, the same exceptions, however often a
    broken thing repeats; and a part the usual path finds fault with never goes the direct way."""
    text = _xml(bom).decode()
    for pattern, replacement in breaks:
        text = re.sub(pattern, replacement, text, count=count)
    direct, counts = _read(text.encode(), direct=True)
    _assert_same(text.encode())
    faulty = {f[3].pointer.split("/")[0] for f in direct[3] if f[1] in _STRUCTURE_CODES}
    assert counts[1] >= len(faulty)  # each part the usual path found fault with was given up


_GOOD = """<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="urn:rarebom:bom:1" formatVersion="1.1" name="b">
  <attribute name="x" value="y"/>
  <part id="A" name="Assembly" uom="each" chinaRareEarthTechnology=" true ">
    <description>a &amp; b</description>
    <provenance file="decl.xml" line="12" path="/a/b"/>
    <mass value="1.5" unit="kg"/>
    <unitValue value="10" unit="USD"/>
    <classification scheme="item-class" code="ndfeb-magnet"/>
    <classification scheme="hs" code="8505"/>
    <origin country=" CN " stage=" mined " source="cert-1"/>
    <origin country="JP" stage="separated"/>
    <attribute name="colour" value="red"/>
    <attribute name="size" value=""/>
    <material name="magnet" id="M1" completeness=" full ">
      <provenance file="decl.xml" line="13"/>
      <mass value="100" unit="g"/>
      <substance name="neodymium" element=" Nd " cas="7440-00-8">
        <provenance path="/x"/>
        <fraction value="30" unit="%" min="25" max="35"/>
      </substance>
      <substance element="Fe"><fraction max="70" unit="%"/></substance>
      <substance name="other"/>
    </material>
    <material name="magnet" id="M1" completeness="full">
      <provenance file="decl.xml" line="13"/>
      <mass value="100.0" unit="g"/>
      <substance name="neodymium" element="Nd" cas="7440-00-8">
        <provenance path="/x"/>
        <fraction value="30" unit="%" min="25" max="35"/>
      </substance>
      <substance element="Fe"><fraction max="70" unit="%"/></substance>
      <substance name="other"/>
    </material>
    <material><fraction value="1/3"/></material>
    <use part="B"><quantity value="2"/><alternate part="C"/><alternate part="D"/></use>
    <use part="E"><quantity value="0.25" unit="kg"/></use>
  </part>
  <part id="B" uom="kg"><mass value="1000" unit="g"/><material name="magnet"><fraction value="100" unit="%"/></material></part>
  <part id="C" uom="m"/>
  <part id="D" chinaRareEarthTechnology="false"><origin country="CN" stage="mined" source="cert-1"/></part>
  <part id="E" uom="kg"><description/><use part="B"><quantity value="2" unit="each"/><alternate part="C"/><alternate part="D"/></use></part>
</bom>
"""


def test_every_field_reads_directly_as_the_usual_path_reads_it():
    """Provenance, attributes, alternates, descriptions, units of measure, ranges, and the
    whitespace an xs:token may carry (completeness, element, country, stage): all direct."""
    assert _assert_same(_GOOD.encode()) == [5, 0]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('unit="USD"', 'unit="XXX"'),
        ('value="2"/><alternate', 'value="-2"/><alternate'),
        ('max="35"', 'max="20"'),
        ('value="1/3"', 'value="1/0"'),
        ('element=" Nd "', 'element="Xx"'),
        ('stage=" mined "', 'stage="smelted"'),
        ('country="JP"', 'country="jp"'),
        ('uom="m"', 'uom="parsec"'),
        ('<part id="C"', '<part id="B"'),
        ('<mass value="1000" unit="g"/>', '<mass value="1000" unit="g"/><mass value="1" unit="g"/>'),
        ('<quantity value="0.25" unit="kg"/>', '<quantity value="0.25" unit="kelvin"/>'),
        ('line="12"', 'line="twelve"'),
        ('name="size"', 'name="colour"'),
        ("<description>a &amp; b</description>", "<description>a \x01</description>".replace("\x01", "&#9;b")),
    ],
)
def test_a_broken_field_reads_as_the_usual_path_reads_it(old, new):
    assert old in _GOOD
    data = _GOOD.replace(old, new).encode()
    direct, counts = _read(data, direct=True)
    _assert_same(data)
    if any(f[1] in _STRUCTURE_CODES for f in direct[3]):
        assert counts[1] >= 1  # the direct path gave the faulty part up
    if direct[0] == "raised":
        assert counts[1] >= 1


# --- giving up leaves the shared caches as they were -----------------------------------------


def test_a_part_given_up_late_leaves_no_trace_in_the_shared_caches():
    """A part whose last amount fails, after new texts, amounts, substances, materials and
    usages were added: the caches hold exactly what they held before."""
    shared = native.Shared()
    good = native_xml._direct_part(_element(_GOOD, "A"), "f.xml", shared)
    assert good is not None
    before = [list(cache.items()) for cache in shared.caches()]
    late = _GOOD.replace('id="A"', 'id="A2"').replace("magnet", "rotor").replace('"cert-1"', '"cert-2"').replace('value="0.25" unit="kg"', 'value="0.25" unit="kelvin"')
    assert native_xml._direct_part(_element(late, "A2"), "f.xml", shared) is None
    after = [list(cache.items()) for cache in shared.caches()]
    assert len(after) == len(before) and all(len(a) == len(b) and all(x[0] is y[0] and x[1] is y[1] for x, y in zip(a, b, strict=True)) for a, b in zip(after, before, strict=True))


def test_usage_keys_hold_the_shared_texts():
    """A usage's key holds the read's one string of its child's id and of each alternate's,
    not the string lxml gave for this element: a key is kept for every usage until the file
    is read, and the strings of 190,000 keys at 100k parts took 5 MiB of the peak. A usage
    without alternates is kept by that one string alone, the first of its child."""
    shared = native.Shared()
    document = re.sub(r'"([BCDE])"', r'"part-\1"', _GOOD)  # (Python keeps one object of each one-letter string)
    before = [native_xml._direct_part(_element(document, pid), "f.xml", shared) for pid in ("part-B", "part-C", "part-D", "part-E")]
    assert None not in before  # their ids are texts of the read before A names them
    part = native_xml._direct_part(_element(document, "A"), "f.xml", shared)
    assert part is not None and part.uses and any(use.alternates for use in part.uses) and not all(use.alternates for use in part.uses)
    e = before[-1]
    keys = [key for key in shared.objects if type(key) is tuple and key[0] is Usage]
    assert [shared.objects[key] for key in keys] == [use for p in (e, part) for use in p.uses if use.alternates]
    for key in keys:
        made = shared.objects[key]
        assert key[1] is shared.texts[key[1]] is made.child
        assert all(a is shared.texts[a] for a in key[3:]) and made.alternates == key[3:]
    plain = [use for use in part.uses if not use.alternates]
    assert list(shared.usages.values()) == plain
    assert all(child is shared.texts[child] is made.child and shared.usages[child] is made for child, made in shared.usages.items())
    assert shared.usage_tuples == {"part-B": e.uses} and e.uses[0].child == part.uses[0].child  # A's starts with another usage of part-B
    assert shared.objects[native.ids(part.uses)] is part.uses


def _kept(shared: native.Shared) -> list:
    """Every object the read keeps to share: under a key, or as the first usage (or tuple of
    usages) of a child."""
    return [*shared.objects.values(), *shared.usages.values(), *shared.usage_tuples.values()]


@settings(max_examples=100)
@given(st.lists(st.tuples(st.sampled_from(["x", "y"]), st.sampled_from(["1", "1.0", "2", "2 kg"]), st.sampled_from([(), ("z",)])), min_size=1, max_size=4), st.integers(1, 6))
def test_usages_of_one_child_in_other_quantities_are_told_apart(uses, parts):
    """The first usage of a child is found by the child's id; one of the same child in
    another quantity, or with alternates, is another object under its key. Equal usages (the
    same value written "1" and "1.0") are one object, as with keys alone."""

    def use(child, quantity, alternates):
        value, _, unit = quantity.partition(" ")
        alternate = "".join(f'<alternate part="{a}"/>' for a in alternates)
        return f'<use part="{child}"><quantity{_attributes(value=value, unit=unit or None)}/>{alternate}</use>'

    body = "".join(use(*u) for u in uses)
    bulk = ' uom="kg"' if any(q.endswith("kg") for _, q, _ in uses) else ""
    leaves = "".join(f'<part id="{c}"{bulk}/>' for c in "xyz")
    assemblies = "".join(f'<part id="p{k}">{body}</part>' for k in range(parts))
    data = f'<?xml version="1.0"?><bom xmlns="urn:rarebom:bom:1" formatVersion="1.0">{assemblies}{leaves}</bom>'.encode()
    try:
        bom = rarebom.load(io.BytesIO(data), format="rarebom-xml").bom
    except InvalidBomError:
        return  # a count and a mass of one child: refused, the same both ways (the other tests)
    assert _assert_same(data)[1] == 0
    made = [u for p in bom.parts[:parts] for u in p.uses]
    for a in made:
        for b in made:
            assert (a is b) == (a == b), (a, b)
    assert all(p.uses is bom.parts[0].uses for p in bom.parts[:parts])


def test_keys_hold_the_ids_of_shared_objects_as_one_int_or_bytes_object():
    """A tuple's key, and a material's substances in its key, are the one object's id or the
    objects' ids packed in one bytes object (not a tuple of 32-byte ints), the same from
    both paths."""
    shared = native.Shared()
    parts = [native_xml._direct_part(_element(_GOOD, pid), "f.xml", shared) for pid in "ABD"]
    tuples = {key: made for key, made in shared.objects.items() if type(made) is tuple}
    assert {len(t) for t in tuples.values()} >= {1, 2}
    for key, made in tuples.items():
        assert key == native.ids(made) == shared.key(made)
        assert key == id(made[0]) if len(made) == 1 else key == b"".join(id(x).to_bytes(8, sys.byteorder) for x in made)
    assert shared.key(parts[0].materials) == native.ids(parts[0].materials)
    materials = [key for key in shared.objects if type(key) is tuple and key[0] is Material]
    assert materials and all(key[-1] == native.ids(shared.objects[key].substances) for key in materials)
    assert all(shared.key(shared.objects[key]) == key for key in materials)


def _element(document: str, part_id: str):
    from lxml import etree

    root = etree.fromstring(document.encode())
    return next(p for p in root if p.get("id") == part_id)


# --- shared objects found by key, before they are built ----------------------------------------
#
# Shared.objects keeps each object under a key made of its texts, the id of the first equal
# amount and the ids of the shared objects in it, and the direct path looks an object up by
# that key before building it. Keys must be equal exactly when the objects are: below, the
# same values are written in several ways ("100", "100.0", "1e2" %; line "12" and "012"; an
# element symbol with blanks), so that equal objects come from different text, and every
# read is compared with the reference reader of tests/test_load_cpu.py, which shares objects
# by equality as the readers did before keys (same Bom, findings, locations and sharing).

_NUMBERS = ["100", "100.0", "1e2", "50", "50.00", "0.5", "1/2"]


def _maybe(values: list[str]) -> st.SearchStrategy[str | None]:
    return st.none() | st.sampled_from(values)


def _attributes(**values) -> str:
    return "".join(f' {name}="{value}"' for name, value in values.items() if value is not None)


def _amount(tag: str, units: list[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda value, unit: f"<{tag}{_attributes(value=value, unit=unit)}/>", st.sampled_from(_NUMBERS), st.sampled_from(units))


_provenances = st.builds(
    lambda file, line, path: f"<provenance{_attributes(file=file, line=line, path=path)}/>",
    st.sampled_from(["d.xml", "e.xml"]),
    st.sampled_from(["12", "012", "13"]),
    _maybe(["/a", "/b"]),
)
_xml_substances = st.builds(
    lambda attributes, provenance, amount: f"<substance{attributes}>{provenance or ''}{amount or ''}</substance>",
    st.builds(lambda **values: _attributes(**values), name=_maybe(["neo", "iron"]), element=_maybe(["Nd", " Nd ", "Fe"]), cas=_maybe(["7440-00-8"])),
    st.none() | _provenances,
    st.none() | _amount("fraction", ["%", ""]) | _amount("mass", ["g", "kg"]),
)
_xml_materials = st.builds(
    lambda attributes, provenance, amount, substances: f"<material{attributes}>{provenance or ''}{amount or ''}{''.join(substances)}</material>",
    st.builds(lambda **values: _attributes(**values), name=_maybe(["steel", "magnet"]), id=_maybe(["M1"]), completeness=_maybe(["full", " partial "])),
    st.none() | _provenances,
    st.none() | _amount("fraction", ["%"]) | _amount("mass", ["g"]),
    st.lists(_xml_substances, max_size=3),
)
_xml_origins = st.builds(
    lambda **values: f"<origin{_attributes(**values)}/>",
    country=st.sampled_from(["CN", " CN ", "JP"]),
    stage=st.sampled_from(["mined", " mined ", "separated"]),
    source=_maybe(["c1"]),
)
_xml_classifications = st.builds(
    lambda **values: f"<classification{_attributes(**values)}/>", scheme=st.sampled_from(["hs", "item-class"]), code=st.sampled_from(["8505", "ndfeb-magnet"])
)


@st.composite
def _xml_boms(draw) -> bytes:
    """A valid rarebom XML file of a few parts made of small pools of values (so objects
    repeat), each part using only parts after it (no cycle, no dangling reference)."""
    count = draw(st.integers(1, 6))
    parts = []
    for k in range(count):
        later = [f"p{j}" for j in range(k + 1, count)]
        uses = []
        for child in draw(st.lists(st.sampled_from(later), max_size=3, unique=True)) if later else []:
            quantity = draw(_amount("quantity", ["", "each"]))
            alternates = draw(st.lists(st.sampled_from(later), max_size=1))
            uses.append(f'<use part="{child}">{quantity}' + "".join(f'<alternate part="{a}"/>' for a in alternates) + "</use>")
        body = (
            (draw(st.none() | _provenances) or "")
            + "".join(draw(st.lists(_xml_classifications, max_size=2)))
            + "".join(draw(st.lists(_xml_origins, max_size=2)))
            + "".join(draw(st.lists(_xml_materials, max_size=2)))
            + "".join(uses)
        )
        parts.append(f'<part id="p{k}">{body}</part>')
    return ('<?xml version="1.0"?><bom xmlns="urn:rarebom:bom:1" formatVersion="1.1">' + "".join(parts) + "</bom>").encode()


@settings(max_examples=150)
@given(_xml_boms())
def test_objects_found_by_key_are_those_equality_finds(data):
    from .test_load_cpu import _assert_loads_the_same

    new = _assert_loads_the_same(data, "rarebom-xml")  # the reference shares by equality
    assert new[0] is not None
    parts = new[0].parts
    assert _assert_same(data) == [len(parts), 0]  # and every part went the direct way


@settings(max_examples=60)
@given(_xml_boms())
def test_no_two_kept_objects_are_equal_and_each_is_under_its_own_key(data):
    """Equal objects have one key (no two kept objects are equal), and each kept object's key
    is the one Shared.key gives it (the direct path makes its keys without building)."""
    kept = []

    class Recording(native.PartList):
        def __init__(self, problems):
            super().__init__(problems)
            kept.append(self.shared)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(native_xml, "PartList", Recording)
        rarebom.load(io.BytesIO(data), format="rarebom-xml")
    (shared,) = kept
    objects = _kept(shared)
    assert len(set(objects)) == len(objects)
    assert all(shared.key(made) == key for key, made in shared.objects.items())
    assert all(made.child == key and not made.alternates for key, made in shared.usages.items())
    assert all(made[0].child == key and type(made[0]) is Usage for key, made in shared.usage_tuples.items())
    # the first of equal amounts names them all
    firsts = {}
    for amount in shared.amounts.values():
        assert shared.amount_id(amount) == id(firsts.setdefault(amount, amount))


def test_an_amount_written_another_way_finds_the_first_equal_object():
    """ "100", "100.0" and "1e2" % are three amounts but one value: the substances, materials
    and usages holding them are the first part's objects, as equality found them before."""
    parts = "".join(
        f'<part id="p{k}"><material name="m" completeness="full"><fraction value="{value}" unit="%"/>'
        f'<substance element="Nd"><fraction value="{value}" unit="%"/></substance></material>'
        f'<use part="z"><quantity value="{value}"/></use></part>'
        for k, value in enumerate(["100", "100.0", "1e2"])
    )
    data = f'<?xml version="1.0"?><bom xmlns="urn:rarebom:bom:1" formatVersion="1.0">{parts}<part id="z"/></bom>'.encode()
    assert _assert_same(data) == [4, 0]
    bom = rarebom.load(io.BytesIO(data), format="rarebom-xml").bom
    first, *others = bom.parts[:3]
    assert all(p.materials is first.materials and p.uses is first.uses for p in others)
    assert first.materials[0].amount.unit == "%" and first.materials[0].amount.value == 1


def test_the_same_words_as_another_kind_of_amount_are_another_amount():
    """The direct path finds an amount by its kind and its attributes as written: "1/2" with
    no unit is half a piece as a quantity and 50 % as a fraction; the attributes in another
    order are the same amount."""
    data = (
        b'<?xml version="1.0"?><bom xmlns="urn:rarebom:bom:1" formatVersion="1.0">'
        b'<part id="a"><material><fraction value="1/2"/></material><use part="z"><quantity value="1/2"/></use></part>'
        b'<part id="b"><material><fraction value="1/2"/></material><use part="z"><quantity value="1/2"/></use>'
        b'<use part="y"><quantity unit="each" value="1/2"/></use><use part="x"><quantity value="1/2" unit="each"/></use></part>'
        b'<part id="x"/><part id="y"/><part id="z"/></bom>'
    )
    assert _assert_same(data) == [5, 0]
    a, b = rarebom.load(io.BytesIO(data), format="rarebom-xml").bom.parts[:2]
    assert a.materials[0].amount.kind is Kind.FRACTION and a.uses[0].quantity.kind is Kind.COUNT
    assert a.materials is b.materials and a.uses[0] is b.uses[0]
    assert b.uses[1].quantity is b.uses[2].quantity and b.uses[1].quantity.unit == "each"
