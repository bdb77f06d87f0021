"""WhatsApp (handshake, signature over the raw body, several messages per call, linking by
phone, replies through the Cloud API fake), Kommo chat messages on a secret path, and the
web chat with its signed visitor tokens. On both backends."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from lawful.context import Lawful
from lawful.intake.models import IntakeMessage
from lawful.requests.models import Request
from lawful.subjects import service as subjects
from tests.intake.messenger_fake import (
    KOMMO_SECRET,
    WA_VERIFY,
    Messengers,
    client_for,
    wa_signature,
    whatsapp_event,
)

WA_ID = "77011234567"
ERASE = "Please delete all my personal data."
SIG = "X-Hub-Signature-256"


def stored(lawful: Lawful) -> list[IntakeMessage]:
    with lawful.sessions() as session:
        return list(session.scalars(sa.select(IntakeMessage).order_by(IntakeMessage.label)))


def person(lawful: Lawful, kind: str, value: str) -> str:
    with lawful.sessions.begin() as session:
        return subjects.create_subject(
            session=session, ring=lawful.ring, identifiers={kind: value}, actor="test"
        )


# --- WhatsApp ------------------------------------------------------------------------------


def test_the_whatsapp_handshake_echoes_the_challenge_for_our_token(client: TestClient) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": WA_VERIFY, "hub.challenge": "1158201444"}
    answer = client.get("/channels/whatsapp", params=query)
    assert answer.status_code == 200
    assert answer.text == "1158201444"
    assert answer.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "not-ours", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
    ],
)
def test_the_whatsapp_handshake_refuses_another_token(
    client: TestClient, query: dict[str, str]
) -> None:
    answer = client.get("/channels/whatsapp", params=query)
    assert answer.status_code == 401
    assert "1" != answer.text and WA_VERIFY not in answer.text


def test_a_wrong_whatsapp_signature_stores_nothing(client: TestClient, lawful: Lawful) -> None:
    body = json.dumps(whatsapp_event((WA_ID, "wamid.1", ERASE))).encode()
    for signature in (
        None,
        "sha256=00",
        wa_signature(body, "another-secret"),
        wa_signature(body + b" "),
    ):
        headers = {SIG: signature} if signature else {}
        answer = client.post("/channels/whatsapp", content=body, headers=headers)
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"
    assert stored(lawful) == []


def test_each_whatsapp_message_is_stored_and_linked_by_phone(
    client: TestClient, lawful: Lawful, apis: tuple[Messengers, str]
) -> None:
    known = person(lawful, "phone", "+7 701 123 45 67")
    body = json.dumps(
        whatsapp_event(
            (WA_ID, "wamid.A", ERASE), ("77019999999", "wamid.B", "What are your opening hours?")
        )
    ).encode()
    answer = client.post("/channels/whatsapp", content=body, headers={SIG: wa_signature(body)})
    assert answer.status_code == 200 and answer.json() == {"stored": 2}
    messages = {m.label: m for m in stored(lawful)}
    assert set(messages) == {"erasure", "inquiry"}
    erasure = messages["erasure"]
    assert erasure.channel == "whatsapp" and erasure.subject_id == known
    assert messages["inquiry"].subject_id is None
    assert messages["inquiry"].purpose in ("message_processing", "support")
    with lawful.sessions() as session:
        request = session.get_one(Request, erasure.request_id)
    assert (request.channel, request.identifier_kind, request.subject_id) == (
        "whatsapp",
        "phone",
        known,
    )
    [reply] = apis[0].whatsapp
    assert reply["to"] == WA_ID and reply["messaging_product"] == "whatsapp"
    assert request.id[:8] in reply["text"]["body"]
    # Meta retries the same event: nothing new
    again = client.post("/channels/whatsapp", content=body, headers={SIG: wa_signature(body)})
    assert again.json() == {"stored": 0} and len(stored(lawful)) == 2


def test_a_status_only_event_is_acknowledged(client: TestClient, lawful: Lawful) -> None:
    event = whatsapp_event()
    body = json.dumps(event).encode()
    answer = client.post("/channels/whatsapp", content=body, headers={SIG: wa_signature(body)})
    assert answer.status_code == 200 and answer.json() == {"stored": 0}


# --- Kommo ---------------------------------------------------------------------------------


def kommo_body(contact: str, text: str, kind: str = "incoming") -> bytes:
    fields = {
        "id": "b1c2",
        "chat_id": "c-9",
        "talk_id": "31",
        "contact_id": contact,
        "text": text,
        "created_at": "1790000000",
        "element_type": "1",
        "entity_type": "contact",
        "element_id": contact,
        "entity_id": contact,
        "type": kind,
        "origin": "telegram",
    }
    pairs = {f"message[add][0][{k}]": v for k, v in fields.items()}
    pairs.update({"message[add][0][author][id]": "a-1", "message[add][0][author][name]": "Aigerim"})
    pairs.update({"account[id]": "29", "account[subdomain]": "dala"})
    return urlencode(pairs).encode()


def test_kommo_messages_are_accepted_only_on_the_secret_path(
    client: TestClient, lawful: Lawful, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for path in ("wrong", KOMMO_SECRET[:-1], KOMMO_SECRET + "0"):
        answer = client.post(
            f"/channels/kommo/{path}", content=kommo_body("4411", ERASE), headers=form
        )
        assert answer.status_code == 401
    assert stored(lawful) == []
    known = person(lawful, "kommo", "4411")
    answer = client.post(
        f"/channels/kommo/{KOMMO_SECRET}", content=kommo_body("4411", ERASE), headers=form
    )
    assert answer.status_code == 200 and answer.json() == {"stored": 1}
    [message] = stored(lawful)
    assert (message.channel, message.subject_id, message.label) == ("kommo", known, "erasure")
    outgoing = client.post(
        f"/channels/kommo/{KOMMO_SECRET}",
        content=kommo_body("4411", "our answer", "outgoing"),
        headers=form,
    )
    assert outgoing.json() == {"stored": 0}  # the operator's own replies are not intake
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert KOMMO_SECRET not in logged


# --- web chat ------------------------------------------------------------------------------


def chat_session(client: TestClient) -> dict[str, str]:
    answer = client.post("/api/v1/chat/sessions")
    assert answer.status_code == 200
    return dict(answer.json())


def test_a_web_chat_message_needs_the_token_of_its_visitor(
    client: TestClient, lawful: Lawful
) -> None:
    mine, other = chat_session(client), chat_session(client)
    assert mine["visitor_id"] != other["visitor_id"]
    forged = {
        "visitor_id": mine["visitor_id"],
        "token": other["token"],
        "message_id": "m" * 20,
        "text": ERASE,
    }
    answer = client.post("/api/v1/chat/messages", json=forged)
    assert answer.status_code == 401 and answer.json()["errors"][0]["field"] == "token"
    assert stored(lawful) == []
    message = {**mine, "message_id": "m" * 20, "text": ERASE}
    first = client.post("/api/v1/chat/messages", json=message)
    again = client.post("/api/v1/chat/messages", json=message)
    assert (first.status_code, first.json(), again.json()) == (
        202,
        {"received": True},
        {"received": False},
    )
    [row] = stored(lawful)
    assert (row.channel, row.label) == ("web_chat", "erasure")
    assert mine["token"].encode() not in row.sealed


def test_a_web_chat_message_with_a_bad_field_is_refused_by_name(client: TestClient) -> None:
    session = chat_session(client)
    answer = client.post(
        "/api/v1/chat/messages", json={**session, "message_id": "short", "text": "hi"}
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "body.message_id"


def test_the_web_chat_answers_cors_for_the_operators_site_only(
    client: TestClient, lawful: Lawful
) -> None:
    site = lawful.require_policy().operator.website
    assert site is not None
    origin = site.rstrip("/").split("/", 3)
    allowed = "/".join(origin[:3])
    ok = client.post("/api/v1/chat/sessions", headers={"Origin": allowed})
    assert ok.headers.get("access-control-allow-origin") == allowed
    stranger = client.post("/api/v1/chat/sessions", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in stranger.headers
    operator_route = client.get("/api/v1/intake/stats", headers={"Origin": allowed})
    assert "access-control-allow-origin" not in operator_route.headers


def test_the_chat_script_runs_under_a_strict_policy(client: TestClient) -> None:
    answer = client.get("/chat.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/javascript")
    assert "unsafe-inline" not in answer.headers["content-security-policy"]
    script = answer.text
    for forbidden in ("eval(", "innerHTML", "new Function", "document.write", "style="):
        assert forbidden not in script
    assert "textContent" in script
    cached = client.get("/chat.js", headers={"If-None-Match": answer.headers["etag"]})
    assert cached.status_code == 304


def test_an_unconfigured_web_chat_refuses_sessions(lawful: Lawful) -> None:
    from dataclasses import replace

    lawful.settings = replace(
        lawful.settings, messengers=replace(lawful.settings.messengers, webchat_secret=None)
    )
    with client_for(lawful) as client:
        assert client.post("/api/v1/chat/sessions").status_code == 401


def test_new_visitors_and_their_messages_are_rate_limited(lawful: Lawful) -> None:
    from dataclasses import replace

    from lawful.web.routes import channels

    lawful.settings = replace(lawful.settings, request_rate_limit=1)  # 6 public calls an hour
    with client_for(lawful) as client:
        answers = [client.post("/api/v1/chat/sessions").status_code for _ in range(7)]
        assert answers == [200] * 6 + [429]
        session = {"visitor_id": "v" * 20, "token": ""}
        client.app.state.chat_limiter = channels.RateLimiter(2)  # type: ignore[attr-defined]
        token = channels.WebChat(lawful.settings.messengers).token_for(session["visitor_id"])
        session["token"] = str(token)
        sent = [
            client.post(
                "/api/v1/chat/messages", json={**session, "message_id": f"m{n:019d}", "text": "hi"}
            ).status_code
            for n in range(3)
        ]
    assert sent == [202, 202, 429]
