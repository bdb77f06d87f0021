"""Take submissions: validate each against the policy, link or create the subject, store each
value under the purposes that use it, record each consent and refusal — in the caller's
transaction, so that a refusal anywhere changes nothing.

Two steps, so that many submissions can share one transaction (the web route's group commit,
:mod:`lawful.collection.writer`): :func:`prepare` checks a submission against the policy
without touching the store; :func:`write` checks what only the store knows (the documents
shown are the current ones, the person is not blocked) and writes a whole batch in a few
statements. A submission refused at either step writes nothing; the others in its batch
are unaffected. :func:`submit` is both steps for one submission.

Refusals are ``PolicyViolation`` naming the field in the submission's own terms
(``purposes[1]``, ``fields.user.contact.email``, ``consents.marketing.document_version``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypedDict, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lawful import audit
from lawful.collection.schemas import (
    AgreementAccepted,
    ConsentGiven,
    Submission,
    SubmissionReceipt,
)
from lawful.config.models import Policy, Purpose
from lawful.consent import service as consent
from lawful.crypto.envelope import DataKey, seal_value
from lawful.crypto.keyring import Keyring
from lawful.documents import service as documents
from lawful.documents.models import DocumentRef, DocumentVersion
from lawful.errors import PolicyViolation
from lawful.store.bulk import bulk_insert
from lawful.subjects import service as subjects
from lawful.subjects.models import Identifier, PersonalValue, Subject

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


@dataclass(frozen=True)
class Plan:
    """A submission checked against the policy, ready to write.

    Documents are as the form claims to have shown them (a missing hash is the current
    text's); :func:`write` checks them against the store."""

    submission: Submission
    context: Context
    identifiers: dict[str, bytes]  # kind -> blind index, e-mail first
    decisions: dict[str, consent.Planned]  # purpose -> consent given or refused
    objected: list[str]  # purposes objected to by Sec-GPC
    values: dict[str, dict[str, str]]  # purpose -> category -> value to store
    agreement: consent.Planned | None = None


def submit(
    *, session: Session, ring: Keyring, policy: Policy, submission: Submission, context: Context
) -> SubmissionReceipt:
    """Prepare and write one submission in the caller's transaction."""
    plan = prepare(ring=ring, policy=policy, submission=submission, context=context)
    outcome = write(session=session, ring=ring, policy=policy, plans=[plan])[0]
    if isinstance(outcome, PolicyViolation):
        raise outcome
    return outcome


def prepare(*, ring: Keyring, policy: Policy, submission: Submission, context: Context) -> Plan:
    """Check a submission against the policy; raise ``PolicyViolation`` naming the field."""
    purposes = _declared(policy, submission.purposes)
    _check_language(policy, submission.language)
    _check_fields(purposes, submission.fields)
    identifiers = _identifiers(ring, policy, submission.fields)
    objected = [p for p in purposes if context.gpc and objects_to(p)]
    active = [p for p in purposes if p not in objected]
    decisions = _consent_decisions(policy, active, submission, context, [p.key for p in purposes])
    refused = {key for key, d in decisions.items() if d.state == "refused"}
    values = {
        p.key: {c: v for c, v in submission.fields.items() if p.uses(c)}
        for p in active
        if p.key not in refused
    }
    return Plan(
        submission=submission,
        context=context,
        identifiers=identifiers,
        decisions=decisions,
        objected=[p.key for p in objected],
        values={key: found for key, found in values.items() if found},
        agreement=_agreement(submission, context),
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
                reason="field-not-used",
            )


def _identifiers(ring: Keyring, policy: Policy, fields: Mapping[str, str]) -> dict[str, bytes]:
    found = {}
    for category, kind in IDENTIFYING.items():
        if category not in fields:
            continue
        try:
            found[kind] = ring.digest(
                kind, fields[category], default_region=policy.operator.country
            )
        except PolicyViolation as invalid:
            raise PolicyViolation(
                invalid.message, field=f"fields.{category}", reason=invalid.reason
            ) from None
    if not found:
        raise PolicyViolation(
            "a submission needs an e-mail or a phone to reach the person",
            field="fields",
            reason="identifier-required",
        )
    return found


def _consent_decisions(
    policy: Policy,
    active: list[Purpose],
    submission: Submission,
    context: Context,
    listed: list[str],
) -> dict[str, consent.Planned]:
    """The consent decision for each active consent-based purpose; a missing one is refused."""
    for key in submission.consents:
        if key not in listed:
            raise PolicyViolation(
                f"consent for {key!r}, which is not among the purposes", field=f"consents.{key}"
            )
    decisions = {}
    for purpose in active:
        if purpose.consent is None:
            continue
        if purpose.key not in submission.consents:
            raise PolicyViolation(
                f"purpose {purpose.key!r} needs its own consent",
                field=f"consents.{purpose.key}",
                reason="consent-required",
            )
        decisions[purpose.key] = _plan_decision(
            policy, purpose.key, submission.consents[purpose.key], submission, context
        )
    return decisions


class _How(TypedDict):
    """How a decision was made: the same for every purpose of one form."""

    method: str
    channel: str
    evidence: consent.Evidence


def _plan_decision(
    policy: Policy, key: str, decision: ConsentGiven, submission: Submission, context: Context
) -> consent.Planned:
    shown = _claimed(f"consent-{key}", submission.language, decision)
    how = _How(method="checkbox", channel=submission.channel, evidence=context.evidence)
    if decision.given:
        return consent.plan_give(
            policy,
            purpose=key,
            document=shown,
            now=context.now,
            distribution_terms=decision.distribution_terms,
            **how,
        )
    return consent.plan_refuse(policy, purpose=key, document=shown, **how)


def _agreement(submission: Submission, context: Context) -> consent.Planned | None:
    accepted = submission.user_agreement
    if accepted is None:
        return None
    return consent.plan_agreement(
        document=_claimed(consent.USER_AGREEMENT, submission.language, accepted),
        method="checkbox",
        channel=submission.channel,
        evidence=context.evidence,
    )


def _claimed(kind: str, language: str, shown: ConsentGiven | AgreementAccepted) -> DocumentRef:
    """The document the form says it showed; an empty hash stands for the current text."""
    return DocumentRef(kind, language, shown.document_version, shown.content_hash or "")


# --- writing ---------------------------------------------------------------------------------

Outcome = SubmissionReceipt | PolicyViolation  # noqa: UP040 - a plain alias reads best here


def write(
    *, session: Session, ring: Keyring, policy: Policy, plans: Sequence[Plan]
) -> list[Outcome]:
    """Write prepared submissions in the caller's transaction, in a few statements for all.

    Returns, for each plan in order, its receipt or the ``PolicyViolation`` that refused it
    (a document that is no longer current, a blocked person); a refused plan writes nothing."""
    batch = _Batch(session, ring, policy, _current_documents(session, plans))
    batch.look_up(plans)
    outcomes = [batch.add(plan) for plan in plans]
    if plans:
        batch.flush(now=plans[-1].context.now, actor=plans[-1].context.actor)
    return [o if isinstance(o, PolicyViolation) else o.receipt(batch.record_ids) for o in outcomes]


# The batch's queries, built once: building a statement costs more than running it (SQLAlchemy
# derives its cache key anew for every new construct; measured 260 µs against 60 µs).
_NEWEST = (
    sa.select(DocumentVersion.kind, DocumentVersion.language, sa.func.max(DocumentVersion.version))
    .where(
        sa.tuple_(DocumentVersion.kind, DocumentVersion.language).in_(
            sa.bindparam("wanted", expanding=True)
        )
    )
    .group_by(DocumentVersion.kind, DocumentVersion.language)
)
# The columns a check needs, not the entity: a version's Markdown can run to many pages.
_CURRENT = sa.select(
    DocumentVersion.kind,
    DocumentVersion.language,
    DocumentVersion.version,
    DocumentVersion.content_hash,
).where(
    sa.tuple_(DocumentVersion.kind, DocumentVersion.language, DocumentVersion.version).in_(_NEWEST)
)
# One query per kind: (kind, digest) is the index. A row-value list, (kind, digest) IN (…),
# is not matched to it by PostgreSQL 15: each batch then scanned the whole table.
_OWNERS = sa.select(Identifier.digest, Identifier.subject_id).where(
    Identifier.kind == sa.bindparam("kind"),
    Identifier.digest.in_(sa.bindparam("digests", expanding=True)),
)
_KEYS = sa.select(Subject.id, Subject.wrapped_key, Subject.master_key_id, Subject.blocked_at).where(
    Subject.id.in_(sa.bindparam("ids", expanding=True))
)


def _current_documents(
    session: Session, plans: Sequence[Plan]
) -> dict[tuple[str, str], DocumentRef]:
    """The current version of every document the plans claim to have shown, in one query."""
    wanted = {
        (d.document.kind, d.document.language)
        for plan in plans
        for d in (*plan.decisions.values(), plan.agreement)
        if d is not None and d.document is not None
    }
    if not wanted:
        return {}
    rows = session.connection().execute(_CURRENT, {"wanted": sorted(wanted)})
    return {(k, lang): DocumentRef(k, lang, v, h) for k, lang, v, h in rows}


@dataclass
class _Written:
    """What one accepted plan wrote; its consent record ids are known after the flush."""

    subject_id: str
    created: bool
    recorded: dict[str, list[str]]
    decisions: dict[str, int]  # purpose -> index into the batch's consent decisions
    refused: list[str]
    objected: list[str]

    def receipt(self, record_ids: Sequence[str]) -> SubmissionReceipt:
        return SubmissionReceipt(
            submission_id=uuid.uuid4().hex,
            subject_ref=self.subject_id,
            new_subject=self.created,
            recorded=self.recorded,
            consents={key: record_ids[i] for key, i in self.decisions.items()},
            refused=self.refused,
            gpc_objections=self.objected,
        )


@dataclass
class _Subject:
    key: DataKey
    blocked: bool


@dataclass
class _Batch:
    """The rows of a batch of submissions, gathered plan by plan and inserted together."""

    session: Session
    ring: Keyring
    policy: Policy
    documents: dict[tuple[str, str], DocumentRef]
    owners: dict[bytes, str] = field(default_factory=dict)  # blind index -> subject id
    people: dict[str, _Subject] = field(default_factory=dict)
    subjects: list[dict[str, object]] = field(default_factory=list)
    identifiers: list[dict[str, object]] = field(default_factory=list)
    values: list[dict[str, object]] = field(default_factory=list)
    events: list[audit.Event] = field(default_factory=list)
    decisions: list[consent.ToRecord] = field(default_factory=list)
    record_ids: list[str] = field(default_factory=list)

    def look_up(self, plans: Sequence[Plan]) -> None:
        """Who already owns the plans' identifiers, and those people's keys (two queries)."""
        by_kind: dict[str, set[bytes]] = {}
        for plan in plans:
            for kind, digest in plan.identifiers.items():
                by_kind.setdefault(kind, set()).add(digest)
        connection = self.session.connection()
        for kind, digests in by_kind.items():
            found = connection.execute(_OWNERS, {"kind": kind, "digests": list(digests)})
            self.owners.update((bytes(d), s) for d, s in found)
        ids = set(self.owners.values())
        if not ids:
            return
        rows = connection.execute(_KEYS, {"ids": sorted(ids)})
        for subject_id, wrapped, master, blocked_at in rows:
            key = self.ring.unwrap_data_key(wrapped, master, subject_id)
            self.people[subject_id] = _Subject(key, blocked_at is not None)

    def add(self, plan: Plan) -> _Written | PolicyViolation:
        """Gather one plan's rows, or the reason it is refused (then it adds nothing)."""
        try:
            decisions, agreement = self._shown(plan)
            subject_id, created = self._subject_for(plan)
        except PolicyViolation as refused:
            return refused
        key = self.people[subject_id].key
        for purpose, values in plan.values.items():
            self._store_values(subject_id, key, purpose, values, plan.context)
        indexes = {}
        for purpose, planned in decisions.items():
            indexes[purpose] = len(self.decisions)
            self.decisions.append(consent.ToRecord(subject_id, key, planned))
        for purpose in plan.objected:
            self.decisions.append(
                consent.ToRecord(subject_id, None, _objection(self.policy, purpose))
            )
        if agreement is not None:
            self.decisions.append(consent.ToRecord(subject_id, key, agreement))
        return _Written(
            subject_id=subject_id,
            created=created,
            recorded={purpose: sorted(values) for purpose, values in plan.values.items()},
            decisions=indexes,
            refused=[k for k, d in plan.decisions.items() if d.state == "refused"],
            objected=plan.objected,
        )

    def _shown(self, plan: Plan) -> tuple[dict[str, consent.Planned], consent.Planned | None]:
        """The plan's decisions bound to the current documents, if those are what was shown."""
        decisions = {
            key: self._bound(
                d, f"consents.{key}.document_version", f"no consent text for {key!r} is published"
            )
            for key, d in plan.decisions.items()
        }
        agreement = plan.agreement and self._bound(
            plan.agreement,
            "user_agreement.document_version",
            "the operator has published no user agreement",
        )
        return decisions, agreement

    def _bound(self, planned: consent.Planned, field: str, missing: str) -> consent.Planned:
        claimed = planned.document
        assert claimed is not None  # noqa: S101 - every planned decision here names its document
        current = self.documents.get((claimed.kind, claimed.language))
        if current is None:
            raise PolicyViolation(missing, field=field)
        ref = replace(claimed, content_hash=claimed.content_hash or current.content_hash)
        return replace(planned, document=documents.check_ref(current, ref, field))

    def _subject_for(self, plan: Plan) -> tuple[str, bool]:
        """The person the plan's identifiers name (linking the ones not yet theirs), or a new
        person; refused when that person's processing is blocked and there is data to store."""
        owner = next((self.owners[d] for d in plan.identifiers.values() if d in self.owners), None)
        if owner is None:
            return self._create(plan), True
        if self.people[owner].blocked and plan.values:
            raise PolicyViolation("the subject's processing is blocked", field="subject_id")
        for kind, digest in plan.identifiers.items():
            if digest not in self.owners:
                self._index(owner, kind, digest)
                self.events.append(
                    audit.Event(
                        "identifier_link", plan.context.actor, owner, details={"kind": kind}
                    )
                )
        return owner, False

    def _create(self, plan: Plan) -> str:
        subject_id, key = subjects.new_subject_id(), DataKey.generate()
        self.subjects.append(
            {
                "id": subject_id,
                "wrapped_key": self.ring.wrap_data_key(key, subject_id),
                "master_key_id": self.ring.current.key_id,
                "created_at": plan.context.now,
            }
        )
        self.people[subject_id] = _Subject(key, blocked=False)
        for kind, digest in plan.identifiers.items():
            self._index(subject_id, kind, digest)
        kinds = ",".join(sorted(plan.identifiers))
        self.events.append(
            audit.Event(
                "subject_create", plan.context.actor, subject_id, details={"identifiers": kinds}
            )
        )
        return subject_id

    def _index(self, subject_id: str, kind: str, digest: bytes) -> None:
        self.owners[digest] = subject_id
        self.identifiers.append({"subject_id": subject_id, "kind": kind, "digest": digest})

    def _store_values(
        self,
        subject_id: str,
        key: DataKey,
        purpose: str,
        values: Mapping[str, str],
        context: Context,
    ) -> None:
        for category, value in values.items():
            sealed = seal_value(
                key, value, context=subjects.value_context(subject_id, purpose, category)
            )
            self.values.append(
                {
                    "subject_id": subject_id,
                    "purpose": purpose,
                    "category": category,
                    "sealed": sealed,
                    "collected_at": context.now,
                }
            )
        self.events.append(audit.Event("record", context.actor, subject_id, purpose, list(values)))

    def flush(self, *, now: datetime, actor: str) -> None:
        """Insert the gathered rows: subjects first, then what refers to them."""
        connection = self.session.connection()
        for model, rows in (
            (Subject, self.subjects),
            (Identifier, self.identifiers),
            (PersonalValue, self.values),
        ):
            if rows:
                bulk_insert(connection, cast(sa.Table, model.__table__), rows)
        audit.append_many(self.session, self.events, at=now)
        if self.decisions:
            self.record_ids = consent.record_many(
                session=self.session,
                policy=self.policy,
                decisions=self.decisions,
                now=now,
                actor=actor,
                new_subjects={str(row["id"]) for row in self.subjects},
            )


def _objection(policy: Policy, purpose: str) -> consent.Planned:
    """A ``Sec-GPC: 1`` signal as an objection to ``purpose``."""
    return consent.plan_objection(policy, purpose=purpose, method="gpc", channel="gpc")
