"""Polling an IMAP mailbox (``LAWFUL_IMAP_URL``) with UIDVALIDITY/UID bookkeeping.

The mailbox is opened read-only (``EXAMINE``): lawful neither flags nor deletes anything there.
Messages are fetched in UID order, each stored with the cursor (UIDVALIDITY, UID) in one
transaction, so a crash between two messages resumes after the last one stored and nothing is
read twice or missed. When the server announces a new UIDVALIDITY, its UIDs mean other
messages now: the mailbox is read again from the start and the digest of each message keeps
what was stored before from being stored twice. Each message's DKIM signature is checked
on arrival. A message larger than the limit is not
downloaded: its header is stored and the message is quarantined as ``too-large``; the whole
stays in the mailbox.
"""

from __future__ import annotations

import imaplib
import re
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from lawful.errors import ConfigError, MailError
from lawful.intake.channels import auth
from lawful.intake.channels.base import Cursor, Inbound, Inbox
from lawful.intake.service import MAX_MESSAGE_BYTES

TIMEOUT_SECONDS = 30.0
_SCHEMES = ("imap", "imaps", "imap+starttls")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


@dataclass(frozen=True)
class ImapAccount:
    scheme: str
    host: str
    port: int
    user: str
    password: str
    mailbox: str = "INBOX"

    @classmethod
    def from_url(cls, url: str) -> ImapAccount:
        """``imap[s]://user:password@host[:port][/mailbox]`` (``imap+starttls://`` too)."""
        parts = urlsplit(url)
        if parts.scheme not in _SCHEMES or not parts.hostname or not parts.username:
            raise ConfigError(
                "LAWFUL_IMAP_URL must look like imaps://user:password@host[:port][/mailbox]",
                field="LAWFUL_IMAP_URL",
            )
        port = parts.port or (993 if parts.scheme == "imaps" else 143)
        mailbox = unquote(parts.path.lstrip("/")) or "INBOX"
        return cls(
            parts.scheme,
            parts.hostname,
            port,
            unquote(parts.username),
            unquote(parts.password or ""),
            mailbox,
        )


@dataclass
class ImapPoller:
    """One pass over one mailbox; ``name`` keys its cursor."""

    name: str
    account: ImapAccount
    max_bytes: int = MAX_MESSAGE_BYTES
    #: Messages read in one pass at most (a first pass over a large mailbox goes on at the
    #: next one, from the cursor).
    batch: int = 500
    #: Answers the DKIM key lookups (default: the real DNS). SPF needs the connecting IP,
    #: which only the mailbox's own server saw: it is left ``none``.
    resolver: auth.Resolver | None = None

    def poll(self, inbox: Inbox) -> int:
        try:
            with self._connect() as imap:
                return self._read(imap, inbox)
        except (OSError, imaplib.IMAP4.error) as exc:
            # The server's text may quote addresses: only the class name is kept.
            raise MailError(f"the IMAP server failed ({type(exc).__name__})") from None

    def _connect(self) -> imaplib.IMAP4:
        account = self.account
        imap: imaplib.IMAP4
        if account.scheme == "imaps":
            context = ssl.create_default_context()
            imap = imaplib.IMAP4_SSL(
                account.host, account.port, ssl_context=context, timeout=TIMEOUT_SECONDS
            )
        else:
            imap = imaplib.IMAP4(account.host, account.port, timeout=TIMEOUT_SECONDS)
        try:
            if account.scheme == "imap+starttls":
                imap.starttls(ssl.create_default_context())
            imap.login(account.user, account.password)
        except BaseException:
            imap.shutdown()  # refused: close the socket before the error leaves
            raise
        return imap

    def _read(self, imap: imaplib.IMAP4, inbox: Inbox) -> int:
        status, _ = imap.select(_quote(self.account.mailbox), readonly=True)
        if status != "OK":
            raise MailError("the IMAP server refused to open the mailbox")
        epoch = _uidvalidity(imap)
        cursor = inbox.cursor(self.name)
        last = cursor.position if cursor is not None and cursor.epoch == epoch else 0
        new = 0
        for uid in _uids_after(imap, last)[: self.batch]:
            size = _size(imap, uid)
            meta: dict[str, str | int] = {"transport": "imap", "uid": uid, "uidvalidity": epoch}
            if size > self.max_bytes:  # not downloaded: its header is kept, the whole stays
                meta.update(quarantine="too-large", size=size)
                raw = _fetch(imap, uid, "HEADER")
            else:
                raw = _fetch(imap, uid, "")
                meta["dkim"] = auth.check_dkim(raw, resolver=self.resolver)
            new += inbox.put(
                Inbound(raw, "email", meta), channel=self.name, cursor=Cursor(epoch, uid)
            )
        return new


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uidvalidity(imap: imaplib.IMAP4) -> int:
    _, data = imap.response("UIDVALIDITY")
    if not data or data[0] is None:
        raise MailError("the IMAP server announced no UIDVALIDITY")
    return int(data[0])


def _uids_after(imap: imaplib.IMAP4, last: int) -> list[int]:
    status, data = imap.uid("SEARCH", f"UID {last + 1}:*")
    if status != "OK":
        raise MailError("the IMAP server refused to search the mailbox")
    found = (int(uid) for uid in (data[0] or b"").split())
    return sorted(uid for uid in found if uid > last)  # "n:*" also answers the last UID


def _size(imap: imaplib.IMAP4, uid: int) -> int:
    status, data = imap.uid("FETCH", str(uid), "(RFC822.SIZE)")
    head = data[0] if status == "OK" and data else None
    match = _SIZE.search(head if isinstance(head, bytes) else b"")
    if match is None:
        raise MailError("the IMAP server gave no message size")
    return int(match.group(1))


def _fetch(imap: imaplib.IMAP4, uid: int, section: str) -> bytes:
    status, data = imap.uid("FETCH", str(uid), f"(BODY.PEEK[{section}])")
    for item in data if status == "OK" else []:
        if isinstance(item, tuple) and isinstance(item[1], bytes):
            return item[1]
    raise MailError("the IMAP server gave no message body")
