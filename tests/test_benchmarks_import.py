"""The industry-format writers of benchmarks/generate_formats.py: each file imports back as the BOM it was written from.

The import benchmark (benchmarks/bench_import.py) times ``rarebom.load`` on these files, so
they must be files rarebom reads without errors, into the same parts, quantities, masses
and element content as far as each format can say them. Results are asserted, never timings.
"""

from __future__ import annotations

from fractions import Fraction

import attrs
import pytest
from lxml import etree

import rarebom
from benchmarks.bench_import import count_elements
from benchmarks.generate import ELEMENTS
from benchmarks.generate_formats import WRITERS, expected_parts, format_bom, write
from rarebom import Amount, Completeness, Kind, Usage, chemistry

from .conftest import iec62474_schema

#: Warnings a format always gives: Granta's materials are references to MI database records.
EXPECTED_WARNINGS = {"granta-bom": {"granta-record-unresolved"}}


@pytest.fixture(scope="module")
def bom() -> rarebom.Bom:
    return format_bom(200, seed=7)


@pytest.fixture(scope="module")
def reference(bom) -> rarebom.Trace:
    return rarebom.trace(bom, exact=True)


@pytest.fixture(scope="module")
def loaded(bom, tmp_path_factory) -> dict[str, rarebom.LoadResult]:
    directory = tmp_path_factory.mktemp("formats")
    return {name: rarebom.load(write(bom, name, directory / f"bom{suffix}").path) for name, (_, suffix) in WRITERS.items()}


def test_the_bom_is_nearly_a_tree_with_some_sharing(bom):
    parents: dict[str, set[str]] = {}
    for part in bom:
        assert all(not use.alternates for use in part.uses)
        for use in part.uses:
            parents.setdefault(use.child, set()).add(part.id)
    assert any(len(users) > 1 for users in parents.values()), "no shared part: the readers' re-sharing goes untested"
    assert len(bom.finished_goods) > 1


@pytest.mark.parametrize("name", list(WRITERS))
def test_each_file_imports_without_errors_into_the_same_parts(bom, loaded, name):
    result = loaded[name]  # rarebom.load raises InvalidBomError on any error
    assert result.format == name
    assert len(result.bom) == expected_parts(bom, name)
    assert {f.code for f in result.findings} <= EXPECTED_WARNINGS.get(name, set())
    assert {part.id for part in bom} <= {part.id for part in result.bom}


@pytest.mark.parametrize("name", list(WRITERS))
def test_quantities_and_masses_read_back_exactly(bom, loaded, name):
    imported = loaded[name].bom
    for part in bom:
        got = imported.part(part.id)
        assert (got.mass and got.mass.value) == (part.mass and part.mass.value), part.id
        assert sorted((u.child, u.quantity.kind, u.quantity.value) for u in got.uses) == sorted((u.child, u.quantity.kind, u.quantity.value) for u in part.uses), part.id


def _element_shares(part: rarebom.Part) -> dict[str, Fraction]:
    """Each element's share of one unit of the part, from its materials and substances."""
    shares: dict[str, Fraction] = {}
    for material in part.materials:
        amount = material.amount
        material_share = amount.value if amount.kind is Kind.FRACTION else amount.value / part.mass.value
        for substance in material.substances:
            element = substance.element or chemistry.cas_record(substance.cas).formula
            shares[element] = shares.get(element, Fraction(0)) + material_share * substance.amount.value
    return shares


@pytest.mark.parametrize("name", ["iec-62474", "ipc-1752", "granta-bom"])
def test_element_content_reads_back_exactly(bom, loaded, name):
    imported = loaded[name].bom
    leaves = [part for part in bom if part.materials]
    assert leaves
    for part in leaves:
        assert _element_shares(imported.part(part.id)) == _element_shares(part), part.id


def test_ipc_1752_keeps_each_declaration_full_or_partial(bom, loaded):
    imported = loaded["ipc-1752"].bom
    completeness = {part.id: [m.completeness for m in part.materials] for part in bom}
    assert {c for cs in completeness.values() for c in cs} == {Completeness.FULL, Completeness.PARTIAL}
    assert {part.id: [m.completeness for m in imported.part(part.id).materials] for part in bom} == completeness


@pytest.mark.parametrize("name", list(WRITERS))
def test_the_trace_gives_the_same_mass_and_element_totals(bom, reference, loaded, name):
    traced = rarebom.trace(loaded[name].bom, exact=True)
    for root in bom.finished_goods:
        ours, theirs = traced[root.id], reference[root.id]
        assert ours.mass.nominal == theirs.mass.nominal
        if name == "csv":
            # A table names a material and cannot say what it holds: the rare earths are open up to the whole mass.
            assert ours.element("Nd").total.nominal == 0
            assert ours.rare_earths.max == theirs.mass.nominal
            continue
        for element in ELEMENTS:
            assert ours.element(element).total.nominal == theirs.element(element).total.nominal, (root.id, element)


def test_a_granta_file_with_several_finished_goods_gets_one_product(bom, loaded):
    imported = loaded["granta-bom"].bom
    (product,) = imported.finished_goods
    assert product.id == bom.name
    assert sorted(use.child for use in product.uses) == sorted(root.id for root in bom.finished_goods)


@pytest.mark.parametrize("name", list(WRITERS))
def test_the_counts_agree(bom, tmp_path, name):
    written = write(bom, name, tmp_path / f"bom{WRITERS[name][1]}")
    if name == "csv":
        with written.path.open(encoding="utf-8") as table:
            assert written.elements == sum(1 for _ in table) - 1  # the rows below the header
    else:
        assert written.elements == count_elements(written.path)
    assert written.nodes == sum(_paths(bom, root.id) for root in bom.finished_goods)


def _paths(bom: rarebom.Bom, part_id: str) -> int:
    return 1 + sum(_paths(bom, use.child) for use in bom.part(part_id).uses)


def test_what_a_format_cannot_carry_is_refused(bom, tmp_path):
    leaf = next(part for part in bom if part.materials)
    parent = next(part for part in bom if any(use.child == leaf.id for use in part.uses))
    bulk = Usage(child=leaf.id, quantity=Amount(kind=Kind.MASS, unit="g", value=Fraction(5)))
    changed = rarebom.Bom(parts=[attrs.evolve(p, uses=(bulk,)) if p.id == parent.id else p for p in bom])
    with pytest.raises(ValueError, match="counts of pieces"):
        write(changed, "iec-62474", tmp_path / "bulk.xml")
    with pytest.raises(ValueError, match="no writer"):
        write(bom, "ipc-1751", tmp_path / "bom.xml")


def test_the_iec_62474_file_follows_the_xsd(bom, tmp_path):
    schema = iec62474_schema()
    written = write(bom, "iec-62474", tmp_path / "bom.xml")
    assert schema.validate(etree.parse(str(written.path))), str(schema.error_log)
