"""The synthetic BOM generator in benchmarks/: deterministic, valid, and shaped like a real BOM.

``benchmarks`` imports because pytest puts the repository root on ``sys.path`` (``tests`` is a
package, so its parent directory is the root pytest inserts).
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

import pytest

import rarebom
from benchmarks.generate import ELEMENTS, describe, level_sizes, synthetic_bom
from rarebom import Kind, Severity


@pytest.fixture(scope="module")
def bom() -> rarebom.Bom:
    return synthetic_bom(200, seed=7)


def test_the_same_seed_gives_the_same_bom(bom):
    assert synthetic_bom(200, seed=7) == bom


def test_another_seed_gives_another_bom(bom):
    assert synthetic_bom(200, seed=8) != bom


@pytest.mark.parametrize("parts", [1, 2, 3, 10, 57, 200, 1000])
def test_it_makes_exactly_the_parts_asked_for(parts):
    assert len(synthetic_bom(parts, seed=1)) == parts


@pytest.mark.parametrize("parts", [1, 2, 10, 200, 1000])
def test_the_bom_passes_check_bom_without_findings(parts):
    findings = rarebom.check_bom(synthetic_bom(parts, seed=3))
    assert [f for f in findings if f.severity is Severity.ERROR] == []
    assert findings == []


def _parents(bom: rarebom.Bom) -> dict[str, set[str]]:
    parents: dict[str, set[str]] = defaultdict(set)
    for part in bom:
        for use in part.uses:
            parents[use.child].add(part.id)
    return parents


def test_sub_assemblies_are_shared(bom):
    parents = _parents(bom)
    shared = [pid for pid, users in parents.items() if len(users) >= 2 and bom.part(pid).uses]
    assert shared, "no sub-assembly is used by two parents"
    assert describe(bom)["mean_parents"] > 1.2


def test_the_file_order_is_not_topological(bom):
    position = {part.id: i for i, part in enumerate(bom)}
    edges = [(position[part.id], position[use.child]) for part in bom for use in part.uses]
    assert any(parent < child for parent, child in edges)
    assert any(parent > child for parent, child in edges)


def test_leaves_hold_exact_element_fractions(bom):
    leaves = [part for part in bom if not part.uses]
    assert leaves
    for leaf in leaves:
        assert leaf.mass.kind is Kind.MASS and leaf.mass.unit in ("g", "kg", "mg")
        (material,) = leaf.materials
        assert 1 <= len(material.substances) <= 3
        for substance in material.substances:
            assert substance.element in ELEMENTS
            assert isinstance(substance.amount.value, Fraction) and 0 < substance.amount.value <= 1
        if material.completeness is rarebom.Completeness.FULL:
            assert sum(s.amount.value for s in material.substances) == 1


def test_some_parts_carry_what_the_rules_look_at(bom):
    assert any("rare-earth-permanent-magnet" in part.item_classes() for part in bom)
    assert any(claim.country == "CN" for part in bom for claim in part.origins)
    assert any(part.unit_value is not None and part.unit_value.unit == "USD" for part in bom)
    assert any(use.alternates for part in synthetic_bom(1000, seed=1) for use in part.uses)


@pytest.mark.parametrize("suffix", [".xml", ".json"])
def test_it_round_trips_through_dump_and_load(bom, tmp_path, suffix):
    path = tmp_path / f"synthetic{suffix}"
    rarebom.dump(bom, path)
    loaded = rarebom.load(path)
    assert loaded.bom == bom
    assert loaded.findings == ()


def test_level_sizes_follow_the_research_shapes():
    # 8 levels below 4 finished goods at 10,000 parts, 10 below 6 at 100,000.
    assert [len(level_sizes(n)) - 1 for n in (10_000, 100_000)] == [8, 10]
    assert [level_sizes(n)[0] for n in (10_000, 100_000)] == [4, 6]
    assert sum(level_sizes(12_345, depth=3)) == 12_345


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="at least one part"):
        synthetic_bom(0)
    with pytest.raises(ValueError, match="substances_per_leaf"):
        synthetic_bom(10, substances_per_leaf=(0, 3))
    with pytest.raises(ValueError, match="origin_rate"):
        synthetic_bom(10, origin_rate=1.5)
