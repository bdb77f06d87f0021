"""Outgoing messages: a marketing or notification message sent through lawful is checked
against the person's consents and objections first, and a refused send says why.

The check (:func:`check`) is :mod:`lawful.consent.eligibility` applied to one recipient, found
by the blind index of their address or handle, plus one rule of its own: a *marketing*
message may only be sent under a purpose the policy declares as marketing — otherwise a
contract purpose would carry advertising without the consent advertising needs (152-FZ
Art. 15, 38-FZ Art. 18). A refusal raises :class:`SendRefused`, whose ``reason`` is the
eligibility code (``refused:no-consent``, ``refused:objection``, ``refused:unknown-subject``,
``refused:not-marketing-purpose`` ...). A send that goes out is journalled as ``use`` under
its purpose, after delivery, with the channel and kind — never the address or the text.

Channels: ``email`` (the operator's SMTP server, :mod:`lawful.mail`), ``telegram`` (to the
person's user id) and ``whatsapp`` (to their phone).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from lawful import audit
from lawful.config.models import Policy
from lawful.consent.eligibility import (
    INVALID_IDENTIFIER,
    UNKNOWN_SUBJECT,
    Eligibility,
    check_subject,
)
from lawful.context import Lawful
from lawful.crypto.keyring import Keyring
from lawful.crypto.normalise import normalise_identifier
from lawful.errors import PolicyViolation, SendRefused
from lawful.intake.messengers.base import Messenger
from lawful.mail import Mail, Mailer
from lawful.subjects.service import find_subject

Kind = Literal["marketing", "notification"]
#: Channel -> the identifier kind its recipients are addressed by.
ADDRESSED_BY = {"email": "email", "telegram": "telegram", "whatsapp": "phone"}
NOT_MARKETING_PURPOSE = Eligibility(False, "refused:not-marketing-purpose")


@dataclass(frozen=True)
class Outgoing:
    channel: str
    #: The e-mail address, the Telegram user id or the phone number (WhatsApp).
    to: str
    purpose: str
    kind: Kind
    text: str
    subject: str = ""


@dataclass(frozen=True)
class Checked:
    eligibility: Eligibility
    subject_id: str | None


def check(
    *, session: Session, ring: Keyring, policy: Policy, outgoing: Outgoing, now: datetime
) -> Checked:
    """May ``outgoing`` be sent? Undeclared purposes and unknown channels raise."""
    if outgoing.channel not in ADDRESSED_BY:
        raise PolicyViolation(f"channel must be one of {', '.join(ADDRESSED_BY)}", field="channel")
    purpose = policy.purpose(outgoing.purpose)
    if outgoing.kind == "marketing" and not purpose.is_marketing:
        return Checked(NOT_MARKETING_PURPOSE, None)
    try:
        subject_id = find_subject(
            session=session, ring=ring, kind=ADDRESSED_BY[outgoing.channel], value=outgoing.to
        )
    except PolicyViolation:
        return Checked(INVALID_IDENTIFIER, None)
    if subject_id is None:
        return Checked(UNKNOWN_SUBJECT, None)
    return Checked(check_subject(session, purpose, subject_id, now), subject_id)


def send(
    lawful: Lawful,
    outgoing: Outgoing,
    *,
    mailer: Mailer,
    adapters: Mapping[str, Messenger],
    actor: str,
    now: datetime,
) -> Checked:
    """Check, deliver, journal. Raises :class:`SendRefused` (nothing sent), or the channel's
    failure (``MailError``, ``ConnectorFailure``: nothing journalled)."""
    policy = lawful.require_policy()
    with lawful.sessions() as session:
        checked = check(
            session=session, ring=lawful.ring, policy=policy, outgoing=outgoing, now=now
        )
    decision = checked.eligibility
    if not decision.allowed:
        field = "purpose" if decision is NOT_MARKETING_PURPOSE else "to"
        raise SendRefused(
            f"the message may not be sent ({decision.reason})", field=field, reason=decision.reason
        )
    _deliver(outgoing, mailer, adapters)
    details = {"outgoing": outgoing.kind, "channel": outgoing.channel, "basis": decision.reason}
    with lawful.sessions.begin() as session:
        audit.append(
            session,
            audit.Event("use", actor, checked.subject_id, outgoing.purpose, details=details),
            at=now,
        )
    return checked


def _deliver(outgoing: Outgoing, mailer: Mailer, adapters: Mapping[str, Messenger]) -> None:
    if outgoing.channel == "email":
        mailer.send(Mail(outgoing.to, outgoing.subject, outgoing.text))
        return
    to = outgoing.to.strip()
    if outgoing.channel == "whatsapp":
        to = normalise_identifier("phone", to).removeprefix("+")  # a WhatsApp id: bare digits
    adapters[outgoing.channel].send(to, outgoing.text)
