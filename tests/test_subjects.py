"""The domain API: record under declared purposes, find, export, block, destroy."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from lawful import audit
from lawful.crypto.keyring import Keyring
from lawful.errors import NotFound, PolicyViolation
from lawful.subjects import service as subjects
from lawful.subjects.models import PersonalValue
from tests.conftest import DeclaredPurposes

EMAIL = "Anna.Petrova@Example.RU"


def _new_person(sessions: sessionmaker[Session], ring: Keyring, declared: DeclaredPurposes) -> str:
    with sessions.begin() as session:
        sid = subjects.create_subject(
            session=session,
            ring=ring,
            actor="test",
            identifiers={"email": EMAIL, "phone": "+7 912 345-67-89"},
        )
        subjects.record(
            session=session,
            ring=ring,
            policy=declared,
            subject_id=sid,
            purpose="inquiry",
            actor="test",
            values={"user.name": "Анна Петрова", "user.contact.email": EMAIL},
        )
    return sid


def test_a_subject_is_found_by_case_folded_email_and_by_phone_in_any_format(
    sessions, ring, declared
):
    sid = _new_person(sessions, ring, declared)
    with sessions.begin() as session:
        assert (
            subjects.find_subject(
                session=session, ring=ring, kind="email", value="anna.petrova@example.ru"
            )
            == sid
        )
        assert (
            subjects.find_subject(
                session=session,
                ring=ring,
                kind="phone",
                value="8 (912) 345 67 89",
                default_region="RU",
            )
            == sid
        )
        assert (
            subjects.find_subject(
                session=session, ring=ring, kind="email", value="someone.else@example.ru"
            )
            is None
        )


def test_export_returns_every_value_decrypted_by_purpose(sessions, ring, declared):
    sid = _new_person(sessions, ring, declared)
    with sessions.begin() as session:
        export = subjects.export_subject(session=session, ring=ring, subject_id=sid, actor="dpo")
    assert export.by_purpose() == {
        "inquiry": {"user.name": ["Анна Петрова"], "user.contact.email": [EMAIL]}
    }


def test_it_refuses_an_undeclared_purpose_and_changes_nothing(sessions, ring, declared):
    sid = _new_person(sessions, ring, declared)
    with pytest.raises(PolicyViolation) as err, sessions.begin() as session:
        subjects.record(
            session=session,
            ring=ring,
            policy=declared,
            subject_id=sid,
            purpose="profiling",
            values={"user.name": "x"},
            actor="test",
        )
    assert err.value.field == "purpose"
    with sessions.begin() as session:
        assert session.query(PersonalValue).count() == 2


def test_it_refuses_a_category_the_purpose_does_not_use(sessions, ring, declared):
    sid = _new_person(sessions, ring, declared)
    with pytest.raises(PolicyViolation) as err, sessions.begin() as session:
        subjects.record(
            session=session,
            ring=ring,
            policy=declared,
            subject_id=sid,
            purpose="marketing",
            values={"user.contact.phone_number": "+79123456789"},
            actor="test",
        )
    assert err.value.field == "user.contact.phone_number"
    assert "+7912" not in str(err.value)


def test_a_blocked_subject_gets_no_new_data_until_unblocked(sessions, ring, declared):
    sid = _new_person(sessions, ring, declared)
    with sessions.begin() as session:
        subjects.set_blocked(
            session=session, subject_id=sid, blocked=True, actor="dpo", reason="accuracy disputed"
        )
    with pytest.raises(PolicyViolation), sessions.begin() as session:
        subjects.record(
            session=session,
            ring=ring,
            policy=declared,
            subject_id=sid,
            purpose="marketing",
            values={"user.contact.email": EMAIL},
            actor="t",
        )
    with sessions.begin() as session:
        subjects.set_blocked(
            session=session, subject_id=sid, blocked=False, actor="dpo", reason="verified"
        )
        subjects.record(
            session=session,
            ring=ring,
            policy=declared,
            subject_id=sid,
            purpose="marketing",
            values={"user.contact.email": EMAIL},
            actor="t",
        )


def test_an_identifier_cannot_belong_to_two_subjects(sessions, ring, declared):
    _new_person(sessions, ring, declared)
    with pytest.raises(PolicyViolation) as err, sessions.begin() as session:
        subjects.create_subject(
            session=session, ring=ring, actor="t", identifiers={"email": EMAIL.lower()}
        )
    assert EMAIL.lower() not in str(err.value)


def test_destroy_removes_every_row_and_journals_it(engine, sessions, ring, declared):
    sid = _new_person(sessions, ring, declared)
    with sessions.begin() as session:
        result = subjects.destroy_subject(
            session=session, subject_id=sid, actor="dpo", reason="erasure request"
        )
    assert result.values == 2
    with sessions.begin() as session:
        assert subjects.find_subject(session=session, ring=ring, kind="email", value=EMAIL) is None
        with pytest.raises(NotFound):
            subjects.export_subject(session=session, ring=ring, subject_id=sid, actor="dpo")
    assert audit.verify(engine).ok


def test_bulk_recording_creates_findable_subjects_with_one_event_each(
    engine, sessions, ring, declared
):
    people = [
        subjects.NewSubject(
            {"email": f"p{i}@example.kz"},
            "inquiry",
            {"user.contact.email": f"p{i}@example.kz", "user.name": f"Person {i}"},
        )
        for i in range(50)
    ]
    with sessions.begin() as session:
        ids = subjects.record_bulk(
            session=session, ring=ring, policy=declared, people=people, actor="import"
        )
    with sessions.begin() as session:
        assert (
            subjects.find_subject(session=session, ring=ring, kind="email", value="P17@example.kz")
            == ids[17]
        )
    result = audit.verify(engine)
    assert result.ok and result.events == 50


def test_destroying_one_purpose_keeps_what_other_purposes_hold(sessions, ring, declared):
    sid = _new_person(sessions, ring, declared)
    with sessions.begin() as session:
        subjects.record(
            session=session,
            ring=ring,
            policy=declared,
            subject_id=sid,
            purpose="marketing",
            values={"user.contact.email": EMAIL},
            actor="t",
        )
        removed = subjects.destroy_purpose_values(
            session=session,
            subject_id=sid,
            purpose="marketing",
            actor="t",
            reason="consent withdrawn",
        )
    assert removed == 1
    with sessions.begin() as session:
        export = subjects.export_subject(session=session, ring=ring, subject_id=sid, actor="t")
    assert set(export.by_purpose()) == {"inquiry"}


@pytest.mark.parametrize(
    "address",
    [
        "A.B@Example.COM",
        "a+tag@sub.example.org",
        "x@test",
        "x@example.local",
        "a..b@x.com",
        ".a@x.com",
        "a@-x.com",
        "a@x.c",
        "a@x.co1",
        "a@localhost",
        "Ivan_Petrov%1@mail.ru",
        "анна@пример.рф",
        "a@x.invalid",
        "very.long." + "l" * 60 + "@example.com",
        "a@[127.0.0.1]",
        '"quoted"@example.com',
        "trailing.@example.com",
    ],
)
def test_the_email_shortcut_agrees_with_the_full_validator(address):
    from email_validator import EmailNotValidError, validate_email

    from lawful.crypto.normalise import normalise_identifier, plain_email

    try:
        expected: str | None = validate_email(
            address, check_deliverability=False
        ).normalized.casefold()
    except EmailNotValidError:
        expected = None
    shortcut = plain_email(address)
    assert shortcut is None or shortcut == expected
    if expected is None:
        with pytest.raises(PolicyViolation):
            normalise_identifier("email", address)
    else:
        assert normalise_identifier("email", address) == expected


def test_the_email_shortcut_agrees_on_thousands_of_realistic_addresses():
    from email_validator import validate_email
    from faker import Faker

    from lawful.crypto.normalise import plain_email

    fake = Faker(["en_US", "ru_RU", "vi_VN"])
    fake.seed_instance(7)
    for _ in range(3000):
        address = fake.email()
        shortcut = plain_email(address)
        assert shortcut is not None
        assert shortcut == validate_email(address, check_deliverability=False).normalized.casefold()
