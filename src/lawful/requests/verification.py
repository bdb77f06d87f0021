"""One-time codes: sent to the identifier on record, kept only as a keyed hash.

A code lives :data:`CODE_TTL`; :data:`MAX_ATTEMPTS` wrong answers lock the request for
:data:`LOCKOUT`, after which a new code may be asked for, at most :data:`MAX_SENDS` times.
Six digits against five attempts leaves a guesser one chance in 200,000 per code.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lawful.crypto.keyring import Keyring
from lawful.errors import LockedOut
from lawful.requests.models import VerificationCode

CODE_TTL = timedelta(minutes=15)
MAX_ATTEMPTS = 5
MAX_SENDS = 5
LOCKOUT = timedelta(hours=1)


class Check(Enum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    LOCKED = "locked"


def _digest(ring: Keyring, request_id: str, code: str) -> bytes:
    return hmac.new(
        ring.index_key, f"code\x00{request_id}\x00{code}".encode(), hashlib.sha256
    ).digest()


def issue(
    session: Session, ring: Keyring, request_id: str, now: datetime, *, new: bool = False
) -> str:
    """A fresh code for the request (replacing any earlier one); the clear code is returned
    once, to be mailed, and never stored. ``new``: the request was just added (no earlier
    code to look for)."""
    code = f"{secrets.randbelow(10**6):06d}"
    digest, expires_at = _digest(ring, request_id, code), now + CODE_TTL
    if new:  # a plain INSERT: nothing to replace, and no unit-of-work flush to pay for
        first = {"digest": digest, "expires_at": expires_at, "attempts": 0, "sent": 1}
        session.connection().execute(_FIRST_CODE, {"request_id": request_id, **first})
        return code
    row = session.get(VerificationCode, request_id)
    if row is None:
        row = VerificationCode(request_id=request_id, attempts=0, sent=0)
        session.add(row)
    _refuse_if_locked(row, now)
    if row.sent >= MAX_SENDS:
        raise LockedOut("no more codes can be sent for this request", retry_after=3600)
    row.digest, row.expires_at = digest, expires_at
    row.sent, row.attempts = row.sent + 1, 0
    return code


_FIRST_CODE = sa.insert(VerificationCode)


def _refuse_if_locked(row: VerificationCode, now: datetime) -> None:
    if row.locked_until is not None and row.locked_until > now:
        wait = int((row.locked_until - now).total_seconds()) + 1
        raise LockedOut("too many wrong codes: try again later", retry_after=wait)


def check(session: Session, ring: Keyring, request_id: str, code: str, now: datetime) -> Check:
    """Compare ``code``; a wrong one counts, and the last allowed one locks the request.

    Returns rather than raises so that the caller commits the count before answering.
    Statements on the transaction's connection, built once: every verification runs them, and
    the unit of work's flush of one row cost more than they do."""
    connection = session.connection()
    row = connection.execute(_CODE, {"of_request": request_id}).first()
    if row is None:
        return Check.EXPIRED
    if row.locked_until is not None and row.locked_until > now:
        return Check.LOCKED
    if row.expires_at <= now:
        return Check.EXPIRED
    if hmac.compare_digest(row.digest, _digest(ring, request_id, code.strip())):
        connection.execute(_SPEND_CODE, {"of_request": request_id})
        return Check.OK
    attempts = row.attempts + 1
    locked_until = now + LOCKOUT if attempts >= MAX_ATTEMPTS else None
    connection.execute(
        _COUNT_WRONG, {"of_request": request_id, "tries": attempts, "until": locked_until}
    )
    return Check.LOCKED if locked_until is not None else Check.WRONG


_OF_REQUEST = VerificationCode.request_id == sa.bindparam("of_request")
_CODE = sa.select(VerificationCode.__table__).where(_OF_REQUEST)
_SPEND_CODE = sa.delete(VerificationCode).where(_OF_REQUEST)
_COUNT_WRONG = (
    sa.update(VerificationCode)
    .where(_OF_REQUEST)
    .values(
        attempts=sa.bindparam("tries"),
        locked_until=sa.bindparam("until", type_=VerificationCode.__table__.c.locked_until.type),
    )
)
