"""Idempotency keys: a retried submission replays the first answer instead of acting twice."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.db import Base
from lawful.store.types import UTCDateTime


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    # HMACs under the blind-index key: neither the key the client chose nor the body (which
    # holds personal data) is kept, only what is needed to recognise a retry.
    key_digest: Mapped[bytes] = mapped_column(sa.LargeBinary(32), primary_key=True)
    request_digest: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    status: Mapped[int] = mapped_column(sa.Integer)
    response: Mapped[str] = mapped_column(sa.Text)  # JSON without personal data
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
