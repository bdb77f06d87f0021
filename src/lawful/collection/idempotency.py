"""``Idempotency-Key``: the first request with a key acts and its answer is stored in the same
transaction; a retry with the same key and body gets that answer again, with nothing done twice.
The same key with a different body is refused. Two racing requests with one key cannot both
commit: the key is the table's primary key, and the loser replays the winner's answer."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from lawful.collection.models import IdempotencyKey
from lawful.crypto.keyring import Keyring
from lawful.errors import PolicyViolation

Action = Callable[[Session], tuple[int, dict[str, Any]]]


@dataclass(frozen=True)
class Outcome:
    status: int
    payload: dict[str, Any]
    replayed: bool


def _digest(ring: Keyring, label: bytes, data: bytes) -> bytes:
    return hmac.new(ring.index_key, label + b"\x00" + data, hashlib.sha256).digest()


def run_once(
    *,
    sessions: sessionmaker[Session],
    ring: Keyring,
    key: str | None,
    request: bytes,
    now: datetime,
    action: Action,
) -> Outcome:
    """Run ``action`` in a transaction at most once per ``key``."""
    if key is None:
        with sessions.begin() as session:
            status, payload = action(session)
        return Outcome(status, payload, False)
    key_digest = _digest(ring, b"idempotency-key", key.encode())
    request_digest = _digest(ring, b"idempotency-request", request)
    try:
        with sessions.begin() as session:
            if (stored := _stored(session, key_digest, request_digest)) is not None:
                return stored
            status, payload = action(session)
            session.add(
                IdempotencyKey(
                    key_digest=key_digest,
                    request_digest=request_digest,
                    status=status,
                    response=json.dumps(payload),
                    created_at=now,
                )
            )
            session.flush()
    except sa.exc.IntegrityError:
        with sessions.begin() as session:
            stored = _stored(session, key_digest, request_digest)
        if stored is None:
            raise
        return stored
    return Outcome(status, payload, False)


def _stored(session: Session, key_digest: bytes, request_digest: bytes) -> Outcome | None:
    row = session.get(IdempotencyKey, key_digest)
    if row is None:
        return None
    if not hmac.compare_digest(row.request_digest, request_digest):
        raise PolicyViolation(
            "this Idempotency-Key was already used for a different request", field="Idempotency-Key"
        )
    return Outcome(row.status, json.loads(row.response), True)
