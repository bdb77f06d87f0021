"""Records with a data key of their own: requests, authority requests, their files.

A request is not a subject (the person may be unknown, or erased later), yet what it says is
personal data. Each such record gets its own data key, wrapped by the master key under a
context naming the record, so that destroying the record's key row shreds it the same way a
subject is shredded, and rotating the master key re-wraps it like any other.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from lawful.crypto.envelope import DataKey, open_value, seal_value
from lawful.crypto.keyring import Keyring


@dataclass(frozen=True)
class RecordKey:
    """The data key of one record, bound to the record's reference (``"request:<id>"``)."""

    ref: str
    key: DataKey

    @classmethod
    def new(cls, ref: str) -> RecordKey:
        return cls(ref, DataKey.generate())

    @classmethod
    def open(cls, ring: Keyring, ref: str, wrapped: bytes, master_key_id: str) -> RecordKey:
        return cls(ref, ring.unwrap_data_key(wrapped, master_key_id, ref))

    def wrapped(self, ring: Keyring) -> tuple[bytes, str]:
        """The key wrapped by the current master key, and that key's id."""
        return ring.wrap_data_key(self.key, self.ref), ring.current.key_id

    def seal(self, text: str, part: str) -> bytes:
        return seal_value(self.key, text, context=f"{self.ref}\x00{part}".encode())

    def open_text(self, sealed: bytes, part: str) -> str:
        return open_value(self.key, sealed, context=f"{self.ref}\x00{part}".encode())

    def seal_json(self, value: Any, part: str) -> bytes:
        return self.seal(json.dumps(value, ensure_ascii=False, sort_keys=True), part)

    def open_json(self, sealed: bytes, part: str) -> Any:
        return json.loads(self.open_text(sealed, part))

    def seal_bytes(self, data: bytes, part: str) -> bytes:
        # Base64 keeps one sealing primitive (text) for every kind of content.
        return self.seal(base64.b64encode(data).decode("ascii"), part)

    def seal_file(self, name: str, data: bytes) -> dict[str, bytes]:
        """A file's name and content, sealed: the columns ``sealed_name`` and ``sealed``."""
        return {
            "sealed_name": self.seal(name, "file-name"),
            "sealed": self.seal_bytes(data, "file"),
        }

    def open_bytes(self, sealed: bytes, part: str) -> bytes:
        return base64.b64decode(self.open_text(sealed, part))
