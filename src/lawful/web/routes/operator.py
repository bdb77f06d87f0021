"""``GET /api/v1/operator``: who the operator is and what it does with personal data.

Everything here is read from lawful.yaml — the same statements the published privacy policy
makes — so a client (the portal, an auditor, a regulator's tool) sees exactly what is enforced.
The response has its own models rather than the config's, so that editing lawful.yaml's format
does not silently change the API.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from lawful.config.models import Contacts, Dpo, Policy, Purpose, Recipient, Retention
from lawful.web.routes import LawfulDep

router = APIRouter(tags=["operator"])

Localised = dict[str, str]
LOCALISED_HELP = "Text by language code; '*' is the text for every language."


class CategoryOut(BaseModel):
    key: str = Field(description="fideslang key, or the operator's custom key.")
    name: Localised | None = Field(default=None, description=LOCALISED_HELP)
    special: bool


class PurposeOut(BaseModel):
    key: str
    name: Localised = Field(description=LOCALISED_HELP)
    description: Localised | None = None
    data_use: str
    legal_basis: str
    categories: list[str]
    retention: Retention | None
    consent_required: bool
    consent_kind: str | None
    recipients: list[str]


class RecipientOut(BaseModel):
    key: str
    name: str
    role: str
    country: str
    purposes: list[str]
    categories: list[str]
    transfer_basis: str | None
    safeguards: list[str]


class OperatorOut(BaseModel):
    legal_name: Localised = Field(description=LOCALISED_HELP)
    legal_form: str | None
    registration: dict[str, str]
    address: Localised
    website: str | None
    contacts: Contacts
    requests_email: str | None
    dpo: Dpo | None
    country: str
    jurisdictions: list[str]
    languages: list[str]
    categories: list[CategoryOut]
    purposes: list[PurposeOut]
    recipients: list[RecipientOut]


@router.get("/operator", response_model=OperatorOut)
def get_operator(lawful: LawfulDep) -> OperatorOut:
    """The operator's identity, purposes and recipients, as its policy states them."""
    return operator_view(lawful.require_policy())


def operator_view(policy: Policy) -> OperatorOut:
    op = policy.operator
    return OperatorOut(
        legal_name=op.legal_name,
        legal_form=op.legal_form,
        registration=op.registration,
        address=op.address,
        website=op.website,
        contacts=op.contacts,
        requests_email=op.requests_email,
        dpo=op.dpo,
        country=op.country,
        jurisdictions=op.jurisdictions,
        languages=op.languages,
        categories=[
            CategoryOut(key=key, name=c.name, special=c.special)
            for key, c in policy.categories.items()
        ],
        purposes=[_purpose(policy, p) for p in policy.purposes.values()],
        recipients=[_recipient(key, r) for key, r in policy.recipients.items()],
    )


def _purpose(policy: Policy, purpose: Purpose) -> PurposeOut:
    consent = purpose.consent
    return PurposeOut(
        key=purpose.key,
        name=purpose.name,
        description=purpose.description,
        data_use=purpose.data_use,
        legal_basis=purpose.legal_basis,
        categories=purpose.categories,
        retention=purpose.retention,
        consent_required=purpose.legal_basis == "consent" or consent is not None,
        consent_kind=consent.kind if consent else None,
        recipients=policy.recipients_for(purpose.key),
    )


def _recipient(key: str, recipient: Recipient) -> RecipientOut:
    return RecipientOut(
        key=key,
        name=recipient.name,
        role=recipient.role,
        country=recipient.country,
        purposes=recipient.purposes,
        categories=recipient.categories,
        transfer_basis=recipient.transfer_basis,
        safeguards=recipient.safeguards,
    )
