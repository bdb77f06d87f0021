"""The HTTP API: health, the operator's published policy, problem+json, guards."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from starlette.exceptions import StarletteDeprecationWarning

from lawful.config.init import write_starter_config
from lawful.config.loader import ConfigInvalid
from lawful.context import Lawful, open_lawful
from lawful.crypto.keyfile import generate_master_key_file
from lawful.errors import (
    AuditChainBroken,
    ConfigError,
    LawfulError,
    MasterKeyError,
    NeedsDecision,
    NotFound,
    PolicyViolation,
    StoreError,
)
from lawful.settings import Settings
from lawful.store.db import create_engine_for
from lawful.subjects.service import NewSubject, record_bulk
from lawful.web import create_app
from lawful.web.problems import GENERIC_DETAIL, MEDIA_TYPE, kind_of

# Starlette 1.x warns that its TestClient will move from httpx to "httpx2"; lawful depends on
# httpx, so the warning (an error under our filterwarnings) is silenced here and only here.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

EMAIL, NAME, PHONE = "nguyen.van.an@example.vn", "Nguyễn Văn An", "+84 912 345 678"
SECRET_TEXT = "leaked-" + EMAIL


@pytest.fixture
def lawful(tmp_path: Path) -> Iterator[Lawful]:
    """A lawful over a fresh SQLite data folder with the VN template and one recorded person."""
    config = write_starter_config(tmp_path / "lawful.yaml", "vn-crm-integrator")
    settings = replace(Settings.from_env({}, data_dir=tmp_path), config_path=config)
    generate_master_key_file(settings.master_key_path)
    opened = open_lawful(settings)
    with opened.sessions.begin() as session:
        record_bulk(
            session=session,
            ring=opened.ring,
            policy=opened.require_policy(),
            actor="test",
            people=[
                NewSubject(
                    {"email": EMAIL, "phone": PHONE},
                    "inquiries",
                    {"user.name": NAME, "user.contact.email": EMAIL},
                )
            ],
        )
    yield opened
    opened.close()


class Contact(BaseModel):
    email: str
    age: int


def _raising_router() -> APIRouter:
    """Test-only routes that raise on demand."""
    router = APIRouter(prefix="/test")
    errors: dict[str, LawfulError] = {
        "policy": PolicyViolation("purpose 'x' is not declared", field="purpose"),
        "missing": NotFound("no such subject", field="subject_id"),
        "decide": NeedsDecision("no confirmed deadline for kz", field="deadline"),
        "config": ConfigError(f"/etc/lawful.yaml:3:1: bad contact {SECRET_TEXT}"),
        "invalid": ConfigInvalid([]),
        "key": MasterKeyError(f"/srv/master.key: no master key {SECRET_TEXT}"),
        "store": StoreError(f"cannot reach {SECRET_TEXT}"),
        "chain": AuditChainBroken("event 3 edited", seq=3),
    }

    @router.get("/raise/{name}")
    def raise_named(name: str) -> None:
        raise errors[name]

    @router.get("/bug")
    def bug() -> None:
        raise RuntimeError(f"KeyError while handling {SECRET_TEXT}")

    @router.post("/contacts")
    def contacts(contact: Contact) -> dict[str, bool]:
        return {"ok": True}

    return router


@pytest.fixture
def app(lawful: Lawful) -> FastAPI:
    built = create_app(lawful)
    built.include_router(_raising_router())
    return built


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def _assert_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    assert response.headers["content-type"] == MEDIA_TYPE
    body = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= body.keys()
    assert body["status"] == status
    assert body["instance"].startswith("urn:uuid:")
    assert SECRET_TEXT not in response.text and EMAIL not in response.text
    return body


def test_health_reports_database_schema_key_and_audit_head(client, lawful):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "reachable"
    assert body["schema_revision"]
    assert body["master_key_id"] == lawful.ring.current.key_id
    assert body["audit_head_seq"] >= 1
    assert body["policy_loaded"] is True


def test_health_contains_no_personal_data(client):
    text = client.get("/health").text
    # The phone's digits in any layout; not "912" alone, which a random hex key id can contain.
    for value in (EMAIL, NAME, PHONE, "nguyen", "912345678", "912 345"):
        assert value not in text


def test_health_is_503_problem_when_the_database_is_unreachable(lawful, tmp_path):
    broken = replace(lawful, engine=create_engine_for(f"sqlite:///{tmp_path}/no/such/dir/x.db"))
    with TestClient(create_app(broken)) as client:
        body = _assert_problem(client.get("/health"), 503)
    assert body["detail"] == GENERIC_DETAIL
    broken.engine.dispose()


def test_operator_endpoint_states_what_the_policy_declares(client, lawful):
    policy = lawful.require_policy()
    body = client.get("/api/v1/operator").json()
    assert body["legal_name"] == policy.operator.legal_name
    assert body["jurisdictions"] == ["vn"] and body["languages"] == ["vi", "en"]
    assert [p["key"] for p in body["purposes"]] == list(policy.purposes)
    inquiries = next(p for p in body["purposes"] if p["key"] == "inquiries")
    assert inquiries["legal_basis"] == "contract"
    assert inquiries["categories"] == policy.purposes["inquiries"].categories
    assert inquiries["retention"]["kind"] == "since_last_interaction"
    assert inquiries["retention"]["months"] == 24
    marketing = next(p for p in body["purposes"] if p["key"] == "marketing")
    assert marketing["consent_required"] and marketing["consent_kind"] == "marketing"
    assert {r["key"]: r["country"] for r in body["recipients"]} == {
        key: r.country for key, r in policy.recipients.items()
    }
    assert EMAIL not in json.dumps(body, ensure_ascii=False)


def test_audit_verify_reports_an_intact_chain(client):
    body = client.get("/api/v1/audit/verify").json()
    assert body == {"ok": True, "events": 1, "first_broken_seq": None, "reason": None}


@pytest.mark.parametrize(
    ("name", "status", "code", "field"),
    [
        ("policy", 422, "policy-violation", "purpose"),
        ("missing", 404, "not-found", "subject_id"),
        ("decide", 409, "needs-decision", "deadline"),
        ("config", 500, "config", None),
        ("invalid", 500, "config", None),
        ("key", 503, "master-key", None),
        ("store", 503, "store", None),
        ("chain", 500, "audit-chain-broken", None),
    ],
)
def test_lawful_errors_become_problems_with_status_and_field(client, name, status, code, field):
    body = _assert_problem(client.get(f"/test/raise/{name}"), status)
    assert body["type"] == f"urn:lawful:problem:{code}"
    if field is None:
        assert body["detail"] == GENERIC_DETAIL and "errors" not in body
    else:
        assert body["errors"][0]["field"] == field


def test_the_table_answers_a_subclass_like_its_parent():
    assert kind_of(ConfigInvalid([])).status == 500
    assert kind_of(LawfulError("x")).public is False


def test_an_unexpected_exception_is_a_generic_500_without_its_message(client):
    response = client.get("/test/bug")
    body = _assert_problem(response, 500)
    assert body["detail"] == GENERIC_DETAIL
    assert "RuntimeError" not in response.text and "KeyError" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"


def test_malformed_json_is_a_400_problem_naming_the_body(client):
    response = client.post(
        "/test/contacts",
        content=b'{"email": "' + EMAIL.encode() + b'",',
        headers={"content-type": "application/json"},
    )
    body = _assert_problem(response, 400)
    assert body["errors"][0]["field"] == "body"


def test_a_wrong_type_is_a_422_problem_naming_the_field_not_the_value(client):
    response = client.post("/test/contacts", json={"email": EMAIL, "age": "forty-two-secret"})
    body = _assert_problem(response, 422)
    assert [e["field"] for e in body["errors"]] == ["body.age"]
    assert "forty-two-secret" not in response.text


def test_a_body_over_the_limit_is_413_by_content_length(client):
    response = client.post(
        "/test/contacts",
        content=b"x" * (1024 * 1024 + 1),
        headers={"content-type": "application/json"},
    )
    assert _assert_problem(response, 413)["type"] == "urn:lawful:problem:body-too-large"


def test_a_chunked_body_over_the_limit_is_413_while_read(lawful):
    app = create_app(lawful, max_body_bytes=1000)
    app.include_router(_raising_router())

    def chunks() -> Iterator[bytes]:
        yield b'{"email": "'
        for _ in range(10):
            yield b"a" * 200

    with TestClient(app) as client:
        response = client.post(
            "/test/contacts", content=chunks(), headers={"content-type": "application/json"}
        )
    _assert_problem(response, 413)


def test_an_unknown_route_is_a_404_problem(client):
    body = _assert_problem(client.get("/nowhere"), 404)
    assert body["type"] == "about:blank" and body["title"] == "Not Found"


@pytest.mark.parametrize("path", ["/health", "/api/v1/operator", "/nowhere", "/test/bug", "/docs"])
def test_every_response_carries_the_security_headers(client, path):
    headers = client.get(path).headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["content-security-policy"].startswith("default-src 'self'")
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


def test_only_the_docs_page_may_load_the_swagger_cdn(client):
    assert "cdn.jsdelivr.net" in client.get("/docs").headers["content-security-policy"]
    assert "cdn.jsdelivr.net" not in client.get("/health").headers["content-security-policy"]
    assert client.get("/openapi.json").json()["paths"].keys() >= {
        "/health",
        "/api/v1/operator",
        "/api/v1/audit/verify",
    }


def test_a_serving_app_freezes_what_it_loaded_out_of_the_collectors_sight(lawful: Lawful) -> None:
    import gc

    gc.unfreeze()
    try:
        with TestClient(create_app(lawful)):
            assert gc.get_freeze_count() == 0  # tests and embedders: nothing frozen
        with TestClient(create_app(lawful, freeze_heap=True)):
            assert gc.get_freeze_count() > 0  # `lawful serve`: the start-up heap is frozen
    finally:
        gc.unfreeze()
