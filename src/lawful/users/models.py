"""Tables of the admin's users and their sign-in sessions.

A user's e-mail is staff data, kept in clear to sign in with; the password is kept only as an
argon2id hash and a session only as the SHA-256 of its cookie, so a copy of the database lets
nobody sign in. The TOTP secret is sealed under the master key (see :mod:`.service`).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.db import Base
from lawful.store.types import UTCDateTime


class AdminUser(Base):
    __tablename__ = "admin_users"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    role: Mapped[str] = mapped_column(sa.String(16))
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    #: The TOTP secret sealed under the master key; None: no second factor.
    totp_sealed: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    #: The last TOTP time step accepted, so one code cannot be used twice.
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    failed_attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AdminSession(Base):
    """One signed-in browser: the hash of its cookie, its user and when it ends."""

    __tablename__ = "admin_sessions"

    token_digest: Mapped[bytes] = mapped_column(sa.LargeBinary(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        sa.ForeignKey("admin_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
