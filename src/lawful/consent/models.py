"""Consent records (the ISO/IEC TS 27560 field set) and their history.

A record binds one person's decision about one purpose to the exact document they were shown
(kind, language, version and the SHA-256 of its text), the time, the channel and the method.
Evidence that identifies the person (IP address, user agent, page URL) is sealed under the
subject's own data key, like their values, so erasing the subject erases it too; the form id
is the operator's own and stays in clear.

Exactly one record per (subject, purpose) is *current* (``is_current``): the newest decision.
Older records keep their final state as history; ``consent_events`` lists every change of
state, with ids and names only (no personal data).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.db import Base
from lawful.store.types import UTCDateTime

ConsentState = Literal["given", "refused", "renewal_needed", "withdrawn", "expired", "invalidated"]
RecordKind = Literal["processing", "marketing", "distribution", "cross_border", "user_agreement"]

STATES: tuple[str, ...] = (
    "given",
    "refused",
    "renewal_needed",
    "withdrawn",
    "expired",
    "invalidated",
)
#: States in which a consent still lets processing go on (renewal_needed does not, but it can
#: still be withdrawn, which starts the destruction of the data).
ACTIVE_STATES: tuple[str, ...] = ("given", "renewal_needed")

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_STATE_LIST = ", ".join(f"'{s}'" for s in STATES)


class ConsentRecord(Base):
    __tablename__ = "consent_records"
    __table_args__ = (
        sa.CheckConstraint(f"state IN ({_STATE_LIST})", name="ck_consent_records_state"),
        # One current decision per subject and purpose: never one record for several purposes,
        # never two live answers to the same question.
        sa.Index(
            "uq_consent_records_current",
            "subject_id",
            "purpose",
            unique=True,
            sqlite_where=sa.text("is_current = 1"),
            postgresql_where=sa.text("is_current"),
        ),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        sa.ForeignKey("subjects.id", ondelete="CASCADE"), index=True
    )
    # None for the acceptance of the user agreement, which serves no single purpose.
    purpose: Mapped[str | None] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))
    state: Mapped[str] = mapped_column(sa.String(16))
    is_current: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    document_kind: Mapped[str | None] = mapped_column(sa.String(64))
    document_language: Mapped[str | None] = mapped_column(sa.String(16))
    document_version: Mapped[int | None] = mapped_column(sa.Integer)
    text_hash: Mapped[str | None] = mapped_column(sa.String(64))
    method: Mapped[str] = mapped_column(sa.String(32))
    channel: Mapped[str] = mapped_column(sa.String(32))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # JSON {ip, user_agent, page_url} sealed under the subject's data key (personal data).
    evidence_sealed: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    form_id: Mapped[str | None] = mapped_column(sa.String(128))
    jurisdictions: Mapped[list[str]] = mapped_column(_JSON)
    # Per-category terms of a distribution consent (152-FZ Art. 10.1, RKN Order No. 18).
    distribution_terms: Mapped[dict[str, Any] | None] = mapped_column(_JSON)


class ConsentEvent(Base):
    """One change of a record's state. Ids, names and times only."""

    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    consent_id: Mapped[str] = mapped_column(
        sa.ForeignKey("consent_records.id", ondelete="CASCADE"), index=True
    )
    subject_id: Mapped[str] = mapped_column(
        sa.ForeignKey("subjects.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str | None] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(16))
    previous_state: Mapped[str | None] = mapped_column(sa.String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    channel: Mapped[str | None] = mapped_column(sa.String(32))
    actor: Mapped[str] = mapped_column(sa.String(128))
    reason: Mapped[str | None] = mapped_column(sa.String(200))
