"""Admin users: add and list them, check a sign-in, and keep server-side sessions.

Functions take a keyword-only ``session`` and never commit. A sign-in is checked in this
order, so that the answers do not tell an unknown address from a wrong password: the lock-out,
the password (an unknown address still costs one argon2 hash), the TOTP code. Each wrong
password counts; :data:`MAX_ATTEMPTS` in a row lock the user for :data:`LOCK_FOR`.

A session row is what the cookie stands for: deleting it (sign-out, a disabled user) ends the
session at once, and the user's role is read from the user on every request, so a role change
takes effect on the next page.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import pyotp
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from lawful.crypto.envelope import DataKey
from lawful.crypto.keyring import Keyring
from lawful.crypto.sealed import RecordKey
from lawful.errors import LockedOut, PolicyViolation, Unauthorized
from lawful.users.models import AdminSession, AdminUser

#: admin: everything, users included; dpo: everything about data and requests; staff: work
#: the requests queue, but not see what is held about a person; auditor: read-only.
ROLES = ("admin", "dpo", "staff", "auditor")
MIN_PASSWORD = 12
MAX_ATTEMPTS = 5
LOCK_FOR = timedelta(minutes=15)
SESSION_IDLE = timedelta(hours=1)
SESSION_MAX = timedelta(hours=10)
WRONG = "the e-mail, password or code is not right"

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the address is unknown, so that it takes as long as a known one.
    Made on first use, not at import: an Argon2 hash is a tenth of a second of every CLI
    command's start-up otherwise."""
    return _hasher.hash(secrets.token_urlsafe(16))


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise PolicyViolation("not a valid e-mail address", field="email") from None


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise PolicyViolation(f"role must be one of {', '.join(ROLES)}", field="role")
    return role


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise PolicyViolation(
            f"the password needs at least {MIN_PASSWORD} characters", field="password"
        )


def add_user(*, session: Session, email: str, password: str, role: str, now: datetime) -> AdminUser:
    """A new user with an argon2id hash of ``password``; refuses a taken address."""
    address, role = normalise_email(email), _check_role(role)
    _check_password(password)
    if session.scalar(sa.select(AdminUser.id).where(AdminUser.email == address)) is not None:
        raise PolicyViolation("a user with this e-mail exists already", field="email")
    user = AdminUser(
        id=secrets.token_hex(16),
        email=address,
        role=role,
        password_hash=_hasher.hash(password),
        failed_attempts=0,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def list_users(session: Session) -> list[AdminUser]:
    return list(session.scalars(sa.select(AdminUser).order_by(AdminUser.email)))


def get_user(session: Session, email: str) -> AdminUser:
    user = session.scalar(sa.select(AdminUser).where(AdminUser.email == normalise_email(email)))
    if user is None:
        raise PolicyViolation("no such user", field="email")
    return user


def set_role(*, session: Session, email: str, role: str) -> AdminUser:
    user = get_user(session, email)
    user.role = _check_role(role)
    return user


def set_password(*, session: Session, email: str, password: str) -> AdminUser:
    """A new password; every session of the user ends."""
    _check_password(password)
    user = get_user(session, email)
    user.password_hash = _hasher.hash(password)
    user.failed_attempts, user.locked_until = 0, None
    end_sessions(session=session, user_id=user.id)
    return user


def disable(*, session: Session, email: str, now: datetime) -> AdminUser:
    user = get_user(session, email)
    user.disabled_at = now
    end_sessions(session=session, user_id=user.id)
    return user


def _totp_key(ring: Keyring, user: AdminUser) -> RecordKey:
    # A key per user, derived from the database's own secret (unwrapped by the master key).
    return RecordKey(f"admin-user:{user.id}", DataKey(ring.derive(f"lawful/admin/totp/{user.id}")))


def enable_totp(*, session: Session, ring: Keyring, email: str) -> str:
    """Give the user a new TOTP secret; returns its ``otpauth://`` URI for an authenticator."""
    user = get_user(session, email)
    secret = pyotp.random_base32()
    user.totp_sealed = _totp_key(ring, user).seal(secret, "totp")
    user.totp_last_step = None
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="lawful")


def _totp(ring: Keyring, user: AdminUser) -> pyotp.TOTP | None:
    if user.totp_sealed is None:
        return None
    return pyotp.TOTP(_totp_key(ring, user).open_text(user.totp_sealed, "totp"))


@dataclass(frozen=True)
class SignedIn:
    user: AdminUser
    #: The cookie's value; only its hash is stored.
    token: str


def sign_in(
    *,
    session: Session,
    ring: Keyring,
    email: str,
    password: str,
    code: str,
    now: datetime,
) -> SignedIn:
    """Check a sign-in and open a session, or raise ``Unauthorized`` / ``LockedOut``.

    A failed attempt is counted in ``session``: the caller commits it even when this raises."""
    try:
        address = normalise_email(email)
    except PolicyViolation:
        address = ""
    user = session.scalar(sa.select(AdminUser).where(AdminUser.email == address))
    if user is not None and user.locked_until is not None and user.locked_until > now:
        wait = int((user.locked_until - now).total_seconds()) + 1
        raise LockedOut("too many wrong attempts: try again later", retry_after=wait)
    if user is None or user.disabled_at is not None:
        _verify(_dummy_hash(), password)
        raise Unauthorized(WRONG)
    if not _verify(user.password_hash, password) or not _code_ok(ring, user, code, now):
        _count_failure(user, now)
        raise Unauthorized(WRONG)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.failed_attempts, user.locked_until, user.last_sign_in_at = 0, None, now
    return SignedIn(user, open_session(session=session, user=user, now=now))


def _verify(digest: str, password: str) -> bool:
    try:
        return _hasher.verify(digest, password)
    except (VerificationError, InvalidHashError):
        return False


def _code_ok(ring: Keyring, user: AdminUser, code: str, now: datetime) -> bool:
    totp = _totp(ring, user)
    if totp is None:
        return True
    code = code.strip().replace(" ", "")
    step = totp.timecode(now)
    for candidate in (step, step - 1, step + 1):  # one step of clock drift either way
        if user.totp_last_step is not None and candidate <= user.totp_last_step:
            continue
        if secrets.compare_digest(totp.generate_otp(candidate), code):
            user.totp_last_step = candidate
            return True
    return False


def _count_failure(user: AdminUser, now: datetime) -> None:
    user.failed_attempts = (user.failed_attempts or 0) + 1
    if user.failed_attempts >= MAX_ATTEMPTS:
        user.locked_until, user.failed_attempts = now + LOCK_FOR, 0


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def open_session(*, session: Session, user: AdminUser, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        AdminSession(
            token_digest=_digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_MAX,
        )
    )
    return token


def session_user(*, session: Session, token: str, now: datetime) -> AdminUser | None:
    """The user a session cookie stands for, or None (unknown, idle too long, expired)."""
    row = session.get(AdminSession, _digest(token)) if token else None
    if row is None:
        return None
    user = session.get(AdminUser, row.user_id)
    if row.expires_at <= now or row.last_seen_at + SESSION_IDLE <= now or user is None:
        session.delete(row)
        return None
    if user.disabled_at is not None:
        return None
    row.last_seen_at = now
    return user


def close_session(*, session: Session, token: str) -> None:
    session.execute(sa.delete(AdminSession).where(AdminSession.token_digest == _digest(token)))


def end_sessions(*, session: Session, user_id: str) -> None:
    session.execute(sa.delete(AdminSession).where(AdminSession.user_id == user_id))
