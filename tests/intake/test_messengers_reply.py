"""The operator answers a messenger message through its messenger; a bug while processing in
the background leaves the message to be resumed and logs no text. On both backends."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from lawful.audit.models import AuditEvent
from lawful.context import Lawful
from lawful.intake import service
from lawful.intake.models import IntakeMessage
from tests.intake.messenger_fake import (
    KOMMO_SECRET,
    TG_SECRET,
    Messengers,
    client_for,
    telegram_update,
    wa_signature,
    whatsapp_event,
)

TOKEN = "operator-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ANSWER = "Ваш запрос выполнен, данные удалены."


@pytest.fixture
def operated(lawful: Lawful) -> Lawful:
    lawful.settings = replace(lawful.settings, operator_token=TOKEN)
    return lawful


def only_message(lawful: Lawful) -> IntakeMessage:
    with lawful.sessions() as session:
        return session.scalars(sa.select(IntakeMessage)).one()


def test_the_operator_answers_a_telegram_message_in_its_chat(
    operated: Lawful, apis: tuple[Messengers, str]
) -> None:
    with client_for(operated) as client:
        update = telegram_update(21, 4242, "Когда будет готов мой заказ?")
        client.post(
            "/channels/telegram",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
        )
        message = only_message(operated)
        path = f"/api/v1/intake/messages/{message.id}/reply"
        assert client.post(path, json={"text": ANSWER}).status_code == 401
        answer = client.post(path, json={"text": ANSWER}, headers=AUTH)
    assert answer.status_code == 200 and answer.json() == {"sent": True, "channel": "telegram"}
    assert apis[0].telegram[-1] == {"chat_id": "4242", "text": ANSWER}
    with operated.sessions() as session:
        [use] = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "use"))
    assert message.id in use.body and ANSWER not in use.body and "4242" not in use.body


def test_the_operator_answers_a_whatsapp_message_to_its_number(
    operated: Lawful, apis: tuple[Messengers, str]
) -> None:
    body = json.dumps(
        whatsapp_event(("77012223344", "wamid.R", "Hello, is the shop open?"))
    ).encode()
    with client_for(operated) as client:
        client.post(
            "/channels/whatsapp", content=body, headers={"X-Hub-Signature-256": wa_signature(body)}
        )
        message = only_message(operated)
        answer = client.post(
            f"/api/v1/intake/messages/{message.id}/reply", json={"text": "Yes"}, headers=AUTH
        )
    assert answer.json() == {"sent": True, "channel": "whatsapp"}
    assert apis[0].whatsapp[-1]["to"] == "77012223344"


def test_a_kommo_message_is_answered_in_kommo_and_unknown_ids_are_not_found(
    operated: Lawful,
) -> None:
    form = urlencode({"message[add][0][contact_id]": "77", "message[add][0][text]": "hi"})
    with client_for(operated) as client:
        client.post(
            f"/channels/kommo/{KOMMO_SECRET}",
            content=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        message = only_message(operated)
        kommo = client.post(
            f"/api/v1/intake/messages/{message.id}/reply", json={"text": "x"}, headers=AUTH
        )
        missing = client.post(
            "/api/v1/intake/messages/" + "0" * 32 + "/reply", json={"text": "x"}, headers=AUTH
        )
    assert kommo.status_code == 422 and kommo.json()["errors"][0]["field"] == "message_id"
    assert missing.status_code == 404


def test_a_bug_while_processing_leaves_the_message_to_resume_and_logs_no_text(
    lawful: Lawful, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    text = "Удалите мои данные, Асель Нурланова"

    def broken(**_: object) -> service.Routed:
        raise KeyError(text)  # a bug whose message quotes the person

    monkeypatch.setattr(service, "process", broken)
    caplog.set_level(logging.DEBUG)
    with client_for(lawful) as client:
        answer = client.post(
            "/channels/telegram",
            json=telegram_update(31, 99, text),
            headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
        )
        alive = client.get("/health")
    assert answer.status_code == 200 and alive.status_code == 200
    assert only_message(lawful).state == "received"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "KeyError" in logged and "Нурланова" not in logged and "Удалите" not in logged
