"""Normalise identifiers before blind indexing, so that equal identifiers find one subject."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from lawful.errors import PolicyViolation

IDENTIFIER_KINDS = ("email", "phone", "telegram", "whatsapp", "kommo", "external")


def normalise_identifier(kind: str, value: str, *, default_region: str | None = None) -> str:
    """Return the canonical form of an identifier, or raise ``PolicyViolation`` naming the kind
    (never the value: it is personal data)."""
    value = value.strip()
    if kind == "email":
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
