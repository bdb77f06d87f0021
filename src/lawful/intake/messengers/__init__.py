"""Messenger channels: Telegram, WhatsApp, Kommo chats and the operator's web chat.

Each is a :class:`~lawful.intake.messengers.base.Messenger`: it splits a verified webhook body
into :class:`~lawful.intake.messengers.base.Inbound` messages (raw bytes to seal, the
channel, the sender's handle), re-reads a stored message for the intake pipeline, and sends
a reply through the messenger's API behind a configurable base URL. The webhooks themselves
are thin routes (:mod:`lawful.web.routes.channels`); storing and processing is
:mod:`lawful.intake.messengers.flows`.
"""

from __future__ import annotations

from lawful.intake.messengers.base import Inbound, Messenger
from lawful.intake.messengers.kommo import Kommo
from lawful.intake.messengers.telegram import Telegram
from lawful.intake.messengers.webchat import WebChat
from lawful.intake.messengers.whatsapp import WhatsApp
from lawful.intake.parse import Parsed
from lawful.settings import MessengerSettings

__all__ = ["Inbound", "Messenger", "adapters", "parsed", "read"]


def adapters(settings: MessengerSettings) -> dict[str, Messenger]:
    """Every messenger channel, by its channel name."""
    built: list[Messenger] = [
        Telegram(settings),
        WhatsApp(settings),
        Kommo(settings),
        WebChat(settings),
    ]
    return {adapter.channel: adapter for adapter in built}


#: Reading a stored message needs no secret.
_READERS = adapters(MessengerSettings())


def read(channel: str, raw: bytes) -> Inbound:
    """A stored messenger message, re-read by its channel's adapter."""
    return _READERS[channel].read(raw)


def parsed(channel: str, raw: bytes) -> Parsed:
    """A stored messenger message as the intake pipeline reads it."""
    inbound = read(channel, raw)
    return Parsed(
        sender=inbound.handle, subject="", text=inbound.text, sender_kind=inbound.handle_kind
    )
