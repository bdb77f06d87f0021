"""Publication as one step: new texts, and renewal of the consents they no longer cover.

The flow owns the transaction, so the new versions, the audit event and the renewal flags
commit together: there is never a published change whose consents were not flagged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from lawful.context import Lawful
from lawful.documents import service
from lawful.documents.render import CONSENT_PREFIX
from lawful.documents.service import PublishResult


def publish_and_flag(
    lawful: Lawful,
    *,
    actor: str,
    effective_at: datetime | None = None,
    user_agreements: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> PublishResult:
    """Publish every document (and the user agreement per language, if given), then ask for
    renewal of the consents to each purpose that changed materially."""
    policy = lawful.require_policy()
    now = now or datetime.now(UTC)
    with lawful.sessions.begin() as session:
        result = service.publish(
            session=session, policy=policy, now=now, actor=actor, effective_at=effective_at
        )
        for language, markdown in (user_agreements or {}).items():
            imported = service.import_document(
                session=session,
                kind="user-agreement",
                language=language,
                markdown=markdown,
                now=now,
                actor=actor,
                effective_at=effective_at,
            )
            result = replace(
                result,
                published=result.published + imported.published,
                unchanged=result.unchanged + imported.unchanged,
            )
        return replace(result, renewals=flag_renewals(session, result, now=now, actor=actor))


def flag_renewals(
    session: Session, result: PublishResult, *, now: datetime, actor: str
) -> dict[str, int]:
    """For each materially changed purpose with a consent text, mark the consents given on
    any earlier version as needing renewal; returns purpose -> consents flagged.

    ``before_version`` is the highest new version of the purpose's consent text across its
    languages: nobody has consented to a version published this instant yet, so every
    consent below it was given on an older text."""
    from lawful.consent.service import mark_renewal_needed  # built alongside; see contracts

    flagged: dict[str, int] = {}
    for purpose in result.changed_purposes:
        new = [r.version for r in result.published if r.kind == f"{CONSENT_PREFIX}{purpose}"]
        if not new:
            continue  # no consent text: the purpose does not rest on consent
        reasons = "; ".join(c.reason for c in result.material if c.purpose == purpose)
        flagged[purpose] = mark_renewal_needed(
            session=session,
            purpose=purpose,
            before_version=max(new),
            reason=reasons,
            now=now,
            actor=actor,
        )
    return flagged
