"""Golden files: the full trace of every bundled example, so any change in a number shows.

Refresh after an intended change with ``RAREBOM_UPDATE_GOLDEN=1 python -m pytest
tests/test_golden.py`` and review the diff; never edit the files by hand.
"""

from __future__ import annotations

import json
import math
import os

import pytest

import rarebom

from .conftest import EXAMPLES, REPO

GOLDEN = REPO / "tests" / "data" / "golden"
SHOWN = ("Nd", "Pr", "Dy", "Tb", "Sm", "Fe", "Co", "B")


def number(x):
    if x is None:
        return None
    if x == math.inf:
        return "inf"
    return float(f"{float(x):.12g}")


def bounds(b):
    return None if b is None else [number(b.min), number(b.nominal), number(b.max), b.unit]


def snapshot(t: rarebom.Trace) -> dict:
    goods = {}
    for fg in t.finished_goods:
        r = t[fg]
        coverage = t.coverage(fg)
        goods[fg] = {
            "mass": bounds(r.mass),
            "mass_basis": r.mass_basis,
            "value": bounds(r.value),
            "value_basis": r.value_basis,
            "origin": r.origin.origin.value,
            "elements": {s: {"total": bounds(e.total), **{o.value: bounds(b) for o, b in e.by_origin.items()}} for s, e in r.elements.items()},
            "undeclared": bounds(r.undeclared.total),
            "unresolved": bounds(r.unresolved.total),
            "rare_earths": bounds(r.rare_earths),
            "china_dy_tb": bounds(r.mass_of(["Dy", "Tb"], rarebom.OriginClass.CHINA)),
            "coverage": {
                "composition_declared": bounds(coverage.composition_declared),
                "origin_known": bounds(coverage.origin_known),
                "missing_mass": list(coverage.missing_mass),
                "missing_composition": list(coverage.missing_composition),
                "missing_value": list(coverage.missing_value),
                "missing_origin": list(coverage.missing_origin),
            },
            "contributors": {
                s: [
                    {
                        "part": c.part,
                        "origin": c.origin.value,
                        "mass": bounds(c.mass),
                        "multiplier": number(c.multiplier.nominal),
                        "paths": [c.path_text(p) for p in c.paths],
                        "path_count": c.path_count,
                    }
                    for c in t.contributors(fg, s, limit=3)
                ]
                for s in SHOWN
                if s in r.elements
            },
        }
    return {"currency": t.currency, "finished_goods": goods, "findings": [f"{f.severity.value} {f.code}: {f.message}" for f in t.findings]}


@pytest.mark.parametrize("example", sorted(p.stem for p in EXAMPLES.glob("*.xml")))
def test_example_traces_match_their_golden_files(example):
    t = rarebom.trace(rarebom.load(EXAMPLES / f"{example}.xml").bom, exact=True, rates={"EUR": "1.08", "USD": "1", "CNY": "0.14"})
    got = snapshot(t)
    path = GOLDEN / f"{example}.json"
    if os.environ.get("RAREBOM_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert got == expected


def test_the_json_twin_traces_the_same():
    for xml in EXAMPLES.glob("*.xml"):
        a = snapshot(rarebom.trace(rarebom.load(xml).bom, exact=True))
        b = snapshot(rarebom.trace(rarebom.load(xml.with_suffix(".json")).bom, exact=True))
        assert a["finished_goods"] == b["finished_goods"], xml.name


def verdicts_snapshot(evaluation) -> dict:
    """Every verdict of an evaluation, with what decided it and what is missing."""
    return {
        f"{v.finished_good} / {v.rule.id}": {
            "verdict": v.verdict.value,
            "status": v.status.status.value,
            "node": v.node.part if v.node else None,
            "path": [s.part for s in v.path],
            "measured": bounds(v.node.measured) if v.node else None,
            "estimated": v.node.estimated if v.node else False,
            "missing": list(v.missing),
            "outlook": v.outlook.result if v.outlook else None,
            "scope_notes": len(v.scope_notes),
            "nodes": {n.part: n.verdict.value for n in v.nodes},
        }
        for v in evaluation
    }


@pytest.mark.parametrize("example", sorted(p.stem for p in EXAMPLES.glob("*.xml")))
def test_example_verdicts_match_their_golden_files(example):
    """Every shipped rule on every example, as of 2026-11-22, with the example price table."""
    from rarebom.rules import evaluate, load_overrides, load_prices

    t = rarebom.trace(rarebom.load(EXAMPLES / f"{example}.xml").bom, exact=True)
    overrides = load_overrides(EXAMPLES / "overrides-ev-traction-motor.toml") if example == "ev-traction-motor" else ()
    evaluation = evaluate(t, as_of="2026-11-22", prices=load_prices(EXAMPLES / "prices-usgs-2020.toml"), overrides=overrides)
    got = {"verdicts": verdicts_snapshot(evaluation), "findings": [f"{f.severity.value} {f.code}: {f.message}" for f in evaluation.findings]}
    path = GOLDEN / f"{example}.verdicts.json"
    if os.environ.get("RAREBOM_UPDATE_GOLDEN"):
        path.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert got == json.loads(path.read_text(encoding="utf-8"))
