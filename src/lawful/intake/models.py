"""Inbound messages. The raw message is sealed under the row's own data key the moment it
arrives, before anything reads it, so that a crash or a bug in processing loses nothing; what
processing found is kept beside it as types, counts and labels — never values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.db import Base
from lawful.store.types import UTCDateTime

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


class IntakeMessage(Base):
    __tablename__ = "intake_messages"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(16))
    #: SHA-256 of the raw bytes: the same message imported twice is stored once.
    digest: Mapped[bytes] = mapped_column(sa.LargeBinary(32), unique=True)
    #: received -> routed | person (a person must decide) | quarantined (see ``meta["reason"]``)
    state: Mapped[str] = mapped_column(sa.String(16), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    wrapped_key: Mapped[bytes] = mapped_column(sa.LargeBinary)
    master_key_id: Mapped[str] = mapped_column(sa.String(16))
    sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)
    #: Linked person: destroying them destroys their messages too (ON DELETE CASCADE).
    subject_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("subjects.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str | None] = mapped_column(sa.String(24))
    confidence: Mapped[float | None] = mapped_column(sa.Float)
    #: entity type -> how many were found (no values).
    entities: Mapped[dict[str, Any]] = mapped_column(_JSON, default=dict)
    special: Mapped[list[str]] = mapped_column(_JSON, default=list)
    request_id: Mapped[str | None] = mapped_column(sa.String(32))
    purpose: Mapped[str | None] = mapped_column(sa.String(64))
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: How it came and what became of it, never personal data: transport, DKIM/SPF results,
    #: mailbox UID; for a quarantined message, the reason.
    meta: Mapped[dict[str, Any]] = mapped_column(_JSON, default=dict)


class ChannelCursor(Base):
    """How far a pulled channel has been read: for a mailbox, the UIDs up to ``position`` of
    the mailbox as it was under UIDVALIDITY ``epoch``. A new epoch starts the channel over
    (the digest keeps what was stored before from being stored twice)."""

    __tablename__ = "intake_cursors"

    channel: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    epoch: Mapped[int] = mapped_column(sa.BigInteger)
    position: Mapped[int] = mapped_column(sa.BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
