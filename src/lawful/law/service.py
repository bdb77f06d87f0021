"""The law as an API: deadlines, adequacy of transfer destinations, special categories.

Everything else in lawful asks this module "by when?" and "may this go there?" rather than
carrying figures of its own, so a corrected figure in a rule file corrects every caller. Where
the research could not confirm a figure the answer is never a guess: ``due`` raises
``NeedsDecision`` until the operator supplies a ``RuleOverride``, and ``adequate`` returns
``None``.
"""

from __future__ import annotations

import calendar as _cal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from functools import cache
from importlib.resources import files
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pycountry
from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from lawful.errors import LawfulError, NeedsDecision, NotFound
from lawful.law.calendar import add_working_days
from lawful.law.models import (
    Jurisdiction,
    LawBook,
    LawBookError,
    Rule,
    RuleOverride,
    SpecialCategory,
    Unit,
)

JURISDICTIONS: tuple[str, ...] = ("ru", "kz", "vn", "ge", "eu")

Kind = Literal["days", "hours", "months"]


@dataclass(frozen=True)
class _Figure:
    """A resolved time limit: amount, what it counts, and for days which days."""

    amount: int
    kind: Kind
    unit: Unit | None = None


# --- loading -------------------------------------------------------------------------------


@cache
def load_lawbook() -> LawBook:
    """Load and validate every shipped rule file (once per process)."""
    folder = files("lawful.law") / "rules"
    loaded = {}
    for key in JURISDICTIONS:
        text = folder.joinpath(f"{key}.yaml").read_text(encoding="utf-8")
        loaded[key] = parse_rule_file(f"{key}.yaml", text)
    return LawBook(jurisdictions=loaded)


def parse_rule_file(filename: str, text: str) -> Jurisdiction:
    """Validate one rule file's text; errors name the file and, where it applies, the rule."""
    try:
        doc = YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        raise LawBookError(f"rules/{filename}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), dict):
        raise LawBookError(f"rules/{filename}: expected a mapping with a 'rules' mapping")
    rules = {name: _load_rule(filename, name, body) for name, body in doc["rules"].items()}
    try:
        jurisdiction = Jurisdiction.model_validate({**doc, "rules": rules})
    except ValidationError as exc:
        raise LawBookError(f"rules/{filename}: {_describe(exc)}") from exc
    if f"{jurisdiction.key}.yaml" != filename:
        raise LawBookError(f"rules/{filename}: key {jurisdiction.key!r} does not match the file")
    return jurisdiction


def _load_rule(filename: str, name: str, body: Any) -> Rule:
    if not isinstance(body, dict):
        raise LawBookError(f"rules/{filename}: rule {name!r}: expected a mapping")
    try:
        return Rule.model_validate({"name": name, **body})
    except ValidationError as exc:
        raise LawBookError(f"rules/{filename}: rule {name!r}: {_describe(exc)}") from exc


def _describe(exc: ValidationError) -> str:
    # One line per problem, without pydantic's echo of the input and its help links.
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'rule'}: {error['msg']}"
        for error in exc.errors()
    )


# --- look-ups ------------------------------------------------------------------------------


def _jurisdiction(key: str) -> Jurisdiction:
    try:
        return load_lawbook().jurisdictions[key]
    except KeyError:
        raise NotFound(f"unknown jurisdiction {key!r}; known: {', '.join(JURISDICTIONS)}") from None


def rule(jurisdiction: str, name: str) -> Rule:
    """The rule ``name`` of ``jurisdiction``; ``NotFound`` if either is unknown."""
    try:
        return _jurisdiction(jurisdiction).rules[name]
    except KeyError:
        raise NotFound(f"jurisdiction {jurisdiction!r} has no rule {name!r}") from None


def source_of(jurisdiction: str, rule_name: str) -> str:
    """The legal source (article) of a rule, for notices and audit entries."""
    return rule(jurisdiction, rule_name).source


# --- deadlines -----------------------------------------------------------------------------


def due(
    jurisdiction: str,
    rule_name: str,
    start: datetime,
    *,
    tz: str = "UTC",
    override: RuleOverride | None = None,
    extended: bool = False,
    calendar_country: str | None = None,
) -> datetime:
    """When ``rule_name``, triggered at ``start``, falls due: an aware datetime in ``tz``.

    Calendar days and months move the local wall-clock time; working days end at the last
    instant of the N-th working day after ``start``'s local date; hours move the instant.
    Months clamp to the month's last day (31 Jan + 1 month = 28/29 Feb, same time of day):
    earlier than Regulation 1182/71's end-of-day reading, so never late under it.

    ``override`` fills a figure the law table lacks; for a known figure it can only make the
    deadline stricter (the earlier of the two wins). ``extended`` adds the rule's
    ``extendable_by`` to the law's figure (or to an override that fills its gap).
    ``calendar_country`` replaces the jurisdiction's working-day calendar (e.g. an EU member).
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
    found = rule(jurisdiction, rule_name)
    zone = ZoneInfo(tz)
    if found.immediate:
        return start.astimezone(zone)
    if found.before is not None:
        raise LawfulError(
            f"{jurisdiction}/{rule_name} has no duration: it must be done before "
            f"{found.before} ({found.source})"
        )
    country = calendar_country or _jurisdiction(jurisdiction).calendar_country
    figures = _figures(jurisdiction, found, override, extended)
    return min(_deadline(figure, start, zone, country) for figure in figures)


def _figures(
    jurisdiction: str, found: Rule, override: RuleOverride | None, extended: bool
) -> list[_Figure]:
    law = _law_figure(found)
    if law is None:
        if override is None:
            raise NeedsDecision(_needs_decision_message(jurisdiction, found), field=found.name)
        gap_filler = _override_figure(override)
        return [_extend(jurisdiction, found, gap_filler) if extended else gap_filler]
    figures = [_extend(jurisdiction, found, law) if extended else law]
    if override is not None:
        # The operator's own promise: it can only shorten the deadline, and the law's
        # extension does not stretch a promise.
        figures.append(_override_figure(override))
    return figures


def _law_figure(found: Rule) -> _Figure | None:
    """The rule's figure, or None when it may not be relied on."""
    if found.status == "unconfirmed":
        return None
    if found.days is not None:
        return None if found.unit is None else _Figure(found.days, "days", found.unit)
    if found.hours is not None:
        return _Figure(found.hours, "hours")
    if found.months is not None:
        return _Figure(found.months, "months")
    return None


def _override_figure(override: RuleOverride) -> _Figure:
    if override.days is not None:
        return _Figure(override.days, "days", override.unit)
    if override.hours is not None:
        return _Figure(override.hours, "hours")
    if override.months is not None:
        return _Figure(override.months, "months")
    raise ValueError("override without a figure")  # RuleOverride's validator rules this out


def _rule_kind(found: Rule) -> Kind | None:
    if found.days is not None:
        return "days"
    if found.hours is not None:
        return "hours"
    return "months" if found.months is not None else None


def _extend(jurisdiction: str, found: Rule, figure: _Figure) -> _Figure:
    if found.extendable_by is None:
        raise LawfulError(f"{jurisdiction}/{found.name} cannot be extended ({found.source})")
    if _rule_kind(found) != figure.kind:
        raise NeedsDecision(
            f"{jurisdiction}/{found.name}: the extension is counted in {_rule_kind(found)}, "
            f"the operator's figure in {figure.kind} ({found.source})",
            field=found.name,
        )
    return replace(figure, amount=figure.amount + found.extendable_by)


def _needs_decision_message(jurisdiction: str, found: Rule) -> str:
    if found.status == "unconfirmed":
        why = "its figure is unconfirmed"
    elif found.has_figure:
        why = "the law does not say whether its days are calendar or working days"
    else:
        why = "no figure is known"
    return (
        f"{jurisdiction}/{found.name} ({found.source}): {why}; set the operator's figure "
        f"in lawful.yaml or decide case by case"
    )


def _deadline(figure: _Figure, start: datetime, zone: ZoneInfo, country: str | None) -> datetime:
    local = start.astimezone(zone)
    if figure.kind == "hours":
        return (start.astimezone(UTC) + timedelta(hours=figure.amount)).astimezone(zone)
    if figure.kind == "months":
        return _wall_clock(_add_months(local.replace(tzinfo=None), figure.amount), zone)
    if figure.unit == "calendar":
        return _wall_clock(local.replace(tzinfo=None) + timedelta(days=figure.amount), zone)
    last_day = add_working_days(country, local.date(), figure.amount)
    return datetime.combine(last_day, time.max, tzinfo=zone)


def _wall_clock(naive_local: datetime, zone: ZoneInfo) -> datetime:
    # The round trip through UTC turns a wall time that a DST jump skipped into a real one.
    return naive_local.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


def _add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, _cal.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def strictest_due(
    jurisdictions: Iterable[str],
    rule_name_by_jurisdiction: Mapping[str, str],
    start: datetime,
    *,
    tz: str = "UTC",
    overrides: Mapping[str, RuleOverride] | None = None,
) -> tuple[datetime, str]:
    """The earliest deadline among ``jurisdictions`` and the jurisdiction that sets it.

    A jurisdiction without the named rule (or not named in the mapping) is skipped; one whose
    figure needs a decision raises ``NeedsDecision``, since the strictest is then unknown.
    """
    overrides = overrides or {}
    found: list[tuple[datetime, str]] = []
    for key in jurisdictions:
        name = rule_name_by_jurisdiction.get(key)
        if name is None or name not in _jurisdiction(key).rules:
            continue
        found.append((due(key, name, start, tz=tz, override=overrides.get(key)), key))
    if not found:
        raise NotFound("none of the jurisdictions has the named rule")
    return min(found, key=lambda pair: pair[0])


# --- transfers and categories --------------------------------------------------------------


def adequate(jurisdiction: str, country: str) -> bool | None:
    """Whether ``jurisdiction``'s law treats ``country`` as adequate for transfers.

    True: domestic, or on a list the research supports. False: known not adequate. None: the
    research could not establish it, and a person must decide.
    """
    code = _country_code(country)
    rules = _jurisdiction(jurisdiction).adequacy
    if code in rules.domestic:
        return True
    if code in rules.unconfirmed.countries:
        return None
    statuses = {entry.status for entry in rules.lists if code in entry.countries}
    if statuses - {"unconfirmed"}:
        return True
    if statuses:
        return None
    return False if rules.unlisted == "not_adequate" else None


def _country_code(country: str) -> str:
    code = country.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise NotFound(f"{country!r} is not an ISO 3166-1 alpha-2 country code")
    return code


def special_categories(jurisdiction: str) -> frozenset[str]:
    """The fideslang data-category keys that are special categories under this law."""
    listed = _special(jurisdiction)
    return frozenset(key for category in listed for key in category.fides)


def unmapped_special_categories(jurisdiction: str) -> tuple[str, ...]:
    """The law's special categories that have no fideslang equivalent (handle them by hand)."""
    return tuple(category.law_name for category in _special(jurisdiction) if not category.fides)


def _special(jurisdiction: str) -> tuple[SpecialCategory, ...]:
    section = _jurisdiction(jurisdiction).special_categories
    if section.categories is None:
        raise NeedsDecision(
            f"{jurisdiction}: the list of special categories is unconfirmed ({section.source}); "
            f"{section.note or 'a person must decide'}",
            field="special_categories",
        )
    return section.categories


def is_special(jurisdiction: str, category_key: str) -> bool:
    """Whether a fideslang key is, or lies below, one of the law's special categories."""
    return any(
        category_key == key or category_key.startswith(f"{key}.")
        for key in special_categories(jurisdiction)
    )
