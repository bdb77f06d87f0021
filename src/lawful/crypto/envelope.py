"""AES-256-GCM envelope: a master key wraps per-subject data keys; data keys seal values."""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lawful.errors import MasterKeyError

NONCE_BYTES = 12
KEY_BYTES = 32


@dataclass(frozen=True)
class MasterKey:
    """The key that wraps every data key. ``key_id`` names it without revealing it."""

    secret: bytes

    def __post_init__(self) -> None:
        if len(self.secret) != KEY_BYTES:
            raise MasterKeyError(f"a master key must be {KEY_BYTES} bytes, got {len(self.secret)}")

    @property
    def key_id(self) -> str:
        return hashlib.sha256(b"lawful key id\x00" + self.secret).hexdigest()[:16]

    def wrap(self, key: bytes, *, context: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + AESGCM(self.secret).encrypt(nonce, key, b"wrap\x00" + context)

    def unwrap(self, wrapped: bytes, *, context: bytes) -> bytes:
        try:
            return AESGCM(self.secret).decrypt(
                wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], b"wrap\x00" + context
            )
        except InvalidTag:
            raise MasterKeyError(
                f"the master key (id {self.key_id}) cannot unwrap a stored key: it is not the key "
                "this database was created with — restore the right key file or LAWFUL_MASTER_KEY"
            ) from None


@dataclass(frozen=True)
class DataKey:
    """A subject's own AES-256-GCM key."""

    secret: bytes

    @classmethod
    def generate(cls) -> DataKey:
        return cls(AESGCM.generate_key(bit_length=256))


def seal_value(key: DataKey, plaintext: str, *, context: bytes) -> bytes:
    """Encrypt ``plaintext``; ``context`` (subject, purpose, category) is bound as associated data
    so a ciphertext moved to another row no longer opens."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key.secret).encrypt(nonce, plaintext.encode("utf-8"), context)


def open_value(key: DataKey, sealed: bytes, *, context: bytes) -> str:
    try:
        clear = AESGCM(key.secret).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context)
    except InvalidTag:
        raise MasterKeyError("a stored value does not decrypt: its row was altered") from None
    return clear.decode("utf-8")


def blind_index(index_key: bytes, kind: str, normalised: str) -> bytes:
    """HMAC-SHA256 over ``kind`` and the normalised identifier."""
    return hmac.new(index_key, f"{kind}\x00{normalised}".encode(), hashlib.sha256).digest()
