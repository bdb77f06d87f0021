"""``Idempotency-Key``: the first request with a key acts and its answer is stored in the same
transaction; a retry with the same key and body gets that answer again, with nothing done twice.
The same key with a different body is refused. Two racing requests with one key cannot both
commit: the key is the table's primary key, so the loser's transaction fails, and on its retry
:func:`look_up` finds the winner's answer to replay.

Keys and bodies are stored as keyed digests (the blind index key): a key or a body may quote
personal data."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lawful.collection.models import IdempotencyKey
from lawful.crypto.keyring import Keyring
from lawful.errors import PolicyViolation
from lawful.store.bulk import bulk_insert


@dataclass(frozen=True)
class Outcome:
    """An answer: its JSON text is rendered once, stored under the key as it is sent."""

    status: int
    body: str
    replayed: bool

    @property
    def payload(self) -> dict[str, Any]:
        return cast(dict[str, Any], json.loads(self.body))


@dataclass(frozen=True)
class Keyed:
    """A request's idempotency key (if it sent one) and the bytes that identify its body."""

    key: str | None
    request: bytes


@dataclass(frozen=True)
class Answer:
    """An answer to store under a request's key."""

    request: Keyed
    status: int
    body: str


def _digest(ring: Keyring, label: bytes, data: bytes) -> bytes:
    return hmac.new(ring.index_key, label + b"\x00" + data, hashlib.sha256).digest()


def _key_digest(ring: Keyring, key: str) -> bytes:
    return _digest(ring, b"idempotency-key", key.encode())


#: Built once: building a statement costs more than running it (see collection.service).
_STORED = sa.select(
    IdempotencyKey.key_digest,
    IdempotencyKey.request_digest,
    IdempotencyKey.status,
    IdempotencyKey.response,
).where(IdempotencyKey.key_digest.in_(sa.bindparam("digests", expanding=True)))


def look_up(
    session: Session, ring: Keyring, requests: Sequence[Keyed]
) -> list[Outcome | PolicyViolation | None]:
    """For each request: the stored answer to replay, a ``PolicyViolation`` when its key was
    used for a different body, or None (act, then :func:`store`). One query for all."""
    digests = {r.key: _key_digest(ring, r.key) for r in requests if r.key is not None}
    rows = {}
    if digests:
        found = session.connection().execute(_STORED, {"digests": list(digests.values())})
        rows = {bytes(row[0]): _Stored(*row[1:]) for row in found}
    return [
        _replay(rows.get(digests[r.key]), _digest(ring, b"idempotency-request", r.request))
        if r.key is not None
        else None
        for r in requests
    ]


@dataclass(frozen=True)
class _Stored:
    request_digest: bytes
    status: int
    response: str


def _replay(row: _Stored | None, request_digest: bytes) -> Outcome | PolicyViolation | None:
    if row is None:
        return None
    if not hmac.compare_digest(row.request_digest, request_digest):
        return PolicyViolation(
            "this Idempotency-Key was already used for a different request", field="Idempotency-Key"
        )
    return Outcome(row.status, row.response, True)


def store(session: Session, ring: Keyring, answers: Sequence[Answer], *, now: datetime) -> None:
    """Keep the answers of keyed requests with the caller's transaction (requests without a
    key are skipped)."""
    rows = [
        {
            "key_digest": _key_digest(ring, a.request.key),
            "request_digest": _digest(ring, b"idempotency-request", a.request.request),
            "status": a.status,
            "response": a.body,
            "created_at": now,
        }
        for a in answers
        if a.request.key is not None
    ]
    bulk_insert(session.connection(), cast(sa.Table, IdempotencyKey.__table__), rows)
