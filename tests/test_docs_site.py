"""The documentation site builds with warnings as errors, and what it shows is real.

`mkdocs build --strict` fails on a broken link or #anchor between pages, a page missing from
the nav, a docstring the API reference cannot render, or a placeholder the CLI reference
hook cannot find. The CLI reference is generated from rarebom.cli._parser(), so these tests
check the built page against the parser; the quickstart's pasted output is checked against
the command it shows.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import rarebom
import rarebom.rules
from rarebom.cli import _parser, main

from .conftest import REPO

COMMANDS = ["validate", "convert", "schema", "trace", "rules"]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    missing = [name for name in ("mkdocs", "mkdocstrings", "mkdocstrings_handlers.python") if _missing(name)]
    if missing:
        message = f"the docs tools are not installed ({', '.join(missing)}): pip install '.[docs]'"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must build the docs, not skip them")
        pytest.skip(message)
    out = tmp_path_factory.mktemp("site")
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, f"mkdocs build --strict failed:\n{run.stdout}\n{run.stderr}"
    return out


def _missing(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is None
    except ModuleNotFoundError:  # the parent package is missing
        return True


def page(site: Path, name: str) -> str:
    """A built page's HTML, with or without directory URLs (cli/index.html or cli.html)."""
    for path in (site / name / "index.html", site / f"{name}.html"):
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise AssertionError(f"the site has no page {name!r}")


def test_site_has_every_page(site):
    assert (site / "index.html").is_file()
    for name in ("quickstart", "concepts", "cli", "api", "reference", "formats", "rules", "reports", "errors", "units", "performance", "faq"):
        page(site, name)


def test_cli_reference_covers_every_command_and_option(site):
    html = page(site, "cli")
    assert "<!-- rarebom-cli-reference -->" not in html
    for command in COMMANDS:
        assert f'<h3 id="rarebom-{command}">rarebom {command}' in html, command
    assert "<code>--fail-on</code>" in html
    # Everything the parser knows, so that a new command or option cannot go undocumented.
    for name, parser in _subcommands(_parser(), "rarebom"):
        assert f'id="{"-".join(name.split())}">{name}' in html, name
        for action in parser._actions:
            for option in action.option_strings:
                assert f"<code>{option}</code>" in html, f"{name} {option}"


def _subcommands(parser: argparse.ArgumentParser, name: str):
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub, subparser in action.choices.items():
                yield from _subcommands(subparser, f"{name} {sub}")


def test_api_reference_is_generated_from_the_docstrings(site):
    html = page(site, "reference")
    for name in (
        "rarebom.load",
        "rarebom.dump",
        "rarebom.trace",
        "rarebom.Trace",
        "rarebom.TraceOptions",
        "rarebom.PartResult",
        "rarebom.Bounds",
        "rarebom.rules.evaluate",
        "rarebom.rules.Evaluation",
        "rarebom.rules.RuleVerdict",
        "rarebom.rules.NodeVerdict",
        "rarebom.rules.load_rules",
        "rarebom.rules.RuleSet",
        "rarebom.rules.load_overrides",
        "rarebom.rules.load_prices",
        "rarebom.Bom",
        "rarebom.Part",
        "rarebom.RarebomError",
        "rarebom.InvalidBomError",
    ):
        assert f">{name}<" in html, name
    # The rest of the public API too, so that a new export cannot go undocumented
    # (ureg and Q_ are built on first use, so griffe cannot see them; the page names ureg).
    for module in (rarebom, rarebom.rules):
        missing = [name for name in module.__all__ if name not in ("Q_", "ureg", "__version__") and f">{module.__name__}.{name}<" not in html]
        assert not missing, f"docs/reference.md does not document {module.__name__}: {missing}"
    # A docstring, not just a name: the first line of rarebom.trace's.
    assert "Roll <code>bom</code> up" in html
    # The Sphinx roles in the docstrings are rewritten into links, not printed.
    assert not re.search(r":(class|func|meth|attr|data|mod):", html)


def test_faq_answers_the_common_questions(site):
    html = page(site, "faq")
    for anchor in (
        "what-is-the-value-basis",
        "why-is-my-verdict-indeterminate",
        "what-does-status-unverified-mean",
        "is-the-product-level-01-reading-the-law",
        "where-do-prices-come-from",
    ):
        assert f'id="{anchor}"' in html, anchor


def test_quickstart_gives_the_readmes_two_commands():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quickstart = (REPO / "docs" / "quickstart.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Two commands") :]
    commands = re.findall(r"```sh\n(.*?)```", section[: section.index("\n## ", 1)], re.S)
    assert len(commands) == 2, commands
    for command in commands:
        assert f"```sh\n{command}```" in quickstart, command


# ```text blocks in the quickstart that start with "$ rarebom ...": the command, then its output.
_SESSION = re.compile(r"```text\n\$ (rarebom .*?)```", re.S)


def _sessions():
    text = (REPO / "docs" / "quickstart.md").read_text(encoding="utf-8")
    for n, match in enumerate(_SESSION.finditer(text)):
        block = match.group(1)
        command, _, output = block.partition("\n")
        while command.endswith("\\"):
            more, _, output = output.partition("\n")
            command = command[:-1] + more
        yield pytest.param(shlex.split(command), output, id=f"quickstart-{n}")


@pytest.mark.parametrize(("command", "shown"), list(_sessions()))
def test_quickstart_shows_real_output(command, shown, monkeypatch, capsys):
    """The pasted output is what the command prints; a line "..." stands for lines cut out."""
    monkeypatch.chdir(REPO)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main(command[1:])
    assert status == 0, capsys.readouterr().err
    actual = printed.getvalue().splitlines()
    pieces = [piece.strip("\n").splitlines() for piece in re.split(r"^\.\.\.$", shown, flags=re.M)]
    where = f"docs/quickstart.md: `{shlex.join(command)}`"
    position = 0
    for n, piece in enumerate(pieces):
        found = next((i for i in range(position, len(actual) - len(piece) + 1) if actual[i : i + len(piece)] == piece), None)
        # The first piece starts the output; each later one follows the one before.
        assert found is not None and (n or found == 0), f"{where} no longer prints:\n" + "\n".join(piece) + "\n\nIt prints:\n" + printed.getvalue()
        position = found + len(piece)
    assert shown.endswith("...\n") or position == len(actual), f"{where} prints more than shown:\n" + "\n".join(actual[position:])
