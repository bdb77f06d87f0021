"""The consent widget in real headless Chromium, across origins, under a strict CSP.

lawful runs under uvicorn on one localhost port; the operator's page is served by a plain
``http.server`` on another, so the widget's reads and its POST are cross-origin and exercise
the CORS answer for ``operator.website`` (set to the page's origin in this lawful.yaml). The
page forbids inline script and style and allows lawful's origin only for script and fetch.

Chromium is Debian's (/usr/bin/chromium, ``apt-get install -y chromium``; never
``playwright install``). Without it the tests skip, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from lawful.consent.models import ConsentRecord
from lawful.consent.service import open_evidence
from lawful.context import Lawful
from lawful.documents import flows
from lawful.subjects import service as subjects
from lawful.web.app import create_app
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.site_support import open_with_website, served_on_loopback, static_site

SENT = "Спасибо, форма отправлена."

PAGE = """<!doctype html>
<html lang="ru">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'self'; script-src {api}; connect-src {api}; style-src 'self'">
<title>Заказ</title>
</head>
<body>
<form id="order" data-lawful-form="order-form" data-lawful-purposes="order_details,newsletters"
      data-lawful-lang="ru" action="/not-here" method="post">
  <label for="name">Имя</label> <input id="name" data-lawful-category="user.name">
  <label for="email">E-mail</label>
  <input id="email" type="email" data-lawful-category="user.contact.email">
  <label for="phone">Телефон</label>
  <input id="phone" type="tel" data-lawful-category="user.contact.phone_number">
  <label for="message">Задача</label>
  <textarea id="message" data-lawful-category="user.content.private"></textarea>
  <button type="submit">Отправить заявку</button>
</form>
<form id="subscribe" data-lawful-form="subscribe-form" data-lawful-purposes="newsletters"
      data-lawful-required="newsletters">
  <label for="sub-email">E-mail</label>
  <input id="sub-email" type="email" data-lawful-category="user.contact.email">
  <button type="submit">Подписаться</button>
</form>
<script src="{api}/widget.js" defer data-lawful-api="{api}"></script>
</body>
</html>
"""


@dataclass(frozen=True)
class Stack:
    lawful: Lawful
    api: str
    page_url: str


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("widget")
    site_dir = root / "site"
    site_dir.mkdir()
    with static_site(site_dir) as site_origin:
        lawful = open_with_website(root / "lawful", "ru-design-studio", website=site_origin)
        flows.publish_and_flag(lawful, actor="test")
        try:
            with served_on_loopback(create_app(lawful)) as api:
                (site_dir / "order.html").write_text(PAGE.format(api=api), encoding="utf-8")
                yield Stack(lawful, api, f"{site_origin}/order.html")
        finally:
            lawful.close()


@pytest.fixture
def page(browser: Any, stack: Stack) -> Iterator[Any]:
    context = browser.new_context(locale="ru-RU")
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    console: list[str] = []
    opened.on("console", lambda message: console.append(message.text))
    opened.on("pageerror", lambda error: console.append(str(error)))
    posted: list[str] = []
    opened.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    opened.posted = posted
    opened.goto(stack.page_url)
    opened.locator("#order fieldset.lawful-consents").wait_for()
    opened.locator("#subscribe fieldset.lawful-consents").wait_for()
    yield opened
    # Nothing in the console but Chromium's own network notes (the favicon's 404, a refusal's
    # 422): no CSP violation, no script error, and so never a value logged.
    assert [m for m in console if not m.startswith("Failed to load resource")] == []
    context.close()


def _config(stack: Stack) -> dict[str, Any]:
    answer = httpx.get(f"{stack.api}/api/v1/widget/config", params={"language": "ru"})
    return {p["key"]: p for p in answer.json()["purposes"]}


def _fill_order(page: Any, email: str, phone: str = "+7 (916) 123-45-67") -> None:
    page.fill("#name", "Марина Соколова")
    page.fill("#email", email)
    page.fill("#phone", phone)
    page.fill("#message", "Нужен логотип для кофейни")


def _current_consent(lawful: Lawful, email: str, purpose: str) -> tuple[ConsentRecord, Any]:
    with lawful.sessions.begin() as session:
        subject = subjects.find_subject(
            session=session, ring=lawful.ring, kind="email", value=email
        )
        assert subject is not None, "no subject with this e-mail"
        record = session.scalars(
            sa.select(ConsentRecord).where(
                ConsentRecord.subject_id == subject,
                ConsentRecord.purpose == purpose,
                ConsentRecord.is_current.is_(True),
            )
        ).one()
        evidence = open_evidence(session=session, ring=lawful.ring, record=record)
        session.expunge(record)
        return record, evidence


def test_the_form_shows_an_unticked_consent_box_and_the_documents(page, stack):
    document = _config(stack)["newsletters"]["consent"]["document"]
    order = page.locator("#order")
    box = order.get_by_label(re.compile("Рассылка о новых услугах и акциях"))
    assert box.get_attribute("type") == "checkbox" and not box.is_checked()
    assert box.get_attribute("aria-required") is None  # promotion is never a condition
    link = order.locator("a.lawful-consent-link")
    assert link.get_attribute("href") == stack.api + document["url"]
    assert document["url"].startswith("/documents/consent-newsletters/ru")
    assert order.locator(".lawful-info-purpose").all_inner_texts() == [
        "Уточнение деталей заказа и исполнение договора"
    ]
    policy = order.locator("a.lawful-policy-link")
    assert policy.get_attribute("href", timeout=TIMEOUT_MS).startswith(
        f"{stack.api}/documents/privacy-policy/ru/v"
    )
    # Inside the form, just before its submit button.
    assert order.locator("fieldset.lawful-consents + button[type=submit]").count() == 1


def test_a_form_for_a_consent_is_not_sent_until_it_is_ticked(page, stack):
    email = "subscriber@example.ru"
    subscribe = page.locator("#subscribe")
    box = subscribe.get_by_label(re.compile("Рассылка о новых услугах"))
    assert box.get_attribute("aria-required") == "true" and not box.is_checked()
    page.fill("#sub-email", email)
    subscribe.get_by_role("button", name="Подписаться").click()
    alert = subscribe.get_by_role("alert")
    assert "Отметьте обязательное согласие" in alert.inner_text()
    assert box.get_attribute("aria-invalid") == "true"
    assert page.posted == []  # blocked in the page: nothing reached any server
    box.check()
    subscribe.get_by_role("button", name="Подписаться").click()
    subscribe.get_by_role("status").filter(has_text=SENT).wait_for()
    record, evidence = _current_consent(stack.lawful, email, "newsletters")
    assert record.state == "given" and record.form_id == "subscribe-form"
    assert evidence.page_url == stack.page_url


def test_a_submission_records_the_consent_shown_with_its_evidence(page, stack):
    email = "Marina.Sokolova@example.ru"
    document = _config(stack)["newsletters"]["consent"]["document"]
    order = page.locator("#order")
    _fill_order(page, email)
    order.get_by_label(re.compile("Рассылка о новых услугах")).check()
    order.get_by_role("button", name="Отправить заявку").click()
    order.get_by_role("status").filter(has_text=SENT).wait_for()
    assert page.input_value("#email") == ""  # reset after success
    assert page.posted == [f"{stack.api}/api/v1/submissions"]

    record, evidence = _current_consent(stack.lawful, email, "newsletters")
    assert record.state == "given" and record.form_id == "order-form"
    assert record.document_kind == "consent-newsletters" and record.document_language == "ru"
    assert record.document_version == document["version"]
    assert record.text_hash == document["content_hash"]
    assert evidence.page_url == stack.page_url
    assert evidence.user_agent is not None and "Chrome" in evidence.user_agent
    assert evidence.ip == "127.0.0.1"


def test_an_unticked_optional_consent_is_recorded_as_refused_and_the_order_goes_through(
    page, stack
):
    email = "no-news@example.ru"
    order = page.locator("#order")
    _fill_order(page, email)
    order.get_by_role("button", name="Отправить заявку").click()
    order.get_by_role("status").filter(has_text=SENT).wait_for()
    record, _ = _current_consent(stack.lawful, email, "newsletters")
    assert record.state == "refused" and record.form_id == "order-form"


def test_an_invalid_email_is_shown_next_to_the_email_input(page, stack):
    order = page.locator("#order")
    # Passes the browser's own type=email check; lawful refuses the special-use domain.
    _fill_order(page, "marina@example.invalid", phone="+7 916 000-11-22")
    order.get_by_role("button", name="Отправить заявку").click()
    email = page.locator("#email")
    email.and_(page.locator("[aria-invalid=true]")).wait_for()
    note = page.locator("#email + .lawful-field-error")
    assert note.inner_text() == "Неверный адрес электронной почты."  # the page's language
    assert note.get_attribute("id") in (email.get_attribute("aria-describedby") or "")
    assert order.get_by_role("alert").inner_text() == "Исправьте отмеченные поля."
    assert page.input_value("#email") == "marina@example.invalid"  # kept for correction
    with stack.lawful.sessions.begin() as session:
        assert (
            subjects.find_subject(
                session=session, ring=stack.lawful.ring, kind="phone", value="+79160001122"
            )
            is None
        )


def test_a_lost_request_is_retried_with_the_same_idempotency_key(page, stack):
    keys: list[str] = []

    def drop_the_first(route: Any) -> None:
        keys.append(route.request.headers["idempotency-key"])
        if len(keys) == 1:
            route.abort()
        else:
            route.continue_()

    page.route(f"{stack.api}/api/v1/submissions", drop_the_first)
    order = page.locator("#order")
    _fill_order(page, "retry@example.ru", phone="+7 916 333-44-55")
    order.get_by_role("button", name="Отправить заявку").click()
    order.get_by_role("status").filter(has_text=SENT).wait_for()
    assert len(keys) == 2 and keys[0] == keys[1]
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", keys[0]
    )
