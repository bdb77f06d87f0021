"""The web chat in real headless Chromium, across origins, under a strict CSP: the operator's
page (served by ``http.server`` on one port) allows lawful's origin only for script and fetch
and forbids inline script and style; lawful runs under uvicorn on another port."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from lawful.config.init import write_starter_config
from lawful.context import Lawful, open_lawful
from lawful.crypto.keyfile import generate_master_key_file
from lawful.intake import service
from lawful.intake.models import IntakeMessage
from lawful.settings import MessengerSettings, Settings
from lawful.web.app import create_app
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_widget_browser import _QuietHandler
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


@contextmanager
def static_site(folder: Path) -> Iterator[str]:
    """The operator's site: ``folder`` served on another port; its origin."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{site.server_address[1]}"
    finally:
        site.shutdown()
        site.server_close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("chat")
    (root / "site").mkdir()
    with static_site(root / "site") as origin:
        lawful = _open_messaging(root / "lawful", website=origin)
        app = create_app(lawful)
        app.state.intake_tools = service.Tools.for_policy(lawful.require_policy(), names=False)
        try:
            with serving(app) as api:
                page = root / "site" / "support.html"
                page.write_text(PAGE.format(api=api), encoding="utf-8")
                yield Stack(lawful, f"{origin}/support.html")
        finally:
            lawful.close()


def _open_messaging(folder: Path, *, website: str) -> Lawful:
    folder.mkdir()
    config = write_starter_config(folder / "lawful.yaml", "kz-messaging-saas")
    text = config.read_text(encoding="utf-8")
    changed = re.sub(r"(?m)^  website: .*$", f"  website: {website}", text, count=1)
    assert changed != text
    config.write_text(changed, encoding="utf-8")
    settings = replace(
        Settings.from_env({}, data_dir=folder),
        config_path=config,
        database_url=f"sqlite:///{folder / 'lawful.db'}",
        messengers=MessengerSettings(webchat_secret="browser-test-chat-key"),
    )
    generate_master_key_file(settings.master_key_path)
    return open_lawful(settings)


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
