"""Data-subject requests carried into a connector through the job queue, on both backends
(lawful's store and the shop's database each on SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
import io
import json
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from lawful.config.init import write_starter_config
from lawful.connectors import orchestration
from lawful.connectors.jobs import run_connector
from lawful.connectors.models import ConnectorRun
from lawful.context import Lawful, WorkerContext, open_lawful
from lawful.crypto.keyfile import generate_master_key_file
from lawful.destruction.models import DestructionAct
from lawful.errors import InvalidTransition
from lawful.jobs import Job, JobRegistry, run_once
from lawful.mail import Mail
from lawful.requests import flows, fulfil, service
from lawful.settings import Settings
from lawful.subjects import service as subjects
from lawful.transfers.service import transfers_for_subject
from tests.shop_db import DATASET, rows, shop_url

__all__ = ["shop_url"]

EMAIL = "ann@example.org"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
#: The shop's dataset with the categories the template's ``hosting`` recipient holds.
CATEGORIES = {
    "user.contact.address": "user.content.private",
    "user.content": "user.content.private",
}


@dataclass
class Outbox:
    sent: list[Mail] = field(default_factory=list)

    def send(self, mail: Mail) -> None:
        self.sent.append(mail)


def _dataset() -> dict[str, Any]:
    declared: dict[str, Any] = copy.deepcopy(DATASET)
    for table in declared["tables"].values():
        for column in table["columns"].values():
            column["category"] = CATEGORIES.get(column["category"], column["category"])
    return declared


def _config(tmp_path: Path, max_attempts: int) -> Path:
    path = write_starter_config(tmp_path / "lawful.yaml", "ru-design-studio")
    yaml = YAML()
    document = yaml.load(path.read_text(encoding="utf-8"))
    document["connectors"] = {
        "shop": {
            "type": "sql",
            "recipient": "hosting",
            "purpose": "order_details",
            "url_env": "SHOP_URL",
            "max_attempts": max_attempts,
            "dataset": _dataset(),
        }
    }
    with path.open("w", encoding="utf-8") as out:
        yaml.dump(document, out)
    return path


@pytest.fixture
def lawful(
    tmp_path: Path, database_url: str, shop_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Lawful]:
    config = _config(tmp_path, max_attempts=2)
    settings = replace(
        Settings.from_env({}, data_dir=tmp_path), config_path=config, database_url=database_url
    )
    generate_master_key_file(settings.master_key_path)
    for name, value in {
        "LAWFUL_DATA_DIR": str(tmp_path),
        "LAWFUL_CONFIG": str(config),
        "LAWFUL_DATABASE_URL": database_url,
        "SHOP_URL": shop_url,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("LAWFUL_MASTER_KEY", raising=False)
    opened = open_lawful(settings)
    yield opened
    opened.close()


def _person(lawful: Lawful) -> str:
    with lawful.sessions.begin() as session:
        subject_id = subjects.create_subject(
            session=session, ring=lawful.ring, identifiers={"email": EMAIL}, actor="t", now=NOW
        )
        subjects.record(
            session=session,
            ring=lawful.ring,
            policy=lawful.require_policy(),
            subject_id=subject_id,
            purpose="order_details",
            values={"user.name": "Ann", "user.contact.email": EMAIL},
            actor="t",
            now=NOW,
        )
    return subject_id


def _verified(lawful: Lawful, kind: str, **details: str) -> str:
    intake = service.Intake(kind=kind, identifier_kind="email", identifier=EMAIL, details=details)
    with lawful.sessions.begin() as session:
        policy = lawful.require_policy()
        submitted = service.submit(
            session=session, ring=lawful.ring, policy=policy, intake=intake, actor="t", now=NOW
        )
        service.mark_verified(
            session=session,
            policy=policy,
            request=submitted.request,
            how="staff",
            actor="t",
            now=NOW,
        )
        return submitted.request.id


def _work(lawful: Lawful, at: datetime | None = None) -> int:
    """Run the due connector jobs (only those: the periodic jobs are not under test)."""
    registry = JobRegistry()
    registry.handler(orchestration.RUN_JOB)(run_connector)
    context = WorkerContext(lawful.engine, lawful.sessions, lawful.require_policy())
    return run_once(lawful.engine, registry, context=context, now=at)


def _erasure_worked(lawful: Lawful) -> str:
    """A known person's erasure request, fanned out and its jobs run once."""
    _person(lawful)
    request_id = _verified(lawful, "erasure")
    flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
    _work(lawful)
    return request_id


def _runs(lawful: Lawful, request_id: str) -> list[dict[str, Any]]:
    with lawful.sessions() as session:
        return orchestration.status(session, request_id)


def test_an_erasure_waits_for_the_connector_then_lists_it_in_the_act(lawful: Lawful) -> None:
    subject_id = _person(lawful)
    request_id = _verified(lawful, "erasure")
    outbox = Outbox()
    first = flows.act(lawful, outbox, request_id, actor="dpo", now=NOW)
    assert first.outcome == "in_progress"
    assert first.done == ["waiting for connectors: shop (queued)"]
    with lawful.sessions() as session:
        sent = transfers_for_subject(session, subject_id)
        assert service.get(session, request_id).state == "in_progress"
    assert [(t.recipient, t.categories) for t in sent] == [("hosting", ["user.contact.email"])]
    assert _work(lawful) == 1
    (run,) = _runs(lawful, request_id)
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
    _erasure_worked(lawful)
    assert rows(_shop(), "SELECT name, phone FROM customers ORDER BY id") == [
        (None, None),
        ("Bob", "+79990000002"),
    ]
    assert rows(_shop(), "SELECT count(*) FROM tickets") == [(1,)]


def test_an_access_report_merges_what_the_connector_found(lawful: Lawful) -> None:
    _person(lawful)
    request_id = _verified(lawful, "access")
    outbox = Outbox()
    assert flows.act(lawful, outbox, request_id, actor="dpo", now=NOW).outcome == "in_progress"
    _work(lawful)
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
    subject_id = _person(lawful)
    request_id = _verified(lawful, "rectification", category="user.name", value="Anna")
    flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
    with lawful.sessions() as session:
        sent = transfers_for_subject(session, subject_id)
    assert sent[0].categories == ["user.contact.email", "user.name"]
    _work(lawful)
    assert rows(_shop(), "SELECT name FROM customers WHERE id = 1") == [("Anna",)]


def test_temporary_failures_are_retried_then_left_to_a_person(
    lawful: Lawful, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    request_id = _erasure_worked(lawful)
    (run,) = _runs(lawful, request_id)
    assert run["state"] == "queued" and run["attempts"] == 1
    assert "OperationalError (temporary)" in run["note"]
    with lawful.sessions() as session:
        job = session.query(Job).filter(Job.kind == orchestration.RUN_JOB).one()
        assert job.status == "queued" and job.run_at > datetime.now(UTC)  # backoff
    _work(lawful, datetime.now(UTC) + timedelta(hours=1))
    (run,) = _runs(lawful, request_id)
    assert run["state"] == "manual" and run["attempts"] == 2
    assert run["note"].startswith("2 attempts failed")
    waiting = flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
    assert waiting.done == ["waiting for connectors: shop (manual)"]
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
    request_id = _erasure_worked(lawful)
    (run,) = _runs(lawful, request_id)
    assert run["state"] == "manual" and run["attempts"] == 1
    assert run["note"] == "permanent failure: shop: NoSuchTableError (permanent)"


def test_a_blocked_subject_cannot_be_disclosed_so_a_person_must_act(lawful: Lawful) -> None:
    subject_id = _person(lawful)
    with lawful.sessions.begin() as session:
        subjects.set_blocked(
            session=session, subject_id=subject_id, blocked=True, actor="t", reason="r", now=NOW
        )
    request_id = _verified(lawful, "erasure")
    flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
    (run,) = _runs(lawful, request_id)
    assert run["state"] == "manual" and run["note"] == "transfer refused: subject-blocked"
    assert _work(lawful) == 0


def test_acting_twice_does_not_fan_out_twice(lawful: Lawful) -> None:
    _person(lawful)
    request_id = _verified(lawful, "erasure")
    flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
    flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
    assert len(_runs(lawful, request_id)) == 1
    assert _work(lawful) == 1


def test_the_cli_shows_and_resolves_runs(
    lawful: Lawful,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    from lawful.cli import run

    monkeypatch.setenv("SHOP_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    request_id = _erasure_worked(lawful)
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

    request_id = _erasure_worked(lawful)
    lawful.settings = replace(lawful.settings, operator_token="t0ken")
    with TestClient(create_app(lawful)) as client:
        shown = client.get(
            f"/api/v1/operator/requests/{request_id}", headers={"Authorization": "Bearer t0ken"}
        )
    assert shown.status_code == 200
    (run,) = shown.json()["connectors"]
    assert run["connector"] == "shop" and run["state"] == "done" and run["counts"]["orders"] == 2
