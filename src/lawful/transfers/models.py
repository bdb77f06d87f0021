"""The transfer log: one row per disclosure the gate allowed.

Rows hold the subject's random id, keys from lawful.yaml and a country code: no personal data,
so the log outlives an erasure as the evidence that each past disclosure was lawful.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.db import Base
from lawful.store.types import UTCDateTime

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


class TransferRecord(Base):
    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    # No foreign key: the log stays when the subject is erased (it names a random id only).
    subject_id: Mapped[str] = mapped_column(sa.String(32), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(64))
    recipient: Mapped[str] = mapped_column(sa.String(64))
    country: Mapped[str] = mapped_column(sa.String(2))
    categories: Mapped[list[str]] = mapped_column(_JSON)
    #: The purpose's legal basis, then the cross-border basis per jurisdiction.
    basis: Mapped[str] = mapped_column(sa.String(300))
    actor: Mapped[str] = mapped_column(sa.String(128))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
