"""The keyring table: secrets lawful itself needs, wrapped by the master key."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.db import Base


class KeyringEntry(Base):
    """One named secret (the blind-index key), wrapped by the master key."""

    __tablename__ = "keyring"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    master_key_id: Mapped[str] = mapped_column(sa.String(16))
    wrapped: Mapped[bytes] = mapped_column(sa.LargeBinary)
