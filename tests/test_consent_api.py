"""The consent routes: check (POST preferred, GET allowed), bulk eligibility as JSON or
NDJSON, withdrawal, receipts, and problem+json naming the field on bad input."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from starlette.exceptions import StarletteDeprecationWarning

from lawful.consent import receipts, service
from lawful.context import Lawful
from lawful.documents import service as documents
from lawful.subjects.service import create_subject
from lawful.web import create_app
from lawful.web.problems import MEDIA_TYPE
from tests.conftest import open_template

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

EMAIL = "Irina.K@example.ru"


@pytest.fixture
def lawful(tmp_path: Path, database_url: str) -> Iterator[Lawful]:
    opened = open_template(tmp_path, database_url, "ru-design-studio")
    yield opened
    opened.close()


@pytest.fixture
def consent_id(lawful: Lawful) -> str:
    """Irina consented to the newsletters on the current Russian consent text."""
    policy, now = lawful.require_policy(), datetime.now(UTC)
    with lawful.sessions.begin() as session:
        documents.publish(session=session, policy=policy, now=now, actor="test")
        shown = documents.current(session=session, kind="consent-newsletters", language="ru")
        assert shown is not None
        subject = create_subject(
            session=session, ring=lawful.ring, identifiers={"email": EMAIL}, actor="test"
        )
        return service.give(
            session=session,
            ring=lawful.ring,
            policy=policy,
            subject_id=subject,
            purpose="newsletters",
            document=shown.ref,
            method="checkbox",
            channel="web_form",
            evidence=service.Evidence(ip="198.51.100.4", form_id="footer"),
            now=now,
            actor="test",
        ).id


@pytest.fixture
def client(lawful: Lawful) -> TestClient:
    return TestClient(create_app(lawful))


def _check(client: TestClient, identifier: str = EMAIL) -> dict[str, object]:
    body = {"identifier": identifier, "purpose": "newsletters"}
    response = client.post("/api/v1/consents/check", json=body)
    assert response.status_code == 200
    return dict(response.json())


def test_check_answers_by_post_and_by_get(client, consent_id):
    assert _check(client) == {"allowed": True, "reason": "allowed:consent"}
    assert _check(client, "nobody@example.ru")["reason"] == "refused:unknown-subject"
    got = client.get(
        "/api/v1/consents/check", params={"identifier": EMAIL.upper(), "purpose": "newsletters"}
    )
    assert got.json() == {"allowed": True, "reason": "allowed:consent"}


def test_withdrawal_refuses_at_once(client, consent_id):
    response = client.post(f"/api/v1/consents/{consent_id}/withdraw", json={"channel": "web"})
    assert response.status_code == 200
    assert [r["state"] for r in response.json()] == ["withdrawn"]
    assert _check(client) == {"allowed": False, "reason": "refused:withdrawn"}
    again = client.post(f"/api/v1/consents/{consent_id}/withdraw")
    assert again.status_code == 200 and again.json() == []


def test_eligibility_answers_a_json_list_and_an_ndjson_stream(client, consent_id):
    listed = [EMAIL, "nobody@example.ru", "not an address"]
    as_json = client.post(
        "/api/v1/consents/eligibility", params={"purpose": "newsletters"}, json=listed
    )
    reasons = ["allowed:consent", "refused:unknown-subject", "refused:invalid-identifier"]
    assert [r["reason"] for r in as_json.json()] == reasons
    ndjson = "\n".join(json.dumps(i) for i in listed) + "\n"
    streamed = client.post(
        "/api/v1/consents/eligibility",
        params={"purpose": "newsletters"},
        content=ndjson.encode(),
        headers={"content-type": "application/x-ndjson"},
    )
    assert streamed.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in streamed.text.splitlines()]
    assert [(r["identifier"], r["reason"]) for r in lines] == list(
        zip(listed, reasons, strict=True)
    )


@pytest.mark.parametrize("fmt", ["kantara", "jsonld"])
def test_receipts_are_served_and_validate(client, consent_id, fmt):
    response = client.get(f"/api/v1/consents/{consent_id}/receipt", params={"format": fmt})
    assert response.status_code == 200
    jsonschema.validate(response.json(), receipts.schema(fmt))
    assert "198.51.100.4" not in response.text


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "field"),
    [
        (
            "post",
            "/api/v1/consents/check",
            {"json": {"identifier": EMAIL, "purpose": "x"}},
            422,
            "purpose",
        ),
        (
            "post",
            "/api/v1/consents/check",
            {"json": {"purpose": "newsletters"}},
            422,
            "body.identifier",
        ),
        (
            "post",
            "/api/v1/consents/check",
            {"json": {"identifier": "not an address", "purpose": "newsletters"}},
            422,
            "identifier",
        ),
        ("get", "/api/v1/consents/check", {"params": {"identifier": EMAIL}}, 422, "query.purpose"),
        (
            "post",
            "/api/v1/consents/eligibility?purpose=newsletters",
            {"json": {"a": 1}},
            422,
            "body",
        ),
        (
            "post",
            "/api/v1/consents/eligibility?purpose=newsletters",
            {"json": [EMAIL, 3]},
            422,
            "body.1",
        ),
        ("post", "/api/v1/consents/eligibility?purpose=nope", {"json": [EMAIL]}, 422, "purpose"),
        ("get", "/api/v1/consents/{id}/receipt?format=xml", {}, 422, "query.format"),
        ("post", "/api/v1/consents/0123/withdraw", {}, 404, "consent_id"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(
    client, consent_id, method, path, kwargs, status, field
):
    response = getattr(client, method)(path.replace("{id}", consent_id), **kwargs)
    assert response.status_code == status
    assert response.headers["content-type"] == MEDIA_TYPE
    assert field in [e["field"] for e in response.json()["errors"]]
    assert "Irina" not in response.text


def test_the_filter_command_splits_a_mailing_list(
    lawful, consent_id, tmp_path, monkeypatch, capsys
):
    from lawful.cli import run

    listed = tmp_path / "list.csv"
    # A blank line is skipped; a short row keeps its reason under the reason column; a long
    # row is written whole.
    listed.write_text(
        f"name,email,city\nIrina,{EMAIL},Kazan\n\nNobody,nobody@example.ru\n"
        "Broken,not an address,,extra\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("LAWFUL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LAWFUL_CONFIG", str(lawful.settings.config_path))
    monkeypatch.setenv("LAWFUL_DATABASE_URL", lawful.settings.database_url)
    allowed, refused = tmp_path / "a.csv", tmp_path / "r.csv"
    code = run(
        [
            "consent",
            "filter",
            str(listed),
            "--purpose",
            "newsletters",
            "--out-allowed",
            str(allowed),
            "--out-refused",
            str(refused),
        ]
    )
    assert code == 0
    assert allowed.read_text(encoding="utf-8").splitlines() == [
        "name,email,city",
        f"Irina,{EMAIL},Kazan",
    ]
    assert refused.read_text(encoding="utf-8").splitlines() == [
        "name,email,city,reason",
        "Nobody,nobody@example.ru,,refused:unknown-subject",
        "Broken,not an address,,extra,refused:invalid-identifier",
    ]
    assert "allowed: 1" in capsys.readouterr().out
    assert run(["consent", "filter", str(listed), "--purpose", "nope"]) == 1
