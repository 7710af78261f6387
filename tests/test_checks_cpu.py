"""check_bom's fast paths give exactly the findings of the code they replaced.

``_reference_check`` below is check_bom as it was before the per-amount facts and the
quick per-part tests (issue #8), trimmed to the functions that changed; the helpers that
did not change (``_positive``, ``_share``, ``find_cycles``, ``mass_balance_warning``, ...)
are imported. Every test compares the two on BOMs from :func:`rarebom.testing.boms`, made
dirty in up to four places: negative, zero and huge amounts, fractions above 100 %, cycles,
missing children and alternates, parts used only as alternates, bad CAS numbers, unknown
item classes, empty or short full declarations, "less than" lumps, mass-kind shares of
fraction-kind materials, and materials (so amount objects) shared between parts of
different masses.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Iterable
from fractions import Fraction

import attrs
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from rarebom import checks, chemistry
from rarebom.checks import (
    CheckOptions,
    _above_one,
    _as_float,
    _exact_sum,
    _pct,
    _positive,
    _share,
    _unremarkable,
    check_bom,
    find_cycles,
    mass_balance_warning,
    topological_order,
)
from rarebom.errors import Finding, Location, Severity, error, warning
from rarebom.model import ITEM_CLASSES, Amount, Bom, Classification, Completeness, Material, Part, Substance, Usage
from rarebom.testing import boms
from rarebom.units import Kind

# --- the reference: check_bom before issue #8 --------------------------------------------


def _reference_check(bom: Bom, options: CheckOptions, *, graph: bool, mass_balance: bool) -> list[Finding]:
    if not graph:
        return list(_ref_amounts(bom, options))
    findings = list(_ref_references(bom))
    if any(f.code == "dangling-reference" for f in findings):
        return findings + list(_ref_amounts(bom, options))
    cycles = find_cycles(bom, limit=options.max_cycles_reported)
    findings += cycles
    if not cycles and any(use.alternates for part in bom.parts for use in part.uses):
        # Added after this reference was taken: a loop through an alternate is a cycle too.
        try:
            _ref_topological_order(bom, alternates=True)
        except ValueError:
            findings += find_cycles(bom, limit=options.max_cycles_reported, alternates=True)
    findings += _ref_amounts(bom, options)
    if mass_balance and not any(f.severity is Severity.ERROR for f in findings):
        findings += _ref_mass_balance(bom, options)
    return findings


def _ref_references(bom: Bom) -> Iterable[Finding]:
    for part in bom.parts:
        for use in part.uses:
            for ref in (use.child, *use.alternates):
                if ref not in bom:
                    role = "uses" if ref == use.child else "names as an alternate"
                    yield error("dangling-reference", f"part {part.id!r} {role} part {ref!r}, which does not exist", part.location, (part.id, ref))
                elif ref == use.child:
                    child = bom.part(ref)
                    if use.quantity.kind is not child.uom_kind:
                        yield error(
                            "quantity-unit-mismatch",
                            f"part {part.id!r} uses {use.quantity} of {ref!r}, but {ref!r} is counted in {child.uom!r} ({child.uom_kind.value})",
                            part.location,
                            (part.id, ref),
                        )


def _ref_topological_order(bom: Bom, *, alternates: bool = False) -> list[str]:
    pending: dict[str, int] = {}
    parents: dict[str, list[str]] = {p.id: [] for p in bom.parts}
    for part in bom.parts:
        children = {ref for use in part.uses for ref in ((use.child, *use.alternates) if alternates else (use.child,))}
        pending[part.id] = len(children)
        for child in children:
            parents[child].append(part.id)
    ready = [pid for pid, n in pending.items() if n == 0]
    ready.reverse()
    order = []
    while ready:
        pid = ready.pop()
        order.append(pid)
        for parent in parents[pid]:
            pending[parent] -= 1
            if pending[parent] == 0:
                ready.append(parent)
    if len(order) != len(bom.parts):
        raise ValueError("the BOM has a cycle")
    return order


def _ref_amounts(bom: Bom, options: CheckOptions) -> Iterable[Finding]:
    for part in bom.parts:
        if part.mass is not None:
            yield from _positive(part.mass, "mass", part, allow_zero=False)
            if part.uom_kind is Kind.MASS and part.mass.value is not None and part.mass.value != part.uom_size:
                yield error(
                    "uom-mass-mismatch",
                    f"part {part.id!r} is counted in {part.uom!r}, so one unit of it weighs 1 {part.uom}, not {part.mass}",
                    part.location,
                    (part.id,),
                )
        if part.unit_value is not None:
            for number in (part.unit_value.value, part.unit_value.min, part.unit_value.max):
                if number is not None and number < 0:
                    yield error("negative-value", f"part {part.id!r}: unit value {part.unit_value} is negative", part.location, (part.id,))
                    break
        for use in part.uses:
            yield from _positive(use.quantity, f"quantity of {use.child!r}", part, allow_zero=False)
        for code in part.item_classes() - ITEM_CLASSES if part.classifications else ():
            yield warning("unknown-item-class", f"part {part.id!r}: item class {code!r} is not one rarebom knows ({', '.join(sorted(ITEM_CLASSES))})", part.location, (part.id,))
        yield from _ref_materials(part, options)


def _ref_materials(part: Part, options: CheckOptions) -> Iterable[Finding]:
    limit = 1 + options.fraction_tolerance
    short = 1 - options.fraction_tolerance
    part_mass = part.uom_size if part.uom_kind is Kind.MASS else (part.mass.value if part.mass else None)
    material_shares: list[Fraction] = []
    share_known = True
    for material in part.materials:
        where = f"material {material.label!r}"
        if material.amount is not None:
            if not _unremarkable(material.amount):
                yield from _positive(material.amount, f"{where} amount", part, allow_zero=True)
                yield from _above_one(material.amount, f"{where} fraction", part)
            share = _share(material.amount, part_mass)
            if share is None:
                share_known = False
            else:
                material_shares.append(share[0])
        if material.completeness is Completeness.FULL and not material.substances:
            yield warning("empty-full-declaration", f"part {part.id!r}: {where} is declared full but lists no substance", part.location, (part.id,))
        substance_lows: list[Fraction] = []
        substance_highs: list[Fraction] = []
        shares_known = bool(material.substances)
        material_mass = None
        if material.amount is not None and material.amount.value is not None:
            material_mass = material.amount.value if material.amount.kind is Kind.MASS else (material.amount.value * part_mass if part_mass else None)
        for substance in material.substances:
            if substance.amount is not None:
                if not _unremarkable(substance.amount):
                    swhere = f"{where}, substance {substance.label!r}"
                    yield from _positive(substance.amount, f"{swhere} amount", part, allow_zero=True)
                    yield from _above_one(substance.amount, f"{swhere} fraction", part)
                share = _share(substance.amount, material_mass)
                if share is not None:
                    substance_lows.append(share[0])
                    substance_highs.append(share[1])
                else:
                    shares_known = False
            else:
                shares_known = False
            if substance.cas is not None:
                swhere = f"{where}, substance {substance.label!r}"
                if chemistry.is_ec_number(substance.cas):
                    yield warning(
                        "ec-number-in-cas-field",
                        f"part {part.id!r}: {swhere} has the EC number {substance.cas!r} in its CAS field; it is kept but not resolved",
                        part.location,
                        (part.id,),
                    )
                elif not chemistry.is_cas_shaped(substance.cas):
                    yield warning(
                        "not-a-cas-number",
                        f"part {part.id!r}: {swhere} has {substance.cas!r} in its CAS field, which is not a CAS number; it is kept but not resolved",
                        part.location,
                        (part.id,),
                    )
                elif not chemistry.cas_check_digit_ok(substance.cas):
                    yield warning("cas-check-digit", f"part {part.id!r}: {swhere} has CAS {substance.cas!r}, whose check digit is wrong", part.location, (part.id,))
        substance_low, substance_high = _exact_sum(substance_lows), _exact_sum(substance_highs)
        if substance_low > limit:
            yield warning("substance-fractions-sum", f"part {part.id!r}: the substances of {where} sum to {_pct(substance_low)}, above 100 %", part.location, (part.id,))
        elif material.completeness is Completeness.FULL and shares_known and substance_high < short:
            yield warning(
                "full-declaration-short",
                f"part {part.id!r}: {where} is declared full but its substances sum to {_pct(substance_high)}; the rest is treated as undeclared",
                part.location,
                (part.id,),
            )
    material_share = _exact_sum(material_shares)
    if share_known and material_share > limit:
        yield warning("material-fractions-sum", f"part {part.id!r}: its materials sum to {_pct(material_share)} of its mass, above 100 %", part.location, (part.id,))


def _ref_mass_balance(bom: Bom, options: CheckOptions) -> list[Finding]:
    findings: list[Finding] = []
    effective: dict[str, float | None] = {}
    # The walk follows the order with alternates, which check_bom makes once for the cycles,
    # the trace and the mass balance (the order without them until 2026-11-24): any order with
    # children before parents gives the same numbers, and this one orders the findings.
    for pid in _ref_topological_order(bom, alternates=True):
        part = bom.part(pid)
        declared = _as_float(part.uom_size if part.uom_kind is Kind.MASS else (part.mass.value if part.mass else None))
        computed = _ref_contents_mass(bom, part, effective, declared)
        absolute = all(m.amount is not None and m.amount.kind is Kind.MASS for m in part.materials)
        if declared is not None and computed is not None:
            finding = mass_balance_warning(part, declared, computed, materials_absolute=absolute, tolerance=options.mass_tolerance)
            if finding is not None:
                findings.append(finding)
        effective[pid] = declared if computed is None else computed if declared is None else max(declared, computed)
    return findings


def _ref_contents_mass(bom: Bom, part: Part, effective: dict[str, float | None], declared: float | None) -> float | None:
    if not part.uses and not part.materials:
        return None
    total = 0.0
    for use in part.uses:
        child_mass = effective[use.child]
        if child_mass is None or use.quantity.value is None:
            return None
        size = bom.part(use.child).uom_size
        multiplier = _as_float(use.quantity.value if size == 1 else use.quantity.value / size)
        if multiplier is None:
            return None
        total += multiplier * child_mass
    for material in part.materials:
        amount = material.amount
        if amount is None or amount.value is None:
            return None
        grams = _as_float(amount.value)
        if amount.kind is not Kind.MASS and grams is not None:
            grams = None if declared is None else grams * declared
        if grams is None:
            return None
        total += grams
    return total if math.isfinite(total) else None


# --- dirty BOMs ----------------------------------------------------------------------------

_FACTORS = [Fraction(-1), Fraction(0), Fraction(3), Fraction(10**3), Fraction(10**40), Fraction(1, 10**40), Fraction(101, 100)]


def _changed(amount: Amount, factor: Fraction) -> Amount:
    """``amount`` times ``factor``, its range flipped for a negative factor."""
    times = lambda x: None if x is None else x * factor  # noqa: E731
    low, high = times(amount.min), times(amount.max)
    if amount.value is None and factor < 0:  # "less than" stays "less than"
        return Amount(kind=amount.kind, unit=amount.unit, max=high)
    return Amount(kind=amount.kind, unit=amount.unit, value=times(amount.value), min=high if factor < 0 else low, max=low if factor < 0 else high)


def _lump(amount: Amount, factor: Fraction, from_zero: bool) -> Amount:
    """A "less than" amount (or one from zero): the top of ``amount`` times ``factor``, no nominal."""
    top = (amount.max if amount.max is not None else amount.value) * factor
    return Amount(kind=amount.kind, unit=amount.unit, max=top, min=Fraction(0) if from_zero and top >= 0 else None)


def _amount_slots(part: Part) -> list[tuple]:
    """Every amount of ``part``, as (where, index...) paths for :func:`_replace_amount`."""
    slots: list[tuple] = []
    if part.mass is not None:
        slots.append(("mass",))
    if part.unit_value is not None:
        slots.append(("unit_value",))
    slots += [("use", i) for i in range(len(part.uses))]
    for i, material in enumerate(part.materials):
        if material.amount is not None:
            slots.append(("material", i))
        slots += [("substance", i, j) for j, s in enumerate(material.substances) if s.amount is not None]
    return slots


def _replace_amount(part: Part, slot: tuple, change) -> Part:
    where = slot[0]
    if where in ("mass", "unit_value"):
        return attrs.evolve(part, **{where: change(getattr(part, where))})
    if where == "use":
        uses = list(part.uses)
        uses[slot[1]] = attrs.evolve(uses[slot[1]], quantity=change(uses[slot[1]].quantity))
        return attrs.evolve(part, uses=tuple(uses))
    materials = list(part.materials)
    material = materials[slot[1]]
    if where == "material":
        materials[slot[1]] = attrs.evolve(material, amount=change(material.amount))
    else:
        substances = list(material.substances)
        substances[slot[2]] = attrs.evolve(substances[slot[2]], amount=change(substances[slot[2]].amount))
        materials[slot[1]] = attrs.evolve(material, substances=tuple(substances))
    return attrs.evolve(part, materials=tuple(materials))


_COUNT_ONE = Amount(kind=Kind.COUNT, unit="", value=Fraction(1))
_PERCENT = lambda value: Amount(kind=Kind.FRACTION, unit="%", value=Fraction(value, 100))  # noqa: E731


#: The defects dirty_boms makes, each as likely as its count here.
_DEFECTS = (
    *("amount", "amount", "amount", "lump", "cycle", "ghost", "cas", "cas", "item-class"),
    *("uom-mass", "empty-full", "over-full", "short-full", "mass-share", "shared", "spare"),
)


@st.composite
def dirty_boms(draw, most_defects: int = 4, every: bool = False) -> Bom:
    """A BOM from :func:`boms` with up to ``most_defects`` defects (with ``every``, one of each
    kind), and every part located."""
    bom = draw(boms(max_parts=6))
    parts = [attrs.evolve(p, location=Location("dirty.xml", line)) for line, p in enumerate(bom.parts, start=2)]
    ids = [p.id for p in parts]
    defects = sorted(set(_DEFECTS)) if every else [draw(st.sampled_from(_DEFECTS)) for _ in range(draw(st.integers(0, most_defects)))]
    for defect in defects:
        i = draw(st.integers(0, len(parts) - 1))
        part = parts[i]
        if defect in ("amount", "lump"):
            slots = _amount_slots(part)
            if not slots:
                continue
            slot = draw(st.sampled_from(slots))
            factor, from_zero = draw(st.sampled_from(_FACTORS)), draw(st.booleans())
            change = functools.partial(_lump, factor=factor, from_zero=from_zero) if defect == "lump" else functools.partial(_changed, factor=factor)
            part = _replace_amount(part, slot, change)
        elif defect == "cycle":  # a use of this part or one before it in the file
            part = attrs.evolve(part, uses=(*part.uses, Usage(child=ids[draw(st.integers(0, i))], quantity=_COUNT_ONE)))
        elif defect == "ghost":
            ghost = Usage(child=draw(st.sampled_from([*ids, "ghost"])), quantity=_COUNT_ONE, alternates=draw(st.sampled_from([(), ("ghost",), (ids[0],), (ids[-1], "ghost")])))
            part = attrs.evolve(part, uses=(*part.uses, ghost))
        elif defect == "cas":
            numbers = draw(st.lists(st.sampled_from(["215-169-8", "7440-00-9", "not-a-cas", "7440-00-8", "7439-89-6"]), min_size=1, max_size=3))
            substances = tuple(Substance(cas=cas, amount=_PERCENT(draw(st.integers(0, 40)))) for cas in numbers)
            material = Material(name="m", amount=_PERCENT(draw(st.integers(0, 100))), substances=substances)
            part = attrs.evolve(part, materials=(*part.materials, material))
        elif defect == "spare":  # a new child with a new alternate, a part used only as an alternate
            child, spare = (Part(id=f"{name}-{len(parts)}", location=Location("dirty.xml", len(parts) + 2 + k)) for k, name in enumerate(("child", "spare")))
            parts += [child, spare]
            ids += [child.id, spare.id]
            part = attrs.evolve(part, uses=(*part.uses, Usage(child=child.id, quantity=_COUNT_ONE, alternates=(spare.id,))))
        elif defect == "shared":  # another part's material, the same objects (as readers share them), under this part's mass
            donor = draw(st.sampled_from(parts))
            if not donor.materials:
                continue
            part = attrs.evolve(part, materials=(*part.materials, draw(st.sampled_from(donor.materials))))
        elif defect == "item-class":
            part = attrs.evolve(part, classifications=(*part.classifications, Classification(scheme="item-class", code=draw(st.sampled_from(["widget", "magnet"])))))
        elif defect == "uom-mass":  # counted in kg, with a mass of its own (its users' quantities may no longer fit)
            part = attrs.evolve(part, uom="kg", mass=Amount(kind=Kind.MASS, unit="g", value=draw(st.sampled_from([Fraction(1000), Fraction(2), Fraction(-1)]))))
        elif defect == "empty-full":
            part = attrs.evolve(part, materials=(*part.materials, Material(amount=_PERCENT(50), completeness=Completeness.FULL)))
        elif defect in ("over-full", "short-full"):
            shares = draw(st.lists(st.integers(0, 100), min_size=1, max_size=3))
            if defect == "short-full":
                shares = [s // 3 for s in shares]
            substances = tuple(Substance(element="Nd", amount=_PERCENT(s)) for s in shares)
            part = attrs.evolve(part, materials=(*part.materials, Material(amount=_PERCENT(draw(st.integers(1, 100))), completeness=Completeness.FULL, substances=substances)))
        else:  # substances given as masses, in a material given as a fraction of the part or as a mass
            amount = draw(st.sampled_from([_PERCENT(40), _PERCENT(100), Amount(kind=Kind.MASS, unit="g", value=Fraction(3))]))
            grams = draw(st.lists(st.sampled_from([Fraction(1), Fraction(2), Fraction(1, 3)]), min_size=1, max_size=3))
            substances = tuple(Substance(element="Dy", amount=Amount(kind=Kind.MASS, unit="g", value=g)) for g in grams)
            part = attrs.evolve(part, materials=(*part.materials, Material(amount=amount, completeness=draw(st.sampled_from(Completeness)), substances=substances)))
        parts[i] = part
    return Bom(parts=parts, name=bom.name)


_options = st.builds(
    CheckOptions,
    fraction_tolerance=st.sampled_from([Fraction(1, 100), Fraction(0), Fraction(1, 2), Fraction(3), Fraction(-2)]),
    mass_tolerance=st.sampled_from([Fraction(5, 100), Fraction(0), Fraction(1, 3)]),
    max_cycles_reported=st.integers(0, 3),
)


def _new_check(bom: Bom, options: CheckOptions, *, graph: bool, mass_balance: bool) -> list[Finding]:
    bom._checked.clear()  # no findings cached by an earlier call
    return check_bom(bom, options, graph=graph, mass_balance=mass_balance)


def _outcome(check, bom: Bom, options: CheckOptions, *, graph: bool = True, mass_balance: bool = True) -> list[Finding] | tuple[type, str]:
    """The findings, or the exception and its message (an amount too long to write in a message)."""
    try:
        return check(bom, options, graph=graph, mass_balance=mass_balance)
    except ValueError as exc:
        return type(exc), str(exc)


# --- the comparisons -----------------------------------------------------------------------


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(dirty_boms() | dirty_boms(every=True), _options, st.booleans(), st.booleans(), st.booleans())
def test_findings_and_order_are_those_of_the_reference(bom, options, graph, mass_balance, alternates):
    """Every finding, with its code, message, severity, location and parts, in the same order;
    the same topological order (or the same exception: a cycle, a missing part); and the
    finished goods, which the check keeps from its graph when it walks one."""
    assert _outcome(_new_check, bom, options, graph=graph, mass_balance=mass_balance) == _outcome(_reference_check, bom, options, graph=graph, mass_balance=mass_balance)
    used = {ref for part in bom.parts for use in part.uses for ref in (use.child, *use.alternates)}
    assert bom.finished_goods == tuple(part for part in bom.parts if part.id not in used)

    def order(topological):
        try:
            return topological(bom, alternates=alternates)
        except (ValueError, KeyError) as exc:
            return type(exc)

    # The reference raised a bare KeyError for a missing part; the docstring says ValueError.
    expected = order(_ref_topological_order)
    expected = ValueError if expected is KeyError else expected
    assert order(topological_order) == expected
    # The first call may have taken the order check_bom made; the second computes its own.
    assert order(topological_order) == expected


#: Every code check_bom makes.
_CODES = {
    "dangling-reference",
    "quantity-unit-mismatch",
    "cycle",
    "non-positive-quantity",
    "non-positive-mass",
    "uom-mass-mismatch",
    "negative-value",
    "unknown-item-class",
    "fraction-above-100",
    "empty-full-declaration",
    "ec-number-in-cas-field",
    "not-a-cas-number",
    "cas-check-digit",
    "substance-fractions-sum",
    "full-declaration-short",
    "material-fractions-sum",
    "mass-balance",
}


def test_dirty_boms_make_every_finding():
    """The strategy behind the comparisons makes every finding check_bom knows (so they can
    fail), on BOMs where the new code and the reference agree. Derandomized: the same BOMs
    every run."""
    seen: set[str] = set()

    def all_seen(bom: Bom) -> bool:
        found = _new_check(bom, CheckOptions(), graph=True, mass_balance=True)
        assert found == _reference_check(bom, CheckOptions(), graph=True, mass_balance=True)
        seen.update(f.code for f in found)
        return seen >= _CODES

    quick = settings(max_examples=1000, phases=[Phase.generate], database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    with contextlib.suppress(NoSuchExample):  # not all seen: the assert below says which
        find(dirty_boms(every=True) | dirty_boms(), all_seen, settings=quick)
    assert sorted(_CODES - seen) == []


def test_a_huge_share_is_reported_as_the_reference_reports_it():
    """A fraction beyond float range: the sums are exact integers, and the message the same."""
    huge = Amount(kind=Kind.FRACTION, unit="%", value=Fraction(10**400))
    bom = Bom(parts=[Part(id="p", mass=Amount(kind=Kind.MASS, unit="g", value=Fraction(5)), materials=[Material(amount=huge, substances=[Substance(element="Nd", amount=huge)])])])
    found = _new_check(bom, CheckOptions(), graph=True, mass_balance=True)
    assert [f.code for f in found] == ["fraction-above-100", "fraction-above-100", "substance-fractions-sum", "material-fractions-sum"]
    assert found == _reference_check(bom, CheckOptions(), graph=True, mass_balance=True)


def test_amount_facts_are_per_object():
    """Equal amounts in different objects get their own facts; the same object is asked once."""
    facts = checks._AmountFacts()
    a, b = Amount(kind=Kind.MASS, unit="g", value=Fraction(1)), Amount(kind=Kind.MASS, unit="g", value=Fraction(-1))
    assert facts.of(a)[checks._POSITIVE] and not facts.of(b)[checks._POSITIVE]
    assert facts.of(a) is facts.of(a) and len(facts) == 2
