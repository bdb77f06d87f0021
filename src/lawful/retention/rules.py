"""Each purpose's retention rule as a test on one value: has it outlived its purpose at
``as_of``? The facts a rule needs (last interaction, purpose-achieved events, withdrawals) are
gathered per batch by :mod:`lawful.retention.sweep`; this module only decides."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from lawful.config.models import Policy, Purpose, Retention
from lawful.consent.service import destruction_due


@dataclass(frozen=True)
class Facts:
    """What is known about one subject, beyond the value itself."""

    last_interaction: datetime
    #: event name -> when it last happened.
    events: Mapping[str, datetime]
    #: purpose -> when its consent was withdrawn or expired (current decision only).
    withdrawn: Mapping[str, datetime]


def minus_period(at: datetime, rule: Retention) -> datetime:
    """``at`` moved back by the rule's period (calendar months and years, not 30-day ones)."""
    if rule.days is not None:
        return at - timedelta(days=rule.days)
    months = (rule.months or 0) + 12 * (rule.years or 0)
    if not months:
        return at
    index = at.year * 12 + at.month - 1 - months
    year, month = divmod(index, 12)
    day = min(at.day, calendar.monthrange(year, month + 1)[1])
    return at.replace(year=year, month=month + 1, day=day)


def describe(rule: Retention) -> str:
    """The rule in a few words, for the act's reason and the sweep's report."""
    span = next(
        (
            f"{n} {unit}"
            for n, unit in ((rule.days, "days"), (rule.months, "months"), (rule.years, "years"))
            if n is not None
        ),
        "",
    )
    grace = f" + {rule.grace_days} days" if rule.grace_days else ""
    anchors = {
        "since_collection": f"{span} since collection",
        "since_last_interaction": f"{span} since last interaction",
        "until_withdrawal": "consent withdrawn",
        "until_event": f"{rule.event}" + (f" + {span}" if span else ""),
        "legal_period": f"legal period of {span}"
        + (f" after {rule.event}" if rule.event else " since collection"),
    }
    return anchors[rule.kind] + grace


@dataclass(frozen=True)
class Rule:
    """A purpose's retention evaluated at one instant: the cut-off each anchor must precede."""

    policy: Policy
    purpose: Purpose
    retention: Retention
    as_of: datetime

    @cached_property
    def cutoff(self) -> datetime:
        """Anchors before this instant have expired (period and grace both run out by as_of)."""
        return minus_period(self.as_of - timedelta(days=self.retention.grace_days), self.retention)

    @cached_property
    def reason(self) -> str:
        return describe(self.retention)

    @cached_property
    def by_collection(self) -> bool:
        """True when each value's own collection time decides (a test the database can run);
        otherwise a fact about the subject does (:meth:`subject_expired`)."""
        kind = self.retention.kind
        return kind == "since_collection" or (kind == "legal_period" and not self.retention.event)

    def subject_expired(self, facts: Facts) -> bool:
        """For rules anchored on the subject: has the anchor run out?"""
        kind = self.retention.kind
        if kind == "since_last_interaction":
            return facts.last_interaction < self.cutoff
        if kind == "until_withdrawal":
            withdrawn = facts.withdrawn.get(self.purpose.key)
            return withdrawn is not None and (
                destruction_due(self.policy, self.purpose, withdrawn) <= self.as_of
            )
        happened = facts.events.get(self.retention.event or "")
        return happened is not None and happened < self.cutoff


def rules_of(policy: Policy, as_of: datetime) -> dict[str, Rule]:
    """The purposes that have a retention rule, keyed by purpose."""
    return {
        key: Rule(policy, purpose, purpose.retention, as_of)
        for key, purpose in policy.purposes.items()
        if purpose.retention is not None
    }


def declared_events(policy: Policy) -> set[str]:
    """Purpose-achieved events some purpose's retention waits for."""
    return {
        p.retention.event
        for p in policy.purposes.values()
        if p.retention is not None and p.retention.event
    }
