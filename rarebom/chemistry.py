"""Chemical identities, and the element mass fractions of a declared substance.

Element symbols and CAS registry numbers are named here, and :func:`resolve` turns one
declared substance (an element, a formula, a CAS number, or opt-in a material name) into
element mass fractions. Multiplying those by masses and rolling them up through a BOM is
the roll-up engine's job.

No atomic weight, CAS number or composition is typed in this module: atomic weights come
from the ``molmass`` package, CAS numbers and typical compositions from the data files
``rarebom/data/substances.toml`` and ``rarebom/data/typical-compositions.toml``, each
entry with its source and a confidence mark.
"""

from __future__ import annotations

import functools
import math
import os
import re
from collections.abc import Mapping
from fractions import Fraction
from importlib import resources
from pathlib import Path
from types import MappingProxyType

import attrs

from .errors import RarebomError

__all__ = [
    "CONFIDENCE_MARKS",
    "ELEMENTS",
    "RARE_EARTHS",
    "DataFileError",
    "Resolution",
    "SubstanceRecord",
    "TypicalComposition",
    "cas_check_digit_ok",
    "cas_record",
    "formula_fractions",
    "is_cas_shaped",
    "is_ec_number",
    "load_substances",
    "load_typical_compositions",
    "resolve",
    "typical_composition",
]

#: The 118 element symbols in order of atomic number (IUPAC names, as of 2016).
ELEMENTS: tuple[str, ...] = tuple(
    """H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge
    As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm
    Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U
    Np Pu Am Cm Bk Cf Es Fm Md No Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og""".split()  # noqa: SIM905 (118 symbols read better as text than as a list literal)
)
_ELEMENT_SET = frozenset(ELEMENTS)
_ATOMIC_NUMBER = {symbol: z for z, symbol in enumerate(ELEMENTS, start=1)}

#: The 17 rare-earth elements: scandium, yttrium and the 15 lanthanides (IUPAC).
RARE_EARTHS: tuple[str, ...] = ("Sc", "Y", *ELEMENTS[56:71])

#: Confidence marks of the data files: confirmed from a primary source, secondary
#: source(s), unconfirmed.
CONFIDENCE_MARKS: tuple[str, ...] = ("C", "S", "U")

_CAS = re.compile(r"(\d{2,7})-(\d{2})-(\d)")

#: One element's share of a substance, as mass fractions (kg/kg): (symbol, min, nominal, max).
ElementShare = tuple[str, Fraction, Fraction, Fraction]


def is_element(symbol: str) -> bool:
    return symbol in _ELEMENT_SET


def is_cas_shaped(text: str) -> bool:
    """True if ``text`` has the shape of a CAS number (2–7 digits, 2 digits, 1 check digit)."""
    return _CAS.fullmatch(text) is not None


_EC = re.compile(r"([2-9]\d{2})-(\d{3})-(\d)")


def is_ec_number(text: str) -> bool:
    """True if ``text`` is a European Community (EINECS/ELINCS/NLP) number with a valid check digit.

    EC numbers are written NNN-NNN-R and start with 2, 3, 4 or 5 (EINECS, ELINCS, NLP) or
    6, 7, 9 (ECHA list numbers). R is the sum of the other digits times their positions from
    the left, modulo 11 (ECHA, "EC Inventory"; a remainder of 10 is never issued).
    """
    match = _EC.fullmatch(text.strip())
    if not match:
        return False
    digits = match.group(1) + match.group(2)
    return sum(i * int(d) for i, d in enumerate(digits, start=1)) % 11 == int(match.group(3))


def cas_check_digit_ok(text: str) -> bool:
    """True if a CAS-shaped ``text`` carries the right check digit.

    The check digit is the sum of each other digit times its position counted from the
    right, modulo 10 (CAS Registry, "CAS Registry Number verification").
    """
    match = _CAS.fullmatch(text)
    if not match:
        return False
    digits = (match.group(1) + match.group(2))[::-1]
    return sum(i * int(d) for i, d in enumerate(digits, start=1)) % 10 == int(match.group(3))


# --- Formulas ----------------------------------------------------------------------------

# A "." followed by digits that do not start a hydrate or adduct part ("CuSO4.5H2O" does):
# a decimal count such as "SmCo7.5" or "Nd1.5", which molmass would misread as a
# hydrate multiplier of nothing and silently drop.
_DECIMAL_COUNT = re.compile(r"\.\d+(?![\d(\[{<A-Z])")


def formula_fractions(formula: str) -> dict[str, Fraction] | None:
    """The exact mass fraction (kg/kg) of each element in a chemical ``formula``.

    "Nd2O3" gives ``{"O": ..., "Nd": Fraction(...)}`` with Nd ≈ 0.8574; the fractions sum
    to exactly 1 and are keyed in order of atomic number. molmass parses the formula and
    supplies the atomic weights; the arithmetic is done here in ``Fraction`` so that the
    threshold comparisons downstream stay exact. Hydrate and adduct dots are read as
    molmass reads them ("CuSO4.5H2O").

    Returns None for anything that is not a plain formula of known elements: text that
    molmass cannot parse, an empty string, internal whitespace ("NdFeB N42"), decimal
    counts ("SmCo7.5"), isotopes ("D2O", "[13C]O2"), charges ("Fe2+"), and chemical-group
    or peptide abbreviations, which molmass would otherwise expand ("Me", "WQ").

    Promethium has no standard atomic weight (no stable isotope); molmass uses the mass of
    its longest-lived isotope, 145Pm (144.9128), which this function accepts. molmass (up to
    2026.1.8 at least) still has the values before the 2021/2022 CIAAW changes for Gd
    (157.25), Yb (173.054) and Lu (174.9668); each is off by less than 1e-4 relative.
    """
    shares = _formula_shares(formula.strip())
    return None if shares is None else dict(shares)


@functools.lru_cache(maxsize=4096)
def _formula_shares(formula: str) -> tuple[tuple[str, Fraction], ...] | None:
    if not formula or any(c.isspace() for c in formula) or _DECIMAL_COUNT.search(formula):
        return None
    import molmass  # tens of milliseconds to import, and most CLI commands never need it

    try:
        # molmass.Formula parses lazily; composition() forces the parse. Every error it
        # raises is a FormulaError, except a bare ValueError from split_charge on input
        # such as ")+-4.]5++" (FormulaError derives from ValueError only since 2025.11).
        composition = molmass.Formula(formula, parse_groups=False, parse_oligos=False, parse_fractions=False).composition()
        counts = {symbol: item.count for symbol, item in composition.items()}
    except (molmass.FormulaError, ValueError):
        return None
    # Isotopes ("2H", "13C") and electrons ("e-", from a charge) are not in ELEMENTS.
    if not counts or any(symbol not in _ELEMENT_SET or count <= 0 for symbol, count in counts.items()):
        return None
    masses = {symbol: Fraction(str(molmass.ELEMENTS[symbol].mass)) * count for symbol, count in counts.items()}
    total = sum(masses.values())
    return tuple((symbol, masses[symbol] / total) for symbol in sorted(masses, key=_ATOMIC_NUMBER.__getitem__))


def _molmass_version() -> str:
    import molmass

    return molmass.__version__


# --- Data files --------------------------------------------------------------------------


class DataFileError(RarebomError, ValueError):
    """A data file rarebom ships (or a test passes) is broken: a packaging bug.

    The message names the file and every broken entry; ``problems`` holds them one by one.
    """

    def __init__(self, file: str, problems: list[str]):
        self.file = file
        self.problems = tuple(problems)
        count = len(self.problems)
        super().__init__(f"{file}: {count} problem{'s' if count != 1 else ''}" + "".join(f"\n  {p}" for p in self.problems))


def _read_toml(path: str | os.PathLike[str] | None, name: str) -> tuple[str, dict]:
    import tomllib

    if path is None:
        label = f"rarebom/data/{name}"
        raw = resources.files("rarebom").joinpath(f"data/{name}").read_bytes()
    else:
        label = os.fspath(path)
        raw = Path(path).read_bytes()
    try:
        return label, tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DataFileError(label, [f"not valid TOML: {exc}"]) from exc


def _entries(data: dict, key: str, label: str) -> list:
    problems = [f"unknown top-level key {k!r}" for k in data if k != key]
    entries = data.get(key)
    if not isinstance(entries, list) or not entries:
        problems.append(f"no [[{key}]] tables")
    if problems:
        raise DataFileError(label, problems)
    return entries


def _text_fields(entry: object, keys: tuple[str, ...], where: str, problems: list[str]) -> bool:
    """Check that ``entry`` is a table whose ``keys`` are non-empty strings and nothing else."""
    if not isinstance(entry, dict):
        problems.append(f"{where}: not a table")
        return False
    ok = True
    for key in keys:
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{where}: {key!r} must be a non-empty string, not {value!r}")
            ok = False
    return ok


@attrs.frozen
class SubstanceRecord:
    """One entry of the curated CAS table (``rarebom/data/substances.toml``).

    ``confidence`` is one of :data:`CONFIDENCE_MARKS`; ``source`` says where the CAS
    number comes from.
    """

    cas: str
    name: str
    formula: str
    confidence: str
    source: str


_SUBSTANCE_KEYS = ("cas", "name", "formula", "confidence", "source")


def load_substances(path: str | os.PathLike[str] | None = None) -> Mapping[str, SubstanceRecord]:
    """Read and validate a CAS table (by default the one rarebom ships), keyed by CAS number.

    Every CAS number must be CAS-shaped with a correct check digit and occur once, every
    formula must parse (:func:`formula_fractions`), every confidence be a known mark and
    every source be given. Raises :class:`DataFileError` listing all broken entries.
    """
    label, data = _read_toml(path, "substances.toml")
    problems: list[str] = []
    records: dict[str, SubstanceRecord] = {}
    for number, entry in enumerate(_entries(data, "substance", label), start=1):
        where = f"[[substance]] #{number}" + (f" (cas {entry.get('cas')!r})" if isinstance(entry, dict) else "")
        if not _text_fields(entry, _SUBSTANCE_KEYS, where, problems):
            continue
        problems += [f"{where}: unknown key {k!r}" for k in entry if k not in _SUBSTANCE_KEYS]
        cas = entry["cas"]
        if not is_cas_shaped(cas):
            problems.append(f"{where}: not a CAS number")
        elif not cas_check_digit_ok(cas):
            problems.append(f"{where}: the CAS check digit is wrong")
        elif cas in records:
            problems.append(f"{where}: duplicate CAS number")
        if formula_fractions(entry["formula"]) is None or entry["formula"] != entry["formula"].strip():
            problems.append(f"{where}: formula {entry['formula']!r} does not parse")
        if entry["confidence"] not in CONFIDENCE_MARKS:
            problems.append(f"{where}: confidence {entry['confidence']!r} is not one of {', '.join(CONFIDENCE_MARKS)}")
        records.setdefault(cas, SubstanceRecord(**{k: entry[k] for k in _SUBSTANCE_KEYS}))
    if problems:
        raise DataFileError(label, problems)
    return MappingProxyType(records)


@functools.cache
def _shipped_substances() -> Mapping[str, SubstanceRecord]:
    return load_substances()


def cas_record(cas: str) -> SubstanceRecord | None:
    """The curated record for CAS number ``cas``, or None if the table does not hold it.

    EC numbers ("231-072-3"), malformed and unknown CAS numbers all give None.
    """
    return _shipped_substances().get(cas.strip())


@attrs.frozen
class TypicalComposition:
    """A typical, not measured, composition of a material named in free text.

    ``fractions`` holds (element, min, nominal, max) as exact mass fractions (kg/kg, i.e.
    percent / 100), in order of atomic number. ``patterns`` are the case-insensitive
    regular expressions that select it (:func:`typical_composition`).
    """

    id: str
    name: str
    fractions: tuple[ElementShare, ...]
    sources: tuple[str, ...]
    confidence: str
    note: str
    patterns: tuple[re.Pattern[str], ...] = attrs.field(default=(), repr=False)


_COMPOSITION_KEYS = ("id", "name", "patterns", "confidence", "sources", "note", "mass_percent")


def _percent(value: object) -> Fraction | None:
    """A TOML number as an exact Fraction of its decimal text (0.05 -> 1/20), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return Fraction(repr(value))  # repr is the shortest text that round-trips
    return Fraction(value)


def _composition_shares(table: object, where: str, problems: list[str]) -> tuple[ElementShare, ...]:
    if not isinstance(table, dict) or not table:
        problems.append(f"{where}: 'mass_percent' must be a table of elements")
        return ()
    shares: list[ElementShare] = []
    for element, bounds in table.items():
        here = f"{where}: {element}"
        if element not in _ELEMENT_SET:
            problems.append(f"{here}: not an element symbol")
            continue
        if not isinstance(bounds, dict) or set(bounds) != {"min", "nominal", "max"}:
            problems.append(f"{here}: must be {{ min = ..., nominal = ..., max = ... }}")
            continue
        low, nominal, high = (_percent(bounds[k]) for k in ("min", "nominal", "max"))
        if low is None or nominal is None or high is None:
            problems.append(f"{here}: min, nominal and max must be numbers")
        elif not 0 <= low <= nominal <= high <= 100:
            problems.append(f"{here}: needs 0 <= min <= nominal <= max <= 100, got {bounds['min']}, {bounds['nominal']}, {bounds['max']}")
        else:
            shares.append((element, low / 100, nominal / 100, high / 100))
    nominal_total = sum(share[2] for share in shares)
    if nominal_total > 1:
        problems.append(f"{where}: the nominal values add up to {float(nominal_total * 100):g} %, more than 100 %")
    return tuple(sorted(shares, key=lambda share: _ATOMIC_NUMBER[share[0]]))


def load_typical_compositions(path: str | os.PathLike[str] | None = None) -> tuple[TypicalComposition, ...]:
    """Read and validate a typical-composition file (by default the one rarebom ships), in file order.

    Every pattern must compile, every element be known, min <= nominal <= max hold in
    percent, the nominal values add up to at most 100 %, and ids be unique. Raises
    :class:`DataFileError` listing all broken entries.
    """
    label, data = _read_toml(path, "typical-compositions.toml")
    problems: list[str] = []
    compositions: list[TypicalComposition] = []
    seen: set[str] = set()
    for number, entry in enumerate(_entries(data, "composition", label), start=1):
        where = f"[[composition]] #{number}" + (f" (id {entry.get('id')!r})" if isinstance(entry, dict) else "")
        if not _text_fields(entry, ("id", "name", "confidence", "note"), where, problems):
            continue
        before = len(problems)
        problems += [f"{where}: unknown key {k!r}" for k in entry if k not in _COMPOSITION_KEYS]
        if entry["id"] in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(entry["id"])
        if entry["confidence"] not in CONFIDENCE_MARKS:
            problems.append(f"{where}: confidence {entry['confidence']!r} is not one of {', '.join(CONFIDENCE_MARKS)}")
        sources = entry.get("sources")
        if not isinstance(sources, list) or not sources or not all(isinstance(s, str) and s.strip() for s in sources):
            problems.append(f"{where}: 'sources' must be a non-empty list of non-empty strings")
        patterns: list[re.Pattern[str]] = []
        texts = entry.get("patterns")
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) and t for t in texts):
            problems.append(f"{where}: 'patterns' must be a non-empty list of regular expressions")
        else:
            for text in texts:
                try:
                    patterns.append(re.compile(text, re.IGNORECASE))
                except re.error as exc:
                    problems.append(f"{where}: pattern {text!r} does not compile: {exc}")
        shares = _composition_shares(entry.get("mass_percent"), where, problems)
        if len(problems) == before:
            compositions.append(TypicalComposition(entry["id"], entry["name"], shares, tuple(sources), entry["confidence"], entry["note"], tuple(patterns)))
    if problems:
        raise DataFileError(label, problems)
    return tuple(compositions)


@functools.cache
def _shipped_typical_compositions() -> tuple[TypicalComposition, ...]:
    return load_typical_compositions()


def typical_composition(text: str) -> TypicalComposition | None:
    """The first shipped typical composition with a pattern found in ``text``, or None.

    ``text`` is a free-text substance or material name such as "NdFeB N42" or
    "SmCo 2:17". The result is an estimate; use it only where the user opted in.
    """
    for composition in _shipped_typical_compositions():
        if any(pattern.search(text) for pattern in composition.patterns):
            return composition
    return None


# --- Resolution --------------------------------------------------------------------------


@attrs.frozen
class Resolution:
    """The element mass fractions of one declared substance, and how they were found.

    ``fractions`` holds (element, min, nominal, max) as exact mass fractions (kg/kg) in
    order of atomic number; from stoichiometry min == nominal == max. ``basis`` is
    "element", "formula", "cas" or "typical"; ``source`` explains it to a person;
    ``typical`` marks an opt-in estimate, not a declared composition.
    """

    fractions: tuple[ElementShare, ...]
    basis: str = attrs.field(validator=attrs.validators.in_(("element", "formula", "cas", "typical")))
    source: str
    typical: bool = False


def _exact(shares: tuple[tuple[str, Fraction], ...]) -> tuple[ElementShare, ...]:
    return tuple((symbol, share, share, share) for symbol, share in shares)


def resolve(
    *,
    element: str | None = None,
    formula: str | None = None,
    cas: str | None = None,
    name: str | None = None,
    typical: bool = False,
) -> Resolution | None:
    """The element mass fractions (kg/kg) of one declared substance, or None if unresolved.

    Tries, in order, the first that resolves: ``element`` (all of it that element),
    ``formula`` (:func:`formula_fractions`), ``cas`` (the curated table, then its
    formula), and, only when ``typical`` is True, a typical composition matched on the
    free-text ``name``. A name is never parsed as a formula. An unknown or malformed CAS
    number (an EC number such as "231-072-3"), an unparsable formula or a symbol that is
    not an element resolves nothing.
    """
    if element is not None and is_element(element):
        one = Fraction(1)
        return Resolution(((element, one, one, one),), "element", f"element {element}")
    if formula is not None and (shares := _formula_shares(formula.strip())) is not None:
        return Resolution(_exact(shares), "formula", f"formula {formula.strip()}, atomic weights from molmass {_molmass_version()}")
    if cas is not None and (record := cas_record(cas)) is not None:
        shares = _formula_shares(record.formula)
        assert shares is not None, "load_substances checked every formula"
        source = f"CAS {record.cas} is {record.formula} (substances.toml, confidence {record.confidence}: {record.source}), atomic weights from molmass {_molmass_version()}"
        return Resolution(_exact(shares), "cas", source)
    if typical and name is not None and (composition := typical_composition(name)) is not None:
        source = f"typical composition {composition.id!r} (opt-in, confidence {composition.confidence}): {'; '.join(composition.sources)}"
        return Resolution(composition.fractions, "typical", source, typical=True)
    return None
