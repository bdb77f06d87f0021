"""Lawful over the ru-design-studio template with connectors declared, and the steps of a
request through them (shared by the connector tests)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from lawful.config.init import write_starter_config
from lawful.connectors import orchestration
from lawful.connectors.jobs import close_registries, run_connector
from lawful.context import Lawful, WorkerContext, open_lawful
from lawful.crypto.keyfile import generate_master_key_file
from lawful.jobs import JobRegistry, run_once
from lawful.mail import Mail
from lawful.requests import flows, service
from lawful.settings import Settings
from lawful.subjects import service as subjects

EMAIL = "ann@example.org"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@dataclass
class Outbox:
    sent: list[Mail] = field(default_factory=list)

    def send(self, mail: Mail) -> None:
        self.sent.append(mail)


@contextmanager
def lawful_with(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    connectors: Mapping[str, Any],
    env: Mapping[str, str],
) -> Iterator[Lawful]:
    """Lawful opened with ``connectors`` added to the template, the environment set as the
    worker's would be (the job handler reads it); closed after the block."""
    path = write_starter_config(tmp_path / "lawful.yaml", "ru-design-studio")
    yaml = YAML()
    document = yaml.load(path.read_text(encoding="utf-8"))
    document["connectors"] = dict(connectors)
    with path.open("w", encoding="utf-8") as out:
        yaml.dump(document, out)
    settings = replace(
        Settings.from_env({}, data_dir=tmp_path), config_path=path, database_url=database_url
    )
    generate_master_key_file(settings.master_key_path)
    base = {"LAWFUL_DATA_DIR": str(tmp_path), "LAWFUL_CONFIG": str(path)}
    for name, value in {**base, "LAWFUL_DATABASE_URL": database_url, **env}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("LAWFUL_MASTER_KEY", raising=False)
    opened = open_lawful(settings)
    try:
        yield opened
    finally:
        opened.close()


def person(lawful: Lawful) -> str:
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


def verified(lawful: Lawful, kind: str, **details: str) -> str:
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


def work(lawful: Lawful, at: datetime | None = None) -> int:
    """Run the due connector jobs (only those: the periodic jobs are not under test)."""
    registry = JobRegistry()
    registry.handler(orchestration.RUN_JOB)(run_connector)
    context = WorkerContext(lawful.engine, lawful.sessions, lawful.require_policy())
    try:
        return run_once(lawful.engine, registry, context=context, now=at)
    finally:
        close_registries()  # each test's fakes and databases go away after it


def erasure_worked(lawful: Lawful) -> str:
    """A known person's erasure request, fanned out and its jobs run once."""
    person(lawful)
    request_id = verified(lawful, "erasure")
    flows.act(lawful, Outbox(), request_id, actor="dpo", now=NOW)
    work(lawful)
    return request_id


def runs(lawful: Lawful, request_id: str) -> list[dict[str, Any]]:
    with lawful.sessions() as session:
        return orchestration.status(session, request_id)
