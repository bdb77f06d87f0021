"""Inbound messages: store sealed on arrival, then process — link to a subject by the e-mail
blind index, detect personal data, flag special categories, classify, route. Functions take a
keyword-only ``session`` and never commit (:mod:`lawful.intake.flows` owns the transactions).

Routing: an objection to marketing takes effect at once (no verification: it only stops
processing); another data-subject request is opened pending verification on its statutory
clock; an inquiry is kept under the purpose of the channel it came through. A message a person
must decide on (low confidence, special categories the policy does not declare, no sender,
details a request kind needs) waits in state ``person`` — unless the policy's
``intake.special_categories`` is ``redact``: then the special-category words are masked, only
the masked copy is kept, and the message is routed like any other.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lawful import audit
from lawful.config.models import Policy
from lawful.consent import service as consent
from lawful.crypto.keyring import Keyring
from lawful.crypto.sealed import RecordKey
from lawful.errors import PolicyViolation
from lawful.intake import messengers
from lawful.intake.classify import Classification, RequestClassifier
from lawful.intake.detect import Finding, Registry, SpecialFlag, flag_special, redact
from lawful.intake.models import IntakeMessage
from lawful.intake.parse import Parsed, Unreadable, parse
from lawful.requests import deadlines
from lawful.requests import service as requests
from lawful.requests.models import Request
from lawful.subjects.service import find_subject

CHANNEL = "email"
#: The largest message lawful receives and reads (SMTP refuses more; IMAP and imports
#: quarantine it).
MAX_MESSAGE_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True)
class Tools:
    """The analysers, built once per process (natasha takes a second and a half to load)."""

    registry: Registry
    classifier: RequestClassifier
    #: A larger raw message is quarantined unread (it stays sealed).
    max_bytes: int = MAX_MESSAGE_BYTES

    @classmethod
    def for_policy(cls, policy: Policy, *, names: bool = True) -> Tools:
        return cls(Registry.for_policy(policy, names=names), RequestClassifier.for_policy(policy))


@dataclass(frozen=True)
class Routed:
    message: IntakeMessage
    #: A verification code to mail to ``to`` once the transaction has committed.
    code: str | None = None
    to: str | None = None
    request: Request | None = None


def key_of(ring: Keyring, message: IntakeMessage) -> RecordKey:
    return RecordKey.open(ring, f"intake:{message.id}", message.wrapped_key, message.master_key_id)


def receive(
    *,
    session: Session,
    ring: Keyring,
    raw: bytes,
    actor: str,
    now: datetime,
    channel: str = CHANNEL,
    meta: Mapping[str, str | int] | None = None,
) -> IntakeMessage | None:
    """Seal and store ``raw`` before anything reads it; None when it was stored before.
    ``channel`` is the channel's kind; ``meta`` how it came (never personal data)."""
    digest = hashlib.sha256(raw).digest()
    if session.scalar(sa.select(IntakeMessage.id).where(IntakeMessage.digest == digest)):
        return None
    message_id = secrets.token_hex(16)
    key = RecordKey.new(f"intake:{message_id}")
    wrapped, master_id = key.wrapped(ring)
    message = IntakeMessage(
        id=message_id,
        channel=channel,
        digest=digest,
        state="received",
        received_at=now,
        wrapped_key=wrapped,
        master_key_id=master_id,
        sealed=key.seal_bytes(raw, "raw"),
        entities={},
        special=[],
        meta=dict(meta or {}),
    )
    session.add(message)
    session.flush()
    details = {"intake": message_id, "channel": channel}
    audit.append(session, audit.Event("collect", actor, details=details), at=now)
    return message


def pending(session: Session) -> list[IntakeMessage]:
    """Messages stored but not yet processed (a crash between the two steps leaves some)."""
    query = sa.select(IntakeMessage).where(IntakeMessage.state == "received")
    return list(session.scalars(query.order_by(IntakeMessage.received_at, IntakeMessage.id)))


def process(
    *,
    session: Session,
    ring: Keyring,
    policy: Policy,
    tools: Tools,
    message: IntakeMessage,
    actor: str,
    now: datetime,
) -> Routed:
    """Process a received message once: a message already processed is left as it is."""
    if message.state != "received":
        return Routed(message)
    raw = key_of(ring, message).open_bytes(message.sealed, "raw")
    try:
        if held := message.meta.get("quarantine"):  # the channel already knew (a giant)
            raise Unreadable("the channel quarantined the message", str(held))
        if len(raw) > tools.max_bytes:
            raise Unreadable("the message is larger than lawful reads", "too-large")
        parsed = _read(message.channel, raw)
    except Unreadable as exc:
        return Routed(quarantine(session, message, exc.reason or "unreadable", actor, now))
    flags = {"subject": flag_special(parsed.subject), "text": flag_special(parsed.text)}
    special = {flag.category for found in flags.values() for flag in found}
    undeclared = _undeclared(policy, special)
    if undeclared and policy.intake.special_categories == "redact":
        parsed = _redact_special(ring, message, parsed, flags)
        _journal_redaction(session, message, sorted(undeclared), actor, now)
        undeclared = set()
    findings = tools.registry.analyze(parsed.text)
    result = tools.classifier.classify(parsed.text, subject=parsed.subject)
    message.entities = dict(Counter(finding.entity for finding in findings))
    message.special = sorted(special)
    message.label, message.confidence = result.label, result.confidence
    message.subject_id = _subject(session, ring, parsed.sender, parsed.sender_kind)
    message.processed_at = now
    routed = _route(
        session, ring, policy, message, parsed, result, bool(undeclared), actor=actor, now=now
    )
    details = {"intake": message.id, "label": result.label, "state": message.state}
    audit.append(
        session,
        audit.Event("systematise", actor, message.subject_id, message.purpose, details=details),
        at=now,
    )
    return routed


def _read(channel: str, raw: bytes) -> Parsed:
    """An e-mail is parsed here; a messenger's stored message by its adapter."""
    return parse(raw) if channel == CHANNEL else messengers.parsed(channel, raw)


def quarantine(
    session: Session, message: IntakeMessage, reason: str, actor: str, now: datetime
) -> IntakeMessage:
    """Hold a message that cannot be processed safely, with the reason; it stays sealed for a
    person to look at, and nothing acts on it."""
    message.state, message.processed_at = "quarantined", now
    message.meta = {**message.meta, "reason": reason}
    details = {"intake": message.id, "state": "quarantined", "reason": reason}
    audit.append(session, audit.Event("block", actor, details=details), at=now)
    return message


#: The fideslang key (lawful.yaml's ``categories``) of each special category intake flags.
SPECIAL_KEYS = {
    "health": "user.health_and_medical",
    "religion": "user.demographic.religious_belief",
    "politics": "user.demographic.political_opinion",
    "race_nationality": "user.demographic.race_ethnicity",
    "intimate_life": "user.demographic.sexual_orientation",
    "biometrics": "user.biometric",
    "criminal_record": "user.criminal_history",
}


def _undeclared(policy: Policy, special: set[str]) -> set[str]:
    """The flagged categories the policy does not declare ``special: true`` (a declared key
    at, above or below the category's key covers it)."""
    declared = [key for key, category in policy.categories.items() if category.special]

    def covered(key: str) -> bool:
        return any(d == key or d.startswith(f"{key}.") or key.startswith(f"{d}.") for d in declared)

    return {name for name in special if not covered(SPECIAL_KEYS.get(name, name))}


def _redact_special(
    ring: Keyring, message: IntakeMessage, parsed: Parsed, flags: Mapping[str, list[SpecialFlag]]
) -> Parsed:
    """Mask the special-category words and keep only the masked copy: the sealed original is
    replaced, so the data the policy does not allow are not stored."""

    def masked(text: str, found: list[SpecialFlag]) -> str:
        spans = [Finding(f"SPECIAL:{f.category}", f.start, f.end, 1.0, "special") for f in found]
        return redact(text, spans)

    subject, text = masked(parsed.subject, flags["subject"]), masked(parsed.text, flags["text"])
    copy = f"Subject: {subject}\n\n{text}".encode()
    message.sealed = key_of(ring, message).seal_bytes(copy, "redacted")
    message.meta = {**message.meta, "redacted": "special"}
    return Parsed(parsed.sender, subject, text, parsed.sender_kind)


def _journal_redaction(
    session: Session, message: IntakeMessage, special: list[str], actor: str, now: datetime
) -> None:
    details = {"intake": message.id, "redacted": ",".join(special)}
    audit.append(session, audit.Event("anonymise", actor, details=details), at=now)


def _subject(
    session: Session, ring: Keyring, sender: str | None, kind: str = "email"
) -> str | None:
    if sender is None:
        return None
    try:
        return find_subject(session=session, ring=ring, kind=kind, value=sender)
    except PolicyViolation:  # not an address lawful can index: nobody to link
        return None


def _route(
    session: Session,
    ring: Keyring,
    policy: Policy,
    message: IntakeMessage,
    parsed: Parsed,
    result: Classification,
    special: bool,
    *,
    actor: str,
    now: datetime,
) -> Routed:
    is_request = result.label in deadlines.KINDS
    needs_details = result.label in requests.REQUIRED_DETAILS
    if result.needs_person or special or parsed.sender is None or needs_details:
        return _hold(message, policy)
    if not is_request:
        if result.label != "inquiry":  # a complaint is read by a person
            return _hold(message, policy)
        message.state, message.purpose = "routed", _channel_purpose(policy, message.channel)
        return Routed(message)
    intake = requests.Intake(
        kind=result.label,
        identifier_kind=parsed.sender_kind,
        identifier=parsed.sender,
        language=parsed.language,
        channel=message.channel,
        message=parsed.text,
    )
    submitted = requests.submit(
        session=session, ring=ring, policy=policy, intake=intake, actor=actor, now=now
    )
    if submitted.code is not None:
        requests.meet(session, submitted.request, "acknowledge", now)
    if result.label == "objection" and message.subject_id is not None:
        _object_to_marketing(
            session, policy, message.subject_id, actor=actor, now=now, channel=message.channel
        )
    message.state, message.request_id = "routed", submitted.request.id
    return Routed(message, submitted.code, parsed.sender, submitted.request)


def _hold(message: IntakeMessage, policy: Policy) -> Routed:
    message.state, message.purpose = "person", _channel_purpose(policy, message.channel)
    return Routed(message)


def _object_to_marketing(
    session: Session,
    policy: Policy,
    subject_id: str,
    *,
    actor: str,
    now: datetime,
    channel: str = CHANNEL,
) -> None:
    """Stop every marketing purpose for the subject now: stopping needs no proof of identity."""
    for key, purpose in policy.purposes.items():
        if purpose.is_marketing:
            consent.object_to(
                session=session,
                policy=policy,
                subject_id=subject_id,
                purpose=key,
                channel=channel,
                now=now,
                actor=actor,
                method="objection",
            )


def _channel_purpose(policy: Policy, kind: str = CHANNEL) -> str | None:
    """The purpose the operator declared for the channel: an inquiry is kept under it."""
    for channel in policy.channels.values():
        if channel.kind == kind and channel.purposes:
            return channel.purposes[0]
    return None
