"""The admin as a DPO meets it in a real browser: sign in, see the pending erasure on the
dashboard, carry it out, download the destruction act, answer and close the request. The test
also saves the screenshots of the main admin pages that README.md shows (docs/screenshots)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from lawful.context import Lawful
from lawful.incidents import service as incidents
from lawful.requests import flows
from lawful.requests import service as requests
from lawful.requests.models import Request
from lawful.subjects.models import Subject
from tests.admin_support import PASSWORD, add_user, carry_out_erasure_in_browser, consent_story
from tests.conftest import open_template
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.site_support import served_on_loopback
from tests.requests_support import add_person

EMAIL = "irina.volkova@example.org"
DPO = "dpo@studio.example"
#: README's screenshots are refreshed with LAWFUL_SCREENSHOTS=1; otherwise they are taken (the
#: pages must render at both widths) into a temporary folder, leaving the worktree clean.
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def _enter(lawful: Lawful, kind: str, email: str, days_ago: int, verified: bool = True) -> str:
    intake = requests.Intake(kind=kind, identifier_kind="email", identifier=email, channel="post")
    return flows.enter(
        lawful,
        intake,
        verified_reason="signed letter" if verified else None,
        actor="test",
        now=datetime.now(UTC) - timedelta(days=days_ago),
    ).id


def _seed(lawful: Lawful) -> str:
    """An operator with some history; returns the pending erasure request's id."""
    consent_story(lawful, ["given", "given", "given", "refused", "withdrawn"])
    add_person(lawful, EMAIL, {"user.name": "Irina Volkova"})
    add_user(lawful, DPO, "dpo")
    _enter(lawful, "access", "pavel@example.org", days_ago=2, verified=False)
    _enter(lawful, "access", "olga@example.org", days_ago=40)  # overdue
    with lawful.sessions.begin() as session:
        incidents.register(
            session=session,
            policy=lawful.require_policy(),
            incident=incidents.NewIncident(
                detected_at=datetime.now(UTC) - timedelta(hours=5),
                nature="A laptop with a copy of the order list was stolen",
                categories=["user.name", "user.contact.email"],
                subjects_affected=120,
                measures="Disk encryption confirmed; passwords rotated",
            ),
            actor="test",
            now=datetime.now(UTC),
        )
    return _enter(lawful, "erasure", EMAIL, days_ago=27)  # 30 days: due in three


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Lawful, str, str]]:
    folder: Path = tmp_path_factory.mktemp("admin")
    lawful = open_template(folder, f"sqlite:///{folder / 'lawful.db'}", "ru-design-studio")
    erasure = _seed(lawful)
    try:
        with served_on_loopback(_app(lawful)) as base:
            yield lawful, base, erasure
    finally:
        lawful.close()


def _app(lawful: Lawful) -> Any:
    from lawful.web.app import create_app

    return create_app(lawful)


def _sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/admin")
    page.fill("input[name=email]", DPO)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator("h1", has_text="Dashboard").wait_for()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("LAWFUL_SCREENSHOTS"):
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return DOCS_SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


def _shoot(page: Any, folder: Path, name: str, width: str) -> None:
    page.screenshot(path=str(folder / f"admin-{name}-{width}.png"), full_page=True)


def test_a_dpo_completes_an_erasure_and_downloads_the_act(browser: Any, served) -> None:
    lawful, base, erasure = served
    context = browser.new_context(
        locale="en-GB", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security" in m.text else None)
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    _sign_in(page, base)
    row = page.locator("#due-requests tr", has_text=erasure[:8])
    assert "Erasure" in row.inner_text() and "in 3 days" in row.inner_text()
    act = carry_out_erasure_in_browser(page, row)
    assert act.startswith(b"%PDF")
    context.close()
    assert errors == []  # no script error, no CSP refusal
    with lawful.sessions() as session:
        assert session.get(Request, erasure).state == "completed"
        held = session.scalar(sa.select(sa.func.count()).select_from(Subject))
    assert held == 5  # Irina is gone; the five who answered about consent stay


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_screenshots_of_the_main_admin_pages(
    browser: Any, served, screenshots: Path, width: str
) -> None:
    lawful, base, erasure = served
    w, h = WIDTHS[width]
    context = browser.new_context(locale="en-GB", viewport={"width": w, "height": h})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{base}/admin/sign-in")
    _shoot(page, screenshots, "sign-in", width)
    _sign_in(page, base)
    _shoot(page, screenshots, "dashboard", width)
    page.goto(f"{base}/admin/requests")
    _shoot(page, screenshots, "requests", width)
    page.goto(f"{base}/admin/requests/{erasure}")
    _shoot(page, screenshots, "request-done", width)
    page.goto(f"{base}/admin/requests")
    page.locator("#queue tbody tr").first.get_by_role("link").click()
    page.locator("#act-form").wait_for()
    _shoot(page, screenshots, "request", width)
    page.goto(f"{base}/admin/registers")
    _shoot(page, screenshots, "registers", width)
    page.goto(f"{base}/admin/audit?lang=ru")
    page.locator("#chain").wait_for()
    _shoot(page, screenshots, "audit-ru", width)
    context.close()
    assert (screenshots / f"admin-dashboard-{width}.png").stat().st_size > 10_000
