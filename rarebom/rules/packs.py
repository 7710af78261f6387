"""Loading rule packs: TOML files checked against ``schemas/rarebom-rules-1.schema.json``.

rarebom ships its packs in ``rarebom/rules/packs/``; users add their own files or folders
(``load_rules(["my-rules/"])``, ``rarebom trace --rules my-rules/``). Every pack is
validated when it loads, and every problem is reported with the file and the path of the
offending key, all at once.
"""

from __future__ import annotations

import codecs
import datetime as dt
import functools
import json
import tomllib
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import chemistry
from .._resources import schema_path
from ..errors import InputError, Location
from ..model import ITEM_CLASSES
from .model import Basis, Cited, Level, OutlookEntry, Pack, Reading, Rule, Source, StageSet, Status, Window

if TYPE_CHECKING:
    import jsonschema

__all__ = ["BUILTIN_PACKS", "RuleError", "RuleSet", "load_pack", "load_rules", "parse_date", "read_toml"]

#: The folder of the packs rarebom ships.
BUILTIN_PACKS = Path(__file__).resolve().parent / "packs"


class RuleError(InputError):
    """A rule pack, override file or price table that cannot be used; every problem is listed."""

    code = "invalid-rule-pack"

    def __init__(self, problems: Iterable[tuple[str, str]], file: str | None):
        self.problems = tuple(problems)
        self.file = file
        head = f"{file or '<rules>'}: {len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        body = "".join(f"\n  {pointer + ': ' if pointer else ''}{message}" for pointer, message in self.problems)
        first = self.problems[0][0] if self.problems else None
        super().__init__(head + body, location=Location(file, pointer=first))

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        return type(self), (self.problems, self.file)


def _pointer(path) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _plain(value: Any) -> Any:
    """TOML's dates as ISO strings, so one JSON Schema checks the whole document."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()  # a date-time where a date belongs fails the schema's pattern
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    return value


@functools.cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    import jsonschema  # about 60 ms to import: paid when a pack is first read, not on import

    with open(schema_path(name), encoding="utf-8") as handle:
        return jsonschema.Draft202012Validator(json.load(handle))


def read_toml(path: Path, schema: str) -> dict[str, Any]:
    """A TOML file decoded and checked against ``schema``; raises :class:`RuleError` listing every problem."""
    file = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise RuleError([("", f"cannot read the file: {exc.strerror or exc}")], file) from None
    except UnicodeDecodeError as exc:
        with open(path, "rb") as handle:  # the decoder counts after a byte order mark
            start = exc.start + (len(codecs.BOM_UTF8) if handle.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8 else 0)
        raise RuleError([("", f"the file is not UTF-8 ({exc.reason} at byte {start})")], file) from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleError([("", f"not valid TOML: {exc}")], file) from None
    plain = _plain(data)
    problems = sorted(_validator(schema).iter_errors(plain), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if problems:
        raise RuleError([(_pointer(p.absolute_path), _short(p)) for p in problems], file)
    return plain


def _short(problem: jsonschema.ValidationError) -> str:
    message = problem.message
    if problem.validator in ("oneOf", "anyOf") and isinstance(problem.schema, dict) and "description" in problem.schema:
        # "{...} is not valid under any of the given schemas" says nothing; the schema's own words do.
        message = f"not a valid entry: {problem.schema['description']}"
    return message if len(message) <= 300 else message[:299] + "…"


def parse_date(text: str, problems: list, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems.append((where, f"{text!r} is not a calendar date"))
        return dt.date.min


class _Builder:
    """Turns a schema-valid document into a Pack, collecting the checks a schema cannot make."""

    def __init__(self, data: dict[str, Any], file: str | None):
        self.data = data
        self.file = file
        self.problems: list[tuple[str, str]] = []
        self.sources = {key: Source(key, s["url"], s["title"], s.get("note")) for key, s in data["sources"].items()}

    def cite(self, node: dict[str, Any], value: Any, where: str) -> Cited:
        return Cited(value, node["confidence"], self.refs(node.get("sources", []), where + "/sources"), node.get("note"))

    def refs(self, keys: list[str], where: str) -> tuple[Source, ...]:
        found = []
        for n, key in enumerate(keys):
            if key not in self.sources:
                self.problems.append((f"{where}/{n}", f"source {key!r} is not in the pack's [sources] table"))
            else:
                found.append(self.sources[key])
        return tuple(found)

    def windows(self, items: list[dict], where: str) -> tuple[Window, ...]:
        windows = []
        for n, w in enumerate(items):
            at = f"{where}/{n}"
            start = parse_date(w["from"], self.problems, at + "/from")
            end = parse_date(w["to"], self.problems, at + "/to") if "to" in w else None
            if end is not None and end < start:
                self.problems.append((at + "/to", f"the window ends ({end}) before it starts ({start})"))
            windows.append(Window(Status(w["status"]), start, end, w.get("by"), w["confidence"], self.refs(w.get("sources", []), at + "/sources"), w.get("note")))
        for n, (a, b) in enumerate(zip(windows, windows[1:], strict=False), start=1):
            if a.end is None or b.start <= a.end:
                self.problems.append((f"{where}/{n}/from", f"windows overlap or are out of order: {b.start} is not after the previous window's end ({a.end or 'open'})"))
        return tuple(windows)

    def symbols(self, node: dict, where: str) -> Cited:
        bad = [s for s in node["symbols"] if not chemistry.is_element(s)]
        if bad:
            self.problems.append((where + "/symbols", f"not element symbols: {', '.join(bad)}"))
        return self.cite(node, tuple(node["symbols"]), where)

    def classes(self, node: dict, where: str) -> Cited:
        unknown = [c for c in node["classes"] if c not in ITEM_CLASSES]
        if unknown:
            self.problems.append((where + "/classes", f"item classes rarebom does not know: {', '.join(unknown)} (known: {', '.join(sorted(ITEM_CLASSES))})"))
        return self.cite(node, frozenset(node["classes"]), where)

    def build(self) -> Pack:
        d = self.data
        p = d["pack"]
        issued = self.cite(p["issued"], parse_date(p["issued"]["date"], self.problems, "/pack/issued/date"), "/pack/issued")
        outlook = []
        for n, e in enumerate(d.get("outlook", [])):
            at = f"/outlook/{n}"
            start = parse_date(e["from"], self.problems, at + "/from") if "from" in e else None
            outlook.append(
                OutlookEntry(
                    e["result"],
                    e["text"],
                    frozenset(e.get("end_use", [])),
                    frozenset(e.get("end_user", [])),
                    frozenset(e.get("destinations", [])),
                    e.get("instrument"),
                    start,
                    e["confidence"],
                    self.refs(e.get("sources", []), at + "/sources"),
                    e.get("note"),
                )
            )
        pack = Pack(
            id=p["id"],
            authority=p["authority"],
            instrument=p["instrument"],
            title=p["title"],
            title_original=p.get("title_original"),
            summary=p["summary"],
            issued=issued,
            data_as_of=parse_date(p["data_as_of"], self.problems, "/pack/data_as_of"),
            verify_url=p.get("verify_url"),
            sources=tuple(self.sources.values()),
            outlook_entries=tuple(outlook),
            path=self.file,
        )
        shared = self.windows(d["status"], "/status") if "status" in d else None
        rules = []
        seen: set[str] = set()
        for n, r in enumerate(d["rules"]):
            at = f"/rules/{n}"
            if r["id"] in seen:
                self.problems.append((at + "/id", f"rule id {r['id']!r} repeats in this pack"))
            seen.add(r["id"])
            rules.append(self.rule(pack, r, at, shared))
        object.__setattr__(pack, "rules", tuple(rules))
        if self.problems:
            raise RuleError(self.problems, self.file)
        return pack

    def rule(self, pack: Pack, r: dict, at: str, shared: tuple[Window, ...] | None) -> Rule:
        windows = self.windows(r["status"], at + "/status") if "status" in r else shared
        if windows is None:
            self.problems.append((at, "the rule has no status windows, and the pack has no shared [[status]] list"))
            windows = (Window(Status.UNVERIFIED, dt.date.min, None, None, "U", ()),)
        threshold = r.get("threshold")
        stages = tuple(
            StageSet(
                frozenset(s["stages"]),
                parse_date(s["from"], self.problems, f"{at}/stages/{k}/from"),
                s["confidence"],
                self.refs(s.get("sources", []), f"{at}/stages/{k}/sources"),
                s.get("note"),
            )
            for k, s in enumerate(r.get("stages", []))
        )
        if r["basis"] == "value-share" and r.get("origin") != "china":
            self.problems.append((at + "/origin", "a value-share rule measures China-origin content; origin must be 'china'"))
        if r["basis"] in ("technology", "item-origin", "origin-claims") and r["level"] == "finished-good":
            self.problems.append((at + "/level", f"a {r['basis']} rule tests items, not a finished good as a whole"))
        if r.get("outlook") and not pack.outlook_entries:
            self.problems.append((at + "/outlook", "the rule asks for the pack's licensing outlook, but the pack has no [[outlook]] entries"))
        return Rule(
            id=r["id"],
            pack=pack,
            title=r["title"],
            summary=r["summary"],
            reading=Reading(r["reading"]),
            label=r.get("label"),
            level=Level(r["level"]),
            basis=Basis(r["basis"]),
            origin=r.get("origin"),
            elements=self.symbols(r["elements"], at + "/elements") if "elements" in r else None,
            item_classes=self.classes(r["item_classes"], at + "/item_classes") if "item_classes" in r else None,
            input_classes=self.classes(r["input_classes"], at + "/input_classes") if "input_classes" in r else None,
            operator=threshold["operator"] if threshold else None,
            threshold=self.cite(threshold, Fraction(threshold["value"]), at + "/threshold") if threshold else None,
            countries=self.cite(r["countries"], frozenset(r["countries"]["codes"]), at + "/countries") if "countries" in r else None,
            stages=stages,
            windows=windows,
            out_of_scope=tuple(self.cite(o, o["item_class"], f"{at}/out_of_scope/{k}") for k, o in enumerate(r.get("out_of_scope", []))),
            consequence=r["consequence"],
            outlook=bool(r.get("outlook", False)),
            notes=tuple(self.cite(o, o["note"], f"{at}/notes/{k}") for k, o in enumerate(r.get("notes", []))),
        )


def load_pack(path: str | Path) -> Pack:
    """One pack file, validated; raises :class:`RuleError` naming the file and every problem."""
    path = Path(path)
    return _Builder(read_toml(path, "rules"), str(path)).build()


class RuleSet:
    """Loaded packs and their rules, in load order; rule ids are unique across packs."""

    def __init__(self, packs: Iterable[Pack]):
        self.packs = tuple(packs)
        self.rules: tuple[Rule, ...] = tuple(rule for pack in self.packs for rule in pack.rules)
        self._by_id = {rule.id: rule for rule in self.rules}
        #: every rule id loaded, including those a selection left out
        self.known_ids: frozenset[str] = frozenset(self._by_id)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def __getitem__(self, rule_id: str) -> Rule:
        return self._by_id[rule_id]

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._by_id

    def select(self, patterns: Iterable[str]) -> RuleSet:
        """The packs and rules whose id equals one of ``patterns`` or starts with it plus ``/``.

        ``CN-MOFCOM-2025-61`` picks the whole pack; ``CN-MOFCOM-2025-61/prong-1-value-share``
        one rule. A pattern that matches nothing is an error, not an empty selection.
        """
        patterns = list(patterns)
        unmatched = [p for p in patterns if not any(matches(p, r.id) for r in self.rules)]
        if unmatched:
            raise RuleError([("", f"no rule or pack is called {p!r} (`rarebom rules list` lists them)") for p in unmatched], "rule selection")
        picked = []
        for pack in self.packs:
            rules = tuple(r for r in pack.rules if any(matches(p, r.id) for p in patterns))
            if rules:
                picked.append((pack, rules))
        result = RuleSet(p for p, _ in picked)
        result.rules = tuple(r for _, rules in picked for r in rules)
        result._by_id = {r.id: r for r in result.rules}
        result.known_ids = self.known_ids
        return result

    def __repr__(self) -> str:
        return f"<RuleSet of {len(self.rules)} rules in {len(self.packs)} packs>"


def matches(pattern: str, rule_id: str) -> bool:
    """True if ``pattern`` is ``rule_id`` or the id of its pack (a prefix ending at a ``/``)."""
    return rule_id == pattern or rule_id.startswith(pattern.rstrip("/") + "/")


def _pack_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(path.glob("*.toml"))
    return [path]


def load_rules(paths: Iterable[str | Path] = (), *, builtin: bool = True) -> RuleSet:
    """rarebom's shipped packs (unless ``builtin`` is false) and the pack files or folders in ``paths``.

    A folder contributes every ``*.toml`` file in it. Rule ids must be unique across all
    packs; a user pack cannot silently replace a shipped rule.
    """
    files = _pack_files(BUILTIN_PACKS) if builtin else []
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise RuleError([("", "no such file or folder")], str(path))
        found = _pack_files(path)
        if path.is_dir() and not found:
            raise RuleError([("", "the folder holds no *.toml rule packs")], str(path))
        files += found
    packs = [load_pack(f) for f in files]
    owner: dict[str, str] = {}
    problems = []
    for pack in packs:
        for rule in pack.rules:
            if rule.id in owner:
                problems.append((rule.id, f"rule id {rule.id!r} is defined in both {owner[rule.id]} and {pack.path}"))
            owner[rule.id] = pack.path or pack.id
    if problems:
        raise RuleError(problems, None)
    return RuleSet(packs)
