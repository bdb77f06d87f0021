"""Throttle marks on both backends: counts raised in the database, marks in force until their
time, expired ones forgotten; the table made by the migration is the model's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lawful.context import Lawful
from lawful.store.db import Base
from lawful.throttle import service as throttle
from tests.conftest import open_template

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def lawful(tmp_path: Path, database_url: str) -> Iterator[Lawful]:
    opened = open_template(tmp_path, database_url, "ru-design-studio")
    yield opened
    opened.close()


def test_a_count_rises_by_one_per_call_across_sessions(lawful: Lawful) -> None:
    counts = []
    for _ in range(3):
        with lawful.sessions.begin() as session:  # each as another process would
            counts.append(throttle.count(session, "wrong:c1", until=NOW + timedelta(minutes=15)))
    with lawful.sessions.begin() as session:
        counts.append(throttle.count(session, "wrong:c2", until=NOW + timedelta(minutes=15)))

    assert counts == [1, 2, 3, 1]


def test_a_mark_holds_until_its_time(lawful: Lawful) -> None:
    with lawful.sessions.begin() as session:
        throttle.mark(session, "locked:d", until=NOW + timedelta(hours=1))

    with lawful.sessions() as session:
        assert throttle.until(session, "locked:d", at=NOW) == NOW + timedelta(hours=1)
        assert throttle.until(session, "locked:d", at=NOW + timedelta(hours=2)) is None
        assert throttle.until(session, "locked:other", at=NOW) is None


def test_expired_marks_are_forgotten_and_the_rest_kept(lawful: Lawful) -> None:
    with lawful.sessions.begin() as session:
        throttle.mark(session, "ended:old", until=NOW - timedelta(seconds=1))
        throttle.mark(session, "ended:new", until=NOW + timedelta(minutes=30))

    with lawful.sessions.begin() as session:
        forgotten = throttle.forget_expired(session, at=NOW)

    assert forgotten == 1
    with lawful.sessions() as session:
        assert throttle.until(session, "ended:new", at=NOW) is not None


def test_the_0014_migration_makes_the_models_table(lawful: Lawful) -> None:
    with lawful.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert [d for d in differences if "throttle_marks" in repr(d)] == []
