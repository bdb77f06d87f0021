"""lawful.law: rule files, working-day calendars, deadlines, adequacy, special categories.

Expected dates are worked out by hand from the official calendars and written literally:
Russia 2026/2027 per the Government decrees on transfer of days off (New Year holidays
1-8 January; 31 Dec 2026 is a day off moved from Sunday 4 Jan 2026), Russia 2025 per its
decree (2 and 8 May, 3 Nov off; Saturday 1 Nov worked).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import lawful
from lawful.errors import LawfulError, NeedsDecision, NotFound
from lawful.law import (
    JURISDICTIONS,
    LawBookError,
    RuleOverride,
    add_working_days,
    adequate,
    due,
    is_special,
    is_working_day,
    load_lawbook,
    parse_rule_file,
    rule,
    source_of,
    special_categories,
    strictest_due,
    unmapped_special_categories,
)

MOSCOW = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
END_OF_DAY = time(23, 59, 59, 999999)


def end_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=zone)


def all_rules() -> list[tuple[str, str]]:
    book = load_lawbook()
    return [(key, name) for key, j in book.jurisdictions.items() for name in j.rules]


# --- the rule files ------------------------------------------------------------------------


def test_every_jurisdiction_ships_a_valid_rule_file() -> None:
    book = load_lawbook()
    assert tuple(book.jurisdictions) == JURISDICTIONS == ("ru", "kz", "vn", "ge", "eu")
    assert all(book.jurisdictions[key].key == key for key in JURISDICTIONS)


@pytest.mark.parametrize(("jurisdiction", "name"), all_rules())
def test_every_rule_names_its_legal_source(jurisdiction: str, name: str) -> None:
    assert source_of(jurisdiction, name).strip()
    assert rule(jurisdiction, name).name == name


@pytest.mark.parametrize(
    ("jurisdiction", "name", "status", "figure"),
    [
        ("ru", "subject_access_response", "confirmed", {"days": 10, "unit": "working"}),
        ("ru", "rectification", "secondary", {"days": 7, "unit": "working"}),
        ("ru", "authority_request_response", "secondary", {"days": 10, "unit": "working"}),
        ("ru", "destroy_after_withdrawal", "confirmed", {"days": 30, "unit": "calendar"}),
        ("ru", "stop_processing_on_demand", "unconfirmed", {"days": 10, "unit": "working"}),
        ("ru", "distribution_stop_on_demand", "unconfirmed", {"days": 3, "unit": "working"}),
        ("ru", "breach_initial_notice", "confirmed", {"hours": 24}),
        ("ru", "breach_investigation_report", "confirmed", {"hours": 72}),
        ("kz", "deletion_on_request", "unconfirmed", {"days": 15, "unit": None}),
        ("vn", "subject_request_acknowledge", "secondary", {"days": 2, "unit": "working"}),
        ("vn", "access_rectification_provision", "unconfirmed", {"days": 10, "unit": None}),
        ("ge", "direct_marketing_stop", "secondary", {"days": 7, "unit": "working"}),
        ("ge", "records_to_authority", "confirmed", {"days": 3, "unit": "working"}),
        ("eu", "subject_request_response", "confirmed", {"months": 1}),
    ],
)
def test_rule_files_carry_the_researched_figure_and_status(
    jurisdiction: str, name: str, status: str, figure: dict[str, object]
) -> None:
    found = rule(jurisdiction, name)
    assert found.status == status
    assert {key: getattr(found, key) for key in figure} == figure


def test_a_broken_rule_names_the_file_and_the_rule() -> None:
    text = """
key: ru
name: x
law: x
calendar_country: RU
rules:
  fast_answer: {summary: x, days: 10, hours: 5, source: "Art. 1", status: confirmed}
special_categories: {source: x, status: confirmed, categories: []}
adequacy: {domestic: [RU], lists: [], unconfirmed: {source: x, countries: []},
           unlisted: unconfirmed}
"""
    with pytest.raises(LawBookError, match=r"rules/ru\.yaml: rule 'fast_answer'.*only one of"):
        parse_rule_file("ru.yaml", text)


def test_a_rule_without_a_source_is_refused() -> None:
    text = "key: ru\nrules:\n  quiet: {days: 1, unit: working, status: confirmed}\n"
    with pytest.raises(LawBookError, match=r"rule 'quiet'.*source"):
        parse_rule_file("ru.yaml", text)


def test_an_adequacy_list_with_a_made_up_country_is_refused() -> None:
    text = """
key: eu
name: x
law: x
calendar_country: null
rules: {}
special_categories: {source: x, status: confirmed, categories: []}
adequacy: {domestic: [FR, XX], lists: [], unconfirmed: {source: x, countries: []},
           unlisted: not_adequate}
"""
    with pytest.raises(LawBookError, match=r"rules/eu\.yaml.*XX"):
        parse_rule_file("eu.yaml", text)


def test_unknown_rules_and_jurisdictions_are_not_found() -> None:
    with pytest.raises(NotFound):
        rule("ru", "answer_eventually")
    with pytest.raises(NotFound):
        rule("us", "subject_access_response")


# --- calendars -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "day", "working"),
    [
        ("RU", date(2025, 5, 2), False),  # Friday, day off moved from Saturday 4 Jan
        ("RU", date(2025, 5, 8), False),  # Thursday, day off moved from Sunday 23 Feb
        ("RU", date(2025, 11, 1), True),  # Saturday worked, day off moved to Monday 3 Nov
        ("RU", date(2025, 11, 3), False),
        ("RU", date(2026, 12, 31), False),  # Thursday, day off moved from Sunday 4 Jan 2026
        ("RU", date(2027, 1, 8), False),
        ("RU", date(2027, 1, 11), True),
        ("RU", date(2027, 2, 20), True),  # Saturday worked, day off moved to Monday 22 Feb
        ("KZ", date(2025, 1, 5), True),  # Sunday worked, day off moved to Friday 3 Jan
        ("KZ", date(2025, 1, 3), False),
        ("GE", date(2026, 5, 26), False),  # Independence Day
        (None, date(2026, 12, 25), True),  # no national calendar: only weekends are off
        (None, date(2026, 12, 26), False),
        ("DE", date(2026, 12, 25), False),
    ],
)
def test_working_days_follow_the_official_calendar(
    country: str | None, day: date, working: bool
) -> None:
    assert is_working_day(country, day) is working


def test_working_days_are_counted_from_the_day_after_the_start() -> None:
    assert add_working_days("RU", date(2026, 3, 2), 1) == date(2026, 3, 3)
    assert add_working_days(None, date(2026, 3, 6), 1) == date(2026, 3, 9)  # Friday -> Monday


# --- due() ---------------------------------------------------------------------------------


def test_russian_access_answer_is_ten_working_days_skipping_new_year_holidays() -> None:
    # Wed 30 Dec 2026; 31 Dec and 1-10 Jan are off; 11-15 and 18-22 Jan are days 1-10.
    received = datetime(2026, 12, 30, 10, 0, tzinfo=MOSCOW)
    answer_by = due("ru", "subject_access_response", received, tz="Europe/Moscow")
    assert answer_by == end_of(date(2027, 1, 22), MOSCOW)
    assert answer_by.tzinfo == MOSCOW


def test_russian_working_saturday_is_counted_and_moved_day_off_is_skipped() -> None:
    # Thu 30 Oct 2025: Fri 31 Oct (1), Sat 1 Nov worked (2), 3-4 Nov off, Wed 5 Nov (3).
    detected = datetime(2025, 10, 30, 15, 0, tzinfo=MOSCOW)
    stop_by = due("ru", "stop_unlawful_processing", detected, tz="Europe/Moscow")
    assert stop_by == end_of(date(2025, 11, 5), MOSCOW)


def test_working_days_are_counted_on_the_local_date_of_the_start() -> None:
    # 22:30 UTC on Tuesday is already Wednesday in Moscow.
    received = datetime(2026, 3, 3, 22, 30, tzinfo=UTC)
    assert due("ru", "rectification", received, tz="Europe/Moscow") == end_of(
        date(2026, 3, 16), MOSCOW
    )  # Thu 5, Fri 6, (Mon 9 off for Sun 8 Mar), Tue 10 .. Fri 13, Mon 16 Mar is the 7th


def test_extension_adds_five_working_days_to_the_russian_access_answer() -> None:
    received = datetime(2026, 12, 30, 10, 0, tzinfo=MOSCOW)
    extended = due("ru", "subject_access_response", received, tz="Europe/Moscow", extended=True)
    assert extended == end_of(date(2027, 1, 29), MOSCOW)


def test_a_breach_notice_cannot_be_extended() -> None:
    with pytest.raises(LawfulError, match="cannot be extended") as caught:
        due("ru", "breach_initial_notice", datetime(2026, 1, 12, tzinfo=UTC), extended=True)
    assert not isinstance(caught.value, NeedsDecision)


@pytest.mark.parametrize(
    ("received", "expected", "extended"),
    [
        # One month from 31 January clamps to the last day of February, same time of day.
        (
            datetime(2027, 1, 31, 10, 0, tzinfo=BERLIN),
            datetime(2027, 2, 28, 10, 0, tzinfo=BERLIN),
            False,
        ),
        (
            datetime(2028, 1, 31, 10, 0, tzinfo=BERLIN),
            datetime(2028, 2, 29, 10, 0, tzinfo=BERLIN),
            False,
        ),
        (
            datetime(2027, 3, 15, 9, 0, tzinfo=BERLIN),
            datetime(2027, 4, 15, 9, 0, tzinfo=BERLIN),
            False,
        ),
        # +2 months: three months in all, clamped to 30 April.
        (
            datetime(2027, 1, 31, 10, 0, tzinfo=BERLIN),
            datetime(2027, 4, 30, 10, 0, tzinfo=BERLIN),
            True,
        ),
    ],
)
def test_gdpr_answer_is_one_month_extendable_by_two(
    received: datetime, expected: datetime, extended: bool
) -> None:
    answer_by = due(
        "eu", "subject_request_response", received, tz="Europe/Berlin", extended=extended
    )
    assert answer_by == expected


def test_hours_rule_crossing_midnight_is_reported_in_the_local_zone() -> None:
    # 22:30 UTC on 1 June is 01:30 on 2 June in Moscow; 24 hours later is 01:30 on 3 June.
    detected = datetime(2026, 6, 1, 22, 30, tzinfo=UTC)
    notify_by = due("ru", "breach_initial_notice", detected, tz="Europe/Moscow")
    assert notify_by == datetime(2026, 6, 3, 1, 30, tzinfo=MOSCOW)
    assert notify_by.utcoffset() == MOSCOW.utcoffset(notify_by)


def test_hours_add_to_the_instant_across_a_daylight_saving_change() -> None:
    # Clocks go forward on 29 March 2026: 72 real hours after Fri 12:00 CET is Mon 13:00 CEST.
    aware = datetime(2026, 3, 27, 12, 0, tzinfo=BERLIN)
    assert due("eu", "breach_notice_authority", aware, tz="Europe/Berlin") == datetime(
        2026, 3, 30, 13, 0, tzinfo=BERLIN
    )


def test_calendar_days_keep_the_wall_clock_time_across_daylight_saving() -> None:
    achieved = datetime(2026, 3, 20, 12, 0, tzinfo=BERLIN)
    assert due("ru", "destroy_after_purpose", achieved, tz="Europe/Berlin") == datetime(
        2026, 4, 19, 12, 0, tzinfo=BERLIN
    )


def test_immediate_rule_is_due_at_the_start() -> None:
    received = datetime(2026, 5, 5, 9, 0, tzinfo=UTC)
    blocked_by = due("ru", "block_on_request", received, tz="Europe/Moscow")
    assert blocked_by == received
    assert blocked_by.tzinfo == MOSCOW


def test_a_rule_that_must_precede_an_event_has_no_computable_deadline() -> None:
    with pytest.raises(LawfulError, match="before first_transfer"):
        due("ru", "cross_border_notice", datetime(2026, 5, 5, tzinfo=UTC))


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due("ru", "subject_access_response", datetime(2026, 5, 5, 9, 0))  # noqa: DTZ001


UNDECIDED = [
    (key, name)
    for key, name in all_rules()
    if rule(key, name).status == "unconfirmed"
    or (rule(key, name).days is not None and rule(key, name).unit is None)
    or not (rule(key, name).has_figure or rule(key, name).immediate or rule(key, name).before)
]


@pytest.mark.parametrize(("jurisdiction", "name"), UNDECIDED)
def test_every_unconfirmed_or_incomplete_figure_needs_a_decision(
    jurisdiction: str, name: str
) -> None:
    with pytest.raises(NeedsDecision) as caught:
        due(jurisdiction, name, datetime(2026, 5, 5, 9, 0, tzinfo=UTC))
    message = caught.value.message
    assert jurisdiction in message and name in message
    assert source_of(jurisdiction, name) in message


def test_undecided_rules_include_the_known_gaps() -> None:
    assert {
        ("ru", "stop_processing_on_demand"),
        ("ru", "distribution_stop_on_demand"),
        ("kz", "subject_access_response"),
        ("ge", "subject_access_response"),
        ("vn", "withdrawal_restriction_objection"),
    } <= set(UNDECIDED)


def test_operator_override_resolves_an_unconfirmed_rule() -> None:
    demanded = datetime(2026, 12, 30, 10, 0, tzinfo=MOSCOW)
    override = RuleOverride(days=10, unit="working")
    stop_by = due(
        "ru", "stop_processing_on_demand", demanded, tz="Europe/Moscow", override=override
    )
    assert stop_by == end_of(date(2027, 1, 22), MOSCOW)


def test_operator_override_of_an_unknown_unit_takes_the_operators_reading() -> None:
    received = datetime(2026, 6, 1, 9, 0, tzinfo=ZoneInfo("Asia/Tbilisi"))
    calendar_days = RuleOverride(days=10, unit="calendar")
    assert due(
        "ge", "subject_access_response", received, tz="Asia/Tbilisi", override=calendar_days
    ) == datetime(2026, 6, 11, 9, 0, tzinfo=ZoneInfo("Asia/Tbilisi"))


@pytest.mark.parametrize(
    ("override", "expected"),
    [  # the operator's stricter 10 days win; a looser 60 do not displace the law's 30
        (RuleOverride(days=10, unit="calendar"), datetime(2026, 3, 12, 9, 0, tzinfo=MOSCOW)),
        (RuleOverride(days=60, unit="calendar"), datetime(2026, 4, 1, 9, 0, tzinfo=MOSCOW)),
    ],
)
def test_an_override_of_a_known_figure_can_only_shorten_it(
    override: RuleOverride, expected: datetime
) -> None:
    withdrawn = datetime(2026, 3, 2, 9, 0, tzinfo=MOSCOW)
    got = due("ru", "destroy_after_withdrawal", withdrawn, tz="Europe/Moscow", override=override)
    assert got == expected


@pytest.mark.parametrize(
    "fields",
    [{}, {"days": 5}, {"hours": 5, "unit": "working"}, {"days": 5, "hours": 2, "unit": "working"}],
)
def test_an_incomplete_override_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # pydantic.ValidationError is a ValueError
        RuleOverride.model_validate(fields)


def test_strictest_due_picks_russias_ten_working_days_over_the_gdpr_month() -> None:
    received = datetime(2026, 12, 30, 10, 0, tzinfo=MOSCOW)
    names = {"ru": "subject_access_response", "eu": "subject_request_response"}
    deadline, winner = strictest_due(["eu", "ru", "kz"], names, received, tz="Europe/Moscow")
    assert (deadline, winner) == (end_of(date(2027, 1, 22), MOSCOW), "ru")


def test_strictest_due_picks_the_gdpr_month_when_it_ends_first() -> None:
    # 30 calendar days from 1 Feb 2027 is 3 March; one month is 1 March.
    achieved = datetime(2027, 2, 1, 10, 0, tzinfo=MOSCOW)
    names = {"ru": "destroy_after_purpose", "eu": "subject_request_response"}
    assert strictest_due(["ru", "eu"], names, achieved, tz="Europe/Moscow") == (
        datetime(2027, 3, 1, 10, 0, tzinfo=MOSCOW),
        "eu",
    )


def test_strictest_due_skips_jurisdictions_without_the_rule_and_uses_overrides() -> None:
    received = datetime(2026, 12, 30, 10, 0, tzinfo=MOSCOW)
    names = {"ru": "subject_access_response", "ge": "subject_access_response", "vn": "nope"}
    overrides = {"ge": RuleOverride(days=10, unit="calendar")}
    assert strictest_due(
        ["ru", "ge", "vn"], names, received, tz="Europe/Moscow", overrides=overrides
    ) == (datetime(2027, 1, 9, 10, 0, tzinfo=MOSCOW), "ge")


def test_strictest_due_needs_a_decision_when_one_figure_is_missing() -> None:
    with pytest.raises(NeedsDecision):
        strictest_due(
            ["ru", "ge"],
            {"ru": "subject_access_response", "ge": "subject_access_response"},
            datetime(2026, 12, 30, 10, 0, tzinfo=MOSCOW),
        )


# --- adequacy ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("jurisdiction", "country", "expected"),
    [
        ("ru", "RU", True),  # domestic
        ("ru", "de", True),  # Convention 108 party; codes are case-insensitive
        ("ru", "AR", True),  # non-European Convention 108 party
        ("ru", "VN", None),  # Order No. 128 status not confirmed
        ("ru", "KZ", None),
        ("ru", "GE", None),
        ("ru", "CN", None),  # Order No. 128 not retrieved: not known either way
        ("eu", "FR", True),  # EEA
        ("eu", "NO", True),
        ("eu", "JP", True),  # adequacy decision
        ("eu", "GB", True),
        ("eu", "CN", False),
        ("eu", "RU", False),
        ("eu", "US", None),  # only DPF-certified recipients
        ("kz", "KZ", True),
        ("kz", "RU", None),
        ("vn", "VN", True),
        ("vn", "SG", None),
        ("ge", "GE", True),
        ("ge", "DE", None),
    ],
)
def test_adequacy_of_transfer_destinations(
    jurisdiction: str, country: str, expected: bool | None
) -> None:
    assert adequate(jurisdiction, country) is expected


def test_adequacy_refuses_a_code_that_is_not_a_country() -> None:
    with pytest.raises(NotFound):
        adequate("eu", "XX")


# --- special categories --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("jurisdiction", "key", "special"),
    [
        ("ru", "user.health_and_medical", True),
        ("ru", "user.health_and_medical.record_id", True),  # below a special key
        ("ru", "user.demographic.race_ethnicity", True),
        ("ru", "user.demographic.political_opinion", True),
        ("ru", "user.biometric.fingerprint", True),
        ("ru", "user.demographic", False),  # the parent is not itself special
        ("ru", "user.demographic.age_range", False),
        ("ru", "user.contact.email", False),
        ("ru", "user.criminal_history", False),  # not in 152-FZ Art. 10(1)
        ("vn", "user.criminal_history", True),
        ("vn", "user.location.precise", True),
        ("vn", "user.location.imprecise", False),
        ("vn", "user.financial.credit_card", True),
        ("vn", "user.government_id.passport_number", True),
        ("eu", "user.health_and_medical.genetic", True),
        ("eu", "user.financial", False),
        ("kz", "user.health_and_medical", False),  # no statutory special category
    ],
)
def test_is_special_uses_prefix_semantics(jurisdiction: str, key: str, special: bool) -> None:
    assert is_special(jurisdiction, key) is special


def test_georgian_special_categories_need_a_decision() -> None:
    with pytest.raises(NeedsDecision, match="unconfirmed"):
        special_categories("ge")


def test_trade_union_membership_has_no_fideslang_equivalent() -> None:
    assert unmapped_special_categories("eu") == ("trade_union",)
    assert unmapped_special_categories("ru") == ()


def test_every_mapped_category_exists_in_the_fideslang_taxonomy() -> None:
    taxonomy_file = Path(lawful.__file__).parent / "config/data/fideslang_taxonomy.json"
    known = set(json.loads(taxonomy_file.read_text(encoding="utf-8"))["data_category"])
    mapped = {key for j in ("ru", "kz", "vn", "eu") for key in special_categories(j)}
    assert mapped and mapped <= known


def test_extension_also_stretches_an_override_that_fills_a_gap() -> None:
    demanded = datetime(2026, 12, 30, 10, 0, tzinfo=MOSCOW)
    stop_by = due(
        "ru",
        "stop_processing_on_demand",
        demanded,
        tz="Europe/Moscow",
        override=RuleOverride(days=10, unit="working"),
        extended=True,
    )
    assert stop_by == end_of(date(2027, 1, 29), MOSCOW)
