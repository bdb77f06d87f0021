"""Data-subject requests: intake, identity, deadlines, the state machine and the timeline.

Functions take a keyword-only ``session`` and never commit; :mod:`lawful.requests.flows` owns
the transactions and the mail. Whether the identifier belongs to anyone is looked up (blind
index) but never shown to the requester: every request, about a known person or not, walks
the same states and gets the same answers.

States::

    awaiting_verification -> verified -> in_progress -> fulfilled -> completed
                 \\-------------\\-------------\\-> rejected
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lawful import audit
from lawful.config.models import Policy
from lawful.crypto.keyring import Keyring
from lawful.crypto.sealed import RecordKey
from lawful.errors import InvalidTransition, NotFound, PolicyViolation
from lawful.requests import deadlines, verification
from lawful.requests.models import Request, RequestDeadline, RequestEvent, RequestFile
from lawful.retention import service as retention
from lawful.subjects import service as subjects
from lawful.subjects.models import Identifier, PersonalValue, Subject

LANGUAGES = ("en", "ru")
#: Messenger channels (:mod:`lawful.intake.messengers`): staff verify who wrote.
MESSENGER_CHANNELS = ("telegram", "whatsapp", "kommo", "web_chat")
CHANNELS = ("api", "email", "portal", "staff", "post", "phone", *MESSENGER_CHANNELS)
#: Channels where the person asks by themselves and confirms with a mailed code.
SELF_SERVICE = ("api", "portal", "email")
#: Identifiers a one-time code can be sent to: by mail, or by SMS through the gateway.
CODE_KINDS = ("email", "phone")
OPEN_STATES = ("awaiting_verification", "verified", "in_progress", "fulfilled")
TRANSITIONS: dict[str, frozenset[str]] = {
    "awaiting_verification": frozenset({"verified", "rejected"}),
    "verified": frozenset({"in_progress", "fulfilled", "rejected"}),
    "in_progress": frozenset({"fulfilled", "rejected"}),
    "fulfilled": frozenset({"completed"}),
}
#: What each kind needs in ``details`` (152-FZ Art. 10.1: the demand names the person, the
#: contacts and the data concerned).
REQUIRED_DETAILS: dict[str, tuple[str, ...]] = {
    "rectification": ("category", "value"),
    "distribution_stop": ("full_name", "contact", "data"),
}


@dataclass(frozen=True)
class Intake:
    kind: str
    identifier_kind: str
    identifier: str
    language: str = "en"
    channel: str = "api"
    message: str = ""
    purpose: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Submitted:
    request: Request
    #: The clear one-time code to mail, when the request must be verified by code.
    code: str | None


def key_of(ring: Keyring, request: Request) -> RecordKey:
    return RecordKey.open(ring, f"request:{request.id}", request.wrapped_key, request.master_key_id)


def contents(ring: Keyring, request: Request) -> dict[str, Any]:
    """What the person wrote: identifier, message, details (decrypted)."""
    opened: dict[str, Any] = key_of(ring, request).open_json(request.sealed, "contents")
    return opened


def get(session: Session, request_id: str) -> Request:
    request = session.get(Request, request_id) if _may_be_ours(request_id) else None
    if request is None:
        raise NotFound("no such request", field="request_id")
    return request


def _may_be_ours(request_id: str) -> bool:
    """Could this be a request's id? None of ours is longer than 32 characters: a longer one
    is not looked up at all."""
    return len(request_id) <= 32


def _validate(policy: Policy, intake: Intake) -> None:
    if intake.kind not in deadlines.KINDS:
        raise PolicyViolation(
            f"unknown request kind; use one of {', '.join(deadlines.KINDS)}", field="kind"
        )
    if intake.language not in LANGUAGES:
        raise PolicyViolation(f"language must be one of {', '.join(LANGUAGES)}", field="language")
    if intake.channel not in CHANNELS:
        raise PolicyViolation(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
    if intake.purpose is not None:
        policy.purpose(intake.purpose)
    for name in REQUIRED_DETAILS.get(intake.kind, ()):
        if not str(intake.details.get(name, "")).strip():
            raise PolicyViolation(
                f"a {intake.kind} request needs details.{name}", field=f"details.{name}"
            )
    if intake.kind == "rectification":
        category = intake.details["category"]
        if category not in policy.categories:
            raise PolicyViolation("the category is not declared", field="details.category")


def submit(
    *, session: Session, ring: Keyring, policy: Policy, intake: Intake, actor: str, now: datetime
) -> Submitted:
    """Register a request and its deadlines; issue a code unless no verification is needed."""
    _validate(policy, intake)
    digest = ring.digest(intake.identifier_kind, intake.identifier)
    request_id = secrets.token_hex(16)
    key = RecordKey.new(f"request:{request_id}")
    wrapped, master_id = key.wrapped(ring)
    sealed = key.seal_json(
        {
            "identifier": intake.identifier,
            "message": intake.message,
            "details": dict(intake.details),
        },
        "contents",
    )
    request = Request(
        id=request_id,
        kind=intake.kind,
        state="awaiting_verification",
        channel=intake.channel,
        language=intake.language,
        subject_id=_owner(session, intake.identifier_kind, digest),
        identifier_kind=intake.identifier_kind,
        identifier_digest=digest,
        purpose=intake.purpose,
        wrapped_key=wrapped,
        master_key_id=master_id,
        sealed=sealed,
        received_at=now,
        extended=False,
    )
    session.add(request)
    session.flush()
    _replan(session, policy, request, new=True)
    note(session, request, "received", actor, now, f"kind={intake.kind} channel={intake.channel}")
    journal(session, request, "request_receive", actor, now)
    if intake.kind == "objection":  # stopping marketing needs no proof of identity
        mark_verified(
            session=session,
            policy=policy,
            request=request,
            how="not_required",
            actor=actor,
            now=now,
        )
        return Submitted(request, None)
    if intake.identifier_kind not in CODE_KINDS or intake.channel not in SELF_SERVICE:
        return Submitted(request, None)  # staff verify: a phoned request or a letter
    return Submitted(request, verification.issue(session, ring, request.id, now, new=True))


def _owner(session: Session, kind: str, digest: bytes) -> str | None:
    return cast("str | None", _scalar(session, _OWNER, kind=kind, digest=digest))


def _scalar(session: Session, statement: sa.Executable, **params: Any) -> Any:
    """The first column of the first row, on the transaction's connection: half the CPU of
    ``session.scalar``, which goes through the ORM's execution path (and flushes first). For
    statements over rows that flows change with plain statements only (never pending ORM
    objects), as the lifecycle's look-ups here are."""
    return session.connection().execute(statement, params).scalar()


# The statements of a request's lifecycle are built once, here, with bound parameters: building
# a statement on every call cost more than running it (an access lifecycle runs some fifty).
_OWNER = sa.select(Identifier.subject_id).where(
    Identifier.kind == sa.bindparam("kind"), Identifier.digest == sa.bindparam("digest")
)


def _replan(session: Session, policy: Policy, request: Request, *, new: bool = False) -> None:
    """(Re)compute the deadlines still running; the ones already met stay as they were.
    ``new``: the request was just added and has none yet: its rows are plain INSERTs."""
    planned = deadlines.plan(
        policy,
        request.kind,
        received_at=request.received_at,
        confirmed_at=request.verified_at,
        extended=request.extended,
    )
    if new:
        rows = [{"request_id": request.id, "name": p.name, **_clock(request, p)} for p in planned]
        if rows:
            session.connection().execute(_ADD_DEADLINE, rows)
        return
    # Plain statements, not ORM objects: verification replans every request (see _MEET).
    connection = session.connection()
    running = {r.name: r for r in connection.execute(_CLOCKS, {"of_request": request.id})}
    for p in planned:
        clock, row = _clock(request, p), running.get(p.name)
        if row is None:
            connection.execute(_ADD_DEADLINE, {"request_id": request.id, "name": p.name, **clock})
        elif row.met_at is None and any(getattr(row, k) != v for k, v in clock.items()):
            changed = {f"new_{k}": v for k, v in clock.items()}
            params = {"of_request": request.id, "of_name": p.name, **changed}
            connection.execute(_SET_CLOCK, params)


#: What a deadline's clock is made of (see :func:`_clock`).
_CLOCK_COLUMNS = ("due_at", "jurisdiction", "rule", "source", "extended")


def _clock(request: Request, planned: deadlines.Planned) -> dict[str, Any]:
    return {
        "due_at": planned.due_at,
        "jurisdiction": planned.jurisdiction,
        "rule": planned.rule,
        "source": planned.source[:300],
        "extended": request.extended,
    }


_ADD_DEADLINE = sa.insert(RequestDeadline)
_DEADLINES = sa.select(RequestDeadline).where(
    RequestDeadline.request_id == sa.bindparam("request_id")
)
_CLOCKS = sa.select(
    RequestDeadline.name,
    RequestDeadline.met_at,
    *(getattr(RequestDeadline, name) for name in _CLOCK_COLUMNS),
).where(RequestDeadline.request_id == sa.bindparam("of_request"))
_SET_CLOCK = (
    sa.update(RequestDeadline)
    .where(
        RequestDeadline.request_id == sa.bindparam("of_request"),
        RequestDeadline.name == sa.bindparam("of_name"),
    )
    .values({name: sa.bindparam(f"new_{name}") for name in _CLOCK_COLUMNS})
)


def note(
    session: Session, request: Request, action: str, actor: str, now: datetime, text: str = ""
) -> None:
    """Add a step to the request's timeline (ids and names only, never personal data).

    A plain INSERT on the transaction's connection: nothing reads a step back in the same
    transaction, and the unit of work's flush costs six times the statement. The request's
    own row is flushed first (a new request is pending until then)."""
    _flush_if_new(session, request)
    add_step(session, request.id, action, actor, now, text)


def _flush_if_new(session: Session, request: Request) -> None:
    """A request added in this transaction is pending until flushed: its row must exist
    before a plain INSERT refers to it."""
    if request in session.new:
        session.flush()


def add_step(
    session: Session, request_id: str, action: str, actor: str, now: datetime, text: str = ""
) -> None:
    """:func:`note` for a request known by its id only (its row is in the database)."""
    session.connection().execute(
        _ADD_STEP,
        {"request_id": request_id, "at": now, "action": action, "actor": actor, "note": text},
    )


_ADD_STEP = sa.insert(RequestEvent)


def journal(session: Session, request: Request, action: str, actor: str, now: datetime) -> None:
    audit.append(
        session,
        audit.Event(
            action,
            actor,
            request.subject_id,
            details={
                "request": request.id,
                "kind": request.kind,
                "state": request.state,
            },
        ),
        at=now,
    )


def move(session: Session, request: Request, state: str, actor: str, now: datetime) -> None:
    """Change state along :data:`TRANSITIONS`, or refuse."""
    if state not in TRANSITIONS.get(request.state, frozenset()):
        raise InvalidTransition(
            f"a request in state {request.state} cannot become {state}", field="state"
        )
    note(session, request, state, actor, now, f"{request.state} -> {state}")
    request.state = state


def meet(session: Session, request: Request, name: str | tuple[str, ...], now: datetime) -> None:
    """Mark the request's deadline ``name`` (or each of several, in one statement) met.

    On the transaction's connection: no deadline is held as an object when a flow meets one,
    and the ORM's bulk-update path costs more than the statement."""
    names = (name,) if isinstance(name, str) else name
    session.connection().execute(_MEET, {"of_request": request.id, "names": names, "now": now})


_MEET = (
    sa.update(RequestDeadline)
    .where(
        RequestDeadline.request_id == sa.bindparam("of_request"),
        RequestDeadline.name.in_(sa.bindparam("names", expanding=True)),
        RequestDeadline.met_at.is_(None),
    )
    .values(met_at=sa.bindparam("now", type_=RequestDeadline.__table__.c.met_at.type))
)


def mark_verified(
    *,
    session: Session,
    policy: Policy,
    request: Request,
    how: str,
    actor: str,
    now: datetime,
    reason: str = "",
) -> None:
    move(session, request, "verified", actor, now)
    request.verification, request.verified_at = how, now
    if request.subject_id is None:  # the person may have become known since the request came
        request.subject_id = _owner(session, request.identifier_kind, request.identifier_digest)
    note(session, request, "identity", actor, now, f"verified by {how} {reason}".strip())
    _replan(session, policy, request)  # clocks that start at confirmation start now
    journal(session, request, "request_verify", actor, now)
    _block_while_checked(session, request, actor, now)


def _block_while_checked(session: Session, request: Request, actor: str, now: datetime) -> None:
    """Block the data a verified rectification calls inaccurate until they are corrected, where
    the law says so (a ``block`` deadline runs). Not before verification: anyone could then
    stop the processing of anyone's data."""
    if request.kind != "rectification" or request.subject_id is None:
        return
    planned = {d.name for d in deadlines_of(session, request.id)}
    subject = session.get(Subject, request.subject_id)
    if "block" in planned and subject is not None and subject.blocked_at is None:
        subjects.set_blocked(
            session=session,
            subject_id=subject.id,
            blocked=True,
            actor=actor,
            reason=f"rectification request {request.id}: being checked",
            now=now,
        )
        note(session, request, "blocked", actor, now, "until the data are rectified")
        meet(session, request, "block", now)


def verify_by_staff(
    *, session: Session, policy: Policy, request_id: str, reason: str, actor: str, now: datetime
) -> Request:
    """A person checked the requester's identity (a signed letter, an ID shown): say how."""
    if not reason.strip():
        raise PolicyViolation("staff verification needs the reason", field="reason")
    request = get(session, request_id)
    mark_verified(
        session=session,
        policy=policy,
        request=request,
        how="staff",
        actor=actor,
        now=now,
        reason=reason,
    )
    return request


def assign(
    *, session: Session, request_id: str, assignee: str, actor: str, now: datetime
) -> Request:
    request = get(session, request_id)
    if request.state not in OPEN_STATES:
        raise InvalidTransition("a closed request cannot be assigned", field="state")
    request.assignee = assignee
    note(session, request, "assigned", actor, now, f"to {assignee}")
    if request.state == "verified":
        move(session, request, "in_progress", actor, now)
    return request


def extend(
    *, session: Session, policy: Policy, request_id: str, reason: str, actor: str, now: datetime
) -> RequestDeadline:
    """Extend the answer deadline where the law allows it, once, before it passes."""
    if not reason.strip():
        raise PolicyViolation("an extension needs its reason", field="reason")
    request = get(session, request_id)
    answer = _deadline(session, request, "answer")
    if request.extended or request.state not in OPEN_STATES or answer.met_at is not None:
        raise InvalidTransition("this request cannot be extended (again)", field="state")
    if answer.due_at <= now:
        raise InvalidTransition(
            "the deadline has passed: it can no longer be extended", field="state"
        )
    deadlines.check_extendable(
        deadlines.Planned("answer", answer.due_at, answer.jurisdiction, answer.rule, answer.source)
    )
    request.extended = True
    _replan(session, policy, request)
    session.refresh(answer)  # replanned by a plain UPDATE
    note(session, request, "extended", actor, now, reason)
    journal(session, request, "request_extend", actor, now)
    return answer


def _deadline(session: Session, request: Request, name: str) -> RequestDeadline:
    row = session.scalar(
        sa.select(RequestDeadline).where(
            RequestDeadline.request_id == request.id, RequestDeadline.name == name
        )
    )
    if row is None:
        raise NotFound(f"the request has no {name} deadline", field="deadline")
    return row


def attach(
    *,
    session: Session,
    ring: Keyring,
    request_id: str,
    name: str,
    media_type: str,
    data: bytes,
    actor: str,
    now: datetime,
    role: str = "evidence",
) -> int:
    """Keep a file of the request (a scanned letter, an ID check) sealed under its key; return
    the file's id. A plain INSERT: every access report is kept this way, and the unit of
    work's flush of the new row cost more than the statement."""
    request = get(session, request_id)
    key = key_of(ring, request)
    _flush_if_new(session, request)
    values = {"role": role, "media_type": media_type[:100], "created_at": now}
    file_id = int(
        session.connection()
        .execute(_ADD_FILE, {"request_id": request.id, **values, **key.seal_file(name, data)})
        .scalar_one()
    )
    add_step(session, request.id, "attached", actor, now, f"{role} file {file_id}")
    return file_id


_ADD_FILE = sa.insert(RequestFile).returning(RequestFile.id)


def open_file(ring: Keyring, request: Request, row: RequestFile) -> tuple[str, bytes]:
    key = key_of(ring, request)
    if row.sealed is None:
        raise NotFound("the file was already delivered and removed", field="file")
    return key.open_text(row.sealed_name, "file-name"), key.open_bytes(row.sealed, "file")


@dataclass(frozen=True)
class Listed:
    request: Request
    next_name: str | None
    next_due: datetime | None

    def time_left(self, now: datetime) -> timedelta | None:
        return None if self.next_due is None else self.next_due - now


def listing(
    *,
    session: Session,
    now: datetime,
    overdue: bool = False,
    due_within: timedelta | None = None,
    state: str | None = None,
    kind: str | None = None,
) -> list[Listed]:
    """Open requests, each with its next unmet deadline, soonest first."""
    next_due = (
        sa.select(RequestDeadline.request_id, sa.func.min(RequestDeadline.due_at).label("due"))
        .where(RequestDeadline.met_at.is_(None))
        .group_by(RequestDeadline.request_id)
        .subquery()
    )
    query = (
        sa.select(Request, next_due.c.due)
        .outerjoin(next_due, next_due.c.request_id == Request.id)
        .where(Request.state.in_(OPEN_STATES))
    )
    if state is not None:
        query = query.where(Request.state == state)
    if kind is not None:
        query = query.where(Request.kind == kind)
    if overdue:
        query = query.where(next_due.c.due < now)
    if due_within is not None:
        query = query.where(next_due.c.due <= now + due_within)
    rows = session.execute(query.order_by(next_due.c.due, Request.received_at)).all()
    return [Listed(r, _next_name(session, r.id, due), _aware(due)) for r, due in rows]


def _aware(value: datetime | None) -> datetime | None:
    # An aggregate loses the column type: SQLite hands back text or a naive datetime.
    if value is None or isinstance(value, datetime) and value.tzinfo is not None:
        return value
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC)


def _next_name(session: Session, request_id: str, due: object) -> str | None:
    if due is None:
        return None
    return session.scalar(
        sa.select(RequestDeadline.name)
        .where(RequestDeadline.request_id == request_id, RequestDeadline.met_at.is_(None))
        .order_by(RequestDeadline.due_at)
        .limit(1)
    )


@dataclass(frozen=True)
class Overview:
    """A request as its operator sees it: rows, not ORM objects (see :func:`overview`)."""

    request: sa.Row[*tuple[Any, ...]]
    deadlines: list[sa.Row[*tuple[Any, ...]]]
    timeline: list[sa.Row[*tuple[Any, ...]]]


def overview(session: Session, request_id: str) -> Overview:
    """The request's state, its deadlines (soonest first) and its timeline, in three plain
    statements: every operator step answers with them, and loading ORM objects cost twice as
    much."""
    found = None
    if _may_be_ours(request_id):
        found = session.connection().execute(_OVERVIEW, {"of_request": request_id}).first()
    if found is None:
        raise NotFound("no such request", field="request_id")
    params = {"of_request": request_id}
    deadlines = list(session.connection().execute(_OVERVIEW_DEADLINES, params))
    steps = list(session.connection().execute(_OVERVIEW_TIMELINE, params))
    return Overview(found, deadlines, steps)


_OVERVIEW = sa.select(
    *(
        getattr(Request, name)
        for name in ("id", "kind", "state", "channel", "verification", "assignee", "outcome")
    ),
    Request.subject_id,
    Request.received_at,
).where(Request.id == sa.bindparam("of_request"))
_OVERVIEW_DEADLINES = (
    sa.select(
        RequestDeadline.name,
        RequestDeadline.due_at,
        RequestDeadline.jurisdiction,
        RequestDeadline.rule,
        RequestDeadline.source,
        RequestDeadline.extended,
        RequestDeadline.met_at,
    )
    .where(RequestDeadline.request_id == sa.bindparam("of_request"))
    .order_by(RequestDeadline.due_at)
)
_OVERVIEW_TIMELINE = (
    sa.select(RequestEvent.at, RequestEvent.action, RequestEvent.actor, RequestEvent.note)
    .where(RequestEvent.request_id == sa.bindparam("of_request"))
    .order_by(RequestEvent.id)
)


def deadlines_of(session: Session, request_id: str) -> list[RequestDeadline]:
    return list(session.scalars(_DEADLINES_BY_DUE, {"request_id": request_id}))


def due(session: Session, request_id: str, name: str) -> datetime | None:
    """When the request's deadline ``name`` falls (``None``: it has none)."""
    return cast("datetime | None", _scalar(session, _DUE, request_id=request_id, name=name))


def timeline(session: Session, request_id: str) -> list[RequestEvent]:
    return list(session.scalars(_TIMELINE, {"request_id": request_id}))


def count_recent(session: Session, digest: bytes, since: datetime) -> int:
    """Requests made with one identifier since ``since``: the per-identifier rate limit."""
    return int(_scalar(session, _COUNT_RECENT, digest=digest, since=since) or 0)


_DEADLINES_BY_DUE = _DEADLINES.order_by(RequestDeadline.due_at)
_DUE = sa.select(RequestDeadline.due_at).where(
    RequestDeadline.request_id == sa.bindparam("request_id"),
    RequestDeadline.name == sa.bindparam("name"),
)
_TIMELINE = (
    sa.select(RequestEvent)
    .where(RequestEvent.request_id == sa.bindparam("request_id"))
    .order_by(RequestEvent.id)
)
_COUNT_RECENT = (
    sa.select(sa.func.count())
    .select_from(Request)
    .where(
        Request.identifier_digest == sa.bindparam("digest"),
        Request.received_at >= sa.bindparam("since"),
    )
)


@dataclass(frozen=True)
class Reminder:
    request_id: str
    kind: str
    deadline: str
    due_at: datetime
    source: str


def due_reminders(
    *, session: Session, now: datetime, points: tuple[int, ...], actor: str
) -> list[Reminder]:
    """Unmet deadlines of open requests that have come within a warning point (hours) not yet
    warned of; each warning is noted in the timeline, so it is sent once."""
    horizon = now + timedelta(hours=max(points))
    rows = session.execute(
        sa.select(Request, RequestDeadline)
        .join(RequestDeadline, RequestDeadline.request_id == Request.id)
        .where(
            Request.state.in_(OPEN_STATES),
            RequestDeadline.met_at.is_(None),
            RequestDeadline.due_at > now,
            RequestDeadline.due_at <= horizon,
        )
    ).all()
    found = []
    for request, deadline in rows:
        point = min(p for p in points if deadline.due_at <= now + timedelta(hours=p))
        mark = f"{deadline.name} {point}h"
        if (
            session.scalar(
                sa.select(RequestEvent.id).where(
                    RequestEvent.request_id == request.id,
                    RequestEvent.action == "reminded",
                    RequestEvent.note == mark,
                )
            )
            is None
        ):
            note(session, request, "reminded", actor, now, mark)
            found.append(
                Reminder(request.id, request.kind, deadline.name, deadline.due_at, deadline.source)
            )
    return found


#: How long a closed request's contents are kept when the policy names no period: the three
#: years RKN Order No. 179 keeps the acts that document what was done.
DEFAULT_KEEP = timedelta(days=3 * 365 + 1)


def shred_closed(*, session: Session, before: datetime) -> int:
    """Crypto-shred requests closed before ``before``: their key, contents, answer and files go;
    the timeline and deadlines (ids and names only) stay as the record of what was done."""
    closed = list(
        session.scalars(
            sa.select(Request.id).where(Request.closed_at < before, Request.wrapped_key != b"")
        )
    )
    if closed:
        session.execute(sa.delete(RequestFile).where(RequestFile.request_id.in_(closed)))
        session.execute(
            sa.update(Request)
            .where(Request.id.in_(closed))
            .values(wrapped_key=b"", sealed=b"", response_sealed=None, identifier_digest=bytes(32))
        )
    return len(closed)


def purposes_of(session: Session, subject_id: str) -> list[str]:
    """The purposes the subject's values are held for."""
    return list(
        session.scalars(
            sa.select(PersonalValue.purpose)
            .where(PersonalValue.subject_id == subject_id)
            .distinct()
        )
    )


@dataclass(frozen=True)
class Hold:
    """Why an erasure keeps the data of one purpose: ``declared`` — a legal hold in
    lawful.yaml (``retention.legal_hold``, its text as ``reason``); ``placed`` — a hold placed
    on this person (``lawful retention hold``; its reason may name a case, so it is not told);
    ``obligation`` — the law obliges the operator to keep them (``legal_basis:
    legal_obligation``, ``reason``: the retention's source)."""

    purpose: str
    kind: str
    reason: str = ""


def holds_on(session: Session, policy: Policy, subject_id: str) -> list[Hold]:
    """What an erasure of ``subject_id`` must keep, purpose by purpose, and why."""
    placed = {h.purpose for h in retention.list_holds(session=session, subject_id=subject_id)}
    found = []
    for key in sorted(purposes_of(session, subject_id)):
        purpose = policy.purposes.get(key)
        if purpose is None:
            continue
        kept = purpose.retention
        if kept is not None and kept.legal_hold:
            found.append(Hold(key, "declared", kept.legal_hold))
        elif None in placed or key in placed:
            found.append(Hold(key, "placed"))
        elif purpose.legal_basis == "legal_obligation":
            source = kept.source if kept is not None and kept.source else ""
            found.append(Hold(key, "obligation", source))
    return found


def held_purposes(session: Session, policy: Policy, subject_id: str) -> list[str]:
    """Purposes whose data an erasure keeps, here and in the systems they were sent to (see
    :func:`holds_on`: legal holds, and what a legal obligation requires)."""
    return [hold.purpose for hold in holds_on(session, policy, subject_id)]
