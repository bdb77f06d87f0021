"""What a published document says, computed from the policy for one language.

The templates only arrange words around these facts; every decision about *what* to state
(which recipients are abroad, which deadlines the law sets, which rights apply, whether a
consent involves third parties) is made here, once, so the English and the Russian texts can
never disagree on a fact. Everything is in the policy's own order, so the same policy always
yields the same text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lawful import law
from lawful.config import taxonomy
from lawful.config.models import (
    ANY_LANGUAGE,
    Deadline,
    Policy,
    Purpose,
    Recipient,
    Retention,
    localised,
)
from lawful.errors import NotFound
from lawful.law.models import Rule

#: Rights in the order the policy lists them.
RIGHTS_ORDER = (
    "access",
    "rectification",
    "restriction",
    "erasure",
    "withdrawal",
    "objection",
    "distribution_stop",
    "transfer_info",
    "portability",
)
#: Law rules a data subject can rely on: started by the subject or by the end of a purpose.
SUBJECT_TRIGGERS = frozenset(
    {
        "request_received",
        "confirming_info_received",
        "demand_received",
        "withdrawal_received",
        "purpose_achieved",
        "evidence_received",
        "consent_received",
    }
)
DISTRIBUTION_RULES = frozenset({"distribution_publish_conditions", "distribution_stop_on_demand"})


_MARKDOWN_SPECIAL = frozenset("\\`*_[]<>|#&~!")


def md(value: str | None) -> str:
    """``value`` as literal Markdown text: operator-written words cannot open a link, a table
    cell or raw HTML in the published document. One line: newlines become spaces."""
    if not value:
        return ""
    flat = " ".join(value.split())
    return "".join(f"\\{ch}" if ch in _MARKDOWN_SPECIAL else ch for ch in flat)


def said(value: dict[str, str] | None, language: str) -> str:
    """The localised text, escaped for Markdown."""
    return md(text(value, language))


def text(value: dict[str, str] | None, language: str) -> str:
    """The localised text for ``language``, else English, else any: a document never shows a
    blank where the operator wrote the text in another language only."""
    if not value:
        return ""
    found = localised(value, language) or localised(value, "en")
    return found or value.get(ANY_LANGUAGE) or next(iter(value.values()))


@dataclass(frozen=True)
class Period:
    """A time limit as a document states it (one of days, hours, months; or immediately)."""

    days: int | None = None
    hours: int | None = None
    months: int | None = None
    unit: str | None = None
    immediate: bool = False
    extendable_by: int | None = None


@dataclass(frozen=True)
class CategoryView:
    key: str
    name: str
    special: bool


@dataclass(frozen=True)
class RecipientView:
    key: str
    name: str
    role: str
    country: str
    abroad: bool
    purposes: list[str]
    categories: list[str]
    safeguards: list[str]
    transfer_basis: str | None
    description: str
    #: jurisdiction -> True / False / None (``lawful.law.adequate``).
    adequacy: dict[str, bool | None]


@dataclass(frozen=True)
class DistributionRow:
    category: str
    permitted: bool
    prohibit_transfer: bool
    prohibit_processing: bool
    conditions: str


@dataclass(frozen=True)
class ConsentView:
    kind: str
    text: str
    term: str | None
    obtained_by: str
    third_parties: bool
    cross_border: bool
    public: bool
    distribution: list[DistributionRow]


@dataclass(frozen=True)
class PurposeView:
    key: str
    name: str
    description: str
    legal_basis: str
    subjects: list[str]
    categories: list[str]
    retention: Retention | None
    recipients: list[RecipientView]
    consent: ConsentView | None

    @property
    def document(self) -> str:
        return f"consent-{self.key}"


@dataclass(frozen=True)
class DeadlineView:
    """A deadline with what it is about: an operator's promise or a rule of law."""

    name: str
    summary: str
    period: Period
    source: str
    jurisdiction: str | None = None
    operators_figure: bool = False


@dataclass(frozen=True)
class OperatorView:
    name: str
    legal_form: str | None
    registration: list[tuple[str, str]]
    address: str
    country: str
    website: str | None
    email: str | None
    phone: str | None
    requests_email: str | None
    dpo_name: str | None
    dpo_email: str | None
    jurisdictions: list[str]


@dataclass(frozen=True)
class DocumentFacts:
    """Everything one language's documents may state, precomputed from the policy."""

    language: str
    operator: OperatorView
    categories: list[CategoryView]
    purposes: list[PurposeView]
    recipients: list[RecipientView]
    rights: list[tuple[str, list[str]]]
    request_channels: list[tuple[str, str]]
    promises: list[DeadlineView]
    law_deadlines: list[DeadlineView]
    special_declared: bool
    laws: list[tuple[str, str]]
    taxonomy_attribution: str = field(default_factory=taxonomy.attribution)

    @property
    def abroad(self) -> list[RecipientView]:
        return [r for r in self.recipients if r.abroad]

    @property
    def consent_purposes(self) -> list[PurposeView]:
        return [p for p in self.purposes if p.consent is not None]

    @property
    def distribution_purposes(self) -> list[PurposeView]:
        return [p for p in self.purposes if p.consent and p.consent.public]


# --- building the facts --------------------------------------------------------------------


def facts(policy: Policy, language: str) -> DocumentFacts:
    """The facts of ``policy`` worded for ``language`` (names, consent texts)."""
    recipients = {key: _recipient(policy, key, r, language) for key, r in policy.recipients.items()}
    purposes = [_purpose(policy, p, language, recipients) for p in policy.purposes.values()]
    return DocumentFacts(
        language=language,
        operator=_operator(policy, language),
        categories=[_category(policy, key, language) for key in policy.categories],
        purposes=purposes,
        recipients=list(recipients.values()),
        rights=_rights(policy, purposes, list(recipients.values())),
        request_channels=[
            (c.kind, c.address) for c in policy.channels.values() if c.accepts_requests
        ],
        promises=[_promise(policy, key, d) for key, d in policy.promises.items()],
        law_deadlines=_law_deadlines(policy, any(p.consent and p.consent.public for p in purposes)),
        special_declared=any(c.special for c in policy.categories.values()),
        laws=_laws(policy),
    )


def _laws(policy: Policy) -> list[tuple[str, str]]:
    """(jurisdiction, the law's name as the law tables give it) for each jurisdiction."""
    book = law.load_lawbook().jurisdictions
    return [(j, md(book[j].law)) for j in policy.operator.jurisdictions if j in book]


def _operator(policy: Policy, language: str) -> OperatorView:
    op = policy.operator
    return OperatorView(
        name=said(op.legal_name, language),
        legal_form=md(op.legal_form),
        registration=[(key, md(value)) for key, value in op.registration.items()],
        address=said(op.address, language),
        country=op.country,
        website=op.website,
        email=op.contacts.email,
        phone=md(op.contacts.phone),
        requests_email=op.requests_email or op.contacts.email,
        dpo_name=md(op.dpo.name) if op.dpo else None,
        dpo_email=op.dpo.email if op.dpo else None,
        jurisdictions=list(op.jurisdictions),
    )


def category_name(policy: Policy, key: str, language: str) -> str:
    """The operator's own name for the category, else fideslang's, else its key."""
    declared = policy.categories.get(key)
    if declared is not None and declared.name:
        return said(declared.name, language)
    known = taxonomy.keys("data_category").get(key)
    if known:
        return md(known["name"])
    if declared is not None and declared.description:
        return md(declared.description)
    return md(key)


def _category(policy: Policy, key: str, language: str) -> CategoryView:
    return CategoryView(key, category_name(policy, key, language), policy.categories[key].special)


def _recipient(policy: Policy, key: str, r: Recipient, language: str) -> RecipientView:
    abroad = r.country != policy.operator.country
    names = policy.purposes
    adequacy = {j: _adequate(j, r.country) for j in policy.operator.jurisdictions} if abroad else {}
    return RecipientView(
        key=key,
        name=md(r.name),
        role=r.role,
        country=r.country,
        abroad=abroad,
        purposes=[said(names[p].name, language) for p in r.purposes if p in names],
        categories=[category_name(policy, c, language) for c in r.categories],
        safeguards=[md(s) for s in r.safeguards],
        transfer_basis=r.transfer_basis,
        description=said(r.description, language),
        adequacy=adequacy,
    )


def _adequate(jurisdiction: str, country: str) -> bool | None:
    try:
        return law.adequate(jurisdiction, country)
    except NotFound:  # an unknown jurisdiction or country: a person must assess it
        return None


def _purpose(
    policy: Policy, p: Purpose, language: str, recipients: dict[str, RecipientView]
) -> PurposeView:
    own = [recipients[key] for key in policy.recipients_for(p.key)]
    return PurposeView(
        key=p.key,
        name=said(p.name, language),
        description=said(p.description, language),
        legal_basis=p.legal_basis,
        subjects=list(p.subjects),
        categories=[category_name(policy, c, language) for c in p.categories],
        retention=p.retention,
        recipients=own,
        consent=_consent(policy, p, language, own),
    )


def _consent(
    policy: Policy, p: Purpose, language: str, own: list[RecipientView]
) -> ConsentView | None:
    if p.consent is None:
        return None
    rows = [
        DistributionRow(
            category=category_name(policy, key, language),
            permitted=terms.permitted,
            prohibit_transfer=terms.prohibit_transfer,
            prohibit_processing=terms.prohibit_processing,
            conditions=said(terms.conditions, language),
        )
        for key, terms in p.consent.distribution.items()
    ]
    return ConsentView(
        kind=p.consent.kind,
        text=said(p.consent.text, language),
        term=md(p.consent.term) or None,
        obtained_by=p.consent.obtained_by,
        third_parties=any(r.role != "processor" for r in own),
        cross_border=any(r.abroad for r in own) or p.consent.kind == "cross_border",
        public=p.is_distribution,
        distribution=rows,
    )


def _rights(
    policy: Policy, purposes: list[PurposeView], recipients: list[RecipientView]
) -> list[tuple[str, list[str]]]:
    """Rights every subject has, plus those the processing brings (consent, publication,
    transfers abroad, portability under the GDPR), each with its published request phrases."""
    applies = {"access", "rectification", "restriction", "erasure", "objection"}
    applies |= {"withdrawal"} if any(p.consent for p in purposes) else set()
    if any(p.consent and p.consent.public for p in purposes):
        applies.add("distribution_stop")
    applies |= {"transfer_info"} if any(r.abroad for r in recipients) else set()
    applies |= {"portability"} if "eu" in policy.operator.jurisdictions else set()
    phrases: dict[str, list[str]] = {
        right: [md(p) for p in listed] for right, listed in policy.request_phrases.items()
    }
    applies |= set(phrases)
    return [(right, phrases.get(right, [])) for right in RIGHTS_ORDER if right in applies]


def _period(d: Deadline) -> Period:
    return Period(days=d.days, hours=d.hours, months=d.months, unit=d.unit)


def _promise(policy: Policy, key: str, d: Deadline) -> DeadlineView:
    return DeadlineView(
        name=key, summary=md(_summary(policy, key)), period=_period(d), source=md(d.source)
    )


def _summary(policy: Policy, rule_name: str) -> str:
    """The law table's English summary of a rule of that name, if any jurisdiction has one."""
    for j in policy.operator.jurisdictions:
        try:
            return law.rule(j, rule_name).summary
        except NotFound:
            continue
    return rule_name.replace("_", " ").capitalize()


def _law_deadlines(policy: Policy, distributes: bool) -> list[DeadlineView]:
    found: list[DeadlineView] = []
    for j in policy.operator.jurisdictions:
        try:
            rules = law.load_lawbook().jurisdictions[j].rules
        except KeyError:
            continue
        for name, rule in rules.items():
            if _subject_facing(rule) and (distributes or name not in DISTRIBUTION_RULES):
                deadline = _law_deadline(policy, j, rule)
                if deadline is not None:
                    found.append(deadline)
    return found


def _subject_facing(rule: Rule) -> bool:
    return rule.recipient is None and rule.trigger in SUBJECT_TRIGGERS and rule.before is None


def _law_deadline(policy: Policy, j: str, rule: Rule) -> DeadlineView | None:
    """The law's figure; where it is unconfirmed, the operator's recorded figure, else none
    (a published deadline is never a guess)."""
    confirmed = rule.status != "unconfirmed" and (rule.days is None or rule.unit is not None)
    if rule.immediate or (confirmed and rule.has_figure):
        period = Period(
            days=rule.days,
            hours=rule.hours,
            months=rule.months,
            unit=rule.unit,
            immediate=rule.immediate,
            extendable_by=rule.extendable_by,
        )
        return DeadlineView(rule.name, md(rule.summary), period, md(law.source_of(j, rule.name)), j)
    override = policy.law_overrides.get(j, {}).get(rule.name)
    if override is None:
        return None
    source = md(law.source_of(j, rule.name))
    return DeadlineView(rule.name, md(rule.summary), _period(override), source, j, True)
