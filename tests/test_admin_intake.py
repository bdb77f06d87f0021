"""The admin's queue of incoming messages: listed for every role without personal data, read
and decided only by the roles that may see personal data, each reading journalled."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from lawful.audit.models import AuditEvent
from lawful.context import Lawful
from lawful.intake import flows
from lawful.intake.models import IntakeMessage
from lawful.requests.models import Request
from tests.admin_support import add_user, signed_in, token
from tests.conftest import open_template
from tests.intake.test_import import Outbox, eml

SENDER = "marina.k@example.org"
WITH_HEALTH = (
    "Добрый день. Удалите, пожалуйста, все мои персональные данные. "
    "Я проходила у вас лечение после инсульта, эти сведения не должны храниться."
)


@pytest.fixture
def lawful(tmp_path: Path, database_url: str) -> Iterator[Lawful]:
    opened = open_template(tmp_path, database_url, "ru-design-studio")
    for role in ("admin", "dpo", "staff", "auditor"):
        add_user(opened, f"{role}@studio.example", role)
    path = tmp_path / "one.eml"
    path.write_bytes(eml(SENDER, "Удаление", WITH_HEALTH))
    flows.import_file(opened, Outbox(), path, actor="test", now=datetime.now(UTC), names=False)
    yield opened
    opened.close()


def held_id(lawful: Lawful) -> str:
    with lawful.sessions() as session:
        return str(session.scalar(sa.select(IntakeMessage.id)))


def extracts(lawful: Lawful) -> int:
    with lawful.sessions() as session:
        query = sa.select(sa.func.count()).where(AuditEvent.action == "extract")
        return int(session.scalar(query) or 0)


@pytest.mark.parametrize("role", ["staff", "auditor"])
def test_every_role_sees_the_queue_without_personal_data(lawful: Lawful, role: str) -> None:
    page = signed_in(lawful, role).get("/admin/intake")

    assert page.status_code == 200
    assert "Special categories the policy does not declare" in page.text
    assert "Erasure" in page.text and held_id(lawful)[:8] in page.text
    assert SENDER not in page.text and "инсульт" not in page.text
    assert f'href="/admin/intake/{held_id(lawful)}"' not in page.text  # cannot open it


def test_staff_may_not_read_a_message(lawful: Lawful) -> None:
    page = signed_in(lawful, "staff").get(f"/admin/intake/{held_id(lawful)}")

    assert page.status_code == 403 and "инсульт" not in page.text
    assert extracts(lawful) == 0


def test_the_dpo_reads_it_journalled_and_decides(lawful: Lawful) -> None:
    client = signed_in(lawful, "dpo")
    message_id = held_id(lawful)

    page = client.get(f"/admin/intake/{message_id}")
    assert page.status_code == 200
    assert SENDER in page.text and "инсульта" in page.text
    assert extracts(lawful) == 1
    form = {"csrf": token(client, f"/admin/intake/{message_id}"), "decision": "erasure"}
    decided = client.post(f"/admin/intake/{message_id}/decide", data=form)

    assert decided.status_code == 303 and decided.headers["location"] == "/admin/intake"
    with lawful.sessions() as session:
        message = session.get_one(IntakeMessage, message_id)
        request = session.get_one(Request, message.request_id)
    assert (message.state, request.kind) == ("routed", "erasure")
    assert "No message is waiting" in client.get("/admin/intake").text


def test_a_refused_decision_shows_the_reason_and_changes_nothing(lawful: Lawful) -> None:
    client = signed_in(lawful, "dpo")
    message_id = held_id(lawful)
    form = {"csrf": token(client, f"/admin/intake/{message_id}"), "decision": "rectification"}

    page = client.post(f"/admin/intake/{message_id}/decide", data=form)

    assert page.status_code == 422 and 'id="step-error"' in page.text
    assert "details.category" in page.text or "needs" in page.text
    with lawful.sessions() as session:
        assert session.get_one(IntakeMessage, message_id).state == "quarantined"


def test_a_decision_without_the_form_token_is_refused(lawful: Lawful) -> None:
    client = signed_in(lawful, "dpo")
    message_id = held_id(lawful)

    page = client.post(f"/admin/intake/{message_id}/decide", data={"decision": "dismiss"})

    assert page.status_code == 401  # as every admin form without its token
    with lawful.sessions() as session:
        assert session.get_one(IntakeMessage, message_id).state == "quarantined"


def test_the_queue_speaks_russian(lawful: Lawful) -> None:
    page = signed_in(lawful, "dpo").get("/admin/intake", headers={"Accept-Language": "ru"})

    assert "Сообщения, ожидающие решения сотрудника" in page.text
    assert "Специальные категории, не объявленные в политике" in page.text


def test_the_dashboard_counts_the_messages_waiting(lawful: Lawful) -> None:
    page = signed_in(lawful, "staff").get("/admin")

    assert 'id="count-waiting">1<' in page.text
