"""Outgoing mail through the operator's SMTP server (``LAWFUL_SMTP_URL``).

One small interface, :class:`Mailer`, so that flows say *what* to send and the server is a
setting. Failures become :class:`~lawful.errors.MailError` without the address or the text:
an SMTP error message often quotes the recipient.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlsplit

from lawful.errors import ConfigError, MailError

TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


class Mailer(Protocol):
    def send(self, mail: Mail) -> None: ...


@dataclass(frozen=True)
class SmtpMailer:
    """Sends each message in its own SMTP session (mail is rare; no connection to keep)."""

    url: str
    sender: str

    def send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, mail.to, mail.subject
        message.set_content(mail.body)
        parts = urlsplit(self.url)
        try:
            with self._connect(parts.scheme, parts.hostname or "localhost", parts.port) as smtp:
                if parts.username:
                    smtp.login(unquote(parts.username), unquote(parts.password or ""))
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"the mail server refused or failed ({type(exc).__name__})") from None

    @staticmethod
    def _connect(scheme: str, host: str, port: int | None) -> smtplib.SMTP:
        if scheme == "smtps":
            context = ssl.create_default_context()
            return smtplib.SMTP_SSL(host, port or 465, timeout=TIMEOUT_SECONDS, context=context)
        smtp = smtplib.SMTP(host, port or 25, timeout=TIMEOUT_SECONDS)
        if scheme == "smtp+starttls":
            smtp.starttls(context=ssl.create_default_context())
        return smtp


@dataclass(frozen=True)
class NoMailer:
    """Stands in when no SMTP server is configured: every send is refused, loudly."""

    def send(self, mail: Mail) -> None:
        raise MailError("no mail server is configured: set LAWFUL_SMTP_URL")


def mailer_from(smtp_url: str | None, sender: str | None) -> Mailer:
    """The mailer the settings describe."""
    if not smtp_url:
        return NoMailer()
    if urlsplit(smtp_url).scheme not in ("smtp", "smtps", "smtp+starttls"):
        raise ConfigError("LAWFUL_SMTP_URL must start with smtp://, smtps:// or smtp+starttls://")
    return SmtpMailer(smtp_url, sender or "lawful@localhost")
