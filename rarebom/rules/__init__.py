"""Rule packs and verdicts: versioned legal rules as data, evaluated against a trace."""

from .evaluate import Evaluation, NodeVerdict, RuleVerdict, evaluate
from .missing import Missing
from .model import Basis, Cited, Level, Outlook, Pack, Reading, Rule, RuleStatus, Source, Status, Verdict, Window
from .overrides import Override, load_overrides
from .packs import BUILTIN_PACKS, RuleError, RuleSet, load_pack, load_rules
from .prices import Price, PriceTable, load_prices

__all__ = [
    "BUILTIN_PACKS",
    "Basis",
    "Cited",
    "Evaluation",
    "Level",
    "Missing",
    "NodeVerdict",
    "Outlook",
    "Override",
    "Pack",
    "Price",
    "PriceTable",
    "Reading",
    "Rule",
    "RuleError",
    "RuleSet",
    "RuleStatus",
    "RuleVerdict",
    "Source",
    "Status",
    "Verdict",
    "Window",
    "evaluate",
    "load_overrides",
    "load_pack",
    "load_prices",
    "load_rules",
]
