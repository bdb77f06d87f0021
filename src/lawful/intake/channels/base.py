"""The channel plug-in interface: where messages come from and where replies go.

A channel is an ordinary class registered under the ``kind`` of ``lawful.yaml``'s channels
(``email``, ``telegram`` …), like a presidio recognizer. It has two duties:

* **Inbound**: put each message it receives into an :class:`Inbox` as an :class:`Inbound` —
  the raw bytes exactly as they arrived plus metadata about the transport — and acknowledge it
  to the sender (SMTP ``250``, a webhook ``200``) only after ``put`` returned. The inbox seals
  and stores the bytes before anything reads them, so a crash or a bug in processing loses
  nothing. Pull channels (IMAP) do this in :meth:`Channel.poll` and keep their place with a
  :class:`Cursor` stored in the same transaction as the message; push channels (an SMTP
  server, a webhook) put from their own server and fetch nothing in ``poll``.
* **Outbound**: :meth:`Channel.send` delivers a reply (:class:`lawful.mail.Mail`: ``to`` is
  an address, a chat id or a handle as the channel understands it). A channel is therefore a
  :class:`lawful.mail.Mailer`.

The registry (:class:`ChannelRegistry`) builds the channels a policy declares from the
settings; a declared channel whose transport is not configured is simply left out.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from lawful.config.models import Channel as Declared
from lawful.config.models import Policy
from lawful.mail import Mail, Mailer
from lawful.settings import Settings


@dataclass(frozen=True)
class Inbound:
    """One message as it arrived. ``meta`` says how it came (transport, authentication
    results, a mailbox UID …) and is stored in clear: it must never hold personal data."""

    raw: bytes
    kind: str
    meta: Mapping[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class Cursor:
    """A pull channel's place: ``position`` (the last UID or update id stored) within
    ``epoch`` (the mailbox's UIDVALIDITY; 0 for channels without one)."""

    epoch: int
    position: int


class Inbox(Protocol):
    """Where channels put what they receive (:class:`lawful.intake.channels.inbox.StoreInbox`
    seals it into ``intake_messages``)."""

    def put(self, inbound: Inbound, *, channel: str, cursor: Cursor | None = None) -> bool:
        """Store ``inbound`` sealed — and move ``channel``'s cursor to ``cursor`` — in one
        transaction; True when it is new, False when it was stored before."""
        ...

    def cursor(self, channel: str) -> Cursor | None:
        """Where ``channel`` stopped reading; None before its first message."""
        ...

    def move(self, channel: str, cursor: Cursor) -> None:
        """Move ``channel``'s cursor without storing anything (a new UIDVALIDITY)."""
        ...


class Channel(ABC):
    """Base class of every channel. Subclasses set ``kind`` and implement :meth:`send`;
    pull channels also implement :meth:`poll`."""

    kind: ClassVar[str]

    def __init__(self, name: str) -> None:
        #: The channel's key in ``lawful.yaml`` (``mailbox``, ``support_bot`` …).
        self.name = name

    def poll(self, inbox: Inbox) -> int:
        """Fetch what arrived since the last poll into ``inbox``; return how many were new.
        Push channels receive through their own server and fetch nothing here."""
        return 0

    @abstractmethod
    def send(self, mail: Mail) -> None:
        """Deliver a reply; raise :class:`lawful.errors.MailError` (or another lawful error)
        without personal data in its text when the transport fails."""


@dataclass(frozen=True)
class Setup:
    """What a channel factory gets: the declared channel (and the whole policy), the settings
    and the outgoing mailer (for channels that answer by e-mail)."""

    name: str
    declared: Declared
    policy: Policy
    settings: Settings
    mailer: Mailer


#: Builds a channel from its setup, or returns None when its transport is not configured.
Factory = Callable[[Setup], Channel | None]


class ChannelRegistry:
    """Channel factories by kind; :meth:`build` turns a policy's declared channels into
    channel instances."""

    def __init__(self) -> None:
        self._factories: dict[str, Factory] = {}

    def register(self, kind: str) -> Callable[[Factory], Factory]:
        """Decorator: ``@default_channels.register("email")`` on a factory."""

        def add(factory: Factory) -> Factory:
            known = self._factories.get(kind)
            if known is not None and known is not factory:
                raise ValueError(f"channel kind {kind!r} already has a factory")
            self._factories[kind] = factory
            return factory

        return add

    def kinds(self) -> frozenset[str]:
        return frozenset(self._factories)

    def build(self, policy: Policy, settings: Settings, mailer: Mailer) -> dict[str, Channel]:
        """The configured channels of ``policy``, by name, in the policy's order."""
        built: dict[str, Channel] = {}
        for name, declared in policy.channels.items():
            factory = self._factories.get(declared.kind)
            channel = (
                None
                if factory is None
                else factory(Setup(name, declared, policy, settings, mailer))
            )
            if channel is not None:
                built[name] = channel
        return built


#: The registry lawful's commands and worker use; built-in channels register on it.
default_channels = ChannelRegistry()
