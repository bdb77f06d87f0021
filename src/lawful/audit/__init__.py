"""The append-only, hash-chained journal of every processing action. No personal data inside:
events name subjects by their pseudonymous id and categories by their taxonomy key."""

from lawful.audit.service import Event, VerifyResult, append, append_alike, append_many, verify
from lawful.audit.vocabulary import ACTIONS

__all__ = [
    "ACTIONS",
    "Event",
    "VerifyResult",
    "append",
    "append_alike",
    "append_many",
    "verify",
]
