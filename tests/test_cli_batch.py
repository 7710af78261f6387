"""`rarebom trace` on many files: folders, --jobs, one bad file among good ones, and progress."""

import datetime as dt
import functools
import json
import os
import pickle
import shutil
import tempfile

import pytest
from hypothesis import given, settings

import rarebom
from rarebom import _batch
from rarebom.chemistry import DataFileError
from rarebom.cli import main
from rarebom.engine import TraceOptions
from rarebom.errors import InvalidBomError, Location, RarebomError, error
from rarebom.report.data import Input, assemble, report_data
from rarebom.rules import evaluate, load_rules
from rarebom.rules.packs import RuleError
from rarebom.testing import boms

from .conftest import EXAMPLES, REPO

IMPORT = REPO / "tests" / "data" / "import"
EV_XML = EXAMPLES / "ev-traction-motor.xml"
AS_OF = ["--as-of", "2026-11-22"]
GENERATED = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)


@pytest.fixture
def pools(monkeypatch):
    """The max_workers of every process pool a run starts."""
    started = []
    executor = _batch._executor

    def recording(workers, job):
        started.append(workers)
        return executor(workers, job)

    monkeypatch.setattr(_batch, "_executor", recording)
    return started


def _run(capsys, argv):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- folders --------------------------------------------------------------------------


def _touch(root, *names):
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")


def test_a_folder_gives_its_bom_files_at_any_depth_sorted_by_path(tmp_path):
    _touch(tmp_path, "b.xml", "a.JSON", "a/z.csv", "a/y/x.tsv", "a-b.xlsx", "B.xml")
    _touch(tmp_path, "README.md", "notes.txt", "prices.toml", "report.html", ".hidden.xml", ".git/HEAD.xml", "~$book.xlsx", "sub/.cache/c.xml")
    files = _batch.bom_files([str(tmp_path)])
    # By path components, as sorted() orders strings: a folder's files stay together (a/... before a-b...).
    assert [os.path.relpath(f, tmp_path) for f in files] == ["B.xml", os.path.join("a", "y", "x.tsv"), os.path.join("a", "z.csv"), "a-b.xlsx", "a.JSON", "b.xml"]
    assert all(f.startswith(str(tmp_path) + os.sep) for f in files)  # as the folder was given


def test_files_and_folders_keep_the_order_given_and_files_are_kept_as_named(tmp_path):
    _touch(tmp_path, "d/b.xml", "d/a.xml", "table.md")
    named = [str(tmp_path / "table.md"), str(tmp_path / "d"), str(tmp_path / "missing.xml")]
    assert _batch.bom_files(named) == [named[0], str(tmp_path / "d" / "a.xml"), str(tmp_path / "d" / "b.xml"), named[2]]


def test_a_symbolic_link_to_a_folder_is_not_followed(tmp_path):
    _touch(tmp_path, "d/a.xml")
    (tmp_path / "d" / "loop").symlink_to(tmp_path / "d")
    assert _batch.bom_files([str(tmp_path / "d")]) == [str(tmp_path / "d" / "a.xml")]


def test_a_folder_without_bom_files_exits_2(tmp_path, capsys):
    _touch(tmp_path, "README.md", ".hidden.json")
    code, out, err = _run(capsys, ["trace", str(tmp_path), *AS_OF])
    assert code == 2 and out == ""
    assert f"rarebom trace: {tmp_path}: no BOM files in this folder (looked for .xml, .json, .csv, .tsv, .xlsx at any depth)" in err


def test_a_folder_of_one_file_is_traced_as_that_file(tmp_path, capsys):
    shutil.copy(EV_XML, tmp_path / "ev.xml")
    named, folder = (_run(capsys, ["trace", path, *AS_OF, "-o", "json"]) for path in (str(tmp_path / "ev.xml"), str(tmp_path)))
    assert named[0] == folder[0] == 0 and named[2] == folder[2]
    assert {**json.loads(named[1]), "generated": None} == {**json.loads(folder[1]), "generated": None}


# --- --jobs ---------------------------------------------------------------------------


@pytest.mark.parametrize("jobs", ["0", "-1", "two", "1.5"])
def test_jobs_is_a_whole_number_of_1_or_more(jobs, capsys):
    assert main(["trace", str(EXAMPLES), *AS_OF, "--jobs", jobs]) == 2
    err = capsys.readouterr().err
    assert "argument -j/--jobs" in err and "Traceback" not in err


def test_the_default_uses_the_usable_cores_only_for_a_large_batch(tmp_path, monkeypatch):
    monkeypatch.setattr(_batch, "usable_cores", lambda: 7)
    small, large = tmp_path / "small.xml", tmp_path / "large.xml"
    small.write_bytes(b"x" * 100)
    large.write_bytes(b"x" * _batch.POOL_MIN_BYTES)
    assert _batch.default_jobs([str(small), str(tmp_path / "missing.xml")]) == 1
    assert _batch.default_jobs([str(small), str(large)]) == 7


def test_small_files_without_jobs_run_in_this_process(capsys, pools):
    assert main(["trace", str(EXAMPLES), *AS_OF, "-q"]) == 0
    assert pools == []


# The examples and every importer's fixtures, good and broken (the broken ones make the exit
# code 2): 30 files. The text report is compared on a smaller batch to keep the test quick.
BATCH = [str(EXAMPLES), str(IMPORT)]
BROKEN = {"dirty-errors-2412.xml", "bad_mass_abc.xml", "bad_unit.xml", "errors_class_d.xml", "dirty_quantities.csv", "stepper_kit_no_mass_unit.csv"}
SMALL_BATCH = [str(IMPORT / "table"), str(EXAMPLES / "smartphone.xml")]


@pytest.mark.parametrize(("report", "batch", "files"), [("json", BATCH, 30), ("text", SMALL_BATCH, 7)])
def test_jobs_2_prints_exactly_what_jobs_1_prints(report, batch, files, capsys, pools):
    argv = ["trace", *batch, *AS_OF, "-o", report, "--fail-on", "indeterminate"]
    sequential = _run(capsys, [*argv, "--jobs", "1"])
    assert pools == []
    parallel = _run(capsys, [*argv, "--jobs", "2"])
    assert pools == [2]
    if report == "json":  # the time the report was made is the one thing allowed to differ
        sequential, parallel = ([code, json.loads(out), err] for code, out, err in (sequential, parallel))
        del sequential[1]["generated"], parallel[1]["generated"]
        assert [i["file"] for i in parallel[1]["inputs"]] == [f for f in _batch.bom_files(batch) if os.path.basename(f) not in BROKEN]
    assert parallel == sequential
    assert sequential[0] == 2
    broken = [f for f in _batch.bom_files(batch) if os.path.basename(f) in BROKEN]
    assert sequential[2].endswith(f"rarebom trace: {len(broken)} of {files} files could not be traced: {', '.join(broken)}\n")


def test_more_jobs_than_files_starts_one_process_per_file(capsys, pools):
    argv = ["trace", str(EXAMPLES / "smartphone.xml"), str(EV_XML), *AS_OF, "-q", "-o", "json"]
    assert main([*argv, "--jobs", "8"]) == 0
    assert pools == [2]
    assert [i["file"] for i in json.loads(capsys.readouterr().out)["inputs"]] == [argv[1], argv[2]]


# --- a batch's exit code and errors ---------------------------------------------------


def test_fail_on_takes_the_worst_verdict_of_the_whole_batch(capsys):
    below = str(IMPORT / "iec62474" / "fmd_copper_terminal.xml")  # all rules below
    indeterminate = str(IMPORT / "table" / "servo_actuator_cad.csv")
    above = str(EV_XML)
    assert main(["trace", below, below, *AS_OF, "-q", "--jobs", "1", "--fail-on", "indeterminate"]) == 0
    assert main(["trace", below, indeterminate, *AS_OF, "-q", "--jobs", "1", "--fail-on", "indeterminate"]) == 3
    assert main(["trace", below, indeterminate, *AS_OF, "-q", "--jobs", "1", "--fail-on", "above"]) == 0
    assert main(["trace", indeterminate, above, below, *AS_OF, "-q", "--jobs", "1", "--fail-on", "indeterminate"]) == 1
    capsys.readouterr()


def test_a_broken_file_costs_only_its_own_result(write, capsys):
    broken = write("broken.json", '{"format": "rarebom", "formatVersion": "1.0", "parts": [{"id": "a", "uses": [{"part": "b", "quantity": {"value": "1"}}]}]}')
    smartphone = str(EXAMPLES / "smartphone.xml")
    code, out, err = _run(capsys, ["trace", str(EV_XML), str(broken), smartphone, *AS_OF, "-o", "json", "--jobs", "1", "--fail-on", "above"])
    assert code == 2  # not 1: a file that was not traced could hold anything
    report = json.loads(out)
    assert [i["file"] for i in report["inputs"]] == [str(EV_XML), smartphone]
    assert f"rarebom trace: {broken}: 1 error\n{broken}:1: /parts/0: error: part 'a' uses part 'b', which does not exist [dangling-reference]\n" in err
    assert err.rstrip("\n").endswith(f"rarebom trace: 1 of 3 files could not be traced: {broken}")


def test_stderr_keeps_input_order_with_each_file_findings_or_errors(write, capsys):
    broken = write("broken.xml", "<bom")
    warned = str(IMPORT / "iec62474" / "dirty_values.xml")  # has warnings
    code, out, err = _run(capsys, ["trace", warned, str(broken), str(EV_XML), *AS_OF, "--jobs", "1"])
    assert code == 2 and "ev-traction-motor" in out
    first_warning = err.index(f"{warned}:")
    assert first_warning < err.index(f"rarebom trace: {broken}") < err.index("could not be traced")
    quiet = _run(capsys, ["trace", warned, str(broken), str(EV_XML), *AS_OF, "--jobs", "1", "-q"])[2]
    assert f"{warned}:" not in quiet and f"rarebom trace: {broken}" in quiet  # -q hides warnings, never errors


def test_a_batch_of_only_broken_files_prints_no_report(write, capsys):
    first, second = write("a.xml", "<bom"), write("b.json", "{")
    code, out, err = _run(capsys, ["trace", str(first), str(second), *AS_OF, "--jobs", "1"])
    assert code == 2 and out == ""
    assert f"rarebom trace: {first}" in err and f"rarebom trace: {second}" in err and "2 of 2 files could not be traced" in err


def test_a_bug_while_tracing_is_an_internal_error_not_a_bad_file(monkeypatch, capsys):
    def broken(job, file, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(_batch, "trace_file", broken)
    assert main(["trace", str(EV_XML), str(EV_XML), *AS_OF, "--jobs", "1"]) == 70
    assert "internal error, please report it: ZeroDivisionError: a bug" in capsys.readouterr().err


def test_errors_cross_back_from_a_worker_printed_the_same():
    invalid = InvalidBomError([error("schema", "bad", Location("a.xml", line=3))], file="a.xml")
    assert _batch._portable(invalid) is invalid  # its own pickling keeps the findings
    rule = RuleError([("/rules/0", "no id")], "pack.toml")
    assert _batch._portable(rule) is rule
    broken = DataFileError("elements.toml", ["Nd: no weight"])
    with pytest.raises(TypeError):
        pickle.loads(pickle.dumps(broken))  # why _portable exists
    portable = _batch._portable(broken)
    assert type(portable) is RarebomError and str(portable) == str(broken)
    pickle.loads(pickle.dumps(portable))
    gone = FileNotFoundError(2, "No such file or directory", "a.xml")
    assert _batch._portable(gone) is gone


# --- progress -------------------------------------------------------------------------


def test_a_batch_on_a_terminal_shows_files_traced_on_stderr_only(monkeypatch, capsys):
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    argv = ["trace", str(EXAMPLES / "smartphone.xml"), str(EV_XML), *AS_OF, "-o", "json", "--jobs", "1"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    frames = [f for f in captured.err.split("\r\x1b[2K") if f]
    assert any(f.startswith("traced 0 of 2 files [" + "." * 30 + "]   0% (") for f in frames)
    assert any(f.startswith("traced 1 of 2 files [" + "#" * 15 + "." * 15 + "]  50% (") for f in frames)
    assert any(f.startswith("traced 2 of 2 files [" + "#" * 30 + "] 100% (") for f in frames)
    assert captured.err.endswith("\r\x1b[2K")  # the bar is wiped at the end
    assert json.loads(captured.out)["format"] == "rarebom-report/2"
    assert main([*argv, "-q"]) == 0
    assert "traced" not in capsys.readouterr().err  # -q: no bar


def test_no_progress_when_stderr_is_not_a_terminal(monkeypatch, capsys):
    monkeypatch.setattr("sys.stderr.isatty", lambda: False, raising=False)
    assert main(["trace", str(EXAMPLES / "smartphone.xml"), str(EV_XML), *AS_OF, "-q", "--jobs", "1"]) == 0
    assert capsys.readouterr().err == ""


# --- what crosses the process boundary --------------------------------------------------


@functools.cache
def _rules():
    return load_rules()


@settings(max_examples=10)
@given(bom=boms())
def test_a_files_outcome_survives_pickling_and_makes_the_same_report(bom):
    """A worker sends back a pickled Traced; the report made from it must be the one made
    from the evaluation itself (report_data), for any BOM."""
    job = _batch.Job(load={}, options=TraceOptions(), evaluate={"rules": _rules(), "as_of": dt.date(2026, 11, 22)})
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bom.json")
        rarebom.dump(bom, path)
        traced = _batch.trace_file(job, path)
        crossed = pickle.loads(pickle.dumps(traced, protocol=pickle.HIGHEST_PROTOCOL))
        assert crossed == traced
        result = rarebom.load(path)
        evaluation = evaluate(rarebom.trace(result.bom), _rules(), as_of=dt.date(2026, 11, 22))
        expected = report_data([Input(path, result.format, evaluation, result.findings)] * 2, generated=GENERATED)
        assert assemble([crossed.report, traced.report], generated=GENERATED) == expected
        assert crossed.worst is evaluation.worst()
