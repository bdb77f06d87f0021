"""The inbox every channel puts into: each message sealed into ``intake_messages`` in a
transaction of its own (with the channel's cursor, for pull channels), before anything reads
it. Processing comes later (:func:`lawful.intake.flows.process_pending`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from lawful.crypto.keyring import Keyring
from lawful.intake import service
from lawful.intake.channels.base import Cursor, Inbound
from lawful.intake.models import ChannelCursor


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class StoreInbox:
    sessions: sessionmaker[Session]
    ring: Keyring
    actor: str
    clock: Callable[[], datetime] = field(default=_now)

    def put(self, inbound: Inbound, *, channel: str, cursor: Cursor | None = None) -> bool:
        try:
            return self._put(inbound, channel, cursor)
        except sa.exc.IntegrityError:  # another process stored the same message just now
            return self._put(inbound, channel, cursor)

    def _put(self, inbound: Inbound, channel: str, cursor: Cursor | None) -> bool:
        now = self.clock()
        with self.sessions.begin() as session:
            stored = service.receive(
                session=session,
                ring=self.ring,
                raw=inbound.raw,
                actor=self.actor,
                now=now,
                channel=inbound.kind,
                meta=inbound.meta,
            )
            if cursor is not None:
                _move(session, channel, cursor, now)
        return stored is not None

    def cursor(self, channel: str) -> Cursor | None:
        with self.sessions() as session:
            row = session.get(ChannelCursor, channel)
            return None if row is None else Cursor(row.epoch, row.position)

    def move(self, channel: str, cursor: Cursor) -> None:
        with self.sessions.begin() as session:
            _move(session, channel, cursor, self.clock())


def _move(session: Session, channel: str, cursor: Cursor, now: datetime) -> None:
    row = session.get(ChannelCursor, channel, with_for_update=True)
    if row is None:
        session.add(
            ChannelCursor(
                channel=channel, epoch=cursor.epoch, position=cursor.position, updated_at=now
            )
        )
    else:
        row.epoch, row.position, row.updated_at = cursor.epoch, cursor.position, now
