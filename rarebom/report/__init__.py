"""Reports: verdicts and rules rendered for people. A reporter never re-derives a number."""

from .text import rule_text, rules_table, verdicts_text

__all__ = ["rule_text", "rules_table", "verdicts_text"]
