"""The journal table. Each row's ``hash`` covers its own columns and the previous row's hash;
``audit_head`` records the newest link so that cutting rows off the end is detected too."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.db import Base


class AuditEvent(Base):
    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    # ISO 8601 UTC text, not a DateTime: the hash covers it byte for byte on every backend.
    at: Mapped[str] = mapped_column(sa.String(32), index=True)
    action: Mapped[str] = mapped_column(sa.String(32), index=True)
    subject_ref: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    # Canonical JSON of the whole event (actor, purpose, categories, DPV term, details).
    body: Mapped[str] = mapped_column(sa.Text)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class AuditHead(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    hash: Mapped[str] = mapped_column(sa.String(64))
