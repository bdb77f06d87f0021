"""Helpers of the mail channel tests: an outbox that keeps what is sent, messages, and a
sender domain whose DKIM key and SPF records a resolver hook serves (no DNS)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from email.message import EmailMessage

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lawful.mail import Mail

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MAILBOX = "privacy@liniya-i-tsvet.example"
SENDER = "ivan.sidorov@sender.example"


class Outbox:
    def __init__(self) -> None:
        self.sent: list[Mail] = []

    def send(self, mail: Mail) -> None:
        self.sent.append(mail)


def eml(sender: str, subject: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"Someone <{sender}>"
    message["To"] = MAILBOX
    message["Subject"] = subject
    message.set_content(body)
    return message.as_bytes()


def _key() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, base64.b64encode(public).decode()


PRIVATE_KEY, PUBLIC_KEY = _key()
#: What the senders' domains publish: the DKIM key, and who may send for them by SPF.
DNS = {
    ("mail._domainkey.sender.example", "TXT"): [f"v=DKIM1; k=rsa; p={PUBLIC_KEY}"],
    ("sender.example", "TXT"): ["v=spf1 ip4:127.0.0.1 -all"],
    ("elsewhere.example", "TXT"): ["v=spf1 ip4:192.0.2.10 -all"],
    ("by-mx.example", "TXT"): ["v=spf1 mx -all"],
    ("by-mx.example", "MX"): ["10 relay.by-mx.example"],
    ("relay.by-mx.example", "A"): ["127.0.0.1"],
}


def resolver(name: str, rrtype: str) -> list[str]:
    return DNS.get((name, rrtype), [])


def letter(subject: str, body: str, *, sender: str = SENDER) -> bytes:
    return (
        f"From: Ivan <{sender}>\r\nTo: {MAILBOX}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject.encode().hex()}@sender.example>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def signed(raw: bytes) -> bytes:
    headers = [b"from", b"to", b"subject", b"message-id"]
    return dkim.sign(raw, b"mail", b"sender.example", PRIVATE_KEY, include_headers=headers) + raw
