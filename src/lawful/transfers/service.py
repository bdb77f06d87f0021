"""The transfer gate over the store: the one function every disclosure goes through.

:func:`transfer` reads the subject's state (blocked? which consents are current?) in two
queries, asks :func:`lawful.transfers.gate.decide`, and either raises
:class:`~lawful.errors.TransferRefused` naming the missing condition, or logs the transfer and
journals a ``transfer`` event in the caller's transaction. Nothing personal is written: the
subject is named by its random id, the recipient and purpose by their keys in lawful.yaml.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lawful import audit
from lawful.config.models import Policy
from lawful.consent.eligibility import effective_state
from lawful.consent.models import ConsentRecord
from lawful.errors import TransferRefused
from lawful.store.types import UTCDateTime
from lawful.subjects.models import Subject
from lawful.transfers.gate import Decision, DecisionTable, SubjectFacts, build_table, decide
from lawful.transfers.models import TransferRecord

#: The input a refusal is about, for the ``field`` of the error (problem+json ``errors``).
_FIELDS = {
    "recipient-undeclared": "recipient",
    "purpose-not-for-recipient": "purpose",
    "category-not-declared": "categories",
    "unknown-subject": "subject_id",
    "subject-blocked": "subject_id",
    "no-legal-basis": "purpose",
}
_TABLES: dict[int, tuple[Policy, DecisionTable]] = {}
_TABLES_KEPT = 8


def decision_table(policy: Policy) -> DecisionTable:
    """The policy's decision table, built once per loaded policy (policies are immutable)."""
    cached = _TABLES.get(id(policy))
    if cached is not None and cached[0] is policy:
        return cached[1]
    if len(_TABLES) >= _TABLES_KEPT:
        _TABLES.clear()
    table = build_table(policy)
    _TABLES[id(policy)] = (policy, table)
    return table


def subject_facts(
    session: Session, subject_id: str, purposes: Iterable[str], now: datetime
) -> SubjectFacts:
    """The subject's blocked flag and the effective state of its current consents, in one
    query: the subject's row, joined to its current records for ``purposes``."""
    query = _facts_query(tuple(sorted(set(purposes))))
    rows = session.execute(query, {"subject_id": subject_id, "now": now}).all()
    if not rows:
        return SubjectFacts(None)
    states = {str(purpose): state for _, purpose, state in rows if purpose is not None}
    return SubjectFacts(rows[0][0] is not None, states)


@cache
def _facts_query(purposes: tuple[str, ...]) -> sa.Select[datetime | None, str | None, str]:
    """Built once per set of purposes: building the expression costs more than running it."""
    now = cast(datetime, sa.bindparam("now", type_=UTCDateTime()))
    current = sa.and_(
        ConsentRecord.subject_id == Subject.id,
        ConsentRecord.is_current.is_(True),
        ConsentRecord.purpose.in_(purposes),
    )
    return (
        sa.select(Subject.blocked_at, ConsentRecord.purpose, effective_state(now))
        .outerjoin(ConsentRecord, current)
        .where(Subject.id == sa.bindparam("subject_id"))
    )


def check_transfer(
    *,
    session: Session,
    policy: Policy,
    subject_id: str,
    recipient: str,
    purpose: str,
    categories: Sequence[str],
    now: datetime | None = None,
    rights: bool = False,
) -> Decision:
    """The gate's answer, without transferring or logging anything (``rights``: see
    :func:`lawful.transfers.gate.decide`)."""
    at = now or datetime.now(UTC)
    table = decision_table(policy)
    route = table.routes.get((recipient, purpose))
    purposes = route.consent_purposes() if route else set()
    facts = subject_facts(session, subject_id, purposes, at)
    return decide(table, recipient, purpose, categories, facts, at, rights=rights)


def transfer(
    *,
    session: Session,
    policy: Policy,
    subject_id: str,
    recipient: str,
    purpose: str,
    categories: Sequence[str],
    actor: str,
    now: datetime | None = None,
    rights: bool = False,
) -> TransferRecord:
    """Pass one disclosure through the gate: refuse it, or log and journal it."""
    at = now or datetime.now(UTC)
    decision = check_transfer(
        session=session,
        policy=policy,
        subject_id=subject_id,
        recipient=recipient,
        purpose=purpose,
        categories=categories,
        now=at,
        rights=rights,
    )
    if not decision.allowed:
        raise TransferRefused(
            f"{decision.condition}: {decision.message}",
            condition=decision.condition,
            field=_FIELDS.get(decision.condition, "recipient"),
        )
    row = TransferRecord(
        subject_id=subject_id,
        purpose=purpose,
        recipient=recipient,
        country=decision.country,
        categories=sorted(categories),
        basis=decision.basis,
        actor=actor,
        at=at,
    )
    session.add(row)
    audit.append(
        session,
        audit.Event(
            "transfer",
            actor,
            subject_id,
            purpose,
            sorted(categories),
            details={"recipient": recipient, "country": decision.country, "basis": decision.basis},
        ),
        at=at,
    )
    session.flush()
    return row


@dataclass(frozen=True)
class TransferView:
    """One past transfer as a person's access report shows it."""

    at: datetime
    recipient: str
    country: str
    purpose: str
    categories: list[str]
    basis: str


def transfers_for_subject(session: Session, subject_id: str) -> list[TransferView]:
    """Every transfer of this subject's data, oldest first (feeds the access report)."""
    rows = session.scalars(
        sa.select(TransferRecord)
        .where(TransferRecord.subject_id == subject_id)
        .order_by(TransferRecord.at, TransferRecord.id)
    ).all()
    return [
        TransferView(r.at, r.recipient, r.country, r.purpose, list(r.categories), r.basis)
        for r in rows
    ]
