"""The rarebom XML reader's event loop gives the same elements and refusals as before.

``_xmlsafe.iter_root_children`` hands the reader only the root (at its start) and each of
the root's children (at their end), counting depth itself; the reader used to take every
event from ``_xmlsafe.iter_events`` and count depth again. The reference below is that old
loop, kept here, and both are run on the same documents: well formed, too deep for the
active limit, broken, and with a DOCTYPE.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from rarebom.errors import RarebomError
from rarebom.formats import _xmlsafe
from rarebom.limits import Limits, applied


def _reference(stream, file):
    """What rarebom's XML reader took from iter_events: the root's start and its children's ends."""
    depth = 0
    for event, element in _xmlsafe.iter_events(stream, file):
        if event == "start":
            depth += 1
            if depth == 1:
                yield event, element
            continue
        depth -= 1
        if depth == 1:
            yield event, element


def _run(events, data: bytes, max_depth: int) -> list:
    seen: list = []
    try:
        with applied(Limits(max_depth=max_depth)):
            for event, element in events(io.BytesIO(data), "f.xml"):
                seen.append((event, element.tag, element.sourceline, len(element), element.get("n")))
                if event == "end":
                    element.getparent().remove(element)  # as the reader does
    except RarebomError as exc:
        seen.append((type(exc).__name__, str(exc), str(exc.location)))
    except etree.XMLSyntaxError as exc:
        seen.append(("XMLSyntaxError", exc.msg, exc.lineno))
    return seen


def _tree(depth: int):
    leaf = st.builds(lambda n: f'<e n="{n}"/>', st.integers(0, 9))
    if depth <= 1:
        return leaf
    inner = st.lists(_tree(depth - 1), max_size=3).map(lambda children: "<e>" + "\n".join(children) + "</e>")
    return leaf | inner


@settings(max_examples=150)
@given(st.lists(_tree(5), max_size=5), st.integers(1, 7), st.sampled_from(["", "<!-- c -->\n", '<?xml version="1.0"?>\n']), st.sampled_from(["", "<e>", "</x>"]))
def test_root_children_are_the_old_loop_s_elements(children, max_depth, prolog, junk):
    """Same elements at the same lines, and the same refusal (too deep, broken XML) at the same place."""
    data = (prolog + '<bom xmlns="urn:x">\n' + "\n".join(children) + junk + "\n</bom>\n").encode()
    assert _run(_xmlsafe.iter_root_children, data, max_depth) == _run(_reference, data, max_depth)


#: Documents refused before or while the root is read.
REFUSALS = [
    b'<!DOCTYPE bom [<!ENTITY x "y">]><bom>&x;</bom>',
    b'<?xml version="1.0"?>\n<!-- c -->\n<!DOCTYPE bom SYSTEM "http://example.com/x.dtd"><bom/>',
    b"",
    b"<bom>",
    b"<a/><b/>",
]


@pytest.mark.parametrize("data", REFUSALS)
def test_refusals_are_the_old_loop_s(data):
    assert _run(_xmlsafe.iter_root_children, data, 256) == _run(_reference, data, 256)


EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.xml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_give_the_old_loop_s_elements(path):
    data = path.read_bytes()
    got = _run(_xmlsafe.iter_root_children, data, 256)
    assert len(got) > 3 and got == _run(_reference, data, 256)
