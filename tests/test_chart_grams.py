"""``Trace.nominal_by_origin`` gives the numbers the report's chart read from part results.

The chart splits each node's rare-earth grams by origin class. It used to build every
child's :class:`PartResult` for that (``trace[pid]``, kept in the trace's cache), and in a
BOM where one node has 100,000 children that was most of the report's time and memory.
The reference below is the chart's old arithmetic, kept here; the new one reads the
roll-up's vector. Both must give the same floats to the bit, for every part, for BOMs
traced in floats and exactly, with NaN, inf, -0.0 and ints in the roll-up, and the
report must be the same.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rarebom
from benchmarks.generate import synthetic_bom
from rarebom import chemistry
from rarebom.engine import OriginPolicy
from rarebom.engine.policy import ORIGIN_CLASSES
from rarebom.engine.rollup import N_ORIGINS, SYMBOL_INDEX
from rarebom.report.data import Input, input_report
from rarebom.testing import boms

from .test_contributors_vector import NUMBERS
from .test_explain_walks import same

#: A roll-up's triples: NaN only as the nominal (an unknown one); a min or max is a number.
BOUND = NUMBERS.filter(lambda x: x == x)
TRIPLES = st.one_of(BOUND.map(lambda x: (x, x, x)), st.tuples(BOUND, NUMBERS, BOUND))

SYMBOL_SETS = (chemistry.RARE_EARTHS, ("Dy", "Tb"), ("Nd", "Nd"), ("Fe", "undeclared", "Dy", "unresolved", "Xx"), ())


def reference(t: rarebom.Trace, pid: str, symbols) -> dict:
    """The chart's old split: from the part's result, built afresh (not kept)."""
    result = t._result(t._compiled, t._rolled, t._compiled.index[pid])
    split = {o: 0.0 for o in ORIGIN_CLASSES}
    for s in symbols:
        element = result.elements.get(s)
        if element is not None:
            for o in ORIGIN_CLASSES:
                nominal = element.by_origin[o].nominal
                split[o] += float(nominal) if nominal is not None else 0.0
    return split


def check_every_part(t: rarebom.Trace) -> None:
    kept = dict(t._cache)
    for pid in t._compiled.ids:
        for symbols in SYMBOL_SETS:
            assert same(t.nominal_by_origin(pid, symbols), reference(t, pid, symbols)), (pid, symbols)
    assert t._cache == kept  # no part result is built or kept for it


def redraw(t: rarebom.Trace, data) -> None:
    """The roll-up's vectors with drawn numbers, some with rare-earth columns added."""
    rare = [SYMBOL_INDEX[s] * N_ORIGINS + o for s in ("Nd", "Dy", "Tb", "Sm") for o in range(N_ORIGINS)]
    vectors = []
    for vector in t._rolled.vector:
        columns = {col: list(data.draw(TRIPLES)) for col in vector or {}}
        for col in data.draw(st.lists(st.sampled_from(rare), max_size=4)):
            columns[col] = list(data.draw(TRIPLES))
        vectors.append(columns if columns or vector is not None else None)
    t._rolled.vector = vectors


@settings(max_examples=60)
@given(boms(), st.booleans(), st.booleans(), st.booleans(), st.data())
def test_every_part_splits_as_its_result_does(bom, exact, inherit, drawn, data):
    t = rarebom.trace(bom, exact=exact, policy=OriginPolicy(inherit=inherit))
    if drawn and not exact:
        redraw(t, data)
    check_every_part(t)


def test_odd_numbers_split_as_a_result_splits_them():
    """NaN (a result's None), inf, -0.0 and an int, in one part's rare-earth columns."""
    t = rarebom.trace(synthetic_bom(30, seed=2))
    nd, dy = SYMBOL_INDEX["Nd"] * N_ORIGINS, SYMBOL_INDEX["Dy"] * N_ORIGINS
    t._rolled.vector[0] = {nd: [0.0, math.nan, 1.0], nd + 1: [0, -0.0, 0], dy: [1.0, 2, 3.0], dy + 2: [0.0, math.inf, math.inf], dy + 1: [0.0, 0.1, 0.2]}
    check_every_part(t)
    split = t.nominal_by_origin(t._compiled.ids[0], chemistry.RARE_EARTHS)
    assert split == {ORIGIN_CLASSES[0]: 2.0, ORIGIN_CLASSES[1]: 0.1, ORIGIN_CLASSES[2]: math.inf}


@pytest.mark.parametrize("seed", [1, 4])
def test_a_synthetic_bom_splits_as_its_results_do(seed):
    """Large enough for the vectorised roll-up, whose vectors are read from arrays."""
    t = rarebom.trace(synthetic_bom(2500, seed=seed))
    assert type(t._rolled.vector).__name__ == "_Vectors"
    check_every_part(t)


def _report(t: rarebom.Trace, old: bool) -> dict:
    with pytest.MonkeyPatch.context() as patch:
        if old:
            patch.setattr(rarebom.Trace, "nominal_by_origin", reference)
        evaluation = rarebom.rules.evaluate(t)
        return input_report(Input("f.xml", "rarebom-xml", evaluation), limit=None)


@pytest.mark.parametrize("n", [40, 2500])
def test_the_report_s_chart_is_as_before(n):
    t = rarebom.trace(synthetic_bom(n, seed=3))
    new = _report(t, old=False)
    assert any(product["chart"]["children"] for product in new["products"])
    assert same(new, _report(t, old=True))
