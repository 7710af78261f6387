"""The JSON report is written a piece at a time, and is the text ``render_json`` gives.

``json.dumps`` keeps every piece of the text in a list before joining them, which for a
report with every list in full (``--full-lists``) of a large BOM took most of a gigabyte.
``write_json`` writes the pieces as ``json.dump`` makes them. These tests require the same
text as ``render_json`` for real reports and for drawn data, no large write, and, for data
``json`` refuses, the same refusal with nothing written.
"""

from __future__ import annotations

import io
import json
import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rarebom
import rarebom.rules
from benchmarks.generate import synthetic_bom
from rarebom import report
from rarebom.cli import main
from rarebom.report import render_json, write_json
from rarebom.report.data import Input, report_data

from .conftest import EXAMPLES


class Recording(io.StringIO):
    """A text stream that remembers the length of each write."""

    def __init__(self) -> None:
        super().__init__()
        self.lengths: list[int] = []

    def write(self, text: str) -> int:
        self.lengths.append(len(text))
        return super().write(text)


def _written(data) -> Recording:
    stream = Recording()
    write_json(data, stream)
    return stream


def _report(bom, limit) -> dict:
    evaluation = rarebom.rules.evaluate(rarebom.trace(bom))
    return report_data([Input("f.xml", "rarebom-xml", evaluation)], limit=limit)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.xml")), ids=lambda p: p.name)
@pytest.mark.parametrize("limit", [20, None])
def test_the_examples_reports_are_render_json_s_text(path, limit):
    data = _report(rarebom.load(path).bom, limit)
    assert _written(data).getvalue() == render_json(data)


@pytest.mark.parametrize("batch", [None, 64])
def test_a_full_report_is_written_a_part_at_a_time(monkeypatch, batch):
    """3,000 parts with every list in full: megabytes of text, handed over
    ``_WRITE_PIECES`` of json's pieces at a time (a few characters each: written one by
    one, an unbuffered stream would make a system call for each)."""
    if batch is not None:
        monkeypatch.setattr(report, "_WRITE_PIECES", batch)
    data = _report(synthetic_bom(3000, seed=4), None)
    stream = _written(data)
    text = stream.getvalue()
    assert text == render_json(data) and len(text) > 1_000_000
    pieces = list(json.JSONEncoder(indent=2, ensure_ascii=False, allow_nan=False).iterencode(data))
    size = report._WRITE_PIECES
    assert stream.lengths == [len("".join(pieces[k : k + size])) for k in range(0, len(pieces), size)] + [1]
    assert len(stream.lengths) > (2 if batch is None else 1000)


# Drawn data: what report_data makes (dicts of str keys, lists, str, int, bool, None,
# floats), and what it never makes but json may refuse or write another way: NaN and inf,
# tuples, int keys, a str subclass, an object json cannot write.
class Label(str):
    pass


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.text(max_size=3).map(Label),
    st.sampled_from(["\udcff", "m\ud800.xml", "µ"]),
    st.just(object()),
)
DATA = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=3), inner, max_size=4),
        st.dictionaries(st.integers(0, 3), inner, max_size=2),
        st.dictionaries(st.sampled_from(["\udcff", "µ"]), inner, max_size=1),
    ),
    max_leaves=20,
)


@settings(max_examples=400)
@given(DATA)
def test_drawn_data_is_written_as_render_json_writes_it_or_refused_with_nothing_written(data):
    try:
        expected = render_json(data)
    except (ValueError, TypeError) as exc:
        stream = Recording()
        with pytest.raises(type(exc)):
            write_json(data, stream)
        assert stream.getvalue() == ""
    else:
        assert _written(data).getvalue() == expected


def test_a_nan_deep_in_a_list_of_numbers_is_refused_before_writing():
    data = {"a": "x" * 100, "b": [[1.0, 2.0, 3, math.nan]]}
    stream = Recording()
    with pytest.raises(ValueError, match="not JSON compliant"):
        write_json(data, stream)
    assert stream.getvalue() == ""


@pytest.mark.parametrize("where", ["key", "value"])
def test_a_string_utf8_cannot_encode_is_written_whole_as_before(where):
    """A file name that is not UTF-8 comes back from the command line with a surrogate in
    it. A strict UTF-8 stream refuses the text with nothing written, as it refused
    render_json's text: not the first megabytes of the report."""
    name = "m\udcff.xml"
    data = {"a": ["x" * 100] * 100_000, "b": [{name: 1} if where == "key" else {"file": name}]}
    assert not report._plain(data)
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_json(data, stream)
    assert raw.getvalue() == b""
    lenient = Recording()
    write_json(data, lenient)
    assert lenient.getvalue() == render_json(data) and lenient.lengths == [len(lenient.getvalue())]


@pytest.mark.parametrize("shape", ["dict", "list"])
def test_a_cycle_is_refused_as_json_refuses_it(shape):
    """The check before writing stops (it walks a level at a time, and a cycle has no
    last level), and json's own refusal comes with nothing written."""
    loop: dict | list = {} if shape == "dict" else []
    if shape == "dict":
        loop["self"] = loop
    else:
        loop.append(loop)
    stream = Recording()
    with pytest.raises(ValueError, match="Circular reference"):
        write_json({"a": [1, 2], "b": loop}, stream)
    assert stream.getvalue() == ""


def test_the_cli_writes_the_same_report_to_a_file_and_to_standard_output(tmp_path, capsys):
    out = tmp_path / "report.json"
    argv = ["trace", "-q", "-o", "json", "--as-of", "2026-11-22", str(EXAMPLES / "ev-traction-motor.xml")]
    assert main([*argv, "--output", str(out)]) == 0
    assert "wrote the json report to" in capsys.readouterr().err
    assert main(argv) == 0
    printed = capsys.readouterr().out
    generated = re.compile(r'"generated": "[^"]*"')
    assert generated.sub("", out.read_text(encoding="utf-8")) == generated.sub("", printed)
    assert render_json(json.loads(printed)) == printed  # render_json's layout, whole
