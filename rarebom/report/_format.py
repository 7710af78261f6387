"""Number and text formatting shared by the text, Markdown and HTML reports, so that all
three write every number the same way."""

from __future__ import annotations

import math
import re

__all__ = ["FULL_LISTS", "SIGNIFICANT", "bounds_text", "mass_text", "more_text", "neutral", "share_text"]

#: Significant digits of every number a report prints (the JSON report keeps them all).
SIGNIFICANT = 4

#: Where a report's list was cut short (see rarebom.report.data.LIST_LIMIT), how to get all of it.
FULL_LISTS = "rarebom trace --full-lists shows them all"

#: A finished good's coverage lists, in the order the reports show them, and what each says.
COVERAGE_GAPS = {
    "missing_mass": "no mass",
    "missing_composition": "undeclared composition",
    "missing_value": "no unit value",
    "missing_origin": "no origin claims",
    "typical_composition": "typical, not declared, composition",
}

# C0 and C1 control characters (ESC, CSI, DEL, ...), but not tab or newline: text from an
# input file must never steer a terminal or break a table.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def neutral(text: object) -> str:
    """Text from an input file, with control characters shown as ``\\xNN`` instead of acting."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def _digits(x: float, significant: int = SIGNIFICANT) -> str:
    text = f"{x:.{significant}g}"
    if "e+" in text:  # no exponent for large numbers: 1234567 stays readable
        text = f"{x:,.0f}"
    return text


def _float(x: float | str | None) -> float | None:
    if x is None:
        return None
    return math.inf if x == "unbounded" else float(x)


def mass_text(grams: float | str | None) -> str:
    """Grams in a readable unit: 465.4 g, 38.48 kg, 272.7 mg; ``unbounded`` is ∞."""
    g = _float(grams)
    if g is None:
        return "unknown"
    if g == math.inf:
        return "∞"
    size = abs(g)
    if size == 0:
        return "0 g"
    if size >= 1000:
        return f"{_digits(g / 1000)} kg"
    if size >= 1:
        return f"{_digits(g)} g"
    if size >= 1e-3:
        return f"{_digits(g * 1e3)} mg"
    return f"{_digits(g * 1e6)} µg"


def share_text(ratio: float | str | None) -> str:
    """A ratio as a percentage: 0.010178 is 1.018 %."""
    r = _float(ratio)
    if r is None:
        return "unknown"
    if r == math.inf:
        return "∞"
    return f"{_digits(r * 100)} %"


def _one(x: float | str | None, unit: str) -> str:
    if unit == "g":
        return mass_text(x)
    if unit == "":
        return share_text(x)
    v = _float(x)
    if v is None:
        return "unknown"
    return "∞" if v == math.inf else f"{_digits(v, 6)} {unit}"


def bounds_text(b: dict | None, *, missing: str = "unknown") -> str:
    """``nominal [min, max]`` in the bounds' unit (g, a currency, or '' for a share), or
    one number when all three agree."""
    if b is None:
        return missing
    unit = b["unit"]
    nominal, low, high = _one(b["nominal"], unit), _one(b["min"], unit), _one(b["max"], unit)
    if low == nominal == high:
        return nominal
    return f"{nominal} [{low}, {high}]"


def more_text(gaps: dict, shown: int) -> str:
    """How many items of a bounded list (``{"count", "items", "truncated"}``, see
    :mod:`rarebom.report.data`) are not shown when ``shown`` of them are: "and 1,214 more",
    or "" when every item is shown."""
    rest = gaps["count"] - shown
    return f"and {rest:,} more" if rest > 0 else ""
