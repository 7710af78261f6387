"""Number and text formatting shared by the text, Markdown and HTML reports."""

from __future__ import annotations

import re

__all__ = ["mass", "mass_bounds", "money_bounds", "neutral", "share", "share_bounds"]

# C0 and C1 control characters (ESC, CSI, DEL, ...), but not tab or newline: text from an
# input file must never steer a terminal or break a table.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def neutral(text: object) -> str:
    """Text from an input file, with control characters shown as ``\\xNN`` instead of acting."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def _unit_for(grams: float) -> tuple[str, float]:
    size = abs(grams)
    if size >= 1000:
        return "kg", 1000.0
    if 0 < size < 0.1:
        return "mg", 0.001
    return "g", 1.0


def _num(x: float) -> str:
    return f"{x:.4g}"


def mass(grams: float | str | None) -> str:
    if grams is None:
        return "?"
    if grams == "unbounded":
        return "∞"
    unit, factor = _unit_for(float(grams))
    return f"{_num(float(grams) / factor)} {unit}"


def mass_bounds(b: dict | None) -> str:
    """``465.4 g [418.9, 466.4]``: the nominal, then the range, in one readable unit."""
    if b is None:
        return "unknown"
    pick = next((b[k] for k in ("nominal", "max", "min") if isinstance(b[k], float | int) and b[k]), 0.0)
    unit, factor = _unit_for(float(pick))

    def one(x):
        if x is None:
            return "?"
        if x == "unbounded":
            return "∞"
        return _num(float(x) / factor)

    if b["min"] == b["max"]:
        return f"{one(b['min'])} {unit}"
    return f"{one(b['nominal'])} {unit} [{one(b['min'])}, {one(b['max'])}]"


def money_bounds(b: dict | None) -> str:
    if b is None:
        return "unknown"

    def one(x):
        if x is None:
            return "?"
        if x == "unbounded":
            return "∞"
        return f"{float(x):.6g}"

    unit = f" {b['unit']}" if b["unit"] else ""
    if b["min"] == b["max"]:
        return f"{one(b['min'])}{unit}"
    return f"{one(b['nominal'])}{unit} [{one(b['min'])}, {one(b['max'])}]"


def share(x: float | str | None) -> str:
    if x is None:
        return "?"
    if x == "unbounded":
        return "∞"
    return f"{float(x) * 100:.4g} %"


def share_bounds(b: dict | None) -> str:
    if b is None:
        return "unknown"
    if b["min"] == b["max"]:
        return share(b["min"])
    return f"{share(b['nominal'])} [{share(b['min'])}, {share(b['max'])}]"
