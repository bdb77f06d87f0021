"""Normalise identifiers before blind indexing, so that equal identifiers find one subject."""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from lawful.errors import PolicyViolation

IDENTIFIER_KINDS = ("email", "phone", "telegram", "whatsapp", "kommo", "external")

# The common, plain ASCII address, which email-validator would accept and only lower-case.
# Anything else (Unicode, quoted parts, IP literals, special-use domains) takes the full
# validator: this is a shortcut for bulk work, never a second definition of validity.
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)
_SPECIAL_USE_TLDS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def _plain_email(value: str) -> str | None:
    folded = value.casefold()
    if not folded.isascii() or len(folded) > 254 or not _PLAIN_EMAIL.fullmatch(folded):
        return None
    local, _, domain = folded.partition("@")
    # "--" in a domain label is reserved (IDNA "xn--" punycode and friends): the validator
    # decodes or refuses such labels, so leave them to it.
    if len(local) > 64 or "--" in domain or domain.rsplit(".", 1)[-1] in _SPECIAL_USE_TLDS:
        return None
    return folded


def normalise_identifier(kind: str, value: str, *, default_region: str | None = None) -> str:
    """Return the canonical form of an identifier, or raise ``PolicyViolation`` naming the kind
    (never the value: it is personal data)."""
    value = value.strip()
    if kind == "email":
        if (plain := _plain_email(value)) is not None:
            return plain
        try:
            checked = validate_email(value, check_deliverability=False)
        except EmailNotValidError:
            raise PolicyViolation("not a valid e-mail address", field="email") from None
        return checked.normalized.casefold()
    if kind == "phone":
        return _normalise_phone(value, default_region)
    if kind in IDENTIFIER_KINDS:
        if not value:
            raise PolicyViolation(f"empty {kind} identifier", field=kind)
        return value.casefold().removeprefix("@") if kind == "telegram" else value
    raise PolicyViolation(
        f"unknown identifier kind {kind!r}; use one of {', '.join(IDENTIFIER_KINDS)}", field="kind"
    )


def _normalise_phone(value: str, default_region: str | None) -> str:
    try:
        number = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException:
        raise PolicyViolation("not a phone number", field="phone") from None
    if not phonenumbers.is_possible_number(number):
        raise PolicyViolation("not a possible phone number", field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
