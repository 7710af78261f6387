"""The Granta BoM reader streams: it never holds more of the document than the part it reads
and the parts around it.

Issue #8 asks for a streaming importer with no full in-memory tree. The reader builds each
``Part`` at its end tag (its components were built before it) and removes it from the tree.
These tests watch the tree while a generated file is read, so they fail if a change makes
the reader keep parts in the tree; and they check that what streaming cannot see at once
(the XPath of a part, numbered ``Part[2]`` only where a sibling of the same name exists
anywhere in its parent) comes out as lxml numbers it with the whole tree in hand.
"""

from __future__ import annotations

import copy
import io

import attrs
import pytest
from lxml import etree

import rarebom
from benchmarks.generate_formats import expected_parts, format_bom, write
from rarebom.formats import _xmlsafe, granta
from rarebom.formats._import import _Paths

NS = "{http://www.grantadesign.com/24/12/BillOfMaterialsEco}"


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[rarebom.Bom, bytes]:
    bom = format_bom(400, seed=3)
    path = tmp_path_factory.mktemp("granta") / "bom.xml"
    write(bom, "granta-bom", path)
    return bom, path.read_bytes()


@attrs.frozen
class _Seen:
    """The tree at the moment the reader builds one part."""

    line: int  # the part's start line: the generated files start each Part on its own line
    ancestors: frozenset[int]  # the start lines of the parts it is in
    parts: frozenset[int]  # the start lines of every Part element in the tree
    elements: int  # every element in the tree


def _watch(monkeypatch) -> list[_Seen]:
    monkeypatch.undo()
    seen: list[_Seen] = []
    part = granta._Reader.part

    def watching(self, element, *args, **kwargs):
        root = element.getroottree().getroot()
        seen.append(
            _Seen(
                element.sourceline,
                frozenset(a.sourceline for a in element.iterancestors(NS + "Part")),
                frozenset(p.sourceline for p in root.iter(NS + "Part")),
                sum(1 for _ in root.iter()),
            )
        )
        return part(self, element, *args, **kwargs)

    monkeypatch.setattr(granta._Reader, "part", watching)
    return seen


def _elements(data: bytes) -> int:
    return data.count(b"<") - data.count(b"</") - data.count(b"<?")


def test_no_part_stays_in_the_tree_once_read(written, monkeypatch):
    bom, data = written
    seen = _watch(monkeypatch)
    result = rarebom.load(io.BytesIO(data), format="granta-bom")
    assert len(result.bom.parts) == expected_parts(bom, "granta-bom")
    assert len(seen) == data.count(b"<Part>") > len(bom.parts)  # every occurrence of a shared sub-assembly is read
    read: set[int] = set()
    for now in seen:
        assert now.line in now.parts
        assert not now.parts & read  # a part read is gone
        # Before this part in the file, only the parts it is in are still there (lxml
        # parses ahead by a buffer, so parts after it may be in the tree already).
        assert {line for line in now.parts if line < now.line} == now.ancestors
        read.add(now.line)


def _copies(data: bytes, copies: int) -> bytes:
    """The file with its top-level parts written ``copies`` times, renumbered so that each copy is new parts."""
    root = etree.fromstring(data)
    components = root.find(NS + "Components")
    tops = list(components)
    for n in range(1, copies):
        for top in tops:
            twin = copy.deepcopy(top)
            for number in twin.iter(NS + "PartNumber"):
                number.text = f"{number.text}-{n}"
            components.append(twin)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def test_the_tree_stays_the_size_of_one_part_and_its_ancestors(written, monkeypatch):
    """Ten times the parts leave the largest tree the same: it follows the parts being read
    and lxml's read buffer, not the file."""
    bom, data = written
    small = _watch(monkeypatch)
    rarebom.load(io.BytesIO(data), format="granta-bom")
    big_data = _copies(data, 10)
    big = _watch(monkeypatch)
    result = rarebom.load(io.BytesIO(big_data), format="granta-bom")
    assert len(result.bom.parts) == 10 * len(bom.parts) + 1  # and the product that holds the copies
    largest_small, largest_big = max(s.elements for s in small), max(s.elements for s in big)
    assert largest_big <= 1.5 * largest_small
    assert largest_big < _elements(big_data) / 50  # the file has about 150,000 elements


# --- what the first pass is for: XPaths numbered as with the whole tree -----------------


def _tricky(data: bytes) -> bytes:
    """``data`` with what numbers XPaths differently: a second list of components in a part
    and in the root, parts in another namespace, a part outside any Components, comments,
    a part with one child (``Part``, not ``Part[1]``), and one with a sibling added at the end."""
    root = etree.fromstring(data)
    parts = list(root.iter(NS + "Part"))
    first, last = parts[1], parts[-1]
    etree.SubElement(first, NS + "Components").append(copy.deepcopy(last))
    alien = etree.SubElement(root.find(NS + "Components"), "{urn:other}Part")
    etree.SubElement(alien, "{urn:other}PartNumber").text = "ALIEN"
    etree.SubElement(parts[2], NS + "Extra").append(copy.deepcopy(last))
    parts[3].insert(0, etree.Comment("a comment"))
    etree.SubElement(root, NS + "Components").append(copy.deepcopy(last))
    lonely = copy.deepcopy(last)
    lonely.find(NS + "PartNumber").text = "LONELY"
    etree.SubElement(etree.SubElement(parts[4], NS + "Components"), NS + "Part").append(lonely)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _where_lxml_puts(data: bytes) -> set[tuple[int, str]]:
    """(line, XPath) of every element, numbered with the whole tree in hand."""
    root = etree.parse(io.BytesIO(data), _xmlsafe.safe_parser()).getroot()
    paths = _Paths()
    return {(element.sourceline, paths.path(element)) for element in root.iter() if isinstance(element.tag, str)}


def every_location(result) -> list:
    """Every location a load gives with an XPath: each part's, material's and substance's
    provenance, and each finding's."""
    bom = result.bom
    located = [p.provenance for p in bom.parts]
    located += [m.provenance for p in bom.parts for m in p.materials]
    located += [s.provenance for p in bom.parts for m in p.materials for s in m.substances]
    located += [f.location for f in result.findings if f.location is not None and f.location.pointer is not None]
    return located


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_location_is_where_the_whole_tree_puts_it(seed, tmp_path):
    path = tmp_path / "bom.xml"
    write(format_bom(60, seed=seed), "granta-bom", path)
    data = _tricky(path.read_bytes())
    places = _where_lxml_puts(data)
    result = rarebom.load(io.BytesIO(data), format="granta-bom")
    located = every_location(result)
    assert len(located) > 150
    for location in located:
        assert (location.line, location.pointer) in places
    pointers = {p.provenance.pointer for p in result.bom.parts}
    assert any("/Part[" in p for p in pointers) and any(p.endswith("/Components/Part") for p in pointers)


def test_findings_of_a_part_come_before_its_components(tmp_path):
    """A reader walking down the tree finds a part's Quantity before its components: the order is kept."""
    path = tmp_path / "bom.xml"
    write(format_bom(20, seed=0), "granta-bom", path)
    root = etree.fromstring(path.read_bytes())
    parent = next(p for p in root.iter(NS + "Part") if p.find(NS + "Components") is not None)
    parent.find(NS + "Quantity").text = "abc"
    child = parent.find(f"{NS}Components/{NS}Part")
    child.find(NS + "Quantity").text = "xyz"
    with pytest.raises(rarebom.InvalidBomError) as caught:
        rarebom.load(io.BytesIO(etree.tostring(root, xml_declaration=True, encoding="UTF-8")), format="granta-bom")
    numbers = [f for f in caught.value.findings if f.code == "invalid-number"]
    assert [f.location.line for f in numbers] == [parent.find(NS + "Quantity").sourceline, child.find(NS + "Quantity").sourceline]
