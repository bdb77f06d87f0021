"""The ``jobs`` table: durable work that survives restarts, shared by every worker process.

There is no broker: a job is a row. Workers claim rows with a lease (``locked_by``,
``locked_until``), so a worker that dies mid-job only delays the job until its lease expires.

Privacy: ``payload`` and ``last_error`` are stored in clear and copied into logs and backups
that erasure cannot reach. They must never hold personal data — pass subject ids (random,
meaningless references) and let the handler load what it needs from the sealed store.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.db import Base
from lawful.store.types import UTCDateTime

#: A job's arguments: a JSON object of ids and flags, never personal data.
Payload = dict[str, Any]


class JobStatus(StrEnum):
    """Life of a job: queued → running → done, or back to queued for a retry, or dead."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


_STATUSES = ", ".join(f"'{status.value}'" for status in JobStatus)


class Job(Base):
    """One unit of durable work. See the module docstring for what may go in ``payload``."""

    __tablename__ = "jobs"
    __table_args__ = (
        sa.UniqueConstraint("unique_key", name="uq_jobs_unique_key"),
        sa.CheckConstraint(f"status IN ({_STATUSES})", name="ck_jobs_status"),
        sa.Index("ix_jobs_status_run_at", "status", "run_at"),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    kind: Mapped[str] = mapped_column(sa.String(64))
    payload: Mapped[Payload] = mapped_column(sa.JSON().with_variant(JSONB(), "postgresql"))
    status: Mapped[str] = mapped_column(sa.String(16))
    run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(sa.Integer)
    max_attempts: Mapped[int] = mapped_column(sa.Integer)
    locked_by: Mapped[str | None] = mapped_column(sa.String(128))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Error class name, plus the message only for lawful's own errors (which carry none).
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    # Same key twice = one job: idempotent enqueueing and one periodic job per time slot.
    unique_key: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
