"""Material changes: what makes a consent given under an earlier text no longer enough.

A person consented to a purpose as it was described then. If the purpose now uses a new
category of data, reaches a new recipient or a new country, or keeps data longer, that consent
did not cover it (ISO/IEC 29184 §5.5, "change of conditions"), so the consent must be asked
for again. To tell, each publication stores a *snapshot* of these facts per purpose, and the
next publication compares against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lawful.config.models import Policy, Retention

#: Upper bounds, so a change of unit never hides a longer period (12 months > 365 days).
DAYS_PER_MONTH = 31
DAYS_PER_YEAR = 366
#: Kinds with no fixed end: data live until something happens.
OPEN_ENDED = frozenset({"until_withdrawal", "until_event"})

Snapshot = dict[str, Any]


@dataclass(frozen=True)
class MaterialChange:
    purpose: str
    reason: str

    def as_json(self) -> dict[str, str]:
        return {"purpose": self.purpose, "reason": self.reason}


def snapshot(policy: Policy) -> Snapshot:
    """The facts of each purpose that a consent to it depends on, in a stable JSON shape."""
    purposes: dict[str, Any] = {}
    for key, purpose in policy.purposes.items():
        recipients = sorted(policy.recipients_for(key))
        purposes[key] = {
            "categories": sorted(purpose.categories),
            "recipients": recipients,
            "countries": sorted({policy.recipients[r].country for r in recipients}),
            "retention": retention_facts(purpose.retention),
        }
    return {"purposes": purposes}


def retention_facts(retention: Retention | None) -> dict[str, Any]:
    """Kind, the period in days (an upper bound; None when open-ended) and the grace days."""
    if retention is None:
        return {"kind": None, "days": None, "grace_days": 0}
    period = (
        retention.days
        or (retention.months or 0) * DAYS_PER_MONTH
        or (retention.years or 0) * DAYS_PER_YEAR
        or None
    )
    days = None if period is None else period + retention.grace_days
    return {"kind": retention.kind, "days": days, "grace_days": retention.grace_days}


def material_changes(before: Snapshot, after: Snapshot) -> list[MaterialChange]:
    """Per purpose present in both: new categories, recipients, countries; longer retention.
    A new purpose is not a change to anyone's consent: it needs a consent of its own."""
    found: list[MaterialChange] = []
    old_purposes = before.get("purposes", {})
    for key, new in after.get("purposes", {}).items():
        old = old_purposes.get(key)
        if old is None:
            continue
        for field, label in (
            ("categories", "category"),
            ("recipients", "recipient"),
            ("countries", "country"),
        ):
            for added in sorted(set(new[field]) - set(old.get(field, []))):
                found.append(MaterialChange(key, f"new {label} {added}"))
        if longer(old.get("retention", {}), new["retention"]):
            found.append(MaterialChange(key, "longer retention"))
    return found


def longer(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether ``new`` may keep data longer than ``old``."""
    old_days, new_days = old.get("days"), new.get("days")
    if old_days is not None and new_days is not None:
        return bool(new_days > old_days)
    if old_days is not None:  # from a fixed period to an open-ended one
        return True
    if new_days is not None:  # from open-ended to a fixed period: shorter or equal
        return False
    same_kind = old.get("kind") == new.get("kind")
    return not same_kind or int(new.get("grace_days", 0)) > int(old.get("grace_days", 0))
