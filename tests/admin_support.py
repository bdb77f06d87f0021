"""Helpers for the admin page tests: users, a browser-like client that signs in, form tokens."""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lawful.context import Lawful
from lawful.users import service as users
from lawful.web import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


def add_user(lawful: Lawful, email: str, role: str, password: str = PASSWORD) -> str:
    with lawful.sessions.begin() as session:
        user = users.add_user(
            session=session, email=email, password=password, role=role, now=datetime.now(UTC)
        )
        return user.id


def client_for(lawful: Lawful) -> TestClient:
    # https, so that the Secure session cookie is sent back like a browser would.
    # English unless a test asks otherwise (the studio's first language is Russian).
    return TestClient(
        create_app(lawful),
        base_url="https://testserver",
        follow_redirects=False,
        headers={"Accept-Language": "en"},
    )


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD, code: str = "") -> object:
    page = client.get("/admin/sign-in")
    form = {"csrf": csrf_of(page.text), "email": email, "password": password, "code": code}
    return client.post("/admin/sign-in", data=form)


def signed_in(lawful: Lawful, role: str) -> TestClient:
    """A client signed in as the ``<role>@studio.example`` user the test added."""
    client = client_for(lawful)
    assert sign_in(client, f"{role}@studio.example").status_code == 303  # type: ignore[attr-defined]
    return client


def token(client: TestClient, path: str = "/admin") -> str:
    """The CSRF token the forms of a signed-in page carry."""
    return csrf_of(client.get(path).text)


def consent_story(lawful: Lawful, answers: list[str], purpose: str = "newsletters") -> list[str]:
    """One new person per answer (``given``, ``refused``, ``withdrawn``), recorded through the
    consent service on the current published text; returns the subjects' ids."""
    from lawful.consent import service as consent
    from lawful.documents import flows
    from lawful.documents import service as documents
    from lawful.subjects.service import create_subject

    flows.publish_and_flag(lawful, actor="test")
    policy, now = lawful.require_policy(), datetime.now(UTC)
    evidence = consent.Evidence(ip="203.0.113.7", user_agent="test", form_id="form")
    made = []
    for index, answer in enumerate(answers):
        with lawful.sessions.begin() as session:
            ref = documents.require_current(
                session=session, kind=f"consent-{purpose}", language="ru"
            ).ref
            subject_id = create_subject(
                session=session,
                ring=lawful.ring,
                identifiers={"email": f"person{index}@example.org"},
                actor="test",
            )
            common = {
                "session": session,
                "ring": lawful.ring,
                "policy": policy,
                "subject_id": subject_id,
                "purpose": purpose,
                "document": ref,
                "method": "checkbox",
                "channel": "web_form",
                "evidence": evidence,
                "now": now,
                "actor": "test",
            }
            if answer == "refused":
                consent.refuse(**common)  # type: ignore[arg-type]
            else:
                consent.give(**common)  # type: ignore[arg-type]
            if answer == "withdrawn":
                consent.withdraw(
                    session=session,
                    policy=policy,
                    subject_id=subject_id,
                    purpose=purpose,
                    channel="email",
                    now=now,
                    actor="test",
                )
        made.append(subject_id)
    return made


def carry_out_erasure_in_browser(page: Any, row: Any) -> bytes:
    """In the admin, from the request's row on the dashboard: open it, carry it out as the DPO
    Olga Ivanova, download the destruction act (its bytes are returned), answer and close."""
    row.get_by_role("link").click()
    page.locator("#request-state", has_text="Verified").wait_for()
    page.fill("input[name=destroyed_by]", "Olga Ivanova")
    page.fill("input[name=position]", "Data protection officer")
    page.get_by_role("button", name="Carry out the request").click()
    page.locator("#request-state", has_text="Fulfilled").wait_for()
    with page.expect_download() as download:
        page.locator("#acts").get_by_role("link", name="PDF").click()
    act = Path(download.value.path()).read_bytes()
    page.get_by_role("button", name="Send the answer and close").click()
    page.locator("#request-state", has_text="Completed").wait_for()
    return act
