"""compile_bom works out what parts repeat once (rarebom.engine.rollup._Memo); that changes nothing.

Nor does the faster compile of issue #8 (each distinct substance worked out once, the own
content's arithmetic written out, a usage of one child compiled without a call, the ids
taken from the topological order as they are): the whole compile_bom is compared with the
driver as it was before (``_ref_compile_bom``, commit 3328f1b) around the reference per-part
code, and trace's mass balance, now read from the nominals at once, with its per-part form.

The compile is compared with the compile as it was before the memo (a reference copy of its
per-part code is kept below), field by field and strictly: the same types, floats bit for
bit, the same dict key order, the same resolved substances, conflicts, warnings and errors.
The BOMs are drawn by hypothesis and then made to repeat themselves as a reader's do: equal
amounts, substances, materials and usages become one object, and parts take other parts'
materials, masses, values and usages, so the memo is hit, in float and exact compiles.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rarebom
import rarebom.engine.rollup as rollup_module
from rarebom.checks import topological_order
from rarebom.engine.policy import OriginPolicy, conflicts
from rarebom.engine.rollup import (
    _UNKNOWN_COLUMN,
    UNDECLARED,
    UNKNOWN_MASS,
    UNRESOLVED,
    Compiled,
    Resolved,
    _add_into,
    _multiplicity_error,
    _number,
    _resolve,
    _Shared,
    _shares,
    _split,
    amount_triple,
    compile_bom,
    mul,
)
from rarebom.errors import InvalidBomError, error, warning
from rarebom.model import Amount, Bom, Completeness, Kind, Material, Part, Substance, Usage
from rarebom.testing import boms
from tests.test_compiled_memory import assert_same_compiled

REPO = Path(__file__).resolve().parent.parent
RATES = {"EUR": Fraction("1.08"), "CNY": Fraction("0.14")}
LIMITS = rarebom.Limits(max_multiplicity=10**300)


# -- the reference: compile_bom's per-part code before the memo (commit b69dd2f) ------------


def _ref_times(a, b):
    return mul(a[0], b[0]), mul(a[1], b[1]), mul(a[2], b[2])


def _ref_item_mass(amount, whole, unknown_share, exact):
    if amount is None:
        return _ref_times(unknown_share, whole)
    if amount.kind is Kind.MASS:
        return amount_triple(amount, exact)
    return _ref_times(amount_triple(amount, exact), whole)


def _ref_material_breakdown(part, declared, exact, materials_split=None):
    part_mass = declared if declared is not None else UNKNOWN_MASS
    _, _, m_unknown = materials_split or _shares((m.amount for m in part.materials), exact)
    for material in part.materials:
        m_mass = _ref_item_mass(material.amount, part_mass, m_unknown, exact)
        split = _shares((sub.amount for sub in material.substances), exact)
        substances = [(sub, _ref_item_mass(sub.amount, m_mass, split[2], exact)) for sub in material.substances]
        yield material, m_mass, split, substances


def _ref_add_resolution(vector, grams, resolution, exact):
    covered = [0, 0, 0]
    for element, f_min, f_nom, f_max in resolution.fractions:
        f = (_number(f_min, exact), _number(f_nom, exact), _number(f_max, exact))
        _add_into(vector, _UNKNOWN_COLUMN[element], _ref_times(grams, f))
        covered = [covered[0] + f[0], covered[1] + f[1], covered[2] + f[2]]
    if resolution.typical:
        rest = (mul(grams[0], max(0, 1 - covered[2])), grams[1] * (1 - covered[1]), mul(grams[2], max(0, 1 - covered[0])))
        _add_into(vector, _UNKNOWN_COLUMN[UNDECLARED], rest)


def _ref_own_content(part, declared, compiled, typical, exact):
    vector = {}
    if not part.materials:
        return vector, None, (0, 0, 0), (0, 0, 0)
    split = _shares((m.amount for m in part.materials), exact)
    m_shares, m_absolute, m_unknown = split
    total = [0, 0, 0]
    for material, m_mass, (s_shares, s_absolute, s_unknown), substances in _ref_material_breakdown(part, declared, exact, split):
        for substance, s_mass in substances:
            resolution = _resolve(substance.element, substance.formula, substance.cas, substance.name, typical)
            if resolution is None or resolution.basis != "element":
                compiled.resolved.append(Resolved(part.id, material.label, substance.label, resolution))
            if resolution is None:
                _add_into(vector, _UNKNOWN_COLUMN[UNRESOLVED], s_mass)
            else:
                _ref_add_resolution(vector, s_mass, resolution, exact)
        if not material.substances and typical and material.name:
            resolution = _resolve(None, None, None, material.name, True)
            if resolution is not None:
                compiled.resolved.append(Resolved(part.id, material.label, material.label, resolution))
                _ref_add_resolution(vector, m_mass, resolution, exact)
                s_shares = (1, 1, 1)
        used, rest = _split(m_mass, s_shares, s_absolute, s_unknown, full=material.completeness is Completeness.FULL)
        _add_into(vector, _UNKNOWN_COLUMN[UNDECLARED], rest)
        total = [total[0] + used[0], total[1] + used[1], total[2] + used[2]]
    gap_shares = m_shares if m_unknown is None else (m_shares[0], m_shares[1], m_shares[2] + m_unknown[2])
    return vector, (total[0], total[1], total[2]), gap_shares, m_absolute


def _ref_value(part, currency, rates, exact, missing):
    amount = part.unit_value
    if amount is None:
        return None
    code = amount.unit.strip().upper()
    if code == currency:
        rate = Fraction(1)
    elif code in rates:
        rate = rates[code]
    else:
        missing.setdefault(code, []).append(part.id)
        return None
    t = amount_triple(amount, exact)
    r = _number(rate, exact)
    return t[0] * r, t[1] * r, t[2] * r


def _ref_called_by_compile_bom(compiled, bom, part, index, kids, first, position, *rest):
    """:func:`_ref_compile_part` in compile_bom's place: it finds each child by its id in
    ``index``, not by the part numbers compile_bom passes (``kids``, ``first``, ``position``)."""
    return _ref_compile_part(compiled, bom, part, index, *rest)


def _ref_compile_part(compiled, bom, part, index, policy, currency, rates, typical, exact, missing_rates, shared, memo=None):
    triple, multipliers = shared.triple, shared.multipliers
    uses = []
    for use in part.uses:
        q = None
        candidates = []
        for ref in (use.child, *use.alternates):
            child = bom.part(ref)
            if child.uom_kind is not use.quantity.kind:
                compiled.findings.append(
                    warning(
                        "alternate-unit-mismatch",
                        f"part {part.id!r} names {ref!r} as an alternate for {use.quantity} of {use.child!r}, but {ref!r} is counted in {child.uom!r}; the alternate is ignored",
                        part.location,
                        (part.id, ref),
                    )
                )
                continue
            key = (id(use.quantity), child.uom)
            m = multipliers.get(key)
            if m is None:
                if q is None:
                    q = amount_triple(use.quantity, exact)
                size = _number(child.uom_size, exact)
                m = multipliers[key] = triple(q[0] / size, q[1] / size, q[2] / size)
            candidates.append((index[ref], *m))
        uses.append(tuple(candidates))
    compiled.uses.append(tuple(uses))
    if part.uom_kind is Kind.MASS:
        size = _number(part.uom_size, exact)
        declared = triple(size, size, size)
    else:
        declared = triple(*amount_triple(part.mass, exact)) if part.mass is not None else None
    compiled.declared_mass.append(declared)
    compiled.mass_basis_uom.append(part.uom_kind is Kind.MASS)
    own, material_mass, shares, absolute = _ref_own_content(part, declared, compiled, typical, exact)
    compiled.own_shares.append(triple(*shares))
    compiled.own_absolute.append(triple(*absolute))
    compiled.own.append({col: triple(*t) for col, t in own.items()} if own else shared.empty)
    compiled.own_material_mass.append(None if material_mass is None else triple(*material_mass))
    claims = part.origins
    if claims:
        decision = shared.decisions.get(claims)
        if decision is None:
            decision = shared.decisions[claims] = policy.decide(claims)
    else:
        decision = policy.decide(claims)
    compiled.origin.append(decision)
    if len(claims) > 1:
        compiled.conflicts += conflicts(part.id, claims)
    value = _ref_value(part, currency, rates, exact, missing_rates)
    compiled.own_value.append(None if value is None else triple(*value))
    compiled.has_own_value.append(part.unit_value is not None)
    compiled.materials_absolute.append(all(m.amount is not None and m.amount.kind is Kind.MASS and m.amount.value is not None for m in part.materials))


# -- BOMs that repeat themselves ----------------------------------------------------------


class _Interner:
    """One object per distinct value, as readers make them (keys are the objects themselves)."""

    def __init__(self) -> None:
        self.seen: dict = {}

    def __call__(self, obj):
        return obj if obj is None else self.seen.setdefault(obj, obj)

    def amount(self, a: Amount | None) -> Amount | None:
        return self(a)

    def substance(self, s: Substance) -> Substance:
        return self(attrs.evolve(s, amount=self.amount(s.amount)))

    def material(self, m: Material) -> Material:
        return self(attrs.evolve(m, amount=self.amount(m.amount), substances=tuple(self.substance(s) for s in m.substances)))

    def usage(self, u: Usage) -> Usage:
        return self(attrs.evolve(u, quantity=self.amount(u.quantity)))

    def part(self, p: Part) -> Part:
        return attrs.evolve(
            p,
            mass=self.amount(p.mass),
            unit_value=self.amount(p.unit_value),
            materials=tuple(self.material(m) for m in p.materials),
            uses=tuple(self.usage(u) for u in p.uses),
            origins=self(p.origins),
        )


@st.composite
def repeating_boms(draw) -> Bom:
    """A hypothesis BOM whose parts take other parts' materials, masses, values and usages
    (the very objects), with equal objects made one, as a reader does."""
    bom = draw(boms())
    parts = list(bom.parts)
    order = {p.id: i for i, p in enumerate(parts)}
    for i, part in enumerate(parts):
        if draw(st.booleans()):
            other = parts[draw(st.integers(0, len(parts) - 1))]
            changes = {"materials": other.materials, "unit_value": other.unit_value}
            if (part.uom_kind is Kind.MASS) == (other.uom_kind is Kind.MASS):
                changes["mass"] = other.mass
            parts[i] = attrs.evolve(part, **changes)
        # a usage of a later part (in the file) by an earlier one keeps the graph acyclic when
        # the donor's usages only name parts after the part itself
        donor = parts[draw(st.integers(0, len(parts) - 1))]
        if draw(st.booleans()) and all(order[ref] > i for u in donor.uses for ref in (u.child, *u.alternates)):
            parts[i] = attrs.evolve(parts[i], uses=parts[i].uses + donor.uses)
    intern = _Interner()
    return Bom(parts=[intern.part(p) for p in parts], name=bom.name, attributes=bom.attributes)


def compile_both(bom: Bom, *, exact: bool, typical: bool):
    """(new, reference) compiles, or their errors' findings if both raise."""
    t = rarebom.trace(bom, currency="USD", rates=RATES, typical_compositions=typical, exact=exact, limits=LIMITS)
    options = dict(policy=t.options.policy, currency=t.currency, rates=t.options.rates, typical=typical, exact=exact, limits=LIMITS)
    return _compile(bom, options, rollup_module._compile_part), _compile(bom, options, _ref_called_by_compile_bom)


def _compile(bom, options, compile_part):
    with pytest.MonkeyPatch.context() as m:
        m.setattr(rollup_module, "_compile_part", compile_part)
        try:
            return compile_bom(bom, **options)
        except InvalidBomError as e:
            return [(f.code, f.message, f.parts) for f in e.findings]


def assert_same(new, ref) -> None:
    if isinstance(ref, list) or isinstance(new, list):
        assert new == ref
    else:
        assert_same_compiled(new, ref)


def _is_valid(bom: Bom) -> bool:
    try:
        rarebom.trace(bom, limits=LIMITS)
    except InvalidBomError:
        return False
    except ValueError:
        # A cycle through an alternate: check_bom's find_cycles follows selected children
        # only, and compile_bom's topological order raises a bare ValueError (not this test's).
        return False
    return True


# -- the tests ----------------------------------------------------------------------------


@settings(max_examples=40)
@given(repeating_boms(), st.booleans(), st.booleans())
def test_the_memo_changes_nothing_on_hypothesis_boms(bom, exact, typical):
    if not _is_valid(bom):
        return  # a donor's usages may repeat a child or break a rule check_bom enforces
    new, ref = compile_both(bom, exact=exact, typical=typical)
    assert_same(new, ref)


@pytest.mark.parametrize("exact", [False, True])
def test_the_memo_changes_nothing_on_a_synthetic_bom(exact):
    from benchmarks.generate import synthetic_bom

    bom = synthetic_bom(600, 3)
    new, ref = compile_both(bom, exact=exact, typical=True)
    assert_same(new, ref)
    assert len(new.ids) > 500 and sum(1 for own in new.own if own) > 100


@pytest.mark.parametrize("path", sorted((REPO / "examples").glob("*.xml")), ids=lambda p: p.name)
def test_the_memo_changes_nothing_on_the_examples(path):
    bom = rarebom.load(path).bom
    for exact in (False, True):
        for typical in (False, True):
            new, ref = compile_both(bom, exact=exact, typical=typical)
            assert_same(new, ref)


def _repeated_bom(**top) -> Bom:
    """Five parts holding the very same material, mass, value and usage objects."""
    share = Amount.parse("40", "%", Kind.FRACTION)
    dy = Substance(formula="Dy2O3", amount=Amount.parse("30", "%", Kind.FRACTION))
    magnet = Material(name="NdFeB N42", amount=share, substances=(dy, Substance(element="Nd", amount=Amount.parse("25", "%", Kind.FRACTION))))
    alloy = Material(name="NdFeB N42", amount=Amount.parse("10", "%", Kind.FRACTION))  # a typical composition
    mass = Amount.parse("12.5", "g", Kind.MASS)
    value = Amount.parse("3.10", "EUR", Kind.CURRENCY)
    use = Usage(child="leaf", quantity=Amount.parse("2", "each", Kind.COUNT), alternates=top.get("alternates", ()))
    parts = [Part(id=f"p{k}", mass=mass, unit_value=value, materials=(magnet, alloy), uses=(use,)) for k in range(5)]
    parts.append(Part(id="leaf", mass=mass, unit_value=value, materials=(magnet,)))
    parts += top.get("extra", [])
    return Bom(parts=parts)


@pytest.mark.parametrize("exact", [False, True])
def test_repeated_objects_compile_alike_for_every_part(exact):
    bom = _repeated_bom()
    new, ref = compile_both(bom, exact=exact, typical=True)
    assert_same(new, ref)
    # every part that holds the material gets its own resolved entries, in part order
    assert [r.part for r in new.resolved] == [r.part for r in ref.resolved]
    held = {r.part for r in new.resolved}
    assert held == {"p0", "p1", "p2", "p3", "p4", "leaf"}
    # the memo really is hit: the materials are kept from their second part on, the contents
    # (the same materials and mass) from their second part after that; a usage object is one
    # tuple of candidates, however many parts hold it
    i = sorted(new.index[f"p{k}"] for k in range(5))
    assert new.own[i[3]] is new.own[i[4]] and all(new.uses[j][0] is new.uses[i[0]][0] for j in i)
    assert ref.own[i[3]] is not ref.own[i[4]]


def test_a_missing_rate_names_every_part():
    bom = _repeated_bom()
    new, ref = compile_both(bom, exact=False, typical=False)  # USD with no rate for... EUR has one
    assert_same(new, ref)
    options = dict(policy=OriginPolicy(), currency="JPY", rates={}, typical=False, exact=False, limits=LIMITS)
    new, ref = _compile(bom, options, rollup_module._compile_part), _compile(bom, options, _ref_called_by_compile_bom)
    assert_same(new, ref)
    (finding,) = [f for f in new.findings if f.code == "missing-rate"]
    assert set(finding.parts) == {"leaf", "p0", "p1", "p2", "p3", "p4"} and len(finding.parts) == 6
    assert all(v is None for v in new.own_value) and all(new.has_own_value)


def test_a_usage_that_warns_warns_for_every_part():
    bulk = Part(id="glue", uom="kg", materials=())
    bom = _repeated_bom(alternates=("glue",), extra=[bulk])
    new, ref = compile_both(bom, exact=False, typical=False)
    assert_same(new, ref)
    warned = [f.parts for f in new.findings if f.code == "alternate-unit-mismatch"]
    assert sorted(warned) == [(f"p{k}", "glue") for k in range(5)]


def test_a_number_beyond_float_range_fails_every_part_that_holds_it():
    huge = Amount(kind=Kind.MASS, unit="g", value=Fraction(10**400))
    parts = [Part(id=f"p{k}", mass=huge) for k in range(3)] + [Part(id="top", uses=tuple(Usage(child=f"p{k}", quantity=Amount.parse("1", "each", Kind.COUNT)) for k in range(3)))]
    bom = Bom(parts=parts)
    options = dict(policy=OriginPolicy(), currency=None, rates={}, typical=False, exact=False, limits=LIMITS)
    new, ref = _compile(bom, options, rollup_module._compile_part), _compile(bom, options, _ref_called_by_compile_bom)
    assert isinstance(new, list) and new == ref
    assert sorted(parts[0] for _, _, parts in new if parts) == ["p0", "p1", "p2"]
    exact = dict(options, exact=True)
    assert_same(_compile(bom, exact, rollup_module._compile_part), _compile(bom, exact, _ref_called_by_compile_bom))


def test_the_comparison_can_fail():
    bom = _repeated_bom()
    new, ref = compile_both(bom, exact=False, typical=True)
    ref.own_material_mass[0] = (0.0, 1.0, 2.0)
    with pytest.raises(AssertionError):
        assert_same(new, ref)
    with pytest.raises(AssertionError):
        assert_same([("number-out-of-range", "x", ("p0",))], [])


# -- the whole compile, against the driver as it was before issue #8's (commit 3328f1b) -------


def _ref_compile_bom(bom, *, policy, currency, rates, typical, exact, limits):
    """compile_bom as of 3328f1b around the reference per-part code (no memo): the compile, or its error's findings."""
    order = [bom.part(pid) for pid in topological_order(bom, alternates=True)]
    index = {part.id: i for i, part in enumerate(order)}
    compiled = Compiled(
        ids=[p.id for p in order],
        index=index,
        uses=[],
        declared_mass=[],
        mass_basis_uom=bytearray(),
        own=[],
        own_material_mass=[],
        own_shares=[],
        own_absolute=[],
        origin=[],
        own_value=[],
        has_own_value=bytearray(),
        materials_absolute=bytearray(),
        exact=exact,
        currency=currency,
    )
    missing_rates: dict = {}
    shared = _Shared()
    too_large = []
    most, via = [], []
    ceiling = limits.max_multiplicity if exact else min(limits.max_multiplicity, sys.float_info.max)
    level = compiled.level
    for n, part in enumerate(order):
        best, through, top = 1, -2, 0
        try:
            _ref_compile_part(compiled, bom, part, index, policy, currency, rates, typical, exact, missing_rates, shared)
            through = -1
            for candidates in compiled.uses[-1]:
                for j, _, _, q_hi in candidates:
                    if via[j] == -2:
                        through = -2
                    m = q_hi * most[j]
                    if m > best:
                        best, child = m, j
                    if level[j] >= top:
                        top = level[j] + 1
            if through == -1 and best > 1:
                through = child
            if best > ceiling and through != -2:
                too_large.append(_multiplicity_error(compiled, order, n, through, via, best, limits))
                through = -2
        except OverflowError:
            too_large.append(
                error(
                    "number-out-of-range",
                    f"part {part.id!r} holds a number beyond the range of floating point (about 1.8e308); trace it with exact=True",
                    part.location,
                    (part.id,),
                )
            )
        most.append(best)
        via.append(through)
        level.append(top)
    if too_large:
        return [(f.code, f.message, f.parts) for f in too_large]
    for code, parts in missing_rates.items():
        shown = ", ".join(repr(p) for p in parts[:5]) + (f" and {len(parts) - 5} more" if len(parts) > 5 else "")
        compiled.findings.append(
            warning("missing-rate", f"no exchange rate from {code} to {currency} was given, so the values of {shown} are unknown; no rate is ever assumed", None, tuple(parts))
        )
    for conflict in compiled.conflicts:
        compiled.findings.append(warning("origin-conflict", str(conflict), bom.part(conflict.part).location, (conflict.part,)))
    return compiled


def _new_compile_bom(bom, options):
    try:
        return compile_bom(bom, **options)
    except InvalidBomError as e:
        return [(f.code, f.message, f.parts) for f in e.findings]


def whole_compiles(bom: Bom, *, exact: bool, typical: bool, currency: str | None = "USD", rates=RATES):
    options = dict(policy=OriginPolicy(), currency=currency, rates=rates, typical=typical, exact=exact, limits=LIMITS)
    return _new_compile_bom(bom, options), _ref_compile_bom(bom, **options)


@settings(max_examples=30)
@given(repeating_boms(), st.booleans(), st.booleans())
def test_the_whole_compile_is_the_old_one_on_hypothesis_boms(bom, exact, typical):
    if not _is_valid(bom):
        return
    new, ref = whole_compiles(bom, exact=exact, typical=typical)
    assert_same(new, ref)


@pytest.mark.parametrize("exact", [False, True])
def test_the_whole_compile_is_the_old_one_on_a_synthetic_bom(exact):
    from benchmarks.generate import synthetic_bom

    bom = synthetic_bom(800, 7)
    new, ref = whole_compiles(bom, exact=exact, typical=True)
    assert_same(new, ref)
    # the fast path for a usage of one child was taken, and alternates went the long way
    assert sum(1 for u in new.uses for c in u if len(c) == 1) > 300 and any(len(c) > 1 for u in new.uses for c in u)
    assert new.ids == ref.ids and new.index == ref.index


@pytest.mark.parametrize("path", sorted((REPO / "examples").glob("*.xml")), ids=lambda p: p.name)
def test_the_whole_compile_is_the_old_one_on_the_examples(path):
    bom = rarebom.load(path).bom
    for exact in (False, True):
        for typical in (False, True):
            new, ref = whole_compiles(bom, exact=exact, typical=typical)
            assert_same(new, ref)
            assert [(r.part, r.material, r.substance) for r in new.resolved] == [(r.part, r.material, r.substance) for r in ref.resolved]


def _substances_bom() -> Bom:
    """Materials that share substances (the very objects): by fraction, by mass, of unknown
    amount, unresolved, by formula; in parts with one material and with several, by fraction,
    by mass and of unknown amount, full and partial, with a mass and without."""
    frac, grams = Amount.parse("20", "%", Kind.FRACTION), Amount.parse("0.5", "g", Kind.MASS)
    nd = Substance(element="Nd", amount=frac)
    dy = Substance(formula="Dy2O3", amount=grams)
    vague = Substance(name="proprietary binder")  # unresolved, amount unknown
    fe = Substance(element="Fe")
    a = Material(name="magnet", amount=Amount.parse("40", "%", Kind.FRACTION), substances=(nd, dy, vague), completeness=Completeness.FULL)
    b = Material(name="steel", amount=Amount.parse("3", "g", Kind.MASS), substances=(fe, nd))
    c = Material(name="coating", substances=(vague, dy))  # amount unknown
    d = Material(name="NdFeB N42")  # a typical composition, no substances
    mass = Amount.parse("12.5", "g", Kind.MASS)
    parts = [
        Part(id="p1", mass=mass, materials=(a,)),
        Part(id="p2", materials=(a, b)),
        Part(id="p3", mass=mass, materials=(b, c, d)),
        Part(id="p4", mass=Amount.parse("2", "g", Kind.MASS), materials=(c,)),
        Part(id="p5", mass=mass, materials=(d, a)),
        Part(id="bulk", uom="kg", materials=(b, a)),
    ]
    count = Amount.parse("2", "each", Kind.COUNT)
    parts.append(Part(id="top", uses=tuple(Usage(child=p.id, quantity=count) for p in parts[:5]) + (Usage(child="bulk", quantity=Amount.parse("0.25", "kg", Kind.MASS)),)))
    return Bom(parts=parts)


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("typical", [False, True])
def test_shared_substances_compile_alike_in_every_material(exact, typical):
    bom = _substances_bom()
    new, ref = whole_compiles(bom, exact=exact, typical=typical)
    assert_same(new, ref)
    # each material notes its unresolved substances under its own label
    assert {(r.part, r.material, r.substance) for r in new.resolved} >= {("p1", "magnet", "proprietary binder"), ("p4", "coating", "proprietary binder")}


def test_a_substance_beyond_float_range_fails_every_part_that_holds_it():
    huge = Substance(element="Nd", amount=Amount(kind=Kind.MASS, unit="g", value=Fraction(10**400)))
    fine = Substance(element="Fe", amount=Amount.parse("1", "g", Kind.MASS))
    one = Material(name="a", substances=(fine, huge))
    other = Material(name="b", substances=(huge,))
    parts = [
        Part(id="p1", materials=(one,)),
        Part(id="p2", materials=(other,)),
        Part(id="p3", materials=(one, other)),
        Part(id="p4", materials=(Material(name="c", substances=(fine,)),)),
    ]
    bom = Bom(parts=parts)
    new, ref = whole_compiles(bom, exact=False, typical=False, currency=None, rates={})
    assert isinstance(new, list) and new == ref
    assert sorted(p for _, _, parts in new for p in parts) == ["p1", "p2", "p3"]
    assert_same(*whole_compiles(bom, exact=True, typical=False, currency=None, rates={}))


def test_the_whole_compile_comparison_can_fail():
    bom = _substances_bom()
    new, ref = whole_compiles(bom, exact=False, typical=True)
    ref.ids.reverse()
    with pytest.raises(AssertionError):
        assert_same(new, ref)
    new, ref = whole_compiles(bom, exact=False, typical=True)
    key = next(iter(ref.own[0]))
    ref.own[0] = {**ref.own[0], key: (0.0, *ref.own[0][key][1:])}
    with pytest.raises(AssertionError):
        assert_same(new, ref)


# -- trace's mass balance, from the nominals at once ----------------------------------------


def _ref_mass_balance(bom, compiled, rolled, tolerance):
    """rarebom.engine.trace._mass_balance as of 3328f1b: one triple per part."""
    from rarebom.checks import mass_balance_warning
    from rarebom.engine.trace import _to_float

    findings = []
    for i, declared in enumerate(compiled.declared_mass):
        contents = rolled.contents_mass[i]
        if declared is None or contents is None:
            continue
        finding = mass_balance_warning(
            bom.part(compiled.ids[i]), _to_float(declared[1]), _to_float(contents[1]), materials_absolute=compiled.materials_absolute[i], tolerance=tolerance
        )
        if finding is not None:
            findings.append(finding)
    return findings


@pytest.mark.parametrize("tolerance", [Fraction(0), Fraction(1, 100)])
def test_the_mass_balance_reads_the_same_contents(tolerance):
    from benchmarks.generate import synthetic_bom
    from rarebom.engine.policy import Alternates
    from rarebom.engine.rollup import rollup
    from rarebom.engine.trace import _mass_balance

    vector = pytest.importorskip("rarebom.engine.vector")
    bom = synthetic_bom(600, 3)
    # assemblies that declare a mass their contents outweigh or fall short of, and some that match
    light, heavy = Amount.parse("0.001", "g", Kind.MASS), Amount.parse("1000000", "g", Kind.MASS)
    parts = [attrs.evolve(p, mass=(light, heavy, p.mass)[k % 3]) if p.uses else p for k, p in enumerate(bom.parts)]
    bom = Bom(parts=parts)
    compiled = compile_bom(bom, policy=OriginPolicy(), currency="USD", rates=RATES, typical=True, exact=False, limits=LIMITS)
    loop = rollup(compiled, alternates=Alternates.SELECTED, inherit=True)
    arrays = vector.rollup_arrays(compiled, alternates=Alternates.SELECTED, inherit=True, min_level_width=0)
    assert not isinstance(arrays.contents_mass, list)  # the arrays' view, with nominals()
    found = None
    for rolled in (loop, arrays):
        new, ref = _mass_balance(bom, compiled, rolled, tolerance), _ref_mass_balance(bom, compiled, rolled, tolerance)
        assert [(f.code, f.message, f.parts) for f in new] == [(f.code, f.message, f.parts) for f in ref]
        assert found is None or len(new) == found
        found = len(new)
    if tolerance == 0:
        assert found > 10  # warnings there are, so the comparison compares something
