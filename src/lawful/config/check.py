"""Coherence rules for a loaded lawful.yaml: is the policy complete, consistent and lawful?

The model (:mod:`lawful.config.models`) only checks each section's shape. The rules here look
across sections and into the law tables (:mod:`lawful.law`): every reference must point at
something declared, every purpose needs a retention rule and, when based on consent, a consent
text in each document language; marketing and publication need their own consent; transfers to
countries without adequate protection need a basis. Each rule is a small generator of
:class:`Problem`\\ s so it can be read, tested and switched on its own.

*Errors* make the policy unusable. *Warnings* mark a promise of the operator's own policy that
current law no longer allows (the seed policies have several); ``lawful check --strict`` fails
on them too. Messages name fields and keys, never the values of contacts.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable, Iterator

import pycountry
from email_validator import EmailNotValidError, validate_email

from lawful import law
from lawful.config.adequacy import adequacy
from lawful.config.connectors import ConnectorDeclaration
from lawful.config.loader import LoadedPolicy, Problem
from lawful.config.models import Policy, Purpose, Recipient
from lawful.config.taxonomy import CUSTOM_PREFIX, Kind, closest, is_known, is_within, keys
from lawful.errors import NeedsDecision

Rule = Callable[[LoadedPolicy], Iterator[Problem]]

#: Where each jurisdiction requires marketing and publication to rest on their own consent.
SEPARATE_CONSENT_LAW = {
    "ru": "152-FZ Art. 9 and 15(1); Art. 10.1 for publication",
    "kz": "Law 94-V Art. 8(4)",
    "vn": "PDPL Art. 9; Decree 356 Art. 6",
    "ge": "Law 3144 Art. 12",
    "eu": "GDPR Art. 7(2) and 21(3)",
}


def check_policy(loaded: LoadedPolicy) -> list[Problem]:
    """Every problem the coherence rules find, in file order."""
    found = [problem for rule in RULES for problem in rule(loaded)]
    return sorted(found, key=lambda p: (p.line, p.column, p.severity))


def _suggest(word: str, candidates: Iterable[str], otherwise: str) -> str:
    guess = closest(word, candidates)
    return f"did you mean `{guess}`?" if guess else otherwise


def _jurisdictions(policy: Policy) -> list[str]:
    """The operator's jurisdictions that lawful knows (unknown ones are reported separately)."""
    return [j for j in policy.operator.jurisdictions if j in law.JURISDICTIONS]


# --- operator -----------------------------------------------------------------------------


def operator_is_identifiable(loaded: LoadedPolicy) -> Iterator[Problem]:
    """Jurisdictions, country, languages and timezone must be real; requests need a mailbox."""
    op = loaded.policy.operator
    for i, j in enumerate(op.jurisdictions):
        if j not in law.JURISDICTIONS:
            known = ", ".join(law.JURISDICTIONS)
            yield loaded.problem(
                ("operator", "jurisdictions", i),
                "unknown jurisdiction",
                _suggest(j, law.JURISDICTIONS, f"use one of {known}"),
            )
    yield from _country(loaded, ("operator", "country"), op.country)
    for i, lang in enumerate(op.languages):
        if len(lang) != 2 or pycountry.languages.get(alpha_2=lang) is None:
            yield loaded.problem(
                ("operator", "languages", i),
                "unknown document language",
                "use an ISO 639-1 code such as ru, en, kk, vi or ka",
            )
    if not _is_timezone(op.timezone):
        yield loaded.problem(
            ("operator", "timezone"),
            "unknown timezone",
            "use an IANA name such as Europe/Moscow or Asia/Almaty",
        )
    if not op.requests_email:
        yield loaded.problem(
            ("operator", "requests_email"),
            "operator.requests_email is missing: nobody can send a request",
            "add the mailbox that receives data-subject requests",
        )
    yield from _emails(loaded)


def _is_timezone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _is_country(code: str) -> bool:
    return len(code) == 2 and code.isupper() and pycountry.countries.get(alpha_2=code) is not None


def _country(loaded: LoadedPolicy, loc: tuple[str, ...], code: str) -> Iterator[Problem]:
    if _is_country(code):
        return
    fix = "use the ISO 3166-1 alpha-2 code in capitals, e.g. RU, KZ, VN, GE, DE"
    try:
        fix = f"did you mean `{pycountry.countries.lookup(code).alpha_2}`?"
    except LookupError:
        pass
    yield loaded.problem(loc, f"{'.'.join(loc)} is not a known country code", fix)


def _emails(loaded: LoadedPolicy) -> Iterator[Problem]:
    op = loaded.policy.operator
    fields = {
        ("operator", "requests_email"): op.requests_email,
        ("operator", "contacts", "email"): op.contacts.email,
        ("operator", "dpo", "email"): op.dpo.email if op.dpo else None,
    }
    for loc, value in fields.items():
        if value and not _is_email(value):
            yield loaded.problem(
                loc,
                f"{'.'.join(loc)} is not a valid e-mail address",
                "write a mailbox such as privacy@your-domain",
            )


def _is_email(value: str) -> bool:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


# --- taxonomy -----------------------------------------------------------------------------


def keys_are_known(loaded: LoadedPolicy) -> Iterator[Problem]:
    """Categories, data uses and subjects use fideslang keys, or are declared custom."""
    policy = loaded.policy
    for key, category in policy.categories.items():
        custom = category.custom or key.startswith(CUSTOM_PREFIX)
        if custom and not category.description:
            yield loaded.problem(
                ("categories", key),
                f"custom category {key} has no description",
                "add `description:` saying what the data are",
            )
        elif not custom and not is_known("data_category", key):
            yield _unknown_key(loaded, ("categories", key), "data_category", key)
    for name, purpose in policy.purposes.items():
        if not is_known("data_use", purpose.data_use):
            yield _unknown_key(loaded, ("purposes", name, "data_use"), "data_use", purpose.data_use)
        for i, subject in enumerate(purpose.subjects):
            if not is_known("data_subject", subject):
                yield _unknown_key(
                    loaded, ("purposes", name, "subjects", i), "data_subject", subject
                )


def _unknown_key(loaded: LoadedPolicy, loc: tuple[str | int, ...], kind: Kind, key: str) -> Problem:
    label = kind.replace("_", " ")
    otherwise = "use a fideslang key (see the template), or a `custom.` key with a description"
    return loaded.problem(
        loc, f"{key} is not a fideslang {label}", _suggest(key, keys(kind), otherwise)
    )


# --- references ---------------------------------------------------------------------------


def references_are_declared(loaded: LoadedPolicy) -> Iterator[Problem]:
    """Every category, purpose and recipient named anywhere is declared in its section."""
    policy = loaded.policy
    for name, purpose in policy.purposes.items():
        yield from _declared(
            loaded,
            ("purposes", name, "categories"),
            purpose.categories,
            policy.categories,
            "category",
        )
        terms = purpose.consent.distribution if purpose.consent else {}
        for key in terms:
            if key not in purpose.categories:
                yield loaded.problem(
                    ("purposes", name, "consent", "distribution", key),
                    f"distribution terms for {key}, which this purpose does not use",
                    f"add {key} to purposes.{name}.categories or remove these terms",
                )
    for name, recipient in policy.recipients.items():
        yield from _recipient_references(loaded, name, recipient)
    for name, channel in policy.channels.items():
        yield from _declared(
            loaded, ("channels", name, "purposes"), channel.purposes, policy.purposes, "purpose"
        )
    yield from _rule_names(loaded)


def _rule_names(loaded: LoadedPolicy) -> Iterator[Problem]:
    """Promises and overrides are matched to law rules by name: a typo would disable them."""
    book = law.load_lawbook().jurisdictions
    everywhere = sorted({name for j in book.values() for name in j.rules})
    for name in loaded.policy.promises:
        if name not in everywhere:
            yield loaded.problem(
                ("promises", name),
                f"promise {name} matches no rule in the law tables",
                _suggest(name, everywhere, "use a rule name from lawful/law/rules/*.yaml"),
            )
    for j, overrides in loaded.policy.law_overrides.items():
        if j not in book:
            yield loaded.problem(
                ("law_overrides", j),
                "law_overrides names an unknown jurisdiction",
                _suggest(j, law.JURISDICTIONS, "remove it"),
            )
            continue
        for name in overrides:
            if name not in book[j].rules:
                yield loaded.problem(
                    ("law_overrides", j, name),
                    f"{j} has no rule {name}",
                    _suggest(name, book[j].rules, "remove it"),
                )


def _recipient_references(
    loaded: LoadedPolicy, name: str, recipient: Recipient
) -> Iterator[Problem]:
    policy = loaded.policy
    yield from _declared(
        loaded, ("recipients", name, "purposes"), recipient.purposes, policy.purposes, "purpose"
    )
    yield from _declared(
        loaded,
        ("recipients", name, "categories"),
        recipient.categories,
        policy.categories,
        "category",
    )
    purposes = _purposes_of(policy, recipient)
    for i, key in enumerate(recipient.categories):
        if key in policy.categories and not any(p.uses(key) for p in purposes):
            yield loaded.problem(
                ("recipients", name, "categories", i),
                f"recipient {name} receives {key}, but none of its purposes uses it",
                "add the category to one of those purposes, or remove it here",
            )
    yield from _country(loaded, ("recipients", name, "country"), recipient.country)


def _purposes_of(policy: Policy, recipient: Recipient) -> list[Purpose]:
    return [policy.purposes[p] for p in recipient.purposes if p in policy.purposes]


def _declared(
    loaded: LoadedPolicy, loc: tuple[str, ...], used: list[str], declared: Iterable[str], what: str
) -> Iterator[Problem]:
    section = "categories" if what == "category" else f"{what}s"
    names = list(declared)
    for i, key in enumerate(used):
        if key not in names:
            fix = _suggest(key, names, f"declare it under `{section}:`")
            yield loaded.problem((*loc, i), f"{what} {key} is not declared in {section}", fix)


# --- purposes -----------------------------------------------------------------------------


def purposes_have_retention(loaded: LoadedPolicy) -> Iterator[Problem]:
    """Data may be kept no longer than the purpose needs (RU Art. 5(7), GDPR Art. 5(1)(e))."""
    for name, purpose in loaded.policy.purposes.items():
        if purpose.retention is None:
            yield loaded.problem(
                ("purposes", name),
                f"purpose {name} has no retention rule",
                "add `retention:` with a kind and a period",
            )
        elif purpose.retention.kind == "until_withdrawal" and purpose.legal_basis != "consent":
            yield loaded.problem(
                ("purposes", name, "retention", "kind"),
                f"purpose {name} keeps data until withdrawal, but it is not based on consent",
                "choose another retention kind",
            )


def consents_are_written(loaded: LoadedPolicy) -> Iterator[Problem]:
    """A consent-based purpose shows its consent text in every document language."""
    languages = loaded.policy.operator.languages
    for name, purpose in loaded.policy.purposes.items():
        consent = purpose.consent
        if purpose.legal_basis == "consent" and consent is None:
            yield loaded.problem(
                ("purposes", name, "legal_basis"),
                f"purpose {name} is based on consent but has no consent text",
                "add `consent:` with kind, obtained_by and text per language",
            )
        elif consent is not None and purpose.legal_basis != "consent":
            yield loaded.problem(
                ("purposes", name, "consent"),
                f"purpose {name} has a consent but legal_basis is {purpose.legal_basis}",
                "set `legal_basis: consent` or remove `consent:`",
            )
        elif consent is not None:
            for lang in languages:
                if not consent.text.get(lang, "").strip():
                    yield loaded.problem(
                        ("purposes", name, "consent", "text"),
                        f"purpose {name} has no consent text in {lang}",
                        f"add `{lang}: <text>` under consent.text",
                    )


def marketing_and_distribution_have_own_consent(loaded: LoadedPolicy) -> Iterator[Problem]:
    """Promotion and publication each need their own, separate consent."""
    cite = "; ".join(SEPARATE_CONSENT_LAW[j] for j in _jurisdictions(loaded.policy))
    for name, purpose in loaded.policy.purposes.items():
        if purpose.is_marketing:
            yield from _own_consent(loaded, name, purpose, "marketing", cite)
        if purpose.is_distribution:
            yield from _own_consent(loaded, name, purpose, "distribution", cite)
            if "ru" in loaded.policy.operator.jurisdictions:
                yield from _distribution_terms(loaded, name, purpose)


def _own_consent(
    loaded: LoadedPolicy, name: str, purpose: Purpose, kind: str, cite: str
) -> Iterator[Problem]:
    consent = purpose.consent
    loc = ("purposes", name, "consent")
    law_ref = f" ({cite})" if cite else ""
    if consent is None or purpose.legal_basis != "consent" or consent.kind != kind:
        yield loaded.problem(
            loc,
            f"{kind} purpose {name} is not based on its own {kind} consent{law_ref}",
            f"set `legal_basis: consent` and "
            f"`consent: {{kind: {kind}, separate_document: true, ...}}`",
        )
    elif not consent.separate_document:
        yield loaded.problem(
            (*loc, "separate_document"),
            f"the {kind} consent of purpose {name} is bundled with other text{law_ref}",
            "set `separate_document: true` and publish it as its own document",
        )
    if (
        kind == "marketing"
        and consent
        and consent.kind == "marketing"
        and not purpose.data_use.startswith("marketing")
    ):
        yield loaded.problem(
            ("purposes", name, "data_use"),
            f"purpose {name} has a marketing consent but its data_use is not marketing",
            "use a `marketing.` data_use, e.g. marketing.communications.email",
        )


def _distribution_terms(loaded: LoadedPolicy, name: str, purpose: Purpose) -> Iterator[Problem]:
    """RU Art. 10.1: the subject sets permission and prohibitions for each category made public."""
    terms = purpose.consent.distribution if purpose.consent else {}
    for i, key in enumerate(purpose.categories):
        if key not in terms:
            yield loaded.problem(
                ("purposes", name, "categories", i),
                f"the distribution consent of {name} sets no terms for {key} "
                "(152-FZ Art. 10.1; RKN Order No. 18)",
                f"add `{key}:` under consent.distribution with its permission and prohibitions",
            )


# --- special categories and transfers ----------------------------------------------------


def special_categories_are_declared(loaded: LoadedPolicy) -> Iterator[Problem]:
    """Special categories are refused unless flagged special with a basis."""
    policy = loaded.policy
    known, unconfirmed = _special_lists(policy)
    for jurisdiction in unconfirmed:
        yield loaded.problem(
            ("operator", "jurisdictions"),
            f"the special categories of {jurisdiction} are not confirmed in lawful's law tables",
            "flag every sensitive category `special: true` with a basis yourself; "
            "a person must review this list",
            "warning",
        )
    for key, category in policy.categories.items():
        where = [j for j in known if law.is_special(j, key)]
        if where and not category.special:
            yield loaded.problem(
                ("categories", key),
                f"{key} is a special category in {', '.join(where)} but is not declared as one",
                "set `special: true` and `special_basis:` (e.g. written "
                "consent), or stop collecting it",
            )
        elif category.special and not category.special_basis:
            yield loaded.problem(
                ("categories", key, "special"),
                f"special category {key} has no basis",
                "add `special_basis:` naming the lawful basis",
            )


def _special_lists(policy: Policy) -> tuple[list[str], list[str]]:
    """Split the operator's jurisdictions into those whose special-category list is known and
    those where the law table has no confirmed list (a person decides; we never guess)."""
    known, unconfirmed = [], []
    for jurisdiction in _jurisdictions(policy):
        try:
            law.special_categories(jurisdiction)
        except NeedsDecision:
            unconfirmed.append(jurisdiction)
        else:
            known.append(jurisdiction)
    return known, unconfirmed


def transfers_have_basis(loaded: LoadedPolicy) -> Iterator[Problem]:
    """A recipient abroad needs adequacy, a cross-border consent, a contract or a legal duty."""
    policy = loaded.policy
    for name, recipient in policy.recipients.items():
        if not _is_country(recipient.country):
            continue
        for j in _jurisdictions(policy):
            yield from _transfer(loaded, name, recipient, j)


def _transfer(loaded: LoadedPolicy, name: str, recipient: Recipient, j: str) -> Iterator[Problem]:
    policy = loaded.policy
    consent = any(
        p.consent.kind == "cross_border" for p in _purposes_of(policy, recipient) if p.consent
    )
    loc = ("recipients", name, "transfer_basis")
    if recipient.transfer_basis == "consent" and not consent:
        yield loaded.problem(
            loc,
            f"recipient {name} relies on consent, but none of its purposes "
            "has a cross_border consent",
            "add such a purpose to its purposes",
        )
        return
    if recipient.transfer_basis in ("contract", "legal_obligation") or consent:
        return
    adequate = adequacy(policy, j, recipient.country)  # the operator's decisions count
    where = ("recipients", name, "country")
    fix = (
        f"add a purpose with a cross_border consent to recipients.{name}.purposes, or set "
        "`transfer_basis: contract` if the subject is party to the contract"
    )
    if adequate is False:
        yield loaded.problem(
            where,
            f"recipient {name} is in a country without adequate "
            f"protection under {j} law, and the transfer has no basis",
            fix,
        )
    elif adequate is None:
        yield loaded.problem(
            where,
            f"adequacy of recipient {name}'s country under {j} law is unconfirmed",
            "record a basis: " + fix,
            severity="warning",
        )


# --- the operator's own promises against current law -------------------------------------

#: Why consent inferred from use of the site, or bundled into another document, is not enough.
BUNDLED_CONSENT_LAW = {
    "ru": (
        "consent must be a separate document since 1 Sept 2025 (152-FZ Art. 9 as amended by 156-FZ)"
    ),
    "vn": "silence or inaction is not consent, and consent is given per purpose "
    "(PDPL Art. 9; Decree 356 Art. 6)",
    "kz": "consent must be written or given by another verifiable method (Law 94-V Art. 8(1))",
    "eu": "consent must be an unambiguous act, distinguishable from other matters "
    "(GDPR Art. 4(11), 7(2))",
}


def consent_is_not_inferred(loaded: LoadedPolicy) -> Iterator[Problem]:
    """Seeds 000-004 infer consent from use of the site; current law does not accept that."""
    jurisdictions = [j for j in _jurisdictions(loaded.policy) if j in BUNDLED_CONSENT_LAW]
    for name, purpose in loaded.policy.purposes.items():
        consent = purpose.consent
        if consent is None or purpose.is_marketing or purpose.is_distribution:
            continue  # those are errors already (marketing_and_distribution_have_own_consent)
        inferred = consent.obtained_by in ("by_using_site", "in_user_agreement")
        if not inferred and consent.separate_document:
            continue
        loc = ("purposes", name, "consent", "obtained_by" if inferred else "separate_document")
        for j in jurisdictions:
            if j == "ru" or inferred:
                yield loaded.problem(
                    loc,
                    f"consent to {name}: {BUNDLED_CONSENT_LAW[j]}",
                    "collect it with a checkbox or signature on its own consent document",
                    severity="warning",
                )


#: 152-FZ Art. 20(4) since 1 Sept 2022: 10 working days, +5 with a reasoned notice.
RKN_ANSWER_WORKING_DAYS = 10


def authority_answer_is_current(loaded: LoadedPolicy) -> Iterator[Problem]:
    """Seed 004 still promises Roskomnadzor an answer within 30 days (the pre-2022 rule)."""
    promise = loaded.policy.promises.get("authority_request_response")
    if promise is None or "ru" not in loaded.policy.operator.jurisdictions:
        return
    working = promise.unit == "working" and (promise.days or 0) <= RKN_ANSWER_WORKING_DAYS
    calendar = promise.unit == "calendar" and (promise.days or 0) <= RKN_ANSWER_WORKING_DAYS
    if promise.days is not None and (working or calendar):
        return
    yield loaded.problem(
        ("promises", "authority_request_response"),
        "the promised answer time to Roskomnadzor is longer than the law "
        "allows: 10 working days, +5 with a reasoned notice (152-FZ Art. 20(4))",
        "set `days: 10, unit: working` and correct the published policy",
        severity="warning",
    )


def russian_data_start_in_russia(loaded: LoadedPolicy) -> Iterator[Problem]:
    """Localisation (152-FZ Art. 18(5), from 1 July 2025) and the transfer notice (Art. 12)."""
    if "ru" not in loaded.policy.operator.jurisdictions:
        return
    for name, recipient in loaded.policy.recipients.items():
        if recipient.country == "RU" or recipient.role == "authority":
            continue
        if recipient.receives_at_collection:
            yield loaded.problem(
                ("recipients", name, "receives_at_collection"),
                f"recipient {name} abroad receives data at collection; Russian "
                "citizens' data must first be recorded in Russia "
                "(152-FZ Art. 18(5))",
                "collect into a database in Russia "
                "first, then transfer, and set `receives_at_collection: false`",
                severity="warning",
            )
        if recipient.rkn_notice_filed is None:
            yield loaded.problem(
                ("recipients", name),
                f"no cross-border transfer notice to "
                f"Roskomnadzor is recorded for recipient {name} "
                "(152-FZ Art. 12(3)-(5))",
                "file it before the first transfer and record the date in `rkn_notice_filed:`",
                severity="warning",
            )


# --- connectors ---------------------------------------------------------------------------


def connectors_are_declared(loaded: LoadedPolicy) -> Iterator[Problem]:
    """Each connector's calls are transfers: to a declared recipient, for one of its purposes,
    of categories that recipient is declared to hold (else the transfer gate refuses them)."""
    policy = loaded.policy
    for name, connector in policy.connectors.items():
        loc = ("connectors", name)
        recipient = policy.recipients.get(connector.recipient)
        if recipient is None:
            fix = _suggest(connector.recipient, policy.recipients, "declare it under `recipients:`")
            yield loaded.problem((*loc, "recipient"), "recipient is not declared", fix)
            continue
        if connector.purpose not in recipient.purposes:
            yield loaded.problem(
                (*loc, "purpose"),
                f"recipient {connector.recipient} is not declared for purpose {connector.purpose}",
                _suggest(connector.purpose, recipient.purposes, "use one of its purposes"),
            )
        for category in sorted(_connector_categories(connector)):
            if not any(is_within(category, held) for held in recipient.categories):
                yield loaded.problem(
                    loc,
                    f"connector {name} holds {category}, which recipient "
                    f"{connector.recipient} is not declared to receive",
                    f"add {category} to recipients.{connector.recipient}.categories",
                )


def _connector_categories(connector: ConnectorDeclaration) -> set[str]:
    if connector.type == "kommo":
        return {*connector.fields.values(), connector.name_category, connector.notes_category}
    if connector.type == "sql":
        tables = connector.dataset.tables.values() if connector.dataset else []
        return {c.category for t in tables for c in t.columns.values()}
    return set(connector.categories)


RULES: tuple[Rule, ...] = (
    operator_is_identifiable,
    keys_are_known,
    references_are_declared,
    purposes_have_retention,
    consents_are_written,
    marketing_and_distribution_have_own_consent,
    special_categories_are_declared,
    transfers_have_basis,
    consent_is_not_inferred,
    authority_answer_is_current,
    russian_data_start_in_russia,
    connectors_are_declared,
)
