"""A part's location from the XML reader keeps the part's id, not its pointer's text.

``errors.part_location`` makes the :class:`Location` of a ``<part>`` whose pointer
(``part[@id='P1']``) is written when read. It must be a Location in every way that can be
seen: equal to, hashing and printing as the plain Location of the same fields, and a plain
one when copied, pickled or evolved. The reader must use it, with the id string the part
itself holds.
"""

from __future__ import annotations

import copy
import operator
import pickle
import sys

import attrs
from hypothesis import given
from hypothesis import strategies as st

import rarebom
from rarebom.errors import Finding, Location, Severity, part_location

from .conftest import EXAMPLES

files = st.none() | st.text(max_size=20)
lines = st.none() | st.integers(1, 10**9)
ids = st.text(min_size=1, max_size=20)  # quotes and backslashes included: repr() escapes them


@given(files, lines, ids)
def test_a_part_location_is_the_plain_location(file, line, part_id):
    made = part_location(file, line, part_id)
    plain = Location(file, line, f"part[@id={part_id!r}]")
    assert isinstance(made, Location)
    assert (made.file, made.line, made.pointer) == (plain.file, plain.line, plain.pointer)
    assert made == plain and plain == made
    assert operator.ne(made, plain) is False and operator.ne(plain, made) is False
    assert hash(made) == hash(plain) and {plain: 1}[made] == 1 and {made: 2}[plain] == 2
    assert str(made) == str(plain) and repr(made) == repr(plain)
    assert made.at(line=7) == plain.at(line=7) and type(made.at(line=7)) is Location
    assert attrs.asdict(made) == attrs.asdict(plain)
    for other in (copy.copy(made), copy.deepcopy(made), pickle.loads(pickle.dumps(made)), attrs.evolve(made)):
        assert type(other) is Location and other == plain
    moved = attrs.evolve(made, line=3)
    assert type(moved) is Location and moved == Location(file, 3, plain.pointer)
    # a finding that holds one compares and pickles as with the plain one
    finding = Finding(Severity.WARNING, "x", "m", made)
    assert finding == Finding(Severity.WARNING, "x", "m", plain)
    assert pickle.loads(pickle.dumps(finding)) == finding


@given(files, lines, ids, ids)
def test_part_locations_differ_where_their_fields_do(file, line, part_id, other_id):
    made = part_location(file, line, part_id)
    assert (made == part_location(file, line, other_id)) == (part_id == other_id)
    assert (made == Location(file, line, f"part[@id={other_id!r}]")) == (part_id == other_id)
    assert made != Location(file, None if line else 1, made.pointer)
    assert made != (file, line, made.pointer)


def test_the_reader_keeps_the_parts_id_not_a_pointer():
    """Every part read by the direct path has such a location, holding the very string of
    its id: no string of its own. (tests/test_load_direct.py checks the locations equal
    those of the usual path, which writes the pointers.)"""
    path = str(EXAMPLES / "ev-traction-motor.xml")
    bom = rarebom.load(path).bom
    slot = Location.__dict__["pointer"]
    for part in bom.parts:
        assert part.location == Location(path, part.location.line, f"part[@id={part.id!r}]")
        assert slot.__get__(part.location) is part.id
    # what it saves: the pointer's text, a string per part
    assert sys.getsizeof(bom.parts[0].location.pointer) > 50
