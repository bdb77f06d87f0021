"""The admin's dashboard and requests: the queue, a request's page and the steps the law
allows, each role's reach, and the destruction act's download."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from lawful.context import Lawful
from lawful.requests import flows
from lawful.requests import service as requests
from lawful.requests.models import Request, RequestEvent
from lawful.subjects.models import Subject
from lawful.users.models import AdminUser
from tests.admin_support import add_user, consent_story, signed_in, token
from tests.conftest import open_template
from tests.requests_support import add_person

EMAIL = "anna.petrova@example.org"


@pytest.fixture
def lawful(tmp_path: Path, database_url: str) -> Iterator[Lawful]:
    opened = open_template(tmp_path, database_url, "ru-design-studio")
    for role in ("admin", "dpo", "staff", "auditor"):
        add_user(opened, f"{role}@studio.example", role)
    yield opened
    opened.close()


def erasure(lawful: Lawful, *, verified: bool = True, at: datetime | None = None) -> str:
    intake = requests.Intake(
        kind="erasure", identifier_kind="email", identifier=EMAIL, channel="post"
    )
    request = flows.enter(
        lawful,
        intake,
        verified_reason="signed letter" if verified else None,
        actor="test",
        now=at or datetime.now(UTC),
    )
    return request.id


def test_the_dashboard_shows_overdue_and_due_requests_with_countdowns(lawful):
    add_person(lawful, EMAIL, {"user.name": "Anna Petrova"})
    late = erasure(lawful, at=datetime.now(UTC) - timedelta(days=60))
    soon = erasure(lawful, at=datetime.now(UTC) - timedelta(days=26))  # 30 days: 4 left
    erasure(lawful)  # due in a month: not on the dashboard
    page = signed_in(lawful, "staff").get("/admin", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    overdue = page.text.split('id="count-overdue">')[1].split("<")[0]
    assert overdue == "1"
    assert page.text.split('id="count-week">')[1].split("<")[0] == "1"
    assert f"/admin/requests/{late}" in page.text and f"/admin/requests/{soon}" in page.text
    assert "ago" in page.text  # the overdue one's countdown
    assert EMAIL not in page.text and "Petrova" not in page.text


def test_the_dashboard_draws_consents_per_purpose_as_svg_in_russian(lawful):
    consent_story(lawful, ["given", "given", "refused", "withdrawn"])
    page = signed_in(lawful, "dpo").get("/admin?lang=ru")
    assert '<html lang="ru">' in page.text and "Согласия" in page.text
    assert "<svg" in page.text and "<script" not in page.text
    row = page.text.split('id="consents"')[1].split("</tr>")[1]
    # three said yes (one withdrew later), one said no
    assert "<td>3</td><td>1</td><td>1</td>" in row and "75 %" in row


def test_a_dpo_carries_out_an_erasure_and_downloads_its_act(lawful):
    subject_id = add_person(lawful, EMAIL, {"user.name": "Anna Petrova"})
    request_id = erasure(lawful)
    client = signed_in(lawful, "dpo")
    page = client.get(f"/admin/requests/{request_id}")
    assert "Carry out the request" in page.text and "Checked by staff" in page.text
    form = {"csrf": token(client, f"/admin/requests/{request_id}"), "destroyed_by": "O. Ivanova"}
    done = client.post(f"/admin/requests/{request_id}/act", data=form)
    assert done.status_code == 303
    with lawful.sessions() as session:
        assert session.get(Subject, subject_id) is None
        assert session.get(Request, request_id).state == "fulfilled"
        user_id = session.scalar(sa.select(AdminUser.id).where(AdminUser.role == "dpo"))
        actors = set(session.scalars(sa.select(RequestEvent.actor)))
    assert f"admin:{user_id}" in actors  # by id, never by e-mail
    page = client.get(f"/admin/requests/{request_id}")
    assert "dpo@studio.example" in page.text  # shown to colleagues by name
    act_link = page.text.split('href="/admin/acts/')[1].split('"')[0]
    pdf = client.get(f"/admin/acts/{act_link}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]
    client.post(
        f"/admin/requests/{request_id}/complete",
        data={"csrf": token(client, f"/admin/requests/{request_id}")},
    )
    with lawful.sessions() as session:
        assert session.get(Request, request_id).state == "completed"


def test_a_step_the_state_does_not_allow_is_refused_on_the_page(lawful):
    request_id = erasure(lawful)
    client = signed_in(lawful, "staff")
    answer = client.post(
        f"/admin/requests/{request_id}/complete",
        data={"csrf": token(client, f"/admin/requests/{request_id}")},
    )
    assert answer.status_code == 409 and 'id="step-error"' in answer.text
    with lawful.sessions() as session:
        assert session.get(Request, request_id).state == "verified"  # nothing changed


def test_staff_verify_with_a_reason(lawful):
    request_id = erasure(lawful, verified=False)
    client = signed_in(lawful, "staff")
    form = {"csrf": token(client, f"/admin/requests/{request_id}"), "reason": "passport shown"}
    assert client.post(f"/admin/requests/{request_id}/verify", data=form).status_code == 303
    with lawful.sessions() as session:
        request = session.get(Request, request_id)
        assert (request.state, request.verification) == ("verified", "staff")


def test_the_queue_filters_and_sorts_by_deadline(lawful):
    old = erasure(lawful, at=datetime.now(UTC) - timedelta(days=20))
    new = erasure(lawful, verified=False)
    client = signed_in(lawful, "auditor")
    by_deadline = client.get("/admin/requests").text
    assert by_deadline.index(old) < by_deadline.index(new)
    by_arrival = client.get("/admin/requests?sort=received").text
    assert by_arrival.index(new) < by_arrival.index(old)
    only = client.get("/admin/requests?state=awaiting_verification").text
    assert new in only and old not in only


def test_an_auditor_reads_but_cannot_act(lawful):
    request_id = erasure(lawful)
    client = signed_in(lawful, "auditor")
    page = client.get(f"/admin/requests/{request_id}")
    assert page.status_code == 200 and "/act" not in page.text
    form = {"csrf": token(client), "destroyed_by": "someone"}
    refused = client.post(f"/admin/requests/{request_id}/act", data=form)
    assert refused.status_code == 403
    with lawful.sessions() as session:
        assert session.get(Request, request_id).state == "verified"


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("staff", "/admin/subjects", 403),
        ("auditor", "/admin/subjects", 403),
        ("dpo", "/admin/subjects", 200),
        ("staff", "/admin/registers", 403),
        ("staff", "/admin/audit", 403),
        ("auditor", "/admin/audit", 200),
        ("auditor", "/admin/registers", 200),
        ("staff", "/admin/policy", 200),
    ],
)
def test_each_role_reaches_only_its_pages(lawful, role, path, status):
    assert signed_in(lawful, role).get(path).status_code == status
