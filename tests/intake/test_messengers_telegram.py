"""The Telegram webhook: the secret header checked in constant time, each update sealed before
it is read, the sender linked by their user id, a request opened and acknowledged through the
Bot API (a local fake with its documented shapes). On both backends."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from lawful.audit.models import AuditEvent
from lawful.context import Lawful
from lawful.intake import flows as intake_flows
from lawful.intake import service
from lawful.intake.messengers import flows
from lawful.intake.messengers.telegram import Telegram
from lawful.intake.models import IntakeMessage
from lawful.requests.models import Request
from lawful.subjects import service as subjects
from tests.intake.messenger_fake import (
    TG_SECRET,
    Messengers,
    client_for,
    telegram_update,
)

HEADER = "X-Telegram-Bot-Api-Secret-Token"
USER = 777_000_123
ERASE = "Здравствуйте! Удалите, пожалуйста, все мои персональные данные."


def stored(lawful: Lawful) -> list[IntakeMessage]:
    with lawful.sessions() as session:
        return list(session.scalars(sa.select(IntakeMessage)))


def known_person(lawful: Lawful) -> str:
    with lawful.sessions.begin() as session:
        return subjects.create_subject(
            session=session, ring=lawful.ring, identifiers={"telegram": str(USER)}, actor="test"
        )


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", TG_SECRET + "x"])
def test_it_refuses_a_wrong_secret_and_stores_nothing(
    client: TestClient, lawful: Lawful, secret: str | None
) -> None:
    headers = {HEADER: secret} if secret is not None else {}
    answer = client.post(
        "/channels/telegram", json=telegram_update(1, USER, ERASE), headers=headers
    )
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == HEADER
    assert TG_SECRET not in answer.text
    assert stored(lawful) == []
    # the service keeps running
    good = client.post(
        "/channels/telegram", json=telegram_update(2, USER, "hi"), headers={HEADER: TG_SECRET}
    )
    assert good.status_code == 200


def test_an_unset_secret_refuses_every_call(lawful: Lawful) -> None:
    from dataclasses import replace

    lawful.settings = replace(
        lawful.settings,
        messengers=replace(lawful.settings.messengers, telegram_webhook_secret=None),
    )
    with client_for(lawful) as client:
        answer = client.post(
            "/channels/telegram", json=telegram_update(1, USER, ERASE), headers={HEADER: ""}
        )
    assert answer.status_code == 401
    assert stored(lawful) == []


def test_an_erasure_request_is_sealed_linked_opened_and_acknowledged(
    client: TestClient, lawful: Lawful, apis: tuple[Messengers, str]
) -> None:
    person = known_person(lawful)
    body = json.dumps(telegram_update(5, USER, ERASE), ensure_ascii=False).encode()
    answer = client.post("/channels/telegram", content=body, headers={HEADER: TG_SECRET})
    assert answer.status_code == 200 and answer.json() == {"stored": 1}
    [message] = stored(lawful)
    assert message.channel == "telegram"
    assert message.subject_id == person
    assert message.label == "erasure" and message.state == "routed"
    assert ERASE.encode() not in message.sealed and "Удалите".encode() not in message.sealed
    with lawful.sessions() as session:
        opened = service.key_of(lawful.ring, message).open_bytes(message.sealed, "raw")
        request = session.get_one(Request, message.request_id)
    assert opened == body  # the update's exact bytes
    assert (request.kind, request.channel, request.identifier_kind) == (
        "erasure",
        "telegram",
        "telegram",
    )
    assert request.subject_id == person
    [reply] = apis[0].telegram
    assert reply["chat_id"] == str(USER)
    assert request.id[:8] in reply["text"] and "обращение" in reply["text"]


def test_a_retried_update_is_stored_once(
    client: TestClient, lawful: Lawful, apis: tuple[Messengers, str]
) -> None:
    update = telegram_update(9, USER, ERASE)
    first = client.post("/channels/telegram", json=update, headers={HEADER: TG_SECRET})
    again = client.post("/channels/telegram", json=update, headers={HEADER: TG_SECRET})
    assert (first.json(), again.json()) == ({"stored": 1}, {"stored": 0})
    assert len(stored(lawful)) == 1
    assert len(apis[0].telegram) == 1  # acknowledged once
    with lawful.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Request)) == 1


def test_updates_without_a_message_are_acknowledged_not_stored(
    client: TestClient, lawful: Lawful
) -> None:
    callback = {"update_id": 3, "callback_query": {"id": "1", "from": {"id": USER}}}
    answer = client.post("/channels/telegram", json=callback, headers={HEADER: TG_SECRET})
    assert answer.status_code == 200 and answer.json() == {"stored": 0}
    assert stored(lawful) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "body"),
        (b'{"message": {}}', "update_id"),
        (b'{"update_id": 4, "message": {"text": "no sender"}}', "message.from"),
    ],
)
def test_a_malformed_update_is_refused_naming_the_field(
    client: TestClient, lawful: Lawful, body: bytes, field: str
) -> None:
    answer = client.post("/channels/telegram", content=body, headers={HEADER: TG_SECRET})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == field
    assert stored(lawful) == []


def test_a_message_stored_before_a_crash_is_processed_by_the_worker(lawful: Lawful) -> None:
    """Stored, never processed (the process died): the intake's pending run finishes it."""
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    inbound = Telegram(lawful.settings.messengers).split(
        json.dumps(telegram_update(11, USER, ERASE)).encode()
    )
    [message_id] = flows.store(lawful, inbound, now=now)
    assert stored(lawful)[0].state == "received"

    class Outbox:
        def send(self, mail: object) -> None:
            raise AssertionError("no mail for a messenger request")

    states = intake_flows.process_pending(lawful, Outbox(), actor="worker", now=now, names=False)
    assert states == {"routed": 1}
    [message] = stored(lawful)
    assert (message.id, message.channel, message.label) == (message_id, "telegram", "erasure")


def test_a_failed_reply_loses_nothing_and_logs_no_personal_data(
    client: TestClient,
    lawful: Lawful,
    apis: tuple[Messengers, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    apis[0].fail_next.extend([400])  # a permanent failure: no retry
    caplog.set_level(logging.DEBUG)
    answer = client.post(
        "/channels/telegram", json=telegram_update(12, USER, ERASE), headers={HEADER: TG_SECRET}
    )
    assert answer.status_code == 200
    [message] = stored(lawful)
    assert message.state == "routed" and message.request_id is not None
    assert apis[0].telegram == []
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "reply not sent" in logged
    for secret_or_personal in (str(USER), "Удалите", TG_SECRET, "fake-bot-token"):
        assert secret_or_personal not in logged


def test_the_journal_holds_no_handle_and_no_text(client: TestClient, lawful: Lawful) -> None:
    known_person(lawful)
    client.post(
        "/channels/telegram", json=telegram_update(13, USER, ERASE), headers={HEADER: TG_SECRET}
    )
    with lawful.sessions() as session:
        events = list(session.scalars(sa.select(AuditEvent)))
    journal = " ".join(e.body for e in events)
    assert "collect" in {e.action for e in events}
    assert str(USER) not in journal and "Удалите" not in journal
