"""The messages a person must decide on: those the pipeline held (``person``: low confidence,
a complaint, no sender, details a request kind needs) and those in quarantine (unreadable, or
naming special categories the policy does not declare).

Listing shows no personal data (channel, times, labels, categories, reasons); reading one opens
it and is journalled as an ``extract``; a decision routes it as the pipeline would have —
open a request of the kind the person chose, keep it as an inquiry under the channel's
purpose — or dismisses it, which destroys its content. Functions take a keyword-only
``session`` and never commit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lawful import audit
from lawful.config.models import Policy
from lawful.crypto.keyring import Keyring
from lawful.errors import InvalidTransition, NotFound, PolicyViolation
from lawful.intake import service, undeclared
from lawful.intake.models import IntakeMessage
from lawful.intake.parse import Parsed, Unreadable
from lawful.requests import deadlines

#: The states in which a message waits for a person.
WAITING = ("person", "quarantined")
#: What a person can decide: a request kind, an ordinary inquiry, or nothing to keep.
DECISIONS: tuple[str, ...] = (*deadlines.KINDS, "inquiry", "dismiss")


def waiting(session: Session, *, limit: int = 200) -> list[IntakeMessage]:
    """The messages waiting for a person, oldest first (their clocks run from receipt)."""
    query = (
        sa.select(IntakeMessage)
        .where(IntakeMessage.state.in_(WAITING))
        .order_by(IntakeMessage.received_at, IntakeMessage.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def find(session: Session, message_id: str, *, for_update: bool = False) -> IntakeMessage:
    message = session.get(IntakeMessage, message_id, with_for_update=for_update)
    if message is None:
        raise NotFound("no such message", field="message_id")
    return message


def read(*, session: Session, ring: Keyring, message_id: str, actor: str, now: datetime) -> Parsed:
    """What the message says, for the person deciding on it; journalled as an ``extract``."""
    message = find(session, message_id)
    parsed = service.read(message.channel, _opened(ring, message))
    details = {"intake": message.id, "state": message.state}
    audit.append(
        session, audit.Event("extract", actor, message.subject_id, details=details), at=now
    )
    return parsed


def decide(
    *,
    session: Session,
    ring: Keyring,
    policy: Policy,
    message_id: str,
    decision: str,
    actor: str,
    now: datetime,
    details: Mapping[str, str] | None = None,
) -> service.Routed:
    """Carry out a person's ``decision`` on a waiting message (one of :data:`DECISIONS`)."""
    if decision not in DECISIONS:
        raise PolicyViolation(f"decide one of: {', '.join(DECISIONS)}", field="decision")
    message = find(session, message_id, for_update=True)
    if message.state not in WAITING:
        raise InvalidTransition("the message is not waiting for a person", field="message_id")
    if decision == "dismiss":
        return service.Routed(_dismiss(session, message, actor=actor, now=now))
    raw = _opened(ring, message)
    parsed = _readable(message.channel, raw)
    if parsed is not None and message.meta.get("reason") == undeclared.REASON:
        found = undeclared.undeclared(policy, set(message.special))
        parsed = service.redact(session, ring, message, raw, parsed, found, actor=actor, now=now)
    message.label, message.meta = decision, {**message.meta, "decided": "person"}
    if decision == "inquiry":
        message.state = "routed"
        message.purpose = service.channel_purpose(policy, message.channel)
        routed = service.Routed(message)
    elif parsed is None:
        raise PolicyViolation(
            "the message cannot be read: keep it as an inquiry or dismiss it", field="decision"
        )
    else:
        routed = service.open_request(
            session, ring, policy, message, parsed, decision, actor=actor, now=now, details=details
        )
    journalled = {"intake": message.id, "label": decision, "state": message.state}
    audit.append(
        session,
        audit.Event("systematise", actor, message.subject_id, message.purpose, details=journalled),
        at=now,
    )
    return routed


def _opened(ring: Keyring, message: IntakeMessage) -> bytes:
    """The stored message, decrypted."""
    if not message.sealed:
        raise InvalidTransition("the message was dismissed: nothing is left", field="message_id")
    return service.key_of(ring, message).open_bytes(message.sealed, "raw")


def _readable(channel: str, raw: bytes) -> Parsed | None:
    """The message read; None when it cannot be (it was quarantined as unreadable)."""
    try:
        return service.read(channel, raw)
    except Unreadable:
        return None


def _dismiss(
    session: Session, message: IntakeMessage, *, actor: str, now: datetime
) -> IntakeMessage:
    """Destroy the content (its key and its ciphertext); the row stays, so the same message
    arriving again is known and not stored twice, and the counts stay true."""
    message.state, message.processed_at = "dismissed", now
    message.sealed, message.wrapped_key = b"", b""
    message.meta = {**message.meta, "decided": "person"}
    details = {"intake": message.id, "reason": "dismissed"}
    event = audit.Event("destroy", actor, message.subject_id, details=details)
    audit.append(session, event, at=now)
    return message
