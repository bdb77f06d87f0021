"""The register of requests from supervisory authorities (Roskomnadzor and its peers).

The authority's name, its reference number and the deadlines are the register's public face;
what the request is about (which may name people) and the documents attached are sealed under
the entry's own data key.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.db import Base
from lawful.store.types import UTCDateTime


class AuthorityRequest(Base):
    __tablename__ = "authority_requests"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    authority: Mapped[str] = mapped_column(sa.String(200))
    reference: Mapped[str] = mapped_column(sa.String(100))
    jurisdiction: Mapped[str] = mapped_column(sa.String(8))
    state: Mapped[str] = mapped_column(sa.String(16), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    due_source: Mapped[str] = mapped_column(sa.String(300))
    extended: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    wrapped_key: Mapped[bytes] = mapped_column(sa.LargeBinary)
    master_key_id: Mapped[str] = mapped_column(sa.String(16))
    sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)
    answer_sealed: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuthorityDocument(Base):
    __tablename__ = "authority_documents"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    authority_request_id: Mapped[str] = mapped_column(
        sa.ForeignKey("authority_requests.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(sa.String(8))
    media_type: Mapped[str] = mapped_column(sa.String(100))
    sealed_name: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
