"""The contributors ranking computed with numpy (rarebom.engine.vector_contributors) against the loop.

Small BOMs are forced through the array path (no minimum size, no minimum level width),
and its ranked items, their multipliers and path counts must be the loop's: the same
float bits, the same Python types (an int stays an int), NaN and inf as Python has them,
and the same order. The BOMs' numbers are also replaced by drawn ones: ints and floats,
ranges, inf, NaN and -0.0, and own content with several columns of one symbol.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import rarebom
from benchmarks.generate import synthetic_bom
from rarebom import Amount, Bom, Kind, Part, Usage, chemistry
from rarebom.engine import Alternates, OriginPolicy, explain
from rarebom.engine.policy import ORIGIN_CLASSES
from rarebom.engine.rollup import N_ORIGINS, SYMBOL_INDEX
from rarebom.testing import boms

from .test_explain_walks import same

np = pytest.importorskip("numpy")
vector_contributors = pytest.importorskip("rarebom.engine.vector_contributors")

SYMBOL_SETS = (chemistry.RARE_EARTHS, ("Dy", "Tb"), ("Nd",), ("Fe", "Nd", "Dy"))
VALUES = [o.value for o in ORIGIN_CLASSES]


@pytest.fixture(autouse=True)
def _forced(monkeypatch):
    """Every float trace takes the array path, however small or deep."""
    monkeypatch.setattr(explain, "VECTOR_MIN_PARTS", 0)
    monkeypatch.setattr(vector_contributors, "MIN_LEVEL_WIDTH", 0)


def loop_top(graph, rolled, root, below, inherit, holders, wanted_class, limit, ids):
    """What the loop ranks, with each part's path count; None where several classes are in play."""
    one_class = explain._one_class_multipliers(graph, rolled, root, below, inherit)
    if one_class is None:
        return None
    merged = explain._merge_one_class(holders, one_class, rolled.origin, wanted_class)
    return explain._top_one_class(merged, one_class, limit, ids, VALUES), one_class[3]


def check_root(t: rarebom.Trace, graph, root: int, symbols, origin, limit: int, *, ran: bool | None = True) -> bool:
    """The array path's items and path counts, and the whole ``contributors()``, are the
    loop's for ``root``. ``ran``: whether the array path must have run (None: either).
    Returns whether it ran."""
    rolled, inherit, ids = t._rolled, t.options.policy.inherit, t._compiled.ids
    below = graph.reachable(root)
    holders = graph.holders(frozenset(SYMBOL_INDEX[s] for s in symbols))
    wanted_class = None if origin is None else ORIGIN_CLASSES.index(origin)
    found = explain._vectorised(graph, rolled, root, below, inherit, holders, wanted_class, limit, ids, VALUES)
    expected = loop_top(graph, rolled, root, below, inherit, holders, wanted_class, limit, ids)
    if found is not None:
        assert expected is not None
        top, count_of = found
        assert same(top, expected[0]), (top, expected[0])
        for i in below:
            assert type(count_of(i)) is int and count_of(i) == expected[1][i]
    if ran is not None:
        assert (found is not None) is (ran and expected is not None)
    vectorised = repr(explain.contributors(graph, rolled, root, symbols, inherit=inherit, limit=limit, max_paths=2, origin=origin))
    with pytest.MonkeyPatch.context() as m:
        m.setattr(explain, "VECTOR_MIN_PARTS", 10**12)
        assert repr(explain.contributors(graph, rolled, root, symbols, inherit=inherit, limit=limit, max_paths=2, origin=origin)) == vectorised
    return found is not None


# Numbers as a float trace holds them: floats, and the ints 0 and 1 (and a few larger ones),
# with inf, NaN and -0.0.
NUMBERS = st.one_of(
    st.sampled_from([0, 1, 2, 3, 0.0, -0.0, 1.0, 0.5, 0.1, 1e-300, math.inf, math.nan]),
    st.floats(0, 1e6, allow_nan=False),
    st.integers(0, 3),  # small: no multiplier passes 2**53, so the array path always runs
)
TRIPLES = st.one_of(NUMBERS.map(lambda x: (x, x, x)), st.tuples(NUMBERS, NUMBERS, NUMBERS))


def redraw(t: rarebom.Trace, data) -> explain.Graph:
    """A graph of ``t`` whose usages' quantities and own grams are drawn anew, some parts
    with a second column of a symbol they hold (another origin)."""
    graph = explain.Graph(t._compiled)
    graph.selected = [tuple((j, *data.draw(TRIPLES)) for j, *_ in uses) if uses else () for uses in graph.selected]
    own = []
    for columns in t._compiled.own:
        columns = {col: data.draw(TRIPLES) for col in columns}
        if columns and data.draw(st.integers(0, 3)) == 0:
            col = data.draw(st.sampled_from(sorted(columns)))
            other = col - col % N_ORIGINS + (col % N_ORIGINS + 1) % N_ORIGINS
            columns[other] = data.draw(TRIPLES)
        own.append(columns)
    t._compiled.own = own
    return graph


OPTIONS = st.fixed_dictionaries({"alternates": st.sampled_from(["selected", "worst"]), "policy": st.builds(OriginPolicy, inherit=st.booleans())})


@settings(max_examples=60)
@given(boms(), OPTIONS, st.data())
def test_random_boms_rank_as_the_loop_does(bom, options, data):
    t = rarebom.trace(bom, **options)
    graph = redraw(t, data) if data.draw(st.booleans()) else t._graph()
    for root in range(len(t._compiled.ids)):
        symbols = data.draw(st.sampled_from(SYMBOL_SETS))
        origin = data.draw(st.sampled_from([None, *ORIGIN_CLASSES]))
        check_root(t, graph, root, symbols, origin, data.draw(st.sampled_from([0, 1, 3, 10, -1])))


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("inherit", [False, True])
def test_synthetic_boms_rank_as_the_loop_does(seed, inherit):
    t = rarebom.trace(synthetic_bom(1500, seed=seed), policy=OriginPolicy(inherit=inherit), alternates=Alternates.WORST if seed == 2 else Alternates.SELECTED)
    graph = t._graph()
    ran = 0
    for fg in t.finished_goods:
        root = t._compiled.index[fg]
        for symbols in SYMBOL_SETS:
            for origin in (None, *ORIGIN_CLASSES):
                for limit in (0, 1, 10):
                    ran += check_root(t, graph, root, symbols, origin, limit)
    assert ran  # the array path ran (one class under some finished good)


def test_the_report_is_the_same_either_way(monkeypatch):
    """Whole contributors lists of a synthetic BOM, as the report asks for them."""
    t = rarebom.trace(synthetic_bom(2500, seed=5))
    monkeypatch.setattr(explain, "VECTOR_MIN_PARTS", 2000)
    monkeypatch.setattr(vector_contributors, "MIN_LEVEL_WIDTH", 1)
    found = [repr(t.contributors(fg, chemistry.RARE_EARTHS, limit=10, max_paths=3)) for fg in t.finished_goods]
    assert t._graph()._vec  # built: the array path ran
    monkeypatch.setattr(explain, "VECTOR_MIN_PARTS", 10**12)
    assert [repr(t.contributors(fg, chemistry.RARE_EARTHS, limit=10, max_paths=3)) for fg in t.finished_goods] == found


def test_bincount_adds_in_input_order():
    """The sums rely on it: each bin is a running sum in the order of its weights."""
    weights = [1e16, 1.0, 1.0, 1.0, 1.0, 2.0**-60, -1e16]
    for order in (weights, weights[::-1], weights[1:] + weights[:1]):
        expected = 0.0
        for w in order:
            expected += w
        found = np.bincount(np.array([1] * len(order)), weights=np.array(order), minlength=3)
        assert found[1].hex() == expected.hex() and found[0] == found[2] == 0.0


def chain_bom(depth: int, quantity: str, *, uses: int = 1) -> Bom:
    """Parts p0 (the root) to p{depth}: each uses the next ``uses`` times; the last holds Dy."""
    dy = rarebom.Material(
        amount=Amount.parse("1", "%", Kind.FRACTION),
        completeness=rarebom.Completeness.FULL,
        substances=(rarebom.Substance(element="Dy", amount=Amount.parse("100", "%", Kind.FRACTION)),),
    )
    parts = [Part(id=f"p{k}", name=f"p{k}", uses=tuple(Usage(child=f"p{k + 1}", quantity=Amount.parse(quantity, "each", Kind.COUNT)) for _ in range(uses))) for k in range(depth)]
    parts.append(Part(id=f"p{depth}", name="leaf", mass=Amount.parse("2", "g", Kind.MASS), materials=(dy,)))
    return Bom(parts=tuple(parts))


@pytest.mark.parametrize(("power", "ran"), [(52, True), (53, False), (60, False)])
def test_ints_past_two_to_the_53_go_through_the_loop(power, ran):
    """Int multipliers of 2**power: float64 holds them exactly below 2**53 only."""
    t = rarebom.trace(chain_bom(4, "1"))
    index = t._compiled.index
    graph = explain.Graph(t._compiled)
    # Int quantities whose product down the chain is 2**power (a float trace's are floats).
    for k in range(4):
        s = power // 4 + (k < power % 4)
        graph.selected[index[f"p{k}"]] = tuple((j, 1 << s, 1 << s, 1 << s) for j, *_ in graph.selected[index[f"p{k}"]])
    assert check_root(t, graph, index["p0"], chemistry.RARE_EARTHS, None, 10, ran=ran) is ran
    [found] = explain.contributors(graph, t._rolled, index["p0"], chemistry.RARE_EARTHS, inherit=t.options.policy.inherit)
    assert found.multiplier.nominal == 2**power and found.mass.nominal == 0.02 * 2**power


@pytest.mark.parametrize(("multiplier", "ran"), [(2**53 - 1, True), (2**53, False), (-(2**60), False)])
def test_one_int_multiplier_past_two_to_the_53_goes_through_the_loop(multiplier, ran):
    """An edge's own int multiplier that float64 cannot hold exactly: the edges are not built."""
    t = rarebom.trace(chain_bom(4, "1"))
    index = t._compiled.index
    graph = explain.Graph(t._compiled)
    p = index["p2"]
    graph.selected[p] = tuple((j, multiplier, multiplier, multiplier) for j, *_ in graph.selected[p])
    assert check_root(t, graph, index["p0"], chemistry.RARE_EARTHS, None, 10, ran=ran) is ran


@pytest.mark.parametrize(("depth", "ran"), [(52, True), (53, False)])
def test_path_counts_past_two_to_the_53_go_through_the_loop(depth, ran):
    """Each part used twice by the one above: 2**depth paths to the leaf."""
    t = rarebom.trace(chain_bom(depth, "1", uses=2))
    assert check_root(t, t._graph(), t._compiled.index["p0"], ("Dy",), None, 10, ran=ran) is ran
    [found] = t.contributors("p0", "Dy")
    assert found.path_count == 2**depth


def test_deep_narrow_boms_use_the_loop(monkeypatch):
    """A chain: one part a level, under the default width."""
    monkeypatch.setattr(vector_contributors, "MIN_LEVEL_WIDTH", 64)
    t = rarebom.trace(chain_bom(30, "2"))
    assert check_root(t, t._graph(), t._compiled.index["p0"], ("Dy",), None, 10, ran=False) is False


def test_a_part_sums_its_parents_in_the_loop_order():
    """Parents by index descending: a large share first absorbs the small ones after it
    (1e16 + 1 + 1 is 1e16), where the other order keeps them (1 + 1 + 1e16 is 1e16 + 2)."""
    leaf = chain_bom(0, "1").parts[0]
    parents = [Part(id=f"a{k}", name=f"a{k}", uses=(Usage(child="p0", quantity=Amount.parse("1", "each", Kind.COUNT)),)) for k in range(3)]
    root = Part(id="root", name="root", uses=tuple(Usage(child=p.id, quantity=Amount.parse("1", "each", Kind.COUNT)) for p in parents))
    t = rarebom.trace(Bom(parts=(root, *parents, leaf)))
    index = t._compiled.index
    graph = explain.Graph(t._compiled)
    first, *rest = sorted((index[p.id] for p in parents), reverse=True)
    graph.selected[first] = ((index["p0"], 1e16, 1e16, 1e16),)
    assert check_root(t, graph, index["root"], ("Dy",), None, 10)
    [found] = explain.contributors(graph, t._rolled, index["root"], ("Dy",), inherit=t.options.policy.inherit)
    assert found.multiplier.nominal == 1e16 + 1 + 1 != 1 + 1 + 1e16


#: Items of the merge: nominal (-1.0 for a NaN one), high grams, part, symbol index (59 Nd, 60 Pm, 65 Dy).
RANKED_ITEMS = st.lists(
    st.tuples(st.sampled_from([1.0, 5.0, -1.0]), st.sampled_from([3.0, 7.0, math.inf, math.nan]), st.integers(0, 2), st.sampled_from([59, 60, 65])),
    min_size=1,
    max_size=12,
)


@given(RANKED_ITEMS, st.sets(st.integers(0, 11), min_size=1), st.none() | st.integers(0, 12))
@example([(5.0, 7.0, 1, 60), (5.0, 7.0, 0, 65), (5.0, 7.0, 0, 59)], {1, 2}, None)  # one part's two symbols: Dy before Nd
def test_the_ranking_reads_each_chosen_items_own_numbers(items, picked, limit):
    """``_ranked`` ranks the chosen items (the nominals tie often, and then the high grams
    decide) by their own nominal, high, part, symbol and origin, as a plain sort does."""
    np = pytest.importorskip("numpy")
    from rarebom.engine.rollup import SYMBOLS
    from rarebom.engine.vector_contributors import _ranked

    effective, his, parts, syms = (np.array(column) for column in zip(*items, strict=True))
    chosen = np.array(sorted(k for k in picked if k < len(items)) or [0], dtype=np.int64)
    ids, origins, values = ["P3", "P1", "P4"], [0, 1, 2], ["china", "other", "unknown"]

    def key(e):
        return (-effective[e], -his[e], ids[parts[e]], SYMBOLS[syms[e]], values[origins[parts[e]]])

    expected = sorted(chosen.tolist(), key=key)
    found = _ranked(chosen, limit, effective, his, parts, syms, origins, ids, values)
    assert all(type(e) is int for e in found)
    assert len(found) == len(expected if limit is None else expected[:limit]) and set(found) <= set(expected)
    # A NaN breaks the total order: then only the same sort of the same items gives the same
    # order (_top sorts them all, with no limit).
    if limit is None or not np.isnan(his[chosen]).any():
        assert found == (expected if limit is None else expected[:limit])
