"""The web chat in real headless Chromium, across origins, under a strict CSP: the operator's
page (served by ``http.server`` on one port) allows lawful's origin only for script and fetch
and forbids inline script and style; lawful runs under uvicorn on another port."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from lawful.context import Lawful
from lawful.intake import service
from lawful.intake.models import IntakeMessage
from lawful.settings import MessengerSettings
from lawful.web.app import create_app
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.site_support import open_with_website, static_site
from tests.local_server import serving

PAGE = """<!doctype html>
<html lang="ru">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'self'; script-src {api}; connect-src {api}; style-src 'self'">
<title>Поддержка</title>
</head>
<body>
<h1>Напишите нам</h1>
<script src="{api}/chat.js" defer></script>
</body>
</html>
"""
TEXT = "Здравствуйте! Удалите, пожалуйста, мои данные."


@dataclass(frozen=True)
class Stack:
    lawful: Lawful
    page_url: str


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("chat")
    (root / "site").mkdir()
    with static_site(root / "site") as origin:
        lawful = open_with_website(
            root / "lawful",
            "kz-messaging-saas",
            website=origin,
            messengers=MessengerSettings(webchat_secret="browser-test-chat-key"),
        )
        app = create_app(lawful)
        app.state.intake_tools = service.Tools.for_policy(lawful.require_policy(), names=False)
        try:
            with serving(app) as api:
                page = root / "site" / "support.html"
                page.write_text(PAGE.format(api=api), encoding="utf-8")
                yield Stack(lawful, f"{origin}/support.html")
        finally:
            lawful.close()


def test_a_visitor_writes_through_the_chat_under_a_strict_policy(
    browser: Any, stack: Stack
) -> None:
    context = browser.new_context(locale="ru-RU")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.on("pageerror", lambda error: console.append(str(error)))
    page.goto(stack.page_url)
    page.locator("form.lawful-chat textarea").fill(TEXT)
    page.locator("form.lawful-chat button").click()
    page.locator("li.lawful-chat-lawful", has_text="Получено, спасибо.").wait_for()
    assert page.locator("li.lawful-chat-visitor").inner_text() == TEXT
    kept = page.evaluate("localStorage.getItem('lawful-chat-session')")
    assert "visitor_id" in kept and "token" in kept
    # A second message reuses the visitor's session.
    page.locator("form.lawful-chat textarea").fill("И ещё вопрос по заказу")
    page.locator("form.lawful-chat button").click()
    page.locator("li.lawful-chat-lawful").nth(1).wait_for()
    assert [m for m in console if not m.startswith("Failed to load resource")] == []
    context.close()
    with stack.lawful.sessions() as session:
        rows = list(session.scalars(sa.select(IntakeMessage)))
    assert [row.channel for row in rows] == ["web_chat", "web_chat"]
