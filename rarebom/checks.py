"""Whole-BOM checks: the graph, the amounts, and the arithmetic a file states about itself.

:func:`check_bom` returns findings; it never raises for bad data. Errors make the BOM
unusable (a usage naming a missing part, a cycle, a zero or negative quantity or mass);
warnings are dirty data the tool can still work with (fractions above 100 %, a declared
mass that disagrees with the sum of its contents).

Every walk here is iterative, so a 100,000-level chain is no problem.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction

import attrs

from . import chemistry
from .errors import Finding, Severity, error, warning
from .model import ITEM_CLASSES, Amount, Bom, Completeness, Part
from .units import Kind

__all__ = ["CheckOptions", "check_bom", "find_cycles", "topological_order"]


DEFAULT_FRACTION_TOLERANCE = Fraction(1, 100)
DEFAULT_MASS_TOLERANCE = Fraction(5, 100)


@attrs.frozen(kw_only=True)
class CheckOptions:
    """Tolerances for the warnings about a file's own arithmetic.

    ``fraction_tolerance``: how far above 100 % fractions may sum before a warning (0.01 =
    one percentage point), because suppliers round each line. ``mass_tolerance``: the
    relative gap allowed between a part's declared mass and the sum of its children and
    materials (0.05 = 5 %), because a declared mass is often weighed and the sum computed.
    """

    fraction_tolerance: Fraction = DEFAULT_FRACTION_TOLERANCE
    mass_tolerance: Fraction = DEFAULT_MASS_TOLERANCE
    max_cycles_reported: int = 20


def _g(grams: float) -> str:
    return f"{grams:.6g} g"


def _pct(ratio: Fraction | float) -> str:
    try:
        return f"{float(ratio * 100):.6g} %"
    except OverflowError:  # a Fraction beyond float range, from absurd masses in a file
        return "more than 1e308 %"


def check_bom(bom: Bom, options: CheckOptions = CheckOptions(), *, graph: bool = True, mass_balance: bool = True) -> list[Finding]:
    """All findings for ``bom``: graph errors first, then amounts, then arithmetic.

    ``graph=False`` checks each part on its own only: for the parts a reader could build
    from a file that also had errors, where references to the broken parts would dangle.
    ``mass_balance=False`` skips the mass-balance walk, for callers that roll the masses
    up anyway and report the balance themselves (:func:`rarebom.trace`).
    """
    full = bom._checked.get((options, graph, True))
    if full is not None:  # checked before (rarebom.load does): the same findings, minus what was not asked for
        return [f for f in full if mass_balance or f.code != "mass-balance"]
    found = bom._checked.get((options, graph, mass_balance))
    if found is None:
        found = bom._checked[(options, graph, mass_balance)] = _check(bom, options, graph=graph, mass_balance=mass_balance)
    return list(found)


def _check(bom: Bom, options: CheckOptions, *, graph: bool, mass_balance: bool) -> list[Finding]:
    if not graph:
        return list(_check_amounts(bom, options))
    findings = list(_check_references(bom))
    if any(f.code == "dangling-reference" for f in findings):
        return findings + list(_check_amounts(bom, options))
    findings += find_cycles(bom, limit=options.max_cycles_reported)
    findings += _check_amounts(bom, options)
    if mass_balance and not any(f.severity is Severity.ERROR for f in findings):
        findings += _check_mass_balance(bom, options)
    return findings


def _check_references(bom: Bom) -> Iterable[Finding]:
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


def _children(part: Part) -> list[str]:
    return [use.child for use in part.uses]


def find_cycles(bom: Bom, *, limit: int = 20) -> list[Finding]:
    """One error per cycle found, each with the cycle's path ``a -> b -> ... -> a``."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys((p.id for p in bom.parts), WHITE)
    findings: list[Finding] = []
    for start in bom.parts:
        if colour[start.id] != WHITE:
            continue
        # Iterative DFS: the stack holds (part id, iterator over its children).
        path = [start.id]
        colour[start.id] = GREY
        stack = [iter(_children(start))]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                colour[path.pop()] = BLACK
                continue
            if child not in colour:
                continue  # dangling; reported elsewhere
            if colour[child] == GREY:
                cycle = path[path.index(child) :] + [child]
                findings.append(error("cycle", "the BOM has a cycle: " + " -> ".join(cycle), bom.part(child).location, tuple(dict.fromkeys(cycle))))
                if len(findings) >= limit:
                    return findings
            elif colour[child] == WHITE:
                colour[child] = GREY
                path.append(child)
                stack.append(iter(_children(bom.part(child))))
    return findings


def topological_order(bom: Bom, *, alternates: bool = False) -> list[str]:
    """Part ids with every child before its parents (Kahn's algorithm, iterative).

    With ``alternates``, every alternate also comes before the parts that name it. The
    order is deterministic: among parts that are ready together, file order wins.
    Raises ``ValueError`` if the BOM has a cycle or a dangling reference; run
    :func:`check_bom` first for a located message.
    """
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


def _positive(amount: Amount, what: str, part: Part, *, allow_zero: bool) -> Iterable[Finding]:
    """Errors for a zero or negative amount. ``allow_zero`` lets a substance declare absence."""
    # A Fraction's sign is its numerator's (the denominator is always positive): the common
    # case, every number above zero, is settled without Fraction comparisons.
    value, low, high = amount.value, amount.min, amount.max
    if (value is None or value.numerator > 0) and (low is None or low.numerator > 0) and (high is None or high.numerator > 0):
        return
    for label, number in (("", amount.value), ("min ", amount.min), ("max ", amount.max)):
        if number is None:
            continue
        bad = number < 0 or (number == 0 and not allow_zero and label != "min ")
        if bad:
            code = "non-positive-quantity" if what.startswith("quantity") else "non-positive-mass"
            sign = "negative" if number < 0 else "zero"
            yield error(code, f"part {part.id!r}: {what} {label}is {sign} ({amount})", part.location, (part.id,))


def _unremarkable(amount: Amount) -> bool:
    """True when neither :func:`_positive` with ``allow_zero`` nor :func:`_above_one` has
    anything to say: no number below zero, and a fraction no higher than 1. Lets the
    per-substance loop skip writing labels for messages it will not give."""
    value, low, high = amount.value, amount.min, amount.max
    if (value is not None and value.numerator < 0) or (low is not None and low.numerator < 0) or (high is not None and high.numerator < 0):
        return False
    top = high if high is not None else value
    return amount.kind is not Kind.FRACTION or top is None or top.numerator <= top.denominator


def _above_one(amount: Amount, what: str, part: Part) -> Iterable[Finding]:
    top = amount.max if amount.max is not None else amount.value
    if amount.kind is Kind.FRACTION and top is not None and top.numerator > top.denominator:  # top > 1
        yield warning("fraction-above-100", f"part {part.id!r}: {what} is {amount}, above 100 %", part.location, (part.id,))


def _check_amounts(bom: Bom, options: CheckOptions) -> Iterable[Finding]:
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
        yield from _check_materials(part, options)


def _check_materials(part: Part, options: CheckOptions) -> Iterable[Finding]:
    limit = 1 + options.fraction_tolerance
    short = 1 - options.fraction_tolerance
    part_mass = part.uom_size if part.uom_kind is Kind.MASS else (part.mass.value if part.mass else None)
    material_shares: list[Fraction] = []  # lowest the materials can sum to
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
        # Nominal values where given; otherwise the range's low end for the "above 100 %"
        # sum and its high end for the "full but short" sum, so that a legitimate
        # "other substances < 10 %" line makes neither warning.
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


def _exact_sum(numbers: list[Fraction]) -> Fraction:
    """``sum(numbers, Fraction(0))``, exactly, normalised once at the end instead of once per term.

    Adding Fractions costs a gcd and a new object per term; here the terms are added as
    integers over a common denominator (the larger one when one divides the other, as the
    denominators of decimal percentages do, else their product).
    """
    if len(numbers) == 1:
        return numbers[0]
    numerator, denominator = 0, 1
    for number in numbers:
        n, d = number.numerator, number.denominator
        if d == denominator:
            numerator += n
        elif denominator % d == 0:
            numerator += n * (denominator // d)
        elif d % denominator == 0:
            numerator = numerator * (d // denominator) + n
            denominator = d
        else:
            numerator = numerator * d + n * denominator
            denominator *= d
    return Fraction(numerator, denominator)


def _share(amount: Amount, whole: Fraction | None) -> tuple[Fraction, Fraction] | None:
    """``(low, high)`` shares of ``whole`` grams (a fraction stays a fraction); None if unknown.

    Both are the nominal value where there is one; else the range's ends, 0 standing
    for a missing min ("< 10 %").
    """
    if amount.value is not None:
        low = high = amount.value
    else:
        low, high = amount.min or Fraction(0), amount.max
    if amount.kind is Kind.FRACTION:
        return low, high
    if whole:
        return low / whole, high / whole
    return None


def _check_mass_balance(bom: Bom, options: CheckOptions) -> list[Finding]:
    """Warn where a declared part mass and the sum of its children and materials differ.

    The effective mass of a part is the heavier of its declared mass and its contents, as
    in :func:`rarebom.trace`; a part whose contents are not all known has no computed sum,
    and nothing is compared. This is a warning against a tolerance, never a verdict, so it
    runs on floats: exact fractions would cost ~50x more on a million-part BOM for no
    change in any finding.
    """
    findings: list[Finding] = []
    effective: dict[str, float | None] = {}
    for pid in topological_order(bom):
        part = bom.part(pid)
        declared = _as_float(part.uom_size if part.uom_kind is Kind.MASS else (part.mass.value if part.mass else None))
        computed = _contents_mass(bom, part, effective, declared)
        absolute = all(m.amount is not None and m.amount.kind is Kind.MASS for m in part.materials)
        if declared is not None and computed is not None:
            finding = mass_balance_warning(part, declared, computed, materials_absolute=absolute, tolerance=options.mass_tolerance)
            if finding is not None:
                findings.append(finding)
        effective[pid] = declared if computed is None else computed if declared is None else max(declared, computed)
    return findings


def mass_balance_warning(part: Part, declared: float, computed: float, *, materials_absolute: bool, tolerance: Fraction) -> Finding | None:
    """The ``mass-balance`` warning for one part, or None; :func:`check_bom` and :func:`rarebom.trace` both use it.

    ``declared`` and ``computed`` are grams per unit of the part. Contents heavier than the
    declared mass beyond the tolerance always warn. Lighter contents warn only when every
    material is given as a mass: materials given as fractions of the part may cover only
    part of it (a partial declaration), which is undeclared content, not an error.
    """
    if not declared or not computed or declared != declared or computed != computed:
        return None
    gap = abs(declared - computed)
    if gap <= float(tolerance) * declared or (computed < declared and not materials_absolute):
        return None
    said = f"is counted in {part.uom!r}, so one unit weighs {_g(declared)}," if part.uom_kind is Kind.MASS else f"declares {_g(declared)}"
    return warning(
        "mass-balance",
        f"part {part.id!r} {said} but its children and materials sum to {_g(computed)} ({_pct(gap / declared)} apart); {mass_balance_choice(declared >= computed)}",
        part.location,
        (part.id,),
    )


def mass_balance_choice(declared_is_heavier: bool) -> str:
    """Which mass rarebom uses where the two disagree: the heavier, since a part cannot weigh less than its contents."""
    if declared_is_heavier:
        return "the declared mass is used, and the difference is undeclared content"
    return "the contents' mass is used, since a part cannot weigh less than what is in it"


def _contents_mass(bom: Bom, part: Part, effective: dict[str, float | None], declared: float | None) -> float | None:
    """Grams of children plus materials per unit of ``part``; None unless every term is known.

    A material given as a fraction counts as that fraction of the declared mass.
    """
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
        grams = _as_float(amount.value)  # None beyond float range ("1e999 %")
        if amount.kind is not Kind.MASS and grams is not None:
            grams = None if declared is None else grams * declared
        if grams is None:
            return None
        total += grams
    return total if math.isfinite(total) else None


def _as_float(number: Fraction | None) -> float | None:
    """``number`` as a float, or None if it has none (absent, or beyond float range)."""
    if number is None:
        return None
    try:
        return number.numerator / number.denominator  # what float(number) computes, without its dispatch
    except OverflowError:
        return None
