"""Griffe extension for the API reference: rarebom's docstrings and attrs classes, read for mkdocstrings.

Two things in rarebom's source read badly in a Markdown API reference, and this extension
fixes them in the docs build only (the source stays as it is):

- The docstrings cross-reference with Sphinx roles (``:class:`Bom```,
  ``:func:`~rarebom.units.parse_number```) and end a paragraph with ``::`` before a literal
  block. mkdocstrings renders docstrings as Markdown, which would print the roles verbatim.
  Each role becomes a cross-reference that links to the object when the reference documents
  it and reads as plain code when it does not (an *optional* mkdocs-autorefs reference,
  which never breaks the strict build), and ``::`` becomes ``:``.
- The model classes are attrs classes, whose fields are written ``attrs.field(default=...,
  validator=...)``. Shown as is, each field's value is its validator plumbing; the
  reference shows the field's default instead (``factory=list`` as ``list()``), or nothing
  when the field is required. Likewise for attributes set in ``__init__``.
"""

from __future__ import annotations

import html
import re

import griffe

_ROLE = re.compile(r":(?:py:)?(?P<role>class|func|meth|attr|data|mod|exc|obj|const):`(?P<target>[^`]+)`")
_LITERAL = re.compile(r"(?<=\S)::$", re.M)
_FIELD_FUNCTIONS = {"attrs.field", "attr.field", "attr.ib", "attrs.attrib", "attr.attrib", "field"}


class RarebomDocs(griffe.Extension):
    def on_object(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None:
            text = _ROLE.sub(lambda match: _reference(obj, match["role"], match["target"]), obj.docstring.value)
            obj.docstring.value = _LITERAL.sub(":", text)
        if isinstance(obj, griffe.Attribute):
            if isinstance(obj.value, griffe.ExprCall) and str(obj.value.function) in _FIELD_FUNCTIONS:
                obj.value = _field_default(obj.value)
            elif "instance-attribute" in obj.labels and "class-attribute" not in obj.labels:
                obj.value = None  # set in __init__ (self.bom = bom): the code says nothing to a reader


def _field_default(call: griffe.ExprCall) -> str | griffe.Expr | None:
    keywords = {arg.name: arg.value for arg in call.arguments if isinstance(arg, griffe.ExprKeyword)}
    if "default" in keywords:
        return keywords["default"]
    if "factory" in keywords:
        return f"{keywords['factory']}()"
    return None  # a required field


def _reference(obj: griffe.Object, role: str, target: str) -> str:
    title, _, explicit = target.partition(" <")
    if explicit:  # :class:`the model <rarebom.model.Bom>`
        target, shown = explicit.rstrip(">"), title.strip()
    else:
        # ~a.b.C shows only C, as in Sphinx.
        target = target.lstrip("~")
        shown = target.rsplit(".", 1)[-1] if title.startswith("~") else target
    if role in ("func", "meth") and not shown.endswith(")"):
        shown += "()"
    identifier = _resolve(obj, target)
    return f'<autoref identifier="{html.escape(identifier)}" optional><code>{html.escape(shown)}</code></autoref>'


def _resolve(obj: griffe.Object, target: str) -> str:
    """The full dotted path ``target`` names as seen from ``obj`` (a module, class or function)."""
    head, dot, rest = target.partition(".")
    try:
        return obj.resolve(head) + dot + rest  # looks in obj's scope, then its parents'
    except griffe.NameResolutionError:
        return target  # already absolute (rarebom.units.Kind), or outside rarebom (fractions.Fraction)
