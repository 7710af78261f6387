"""Reports: an evaluation rendered for people and programs. A reporter never re-derives a number.

:func:`report_data` builds the report once, as plain data (the JSON report is exactly
that); :func:`render` turns it into text, JSON, Markdown or HTML.
"""

from __future__ import annotations

import json
import math
from itertools import chain, filterfalse, islice
from typing import Any, TextIO

from .data import LIST_LIMIT, REPORT_FORMAT, Input, report_data
from .text import render_text, rule_text, rules_table

__all__ = ["FORMATS", "LIST_LIMIT", "REPORT_FORMAT", "Input", "render", "render_json", "render_text", "report_data", "rule_text", "rules_table", "write_json"]

#: The report formats ``render`` and ``rarebom trace -o`` know.
FORMATS = ("text", "json", "markdown", "html")


def render_json(data: dict) -> str:
    """The report as JSON (``schemas/rarebom-report-2.schema.json``); no NaN or Infinity ever."""
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(data: dict, stream: TextIO) -> None:
    """Write :func:`render_json`'s text to ``stream`` a part at a time, without holding it.

    ``json.dumps`` keeps every piece of the text in a list and then joins them: for the
    report of 100,000 parts with every list in full (``--full-lists``), 0.9 GiB above the
    report data, where writing the pieces as they come takes a few MiB. The data is checked
    first, so that a report ``json`` would refuse (a NaN, an object it cannot write) is
    refused before anything is written, as ``render_json`` refuses it; data of any other
    shape than the plain dicts, lists, strings and numbers report_data makes, or with a
    string UTF-8 cannot encode, is written whole by ``render_json``, as before.
    """
    if not _plain(data):
        stream.write(render_json(data))  # raises where json refuses, before writing
        return
    # json.dump writes each piece as it comes: a system call each where the stream is not
    # buffered (standard output under PYTHONUNBUFFERED, as many CI runners set it). So the
    # pieces are joined _WRITE_PIECES at a time, in C (islice and join).
    pieces = json.JSONEncoder(indent=2, ensure_ascii=False, allow_nan=False).iterencode(data)
    while batch := list(islice(pieces, _WRITE_PIECES)):
        stream.write("".join(batch))
    stream.write("\n")


#: How many of json's pieces of text (a few characters each, a whole string at most)
#: :func:`write_json` hands to its stream at a time.
_WRITE_PIECES = 1 << 16


_PLAIN = frozenset((dict, list, str, int, float, bool, type(None)))

#: Data nested deeper than this is left to render_json, which refuses a cycle, and any
#: nesting past Python's recursion limit, before writing (a report nests about 20 deep).
_DEEPEST = 1000


def _plain(data: Any) -> bool:
    """Whether ``data`` holds only dicts with ``str`` keys, lists, ``str``, ``int``,
    ``bool``, ``None`` and finite floats (exact types), and strings UTF-8 can encode: what
    json writes without refusing, and a UTF-8 stream takes (a file name that is not UTF-8
    comes back from the command line with surrogates in it).

    It looks at one level of the data at a time, as one flat list of the values there,
    with type sets: the report's long lists (sentences, path steps, nodes) are checked in
    a few calls each, not item by item in Python."""
    stack = [([data], 0)]
    while stack:
        values, depth = stack.pop()
        if depth > _DEEPEST:  # json cannot write it either (a cycle, or past the recursion limit)
            return False
        kinds = set(map(type, values))
        if not kinds <= _PLAIN:
            return False
        if float in kinds and not all(map(math.isfinite, [v for v in values if type(v) is float])):
            return False
        if str in kinds and not _encodable(values if len(kinds) == 1 else [v for v in values if type(v) is str]):
            return False
        if dict in kinds:
            dicts = values if len(kinds) == 1 else [v for v in values if type(v) is dict]
            keys = list(chain.from_iterable(dicts))
            if not set(map(type, keys)) <= {str} or not _encodable(keys):
                return False
            stack.append((list(chain.from_iterable(map(dict.values, dicts))), depth + 1))
        if list in kinds:
            lists = values if len(kinds) == 1 else [v for v in values if type(v) is list]
            stack.append((list(chain.from_iterable(lists)), depth + 1))
    return True


def _encodable(strings: list[str]) -> bool:
    """Whether UTF-8 encodes every one of ``strings`` (only the few that are not ASCII are tried)."""
    try:
        for text in filterfalse(str.isascii, strings):
            text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def render(data: dict, format: str, *, colour: bool = False, verbose: bool = False) -> str:
    """The report in one of :data:`FORMATS`."""
    if format == "text":
        return render_text(data, colour=colour, verbose=verbose)
    if format == "json":
        return render_json(data)
    if format == "markdown":
        from .markdown import render_markdown

        return render_markdown(data, verbose=verbose)
    if format == "html":
        from .html import render_html

        return render_html(data)
    raise ValueError(f"unknown report format {format!r}; choose from {', '.join(FORMATS)}")
