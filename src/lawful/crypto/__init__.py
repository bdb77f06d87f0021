"""Envelope encryption and blind indexes.

* The **master key** (32 random bytes) lives outside the database: a file made by ``lawful init``
  (mode 0600) or ``LAWFUL_MASTER_KEY``. It only ever wraps other keys.
* Each **subject** has its own AES-256-GCM data key, stored wrapped by the master key. Destroying
  that wrapped key makes every value of the subject unreadable, wherever a copy of it lies.
* **Blind indexes** are HMAC-SHA256 digests of normalised identifiers (e-mail case-folded,
  phone in E.164) under a secret kept wrapped in the database, so a subject is found by e-mail
  or phone without the identifier ever being stored in clear.
"""

from lawful.crypto.envelope import DataKey, MasterKey, open_value, seal_value
from lawful.crypto.keyfile import generate_master_key_file, load_master_key
from lawful.crypto.normalise import normalise_identifier

__all__ = [
    "DataKey",
    "MasterKey",
    "generate_master_key_file",
    "load_master_key",
    "normalise_identifier",
    "open_value",
    "seal_value",
]
