"""Take one submission: validate it against the policy, link or create the subject, store each
value under the purposes that use it, record each consent and refusal — in the caller's
transaction, so that a refusal anywhere changes nothing.

Refusals raise ``PolicyViolation`` naming the field in the submission's own terms
(``purposes[1]``, ``fields.user.contact.email``, ``consents.marketing.document_version``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from lawful.collection.schemas import (
    AgreementAccepted,
    ConsentGiven,
    Submission,
    SubmissionReceipt,
)
from lawful.config.models import Policy, Purpose
from lawful.consent import service as consent
from lawful.crypto.keyring import Keyring
from lawful.crypto.normalise import normalise_identifier
from lawful.documents import service as documents
from lawful.documents.models import DocumentRef
from lawful.errors import PolicyViolation
from lawful.subjects import service as subjects

#: Categories whose values identify the person (and so find them again), by identifier kind.
IDENTIFYING = {"user.contact.email": "email", "user.contact.phone_number": "phone"}

#: fideslang data uses that a ``Sec-GPC: 1`` signal objects to: sale, sharing (including
#: publication), targeted advertising, profiling and advertising analytics. First-party
#: e-mail to someone who ticks the box in the same form is not "sale or sharing".
GPC_DATA_USES = (
    "sales",
    "third_party_sharing",
    "marketing.advertising",
    "personalize.profiling",
    "analytics.reporting.ad_performance",
    "analytics.reporting.campaign_insights",
)


@dataclass(frozen=True)
class Context:
    """Where a submission came from; the evidence is sealed with the consent."""

    evidence: consent.Evidence
    gpc: bool
    now: datetime
    actor: str = "web"


def objects_to(purpose: Purpose) -> bool:
    """Does ``Sec-GPC: 1`` object to this purpose?"""
    use = purpose.data_use or ""
    return any(use == u or use.startswith(u + ".") for u in GPC_DATA_USES)


def submit(
    *, session: Session, ring: Keyring, policy: Policy, submission: Submission, context: Context
) -> SubmissionReceipt:
    purposes = _declared(policy, submission.purposes)
    _check_language(policy, submission.language)
    _check_fields(purposes, submission.fields)
    identifiers = _identifiers(policy, submission.fields)
    objected = [p for p in purposes if context.gpc and objects_to(p)]
    active = [p for p in purposes if p not in objected]
    decisions = _consent_decisions(active, submission.consents, [p.key for p in purposes])
    refs = _documents(session, submission.language, decisions)
    subject_id, created = _link_or_create(session, ring, identifiers, context)
    consents, refused = _record_consents(
        session, ring, policy, subject_id, decisions, refs, submission, context
    )
    recorded = _record_values(
        session, ring, policy, subject_id, active, refused, submission, context
    )
    _record_objections(session, policy, subject_id, objected, context)
    _accept_agreement(session, ring, subject_id, submission, context)
    return SubmissionReceipt(
        submission_id=uuid.uuid4().hex,
        subject_ref=subject_id,
        new_subject=created,
        recorded=recorded,
        consents=consents,
        refused=refused,
        gpc_objections=[p.key for p in objected],
    )


def _declared(policy: Policy, keys: list[str]) -> list[Purpose]:
    purposes = []
    for index, key in enumerate(keys):
        if key not in policy.purposes:
            raise PolicyViolation(
                f"purpose {key!r} is not declared by the operator", field=f"purposes[{index}]"
            )
        purposes.append(policy.purpose(key))
    return purposes


def _check_language(policy: Policy, language: str) -> None:
    if language not in policy.operator.languages:
        raise PolicyViolation(
            f"documents are published in {', '.join(policy.operator.languages)} only",
            field="language",
        )


def _check_fields(purposes: list[Purpose], fields: Mapping[str, str]) -> None:
    """Property 1: nothing is collected that no ticked purpose uses."""
    for category in fields:
        if not any(p.uses(category) for p in purposes):
            raise PolicyViolation(
                f"no ticked purpose uses category {category!r}: drop the field or tick a purpose "
                "that uses it",
                field=f"fields.{category}",
            )


def _identifiers(policy: Policy, fields: Mapping[str, str]) -> dict[str, str]:
    found = {kind: fields[category] for category, kind in IDENTIFYING.items() if category in fields}
    for kind, value in found.items():
        category = next(c for c, k in IDENTIFYING.items() if k == kind)
        try:
            normalise_identifier(kind, value, default_region=policy.operator.country)
        except PolicyViolation as invalid:
            raise PolicyViolation(invalid.message, field=f"fields.{category}") from None
    if not found:
        raise PolicyViolation(
            "a submission needs an e-mail or a phone to reach the person", field="fields"
        )
    return found


def _consent_decisions(
    active: list[Purpose], given: Mapping[str, ConsentGiven], listed: list[str]
) -> dict[str, ConsentGiven]:
    """The consent decision for each active consent-based purpose; a missing one is refused."""
    for key in given:
        if key not in listed:
            raise PolicyViolation(
                f"consent for {key!r}, which is not among the purposes", field=f"consents.{key}"
            )
    decisions = {}
    for purpose in active:
        if purpose.consent is None:
            continue
        if purpose.key not in given:
            raise PolicyViolation(
                f"purpose {purpose.key!r} needs its own consent", field=f"consents.{purpose.key}"
            )
        decisions[purpose.key] = given[purpose.key]
    return decisions


def _documents(
    session: Session, language: str, decisions: Mapping[str, ConsentGiven]
) -> dict[str, DocumentRef]:
    """The exact consent text each decision was made on; it must be the current one."""
    return {
        key: _shown(
            session,
            f"consent-{key}",
            language,
            decision,
            field=f"consents.{key}.document_version",
            missing=f"no consent text for {key!r} is published",
        )
        for key, decision in decisions.items()
    }


def _shown(
    session: Session,
    kind: str,
    language: str,
    shown: ConsentGiven | AgreementAccepted,
    *,
    field: str,
    missing: str,
) -> DocumentRef:
    """The current version of ``kind``, if it is the one the form says it showed (a form that
    sends no hash showed the current text). Read once, checked before anything is written."""
    current = documents.current(session=session, kind=kind, language=language)
    if current is None:
        raise PolicyViolation(missing, field=field)
    ref = DocumentRef(
        kind, language, shown.document_version, shown.content_hash or current.content_hash
    )
    return documents.check_shown(current, ref, field).ref


def _link_or_create(
    session: Session, ring: Keyring, identifiers: Mapping[str, str], context: Context
) -> tuple[str, bool]:
    region = None
    for kind, value in identifiers.items():
        found = subjects.find_subject(
            session=session, ring=ring, kind=kind, value=value, default_region=region
        )
        if found:
            _link_missing(session, ring, found, identifiers, context)
            return found, False
    subject_id = subjects.create_subject(
        session=session, ring=ring, identifiers=identifiers, actor=context.actor, now=context.now
    )
    return subject_id, True


def _link_missing(
    session: Session,
    ring: Keyring,
    subject_id: str,
    identifiers: Mapping[str, str],
    context: Context,
) -> None:
    for kind, value in identifiers.items():
        if subjects.find_subject(session=session, ring=ring, kind=kind, value=value) is None:
            subjects.link_identifier(
                session=session,
                ring=ring,
                subject_id=subject_id,
                kind=kind,
                value=value,
                actor=context.actor,
            )


def _record_consents(
    session: Session,
    ring: Keyring,
    policy: Policy,
    subject_id: str,
    decisions: Mapping[str, ConsentGiven],
    refs: Mapping[str, DocumentRef],
    submission: Submission,
    context: Context,
) -> tuple[dict[str, str], list[str]]:
    """One consent record per purpose (never one for several: no bundling)."""
    records, refused = {}, []
    for key, decision in decisions.items():
        if decision.given:
            record = consent.give(
                session=session,
                ring=ring,
                policy=policy,
                subject_id=subject_id,
                purpose=key,
                document=refs[key],
                method="checkbox",
                channel=submission.channel,
                evidence=context.evidence,
                now=context.now,
                actor=context.actor,
                distribution_terms=decision.distribution_terms,
            )
        else:
            record = consent.refuse(
                session=session,
                ring=ring,
                policy=policy,
                subject_id=subject_id,
                purpose=key,
                document=refs[key],
                method="checkbox",
                channel=submission.channel,
                evidence=context.evidence,
                now=context.now,
                actor=context.actor,
            )
            refused.append(key)
        records[key] = record.id
    return records, refused


def _record_values(
    session: Session,
    ring: Keyring,
    policy: Policy,
    subject_id: str,
    active: list[Purpose],
    refused: Iterable[str],
    submission: Submission,
    context: Context,
) -> dict[str, list[str]]:
    recorded = {}
    for purpose in active:
        if purpose.key in refused:
            continue
        values = {c: v for c, v in submission.fields.items() if purpose.uses(c)}
        if values:
            subjects.record(
                session=session,
                ring=ring,
                policy=policy,
                subject_id=subject_id,
                purpose=purpose.key,
                values=values,
                actor=context.actor,
                now=context.now,
            )
            recorded[purpose.key] = sorted(values)
    return recorded


def _record_objections(
    session: Session, policy: Policy, subject_id: str, objected: list[Purpose], context: Context
) -> None:
    for purpose in objected:
        consent.object_to(
            session=session,
            policy=policy,
            subject_id=subject_id,
            purpose=purpose.key,
            channel="gpc",
            now=context.now,
            actor=context.actor,
        )


def _accept_agreement(
    session: Session, ring: Keyring, subject_id: str, submission: Submission, context: Context
) -> None:
    accepted = submission.user_agreement
    if accepted is None:
        return
    ref = _shown(
        session,
        "user-agreement",
        submission.language,
        accepted,
        field="user_agreement.document_version",
        missing="the operator has published no user agreement",
    )
    consent.accept_user_agreement(
        session=session,
        ring=ring,
        subject_id=subject_id,
        document=ref,
        method="checkbox",
        channel=submission.channel,
        evidence=context.evidence,
        now=context.now,
        actor=context.actor,
    )
