"""Official working-day calendars, for deadlines the law counts in working days.

A working day is not "Monday to Friday": Russia and Kazakhstan move days off every year by
government decree (in 2025 Russia rested on Friday 2 May and Thursday 8 May and worked on
Saturday 1 November), and Vietnam swaps days around Tet. The ``holidays`` package (>= 0.60,
checked on 0.109) records these transfers: moved days off are holidays, and worked weekend
days are in ``HolidayBase.weekend_workdays``, which its ``is_working_day`` consults. Its
sources are the decrees themselves (for Russia, the Government decrees on consultant.ru cited
in ``holidays/countries/russia.py``, e.g. the 2027 one, cons_doc_LAW_544706). So no table of
our own is needed; tests pin the dates that matter so that a regression in the package shows.

``country=None`` means no national calendar: Saturday and Sunday are the only days off. That
is the default for the EU, whose rules are counted in months and hours; an operator who needs
a member state's calendar passes its code (``due(..., calendar_country="DE")``).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays
from holidays import HolidayBase

from lawful.errors import NotFound

#: Saturday and Sunday, as ``date.weekday()`` numbers them.
_WEEKEND = frozenset({5, 6})


@lru_cache(maxsize=32)
def _calendar(country: str) -> HolidayBase:
    # One instance per country; it loads each year lazily on first lookup.
    try:
        return holidays.country_holidays(country)
    except NotImplementedError as exc:
        raise NotFound(f"no working-day calendar for country {country!r}") from exc


def is_working_day(country: str | None, day: date) -> bool:
    """Whether ``day`` is a working day in ``country`` (None: any weekday)."""
    if country is None:
        return day.weekday() not in _WEEKEND
    calendar = _calendar(country.upper())
    return bool(calendar.is_working_day(day))


def add_working_days(country: str | None, start: date, n: int) -> date:
    """The ``n``-th working day after ``start`` (``start`` itself is never counted).

    Counting from the next day matches how the Russian Civil Code (Art. 191) and most of the
    laws here run a period: it begins on the day after the triggering event.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    day = start
    remaining = n
    while remaining:
        day += timedelta(days=1)
        if is_working_day(country, day):
            remaining -= 1
    return day
