"""Outgoing mail through the operator's SMTP server (``LAWFUL_SMTP_URL``).

One small interface, :class:`Mailer`, so that flows say *what* to send and the server is a
setting. Failures become :class:`~lawful.errors.MailError` without the address or the text:
an SMTP error message often quotes the recipient.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import ssl
import threading
import weakref
from dataclasses import dataclass, field
from email.header import Header
from email.message import EmailMessage
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formatdate, make_msgid
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


#: ``sendmail`` sends bytes as they are: the lines must already end in CRLF.
_WIRE = compat32.clone(linesep="\r\n")


def _deliver(smtp: smtplib.SMTP, sender: str, mail: Mail) -> None:
    """Send ``mail`` over an open session. A plain-ASCII address takes a message built with
    ``MIMEText`` (a quarter of the CPU of ``EmailMessage.set_content`` plus ``send_message``,
    which the API pays for every code, link and answer); an internationalised address needs
    ``send_message``'s SMTPUTF8 handling."""
    if not (sender.isascii() and mail.to.isascii()):
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, mail.to, mail.subject
        message.set_content(mail.body)
        smtp.send_message(message)
        return
    body = mail.body if mail.body.endswith("\n") else mail.body + "\n"  # as set_content does
    text = MIMEText(body, "plain", "utf-8")
    text["From"], text["To"] = sender, mail.to
    text["Subject"] = Header(mail.subject, "utf-8").encode()
    # the sender's domain: make_msgid() alone asks the resolver for this host's name each time
    domain = sender.rpartition("@")[2] or "localhost"
    text["Date"], text["Message-ID"] = formatdate(), make_msgid(domain=domain)
    wire = text.as_bytes(policy=_WIRE)
    smtp.ehlo_or_helo_if_needed()  # the server's extensions are known from here on
    if smtp.has_extn("pipelining") and _plain_path(sender, mail.to):
        _pipelined(smtp, sender, mail.to, wire)
    else:
        smtp.sendmail(sender, [mail.to], wire)


def _plain_path(*addresses: str) -> bool:
    """Can these go into MAIL FROM and RCPT TO as they are (no bracket, line break or space)?"""
    return not any(c in address for address in addresses for c in "<>\r\n ")


def _pipelined(smtp: smtplib.SMTP, sender: str, to: str, message: bytes) -> None:
    """Send one message with ESMTP PIPELINING (RFC 2920): MAIL, RCPT and DATA go out together
    and their three replies are read after, then the text — two round trips to the server
    instead of four (every mail server in use advertises it; over a 30 ms link that is 60 ms
    a mail). A refusal raises as ``sendmail`` does; the caller then drops the session."""
    smtp.send(f"MAIL FROM:<{sender}>\r\nRCPT TO:<{to}>\r\nDATA\r\n".encode("ascii"))
    replies = [smtp.getreply() for _ in range(3)]
    (mail_code, mail_said), (rcpt_code, rcpt_said), (data_code, data_said) = replies
    if mail_code != 250:
        raise smtplib.SMTPSenderRefused(mail_code, mail_said, sender)
    if rcpt_code not in (250, 251):
        raise smtplib.SMTPRecipientsRefused({to: (rcpt_code, rcpt_said)})
    if data_code != 354:
        raise smtplib.SMTPDataError(data_code, data_said)
    text = _DOT_AT_LINE_START.sub(b"..", message)  # a line's leading dot is doubled
    if not text.endswith(b"\r\n"):
        text += b"\r\n"
    smtp.send(text + b".\r\n")
    code, said = smtp.getreply()
    if code != 250:
        raise smtplib.SMTPDataError(code, said)


_DOT_AT_LINE_START = re.compile(rb"(?m)^\.")


@dataclass(frozen=True)
class SmtpMailer:
    """Sends each message in its own SMTP session (mail is rare; no connection to keep)."""

    url: str
    sender: str

    def send(self, mail: Mail) -> None:
        parts = urlsplit(self.url)
        try:
            with self._connect(parts.scheme, parts.hostname or "localhost", parts.port) as smtp:
                if parts.username:
                    smtp.login(unquote(parts.username), unquote(parts.password or ""))
                _deliver(smtp, self.sender, mail)
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


def mailer_from(smtp_url: str | None, sender: str | None, *, keep_open: int = 0) -> Mailer:
    """The mailer the settings describe; ``keep_open`` > 0: a :class:`PooledSmtpMailer` that
    keeps that many SMTP sessions open between sends (for a server that mails often)."""
    if not smtp_url:
        return NoMailer()
    if urlsplit(smtp_url).scheme not in ("smtp", "smtps", "smtp+starttls"):
        raise ConfigError("LAWFUL_SMTP_URL must start with smtp://, smtps:// or smtp+starttls://")
    if keep_open > 0:
        return PooledSmtpMailer(smtp_url, sender or "lawful@localhost", keep_open)
    return SmtpMailer(smtp_url, sender or "lawful@localhost")


@dataclass(frozen=True)
class PooledSmtpMailer(SmtpMailer):
    """Like :class:`SmtpMailer`, but keeps up to ``size`` sessions open between sends, each used
    by one thread at a time: a busy server saves the connection, greeting, EHLO, TLS and login
    of every message. A kept session the server has since closed is replaced once, at once."""

    size: int = 4
    _idle: list[smtplib.SMTP] = field(default_factory=list, compare=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def __post_init__(self) -> None:
        # The kept sessions are closed with the mailer (or at exit) when nobody calls close().
        weakref.finalize(self, _quit_all, self._idle, self._lock)

    def send(self, mail: Mail) -> None:
        smtp: smtplib.SMTP | None = None
        try:
            smtp, kept = self._take()
            try:
                _deliver(smtp, self.sender, mail)
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                if not kept:
                    raise
                smtp.close()  # the server dropped the idle session: one fresh one, at once
                smtp = None
                smtp = self._open()
                _deliver(smtp, self.sender, mail)
        except (OSError, smtplib.SMTPException) as exc:
            if smtp is not None:
                smtp.close()
            raise MailError(f"the mail server refused or failed ({type(exc).__name__})") from None
        self._give(smtp)

    def _take(self) -> tuple[smtplib.SMTP, bool]:
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        return self._open(), False

    def _open(self) -> smtplib.SMTP:
        parts = urlsplit(self.url)
        smtp = self._connect(parts.scheme, parts.hostname or "localhost", parts.port)
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        return smtp

    def _give(self, smtp: smtplib.SMTP) -> None:
        with self._lock:
            if len(self._idle) < self.size:
                self._idle.append(smtp)
                return
        _quit(smtp)

    def close(self) -> None:
        """Drop every kept session."""
        _quit_all(self._idle, self._lock)


def _quit_all(idle: list[smtplib.SMTP], lock: threading.Lock) -> None:
    """Close the sockets without a word (no network wait, also at interpreter exit)."""
    with lock:
        sessions, idle[:] = list(idle), []
    for smtp in sessions:
        smtp.close()


def _quit(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError, smtplib.SMTPException):
        smtp.quit()
