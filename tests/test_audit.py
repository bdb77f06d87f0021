"""The journal: a hash chain in which any edit, insertion or deletion is found."""

from __future__ import annotations

import multiprocessing
import os
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from lawful import audit
from lawful.audit.models import AuditEvent
from lawful.audit.service import _Bodies, canonical_json
from lawful.audit.vocabulary import ACTIONS
from lawful.errors import LawfulError
from lawful.store.db import create_engine_for, make_session_factory


def _journal(engine: Engine, n: int) -> None:
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        for i in range(n):
            audit.append(
                session,
                audit.Event("record", "test", f"s{i % 3}", "inquiry", ["user.name"], {"n": i}),
            )


def test_an_untouched_chain_verifies(engine):
    _journal(engine, 10)
    result = audit.verify(engine)
    assert result.ok and result.events == 10 and result.first_broken_seq is None


def test_every_event_names_its_dpv_term(engine):
    _journal(engine, 1)
    with engine.connect() as conn:
        body = conn.execute(sa.select(AuditEvent.body)).scalar_one()
    assert '"dpv":"https://w3id.org/dpv#Record"' in body


@pytest.mark.parametrize(
    ("tamper", "broken_seq"),
    [
        ("UPDATE audit_events SET body = replace(body, 'inquiry', 'marketing') WHERE seq = 4", 4),
        ("UPDATE audit_events SET action = 'use' WHERE seq = 6", 6),
        ("UPDATE audit_events SET at = '2020-01-01T00:00:00.000000Z' WHERE seq = 2", 2),
        ("UPDATE audit_events SET subject_ref = 's9' WHERE seq = 7", 7),
        ("DELETE FROM audit_events WHERE seq = 5", 5),
        ("DELETE FROM audit_events WHERE seq = 10", 10),
        (
            "INSERT INTO audit_events SELECT 11, at, action, subject_ref, body, hash, hash "
            "FROM audit_events WHERE seq = 10",
            11,
        ),
        ("UPDATE audit_events SET seq = seq + 100 WHERE seq = 3", 3),
    ],
    ids=[
        "edit-body",
        "edit-action",
        "edit-time",
        "edit-subject",
        "delete-middle",
        "delete-last",
        "insert-at-end",
        "renumber",
    ],
)
def test_any_edit_insertion_or_deletion_is_named(engine, tamper, broken_seq):
    _journal(engine, 10)
    with engine.begin() as conn:
        conn.exec_driver_sql(tamper)
    result = audit.verify(engine)
    assert not result.ok
    assert result.first_broken_seq == broken_seq


def test_an_unknown_action_is_refused(engine):
    sessions = make_session_factory(engine)
    with pytest.raises(LawfulError), sessions.begin() as session:
        audit.append(session, audit.Event("sell", "test"))


def _writer(url: str, schema: str | None, count: int) -> None:
    engine = create_engine_for(url)
    if schema:
        sa.event.listen(engine, "connect", lambda c, _r: _set_path(c, schema))
    sessions = make_session_factory(engine)
    for i in range(count):
        with sessions.begin() as session:
            audit.append(session, audit.Event("use", f"worker-{os.getpid()}", details={"i": i}))
    engine.dispose()


def _set_path(dbapi_connection, schema: str) -> None:  # type: ignore[no-untyped-def]
    with dbapi_connection.cursor() as cur:
        cur.execute(f'SET search_path TO "{schema}"')
    dbapi_connection.commit()


def test_concurrent_writers_in_several_processes_keep_one_chain(engine):
    url = engine.url.render_as_string(hide_password=False)
    schema = None
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(url, schema, 40)) for _ in range(4)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
        assert proc.exitcode == 0
    result = audit.verify(engine)
    assert result.ok, result.reason
    assert result.events == 160


def test_a_rolled_back_transaction_journals_nothing(engine):
    sessions = make_session_factory(engine)
    with pytest.raises(RuntimeError), sessions.begin() as session:
        audit.append(session, audit.Event("use", "test"))
        raise RuntimeError("the action failed")
    _journal(engine, 2)
    result = audit.verify(engine)
    assert result.ok and result.events == 2


def test_an_open_transaction_does_not_hold_the_chain_for_other_writers(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises whole write transactions by design")
    sessions = make_session_factory(engine)
    slow = sessions()
    slow.begin()
    audit.append(slow, audit.Event("use", "slow writer"))
    with sessions.begin() as quick:
        quick.execute(sa.text("SET LOCAL statement_timeout = '3s'"))
        audit.append(quick, audit.Event("use", "quick writer"))
    slow.commit()
    slow.close()
    result = audit.verify(engine)
    assert result.ok and result.events == 2


def test_bodies_rendered_from_parts_are_the_canonical_json_of_the_event():
    """Events of one instant are rendered from parts encoded once; the text must stay
    exactly the canonical JSON of the event as a dict (the chain's hashes cover it)."""
    at = "2026-06-01T12:00:00.000000Z"
    events = [
        audit.Event(
            "destroy", "lawful:retention", "a" * 32, None, ("user.name", "user.contact.email")
        ),
        audit.Event(
            "destroy", "lawful:retention", "b" * 32, None, ("user.contact.email", "user.name")
        ),
        audit.Event("destroy", "t", None, "orders", (), {"reason": 'кто "он"\n', "values": 3}),
        audit.Event("anonymise", "t", "c" * 32, "orders", ("user.name",), {"n": 1}),
        audit.Event("anonymise", "t", "c" * 32, "orders", ("user.name",), {"n": True}),
        audit.Event("anonymise", "t", "c" * 32, "orders", ("user.name",), {"n": 1.0}),
        audit.Event("anonymise", "t", "c" * 32, "orders", ("user.name",), {"n": None, "a": "z"}),
    ]
    render = _Bodies(at)
    for event in events:
        term = ACTIONS[event.action]
        expected = canonical_json(
            {
                "action": event.action,
                "actor": event.actor,
                "at": at,
                "categories": sorted(event.categories),
                "details": dict(event.details),
                "dpv": term.iri,
                "dpv_broader": term.broader,
                "purpose": event.purpose,
                "subject": event.subject_ref,
            }
        )
        assert render(event) == expected
    with pytest.raises(LawfulError, match="unknown audit action"):
        render(audit.Event("teleport", "t"))


def test_events_alike_are_journaled_as_the_same_events_one_by_one(engine):
    """``append_alike`` (a sweep's hundred thousand ``destroy``) journals exactly what
    ``append_many`` of the same events does: the same bodies, chained and verified."""
    like = audit.Event("destroy", "lawful:retention", details={"reason": 'ended "x"\n'})
    subjects = [("a" * 32, ("user.name", "user.contact.email")), ('odd"ref\\ё', ())]
    sessions, at = make_session_factory(engine), datetime(2026, 6, 1, tzinfo=UTC)
    with sessions.begin() as session:
        audit.append_alike(session, like, subjects, at=at)
        audit.append_many(
            session,
            (
                audit.Event(like.action, like.actor, ref, categories=cats, details=like.details)
                for ref, cats in subjects
            ),
            at=at,
        )
    with engine.connect() as conn:
        query = sa.select(AuditEvent.subject_ref, AuditEvent.body).order_by(AuditEvent.seq)
        rows = conn.execute(query).all()
    bodies = [body for _, body in rows]
    assert bodies[:2] == bodies[2:]
    assert [ref for ref, _ in rows[:2]] == [ref for ref, _ in subjects]
    assert audit.verify(engine).ok
