"""Normalise identifiers before blind indexing, so that equal identifiers find one subject."""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from lawful.errors import PolicyViolation

IDENTIFIER_KINDS = (
    "email",
    "phone",
    "telegram",
    "whatsapp",
    "kommo",
    "external",
    "web_chat",
)

# A plain dot-atom address of at most 64 characters before the @, on a plain ASCII host name
# without "--" (IDNA and its look-alikes) and outside email-validator's special-use names
# (RFC 6761 and others): email-validator accepts it and its normalised form is the address
# lower-cased. Anything else takes the full validator: this is a shortcut for bulk work
# (imports, eligibility of a million addresses), never a second definition of validity.
_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
PLAIN_EMAIL = re.compile(
    rf"(?=[^@]{{1,64}}@){_ATOM}(?:\.{_ATOM})*@(?!.*--)(?:{_LABEL}\.)+"
    r"(?!(?:arpa|invalid|local|localhost|onion|test)\Z)[a-z]{2,63}"
)


def plain_email(value: str) -> str | None:
    """The normalised form of a plain ASCII address, or None when the full validator must
    decide (Unicode, quoted local parts, IDNA labels, special-use domains, long addresses)."""
    folded = value.strip().lower()
    if folded.isascii() and len(folded) <= 254 and PLAIN_EMAIL.fullmatch(folded):
        return folded
    return None


def normalise_identifier(kind: str, value: str, *, default_region: str | None = None) -> str:
    """Return the canonical form of an identifier, or raise ``PolicyViolation`` naming the kind
    (never the value: it is personal data)."""
    value = value.strip()
    if kind == "email":
        if (plain := plain_email(value)) is not None:
            return plain
        try:
            checked = validate_email(value, check_deliverability=False)
        except EmailNotValidError:
            raise PolicyViolation(
                "not a valid e-mail address", field="email", reason="invalid-email"
            ) from None
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
        raise PolicyViolation("not a phone number", field="phone", reason="invalid-phone") from None
    if not phonenumbers.is_possible_number(number):
        raise PolicyViolation("not a possible phone number", field="phone", reason="invalid-phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
