"""One row per (request, connector): what lawful asked a downstream system and how it went.

No personal data in clear: counts per table, a note naming places and failure classes, the
person who must act or confirmed. Access results are sealed under the request's own data key
(``found_sealed``) and go with the request when it is shredded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.db import Base
from lawful.store.types import UTCDateTime

#: queued: the job will run (or retry); done: finished; manual: a person must act (a
#: permanent failure, retries exhausted, the gate refused, or the system cannot finish alone).
RUN_STATES = ("queued", "done", "manual")


class ConnectorRun(Base):
    __tablename__ = "connector_runs"
    __table_args__ = (sa.UniqueConstraint("request_id", "connector"),)

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    request_id: Mapped[str] = mapped_column(
        sa.ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    connector: Mapped[str] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(16))
    state: Mapped[str] = mapped_column(sa.String(16), index=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON().with_variant(JSONB(), "postgresql"), default=dict
    )
    #: The categories the connector holds (what its erasure destroyed), for the act.
    categories: Mapped[list[str]] = mapped_column(
        sa.JSON().with_variant(JSONB(), "postgresql"), default=list
    )
    #: The system's ids still awaiting a confirmation (Kommo contacts to delete by hand).
    pending: Mapped[list[str]] = mapped_column(
        sa.JSON().with_variant(JSONB(), "postgresql"), default=list
    )
    note: Mapped[str] = mapped_column(sa.Text, default="")
    person: Mapped[str | None] = mapped_column(sa.String(128))
    found_sealed: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
