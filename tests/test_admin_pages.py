"""The admin's subject view, policy, registers and audit pages."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from lawful.audit.models import AuditEvent
from lawful.context import Lawful
from lawful.documents import flows as documents
from lawful.users.models import AdminUser
from tests.admin_support import add_user, consent_story, signed_in, token
from tests.conftest import open_template
from tests.requests_support import add_person

EMAIL = "boris.kuznetsov@example.org"
NAME = "Boris Kuznetsov"


@pytest.fixture
def lawful(tmp_path: Path, database_url: str) -> Iterator[Lawful]:
    opened = open_template(tmp_path, database_url, "ru-design-studio")
    for role in ("dpo", "staff", "auditor"):
        add_user(opened, f"{role}@studio.example", role)
    yield opened
    opened.close()


def _extracts(lawful: Lawful) -> list[dict[str, object]]:
    with lawful.sessions() as session:
        bodies = session.scalars(sa.select(AuditEvent.body).where(AuditEvent.action == "extract"))
        return [json.loads(b) for b in bodies]


def test_the_dpo_finds_a_person_and_the_view_is_journalled_as_an_extract(lawful, caplog):
    subject_id = add_person(lawful, EMAIL, {"user.name": NAME})
    client = signed_in(lawful, "dpo")
    with caplog.at_level(logging.DEBUG):
        found = client.post(
            "/admin/subjects",
            data={"csrf": token(client, "/admin/subjects"), "kind": "email", "value": EMAIL},
        )
        assert found.status_code == 303
        assert found.headers["location"] == f"/admin/subjects/{subject_id}"  # no e-mail in it
        assert _extracts(lawful) == []  # finding is not seeing
        page = client.get(found.headers["location"])
    assert page.status_code == 200 and NAME in page.text
    with lawful.sessions() as session:
        dpo = session.scalar(sa.select(AdminUser.id).where(AdminUser.role == "dpo"))
    [extract] = _extracts(lawful)
    assert extract["actor"] == f"admin:{dpo}" and extract["subject"] == subject_id
    assert extract["details"] == {"reason": "admin_subject_view", "values": 1}
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert EMAIL not in logged and NAME not in logged


def test_an_unknown_identifier_says_so_without_journalling(lawful):
    client = signed_in(lawful, "dpo")
    missing = client.post(
        "/admin/subjects",
        data={"csrf": token(client, "/admin/subjects"), "kind": "email", "value": EMAIL},
    )
    assert missing.status_code == 404 and 'id="not-found"' in missing.text
    assert _extracts(lawful) == []


@pytest.mark.parametrize("role", ["staff", "auditor"])
def test_staff_and_auditors_cannot_see_a_persons_data(lawful, role):
    subject_id = add_person(lawful, EMAIL, {"user.name": NAME})
    client = signed_in(lawful, role)
    page = client.get(f"/admin/subjects/{subject_id}")
    assert page.status_code == 403 and NAME not in page.text
    form = {"csrf": token(client), "kind": "email", "value": EMAIL}
    assert client.post("/admin/subjects", data=form).status_code == 403
    assert _extracts(lawful) == []


def test_the_subject_view_lists_consents_with_their_text(lawful):
    [subject_id] = consent_story(lawful, ["withdrawn"])
    page = signed_in(lawful, "dpo").get(f"/admin/subjects/{subject_id}?lang=en")
    assert "withdrawn" in page.text
    assert 'href="/documents/consent-newsletters/ru/v1"' in page.text


def test_policy_lists_versions_and_shows_a_diff(lawful):
    agreement = "# Пользовательское соглашение\n\nПервый абзац.\n"
    documents.publish_and_flag(lawful, actor="test", user_agreements={"ru": agreement})
    documents.publish_and_flag(
        lawful, actor="test", user_agreements={"ru": agreement + "\nНовый абзац.\n"}
    )
    client = signed_in(lawful, "staff")
    page = client.get("/admin/policy")
    assert page.status_code == 200 and "privacy-policy" in page.text
    link = "/admin/policy/diff?kind=user-agreement&amp;language=ru&amp;a=1&amp;b=2"
    assert link in page.text
    diff = client.get(link.replace("&amp;", "&"))
    assert '<span class="added">+Новый абзац.</span>' in diff.text
    assert '<span class="same"> Первый абзац.</span>' in diff.text


def test_registers_download_as_csv_and_pdf(lawful):
    client = signed_in(lawful, "auditor")
    page = client.get("/admin/registers")
    assert "/admin/registers/ropa.pdf" in page.text
    ropa = client.get("/admin/registers/ropa.csv")
    assert ropa.status_code == 200 and ropa.headers["content-type"].startswith("text/csv")
    assert next(csv.reader(io.StringIO(ropa.text)))[0] == "purpose"
    pdf = client.get("/admin/registers/transfers.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    acts = client.get("/admin/registers/destruction-acts.csv")
    assert acts.text.splitlines()[0].startswith("Number,Destroyed")
    assert client.get("/admin/registers/nothing.csv").status_code == 404


def test_the_audit_page_verifies_the_chain_and_searches(lawful):
    add_person(lawful, EMAIL, {"user.name": NAME})
    client = signed_in(lawful, "auditor")
    page = client.get("/admin/audit")
    assert 'class="notice ok" id="chain"' in page.text
    only = client.get("/admin/audit?action=subject_create").text.split('id="journal"')[1]
    assert "<td>subject_create</td>" in only and "<td>record</td>" not in only
    everything = client.get("/admin/audit").text
    assert "<td>record</td>" in everything and "purpose: " not in everything
    found = client.get("/admin/audit?text=order_details").text.split('id="journal"')[1]
    assert "<td>record</td>" in found and "<td>subject_create</td>" not in found
    with lawful.engine.begin() as conn:  # someone edits the journal behind lawful's back
        conn.execute(sa.update(AuditEvent).where(AuditEvent.seq == 1).values(actor_edit()))
    broken = client.get("/admin/audit")
    assert 'role="alert"' in broken.text and "event 1" in broken.text


def actor_edit() -> dict[str, str]:
    return {"body": '{"edited":true}'}
