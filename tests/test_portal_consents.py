"""The portal's consent pages over HTTP: sign-in by mailed code, the list, withdrawal, receipts."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from starlette.exceptions import StarletteDeprecationWarning

from lawful.consent.models import ConsentRecord
from lawful.context import Lawful
from lawful.documents import flows as documents
from lawful.web import create_app
from lawful.web.pages.portal import tokens
from lawful.web.pages.portal.consents import SESSION_COOKIE
from tests.conftest import open_template
from tests.portal_support import csrf_of, give_consent
from tests.requests_support import Inbox, add_person, smtp_server

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

EMAIL = "pavel.orlov@example.ru"
OTHER = "elena.orlova@example.ru"
STRANGER = "nobody.here@example.ru"


@pytest.fixture
def portal(tmp_path: Path, database_url: str) -> Iterator[tuple[Lawful, TestClient, Inbox, str]]:
    lawful = open_template(tmp_path, database_url, "ru-design-studio")
    documents.publish_and_flag(lawful, actor="test")
    with smtp_server() as (inbox, url):
        lawful.settings = replace(lawful.settings, smtp_url=url)
        subject = add_person(lawful, EMAIL, {"user.name": "Pavel Orlov"})
        record = give_consent(lawful, subject, "newsletters")
        yield lawful, TestClient(create_app(lawful), follow_redirects=False), inbox, record
    lawful.close()


def _sign_in(client: TestClient, inbox: Inbox, address: str, count: int = 1) -> TestClient:
    page = client.get("/portal/consents")
    sent = client.post(
        "/portal/consents/sign-in", data={"csrf": csrf_of(page.text), "email": address}
    )
    assert sent.status_code == 303 and sent.headers["location"] == "/portal/consents/code"
    code = re.search(r"\b(\d{6})\b", inbox.body(inbox.wait_for(address, count)))
    assert code
    form = client.get("/portal/consents/code")
    answer = client.post(
        "/portal/consents/code", data={"csrf": csrf_of(form.text), "code": code.group(1)}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/portal/consents"
    return answer


def _state(lawful: Lawful, record: str) -> str:
    with lawful.sessions() as session:
        return str(session.scalar(sa.select(ConsentRecord.state).where(ConsentRecord.id == record)))


def test_signed_in_the_person_sees_withdraws_and_gets_the_receipt(portal):
    lawful, client, inbox, record = portal
    opened = _sign_in(client, inbox, EMAIL)
    cookie = opened.headers["set-cookie"].lower()
    assert SESSION_COOKIE in cookie
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=1800" in cookie
    page = client.get("/portal/consents", headers={"Accept-Language": "en"})
    assert "/documents/consent-newsletters/ru/v1" in page.text  # the text version agreed to
    assert f'action="/portal/consents/{record}/withdraw"' in page.text
    receipt = client.get(f"/portal/consents/{record}/receipt")
    assert receipt.status_code == 200 and "attachment" in receipt.headers["content-disposition"]
    assert receipt.json()["version"] == "KI-CR-v1.1.0"
    jsonld = client.get(f"/portal/consents/{record}/receipt?format=jsonld")
    assert jsonld.headers["content-type"].startswith("application/ld+json")
    withdrawn = client.post(
        f"/portal/consents/{record}/withdraw", data={"csrf": csrf_of(page.text)}
    )
    assert withdrawn.status_code == 303
    assert _state(lawful, record) == "withdrawn"
    after = client.get(withdrawn.headers["location"], headers={"Accept-Language": "en"})
    assert "consent-state state-withdrawn" in after.text and "/withdraw" not in after.text


def test_another_persons_consent_cannot_be_seen_or_withdrawn(portal):
    lawful, client, inbox, record = portal
    other = add_person(lawful, OTHER, {"user.name": "Elena Orlova"})
    theirs = give_consent(lawful, other, "newsletters")
    _sign_in(client, inbox, EMAIL)
    page = client.get("/portal/consents")
    assert theirs not in page.text and record in page.text
    assert client.get(f"/portal/consents/{theirs}/receipt").status_code == 404
    refused = client.post(f"/portal/consents/{theirs}/withdraw", data={"csrf": csrf_of(page.text)})
    assert refused.status_code == 404 and _state(lawful, theirs) == "given"


def test_without_a_session_there_is_only_the_sign_in_form(portal):
    lawful, client, _inbox, record = portal
    page = client.get("/portal/consents")
    assert 'action="/portal/consents/sign-in"' in page.text and record not in page.text
    assert client.get(f"/portal/consents/{record}/receipt").status_code == 404
    forged = tokens.sign(
        lawful.ring, "requests", {"s": "x"}, datetime.now(UTC), timedelta(minutes=5)
    )  # another use
    client.cookies.set(SESSION_COOKIE, forged, path="/portal")
    assert record not in client.get("/portal/consents").text
    refused = client.post(f"/portal/consents/{record}/withdraw", data={"csrf": csrf_of(page.text)})
    assert refused.status_code == 404 and _state(lawful, record) == "given"


def test_the_session_expires_on_the_server_and_signing_out_ends_it(portal):
    lawful, client, inbox, record = portal
    _sign_in(client, inbox, EMAIL)
    now = datetime.now(UTC)
    assert tokens.unsign(lawful.ring, "session", client.cookies[SESSION_COOKIE], now) is not None
    assert tokens.unsign(
        lawful.ring, "session", client.cookies[SESSION_COOKIE], now + timedelta(minutes=31)
    ) is None  # fmt: skip
    page = client.get("/portal/consents")
    stolen = client.cookies[SESSION_COOKIE]
    out = client.post("/portal/consents/sign-out", data={"csrf": csrf_of(page.text)})
    assert out.status_code == 303
    client.cookies.set(SESSION_COOKIE, stolen, path="/portal")  # a copy kept from before
    assert record not in client.get("/portal/consents").text


def test_a_stranger_signs_in_exactly_like_a_known_person(portal):
    _lawful, client, inbox, _record = portal
    answers, mails = [], []
    for address in (EMAIL, STRANGER):
        fresh = TestClient(client.app, follow_redirects=False)
        page = fresh.get("/portal/consents")
        sent = fresh.post(
            "/portal/consents/sign-in", data={"csrf": csrf_of(page.text), "email": address}
        )
        message = inbox.wait_for(address, 1)
        code = re.search(r"\b(\d{6})\b", inbox.body(message))
        assert code
        mails.append((message["Subject"], inbox.body(message).replace(code.group(1), "…")))
        form = fresh.get(sent.headers["location"])
        csrf = csrf_of(form.text)
        answers.append((sent.status_code, sent.headers["location"], form.text.replace(csrf, "…")))
    assert answers[0] == answers[1] and mails[0] == mails[1]


def test_wrong_codes_are_counted_and_the_fifth_locks_the_address(portal):
    _lawful, client, inbox, record = portal
    page = client.get("/portal/consents")
    client.post("/portal/consents/sign-in", data={"csrf": csrf_of(page.text), "email": EMAIL})
    right = re.search(r"\b(\d{6})\b", inbox.body(inbox.wait_for(EMAIL, 1)))
    assert right
    wrong = f"{(int(right.group(1)) + 1) % 10**6:06d}"
    csrf = csrf_of(page.text)
    answers = [
        client.post("/portal/consents/code", data={"csrf": csrf, "code": wrong}).status_code
        for _ in range(5)
    ]
    assert answers == [422, 422, 422, 422, 429]
    late = client.post("/portal/consents/code", data={"csrf": csrf, "code": right.group(1)})
    assert late.status_code == 422 and record not in client.get("/portal/consents").text
    again = client.post("/portal/consents/sign-in", data={"csrf": csrf, "email": EMAIL})
    assert again.status_code == 429  # the address is locked out for an hour


def test_a_bad_address_is_shown_next_to_the_field(portal):
    _lawful, client, inbox, _record = portal
    page = client.get("/portal/consents", headers={"Accept-Language": "ru"})
    answer = client.post(
        "/portal/consents/sign-in",
        data={"csrf": csrf_of(page.text), "email": "pavel@"},
        headers={"Accept-Language": "ru"},
    )
    assert answer.status_code == 422
    assert 'aria-describedby="f-email-error"' in answer.text
    assert "Введите адрес электронной почты" in answer.text
    assert inbox.messages == []


def test_two_server_processes_count_the_same_wrong_codes_and_a_restart_keeps_the_lock(portal):
    lawful, client, inbox, record = portal
    page = client.get("/portal/consents")
    csrf = csrf_of(page.text)
    client.post("/portal/consents/sign-in", data={"csrf": csrf, "email": EMAIL})
    right = re.search(r"\b(\d{6})\b", inbox.body(inbox.wait_for(EMAIL, 1)))
    assert right
    wrong = f"{(int(right.group(1)) + 1) % 10**6:06d}"
    other = TestClient(create_app(lawful), follow_redirects=False)  # a second process
    other.cookies = client.cookies  # the same browser, balanced to the other process

    answers = [
        (client if n % 2 else other)
        .post("/portal/consents/code", data={"csrf": csrf, "code": wrong})
        .status_code
        for n in range(5)
    ]
    restarted = TestClient(create_app(lawful), follow_redirects=False)
    restarted.cookies = client.cookies
    again = restarted.post("/portal/consents/sign-in", data={"csrf": csrf, "email": EMAIL})

    assert answers == [422, 422, 422, 422, 429]  # five in all, not five per process
    assert again.status_code == 429
    assert record not in restarted.get("/portal/consents").text


def test_a_session_signed_out_in_one_process_is_refused_by_another(portal):
    lawful, client, inbox, record = portal
    _sign_in(client, inbox, EMAIL)
    stolen = client.cookies[SESSION_COOKIE]
    page = client.get("/portal/consents")
    client.post("/portal/consents/sign-out", data={"csrf": csrf_of(page.text)})

    other = TestClient(create_app(lawful), follow_redirects=False)
    other.cookies.set(SESSION_COOKIE, stolen, path="/portal")

    assert record not in other.get("/portal/consents").text
