"""The request API: public side (submit, verify, status, download) and operator side."""

from __future__ import annotations

import base64
import io
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from lawful.context import Lawful
from lawful.requests.models import Request, RequestFile
from lawful.web.app import create_app
from tests.conftest import open_template
from tests.requests_support import Inbox, add_person, smtp_server

EMAIL = "ivan.sokolov@example.org"
TOKEN = "operator-secret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def setup(tmp_path: Path, database_url: str) -> Iterator[tuple[Lawful, TestClient, Inbox]]:
    lawful = open_template(tmp_path, database_url, "ru-design-studio")
    with smtp_server() as (inbox, url):
        lawful.settings = replace(
            lawful.settings, smtp_url=url, operator_token=TOKEN, request_rate_limit=3
        )
        add_person(lawful, EMAIL, {"user.name": "Ivan Sokolov"})
        yield lawful, TestClient(create_app(lawful)), inbox
    lawful.close()


def _submit(client: TestClient, email: str = EMAIL, kind: str = "access") -> str:
    answer = client.post("/api/v1/requests", json={"kind": kind, "email": email})
    assert answer.status_code == 202, answer.text
    return str(answer.json()["request_id"])


def test_a_full_access_lifecycle_over_http(setup):
    lawful, client, inbox = setup
    request_id = _submit(client)
    verified = client.post(
        f"/api/v1/requests/{request_id}/verify", json={"code": inbox.code_for(EMAIL)}
    )
    assert verified.status_code == 200 and verified.json()["state"] == "verified"
    # the answer's due date, as the status and the operator's view give it
    status = client.get(f"/api/v1/requests/{request_id}").json()
    assert verified.json()["answer_due"] == status["answer_due"] is not None
    detail = client.get(f"/api/v1/operator/requests/{request_id}", headers=AUTH).json()
    answer = [d for d in detail["deadlines"] if d["name"] == "answer"]
    assert len(answer) == 1 and answer[0]["due_at"] == status["answer_due"]
    acted = client.post(f"/api/v1/operator/requests/{request_id}/act", json={}, headers=AUTH)
    assert acted.status_code == 200, acted.text
    link = inbox.link_for(EMAIL)
    assert EMAIL not in link and "ivan" not in link.lower()  # the token is not personal data
    path = link.split("127.0.0.1:8000", 1)[1]
    got = client.get(path)
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    assert "data.csv" in zipfile.ZipFile(io.BytesIO(got.content)).namelist()
    again = client.get(path)
    assert again.status_code == 410
    assert again.headers["content-type"] == "application/problem+json"
    done = client.post(f"/api/v1/operator/requests/{request_id}/complete", headers=AUTH)
    assert done.json()["state"] == "completed"
    assert [s["action"] for s in done.json()["timeline"]][-1] == "answered"
    assert client.get(f"/api/v1/requests/{request_id}").json()["state"] == "completed"


def test_known_and_unknown_addresses_get_the_same_answer(setup):
    _lawful, client, _inbox = setup
    known = client.post("/api/v1/requests", json={"kind": "access", "email": EMAIL})
    unknown = client.post("/api/v1/requests", json={"kind": "access", "email": "x@example.org"})
    assert known.status_code == unknown.status_code
    strip = lambda body: {k: v for k, v in body.items() if k != "request_id"}  # noqa: E731
    assert strip(known.json()) == strip(unknown.json())


def test_bad_input_names_the_field_and_changes_nothing(setup):
    lawful, client, _inbox = setup
    answer = client.post("/api/v1/requests", json={"kind": "teleport", "email": EMAIL})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == "body.kind"
    assert EMAIL not in answer.text
    missing = client.post(
        "/api/v1/requests",
        json={"kind": "distribution_stop", "email": EMAIL, "details": {"full_name": "Ivan"}},
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "details.contact"
    with lawful.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Request)) == 0


def test_code_guessing_is_locked_out(setup):
    _lawful, client, inbox = setup
    request_id = _submit(client)
    wrong = "000000" if inbox.code_for(EMAIL) != "000000" else "111111"
    codes = [
        client.post(f"/api/v1/requests/{request_id}/verify", json={"code": wrong}).status_code
        for _ in range(6)
    ]
    assert codes == [422, 422, 422, 422, 429, 429]


def test_one_identifier_is_rate_limited(setup):
    _lawful, client, _inbox = setup
    for _ in range(3):
        _submit(client)
    limited = client.post("/api/v1/requests", json={"kind": "access", "email": EMAIL})
    assert limited.status_code == 429 and "retry-after" in limited.headers


def test_the_operator_side_needs_the_token(setup):
    _lawful, client, _inbox = setup
    assert client.get("/api/v1/operator/requests").status_code == 401
    bad = client.get("/api/v1/operator/requests", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert client.get("/api/v1/operator/requests", headers=AUTH).status_code == 200


def test_staff_enter_a_written_request_with_encrypted_evidence(setup):
    lawful, client, _inbox = setup
    scan = b"%PDF-1.4 signed letter of Ivan Sokolov"
    answer = client.post(
        "/api/v1/operator/requests",
        headers=AUTH,
        json={
            "kind": "erasure",
            "identifier_kind": "email",
            "identifier": EMAIL,
            "channel": "post",
            "verified_reason": "signed letter, passport copy checked",
            "attachments": [
                {
                    "name": "letter.pdf",
                    "media_type": "application/pdf",
                    "content_base64": base64.b64encode(scan).decode(),
                }
            ],
        },
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["state"] == "verified" and body["verification"] == "staff"
    listed = client.get("/api/v1/operator/requests?due_within_hours=800", headers=AUTH).json()
    assert [r["request_id"] for r in listed] == [body["request_id"]]
    acted = client.post(
        f"/api/v1/operator/requests/{body['request_id']}/act",
        json={"destroyed_by": "Olga Ivanova", "position": "DPO"},
        headers=AUTH,
    )
    assert acted.json()["outcome"] == "granted"
    act_number = acted.json()["timeline"][-1]["note"].rsplit(" ", 1)[1]
    act = client.get(f"/api/v1/operator/destruction-acts/{act_number}", headers=AUTH)
    assert act.status_code == 200 and "Olga Ivanova, DPO" in act.text
    pdf = client.get(f"/api/v1/operator/destruction-acts/{act_number}?format=pdf", headers=AUTH)
    assert pdf.content.startswith(b"%PDF")
    assert client.get(f"/api/v1/operator/destruction-acts/{act_number}").status_code == 401
    with lawful.sessions() as session:
        stored = session.scalars(sa.select(RequestFile.sealed)).all()
    assert stored and all(b"Sokolov" not in (blob or b"") for blob in stored)


def test_the_routes_are_in_openapi(setup):
    _lawful, client, _inbox = setup
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/requests",
        "/api/v1/requests/{request_id}/verify",
        "/api/v1/requests/downloads/{token}",
        "/api/v1/operator/requests/{request_id}/extend",
        "/api/v1/operator/requests/{request_id}/reject",
    ):
        assert path in paths


def test_the_operator_assigns_extends_once_and_rejects_with_the_legal_reason(setup):
    _lawful, client, inbox = setup
    request_id = _submit(client)
    client.post(f"/api/v1/requests/{request_id}/verify", json={"code": inbox.code_for(EMAIL)})
    base = f"/api/v1/operator/requests/{request_id}"
    assigned = client.post(f"{base}/assign", json={"assignee": "dpo"}, headers=AUTH).json()
    assert assigned["state"] == "in_progress" and assigned["assignee"] == "dpo"
    listed = client.get("/api/v1/operator/requests?state=in_progress", headers=AUTH).json()
    assert [r["request_id"] for r in listed] == [request_id]
    extended = client.post(f"{base}/extend", json={"reason": "archives"}, headers=AUTH)
    assert extended.status_code == 200
    answer = {d["name"]: d for d in extended.json()["deadlines"]}["answer"]
    assert answer["extended"] is True
    again = client.post(f"{base}/extend", json={"reason": "more"}, headers=AUTH)
    assert again.status_code == 409 and again.json()["type"].endswith("invalid-transition")
    empty = client.post(f"{base}/reject", json={"reason": ""}, headers=AUTH)
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "body.reason"
    rejected = client.post(f"{base}/reject", json={"reason": "152-FZ Art. 14(8)(4)"}, headers=AUTH)
    assert rejected.json()["state"] == "rejected" and rejected.json()["outcome"] == "refused"
    assert "152-FZ Art. 14(8)(4)" in inbox.body(inbox.last_to(EMAIL))


def test_answers_are_their_documented_models(setup):
    """The steps answer with JSON they serialise themselves (no second hop to the thread pool
    for FastAPI's check); the OpenAPI document still names each step's model."""
    from lawful.web.routes.requests import Accepted, Detail, StatusOut

    _lawful, client, inbox = setup
    submitted = client.post("/api/v1/requests", json={"kind": "access", "email": EMAIL})
    request_id = submitted.json()["request_id"]
    verified = client.post(
        f"/api/v1/requests/{request_id}/verify", json={"code": inbox.code_for(EMAIL)}
    )
    acted = client.post(f"/api/v1/operator/requests/{request_id}/act", json={}, headers=AUTH)
    answers = [(submitted, 202, Accepted), (verified, 200, StatusOut), (acted, 200, Detail)]
    for answer, status, model in answers:
        assert answer.status_code == status and answer.headers["content-type"] == "application/json"
        assert model.model_validate(answer.json()).model_dump(mode="json") == answer.json()
    paths = client.get("/openapi.json").json()["paths"]
    documented = {
        ("/api/v1/requests", "post", "202"): "Accepted",
        ("/api/v1/requests/{request_id}/verify", "post", "200"): "StatusOut",
        ("/api/v1/operator/requests/{request_id}/act", "post", "200"): "Detail",
    }
    for (path, method, status), name in documented.items():
        schema = paths[path][method]["responses"][status]["content"]["application/json"]
        assert schema["schema"]["$ref"].rsplit("/", 1)[1].endswith(name)
