"""The portal's request pages over HTTP: a form per right, the code, the status, the report."""

from __future__ import annotations

import io
import logging
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from starlette.exceptions import StarletteDeprecationWarning

from lawful.audit.models import AuditEvent
from lawful.context import Lawful
from lawful.documents import flows as documents
from lawful.mail import Mailer, mailer_from
from lawful.requests import flows
from lawful.requests.models import Request, RequestEvent
from lawful.subjects import service as subjects
from lawful.web import create_app
from tests.conftest import open_template
from tests.portal_support import csrf_of
from tests.requests_support import Inbox, add_person, smtp_server

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

EMAIL = "marina.volkova@example.ru"
STRANGER = "nobody.here@example.ru"
REFERENCE = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def portal(tmp_path: Path, database_url: str) -> Iterator[tuple[Lawful, TestClient, Inbox]]:
    lawful = open_template(tmp_path, database_url, "ru-design-studio")
    documents.publish_and_flag(lawful, actor="test")
    with smtp_server() as (inbox, url):
        lawful.settings = replace(lawful.settings, smtp_url=url, request_rate_limit=5)
        add_person(lawful, EMAIL, {"user.name": "Marina Volkova"})
        app = create_app(lawful)
        yield lawful, TestClient(app, follow_redirects=False), inbox
    lawful.close()


def _submit(client: TestClient, kind: str, data: dict[str, str]) -> str:
    """Send the right's form; the reference it leads to."""
    page = client.get(f"/portal/rights/{kind}")
    answer = client.post(f"/portal/rights/{kind}", data={"csrf": csrf_of(page.text), **data})
    assert answer.status_code == 303, answer.text
    found = REFERENCE.search(answer.headers["location"])
    assert found
    return found.group(0)


def _verify(client: TestClient, reference: str, code: str) -> TestClient:
    page = client.get(f"/portal/requests/{reference}/verify")
    return client.post(
        f"/portal/requests/{reference}/verify", data={"csrf": csrf_of(page.text), "code": code}
    )


def _mailer(lawful: Lawful) -> Mailer:
    """A mailer to the same local SMTP server, for the operator's side."""
    return mailer_from(lawful.settings.smtp_url, "dpo@example.ru")


def _count(lawful: Lawful) -> int:
    with lawful.sessions() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(Request)) or 0)


def test_every_right_has_its_form_with_labelled_fields(portal):
    _lawful, client, _inbox = portal
    home = client.get("/portal", headers={"Accept-Language": "en"})
    for kind in ("access", "rectification", "restriction", "erasure", "withdrawal", "objection",
                 "distribution_stop", "transfer_info", "portability"):  # fmt: skip
        assert f'href="/portal/rights/{kind}"' in home.text
        form = client.get(f"/portal/rights/{kind}", headers={"Accept-Language": "en"})
        assert form.status_code == 200
        ids = re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', form.text)
        assert "f-email" in ids
        for field_id in ids:
            assert f'<label for="{field_id}">' in form.text
    distribution = client.get("/portal/rights/distribution_stop").text
    assert 'name="details.full_name"' in distribution and 'name="details.data"' in distribution
    assert client.get("/portal/rights/teleport").status_code == 404
    unknown = client.get(f"/portal/requests/{'0' * 32}/verify")
    assert unknown.status_code == 404 and "text/html" in unknown.headers["content-type"]


def test_bad_input_shows_the_errors_next_to_the_fields_and_stores_nothing(portal):
    lawful, client, inbox = portal
    page = client.get("/portal/rights/rectification", headers={"Accept-Language": "en"})
    answer = client.post(
        "/portal/rights/rectification",
        data={"csrf": csrf_of(page.text), "email": "not-an-address", "details.value": "x"},
        headers={"Accept-Language": "en"},
    )
    assert answer.status_code == 422
    assert 'aria-describedby="f-email-hint f-email-error"' in answer.text
    assert 'id="f-email-error">Enter an e-mail address' in answer.text
    assert 'aria-describedby="f-details-category-error"' in answer.text
    assert 'value="not-an-address"' in answer.text  # what was typed is kept in the form
    assert 'role="alert"' in answer.text and 'href="#f-details-category"' in answer.text
    unknown_category = client.post(
        "/portal/rights/rectification",
        data={
            "csrf": csrf_of(page.text),
            "email": EMAIL,
            "details.category": "user.soul",
            "details.value": "x",
        },  # fmt: skip
    )
    assert unknown_category.status_code == 422
    assert 'id="f-details-category-error"' in unknown_category.text
    assert _count(lawful) == 0 and inbox.messages == []


def test_a_form_without_the_csrf_token_is_refused_and_stores_nothing(portal):
    lawful, client, _inbox = portal
    client.get("/portal")
    answer = client.post("/portal/rights/erasure", data={"email": EMAIL})
    assert answer.status_code == 401
    assert "text/html" in answer.headers["content-type"]
    assert _count(lawful) == 0


def test_erasure_confirmed_by_code_then_done_by_the_operator_shows_completed(portal):
    lawful, client, inbox = portal
    reference = _submit(client, "erasure", {"email": EMAIL})
    wrong = _verify(client, reference, "000000" if inbox.code_for(EMAIL) != "000000" else "111111")
    assert wrong.status_code == 422 and 'aria-invalid="true"' in wrong.text
    confirmed = _verify(client, reference, inbox.code_for(EMAIL))
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == f"/portal/requests/{reference}"
    cookie = confirmed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/portal" in cookie
    status = client.get(f"/portal/requests/{reference}", headers={"Accept-Language": "en"})
    assert "state-verified" in status.text and reference in status.text
    flows.act(lawful, _mailer(lawful), reference, actor="dpo", now=datetime.now(UTC))
    flows.complete(lawful, _mailer(lawful), reference, actor="dpo", now=datetime.now(UTC))
    done = client.get(f"/portal/requests/{reference}", headers={"Accept-Language": "en"})
    assert "state-completed" in done.text and "Granted" in done.text
    with lawful.sessions() as session:
        found = subjects.find_subject(session=session, ring=lawful.ring, kind="email", value=EMAIL)
    assert found is None  # the person's data are gone


def _without(text: str, *secrets: str) -> str:
    for secret in secrets:
        text = text.replace(secret, "…")
    text = re.sub(r"\d\d:\d\d:\d\d", "hh:mm:ss", text)  # the time each was received
    return re.sub(r'value="[0-9a-f]{64}"', 'value="csrf"', text)


def test_a_stranger_gets_the_same_pages_and_mail_as_a_known_person(portal):
    _lawful, client, inbox = portal
    pages, mails = [], []
    for address in (EMAIL, STRANGER):
        reference = _submit(client, "access", {"email": address})
        code = inbox.code_for(address)
        message = inbox.last_to(address)
        mails.append((message["Subject"], _without(inbox.body(message), reference, code)))
        verify = client.get(f"/portal/requests/{reference}/verify")
        confirmed = _verify(client, reference, code)
        status = client.get(f"/portal/requests/{reference}")
        pages.append(
            [(r.status_code, _without(r.text, reference)) for r in (verify, confirmed, status)]
            + [confirmed.headers["location"].replace(reference, "…")]
        )
    assert pages[0] == pages[1]
    assert mails[0] == mails[1]


def test_the_report_downloads_once_and_only_to_the_confirming_browser(portal):
    lawful, client, inbox = portal
    reference = _submit(client, "access", {"email": EMAIL})
    assert _verify(client, reference, inbox.code_for(EMAIL)).status_code == 303
    flows.act(lawful, _mailer(lawful), reference, actor="dpo", now=datetime.now(UTC), pdf=False)
    status = client.get(f"/portal/requests/{reference}")
    assert f'action="/portal/requests/{reference}/download"' in status.text
    other = TestClient(client.app, follow_redirects=False)
    other_page = other.get(f"/portal/requests/{reference}")
    assert "/download" not in other_page.text  # the reference alone does not give the report
    refused = other.post(
        f"/portal/requests/{reference}/download",
        data={"csrf": csrf_of(other.get("/portal/rights/access").text)},
    )
    assert refused.status_code == 404
    got = client.post(f"/portal/requests/{reference}/download", data={"csrf": csrf_of(status.text)})
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    assert "attachment" in got.headers["content-disposition"]
    assert "data.csv" in zipfile.ZipFile(io.BytesIO(got.content)).namelist()
    again = client.post(
        f"/portal/requests/{reference}/download", data={"csrf": csrf_of(status.text)}
    )
    assert again.status_code == 410
    after = client.get(f"/portal/requests/{reference}", headers={"Accept-Language": "en"})
    assert "/download" not in after.text and "has been downloaded" in after.text
    with lawful.sessions() as session:
        steps = session.scalars(
            sa.select(RequestEvent.action).where(RequestEvent.request_id == reference)
        ).all()
    assert steps.count("downloaded") == 1


def test_five_wrong_codes_lock_the_request(portal):
    _lawful, client, inbox = portal
    reference = _submit(client, "erasure", {"email": EMAIL})
    right = inbox.code_for(EMAIL)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    answers = [_verify(client, reference, wrong).status_code for _ in range(5)]
    assert answers == [422, 422, 422, 422, 429]
    assert _verify(client, reference, right).status_code == 429  # locked even for the right one


def test_the_per_address_limit_of_the_api_holds_on_the_portal(portal):
    lawful, client, _inbox = portal
    for _ in range(5):
        _submit(client, "objection", {"email": EMAIL})
    page = client.get("/portal/rights/objection")
    refused = client.post(
        "/portal/rights/objection", data={"csrf": csrf_of(page.text), "email": EMAIL}
    )
    assert refused.status_code == 429 and "retry-after" in refused.headers
    assert _count(lawful) == 5


def test_objection_needs_no_code_and_goes_straight_to_the_status(portal):
    _lawful, client, inbox = portal
    page = client.get("/portal/rights/objection")
    answer = client.post(
        "/portal/rights/objection", data={"csrf": csrf_of(page.text), "email": EMAIL}
    )
    assert answer.status_code == 303 and not answer.headers["location"].endswith("/verify")
    assert inbox.messages == []


def test_no_personal_data_in_urls_logs_or_the_journal(portal, caplog):
    lawful, client, inbox = portal
    caplog.set_level(logging.DEBUG)
    locations = []
    page = client.get("/portal/rights/distribution_stop")
    answer = client.post(
        "/portal/rights/distribution_stop",
        data={
            "csrf": csrf_of(page.text),
            "email": EMAIL,
            "details.full_name": "Marina Volkova",
            "details.contact": "+7 916 000-11-22",
            "details.data": "photo at /reviews",
        },  # fmt: skip
    )
    locations.append(answer.headers["location"])
    reference = REFERENCE.search(answer.headers["location"]).group(0)
    locations.append(_verify(client, reference, inbox.code_for(EMAIL)).headers["location"])
    # Everything logged on our side (the test's own SMTP server logs the mail it receives).
    logged = " ".join(r.getMessage() for r in caplog.records if r.name != "mail.log").lower()
    assert "http request: post http://testserver/portal/requests/" in logged  # URLs are logged
    # The reference is random hex made by the server, not from the form; one in about 140
    # holds "916" by chance (30 places, 16**-3 each), so it is blanked out before the phone's
    # digits are sought in the URLs and the log.
    logged = logged.replace(reference, "<reference>")
    locations = [url.lower().replace(reference, "<reference>") for url in locations]
    for secret in (EMAIL, "marina", "volkova", "916"):
        assert all(secret not in url for url in locations)
        assert secret not in logged
    with lawful.sessions() as session:
        journal = " ".join(str(body) for body in session.scalars(sa.select(AuditEvent.body)))
        stored = session.scalars(sa.select(Request.sealed)).all()
    assert EMAIL not in journal and "Volkova" not in journal
    assert all(b"Volkova" not in blob and EMAIL.encode() not in blob for blob in stored)


def test_a_new_code_replaces_the_old_and_a_confirmed_request_gets_none(portal):
    _lawful, client, inbox = portal
    reference = _submit(client, "access", {"email": EMAIL})
    first = inbox.code_for(EMAIL)
    page = client.get(f"/portal/requests/{reference}/verify")
    again = client.post(f"/portal/requests/{reference}/resend", data={"csrf": csrf_of(page.text)})
    assert again.headers["location"] == f"/portal/requests/{reference}/verify?sent=1"
    second = inbox.body(inbox.wait_for(EMAIL, 2))
    assert inbox.code_for(EMAIL) in second
    if first != inbox.code_for(EMAIL):
        assert _verify(client, reference, first).status_code == 422
    assert _verify(client, reference, inbox.code_for(EMAIL)).status_code == 303
    late = client.post(f"/portal/requests/{reference}/resend", data={"csrf": csrf_of(page.text)})
    assert late.headers["location"] == again.headers["location"]  # the same answer
    assert len(inbox.by_to[EMAIL]) == 2  # but no mail


def test_the_request_is_answered_in_the_language_of_the_page(portal):
    lawful, client, inbox = portal
    page = client.get("/portal/rights/access", headers={"Accept-Language": "ru"})
    client.post(
        "/portal/rights/access",
        data={"csrf": csrf_of(page.text), "email": EMAIL},
        headers={"Accept-Language": "ru"},
    )
    assert "код" in inbox.body(inbox.last_to(EMAIL))
    with lawful.sessions() as session:
        assert session.scalar(sa.select(Request.language)) == "ru"
