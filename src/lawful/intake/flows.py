"""Transaction boundaries of intake: each message is stored (sealed) in a transaction of its
own before anything reads it, then processed in another; a verification code is mailed only
after the request that owns it has committed. Importing the same file again stores nothing
twice and processes what an interrupted run left unprocessed."""

from __future__ import annotations

import mailbox
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path

from lawful.config.models import Policy
from lawful.context import Lawful
from lawful.errors import MailError
from lawful.intake import review, service
from lawful.intake.channels import ChannelRegistry, default_channels
from lawful.intake.channels.inbox import StoreInbox
from lawful.intake.models import IntakeMessage
from lawful.mail import Mailer
from lawful.requests import response

Progress = Callable[[], None]


def count_messages(path: Path) -> int:
    if path.suffix.lower() == ".eml":
        return 1
    return len(mailbox.mbox(path, create=False))


def read_messages(path: Path) -> Iterator[bytes]:
    """The raw bytes of each message: one ``.eml`` file, or every message of an mbox."""
    if path.suffix.lower() == ".eml":
        yield path.read_bytes()
        return
    box = mailbox.mbox(path, create=False)
    try:
        for key in box.keys():
            yield box.get_bytes(key)
    finally:
        box.close()


def import_file(
    lawful: Lawful,
    mailer: Mailer,
    path: Path,
    *,
    actor: str,
    now: datetime,
    names: bool = True,
    progress: Progress | None = None,
) -> Counter[str]:
    """Store every message of ``path``, then process every message still waiting. Returns
    counts: ``stored``, ``duplicate`` and, per processed message, its state."""
    counts: Counter[str] = Counter()
    for raw in read_messages(path):
        with lawful.sessions.begin() as session:
            stored = service.receive(
                session=session, ring=lawful.ring, raw=raw, actor=actor, now=now
            )
        counts["stored" if stored is not None else "duplicate"] += 1
        if progress is not None:
            progress()
    counts.update(process_pending(lawful, mailer, actor=actor, now=now, names=names))
    return counts


def process_pending(
    lawful: Lawful,
    mailer: Mailer,
    *,
    actor: str,
    now: datetime,
    names: bool = True,
    tools: service.Tools | None = None,
    replies: Mapping[str, Mailer] | None = None,
) -> Counter[str]:
    """Process every message still waiting, each in its own transaction. A message another
    process took meanwhile is skipped; one that breaks processing is quarantined with the
    error's class name and the rest go on; so does a code the mail server would not take
    (counted as ``code-unsent``). Replies go out through ``replies[channel kind]``
    when given, else through ``mailer``."""
    policy = lawful.require_policy()
    tools = tools or service.Tools.for_policy(policy, names=names)
    with lawful.sessions() as session:
        waiting = [message.id for message in service.pending(session)]
    states: Counter[str] = Counter()
    for message_id in waiting:
        try:
            routed = _process_one(lawful, policy, tools, message_id, actor=actor, now=now)
        except Exception as exc:  # noqa: BLE001 - a bug must not stop the queue: quarantine
            routed = _quarantine_after(lawful, message_id, type(exc).__name__, actor, now)
        if routed is None:
            continue
        states[routed.message.state] += 1
        if told := tell_operator(mailer, routed):
            states[told] += 1
        if unsent := send_code((replies or {}).get(routed.message.channel, mailer), routed):
            states[unsent] += 1
    return states


def decide(
    lawful: Lawful,
    mailer: Mailer,
    message_id: str,
    decision: str,
    *,
    actor: str,
    now: datetime,
    details: Mapping[str, str] | None = None,
) -> service.Routed:
    """A person's decision on a waiting message (:func:`lawful.intake.review.decide`) in its
    own transaction; then the verification code of a request it opened is mailed (a
    messenger's sender is answered in the messenger, by the operator)."""
    with lawful.sessions.begin() as session:
        routed = review.decide(
            session=session,
            ring=lawful.ring,
            policy=lawful.require_policy(),
            message_id=message_id,
            decision=decision,
            actor=actor,
            now=now,
            details=details,
        )
    if routed.message.channel == service.CHANNEL:
        send_code(mailer, routed)
    return routed


def send_code(channel: Mailer, routed: service.Routed) -> str | None:
    """Send the verification code of the request a message opened, through ``channel``;
    ``code-unsent`` when it would not go (the request stands: the person asks for a new
    code), None otherwise."""
    if routed.code is None or routed.to is None or routed.request is None:
        return None
    try:
        channel.send(response.mail(routed.to, routed.request, "code", code=routed.code))
    except MailError:
        return "code-unsent"
    return None


def tell_operator(mailer: Mailer, routed: service.Routed) -> str | None:
    """Send the operator the notice processing left (special categories the policy does not
    declare); the count to keep, None when there was nothing to tell."""
    if routed.notice is None:
        return None
    try:
        mailer.send(routed.notice)
    except MailError:  # the message is safe either way; the dashboard still shows it
        return "notice-unsent"
    return "operator-told"


def _process_one(
    lawful: Lawful,
    policy: Policy,
    tools: service.Tools,
    message_id: str,
    *,
    actor: str,
    now: datetime,
) -> service.Routed | None:
    with lawful.sessions.begin() as session:
        message = session.get(IntakeMessage, message_id, with_for_update=True)
        if message is None or message.state != "received":
            return None  # processed meanwhile by another worker: it acts once
        return service.process(
            session=session,
            ring=lawful.ring,
            policy=policy,
            tools=tools,
            message=message,
            actor=actor,
            now=now,
        )


def _quarantine_after(
    lawful: Lawful, message_id: str, error: str, actor: str, now: datetime
) -> service.Routed | None:
    with lawful.sessions.begin() as session:
        message = session.get(IntakeMessage, message_id, with_for_update=True)
        if message is None or message.state != "received":
            return None
        reason = f"error:{error}"[:64]
        return service.Routed(service.quarantine(session, message, reason, actor, now))


def poll_channels(
    lawful: Lawful,
    mailer: Mailer,
    *,
    actor: str,
    now: datetime,
    names: bool = True,
    tools: service.Tools | None = None,
    registry: ChannelRegistry | None = None,
) -> Counter[str]:
    """One pass over every configured channel (an IMAP mailbox: what arrived since the last
    pass, each message stored sealed), then process what waits; replies leave through the
    channel a message came by. Returns ``stored`` and, per processed message, its state."""
    policy = lawful.require_policy()
    channels = (registry or default_channels).build(policy, lawful.settings, mailer)
    inbox = StoreInbox(lawful.sessions, lawful.ring, actor, clock=lambda: now)
    counts: Counter[str] = Counter()
    for channel in channels.values():
        try:
            counts["stored"] += channel.poll(inbox)
        except MailError:  # one mailbox down: the others and the queue go on
            counts["unreachable"] += 1
    replies = {channel.kind: channel for channel in channels.values()}
    counts.update(
        process_pending(
            lawful, mailer, actor=actor, now=now, names=names, tools=tools, replies=replies
        )
    )
    return +counts
