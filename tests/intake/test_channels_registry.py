"""The channel plug-in interface: a registry of factories by kind, built from the policy's
declared channels; the built-in e-mail channel is an ordinary plug-in, and any other channel
written against the same interface is stored sealed before processing, keeps its place with a
cursor and answers through its own ``send``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa

from lawful.context import Lawful
from lawful.intake import flows
from lawful.intake.channels import (
    Channel,
    ChannelRegistry,
    Cursor,
    Inbound,
    Inbox,
    Setup,
    default_channels,
)
from lawful.intake.channels.email import EmailChannel, polled_mailbox
from lawful.intake.channels.inbox import StoreInbox
from lawful.intake.models import ChannelCursor, IntakeMessage
from lawful.mail import Mail
from tests.conftest import open_template
from tests.intake.mail_support import NOW, Outbox


@pytest.fixture
def lawful(tmp_path: Path, database_url: str) -> Iterator[Lawful]:
    opened = open_template(tmp_path, database_url, "ru-design-studio")
    yield opened
    opened.close()


def mail(sender: str, subject: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"], message["Subject"] = sender, subject
    message.set_content(body)
    return message.as_bytes()


class Queue(Channel):
    """A pull channel as a messenger would be: a queue of updates numbered 1, 2, 3 …"""

    kind = "email"  # its messages are mail, so the pipeline reads them as such

    def __init__(self, name: str, updates: list[bytes]) -> None:
        super().__init__(name)
        self.updates, self.sent = updates, list[Mail]()

    def poll(self, inbox: Inbox) -> int:
        cursor = inbox.cursor(self.name)
        start = 0 if cursor is None else cursor.position
        new = 0
        for number, raw in enumerate(self.updates[start:], start=start + 1):
            inbound = Inbound(raw, self.kind, {"transport": "queue", "update": number})
            new += inbox.put(inbound, channel=self.name, cursor=Cursor(0, number))
        return new

    def send(self, mail: Mail) -> None:
        self.sent.append(mail)


def test_the_policy_s_channels_are_built_by_kind(lawful: Lawful) -> None:
    built = default_channels.build(lawful.require_policy(), lawful.settings, Outbox())

    assert list(built) == ["mailbox"]  # the web form has no channel plug-in: left out
    assert isinstance(built["mailbox"], EmailChannel) and built["mailbox"].imap is None
    assert "email" in default_channels.kinds()


def test_the_imap_mailbox_belongs_to_the_channel_that_accepts_requests(lawful: Lawful) -> None:
    policy = lawful.require_policy()
    settings = replace(lawful.settings, imap_url="imaps://u:p@mail.example/INBOX")

    built = default_channels.build(policy, settings, Outbox())

    assert polled_mailbox(policy) == "mailbox"
    channel = built["mailbox"]
    assert isinstance(channel, EmailChannel) and channel.imap is not None
    assert channel.imap.account.host == "mail.example"


def test_a_kind_has_one_factory() -> None:
    registry = ChannelRegistry()

    def factory(setup: Setup) -> Channel | None:
        return None

    registry.register("telegram")(factory)
    registry.register("telegram")(factory)  # the same one again: harmless
    with pytest.raises(ValueError, match="telegram"):
        registry.register("telegram")(lambda setup: None)


def test_a_plug_in_channel_is_stored_resumed_and_answered_through_itself(
    lawful: Lawful,
) -> None:
    queue = Queue("mailbox", [mail("a@example.org", "Вопрос", "Когда будет готов макет?")])
    registry = ChannelRegistry()
    registry.register("email")(lambda setup: queue)

    def run() -> dict[str, int]:
        counts = flows.poll_channels(
            lawful, Outbox(), actor="test", now=NOW, names=False, registry=registry
        )
        return dict(counts)

    assert run() == {"stored": 1, "routed": 1}
    assert run() == {}
    queue.updates.append(mail("ivan@example.org", "Удаление", "Прошу удалить все мои данные."))
    assert run() == {"stored": 1, "routed": 1}

    assert [sent.to for sent in queue.sent] == ["ivan@example.org"]  # the code, by its channel
    with lawful.sessions() as session:
        assert session.get_one(ChannelCursor, "mailbox").position == 2
        metas = session.scalars(sa.select(IntakeMessage.meta)).all()
    assert sorted(meta["update"] for meta in metas) == [1, 2]


def test_the_inbox_stores_once_and_moves_the_cursor_even_for_a_duplicate(
    lawful: Lawful,
) -> None:
    inbox = StoreInbox(lawful.sessions, lawful.ring, "test", clock=lambda: NOW)
    raw = mail("a@example.org", "Hi", "When is my order due?")

    assert inbox.cursor("box") is None
    assert inbox.put(Inbound(raw, "email"), channel="box", cursor=Cursor(7, 1)) is True
    assert inbox.put(Inbound(raw, "email"), channel="box", cursor=Cursor(7, 2)) is False
    assert inbox.cursor("box") == Cursor(7, 2)
    inbox.move("box", Cursor(8, 0))
    assert inbox.cursor("box") == Cursor(8, 0)
    with lawful.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(IntakeMessage)) == 1
