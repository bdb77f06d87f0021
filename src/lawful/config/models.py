"""The model of lawful.yaml: the operator's privacy policy as data.

Every model forbids unknown fields, so a typo (``retension:``) is an error that names its line
instead of a promise silently dropped. The model only checks the shape of each section; whether
the sections agree with each other and with the law is :mod:`lawful.config.check`'s job, because
those rules need the whole file and the law tables at once.

Free text that is published (names, consent texts) is *localised*: a mapping from document
language to text. A plain string is accepted where the same text serves every language and is
stored under the key ``"*"``; consent texts must be written out per language.
"""

from __future__ import annotations

from datetime import date
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, model_validator
from pydantic_core import PydanticCustomError

from lawful.config.taxonomy import is_within
from lawful.errors import PolicyViolation

ANY_LANGUAGE = "*"

LegalBasis = Literal[
    "consent",
    "contract",
    "legal_obligation",
    "legitimate_interest",
    "vital_interest",
    "public_interest",
]
RetentionKind = Literal[
    "since_collection", "since_last_interaction", "until_withdrawal", "until_event", "legal_period"
]
ConsentKind = Literal["processing", "marketing", "distribution", "cross_border"]
ObtainedBy = Literal[
    "checkbox",
    "signature",
    "electronic_signature",
    "double_opt_in",
    "email_reply",
    "by_using_site",
    "in_user_agreement",
]
RecipientRole = Literal["processor", "controller", "third_party", "authority"]
TransferBasis = Literal["adequacy", "consent", "contract", "legal_obligation"]
ChannelKind = Literal[
    "web_form", "email", "telegram", "whatsapp", "web_chat", "kommo", "phone", "post"
]
Right = Literal[
    "access",
    "rectification",
    "restriction",
    "erasure",
    "withdrawal",
    "objection",
    "distribution_stop",
    "transfer_info",
    "portability",
]
DayUnit = Literal["calendar", "working"]


def _localise(value: object) -> object:
    """Accept a plain string as 'the same text in every language'."""
    return {ANY_LANGUAGE: value} if isinstance(value, str) else value


Localised = Annotated[dict[str, str], BeforeValidator(_localise)]


def localised(text: dict[str, str], language: str) -> str | None:
    """The text for ``language``, falling back to the every-language text."""
    return text.get(language, text.get(ANY_LANGUAGE))


def _invalid(message: str, fix: str) -> PydanticCustomError:
    """A validation error whose wording the loader shows as is (see ``loader._translate``)."""
    return PydanticCustomError("lawful", "{message}", {"message": message, "fix": fix})


class Strict(BaseModel):
    """Base of every section: unknown keys are errors and loaded values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- operator -----------------------------------------------------------------------------


class Contacts(Strict):
    email: str | None = None
    phone: str | None = None


class Dpo(Strict):
    """The person responsible for personal-data processing (RU Art. 22.1, GDPR Art. 37)."""

    name: str | None = None
    email: str | None = None


class Brand(Strict):
    colour: str | None = Field(default=None, pattern=r"^#[0-9A-Fa-f]{6}$")


class Operator(Strict):
    legal_name: Localised
    legal_form: str | None = None
    registration: dict[str, str] = Field(default_factory=dict)
    address: Localised
    website: str | None = None
    contacts: Contacts = Field(default_factory=Contacts)
    requests_email: str | None = None
    dpo: Dpo | None = None
    country: str
    timezone: str = "UTC"
    jurisdictions: list[str] = Field(min_length=1)
    languages: list[str] = Field(min_length=1)
    brand: Brand | None = None


# --- categories ---------------------------------------------------------------------------


class Category(Strict):
    """One kind of personal data, keyed by its fideslang key or a custom key."""

    name: Localised | None = None
    description: str | None = None
    custom: bool = False
    special: bool = False
    special_basis: str | None = None


# --- purposes -----------------------------------------------------------------------------


class Retention(Strict):
    """How long data kept for a purpose live, and what happens to them afterwards."""

    kind: RetentionKind
    days: int | None = Field(default=None, ge=1)
    months: int | None = Field(default=None, ge=1)
    years: int | None = Field(default=None, ge=1)
    grace_days: int = Field(default=0, ge=0)
    event: str | None = None
    on_expiry: Literal["destroy", "anonymise"] = "destroy"
    source: str | None = None
    #: A legal hold on the whole purpose (litigation, an authority's demand): while set, the
    #: sweep removes nothing of it and reports this reason instead.
    legal_hold: str | None = Field(default=None, min_length=1, max_length=300)

    @model_validator(mode="after")
    def _period_matches_kind(self) -> Retention:
        periods = [p for p in (self.days, self.months, self.years) if p is not None]
        if len(periods) > 1:
            raise _invalid("give one of days, months or years, not several", "keep one of them")
        timed = self.kind in ("since_collection", "since_last_interaction", "legal_period")
        if timed and not periods:
            raise _invalid(
                f"retention kind {self.kind} needs a period",
                "add `days:`, `months:` or `years:`",
            )
        if self.kind == "until_event" and not self.event:
            raise _invalid("retention kind until_event needs the event", "add `event: <name>`")
        return self


class DistributionTerms(Strict):
    """What the subject allows for one category made public (RU 152-FZ Art. 10.1)."""

    permitted: bool = True
    prohibit_transfer: bool = False
    prohibit_processing: bool = False
    conditions: Localised | None = None


class Consent(Strict):
    kind: ConsentKind = "processing"
    separate_document: bool = True
    obtained_by: ObtainedBy = "checkbox"
    text: dict[str, str] = Field(default_factory=dict)
    term: str | None = None
    distribution: dict[str, DistributionTerms] = Field(default_factory=dict)


class Purpose(Strict):
    name: Localised
    description: Localised | None = None
    data_use: str
    subjects: list[str] = Field(min_length=1)
    legal_basis: LegalBasis
    categories: list[str] = Field(min_length=1)
    retention: Retention | None = None
    consent: Consent | None = None
    distribution: bool = False
    _key: str = PrivateAttr(default="")

    @property
    def key(self) -> str:
        """The purpose's key in lawful.yaml (``purposes.<key>``)."""
        # Read straight from pydantic's private store: ``self._key`` goes through
        # ``BaseModel.__getattr__``, ten times slower, and the key is read on every submission.
        private = self.__pydantic_private__
        return str(private["_key"]) if private else ""

    @property
    def is_marketing(self) -> bool:
        """Promotion of goods and services: needs its own consent (RU Art. 15, GE Art. 12)."""
        kind = self.consent.kind if self.consent else None
        return is_within(self.data_use, "marketing") or kind == "marketing"

    @property
    def is_distribution(self) -> bool:
        """Disclosure to the public: needs its own consent (RU 152-FZ Art. 10.1)."""
        return self.distribution or (
            self.consent is not None and self.consent.kind == "distribution"
        )

    def uses(self, category: str) -> bool:
        """True if this purpose may process ``category`` (a declared key or one beneath it)."""
        # ``category`` or one of its ancestors (fideslang keys nest by dots) is declared: a few
        # set look-ups, not a scan of every declared key — this runs for every submitted field.
        declared = self._declared_set
        if category in declared:
            return True
        prefix, _, _ = category.rpartition(".")
        while prefix:
            if prefix in declared:
                return True
            prefix, _, _ = prefix.rpartition(".")
        return False

    @cached_property
    def _declared_set(self) -> frozenset[str]:
        return frozenset(self.categories)


# --- recipients and channels --------------------------------------------------------------


class Recipient(Strict):
    name: str
    role: RecipientRole
    country: str
    purposes: list[str] = Field(min_length=1)
    categories: list[str] = Field(min_length=1)
    safeguards: list[str] = Field(default_factory=list)
    transfer_basis: TransferBasis | None = None
    receives_at_collection: bool = False
    rkn_notice_filed: date | None = None
    description: Localised | None = None


class Channel(Strict):
    kind: ChannelKind
    address: str
    purposes: list[str] = Field(default_factory=list)
    accepts_requests: bool = False


# --- deadlines ----------------------------------------------------------------------------


class Deadline(Strict):
    """A period published by the operator or chosen for a figure the law tables leave open."""

    days: int | None = Field(default=None, ge=1)
    hours: int | None = Field(default=None, ge=1)
    months: int | None = Field(default=None, ge=1)
    unit: DayUnit = "calendar"
    trigger: str | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _one_period(self) -> Deadline:
        given = [p for p in (self.days, self.hours, self.months) if p is not None]
        if len(given) != 1:
            raise _invalid("a deadline needs exactly one of days, hours or months", "keep one")
        return self

    def figure(self) -> dict[str, int | str]:
        """The period alone, in the shape ``lawful.law.RuleOverride`` takes (unit for days)."""
        if self.days is not None:
            return {"days": self.days, "unit": self.unit}
        if self.hours is not None:
            return {"hours": self.hours}
        return {"months": self.months or 0}


CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]


class AdequacyOverride(Strict):
    """The operator's own reading of a destination list the law tables leave unconfirmed.

    It can fill a gap (a country whose adequacy the research could not establish) or make a
    known answer stricter; it never turns a country the law table knows to be inadequate into
    an adequate one (:func:`lawful.transfers.gate.adequacy`)."""

    adequate: list[CountryCode] = Field(default_factory=list)
    not_adequate: list[CountryCode] = Field(default_factory=list)
    #: Who decided and on what (counsel's opinion, the authority's published list).
    source: str = Field(min_length=1)


# --- intake -------------------------------------------------------------------------------


class IntakeSettings(Strict):
    """How intake treats inbound messages."""

    #: A message with a special category of data (health, beliefs, …) that ``categories``
    #: does not declare ``special: true``: ``quarantine`` keeps it whole and a person decides;
    #: ``redact`` masks the special-category words, keeps only that masked copy (not the
    #: original) and routes the message like any other. Either way the journal records it.
    special_categories: Literal["quarantine", "redact"] = "quarantine"


# --- the whole policy ---------------------------------------------------------------------


class Policy(Strict):
    """lawful.yaml. Other parts of lawful read the policy only through this object."""

    version: Literal[1] = 1
    operator: Operator
    categories: dict[str, Category] = Field(min_length=1)
    purposes: dict[str, Purpose] = Field(min_length=1)
    recipients: dict[str, Recipient] = Field(default_factory=dict)
    channels: dict[str, Channel] = Field(default_factory=dict)
    request_phrases: dict[Right, list[str]] = Field(default_factory=dict)
    promises: dict[str, Deadline] = Field(default_factory=dict)
    law_overrides: dict[str, dict[str, Deadline]] = Field(default_factory=dict)
    #: jurisdiction -> the operator's adequacy decisions where the law tables are unconfirmed.
    adequacy_overrides: dict[Literal["ru", "kz", "vn", "ge", "eu"], AdequacyOverride] = Field(
        default_factory=dict
    )
    #: Technical and organisational security measures (GDPR Art. 30(1)(g), 152-FZ Art. 22(3)).
    security_measures: list[str] = Field(default_factory=list)
    #: Downstream systems requests are carried into (:mod:`lawful.config.connectors`).
    connectors: dict[str, ConnectorDeclaration] = Field(default_factory=dict)
    intake: IntakeSettings = Field(default_factory=IntakeSettings)

    @model_validator(mode="after")
    def _name_purposes(self) -> Policy:
        for key, purpose in self.purposes.items():
            purpose._key = key
        return self

    def purpose(self, key: str) -> Purpose:
        """The declared purpose ``key``; processing for anything else is refused."""
        try:
            return self.purposes[key]
        except KeyError:
            raise PolicyViolation(
                f"purpose {key!r} is not declared in lawful.yaml", field="purpose"
            ) from None

    def category(self, key: str) -> Category:
        """The declared category ``key``; storing anything else is refused."""
        try:
            return self.categories[key]
        except KeyError:
            raise PolicyViolation(
                f"data category {key!r} is not declared in lawful.yaml", field="category"
            ) from None

    def recipient(self, key: str) -> Recipient:
        """The declared recipient ``key``; disclosure to anyone else is refused."""
        try:
            return self.recipients[key]
        except KeyError:
            raise PolicyViolation(
                f"recipient {key!r} is not declared in lawful.yaml", field="recipient"
            ) from None

    def purposes_with_consent(self, kind: ConsentKind) -> list[Purpose]:
        """Purposes whose consent is of ``kind`` (e.g. every cross-border consent)."""
        return [p for p in self.purposes.values() if p.consent and p.consent.kind == kind]

    def recipients_for(self, purpose: str) -> list[str]:
        """Keys of the recipients that receive data for ``purpose``."""
        return [key for key, r in self.recipients.items() if purpose in r.purposes]


from lawful.config.connectors import ConnectorDeclaration  # noqa: E402  (it imports Strict)

Policy.model_rebuild()
