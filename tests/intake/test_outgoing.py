"""Outgoing messages are checked against consent and objections before they leave; a refused
send says why and sends nothing; a sent one is journalled without the address or the text.
Library and API, on both backends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from lawful.audit.models import AuditEvent
from lawful.consent import service as consent
from lawful.context import Lawful
from lawful.documents import flows as documents_flows
from lawful.documents import service as documents
from lawful.errors import SendRefused
from lawful.intake import messengers, outgoing
from lawful.subjects import service as subjects
from tests.intake.messenger_fake import (
    Messengers,
    client_for,
    open_messaging,
)
from tests.intake.test_import import Outbox

NOW = datetime(2026, 11, 5, 10, 0, tzinfo=UTC)
EMAIL = "aigerim@example.kz"
TG_USER = "555000111"
TOKEN = "operator-token"


@pytest.fixture
def lawful(tmp_path: Path, database_url: str, apis: tuple[Messengers, str]) -> Iterator[Lawful]:
    from dataclasses import replace

    opened = open_messaging(tmp_path, database_url, apis[1])
    opened.settings = replace(opened.settings, operator_token=TOKEN)
    documents_flows.publish_and_flag(opened, actor="test")
    yield opened
    opened.close()


@pytest.fixture
def someone(lawful: Lawful) -> str:
    with lawful.sessions.begin() as session:
        return subjects.create_subject(
            session=session,
            ring=lawful.ring,
            identifiers={"email": EMAIL, "telegram": TG_USER},
            actor="test",
        )


def consent_to_promotions(lawful: Lawful, subject_id: str) -> None:
    policy = lawful.require_policy()
    with lawful.sessions.begin() as session:
        document = documents.current(
            session=session, kind="consent-promotions", language=policy.operator.languages[0]
        )
        assert document is not None
        consent.give(
            session=session,
            ring=lawful.ring,
            policy=policy,
            subject_id=subject_id,
            purpose="promotions",
            document=document.ref,
            method="checkbox",
            channel="web_form",
            evidence=consent.Evidence(
                ip="203.0.113.9", user_agent="UA", form_id="f", page_url="https://x.example/"
            ),
            now=NOW,
            actor="test",
        )


def object_to_promotions(lawful: Lawful, subject_id: str) -> None:
    with lawful.sessions.begin() as session:
        consent.object_to(
            session=session,
            policy=lawful.require_policy(),
            subject_id=subject_id,
            purpose="promotions",
            channel="telegram",
            now=NOW,
            actor="test",
            method="objection",
        )


def offer(
    channel: str = "email",
    to: str = EMAIL,
    purpose: str = "promotions",
    kind: outgoing.Kind = "marketing",
) -> outgoing.Outgoing:
    return outgoing.Outgoing(
        channel=channel, to=to, purpose=purpose, kind=kind, text="-20% this week", subject="Offer"
    )


def send(lawful: Lawful, message: outgoing.Outgoing, outbox: Outbox) -> outgoing.Checked:
    return outgoing.send(
        lawful,
        message,
        mailer=outbox,
        adapters=messengers.adapters(lawful.settings.messengers),
        actor="test",
        now=NOW,
    )


def uses(lawful: Lawful) -> list[AuditEvent]:
    with lawful.sessions() as session:
        return list(session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "use")))


def test_it_refuses_marketing_without_consent(lawful: Lawful, someone: str) -> None:
    outbox = Outbox()
    with pytest.raises(SendRefused) as refused:
        send(lawful, offer(), outbox)
    assert refused.value.reason == "refused:no-consent"
    assert refused.value.field == "to"
    assert EMAIL not in refused.value.message
    assert outbox.sent == [] and uses(lawful) == []


def test_it_sends_marketing_with_consent_and_journals_it_without_the_address(
    lawful: Lawful, someone: str
) -> None:
    consent_to_promotions(lawful, someone)
    outbox = Outbox()
    checked = send(lawful, offer(), outbox)
    assert checked.eligibility.reason == "allowed:consent"
    assert [m.to for m in outbox.sent] == [EMAIL]
    [event] = uses(lawful)
    assert event.subject_ref == someone
    assert EMAIL not in event.body and "-20%" not in event.body
    assert json.loads(event.body)["purpose"] == "promotions"


def test_an_objection_stops_marketing_even_after_consent(lawful: Lawful, someone: str) -> None:
    consent_to_promotions(lawful, someone)
    object_to_promotions(lawful, someone)
    with pytest.raises(SendRefused) as refused:
        send(lawful, offer(), Outbox())
    # On a consent purpose an objection is a refusal: the consent no longer counts.
    assert refused.value.reason == "refused:no-consent"


def test_marketing_under_a_service_purpose_is_refused(lawful: Lawful, someone: str) -> None:
    with pytest.raises(SendRefused) as refused:
        send(lawful, offer(purpose="support"), Outbox())
    assert (refused.value.reason, refused.value.field) == (
        "refused:not-marketing-purpose",
        "purpose",
    )


def test_a_service_notification_goes_out_on_its_contract_basis(
    lawful: Lawful, someone: str, apis: tuple[Messengers, str]
) -> None:
    checked = send(lawful, offer("telegram", TG_USER, "support", "notification"), Outbox())
    assert checked.eligibility.reason == "allowed:contract"
    [sent] = apis[0].telegram
    assert sent["chat_id"] == TG_USER and sent["text"] == "-20% this week"


def test_nobody_known_is_sent_nothing(lawful: Lawful) -> None:
    with pytest.raises(SendRefused) as refused:
        send(
            lawful,
            offer(to="stranger@example.kz", purpose="support", kind="notification"),
            Outbox(),
        )
    assert refused.value.reason == "refused:unknown-subject"


def test_an_undeclared_purpose_is_refused_naming_the_field(lawful: Lawful, someone: str) -> None:
    from lawful.errors import PolicyViolation

    with pytest.raises(PolicyViolation) as refused:
        send(lawful, offer(purpose="lottery"), Outbox())
    assert refused.value.field == "purpose"


def test_the_api_refuses_with_a_problem_that_says_why(lawful: Lawful, someone: str) -> None:
    body = {
        "channel": "email",
        "to": EMAIL,
        "purpose": "promotions",
        "kind": "marketing",
        "text": "hi",
    }
    with client_for(lawful) as client:
        client.app.state.requests_mailer = Outbox()  # type: ignore[attr-defined]
        assert client.post("/api/v1/outgoing", json=body).status_code == 401
        auth = {"Authorization": f"Bearer {TOKEN}"}
        answer = client.post("/api/v1/outgoing", json=body, headers=auth)
        assert answer.status_code == 422
        problem = answer.json()
        assert problem["type"] == "urn:lawful:problem:send-refused"
        assert problem["errors"][0] == {
            "field": "to",
            "message": "the message may not be sent (refused:no-consent)",
            "code": "refused:no-consent",
        }
        assert EMAIL not in answer.text
        consent_to_promotions(lawful, someone)
        sent = client.post("/api/v1/outgoing", json=body, headers=auth)
        assert sent.status_code == 200 and sent.json() == {
            "sent": True,
            "reason": "allowed:consent",
        }
        assert [m.to for m in client.app.state.requests_mailer.sent] == [EMAIL]  # type: ignore[attr-defined]
