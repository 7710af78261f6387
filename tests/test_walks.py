"""The walks from a finished good with numpy (rarebom/engine/walks.py) against the Python walks.

``Graph`` walks down from a finished good of a wide BOM with :class:`walks.Arrays`: the
parts under it, the parts reached past no stop, and the breadth-first parents that give
``Trace.path``. They must give what the Python walks give, part for part and parent for
parent, on random DAGs (shared parts, a child used twice by one parent, deep and wide), and
every walk, verdict and report must be the same whichever walk a trace takes.
"""

from __future__ import annotations

import datetime as dt
import sys
from array import array
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rarebom
from benchmarks.generate import synthetic_bom
from rarebom import Amount, Bom, Kind, Part, Usage
from rarebom.engine import OriginPolicy, explain
from rarebom.engine.walks import Arrays
from rarebom.report import Input, render_json, render_text, report_data
from rarebom.rules import evaluate
from rarebom.testing import boms

from .test_explain_walks import RATES, check_trace, origin_boms

# -- the reference: the Python walks of Graph and Trace.path, written out -----------------------


def ref_marks(children, root, stop=None):
    seen = bytearray(len(children))
    seen[root] = 1
    stack = [] if stop is not None and stop[root] else [root]
    while stack:
        for j in children[stack.pop()]:
            if not seen[j]:
                seen[j] = 1
                if stop is None or not stop[j]:
                    stack.append(j)
    return seen


def ref_first_parents(children, root):
    parent = [-2] * len(children)
    parent[root] = -1
    queue = [root]
    for i in queue:
        for j in children[i]:
            if parent[j] == -2:
                parent[j] = i
                queue.append(j)
    return parent


@st.composite
def dags(draw):
    """Usages as ``Graph`` holds them: part ``i``'s children, in file order, all of a lower
    index (topological order, children first), a child possibly twice; and each part's level."""
    n = draw(st.integers(1, 40))
    children = []
    for i in range(n):
        kids = draw(st.lists(st.integers(0, i - 1), max_size=6)) if i else []
        children.append(tuple(kids))
    level = []
    for kids in children:
        level.append(1 + max(level[j] for j in kids) if kids else 0)
    return children, level


@settings(max_examples=300)
@given(dags(), st.data())
def test_the_array_walks_are_the_python_walks(dag, data):
    children, level = dag
    arrays = Arrays(children, level)
    n = len(children)
    stop = bytes(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    for root in range(n):
        marks = ref_marks(children, root)
        assert arrays.marks(root) == marks
        assert list(arrays.below(root)) == [i for i in range(n) if marks[i]]
        assert arrays.marks(root, stop) == ref_marks(children, root, stop)
        found = arrays.first_parents(root)
        assert isinstance(found, array) and found.typecode == "i"
        assert list(found) == ref_first_parents(children, root)


def test_the_first_parent_is_the_first_in_the_queue_not_the_lowest_index():
    """Part 3 lists its children 2 then 1, and both use part 0: the queue reaches 0 from 2."""
    children = [(), (0,), (0,), (2, 1)]
    found = Arrays(children, [0, 1, 1, 2]).first_parents(3)
    assert list(found) == [2, 3, 3, -1]


# -- through a trace: the same answers whichever walk is taken -----------------------------------


@pytest.fixture
def arrays_always(monkeypatch):
    """Every finished good's walks use the arrays, however small or deep the BOM."""
    monkeypatch.setattr(explain, "WIDE_LEVEL", 0)


def walked_with_arrays(t: rarebom.Trace) -> bool:
    """Whether ``t``'s graph built the arrays for the walks from its finished goods."""
    graph = t._graph()
    return graph._arrays is not None and any(a is not None for a in graph._arrays.values())


@settings(max_examples=30)
@given(origin_boms(), st.sampled_from(["selected", "worst"]), st.booleans(), st.booleans())
def test_the_walks_of_a_trace_match_the_reference_with_arrays(bom, alternates, inherit, exact):
    with pytest.MonkeyPatch.context() as m:
        m.setattr(explain, "WIDE_LEVEL", 0)
        t = rarebom.trace(bom, currency="USD", rates=RATES, alternates=alternates, policy=OriginPolicy(inherit=inherit), exact=exact)
        check_trace(t)
        assert walked_with_arrays(t)


def report(bom, **options) -> tuple[str, str, str, bool]:
    """The evaluation and two reports as text, and whether the trace walked with arrays."""
    t = rarebom.trace(bom, currency="USD", rates=RATES, **options)
    evaluation = evaluate(t, as_of=dt.date(2026, 11, 23))
    item = Input("bom.xml", "rarebom-xml", evaluation, ())
    when = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    full = report_data([item], generated=when, limit=None)
    return repr(evaluation.verdicts), render_json(full), render_text(report_data([item], generated=when)), walked_with_arrays(t)


@settings(max_examples=30, deadline=None)
@given(boms(max_parts=12), st.sampled_from(["selected", "worst"]), st.booleans())
def test_a_report_is_the_same_whichever_walk_is_taken(bom, alternates, inherit):
    options = {"alternates": alternates, "policy": OriginPolicy(inherit=inherit)}
    *python, used = report(bom, **options)
    assert not used  # a few parts: Python walks
    with pytest.MonkeyPatch.context() as m:
        m.setattr(explain, "WIDE_LEVEL", 0)
        *arrays, used = report(bom, **options)
    assert used
    assert arrays == python


@pytest.mark.parametrize("inherit", [False, True])
def test_a_wide_synthetic_bom_walks_with_arrays_and_reports_the_same(inherit):
    bom = synthetic_bom(3000, seed=4)
    *arrays, used = report(bom, policy=OriginPolicy(inherit=inherit))
    assert used  # wide enough: its levels hold more than WIDE_LEVEL parts on average
    with pytest.MonkeyPatch.context() as m:
        m.setattr(explain, "WIDE_LEVEL", 10**9)
        *python, used = report(bom, policy=OriginPolicy(inherit=inherit))
    assert not used
    assert arrays == python


def test_a_deep_chain_walks_in_python():
    """A chain's levels hold one part each: a step of an array walk would cost more than the
    Python walk's whole work at that step."""
    one = Amount(kind=Kind.COUNT, unit="", value=Fraction(1))
    parts = [Part(id=f"p{k}", uses=(Usage(child=f"p{k + 1}", quantity=one),)) for k in range(300)]
    t = rarebom.trace(Bom(parts=(*parts, Part(id="p300", mass=Amount(kind=Kind.MASS, unit="g", value=Fraction(1))))))
    assert len(t.below("p0")) == 301 and t.path("p0", "p300")[-1].part == "p300"
    assert not walked_with_arrays(t)


def test_without_numpy_the_walks_are_in_python(monkeypatch):
    """As the roll-up does: a wide BOM whose walks cannot import numpy walks in Python."""
    monkeypatch.setattr(explain, "WIDE_LEVEL", 0)
    monkeypatch.setitem(sys.modules, "rarebom.engine.walks", None)  # import fails
    bom = synthetic_bom(300, seed=2)
    t = rarebom.trace(bom)
    for fg in t.finished_goods:
        assert list(t.below(fg)) and t.path(fg, fg)[0].part == fg
    assert not walked_with_arrays(t)
