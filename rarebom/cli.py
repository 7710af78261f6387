"""The ``rarebom`` command line.

``main(argv) -> int`` so tests call it in-process. Reports go to stdout, diagnostics to
stderr. Exit codes: 0 success (and no ``--fail-on`` condition met), 1 a rule ABOVE with
``--fail-on above``, 2 a usage or input error (every problem is printed, each with its
file and line or JSON pointer), 3 a rule INDETERMINATE with ``--fail-on indeterminate``,
70 an internal error (a bug: please report it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from ._resources import SCHEMAS, schema_path
from .checks import DEFAULT_FRACTION_TOLERANCE, DEFAULT_MASS_TOLERANCE, CheckOptions
from .errors import Finding, InputError, InvalidBomError, Location, RarebomError, Severity
from .formats import FORMATS, LoadResult, dump, load
from .limits import DEFAULT_LIMITS, Limits, parse_size
from .units import parse_number

__all__ = ["main"]

EXIT_OK = 0
EXIT_ABOVE = 1
EXIT_INPUT = 2
EXIT_INDETERMINATE = 3
EXIT_BROKEN_PIPE = 141
EXIT_INTERNAL = 70


def _fraction_arg(text: str):
    try:
        value = parse_number(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except InputError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative; a tolerance is 0 or more")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rarebom",
        description="Trace rare-earth content through a bill of materials.",
        epilog="Exit codes: 0 ok, 1 a rule above (--fail-on above), 2 usage or input error, 3 a rule indeterminate (--fail-on indeterminate), 70 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"rarebom {__version__}")
    parser.add_argument("--debug", action="store_true", help="show a traceback on an internal error")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    formats = sorted(FORMATS)
    checks = argparse.ArgumentParser(add_help=False)
    checks.add_argument("--format", choices=["auto", *formats], default="auto", help="the input format (default auto: detected from the content, not the name)")
    checks.add_argument("--columns", metavar="MAP", help="for tables: map rarebom's fields to your headers, e.g. 'part=PN,quantity=Menge' (see docs/formats.md)")
    checks.add_argument("--sheet", metavar="NAME", help="for Excel workbooks: the sheet to read (default: the first)")
    checks.add_argument(
        "--fraction-tolerance",
        type=_fraction_arg,
        default=DEFAULT_FRACTION_TOLERANCE,
        metavar="X",
        help="how far fractions may sum above 100%% before a warning (default 1%%)",
    )
    checks.add_argument(
        "--mass-tolerance",
        type=_fraction_arg,
        default=DEFAULT_MASS_TOLERANCE,
        metavar="X",
        help="relative gap allowed between a declared mass and the sum of its contents (default 5%%)",
    )
    checks.add_argument(
        "--max-input-size",
        type=_size_arg,
        default=DEFAULT_LIMITS.max_input_bytes,
        metavar="SIZE",
        help="refuse an input file larger than this, e.g. 500MB or 4GiB (default 2GiB; see docs/robustness.md)",
    )
    checks.add_argument(
        "--max-depth", type=_limit_arg(int), default=DEFAULT_LIMITS.max_depth, metavar="N", help="refuse a document nested more than N elements or objects deep (default 256)"
    )
    checks.add_argument("--max-parts", type=_limit_arg(int), default=DEFAULT_LIMITS.max_parts, metavar="N", help="refuse a BOM of more than N parts (default 10000000)")
    checks.add_argument(
        "--max-multiplicity",
        type=_limit_arg(float),
        default=DEFAULT_LIMITS.max_multiplicity,
        metavar="X",
        help="refuse a BOM path whose quantities multiply to more than X, e.g. 1e18 (default 1e15)",
    )
    checks.add_argument("-q", "--quiet", action="store_true", help="do not print warnings")

    validate = commands.add_parser("validate", parents=[checks], help="check BOM files against the schema and the graph rules")
    validate.add_argument("files", nargs="+", metavar="BOM")
    validate.add_argument("-o", "--output", choices=["text", "json"], default="text", help="report format (default text)")

    convert = commands.add_parser("convert", parents=[checks], help="convert a BOM between formats (by the output's suffix)")
    convert.add_argument("input", metavar="IN")
    convert.add_argument("output", metavar="OUT")
    convert.add_argument("--to", choices=[f for f in formats if FORMATS[f].writes], help="the output format (default: from OUT's suffix)")

    schema = commands.add_parser("schema", help="print one of rarebom's schemas")
    schema.add_argument("name", choices=sorted(SCHEMAS), help="bom-xml (the XSD), or the JSON Schema of bom-json, rules, overrides, prices or report")
    schema.add_argument("--path", action="store_true", help="print the schema file's path instead of its text")

    rules = argparse.ArgumentParser(add_help=False)
    rules.add_argument("--rules", action="append", default=[], metavar="ID|PATH", help="a rule or pack id to evaluate, or a pack file or folder to add (repeatable)")
    rules.add_argument("--no-builtin-rules", action="store_true", help="load only the packs given with --rules")
    rules.add_argument("--as-of", type=_date_arg, default=None, metavar="DATE", help="evaluate on this date, YYYY-MM-DD (default today)")

    trace = commands.add_parser("trace", parents=[checks, rules], help="trace rare-earth content through a BOM and evaluate the rules")
    trace.add_argument("files", nargs="+", metavar="BOM")
    trace.add_argument("--end-use", action="append", default=[], metavar="CODE", help="an end use for the licensing outlook, e.g. humanitarian (repeatable; see docs/rules.md)")
    trace.add_argument("--end-user", action="append", default=[], metavar="CODE", help="an end user for the licensing outlook, e.g. military (repeatable)")
    trace.add_argument("--destination", metavar="CC", help="the destination country, ISO 3166-1 alpha-2")
    trace.add_argument("--overrides", action="append", default=[], metavar="FILE", help="a file of justified overrides (repeatable)")
    trace.add_argument("--prices", metavar="FILE", help="a price table for values the BOM lacks (marked estimated)")
    trace.add_argument("--currency", metavar="CODE", help="report values in this ISO 4217 currency (default: the finished good's)")
    trace.add_argument("--rate", action="append", default=[], type=_rate_arg, metavar="CODE=RATE", help="units of --currency one unit of CODE is worth, e.g. EUR=1.08 (repeatable)")
    trace.add_argument("--rates", metavar="FILE", help='a TOML file of exchange rates: [rates] EUR = "1.08" (and currency = "USD"); --rate and --currency win over it')
    trace.add_argument("--alternates", choices=["selected", "worst"], default="selected", help="which alternate parts count (default selected)")
    trace.add_argument(
        "--policy",
        choices=["conservative", "nominal"],
        default="conservative",
        help="conservative (default): the bounds decide; nominal: the declared nominal values decide, and a BELOW is not a clearance",
    )
    trace.add_argument("--typical-compositions", action="store_true", help="resolve alloys named only in words from rarebom's typical compositions")
    trace.add_argument("--fail-on", choices=["above", "indeterminate"], help="exit 1 if a rule is above; with indeterminate, also exit 3 if one is indeterminate")
    trace.add_argument("-o", dest="report", choices=["text", "json", "markdown", "html"], default="text", help="report format (default text)")
    trace.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    trace.add_argument("--color", "--colour", dest="color", choices=["auto", "always", "never"], default="auto", help="colour the text report (auto: on a TTY, not with NO_COLOR)")
    trace.add_argument("-v", "--verbose", action="store_true", help="show every line of each verdict's arithmetic")
    trace.add_argument(
        "--full-lists",
        action="store_true",
        help="write every item of the lists that grow with the BOM (missing data, coverage, rule nodes); default: the first 20 of each, and how many there are in all",
    )
    trace.add_argument(
        "-j",
        "--jobs",
        type=_jobs_arg,
        default=None,
        metavar="N",
        help="trace up to N files at once, one process each (default: one per usable core, or 1 for files under 1 MiB in all; 1: one after another in this process)",
    )

    rules_cmd = commands.add_parser("rules", help="list the rules or show one")
    rules_sub = rules_cmd.add_subparsers(dest="rules_command", required=True, metavar="list|show")
    rules_sub.add_parser("list", parents=[rules], help="list the rules with their status on a date")
    rules_show = rules_sub.add_parser("show", parents=[rules], help="show one rule in full, with its sources")
    rules_show.add_argument("rule_id", metavar="ID")
    return parser


def _size_arg(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _limit_arg(kind: type):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'a whole number' if kind is int else 'a number'}") from None
        if not value >= 1 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"{text!r}: a limit is a finite number of 1 or more")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


def _jobs_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: the number of jobs is 1 or more")
    return value


def _limits(args) -> Limits:
    return Limits(max_input_bytes=args.max_input_size, max_depth=args.max_depth, max_parts=args.max_parts, max_multiplicity=args.max_multiplicity)


def _rate_arg(text: str) -> tuple[str, str]:
    code, sep, rate = text.partition("=")
    if not sep or len(code.strip()) != 3 or not code.strip().isalpha():
        raise argparse.ArgumentTypeError(f"{text!r} is not CODE=RATE, e.g. EUR=1.08")
    try:
        if parse_number(rate) <= 0:
            raise argparse.ArgumentTypeError(f"{text!r}: a rate is positive")
    except InputError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc.message}") from None
    return code.strip().upper(), rate.strip()


def _date_arg(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


# C0 and C1 control characters but tab and newline, as the reports neutralise them
# (report/_format.py): a message quoting a hostile file must not steer the terminal.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def neutral(text: object) -> str:
    """Text for the terminal, with control characters shown as ``\\xNN`` instead of acting."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def _print_findings(findings: Sequence[Finding], *, quiet: bool) -> None:
    for finding in findings:
        if quiet and finding.severity is Severity.WARNING:
            continue
        print(neutral(finding), file=sys.stderr)  # messages quote text from the input file


def _load_options(args) -> dict:
    """The keyword arguments of ``load`` that the command line sets."""
    options = CheckOptions(fraction_tolerance=args.fraction_tolerance, mass_tolerance=args.mass_tolerance)
    return {"format": None if args.format == "auto" else args.format, "check_options": options, "columns": args.columns, "sheet": args.sheet, "limits": _limits(args)}


def _load(path, args) -> LoadResult:
    return load(path, **_load_options(args))


def _finding_json(finding: Finding) -> dict:
    location = finding.location
    return {
        "severity": finding.severity.value,
        "code": finding.code,
        "message": finding.message,
        "file": location.file if location else None,
        "line": location.line if location else None,
        "pointer": location.pointer if location else None,
        "parts": list(finding.parts),
    }


def _validate(args) -> int:
    status = EXIT_OK
    results = []
    for path in args.files:
        try:
            result = _load(path, args)
        except InvalidBomError as exc:
            status = EXIT_INPUT
            if args.output == "text":
                print(f"{neutral(path)}: invalid, {_count(len(exc.errors), 'error')}")
                _print_findings(exc.findings, quiet=args.quiet)
            results.append({"file": path, "valid": False, "findings": [_finding_json(f) for f in exc.findings]})
            continue
        except InputError as exc:
            status = EXIT_INPUT
            if args.output == "text":
                print(f"{neutral(path)}: invalid")
                print(neutral(exc), file=sys.stderr)
            results.append({"file": path, "valid": False, "findings": [_finding_json(exc.to_finding())]})
            continue
        bom = result.bom
        goods = bom.finished_goods
        if args.output == "text":
            warnings = len(result.findings)
            print(
                neutral(
                    f"{path}: valid {result.format}, {_count(len(bom), 'part')}, {_count(len(goods), 'finished good')}"
                    f" ({', '.join(p.id for p in goods[:5])}{', ...' if len(goods) > 5 else ''}), {_count(warnings, 'warning')}"
                )
            )
            _print_findings(result.findings, quiet=args.quiet)
        results.append(
            {
                "file": path,
                "valid": True,
                "format": result.format,
                "parts": len(bom),
                "finishedGoods": [p.id for p in goods],
                "findings": [_finding_json(f) for f in result.findings],
            }
        )
    if args.output == "json":
        json.dump(results, sys.stdout, indent=2)
        print()
    return status


def _convert(args) -> int:
    result = _load(args.input, args)
    _print_findings(result.findings, quiet=args.quiet)
    if Path(args.output).resolve() == Path(args.input).resolve():
        raise InputError("the output would overwrite the input; choose another file name")
    dump(result.bom, args.output, format=args.to)
    print(f"{args.input} ({result.format}) -> {args.output}: {len(result.bom)} parts", file=sys.stderr)
    return EXIT_OK


def _schema(args) -> int:
    path = schema_path(args.name)
    if args.path:
        print(path)
    else:
        sys.stdout.write(path.read_text(encoding="utf-8"))
    return EXIT_OK


def _load_rules(args):
    """The packs to use: shipped ones (unless --no-builtin-rules), plus files or folders given
    with --rules; ids given with --rules narrow the selection."""
    from .rules import load_rules

    # An existing file or folder (or a name ending in .toml, so a typo is reported as a
    # missing file) is a pack to load; anything else is a rule or pack id to select.
    paths = [r for r in args.rules if Path(r).exists() or r.endswith(".toml")]
    ids = [r for r in args.rules if r not in paths]
    loaded = load_rules(paths, builtin=not args.no_builtin_rules)
    return loaded.select(ids) if ids else loaded


class _Progress:
    """A progress bar on stderr while a large input is read and rolled up: only on a TTY,
    never with -q, and never mixed into the report (which goes to stdout)."""

    LARGE = 1 << 20  # bytes: below this a file is traced before anyone would look
    WIDTH = 30

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.start = time.monotonic()

    def __call__(self, text: str, share: float | None = None) -> None:
        if not self.enabled:
            return
        bar = ""
        if share is not None:
            done = int(self.WIDTH * min(max(share, 0.0), 1.0))
            bar = f" [{'#' * done}{'.' * (self.WIDTH - done)}] {share:4.0%}"
        sys.stderr.write(f"\r\x1b[2K{text}{bar} ({time.monotonic() - self.start:.1f} s)")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()


class _Counting:
    """A binary file that reports how much of it has been read, for the progress bar."""

    def __init__(self, handle, size: int, report):
        self._handle, self._size, self._report = handle, max(size, 1), report

    def read(self, n: int = -1) -> bytes:
        data = self._handle.read(n)
        self._report(self._handle.tell() / self._size)
        return data

    def __getattr__(self, name: str):
        return getattr(self._handle, name)


def _rates_file(path: str) -> tuple[str | None, dict[str, str]]:
    """A rates file: ``currency = "USD"`` (optional) and a ``[rates]`` table of CODE = "rate"."""
    import tomllib

    location = Location(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", location=location) from None
    unknown = sorted(set(data) - {"currency", "rates"})
    if unknown or not isinstance(data.get("rates"), dict):
        where = location.at(pointer=f"/{unknown[0]}" if unknown else "/rates")
        raise InputError('a rates file has a [rates] table (CODE = "rate") and, optionally, currency = "CODE"', location=where)
    rates = {}
    for code, rate in data["rates"].items():
        text = f"{code}={rate}"
        try:
            rates.update([_rate_arg(text)])
        except argparse.ArgumentTypeError as exc:
            raise InputError(str(exc), location=location.at(pointer=f"/rates/{code}"), value=rate) from None
    currency = data.get("currency")
    if currency is not None and (not isinstance(currency, str) or len(currency) != 3):
        raise InputError(f"currency {currency!r} is not an ISO 4217 code", location=location.at(pointer="/currency"), value=currency)
    return currency, rates


def _colour(choice: str) -> bool:
    """ANSI colours: on a TTY unless NO_COLOR is set (https://no-color.org), or as asked."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(sys.stdout, "isatty", lambda: False)())


def _trace(args) -> int:
    from ._batch import Job, bom_files, trace_file
    from .engine import TraceOptions
    from .rules import load_overrides, load_prices

    files = bom_files(args.files)
    rules = _load_rules(args)
    overrides = tuple(o for path in args.overrides for o in load_overrides(path))
    prices = load_prices(args.prices) if args.prices else None
    currency, rates = _rates_file(args.rates) if args.rates else (None, {})
    options = TraceOptions(
        alternates=args.alternates, typical_compositions=args.typical_compositions, currency=args.currency or currency, rates={**rates, **dict(args.rate)}, limits=_limits(args)
    )
    # The date is fixed once, so that every file of a run is evaluated on the same day.
    evaluation = {"rules": rules, "as_of": args.as_of or dt.date.today(), "end_use": args.end_use, "end_user": args.end_user, "destination": args.destination}
    evaluation |= {"overrides": overrides, "prices": prices, "policy": args.policy}
    job = Job(load=_load_options(args), options=options, evaluate=evaluation, report={"limit": None} if args.full_lists else {})
    if len(files) > 1:
        return _trace_batch(args, job, files)
    path = files[0]
    large = os.path.isfile(path) and os.path.getsize(path) > _Progress.LARGE
    progress = _Progress(large and sys.stderr.isatty() and not args.quiet)
    if progress.enabled:
        with open(path, "rb") as handle:
            reading = _Counting(handle, os.path.getsize(path), lambda share, bar=progress, name=path: bar(f"reading {name}", share))
            traced = trace_file(job, path, source=reading, progress=progress)
    else:
        traced = trace_file(job, path)
    progress.done()
    _print_findings(traced.findings, quiet=args.quiet)
    return _report(args, [traced])


def _trace_batch(args, job, files: list[str]) -> int:
    """Many files: every one traced (in worker processes with --jobs above 1), each file's
    findings, or the errors that stopped it, printed in input order, and one report of the
    files traced. A file that could not be traced makes the exit code 2, but costs only
    its own result."""
    from ._batch import default_jobs, trace_files

    bar = _Progress(getattr(sys.stderr, "isatty", lambda: False)() and not args.quiet)
    finished = [0]

    def show(k: int | None = None) -> None:
        if k is not None:
            finished[0] = k
        bar(f"traced {finished[0]} of {_count(len(files), 'file')}", finished[0] / len(files))

    show(0)
    traced, failed = [], []
    for outcome in trace_files(job, files, jobs=args.jobs or default_jobs(files), done=show):
        bar.done()  # the findings go on lines of their own, and the bar below them again
        if outcome.error is None:
            _print_findings(outcome.findings, quiet=args.quiet)
            traced.append(outcome)
        else:
            _print_error("trace", outcome.error, quiet=args.quiet)
            failed.append(outcome.file)
        show()
    bar.done()
    if failed:
        print(neutral(f"rarebom trace: {len(failed)} of {_count(len(files), 'file')} could not be traced: {', '.join(failed)}"), file=sys.stderr)
    if not traced:
        return EXIT_INPUT
    status = _report(args, traced)
    return EXIT_INPUT if failed else status


def _report(args, traced) -> int:
    """Render the report of the traced files, write it, and give the exit code ``--fail-on`` asks for."""
    from .report import render, write_json
    from .report.data import assemble
    from .rules import Verdict

    data = assemble([t.report for t in traced])
    if args.report == "json":  # written a piece at a time: with --full-lists it can run to gigabytes
        if args.output:
            with open(args.output, "w", encoding="utf-8") as stream:
                write_json(data, stream)
        else:
            write_json(data, sys.stdout)
    else:
        text = render(data, args.report, colour=_colour(args.color) and args.report == "text", verbose=args.verbose)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    if args.output:
        print(f"rarebom trace: wrote the {args.report} report to {args.output}", file=sys.stderr)
    worst = max((t.worst for t in traced), key=lambda v: v.rank)
    if args.fail_on and worst is Verdict.ABOVE:
        return EXIT_ABOVE
    if args.fail_on == "indeterminate" and worst is Verdict.INDETERMINATE:
        return EXIT_INDETERMINATE
    return EXIT_OK


def _rules(args) -> int:
    from .report import rule_text, rules_table

    rules = _load_rules(args)
    as_of = args.as_of or dt.date.today()
    if args.rules_command == "list":
        sys.stdout.write(rules_table(rules, as_of))
        return EXIT_OK
    if args.rule_id not in rules:
        print(f"rarebom rules show: no rule is called {args.rule_id!r}; `rarebom rules list` lists them", file=sys.stderr)
        return EXIT_INPUT
    sys.stdout.write(rule_text(rules[args.rule_id], as_of))
    return EXIT_OK


_COMMANDS = {"validate": _validate, "convert": _convert, "schema": _schema, "trace": _trace, "rules": _rules}


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush does not fail again
    (the recipe in the Python docs, "Note on SIGPIPE")."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (a test's stand-in): nothing will flush to a pipe
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _print_error(command: str, exc: RarebomError | OSError, *, quiet: bool) -> int:
    """Print an error that stops a file (every problem, located) and return exit code 2."""
    if isinstance(exc, InvalidBomError):
        print(f"rarebom {command}: {exc.file or '<input>'}: {_count(len(exc.errors), 'error')}", file=sys.stderr)
        _print_findings(exc.findings, quiet=quiet)
    elif isinstance(exc, RarebomError):
        print(neutral(f"rarebom {command}: {exc}"), file=sys.stderr)
    else:
        print(f"rarebom {command}: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
    return EXIT_INPUT


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors and 0 on --help
        return int(exc.code or 0)
    try:
        return _COMMANDS[args.command](args)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and exit like a process killed by
        # SIGPIPE, so that a pipeline with pipefail never reads a cut-off run as a pass.
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except (RarebomError, OSError) as exc:
        return _print_error(args.command, exc, quiet=getattr(args, "quiet", False))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug in rarebom; say so plainly instead of a bare traceback
        if args.debug:
            raise
        print(f"rarebom {args.command}: internal error, please report it: {type(exc).__name__}: {exc} (run with --debug for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL
