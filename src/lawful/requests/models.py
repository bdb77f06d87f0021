"""Tables of data-subject requests.

Nothing here holds personal data in clear. What the person wrote (their identifier, message,
the details of a rectification, scanned evidence, the prepared report) is sealed under the
request's own data key, wrapped by the master key like a subject's; the identifier is also
kept as a blind index, to rate-limit and to find the subject without reading it. Deadlines and
the timeline carry rule names, sources and ids only.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.db import Base
from lawful.store.types import UTCDateTime

_BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


class Request(Base):
    __tablename__ = "requests"

    #: Random 128 bits: the requester's capability to ask for the status, never personal data.
    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    state: Mapped[str] = mapped_column(sa.String(24), index=True)
    channel: Mapped[str] = mapped_column(sa.String(24))
    language: Mapped[str] = mapped_column(sa.String(8))
    #: The subject the verified identifier belongs to; None while unknown (or nobody).
    subject_id: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    identifier_kind: Mapped[str] = mapped_column(sa.String(16))
    identifier_digest: Mapped[bytes] = mapped_column(sa.LargeBinary(32), index=True)
    purpose: Mapped[str | None] = mapped_column(sa.String(64))
    wrapped_key: Mapped[bytes] = mapped_column(sa.LargeBinary)
    master_key_id: Mapped[str] = mapped_column(sa.String(16))
    sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verification: Mapped[str | None] = mapped_column(sa.String(16))
    assignee: Mapped[str | None] = mapped_column(sa.String(64))
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    extended: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    response_sealed: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RequestDeadline(Base):
    """One time limit running on a request (acknowledge, block, answer)."""

    __tablename__ = "request_deadlines"

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(
        sa.ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(24))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    jurisdiction: Mapped[str | None] = mapped_column(sa.String(8))
    rule: Mapped[str | None] = mapped_column(sa.String(64))
    source: Mapped[str] = mapped_column(sa.String(300))
    extended: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RequestEvent(Base):
    """The timeline: every step of a request, with names and ids only."""

    __tablename__ = "request_events"

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(
        sa.ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(sa.String(32))
    actor: Mapped[str] = mapped_column(sa.String(64))
    note: Mapped[str] = mapped_column(sa.Text, default="")


class VerificationCode(Base):
    """The one-time code sent to the identifier on record: only its keyed hash is kept."""

    __tablename__ = "request_codes"

    request_id: Mapped[str] = mapped_column(
        sa.ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    sent: Mapped[int] = mapped_column(sa.Integer, default=1)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RequestFile(Base):
    """A sealed file of a request: scanned evidence, or the prepared access report."""

    __tablename__ = "request_files"

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(
        sa.ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(sa.String(16))
    media_type: Mapped[str] = mapped_column(sa.String(100))
    sealed_name: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sealed: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Download(Base):
    """A one-time link to a prepared report: the token's hash, its expiry, when it was used."""

    __tablename__ = "request_downloads"

    token_digest: Mapped[bytes] = mapped_column(sa.LargeBinary(32), primary_key=True)
    request_id: Mapped[str] = mapped_column(
        sa.ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("request_files.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
