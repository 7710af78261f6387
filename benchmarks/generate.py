"""Seeded synthetic BOMs for rarebom's benchmarks and tests.

The shape follows the layered DAG of the project's performance research (section 1,
"Synthetic BOMs"), so numbers measured here compare with the ones measured there:

- Level sizes grow by ``fan_out / sharing`` per level (5 / 2 = 2.5x), from a few finished
  goods at level 0 down to the leaves on the deepest level.
- Every assembly has 1 + Poisson(fan_out - 1) child slots. 80 % of the slots point to the
  next level, 20 % skip deeper (like fasteners used high up in the tree).
- Every non-root part has one owning parent on the level above, plus the random extra
  parents that the remaining slots give it, so sub-assemblies are shared.
- Quantities are 1, 2, 3, 4, 6 or 10 pieces, 62 % of them 1.
- Leaves weigh a lognormal mass (median 20 g), written in g, kg or mg by its size, and hold
  one material with 1-3 of twelve elements as mass fractions: a full declaration (summing
  to exactly 100 %) or a partial one. Some leaves are rare-earth permanent magnets, some
  carry origin claims, and some parts have a unit value in USD.
- Part ids are a random permutation of 0..n-1 and parts are listed in id order, so the file
  order is not topological.

Every amount is an exact decimal ``Fraction`` in its canonical unit, as a reader makes it.
Only the standard library's :mod:`random` is used, so the generator runs wherever rarebom
does and a seed always gives the same BOM. Run from the repository root::

    python -m benchmarks.generate --parts 100000 --seed 1 -o /tmp/bom.xml
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import random
import sys
import time
from fractions import Fraction

import rarebom
from rarebom import Amount, Bom, Classification, Completeness, Kind, Material, OriginClaim, Part, Stage, Substance, Usage
from rarebom.checks import topological_order
from rarebom.formats.native import version_for
from rarebom.formats.native_xml import NAMESPACE

__all__ = ["ELEMENTS", "describe", "level_sizes", "main", "synthetic_bom", "write_xml"]

#: The elements leaves are made of: the magnet rare earths, the light rare earths found in
#: alloys and polishing powders, and the common metals around them.
ELEMENTS = ("Nd", "Pr", "Dy", "Tb", "La", "Ce", "Y", "Fe", "B", "Co", "Cu", "Ni")

# A magnet's rare earth, weighted toward Nd as in sintered NdFeB grades.
_MAGNET_RARE_EARTHS = ("Nd", "Nd", "Nd", "Nd", "Pr", "Dy", "Tb")

# Usage quantities in pieces, one entry per percent: 62 % are 1.
_QUANTITIES = (1,) * 62 + (2,) * 15 + (3,) * 7 + (4,) * 8 + (6,) * 4 + (10,) * 4

# Origin countries, one entry per 5 %: CN half the time.
_COUNTRIES = ("CN",) * 10 + ("JP",) * 4 + ("MY",) * 3 + ("AU",) * 2 + ("US",)
_STAGES = tuple(Stage)

# The share of child slots that skip past the next level, and the leaf mass distribution.
_SKIP_DEEPER = 0.2
_MASS_MEDIAN_G = 20.0
_MASS_SIGMA = 1.2  # of ln(mass); 95 % of leaves weigh between 2 g and 210 g

# Fractions are drawn in permille (0.1 %), so every one is an exact one-place percentage.
_PERMILLE = 1000

_MAGNET_CLASS = Classification(scheme="item-class", code="rare-earth-permanent-magnet")
_WHOLE_PART = Amount(kind=Kind.FRACTION, unit="%", value=Fraction(1))


def level_sizes(parts: int, growth: float = 2.5, depth: int | None = None) -> list[int]:
    """How many parts sit on each level, finished goods first and leaves last.

    ``depth`` is the number of levels below the finished goods; by default ``2 * log10(parts)``
    rounded, which with ``growth`` 2.5 gives the research's shapes (8 levels and 4 roots at
    10,000 parts, 10 and 6 at 100,000, 12 and 10 at 1,000,000). The sizes always sum to
    ``parts``; a depth too deep for so few parts is reduced.
    """
    if parts < 1:
        raise ValueError(f"a BOM needs at least one part, not {parts}")
    if parts == 1:
        return [1]
    if depth is None:
        depth = max(1, round(2 * math.log10(parts)))
    depth = max(1, min(depth, parts - 1))
    while True:
        weights = [growth**level for level in range(depth + 1)]
        roots = parts / sum(weights)
        if roots >= 1 or depth == 1:
            break
        depth -= 1
    roots = max(1, round(roots))
    sizes = [max(1, round(roots * weight)) for weight in weights[:-1]]
    while sum(sizes) >= parts:  # rounding left no leaves: give up the deepest assembly level
        sizes.pop()
    return [*sizes, parts - sum(sizes)]


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's multiplication method: fine for the small means used here.
    if mean <= 0:
        return 0
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _children(rng: random.Random, sizes: list[int], fan_out: float) -> list[list[int]]:
    """Child indices of every assembly; part indices run level by level, roots first."""
    starts = [sum(sizes[:level]) for level in range(len(sizes))]
    parts = sum(sizes)
    leaf_level = len(sizes) - 1
    children: list[list[int]] = [[] for _ in range(starts[leaf_level])]
    rand = rng.random
    for level in range(leaf_level):
        first, size = starts[level], sizes[level]
        below_first, below_size = starts[level + 1], sizes[level + 1]
        deep_first = starts[level + 2] if level + 2 <= leaf_level else parts
        deep_size = parts - deep_first
        next_slots: list[int] = []  # one entry per slot pointing to the next level: its parent
        for parent in range(first, first + size):
            kids = children[parent]
            for _ in range(1 + _poisson(rng, fan_out - 1)):
                if deep_size and rand() < _SKIP_DEEPER:
                    child = deep_first + int(rand() * deep_size)
                    if child not in kids:
                        kids.append(child)
                else:
                    next_slots.append(parent)
        rng.shuffle(next_slots)
        # Each part of the next level takes one slot as its owning parent; if the level
        # above has too few slots, the owner gets a slot more than it drew.
        for offset in range(below_size):
            owner = next_slots[offset] if offset < len(next_slots) else first + int(rand() * size)
            children[owner].append(below_first + offset)
        # The slots left over become extra parents of random next-level parts. A draw that
        # repeats a child of the same parent is tried again, then dropped.
        for parent in next_slots[below_size:]:
            kids = children[parent]
            for _attempt in range(3):
                child = below_first + int(rand() * below_size)
                if child not in kids:
                    kids.append(child)
                    break
    return children


def _decimal(value: float, digits: int = 3) -> tuple[int, int]:
    """``value`` rounded to ``digits`` significant digits, as (mantissa, exponent of ten)."""
    exponent = math.floor(math.log10(value)) - (digits - 1)
    mantissa = round(value / 10.0**exponent)
    if mantissa >= 10**digits:  # 999.7 rounds up to 1000: one digit too many
        mantissa, exponent = mantissa // 10, exponent + 1
    return mantissa, exponent


class _Content:
    """Draws what leaves hold and what parts are worth.

    Values are rounded (three significant digits, fractions to 0.1 %), so leaves repeat
    a few thousand distinct amounts, substances and claims. Each is built once and shared:
    the model objects are frozen, and building 100,000 parts takes a third of the time.
    """

    def __init__(self, rng: random.Random, *, substances_per_leaf: tuple[int, int], full_rate: float) -> None:
        self.rng = rng
        self.low, self.high = substances_per_leaf
        self.full_rate = full_rate
        self._cache: dict[tuple, object] = {}

    def _shared(self, key: tuple, make):
        value = self._cache.get(key)
        if value is None:
            value = self._cache[key] = make()
        return value

    def leaf_mass(self) -> Amount:
        mantissa, exponent = _decimal(math.exp(self.rng.gauss(math.log(_MASS_MEDIAN_G), _MASS_SIGMA)))
        return self._shared(("mass", mantissa, exponent), lambda: _mass(Fraction(mantissa) * Fraction(10) ** exponent))

    def unit_value(self, levels_above_leaves: int) -> Amount:
        # A leaf's median is 2 USD; each assembly level up is worth about 4x more.
        median_usd = 2.0 * 4**levels_above_leaves
        mantissa, exponent = _decimal(max(0.01, math.exp(self.rng.gauss(math.log(median_usd), 1.0))))
        usd = Fraction(mantissa) * Fraction(10) ** exponent
        return self._shared(("USD", mantissa, exponent), lambda: Amount(kind=Kind.CURRENCY, unit="USD", value=usd))

    def material(self, *, magnet: bool) -> Material:
        rng = self.rng
        if magnet:
            # Sintered NdFeB: 28-33 % rare earth, 1 % boron, iron for the rest; a full declaration.
            rare_earth = rng.choice(_MAGNET_RARE_EARTHS)
            rare_earth_share = 280 + int(rng.random() * 51)
            composition = [(rare_earth, rare_earth_share), ("B", 10), ("Fe", _PERMILLE - rare_earth_share - 10)][: self.high]
            composition[-1] = (composition[-1][0], _PERMILLE - sum(share for _, share in composition[:-1]))
            completeness = Completeness.FULL
        else:
            elements = rng.sample(ELEMENTS, rng.randint(self.low, self.high))
            if rng.random() < self.full_rate:
                cuts = sorted(rng.sample(range(1, _PERMILLE), len(elements) - 1))
                shares = [b - a for a, b in zip([0, *cuts], [*cuts, _PERMILLE], strict=True)]
                completeness = Completeness.FULL
            else:
                # At most 30 % each, so a partial declaration never reaches 100 %.
                shares = [1 + int(rng.random() * 300) for _ in elements]
                completeness = Completeness.PARTIAL
            composition = list(zip(elements, shares, strict=True))
        unit = "mg/kg" if rng.random() < 0.1 else "%"
        substances = tuple(self._substance(element, share, unit) for element, share in composition)
        name = "-".join(element for element, _ in composition)
        return Material(name=name, amount=_WHOLE_PART, completeness=completeness, substances=substances)

    def _substance(self, element: str, permille: int, unit: str) -> Substance:
        def make():
            return Substance(element=element, amount=Amount(kind=Kind.FRACTION, unit=unit, value=Fraction(permille, _PERMILLE)))

        return self._shared(("substance", element, permille, unit), make)

    def origins(self) -> tuple[OriginClaim, ...]:
        rng = self.rng
        first = self._claim(rng.choice(_COUNTRIES), rng.choice(_STAGES))
        if rng.random() < 0.25:
            stage = rng.choice([s for s in _STAGES if s is not first.stage])
            return (first, self._claim(rng.choice(_COUNTRIES), stage))
        return (first,)

    def _claim(self, country: str, stage: Stage) -> OriginClaim:
        return self._shared(("claim", country, stage), lambda: OriginClaim(country=country, stage=stage))


def _mass(grams: Fraction) -> Amount:
    """A mass written in the unit a datasheet would use for its size."""
    unit = "kg" if grams >= 1000 else "mg" if grams < 1 else "g"
    return Amount(kind=Kind.MASS, unit=unit, value=grams)


def _parts(
    rng: random.Random,
    content: _Content,
    sizes: list[int],
    children: list[list[int]],
    ids: list[str],
    numbers: list[int],
    *,
    value_rate: float,
    alternates_rate: float,
    magnet_rate: float,
    origin_rate: float,
) -> list[Part]:
    """The parts, in file order (by id number), built from the structure ``_children`` drew."""
    leaf_level = len(sizes) - 1
    level_of = [level for level, size in enumerate(sizes) for _ in range(size)]
    starts = [sum(sizes[:level]) for level in range(len(sizes))]
    quantities = {q: Amount(kind=Kind.COUNT, unit="each", value=Fraction(q)) for q in set(_QUANTITIES)}
    rand = rng.random
    by_number: list = [None] * len(ids)  # every slot is filled below
    for index in range(len(ids)):
        level = level_of[index]
        unit_value = content.unit_value(leaf_level - level) if rand() < value_rate else None
        if level < leaf_level:
            uses = []
            for child in children[index]:
                alternates: tuple[str, ...] = ()
                if rand() < alternates_rate and sizes[level_of[child]] > 1:
                    # An alternate from the child's own level can never be an ancestor of the parent.
                    first, size = starts[level_of[child]], sizes[level_of[child]]
                    alternate = first + (child - first + 1 + int(rand() * (size - 1))) % size
                    alternates = (ids[alternate],)
                uses.append(Usage(child=ids[child], quantity=quantities[_QUANTITIES[int(rand() * 100)]], alternates=alternates))
            part = Part(id=ids[index], unit_value=unit_value, uses=uses)
        else:
            magnet = rand() < magnet_rate
            part = Part(
                id=ids[index],
                mass=content.leaf_mass(),
                unit_value=unit_value,
                materials=(content.material(magnet=magnet),),
                origins=content.origins() if rand() < origin_rate else (),
                classifications=(_MAGNET_CLASS,) if magnet else (),
            )
        by_number[numbers[index]] = part
    return by_number


def _rate(name: str, value: float) -> None:
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be between 0 and 1, not {value}")


def synthetic_bom(
    parts: int,
    seed: int = 0,
    *,
    fan_out: float = 5.0,
    sharing: float = 2.0,
    depth: int | None = None,
    substances_per_leaf: tuple[int, int] = (1, 3),
    origin_rate: float = 0.3,
    value_rate: float = 0.5,
    alternates_rate: float = 0.01,
    magnet_rate: float = 0.05,
    full_rate: float = 0.5,
) -> Bom:
    """A synthetic BOM of exactly ``parts`` parts; the same ``seed`` gives the same BOM.

    ``fan_out`` is the mean number of children per assembly and ``sharing`` the mean number
    of parents per non-root part; together they set how fast levels grow. ``depth`` is a hint
    for the number of levels below the finished goods (see :func:`level_sizes`).
    ``substances_per_leaf`` is the (low, high) count of elements in a leaf's material.
    ``origin_rate`` is the share of leaves with origin claims, ``value_rate`` the share of
    parts with a unit value in USD, ``alternates_rate`` the share of usages that name an
    alternate part, ``magnet_rate`` the share of leaves that are rare-earth permanent
    magnets, and ``full_rate`` the share of other leaves whose declaration is full.
    """
    if fan_out < 1 or sharing < 1:
        raise ValueError(f"fan_out and sharing must be at least 1, not {fan_out} and {sharing}")
    low, high = substances_per_leaf
    if not 1 <= low <= high <= len(ELEMENTS):
        raise ValueError(f"substances_per_leaf must be (low, high) with 1 <= low <= high <= {len(ELEMENTS)}, not {substances_per_leaf}")
    for name, value in (("origin_rate", origin_rate), ("value_rate", value_rate), ("alternates_rate", alternates_rate), ("magnet_rate", magnet_rate), ("full_rate", full_rate)):
        _rate(name, value)

    rng = random.Random(seed)
    sizes = level_sizes(parts, fan_out / sharing, depth)
    children = _children(rng, sizes, fan_out)

    numbers = list(range(parts))
    rng.shuffle(numbers)
    width = len(str(parts - 1))
    ids = [f"P{number:0{width}d}" for number in numbers]

    content = _Content(rng, substances_per_leaf=(low, high), full_rate=full_rate)
    # The parts form no reference cycles, so the cyclic collector would only rescan the
    # growing heap again and again: it is off while they are built (15 % faster at 100,000).
    collecting = gc.isenabled()
    gc.disable()
    try:
        by_number = _parts(rng, content, sizes, children, ids, numbers, value_rate=value_rate, alternates_rate=alternates_rate, magnet_rate=magnet_rate, origin_rate=origin_rate)
    finally:
        if collecting:
            gc.enable()

    settings = {
        "generator": "benchmarks.generate",
        "parts": parts,
        "seed": seed,
        "fan-out": fan_out,
        "sharing": sharing,
        "depth": len(sizes) - 1,
        "substances-per-leaf": f"{low}-{high}",
        "origin-rate": origin_rate,
        "value-rate": value_rate,
        "alternates-rate": alternates_rate,
        "magnet-rate": magnet_rate,
        "full-rate": full_rate,
    }
    return Bom(parts=by_number, name=f"synthetic BOM, {parts} parts, seed {seed}", attributes={k: str(v) for k, v in settings.items()})


def describe(bom: Bom) -> dict[str, int | float]:
    """The shape of ``bom``: the columns of the research's table of synthetic BOMs.

    ``depth`` is the longest chain of usages; ``exploded`` is the number of nodes of the BOM
    written out as a tree (every path from a finished good), which a walk without a memo visits.
    """
    order = topological_order(bom)  # children before parents
    height: dict[str, int] = {}
    paths: dict[str, int] = {}
    for pid in order:
        uses = bom.part(pid).uses
        height[pid] = 1 + max((height[u.child] for u in uses), default=-1)
        paths[pid] = 1 + sum(paths[u.child] for u in uses)
    roots = bom.finished_goods
    assemblies = sum(1 for p in bom.parts if p.uses)
    uses = sum(len(p.uses) for p in bom.parts)
    return {
        "parts": len(bom),
        "depth": max((height[r.id] for r in roots), default=0),
        "roots": len(roots),
        "assemblies": assemblies,
        "leaves": len(bom) - assemblies,
        "uses": uses,
        "mean_fan_out": uses / assemblies if assemblies else 0.0,
        "mean_parents": uses / (len(bom) - len(roots)) if len(bom) > len(roots) else 0.0,
        "substances": sum(len(m.substances) for p in bom.parts for m in p.materials),
        "exploded": sum(paths[r.id] for r in roots),
    }


# --- a fast writer ------------------------------------------------------------------------

# How lxml escapes an attribute value and element text; the writer must match it byte for byte.
_ATTRIBUTE_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def _attributes(pairs) -> str:
    return "".join(f' {name}="{value.translate(_ATTRIBUTE_ESCAPES)}"' for name, value in pairs if value is not None)


def _provenance_element(location, indent: str) -> str:
    if location is None:
        return ""
    line = None if location.line is None else str(location.line)
    return f"\n{indent}<provenance{_attributes((('file', location.file), ('line', line), ('path', location.pointer)))}/>"


class _AmountText:
    """The attributes of an amount (``value``, ``unit``, ``min``, ``max``), formatted once per
    Amount object: the generator shares them, and formatting a Fraction is the writer's
    costliest step."""

    def __init__(self) -> None:
        self._cache: dict[int, tuple[Amount, str]] = {}

    def __call__(self, amount: Amount) -> str:
        hit = self._cache.get(id(amount))
        if hit is None or hit[0] is not amount:
            written = amount.written
            text = _attributes((("value", written(amount.value)), ("unit", amount.unit or None), ("min", written(amount.min)), ("max", written(amount.max))))
            hit = self._cache[id(amount)] = (amount, text)
        return hit[1]


def _amount_element(amount: Amount, fallback_tag: str | None, indent: str, text: _AmountText) -> str:
    tag = fallback_tag or ("mass" if amount.kind is Kind.MASS else "fraction")
    return f"\n{indent}<{tag}{text(amount)}/>"


def _part_xml(part: Part, text: _AmountText) -> str:
    head = _attributes(
        (
            ("id", part.id),
            ("name", part.name),
            ("uom", None if part.uom == "each" else part.uom),
            ("chinaRareEarthTechnology", None if part.china_re_technology is None else "true" if part.china_re_technology else "false"),
        )
    )
    body = []
    if part.description is not None:
        body.append(f"\n    <description>{part.description.translate(_TEXT_ESCAPES)}</description>")
    body.append(_provenance_element(part.provenance, "    "))
    if part.mass is not None:
        body.append(f"\n    <mass{text(part.mass)}/>")
    if part.unit_value is not None:
        body.append(f"\n    <unitValue{text(part.unit_value)}/>")
    for c in part.classifications:
        body.append(f"\n    <classification{_attributes((('scheme', c.scheme), ('code', c.code)))}/>")
    for o in part.origins:
        body.append(f"\n    <origin{_attributes((('country', o.country), ('stage', o.stage.value), ('source', o.source)))}/>")
    for name, value in part.attributes:
        body.append(f"\n    <attribute{_attributes((('name', name), ('value', value)))}/>")
    for m in part.materials:
        inner = [_provenance_element(m.provenance, "      ")]
        if m.amount is not None:
            inner.append(_amount_element(m.amount, None, "      ", text))
        for s in m.substances:
            leaf = _provenance_element(s.provenance, "        ")
            if s.amount is not None:
                leaf += _amount_element(s.amount, None, "        ", text)
            attributes = _attributes((("name", s.name), ("element", s.element), ("cas", s.cas), ("formula", s.formula)))
            inner.append(f"\n      <substance{attributes}>{leaf}\n      </substance>" if leaf else f"\n      <substance{attributes}/>")
        attributes = _attributes((("name", m.name), ("id", m.id), ("completeness", m.completeness.value)))
        joined = "".join(inner)
        body.append(f"\n    <material{attributes}>{joined}\n    </material>" if joined else f"\n    <material{attributes}/>")
    for u in part.uses:
        alternates = "".join(f'\n      <alternate part="{a.translate(_ATTRIBUTE_ESCAPES)}"/>' for a in u.alternates)
        body.append(f'\n    <use part="{u.child.translate(_ATTRIBUTE_ESCAPES)}">\n      <quantity{text(u.quantity)}/>{alternates}\n    </use>')
    joined = "".join(body)
    return f"\n  <part{head}>{joined}\n  </part>" if joined else f"\n  <part{head}/>"


def write_xml(bom: Bom, stream) -> None:
    """Write ``bom`` as rarebom XML to the binary ``stream``, byte for byte what ``rarebom.dump``
    writes, about 10x faster.

    ``rarebom.dump`` builds an lxml tree per part, which takes about 35 s for 100,000 parts;
    this formats strings directly, so a million-part benchmark file takes seconds, not
    minutes. ``tests/test_benchmarks_trace.py`` checks the bytes against ``rarebom.dump``.
    """
    text = _AmountText()
    head = _attributes((("formatVersion", version_for(bom)), ("name", bom.name)))
    chunks = [f'<?xml version="1.0" encoding="UTF-8"?>\n<bom xmlns="{NAMESPACE}"{head}>']
    chunks.extend(f"\n  <attribute{_attributes((('name', name), ('value', value)))}/>" for name, value in bom.attributes)
    for number, part in enumerate(bom.parts, 1):
        chunks.append(_part_xml(part, text))
        if number % 10_000 == 0:
            stream.write("".join(chunks).encode("utf-8"))
            chunks.clear()
    chunks.append("\n</bom>\n")
    stream.write("".join(chunks).encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description="Write a seeded synthetic BOM (format from the suffix: .xml or .json).")
    parser.add_argument("--parts", type=int, default=10_000, help="number of parts (default 10000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fan-out", type=float, default=5.0, help="mean children per assembly (default 5)")
    parser.add_argument("--sharing", type=float, default=2.0, help="mean parents per non-root part (default 2)")
    parser.add_argument("--depth", type=int, default=None, help="levels below the finished goods (default 2*log10(parts))")
    parser.add_argument("--substances", default="1-3", metavar="LOW-HIGH", help="elements per leaf material (default 1-3)")
    parser.add_argument("--origin-rate", type=float, default=0.3, help="share of leaves with origin claims (default 0.3)")
    parser.add_argument("--value-rate", type=float, default=0.5, help="share of parts with a unit value (default 0.5)")
    parser.add_argument("--alternates-rate", type=float, default=0.01, help="share of usages with an alternate (default 0.01)")
    parser.add_argument("--magnet-rate", type=float, default=0.05, help="share of leaves that are magnets (default 0.05)")
    parser.add_argument("--check", action="store_true", help="run rarebom.check_bom and report its findings")
    parser.add_argument("-o", "--output", help="the file to write; without it, only the shape is printed")
    args = parser.parse_args(argv)
    low, _, high = args.substances.partition("-")
    try:
        substances = (int(low), int(high or low))
    except ValueError:
        parser.error(f"--substances takes LOW-HIGH, such as 1-3, not {args.substances!r}")

    started = time.perf_counter()
    bom = synthetic_bom(
        args.parts,
        args.seed,
        fan_out=args.fan_out,
        sharing=args.sharing,
        depth=args.depth,
        substances_per_leaf=substances,
        origin_rate=args.origin_rate,
        value_rate=args.value_rate,
        alternates_rate=args.alternates_rate,
        magnet_rate=args.magnet_rate,
    )
    generated = time.perf_counter() - started
    print(f"generated {len(bom)} parts in {generated:.2f} s", file=sys.stderr)
    print(", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in describe(bom).items()), file=sys.stderr)
    status = 0
    if args.check:
        started = time.perf_counter()
        findings = rarebom.check_bom(bom)
        errors = [f for f in findings if f.severity is rarebom.Severity.ERROR]
        print(f"check_bom: {len(errors)} errors, {len(findings) - len(errors)} warnings in {time.perf_counter() - started:.2f} s", file=sys.stderr)
        for finding in findings[:20]:
            print(f"  {finding}", file=sys.stderr)
        status = 1 if errors else 0
    if args.output:
        started = time.perf_counter()
        if args.output.endswith(".xml"):
            with open(args.output, "wb") as stream:
                write_xml(bom, stream)  # the same bytes as rarebom.dump, faster
        else:
            rarebom.dump(bom, args.output)
        print(f"wrote {args.output} ({os.path.getsize(args.output) / 1e6:.1f} MB) in {time.perf_counter() - started:.2f} s", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
