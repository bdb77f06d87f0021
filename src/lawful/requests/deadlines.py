"""Which time limits run on a request, and when each falls due.

For every kind of request this module names, per jurisdiction, the rule of the law tables that
sets each deadline (acknowledge, block, answer). The operator's jurisdictions are all applied
and the earliest date wins; the operator's own figure (``law_overrides``) fills a gap the law
tables leave, and a published promise (``promises``) wins when it is stricter. A figure nobody
has confirmed is never guessed: the deadline is then "at once", the strictest reading, with
the reason in its source, until the operator records a figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from lawful import law
from lawful.config.models import Deadline, Policy
from lawful.errors import InvalidTransition, NeedsDecision
from lawful.law import RuleOverride

#: Law triggers that start the clock at the request's confirmation, not its receipt.
CONFIRMATION_TRIGGERS = frozenset({"confirming_info_received", "request_confirmed"})

RuleMap = Mapping[str, str]

_ACKNOWLEDGE: RuleMap = {"vn": "subject_request_acknowledge"}
_ANSWER: RuleMap = {
    "ru": "subject_access_response",
    "kz": "subject_access_response",
    "ge": "subject_access_response",
    "vn": "access_rectification_provision",
    "eu": "subject_request_response",
}
_VN_15 = {"vn": "withdrawal_restriction_objection"}

#: kind -> deadline name -> jurisdiction -> rule. A jurisdiction missing from a specific map
#: falls back to its general answer rule (``_ANSWER``).
TABLE: dict[str, dict[str, RuleMap]] = {
    "access": {"acknowledge": _ACKNOWLEDGE, "answer": _ANSWER},
    "transfer_info": {"acknowledge": _ACKNOWLEDGE, "answer": _ANSWER},
    "portability": {"acknowledge": _ACKNOWLEDGE, "answer": _ANSWER},
    # RU Art. 21(1): data said to be inaccurate are blocked for the time they are checked.
    "rectification": {
        "acknowledge": _ACKNOWLEDGE,
        "block": {"ru": "block_on_request"},
        "answer": {**_ANSWER, "ru": "rectification"},
    },
    "restriction": {
        "acknowledge": _ACKNOWLEDGE,
        "block": {"ru": "block_on_request"},
        "answer": {**_ANSWER, **_VN_15},
    },
    "unblocking": {"acknowledge": _ACKNOWLEDGE, "answer": _ANSWER},
    "erasure": {
        "acknowledge": _ACKNOWLEDGE,
        "answer": {
            **_ANSWER,
            "ru": "destroy_after_withdrawal",
            "kz": "deletion_on_request",
            "vn": "deletion",
        },
    },
    "withdrawal": {
        "acknowledge": _ACKNOWLEDGE,
        "answer": {**_ANSWER, "ru": "destroy_after_withdrawal", **_VN_15},
    },
    "objection": {
        "acknowledge": _ACKNOWLEDGE,
        "answer": {
            **_ANSWER,
            "ru": "stop_processing_on_demand",
            "ge": "direct_marketing_stop",
            **_VN_15,
        },
    },
    "distribution_stop": {
        "acknowledge": _ACKNOWLEDGE,
        "answer": {**_ANSWER, "ru": "distribution_stop_on_demand"},
    },
}
KINDS: tuple[str, ...] = tuple(TABLE)


@dataclass(frozen=True)
class Planned:
    """One computed deadline and what set it."""

    name: str
    due_at: datetime
    jurisdiction: str | None
    rule: str | None
    source: str


def plan(
    policy: Policy,
    kind: str,
    *,
    received_at: datetime,
    confirmed_at: datetime | None = None,
    extended: bool = False,
) -> list[Planned]:
    """Every deadline of a request of ``kind``; the strictest jurisdiction wins each one."""
    plans = []
    for name, rules in TABLE[kind].items():
        planned = strictest(policy, name, rules, received_at, confirmed_at, extended)
        if planned is not None:
            plans.append(planned)
    return plans


def strictest(
    policy: Policy,
    name: str,
    rules: RuleMap,
    received_at: datetime,
    confirmed_at: datetime | None,
    extended: bool,
) -> Planned | None:
    """The earliest deadline ``name`` among the operator's jurisdictions that have a rule."""
    found: list[Planned] = []
    undecided: list[str] = []
    for jurisdiction in policy.operator.jurisdictions:
        rule_name = rules.get(jurisdiction)
        if rule_name is None:
            continue
        try:
            found += _candidates(
                policy, name, jurisdiction, rule_name, received_at, confirmed_at, extended
            )
        except NeedsDecision:
            undecided.append(
                f"{jurisdiction}/{rule_name} ({law.source_of(jurisdiction, rule_name)})"
            )
    if undecided:
        # The law's figure is unknown and the operator has not set one: the strictest reading.
        found.append(
            Planned(
                name,
                received_at,
                None,
                None,
                "at once: figure unconfirmed for " + "; ".join(undecided),
            )
        )
    return min(found, key=lambda p: p.due_at) if found else None


def _candidates(
    policy: Policy,
    name: str,
    jurisdiction: str,
    rule_name: str,
    received_at: datetime,
    confirmed_at: datetime | None,
    extended: bool,
) -> list[Planned]:
    rule = law.rule(jurisdiction, rule_name)
    tz = policy.operator.timezone
    own = policy.law_overrides.get(jurisdiction, {}).get(rule_name)
    start = _start(rule.trigger, received_at, confirmed_at)
    extend = extended and rule.extendable_by is not None
    promise = policy.promises.get(rule_name)
    found: list[Planned] = []
    try:
        due = law.due(
            jurisdiction, rule_name, start, tz=tz, override=_override(own), extended=extend
        )
        source = own.source if own and own.source else rule.source
        found.append(Planned(name, due.astimezone(UTC), jurisdiction, rule_name, source))
    except NeedsDecision:
        if promise is None:
            raise  # nobody has a figure: the caller falls back to "at once"
    if promise is not None:
        promised_start = _start(promise.trigger, received_at, confirmed_at)
        at = law.due(jurisdiction, rule_name, promised_start, tz=tz, override=_override(promise))
        found.append(
            Planned(
                name,
                at.astimezone(UTC),
                jurisdiction,
                rule_name,
                f"policy promise ({promise.source or 'promises'})",
            )
        )
    return found


def _start(trigger: str | None, received_at: datetime, confirmed_at: datetime | None) -> datetime:
    if trigger in CONFIRMATION_TRIGGERS and confirmed_at is not None:
        return confirmed_at
    return received_at


def _override(deadline: Deadline | None) -> RuleOverride | None:
    return None if deadline is None else RuleOverride.model_validate(deadline.figure())


def check_extendable(planned: Planned) -> None:
    """Refuse an extension the law does not give (or a promise that does not stretch)."""
    if planned.rule is None or planned.jurisdiction is None:
        raise InvalidTransition(f"the {planned.name} deadline has no figure to extend")
    if planned.source.startswith("policy promise"):
        raise InvalidTransition(
            f"the operator's own promise sets the {planned.name} deadline; "
            "a promise is not extended"
        )
    rule = law.rule(planned.jurisdiction, planned.rule)
    if rule.extendable_by is None:
        raise InvalidTransition(
            f"{planned.jurisdiction}/{planned.rule} cannot be extended ({rule.source})"
        )
