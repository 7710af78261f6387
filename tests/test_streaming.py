"""The rarebom XML reader streams: it never holds more of the document than one part.

Issue #8 asks for a streaming importer with no full in-memory tree. The reader takes each
``<part>`` as it ends, validates it, builds the model part and removes the element from
the tree. These tests watch the tree while a file is read, so they fail if a change makes
the reader keep parts (or their descendants) in the tree.
"""

from __future__ import annotations

import io

import attrs
import pytest

import rarebom
from benchmarks.generate import synthetic_bom, write_xml
from rarebom.formats import native_xml


@pytest.fixture(scope="module")
def written() -> tuple[rarebom.Bom, bytes]:
    bom = synthetic_bom(3000, seed=5)
    stream = io.BytesIO()
    write_xml(bom, stream)
    return bom, stream.getvalue()


def _watch(monkeypatch) -> list[tuple[int, int, frozenset[str]]]:
    """For each part the reader builds: the elements in the whole tree, the root's children,
    and the ids of the parts the root holds at that moment."""
    monkeypatch.undo()
    seen: list[tuple[int, int, frozenset[str]]] = []
    read_part = native_xml._read_part

    def watching(element, *args, **kwargs):
        root = element.getparent()
        held = frozenset(child.get("id") for child in root if child.get("id") is not None)
        seen.append((sum(1 for _ in root.iter()), len(root), held))
        return read_part(element, *args, **kwargs)

    monkeypatch.setattr(native_xml, "_read_part", watching)
    return seen


def _elements(data: bytes) -> int:
    return data.count(b"<") - data.count(b"</") - data.count(b"<?")


def test_no_part_stays_in_the_tree_once_read(written, monkeypatch):
    bom, data = written
    seen = _watch(monkeypatch)
    result = rarebom.load(io.BytesIO(data), format="rarebom-xml")
    assert result.bom == bom  # the whole BOM was read
    assert len(seen) == len(bom.parts)
    read: set[str] = set()
    for (_, _, held), part in zip(seen, bom.parts, strict=True):
        # lxml parses ahead by a buffer, so later parts may be in the tree already; a part
        # that was read never is.
        assert part.id in held
        assert not held & read
        read.add(part.id)


def test_the_tree_stays_the_size_of_the_parse_buffer(written, monkeypatch):
    """Ten times the parts leave the largest tree about the same: it follows lxml's read
    buffer, not the file."""
    bom, data = written
    small = _watch(monkeypatch)
    rarebom.load(io.BytesIO(data), format="rarebom-xml")
    parts = [
        attrs.evolve(p, id=f"{p.id}-{copy}", uses=tuple(attrs.evolve(u, child=f"{u.child}-{copy}", alternates=tuple(f"{a}-{copy}" for a in u.alternates)) for u in p.uses))
        for copy in range(10)
        for p in bom.parts
    ]
    stream = io.BytesIO()
    write_xml(bom.evolve(parts=parts), stream)
    big_data = stream.getvalue()
    big = _watch(monkeypatch)
    result = rarebom.load(io.BytesIO(big_data), format="rarebom-xml")
    assert len(result.bom.parts) == 10 * len(bom.parts)
    largest_small, largest_big = max(e for e, _, _ in small), max(e for e, _, _ in big)
    assert largest_big <= 1.5 * largest_small
    assert largest_big < _elements(big_data) / 100  # the file has about 300,000 elements
