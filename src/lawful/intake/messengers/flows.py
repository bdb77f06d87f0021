"""Transaction boundaries of the messenger channels: every message is sealed and committed in
a transaction of its own before anything reads it (a retried webhook stores nothing twice),
then processed by the intake pipeline in another, then answered through its messenger once
that has committed. A message whose processing fails stays ``received`` for
:func:`lawful.intake.flows.process_pending` to resume; a reply that fails is logged by class
and channel — never by handle or text — and loses nothing stored.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from lawful import audit
from lawful.context import Lawful
from lawful.errors import LawfulError, NotFound, PolicyViolation
from lawful.intake import flows as intake_flows
from lawful.intake import messengers, service
from lawful.intake.messengers.base import Inbound, Messenger
from lawful.intake.models import IntakeMessage
from lawful.mail import Mailer

logger = logging.getLogger(__name__)

#: Replies once a request is opened, by language: ``{kind}`` and ``{ref}`` are filled in.
ACKNOWLEDGED = {
    "en": "We have received your request ({kind}) and registered it as no. {ref}. "
    "We will answer within the time the law sets.",
    "ru": "Мы получили ваше обращение ({kind}) и зарегистрировали его под номером {ref}. "
    "Ответим в срок, установленный законом.",
}
STOPPED = {
    "en": "Done: we will not send you advertising any more.",
    "ru": "Готово: мы больше не будем присылать вам рекламу.",
}


def actor_of(channel: str) -> str:
    return f"channel:{channel}"


def store(lawful: Lawful, inbound: Iterable[Inbound], *, now: datetime) -> list[str]:
    """Seal and commit each message; the ids of those not stored before."""
    stored: list[str] = []
    for item in inbound:
        with lawful.sessions.begin() as session:
            message = service.receive(
                session=session,
                ring=lawful.ring,
                raw=item.raw,
                actor=actor_of(item.channel),
                now=now,
                channel=item.channel,
            )
            if message is not None:
                stored.append(message.id)
    return stored


def process(
    lawful: Lawful,
    tools: service.Tools,
    adapters: Mapping[str, Messenger],
    message_ids: Sequence[str],
    *,
    now: datetime,
    mailer: Mailer | None = None,
) -> Counter[str]:
    """Process each stored message, then reply; counts of the states reached (and
    ``failed``, ``replied``, ``reply_failed``, and the operator's notices through
    ``mailer``)."""
    policy = lawful.require_policy()
    counts: Counter[str] = Counter()
    for message_id in message_ids:
        channel = "unknown"
        try:
            with lawful.sessions.begin() as session:
                message = session.get(IntakeMessage, message_id)
                if message is None or message.state != "received":
                    continue
                channel = message.channel
                routed = service.process(
                    session=session,
                    ring=lawful.ring,
                    policy=policy,
                    tools=tools,
                    message=message,
                    actor=actor_of(channel),
                    now=now,
                )
                counts[message.state] += 1
                reply = _reply(lawful, routed)
        except LawfulError as error:  # stays "received": the worker resumes it
            logger.warning("%s message not processed: %s", channel, type(error).__name__)
            counts["failed"] += 1
            continue
        if mailer is not None and (told := intake_flows.tell_operator(mailer, routed)):
            counts[told] += 1
        if reply is not None and channel in adapters:
            counts[_send(adapters[channel], channel, *reply)] += 1
    return counts


def _reply(lawful: Lawful, routed: service.Routed) -> tuple[str, str] | None:
    """(where, text) of the answer to a message that opened a request; None otherwise."""
    message, request = routed.message, routed.request
    if request is None:
        return None
    raw = service.key_of(lawful.ring, message).open_bytes(message.sealed, "raw")
    inbound = messengers.read(message.channel, raw)
    if inbound.reply_to is None:
        return None
    language = messengers.parsed(message.channel, raw).language
    if request.kind == "objection":
        return inbound.reply_to, STOPPED[language]
    return inbound.reply_to, ACKNOWLEDGED[language].format(kind=request.kind, ref=request.id[:8])


def _send(adapter: Messenger, channel: str, to: str, text: str) -> str:
    try:
        adapter.send(to, text)
    except LawfulError as error:
        logger.warning("%s reply not sent: %s", channel, type(error).__name__)
        return "reply_failed"
    return "replied"


def reply(lawful: Lawful, message_id: str, text: str, *, actor: str, now: datetime) -> str:
    """Answer one stored message through the messenger it came by; journalled as ``use``
    (ids only). Returns the channel. Kommo and the web chat are answered in their own tools."""
    adapters = messengers.adapters(lawful.settings.messengers)
    with lawful.sessions() as session:
        message = session.get(IntakeMessage, message_id) if len(message_id) <= 32 else None
        if message is None or message.channel not in adapters:
            raise NotFound("no such messenger message", field="message_id")
        raw = service.key_of(lawful.ring, message).open_bytes(message.sealed, "raw")
        channel, subject_id, purpose = message.channel, message.subject_id, message.purpose
    to = messengers.read(channel, raw).reply_to
    if to is None:
        raise PolicyViolation(f"{channel} messages are answered in {channel}", field="message_id")
    adapters[channel].send(to, text)
    details = {"intake": message_id, "reply": channel}
    with lawful.sessions.begin() as session:
        audit.append(
            session, audit.Event("use", actor, subject_id, purpose, details=details), at=now
        )
    return channel
