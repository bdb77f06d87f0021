"""Consent receipts: Kantara Consent Receipt v1.1.0 and the W3C DPV-27560 JSON-LD record.

Both are built from the record and the policy alone and carry the pseudonymous subject id,
never an identifier or the sealed evidence. The shipped JSON Schemas (``schemas/``) are our
transcription of Kantara's §4.8 schema and of the DPV-27560 fields we emit; the tests validate
every receipt against them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from typing import Any

from lawful.audit.vocabulary import DPV, LAWFUL
from lawful.config.models import Policy, Purpose, localised
from lawful.consent.models import ConsentRecord

KANTARA_VERSION = "KI-CR-v1.1.0"
DPV_27560_RECORD = "https://w3id.org/dpv/schema/dpv-27560#record"
SCHEMAS = {"kantara": "kantara-cr-v1.1.0.schema.json", "jsonld": "dpv-27560.schema.json"}

#: ISO/IEC TS 27560 event states -> DPV consent status terms.
DPV_STATUS = {
    "given": "ConsentGiven",
    "refused": "ConsentRefused",
    "renewal_needed": "ConsentRequested",
    "withdrawn": "ConsentWithdrawn",
    "expired": "ConsentExpired",
    "invalidated": "ConsentInvalidated",
}
DPV_LEGAL_BASIS = {
    "consent": "Consent",
    "contract": "Contract",
    "legal_obligation": "LegalObligation",
    "legitimate_interest": "LegitimateInterest",
    "vital_interest": "VitalInterest",
    "public_interest": "PublicInterest",
}
# Kantara's enumerated PII categories, by fideslang prefix (most specific first).
_PII_CATEGORIES = (
    ("user.name", "1 - Biographical"),
    ("user.contact", "2 - Contact"),
    ("user.biometric", "3 - Biometric"),
    ("user.content", "4 - Communications/Social"),
    ("user.device", "5 - Network/Service"),
    ("user.health_and_medical", "6 - Health"),
    ("user.financial", "7 - Financial"),
    ("user.government_id", "8 - Official ID"),
    ("user.behavior", "15 - Behavioral"),
)
_PURPOSE_CATEGORIES = {
    "marketing": "6 - Marketing",
    "distribution": "10 - Sharing with Third Parties",
    "cross_border": "10 - Sharing with Third Parties",
    "processing": "1 - Core Function",
    "user_agreement": "2 - Contracted Service",
}


@cache
def schema(format: str) -> dict[str, Any]:
    """The JSON Schema of ``format`` (``kantara`` or ``jsonld``) shipped with lawful."""
    text = files("lawful.consent").joinpath("schemas", SCHEMAS[format]).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _pii_category(category: str) -> str:
    for prefix, label in _PII_CATEGORIES:
        if category == prefix or category.startswith(prefix + "."):
            return label
    return "1 - Biographical"


def _language(record: ConsentRecord, policy: Policy) -> str:
    return record.document_language or policy.operator.languages[0]


def _text(value: dict[str, str] | None, language: str) -> str:
    return (localised(value, language) if value else None) or ""


def _policy_url(record: ConsentRecord, policy: Policy) -> str:
    base = (policy.operator.website or "").rstrip("/")
    if record.document_kind is None:
        return f"{base}/documents/privacy-policy" if base else "urn:lawful:document:privacy-policy"
    language, version = record.document_language, record.document_version
    path = f"/documents/{record.document_kind}/{language}/v{version}"
    return base + path if base else "urn:lawful:document" + path.replace("/", ":")


def flags(record: ConsentRecord, policy: Policy) -> dict[str, Any]:
    """What KZ Law 94-V Art. 8(4) wants each consent to state, from the policy."""
    purpose = policy.purposes.get(record.purpose or "")
    recipients = [policy.recipients[k] for k in policy.recipients_for(record.purpose or "")]
    home = policy.operator.country.upper()
    return {
        "third_parties": sorted(
            r.name for r in recipients if r.role in ("third_party", "controller")
        ),
        "cross_border": any(r.country.upper() != home for r in recipients),
        "public": bool(purpose and purpose.is_distribution),
        "term": purpose.consent.term if purpose and purpose.consent else None,
    }


def _controller(policy: Policy, language: str) -> dict[str, Any]:
    operator = policy.operator
    return {
        "piiController": _text(operator.legal_name, language),
        "contact": operator.dpo.name if operator.dpo and operator.dpo.name else "",
        "address": {
            "streetAddress": _text(operator.address, language),
            "addressCountry": operator.country,
        },
        "email": operator.requests_email or operator.contacts.email or "",
        "phone": operator.contacts.phone or "",
        **({"piiControllerUrl": operator.website} if operator.website else {}),
    }


def _purpose_entry(
    record: ConsentRecord, purpose: Purpose | None, policy: Policy, language: str
) -> dict[str, Any]:
    marks = flags(record, policy)
    entry: dict[str, Any] = {
        "purpose": _text(purpose.name, language) if purpose else "User agreement",
        "purposeCategory": [_PURPOSE_CATEGORIES.get(record.kind, "1 - Core Function")],
        "consentType": "EXPLICIT",
        "piiCategory": sorted({_pii_category(c) for c in (purpose.categories if purpose else [])})
        or ["1 - Biographical"],
        "primaryPurpose": record.kind in ("processing", "user_agreement"),
        "termination": marks["term"] or "until withdrawn",
        "thirdPartyDisclosure": bool(marks["third_parties"]) or marks["public"],
    }
    if entry["thirdPartyDisclosure"]:
        entry["thirdPartyName"] = ", ".join(marks["third_parties"]) or "the public"
    return entry


def kantara_receipt(record: ConsentRecord, policy: Policy) -> dict[str, Any]:
    """The record as a Kantara KI-CR-v1.1.0 consent receipt."""
    language = _language(record, policy)
    purpose = policy.purposes.get(record.purpose or "")
    special = [c for c in (purpose.categories if purpose else []) if policy.categories[c].special]
    return {
        "version": KANTARA_VERSION,
        "jurisdiction": ",".join(j.upper() for j in record.jurisdictions),
        "consentTimestamp": int(record.given_at.timestamp()),
        "collectionMethod": f"{record.method} via {record.channel}",
        "consentReceiptID": record.id,
        "language": language,
        "piiPrincipalId": record.subject_id,
        "piiControllers": [_controller(policy, language)],
        "policyUrl": _policy_url(record, policy),
        "services": [
            {
                "service": _text(policy.operator.legal_name, language),
                "purposes": [_purpose_entry(record, purpose, policy, language)],
            }
        ],
        "sensitive": bool(special),
        "spiCat": special,
    }


def _instant(at: datetime) -> dict[str, str]:
    return {"@value": at.astimezone(UTC).isoformat(), "@type": "xsd:dateTime"}


def dpv_jsonld(record: ConsentRecord, policy: Policy) -> dict[str, Any]:
    """The record as DPV-27560 JSON-LD (profile ``dpv-27560#record``)."""
    language = _language(record, policy)
    purpose = policy.purposes.get(record.purpose or "")
    subject = {"@id": f"urn:lawful:subject:{record.subject_id}"}
    marks = flags(record, policy)
    status: dict[str, Any] = {
        "@type": f"dpv:{DPV_STATUS[record.state]}",
        "dpv:isIndicatedBy": subject,
        "dpv:hasIndicationMethod": f"lawful:method/{record.method}",
        "dpv:isIndicatedAtTime": _instant(record.state_changed_at),
    }
    document: dict[str, Any] = {
        "@id": _policy_url(record, policy),
        "dct:identifier": f"{record.document_kind}/{record.document_language}/"
        f"v{record.document_version}",
        "lawful:contentHash": record.text_hash,
    }
    out: dict[str, Any] = {
        "@context": {
            "dpv": DPV,
            "dct": "http://purl.org/dc/terms/",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
            "loc": "https://w3id.org/dpv/loc#",
            "lawful": LAWFUL,
        },
        "@id": f"urn:uuid:{record.id}",
        "@type": "dpv:ConsentRecord",
        "dct:conformsTo": DPV_27560_RECORD,
        "dct:identifier": record.id,
        "dpv:hasDataSubject": subject,
        "dpv:hasDataController": {
            "@type": "dpv:DataController",
            "dpv:hasName": _text(policy.operator.legal_name, language),
            "dpv:hasAddress": _text(policy.operator.address, language),
            "dpv:hasContact": policy.operator.requests_email or policy.operator.contacts.email,
        },
        "dpv:hasNotice": document,
        "dct:language": language,
        "dpv:hasPurpose": {
            "@id": f"lawful:purpose/{record.purpose or 'user_agreement'}",
            "dct:description": _text(purpose.name, language) if purpose else "User agreement",
        },
        "dpv:hasLegalBasis": {
            "@id": "dpv:" + (DPV_LEGAL_BASIS[purpose.legal_basis] if purpose else "Contract")
        },
        "dpv:hasPersonalData": [
            {"@id": f"lawful:category/{c}"} for c in (purpose.categories if purpose else [])
        ],
        "dpv:hasJurisdiction": [{"@id": f"loc:{j.upper()}"} for j in record.jurisdictions],
        "dpv:hasRecipient": [
            {
                "dpv:hasName": policy.recipients[k].name,
                "dpv:hasLocation": {"@id": f"loc:{policy.recipients[k].country.upper()}"},
            }
            for k in policy.recipients_for(record.purpose or "")
        ],
        "dpv:hasConsentStatus": status,
        "dct:date": _instant(record.given_at),
        "dpv:hasConsentControl": {
            "@type": "dpv:WithdrawConsent",
            "dct:description": "POST /api/v1/consents/{id}/withdraw, or the request phrases "
            "of the published policy",
        },
        "lawful:crossBorder": marks["cross_border"],
        "lawful:publicDissemination": marks["public"],
        "lawful:method": record.method,
        "lawful:channel": record.channel,
    }
    if record.expires_at is not None:
        out["dct:valid"] = _instant(record.expires_at)
    if record.distribution_terms:
        out["lawful:distributionTerms"] = record.distribution_terms
    return out
