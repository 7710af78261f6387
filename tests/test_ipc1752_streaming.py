"""The IPC-1752 reader streams, and reads every file as the whole-tree reader does.

Issue #8 asks for a streaming importer with no full in-memory tree. The reader builds each
``Product`` and ``SubProduct`` at its end tag, its sub-products built before it, and removes
it from the tree. What IPC-1752 needs from further away is noted by a first pass: the
document's classes (its ``Include`` may follow the products), the sibling counts that
number XPaths, and whether every part gives its ``ProductID`` and ``Include`` before its
first ``SubProduct``, where the streaming reader reads its class, unit and mass (a
sub-product's mass may be a share of its parent's). A file in another order is read whole by
``_Declaration``, the reader as it was, which stays the reference.

These tests compare the two readers (the same Bom, the same findings with their lines and
XPaths in the same order, the same errors) on the fixtures, generated files, files in
unusual orders, randomly mutated files, truncations and limits; and they watch the tree
while a generated file is read, so they fail if a change makes the reader keep parts in it.
"""

from __future__ import annotations

import copy
import io
import random

import attrs
import pytest
from lxml import etree

import rarebom
from benchmarks.generate_formats import expected_parts, format_bom, write
from rarebom.errors import RarebomError
from rarebom.formats import _xmlsafe, ipc1752
from rarebom.limits import DEFAULT_LIMITS, Limits, applied

from .test_declaration_streaming import assert_each_part_gone_once_read
from .test_granta_streaming import _elements
from .test_import_ipc1752 import DATA

NS = "{https://webstds.ipc.org/175x/1752B/1752B}"
PARTS = (NS + "Product", NS + "SubProduct")
FIXTURES = sorted(DATA.glob("*.xml"))


def _whole(stream, file):
    """The reader as it was: the whole tree, read by ``_Declaration``."""
    declaration = ipc1752._Declaration(file, _xmlsafe.parse(stream, file))
    bom = declaration.read()
    return (None if declaration.imp.failed else bom), declaration.imp.findings


def _outcome(read, data: bytes, limits: Limits = DEFAULT_LIMITS):
    """Everything a read gives: the Bom and every finding (with its location), or the error."""
    try:
        with applied(limits):
            bom, findings = read(io.BytesIO(data), "decl.xml")
    except (RarebomError, etree.XMLSyntaxError) as exc:
        return type(exc).__name__, str(exc), getattr(exc, "location", None), getattr(exc, "lineno", None)
    return bom, repr(bom), [(f.severity, f.code, f.message, f.location, f.parts) for f in findings]


def _streams(data: bytes) -> bool:
    return ipc1752._look_ahead(io.BytesIO(data), None).streamable


def _same(data: bytes, limits: Limits = DEFAULT_LIMITS):
    """Assert both readers give the same; return what they gave."""
    streamed, whole = _outcome(ipc1752.read, data, limits), _outcome(_whole, data, limits)
    assert streamed == whole
    return streamed


def _generated(parts: int, seed: int, tmp_path) -> bytes:
    path = tmp_path / f"ipc-{parts}-{seed}.xml"
    write(format_bom(parts, seed=seed), "ipc-1752", path)
    return path.read_bytes()


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --- the same result as the whole tree ---------------------------------------------------


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_every_fixture_reads_as_with_the_whole_tree(path):
    data = path.read_bytes()
    assert _streams(data)
    bom, _, findings = _same(data)
    assert findings or bom.parts


@pytest.mark.parametrize(("parts", "seed"), [(20, 0), (60, 1), (150, 2), (300, 5)])
def test_generated_files_read_as_with_the_whole_tree(parts, seed, tmp_path):
    data = _generated(parts, seed, tmp_path)
    assert _streams(data)
    bom, _, _ = _same(data)
    assert len(bom.parts) == parts


_D = '<Include><Sectional name="MaterialInfo"><SubSectional name="D"/></Sectional></Include>'
_C = '<Include><Sectional name="MaterialInfo"><SubSectional name="C"/></Sectional></Include>'


def _declaration(body: str, *, head: str = _D, tail: str = "") -> bytes:
    """A 1752B declaration with an IPC-1752B wrapper holding ``head``, the products ``body`` and ``tail``."""
    ns = NS[1:-1]
    return f'<?xml version="1.0"?>\n<MainDeclaration xmlns="{ns}" version="2.0">\n<IPC-1752B>\n{head}\n{body}\n{tail}\n</IPC-1752B>\n</MainDeclaration>\n'.encode()


_HM = (
    '<MaterialInfo><HomogeneousMaterialList><HomogeneousMaterial name="{name}"><Amount value="{share}" UOM="%"/>'
    '<SubstanceCategoryList><SubstanceCategory name="S"><Substance name="Neodymium"><SubstanceID identity="7440-00-8" authority="CAS"/>'
    '<Concentration value="{nd}"/></Substance></SubstanceCategory></SubstanceCategoryList></HomogeneousMaterial></HomogeneousMaterialList></MaterialInfo>'
)
_STATEMENT = (
    '<MaterialInfo><SubstanceCategoryList><SubstanceCategoryListID identity="EU RoHS"/><SubstanceCategory name="Lead">'
    '<Threshold overThreshold="false" threshold="0.1"/></SubstanceCategory></SubstanceCategoryList></MaterialInfo>'
)


def _id(number: str | None, amount: str | None = None, uom: str = "g", **attributes: str) -> str:
    written = "".join(f' {key}="{value}"' for key, value in attributes.items()) + (f' itemNumber="{number}"' if number else "")
    return f"<ProductID{written}>" + (f'<Amount value="{amount}" UOM="{uom}"/>' if amount else "") + "</ProductID>"


def _sub(inner: str, instances: str | None = "2") -> str:
    return "<SubProduct" + (f' numberOfInstances="{instances}"' if instances is not None else "") + f">{inner}</SubProduct>"


#: Far more than lxml parses ahead of the event it hands over: what follows it is not yet in the tree.
_PAD = "<!--" + " " * 100_000 + "-->"
_NAMED = '<ProductID itemName="named"/>'
_MAGNET = _sub(_id("MAG", "10", "%") + _HM.format(name="NdFeB", share="100", nd="30"), "4")
_CORE = _sub(_id("CORE", "50", "%") + _D + _MAGNET + _HM.format(name="steel", share="60", nd="0"), "1")

#: Files in orders and shapes that streaming must get right, or must leave to the whole tree.
#: The value says whether the streaming reader reads it (True) or hands it to the whole tree.
UNUSUAL = {
    "sub-product masses relative to the parent, two levels": (_declaration(f'<Product unitType="Each">{_id("ROT", "1", "kg")}{_CORE}</Product>'), True),
    "relative mass of a top product": (_declaration(f"<Product>{_id('ROT', '50', '%')}{_MAGNET}</Product>"), True),
    "relative mass under a parent of unknown mass": (_declaration(f"<Product>{_id('ROT')}{_CORE}</Product>"), True),
    "several ProductIDs, on a product and a sub-product": (
        _declaration(f"<Product>{_id('A', '5')}{_id('B', '6', version='2')}{_sub(_id('S1', '1') + _id('S2', '2') + _HM.format(name='m', share='100', nd='5'))}</Product>"),
        True,
    ),
    "document Include after the products": (_declaration(f"<Product>{_id('P', '3')}{_MAGNET}</Product>", head="", tail=_C + _D), True),
    "no class anywhere": (_declaration(f"<Product>{_id('P', '3')}{_MAGNET}</Product><Product>{_id('Q')}</Product>", head=""), True),
    "class C statements and a class D+C sub-product": (
        _declaration(f"<Product>{_id('P', '3')}{_C}{_sub(_id('S', '1') + _C + _D + _HM.format(name='m', share='100', nd='5'))}{_STATEMENT}</Product>"),
        True,
    ),
    "unnamed products, children first": (
        _declaration(f"<Product>{_id(None, '3')}{_sub(_id(None, '1'))}{_sub(_NAMED)}{_sub('')}</Product><Product/>"),
        True,
    ),
    "repeated part numbers that differ": (_declaration(f"<Product>{_id('P', '3')}{_sub(_id('X', '1'))}{_sub(_id('X', '2'))}{_sub(_id('X', '1'))}</Product>"), True),
    "bad unitType, numberOfInstances and masses": (
        _declaration(f'<Product unitType="bogus">{_id("P", "abc")}{_sub(_id("S", "-1"), "x")}{_sub(_id("T", "0"), "0")}{_sub(_id("U", "2", "xyzzy"))}</Product>'),
        True,
    ),
    "parts the reader does not read": (
        _declaration(f"<Product>{_id('P', '3')}<Product>{_id('INNER')}</Product>{_MAGNET}<MaterialInfo>{_MAGNET}</MaterialInfo></Product>", tail=_MAGNET),
        True,
    ),
    "a comment and a sub-product with one ProductID before another": (_declaration(f"<Product><!-- c -->{_id('P', '3')}<!-- d -->{_MAGNET}<!-- e --></Product>"), True),
    "no namespace": (f'<MainDeclaration version="2.0">{_D}<Product>{_id("P", "3")}{_MAGNET}{_MAGNET}</Product></MainDeclaration>'.encode(), True),
    "products in the root, beside a wrapper": (
        f'<MainDeclaration xmlns="{NS[1:-1]}"><IPC-1752B>{_D}</IPC-1752B><Product>{_id("P", "3")}{_MAGNET}</Product><Product>{_id("Q")}</Product></MainDeclaration>'.encode(),
        True,
    ),
    "no product": (_declaration("<BusinessInfo/>"), True),
    "a root that is not MainDeclaration": (f"<Other>{_D}<Product>{_id('P', '3')}</Product></Other>".encode(), True),
    "Include after a SubProduct": (_declaration(f"<Product>{_id('P', '3')}{_MAGNET}{_PAD}{_C}</Product>"), False),
    "ProductID after a SubProduct": (_declaration(f"<Product>{_id('P', '3')}{_MAGNET}{_PAD}{_id('P2', '4')}</Product>"), False),
    "a sub-product's ProductID after its SubProduct, relative masses": (
        _declaration(f"<Product>{_id('ROT', '1', 'kg')}{_sub(_MAGNET + _PAD + _id('CORE', '50', '%'))}</Product>"),
        False,
    ),
    "products in the root and in the wrapper": (
        f'<MainDeclaration xmlns="{NS[1:-1]}"><IPC-1752B>{_D}<Product>{_id("W")}</Product></IPC-1752B><Product>{_id("R")}</Product></MainDeclaration>'.encode(),
        False,
    ),
    "two wrappers": (
        f'<MainDeclaration xmlns="{NS[1:-1]}"><IPC-1752B>{_D}<Product>{_id("W")}</Product></IPC-1752B><IPC-1752B>{_C}</IPC-1752B></MainDeclaration>'.encode(),
        False,
    ),
}


@pytest.mark.parametrize("name", sorted(UNUSUAL))
def test_files_in_unusual_orders_read_as_with_the_whole_tree(name):
    data, streamed = UNUSUAL[name]
    assert _streams(data) is streamed
    _same(data)


def test_a_sub_product_share_is_of_its_parent_mass_read_before_it():
    """The core's mass is 50 % of the rotor's 1 kg, and the magnet's 10 % of the core's: the
    parent's mass, read at its first SubProduct, is what a share is of."""
    data, _ = UNUSUAL["sub-product masses relative to the parent, two levels"]
    bom, _, findings = _same(data)
    assert (bom.part("CORE").mass.value, bom.part("MAG").mass.value) == (500, 50)
    assert findings == []


def test_the_findings_come_in_the_whole_tree_order():
    """A part's own findings (unit type, mass) before its sub-products', a sub-product's
    numberOfInstances after its own findings, and unnamed parts numbered children first."""
    data, _ = UNUSUAL["bad unitType, numberOfInstances and masses"]
    _, _, findings = _same(data)
    product = "/MainDeclaration/IPC-1752B/Product"
    assert [(code, location.pointer) for _, code, _, location, _ in findings] == [
        ("unknown-unit-type", product),
        ("invalid-number", f"{product}/ProductID/Amount"),
        ("rejected-value", f"{product}/SubProduct[1]/ProductID/Amount"),
        ("invalid-number", f"{product}/SubProduct[1]"),
        ("zero-mass", f"{product}/SubProduct[2]/ProductID/Amount"),
        ("unit", f"{product}/SubProduct[3]/ProductID/Amount"),
    ]
    data, _ = UNUSUAL["unnamed products, children first"]
    _, _, findings = _same(data)
    products, product = product, f"{product}[1]"
    unnamed = [(parts, location.pointer) for _, code, _, location, parts in findings if code == "missing-part-number"]
    assert unnamed == [
        (("unnamed product 1",), f"{product}/SubProduct[1]/ProductID"),
        (("unnamed product 2",), f"{product}/SubProduct[3]"),
        (("unnamed product 3",), f"{products}[1]/ProductID"),
        (("unnamed product 4",), f"{products}[2]"),
    ]


# --- random files --------------------------------------------------------------------------

#: Local names a mutation may give an element.
_NAMES = ("Product", "SubProduct", "ProductID", "Include", "MaterialInfo", "HomogeneousMaterial", "Substance", "Amount", "Concentration", "IPC-1752B", "Sectional", "Other")
#: Values a mutation may give an attribute.
_VALUES = ("", "abc", "-1", "0", "2.5", "50", "100", "1e400", "%", "massPercent", "ppm", "kg", "mg", "furlong", "Each", "D", "C", "P01", "MaterialInfo")


def mutate(data: bytes, rng: random.Random, steps: int) -> bytes:
    """``data`` with ``steps`` random changes: an element dropped, doubled, moved among its
    siblings or renamed, an attribute changed or removed, or a ProductID or Include moved last."""
    root = etree.fromstring(data, _xmlsafe.safe_parser())
    for _ in range(steps):
        elements = list(root.iter(etree.Element))[1:]
        if not elements:
            break
        element = rng.choice(elements)
        parent = element.getparent()
        what = rng.randrange(7)
        if what == 6:  # a ProductID or Include to the end of its part, after its sub-products
            heads = [e for e in elements if etree.QName(e).localname in ("ProductID", "Include")]
            if heads:
                element = rng.choice(heads)
                element.getparent().append(element)
        elif what == 0:
            parent.remove(element)
        elif what == 1:
            element.addnext(copy.deepcopy(element))
        elif what == 2:
            parent.remove(element)
            parent.insert(rng.randrange(len(parent) + 1), element)
        elif what == 3:
            namespace = etree.QName(element).namespace
            local = rng.choice(_NAMES)
            element.tag = f"{{{namespace}}}{local}" if namespace else local
        elif element.attrib and what == 4:
            element.attrib[rng.choice(sorted(element.attrib))] = rng.choice(_VALUES)
        elif element.attrib:
            del element.attrib[rng.choice(sorted(element.attrib))]
    return _xml(root)


@pytest.fixture(scope="module")
def bases(tmp_path_factory) -> list[bytes]:
    tmp = tmp_path_factory.mktemp("ipc")
    return [path.read_bytes() for path in FIXTURES] + [_generated(15, 4, tmp), UNUSUAL["sub-product masses relative to the parent, two levels"][0]]


def test_randomly_changed_files_read_as_with_the_whole_tree(bases):
    rng = random.Random(1752)
    streamed = whole = 0
    for n in range(240):
        data = mutate(rng.choice(bases), rng, 1 + n % 4)
        if n % 2:  # so that what follows a sub-product is not yet parsed when it starts
            data = data.replace(b"</SubProduct>", b"</SubProduct>" + _PAD.encode(), 3)
        if _streams(data):
            streamed += 1
        else:
            whole += 1
        _same(data)
    assert streamed > 150 and whole > 10  # both readers were exercised


# --- refusals and limits ------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> bytes:
    return _generated(30, 1, tmp_path_factory.mktemp("ipc"))


def test_broken_files_give_the_whole_tree_parse_error(small):
    cuts = [0, 1, 40, 60, 200, 700, 1500, len(small) // 2, len(small) - 30, len(small) - 3]
    outcomes = {_same(small[:cut])[0] for cut in cuts}
    assert outcomes == {"XMLSyntaxError"}


def test_a_doctype_and_other_encodings_read_as_with_the_whole_tree(small):
    doctype = small.replace(b"<MainDeclaration", b'<!DOCTYPE MainDeclaration [<!ENTITY e "x">]>\n<MainDeclaration', 1)
    assert _same(doctype)[0] == "UnsafeInputError"
    utf16 = small.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert _streams(utf16)
    assert _same(utf16)[1] == _same(small)[1]
    assert _same(b"\xef\xbb\xbf" + small)[1] == _same(small)[1]


@pytest.mark.parametrize("max_depth", [1, 2, 3, 5, 7, 9, 300])
def test_the_depth_limit_as_with_the_whole_tree(small, max_depth):
    _same(small, Limits(max_depth=max_depth))
    _same(small[:-40], Limits(max_depth=max_depth))  # a syntax error comes before the depth


def test_the_part_limit_stops_at_the_same_part(small):
    outcomes = [_same(small, Limits(max_parts=n)) for n in (1, 2, 3, 5, 8, 13, 21, 29, 30)]
    assert [o[0] for o in outcomes[:-1]] == ["LimitExceededError"] * 8
    assert isinstance(outcomes[-1][0], rarebom.Bom)
    assert len({o[2] for o in outcomes[:-1]}) == 8  # each stopped at a different part


def test_the_stream_is_read_from_where_it_stands(small):
    stream = io.BytesIO(b"junk before" + small)
    stream.seek(len(b"junk before"))
    assert ipc1752.read(stream, None)[0] == ipc1752.read(io.BytesIO(small), None)[0]
    data, _ = UNUSUAL["Include after a SubProduct"]  # and the whole-tree reading of a file in another order
    stream = io.BytesIO(b"junk" + data)
    stream.seek(4)
    assert ipc1752.read(stream, None)[0] == ipc1752.read(io.BytesIO(data), None)[0] is not None


# --- the tree holds no part once built ------------------------------------------------------


@attrs.frozen
class _Seen:
    """The tree at the moment the reader builds one part."""

    line: int  # the part's start line: the generated files start each part on its own line
    ancestors: frozenset[int]  # the start lines of the parts it is in
    parts: frozenset[int]  # the start lines of every Product and SubProduct in the tree
    elements: int  # every element in the tree


def _watch(monkeypatch) -> list[_Seen]:
    monkeypatch.undo()
    seen: list[_Seen] = []
    build = ipc1752._Stream._build

    def watching(self, element, *args):
        root = element.getroottree().getroot()
        seen.append(
            _Seen(
                element.sourceline,
                frozenset(a.sourceline for a in element.iterancestors(*PARTS)),
                frozenset(p.sourceline for p in root.iter(*PARTS)),
                sum(1 for _ in root.iter()),
            )
        )
        return build(self, element, *args)

    monkeypatch.setattr(ipc1752._Stream, "_build", watching)
    return seen


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[rarebom.Bom, bytes]:
    bom = format_bom(400, seed=3)
    path = tmp_path_factory.mktemp("ipc") / "bom.xml"
    write(bom, "ipc-1752", path)
    return bom, path.read_bytes()


def test_no_part_stays_in_the_tree_once_built(written, monkeypatch):
    bom, data = written
    seen = _watch(monkeypatch)
    result = rarebom.load(io.BytesIO(data), format="ipc-1752")
    assert len(result.bom.parts) == expected_parts(bom, "ipc-1752")
    # every occurrence of a shared sub-assembly is built, and every product
    assert len(seen) == data.count(b"<SubProduct ") + data.count(b"<Product ") > len(bom.parts)
    assert_each_part_gone_once_read(seen)


def _copies(data: bytes, copies: int) -> bytes:
    """The file with its products written ``copies`` times, renumbered so that each copy is new parts."""
    root = etree.fromstring(data)
    wrapper = root.find(NS + "IPC-1752B")
    products = wrapper.findall(NS + "Product")
    for n in range(1, copies):
        for product in products:
            twin = copy.deepcopy(product)
            for product_id in twin.iter(NS + "ProductID"):
                product_id.set("itemNumber", f"{product_id.get('itemNumber')}-{n}")
            wrapper.append(twin)
    return _xml(root)


def test_the_tree_stays_the_size_of_one_part_and_its_ancestors(written, monkeypatch):
    """Ten times the parts leave the largest tree about the same: it follows the parts
    being read and lxml's read buffer, not the file."""
    bom, data = written
    small = _watch(monkeypatch)
    rarebom.load(io.BytesIO(data), format="ipc-1752")
    big_data = _copies(data, 10)
    big = _watch(monkeypatch)
    read, findings = ipc1752.read(io.BytesIO(big_data), None)
    assert len(read.parts) == 10 * len(bom.parts) and not findings
    largest_small, largest_big = max(s.elements for s in small), max(s.elements for s in big)
    assert largest_big <= 1.5 * largest_small
    assert largest_big < _elements(big_data) / 50
