"""The compiled BOM shares equal numbers and tuples (rarebom.engine.rollup._Shared); that changes nothing.

A compile with sharing is compared with one without, field by field and strictly: the same
types (1, 1.0 and Fraction(1) are not the same here), floats bit for bit (NaN to NaN, -0.0
to -0.0), the same dict key order; and so are the roll-ups (loop and arrays) of the two.
The shared objects are never mutated: a trace that went through the rules, the reports,
explanations and walks still holds what a fresh compile holds.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from fractions import Fraction
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rarebom
import rarebom.engine.rollup as rollup_module
from rarebom import rules
from rarebom.engine import Alternates
from rarebom.engine.policy import OriginDecision
from rarebom.engine.rollup import Compiled, Rolled, _Shared, compile_bom, rollup
from rarebom.testing import boms

REPO = Path(__file__).resolve().parent.parent
RATES = {"EUR": Fraction("1.08"), "CNY": Fraction("0.14")}
LIMITS = rarebom.Limits(max_multiplicity=10**300)


class _NoSharing:
    """What compile_bom did before sharing: every number and tuple its own object."""

    def __init__(self) -> None:
        self.decisions = _Forgetful()
        self.multipliers = _Forgetful()

    @property
    def empty(self) -> dict:
        return {}

    def number(self, x):
        return x

    def triple(self, a, b, c):
        return (a, b, c)


class _Forgetful(dict):
    def __setitem__(self, key, value) -> None:
        pass


def strict(a, b, where="") -> None:
    """``a`` and ``b`` hold the same values of the same types, recursively."""
    assert type(a) is type(b), (where, a, b)
    if type(a) is float:
        assert (a == b and math.copysign(1, a) == math.copysign(1, b)) or (a != a and b != b), (where, a, b)
    elif isinstance(a, (tuple, list)) or type(a) is bytearray:
        assert len(a) == len(b), (where, len(a), len(b))
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            strict(x, y, f"{where}[{k}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), (where, list(a), list(b))  # same keys, same order
        for key in a:
            strict(a[key], b[key], f"{where}[{key!r}]")
    else:
        assert a == b, (where, a, b)


def compile_both(bom, *, exact: bool, typical: bool, monkeypatch) -> tuple[Compiled, Compiled]:
    t = rarebom.trace(bom, currency="USD", rates=RATES, typical_compositions=typical, exact=exact, limits=LIMITS)
    options = dict(policy=t.options.policy, currency=t.currency, rates=t.options.rates, typical=typical, exact=exact, limits=LIMITS)
    shared = compile_bom(bom, **options)
    with monkeypatch.context() as m:
        m.setattr(rollup_module, "_Shared", _NoSharing)
        plain = compile_bom(bom, **options)
    return shared, plain


def assert_same_compiled(a: Compiled, b: Compiled) -> None:
    for field in attrs.fields(Compiled):
        strict(getattr(a, field.name), getattr(b, field.name), field.name)


def assert_same_rolled(a: Rolled, b: Rolled) -> None:
    for field in attrs.fields(Rolled):
        strict(list(getattr(a, field.name)), list(getattr(b, field.name)), field.name)


def check(bom, *, exact: bool, typical: bool, monkeypatch) -> None:
    shared, plain = compile_both(bom, exact=exact, typical=typical, monkeypatch=monkeypatch)
    assert_same_compiled(shared, plain)
    for inherit in (True, False):
        for alternates in Alternates:
            assert_same_rolled(rollup(shared, alternates=alternates, inherit=inherit), rollup(plain, alternates=alternates, inherit=inherit))
            if not exact and shared.ids:
                vector = pytest.importorskip("rarebom.engine.vector")
                arrays = vector.rollup_arrays(shared, alternates=alternates, inherit=inherit, min_level_width=0)
                assert_same_rolled(arrays, vector.rollup_arrays(plain, alternates=alternates, inherit=inherit, min_level_width=0))


# Drawing the BOMs is most of this test's time: 30 examples under every profile.
@settings(max_examples=30)
@given(boms(), st.booleans(), st.booleans())
def test_sharing_changes_nothing_on_hypothesis_boms(bom, exact, typical):
    with pytest.MonkeyPatch.context() as monkeypatch:
        check(bom, exact=exact, typical=typical, monkeypatch=monkeypatch)


@pytest.mark.parametrize("exact", [False, True])
def test_sharing_changes_nothing_on_a_synthetic_bom(exact, monkeypatch):
    from benchmarks.generate import synthetic_bom

    bom = synthetic_bom(600, 3)
    check(bom, exact=exact, typical=True, monkeypatch=monkeypatch)
    shared, plain = compile_both(bom, exact=exact, typical=True, monkeypatch=monkeypatch)
    empty = [own for own in plain.own if not own]
    assert len({id(own) for own in empty}) == len(empty) > 1  # the reference really is unshared
    # ... and sharing shares: far fewer distinct objects than values held
    numbers = [x for t in shared.declared_mass if t is not None for x in t]
    assert len({id(x) for x in numbers}) < len(numbers) / 2
    decisions = {id(d) for d in shared.origin}
    assert len(decisions) < len(shared.origin) / 2


@pytest.mark.parametrize("path", sorted((REPO / "examples").glob("*.xml")), ids=lambda p: p.name)
def test_sharing_changes_nothing_on_the_examples(path, monkeypatch):
    bom = rarebom.load(path).bom
    for exact in (False, True):
        check(bom, exact=exact, typical=True, monkeypatch=monkeypatch)


def test_the_strict_comparison_can_fail():
    for a, b in [(1, 1.0), (0.0, -0.0), (Fraction(1, 2), 0.5), ((0, 1.0, 2.0), (0.0, 1.0, 2.0)), ({1: (1,), 2: (2,)}, {2: (2,), 1: (1,)}), (math.nan, 1.0)]:
        with pytest.raises(AssertionError):
            strict(a, b)
    strict((0, math.nan, math.inf), (0, float("nan"), math.inf))


def test_shared_numbers_keep_their_type_and_sign():
    shared = _Shared()

    def number(x):  # each item of a triple is shared on its own
        return shared.triple(x, 0, 0)[0]

    one = number(float("1.5"))
    assert number(3 / 2) is one
    assert number(Fraction(3, 2)) == one and type(number(Fraction(3, 2))) is Fraction
    assert number(Fraction(3, 2)) is number(Fraction(6, 4))
    assert number(1) == 1 and type(number(1.0)) is float and type(number(1)) is int
    assert math.copysign(1, number(-0.0)) == -1 and math.copysign(1, number(0.0)) == 1
    # triples: shared only when every item is the very same object
    a = shared.triple(0, 2.5, 5.0)
    assert shared.triple(0, 5 / 2, 10 / 2) is a
    for other in [(0.0, 2.5, 5.0), (0, 2.5, 5), (-0.0, 2.5, 5.0), (Fraction(0), 2.5, 5.0)]:
        got = shared.triple(*other)
        assert got is not a and [type(x) for x in got] == [type(x) for x in other]
        assert [math.copysign(1, x) for x in got] == [math.copysign(1, x) for x in other]
    nan = float("nan")
    t = shared.triple(0, nan, math.inf)
    assert t[1] is nan  # NaN is never shared, nor replaced


def test_parts_share_decisions_containers_and_triples():
    path = REPO / "examples" / "ev-traction-motor.xml"
    t = rarebom.trace(rarebom.load(path).bom)
    c = t._compiled
    unclaimed = [d for d, pid in zip(c.origin, c.ids, strict=True) if not t.bom.part(pid).origins]
    assert unclaimed and all(d is unclaimed[0] for d in unclaimed)
    assert unclaimed[0] == OriginDecision(rarebom.engine.OriginClass.UNKNOWN, "no origin claims")
    empty = [own for own in c.own if not own]
    assert all(own is empty[0] for own in empty)
    assert all(type(u) is tuple for u in c.uses) and all(type(use) is tuple for u in c.uses for use in u)
    shares = {id(s) for s in c.own_shares}
    assert len(shares) < len(c.own_shares)


def test_nothing_mutates_what_is_shared(monkeypatch):
    """Rules, reports, explanations and walks leave the compiled BOM as compiled: its empty
    vector stays empty, and every field equals an unshared compile made before."""
    from benchmarks.generate import synthetic_bom
    from rarebom.report import Input, render, report_data

    bom = synthetic_bom(400, 5)
    t = rarebom.trace(bom, currency="USD", rates=RATES, typical_compositions=True)
    c = t._compiled
    options = dict(policy=t.options.policy, currency=t.currency, rates=t.options.rates, typical=True, exact=False, limits=t.options.limits)
    with monkeypatch.context() as m:
        m.setattr(rollup_module, "_Shared", _NoSharing)
        before = compile_bom(bom, **options)
    empty = next(own for own in c.own if not own)
    evaluation = rules.evaluate(t, as_of=dt.date(2026, 11, 22))
    data = report_data([Input("synthetic.xml", "rarebom-xml", evaluation)], limit=None)
    for fmt in ("text", "json", "markdown", "html"):
        assert render(data, fmt, verbose=True)
    json.dumps(data, default=str)
    for pid in c.ids[-20:]:
        t.derivation(pid)
        t.contributors(pid, ["Nd", "Dy"])
        t.coverage(pid)
        t.exact(pid)
        t.own_elements(pid, ["Nd", "Dy"])
    t.holders(["Nd", "Dy"])
    assert empty == {} and all(own is empty or own for own in c.own)
    assert_same_compiled(c, before)
