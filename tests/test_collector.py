"""`rarebom trace` pauses Python's cyclic garbage collector, and leaves nothing it would need.

The pause is safe only because tracing a BOM makes no reference cycles: everything it
allocates is freed by reference counting once the file's report share is taken. These tests
check both halves, on the examples, a generated BOM large enough for the vectorised roll-up,
dirty imports with warnings, and a file that fails.
"""

import datetime as dt
import gc

import pytest

from benchmarks.generate import synthetic_bom, write_xml
from rarebom import _batch, rules
from rarebom.engine import TraceOptions
from rarebom.errors import InvalidBomError
from rarebom.rules import load_rules

from .conftest import EXAMPLES, REPO

IMPORT = REPO / "tests" / "data" / "import"


@pytest.fixture(scope="module")
def job():
    return _batch.Job(load={}, options=TraceOptions(), evaluate={"rules": load_rules(), "as_of": dt.date(2026, 11, 22)}, report={})


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A 2,500-part synthetic BOM: above the size where trace() takes the vectorised roll-up."""
    path = tmp_path_factory.mktemp("collector") / "synthetic-2500.xml"
    with open(path, "wb") as handle:
        write_xml(synthetic_bom(2500, seed=3), handle)
    return path


def _rarebom_objects_in_cycles(run) -> list[str]:
    """The types, from rarebom's own modules, of the objects that only the collector would
    free after ``run()``: objects in reference cycles that nothing else refers to."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        run()
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        found = sorted({type(o).__qualname__ for o in gc.garbage if type(o).__module__.startswith("rarebom")})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if enabled:
            gc.enable()
    return found


@pytest.mark.parametrize(
    "name",
    [
        "examples/ev-traction-motor.xml",
        "examples/smartphone.xml",
        "generated",
        "tests/data/import/table/servo_actuator_cad.csv",
        "tests/data/import/granta/dirty-values-2412.xml",
        "tests/data/import/ipc1752/dirty_class_d.xml",
        "tests/data/import/iec62474/dirty_values.xml",
    ],
)
def test_a_trace_leaves_no_cycles(name, job, generated):
    path = generated if name == "generated" else REPO / name
    _batch.trace_file(job, str(path))  # first use: imports, caches, numpy
    assert _rarebom_objects_in_cycles(lambda: _batch.trace_file(job, str(path))) == []


def test_the_report_chart_is_not_a_cycle(job, generated):
    # The chart's recursive walk was a closure that called itself: every report kept its
    # trace, and so the whole model, in a cycle (found while pausing the collector).
    traced = _batch.trace_file(job, str(generated))
    charts = [product["chart"] for product in traced.report["products"]]
    assert any(chart["children"] for chart in charts), "the generated BOM's charts have nodes below a finished good"
    assert _rarebom_objects_in_cycles(lambda: _batch.trace_file(job, str(generated))) == []


def test_the_collector_is_off_while_tracing_and_as_before_after(job, monkeypatch):
    seen = []
    evaluate = rules.evaluate

    def watching(*args, **kwargs):
        seen.append(gc.isenabled())
        return evaluate(*args, **kwargs)

    monkeypatch.setattr(rules, "evaluate", watching)
    was = gc.isenabled()
    try:
        for state in (True, False):
            (gc.enable if state else gc.disable)()
            _batch.trace_file(job, str(EXAMPLES / "ev-traction-motor.xml"))
            assert gc.isenabled() is state
    finally:
        (gc.enable if was else gc.disable)()
    assert seen == [False, False]


@pytest.mark.parametrize("name", ["tests/data/import/table/dirty_quantities.csv", "tests/data/import/granta/dirty-errors-2412.xml"])
def test_a_file_that_fails(name, job):
    path = str(REPO / name)
    assert gc.isenabled()
    with pytest.raises(InvalidBomError):
        _batch.trace_file(job, path)
    assert gc.isenabled()
    # As a batch keeps it: the error, with its traceback, in the file's outcome.
    assert _rarebom_objects_in_cycles(lambda: _batch._trace_or_error(job, path)) == []
