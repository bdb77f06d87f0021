"""Phone verification: a one-time code texted through the operator's SMS webhook gateway (a real
local HTTP server), with the same rules as mailed codes."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from lawful.context import Lawful
from lawful.errors import ConfigError, SmsError
from lawful.requests.models import Request as RequestRow
from lawful.requests.models import VerificationCode
from lawful.sms import Sms, texter_from
from lawful.subjects import service as subjects
from lawful.web.app import create_app
from tests.conftest import open_template
from tests.local_server import serving

PHONE = "+7 916 123-45-67"
E164 = "+79161234567"
TOKEN = "operator-secret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
GATEWAY_TOKEN = "gateway-secret"  # noqa: S105 - a test token for the fake gateway
#: A provider-shaped body, not the default one: the shape is the operator's to choose.
BODY = json.dumps(
    {"sender": "lawful", "messages": [{"destination": "{to}", "content": "{text}", "n": 1}]}
)


@dataclass
class Gateway:
    """A fake SMS provider: keeps each POSTed body; answers ``status``."""

    received: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    status: int = 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/send")
        async def send(request: Request) -> JSONResponse:
            body = await request.json()
            with self.lock:
                self.received.append((body, request.headers.get("authorization", "")))
            return JSONResponse({"ok": self.status < 300}, status_code=self.status)

        return app

    def texts_to(self, number: str) -> list[str]:
        return [
            body["messages"][0]["content"]
            for body, _ in self.received
            if body["messages"][0]["destination"] == number
        ]

    def code_for(self, number: str) -> str:
        match = re.search(r"\b(\d{6})\b", self.texts_to(number)[-1])
        assert match
        return match.group(1)


@pytest.fixture
def setup(tmp_path: Path, database_url: str) -> Iterator[tuple[Lawful, TestClient, Gateway]]:
    lawful = open_template(tmp_path, database_url, "ru-design-studio")
    gateway = Gateway()
    with serving(gateway.app()) as base:
        lawful.settings = replace(
            lawful.settings,
            operator_token=TOKEN,
            sms_url=f"{base}/send",
            sms_body=BODY,
            sms_token=GATEWAY_TOKEN,
        )
        with lawful.sessions.begin() as session:
            subjects.create_subject(
                session=session, ring=lawful.ring, identifiers={"phone": PHONE}, actor="test"
            )
        yield lawful, TestClient(create_app(lawful)), gateway
    lawful.close()


def _submit(client: TestClient, phone: str = PHONE) -> str:
    answer = client.post("/api/v1/requests", json={"kind": "access", "phone": phone})
    assert answer.status_code == 202, answer.text
    return str(answer.json()["request_id"])


def test_a_phone_request_is_confirmed_with_a_code_texted_through_the_gateway(setup):
    _lawful, client, gateway = setup
    request_id = _submit(client)
    [(body, authorization)] = gateway.received
    assert body["sender"] == "lawful" and body["messages"][0]["n"] == 1  # the shape is kept
    assert body["messages"][0]["destination"] == E164
    assert authorization == f"Bearer {GATEWAY_TOKEN}"
    code = gateway.code_for(E164)
    verified = client.post(f"/api/v1/requests/{request_id}/verify", json={"code": code})
    assert verified.status_code == 200 and verified.json()["state"] == "verified"
    detail = client.get(f"/api/v1/operator/requests/{request_id}", headers=AUTH).json()
    assert detail["verification"] == "code" and detail["subject_known"] is True


def test_unknown_numbers_are_answered_exactly_like_known_ones(setup):
    _lawful, client, gateway = setup
    known = client.post("/api/v1/requests", json={"kind": "access", "phone": PHONE})
    unknown = client.post("/api/v1/requests", json={"kind": "access", "phone": "+7 916 000-00-01"})
    assert known.status_code == unknown.status_code == 202
    strip = lambda body: {k: v for k, v in body.items() if k != "request_id"}  # noqa: E731
    assert strip(known.json()) == strip(unknown.json())
    assert len(gateway.texts_to(E164)) == len(gateway.texts_to("+79160000001")) == 1


def test_phone_codes_are_kept_hashed_and_guessing_is_locked_out(setup):
    lawful, client, gateway = setup
    request_id = _submit(client)
    code = gateway.code_for(E164)
    with lawful.sessions() as session:
        row = session.get(VerificationCode, request_id)
        assert row is not None and code.encode() not in row.digest and len(row.digest) == 32
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    codes = [
        client.post(f"/api/v1/requests/{request_id}/verify", json={"code": wrong}).status_code
        for _ in range(5)
    ]
    assert codes == [422, 422, 422, 422, 429]
    right = client.post(f"/api/v1/requests/{request_id}/verify", json={"code": code})
    assert right.status_code == 429  # locked: even the right code waits


def test_a_new_code_is_texted_on_request_and_replaces_the_old_one(setup):
    _lawful, client, gateway = setup
    request_id = _submit(client)
    first = gateway.code_for(E164)
    assert client.post(f"/api/v1/requests/{request_id}/resend").status_code == 202
    assert len(gateway.texts_to(E164)) == 2
    second = gateway.code_for(E164)
    if first != second:
        old = client.post(f"/api/v1/requests/{request_id}/verify", json={"code": first})
        assert old.status_code == 422
    assert (
        client.post(f"/api/v1/requests/{request_id}/verify", json={"code": second}).status_code
        == 200
    )


def test_without_a_gateway_phone_requests_are_refused_naming_the_field(setup):
    lawful, _client, _gateway = setup
    lawful.settings = replace(lawful.settings, sms_url=None)
    client = TestClient(create_app(lawful))
    answer = client.post("/api/v1/requests", json={"kind": "access", "phone": PHONE})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == "phone"
    with lawful.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(RequestRow)) == 0


def test_email_and_phone_together_or_neither_are_refused(setup):
    _lawful, client, gateway = setup
    for body in ({"kind": "access"}, {"kind": "access", "phone": PHONE, "email": "a@example.org"}):
        answer = client.post("/api/v1/requests", json=body)
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "email"
    bad = client.post("/api/v1/requests", json={"kind": "access", "phone": "12"})
    assert bad.status_code == 422
    assert gateway.received == []


def test_a_failing_gateway_is_a_503_that_names_neither_number_nor_code(setup, caplog):
    _lawful, client, gateway = setup
    gateway.status = 500
    caplog.set_level(logging.DEBUG)
    answer = client.post("/api/v1/requests", json={"kind": "access", "phone": PHONE})
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    code = gateway.code_for(E164)
    for text in (answer.text, caplog.text):
        assert "9161234567" not in text and "916 123" not in text and code not in text


def test_neither_the_number_nor_the_code_reach_logs_or_the_journal(setup, caplog):
    lawful, client, gateway = setup
    caplog.set_level(logging.DEBUG)
    request_id = _submit(client)
    code = gateway.code_for(E164)
    client.post(f"/api/v1/requests/{request_id}/verify", json={"code": code})
    with lawful.sessions() as session:
        journal = " ".join(
            str(row) for row in session.execute(sa.text("SELECT * FROM audit_events")).all()
        )
    for text in (caplog.text, journal):
        assert "9161234567" not in text and "916 123" not in text and code not in text


def test_the_sms_body_setting_must_be_a_json_object_with_both_placeholders():
    with pytest.raises(ConfigError, match="LAWFUL_SMS_BODY"):
        texter_from("http://127.0.0.1:9/send", "{not json")
    with pytest.raises(ConfigError, match="missing: {text}"):
        texter_from("http://127.0.0.1:9/send", '{"to": "{to}"}')
    with pytest.raises(ConfigError, match="LAWFUL_SMS_URL"):
        texter_from("ftp://example.org/send")
    with pytest.raises(SmsError, match="LAWFUL_SMS_URL"):
        texter_from(None).send(Sms("+79161234567", "x"))


def test_a_message_cannot_break_the_body_it_is_put_in():
    gateway = Gateway()
    text = 'a "quoted" }{ text\nwith {to} and {text}'
    with serving(gateway.app()) as base:
        texter_from(f"{base}/send", BODY).send(Sms(E164, text))
    [(body, _)] = gateway.received
    assert body["messages"][0] == {"destination": E164, "content": text, "n": 1}
