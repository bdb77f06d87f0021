"""Deleting many subjects set-based (``lawful.destruction.dependents``): on PostgreSQL every
row that references them goes in one statement with the cascade's triggers skipped, and
the result is the cascade's — on SQLite (which keeps its own path) and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lawful.audit.models import AuditEvent
from lawful.destruction import dependents
from lawful.destruction import service as destruction
from lawful.store.db import Base
from lawful.subjects.models import PersonalValue
from tests.test_destruction_shred import NOW, full_subject, rows_referring_to


@pytest.fixture
def set_based(monkeypatch) -> None:
    """Take the set-based path from the first subject (the tests hold a handful)."""
    monkeypatch.setattr(dependents, "SET_BASED_FROM", 1)


@pytest.mark.parametrize("how", ["shred", "delete_subjects", "delete_subjects ranged"])
def test_set_based_deletion_leaves_no_row_of_the_subjects_and_keeps_the_neighbours(
    engine, sessions, ring, set_based, how, monkeypatch
):
    """The neighbour kept is inside the range of the ids deleted: a ranged deletion reads it
    and must leave it."""
    real_delete, calls = dependents.delete, []
    monkeypatch.setattr(
        dependents, "delete", lambda *args, **kw: calls.append(1) or real_delete(*args, **kw)
    )
    first, kept, *rest = sorted(
        full_subject(sessions, ring, name) for name in ("olga", "anna", "ivan", "pyotr")
    )
    gone = [first, *rest]
    with sessions() as session:
        before = rows_referring_to(session, kept)
    assert before["consent_events.subject_id"] == 1
    with sessions.begin() as session:
        if how == "shred":
            done = destruction.shred(
                session=session, subject_ids=gone, actor="t", reason="test", now=NOW
            )
            assert {s.subject_ref for s in done} == set(gone)
        else:
            present = destruction.delete_subjects(
                session=session, subject_ids=[*gone, "0" * 32], ranged=how.endswith("ranged")
            )
            if engine.dialect.name == "postgresql":  # the rest of the transaction as before
                assert session.scalar(sa.text("SHOW plan_cache_mode")) == "auto"
            assert present == set(gone)  # the unknown id is not reported
    with sessions() as session:
        for subject_id in gone:
            assert set(rows_referring_to(session, subject_id).values()) == {0}
        assert rows_referring_to(session, kept) == before
        destroys = session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "destroy"))
    assert destroys == (3 if how == "shred" else 0)  # delete_subjects leaves the journal
    assert len(calls) == (1 if engine.dialect.name == "postgresql" else 0)


def test_the_foreign_keys_are_checked_again_after_the_deletion(engine, sessions, ring, set_based):
    """The triggers are skipped for the deleting statement only: a row for a subject that
    does not exist is refused later in the same transaction."""
    subject_id = full_subject(sessions, ring)
    with pytest.raises(sa.exc.IntegrityError), sessions.begin() as session:
        destruction.delete_subjects(session=session, subject_ids=[subject_id])
        if engine.dialect.name == "postgresql":
            role = session.scalar(sa.text("SHOW session_replication_role"))
            assert role == "origin"
        session.add(
            PersonalValue(
                subject_id=subject_id,
                purpose="orders",
                category="user.name",
                sealed=b"x",
                collected_at=NOW,
            )
        )
        session.flush()


def postgresql_only(engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the set-based path is PostgreSQL's; SQLite deletes its own way")


def test_the_plan_covers_every_foreign_key_that_leads_to_subjects(engine):
    """Read from the database, the plan names every table the models say refers to subjects,
    directly or through another such table (consent events through their record)."""
    postgresql_only(engine)
    referring: set[tuple[str, str]] = set()
    reached = {"subjects"}
    while True:
        more = {
            (table.name, fk.parent.name)
            for table in Base.metadata.sorted_tables
            for fk in table.foreign_keys
            if fk.column.table.name in reached
        }
        if more <= referring:
            break
        referring |= more
        reached |= {name for name, _ in more}
    with engine.connect() as conn:
        deletion = dependents.plan(conn)
    assert deletion is not None
    text = deletion.statement.text
    for table, column in referring:
        assert f".{table} WHERE {column} " in text, (table, column)
    assert text.count("DELETE FROM") == len(referring) + 1  # and the subjects themselves


def test_a_role_that_may_not_skip_triggers_keeps_the_cascade(engine, sessions, ring):
    postgresql_only(engine)
    with engine.connect() as conn:
        assert dependents.plan(conn) is not None  # the tests connect as a superuser
        conn.execute(sa.text("SET ROLE pg_monitor"))  # a role without the right
        assert dependents.plan(conn) is None
        conn.rollback()


def test_only_single_column_cascades_may_be_replaced():
    subjects, records, events = 1, 2, 3

    def key(child: int, name: str, parent: int, action: str = "c", width: int = 1) -> tuple:
        return (child, name, "subject_id", parent, "id", action, width)

    keys = [key(records, "s.records", subjects), key(events, "s.events", records)]
    assert dependents._paths(keys, subjects) == [
        [("s.records", "subject_id", "id")],
        [("s.events", "subject_id", "id"), ("s.records", "subject_id", "id")],
    ]
    assert dependents._paths([*keys, key(4, "s.notes", records, action="a")], subjects) is None
    assert dependents._paths([*keys, key(4, "s.pairs", subjects, width=2)], subjects) is None
    assert dependents._paths([key(records, "s.loop", records)], records) is None
    other_column = (4, "s.by_key", "subject_key", subjects, "wrapped_key", "c", 1)
    assert dependents._paths([*keys, other_column], subjects) is None


@pytest.mark.parametrize("own_trigger", [False, True], ids=["keys only", "a trigger of its own"])
def test_keys_go_unchecked_only_inside_the_block_and_only_where_nothing_else_is_skipped(
    engine, own_trigger
):
    """A sweep's act rows are inserted with their key to the act unchecked (the act was
    written just before): only inside the block, and not at all on a table with a trigger
    of its own, which would be skipped too."""
    postgresql_only(engine)
    orphan = sa.text(
        "INSERT INTO destruction_act_subjects (act_id, subject_ref, categories) "
        "VALUES ('no such act', 's', 'c')"
    )
    with engine.connect() as conn:
        if own_trigger:
            conn.execute(
                sa.text(
                    "CREATE FUNCTION keep_row() RETURNS trigger LANGUAGE plpgsql "
                    "AS $$ BEGIN RETURN NEW; END $$"
                )
            )
            conn.execute(
                sa.text(
                    "CREATE TRIGGER own BEFORE INSERT ON destruction_act_subjects "
                    "FOR EACH ROW EXECUTE FUNCTION keep_row()"
                )
            )
        inside = conn.begin_nested()
        try:
            with dependents.keys_unchecked(conn, "destruction_act_subjects"):
                conn.execute(orphan)
            inside.commit()
            unchecked = True
        except sa.exc.IntegrityError:
            inside.rollback()
            unchecked = False
        assert unchecked is not own_trigger
        with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
            conn.execute(orphan)
        conn.rollback()
