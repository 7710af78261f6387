"""MkDocs hook: write the command-line reference from rarebom's own argparse parser.

docs/cli.md holds the hand-written introduction and a placeholder line; at build time this
hook replaces the placeholder with one section per command, made from
``rarebom.cli._parser()``: the usage line argparse prints, the arguments with their values
and help, and the subcommands. The page is made from the parser that ``rarebom`` runs, so it
cannot drift from it.

argparse has no public API for walking a parser, so this reads ``_actions`` and
``_SubParsersAction``, as sphinx-argparse does. tests/test_docs_site.py checks the built page
against the parser, so a change in argparse that broke the walk would fail a test.
"""

from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

PLACEHOLDER = "<!-- rarebom-cli-reference -->"
PAGE = "cli.md"
# Usage lines wrap at this width whatever the terminal that builds the site (argparse reads $COLUMNS).
USAGE_WIDTH = 88


def on_config(config, **kwargs):
    # Document the source tree next to mkdocs.yml, not whatever rarebom is installed:
    # mkdocstrings reads the same tree (``paths: [.]`` in mkdocs.yml).
    root = str(Path(config.config_file_path).resolve().parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    return config


def on_page_markdown(markdown: str, page, config, files, **kwargs) -> str:
    if page.file.src_uri != PAGE:
        return markdown
    if markdown.count(PLACEHOLDER) != 1:
        raise PluginError(f"docs/{PAGE} must hold the line {PLACEHOLDER} exactly once; the CLI reference replaces it")
    from rarebom.cli import _parser

    return markdown.replace(PLACEHOLDER, render(_parser()))


def render(parser: argparse.ArgumentParser) -> str:
    """The reference for ``parser`` and every subcommand under it, as Markdown."""
    sections: list[str] = []
    _render(parser, parser.prog, parser.description, level=2, out=sections)
    return "\n".join(sections)


def _render(parser: argparse.ArgumentParser, name: str, summary: str | None, *, level: int, out: list[str]) -> None:
    out.append(f"{'#' * level} {name}\n")
    if summary:
        out.append(f"{_escape(_sentence(summary))}\n")
    formatter_class = parser.formatter_class
    parser.formatter_class = lambda prog: formatter_class(prog, width=USAGE_WIDTH)
    parser.color = False  # Python 3.14+ colours usage when the build runs in a terminal
    out.append(f"```text\n{parser.format_usage().strip()}\n```\n")

    # A positional without help is described well enough by the usage line (BOM [BOM ...]).
    positionals = [a for a in parser._actions if not a.option_strings and a.help and a.help is not argparse.SUPPRESS and not isinstance(a, argparse._SubParsersAction)]
    options = [a for a in parser._actions if a.option_strings and a.help is not argparse.SUPPRESS]
    if positionals:
        out.append(_table("Argument", positionals, parser))
    if options:
        out.append(_table("Option", options, parser))
    if parser.epilog:
        out.append(f"{_escape(parser.epilog)}\n")

    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: choice.help for choice in action._choices_actions}
        # choices maps every name, aliases too, to its parser: document each parser once.
        commands, seen = [], set()
        for sub, subparser in action.choices.items():
            if id(subparser) not in seen:
                seen.add(id(subparser))
                commands.append((sub, subparser))
        rows = [f"| [`{sub}`](#{_slug(f'{name} {sub}')}) | {_escape(helps.get(sub) or '')} |" for sub, _ in commands]
        out.append("| Command | What it does |\n|---|---|\n" + "\n".join(rows) + "\n")
        for sub, subparser in commands:
            _render(subparser, f"{name} {sub}", helps.get(sub), level=level + 1, out=out)


def _table(title: str, actions: list[argparse.Action], parser: argparse.ArgumentParser) -> str:
    rows = [f"| {title} | Value | Meaning |", "|---|---|---|"]
    for action in actions:
        if action.option_strings:
            names = ", ".join(f"`{o}`" for o in action.option_strings)
        else:
            names = f"`{_metavar(action) or action.dest}`" + (" ..." if action.nargs in ("+", "*") else "")
        value = ""
        if action.option_strings and action.nargs != 0:
            value = ", ".join(f"`{c}`" for c in action.choices) if action.choices else f"`{_metavar(action) or action.dest.upper()}`"
        elif not action.option_strings and action.choices:
            value = "one of " + ", ".join(f"`{c}`" for c in action.choices)
        meaning = _expand_help(action, parser)
        if isinstance(action, argparse._AppendAction):
            meaning += "" if "repeatable" in meaning else " (repeatable)"
        rows.append(f"| {names} | {value} | {_escape(meaning)} |")
    return "\n".join(rows) + "\n"


def _metavar(action: argparse.Action) -> str | None:
    return action.metavar if isinstance(action.metavar, str) else None


def _expand_help(action: argparse.Action, parser: argparse.ArgumentParser) -> str:
    """The help text as ``--help`` prints it: %-formatting applied, so ``%%`` reads ``%``."""
    if not action.help:
        return ""
    params = {k: v for k, v in vars(action).items() if v is not argparse.SUPPRESS}
    params["prog"] = parser.prog
    if params.get("choices") is not None:
        params["choices"] = ", ".join(map(str, params["choices"]))
    return action.help % params


def _sentence(text: str) -> str:
    """A command's one-line help ("check BOM files ...") as a sentence under its heading."""
    text = text.strip()
    if not text:
        return text
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def _escape(text: str) -> str:
    # A table cell: pipes would split it; angle brackets would be read as HTML.
    return html.escape(text, quote=False).replace("|", "\\|")


def _slug(heading: str) -> str:
    # Python-Markdown's default toc slug of a heading like `rarebom rules list`.
    return "-".join(heading.lower().split())
