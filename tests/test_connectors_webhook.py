"""The HTTP webhook connector against a local service that checks lawful's signature, and the
signed callback that completes an asynchronous action (lawful on both backends)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from lawful.connectors.webhook import sign, verify
from lawful.context import Lawful
from lawful.requests import flows
from lawful.web.app import create_app
from tests.connector_support import EMAIL, NOW, Outbox, lawful_with, person, runs
from tests.connector_support import verified as verified_request
from tests.connector_support import work as run_jobs
from tests.local_server import serving

SECRET = "shared-hmac-secret"


@dataclass
class Service:
    """The operator's own service, built as the README tells a team to build it."""

    mode: str = "done"
    calls: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/lawful")
        async def receive(request: Request) -> JSONResponse:
            raw = await request.body()
            stamp = request.headers.get("X-Lawful-Timestamp", "")
            if not verify(
                SECRET, stamp, raw, request.headers.get("X-Lawful-Signature", ""), time.time()
            ):
                self.refused += 1
                return JSONResponse({"error": "bad signature"}, 401)
            call = json.loads(raw)
            self.calls.append(call)
            if call["action"] == "access":
                found = [
                    {
                        "location": "billing.invoices",
                        "field": "payer",
                        "value": "Ann",
                        "category": "user.name",
                    }
                ]
                return JSONResponse({"status": "done", "found": found})
            if self.mode == "accepted" and call["action"] != "test":
                return JSONResponse({"status": "accepted"}, 202)
            return JSONResponse({"status": "done", "counts": {"billing.invoices": 3}})

        return app


@pytest.fixture
def service() -> Iterator[tuple[Service, str]]:
    fake = Service()
    with serving(fake.app()) as url:
        yield fake, url


@pytest.fixture
def lawful(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    service: tuple[Service, str],
) -> Iterator[Lawful]:
    billing = {
        "type": "webhook",
        "recipient": "hosting",
        "purpose": "order_details",
        "url": f"{service[1]}/lawful",
        "secret_env": "BILLING_SECRET",
        "categories": ["user.name", "user.contact.email"],
    }
    env = {"BILLING_SECRET": SECRET, "LAWFUL_PUBLIC_URL": "https://lawful.example.org"}
    with lawful_with(tmp_path, database_url, monkeypatch, {"billing": billing}, env) as opened:
        yield opened


def test_a_signed_erasure_done_at_once(lawful: Lawful, service: tuple[Service, str]) -> None:
    fake, _ = service
    person(lawful)
    request_id = verified_request(lawful, "erasure")
    flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
    run_jobs(lawful)
    (call,) = fake.calls
    assert call["action"] == "erase" and call["identity"] == {"kind": "email", "value": EMAIL}
    assert call["callback_url"].startswith("https://lawful.example.org/api/v1/connectors/billing/")
    (run,) = runs(lawful, request_id)
    assert run["state"] == "done" and run["counts"] == {"billing.invoices": 3}


def test_access_results_come_back_in_the_answer(lawful: Lawful) -> None:
    person(lawful)
    request_id = verified_request(lawful, "access")
    flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
    run_jobs(lawful)
    (run,) = runs(lawful, request_id)
    assert run["state"] == "done" and run["counts"] == {"billing.invoices": 1}


def test_an_accepted_action_waits_for_the_signed_callback(
    lawful: Lawful, service: tuple[Service, str]
) -> None:
    fake, _ = service
    fake.mode = "accepted"
    person(lawful)
    request_id = verified_request(lawful, "erasure")
    flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
    run_jobs(lawful)
    assert runs(lawful, request_id)[0]["state"] == "manual"
    path = "/" + fake.calls[0]["callback_url"].split("/", 3)[3]
    body = json.dumps({"status": "done", "counts": {"billing.invoices": 2}}).encode()
    stamp = str(int(time.time()))
    with TestClient(create_app(lawful)) as client:
        forged = {"X-Lawful-Timestamp": stamp, "X-Lawful-Signature": sign("guess", stamp, body)}
        assert client.post(path, content=body, headers=forged).status_code == 401
        old = str(int(time.time()) - 3600)
        stale = {"X-Lawful-Timestamp": old, "X-Lawful-Signature": sign(SECRET, old, body)}
        assert client.post(path, content=body, headers=stale).status_code == 401
        good = {"X-Lawful-Timestamp": stamp, "X-Lawful-Signature": sign(SECRET, stamp, body)}
        assert client.post(path, content=body, headers=good).status_code == 204
    (run,) = runs(lawful, request_id)
    assert run["state"] == "done" and run["counts"] == {"billing.invoices": 2}
    assert flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW).outcome == "granted"


def test_a_wrong_secret_is_a_permanent_failure(
    lawful: Lawful, monkeypatch: pytest.MonkeyPatch, service: tuple[Service, str]
) -> None:
    monkeypatch.setenv("BILLING_SECRET", "not-the-shared-one")
    person(lawful)
    request_id = verified_request(lawful, "erasure")
    flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
    run_jobs(lawful)
    (run,) = runs(lawful, request_id)
    assert run["state"] == "manual" and "401 (permanent)" in run["note"]
    assert service[0].refused == 1
