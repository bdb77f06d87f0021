"""Adequacy of a destination as this operator must treat it: the law tables' answer, with the
operator's ``adequacy_overrides`` filling the gaps the research left (used by the transfer gate
and by ``lawful check``)."""

from __future__ import annotations

from lawful import law
from lawful.config.models import Policy


def adequacy(policy: Policy, jurisdiction: str, country: str) -> bool | None:
    """True adequate, False not, None unconfirmed.

    An override may mark any country not adequate (stricter is always allowed), but may mark
    one adequate only where the law table could not say (``None``)."""
    known = law.adequate(jurisdiction, country)
    override = next((o for j, o in policy.adequacy_overrides.items() if j == jurisdiction), None)
    if override is None:
        return known
    code = country.upper()
    if code in override.not_adequate:
        return False
    if known is None and code in override.adequate:
        return True
    return known
