"""Validated shapes of the jurisdiction rule files in ``lawful/law/rules/*.yaml``.

The law is kept as data so that a lawyer can review a figure, its article and its status in
one place, and so that a gap stays visible as a gap: a rule may carry no figure at all, or a
figure whose ``status`` is ``unconfirmed``, and the service then asks a person instead of
guessing. These models make a mistyped file fail at load time, naming the file and the rule,
rather than producing a wrong deadline later.
"""

from __future__ import annotations

from typing import Literal, Self

import pycountry
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, field_validator, model_validator

from lawful.errors import LawfulError

Status = Literal["confirmed", "secondary", "unconfirmed"]
Unit = Literal["calendar", "working"]
CountryCode = str


class LawBookError(LawfulError):
    """A shipped rule file is broken: a packaging bug, never the operator's fault."""

    code = "law-book"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_figure(days: int | None, hours: int | None, months: int | None) -> None:
    given = [value for value in (days, hours, months) if value is not None]
    if len(given) > 1:
        raise ValueError("give only one of days, hours, months")


class RuleOverride(_Frozen):
    """The operator's own figure for a rule, from lawful.yaml.

    It fills a gap (an unconfirmed or missing figure) or, for a known figure, can only make
    the deadline stricter: ``due`` takes whichever of the law and the override ends first.
    """

    days: PositiveInt | None = None
    hours: PositiveInt | None = None
    months: PositiveInt | None = None
    unit: Unit | None = None

    @model_validator(mode="after")
    def _one_complete_figure(self) -> Self:
        _check_figure(self.days, self.hours, self.months)
        if self.days is None and self.hours is None and self.months is None:
            raise ValueError("an override needs days, hours or months")
        if self.days is not None and self.unit is None:
            raise ValueError("an override in days needs unit: calendar or working")
        if self.days is None and self.unit is not None:
            raise ValueError("unit applies to days only")
        return self


class Rule(_Frozen):
    """One obligation with a time limit, as the law (or the research) states it."""

    name: str
    summary: str
    source: str = Field(min_length=1)
    status: Status
    days: PositiveInt | None = None
    hours: PositiveInt | None = None
    months: PositiveInt | None = None
    #: None where the law says "days" without saying which kind.
    unit: Unit | None = None
    #: Counted in the rule's own figure (days of the same unit, hours or months).
    extendable_by: PositiveInt | None = None
    extension_requires: str | None = None
    trigger: str | None = None
    immediate: bool = False
    #: An event the action must precede ("first_transfer"): no duration to compute.
    before: str | None = None
    recipient: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        _check_figure(self.days, self.hours, self.months)
        has_figure = self.has_figure
        if self.immediate and (has_figure or self.before):
            raise ValueError("an immediate rule has no figure and no 'before'")
        if self.before and has_figure:
            raise ValueError("a 'before' rule has no figure")
        if self.unit is not None and self.days is None:
            raise ValueError("unit applies to days only")
        if self.extendable_by is not None and not has_figure:
            raise ValueError("extendable_by needs a figure to extend")
        return self

    @property
    def has_figure(self) -> bool:
        return self.days is not None or self.hours is not None or self.months is not None


class SpecialCategory(_Frozen):
    """A special category under the law's own name and its fideslang data-category keys."""

    law_name: str
    #: Empty when fideslang has no equivalent (e.g. trade-union membership).
    fides: tuple[str, ...]


class SpecialCategories(_Frozen):
    source: str
    status: Status
    note: str | None = None
    #: None when the list itself is not known (status unconfirmed).
    categories: tuple[SpecialCategory, ...] | None

    @model_validator(mode="after")
    def _list_or_unconfirmed(self) -> Self:
        if self.categories is None and self.status != "unconfirmed":
            raise ValueError("a missing category list must have status unconfirmed")
        return self


def _validate_countries(codes: frozenset[str]) -> frozenset[str]:
    unknown = sorted(code for code in codes if _country(code) is None)
    if unknown:
        raise ValueError(f"not ISO 3166-1 alpha-2 codes: {', '.join(unknown)}")
    return codes


def _country(code: str) -> object | None:
    return pycountry.countries.get(alpha_2=code) if len(code) == 2 else None


class AdequacyList(_Frozen):
    """One legal instrument naming adequate countries (a treaty, an order, a decision)."""

    name: str
    source: str
    status: Status
    note: str | None = None
    countries: frozenset[CountryCode]

    _iso = field_validator("countries")(_validate_countries)


class UnconfirmedCountries(_Frozen):
    """Countries whose status the research could not establish: always answered with None."""

    source: str
    countries: frozenset[CountryCode]

    _iso = field_validator("countries")(_validate_countries)


class Adequacy(_Frozen):
    domestic: frozenset[CountryCode]
    lists: tuple[AdequacyList, ...]
    unconfirmed: UnconfirmedCountries
    #: What a country on no list is: known not adequate, or simply not known.
    unlisted: Literal["not_adequate", "unconfirmed"]

    _iso = field_validator("domestic")(_validate_countries)


class Jurisdiction(_Frozen):
    key: str
    name: str
    law: str
    #: ISO code of the working-day calendar; None means weekends only (see calendar.py).
    calendar_country: CountryCode | None
    rules: dict[str, Rule]
    special_categories: SpecialCategories
    adequacy: Adequacy


class LawBook(_Frozen):
    jurisdictions: dict[str, Jurisdiction]
