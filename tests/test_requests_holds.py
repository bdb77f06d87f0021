"""Legal holds in erasure requests: a hold declared in lawful.yaml, or placed on one person,
keeps the data it covers, and the answer says so (declared holds with their reason)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lawful.config.init import write_starter_config
from lawful.context import Lawful, open_lawful
from lawful.crypto.keyfile import generate_master_key_file
from lawful.mail import SmtpMailer
from lawful.requests import flows, service
from lawful.retention import service as retention
from lawful.settings import Settings
from lawful.subjects import service as subjects
from tests.requests_support import Inbox, add_person, record, smtp_server

EMAIL = "pavel.orlov@example.org"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CASE = "Court case A40-1/2026: the order file is evidence"


def _open(tmp_path: Path, database_url: str, hold: str | None) -> Lawful:
    config = write_starter_config(tmp_path / "lawful.yaml", "ru-design-studio")
    if hold is not None:  # a hold declared on the order_details purpose
        text = config.read_text(encoding="utf-8")
        marker = "      event: order_closed\n"
        assert marker in text
        config.write_text(
            text.replace(marker, f"{marker}      legal_hold: '{hold}'\n", 1), encoding="utf-8"
        )
    settings = replace(
        Settings.from_env({}, data_dir=tmp_path), config_path=config, database_url=database_url
    )
    generate_master_key_file(settings.master_key_path)
    return open_lawful(settings)


@pytest.fixture
def mail() -> Iterator[tuple[Inbox, SmtpMailer]]:
    with smtp_server() as (inbox, url):
        yield inbox, SmtpMailer(url, "privacy@example.com")


def _erase(lawful: Lawful, inbox: Inbox, mailer: SmtpMailer) -> tuple[flows.fulfil.Outcome, str]:
    intake = service.Intake(kind="erasure", identifier_kind="email", identifier=EMAIL)
    request = flows.submit(lawful, mailer, intake, actor="api", now=NOW)
    flows.verify(lawful, request.id, inbox.code_for(EMAIL), now=NOW + timedelta(minutes=1))
    outcome = flows.act(lawful, mailer, request.id, actor="dpo", now=NOW + timedelta(hours=1))
    text = flows.complete(lawful, mailer, request.id, actor="dpo", now=NOW + timedelta(hours=2))
    return outcome, text


def _left(lawful: Lawful, subject_id: str) -> set[str]:
    with lawful.sessions() as session:
        export = subjects.export_subject(
            session=session, ring=lawful.ring, subject_id=subject_id, actor="t"
        )
    return {v.purpose for v in export.values}


def test_a_hold_declared_in_the_config_keeps_its_purpose_and_the_answer_gives_its_reason(
    tmp_path, database_url, mail
):
    inbox, mailer = mail
    lawful = _open(tmp_path, database_url, CASE)
    try:
        subject_id = add_person(lawful, EMAIL, {"user.name": "Pavel Orlov"})
        record(lawful, subject_id, {"user.contact.email": EMAIL}, "newsletters")
        outcome, text = _erase(lawful, inbox, mailer)
        assert outcome.outcome == "partly_granted"
        assert CASE in text and "legal hold" in text and "newsletters" in text
        assert _left(lawful, subject_id) == {"order_details"}
    finally:
        lawful.close()


def test_a_hold_placed_on_the_person_refuses_erasure_without_telling_the_case(
    tmp_path, database_url, mail
):
    inbox, mailer = mail
    lawful = _open(tmp_path, database_url, None)
    try:
        subject_id = add_person(lawful, EMAIL, {"user.name": "Pavel Orlov"})
        with lawful.sessions.begin() as session:
            retention.place_hold(
                session=session,
                policy=lawful.require_policy(),
                subject_id=subject_id,
                purpose=None,
                reason="Investigator's demand No. 77-secret",
                at=NOW,
                actor="dpo",
            )
        outcome, text = _erase(lawful, inbox, mailer)
        assert outcome.outcome == "refused"
        assert "legal hold" in text and "77-secret" not in text
        assert _left(lawful, subject_id) == {"order_details"}
    finally:
        lawful.close()


def test_without_holds_the_erasure_destroys_everything(tmp_path, database_url, mail):
    inbox, mailer = mail
    lawful = _open(tmp_path, database_url, None)
    try:
        subject_id = add_person(lawful, EMAIL, {"user.name": "Pavel Orlov"})
        outcome, text = _erase(lawful, inbox, mailer)
        assert outcome.outcome == "granted" and "legal hold" not in text
        with lawful.sessions() as session:
            assert service.holds_on(session, lawful.require_policy(), subject_id) == []
    finally:
        lawful.close()
