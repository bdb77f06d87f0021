"""Tables of retention: purpose-achieved events, legal holds, sweep runs and their progress,
and the counts anonymisation keeps. Ids, names, times and counts only — no personal data."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.db import Base
from lawful.store.types import UTCDateTime

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


class RetentionEvent(Base):
    """A purpose-achieved event of one subject (``order_closed``, ``account_deleted``)."""

    __tablename__ = "retention_events"
    __table_args__ = (sa.Index("ix_retention_events_subject_event", "subject_id", "event"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    subject_id: Mapped[str] = mapped_column(sa.ForeignKey("subjects.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(sa.String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LegalHold(Base):
    """A hold on one subject's data (one purpose, or all when ``purpose`` is None)."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    subject_id: Mapped[str] = mapped_column(
        sa.ForeignKey("subjects.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str | None] = mapped_column(sa.String(64))
    #: Why (a case number, an authority's demand): shown by the sweep, never journaled.
    reason: Mapped[str] = mapped_column(sa.String(300))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SweepRun(Base):
    """One sweep: the instant its rules are evaluated at and how far it has got.

    A run that crashed stays ``running``; the next sweep resumes it from ``cursor`` with the
    same ``as_of``, so nothing is swept twice and the run still ends in one act."""

    __tablename__ = "sweep_runs"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The last subject id swept (subjects are swept in id order).
    cursor: Mapped[str] = mapped_column(sa.String(32), default="")
    batches: Mapped[int] = mapped_column(sa.Integer, default=0)
    destroyed_values: Mapped[int] = mapped_column(_ID, default=0)
    anonymised_values: Mapped[int] = mapped_column(_ID, default=0)
    shredded_subjects: Mapped[int] = mapped_column(_ID, default=0)
    held_values: Mapped[int] = mapped_column(_ID, default=0)
    act_id: Mapped[str | None] = mapped_column(sa.String(32))


class SweepItem(Base):
    """What one batch of a run removed, until the run's act lists it: one line per subject,
    ``<subject id>\t<category>,<category>`` (one row per batch, not per subject: a sweep
    removes a hundred thousand subjects and these rows only live until the act is written)."""

    __tablename__ = "sweep_items"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(
        sa.ForeignKey("sweep_runs.id", ondelete="CASCADE"), index=True
    )
    entries: Mapped[str] = mapped_column(sa.Text)


class AnonymisedCount(Base):
    """What anonymisation keeps: how many values of a category were held for a purpose,
    by month of collection — statistics about no one."""

    __tablename__ = "anonymised_counts"
    __table_args__ = (
        sa.UniqueConstraint("purpose", "category", "month", name="uq_anonymised_counts_key"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    purpose: Mapped[str] = mapped_column(sa.String(64))
    category: Mapped[str] = mapped_column(sa.String(128))
    #: ``YYYY-MM`` of collection.
    month: Mapped[str] = mapped_column(sa.String(7))
    values: Mapped[int] = mapped_column(_ID, default=0)
