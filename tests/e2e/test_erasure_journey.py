"""One erasure from both sides, in a real browser: the person asks in the portal and confirms by
the code mailed to them; the DPO signs in to the admin, finds the request on the dashboard,
carries it out and downloads the destruction act; the person's status page then says it is
done, and lawful holds nothing of them any more."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from lawful.context import Lawful
from lawful.documents import flows
from lawful.requests.models import Request
from lawful.subjects import service as subjects
from lawful.web.app import create_app
from tests.admin_support import PASSWORD, add_user, carry_out_erasure_in_browser
from tests.conftest import open_template
from tests.e2e.conftest import TIMEOUT_MS
from tests.local_server import serving
from tests.requests_support import Inbox, add_person, smtp_server

PERSON = "marina.sokolova@example.ru"
DPO = "dpo@liniya.example"


@dataclass
class Site:
    lawful: Lawful
    base: str
    inbox: Inbox


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder: Path = tmp_path_factory.mktemp("journey")
    lawful = open_template(folder, f"sqlite:///{folder / 'lawful.db'}", "ru-design-studio")
    flows.publish_and_flag(lawful, actor="e2e")
    with smtp_server() as (inbox, url):
        lawful.settings = replace(lawful.settings, smtp_url=url)
        add_person(lawful, PERSON, {"user.name": "Марина Соколова"})
        add_user(lawful, DPO, "dpo")
        try:
            with serving(create_app(lawful)) as base:
                yield Site(lawful, base, inbox)
        finally:
            lawful.close()


def _page(browser: Any, errors: list[str]) -> Any:
    context = browser.new_context(
        locale="en-GB", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security" in m.text else None)
    return page


def _ask_for_erasure(page: Any, site: Site) -> str:
    """The person's side up to the confirmed request; its reference."""
    page.goto(f"{site.base}/portal")
    page.get_by_role("link", name="Erase your data").click()
    page.get_by_label("Your e-mail address").fill(PERSON)
    page.get_by_role("button", name="Send the request").click()
    mail = site.inbox.body(site.inbox.wait_for(PERSON, 1))
    code = re.search(r"\b(\d{6})\b", mail)
    assert code is not None
    page.get_by_label("Code from the e-mail").fill(code.group(1))
    page.keyboard.press("Enter")
    page.locator(".state-verified").wait_for()
    found = re.search(r"/portal/requests/([0-9a-f]{32})", page.url)
    assert found is not None
    assert PERSON not in page.url
    return found.group(1)


def _carry_out_as_dpo(page: Any, site: Site, reference: str) -> bytes:
    """The DPO's side: sign in, then the request from the dashboard to its close; the act."""
    page.goto(f"{site.base}/admin")
    page.fill("input[name=email]", DPO)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator("h1", has_text="Dashboard").wait_for()
    row = page.locator("#due-requests tr", has_text=reference[:8])
    assert "Erasure" in row.inner_text()
    act = carry_out_erasure_in_browser(page, row)
    return act


def test_an_erasure_asked_in_the_portal_is_carried_out_in_the_admin(browser, site):
    errors: list[str] = []
    person, dpo = _page(browser, errors), _page(browser, errors)
    reference = _ask_for_erasure(person, site)
    act = _carry_out_as_dpo(dpo, site, reference)
    assert act.startswith(b"%PDF")
    person.reload()
    person.locator(".state-completed").wait_for()
    assert "Granted" in person.locator("dl.status").inner_text()
    assert errors == []  # no script error, no CSP refusal on either side
    with site.lawful.sessions() as session:
        assert session.get(Request, reference) is not None
        gone = subjects.find_subject(
            session=session, ring=site.lawful.ring, kind="email", value=PERSON
        )
    assert gone is None
