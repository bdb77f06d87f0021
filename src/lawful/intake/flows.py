"""Transaction boundaries of intake: each message is stored (sealed) in a transaction of its
own before anything reads it, then processed in another; a verification code is mailed only
after the request that owns it has committed. Importing the same file again stores nothing
twice and processes what an interrupted run left unprocessed."""

from __future__ import annotations

import mailbox
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from lawful.context import Lawful
from lawful.intake import service
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
    lawful: Lawful, mailer: Mailer, *, actor: str, now: datetime, names: bool = True
) -> Counter[str]:
    policy = lawful.require_policy()
    tools = service.Tools.for_policy(policy, names=names)
    with lawful.sessions() as session:
        waiting = [message.id for message in service.pending(session)]
    states: Counter[str] = Counter()
    for message_id in waiting:
        with lawful.sessions.begin() as session:
            message = session.get_one(IntakeMessage, message_id)
            routed = service.process(
                session=session,
                ring=lawful.ring,
                policy=policy,
                tools=tools,
                message=message,
                actor=actor,
                now=now,
            )
            states[message.state] += 1
        if routed.code is not None and routed.to is not None and routed.request is not None:
            mailer.send(response.mail(routed.to, routed.request, "code", code=routed.code))
    return states
