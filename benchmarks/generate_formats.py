"""Synthetic BOMs written in the industry formats rarebom imports, for the import benchmark.

:func:`write` turns a :class:`~rarebom.Bom` (one from :func:`format_bom`, or any BOM of
the same shape) into one of these, written the way real files are and using only what
rarebom's readers take:

- ``iec-62474``: chemSHERPA-AI style. ``Product`` → ``Composition`` (``isFMD="false"``,
  as chemSHERPA writes) → nested ``ProductPart`` with ``numberOfUnits``, ``ProductID``
  with a ``Mass`` per unit, a ``Material`` with its ``Mass`` per unit, and ``Substance`` with
  ``SubstanceID/EntryID`` (a CAS number) and ``MassPercent`` of the material.
- ``ipc-1752``: IPC-1752B, Class D. ``Product`` → nested ``SubProduct`` with
  ``numberOfInstances``, ``ProductID/Amount`` per unit, ``HomogeneousMaterial`` at 100 %,
  substances with a CAS ``SubstanceID`` and a ``Concentration`` (or ``Amount`` in ppm). A
  leaf whose declaration is partial carries its own ``Include`` naming classes C and D
  (BOMcheck's "Class D+C"), which rarebom reads as partial.
- ``granta-bom``: BoM 24/12. ``PartsEco/Components/Part``, recursive, with ``Quantity``,
  ``MassPerUom`` in ``kg/Part``, one ``Material`` at 100 % with its (made-up) MI record
  reference, and the part's ``Substances`` as percentages of the part.
- ``csv``: an indented table, ``Level, Part Number, Quantity, Unit Mass (g), Material``.
  A material is a name only, so the table carries structure, quantities and masses but
  no element content.

The IEC 62474 files validate against the X8.21 XSD, and the Granta files against the
24/12 XSD (with ``grantarecord1205.xsd`` from ansys/grantami-bomanalytics beside it).

These formats are trees: a sub-assembly used by two parents is written under each (the
readers share identical repeats again), so a file grows with the number of paths from the
finished goods, not with the number of parts. :func:`format_bom` keeps that sane: the
generator's layered DAG with little sharing (``describe(bom)["exploded"]`` is 1.3 to 1.6 ×
the parts) and no alternates, which only IPC-1752 could carry.

What the writers leave out: origin claims, unit values and item classes (the XML formats
have no place for them; a table could hold a unit cost, an item class and a country of
manufacture, but this one keeps to the five columns above), alternates, a declaration's
completeness where the format cannot vary it (IEC 62474 states it per product, and Granta
materials are always partial), and the table's element content. Run from the repository root::

    python -m benchmarks.generate_formats --parts 10000 --format granta-bom -o /tmp/bom.xml
"""

from __future__ import annotations

import argparse
import csv
import functools
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TextIO
from xml.sax.saxutils import escape, quoteattr

from rarebom import Bom, Completeness, Kind, Material, Part, Substance, chemistry
from rarebom.units import format_number

from .generate import synthetic_bom

__all__ = ["FORMAT_BOM", "WRITERS", "Written", "expected_parts", "format_bom", "main", "write"]

#: Generator settings for BOMs written in tree formats: few shared sub-assemblies, so a
#: file stays near the size of its parts (1.3 to 1.6 nodes written per part from 1,000 to
#: 50,000 parts; the generator's default sharing of 2 writes 34 per part at 10,000), and
#: no alternates.
FORMAT_BOM = {"sharing": 1.25, "alternates_rate": 0.0}

_PERCENT = Fraction(100)
_PPM = Fraction(10**6)
_WHOLE = Fraction(1)


def format_bom(parts: int, seed: int = 0) -> Bom:
    """A synthetic BOM shaped to be written as a tree (see :data:`FORMAT_BOM`)."""
    return synthetic_bom(parts, seed, **FORMAT_BOM)


@dataclass(frozen=True)
class Written:
    """A file written: its format, size, the XML elements or table rows in it, and the
    part occurrences (a shared part counts once per path to it)."""

    format: str
    path: Path
    bytes: int
    elements: int
    nodes: int


@functools.cache
def _element_cas() -> dict[str, str]:
    """The CAS number of each element, from rarebom's substance table."""
    cas: dict[str, str] = {}
    for record in chemistry.load_substances().values():
        if record.formula and chemistry.is_element(record.formula):
            cas.setdefault(record.formula, record.cas)
    return cas


def _cas(substance: Substance, part: Part) -> str:
    if substance.cas:
        return substance.cas
    found = _element_cas().get(substance.element or "")
    if found is None:
        raise ValueError(f"part {part.id!r}: substance {substance.label!r} has no CAS number, and the formats identify substances by one")
    return found


def _name(substance: Substance) -> str:
    if substance.name:
        return substance.name
    record = chemistry.cas_record(_element_cas().get(substance.element or "", ""))
    return record.name.capitalize() if record else substance.label


def _decimal(value: Fraction) -> str:
    text = format_number(value)
    if "/" in text:
        raise ValueError(f"{value} has no exact decimal form, which the formats need")
    return text


class _Tree:
    """The BOM walked as a tree from its finished goods, checked for what the formats can say."""

    def __init__(self, bom: Bom):
        self.bom = bom
        for part in bom.parts:
            if part.uom != "each":
                raise ValueError(f"part {part.id!r} is counted in {part.uom!r}; these writers write parts counted in pieces")
            for use in part.uses:
                if use.quantity.kind is not Kind.COUNT or use.quantity.value is None:
                    raise ValueError(f"part {part.id!r} uses {use.child!r} in {use.quantity}; these writers write counts of pieces")
            if part.mass is not None and part.mass.value is None:
                raise ValueError(f"part {part.id!r} has a mass range only; the formats write one value")
        self.roots = bom.finished_goods

    def part(self, part_id: str) -> Part:
        return self.bom.part(part_id)


def _material_share(material: Material, part: Part) -> Fraction | None:
    """The material's share of its part, or None when it is given as a mass."""
    amount = material.amount
    if amount is None or amount.value is None:
        raise ValueError(f"part {part.id!r}: material {material.label!r} has no amount")
    return amount.value if amount.kind is Kind.FRACTION else None


def _only_material(part: Part, what: str) -> Material | None:
    """The leaf's single material, which must be 100 % of it (or the part's whole mass)."""
    if not part.materials:
        return None
    if len(part.materials) > 1:
        raise ValueError(f"part {part.id!r} has {len(part.materials)} materials; the {what} writer writes one per part")
    material = part.materials[0]
    share = _material_share(material, part)
    whole = share == _WHOLE if share is not None else part.mass is not None and material.amount.value == part.mass.value
    if not whole:
        raise ValueError(f"part {part.id!r}: material {material.label!r} is not the whole part, which the {what} writer needs")
    return material


# --- XML --------------------------------------------------------------------------------


class _Xml:
    """A streaming XML writer that indents and counts the elements it writes."""

    def __init__(self, out: TextIO):
        self.out = out
        self.depth = 0
        self.elements = 0
        self.nodes = 0
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')

    def _start(self, tag: str, attributes: dict[str, str]) -> str:
        self.elements += 1
        attributes_text = "".join(f" {name}={quoteattr(value)}" for name, value in attributes.items() if value is not None)
        return f"{'  ' * self.depth}<{tag}{attributes_text}"

    def open(self, tag: str, **attributes: str) -> None:
        self.out.write(self._start(tag, attributes) + ">\n")
        self.depth += 1

    def close(self, tag: str) -> None:
        self.depth -= 1
        self.out.write(f"{'  ' * self.depth}</{tag}>\n")

    def empty(self, tag: str, **attributes: str) -> None:
        self.out.write(self._start(tag, attributes) + "/>\n")

    def text(self, tag: str, text: str, **attributes: str) -> None:
        self.out.write(f"{self._start(tag, attributes)}>{escape(text)}</{tag}>\n")


# --- IEC 62474 (chemSHERPA-AI) ------------------------------------------------------------

IEC_NAMESPACE = "http://std.iec.ch/iec62474"


def _write_iec62474(tree: _Tree, out: TextIO) -> tuple[int, int]:
    xml = _Xml(out)
    xml.open("Main", xmlns=IEC_NAMESPACE, schemaDatabaseVersion="X8.00ex2.0", declarationComplete="true")
    xml.open("Include")
    xml.empty("Sectional", nameOfSectional="Composition")
    xml.close("Include")
    xml.open("BusinessInfo", mode="Distribution")
    xml.open("Response", date="2026-01-01", docID=tree.bom.name or "synthetic")
    contact = {"name": "Synthetic Declarant", "title": "none", "email": "none@example.invalid", "phone": "none"}
    xml.empty("Authorizer", **contact)
    xml.empty("Contact", **contact)
    xml.empty("SupplyCompany", name="benchmarks.generate_formats")
    xml.close("Response")
    xml.close("BusinessInfo")

    def product_id(part: Part) -> None:
        if part.mass is None:
            xml.empty("ProductID", name=part.name, identifier=part.id)
            return
        xml.open("ProductID", name=part.name, identifier=part.id)
        xml.empty("Mass", mass=part.mass.written(part.mass.value), unitOfMeasure=_iec_unit(part.mass.unit, part))
        xml.close("ProductID")

    def content(part: Part) -> None:
        for use in part.uses:
            child = tree.part(use.child)
            xml.nodes += 1
            xml.open("ProductPart", numberOfUnits=_decimal(use.quantity.value), isArticle="true")
            product_id(child)
            content(child)
            xml.close("ProductPart")
        for material in part.materials:
            xml.open("Material", name=material.name)
            share = _material_share(material, part)
            if share is None:
                xml.empty("Mass", mass=material.amount.written(material.amount.value), unitOfMeasure=_iec_unit(material.amount.unit, part))
            elif part.mass is not None:
                # chemSHERPA writes a material's Mass per unit of its part, as grams.
                xml.empty("Mass", mass=_decimal(share * part.mass.value), unitOfMeasure="g")
            else:
                xml.empty("MassPercent", massPercent=_decimal(share * _PERCENT))
            for substance in material.substances:
                xml.open("Substance", name=_name(substance))
                xml.open("SubstanceID")
                xml.empty("EntryID", entryIdentity=_cas(substance, part))
                xml.close("SubstanceID")
                amount = substance.amount
                if amount is None or amount.value is None:
                    raise ValueError(f"part {part.id!r}: substance {substance.label!r} has no amount")
                if amount.kind is Kind.FRACTION:
                    xml.empty("MassPercent", massPercent=_decimal(amount.value * _PERCENT))
                else:
                    xml.empty("Mass", mass=amount.written(amount.value), unitOfMeasure=_iec_unit(amount.unit, part))
                xml.close("Substance")
            xml.close("Material")

    for root in tree.roots:
        xml.nodes += 1
        xml.open("Product", unitType="each", isArticle="true")
        product_id(root)
        xml.open("Composition", isFMD="false")
        xml.empty("DeclarableSubstanceList", identity="chemSHERPA_SubstanceList", authority="chemSHERPA", version="2.10.00")
        content(root)
        xml.close("Composition")
        xml.close("Product")
    xml.empty("ToolNameVersionID", identity="benchmarks.generate_formats", authority="rarebom", version="0")
    xml.close("Main")
    return xml.elements, xml.nodes


def _iec_unit(unit: str, part: Part) -> str:
    if unit not in ("mg", "g", "kg"):
        raise ValueError(f"part {part.id!r}: IEC 62474 writes masses in mg, g or kg, not {unit!r}")
    return unit


# --- IPC-1752B --------------------------------------------------------------------------

IPC_NAMESPACE = "https://webstds.ipc.org/175x/1752B/1752B"


def _write_ipc1752(tree: _Tree, out: TextIO) -> tuple[int, int]:
    xml = _Xml(out)
    xml.open("MainDeclaration", xmlns=IPC_NAMESPACE, version="2.0")
    xml.open("IPC-1752B")
    xml.open("BusinessInfo", mode="Distribute")
    xml.open("Response", date="2026-01-01")
    xml.empty("SupplyCompany", name="benchmarks.generate_formats")
    xml.close("Response")
    xml.close("BusinessInfo")
    _include(xml, ("D",))

    def product(tag: str, part: Part, **attributes: str) -> None:
        xml.nodes += 1
        xml.open(tag, **attributes)
        if part.mass is None:
            xml.empty("ProductID", itemNumber=part.id, itemName=part.name)
        else:
            xml.open("ProductID", itemNumber=part.id, itemName=part.name)
            xml.empty("Amount", value=part.mass.written(part.mass.value), UOM=part.mass.unit)
            xml.close("ProductID")
        if any(m.completeness is Completeness.PARTIAL for m in part.materials):
            _include(xml, ("C", "D"))  # "Class D+C": rarebom reads the materials as partial
        for use in part.uses:
            product("SubProduct", tree.part(use.child), numberOfInstances=_decimal(use.quantity.value))
        if part.materials:
            xml.open("MaterialInfo")
            xml.open("HomogeneousMaterialList")
            for material in part.materials:
                homogeneous_material(material, part)
            xml.close("HomogeneousMaterialList")
            xml.close("MaterialInfo")
        xml.close(tag)

    def homogeneous_material(material: Material, part: Part) -> None:
        xml.open("HomogeneousMaterial", name=material.name)
        share = _material_share(material, part)
        if share is None:
            xml.empty("Amount", value=material.amount.written(material.amount.value), UOM=material.amount.unit)
        else:
            xml.empty("Amount", value=_decimal(share * _PERCENT), UOM="%")
        xml.open("SubstanceCategoryList")
        xml.open("SubstanceCategory", name="Supplier")
        for substance in material.substances:
            xml.open("Substance", name=_name(substance))
            xml.empty("SubstanceID", identity=_cas(substance, part), authority="CAS")
            amount = substance.amount
            if amount is None or amount.value is None:
                raise ValueError(f"part {part.id!r}: substance {substance.label!r} has no amount")
            if amount.kind is Kind.MASS:
                xml.empty("Amount", value=amount.written(amount.value), UOM=amount.unit)
            elif amount.unit in ("mg/kg", "ppm"):
                xml.empty("Amount", value=_decimal(amount.value * _PPM), UOM="ppm")
            else:
                xml.empty("Concentration", value=_decimal(amount.value * _PERCENT))
            xml.close("Substance")
        xml.close("SubstanceCategory")
        xml.close("SubstanceCategoryList")
        xml.close("HomogeneousMaterial")

    for root in tree.roots:
        product("Product", root, unitType="Each", numberOfInstances="1")
    xml.close("IPC-1752B")
    xml.close("MainDeclaration")
    return xml.elements, xml.nodes


def _include(xml: _Xml, classes: tuple[str, ...]) -> None:
    """An IPC-1752 ``Include`` naming the declaration classes of the MaterialInfo sectional."""
    xml.open("Include")
    xml.open("Sectional", name="MaterialInfo")
    for name in classes:
        xml.empty("SubSectional", name=name)
    xml.close("Sectional")
    xml.close("Include")


# --- Granta BoM 24/12 -----------------------------------------------------------------------

GRANTA_NAMESPACE = "http://www.grantadesign.com/24/12/BillOfMaterialsEco"
GRANTA_BASE_TYPES = "http://www.grantadesign.com/12/05/GrantaBaseTypes"
_GRANTA_DB = "MI_Restricted_Substances"
_GUIDS = uuid.UUID("5f0c3c1e-6a4b-4f43-9d52-6c1f0f1d2b7a")  # a fixed namespace: the same name gives the same GUID


def _write_granta(tree: _Tree, out: TextIO) -> tuple[int, int]:
    xml = _Xml(out)
    xml.open("PartsEco", xmlns=GRANTA_NAMESPACE, **{"xmlns:gbt": GRANTA_BASE_TYPES})
    xml.open("Components")

    def record(tag: str, name: str) -> None:
        # The XSD makes every material and substance a reference to a Granta MI record.
        xml.open(tag)
        xml.text("gbt:dbKey", _GRANTA_DB)
        xml.text("gbt:recordGUID", str(uuid.uuid5(_GUIDS, name)))
        xml.close(tag)

    def part_element(part: Part, quantity: Fraction) -> None:
        xml.nodes += 1
        xml.open("Part")
        xml.text("Quantity", _decimal(quantity), Unit="Each")
        if part.mass is not None:
            xml.text("MassPerUom", _decimal(part.mass.value / 1000), Unit="kg/Part")
        xml.text("PartNumber", part.id)
        if part.name:
            xml.text("Name", part.name)
        if part.uses:
            xml.open("Components")
            for use in part.uses:
                part_element(tree.part(use.child), use.quantity.value)
            xml.close("Components")
        material = _only_material(part, "Granta")
        if material is not None:
            xml.open("Materials")
            xml.open("Material")
            xml.text("Percentage", "100")
            record("MIMaterialReference", f"material {material.label}")
            xml.text("Identity", material.label)
            xml.text("Name", material.label)
            xml.close("Material")
            xml.close("Materials")
            if material.substances:
                xml.open("Substances")
                for substance in material.substances:
                    amount = substance.amount
                    if amount is None or amount.kind is not Kind.FRACTION or amount.value is None:
                        raise ValueError(f"part {part.id!r}: substance {substance.label!r} is not a share; Granta writes a substance as a percentage of the part")
                    xml.open("Substance")
                    xml.text("Percentage", _decimal(amount.value * _PERCENT))
                    record("MISubstanceReference", f"substance {_cas(substance, part)}")
                    xml.text("Identity", _cas(substance, part))
                    xml.text("Name", _name(substance))
                    xml.close("Substance")
                xml.close("Substances")
        xml.close("Part")

    for root in tree.roots:
        part_element(root, _WHOLE)
    xml.close("Components")
    xml.open("Notes")
    xml.text("ProductName", tree.bom.name or "synthetic BOM")
    xml.close("Notes")
    xml.close("PartsEco")
    return xml.elements, xml.nodes


# --- indented CSV -------------------------------------------------------------------------------

CSV_HEADER = ("Level", "Part Number", "Quantity", "Unit Mass (g)", "Material")


def _write_csv(tree: _Tree, out: TextIO) -> tuple[int, int]:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    rows = 0

    def row(part: Part, level: int, quantity: Fraction) -> None:
        nonlocal rows
        rows += 1
        mass = "" if part.mass is None else _decimal(part.mass.value)
        material = _only_material(part, "CSV")
        writer.writerow((level, part.id, _decimal(quantity), mass, material.label if material else ""))
        for use in part.uses:
            row(tree.part(use.child), level + 1, use.quantity.value)

    for root in tree.roots:
        row(root, 0, _WHOLE)
    return rows, rows


# --- the front door ---------------------------------------------------------------------------

#: The writers by rarebom's format name, and the suffix their files get.
WRITERS: dict[str, tuple[Callable[[_Tree, TextIO], tuple[int, int]], str]] = {
    "iec-62474": (_write_iec62474, ".xml"),
    "ipc-1752": (_write_ipc1752, ".xml"),
    "granta-bom": (_write_granta, ".xml"),
    "csv": (_write_csv, ".csv"),
}


def write(bom: Bom, format: str, path: str | os.PathLike) -> Written:
    """Write ``bom`` to ``path`` in ``format`` (a key of :data:`WRITERS`).

    ``ValueError`` when the BOM holds what the format cannot carry the way rarebom reads it
    back: bulk quantities, mass ranges, several materials on one Granta part, a substance
    with no CAS number.
    """
    if format not in WRITERS:
        raise ValueError(f"no writer for {format!r}; there are writers for {', '.join(WRITERS)}")
    writer, _ = WRITERS[format]
    tree = _Tree(bom)
    path = Path(path)
    with open(path, "w", encoding="utf-8", newline="") as out:
        elements, nodes = writer(tree, out)
    return Written(format, path, path.stat().st_size, elements, nodes)


def expected_parts(bom: Bom, format: str) -> int:
    """How many parts rarebom reads back from ``bom`` written in ``format``.

    A Granta file with several finished goods is one product: the reader adds a part for
    the ``PartsEco`` element, which uses each of them once.
    """
    return len(bom) + (1 if format == "granta-bom" and len(bom.finished_goods) > 1 else 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate_formats", description="Write a seeded synthetic BOM in an industry format rarebom imports.")
    parser.add_argument("--parts", type=int, default=10_000, help="number of parts (default 10000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=list(WRITERS), required=True)
    parser.add_argument("-o", "--output", required=True, help="the file to write")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    bom = format_bom(args.parts, args.seed)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    written = write(bom, args.format, args.output)
    print(
        f"generated {len(bom)} parts in {generated:.2f} s; wrote {written.path} ({written.bytes / 1e6:.1f} MB, "
        f"{written.elements:,} {'rows' if args.format == 'csv' else 'elements'}, {written.nodes:,} part occurrences) in {time.perf_counter() - started:.2f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
