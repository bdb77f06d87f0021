"""The gate's decision, without the store: per-policy decision tables and a pure ``decide``.

Everything that depends only on lawful.yaml and the law tables — which recipient receives what
for which purpose, whether its country is adequate under each of the operator's jurisdictions,
which cross-border basis it rests on, when Roskomnadzor's waiting period ends — is worked out
once per policy into a :class:`Route` per (recipient, purpose). A decision then only looks the
route up and reads the subject's state (:class:`SubjectFacts`): a few dictionary look-ups.

Refusals carry a stable ``condition`` code naming what is missing:

``recipient-undeclared``, ``purpose-not-for-recipient``, ``category-not-declared``,
``unknown-subject``, ``subject-blocked``, ``no-legal-basis``, ``no-cross-border-basis``,
``rkn-notice-missing``, ``rkn-notice-waiting``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from lawful import law
from lawful.config.adequacy import adequacy
from lawful.config.models import Policy, Purpose, Recipient
from lawful.config.taxonomy import is_within
from lawful.consent.eligibility import decide as decide_eligibility

RU_WAIT_RULE = "cross_border_wait_non_adequate"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    condition: str
    message: str
    #: The purpose's legal basis and the cross-border basis per jurisdiction ("ru=adequacy").
    basis: str = ""
    country: str = ""


@dataclass(frozen=True)
class SubjectFacts:
    """What the gate needs to know of one subject: None for ``blocked`` if unknown."""

    blocked: bool | None
    #: purpose -> effective state of the current consent record (see consent.eligibility).
    consents: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Crossing:
    """Leaving one jurisdiction's territory: how the transfer is justified there."""

    jurisdiction: str
    #: True adequate, False not, None unconfirmed (law table and operator overrides).
    adequate: bool | None
    #: "contract" / "legal_obligation" / "adequacy" / "consent" as declared, or None.
    declared_basis: str | None
    #: Purposes with a cross-border consent that this recipient lists.
    consent_purposes: tuple[str, ...]


@dataclass
class Route:
    """Everything static about sending data to ``recipient`` for ``purpose``."""

    recipient: str
    purpose: Purpose
    country: str
    declared_categories: tuple[str, ...]
    crossings: tuple[Crossing, ...]
    #: The first instant a transfer may flow under 152-FZ Art. 12, or None if not abroad.
    rkn_not_before: datetime | None = None
    rkn_missing: bool = False
    _category_ok: dict[str, bool] = field(default_factory=dict)

    def allows(self, category: str) -> bool:
        known = self._category_ok.get(category)
        if known is None:
            known = self.purpose.uses(category) and any(
                is_within(category, declared) for declared in self.declared_categories
            )
            self._category_ok[category] = known
        return known

    def consent_purposes(self) -> set[str]:
        """Every purpose whose consent state the decision reads."""
        return {self.purpose.key, *(p for c in self.crossings for p in c.consent_purposes)}


@dataclass(frozen=True)
class DecisionTable:
    recipients: frozenset[str]
    routes: Mapping[tuple[str, str], Route]


# --- building the table ----------------------------------------------------------------------


def build_table(policy: Policy) -> DecisionTable:
    routes = {
        (key, purpose): _route(policy, key, recipient, policy.purposes[purpose])
        for key, recipient in policy.recipients.items()
        for purpose in recipient.purposes
        if purpose in policy.purposes
    }
    return DecisionTable(frozenset(policy.recipients), routes)


def _route(policy: Policy, key: str, recipient: Recipient, purpose: Purpose) -> Route:
    country = recipient.country.upper()
    jurisdictions = policy.operator.jurisdictions
    consent_purposes = tuple(
        p
        for p in recipient.purposes
        if p in policy.purposes
        and (c := policy.purposes[p].consent) is not None
        and c.kind == "cross_border"
    )
    crossings = tuple(
        Crossing(j, adequacy(policy, j, country), recipient.transfer_basis, consent_purposes)
        for j in jurisdictions
        if _abroad(j, country)
    )
    route = Route(key, purpose, country, tuple(recipient.categories), crossings)
    if "ru" in jurisdictions and _abroad("ru", country):
        _set_rkn_window(policy, recipient, route)
    return route


def _abroad(jurisdiction: str, country: str) -> bool:
    return country not in law.load_lawbook().jurisdictions[jurisdiction].adequacy.domestic


def _set_rkn_window(policy: Policy, recipient: Recipient, route: Route) -> None:
    """152-FZ Art. 12(3)-(5): notice before the first transfer; to a country without adequate
    protection, nothing flows until the 10 working days after filing have passed. An
    unconfirmed adequacy counts as not adequate here: waiting is the safe reading."""
    filed = recipient.rkn_notice_filed
    if filed is None:
        route.rkn_missing = True
        return
    zone = ZoneInfo(policy.operator.timezone)
    start = datetime.combine(filed, time.min, tzinfo=zone)
    if adequacy(policy, "ru", route.country) is True:
        route.rkn_not_before = start
    else:
        route.rkn_not_before = law.due("ru", RU_WAIT_RULE, start, tz=policy.operator.timezone)


# --- deciding ------------------------------------------------------------------------------


def _refuse(condition: str, message: str) -> Decision:
    return Decision(False, condition, message)


def decide(
    table: DecisionTable,
    recipient: str,
    purpose: str,
    categories: Sequence[str],
    facts: SubjectFacts,
    now: datetime,
    *,
    rights: bool = False,
) -> Decision:
    """May data of these ``categories`` go to ``recipient`` for ``purpose`` now?

    ``rights``: the call carries out the subject's own request (access, rectification,
    erasure, blocking) in a system the data already went to. The law requires it whatever
    the purpose's basis is now — a blocked subject, a withdrawn consent — so only the route
    and its categories are checked, and the basis is the legal obligation."""
    route = table.routes.get((recipient, purpose))
    if route is None:
        return _unrouted(table, recipient, purpose)
    if not categories:
        return _refuse("category-not-declared", "name the categories of data to transfer")
    for category in categories:
        if not route.allows(category):
            return _refuse(
                "category-not-declared",
                f"category {category!r} is not declared for recipient {recipient!r} "
                f"and purpose {purpose!r}",
            )
    if rights:  # also for a person only the recipient knows: the request must reach them
        return Decision(True, "allowed", "allowed", RIGHTS_BASIS, route.country)
    if facts.blocked is None:
        return _refuse("unknown-subject", "no such subject")
    if facts.blocked:
        return _refuse("subject-blocked", "the subject's processing is blocked")
    eligible = decide_eligibility(route.purpose, facts.consents.get(purpose))
    if not eligible.allowed:
        return _refuse(
            "no-legal-basis", f"purpose {purpose!r} has no legal basis now ({eligible.reason})"
        )
    return _cross_border(route, facts, now, route.purpose.legal_basis)


#: The basis logged for a transfer that carries out the subject's own request.
RIGHTS_BASIS = "legal_obligation: the data subject's request (152-FZ Art. 14, 20, 21; GDPR Art. 19)"


def _unrouted(table: DecisionTable, recipient: str, purpose: str) -> Decision:
    if recipient not in table.recipients:
        return _refuse("recipient-undeclared", f"recipient {recipient!r} is not declared")
    return _refuse(
        "purpose-not-for-recipient",
        f"recipient {recipient!r} is not declared for purpose {purpose!r}",
    )


def _cross_border(route: Route, facts: SubjectFacts, now: datetime, basis: str) -> Decision:
    parts = [basis]
    for crossing in route.crossings:
        found = _crossing_basis(crossing, facts)
        if found is None:
            return _refuse(
                "no-cross-border-basis",
                f"{route.country} is not adequate under {crossing.jurisdiction} law "
                f"(or not confirmed) and there is no cross-border consent or contract basis "
                f"for recipient {route.recipient!r}",
            )
        parts.append(f"{crossing.jurisdiction}={found}")
    if route.rkn_missing:
        return _refuse(
            "rkn-notice-missing",
            f"the cross-border notice to Roskomnadzor for recipient {route.recipient!r} "
            "is not filed (rkn_notice_filed in lawful.yaml)",
        )
    if route.rkn_not_before is not None and now < route.rkn_not_before:
        return _refuse(
            "rkn-notice-waiting",
            f"Roskomnadzor's review period for recipient {route.recipient!r} runs until "
            f"{route.rkn_not_before.isoformat()} (152-FZ Art. 12)",
        )
    return Decision(True, "allowed", "allowed", "; ".join(parts), route.country)


def _crossing_basis(crossing: Crossing, facts: SubjectFacts) -> str | None:
    declared = crossing.declared_basis
    if declared == "consent":
        # The operator told people this transfer rests on their consent: withdrawing it
        # stops the transfer even where the country might be adequate.
        return _given_consent(crossing.consent_purposes, facts)
    if declared in ("contract", "legal_obligation"):
        return declared
    if crossing.adequate is True:
        return "adequacy"
    return _given_consent(crossing.consent_purposes, facts)


def _given_consent(purposes: Iterable[str], facts: SubjectFacts) -> str | None:
    for purpose in purposes:
        if facts.consents.get(purpose) == "given":
            return f"consent:{purpose}"
    return None
