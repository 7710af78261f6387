"""Reports: an evaluation rendered for people and programs. A reporter never re-derives a number.

:func:`report_data` builds the report once, as plain data (the JSON report is exactly
that); :func:`render` turns it into text, JSON, Markdown or HTML.
"""

from __future__ import annotations

import json

from .data import LIST_LIMIT, REPORT_FORMAT, Input, report_data
from .text import render_text, rule_text, rules_table

__all__ = ["FORMATS", "LIST_LIMIT", "REPORT_FORMAT", "Input", "render", "render_json", "render_text", "report_data", "rule_text", "rules_table"]

#: The report formats ``render`` and ``rarebom trace -o`` know.
FORMATS = ("text", "json", "markdown", "html")


def render_json(data: dict) -> str:
    """The report as JSON (``schemas/rarebom-report-2.schema.json``); no NaN or Infinity ever."""
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


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
