"""POST /api/v1/submissions: a web form enters lawful — values under their purposes, one consent
record per purpose, all or nothing; refusals name the field and change nothing."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from lawful import audit
from lawful.consent.models import ConsentRecord
from lawful.context import Lawful
from lawful.subjects import service as subjects
from lawful.subjects.models import PersonalValue, Subject
from lawful.web.app import create_app

EMAIL = "Marina.Sokolova@example.ru"


@pytest.fixture
def studio(published_studio: Lawful) -> Lawful:
    return published_studio


@pytest.fixture
def client(studio: Lawful) -> TestClient:
    return TestClient(create_app(studio))


def _version(client: TestClient, purpose: str, language: str = "ru") -> dict[str, Any]:
    current = client.get(f"/api/v1/documents/consent-{purpose}/{language}/current").json()
    return {"document_version": current["version"], "content_hash": current["content_hash"]}


def _form(client: TestClient, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "form_id": "order-form",
        "language": "ru",
        "page_url": "https://liniya-i-tsvet.example/order",
        "fields": {
            "user.name": "Марина Соколова",
            "user.contact.email": EMAIL,
            "user.contact.phone_number": "+7 (916) 123-45-67",
            "user.content.private": "Нужен логотип для кофейни",
        },
        "purposes": ["order_details", "newsletters"],
        "consents": {"newsletters": {"given": True, **_version(client, "newsletters")}},
    }
    body.update(changes)
    return body


def _counts(lawful: Lawful) -> tuple[int, int, int]:
    with lawful.sessions.begin() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
            for model in (Subject, PersonalValue, ConsentRecord)
        )


def test_a_form_stores_values_under_each_purpose_and_one_consent_per_purpose(client, studio):
    answer = client.post(
        "/api/v1/submissions", json=_form(client), headers={"User-Agent": "Mozilla/5.0 test"}
    )
    assert answer.status_code == 201, answer.text
    receipt = answer.json()
    assert receipt["recorded"] == {
        "order_details": [
            "user.contact.email",
            "user.contact.phone_number",
            "user.content.private",
            "user.name",
        ],
        "newsletters": ["user.contact.email", "user.name"],
    }
    assert set(receipt["consents"]) == {"newsletters"}
    with studio.sessions.begin() as session:
        sid = subjects.find_subject(
            session=session,
            ring=studio.ring,
            kind="phone",
            value="89161234567",
            default_region="RU",
        )
        assert sid == receipt["subject_ref"]
        record = session.get(ConsentRecord, receipt["consents"]["newsletters"])
        assert record is not None and record.state == "given" and record.form_id == "order-form"
    assert audit.verify(studio.engine).ok


def test_a_second_form_from_the_same_person_links_to_the_same_subject(client):
    first = client.post("/api/v1/submissions", json=_form(client)).json()
    again = _form(client, fields={"user.contact.email": EMAIL.lower(), "user.name": "М. Соколова"})
    second = client.post("/api/v1/submissions", json=again).json()
    assert second["subject_ref"] == first["subject_ref"] and not second["new_subject"]


def test_a_retry_with_the_same_idempotency_key_acts_once(client, studio):
    body, headers = _form(client), {"Idempotency-Key": "order-42"}
    first = client.post("/api/v1/submissions", json=body, headers=headers)
    counts = _counts(studio)
    retry = client.post("/api/v1/submissions", json=body, headers=headers)
    assert retry.status_code == 201 and retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert _counts(studio) == counts


def test_the_same_idempotency_key_with_another_body_is_refused(client, studio):
    client.post("/api/v1/submissions", json=_form(client), headers={"Idempotency-Key": "k1"})
    counts = _counts(studio)
    other = _form(client, form_id="other-form")
    answer = client.post("/api/v1/submissions", json=other, headers={"Idempotency-Key": "k1"})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "Idempotency-Key"
    assert _counts(studio) == counts


def test_an_idempotency_key_over_255_characters_is_refused_naming_the_header(client, studio):
    key = "k" * 256
    answer = client.post(
        "/api/v1/submissions", json=_form(client), headers={"Idempotency-Key": key}
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in answer.json()["errors"]] == ["header.idempotency-key"]
    assert key not in answer.text
    assert _counts(studio) == (0, 0, 0)


def test_a_submission_with_another_method_is_not_allowed(client):
    answer = client.get("/api/v1/submissions")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"


def test_the_submission_route_documents_its_headers(client):
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/submissions"]["post"]
    assert {p["name"] for p in operation["parameters"]} == {"idempotency-key", "sec-gpc"}


def _refused(
    client: TestClient,
    studio: Lawful,
    body: Any,
    field: str,
    status: int = 422,
    code: str | None = None,
) -> None:
    answer = client.post("/api/v1/submissions", json=body)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    errors = {error["field"]: error for error in answer.json().get("errors", [])}
    assert field in errors
    if code is not None:  # the code a form turns into words in the person's language
        assert errors[field]["code"] == code
    assert _counts(studio) == (0, 0, 0)
    assert EMAIL not in answer.text and "Соколова" not in answer.text


def test_an_invalid_email_is_refused_naming_the_field(client, studio):
    body = _form(client)
    body["fields"]["user.contact.email"] = "marina@@example"
    _refused(client, studio, body, "fields.user.contact.email", code="invalid-email")


def test_an_invalid_phone_is_refused_naming_the_field(client, studio):
    body = _form(client)
    body["fields"]["user.contact.phone_number"] = "12"
    _refused(client, studio, body, "fields.user.contact.phone_number", code="invalid-phone")


def test_a_field_no_ticked_purpose_uses_is_refused(client, studio):
    body = _form(client)
    body["fields"]["user.device.ip_address"] = "203.0.113.7"
    _refused(client, studio, body, "fields.user.device.ip_address", code="field-not-used")


def test_an_unknown_purpose_is_refused(client, studio):
    _refused(client, studio, _form(client, purposes=["order_details", "profiling"]), "purposes[1]")


def test_a_missing_required_consent_is_refused(client, studio):
    _refused(client, studio, _form(client, consents={}), "consents.newsletters")


def test_a_consent_on_a_text_that_is_not_current_is_refused(client, studio):
    stale = {"newsletters": {"given": True, "document_version": 7}}
    _refused(client, studio, _form(client, consents=stale), "consents.newsletters.document_version")


def test_a_language_the_operator_does_not_publish_in_is_refused(client, studio):
    _refused(client, studio, _form(client, language="de"), "language")


def test_malformed_json_is_a_problem_naming_the_body(client, studio):
    answer = client.post(
        "/api/v1/submissions", content=b'{"form_id": ', headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert _counts(studio) == (0, 0, 0)


def test_an_oversized_body_is_refused_with_413(client, studio):
    body = _form(client)
    body["fields"]["user.content.private"] = "x" * (2 * 1024 * 1024)
    answer = client.post("/api/v1/submissions", json=body)
    assert answer.status_code == 413
    assert _counts(studio) == (0, 0, 0)


def test_a_refused_consent_is_recorded_and_stores_nothing_for_its_purpose(client, studio):
    refusal = {"newsletters": {"given": False, **_version(client, "newsletters")}}
    receipt = client.post("/api/v1/submissions", json=_form(client, consents=refusal)).json()
    assert receipt["refused"] == ["newsletters"] and "newsletters" not in receipt["recorded"]


def test_a_gpc_signal_objects_to_sharing_and_nothing_is_stored_for_it(client, studio):
    body = _form(
        client,
        purposes=["order_details", "portfolio_publication"],
        consents={
            "portfolio_publication": {"given": True, **_version(client, "portfolio_publication")}
        },
    )
    body["fields"]["user.content.public"] = "Отличная студия!"
    answer = client.post("/api/v1/submissions", json=body, headers={"Sec-GPC": "1"})
    receipt = answer.json()
    assert answer.status_code == 201, answer.text
    assert receipt["gpc_objections"] == ["portfolio_publication"]
    assert "portfolio_publication" not in receipt["recorded"]
    with studio.sessions.begin() as session:
        states = session.scalars(
            sa.select(ConsentRecord.state).where(ConsentRecord.purpose == "portfolio_publication")
        ).all()
    assert states == ["refused"]


def test_the_gpc_support_resource_is_served(client):
    assert client.get("/.well-known/gpc.json").json()["gpc"] is True


def test_personal_data_stays_out_of_the_logs(client, caplog):
    caplog.set_level(logging.DEBUG)
    client.post("/api/v1/submissions", json=_form(client))
    bad = _form(client)
    bad["fields"]["user.contact.email"] = "broken@@" + EMAIL
    client.post("/api/v1/submissions", json=bad)
    assert EMAIL not in caplog.text and "Соколова" not in caplog.text


def test_a_gpc_signal_does_not_cancel_a_newsletter_ticked_in_the_same_form(client):
    receipt = client.post(
        "/api/v1/submissions", json=_form(client), headers={"Sec-GPC": "1"}
    ).json()
    assert receipt["gpc_objections"] == [] and "newsletters" in receipt["recorded"]


def _publish_agreement(studio: Lawful) -> None:
    from datetime import UTC, datetime

    from lawful.documents import service as documents

    with studio.sessions.begin() as session:
        documents.import_document(
            session=session,
            kind="user-agreement",
            language="ru",
            markdown="# Публичная оферта\n\nУсловия.",
            actor="test",
            now=datetime.now(UTC),
        )


def test_accepting_the_user_agreement_is_recorded_on_its_current_version(client, studio):
    _publish_agreement(studio)
    body = _form(client, user_agreement={"document_version": 1})
    answer = client.post("/api/v1/submissions", json=body)
    assert answer.status_code == 201, answer.text
    with studio.sessions.begin() as session:
        kinds = session.scalars(
            sa.select(ConsentRecord.kind).where(
                ConsentRecord.subject_id == answer.json()["subject_ref"]
            )
        ).all()
    assert sorted(kinds) == ["marketing", "user_agreement"]


def test_accepting_a_user_agreement_version_that_is_not_current_is_refused(client, studio):
    _publish_agreement(studio)
    _refused(
        client,
        studio,
        _form(client, user_agreement={"document_version": 2}),
        "user_agreement.document_version",
    )
