"""The SMTP receiver (aiosmtpd) that ``lawful worker`` runs when ``LAWFUL_SMTP_LISTEN`` is set.

It accepts mail only for the addresses of the policy's e-mail channels (it relays nothing),
refuses a message over the size limit (``552``), records the DKIM and SPF results and stores
the raw message sealed *before* it answers ``250``: a message the sender was told we have is
in the database. When it cannot be stored the sender hears ``451`` and tries again later, so
nothing is lost either way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from lawful.errors import ConfigError, LawfulError
from lawful.intake.channels import auth
from lawful.intake.channels.base import Inbound, Inbox
from lawful.intake.service import MAX_MESSAGE_BYTES
from lawful.settings import Settings

ACTOR = "lawful:smtp"


@dataclass
class SmtpReceiver:
    """Receive mail for ``addresses`` on ``host:port``; ``name`` is the e-mail channel's key."""

    inbox: Inbox
    name: str
    addresses: Iterable[str]
    host: str = "127.0.0.1"
    port: int = 2525
    max_bytes: int = MAX_MESSAGE_BYTES
    resolver: auth.Resolver | None = None
    _controller: Controller | None = field(default=None, init=False, repr=False)

    def start(self) -> None:
        _scrub_aiosmtpd_log()
        handler = _Handler(self, frozenset(address.lower() for address in self.addresses))
        self._controller = Controller(
            handler, hostname=self.host, port=self.port, data_size_limit=self.max_bytes
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def store(self, raw: bytes, peer: str | None, mail_from: str | None, helo: str | None) -> None:
        results = auth.check(raw, peer=peer, mail_from=mail_from, helo=helo, resolver=self.resolver)
        meta: dict[str, str | int] = {"transport": "smtp", **results.meta()}
        self.inbox.put(Inbound(raw, "email", meta), channel=self.name)


class _Scrub(logging.Filter):
    """aiosmtpd logs each command line (``MAIL FROM:<address>``) and the peer's IP: personal
    data a log keeps beyond the reach of erasure. Only warnings and errors pass, as a bare
    notice without arguments or traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return False
        record.msg, record.args = "SMTP receiver: a session failed (details withheld)", ()
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


def _scrub_aiosmtpd_log() -> None:
    logger = logging.getLogger("mail.log")
    if not any(isinstance(existing, _Scrub) for existing in logger.filters):
        logger.addFilter(_Scrub())


class _Handler:
    """aiosmtpd's hooks; storing (database, DNS) runs in a thread off the event loop."""

    def __init__(self, receiver: SmtpReceiver, addresses: frozenset[str]) -> None:
        self.receiver, self.addresses = receiver, addresses

    async def handle_RCPT(  # aiosmtpd hook names
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() not in self.addresses:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or b""
        peer = session.peer[0] if isinstance(session.peer, tuple) else None
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(
                None, self.receiver.store, raw, peer, envelope.mail_from, session.host_name
            )
        except (LawfulError, sa.exc.SQLAlchemyError, OSError):
            return "451 4.3.0 Cannot store the message now, try again later"
        return "250 2.0.0 Stored"


def listen_address(value: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:2525`` for IPv6) from ``LAWFUL_SMTP_LISTEN``."""
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError("LAWFUL_SMTP_LISTEN must be host:port", field="LAWFUL_SMTP_LISTEN")
    return host.strip("[]"), int(port)


@contextmanager
def receiving(
    settings: Settings, *, resolver: auth.Resolver | None = None
) -> Iterator[SmtpReceiver | None]:
    """Run the SMTP receiver that ``settings`` ask for (none without ``LAWFUL_SMTP_LISTEN``)
    until the block ends; ``resolver`` answers its DNS lookups (default: the real DNS)."""
    if not settings.smtp_listen:
        yield None
        return
    from lawful.context import open_lawful
    from lawful.intake.channels.inbox import StoreInbox

    host, port = listen_address(settings.smtp_listen)
    lawful = open_lawful(settings)
    try:
        policy = lawful.require_policy()
        mailboxes = {key: c for key, c in policy.channels.items() if c.kind == "email"}
        if not mailboxes:
            raise ConfigError("LAWFUL_SMTP_LISTEN is set but the policy declares no email channel")
        receiver = SmtpReceiver(
            StoreInbox(lawful.sessions, lawful.ring, ACTOR),
            next(iter(mailboxes)),
            [channel.address for channel in mailboxes.values()],
            host,
            port,
            resolver=resolver,
        )
        receiver.start()
        try:
            yield receiver
        finally:
            receiver.stop()
    finally:
        lawful.close()
