"""The shape every messenger channel has: read a webhook call, re-read a stored message, reply.

A webhook body is *split* into inbound messages, one per message it carries (a WhatsApp call
may carry several; a Telegram update at most one). Each :class:`Inbound` keeps the exact bytes
that are sealed into ``intake_messages`` before anything else happens, and everything the
pipeline needs is re-read from those bytes later (:meth:`Messenger.read`), so that a message
stored before a crash is processed by the worker exactly like one processed at once.

Adapters hold no state but their settings and never log a body, a handle or a secret.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from typing import Any, Protocol

from lawful.errors import PolicyViolation, Unauthorized


@dataclass(frozen=True)
class Inbound:
    """One message as it arrived through a messenger."""

    #: ``telegram``, ``whatsapp``, ``kommo`` or ``web_chat`` (the channel kinds of lawful.yaml).
    channel: str
    #: What is sealed and stored: re-reading it gives this same message.
    raw: bytes
    #: The identifier kind of :attr:`handle`, for the blind index (``telegram``, ``phone`` ...).
    handle_kind: str
    #: Who wrote: the sender's stable id in the messenger (or their phone for WhatsApp).
    handle: str
    text: str
    #: Where a reply goes (a Telegram chat id, a WhatsApp id, ...); None: no reply possible.
    reply_to: str | None


class Messenger(Protocol):
    """A messenger channel: the built-in ones are ordinary implementations of this."""

    @property
    def channel(self) -> str:
        """The channel's name (``telegram`` ...), stored with each of its messages."""
        ...

    def split(self, body: bytes) -> list[Inbound]:
        """The messages a verified webhook body carries; other events give none."""
        ...

    def read(self, raw: bytes) -> Inbound:
        """Re-read one stored message (the ``raw`` of an :class:`Inbound`)."""
        ...

    def send(self, to: str, text: str) -> None:
        """Reply through the messenger's API; raises ``ConnectorFailure`` when it fails."""
        ...


def same_secret(given: str | None, expected: str | None, *, field: str) -> None:
    """Compare in constant time; refuse when either is missing (an unset secret refuses all)."""
    if not expected or not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("the channel's secret or signature is wrong", field=field)


def load_json(body: bytes, *, field: str = "body") -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise PolicyViolation("the body is not valid JSON", field=field) from None


def canonical(value: Any) -> bytes:
    """The stored form of a message cut out of a larger body: the same message, sent again,
    gives the same bytes (and so is stored once)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def text_of(value: Any) -> str:
    return value if isinstance(value, str) else ""
