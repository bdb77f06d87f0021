"""Reading and writing throttle marks. Each call is its own short statement under the caller's
session (the caller commits): a count is raised atomically in the database, so processes
behind one load balancer share one limit, and a restart forgets nothing that still matters."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lawful.store.db import insert_for
from lawful.throttle.models import ThrottleMark


def count(session: Session, key: str, *, until: datetime) -> int:
    """Raise the count of ``key`` by one (a new mark counts one); the count now."""
    insert = insert_for(session)
    statement = insert(ThrottleMark).values(key=key, count=1, until=until)
    raised = statement.on_conflict_do_update(
        index_elements=["key"],
        set_={"count": ThrottleMark.count + 1, "until": statement.excluded.until},
    ).returning(ThrottleMark.count)
    return int(session.execute(raised).scalar_one())


def mark(session: Session, key: str, *, until: datetime) -> None:
    """Set ``key`` until ``until`` (a later mark of the same key replaces it)."""
    insert = insert_for(session)
    statement = insert(ThrottleMark).values(key=key, count=1, until=until)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["key"], set_={"until": statement.excluded.until}
        )
    )


def until(session: Session, key: str, *, at: datetime) -> datetime | None:
    """When the mark of ``key`` ends, if it is still in force at ``at``."""
    found = session.scalar(sa.select(ThrottleMark.until).where(ThrottleMark.key == key))
    return found if found is not None and found > at else None


def forget_expired(session: Session, *, at: datetime) -> int:
    """Delete the marks that no longer matter; how many."""
    result = session.execute(sa.delete(ThrottleMark).where(ThrottleMark.until <= at))
    return int(getattr(result, "rowcount", 0) or 0)
