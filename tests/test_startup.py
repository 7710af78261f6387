"""Start-up: small commands import only what they use, and the fast unit table agrees with pint.

Each start-up test runs a fresh interpreter and looks at ``sys.modules`` afterwards: a heavy
module that is imported where it is not needed costs every user tens to hundreds of
milliseconds (pint's registry alone costs about 1.5 s). How long things take is measured in
``benchmarks/bench_startup.py``, not here.

The unit tests check ``data/units.txt``, the spellings rarebom resolves without pint, against
pint itself: the same exact Fraction, or the same error, for every spelling and every kind.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from fractions import Fraction

import pytest

from rarebom import units
from rarebom.errors import UnitError
from rarebom.units import Kind

from .conftest import EXAMPLES, REPO

EXAMPLE = "examples/ev-traction-motor.xml"
HEAVY = ("pint", "numpy", "scipy", "jsonschema", "molmass")


def _fresh(code: str) -> dict:
    """Run ``code`` in a fresh interpreter from the repository root; it leaves its answer in ``out``."""
    script = f"import json, sys\nout = {{}}\n{code}\nout['modules'] = sorted(sys.modules)\nsys.stdout = sys.__stdout__\nprint(json.dumps(out))\n"
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def _loaded(modules: list[str], names) -> set[str]:
    return {name for name in names if name in modules}


_CLI = """
import contextlib, io
from rarebom.cli import main
buffer = io.StringIO()
with contextlib.redirect_stdout(buffer):
    try:
        out['code'] = main({argv!r})
    except SystemExit as exc:
        out['code'] = exc.code
out['stdout'] = buffer.getvalue()
"""


def test_import_rarebom_loads_no_heavy_module():
    modules = _fresh("import rarebom")["modules"]
    assert not _loaded(modules, HEAVY + ("tomllib", "rarebom.rules", "rarebom.report", "rarebom.cli", "rarebom.formats.native_json"))


def test_the_registry_is_built_on_first_use_of_ureg():
    out = _fresh("import rarebom\nout['before'] = 'pint' in sys.modules\nout['unit'] = str(rarebom.ureg.Quantity(1, 'kg').units)")
    assert out["before"] is False and "pint" in out["modules"] and out["unit"] == "kilogram"


def test_version_loads_no_heavy_module():
    out = _fresh(_CLI.format(argv=["--version"]))
    assert out["code"] == 0 and out["stdout"].startswith("rarebom ")
    assert not _loaded(out["modules"], HEAVY + ("rarebom.rules", "rarebom.report"))


def test_validating_an_xml_file_loads_neither_pint_nor_jsonschema():
    out = _fresh(_CLI.format(argv=["validate", EXAMPLE]))
    assert out["code"] == 0, out["stdout"]
    assert not _loaded(out["modules"], ("pint", "numpy", "jsonschema", "rarebom.rules", "rarebom.report"))


def test_tracing_without_rule_packs_loads_no_jsonschema():
    out = _fresh(_CLI.format(argv=["trace", EXAMPLE, "--no-builtin-rules", "-q"]))
    assert out["code"] == 0, out["stdout"]
    assert not _loaded(out["modules"], ("pint", "jsonschema"))


def test_tracing_one_file_starts_no_process_pool():
    """The pool (rarebom/_batch.py) is imported only when a batch uses one."""
    out = _fresh(_CLI.format(argv=["trace", EXAMPLE, "-q"]))
    assert out["code"] == 0, out["stdout"]
    assert not _loaded(out["modules"], ("multiprocessing", "concurrent.futures", "numpy"))


def test_loading_and_tracing_every_example_never_builds_pint():
    # Every unit the bundled examples write is in the table; a new example with a rare
    # spelling fails here, and the fix is a line in rarebom/data/units.txt.
    code = """
import pathlib, rarebom
for path in sorted(pathlib.Path("examples").glob("*.*")):
    if path.suffix in (".xml", ".json"):
        rarebom.trace(rarebom.load(path).bom)
"""
    assert "pint" not in _fresh(code)["modules"]


def _json_report(force_pint: bool) -> tuple[dict, list[str]]:
    prefix = "from rarebom import units\nunits._known_units = lambda: {}\n" if force_pint else ""
    out = _fresh(prefix + _CLI.format(argv=["trace", EXAMPLE, "--as-of", "2026-11-22", "-o", "json"]))
    assert out["code"] == 0
    report = json.loads(out["stdout"])
    report.pop("generated")
    return report, out["modules"]


def test_the_example_report_is_the_same_with_and_without_pint():
    fast, fast_modules = _json_report(force_pint=False)
    slow, slow_modules = _json_report(force_pint=True)
    assert "pint" not in fast_modules and "pint" in slow_modules  # each run took the path it claims
    assert not _loaded(fast_modules, ("numpy", "scipy"))  # a 25-part BOM rolls up without numpy
    assert fast == slow
    assert fast["products"] and fast["products"][0]["verdicts"]


# --- the unit table against pint -----------------------------------------------------

# Spellings a BOM may write, known to pint or not; the table's own spellings are added below.
SPELLINGS = [
    *("g", "kg", "mg", "µg", "μg", "ug", "ng", "t", "tonne", "lb", "lbs", "oz", "gram", "grams", "Gram", "G", "KG", "Kg", "MG", "gr", "grain", "ton", "metric_ton", "kilo"),
    *("%", "wt%", "wt.%", "wt %", "mass%", "% w/w", "ppm", "ppmw", "ppb", "ppt", "at%", "mol%", "vol%", "ppmv", "percent", "permille", "‰", "fraction", "dimensionless", "1", ""),
    *(
        "mg/kg",
        "mg / kg",
        "mg/\u00a0kg",
        "mg\t/kg",
        "mg/\nkg",
        "mg//kg",
        "/kg",
        "mg/",
        "g/kg",
        "µg/g",
        "ug/g",
        "g/g",
        "kg/kg",
        "mg/g",
        "g/t",
        "kg/m",
        "g/mm",
        "1/kg",
        "mg/kg/g",
        "m/m",
    ),
    *("m", "mm", "cm", "km", "um", "µm", "dm", "in", "inch", "ft", "foot", "feet", "yd", "mile", "meter", "metre", "M", "MM", "nm"),
    *("m**2", "m2", "M2", "m^2", "mm2", "mm^2", "mm**2", "cm2", "cm^2", "sqm", "ft**2", "in^2", "km**2"),
    *("m**3", "m3", "M3", "m^3", "mm3", "cm3", "cm^3", "cc", "l", "L", "ml", "mL", "ML", "liter", "litre", "dl", "cl", "gal", "ft**3"),
    *("pcs", "each", "Each", "ea", "pc", "piece", "units", "st", "x", "rolls", "kg/Part", "m^3/Part", "massPercent", "mgm", "1 kg", "kg kg", "blorbs", "(", "g)", "**", "1e3 g"),
    *("USD", "EUR", "CNY", "JPY", "usd", "€", "$"),
]


def _written_units() -> set[str]:
    """Every unit spelling written in the examples and the test data."""
    found = set()
    for path in [*EXAMPLES.iterdir(), *(REPO / "tests" / "data").rglob("*")]:
        if path.is_file() and path.suffix.lower() in (".xml", ".json", ".csv", ".toml"):
            text = path.read_text(encoding="utf-8", errors="replace")
            found.update(re.findall(r"""\b(?:unit\w*|uom|UOM|Unit\w*)\s*[=:]\s*["']([^"'\n]{0,30})["']""", text))
    return found


def _outcome(unit: str, kind: Kind):
    try:
        return units.unit_factor.__wrapped__(unit, kind)
    except UnitError as exc:
        return f"UnitError: {exc}"


def _kind_outcome(unit: str):
    try:
        return units.kind_of_unit.__wrapped__(unit)
    except UnitError as exc:
        return f"UnitError: {exc}"


def _clear_caches() -> None:
    units.unit_factor.cache_clear()
    units.kind_of_unit.cache_clear()


@pytest.fixture(scope="module")
def questions() -> tuple[list[tuple[str, Kind]], list[str]]:
    """(spelling, kind) pairs to ask ``unit_factor``, and spellings to ask ``kind_of_unit``."""
    table = units._known_units()
    plain = sorted({*table, *SPELLINGS, *_written_units(), *(s.upper() for s in table), *(f" {s} " for s in table)})
    masses = [s for s, (kind, _) in table.items() if kind is Kind.MASS]
    # Every ratio of two listed masses is a mass fraction the table answers by division.
    ratios = [f"{top}/{bottom}" for top in masses for bottom in masses]
    return [(s, k) for s in plain for k in Kind] + [(r, Kind.FRACTION) for r in ratios], plain


def test_the_table_is_read_exactly():
    table = units._known_units()
    assert table["lb"] == (Kind.MASS, Fraction(45359237, 100000))
    assert table["%"] == (Kind.FRACTION, Fraction(1, 100))
    assert all(isinstance(factor, Fraction) and factor > 0 for _, factor in table.values())
    assert len(table) > 60


def test_the_test_data_is_scanned():
    written = _written_units()
    assert {"g", "kg", "wt%", "%", "mg", "m^2", "USD"} <= written


def test_every_spelling_gives_what_pint_gives(questions, monkeypatch):
    pairs, spellings = questions
    asked = []
    pint_factor = units._pint_factor
    monkeypatch.setattr(units, "_pint_factor", lambda written, kind, unit: asked.append(written) or pint_factor(written, kind, unit))
    _clear_caches()
    fast = {(s, k): _outcome(s, k) for s, k in pairs}
    fast_kinds = {s: _kind_outcome(s) for s in spellings}
    asked_fast = len(asked)
    monkeypatch.setattr(units, "_known_units", dict)
    _clear_caches()
    try:
        slow = {(s, k): _outcome(s, k) for s, k in pairs}
        slow_kinds = {s: _kind_outcome(s) for s in spellings}
    finally:
        _clear_caches()
    asked_slow = len(asked) - asked_fast
    # The table answered most questions itself, or this test would prove little.
    assert asked_fast < asked_slow / 2, (asked_fast, asked_slow)
    differ = [(s, k.value, fast[s, k], slow[s, k]) for (s, k) in fast if fast[s, k] != slow[s, k] or type(fast[s, k]) is not type(slow[s, k])]
    assert not differ, differ[:10]
    assert fast_kinds == slow_kinds
    assert sum(isinstance(v, Fraction) for v in fast.values()) > 800  # most spellings resolve to a number somewhere


def test_the_benchmark_writes_its_table_between_its_markers(tmp_path):
    from benchmarks import bench_startup

    timing = {"median": 0.5, "min": 0.4, "max": 0.7, "cpu": 0.3, "runs": 3}
    rows = [{"label": label, **timing, "baseline": {**timing, "median": 2.0}} for label, _, _ in bench_startup.CASES]
    section = bench_startup.render(rows, 0.5, "python -m benchmarks.bench_startup", "commit abc")
    table = [line for line in section.splitlines() if line.startswith("| `")]
    assert len(table) == len(bench_startup.CASES) and all(line.endswith("| 2 s | 300 ms |") for line in table)
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nkept\n\n<!-- bench_startup:start -->\nold\n<!-- bench_startup:end -->\n\n## After\n", encoding="utf-8")
    bench_startup.write_section(doc, section, bench_startup.MARKERS)
    text = doc.read_text(encoding="utf-8")
    assert "old" not in text and "kept" in text and text.endswith("## After\n") and text.count("bench_startup:start") == 1
    assert "| `rarebom trace examples/ev-traction-motor.xml` | **500 ms** | 0 µs |" in text
