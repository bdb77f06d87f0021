"""Group commit of web submissions: many in one transaction, each answered on its own.

A batch behaves as its submissions would one by one: the same person twice is one subject,
a stale document refuses only its own submission, a key used twice acts once; a batch that
fails as a whole is retried submission by submission; nothing is answered before its commit.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from lawful import audit
from lawful.audit.models import AuditEvent
from lawful.collection import idempotency
from lawful.collection import service as collection
from lawful.collection import writer as writer_module
from lawful.collection.schemas import Submission
from lawful.collection.writer import SubmissionWriter, write_batch
from lawful.consent.models import ConsentRecord
from lawful.consent.service import Evidence
from lawful.context import Lawful
from lawful.documents import service as documents
from lawful.errors import PolicyViolation
from lawful.store.db import flush_later
from lawful.subjects.models import Identifier, PersonalValue, Subject
from lawful.web.app import create_app


@pytest.fixture
def studio(published_studio: Lawful) -> Lawful:
    return published_studio


def _consent_version(lawful: Lawful) -> dict[str, Any]:
    with lawful.sessions() as session:
        current = documents.current(session=session, kind="consent-newsletters", language="ru")
        assert current is not None
        return {"document_version": current.version, "content_hash": current.content_hash}


def _submission(lawful: Lawful, n: int, **consent: Any) -> Submission:
    return Submission.model_validate(
        {
            "form_id": "order-form",
            "language": "ru",
            "fields": {
                "user.name": "Марина Соколова",
                "user.contact.email": f"person.{n}@example.ru",
                "user.content.private": "Нужен логотип",
            },
            "purposes": ["order_details", "newsletters"],
            "consents": {"newsletters": {"given": True, **_consent_version(lawful), **consent}},
        }
    )


def _planned(lawful: Lawful, n: int, key: str | None = None, **consent: Any) -> Any:
    submission = _submission(lawful, n, **consent)
    context = collection.Context(
        evidence=Evidence(ip="203.0.113.7", form_id="order-form"), gpc=False, now=datetime.now(UTC)
    )
    plan = collection.prepare(
        ring=lawful.ring, policy=lawful.require_policy(), submission=submission, context=context
    )
    return plan, idempotency.Keyed(key, submission.model_dump_json().encode())


def _count(lawful: Lawful, model: Any) -> int:
    with lawful.sessions() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _write(lawful: Lawful, plans: list[Any]) -> list[Any]:
    return write_batch(
        sessions=lawful.sessions, ring=lawful.ring, policy=lawful.require_policy(), plans=plans
    )


def test_a_batch_writes_each_submission_as_if_alone(studio):
    answers = _write(studio, [_planned(studio, n) for n in range(5)])
    assert [a.status for a in answers] == [201] * 5
    refs = {a.payload["subject_ref"] for a in answers}
    assert len(refs) == 5
    assert _count(studio, Subject) == 5
    stored = sum(len(c) for a in answers for c in a.payload["recorded"].values())
    assert set(answers[0].payload["recorded"]) == {"order_details", "newsletters"}
    assert _count(studio, PersonalValue) == stored
    assert _count(studio, ConsentRecord) == 5
    with studio.sessions() as session:
        actions = session.scalars(sa.select(AuditEvent.action)).all()
    assert actions.count("subject_create") == 5
    assert actions.count("consent_give") == 5
    assert audit.verify(studio.engine).ok


def test_the_same_person_twice_in_one_batch_is_one_subject_with_one_current_consent(studio):
    answers = _write(studio, [_planned(studio, 7), _planned(studio, 7)])
    first, second = (a.payload for a in answers)
    assert first["subject_ref"] == second["subject_ref"]
    assert (first["new_subject"], second["new_subject"]) == (True, False)
    assert _count(studio, Subject) == 1
    assert _count(studio, Identifier) == 1
    with studio.sessions() as session:
        current = session.scalars(
            sa.select(ConsentRecord.id).where(ConsentRecord.is_current.is_(True))
        ).all()
    assert current == [second["consents"]["newsletters"]]


def test_a_later_batch_supersedes_the_earlier_decision(studio):
    (first,) = _write(studio, [_planned(studio, 3)])
    (second,) = _write(studio, [_planned(studio, 3, given=False)])
    assert second.payload["refused"] == ["newsletters"]
    with studio.sessions() as session:
        rows = dict(session.execute(sa.select(ConsentRecord.id, ConsentRecord.is_current)).all())
    assert rows == {
        first.payload["consents"]["newsletters"]: False,
        second.payload["consents"]["newsletters"]: True,
    }


def test_a_stale_document_refuses_only_its_own_submission(studio):
    stale = _planned(studio, 2, content_hash="0" * 64)
    answers = _write(studio, [_planned(studio, 1), stale, _planned(studio, 3)])
    assert isinstance(answers[1], PolicyViolation)
    assert answers[1].field == "consents.newsletters.document_version"
    assert [answers[0].status, answers[2].status] == [201, 201]
    assert _count(studio, Subject) == 2


def test_a_key_already_answered_replays_and_a_reused_key_is_refused(studio):
    plan = _planned(studio, 4, key="k-4")
    (first,) = _write(studio, [plan])
    other = _planned(studio, 5, key="k-4")
    replay, refused = _write(studio, [plan, other])
    assert replay.replayed and replay.payload == first.payload
    assert isinstance(refused, PolicyViolation) and refused.field == "Idempotency-Key"
    assert _count(studio, Subject) == 1


def _writer(lawful: Lawful, threads: int = 1) -> SubmissionWriter:
    return SubmissionWriter(
        sessions=lawful.sessions, ring=lawful.ring, policy=lawful.require_policy, threads=threads
    )


@pytest.mark.parametrize("threads", [1, 2])
def test_the_writer_answers_every_concurrent_submission_after_it_commits(studio, threads):
    writer = _writer(studio, threads)
    futures = []
    start = threading.Barrier(8)

    def send(n: int) -> None:
        start.wait()
        futures.append(writer.submit(*_planned(studio, n, key=f"k-{n % 20}")))

    threads = [
        threading.Thread(target=lambda i=i: [send(i * 25 + j) for j in range(25)]) for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answers = [f.result(timeout=30) for f in futures if f.exception(timeout=30) is None]
    refused = [f.exception() for f in futures if f.exception() is not None]
    writer.close()
    # 200 submissions over 20 keys: one acts per key, later ones with the same body replay and
    # ones with another body (another person) are refused — none acts twice.
    acted = {a.payload["subject_ref"] for a in answers if not a.replayed}
    assert len(acted) == 20
    assert all(isinstance(r, PolicyViolation) for r in refused)
    assert len(answers) + len(refused) == 200
    assert _count(studio, Subject) == 20


def test_a_failed_batch_is_retried_one_submission_at_a_time(studio, monkeypatch):
    real_write = collection.write
    batches = []

    def fail_when_shared(**kwargs: Any) -> Any:
        batches.append(len(kwargs["plans"]))
        if len(kwargs["plans"]) > 1:
            raise sa.exc.IntegrityError("INSERT", {}, Exception("a racing process won"))
        return real_write(**kwargs)

    monkeypatch.setattr(writer_module.collection, "write", fail_when_shared)
    writer = _writer(studio)
    jobs = [writer_module._Job(*_planned(studio, n)) for n in range(3)]
    writer._write(jobs)
    assert batches == [3, 1, 1, 1]
    assert [job.future.result(timeout=5).status for job in jobs] == [201, 201, 201]
    assert _count(studio, Subject) == 3


def test_a_lone_submission_that_loses_a_race_is_tried_again_then_given_up(studio, monkeypatch):
    real_write = collection.write
    failures = {"left": writer_module.RETRIES - 1}

    def lose_races(**kwargs: Any) -> Any:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise sa.exc.IntegrityError("INSERT", {}, Exception("another writer won"))
        return real_write(**kwargs)

    monkeypatch.setattr(writer_module.collection, "write", lose_races)
    writer = _writer(studio)
    job = writer_module._Job(*_planned(studio, 1))
    writer._write([job])
    assert job.future.result(timeout=5).status == 201  # the last try succeeded

    failures["left"] = writer_module.RETRIES
    doomed = writer_module._Job(*_planned(studio, 2))
    writer._write([doomed])
    with pytest.raises(sa.exc.IntegrityError):
        doomed.future.result(timeout=5)
    assert _count(studio, Subject) == 1


def test_submissions_from_coroutines_are_answered_in_their_event_loop(studio, monkeypatch):
    writer = _writer(studio)

    async def send(first: int) -> list[Any]:
        futures = [writer.submit_async(*_planned(studio, n)) for n in range(first, first + 12)]
        return await asyncio.gather(*futures, return_exceptions=True)

    assert [answer.status for answer in asyncio.run(send(0))] == [201] * 12

    def broken(**kwargs: Any) -> Any:
        raise ValueError("a bug")

    monkeypatch.setattr(writer_module.collection, "write", broken)
    failed = asyncio.run(send(100))
    writer.close()
    assert len(failed) == 12 and all(isinstance(f, ValueError) for f in failed)
    assert _count(studio, Subject) == 12


def test_a_batch_with_enough_company_takes_everyone_waiting_without_lingering(studio):
    writer = SubmissionWriter(
        sessions=studio.sessions,
        ring=studio.ring,
        policy=studio.require_policy,
        linger=3600,  # a batch that waited for more company would hang this test
        enough=4,
    )
    jobs = [writer_module._Job(*_planned(studio, n)) for n in range(6)]
    for job in jobs:
        writer._queue.put(job)
    taken: list[Any] = []
    taker = threading.Thread(target=lambda: taken.append(writer._next_batch([])), daemon=True)
    taker.start()
    taker.join(timeout=60)  # a guard against a hang, not a speed claim
    assert taken == [(jobs, [], False)]


def test_an_unexpected_error_fails_its_requests_instead_of_leaving_them_waiting(
    studio, monkeypatch
):
    def broken(**kwargs: Any) -> Any:
        raise ValueError("a bug")

    monkeypatch.setattr(writer_module.collection, "write", broken)
    writer = _writer(studio)
    future = writer.submit(*_planned(studio, 1))
    with pytest.raises(ValueError, match="a bug"):
        future.result(timeout=10)
    writer.close()
    assert _count(studio, Subject) == 0


def test_closing_the_app_writes_what_was_queued(studio):
    with TestClient(create_app(studio)) as client:
        body = _submission(studio, 9).model_dump(mode="json")
        assert client.post("/api/v1/submissions", json=body).status_code == 201
        writer = client.app.state.submission_writer  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError, match="closed"):
        writer.submit(*_planned(studio, 10))
    assert _count(studio, Subject) == 1


def test_openapi_documents_the_submission_body_the_route_parses_itself(studio):
    schema = TestClient(create_app(studio)).get("/openapi.json").json()
    body = schema["paths"]["/api/v1/submissions"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/Submission"
    components = schema["components"]["schemas"]
    assert {"fields", "purposes", "consents"} <= set(components["Submission"]["properties"])
    assert "ConsentGiven" in components  # the models it refers to come along


def test_a_body_that_is_not_a_submission_is_refused_naming_the_field(studio):
    client = TestClient(create_app(studio))
    body = _submission(studio, 1).model_dump(mode="json")
    body["purposes"] = "order_details"  # a string, not a list
    answer = client.post("/api/v1/submissions", json=body)
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["body.purposes"]
    broken = client.post(
        "/api/v1/submissions", content=b'{"form_id": ', headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400 and "person.1" not in broken.text
    assert _count(studio, Subject) == 0


def test_the_writer_waits_briefly_for_company_so_close_requests_share_a_commit(studio):
    writer = SubmissionWriter(
        sessions=studio.sessions, ring=studio.ring, policy=studio.require_policy, linger=0.5
    )
    first = writer.submit(*_planned(studio, 1))
    second = writer.submit(*_planned(studio, 2))  # arrives while the writer lingers
    answers = [first.result(timeout=10).payload, second.result(timeout=10).payload]
    writer.close()
    with studio.sessions() as session:
        times = session.scalars(sa.select(ConsentRecord.given_at)).all()
    assert len(answers) == 2 and len(set(times)) == 1  # one batch: one transaction, one instant


def test_on_postgresql_a_batch_is_flushed_to_disk_before_it_is_answered(studio, monkeypatch):
    """The batch commits without waiting for its fsync (the chain lock is released at once),
    then waits for the WAL flush past its commit before any answer goes out."""
    if studio.engine.dialect.name != "postgresql":
        with studio.sessions.begin() as session:
            assert not flush_later(session)  # SQLite's commit is durable by itself
        return
    seen: list[tuple[str, str]] = []
    real_flush = writer_module.flush_wal

    def flush_and_note(sessions: Any) -> None:
        with sessions() as session:  # after the batch's commit: its record is written...
            written = session.scalar(sa.text("SELECT pg_current_wal_insert_lsn()::text"))
        real_flush(sessions)
        with sessions() as session:  # ...and now on disk
            flushed = session.scalar(sa.text("SELECT pg_current_wal_flush_lsn()::text"))
        seen.append((written, flushed))

    monkeypatch.setattr(writer_module, "flush_wal", flush_and_note)
    (answer,) = _write(studio, [_planned(studio, 1, key="durable")])
    assert answer.status == 201
    ((written, flushed),) = seen
    with studio.sessions() as session:
        lsn_order = sa.text("SELECT (:f)::pg_lsn >= (:w)::pg_lsn")
        assert session.scalar(lsn_order, {"f": flushed, "w": written})
    with studio.sessions.begin() as session:
        assert flush_later(session)
        assert session.scalar(sa.text("SHOW synchronous_commit")) == "off"
    with studio.sessions() as session:
        assert session.scalar(sa.text("SHOW synchronous_commit")) == "on"  # SET LOCAL only
