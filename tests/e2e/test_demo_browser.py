"""`lawful demo`'s /demo page, as a first-time user meets it: fill the operator's contact form,
tick the newsletter, send — and the values, the consent and its evidence are in lawful."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from lawful.consent.models import ConsentRecord
from lawful.context import Lawful
from lawful.documents import flows
from lawful.subjects import service as subjects
from lawful.web.app import create_app
from tests.conftest import open_template
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.site_support import served_on_loopback

EMAIL = "olga.demo@example.ru"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Lawful, str]]:
    folder: Path = tmp_path_factory.mktemp("demo")
    lawful = open_template(folder, f"sqlite:///{folder / 'lawful.db'}", "ru-design-studio")
    flows.publish_and_flag(lawful, actor="demo")
    try:
        with served_on_loopback(create_app(lawful, demo_site=True)) as base:
            yield lawful, base
    finally:
        lawful.close()


def test_a_visitor_sends_the_demo_form_and_lawful_holds_the_consent(browser: Any, served):
    lawful, base = served
    context = browser.new_context(locale="ru-RU")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base}/demo")
    page.locator("fieldset.lawful-consents").wait_for()
    page.fill("#name", "Ольга Демо")
    page.fill("#email", EMAIL)
    page.fill("#phone_number", "+7 916 555-44-33")
    page.fill("#private", "Хочу обсудить фирменный стиль")
    page.locator('input[data-lawful-consent="newsletters"]').check()
    page.locator("button[type=submit]").click()
    page.locator('[role="status"]').filter(has_text="Спасибо").wait_for()
    context.close()
    assert errors == []
    with lawful.sessions.begin() as session:
        sid = subjects.find_subject(session=session, ring=lawful.ring, kind="email", value=EMAIL)
        assert sid is not None
        states = session.execute(
            sa.select(ConsentRecord.purpose, ConsentRecord.state, ConsentRecord.form_id).where(
                ConsentRecord.subject_id == sid
            )
        ).all()
    assert [tuple(s) for s in states] == [("newsletters", "given", "demo-contact-form")]
