"""Helpers for the request tests: a real local SMTP server (aiosmtpd) that keeps what it gets."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session

from lawful.context import Lawful
from lawful.subjects import service as subjects


class Inbox:
    """An aiosmtpd handler that keeps what arrives. It advertises ESMTP PIPELINING, as the
    mail servers operators use do (aiosmtpd reads pipelined commands in turn but does not
    say so itself); ``pipelining=False`` for one that does not."""

    def __init__(self, *, pipelining: bool = True) -> None:
        self.messages: list[Message] = []
        self.by_to: dict[str, list[Message]] = {}
        self.arrived = threading.Condition()
        self.pipelining = pipelining

    async def handle_EHLO(  # noqa: N802
        self, server: object, session: object, envelope: object, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname  # type: ignore[attr-defined]  # the hook's duty
        return responses[:-1] + ["250-PIPELINING"] * self.pipelining + responses[-1:]

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content)  # type: ignore[attr-defined]
        with self.arrived:
            self.messages.append(message)
            self.by_to.setdefault(str(message["To"]), []).append(message)
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, address: str, count: int, timeout: float = 30.0) -> Message:
        """Block until ``address`` has received ``count`` messages; return the last one."""
        with self.arrived:
            if not self.arrived.wait_for(
                lambda: len(self.by_to.get(address, ())) >= count, timeout=timeout
            ):
                raise TimeoutError(f"mail number {count} did not arrive")
            return self.by_to[address][count - 1]

    def last_to(self, address: str) -> Message:
        found = [m for m in self.messages if m["To"] == address]
        assert found, f"no mail to {address}"
        return found[-1]

    def body(self, message: Message) -> str:
        payload = message.get_payload(decode=True)
        assert isinstance(payload, bytes)
        return payload.decode()

    def code_for(self, address: str) -> str:
        match = re.search(r"\b(\d{6})\b", self.body(self.last_to(address)))
        assert match
        return match.group(1)

    def link_for(self, address: str) -> str:
        match = re.search(r"(http\S+/downloads/\S+)", self.body(self.last_to(address)))
        assert match
        return match.group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server(inbox: Inbox | None = None, **options: Any) -> Iterator[tuple[Inbox, str]]:
    """aiosmtpd on a free port, keeping what arrives in ``inbox`` (a new :class:`Inbox` by
    default); ``options`` go to its ``Controller`` (e.g. ``enable_SMTPUTF8=True``)."""
    inbox, port = inbox or Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield inbox, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


def add_person(
    lawful: Lawful, email: str, values: dict[str, str], purpose: str = "order_details"
) -> str:
    """A subject with ``email`` as identifier and ``values`` recorded for ``purpose``."""
    with lawful.sessions.begin() as session:
        subject_id = subjects.create_subject(
            session=session, ring=lawful.ring, identifiers={"email": email}, actor="test"
        )
        record(lawful, subject_id, values, purpose, session=session)
    return subject_id


def record(
    lawful: Lawful,
    subject_id: str,
    values: dict[str, str],
    purpose: str = "order_details",
    *,
    session: Session | None = None,
) -> None:
    """Record ``values`` in ``session``, or in a transaction of its own."""
    if session is None:
        with lawful.sessions.begin() as own:
            record(lawful, subject_id, values, purpose, session=own)
        return
    subjects.record(
        session=session,
        ring=lawful.ring,
        policy=lawful.require_policy(),
        subject_id=subject_id,
        purpose=purpose,
        values=values,
        actor="test",
    )
