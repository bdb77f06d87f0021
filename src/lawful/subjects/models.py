"""Tables of the people whose data lawful holds. No column holds personal data in clear:
values are sealed under the subject's own data key, identifiers are blind indexes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.db import Base
from lawful.store.types import UTCDateTime


class Subject(Base):
    __tablename__ = "subjects"

    # Time-ordered random id (see service.new_subject_id); it carries no personal data and
    # doubles as the pseudonymous reference in audit events.
    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    wrapped_key: Mapped[bytes] = mapped_column(sa.LargeBinary)
    master_key_id: Mapped[str] = mapped_column(sa.String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Identifier(Base):
    """A blind index (HMAC) of one normalised identifier: finds a subject, reveals nothing."""

    __tablename__ = "identifiers"
    __table_args__ = (sa.UniqueConstraint("kind", "digest", name="uq_identifiers_kind_digest"),)

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    subject_id: Mapped[str] = mapped_column(
        sa.ForeignKey("subjects.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(16))
    digest: Mapped[bytes] = mapped_column(sa.LargeBinary(32))


class PersonalValue(Base):
    """One personal-data value held for one purpose, sealed under the subject's data key."""

    __tablename__ = "personal_values"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    subject_id: Mapped[str] = mapped_column(
        sa.ForeignKey("subjects.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(sa.String(64))
    category: Mapped[str] = mapped_column(sa.String(128))
    sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime())
