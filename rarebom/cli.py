"""The ``rarebom`` command line.

``main(argv) -> int`` so tests call it in-process. Reports go to stdout, diagnostics to
stderr. Exit codes: 0 success, 2 a usage or input error (every problem is printed, each
with its file and line or JSON pointer), 70 an internal error (a bug: please report it).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from ._resources import SCHEMAS, schema_path
from .checks import DEFAULT_FRACTION_TOLERANCE, DEFAULT_MASS_TOLERANCE, CheckOptions
from .errors import Finding, InputError, InvalidBomError, RarebomError, Severity
from .formats import FORMATS, LoadResult, dump, load
from .units import parse_number

__all__ = ["main"]

EXIT_OK = 0
EXIT_INPUT = 2
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
        epilog="Exit codes: 0 ok, 2 usage or input error, 70 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"rarebom {__version__}")
    parser.add_argument("--debug", action="store_true", help="show a traceback on an internal error")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    formats = sorted(FORMATS)
    checks = argparse.ArgumentParser(add_help=False)
    checks.add_argument("--format", choices=formats, help="the input format (default: detected from the content)")
    checks.add_argument(
        "--fraction-tolerance", type=_fraction_arg, default=DEFAULT_FRACTION_TOLERANCE, metavar="X",
        help="how far fractions may sum above 100%% before a warning (default 1%%)",
    )
    checks.add_argument(
        "--mass-tolerance", type=_fraction_arg, default=DEFAULT_MASS_TOLERANCE, metavar="X",
        help="relative gap allowed between a declared mass and the sum of its contents (default 5%%)",
    )
    checks.add_argument("-q", "--quiet", action="store_true", help="do not print warnings")

    validate = commands.add_parser("validate", parents=[checks], help="check BOM files against the schema and the graph rules")
    validate.add_argument("files", nargs="+", metavar="BOM")
    validate.add_argument("-o", "--output", choices=["text", "json"], default="text", help="report format (default text)")

    convert = commands.add_parser("convert", parents=[checks], help="convert a BOM between formats (by the output's suffix)")
    convert.add_argument("input", metavar="IN")
    convert.add_argument("output", metavar="OUT")
    convert.add_argument("--to", choices=[f for f in formats if FORMATS[f].write], help="the output format (default: from OUT's suffix)")

    schema = commands.add_parser("schema", help="print one of rarebom's schemas")
    schema.add_argument("name", choices=sorted(SCHEMAS), help="bom-xml (XSD) or bom-json (JSON Schema)")
    schema.add_argument("--path", action="store_true", help="print the schema file's path instead of its text")

    trace = commands.add_parser("trace", parents=[checks], help="trace rare-earth content through a BOM (roll-up and rules: see docs)")
    trace.add_argument("files", nargs="+", metavar="BOM")
    return parser


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _print_findings(findings: Sequence[Finding], *, quiet: bool) -> None:
    for finding in findings:
        if quiet and finding.severity is Severity.WARNING:
            continue
        print(finding, file=sys.stderr)


def _load(path: str, args) -> LoadResult:
    options = CheckOptions(fraction_tolerance=args.fraction_tolerance, mass_tolerance=args.mass_tolerance)
    return load(path, format=args.format, check_options=options)


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
                print(f"{path}: invalid, {_count(len(exc.errors), 'error')}")
                _print_findings(exc.findings, quiet=args.quiet)
            results.append({"file": path, "valid": False, "findings": [_finding_json(f) for f in exc.findings]})
            continue
        except InputError as exc:
            status = EXIT_INPUT
            if args.output == "text":
                print(f"{path}: invalid")
                print(exc, file=sys.stderr)
            results.append({"file": path, "valid": False, "findings": [_finding_json(exc.to_finding())]})
            continue
        bom = result.bom
        goods = bom.finished_goods
        if args.output == "text":
            warnings = len(result.findings)
            print(
                f"{path}: valid {result.format}, {_count(len(bom), 'part')}, {_count(len(goods), 'finished good')}"
                f" ({', '.join(p.id for p in goods[:5])}{', ...' if len(goods) > 5 else ''}), {_count(warnings, 'warning')}"
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


def _trace(args) -> int:
    for path in args.files:
        result = _load(path, args)
        _print_findings(result.findings, quiet=args.quiet)
    print(
        "rarebom trace: the files above were read and checked, but this version has no rule packs yet, so it gives no verdict. "
        "The roll-up itself is available from Python: rarebom.trace() (see docs/api.md).",
        file=sys.stderr,
    )
    return EXIT_INPUT


_COMMANDS = {"validate": _validate, "convert": _convert, "schema": _schema, "trace": _trace}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors and 0 on --help
        return int(exc.code or 0)
    try:
        return _COMMANDS[args.command](args)
    except InvalidBomError as exc:
        print(f"rarebom {args.command}: {exc.file or '<input>'}: {_count(len(exc.errors), 'error')}", file=sys.stderr)
        _print_findings(exc.findings, quiet=getattr(args, "quiet", False))
        return EXIT_INPUT
    except RarebomError as exc:
        print(f"rarebom {args.command}: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except OSError as exc:
        print(f"rarebom {args.command}: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug in rarebom; say so plainly instead of a bare traceback
        if args.debug:
            raise
        print(f"rarebom {args.command}: internal error, please report it: {type(exc).__name__}: {exc} (run with --debug for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL
