"""Channels: where inbound messages come from and where replies go — one small interface
(:class:`Channel`, :class:`Inbox`) and a registry built from the policy's ``channels``.
The built-in e-mail channel is an ordinary plug-in registered on :data:`default_channels`."""

from lawful.intake.channels import email as _email  # noqa: F401 - registers the e-mail channel
from lawful.intake.channels.base import (
    Channel,
    ChannelRegistry,
    Cursor,
    Inbound,
    Inbox,
    Setup,
    default_channels,
)

__all__ = [
    "Channel",
    "ChannelRegistry",
    "Cursor",
    "Inbound",
    "Inbox",
    "Setup",
    "default_channels",
]
