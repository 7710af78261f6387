"""The IEC 62474 reader streams: it never holds more of the document than the part it reads
and the parts around it.

Issue #8 asks for a streaming importer with no full in-memory tree. The reader builds each
``ProductPart`` (and then each ``Product``) at its end tag, its sub-parts built before it,
and removes it from the tree. These tests watch the tree while a generated file is read, so
they fail if a change makes the reader keep parts in the tree; and they check what streaming
cannot see at once: the XPath of a part (``ProductPart[2]`` only where a sibling of that name
exists anywhere in its parent), the order of findings (a part's own before its sub-parts'),
and the ``Compliance`` check of a product, which looks at every substance of a composition
whose parts were read and removed before the product ends.
"""

from __future__ import annotations

import copy
import io

import attrs
import pytest
from lxml import etree

import rarebom
from benchmarks.generate_formats import expected_parts, format_bom, write
from rarebom.formats import _xmlsafe, granta, iec62474
from rarebom.formats._import import _Paths

from .conftest import SAMPLES
from .test_granta_streaming import _elements, _where_lxml_puts, every_location

NS = "{http://std.iec.ch/iec62474}"
PARTS = (NS + "Product", NS + "ProductPart")


def _generated(parts: int, seed: int, tmp_path) -> bytes:
    path = tmp_path / f"iec-{parts}-{seed}.xml"
    write(format_bom(parts, seed=seed), "iec-62474", path)
    return path.read_bytes()


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[rarebom.Bom, bytes]:
    bom = format_bom(400, seed=3)
    path = tmp_path_factory.mktemp("iec") / "bom.xml"
    write(bom, "iec-62474", path)
    return bom, path.read_bytes()


@attrs.frozen
class _Seen:
    """The tree at the moment the reader builds one part."""

    line: int  # the part's start line: the generated files start each part on its own line
    ancestors: frozenset[int]  # the start lines of the parts it is in
    parts: frozenset[int]  # the start lines of every Product and ProductPart in the tree
    elements: int  # every element in the tree


def _snapshot(element: etree._Element) -> _Seen:
    root = element.getroottree().getroot()
    return _Seen(
        element.sourceline,
        frozenset(a.sourceline for a in element.iterancestors(*PARTS)),
        frozenset(p.sourceline for p in root.iter(*PARTS)),
        sum(1 for _ in root.iter()),
    )


def _watch(monkeypatch) -> list[_Seen]:
    monkeypatch.undo()
    seen: list[_Seen] = []
    product_part, product = iec62474._Reader.product_part, iec62474._Reader._product

    def watching_part(self, element, *args):
        seen.append(_snapshot(element))
        return product_part(self, element, *args)

    def watching_product(self, element, *args):
        seen.append(_snapshot(element))
        return product(self, element, *args)

    monkeypatch.setattr(iec62474._Reader, "product_part", watching_part)
    monkeypatch.setattr(iec62474._Reader, "_product", watching_product)
    return seen


def test_no_part_stays_in_the_tree_once_read(written, monkeypatch):
    bom, data = written
    seen = _watch(monkeypatch)
    result = rarebom.load(io.BytesIO(data), format="iec-62474")
    assert len(result.bom.parts) == expected_parts(bom, "iec-62474")
    # every occurrence of a shared sub-assembly is read, and every product
    assert len(seen) == data.count(b"<ProductPart ") + data.count(b"<Product ") > len(bom.parts)
    assert_each_part_gone_once_read(seen)


def assert_each_part_gone_once_read(seen) -> None:
    """What the tree held at each part's end tag (the snapshots of ``_watch``): the part
    itself, none read before it, and before it in the file only the parts it is in."""
    read: set[int] = set()
    for now in seen:
        assert now.line in now.parts
        assert not now.parts & read  # a part read is gone
        # Before this part in the file, only the parts it is in are still there (lxml
        # parses ahead by a buffer, so parts after it may be in the tree already).
        assert {line for line in now.parts if line < now.line} == now.ancestors
        read.add(now.line)


def _copies(data: bytes, copies: int) -> bytes:
    """The file with its products written ``copies`` times, renumbered so that each copy is new parts."""
    root = etree.fromstring(data)
    products = root.findall(NS + "Product")
    for n in range(1, copies):
        for product in products:
            twin = copy.deepcopy(product)
            for product_id in twin.iter(NS + "ProductID"):
                product_id.set("identifier", f"{product_id.get('identifier')}-{n}")
            root.append(twin)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def test_the_tree_stays_the_size_of_one_part_and_its_ancestors(written, monkeypatch):
    """Ten times the parts leave the largest tree about the same: it follows the product
    being read and lxml's read buffer, not the file."""
    bom, data = written
    small = _watch(monkeypatch)
    rarebom.load(io.BytesIO(data), format="iec-62474")
    big_data = _copies(data, 10)
    big = _watch(monkeypatch)
    result = rarebom.load(io.BytesIO(big_data), format="iec-62474")
    assert len(result.bom.parts) == 10 * len(bom.parts)
    largest_small, largest_big = max(s.elements for s in small), max(s.elements for s in big)
    assert largest_big <= 1.5 * largest_small
    assert largest_big < _elements(big_data) / 50  # the file has about 200,000 elements


# --- what the first pass is for: XPaths numbered as with the whole tree -----------------


def _tricky(data: bytes) -> bytes:
    """``data`` with what numbers XPaths differently: a second Composition in a product (not
    read), a part in another namespace (read: elements are read by local name), a part inside a material (not read), a part directly in a
    product (not read), comments, a part that is an only child (``ProductPart``, not
    ``ProductPart[1]``), a part with a sibling added at the end, substances on a part beside
    its materials, and Compliance statements, one kept by its XPath for want of an id."""
    root = etree.fromstring(data)
    product = root.find(NS + "Product")
    parts = list(root.iter(NS + "ProductPart"))
    first, last = parts[1], parts[-1]
    etree.SubElement(product, NS + "Composition").append(copy.deepcopy(last))
    product.insert(1, copy.deepcopy(last))
    alien = etree.SubElement(first.getparent(), "{urn:other}ProductPart", numberOfUnits="1")
    etree.SubElement(alien, "{urn:other}ProductID", identifier="ALIEN")
    material = parts[2].find(NS + "Material")
    material.append(copy.deepcopy(last))
    material.addprevious(etree.Comment("a comment"))
    parts[3].append(copy.deepcopy(material.find(NS + "Substance")))
    parts[3].append(copy.deepcopy(last))
    lonely = copy.deepcopy(last)
    lonely.find(NS + "ProductID").set("identifier", "LONELY")
    next(p for p in parts[4:] if p.find(NS + "ProductPart") is None).append(lonely)
    twin = copy.deepcopy(first)
    twin.find(NS + "ProductID").set("name", "a twin that differs")  # the same part number for a part that differs
    first.getparent().append(twin)
    compliance = etree.SubElement(product, NS + "Compliance")
    statement = etree.SubElement(compliance, NS + "DsDsg", name="Dysprosium")
    etree.SubElement(statement, NS + "ComplianceThreshold", aboveComplianceThreshold="true")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_location_is_where_the_whole_tree_puts_it(seed, tmp_path):
    data = _tricky(_generated(60, seed, tmp_path))
    places = _where_lxml_puts(data)
    result = rarebom.load(io.BytesIO(data), format="iec-62474")
    located = every_location(result)
    assert len(located) > 150
    for location in located:
        assert (location.line, location.pointer) in places
    assert {"repeated-part-number", "substances-beside-materials"} <= {f.code for f in result.findings}
    pointers = {p.provenance.pointer for p in result.bom.parts}
    assert any("/ProductPart[" in p for p in pointers)
    assert next(p.provenance.pointer for p in result.bom.parts if p.id == "LONELY").endswith("/ProductPart")
    assert not any("/Material" in p.provenance.pointer or "Composition[2]" in p.provenance.pointer for p in result.bom.parts)
    assert "ALIEN" in {p.id for p in result.bom.parts}  # elements are read by local name, in any namespace
    # a statement with no id is kept under its XPath
    keys = [key for p in result.bom.parts for key, _ in p.attributes if key.startswith("compliance:unnamed-list:")]
    assert len(keys) == 1 and (keys[0].rpartition(":")[2] in {pointer for _, pointer in places})


# --- what a product reads from far below it ---------------------------------------------

_ND = '<Substance name="{}"><SubstanceID><EntryID entryIdentity="{}"/></SubstanceID><MassPercent massPercent="10"/></Substance>'
_COMPLIANCE = '<Compliance><DsDsg name="Neodymium"><ComplianceThreshold aboveComplianceThreshold="true"/></DsDsg></Compliance>'


def _part(pid: str, inner: str) -> str:
    return f'<ProductPart numberOfUnits="2"><ProductID identifier="{pid}"/><Material name="m"><Mass mass="1" unitOfMeasure="g"/>{inner}</Material></ProductPart>'


def _product(composition: str, *, compliance_first: bool) -> bytes:
    body = f"<Composition>{composition}</Composition>"
    body = _COMPLIANCE + body if compliance_first else body + _COMPLIANCE
    return f'<Main xmlns="http://std.iec.ch/iec62474"><Product unitType="each"><ProductID identifier="P"/>{body}</Product></Main>'.encode()


@pytest.mark.parametrize("compliance_first", [True, False])
@pytest.mark.parametrize(
    ("composition", "warned"),
    [
        (_part("A", _part("B", _ND.format("Thing", "7440-00-8"))), False),  # neodymium by CAS, two parts down
        (_part("A", _ND.format("Tin", "7440-31-5")) + _part("B", _ND.format("Neodymium oxide", "x")), False),  # by name, in the last part
        (_part("A", _part("B", _ND.format("Tin", "7440-31-5"))), True),
        (_part("A", _ND.format("Tin", "7440-31-5")) + _ND.format("Thing", "7440-00-8"), False),  # on the composition itself
    ],
)
def test_a_rare_earth_in_a_part_already_read_silences_the_compliance_warning(composition, warned, compliance_first):
    """The product ends after its parts were read and removed; a rare earth seen in them still counts."""
    result = rarebom.load(io.BytesIO(_product(composition, compliance_first=compliance_first)), format="iec-62474")
    assert ("rare-earth-only-in-compliance" in [f.code for f in result.findings]) is warned


def test_findings_of_a_part_come_before_its_sub_parts(tmp_path):
    """A reader walking down the tree finds a part's ProductID mass before its sub-parts: the order is kept,
    and the numberOfUnits of a part comes after its sub-parts'."""
    root = etree.fromstring(_generated(60, 0, tmp_path))
    parent = next(p for p in root.iter(NS + "ProductPart") if p.find(NS + "ProductPart") is not None)
    child = parent.find(NS + "ProductPart")
    for part, mass, units in ((parent, "abc", "one"), (child, "xyz", "two")):
        product_id = part.find(NS + "ProductID")
        product_id.set("identifier", f"{product_id.get('identifier')}-{units}")
        written = product_id.find(NS + "Mass")
        if written is None:
            written = etree.SubElement(product_id, NS + "Mass", unitOfMeasure="g")
        written.set("mass", mass)
        part.set("numberOfUnits", units)
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    with pytest.raises(rarebom.InvalidBomError) as caught:
        rarebom.load(io.BytesIO(data), format="iec-62474")
    numbers = [f.location.line for f in caught.value.findings if f.code == "invalid-number"]
    root = etree.fromstring(data)
    parent, child = (next(p for p in root.iter(NS + "ProductPart") if p.find(NS + "ProductID").get("identifier").endswith(units)) for units in ("-one", "-two"))
    assert numbers == [parent.find(f"{NS}ProductID/{NS}Mass").sourceline, child.find(f"{NS}ProductID/{NS}Mass").sourceline, child.sourceline, parent.sourceline]


# --- refusals come as the whole-tree parse gave them ------------------------------------


# Both streaming declaration readers (the Granta one too), and where to nest elements too deep.
_REFUSALS = {"granta-bom": b"<PartNumber>", "iec-62474": b"<ProductID"}


def _small(form: str, tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp(form) / "small.xml"
    write(format_bom(30, seed=1), form, path)
    return path.read_bytes()


@pytest.fixture(scope="module", params=sorted(_REFUSALS))
def small(request, tmp_path_factory) -> tuple[str, bytes]:
    return request.param, _small(request.param, tmp_path_factory)


@pytest.fixture(scope="module")
def small_iec(tmp_path_factory) -> bytes:
    return _small("iec-62474", tmp_path_factory)


@pytest.mark.parametrize("cut", [0, 60, 700, -3])
def test_a_broken_file_gives_the_whole_tree_parse_error(small, cut):
    """libxml2 words some errors differently when fed a stream; the reader gives the whole-tree parse's words."""
    form, data = small
    data = data[:cut] if cut else b""
    with pytest.raises(etree.XMLSyntaxError) as parsed:
        _xmlsafe.parse(io.BytesIO(data), None)
    with pytest.raises(rarebom.InvalidBomError) as loaded:
        rarebom.load(io.BytesIO(data), format=form)
    (finding,) = loaded.value.findings
    assert (finding.code, finding.message, finding.location.line) == ("xml-syntax", f"XML syntax: {parsed.value.msg}", parsed.value.lineno)


def test_a_syntax_error_comes_before_the_depth_limit(small):
    """The whole file is checked before any part is read: a file too deep early and broken
    later is a syntax error, as with the whole-tree parse, and too deep alone is the limit."""
    form, data = small
    marker = _REFUSALS[form]
    deep = data.replace(marker, b"<x>" * 12 + b"</x>" * 12 + marker, 1)
    with pytest.raises(rarebom.InvalidBomError) as caught:
        rarebom.load(io.BytesIO(deep[:-30]), format=form, limits=rarebom.Limits(max_depth=10))
    assert [f.code for f in caught.value.findings] == ["xml-syntax"]
    with pytest.raises(rarebom.InvalidBomError) as caught:
        rarebom.load(io.BytesIO(deep), format=form, limits=rarebom.Limits(max_depth=10))
    (finding,) = caught.value.findings
    assert finding.code == "limit-exceeded"
    assert finding.location.line == deep[: deep.index(b"<x>")].count(b"\n") + 1  # the first element too deep


@pytest.mark.parametrize("max_parts", [1, 5, 12])
def test_the_part_limit_stops_at_the_part_past_it_in_the_order_parts_end(small_iec, max_parts):
    """``max_parts`` refuses the first part past the limit, as the whole-tree reader did: parts
    are added children first, so in the order their end tags come (a repeat of a part is not a new part)."""
    small = small_iec
    new, ids = [], set()
    for _, part in etree.iterparse(io.BytesIO(small), tag=PARTS):
        identifier = part.find(NS + "ProductID").get("identifier")
        if identifier not in ids:
            ids.add(identifier)
            new.append(part)
    past = new[max_parts]
    with pytest.raises(rarebom.InvalidBomError) as caught:
        rarebom.load(io.BytesIO(small), format="iec-62474", limits=rarebom.Limits(max_parts=max_parts))
    (finding,) = caught.value.findings
    assert finding.code == "limit-exceeded"
    assert (finding.location.line, finding.location.pointer) == (past.sourceline, _Paths().path(past))


def test_the_stream_is_read_from_where_it_stands(small):
    """Both passes start where the stream was handed over, not at its beginning."""
    form, data = small
    read = {"granta-bom": granta.read, "iec-62474": iec62474.read}[form]
    stream = io.BytesIO(b"junk before" + data)
    stream.seek(len(b"junk before"))
    assert read(stream, None)[0] == read(io.BytesIO(data), None)[0]


def test_real_files_locate_everything_where_the_whole_tree_puts_it():
    """The ten chemSHERPA files: every part, material, substance and finding is where lxml's whole tree puts it."""
    paths = sorted(SAMPLES.glob("iec62474_*.xml"))
    if not paths:
        pytest.skip(f"real samples not found at {SAMPLES}")
    checked = 0
    for path in paths:
        data = path.read_bytes()
        places = _where_lxml_puts(data)
        result = rarebom.load(io.BytesIO(data), format="iec-62474")
        located = every_location(result)
        for location in located:
            assert (location.line, location.pointer) in places, (path.name, location)
        checked += len(located)
    assert checked > 200
