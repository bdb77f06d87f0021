"""The keys one database needs, opened with the master key(s).

``Keyring`` unwraps subject data keys with whichever master key wrapped them (during a rotation
two are in use) and holds the blind-index secret, which is stored wrapped in the ``keyring``
table so that rotating the master key never changes any blind index.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lawful.crypto.envelope import KEY_BYTES, DataKey, MasterKey, blind_index
from lawful.crypto.models import KeyringEntry
from lawful.crypto.normalise import normalise_identifier
from lawful.errors import MasterKeyError

BLIND_INDEX = "blind_index"


@dataclass(frozen=True)
class Keyring:
    masters: Sequence[MasterKey]
    index_key: bytes

    @property
    def current(self) -> MasterKey:
        return self.masters[0]

    def master(self, key_id: str) -> MasterKey:
        for key in self.masters:
            if key.key_id == key_id:
                return key
        raise MasterKeyError(
            f"data is wrapped by master key id {key_id}, which is not loaded — "
            "use the key file this database was created with"
        )

    def wrap_data_key(self, key: DataKey, subject_id: str) -> bytes:
        return self.current.wrap(key.secret, context=subject_id.encode())

    def unwrap_data_key(self, wrapped: bytes, master_key_id: str, subject_id: str) -> DataKey:
        master = self.master(master_key_id)
        return DataKey(master.unwrap(wrapped, context=subject_id.encode()))

    def derive(self, label: str) -> bytes:
        """A secret of its own for ``label`` (CSRF tokens, signed cookies, TOTP seeds), derived
        from the database's secret: every server process agrees on it, and the label keeps it
        apart from the blind indexes computed with the same secret."""
        return hmac.digest(self.index_key, label.encode(), "sha256")

    def digest(self, kind: str, value: str, *, default_region: str | None = None) -> bytes:
        return blind_index(
            self.index_key, kind, normalise_identifier(kind, value, default_region=default_region)
        )


def open_keyring(session: Session, masters: Sequence[MasterKey]) -> Keyring:
    """Unwrap the database's own secrets, creating them on first use."""
    if not masters:
        raise MasterKeyError("no master key loaded")
    entry = session.get(KeyringEntry, BLIND_INDEX)
    if entry is None:
        secret = os.urandom(KEY_BYTES)
        session.add(
            KeyringEntry(
                name=BLIND_INDEX,
                master_key_id=masters[0].key_id,
                wrapped=masters[0].wrap(secret, context=BLIND_INDEX.encode()),
            )
        )
        session.flush()
        return Keyring(tuple(masters), secret)
    ring = Keyring(tuple(masters), b"")
    secret = ring.master(entry.master_key_id).unwrap(entry.wrapped, context=BLIND_INDEX.encode())
    return Keyring(tuple(masters), secret)


def rewrap_keyring_entries(session: Session, ring: Keyring) -> int:
    """Re-wrap every keyring entry under the current master key."""
    entries = session.scalars(
        sa.select(KeyringEntry).where(KeyringEntry.master_key_id != ring.current.key_id)
    ).all()
    for entry in entries:
        context = entry.name.encode()
        secret = ring.master(entry.master_key_id).unwrap(entry.wrapped, context=context)
        entry.wrapped = ring.current.wrap(secret, context=context)
        entry.master_key_id = ring.current.key_id
    return len(entries)
