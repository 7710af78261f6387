"""The rarebom XML reader's filtered parse gives what the unfiltered one gives.

With the depth limit at libxml2's own ceiling or above (the default), the reader asks
libxml2 for the events of ``<bom>`` and ``<part>`` elements only
(``_xmlsafe.root_and_children``), not for every element's start and end
(``_xmlsafe.iter_root_children``). These tests run both on the same documents and require
the same root, the same parts at the same lines, and the same refusal (too deep, broken XML,
a DOCTYPE) in the same words at the same place; where the filtered parse cannot give that
refusal it must say so (``Restart``), and the reader then reads the file the unfiltered way.
Then whole files are loaded both ways and must give an equal ``Bom``, the same findings and
the same sharing of objects.
"""

from __future__ import annotations

import io
import os
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

import rarebom
from benchmarks.generate import synthetic_bom
from benchmarks.generate import write_xml as write_synthetic_xml
from rarebom.errors import InputError, InvalidBomError, RarebomError
from rarebom.formats import _xmlsafe
from rarebom.limits import Limits, applied
from rarebom.testing import boms

from .conftest import EXAMPLES
from .test_load_cpu import _shape
from .test_load_direct import _BREAKS, _GOOD, _xml
from .test_load_reader_events import REFUSALS

NS = "urn:rarebom:bom:1"
PART = "{" + NS + "}part"
CEILING = _xmlsafe.LIBXML2_MAX_DEPTH

# --- the events ------------------------------------------------------------------------------


def _used(events) -> list:
    """What the reader uses of an event stream: the root's start, and its children's ends
    that are parts (the reader skips the other children)."""
    seen: list = []
    discard = _xmlsafe.Discard()
    try:
        for event, element in events:
            discard.flush()
            if event == "start":
                seen.append(("start", element.tag, element.sourceline, element.get("formatVersion")))
            elif element.tag == PART:
                seen.append(("end", element.sourceline, element.get("id"), len(element), len(element.getparent())))
                discard(element)  # as the reader does
    except _xmlsafe.Restart:
        seen.append("restart")
    except RarebomError as exc:
        seen.append((type(exc).__name__, str(exc), str(exc.location)))
    except etree.XMLSyntaxError as exc:
        seen.append(("XMLSyntaxError", exc.msg, exc.lineno))
    return seen


def _both(data: bytes, max_depth: int) -> tuple[list | None, list]:
    """(the filtered parse's events, or None where it is not taken; the unfiltered parse's)."""
    with applied(Limits(max_depth=max_depth)):
        try:  # it reads the prolog at once, and may refuse the file there
            filtered = _xmlsafe.root_and_children(io.BytesIO(data), "f.xml", "bom", PART)
        except RarebomError as exc:
            got = [(type(exc).__name__, str(exc), str(exc.location))]
        else:
            got = None if filtered is None else _used(filtered)
        return got, _used(_xmlsafe.iter_root_children(io.BytesIO(data), "f.xml"))


def _assert_same_events(data: bytes, max_depth: int) -> list | None:
    got, expected = _both(data, max_depth)
    if got is None:
        return None
    if got[-1:] == ["restart"]:
        # Only where the unfiltered parse refuses with the depth limit's message, at exactly
        # libxml2's ceiling; the reader then reads the file again that way.
        assert max_depth == CEILING and expected[-1][0] == "LimitExceededError", (got, expected)
        return got
    assert got == expected
    return got


def _tree(depth: int):
    tag = st.sampled_from(["part", "e", "bom", "x:part"])
    leaf = st.builds(lambda t, n: f'<{t} id="{n}"/>', tag, st.integers(0, 9))
    if depth <= 1:
        return leaf
    inner = st.builds(lambda t, n, children: f'<{t} id="{n}">' + "\n".join(children) + f"</{t}>", tag, st.integers(0, 9), st.lists(_tree(depth - 1), max_size=3))
    return leaf | inner


_ROOTS = [f'<bom xmlns="{NS}" xmlns:x="urn:x" formatVersion="1.0">', '<bom xmlns="urn:other" xmlns:x="urn:x">', f'<r:bom xmlns:r="{NS}" xmlns="{NS}" xmlns:x="urn:x">']


@settings(max_examples=200)
@given(
    st.lists(_tree(4), max_size=5),
    st.sampled_from(_ROOTS),
    st.sampled_from([CEILING, CEILING + 1, 1000]),
    st.sampled_from(["", "<!-- c -->\n", '<?xml version="1.0"?>\n']),
    st.sampled_from(["", "<e>", "</x>", "<part", "&bad;"]),
)
def test_the_filtered_parse_gives_the_unfiltered_parse_s_parts(children, root, max_depth, prolog, junk):
    """Parts nested in parts or in other elements, parts of another namespace, a nested
    ``<bom>``, a root in another namespace or with a prefix, and broken XML."""
    end = "</r:bom>" if root.startswith("<r:") else "</bom>"
    data = (prolog + root + "\n" + "\n".join(children) + junk + "\n" + end + "\n").encode()
    assert _assert_same_events(data, max_depth) is not None


def _deep(depth: int, *, tail: str = "") -> bytes:
    """A document nested ``depth`` elements deep under its root, with a part before and after."""
    return (f'<bom xmlns="{NS}">\n<part id="a"/>\n' + "<e>\n" * depth + "</e>\n" * depth + f'<part id="b"/>{tail}\n</bom>\n').encode()


@pytest.mark.parametrize("depth", [CEILING - 2, CEILING - 1, CEILING, CEILING + 1, CEILING + 40])
@pytest.mark.parametrize("max_depth", [CEILING, CEILING + 1, 100_000])
def test_too_deep_is_refused_as_the_unfiltered_parse_refuses_it(depth, max_depth):
    got = _assert_same_events(_deep(depth), max_depth)
    if max_depth == CEILING and depth >= CEILING:
        assert got[-1] == "restart"  # the one case the filtered parse hands back
    else:
        assert "restart" not in got


@pytest.mark.parametrize("data", [*REFUSALS, b'<bom xmlns="urn:rarebom:bom:1"><part id="a"/><part id="b">', b"<bom/><bom/>"])
def test_refusals_are_the_unfiltered_parse_s(data):
    for max_depth in (CEILING, 1000):
        _assert_same_events(data, max_depth)


def test_the_filtered_parse_is_not_taken_where_it_cannot_give_the_same_events():
    assert _both(_deep(3), CEILING - 1)[0] is None  # a lower limit: depth must be counted
    assert _both(f'<other xmlns="{NS}"><part id="a"/></other>'.encode(), CEILING)[0] is None  # another root: no start event for it
    assert _both(_deep(3), CEILING)[0] is not None


EXAMPLE_FILES = sorted(EXAMPLES.glob("*.xml"))


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.name for p in EXAMPLE_FILES])
def test_examples_give_the_unfiltered_parse_s_parts(path):
    got = _assert_same_events(path.read_bytes(), CEILING)
    assert len(got) > 3 and "restart" not in got


# --- whole files, loaded both ways -------------------------------------------------------------


def _load(data: bytes, *, filtered: bool, max_depth: int = CEILING) -> tuple[tuple, list[str]]:
    """One load: (outcome, the events functions the reader took, in order)."""
    taken: list[str] = []
    real = {name: getattr(_xmlsafe, name) for name in ("root_and_children", "iter_root_children")}

    def root_and_children(*args, **kwargs):
        events = real["root_and_children"](*args, **kwargs) if filtered else None
        if events is not None:
            taken.append("filtered")
        return events

    def iter_root_children(*args, **kwargs):
        taken.append("unfiltered")
        return real["iter_root_children"](*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_xmlsafe, "root_and_children", root_and_children)
        patch.setattr(_xmlsafe, "iter_root_children", iter_root_children)
        try:
            result = rarebom.load(io.BytesIO(data), format="rarebom-xml", limits=Limits(max_depth=max_depth))
        except InvalidBomError as exc:
            outcome = ("invalid", None, [], [(f.severity, f.code, f.message, f.location) for f in exc.findings], None)
        except InputError as exc:
            outcome = ("raised", type(exc), str(exc), [], None)
        else:
            bom = result.bom
            outcome = ("ok", bom, [p.location for p in bom.parts], [(f.severity, f.code, f.message, f.location) for f in result.findings], _shape(bom.parts))
    return outcome, taken


def _assert_same_load(data: bytes, max_depth: int = CEILING) -> list[str]:
    """Both loads give the same; returns the events functions the filtered load took."""
    got, taken = _load(data, filtered=True, max_depth=max_depth)
    expected, unfiltered = _load(data, filtered=False, max_depth=max_depth)
    assert unfiltered == ["unfiltered"]
    assert got[0] == expected[0]
    assert got[1] == expected[1]  # the Bom (==)
    assert got[2] == expected[2]  # every part's location (or the exception's text)
    assert got[3] == expected[3]  # the findings, in order
    assert got[4] == expected[4]  # the sharing
    return taken


@settings(max_examples=40)
@given(boms())
def test_generated_boms_load_filtered_as_unfiltered(bom):
    assert _assert_same_load(_xml(bom)) == ["filtered"]


def test_a_synthetic_bom_loads_filtered_as_unfiltered():
    stream = io.BytesIO()
    write_synthetic_xml(synthetic_bom(1000, 3), stream)
    assert _assert_same_load(stream.getvalue()) == ["filtered"]


@settings(max_examples=60)
@given(boms(), st.lists(st.sampled_from(_BREAKS), min_size=1, max_size=3), st.integers(1, 3), st.integers(0, 200), st.sampled_from(["", "</part>", "<part>", "<e/>"]))
def test_broken_boms_load_filtered_as_unfiltered(bom, breaks, count, cut, junk):
    """Schema errors, bad values, repeated ids, truncated files and stray markup."""
    text = _xml(bom).decode()
    for pattern, replacement in breaks:
        text = re.sub(pattern, replacement, text, count=count)
    if cut:
        text = text[: max(1, len(text) - cut)] + junk
    assert _assert_same_load(text.encode()) == ["filtered"]


@pytest.mark.parametrize(
    "data",
    [
        _GOOD.encode(),
        _GOOD.replace('<part id="C" uom="m"/>', '<part id="C" uom="m"><part id="Z"/></part>').encode(),  # a part in a part
        _GOOD.replace('<attribute name="x" value="y"/>', '<attribute name="x" value="y"><part id="Z"/></attribute>').encode(),
        _GOOD.replace('formatVersion="1.1"', 'formatVersion="2.0"').encode(),
        _GOOD.replace(NS, "urn:other").encode(),
        _GOOD.replace("<bom ", "<other ").replace("</bom>", "</other>").encode(),
    ],
)
def test_odd_files_load_filtered_as_unfiltered(data):
    _assert_same_load(data)


@pytest.mark.parametrize("max_depth", [CEILING, CEILING + 1])
def test_a_file_too_deep_is_read_again_unfiltered_at_the_ceiling(max_depth):
    data = _deep(CEILING + 5)
    taken = _assert_same_load(data, max_depth)
    assert taken == (["filtered", "unfiltered"] if max_depth == CEILING else ["filtered"])
    outcome, _ = _load(data, filtered=True, max_depth=max_depth)
    assert outcome[0] == "invalid" and outcome[3][0][1] == "limit-exceeded"


@pytest.mark.parametrize("name", ["ev-traction-motor.xml", "ev-traction-motor.json"])
def test_a_file_whose_name_is_not_utf8_is_read(tmp_path, name):
    """Linux file names are bytes; one that is not UTF-8 reaches Python with surrogates in
    it. lxml refused it as a base URL (an "internal error" and exit 70 before)."""
    try:
        path = tmp_path / os.fsdecode(b"motor-\xff" + name.encode())
        path.write_bytes((EXAMPLES / name).read_bytes())
    except (OSError, UnicodeError):
        pytest.skip("this file system does not take a name that is not UTF-8")
    result = rarebom.load(path)
    assert result.bom == rarebom.load(EXAMPLES / name).bom
    assert result.bom.parts[0].location.file == str(path)
