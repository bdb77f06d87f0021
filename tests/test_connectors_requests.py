"""Data-subject requests carried into a connector through the job queue, on both backends
(lawful's store and the shop's database each on SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
import io
import json
import os
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lawful.connectors import orchestration
from lawful.connectors.models import ConnectorRun
from lawful.context import Lawful
from lawful.destruction.models import DestructionAct
from lawful.errors import InvalidTransition
from lawful.jobs import Job
from lawful.requests import flows, fulfil, service
from lawful.subjects import service as subjects
from lawful.transfers.service import transfers_for_subject
from tests.connector_support import (
    EMAIL,
    NOW,
    Outbox,
    erasure_worked,
    lawful_with,
    person,
    runs,
    verified,
    work,
)
from tests.shop_db import DATASET, rows, shop_url

__all__ = ["shop_url"]

#: The shop's dataset with the categories the template's ``hosting`` recipient holds.
CATEGORIES = {
    "user.contact.address": "user.content.private",
    "user.content": "user.content.private",
}


def _dataset() -> dict[str, Any]:
    declared: dict[str, Any] = copy.deepcopy(DATASET)
    for table in declared["tables"].values():
        for column in table["columns"].values():
            column["category"] = CATEGORIES.get(column["category"], column["category"])
    return declared


@pytest.fixture
def lawful(
    tmp_path: Path, database_url: str, shop_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Lawful]:
    shop = {
        "type": "sql",
        "recipient": "hosting",
        "purpose": "order_details",
        "url_env": "SHOP_URL",
        "max_attempts": 2,
        "dataset": _dataset(),
    }
    env = {"SHOP_URL": shop_url}
    with lawful_with(tmp_path, database_url, monkeypatch, {"shop": shop}, env) as opened:
        yield opened


def test_an_erasure_waits_for_the_connector_then_lists_it_in_the_act(lawful: Lawful) -> None:
    subject_id = person(lawful)
    request_id = verified(lawful, "erasure")
    outbox = Outbox()
    first = flows.act(lawful, outbox, request_id, actor="dpo", now=NOW)
    assert first.outcome == "in_progress"
    assert [s.text() for s in first.done] == ["waiting for our other systems: shop (queued)"]
    with lawful.sessions() as session:
        sent = transfers_for_subject(session, subject_id)
        assert service.get(session, request_id).state == "in_progress"
    assert [(t.recipient, t.categories) for t in sent] == [("hosting", ["user.contact.email"])]
    assert work(lawful) == 1
    (run,) = runs(lawful, request_id)
    assert run["state"] == "done" and run["attempts"] == 1
    assert run["counts"]["orders"] == 2 and run["counts"]["tickets"] == 1
    outcome = flows.act(lawful, outbox, request_id, actor="dpo", now=NOW)
    assert outcome.outcome == "granted" and outcome.act_id
    with lawful.sessions() as session:
        act = session.get(DestructionAct, outcome.act_id)
        assert act is not None and "shop" in act.information_system
        extract = json.loads(act.log_extract)
    shop_line = next(x for x in extract if x["information_system_name"] == "shop")
    assert shop_line["records"] == str(sum(run["counts"].values()))
    assert "user.contact.email" in shop_line["data_categories"]
    assert EMAIL not in act.log_extract
    flows.complete(lawful, outbox, request_id, actor="dpo", now=NOW)


def _shop() -> str:
    return os.environ["SHOP_URL"]


def test_the_shop_is_erased_through_the_worker(lawful: Lawful) -> None:
    erasure_worked(lawful)
    assert rows(_shop(), "SELECT name, phone FROM customers ORDER BY id") == [
        (None, None),
        ("Bob", "+79990000002"),
    ]
    assert rows(_shop(), "SELECT count(*) FROM tickets") == [(1,)]


def test_an_access_report_merges_what_the_connector_found(lawful: Lawful) -> None:
    person(lawful)
    request_id = verified(lawful, "access")
    outbox = Outbox()
    assert flows.act(lawful, outbox, request_id, actor="dpo", now=NOW).outcome == "in_progress"
    work(lawful)
    outcome = flows.act(lawful, outbox, request_id, actor="dpo", now=NOW)
    assert outcome.download_token
    with lawful.sessions.begin() as session:
        _, data = fulfil.download(
            session=session, ring=lawful.ring, token=outcome.download_token, now=NOW
        )
    archive = zipfile.ZipFile(io.BytesIO(data))
    report = json.loads(archive.read("data.json"))
    places = {(f["location"], f["field"], f["value"]) for f in report["elsewhere"]}
    assert ("shop.orders", "shipping_address", "1 Ann St") in places
    assert ("shop.tickets", "body", "my parcel is late") in places
    assert "Data held in our other systems" in archive.read("report.md").decode()
    with lawful.sessions() as session:
        run = session.query(ConnectorRun).one()
        assert run.found_sealed is not None and b"Ann St" not in run.found_sealed


def test_a_rectification_reaches_the_connector(lawful: Lawful) -> None:
    subject_id = person(lawful)
    request_id = verified(lawful, "rectification", category="user.name", value="Anna")
    flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
    with lawful.sessions() as session:
        sent = transfers_for_subject(session, subject_id)
    assert sent[0].categories == ["user.contact.email", "user.name"]
    work(lawful)
    assert rows(_shop(), "SELECT name FROM customers WHERE id = 1") == [("Anna",)]


def test_temporary_failures_are_retried_then_left_to_aperson(
    lawful: Lawful, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    request_id = erasure_worked(lawful)
    (run,) = runs(lawful, request_id)
    assert run["state"] == "queued" and run["attempts"] == 1
    assert "OperationalError (temporary)" in run["note"]
    with lawful.sessions() as session:
        job = session.query(Job).filter(Job.kind == orchestration.RUN_JOB).one()
        assert job.status == "queued" and job.run_at > datetime.now(UTC)  # backoff
    work(lawful, datetime.now(UTC) + timedelta(hours=1))
    (run,) = runs(lawful, request_id)
    assert run["state"] == "manual" and run["attempts"] == 2
    assert run["note"].startswith("2 attempts failed")
    waiting = flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
    assert [s.text() for s in waiting.done] == ["waiting for our other systems: shop (manual)"]
    with lawful.sessions.begin() as session, pytest.raises(InvalidTransition):
        orchestration.resolve(session=session, run_id=run["run"], person=" ", note="x", now=NOW)
    with lawful.sessions.begin() as session:
        orchestration.resolve(
            session=session, run_id=run["run"], person="Olga (DPO)", note="ticket 42", now=NOW
        )
    assert flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW).outcome == "granted"


def test_a_permanent_failure_goes_to_a_person_at_once(
    lawful: Lawful, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SHOP_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    request_id = erasure_worked(lawful)
    (run,) = runs(lawful, request_id)
    assert run["state"] == "manual" and run["attempts"] == 1
    assert run["note"] == "permanent failure: shop: NoSuchTableError (permanent)"


def test_a_blocked_subjects_own_erasure_still_reaches_the_connector(lawful: Lawful) -> None:
    subject_id = person(lawful)
    with lawful.sessions.begin() as session:
        subjects.set_blocked(
            session=session, subject_id=subject_id, blocked=True, actor="t", reason="r", now=NOW
        )
    request_id = verified(lawful, "erasure")
    flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
    (run,) = runs(lawful, request_id)
    assert run["state"] == "queued"  # blocking stops processing, not the person's own request
    assert work(lawful) == 1
    assert rows(_shop(), "SELECT name, phone FROM customers WHERE id = 1") == [(None, None)]


def test_what_a_legal_obligation_keeps_here_is_kept_downstream_too(
    tmp_path: Path, database_url: str, shop_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    books = {
        "type": "sql",
        "recipient": "hosting",
        "purpose": "accounting",  # legal_basis: legal_obligation in the template
        "url_env": "SHOP_URL",
        "dataset": _dataset(),
    }
    env = {"SHOP_URL": shop_url}
    with lawful_with(tmp_path, database_url, monkeypatch, {"books": books}, env) as lawful:
        subject_id = person(lawful)
        with lawful.sessions.begin() as session:
            subjects.record(
                session=session,
                ring=lawful.ring,
                policy=lawful.require_policy(),
                subject_id=subject_id,
                purpose="accounting",
                values={"user.name": "Ann"},
                actor="t",
                now=NOW,
            )
        request_id = verified(lawful, "erasure")
        outcome = flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
        (run,) = runs(lawful, request_id)
        assert run["state"] == "done" and run["note"] == "kept: accounting (legal obligation)"
        assert work(lawful) == 0  # nothing was sent to the books
        assert outcome.outcome == "partly_granted"
        assert rows(_shop(), "SELECT name FROM customers WHERE id = 1") != [(None,)]


def test_a_person_only_the_shop_knows_is_erased_there_and_the_act_says_so(
    lawful: Lawful,
) -> None:
    request_id = verified(lawful, "erasure")  # no subject in lawful's own store
    first = flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
    assert first.outcome == "in_progress"
    assert work(lawful) == 1
    outcome = flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
    assert outcome.act_id and [s.key for s in outcome.done] == ["destroyed_elsewhere"]
    assert rows(_shop(), "SELECT name, phone FROM customers WHERE id = 1") == [(None, None)]
    with lawful.sessions() as session:
        act = session.get(DestructionAct, outcome.act_id)
        assert act is not None and "shop" in act.information_system
        sent = transfers_for_subject(session, request_id)  # logged under the request
    assert [t.recipient for t in sent] == ["hosting"]


def test_acting_twice_does_not_fan_out_twice(lawful: Lawful) -> None:
    person(lawful)
    request_id = verified(lawful, "erasure")
    flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
    flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
    assert len(runs(lawful, request_id)) == 1
    assert work(lawful) == 1


def test_the_cli_shows_and_resolvesruns(
    lawful: Lawful,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    from lawful.cli import run

    monkeypatch.setenv("SHOP_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    request_id = erasure_worked(lawful)
    assert run(["connectors", "runs", request_id]) == 0
    out = capsys.readouterr().out
    assert "shop  erase  manual  attempts=1" in out and EMAIL not in out
    number = out.split()[0].lstrip("#")
    assert run(["connectors", "resolve", number, "--person", "Olga", "--note", "done"]) == 0
    assert run(["connectors", "resolve", number, "--person", "Olga", "--note", "again"]) == 1
    assert "is done, not manual" in capsys.readouterr().err


def test_the_operator_api_shows_each_connector_on_the_request(lawful: Lawful) -> None:
    from fastapi.testclient import TestClient

    from lawful.web.app import create_app

    request_id = erasure_worked(lawful)
    lawful.settings = replace(lawful.settings, operator_token="t0ken")
    with TestClient(create_app(lawful)) as client:
        shown = client.get(
            f"/api/v1/operator/requests/{request_id}", headers={"Authorization": "Bearer t0ken"}
        )
    assert shown.status_code == 200
    (run,) = shown.json()["connectors"]
    assert run["connector"] == "shop" and run["state"] == "done" and run["counts"]["orders"] == 2
