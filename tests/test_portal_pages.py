"""The portal's front page, its languages, its cookies' signatures and its page rules."""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest
import sqlalchemy as sa
from starlette.exceptions import StarletteDeprecationWarning

from lawful.context import Lawful
from lawful.documents import flows as documents
from lawful.documents import service as published
from lawful.throttle.models import ThrottleMark
from lawful.web import create_app
from lawful.web.pages.i18n import translations
from lawful.web.pages.portal import common, tokens
from lawful.web.pages.portal.attempts import Attempts
from tests.conftest import open_template

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

PAGES = ("/portal", "/portal/rights/erasure", "/portal/rights/withdrawal", "/portal/consents")


@pytest.fixture
def portal(tmp_path: Path, database_url: str) -> Iterator[tuple[Lawful, TestClient]]:
    lawful = open_template(tmp_path, database_url, "ru-design-studio")
    documents.publish_and_flag(lawful, actor="test")
    now = datetime.now(UTC)
    with lawful.sessions.begin() as session:
        for text in ("# Agreement\n\nFirst.\n", "# Agreement\n\nSecond.\n"):
            published.import_document(
                session=session,
                kind="user-agreement",
                language="ru",
                markdown=text,
                now=now,
                actor="test",
            )
    yield lawful, TestClient(create_app(lawful))
    lawful.close()


def test_the_front_page_links_every_policy_and_each_earlier_version(portal):
    lawful, client = portal
    page = client.get("/portal", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    with lawful.sessions() as session:
        versions = published.versions(session=session)
    assert versions
    for version in versions:
        assert f'href="{version.ref.path}"' in page.text
    assert 'href="/documents/user-agreement/ru/v1"' in page.text
    assert "Earlier versions" in page.text
    assert client.get("/documents/user-agreement/ru/v1").status_code == 200  # a stable URL


def test_the_pages_speak_the_browsers_language_and_switch(portal):
    _lawful, client = portal
    russian = client.get("/portal", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert '<html lang="ru">' in russian.text and "Ваши права" in russian.text
    assert "Уничтожить ваши данные" in russian.text
    switched = client.get("/portal?lang=en", headers={"Accept-Language": "ru"})
    assert '<html lang="en">' in switched.text and "Your rights" in switched.text
    assert 'href="?lang=ru"' in switched.text


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_no_script_and_carry_the_security_headers(portal, path):
    _lawful, client = portal
    page = client.get(path)
    assert page.status_code == 200
    assert "<script" not in page.text and " style=" not in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert '<meta name="viewport"' in page.text


def _portal_msgids() -> set[str]:
    """Every English text the portal shows: in its templates, and its messages in code."""
    found: set[str] = set()
    templates = resources.files("lawful.web.pages") / "templates" / "portal"
    for entry in templates.iterdir():
        text = entry.read_text("utf-8")
        found |= {m[1] for m in re.findall(r'_\(\s*(["\'])(.*?)\1\s*\)', text, re.S)}
    package = resources.files("lawful.web.pages") / "portal"
    for entry in package.iterdir():
        if not entry.name.endswith(".py"):
            continue
        for node in ast.walk(ast.parse(entry.read_text("utf-8"))):
            if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Constant):
                continue
            target, value = node.targets[0], node.value.value
            if isinstance(target, ast.Name) and target.id.isupper() and isinstance(value, str):
                found |= {value} if " " in value else set()
    return found


def test_every_portal_text_has_its_russian_translation():
    russian = translations("ru")
    ids = _portal_msgids() | set(common.MESSAGES.values())
    assert "Your rights" in ids and "Enter the six digits from the e-mail." in ids
    missing = sorted(i for i in ids if russian.gettext(i) == i)
    assert missing == []


def test_signed_values_refuse_tampering_expiry_and_other_uses(portal):
    lawful, _client = portal
    now = datetime.now(UTC)
    token = tokens.sign(lawful.ring, "session", {"s": "abc"}, now, timedelta(minutes=30))
    assert tokens.unsign(lawful.ring, "session", token, now) == {
        "s": "abc",
        "exp": int((now + timedelta(minutes=30)).timestamp()),
    }
    body, mac = token.split(".")
    forged = tokens.sign(lawful.ring, "session", {"s": "xyz"}, now, timedelta(minutes=30))
    assert tokens.unsign(lawful.ring, "session", f"{forged.split('.')[0]}.{mac}", now) is None
    assert tokens.unsign(lawful.ring, "session", f"{body}.{mac[:-2]}AA", now) is None
    assert tokens.unsign(lawful.ring, "requests", token, now) is None
    assert tokens.unsign(lawful.ring, "session", token, now + timedelta(minutes=31)) is None
    for junk in ("", "a.b.c", "%%%.###", "x" * 4000):
        assert tokens.unsign(lawful.ring, "session", junk, now) is None


def test_the_memory_of_codes_forgets_what_has_expired(tmp_path, database_url):
    lawful = open_template(tmp_path, database_url, "ru-design-studio")
    memory, now = Attempts(lawful.sessions), datetime.now(UTC)
    memory.PRUNE_EVERY = 3
    assert [memory.wrong("c1", now + timedelta(minutes=1)) for _ in range(2)] == [1, 2]
    memory.lock_out("digest", now + timedelta(hours=1))
    assert memory.locked_until("digest", now) is not None
    assert memory.locked_until("digest", now + timedelta(hours=2)) is None
    memory.end("old", now - timedelta(seconds=1))
    memory.end("s1", now + timedelta(minutes=30))
    assert memory.ended("s1") and not memory.ended("never") and not memory.ended("old")
    memory.end("s2", now + timedelta(minutes=30))  # the third: the expired are forgotten
    with lawful.sessions() as session:
        kept = set(session.scalars(sa.select(ThrottleMark.key)))
    lawful.close()
    assert kept == {"wrong:c1", "locked:digest", "ended:s1", "ended:s2"}
