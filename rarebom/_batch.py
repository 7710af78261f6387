"""Tracing many BOM files in one run: folders expanded, one worker process per core.

``rarebom trace`` uses this for every file: :func:`trace_file` loads, traces and evaluates
one file and keeps only its share of the report (``report.input_report``, plain data),
which is what crosses a process boundary. An Evaluation would not do: for a 2,000-part BOM
it pickles to 4.7 MB, and pickling and unpickling it (0.9 s) takes longer than tracing and
evaluating the BOM, while its report share is 1.3 MB and pickles in milliseconds. :func:`trace_files` runs the files in
a process pool and hands the outcomes back in input order, so the report, the stderr and
the exit code are those of the sequential run.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs

from .errors import Finding, InputError, Location, RarebomError

__all__ = ["BOM_SUFFIXES", "POOL_MIN_BYTES", "Job", "Traced", "bom_files", "default_jobs", "trace_file", "trace_files", "usable_cores"]

#: The files a folder argument contributes (case-insensitive). Markdown and plain-text
#: tables are left out: a folder's README.md or notes.txt is rarely a BOM. Name such a table
#: as a file to trace it.
BOM_SUFFIXES = (".xml", ".json", ".csv", ".tsv", ".xlsx")


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and ``taskset``
    narrow), or the machine's count where affinity is unknown."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


#: Without --jobs, files totalling less than this are traced in this process: a worker costs
#: about a second to start (a fresh interpreter importing rarebom and warming up its readers
#: and rules), more than such a batch takes (docs/performance.md).
POOL_MIN_BYTES = 1 << 20


def default_jobs(files: Sequence[str]) -> int:
    """How many processes a run uses without --jobs: one per usable core, or 1 (this
    process) for a batch under :data:`POOL_MIN_BYTES`."""
    size = sum(os.path.getsize(f) for f in files if os.path.isfile(f))
    return usable_cores() if size >= POOL_MIN_BYTES else 1


def _wanted(name: str) -> bool:
    # Hidden files, and the "~$book.xlsx" lock files Excel leaves beside an open workbook.
    return not name.startswith((".", "~$")) and name.lower().endswith(BOM_SUFFIXES)


def bom_files(paths: Sequence[str]) -> list[str]:
    """The files to trace: each argument that is a folder replaced, in place, by the BOM files
    under it (any depth, :data:`BOM_SUFFIXES`, hidden files and folders skipped, symbolic
    links to folders not followed), sorted by their path inside it; anything else kept as
    given. A folder with no BOM file is an :class:`InputError`: a run that traces nothing
    must not pass."""
    files: list[str] = []
    for path in paths:
        if not os.path.isdir(path):
            files.append(path)
            continue
        found = []
        for folder, subfolders, names in os.walk(path):
            subfolders[:] = [s for s in subfolders if not s.startswith(".")]
            relative = os.path.relpath(folder, path)
            for name in names:
                if _wanted(name):
                    parts = (name,) if relative == os.curdir else (*relative.split(os.sep), name)
                    found.append(parts)
        if not found:
            raise InputError(f"no BOM files in this folder (looked for {', '.join(BOM_SUFFIXES)} at any depth)", location=Location(path))
        # Sorting by path components keeps each folder's files together: a/x.xml before a-b.xml.
        files += [os.path.join(path, *parts) for parts in sorted(found)]
    return files


@attrs.frozen
class Job:
    """What every file of a run is read, traced and evaluated with: pickled once per worker.

    ``load`` holds the keyword arguments of :func:`rarebom.load` and ``evaluate`` those of
    :func:`rarebom.rules.evaluate` (rules included); ``options`` is the TraceOptions;
    ``report`` holds those of :func:`rarebom.report.data.input_report` (such as ``limit``).
    """

    load: dict[str, Any]
    options: Any
    evaluate: dict[str, Any]
    report: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Traced:
    """One file's outcome, small enough to cross a process boundary.

    A traced file has ``report`` (its ``input_report``), ``worst`` (its worst verdict) and
    ``findings`` (what the CLI prints on stderr). A file that could not be traced has
    ``error`` instead: the :class:`RarebomError` or ``OSError`` a single-file run stops on.
    """

    file: str
    findings: tuple[Finding, ...] = ()
    report: dict | None = None
    worst: Any = None
    error: Exception | None = None


def trace_file(job: Job, file: str, *, source: Any = None, progress: Callable[..., None] | None = None) -> Traced:
    """Load, trace and evaluate ``file`` (read from ``source`` if given, e.g. a stream that
    reports how far it has been read); errors propagate. ``progress`` is the TraceOptions
    callback, also told when evaluation starts."""
    with _collector_paused():
        # The model, the trace and the evaluation are freed when _trace_file returns, before
        # the collector is back: it would otherwise walk them all once more.
        return _trace_file(job, file, source, progress)


def _trace_file(job: Job, file: str, source: Any, progress: Callable[..., None] | None) -> Traced:
    from .engine import trace
    from .formats import load
    from .report.data import Input, input_report
    from .rules import evaluate

    result = load(file if source is None else source, **job.load)
    traced = trace(result.bom, attrs.evolve(job.options, progress=progress))
    if progress is not None:
        rules = len(job.evaluate["rules"])
        progress(f"evaluating {rules} rule{'' if rules == 1 else 's'}")
    evaluation = evaluate(traced, **job.evaluate)
    findings = (*result.findings, *(f for f in traced.findings if f not in result.findings), *evaluation.findings)
    return Traced(file, findings, input_report(Input(file, result.format, evaluation, result.findings), **job.report), evaluation.worst())


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block, and back as it was after it.

    Loading and tracing a BOM allocate millions of objects that live until the report is
    written, and none of them in reference cycles (tests/test_collector.py): reference
    counting frees them all. The collector cannot know that. It walks all of them again in
    each full collection, to free nothing: 3 s of the 42 s of CPU a 100,000-part trace took.
    Turned off, the peak memory is the same (docs/performance-log.md, "The garbage collector").
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _trace_or_error(job: Job, file: str) -> Traced:
    """:func:`trace_file`, with the errors a single-file run exits 2 on kept in the outcome, so
    that one bad file costs only its own result. Anything else is a bug and propagates."""
    try:
        return trace_file(job, file)
    except (RarebomError, OSError) as exc:
        return Traced(file, error=exc)


_JOB: Job | None = None


def _start_worker(job: Job) -> None:
    global _JOB
    _JOB = job


def _work(file: str) -> Traced:
    assert _JOB is not None, "the worker was started without a job"
    traced = _trace_or_error(_JOB, file)
    if traced.error is not None:
        traced = attrs.evolve(traced, error=_portable(traced.error))
    return traced


def _portable(error: Exception) -> Exception:
    """``error``, or if it cannot cross back to the parent (an exception class whose
    arguments pickle does not know how to rebuild), a RarebomError printed the same way."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RarebomError(f"{error.filename or ''}: {error.strerror}" if isinstance(error, OSError) else str(error))
    return error


def _executor(workers: int, job: Job):
    """The pool of ``workers`` spawned processes, each given ``job``. The imports are here so
    that tracing one file never pays for them (about 30 ms)."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=_start_worker, initargs=(job,))


def trace_files(job: Job, files: Sequence[str], *, jobs: int, done: Callable[[int], None] | None = None) -> Iterator[Traced]:
    """Every file's :class:`Traced`, in the order of ``files``, each as soon as it and all
    before it are ready. ``done(k)`` is called whenever k files (in any order) are finished.

    With ``jobs`` > 1 and more than one file, the files run in a pool of ``min(jobs, files)``
    processes. They are started with "spawn": a fresh interpreter inherits no threads,
    locks, open files or patched streams from this one (a fork copies them all, which is
    why Python 3.12 warns about forking a process with threads and 3.14 no longer forks by
    default), and it works the same on Linux, macOS and Windows. A worker pays rarebom's
    import (about 0.5 s of CPU) once, in parallel with the others, and then takes files one
    at a time, so a large file never holds up the small ones behind it.
    """
    if jobs <= 1 or len(files) <= 1:
        for k, file in enumerate(files, 1):
            traced = _trace_or_error(job, file)
            if done is not None:
                done(k)
            yield traced
        return
    from concurrent.futures import FIRST_COMPLETED, wait

    pool = _executor(min(jobs, len(files)), job)
    try:
        futures = [pool.submit(_work, file) for file in files]
        pending, finished, next_out = set(futures), 0, 0
        while next_out < len(futures):
            ready, pending = wait(pending, return_when=FIRST_COMPLETED)
            finished += len(ready)
            if done is not None:
                done(finished)
            while next_out < len(futures) and futures[next_out].done():
                yield futures[next_out].result()  # a worker's bug is raised here, in order
                next_out += 1
    finally:
        # Normally everything is finished; on an error or Ctrl-C, drop the files not started.
        pool.shutdown(wait=True, cancel_futures=True)
