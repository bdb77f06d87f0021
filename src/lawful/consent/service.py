"""Give, refuse, withdraw and check consent; the service every surface calls.

Each function takes a keyword-only ``session`` and never commits: the caller's transaction
makes a decision, its ``consent_events`` row, its audit event and any destruction job happen
together or not at all. What is refused, and why:

* a purpose that declares no consent (there is nothing to consent to);
* a document that is not the current version of that purpose's own consent document
  (``documents.service.ensure_current``), or another document: one consent per purpose, on a
  separate document (152-FZ Art. 9 since 1 Sept 2025; PDPL Art. 9) — never bundled;
* consent inferred from silence, a pre-ticked box, use of the site or a user agreement
  (RU, VN, KZ, EU: see ``lawful.config.check.BUNDLED_CONSENT_LAW``);
* a distribution consent without the subject's terms for every category (152-FZ Art. 10.1).

Withdrawal takes effect at once (``check`` refuses from that instant) and queues the
destruction of the purpose's values for the date the retention rule and the law allow.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lawful import audit, jobs, law
from lawful.audit.service import Scalar
from lawful.config.check import BUNDLED_CONSENT_LAW
from lawful.config.models import DistributionTerms, Policy, Purpose
from lawful.consent.eligibility import Eligibility, check_subject
from lawful.consent.eligibility import check_identifiers as _check_identifiers
from lawful.consent.models import ACTIVE_STATES, ConsentEvent, ConsentRecord
from lawful.crypto.envelope import DataKey, open_value, seal_value
from lawful.crypto.keyring import Keyring
from lawful.documents.models import DocumentRef
from lawful.documents.service import ensure_current
from lawful.errors import NeedsDecision, NotFound, PolicyViolation
from lawful.store.bulk import bulk_insert
from lawful.subjects.models import Subject

#: Job kind of the destruction that follows a withdrawal (handler: ``lawful.consent.jobs``).
DESTROY_JOB = "consent.destroy_purpose_values"
USER_AGREEMENT = "user-agreement"

#: Ways a person can act to consent. The last four are not an act of the person at all.
METHODS = (
    "checkbox",
    "signature",
    "electronic_signature",
    "double_opt_in",
    "email_reply",
    "gpc",
    "by_using_site",
    "in_user_agreement",
    "pre_ticked",
    "silence",
)
NEVER_CONSENT = frozenset({"silence", "pre_ticked"})
INFERRED = frozenset({"by_using_site", "in_user_agreement"})


@dataclass(frozen=True)
class Evidence:
    """How the decision reached us. IP, user agent and page URL are personal data (sealed);
    the form id names the operator's form (clear)."""

    ip: str | None = None
    user_agent: str | None = None
    form_id: str | None = None
    page_url: str | None = None


# --- giving and refusing -------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """One decision checked against the policy and ready to record; nothing read yet.

    ``give``, ``refuse``, ``accept_user_agreement`` and ``object_to`` each plan one and record
    it; a batch of web submissions plans many and records them with :func:`record_many`."""

    purpose: str | None
    kind: str
    state: str
    document: DocumentRef | None
    method: str
    channel: str
    evidence: Evidence
    action: str
    expires_at: datetime | None = None
    terms: dict[str, Any] | None = None
    reason: str | None = None


def plan_give(
    policy: Policy,
    *,
    purpose: str,
    document: DocumentRef,
    method: str,
    channel: str,
    evidence: Evidence,
    now: datetime,
    distribution_terms: Mapping[str, DistributionTerms | Mapping[str, Any]] | None = None,
) -> Planned:
    """Check a consent against the policy (everything but the document being current)."""
    declared = _consent_purpose(policy, purpose)
    _check_method(policy, purpose, method)
    _check_own_document(policy, declared, document)
    return Planned(
        purpose=purpose,
        kind=declared.consent.kind if declared.consent else "processing",
        state="given",
        document=document,
        method=method,
        channel=channel,
        evidence=evidence,
        action="consent_give",
        expires_at=_expiry(declared, now),
        terms=_distribution_terms(declared, distribution_terms),
    )


def plan_refuse(
    policy: Policy,
    *,
    purpose: str,
    document: DocumentRef | None,
    method: str,
    channel: str,
    evidence: Evidence,
    reason: str | None = None,
) -> Planned:
    """Check a refusal (or, with ``reason="objection"``, an objection) against the policy."""
    declared = _refusable(policy, purpose)
    # An objection's method says how it reached us (a GPC signal, a request, an unsubscribe
    # link); a refusal's is one of the ways a consent decision is made.
    if reason != "objection" and method not in METHODS:
        raise PolicyViolation(f"unknown consent method {method!r}", field="method")
    if document is not None:
        _check_own_document(policy, declared, document)
    return Planned(
        purpose=purpose,
        kind=declared.consent.kind if declared.consent else "processing",
        state="refused",
        document=document,
        method=method,
        channel=channel,
        evidence=evidence,
        action="consent_refuse",
        reason=reason,
    )


def plan_agreement(
    *, document: DocumentRef, method: str, channel: str, evidence: Evidence
) -> Planned:
    """Check an acceptance of the user agreement: a contract, never a consent."""
    if document.kind != USER_AGREEMENT:
        raise PolicyViolation(
            "the user agreement is accepted on the user-agreement document",
            field="document.kind",
        )
    if method in NEVER_CONSENT:
        raise PolicyViolation(f"{method} is not acceptance", field="method")
    return Planned(
        purpose=None,
        kind="user_agreement",
        state="given",
        document=document,
        method=method,
        channel=channel,
        evidence=evidence,
        action="consent_give",
    )


def give(
    *,
    session: Session,
    ring: Keyring,
    policy: Policy,
    subject_id: str,
    purpose: str,
    document: DocumentRef,
    method: str,
    channel: str,
    evidence: Evidence,
    now: datetime,
    actor: str,
    distribution_terms: Mapping[str, DistributionTerms | Mapping[str, Any]] | None = None,
) -> ConsentRecord:
    """Record that the subject consents to ``purpose`` on ``document`` as shown to them."""
    planned = plan_give(
        policy,
        purpose=purpose,
        document=document,
        method=method,
        channel=channel,
        evidence=evidence,
        now=now,
        distribution_terms=distribution_terms,
    )
    ensure_current(session=session, ref=document, field=f"consents.{purpose}.document_version")
    return _record_one(session, ring, policy, subject_id, planned, now=now, actor=actor)


def refuse(
    *,
    session: Session,
    ring: Keyring,
    policy: Policy,
    subject_id: str,
    purpose: str,
    document: DocumentRef | None,
    method: str,
    channel: str,
    evidence: Evidence,
    now: datetime,
    actor: str,
) -> ConsentRecord:
    """Record a refusal (a consent purpose) or an objection (legitimate interest, GPC).

    Either way ``check`` answers no for the purpose until the subject consents again."""
    planned = plan_refuse(
        policy,
        purpose=purpose,
        document=document,
        method=method,
        channel=channel,
        evidence=evidence,
    )
    if document is not None:
        ensure_current(session=session, ref=document, field=f"consents.{purpose}.document_version")
    return _record_one(session, ring, policy, subject_id, planned, now=now, actor=actor)


def accept_user_agreement(
    *,
    session: Session,
    ring: Keyring,
    subject_id: str,
    document: DocumentRef,
    method: str,
    channel: str,
    evidence: Evidence,
    now: datetime,
    actor: str,
    policy: Policy | None = None,
) -> ConsentRecord:
    """Record acceptance of the operator's public offer. It is a contract, not a consent:
    it lets no consent-based purpose proceed (no bundling)."""
    planned = plan_agreement(document=document, method=method, channel=channel, evidence=evidence)
    ensure_current(session=session, ref=document, field="user_agreement.document_version")
    return _record_one(session, ring, policy, subject_id, planned, now=now, actor=actor)


def object_to(
    *,
    session: Session,
    policy: Policy,
    subject_id: str,
    purpose: str,
    channel: str,
    now: datetime,
    actor: str,
    method: str = "gpc",
) -> ConsentRecord:
    """Record an objection (a ``Sec-GPC: 1`` signal, an unsubscribe) to a purpose that rests
    on consent or legitimate interest: ``check`` answers ``refused:objection`` (or
    ``refused:no-consent``) until the subject consents again. Nothing personal is kept."""
    planned = plan_objection(policy, purpose=purpose, method=method, channel=channel)
    return _record_one(session, None, policy, subject_id, planned, now=now, actor=actor)


def plan_objection(policy: Policy, *, purpose: str, method: str, channel: str) -> Planned:
    """Check an objection (a GPC signal, an unsubscribe, a request): a refusal that keeps
    nothing personal — no document, no evidence."""
    return plan_refuse(
        policy,
        purpose=purpose,
        document=None,
        method=method,
        channel=channel,
        evidence=Evidence(),
        reason="objection",
    )


@dataclass(frozen=True)
class ToRecord:
    """A planned decision for one subject, with the subject's data key to seal the evidence."""

    subject_id: str
    key: DataKey | None
    planned: Planned


def record_many(
    *,
    session: Session,
    policy: Policy,
    decisions: Sequence[ToRecord],
    now: datetime,
    actor: str,
    new_subjects: Collection[str] = (),
) -> list[str]:
    """Record many planned decisions in a few statements; return their record ids in order.

    The documents must already be checked as current. Each decision supersedes the subject's
    previous one about the same purpose, including an earlier one in ``decisions``;
    ``new_subjects`` (created in this transaction) have no previous decision to look for."""
    rows = [_record_row(d.subject_id, d.key, policy, d.planned, now) for d in decisions]
    latest: dict[tuple[str, str | None], dict[str, Any]] = {}
    for row in rows:
        if (earlier := latest.get((row["subject_id"], row["purpose"]))) is not None:
            earlier["is_current"] = False
        latest[(row["subject_id"], row["purpose"])] = row
    _supersede(session, [k for k in latest if k[0] not in new_subjects])
    connection = session.connection()
    bulk_insert(connection, cast(sa.Table, ConsentRecord.__table__), rows)
    bulk_insert(
        connection,
        cast(sa.Table, ConsentEvent.__table__),
        [
            _event_row(row, None, actor, now, d.planned)
            for row, d in zip(rows, decisions, strict=True)
        ],
    )
    audit.append_many(
        session,
        [
            _audit_event(row, actor, d.planned.action, d.planned.reason)
            for row, d in zip(rows, decisions, strict=True)
        ],
        at=now,
    )
    return [str(row["id"]) for row in rows]


def _supersede(session: Session, pairs: Sequence[tuple[str, str | None]]) -> None:
    """Mark the subjects' current decisions about these purposes as no longer current."""
    with_purpose = [(s, p) for s, p in pairs if p is not None]
    agreements = [s for s, p in pairs if p is None]
    current = ConsentRecord.is_current.is_(True)
    if with_purpose:
        session.execute(
            sa.update(ConsentRecord)
            .where(
                current,
                sa.tuple_(ConsentRecord.subject_id, ConsentRecord.purpose).in_(with_purpose),
            )
            .values(is_current=False)
        )
    if agreements:
        session.execute(
            sa.update(ConsentRecord)
            .where(
                current, ConsentRecord.purpose.is_(None), ConsentRecord.subject_id.in_(agreements)
            )
            .values(is_current=False)
        )


def _refusable(policy: Policy, purpose: str) -> Purpose:
    declared = policy.purpose(purpose)
    if declared.consent is None and declared.legal_basis not in ("consent", "legitimate_interest"):
        raise PolicyViolation(
            f"purpose {purpose!r} rests on {declared.legal_basis}: there is no consent to refuse "
            "and no objection to record",
            field=f"consents.{purpose}",
        )
    return declared


def _consent_purpose(policy: Policy, purpose: str) -> Purpose:
    if not isinstance(purpose, str) or "," in purpose:
        raise PolicyViolation(
            "one consent covers one purpose: give each purpose its own consent",
            field="purpose",
        )
    declared = policy.purpose(purpose)
    if declared.consent is None:
        raise PolicyViolation(
            f"purpose {purpose!r} declares no consent in lawful.yaml (its basis is "
            f"{declared.legal_basis}); nothing to consent to",
            field=f"consents.{purpose}",
        )
    return declared


def _check_method(policy: Policy, purpose: str, method: str) -> None:
    field = f"consents.{purpose}.method"
    if method not in METHODS:
        raise PolicyViolation(
            f"unknown consent method {method!r}; use one of {', '.join(METHODS)}", field=field
        )
    if method in NEVER_CONSENT:
        raise PolicyViolation(f"{method} is not consent: consent is an act", field=field)
    if method in INFERRED:
        for jurisdiction in policy.operator.jurisdictions:
            if jurisdiction in BUNDLED_CONSENT_LAW:
                raise PolicyViolation(
                    f"consent cannot be inferred ({method}): {BUNDLED_CONSENT_LAW[jurisdiction]}",
                    field=field,
                )


def _check_own_document(policy: Policy, declared: Purpose, document: DocumentRef) -> None:
    """The purpose's own consent document in one of the operator's languages, never another
    one; that it is the current version is checked against the store by the caller."""
    own = f"consent-{declared.key}"
    if document.kind != own:
        raise PolicyViolation(
            f"consent to {declared.key!r} must be given on its own document {own!r}, not on "
            f"{document.kind!r}: one separate consent per purpose, never bundled",
            field=f"consents.{declared.key}.document_kind",
        )
    if document.language not in policy.operator.languages:
        raise PolicyViolation(
            f"{document.language!r} is not one of the operator's languages",
            field=f"consents.{declared.key}.document_language",
        )


def _distribution_terms(
    declared: Purpose, given: Mapping[str, DistributionTerms | Mapping[str, Any]] | None
) -> dict[str, Any] | None:
    field = f"consents.{declared.key}.distribution_terms"
    if not declared.is_distribution:
        if given:
            raise PolicyViolation("only a distribution consent carries terms", field=field)
        return None
    given = given or {}
    missing = [c for c in declared.categories if c not in given]
    if missing:
        raise PolicyViolation(
            "a distribution consent states the subject's terms for each category "
            f"(152-FZ Art. 10.1; RKN Order No. 18); missing: {', '.join(missing)}",
            field=field,
        )
    extra = [c for c in given if c not in declared.categories]
    if extra:
        raise PolicyViolation(
            f"terms for categories the purpose does not use: {', '.join(extra)}", field=field
        )
    return {
        c: (
            t if isinstance(t, DistributionTerms) else DistributionTerms.model_validate(t)
        ).model_dump(mode="json")
        for c, t in given.items()
    }


_TERM = re.compile(r"(\d+)\s*(day|week|month|year)s?\b", re.IGNORECASE)


def _expiry(declared: Purpose, given_at: datetime) -> datetime | None:
    """The end of the consent's term (``consent.term``, e.g. "3 years from signature");
    None when the term is "until withdrawn" or the purpose's end."""
    term = declared.consent.term if declared.consent else None
    match = _TERM.search(term or "")
    if match is None:
        return None
    amount, unit = int(match[1]), match[2].lower()
    if unit in ("day", "week"):
        return given_at + timedelta(days=amount * (7 if unit == "week" else 1))
    return _add_months(given_at, amount * (12 if unit == "year" else 1))


def _add_months(at: datetime, months: int) -> datetime:
    total = at.month - 1 + months
    year, month = at.year + total // 12, total % 12 + 1
    for day in (at.day, 30, 29, 28):
        try:
            return at.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise ValueError("unreachable")  # pragma: no cover


def _subject(session: Session, subject_id: str) -> Subject:
    subject = session.get(Subject, subject_id)
    if subject is None:
        raise NotFound("no such subject", field="subject_id")
    return subject


def _record_one(
    session: Session,
    ring: Keyring | None,
    policy: Policy | None,
    subject_id: str,
    planned: Planned,
    *,
    now: datetime,
    actor: str,
) -> ConsentRecord:
    """Record one planned decision, superseding the subject's previous one, and journal it."""
    subject = _subject(session, subject_id)
    key = _data_key(ring, subject) if ring is not None else None
    session.execute(
        sa.update(ConsentRecord)
        .where(
            ConsentRecord.subject_id == subject.id,
            _same_purpose(planned.purpose),
            ConsentRecord.is_current.is_(True),
        )
        .values(is_current=False)
    )
    record = ConsentRecord(**_record_row(subject.id, key, policy, planned, now))
    session.add(record)
    session.flush()
    _journal(session, record, None, actor, now, planned.action, reason=planned.reason)
    return record


def _record_row(
    subject_id: str, key: DataKey | None, policy: Policy | None, planned: Planned, now: datetime
) -> dict[str, Any]:
    """The ``consent_records`` row of a planned decision (the evidence sealed with ``key``)."""
    record_id = uuid.uuid4().hex
    document = planned.document
    evidence = planned.evidence
    return {
        "id": record_id,
        "subject_id": subject_id,
        "purpose": planned.purpose,
        "kind": planned.kind,
        "state": planned.state,
        "is_current": True,
        "document_kind": document.kind if document else None,
        "document_language": document.language if document else None,
        "document_version": document.version if document else None,
        "text_hash": document.content_hash if document else None,
        "method": planned.method,
        "channel": planned.channel,
        "given_at": now,
        "state_changed_at": now,
        "expires_at": planned.expires_at,
        "evidence_sealed": _seal_evidence(key, record_id, evidence) if key else None,
        "form_id": evidence.form_id,
        "jurisdictions": list(policy.operator.jurisdictions) if policy else [],
        "distribution_terms": planned.terms,
    }


def _same_purpose(purpose: str | None) -> sa.ColumnElement[bool]:
    if purpose is None:
        return ConsentRecord.purpose.is_(None)
    return ConsentRecord.purpose == purpose


# --- evidence --------------------------------------------------------------------------------


def _evidence_context(record_id: str) -> bytes:
    return f"consent\x00{record_id}\x00evidence".encode()


def _data_key(ring: Keyring, subject: Subject) -> DataKey:
    return ring.unwrap_data_key(subject.wrapped_key, subject.master_key_id, subject.id)


def _seal_evidence(key: DataKey, record_id: str, evidence: Evidence) -> bytes | None:
    personal = {"ip": evidence.ip, "user_agent": evidence.user_agent, "page_url": evidence.page_url}
    if not any(personal.values()):
        return None
    clear = json.dumps(personal, ensure_ascii=False, sort_keys=True)
    return seal_value(key, clear, context=_evidence_context(record_id))


def open_evidence(*, session: Session, ring: Keyring, record: ConsentRecord) -> Evidence:
    """The evidence of one record, unsealed (proof of consent, 152-FZ Art. 9(3))."""
    if record.evidence_sealed is None:
        return Evidence(form_id=record.form_id)
    subject = _subject(session, record.subject_id)
    clear = open_value(
        _data_key(ring, subject), record.evidence_sealed, context=_evidence_context(record.id)
    )
    personal = json.loads(clear)
    return Evidence(personal["ip"], personal["user_agent"], record.form_id, personal["page_url"])


# --- changes of state ------------------------------------------------------------------------


def _journal(
    session: Session,
    record: ConsentRecord,
    previous: str | None,
    actor: str,
    now: datetime,
    action: str,
    *,
    channel: str | None = None,
    reason: str | None = None,
) -> None:
    row = {c.key: getattr(record, c.key) for c in ConsentRecord.__table__.columns}
    session.add(ConsentEvent(**_event_row(row, previous, actor, now, None, channel, reason)))
    audit.append(session, _audit_event(row, actor, action, reason), at=now)


def _event_row(
    record: Mapping[str, Any],
    previous: str | None,
    actor: str,
    now: datetime,
    planned: Planned | None,
    channel: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """The ``consent_events`` row of a record's change of state."""
    return {
        "consent_id": record["id"],
        "subject_id": record["subject_id"],
        "purpose": record["purpose"],
        "state": record["state"],
        "previous_state": previous,
        "at": now,
        "channel": channel or record["channel"],
        "actor": actor,
        "reason": reason or (planned.reason if planned else None),
    }


def _audit_event(
    record: Mapping[str, Any], actor: str, action: str, reason: str | None
) -> audit.Event:
    """The journal's view of a record: ids, kind, state and document — nothing personal."""
    details: dict[str, Scalar] = {
        "consent": record["id"],
        "kind": record["kind"],
        "state": record["state"],
        "document": record["document_kind"],
        "version": record["document_version"],
    }
    if reason:
        details["reason"] = reason
    return audit.Event(action, actor, record["subject_id"], record["purpose"], details=details)


def _change_state(
    session: Session,
    record: ConsentRecord,
    state: str,
    *,
    actor: str,
    now: datetime,
    action: str,
    channel: str | None = None,
    reason: str | None = None,
) -> None:
    previous = record.state
    record.state = state
    record.state_changed_at = now
    session.flush()
    _journal(session, record, previous, actor, now, action, channel=channel, reason=reason)


def current_record(*, session: Session, subject_id: str, purpose: str) -> ConsentRecord | None:
    """The subject's newest decision about ``purpose``, if any."""
    return session.scalar(
        sa.select(ConsentRecord).where(
            ConsentRecord.subject_id == subject_id,
            ConsentRecord.purpose == purpose,
            ConsentRecord.is_current.is_(True),
        )
    )


def get_record(*, session: Session, record_id: str) -> ConsentRecord:
    record = session.get(ConsentRecord, record_id)
    if record is None:
        raise NotFound("no such consent record", field="consent_id")
    return record


def withdraw(
    *,
    session: Session,
    policy: Policy,
    subject_id: str,
    purpose: str | None,
    channel: str,
    now: datetime,
    actor: str,
) -> list[ConsentRecord]:
    """Withdraw the subject's consent to ``purpose`` (None: every consent), effective at once.

    Each withdrawn consent queues the destruction of that purpose's values (see
    :func:`destruction_due`). Withdrawing what is not in force changes nothing."""
    query = sa.select(ConsentRecord).where(
        ConsentRecord.subject_id == subject_id,
        ConsentRecord.is_current.is_(True),
        ConsentRecord.state.in_(ACTIVE_STATES),
        ConsentRecord.kind != "user_agreement",
    )
    if purpose is not None:
        policy.purpose(purpose)
        query = query.where(ConsentRecord.purpose == purpose)
    records = list(session.scalars(query.order_by(ConsentRecord.purpose)))
    for record in records:
        _change_state(
            session,
            record,
            "withdrawn",
            actor=actor,
            now=now,
            action="consent_withdraw",
            channel=channel,
        )
        if record.purpose is not None and record.purpose in policy.purposes:
            _queue_destruction(session, policy, record, now)
    return records


def destruction_due(policy: Policy, purpose: Purpose, withdrawn_at: datetime) -> datetime:
    """When a purpose's values go after withdrawal: the retention's grace period, but never
    later than the law's deadline (RU 152-FZ Art. 21(5): 30 calendar days)."""
    grace = purpose.retention.grace_days if purpose.retention else 0
    at = withdrawn_at + timedelta(days=grace)
    jurisdictions = policy.operator.jurisdictions
    try:
        by_law, _ = law.strictest_due(
            jurisdictions,
            {j: "destroy_after_withdrawal" for j in jurisdictions},
            withdrawn_at,
            tz=policy.operator.timezone,
        )
    except NotFound:
        return at
    except NeedsDecision:
        return withdrawn_at  # the figure is unknown: the strictest reading is "at once"
    return min(at, by_law.astimezone(UTC))


def _queue_destruction(
    session: Session, policy: Policy, record: ConsentRecord, now: datetime
) -> None:
    purpose = policy.purpose(str(record.purpose))
    jobs.enqueue(
        session,
        DESTROY_JOB,
        {"subject_id": record.subject_id, "purpose": purpose.key},
        run_at=destruction_due(policy, purpose, now),
        unique_key=f"{DESTROY_JOB}:{record.id}",
    )


def mark_renewal_needed(
    *,
    session: Session,
    purpose: str,
    before_version: int,
    reason: str,
    now: datetime | None = None,
    actor: str = "lawful",
) -> int:
    """Consents to ``purpose`` given on a document older than ``before_version`` stop
    counting until renewed (a material change: new category, recipient, country ...)."""
    at = now or datetime.now(UTC)
    records = session.scalars(
        sa.select(ConsentRecord).where(
            ConsentRecord.purpose == purpose,
            ConsentRecord.is_current.is_(True),
            ConsentRecord.state == "given",
            ConsentRecord.document_version < before_version,
        )
    ).all()
    for record in records:
        _change_state(
            session,
            record,
            "renewal_needed",
            actor=actor,
            now=at,
            action="consent_renewal",
            reason=reason[:200],
        )
    return len(records)


def invalidate(
    *, session: Session, record_id: str, reason: str, now: datetime, actor: str
) -> ConsentRecord:
    """Declare a consent void (obtained unlawfully, by mistake, from the wrong person)."""
    record = get_record(session=session, record_id=record_id)
    _change_state(
        session,
        record,
        "invalidated",
        actor=actor,
        now=now,
        action="consent_invalidate",
        reason=reason[:200],
    )
    return record


def expire_due(*, session: Session, policy: Policy, now: datetime, actor: str = "lawful") -> int:
    """Mark consents whose term has run out as expired and queue their data's destruction.

    ``check`` already refuses them from the instant of expiry; this sweep records the fact."""
    records = session.scalars(
        sa.select(ConsentRecord).where(
            ConsentRecord.is_current.is_(True),
            ConsentRecord.state.in_(ACTIVE_STATES),
            ConsentRecord.expires_at.is_not(None),
            ConsentRecord.expires_at <= now,
        )
    ).all()
    for record in records:
        _change_state(session, record, "expired", actor=actor, now=now, action="consent_expire")
        if record.purpose is not None and record.purpose in policy.purposes:
            _queue_destruction(session, policy, record, now)
    return len(records)


# --- eligibility -----------------------------------------------------------------------------


def check(
    *, session: Session, policy: Policy, subject_id: str, purpose: str, now: datetime
) -> Eligibility:
    """May ``purpose`` proceed for this subject at ``now``?"""
    return check_subject(session, policy.purpose(purpose), subject_id, now)


def check_identifiers(
    *,
    session: Session,
    ring: Keyring,
    policy: Policy,
    identifiers: Iterable[str],
    purpose: str,
    now: datetime,
    kind: str = "email",
    workers: int = 0,
) -> Iterator[tuple[str, Eligibility]]:
    """:func:`check` for a list of identifiers (a mailing list), in order; see
    :func:`lawful.consent.eligibility.check_identifiers` (and its ``workers``)."""
    return _check_identifiers(
        session=session,
        ring=ring,
        policy=policy,
        identifiers=identifiers,
        purpose=purpose,
        now=now,
        kind=kind,
        workers=workers,
    )


__all__ = [
    "DESTROY_JOB",
    "Eligibility",
    "Evidence",
    "accept_user_agreement",
    "check",
    "check_identifiers",
    "current_record",
    "destruction_due",
    "expire_due",
    "get_record",
    "give",
    "invalidate",
    "mark_renewal_needed",
    "object_to",
    "open_evidence",
    "refuse",
    "withdraw",
]
