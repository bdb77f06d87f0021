"""An erasure request carried into Kommo: anonymised, a task for a person, and the request
held open until Kommo's ``delete_contact`` webhook confirms (lawful on both backends)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lawful.context import Lawful
from lawful.requests import flows
from lawful.web.app import create_app
from tests.connector_support import NOW, Outbox, lawful_with, person, runs, verified
from tests.connector_support import work as run_jobs
from tests.kommo_fake import TOKEN, Kommo, kommo_server

HOOK = "hook-secret-123"


@pytest.fixture
def kommo() -> Iterator[tuple[Kommo, str]]:
    with kommo_server() as (fake, url):
        fake.add_contact(11, "Ann Smith", "ann@example.org", "+79120000001", leads=[501])
        fake.add_note(901, 11, "called Ann about her order")
        yield fake, url


@pytest.fixture
def lawful(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    kommo: tuple[Kommo, str],
) -> Iterator[Lawful]:
    crm = {
        "type": "kommo",
        "recipient": "hosting",
        "purpose": "order_details",
        "base_url": kommo[1],
        "token_env": "KOMMO_TOKEN",
        "webhook_secret_env": "KOMMO_HOOK",
    }
    env = {"KOMMO_TOKEN": TOKEN, "KOMMO_HOOK": HOOK}
    with lawful_with(tmp_path, database_url, monkeypatch, {"crm": crm}, env) as opened:
        yield opened


def hook(client: TestClient, secret: str, body: str) -> int:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    url = f"/api/v1/connectors/crm/kommo-webhook?secret={secret}"
    return int(client.post(url, content=body, headers=headers).status_code)


def test_erasure_waits_for_the_delete_contact_webhook(
    lawful: Lawful, kommo: tuple[Kommo, str]
) -> None:
    fake, _ = kommo
    person(lawful)
    request_id = verified(lawful, "erasure")
    flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
    run_jobs(lawful)
    (run,) = runs(lawful, request_id)
    assert run["state"] == "manual" and "delete contact(s) #11" in run["note"]
    assert fake.contacts[11]["name"] == "Deleted #11" and len(fake.tasks) == 1
    assert flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW).outcome == "in_progress"
    deleted = "contacts%5Bdelete%5D%5B0%5D%5Bid%5D=11&account%5Bid%5D=30000001"
    with TestClient(create_app(lawful)) as client:
        assert hook(client, "wrong", deleted) == 401
        assert hook(client, HOOK, "contacts%5Bdelete%5D%5B0%5D%5Bid%5D=99") == 204
        assert runs(lawful, request_id)[0]["state"] == "manual"
        assert hook(client, HOOK, deleted) == 204
    (run,) = runs(lawful, request_id)
    assert run["state"] == "done" and run["person"] == "Kommo delete_contact webhook"
    outcome = flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
    assert outcome.outcome == "granted" and outcome.act_id


def test_a_person_can_confirm_instead_of_the_webhook(lawful: Lawful) -> None:
    from lawful.connectors import orchestration

    person(lawful)
    request_id = verified(lawful, "erasure")
    flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
    run_jobs(lawful)
    (run,) = runs(lawful, request_id)
    with lawful.sessions.begin() as session:
        orchestration.resolve(
            session=session, run_id=run["run"], person="Olga", note="deleted in Kommo", now=NOW
        )
    assert flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW).outcome == "granted"


def test_connectors_test_reaches_kommo(
    lawful: Lawful, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from lawful.cli import run

    assert run(["connectors", "test"]) == 0
    assert "ok    crm: account 30000001 reached" in capsys.readouterr().out
    monkeypatch.setenv("KOMMO_TOKEN", "expired")
    assert run(["connectors", "test"]) == 1
    assert "GET /api/v4/account failed: 401 (permanent)" in capsys.readouterr().out
