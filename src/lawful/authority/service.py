"""The register of supervisory authorities' requests: deadlines, documents, answers.

The deadline is the law's (RU 152-FZ Art. 20(4): 10 working days, +5 with a reasoned notice;
GE: 3 working days) or the operator's published promise (``promises.authority_request_response``,
e.g. the 30 days seed 004 still states), whichever ends first.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lawful import audit
from lawful.authority.models import AuthorityDocument, AuthorityRequest
from lawful.config.models import Policy
from lawful.crypto.keyring import Keyring
from lawful.crypto.sealed import RecordKey
from lawful.errors import InvalidTransition, NeedsDecision, NotFound, PolicyViolation
from lawful.requests import deadlines

RULES = {"ru": "authority_request_response", "ge": "records_to_authority"}
OPEN = ("open", "extended")


def _key(ring: Keyring, row: AuthorityRequest) -> RecordKey:
    return RecordKey.open(ring, f"authority:{row.id}", row.wrapped_key, row.master_key_id)


def _due(policy: Policy, row: AuthorityRequest, extended: bool) -> deadlines.Planned:
    rules = {row.jurisdiction: RULES[row.jurisdiction]} if row.jurisdiction in RULES else {}
    planned = deadlines.strictest(policy, "answer", rules, row.received_at, None, extended)
    if planned is None or planned.rule is None:
        raise NeedsDecision(
            f"no answer deadline is known for {row.jurisdiction}: record the figure under "
            "promises.authority_request_response in lawful.yaml",
            field="jurisdiction",
        )
    return planned


def register(
    *,
    session: Session,
    ring: Keyring,
    policy: Policy,
    authority: str,
    reference: str,
    jurisdiction: str,
    received_at: datetime,
    summary: str,
    actor: str,
) -> AuthorityRequest:
    """Enter a request from an authority; ``summary`` (which may name people) is sealed."""
    if jurisdiction not in policy.operator.jurisdictions:
        raise PolicyViolation(
            "the operator does not answer to this jurisdiction", field="jurisdiction"
        )
    row_id = secrets.token_hex(16)
    key = RecordKey.new(f"authority:{row_id}")
    wrapped, master_id = key.wrapped(ring)
    row = AuthorityRequest(
        id=row_id,
        authority=authority[:200],
        reference=reference[:100],
        jurisdiction=jurisdiction,
        state="open",
        received_at=received_at,
        due_at=received_at,
        due_source="",
        extended=False,
        wrapped_key=wrapped,
        master_key_id=master_id,
        sealed=key.seal(summary, "summary"),
    )
    planned = _due(policy, row, extended=False)
    row.due_at, row.due_source = planned.due_at, planned.source[:300]
    session.add(row)
    session.flush()
    _journal(session, row, actor, "received", received_at)
    return row


def _journal(session: Session, row: AuthorityRequest, actor: str, step: str, at: datetime) -> None:
    audit.append(
        session,
        audit.Event(
            "authority_request",
            actor,
            details={"entry": row.id, "authority": row.authority, "step": step},
        ),
        at=at,
    )


def get(session: Session, entry_id: str) -> AuthorityRequest:
    row = session.get(AuthorityRequest, entry_id) if len(entry_id) <= 32 else None
    if row is None:
        raise NotFound("no such authority request", field="entry")
    return row


def extend(
    *, session: Session, policy: Policy, entry_id: str, reason: str, actor: str, now: datetime
) -> AuthorityRequest:
    """Extend once where the law allows it (RU: +5 working days, with a reasoned notice)."""
    row = get(session, entry_id)
    if row.state != "open" or row.due_at <= now:
        raise InvalidTransition("this entry cannot be extended", field="state")
    deadlines.check_extendable(_due(policy, row, extended=False))
    if not reason.strip():
        raise PolicyViolation("an extension needs its reason", field="reason")
    planned = _due(policy, row, extended=True)
    if planned.due_at <= row.due_at:
        raise InvalidTransition(
            f"the operator's own promise ({planned.source}) allows no extension", field="state"
        )
    row.due_at, row.due_source, row.extended, row.state = (
        planned.due_at,
        planned.source[:300],
        True,
        "extended",
    )
    _journal(session, row, actor, "extended", now)
    return row


def attach(
    *,
    session: Session,
    ring: Keyring,
    entry_id: str,
    name: str,
    data: bytes,
    direction: str,
    media_type: str,
    now: datetime,
) -> AuthorityDocument:
    """Keep a document of the exchange (``in``: theirs, ``out``: ours), sealed."""
    if direction not in ("in", "out"):
        raise PolicyViolation("direction is in or out", field="direction")
    row = get(session, entry_id)
    key = _key(ring, row)
    document = AuthorityDocument(
        authority_request_id=row.id,
        direction=direction,
        media_type=media_type[:100],
        created_at=now,
        **key.seal_file(name, data),
    )
    session.add(document)
    session.flush()
    return document


def answer(
    *, session: Session, ring: Keyring, entry_id: str, text: str, actor: str, now: datetime
) -> AuthorityRequest:
    row = get(session, entry_id)
    if row.state not in OPEN:
        raise InvalidTransition("this entry is already answered", field="state")
    row.answer_sealed, row.answered_at, row.state = (
        _key(ring, row).seal(text, "answer"),
        now,
        "answered",
    )
    _journal(session, row, actor, "answered", now)
    return row


def listing(*, session: Session, now: datetime, overdue: bool = False) -> list[AuthorityRequest]:
    query = sa.select(AuthorityRequest).where(AuthorityRequest.state.in_(OPEN))
    if overdue:
        query = query.where(AuthorityRequest.due_at < now)
    return list(session.scalars(query.order_by(AuthorityRequest.due_at)))


def documents(session: Session, ring: Keyring, entry_id: str) -> list[tuple[str, str, bytes]]:
    """(direction, name, content) of every document of the entry, decrypted."""
    row = get(session, entry_id)
    key = _key(ring, row)
    found = session.scalars(
        sa.select(AuthorityDocument)
        .where(AuthorityDocument.authority_request_id == row.id)
        .order_by(AuthorityDocument.id)
    )
    return [
        (d.direction, key.open_text(d.sealed_name, "file-name"), key.open_bytes(d.sealed, "file"))
        for d in found
    ]
