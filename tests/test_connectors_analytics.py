"""GA4 user deletion against a local fake of the Admin API, and Yandex Metrica as a manual
connector (it has no erasure API)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from lawful.connectors.analytics import user_provided_data
from lawful.connectors.contract import Identity
from lawful.context import Lawful
from lawful.requests import flows
from tests.connector_support import NOW, Outbox, lawful_with, person, runs, verified
from tests.connector_support import work as run_jobs
from tests.local_server import serving

TOKEN = "ya29.fake-access-token"


@dataclass
class AdminApi:
    deletions: list[dict[str, Any]] = field(default_factory=list)
    quota_left: int = 100

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1alpha/properties/{pid}:submitUserDeletion")
        async def delete(pid: str, request: Request) -> JSONResponse:
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return JSONResponse({"error": {"code": 401, "status": "UNAUTHENTICATED"}}, 401)
            if self.quota_left <= 0:
                body = {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "quota"}
                return JSONResponse({"error": body}, 429)
            self.quota_left -= 1
            self.deletions.append({"property": pid, **await request.json()})
            return JSONResponse({"deletionRequestTime": "2026-11-02T09:00:00Z"})

        return app


@pytest.fixture
def admin() -> Iterator[tuple[AdminApi, str]]:
    fake = AdminApi()
    with serving(fake.app()) as url:
        yield fake, url


@pytest.fixture
def lawful(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    admin: tuple[AdminApi, str],
) -> Iterator[Lawful]:
    declared = {
        "ga": {
            "type": "ga4",
            "recipient": "hosting",
            "purpose": "order_details",
            "property_id": "123456",
            "token_env": "GA_TOKEN",
            "base_url": admin[1],
            "categories": ["user.contact.email"],
        },
        "metrica": {
            "type": "manual",
            "recipient": "hosting",
            "purpose": "order_details",
            "categories": ["user.contact.email"],
            "instructions": "delete the visitor's uploaded user params in Metrica",
        },
    }
    with lawful_with(tmp_path, database_url, monkeypatch, declared, {"GA_TOKEN": TOKEN}) as opened:
        yield opened


@pytest.mark.parametrize(
    ("kind", "value", "sent"),
    [
        ("email", " Ann.Smith@GMail.com", "annsmith@gmail.com"),
        ("email", "Ann.Smith@example.org", "ann.smith@example.org"),
        ("phone", "+7 (912) 000-00-01", "+79120000001"),
    ],
)
def test_identities_are_normalised_as_google_asks(kind: str, value: str, sent: str) -> None:
    assert user_provided_data(Identity(kind, value)) == sent  # type: ignore[arg-type]


def test_an_erasure_reaches_ga4_and_leaves_metrica_to_a_person(
    lawful: Lawful, admin: tuple[AdminApi, str]
) -> None:
    fake, _ = admin
    person(lawful)
    request_id = verified(lawful, "erasure")
    flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
    run_jobs(lawful)
    assert fake.deletions == [{"property": "123456", "userProvidedData": "ann@example.org"}]
    ga, metrica = runs(lawful, request_id)
    assert ga["state"] == "done" and "until 2026-11-02T09:00:00Z" in ga["note"]
    assert metrica["state"] == "manual" and "uploaded user params" in metrica["note"]


def test_an_exhausted_quota_is_retried(lawful: Lawful, admin: tuple[AdminApi, str]) -> None:
    fake, _ = admin
    fake.quota_left = 0
    person(lawful)
    request_id = verified(lawful, "erasure")
    flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
    run_jobs(lawful)
    ga = runs(lawful, request_id)[0]
    assert ga["state"] == "queued" and "429 (temporary)" in ga["note"]
