"""Jurisdiction rules as data: statutory deadlines, working-day calendars, transfer adequacy
and special categories for Russia, Kazakhstan, Vietnam, Georgia and the EU.

The figures live in ``rules/<jurisdiction>.yaml`` with their article and a status taken from the
legal research; this package only reads and applies them, so that correcting a figure is a data
change a lawyer can review. Unconfirmed figures are never applied silently (``NeedsDecision``).
"""

from lawful.law.calendar import add_working_days, is_working_day
from lawful.law.models import Jurisdiction, LawBook, LawBookError, Rule, RuleOverride
from lawful.law.service import (
    JURISDICTIONS,
    adequate,
    due,
    is_special,
    load_lawbook,
    parse_rule_file,
    rule,
    source_of,
    special_categories,
    strictest_due,
    unmapped_special_categories,
)

__all__ = [
    "JURISDICTIONS",
    "Jurisdiction",
    "LawBook",
    "LawBookError",
    "Rule",
    "RuleOverride",
    "add_working_days",
    "adequate",
    "due",
    "is_special",
    "is_working_day",
    "load_lawbook",
    "parse_rule_file",
    "rule",
    "source_of",
    "special_categories",
    "strictest_due",
    "unmapped_special_categories",
]
