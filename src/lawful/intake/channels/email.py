"""The e-mail channel: mail arrives by the SMTP receiver (:mod:`.smtp`, run by the worker) or
is polled from an IMAP mailbox (:mod:`.imap`, ``LAWFUL_IMAP_URL``); replies leave through the
operator's SMTP server (:mod:`lawful.mail`, ``LAWFUL_SMTP_URL``).

``LAWFUL_IMAP_URL`` is the mailbox of the policy's e-mail channel that accepts requests (else
of its first e-mail channel)."""

from __future__ import annotations

from lawful.config.models import Policy
from lawful.intake.channels.base import Channel, Inbox, Setup, default_channels
from lawful.intake.channels.imap import ImapAccount, ImapPoller
from lawful.mail import Mail, Mailer


class EmailChannel(Channel):
    kind = "email"

    def __init__(self, name: str, mailer: Mailer, imap: ImapPoller | None = None) -> None:
        super().__init__(name)
        self.mailer, self.imap = mailer, imap

    def poll(self, inbox: Inbox) -> int:
        return 0 if self.imap is None else self.imap.poll(inbox)

    def send(self, mail: Mail) -> None:
        self.mailer.send(mail)


def polled_mailbox(policy: Policy) -> str | None:
    """The key of the e-mail channel ``LAWFUL_IMAP_URL`` belongs to."""
    mailboxes = [(key, c) for key, c in policy.channels.items() if c.kind == "email"]
    for key, channel in mailboxes:
        if channel.accepts_requests:
            return key
    return mailboxes[0][0] if mailboxes else None


@default_channels.register("email")
def email_channel(setup: Setup) -> Channel:
    imap = None
    if setup.settings.imap_url and setup.name == polled_mailbox(setup.policy):
        imap = ImapPoller(setup.name, ImapAccount.from_url(setup.settings.imap_url))
    return EmailChannel(setup.name, setup.mailer, imap)
