"""Destruction acts (RKN Order No. 179 of 28.10.2022) and the subjects each one covers.

An act documents one destruction operation: a single erasure request, or a retention sweep
that destroys many subjects at once — hence the separate table of covered subjects. Subjects
are named by their pseudonymous id, the "subject identifier" the order asks for; the act is
kept for three years (``destruction_record`` in the law tables), after the data are gone.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.db import Base
from lawful.store.types import UTCDateTime


class DestructionAct(Base):
    __tablename__ = "destruction_acts"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    operator: Mapped[str] = mapped_column(sa.Text)
    processor: Mapped[str | None] = mapped_column(sa.Text)
    destroyed_by: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[str] = mapped_column(sa.String(200))
    categories: Mapped[str] = mapped_column(sa.Text)
    information_system: Mapped[str] = mapped_column(sa.String(200))
    method: Mapped[str] = mapped_column(sa.String(300))
    reason: Mapped[str] = mapped_column(sa.Text)
    destroyed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    keep_until: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    #: The audit journal's events of the destruction (JSON, ids and names only).
    log_extract: Mapped[str] = mapped_column(sa.Text)


class DestroyedSubject(Base):
    __tablename__ = "destruction_act_subjects"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    act_id: Mapped[str] = mapped_column(
        sa.ForeignKey("destruction_acts.id", ondelete="CASCADE"), index=True
    )
    subject_ref: Mapped[str] = mapped_column(sa.String(32), index=True)
    categories: Mapped[str] = mapped_column(sa.Text)
