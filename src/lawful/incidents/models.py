"""Tables of the incident register.

An incident is described by the operator in its own words (nature, causes, harm, measures):
these texts are about the incident, not about a person, and the register asks for counts and
data categories, never for names. They stay out of the audit journal all the same.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.db import Base
from lawful.store.types import UTCDateTime

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    nature: Mapped[str] = mapped_column(sa.Text)
    causes: Mapped[str | None] = mapped_column(sa.Text)
    consequences: Mapped[str | None] = mapped_column(sa.Text)
    measures: Mapped[str] = mapped_column(sa.Text)
    categories: Mapped[list[str]] = mapped_column(_JSON)
    subjects_affected: Mapped[int] = mapped_column(sa.Integer)
    #: Approximate number of records concerned (GDPR Art. 33(3)(a); GE Art. 29 "volumes").
    records_affected: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: When it happened, if known (GE Art. 29 "time"; Decree 13 counted from occurrence).
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_reason: Mapped[str | None] = mapped_column(sa.Text)


class IncidentNotice(Base):
    """A notice sent to an authority under one rule (``ru/breach_initial_notice``)."""

    __tablename__ = "incident_notices"
    __table_args__ = (
        sa.UniqueConstraint("incident_id", "jurisdiction", "rule", name="uq_incident_notices"),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    incident_id: Mapped[str] = mapped_column(
        sa.ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    jurisdiction: Mapped[str] = mapped_column(sa.String(8))
    rule: Mapped[str] = mapped_column(sa.String(64))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
