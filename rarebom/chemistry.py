"""Chemical identities: element symbols and CAS registry numbers.

This module only names things. Turning compounds into element masses is the roll-up
engine's job.
"""

from __future__ import annotations

import re

__all__ = ["ELEMENTS", "RARE_EARTHS", "cas_check_digit_ok", "is_cas_shaped"]

#: The 118 element symbols in order of atomic number (IUPAC names, as of 2016).
ELEMENTS: tuple[str, ...] = tuple(
    """H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge
    As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm
    Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U
    Np Pu Am Cm Bk Cf Es Fm Md No Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og""".split()
)
_ELEMENT_SET = frozenset(ELEMENTS)

#: The 17 rare-earth elements: scandium, yttrium and the 15 lanthanides (IUPAC).
RARE_EARTHS: tuple[str, ...] = ("Sc", "Y", *ELEMENTS[56:71])

_CAS = re.compile(r"(\d{2,7})-(\d{2})-(\d)")


def is_element(symbol: str) -> bool:
    return symbol in _ELEMENT_SET


def is_cas_shaped(text: str) -> bool:
    """True if ``text`` has the shape of a CAS number (2–7 digits, 2 digits, 1 check digit)."""
    return _CAS.fullmatch(text) is not None


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
