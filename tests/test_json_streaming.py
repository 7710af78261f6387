"""The JSON reader streams its input (issue #8) and still reads exactly what it read before.

``native_json.read`` used to read the whole file, decode it and keep both for the whole read.
It now reads the stream in chunks of ``CHUNK_BYTES`` and keeps a window of the text: from the
value being decoded to what has been read. The reference below is the whole-text reader as it
was (commit cebcf2c, ``_ref_read``); it shares only the pieces the change left alone (the
validators, ``structure_part``, ``PartList``). Both read the same bytes with chunks of 1, 2, 3,
7 and 64 bytes, so every value, whitespace run, separator and multi-byte character meets a
chunk boundary somewhere, and must give an equal BOM (or None), the same findings in order
(code, message, line, JSON pointer), or the same exception.

Inputs: every JSON file in examples/ and tests/data, hand-made edge cases, BOMs from
:mod:`rarebom.testing`, synthetic BOMs from benchmarks.generate, and seeded mutations of
them: every truncation of a small file, flipped, inserted and deleted bytes (invalid UTF-8
among them) and spliced slices.
"""

from __future__ import annotations

import contextlib
import glob
import io
import json
import random
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.generate import synthetic_bom
from rarebom import limits
from rarebom.errors import Finding, Location, error
from rarebom.formats import native_json
from rarebom.formats.native import PartList, build_bom, check_version, structure_part
from rarebom.formats.native_json import JsonNumber, _depth, _message, _part_acceptor, _pointer, _SyntaxProblem, _validators
from rarebom.limits import Limits
from rarebom.testing import boms

REPO = Path(__file__).resolve().parent.parent
CHUNKS = (1, 2, 3, 7, 64)

# --- the reference: the whole-text reader as it was (cebcf2c) -------------------------------


class _RefDecoder:
    def __init__(self, text: str):
        self.text = text
        self.duplicates: list[str] = []
        self.limits = limits.active()
        self._decoder = json.JSONDecoder(parse_float=JsonNumber, parse_int=JsonNumber, parse_constant=self._constant, object_pairs_hook=self._object)

    @staticmethod
    def _constant(name: str):
        raise ValueError(f"{name} is not a number rarebom accepts (amounts must be finite)")

    def _object(self, pairs: list[tuple[str, Any]]) -> dict:
        result = dict(pairs)
        if len(result) != len(pairs):
            keys = [k for k, _ in pairs]
            self.duplicates.extend(sorted({k for k in keys if keys.count(k) > 1}))
        return result

    def value(self, pos: int, level: int = 1) -> tuple[Any, int]:
        try:
            value, end = self._decoder.raw_decode(self.text, pos)
        except json.JSONDecodeError as exc:
            raise _SyntaxProblem(exc.msg, exc.pos) from None
        except ValueError as exc:
            raise _SyntaxProblem(str(exc), pos) from None
        except RecursionError:
            deeper = "deeper than Python's JSON parser reads"
            if self.limits.max_depth < sys.getrecursionlimit():
                raise _SyntaxProblem(self.limits.message("max_depth", "the JSON nests " + deeper), pos, "limit-exceeded") from None
            raise _SyntaxProblem("the JSON nests " + deeper, pos) from None
        if isinstance(value, (dict, list)) and level + _depth(value) > self.limits.max_depth:
            raise _SyntaxProblem(self.limits.message("max_depth", f"the JSON nests {level + _depth(value)} levels deep"), pos, "limit-exceeded")
        return value, end

    def skip_ws(self, pos: int) -> int:
        text = self.text
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        return pos

    def expect(self, pos: int, chars: str) -> tuple[str, int]:
        pos = self.skip_ws(pos)
        if pos >= len(self.text) or self.text[pos] not in chars:
            found = repr(self.text[pos]) if pos < len(self.text) else "the end of the file"
            raise _SyntaxProblem(f"expected {' or '.join(repr(c) for c in chars)}, found {found}", pos)
        return self.text[pos], pos + 1


class _RefLines:
    def __init__(self, text: str):
        self.text, self.pos, self.line = text, 0, 1

    def at(self, pos: int) -> int:
        if pos < self.pos:
            return self.text.count("\n", 0, pos) + 1
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos
        return self.line


def _ref_read(stream, file):
    data = stream.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # The old reader counted the offset after a byte order mark; the byte is counted from the file's start now.
        start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        return None, [error("encoding", f"the file is not UTF-8 ({exc.reason} at byte {start})", Location(file))]
    decoder = _RefDecoder(text)
    lines = _RefLines(text)
    document_validator, part_validator = _validators()
    problems: list[Finding] = []
    header: dict[str, Any] = {}
    parts = PartList(problems)
    try:
        _, pos = decoder.expect(0, "{")
        if decoder.skip_ws(pos) < len(text) and text[decoder.skip_ws(pos)] == "}":
            pos = decoder.skip_ws(pos) + 1
        else:
            while True:
                key_pos = decoder.skip_ws(pos)
                key, pos = decoder.value(key_pos)
                if not isinstance(key, str) or isinstance(key, JsonNumber):
                    raise _SyntaxProblem("expected a property name in double quotes", key_pos)
                _, pos = decoder.expect(pos, ":")
                if key in header:
                    problems.append(error("duplicate-key", f"the key {key!r} appears twice", Location(file, lines.at(key_pos), "/")))
                if key == "parts":
                    header[key] = []
                    pos = _ref_read_parts(decoder, pos, file, lines, part_validator, parts, problems)
                else:
                    header[key], pos = decoder.value(decoder.skip_ws(pos))
                sep, pos = decoder.expect(pos, ",}")
                if sep == "}":
                    break
        end = decoder.skip_ws(pos)
        if end != len(text):
            raise _SyntaxProblem("extra data after the JSON document", end)
    except _SyntaxProblem as exc:
        problems.append(error(exc.code, exc.message, Location(file, text.count("\n", 0, exc.pos) + 1)))
        return None, problems
    if "format" not in header and "parts" not in header:
        keys = ", ".join(repr(k) for k in list(header)[:5]) + (", ..." if len(header) > 5 else "")
        problems.append(error("not-rarebom", f'a JSON document that is not a rarebom BOM: it has no "format": "rarebom" (its keys are {keys or "none"})', Location(file, 1, "/")))
        return None, problems
    if "formatVersion" in header and isinstance(header["formatVersion"], str):
        bad = check_version(header["formatVersion"], Location(file, None, "/formatVersion"))
        if bad:
            return None, problems + [bad]
    for problem in document_validator.iter_errors(header):
        problems.append(error("schema", _message(problem), Location(file, None, _pointer(problem.absolute_path) or "/")))
    attributes = header.get("attributes", {})
    if not isinstance(attributes, dict) or not isinstance(header.get("name", ""), str):
        return None, problems
    return build_bom(parts.parts, header.get("name"), attributes, file, Location(file, 1, "/"), problems), problems


def _ref_read_parts(decoder, pos, file, lines, validator, parts, problems) -> int:
    _, pos = decoder.expect(pos, "[")
    accepts = _part_acceptor()
    probe = decoder.skip_ws(pos)
    if probe < len(decoder.text) and decoder.text[probe] == "]":
        return probe + 1
    index = 0
    while True:
        start = decoder.skip_ws(pos)
        seen_duplicates = len(decoder.duplicates)
        raw, pos = decoder.value(start, 2)
        line = lines.at(start)
        base = ("parts", index)
        if len(decoder.duplicates) > seen_duplicates:
            for key in decoder.duplicates[seen_duplicates:]:
                problems.append(error("duplicate-key", f"the key {key!r} appears twice in one object of this part", Location(file, line, _pointer(base))))
        else:
            errors = [] if accepts(raw) else list(validator.iter_errors(raw))
            if errors:
                for problem in errors:
                    problems.append(error("schema", _message(problem), Location(file, line, _pointer(base + tuple(problem.absolute_path)))))
            else:
                part = structure_part(raw, lambda path, line=line, base=base: Location(file, line, _pointer(base + path)), problems, parts.shared)
                if part is not None:
                    parts.add(part)
        index += 1
        sep, pos = decoder.expect(pos, ",]")
        if sep == "]":
            return pos


# --- comparing the two ------------------------------------------------------------------------


@contextlib.contextmanager
def _chunk_bytes(size: int):
    saved = native_json.CHUNK_BYTES
    native_json.CHUNK_BYTES = size
    try:
        yield
    finally:
        native_json.CHUNK_BYTES = saved


class _Trickle:
    """A stream that returns at most ``most`` bytes a read, as a pipe or socket may."""

    def __init__(self, data: bytes, most: int):
        self.data, self.pos, self.most = data, 0, most

    def read(self, n: int = -1) -> bytes:
        n = len(self.data) - self.pos if n < 0 else n
        out = self.data[self.pos : self.pos + min(n, self.most)]
        self.pos += len(out)
        return out


def _outcome(reader, stream):
    try:
        return reader(stream, "in.json")
    except Exception as exc:  # a limit, raised the same way by both
        return ("raised", type(exc), str(exc))


def _check(data: bytes, chunks=CHUNKS, limit: Limits | None = None):
    """The streaming reader gives what the reference gives, for every chunk size in ``chunks``."""
    with limits.applied(limit or limits.DEFAULT_LIMITS):
        expected = _outcome(_ref_read, io.BytesIO(data))
        for size in chunks:
            with _chunk_bytes(size):
                got = _outcome(native_json.read, _Trickle(data, 5) if size == 7 else io.BytesIO(data))
            assert got == expected, (size, data[:200])
    return expected


def _findings(outcome) -> list[tuple]:
    return [(f.code, f.message, f.location.line, f.location.pointer) for f in outcome[1]]


def _small_json(parts: int = 6, seed: int = 3) -> bytes:
    """A valid synthetic BOM whose name has characters of 2, 3 and 4 bytes and escapes, with some CRLF line ends."""
    out = io.BytesIO()
    native_json.write(attrs.evolve(synthetic_bom(parts, seed), name='Résumé – 磁石 😀 \U0001f600 "q" \\'), out)
    return out.getvalue().replace(b"\n", b"\r\n", 3)


# --- inputs ---------------------------------------------------------------------------------


def _fixtures() -> list[Path]:
    found = sorted({Path(p) for pattern in ("examples/**/*.json", "tests/data/**/*.json") for p in glob.glob(str(REPO / pattern), recursive=True)})
    assert len(found) >= 8, found  # the examples and the golden reports at least
    return found


@pytest.mark.parametrize("path", _fixtures(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_json_fixture_reads_as_before(path):
    data = path.read_bytes()
    _check(data, chunks=(1, 7, 64, 1 << 20))
    _check(b"\xef\xbb\xbf" + data, chunks=(3, 64))


_HEAD = '{"format": "rarebom", "formatVersion": "1.0"'
_PART = '{"id": "a", "mass": {"value": "1", "unit": "g"}}'

EDGE_CASES = [
    "",
    " \n\t\r ",
    "\ufeff",
    "\ufeff\ufeff{}",
    "{}",
    " {\n}\n\n",
    "[]",
    "{",
    '{"a"',
    '{"a":',
    '{"a": 1',
    '{"a": 1}',
    '{"a": 12345, "b": 1.5e+30, "c": -0.25E-7, "d": 1e5, "e": [1, 2.0]}',
    '{"a": 12345}x',
    '{"a": 1.}',
    '{"a": 1e+}',
    '{"a": -}',
    '{"a": 01}',
    '{"a": true, "b": false, "c": null}',
    '{"a": tru}',
    '{"a": nul',
    '{"a": NaN}',
    '{"a": -Infinity, "b": 1}',
    '{"a": Infinity}',
    '{"a": "unterminated',
    '{"a": "bad \\x escape"}',
    '{"a": "cut \\u12"}',
    '{"a": "lone \\ud83d"}',
    '{"a": "ctl \u0001"}',
    "{1: 2}",
    '{"a" 1}',
    '{"a": 1,}',
    '{"a": 1 "b": 2}',
    '{"k1": 1, "k2": 2, "k3": 3, "k4": 4, "k5": 5, "k6": 6}',
    '{"format": "rarebom", "format": "rarebom", "formatVersion": "1.0", "parts": []}',
    _HEAD + "}",
    _HEAD + ', "parts": []}',
    _HEAD + ', "parts": [ ] } \n ',
    _HEAD + ', "parts": [' + _PART + "]}",
    _HEAD + ', "parts": [' + _PART + ", " + _PART + "]}",
    _HEAD + ', "parts": [' + _PART + "]} trailing",
    _HEAD + ', "parts": [' + _PART + "]}}",
    _HEAD + ', "parts": [' + _PART + ",]}",
    _HEAD + ', "parts": [' + _PART + "",
    _HEAD + ', "parts": [' + _PART + "]",
    _HEAD + ', "parts": {}}',
    _HEAD + ', "parts": [1, "x", null, [], {}]}',
    _HEAD + ', "parts": [{"id": "a", "id": "b", "x": {"y": 1, "y": 2}}]}',
    _HEAD + ', "parts": [{"id": "a", "mass": {"value": NaN, "unit": "g"}}]}',
    _HEAD + ', "formatVersion": "9.0", "parts": []}',
    '{"format": "rarebom", "formatVersion": "2.0", "parts": []}',
    '{"format": "rarebom", "formatVersion": 1, "parts": []}',
    '{"format": "rarebom", "formatVersion": "1.0", "name": 5, "attributes": [], "parts": []}',
    '{"format": "rarebom", "formatVersion": "1.0", "name": "x", "attributes": {"a": "b"}, "parts": [],\n "parts": []}',
    _HEAD + ',\n "parts": [\n' + _PART.replace('"a"', '"x"') + ",\r\n" + _PART.replace('"a"', '"x"') + "\n]}",
    _HEAD + ', "parts": [{"id": "a", "nest": ' + "[" * 300 + "]" * 300 + "}]}",
    _HEAD + ', "deep": ' + "{" * 3000 + "}" * 3000 + "}",
    _HEAD + ', "parts": [{"id": "a", "nest": ' + "[" * 3000 + "]" * 3000 + "}]}",
]


@pytest.mark.parametrize("text", EDGE_CASES, ids=range(len(EDGE_CASES)))
def test_edge_cases_read_as_before(text):
    _check(text.encode("utf-8"))


def test_the_edge_cases_reach_every_kind_of_finding():
    """The cases above are not all one kind: they reach every branch the change touched."""
    codes, messages = set(), []
    for text in EDGE_CASES:
        for code, message, *_ in _findings(_check(text.encode("utf-8"), chunks=(7,))):
            codes.add(code)
            messages.append(message)
    assert {"json-syntax", "limit-exceeded", "duplicate-key", "not-rarebom", "schema"} <= codes
    for needle in ("Unterminated string", "Expecting value", "extra data", "the end of the file", "NaN is not a number", "deeper than", "levels deep", "Invalid"):
        assert any(needle in m for m in messages), needle


def test_header_numbers_cut_anywhere_read_as_before():
    """A number at the top level (a header value) cut by the window's end: ``1e+`` may become
    ``1e+30``, so it is only taken with enough text after it. Padding moves it across every
    offset of every chunk size."""
    numbers = ["12345", "1.5e+30", "-0.25E-7", "7e5", "0.5", "1E-2", "-0", "10.125e+12"]
    for pad in range(12):
        text = "{" + ", ".join(f'"k{i}":' + " " * pad + number for i, number in enumerate(numbers)) + "}"
        outcome = _check(text.encode(), chunks=(1, 2, 3, 4, 5, 6, 7, 8, 11))
        assert outcome[1][0].message.endswith("(its keys are 'k0', 'k1', 'k2', 'k3', 'k4', ...)")
        text = '{"a":' + " " * pad + numbers[pad % len(numbers)] + ', "b": ' + numbers[(pad + 3) % len(numbers)] + ', "c":' + " " * pad + "1e+5}"
        outcome = _check(text.encode(), chunks=(1, 2, 3, 4, 5, 6, 7, 8, 11))
        assert [f.code for f in outcome[1]] == ["not-rarebom"]


@pytest.mark.parametrize("pad", range(0, 40, 3))
def test_duplicate_keys_in_a_part_decoded_twice_are_reported_once(pad):
    """A part whose first try ends at the window's end after an inner object with a repeated key:
    the keys noted by that try are forgotten before the next."""
    part = '{"id": "a", "x": {"y": "1", "y": "2"},' + " " * pad + '"name": "' + "n" * 300 + '"}'
    outcome = _check((_HEAD + ', "parts": [' + part + ", " + part.replace('"y"', '"z"') + "]}").encode(), chunks=(1, 3, 7, 64))
    assert [f.message for f in outcome[1]] == ["the key 'y' appears twice in one object of this part", "the key 'z' appears twice in one object of this part"]


@pytest.mark.parametrize(
    "data",
    [
        b"\xff" + _HEAD.encode() + b"}",
        _HEAD.encode() + b', "name": "\xff"}',
        _HEAD.encode() + b"} extra \xc3",
        b"{ broken" + b" " * 50 + b"\xe0\x80",
        b"\xef\xbb\xbf" + _HEAD.encode() + b', "name": "\xed\xa0\x80"}',  # a byte order mark counts in the offset
        b"\xef\xbb\xbf\xef\xbb\xbf\xf4\x90",
        b"\xef\xbb",
        _HEAD.encode() + b', "name": "\xf0\x9f\x98"}',
        _HEAD.encode() + b"}\xf0\x9f\x98",
        _HEAD.encode() + b', "name": "caf\xc3\xa9 \xe2\x80\x93 \xf0\x9f\x98\x80", "parts": []}',  # valid
    ],
)
def test_an_invalid_byte_anywhere_is_the_one_finding(data):
    outcome = _check(data)
    assert [f.code for f in outcome[1]] == (["encoding"] if b"\xc3\xa9" not in data else [])


def test_an_invalid_byte_after_a_limit_is_still_the_one_finding():
    """A limit stops the read early: the rest of the stream is decoded for an invalid byte first."""
    data = _small_json(6)
    stopped = _check(data, limit=Limits(max_parts=2))
    assert stopped[0] == "raised"
    broken = data[:-3] + b"\x80" + data[-3:]
    assert [f.code for f in _check(broken, limit=Limits(max_parts=2))[1]] == ["encoding"]
    assert [f.code for f in _check(data[:-2] + b" x" + data[-2:] + b"\xc0", limit=Limits(max_depth=3))[1]] == ["encoding"]


def test_nesting_at_the_recursion_limit_reads_as_before():
    """Where the scanner runs out of stack depends on the frames below it, one nesting level per
    frame: the new reader calls it as deep as the old one did, so every nesting depth around that
    point reads as before (one frame more or less fails here)."""
    wide = Limits(max_depth=10 * sys.getrecursionlimit())

    def document(depth: int) -> bytes:
        return (_HEAD + ', "parts": [{"id": "a", "n": ' + "[" * depth + "]" * depth + "}]}").encode()

    def stops(depth: int) -> bool:
        with limits.applied(wide):
            return "deeper than" in _ref_read(io.BytesIO(document(depth)), "in.json")[1][-1].message

    low, high = 1, sys.getrecursionlimit() + 100
    assert stops(high) and not stops(low)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if stops(middle) else (middle, high)
    messages = set()
    for depth in range(high - 5, high + 6):
        outcome = _check(document(depth), chunks=(64, 1 << 20), limit=wide)
        messages.add("deeper than" in outcome[1][-1].message)
    assert messages == {True, False}


def test_the_decoder_decodes_utf8_in_chunks_as_decode_does():
    """The chunked decoding gives the text, or the first error's reason and byte, that decoding the
    whole file gives (the byte counted from the file's start), for seeded random bytes rich in
    UTF-8 lead and continuation bytes."""
    rng = random.Random(8)
    alphabet = [
        b"\xef\xbb\xbf",
        b"\xef",
        b"\xbb",
        b"\xbf",
        b"a",
        b"{",
        b"\n",
        b"\x80",
        b"\xbf",
        b"\xc0",
        b"\xc2",
        b"\xc3\xa9",
        b"\xe0",
        b"\xe2\x80\x93",
        b"\xed",
        b"\xa0",
        b"\xf0",
        b"\x9f",
        b"\xf0\x9f\x98\x80",
        b"\xf4",
        b"\x90",
        b"\xf5",
        b"\xff",
    ]
    errors = 0
    for _ in range(3000):
        data = b"".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 9)))
        try:
            expected: Any = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            # decode() counts after a byte order mark; the reader counts from the file's start.
            expected = (exc.reason, exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0))
            errors += 1
        for size in (1, 2, 3, 4):
            with _chunk_bytes(size):
                decoder = native_json._Decoder(stream=io.BytesIO(data))
                try:
                    decoder.peek(10**6)  # reads it all into the window
                    got: Any = decoder.text
                except native_json._EncodingProblem as exc:
                    got = (exc.reason, exc.start)
            assert got == expected, (data, size)
    assert 500 < errors < 2900  # both outcomes well represented


@settings(max_examples=20)  # drawing a BOM costs more than reading it five times
@given(boms(), st.data())
def test_hypothesis_boms_read_as_before(bom, data):
    out = io.BytesIO()
    native_json.write(bom, out)
    written = out.getvalue()
    assert _check(written)[0] == bom
    cut = data.draw(st.integers(0, len(written)))
    _check(written[:cut], chunks=(data.draw(st.sampled_from(CHUNKS)),))


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_boms_read_as_before(seed, tmp_path):
    from benchmarks.generate import main

    path = tmp_path / "g.json"
    assert main(["--parts", "60", "--seed", str(seed), "-o", str(path)]) == 0
    outcome = _check(path.read_bytes(), chunks=(1, 7, 64, 4096))
    assert outcome[0] is not None and len(outcome[0].parts) == 60


def test_every_truncation_of_a_small_file_reads_as_before():
    data = _small_json(3)
    assert _check(data, chunks=(64,))[0] is not None
    lines = set()
    for cut in range(len(data) + 1):
        outcome = _check(data[:cut], chunks=(CHUNKS[cut % len(CHUNKS)],))
        lines.update(line for *_, line, _ in _findings(outcome))
    assert len(lines) > 10  # the errors are found on many different lines


_SPLICE = [
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b'"',
    b"\\",
    b" ",
    b"\n",
    b"\r\n",
    b"0",
    b"9",
    b"-",
    b".",
    b"e",
    b"+",
    b"t",
    b"n",
    b"N",
    b"\\u",
    b"\x80",
    b"\xff",
    b"\xc3",
    b"\xe2\x80",
    b"\xf0\x9f\x98\x80",
    b"\xc3\xa9",
]


def _mutants(data: bytes, count: int, seed: int):
    rng = random.Random(seed)
    for _ in range(count):
        out = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(out) + 1)
            kind = rng.randrange(4)
            if kind == 0 and at < len(out):  # flip a byte
                out[at : at + 1] = rng.choice(_SPLICE)
            elif kind == 1:  # insert
                out[at:at] = rng.choice(_SPLICE)
            elif kind == 2:  # delete a run
                del out[at : at + rng.randint(1, 8)]
            else:  # copy a slice elsewhere (a part twice, a cut value)
                start = rng.randrange(len(out) + 1)
                out[at:at] = out[start : start + rng.randint(1, 60)]
        yield bytes(out)


def test_mutations_read_as_before():
    sources = [_small_json(4), (REPO / "examples" / "wind-generator-segment.json").read_bytes()]
    codes: dict[str, int] = {}
    for n, source in enumerate(sources):
        for i, mutant in enumerate(_mutants(source, 500 if n == 0 else 100, seed=n)):
            outcome = _check(mutant, chunks=(CHUNKS[i % len(CHUNKS)], CHUNKS[(i + 2) % len(CHUNKS)]))
            for code, *_ in _findings(outcome) if outcome[0] != "raised" else []:
                codes[code] = codes.get(code, 0) + 1
    assert {"json-syntax", "encoding", "schema"} <= set(codes), codes


# --- what streaming is for: a bounded window ----------------------------------------------


def _window_sizes(monkeypatch) -> list[int]:
    sizes: list[int] = []
    grow = native_json._Decoder._grow

    def recording(self, size=0):
        grown = grow(self, size)
        sizes.append(len(self.text))
        return grown

    monkeypatch.setattr(native_json._Decoder, "_grow", recording)
    return sizes


def test_the_window_holds_about_one_part_and_one_chunk(monkeypatch):
    data = _small_json(300)
    sizes = _window_sizes(monkeypatch)
    with _chunk_bytes(256):
        bom, findings = native_json.read(io.BytesIO(data), "in.json")
    assert bom is not None and len(bom.parts) == 300
    longest_part = max(len(json.dumps(native_json.unstructure_part(p), indent=2)) for p in bom.parts) * 2  # the file's indentation
    assert len(data) > 50 * (longest_part + 256)
    assert len(sizes) > 100 and max(sizes) <= 2 * (longest_part + 256)


def test_a_huge_value_grows_the_window_geometrically(monkeypatch):
    """A 400 kB part read with 64-byte chunks: tens of reads, not 400000 / 64 (which would decode
    the part again after each, quadratic time)."""
    data = (_HEAD + ', "parts": [{"id": "a", "name": "' + "x" * 400_000 + '", "mass": {"value": "1", "unit": "g"}}], "name": "n"}').encode()
    sizes = _window_sizes(monkeypatch)
    with _chunk_bytes(64):
        bom, findings = native_json.read(io.BytesIO(data), "in.json")
    assert bom is not None and bom.name == "n", findings
    assert 10 < len(sizes) < 60


def test_a_stream_that_returns_little_at_a_time_reads_as_before():
    """``read(n)`` may return fewer bytes (a pipe): only an empty read ends the stream."""
    data = _small_json(5)
    expected = _ref_read(io.BytesIO(data), "in.json")
    for size, most in ((1 << 20, 1), (64, 5), (3, 2)):
        with _chunk_bytes(size):
            assert native_json.read(_Trickle(data, most), "in.json") == expected
