"""Consent's jobs: destroy a purpose's values after withdrawal or expiry; expire consents.

``consent.destroy_purpose_values`` — payload ``{"subject_id", "purpose"}``: a random id and a
purpose key, never personal data. It runs when the retention rule and the law say the data
must go (``service.destruction_due``); it is idempotent, and it keeps the data if by then the
subject has consented again or the purpose rests on another basis.

``consent.expire`` — every hour: consents whose term has run out become ``expired`` and their
data's destruction is queued (``service.expire_due``). ``check`` refuses them from the instant
of expiry anyway; the sweep records the fact and starts the retention clock.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from lawful.config.models import Policy
from lawful.consent.models import ConsentRecord
from lawful.consent.service import DESTROY_JOB, expire_due
from lawful.jobs import JobContext, Payload, PermanentJobError, default_registry
from lawful.subjects.models import Subject
from lawful.subjects.service import destroy_purpose_values

ACTOR = "lawful:consent"
EXPIRE_JOB = "consent.expire"

log = logging.getLogger(__name__)


@default_registry.periodic(EXPIRE_JOB, every=timedelta(hours=1))
def expire_consents(payload: Payload, context: JobContext) -> None:
    policy = getattr(context, "policy", None)
    if not isinstance(policy, Policy):
        log.warning("consent.expire skipped: this worker has no lawful.yaml")
        return
    clock = getattr(context, "clock", None)
    now = clock() if callable(clock) else datetime.now(UTC)
    with context.sessions.begin() as session:
        expired = expire_due(session=session, policy=policy, now=now, actor=ACTOR)
    if expired:
        log.info("consent.expire: %d consents expired", expired)


@default_registry.handler(DESTROY_JOB)
def destroy_after_withdrawal(payload: Payload, context: JobContext) -> None:
    subject_id, purpose = payload.get("subject_id"), payload.get("purpose")
    if not isinstance(subject_id, str) or not isinstance(purpose, str):
        raise PermanentJobError("payload needs subject_id and purpose")
    with context.sessions.begin() as session:
        if session.get(Subject, subject_id) is None:
            return  # already erased with everything else
        if _still_lawful(session, subject_id, purpose, getattr(context, "policy", None)):
            return
        destroy_purpose_values(
            session=session,
            subject_id=subject_id,
            purpose=purpose,
            actor=ACTOR,
            reason="consent withdrawn",
        )


def _still_lawful(session: sa.orm.Session, subject_id: str, purpose: str, policy: object) -> bool:
    """A current consent again, or (when the worker knows the policy) another legal basis."""
    again = session.scalar(
        sa.select(ConsentRecord.id).where(
            ConsentRecord.subject_id == subject_id,
            ConsentRecord.purpose == purpose,
            ConsentRecord.is_current.is_(True),
            ConsentRecord.state == "given",
        )
    )
    if again is not None:
        return True
    if isinstance(policy, Policy) and purpose in policy.purposes:
        declared = policy.purposes[purpose]
        return declared.consent is None and declared.legal_basis != "consent"
    return False
