"""The master key file: one or more lines ``<base64 key>``; the first line is current.

During ``lawful keys rotate`` the file holds the new key first and the old one after it, so a
process started mid-rotation can open subjects wrapped under either; when every key has been
re-wrapped the old line is dropped.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from lawful.crypto.envelope import KEY_BYTES, MasterKey
from lawful.errors import MasterKeyError


def _decode(text: str, origin: str) -> MasterKey:
    try:
        secret = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise MasterKeyError(f"{origin}: the master key is not base64 — regenerate it") from None
    if len(secret) != KEY_BYTES:
        raise MasterKeyError(f"{origin}: the master key must decode to {KEY_BYTES} bytes")
    return MasterKey(secret)


def load_master_key(path: Path, env_value: str | None = None) -> list[MasterKey]:
    """Return the master keys, current first. ``env_value`` wins over the file."""
    if env_value:
        return [_decode(env_value, "LAWFUL_MASTER_KEY")]
    if not path.exists():
        raise MasterKeyError(f"{path}: no master key — run `lawful init` or set LAWFUL_MASTER_KEY")
    lines = [ln for ln in path.read_text(encoding="ascii").splitlines() if ln.strip()]
    if not lines:
        raise MasterKeyError(f"{path}: the master key file is empty — restore it from backup")
    return [_decode(line, f"{path}:{n}") for n, line in enumerate(lines, 1)]


def encode_key(key: MasterKey) -> str:
    return base64.b64encode(key.secret).decode("ascii")


def write_key_file(path: Path, keys: list[MasterKey]) -> None:
    """Write ``keys`` atomically with mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write("".join(encode_key(k) + "\n" for k in keys))
    os.replace(tmp, path)


def generate_master_key_file(path: Path) -> MasterKey:
    if path.exists():
        raise MasterKeyError(f"{path}: a master key already exists — refusing to overwrite it")
    key = MasterKey(os.urandom(KEY_BYTES))
    write_key_file(path, [key])
    return key
