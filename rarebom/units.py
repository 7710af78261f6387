"""The unit registry, exact numbers, and unit parsing at the edge.

rarebom has one pint registry, :data:`ureg` (also ``rarebom.ureg``). It uses
:class:`fractions.Fraction` for every number it parses and every conversion factor, so
``0.1 %`` is exactly 1/1000 and ``1 lb`` is exactly 453.59237 g.

Readers convert a written amount once, here, into an exact number in the canonical unit of
its kind (grams for mass, a plain ratio for fractions, metres for lengths, ...). The model
keeps that number together with the unit as written, so a file writes back as it was read.
Nothing past the readers touches pint again until results are shown.

The common spellings (g, kg, mg, %, wt%, ppm, m, mm**2, l, ...) are looked up in
``data/units.txt`` instead: building pint's registry costs about 1.5 s, far more than
tracing a small BOM. pint stays the authority for every other spelling, and a test checks
that the table gives exactly what pint gives.

Currencies are units too, each one its own dimension (``[currency_USD]``): adding USD to
EUR is a dimensionality error, because no rate is ever assumed.
"""

from __future__ import annotations

import enum
import functools
import re
import tokenize
from fractions import Fraction
from importlib import resources

from .errors import InputError, UnitError

__all__ = [
    "CANONICAL_UNITS",
    "COUNT_UNITS",
    "CURRENCIES",
    "Kind",
    "Q_",  # noqa: F822 (built on first use by the module's __getattr__)
    "format_number",
    "parse_number",
    "to_canonical",
    "unit_factor",
    "ureg",  # noqa: F822 (built on first use by the module's __getattr__)
]


class Kind(enum.Enum):
    """What an amount measures; decides which units are accepted and the canonical unit."""

    # Members are singletons compared by identity, so identity can hash them: Enum's own
    # __hash__ runs in Python, and readers and the engine hash these in dict keys often.
    __hash__ = object.__hash__

    MASS = "mass"
    FRACTION = "fraction"  # a mass fraction: %, wt%, ppm, mg/kg, or a plain ratio
    COUNT = "count"  # pieces
    LENGTH = "length"
    AREA = "area"
    VOLUME = "volume"
    CURRENCY = "currency"


#: The unit every amount of a kind is stored in (pint spelling). Currency has none: each
#: currency is kept in itself.
CANONICAL_UNITS = {
    Kind.MASS: "g",
    Kind.FRACTION: "dimensionless",
    Kind.COUNT: "dimensionless",
    Kind.LENGTH: "m",
    Kind.AREA: "m**2",
    Kind.VOLUME: "m**3",
}

_DIMENSIONS = {
    Kind.MASS: "[mass]",
    Kind.LENGTH: "[length]",
    Kind.AREA: "[length] ** 2",
    Kind.VOLUME: "[length] ** 3",
}

#: Spellings of "pieces" found in BOMs. They are matched before pint sees them, because
#: pint reads ``pc``/``pcs`` as parsecs.
COUNT_UNITS = frozenset({"", "each", "ea", "pc", "pcs", "piece", "pieces", "unit", "units", "st", "stk", "x"})

# Spellings of a mass fraction that pint cannot parse as written.
_FRACTION_ALIASES = {
    "%": "percent",
    "wt%": "percent",
    "wt.%": "percent",
    "wt %": "percent",
    "mass%": "percent",
    "mass %": "percent",
    "% w/w": "percent",
    "%w/w": "percent",
    "ppm": "ppm",
    "ppmw": "ppm",
    "ppm w/w": "ppm",
    "percent": "percent",
    "fraction": "dimensionless",
    "mass fraction": "dimensionless",
}

_POWER_SUFFIX = re.compile(r"([A-Za-z]{1,2})([23])")

# Molar or volume fractions look like mass fractions but are not; refuse them by name.
_NOT_MASS_FRACTIONS = {"at%", "at.%", "mol%", "mol %", "vol%", "vol %", "% v/v", "ppmv", "ppmm", "ppb", "ppt"}

# What pint may be asked for as a mass fraction: these names, or a ratio of two masses.
_FRACTION_NAMES = {"dimensionless", "percent", "ppm", "permille"}


def _load_currencies() -> tuple[str, ...]:
    text = resources.files("rarebom").joinpath("data/currencies.txt").read_text("utf-8")
    codes = [code for line in text.splitlines() if not line.startswith("#") for code in line.split()]
    return tuple(codes)


#: ISO 4217 codes accepted as currency units.
CURRENCIES: frozenset[str] = frozenset(_load_currencies())

# What pint says a unit measures, as rarebom's errors write it (see _dimension_text).
_KIND_DIMENSION_TEXT = {Kind.MASS: "[mass]", Kind.LENGTH: "[length]", Kind.AREA: "[length]^2", Kind.VOLUME: "[length]^3", Kind.FRACTION: "a plain number"}


@functools.cache
def _known_units() -> dict[str, tuple[Kind, Fraction]]:
    """The common unit spellings, resolved without pint: ``{spelling: (kind, factor)}``.

    Read from ``data/units.txt``. Building pint's registry costs about 1.5 s, most of what
    ``rarebom trace`` spends on a small BOM, and nearly every file writes its units in a
    handful of spellings (g, kg, mg, %, wt%, ppm, m, ...). tests/test_startup.py checks that
    each spelling gives exactly the factor and the errors pint gives.
    """
    text = resources.files("rarebom").joinpath("data/units.txt").read_text("utf-8")
    known = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            spelling, kind, factor = line.split()
            known[spelling] = (Kind(kind), parse_number(factor))
    return known


def _known_factor(written: str, kind: Kind, unit: str) -> Fraction | None:
    """``unit_factor`` from the table of known spellings, or ``None`` to ask pint.

    ``written`` is the text pint would be asked to parse. A listed spelling of another kind
    raises the same :class:`UnitError` pint's answer would.
    """
    known = _known_units()
    entry = known.get(written)
    if entry is None:
        if kind is Kind.FRACTION:
            # A ratio of two masses (mg/kg, µg / g): _mass_ratio_or_name has already checked
            # both sides are masses; pint's exact factor is their quotient. Only plain spaces
            # are trimmed: anything odder is left to pint's parser.
            top, slash, bottom = written.partition("/")
            top_entry, bottom_entry = known.get(top.strip(" ")), known.get(bottom.strip(" "))
            if slash and top_entry and bottom_entry and top_entry[0] is bottom_entry[0] is Kind.MASS:
                return top_entry[1] / bottom_entry[1]
        return None
    measures, factor = entry
    if measures is not kind:
        raise UnitError(f"{unit!r} is not a unit of {kind.value} (it measures {_KIND_DIMENSION_TEXT[measures]})", value=unit)
    return factor


@functools.cache
def _registry():
    # pint costs about 0.5 s to import and 1.5 s to build this registry on the project's
    # 2-core machine, so it is built on first use, not on ``import rarebom``, and the
    # common spellings never need it (_known_units).
    import pint

    registry = pint.UnitRegistry(non_int_type=Fraction, autoconvert_offset_to_baseunit=False)
    registry.define("each = 1 = ea")
    for code in sorted(CURRENCIES):
        registry.define(f"{code} = [currency_{code}]")
    return registry


def __getattr__(name: str):
    # ``ureg`` and ``Q_`` are created lazily; see _registry().
    if name == "ureg":
        return _registry()
    if name == "Q_":
        return _registry().Quantity
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- exact numbers --------------------------------------------------------------------

# A plain decimal with an optional, bounded exponent, or a ratio p/q. The bounds keep a
# hostile "1e999999999" from becoming a billion-digit integer.
_NUMBER = re.compile(r"([+-]?)(?:([0-9]{1,60})(?:\.([0-9]{0,60}))?|\.([0-9]{1,60}))(?:[eE]([+-]?[0-9]{1,3}))?")
_RATIO = re.compile(r"[+-]?[0-9]{1,60}/[0-9]{1,60}")
_MAX_DIGITS = 60


def parse_number(text: str) -> Fraction:
    """Parse a decimal string (``"0.1"``, ``"1.5e-3"``) or a ratio (``"1/3"``) exactly.

    Raises :class:`InputError` for anything else: ``NaN``, ``inf``, thousands separators,
    empty strings, and exponents beyond ±999.
    """
    stripped = text.strip()
    decimal = _NUMBER.fullmatch(stripped)
    if decimal:
        # What Fraction(stripped) gives, built from the digits the match already holds:
        # Fraction's own parser runs a second regex and costs about three times as much.
        sign, whole, places, bare_places, exponent = decimal.groups()
        places = places if whole is not None else bare_places
        numerator = int((whole or "") + (places or "") or "0")
        denominator = 10 ** len(places or "")
        if exponent:
            shift = int(exponent)
            if shift >= 0:
                numerator *= 10**shift
            else:
                denominator *= 10**-shift
        return Fraction(-numerator if sign == "-" else numerator, denominator)
    if _RATIO.fullmatch(stripped):
        try:
            return Fraction(stripped)
        except ZeroDivisionError:
            raise InputError(f"{text!r} divides by zero", value=text) from None
    raise InputError(f"{text!r} is not a number (expected a decimal such as 12.5 or 1.2e-3)", value=text)


def format_number(value: Fraction | int) -> str:
    """Write an exact number: a plain decimal when it has one, else ``p/q``.

    ``parse_number(format_number(x)) == x`` for every rational whose numerator and
    denominator have at most 60 digits (the limit :func:`parse_number` accepts); beyond
    that, ``ValueError``.
    """
    value = Fraction(value)
    numerator, denominator = value.numerator, value.denominator
    twos = fives = 0
    d = denominator
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    places = max(twos, fives)
    sign = "-" if numerator < 0 else ""
    if d == 1:
        scaled = abs(numerator) * (10**places // denominator)  # value = ±scaled * 10**-places
        whole_digits = len(str(scaled)) - places
        if places <= _MAX_DIGITS and whole_digits <= _MAX_DIGITS:
            if places == 0:
                return f"{sign}{scaled}"
            digits = str(scaled).rjust(places + 1, "0")
            whole, frac = digits[:-places], digits[-places:].rstrip("0")
            return f"{sign}{whole}.{frac}" if frac else f"{sign}{whole}"
        exponent = -places
        while scaled and scaled % 10 == 0:
            scaled //= 10
            exponent += 1
        if len(str(scaled)) <= _MAX_DIGITS and abs(exponent) <= 999:
            return f"{sign}{scaled}e{exponent}"
    if max(len(str(abs(numerator))), len(str(denominator))) > _MAX_DIGITS:
        raise ValueError(f"a number with {len(str(abs(numerator)))} digits over {len(str(denominator))} has more than {_MAX_DIGITS} digits and cannot be written exactly")
    return f"{numerator}/{denominator}"


# --- units ----------------------------------------------------------------------------


@functools.cache
def unit_factor(unit: str, kind: Kind) -> Fraction:
    """The exact factor that turns an amount in ``unit`` into the canonical unit of ``kind``.

    ``unit`` is the unit as written in a file. Raises :class:`UnitError` when the unit is
    unknown or measures something other than ``kind``. Results are cached, so a reader pays
    pint's price once per distinct unit string, not once per value.
    """
    written = unit.strip()
    if kind is Kind.COUNT:
        if written.lower() in COUNT_UNITS:
            return Fraction(1)
        raise UnitError(f"{unit!r} is not a count of pieces (use 'each', or a mass, length, area or volume for bulk)", value=unit)
    if kind is Kind.CURRENCY:
        if written in CURRENCIES:
            return Fraction(1)
        raise UnitError(f"{unit!r} is not an ISO 4217 currency code", value=unit)
    if kind is Kind.FRACTION:
        written = _FRACTION_ALIASES.get(written.lower(), written) or "dimensionless"
        if written.lower() in _NOT_MASS_FRACTIONS or not _mass_ratio_or_name(written):
            raise UnitError(f"{unit!r} is not a mass fraction; rarebom needs mass-based shares (%, wt%, ppm, mg/kg)", value=unit)
    if written.lower() in COUNT_UNITS - {""}:
        raise UnitError(f"{unit!r} counts pieces; a {kind.value} is expected here", value=unit)
    if not written:
        raise UnitError(f"a unit is required for a {kind.value}", value=unit)
    # ERP exports write square and cubic lengths as "m2", "M3", "mm2"; pint wants "m**2".
    power = _POWER_SUFFIX.fullmatch(written)
    if power and kind in (Kind.AREA, Kind.VOLUME):
        written = f"{power.group(1).lower() if power.group(1).isupper() else power.group(1)}**{power.group(2)}"
    factor = _known_factor(written, kind, unit)
    if factor is not None:
        return factor
    return _pint_factor(written, kind, unit)


def _pint_factor(written: str, kind: Kind, unit: str) -> Fraction:
    """``unit_factor`` as pint computes it, for a spelling ``written`` as pint should parse it."""
    import pint

    registry = _registry()
    try:
        quantity = registry.Quantity(1, written)
    # pint's parser is a Python tokenizer: odd text can also fail inside it with a
    # TokenError ("EOF in multi-line statement") or an AssertionError in its evaluator.
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, AttributeError, ValueError, TypeError, SyntaxError, AssertionError, tokenize.TokenError):
        raise UnitError(f"unknown unit {unit!r}", value=unit) from None
    except ZeroDivisionError:  # "g/0": pint evaluates the spelling in exact fractions
        raise UnitError(f"unit {unit!r} divides by zero", value=unit) from None
    ok = quantity.dimensionless if kind is Kind.FRACTION else quantity.dimensionality == registry.get_dimensionality(_DIMENSIONS[kind])
    if not ok:
        raise UnitError(f"{unit!r} is not a unit of {kind.value} (it measures {_dimension_text(quantity.dimensionality)})", value=unit)
    factor = quantity.to(CANONICAL_UNITS[kind]).magnitude
    return Fraction(factor)


def _mass_ratio_or_name(written: str) -> bool:
    """True for a fraction name rarebom accepts, or a ratio of two mass units (mg/kg, µg/g)."""
    if written in _FRACTION_NAMES:
        return True
    top, slash, bottom = written.partition("/")
    if not slash:
        return False
    try:
        unit_factor(top, Kind.MASS)
        unit_factor(bottom, Kind.MASS)
    except UnitError:
        return False
    return True


def _dimension_text(dimensionality) -> str:
    # pint cannot format Fraction exponents, so the text is built here.
    terms = [f"{name}^{int(exp) if Fraction(exp).denominator == 1 else exp}" if exp != 1 else name for name, exp in sorted(dict(dimensionality).items())]
    return " * ".join(terms) or "a plain number"


def to_canonical(text: str, unit: str, kind: Kind) -> Fraction:
    """Parse ``text`` written in ``unit`` and return it exactly in the canonical unit of ``kind``."""
    return parse_number(text) * unit_factor(unit, kind)


@functools.cache
def kind_of_unit(unit: str) -> Kind:
    """Which kind of quantity a usage unit measures: a count, or a bulk mass, length, area or volume."""
    if unit.strip().lower() in COUNT_UNITS:
        return Kind.COUNT
    for kind in (Kind.MASS, Kind.LENGTH, Kind.AREA, Kind.VOLUME):
        try:
            unit_factor(unit, kind)
        except UnitError:
            continue
        return kind
    raise UnitError(f"{unit!r} is neither a count nor a unit of mass, length, area or volume", value=unit)
