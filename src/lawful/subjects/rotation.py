"""Master-key rotation: re-wrap every data key under a new master key, in small transactions,
while the system keeps serving. Values are never re-encrypted — only their keys' wrappers.

The key file holds the new key *and* the old one while rotation runs, so any process (re)started
mid-way opens rows wrapped under either; the old key is dropped from the file only once no row
refers to it any more.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from lawful import audit
from lawful.crypto.envelope import KEY_BYTES, MasterKey
from lawful.crypto.keyfile import load_master_key, write_key_file
from lawful.crypto.keyring import Keyring, open_keyring, rewrap_keyring_entries
from lawful.errors import MasterKeyError
from lawful.subjects.models import Subject

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RotationResult:
    old_key_ids: list[str]
    new_key_id: str
    rewrapped: int


def _pending(session: Session, current_id: str) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Subject)
            .where(Subject.master_key_id != current_id)
        )
        or 0
    )


def rewrap_batch(session: Session, ring: Keyring, batch: int) -> int:
    """Re-wrap up to ``batch`` subjects' data keys under ``ring.current``."""
    rows = session.execute(
        sa.select(Subject.id, Subject.wrapped_key, Subject.master_key_id)
        .where(Subject.master_key_id != ring.current.key_id)
        .limit(batch)
    ).all()
    updates = [
        {
            "sid": sid,
            "wrapped": ring.wrap_data_key(ring.unwrap_data_key(w, kid, sid), sid),
            "kid": ring.current.key_id,
        }
        for sid, w, kid in rows
    ]
    if updates:
        session.connection().execute(
            sa.update(Subject.__table__)  # type: ignore[arg-type]
            .where(Subject.__table__.c.id == sa.bindparam("sid"))
            .values(wrapped_key=sa.bindparam("wrapped"), master_key_id=sa.bindparam("kid")),
            updates,
        )
    return len(updates)


def rotate_master_key(
    sessions: sessionmaker[Session],
    key_path: Path,
    *,
    actor: str,
    batch: int = 1000,
    progress: Progress | None = None,
    new_key: MasterKey | None = None,
) -> RotationResult:
    """Rotate the master key kept in ``key_path`` (see module docstring for the protocol)."""
    old = load_master_key(key_path)
    new = new_key or MasterKey(os.urandom(KEY_BYTES))
    if any(k.key_id == new.key_id for k in old):
        raise MasterKeyError("the new master key is already in use")
    write_key_file(key_path, [new, *old])
    with sessions.begin() as session:
        ring = open_keyring(session, [new, *old])
        rewrap_keyring_entries(session, ring)
        total = _pending(session, new.key_id)
    done = 0
    while True:
        with sessions.begin() as session:
            count = rewrap_batch(session, ring, batch)
        done += count
        if progress:
            progress(done, max(total, done))
        if count == 0:
            break
    with sessions.begin() as session:
        audit.append(
            session,
            audit.Event(
                "key_rotate",
                actor,
                details={
                    "new_key_id": new.key_id,
                    "old_key_ids": ",".join(k.key_id for k in old),
                    "rewrapped": done,
                },
            ),
        )
    write_key_file(key_path, [new])
    return RotationResult([k.key_id for k in old], new.key_id, done)
