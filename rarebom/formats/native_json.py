"""rarebom BOM format version 1, JSON encoding: part-at-a-time reader and writer.

The reader streams: it reads the file in chunks of :data:`CHUNK_BYTES`, decodes them as
UTF-8 as they come and holds only a window of the text, from the value it is decoding to
what it has read, never the whole file nor the whole decoded document. It walks the
top-level object itself and decodes one part at a time with the standard library's JSON
scanner, validates it against the part schema, builds the model part and lets the dicts go.
Its findings are those of reading the whole text at once (tests/test_json_streaming.py
compares the two), an invalid UTF-8 byte anywhere included: that is the one finding.

Numbers are read from their literal text, never through ``float``, so ``0.1`` stays
exactly 1/10. The writer writes numbers as decimal strings so that no other JSON reader
rounds them either.
"""

from __future__ import annotations

import codecs
import functools
import json
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO

from .. import limits
from .._resources import schema_path
from ..errors import Finding, Location, error
from ..model import Bom
from .native import EXPECTED_TEXT, PartList, build_bom, check_version, structure_part, unstructure_part, version_for

if TYPE_CHECKING:
    import jsonschema

__all__ = ["read", "write"]

_MAX_MESSAGE = 240


class JsonNumber(str):
    """A JSON number kept as its literal text, so that it converts exactly."""

    __slots__ = ()


def _is_number(checker, instance) -> bool:
    return isinstance(instance, JsonNumber) or (isinstance(instance, (int, float)) and not isinstance(instance, bool))


def _is_string(checker, instance) -> bool:
    return isinstance(instance, str) and not isinstance(instance, JsonNumber)


@functools.cache
def _validators() -> tuple[jsonschema.protocols.Validator, jsonschema.protocols.Validator]:
    """Validators for the document with its parts left out, and for one part."""
    import jsonschema  # about 60 ms to import: paid when a JSON BOM is read, not when it is written

    with open(schema_path("bom-json"), encoding="utf-8") as handle:
        schema = json.load(handle)
    base = jsonschema.Draft202012Validator
    type_checker = base.TYPE_CHECKER.redefine_many({"number": _is_number, "string": _is_string})
    cls = jsonschema.validators.extend(base, type_checker=type_checker)
    part_schema = {"$schema": schema["$schema"], **_inlined(schema["$defs"]["part"], schema["$defs"])}
    return cls(schema), cls(part_schema)


#: Keywords that only describe: they never make an instance invalid.
_ANNOTATIONS = frozenset({"$schema", "title", "description", "default", "examples", "$comment"})

_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "string": lambda x: _is_string(None, x),
    "number": lambda x: _is_number(None, x),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
}


def _acceptor(schema: Any) -> Callable[[Any], bool]:
    """A function that says whether an instance is valid under ``schema``, as jsonschema
    would with rarebom's type checker, for the keywords the BOM schema uses.

    It is about ten times cheaper than jsonschema's validator, which stays the authority:
    the reader asks it for the errors of every part this function does not accept, so a
    part is only ever passed unchecked when both agree it is valid (a test draws valid and
    broken parts and compares the two). A keyword it does not know raises ``ValueError``,
    and the reader then uses jsonschema alone.
    """
    if schema is True:
        return lambda instance: True
    if schema is False or not isinstance(schema, dict):
        raise ValueError(f"unsupported schema {schema!r}")
    checks: list[Callable[[Any], bool]] = []
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        if keyword == "type":
            tests = [_TYPE_TESTS[name] for name in ([value] if isinstance(value, str) else value)]
            checks.append(lambda x, tests=tests: any(test(x) for test in tests))
        elif keyword == "pattern":
            search = re.compile(value).search
            checks.append(lambda x, search=search: not _is_string(None, x) or search(x) is not None)
        elif keyword == "minLength":
            checks.append(lambda x, least=value: not _is_string(None, x) or len(x) >= least)
        elif keyword == "enum":
            if not all(isinstance(v, str) for v in value):
                raise ValueError("only enums of strings are supported")
            checks.append(lambda x, allowed=frozenset(value): isinstance(x, str) and x in allowed)
        elif keyword == "required":
            checks.append(lambda x, names=tuple(value): not isinstance(x, dict) or all(n in x for n in names))
        elif keyword == "properties":
            subs = {name: _acceptor(sub) for name, sub in value.items()}
            checks.append(lambda x, subs=subs: not isinstance(x, dict) or all(sub(x[name]) for name, sub in subs.items() if name in x))
        elif keyword == "additionalProperties":
            known = frozenset(schema.get("properties", ()))
            if "patternProperties" in schema:
                raise ValueError("patternProperties is not supported")
            if value is False:
                checks.append(lambda x, known=known: not isinstance(x, dict) or all(k in known for k in x))
            else:
                sub = _acceptor(value)
                checks.append(lambda x, known=known, sub=sub: not isinstance(x, dict) or all(sub(v) for k, v in x.items() if k not in known))
        elif keyword == "propertyNames":
            sub = _acceptor(value)
            checks.append(lambda x, sub=sub: not isinstance(x, dict) or all(sub(k) for k in x))
        elif keyword == "items":
            if "prefixItems" in schema:
                raise ValueError("prefixItems is not supported")
            sub = _acceptor(value)
            checks.append(lambda x, sub=sub: not isinstance(x, list) or all(sub(item) for item in x))
        elif keyword == "anyOf":
            subs = [_acceptor(sub) for sub in value]
            checks.append(lambda x, subs=subs: any(sub(x) for sub in subs))
        elif keyword == "not":
            sub = _acceptor(value)
            checks.append(lambda x, sub=sub: not sub(x))
        else:
            raise ValueError(f"the keyword {keyword!r} is not supported")
    if len(checks) == 1:
        return checks[0]
    return lambda instance: all(check(instance) for check in checks)


@functools.cache
def _part_acceptor() -> Callable[[Any], bool]:
    """The quick validity test for one part (see :func:`_acceptor`), or one that sends every part to jsonschema."""
    try:
        return _acceptor(_validators()[1].schema)
    except (ValueError, KeyError, re.error):
        return lambda instance: False


def _inlined(node: Any, defs: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """``node`` with every ``{"$ref": "#/$defs/name"}`` replaced by that definition, recursively.

    The part schema is checked once per part: resolving its references through jsonschema's
    registry on every visit cost a third of reading a JSON BOM. A reference is only ever
    the whole of its object in this schema, so the errors are the same, in the same order
    (tests/test_load_sharing.py compares the two).
    """
    if isinstance(node, list):
        return [_inlined(item, defs, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if ref is not None:
        name = ref.removeprefix("#/$defs/")
        if len(node) != 1 or name == ref or name not in defs or name in seen:
            raise ValueError(f"the BOM schema's reference {ref!r} cannot be inlined")  # a schema change this code must follow
        return _inlined(defs[name], defs, (*seen, name))
    return {key: _inlined(value, defs, seen) for key, value in node.items()}


class _SyntaxProblem(Exception):
    def __init__(self, message: str, pos: int, code: str = "json-syntax"):
        self.message, self.pos, self.code = message, pos, code


class _EncodingProblem(Exception):
    """An invalid UTF-8 sequence at byte ``start`` of the file (a byte order mark counted)."""

    def __init__(self, reason: str, start: int):
        self.reason, self.start = reason, start


def _depth(value: Any) -> int:
    """How many levels of objects and arrays ``value`` nests (0 for a scalar), without recursion."""
    deepest = 0
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return deepest


#: Bytes read from the stream at a time. The reader holds about one chunk of text plus the
#: value (a part) it is decoding, never the whole file.
CHUNK_BYTES = 1 << 20

#: The JSON scanner decides where a number ends by looking up to two characters past it
#: (``1e+`` may still become ``1e+5``): a value is taken as final only with this many
#: characters of text after it, or at the end of the stream.
_LOOKAHEAD = 3

_BOM = codecs.BOM_UTF8


class _Decoder:
    """Decodes one JSON value at a time, keeping numbers exact and noting duplicate keys.

    It reads the text from ``stream`` as it needs it, in chunks of :data:`CHUNK_BYTES`,
    and holds a window of it: from the value being decoded (``keep``) to what has been read.
    Positions are absolute character offsets in the file's text (after a byte order mark),
    as if the whole text were held. Without a stream, ``text`` is the whole document.
    """

    def __init__(self, text: str = "", stream: BinaryIO | None = None):
        self.text = text  #: the window: the file's text from ``offset`` on
        self.offset = 0
        self.keep = 0  #: text before this position is no longer needed
        self.stream = stream
        self.eof = stream is None  #: the whole stream is in ``text``
        self._pending = b""  # the start of a character cut by the end of a chunk
        self._decoded_bytes = 0  # bytes of the file before ``_pending``
        self._started = False
        self._line_pos, self._line = 0, 1  # a position in the window and its line number
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

    # --- the text window ------------------------------------------------------------------

    def _read(self, size: int) -> bytes:
        """Up to ``size`` bytes: fewer only at the end of the stream (a pipe may return less)."""
        chunks, got = [], 0
        while got < size:
            data = self.stream.read(size - got)
            if not data:
                self.eof = True
                break
            chunks.append(data)
            got += len(data)
        return b"".join(chunks)

    def _decode(self, size: int) -> str:
        """The text of the next ``size`` bytes or so. Raises :class:`_EncodingProblem` at an invalid byte."""
        if self.eof:
            return ""
        data = self._pending + self._read(max(size, 1 if self._started else len(_BOM)))
        if not self._started:
            self._started = True
            if data.startswith(_BOM):  # utf-8-sig: a byte order mark only at the very start
                data = data[len(_BOM) :]
                self._decoded_bytes = len(_BOM)  # an invalid byte's offset counts from the file's start
        try:
            text, used = codecs.utf_8_decode(data, "strict", self.eof)
        except UnicodeDecodeError as exc:
            # The decoder checks a character cut by the chunk's end as far as it goes, so the
            # first error, its position and reason are those of decoding the whole file.
            self.eof, self._pending = True, b""
            raise _EncodingProblem(exc.reason, self._decoded_bytes + exc.start) from None
        self._pending = data[used:]
        self._decoded_bytes += used
        return text

    def _grow(self, size: int = 0) -> bool:
        """Read about ``size`` more bytes (a chunk at least) into the window, dropping the text
        before ``keep``. False if the stream was already exhausted."""
        if self.eof:
            return False
        new = self._decode(max(size, CHUNK_BYTES))
        drop = self.keep - self.offset
        if drop > 0:
            if self._line_pos < self.keep:
                self._line += self.text.count("\n", self._line_pos - self.offset, drop)
                self._line_pos = self.keep
            self.text = self.text[drop:] + new
            self.offset = self.keep
        elif new:
            self.text += new
        return True

    def drain(self) -> None:
        """Decode the rest of the stream, keeping none of it: an invalid byte anywhere raises
        :class:`_EncodingProblem`, as it would have before reading anything."""
        while not self.eof:
            self._decode(CHUNK_BYTES)

    def line(self, pos: int) -> int:
        """The line of ``pos``, counted incrementally (linear overall)."""
        if pos < self.offset:
            raise AssertionError(f"position {pos} is before the text kept ({self.offset})")
        if pos >= self._line_pos:
            self._line += self.text.count("\n", self._line_pos - self.offset, pos - self.offset)
            self._line_pos = pos
            return self._line
        return self._line - self.text.count("\n", pos - self.offset, self._line_pos - self.offset)

    def peek(self, pos: int) -> str:
        """The character at ``pos``, or "" at the end of the file."""
        while pos - self.offset >= len(self.text):
            if not self._grow():
                return ""
        return self.text[pos - self.offset]

    # --- JSON ----------------------------------------------------------------------------

    def value(self, pos: int, level: int = 1) -> tuple[Any, int]:
        """The JSON value at ``pos``, which sits ``level`` containers deep in the document.

        The value is decoded from the window. A decoding error before the end of the stream
        may come from the window's end (a string or ``tr`` of ``true`` cut short), so the
        window grows and the value is decoded again; it doubles, so a huge value costs linear
        time. A decoded value is final only with :data:`_LOOKAHEAD` characters after it (a
        number ``12`` may be ``123``) or at the end of the stream. A ``ValueError`` (``NaN``,
        from the constant hook) or a ``RecursionError`` is final at once: inside a container
        the scanner raises a decoding error as soon as it meets the window's end, so either
        comes from text before it, which the whole file has too. The scanner is called from
        as many frames as before, so nesting runs out of stack at the same depth.
        """
        self.keep = pos
        seen_duplicates = len(self.duplicates)
        while True:
            offset = self.offset
            try:
                value, end = self._decoder.raw_decode(self.text, pos - offset)
            except json.JSONDecodeError as exc:
                if self._grow(len(self.text) - (pos - self.offset)):
                    del self.duplicates[seen_duplicates:]
                    continue
                raise _SyntaxProblem(exc.msg, offset + exc.pos) from None
            except ValueError as exc:
                raise _SyntaxProblem(str(exc), pos) from None
            except RecursionError:
                # The standard library's scanner recurses: past Python's recursion limit it stops.
                deeper = "deeper than Python's JSON parser reads"
                if self.limits.max_depth < sys.getrecursionlimit():
                    raise _SyntaxProblem(self.limits.message("max_depth", "the JSON nests " + deeper), pos, "limit-exceeded") from None
                raise _SyntaxProblem("the JSON nests " + deeper, pos) from None
            if end + _LOOKAHEAD <= len(self.text) or not self._grow(len(self.text) - (pos - self.offset)):
                break
            del self.duplicates[seen_duplicates:]
        # One walk over the containers just decoded: cheap beside the schema validation.
        if isinstance(value, (dict, list)) and level + _depth(value) > self.limits.max_depth:
            raise _SyntaxProblem(self.limits.message("max_depth", f"the JSON nests {level + _depth(value)} levels deep"), pos, "limit-exceeded")
        return value, offset + end

    def skip_ws(self, pos: int) -> int:
        while True:
            text, rel = self.text, pos - self.offset
            while rel < len(text) and text[rel] in " \t\r\n":
                rel += 1
            pos = self.offset + rel
            if rel < len(text) or not self._grow():
                return pos

    def expect(self, pos: int, chars: str) -> tuple[str, int]:
        pos = self.skip_ws(pos)
        found = self.peek(pos)
        if not found or found not in chars:
            raise _SyntaxProblem(f"expected {' or '.join(repr(c) for c in chars)}, found {repr(found) if found else 'the end of the file'}", pos)
        return found, pos + 1


def _pointer(path) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _message(problem: jsonschema.ValidationError) -> str:
    """jsonschema's message, with a word instead of a regex where a pattern failed, and kept short."""
    path = list(problem.absolute_path)
    if problem.validator == "pattern" and path and path[-1] in EXPECTED_TEXT:
        message = f"{problem.instance!r} is not {EXPECTED_TEXT[path[-1]]}"
    elif problem.validator == "pattern":
        message = f"{problem.instance!r} must not be empty"
    else:
        message = problem.message
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


def read(stream: BinaryIO, file: str | None) -> tuple[Bom | None, list[Finding]]:
    """Read a rarebom JSON file. Returns the BOM (None if there were errors) and every finding."""
    decoder = _Decoder(stream=stream)
    document_validator, part_validator = _validators()
    problems: list[Finding] = []
    header: dict[str, Any] = {}
    parts = PartList(problems)
    try:
        try:
            _, pos = decoder.expect(0, "{")
            if decoder.peek(decoder.skip_ws(pos)) == "}":
                pos = decoder.skip_ws(pos) + 1
            else:
                while True:
                    key_pos = decoder.skip_ws(pos)
                    key, pos = decoder.value(key_pos)
                    if not isinstance(key, str) or isinstance(key, JsonNumber):
                        raise _SyntaxProblem("expected a property name in double quotes", key_pos)
                    _, pos = decoder.expect(pos, ":")
                    if key in header:
                        problems.append(error("duplicate-key", f"the key {key!r} appears twice", Location(file, decoder.line(key_pos), "/")))
                    if key == "parts":
                        header[key] = []
                        pos = _read_parts(decoder, pos, file, part_validator, parts, problems)
                    else:
                        header[key], pos = decoder.value(decoder.skip_ws(pos))
                    sep, pos = decoder.expect(pos, ",}")
                    if sep == "}":
                        break
            end = decoder.skip_ws(pos)
            if decoder.peek(end):
                raise _SyntaxProblem("extra data after the JSON document", end)
        except _SyntaxProblem as exc:
            problems.append(error(exc.code, exc.message, Location(file, decoder.line(exc.pos))))
            decoder.drain()
            return None, problems
        except Exception:
            # A limit or a bug: an invalid byte further on still comes first. (After an
            # invalid byte the stream is done, so drain() does nothing and it goes on.)
            decoder.drain()
            raise
    except _EncodingProblem as exc:
        # Found wherever it is, it is the one finding, as when the whole file was decoded first.
        return None, [error("encoding", f"the file is not UTF-8 ({exc.reason} at byte {exc.start})", Location(file))]
    # The whole stream has been decoded: what follows reads only the header.
    if "format" not in header and "parts" not in header:
        # Some other JSON document (a Catena-X passport, a VDA 231-301 file): one clear
        # message, not a schema error for every key it has.
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
        return None, problems  # the schema reported it
    return build_bom(parts.parts, header.get("name"), attributes, file, Location(file, 1, "/"), problems), problems


def _read_parts(decoder: _Decoder, pos: int, file, validator, parts: PartList, problems: list[Finding]) -> int:
    _, pos = decoder.expect(pos, "[")
    accepts = _part_acceptor()
    probe = decoder.skip_ws(pos)
    if decoder.peek(probe) == "]":
        return probe + 1
    index = 0
    while True:
        start = decoder.skip_ws(pos)
        seen_duplicates = len(decoder.duplicates)
        raw, pos = decoder.value(start, 2)  # in the document object and its parts array
        line = decoder.line(start)
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


def write(bom: Bom, stream: BinaryIO) -> None:
    """Write ``bom`` as rarebom JSON, one part at a time, numbers as exact decimal strings."""
    head: dict[str, Any] = {"format": "rarebom", "formatVersion": version_for(bom)}
    if bom.name is not None:
        head["name"] = bom.name
    if bom.attributes:
        head["attributes"] = dict(bom.attributes)
    out = json.dumps(head, indent=2, ensure_ascii=False)[:-2]  # leave the object open
    stream.write(out.encode("utf-8"))
    stream.write(b',\n  "parts": [')
    for i, part in enumerate(bom.parts):
        text = json.dumps(unstructure_part(part), indent=2, ensure_ascii=False).replace("\n", "\n    ")
        stream.write((",\n    " if i else "\n    ").encode("utf-8") + text.encode("utf-8"))
    stream.write(b"\n  ]\n}\n" if bom.parts else b"]\n}\n")
