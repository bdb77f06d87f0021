"""Crypto-shredding and the act's log extract, as the retention sweep's speed work left them:
one DELETE of the key rows whose cascade takes every row of the subject, categories passed by
a caller that has just read them, and the extract rendered line by line — on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from lawful.audit.models import AuditEvent
from lawful.config.loader import load_policy_text
from lawful.consent.models import ConsentEvent, ConsentRecord
from lawful.destruction import service as destruction
from lawful.destruction.models import DestructionAct
from lawful.retention import service as retention
from lawful.retention import sweep
from lawful.store.db import Base
from lawful.subjects.service import create_subject, record

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
POLICY = load_policy_text(
    """
operator:
  legal_name: Example LLC
  address: 1 Example St, Moscow
  country: RU
  jurisdictions: [ru]
  languages: [en]
  requests_email: privacy@example.org
categories:
  user.name: {}
  user.contact.email: {}
purposes:
  orders:
    name: Orders
    data_use: essential.service
    subjects: [customer]
    legal_basis: contract
    categories: [user.name, user.contact.email]
    retention: {kind: until_event, event: order_closed, grace_days: 30}
""",
    "lawful.yaml",
).policy


def full_subject(sessions, ring, name: str = "olga") -> str:
    """A subject with a row in as many of the tables that refer to subjects as a test can
    fill through the services: values, an identifier, a consent record and its event, a
    retention event and a legal hold."""
    with sessions.begin() as session:
        subject_id = create_subject(
            session=session, ring=ring, identifiers={"email": f"{name}@example.ru"}, actor="t"
        )
        record(
            session=session,
            ring=ring,
            policy=POLICY,
            subject_id=subject_id,
            purpose="orders",
            values={"user.name": name, "user.contact.email": f"{name}@example.ru"},
            actor="t",
            now=NOW - timedelta(days=400),
        )
        retention.record_event(
            session=session,
            policy=POLICY,
            subject_id=subject_id,
            event="order_closed",
            at=NOW - timedelta(days=60),
            actor="t",
        )
        retention.place_hold(
            session=session,
            policy=POLICY,
            subject_id=subject_id,
            purpose=None,
            reason="case 12",
            at=NOW,
            actor="t",
        )
        session.add(
            ConsentRecord(
                id=subject_id[:16] + "orders",
                subject_id=subject_id,
                purpose="orders",
                kind="marketing",
                state="withdrawn",
                is_current=True,
                method="checkbox",
                channel="web_form",
                given_at=NOW - timedelta(days=100),
                state_changed_at=NOW - timedelta(days=50),
                jurisdictions=["ru"],
            )
        )
        session.flush()
        session.add(  # found both by its subject and through its consent record
            ConsentEvent(
                consent_id=subject_id[:16] + "orders",
                subject_id=subject_id,
                purpose="orders",
                state="withdrawn",
                previous_state="given",
                at=NOW - timedelta(days=50),
                actor="t",
            )
        )
    return subject_id


def rows_referring_to(session, subject_id: str) -> dict[str, int]:
    """Rows of ``subject_id`` in every table with a foreign key to ``subjects``."""
    counts = {}
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "subjects":
                query = sa.select(sa.func.count()).where(fk.parent == subject_id)
                counts[f"{table.name}.{fk.parent.name}"] = session.scalar(query)
    return counts


@pytest.mark.parametrize("known", [False, True], ids=["categories read", "categories given"])
def test_shredding_leaves_no_row_of_the_subject_in_any_table_that_refers_to_them(
    sessions, ring, known
):
    subject_id, other = full_subject(sessions, ring), full_subject(sessions, ring, "anna")
    with sessions() as session:
        before = rows_referring_to(session, subject_id)
    filled = {name for name, n in before.items() if n}
    assert filled >= {
        "personal_values.subject_id",
        "identifiers.subject_id",
        "consent_records.subject_id",
        "consent_events.subject_id",
        "retention_events.subject_id",
        "legal_holds.subject_id",
    }
    categories = {subject_id: ["user.contact.email", "user.name"]} if known else None
    with sessions.begin() as session:
        done = destruction.shred(
            session=session,
            subject_ids=[subject_id, "0" * 32],  # an unknown id is skipped
            actor="t",
            reason="test",
            now=NOW,
            categories=categories,
        )
    assert done == [destruction.Shredded(subject_id, ("user.contact.email", "user.name"))]
    with sessions() as session:
        assert set(rows_referring_to(session, subject_id).values()) == {0}
        assert rows_referring_to(session, other) == before  # the neighbour keeps everything
        destroys = session.scalars(
            sa.select(AuditEvent.body).where(
                AuditEvent.action == "destroy", AuditEvent.subject_ref == subject_id
            )
        ).all()
    assert len(destroys) == 1
    assert json.loads(destroys[0])["categories"] == ["user.contact.email", "user.name"]


def test_shredding_flushes_what_the_session_holds_first(sessions, ring):
    """The deletes are Core statements: a row the caller added to the session must reach
    the database before them, and go with the subject."""
    subject_id = full_subject(sessions, ring)
    with sessions.begin() as session:
        retention.record_event(
            session=session,
            policy=POLICY,
            subject_id=subject_id,
            event="order_closed",
            at=NOW,
            actor="t",
        )
        destruction.shred(
            session=session, subject_ids=[subject_id], actor="t", reason="test", now=NOW
        )
    with sessions() as session:
        assert set(rows_referring_to(session, subject_id).values()) == {0}


def act_of(session, destroyed, reason, elsewhere) -> DestructionAct:
    return destruction.record_act(
        session=session,
        policy=POLICY,
        destroyed=destroyed,
        destroyer=destruction.Destroyer("Ivan Petrov", "DPO"),
        reason=reason,
        now=NOW,
        elsewhere=elsewhere,
    )


def test_the_log_extract_is_the_json_of_its_lines(sessions):
    """Rendered line by line, the extract is still exactly the compact JSON of its lines,
    whatever characters the names and reasons hold."""
    items = [
        destruction.Shredded("a" * 32, ("user.name", "user.contact.email")),
        destruction.Shredded('odd"ref\\', ('quote"d', "кириллица")),
        destruction.Shredded("b" * 32, ("user.name", "user.contact.email")),
    ]
    elsewhere = [destruction.SystemErasure("shop", ("user.contact.email",), 3, "API delete")]
    reason = 'retention ended — "orders": 30 days\nafter closing'
    with sessions.begin() as session:
        act_id = act_of(session, items, reason, elsewhere).id
    system = f"{destruction.INFORMATION_SYSTEM}; shop"
    expected = [
        {
            "subject_identifier": ref,
            "data_categories": ", ".join(categories),
            "information_system_name": system,
            "reason": reason,
            "date": NOW.isoformat(),
        }
        for ref, categories in items
    ] + [
        {
            "information_system_name": "shop",
            "data_categories": "user.contact.email",
            "records": "3",
            "method": "API delete",
            "reason": reason,
            "date": NOW.isoformat(),
        }
    ]
    with sessions() as session:
        stored = session.get(DestructionAct, act_id)
        assert stored is not None
        assert json.loads(stored.log_extract) == expected
        assert stored.log_extract == json.dumps(expected, ensure_ascii=False, separators=(",", ":"))
        assert stored.categories == 'quote"d, user.contact.email, user.name, кириллица'


@pytest.mark.parametrize(
    "texts",
    [
        ["a" * 32 + "\tuser.contact.email,user.name\n" + "b" * 32 + "\tuser.name", "c" * 32 + "\t"],
        ['odd"ref\\\tquote"d,кириллица', "d" * 32 + "\tuser.name", "e\x7ff\tx\x1fy"],
        ["comma,ref\tuser.name\n" + "f" * 32 + "\tuser.name,кириллица", ""],
    ],
    ids=["plain", "to escape", "commas"],
)
def test_an_act_from_a_sweeps_lines_is_the_act_from_their_subjects(sessions, texts):
    """A sweep hands its batches' texts of lines to ``record_act``; the act, its extract and
    its rows are those the same subjects make as tuples, whatever characters they hold."""
    lines = destruction.Lines(texts)
    items = [
        destruction.Shredded(ref, tuple(categories.split(",")))
        for text in texts
        for ref, categories in (line.split("\t") for line in text.splitlines())
    ]
    made = {}
    for name, destroyed in (("items", items), ("lines", lines)):
        with sessions.begin() as session:
            elsewhere = [destruction.SystemErasure("shop", ("user.name",), 1, "API")]
            act = act_of(session, destroyed, 'ended — "orders"', elsewhere)
            rows = [(s.subject_ref, s.categories) for s in destruction.subjects_of(session, act)]
            made[name] = (act.log_extract, act.categories, rows)
    assert made["lines"] == made["items"]
    assert len(json.loads(made["lines"][0])) == len(items) + 1


def test_the_0013_migration_compresses_act_extracts_with_lz4_on_postgresql(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite does not compress")
    with engine.connect() as conn:
        try:
            with conn.begin_nested():
                conn.execute(sa.text("CREATE TEMP TABLE lz4_probe (t text COMPRESSION lz4)"))
        except sa.exc.DBAPIError:
            pytest.skip("this PostgreSQL has no lz4")
        method = conn.scalar(
            sa.text(
                "SELECT attcompression FROM pg_attribute "
                "WHERE attrelid = 'destruction_acts'::regclass AND attname = 'log_extract'"
            )
        )
    assert method == "l"


@pytest.mark.parametrize("lock", [True, False], ids=["sweep batch", "dry run"])
def test_a_sweep_batch_locks_its_subjects_so_nothing_is_added_before_removal(
    engine, sessions, ring, lock
):
    """A sweep hands ``shred`` the categories it planned with: no value may join a subject of
    the batch until the batch commits. (PostgreSQL: SQLite's write lock covers the whole
    database for the batch.)"""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write lock covers the whole database")
    subject_id = full_subject(sessions, ring)
    with sessions.begin() as sweeping:
        assert sweep.batch_ids(sweeping, "", 10, lock=lock) == [subject_id]

        def add_a_value() -> None:
            with sessions.begin() as other:
                other.execute(sa.text("SET LOCAL lock_timeout = '300ms'"))
                record(
                    session=other,
                    ring=ring,
                    policy=POLICY,
                    subject_id=subject_id,
                    purpose="orders",
                    values={"user.name": "Olga Two"},
                    actor="t",
                    now=NOW,
                )

        if lock:
            with pytest.raises(sa.exc.OperationalError, match="lock timeout"):
                add_a_value()
        else:
            add_a_value()
