"""Price tables: estimates for the values a BOM lacks.

A value-share rule needs the value of the China-origin rare-earth content of an item and
the item's own value. Where the BOM gives neither, a caller's price table may estimate
them: element prices (given directly, or for a compound such as Dy2O3 and converted by
stoichiometry to the element it holds) and item prices per kg. Every figure that comes
from a table is marked ``estimated`` in the verdict, with the table's name and date.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path

import attrs

from .. import chemistry
from ..model import ITEM_CLASSES
from .packs import RuleError, parse_date, read_toml

__all__ = ["Price", "PriceTable", "load_prices"]

_GRAMS = {"g": Fraction(1), "kg": Fraction(1000), "t": Fraction(1_000_000), "lb": Fraction(45359237, 100000)}


@attrs.frozen
class Price:
    """A price per gram, as (min, nominal, max) in the table's currency; ``basis`` says what was priced."""

    min: Fraction
    nominal: Fraction
    max: Fraction
    basis: str


@attrs.frozen(kw_only=True)
class PriceTable:
    """A caller's price table (see docs/rules.md): prices per gram, in ``currency``, of
    elements (given directly or through a compound) and of items by item class, with the
    table's ``name``, ``date`` and ``source`` for the report."""

    name: str
    date: dt.date
    source: str
    currency: str
    elements: dict[str, Price]
    item_classes: dict[str, Price]
    path: str | None = None

    def element(self, symbol: str) -> Price | None:
        return self.elements.get(symbol)

    def item(self, classes: frozenset[str]) -> Price | None:
        """The price per gram of an item of any of ``classes`` (the highest, if several match)."""
        found = [self.item_classes[c] for c in sorted(classes) if c in self.item_classes]
        return max(found, key=lambda p: p.max) if found else None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.date}; {self.source})"


def _decimal(text: str) -> Fraction:
    return Fraction(text)


def load_prices(path: str | Path) -> PriceTable:
    """A price table file, validated; raises :class:`~rarebom.rules.RuleError` listing every problem."""
    path = Path(path)
    data = read_toml(path, "prices")
    problems: list[tuple[str, str]] = []
    elements: dict[str, Price] = {}
    from_formula: dict[str, Price] = {}
    items: dict[str, Price] = {}
    for n, entry in enumerate(data["prices"]):
        at = f"/prices/{n}"
        nominal = _decimal(entry["value"]) if "value" in entry else None
        low = _decimal(entry["min"]) if "min" in entry else nominal
        high = _decimal(entry["max"]) if "max" in entry else nominal
        if low > high:
            problems.append((at, f"the range is upside down: min {entry['min']} is above max {entry['max']}"))
            continue
        if nominal is None:
            nominal = (low + high) / 2
        if not low <= nominal <= high:
            problems.append((at, f"the price {entry['value']} is outside its range [{entry.get('min', entry['value'])}, {entry.get('max', entry['value'])}]"))
            continue
        if high == 0:
            problems.append((at + "/value", "a price of zero would make content worthless; leave the entry out instead"))
            continue
        grams = _GRAMS[entry["per"]]
        if "element" in entry:
            symbol = entry["element"]
            if not chemistry.is_element(symbol):
                problems.append((at + "/element", f"{symbol!r} is not an element symbol"))
            elif symbol in elements:
                problems.append((at + "/element", f"{symbol} is priced twice"))
            else:
                elements[symbol] = Price(low / grams, nominal / grams, high / grams, f"{symbol} metal")
        elif "formula" in entry:
            fractions = chemistry.formula_fractions(entry["formula"])
            rare = [s for s in (fractions or {}) if s in chemistry.RARE_EARTHS]
            if fractions is None:
                problems.append((at + "/formula", f"{entry['formula']!r} is not a chemical formula"))
            elif len(rare) != 1:
                problems.append((at + "/formula", f"{entry['formula']!r} must hold exactly one rare-earth element to price it, not {len(rare)}"))
            else:
                # A kg of Dy2O3 holds 0.8713 kg of Dy: the Dy in it costs price / 0.8713 per kg.
                share = fractions[rare[0]]
                price = Price(low / grams / share, nominal / grams / share, high / grams / share, f"{rare[0]} in {entry['formula']}")
                if rare[0] in from_formula:
                    problems.append((at + "/formula", f"{rare[0]} is priced through two compounds"))
                from_formula[rare[0]] = price
        else:
            code = entry["item_class"]
            if code not in ITEM_CLASSES:
                problems.append((at + "/item_class", f"item class {code!r} is not one rarebom knows ({', '.join(sorted(ITEM_CLASSES))})"))
            elif code in items:
                problems.append((at + "/item_class", f"{code} is priced twice"))
            else:
                items[code] = Price(low / grams, nominal / grams, high / grams, f"{code} per kg")
    t = data["table"]
    day = parse_date(t["date"], problems, "/table/date")
    if problems:
        raise RuleError(problems, str(path))
    # An element's own price wins over one derived from a compound.
    merged = {**from_formula, **elements}
    return PriceTable(name=t["name"], date=day, source=t["source"], currency=t["currency"], elements=merged, item_classes=items, path=str(path))
