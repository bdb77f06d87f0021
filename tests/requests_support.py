"""Helpers for the request tests: a real local SMTP server (aiosmtpd) that keeps what it gets."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.by_to: dict[str, list[Message]] = {}
        self.arrived = threading.Condition()

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
def smtp_server() -> Iterator[tuple[Inbox, str]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()
