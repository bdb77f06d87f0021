"""The request form of each right: which fields it has, and reading them into an Intake.

Reading never stores anything: it returns either the :class:`~lawful.requests.service.Intake`
to submit or the errors, one per field, that the page shows next to the fields. The messages
are English msgids, translated by the template; the values are never put in a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import get_args

from email_validator import EmailNotValidError, validate_email

from lawful.config.models import Policy, localised
from lawful.requests import service
from lawful.web.routes.requests import Kind

#: The rights in the order the portal lists them: the public API's kinds.
RIGHTS: tuple[str, ...] = get_args(Kind)
#: Rights that ask for details beyond the address (field names as lawful.requests names them).
DETAILS: dict[str, tuple[str, ...]] = {
    "rectification": ("details.category", "details.value"),
    "withdrawal": ("purpose",),
    "distribution_stop": ("details.full_name", "details.contact", "details.data"),
}
MAX_EMAIL = 320
MAX_DETAIL = 1000
MAX_MESSAGE = 10_000
ALL_PURPOSES = "*"

REQUIRED = "Please fill in this field."
BAD_EMAIL = "Enter an e-mail address such as name@example.org."
TOO_LONG = "This is too long."
NOT_LISTED = "Choose one of the options listed."


@dataclass
class Reading:
    """What the form said: the values to show again, and the errors per field."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    intake: service.Intake | None = None


def fields_of(kind: str) -> tuple[str, ...]:
    return ("email", *DETAILS.get(kind, ()), "message")


def categories(policy: Policy, language: str) -> list[tuple[str, str]]:
    """(key, label) of the categories a rectification may name."""
    return [
        (key, (localised(c.name, language) if c.name else None) or key)
        for key, c in policy.categories.items()
    ]


def consent_purposes(policy: Policy, language: str) -> list[tuple[str, str]]:
    """(key, name) of the purposes that rest on consent, which a withdrawal may name."""
    return [
        (key, localised(p.name, language) or key)
        for key, p in policy.purposes.items()
        if p.consent is not None
    ]


def read(kind: str, form: Mapping[str, str], policy: Policy, language: str) -> Reading:
    """Check the form of right ``kind``; an Intake only when every field is right."""
    values = {name: str(form.get(name, "")).strip() for name in fields_of(kind)}
    reading = Reading(values)
    email = check_email(values["email"], reading)
    for name in DETAILS.get(kind, ()):
        if not values[name]:
            reading.errors[name] = REQUIRED
        elif len(values[name]) > MAX_DETAIL:
            reading.errors[name] = TOO_LONG
    if len(values["message"]) > MAX_MESSAGE:
        reading.errors["message"] = TOO_LONG
    if kind == "rectification" and values["details.category"] not in ("", *policy.categories):
        reading.errors["details.category"] = NOT_LISTED
    purpose = values.get("purpose") or None
    allowed = {key for key, _ in consent_purposes(policy, language)} | {ALL_PURPOSES}
    if kind == "withdrawal" and purpose is not None and purpose not in allowed:
        reading.errors["purpose"] = NOT_LISTED
    if reading.errors or email is None:
        return reading
    reading.intake = service.Intake(
        kind=kind,
        identifier_kind="email",
        identifier=email,
        language=language if language in service.LANGUAGES else "en",
        channel="portal",
        message=values["message"],
        purpose=None if purpose in (None, ALL_PURPOSES) else purpose,
        details={
            name.removeprefix("details."): values[name]
            for name in DETAILS.get(kind, ())
            if name.startswith("details.")
        },
    )
    return reading


def check_email(text: str, reading: Reading) -> str | None:
    if not text:
        reading.errors["email"] = REQUIRED
        return None
    if len(text) > MAX_EMAIL:
        reading.errors["email"] = TOO_LONG
        return None
    try:
        return str(validate_email(text, check_deliverability=False).normalized)
    except EmailNotValidError:
        reading.errors["email"] = BAD_EMAIL
        return None
