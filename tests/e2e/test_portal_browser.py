"""The data subject's portal in a real browser, as a person meets it: ask for erasure and read
the code from the mail; get the access report once; withdraw a consent. The operator's side is
the operator API. Screenshots of the main pages, at desktop and phone widths, are saved to
docs/screenshots/portal-*.png for the README when ``LAWFUL_SCREENSHOTS=1`` (otherwise to a
temporary folder, so that a test run leaves the tree as it was)."""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from lawful.consent.models import ConsentRecord
from lawful.context import Lawful
from lawful.destruction.models import DestructionAct
from lawful.documents import flows
from lawful.subjects import service as subjects
from lawful.web.app import create_app
from tests.conftest import open_template
from tests.e2e.conftest import TIMEOUT_MS
from tests.local_server import serving
from tests.portal_support import give_consent
from tests.requests_support import Inbox, add_person, smtp_server

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TOKEN = "portal-e2e-operator-token"
ERASER = "svetlana.erase@example.ru"
READER = "anton.reader@example.ru"
SUBSCRIBER = "oksana.news@example.ru"


@dataclass
class Served:
    lawful: Lawful
    base: str
    inbox: Inbox

    def operator(self, reference: str, step: str) -> dict[str, Any]:
        """One step of the operator API on the request (act, complete)."""
        answer = httpx.post(
            f"{self.base}/api/v1/operator/requests/{reference}/{step}",
            json={} if step == "act" else None,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder: Path = tmp_path_factory.mktemp("portal")
    lawful = open_template(folder, f"sqlite:///{folder / 'lawful.db'}", "ru-design-studio")
    flows.publish_and_flag(lawful, actor="e2e")
    with smtp_server() as (inbox, url):
        lawful.settings = replace(lawful.settings, smtp_url=url, operator_token=TOKEN)
        add_person(lawful, ERASER, {"user.name": "Svetlana Erase"})
        add_person(lawful, READER, {"user.name": "Anton Reader"})
        give_consent(lawful, add_person(lawful, SUBSCRIBER, {"user.name": "Oksana"}))
        try:
            with serving(create_app(lawful)) as base:
                yield Served(lawful, base, inbox)
        finally:
            lawful.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("LAWFUL_SCREENSHOTS") == "1":
        return DOCS_SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-GB", viewport=DESKTOP, accept_downloads=True)
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == []


def shoot(page: Any, folder: Path, name: str) -> None:
    """Save the page at desktop and at phone width (the page must not scroll sideways)."""
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"portal-{name}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= PHONE["width"], f"{name} scrolls sideways on a phone"
    page.screenshot(path=str(folder / f"portal-{name}-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def code_in(inbox: Inbox, address: str, count: int = 1) -> str:
    found = re.search(r"\b(\d{6})\b", inbox.body(inbox.wait_for(address, count)))
    assert found
    return found.group(1)


def reference_of(page: Any) -> str:
    found = re.search(r"/portal/requests/([0-9a-f]{32})", page.url)
    assert found
    return found.group(1)


def test_a_person_asks_for_erasure_confirms_by_mail_and_sees_it_done(page, served, screenshots):
    page.goto(f"{served.base}/portal")
    shoot(page, screenshots, "home")
    page.keyboard.press("Tab")  # the first stop is the skip link
    assert page.evaluate("document.activeElement.className") == "skip"
    page.get_by_role("link", name="Erase your data").click()
    page.get_by_label("Your e-mail address").fill("svetlana.erase@")
    page.get_by_role("button", name="Send the request").click()
    error = page.locator("#f-email-error")
    assert "Enter an e-mail address" in error.inner_text()
    assert page.get_attribute("#f-email", "aria-invalid") == "true"
    shoot(page, screenshots, "form-error")
    page.get_by_label("Your e-mail address").fill(ERASER)
    page.get_by_role("button", name="Send the request").click()
    page.get_by_label("Code from the e-mail").wait_for()
    shoot(page, screenshots, "verify")
    page.get_by_label("Code from the e-mail").fill(code_in(served.inbox, ERASER))
    page.keyboard.press("Enter")  # a keyboard is enough
    page.locator(".state-verified").wait_for()
    reference = reference_of(page)
    served.operator(reference, "act")
    served.operator(reference, "complete")
    page.reload()
    page.locator(".state-completed").wait_for()
    assert "Granted" in page.locator("dl.status").inner_text()
    shoot(page, screenshots, "status")
    with served.lawful.sessions() as session:
        gone = subjects.find_subject(
            session=session, ring=served.lawful.ring, kind="email", value=ERASER
        )
        acts = session.scalars(sa.select(DestructionAct.id)).all()
    assert gone is None and len(acts) == 1
    act = httpx.get(
        f"{served.base}/api/v1/operator/destruction-acts/{acts[0]}?format=pdf",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )
    assert act.status_code == 200 and act.content.startswith(b"%PDF")  # the act is downloadable


def test_a_person_downloads_the_access_report_once(page, served, screenshots):
    page.goto(f"{served.base}/portal/rights/access")
    page.get_by_label("Your e-mail address").fill(READER)
    page.get_by_role("button", name="Send the request").click()
    page.get_by_label("Code from the e-mail").fill(code_in(served.inbox, READER))
    page.get_by_role("button", name="Confirm", exact=True).click()
    page.locator(".state-verified").wait_for()
    reference = reference_of(page)
    served.operator(reference, "act")
    page.reload()
    button = page.get_by_role("button", name="Download your report")
    button.wait_for()
    shoot(page, screenshots, "report")
    csrf = page.locator('form[action$="/download"] input[name=csrf]').get_attribute("value")
    with page.expect_download() as caught:
        button.click()
    saved = caught.value.path()
    names = zipfile.ZipFile(io.BytesIO(Path(saved).read_bytes())).namelist()
    assert "data.csv" in names and "report.html" in names
    page.reload()
    assert page.get_by_role("button", name="Download your report").count() == 0
    assert "has been downloaded" in page.locator("main").inner_text()
    again = page.context.request.post(
        f"{served.base}/portal/requests/{reference}/download", form={"csrf": str(csrf)}
    )
    assert again.status == 410


def test_a_person_withdraws_a_consent_in_russian(browser, served, screenshots):
    context = browser.new_context(locale="ru-RU", viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{served.base}/portal/consents")
    page.get_by_label("Ваш адрес электронной почты").fill(SUBSCRIBER)
    page.get_by_role("button", name="Отправить код").click()
    page.get_by_label("Код из письма").fill(code_in(served.inbox, SUBSCRIBER))
    page.get_by_role("button", name="Продолжить").click()
    withdraw = page.get_by_role("button", name="Отозвать это согласие")
    withdraw.wait_for()
    shoot(page, screenshots, "consents")
    with page.expect_download() as caught:
        page.get_by_role("link", name="Скачать квитанцию (JSON)").click()
    assert '"KI-CR-v1.1.0"' in Path(caught.value.path()).read_text("utf-8")
    withdraw.click()
    page.locator(".consent-state.state-withdrawn").wait_for()
    assert "Согласие отозвано" in page.locator("main").inner_text()
    shoot(page, screenshots, "withdrawn")
    context.close()
    with served.lawful.sessions() as session:
        states = session.scalars(
            sa.select(ConsentRecord.state).where(ConsentRecord.is_current.is_(True))
        ).all()
    assert list(states) == ["withdrawn"]
