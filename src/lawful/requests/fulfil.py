"""Doing what a verified request asks, and writing the answer.

:func:`act` performs the request (report, rectification, blocking, erasure, withdrawal,
objection, stop of distribution) and records the outcome; :func:`close` writes the response
document (granted, partly granted with reasons, refused with the legal reason) and ends the
request. Both run in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lawful.config.models import Policy
from lawful.connectors import orchestration
from lawful.consent import service as consent
from lawful.crypto.keyring import Keyring
from lawful.crypto.sealed import RecordKey
from lawful.destruction import service as destruction
from lawful.errors import Gone, InvalidTransition, NotFound, PolicyViolation
from lawful.requests import outbox, report, service
from lawful.requests.models import Download, Request, RequestEvent, RequestFile
from lawful.requests.response import Said
from lawful.subjects import service as subjects
from lawful.subjects.models import Subject

REPORT_KINDS = ("access", "transfer_info", "portability")
#: The states a request may be acted on in.
ACTABLE_STATES = ("verified", "in_progress")


@dataclass
class Outcome:
    """What was done and, when not everything was, why."""

    outcome: str = "granted"
    reasons: list[Said] = field(default_factory=list)
    done: list[Said] = field(default_factory=list)
    download_token: str | None = None
    act_id: str | None = None

    def summary(self, language: str = "en") -> str:
        return "; ".join(s.text(language) for s in self.done + self.reasons)


def act(
    *,
    session: Session,
    ring: Keyring,
    policy: Policy,
    request_id: str,
    actor: str,
    now: datetime,
    destroyer: destruction.Destroyer | None = None,
    pdf: bool = True,
    prepared: PreparedReport | None = None,
) -> Outcome:
    """Carry out a verified request and move it to ``fulfilled``; an access report built
    beforehand (:func:`prepare_report`) is used when it is still about the same person."""
    request = service.get(session, request_id)
    if request.state not in ACTABLE_STATES:
        raise InvalidTransition(
            f"a request in state {request.state} cannot be acted on", field="state"
        )
    if request.kind in REPORT_KINDS:
        subject = _subject_of(session, request)  # held while the report reads it again
        subject_id = subject.id if subject is not None else None
        outcome = _report(session, ring, policy, request, subject_id, actor, now, pdf, prepared)
    else:
        # Only the id: the changes below go through plain statements, and a Subject held
        # here would answer later look-ups in this transaction with the row as it was.
        subject_id = _known(session, request)
        outcome = _perform(session, ring, policy, request, subject_id, actor, now, destroyer)
    request.outcome = outcome.outcome
    service.move(session, request, "fulfilled", actor, now)
    service.note(session, request, "acted", actor, now, outcome.summary())
    service.meet(session, request, ("acknowledge", "block"), now)
    return outcome


def _known(session: Session, request: Request) -> str | None:
    """The id of the person the request is about, if still known here."""
    subject = _subject_of(session, request)
    return subject.id if subject is not None else None


def _subject_of(session: Session, request: Request) -> Subject | None:
    """The person the request is about, if still known here. Held by the caller for the rest
    of the transaction: the session keeps unchanged objects only while someone refers to them,
    and the report reads the same row again (a second SELECT when the first was let go)."""
    return session.get(Subject, request.subject_id) if request.subject_id is not None else None


def _perform(
    session: Session,
    ring: Keyring,
    policy: Policy,
    request: Request,
    subject_id: str | None,
    actor: str,
    now: datetime,
    destroyer: destruction.Destroyer | None,
) -> Outcome:
    if subject_id is None:
        return _unknown_here(session, policy, request, actor, now, destroyer)
    if request.kind == "rectification":
        details = service.contents(ring, request)["details"]
        count = subjects.rectify(
            session=session,
            ring=ring,
            subject_id=subject_id,
            category=details["category"],
            value=details["value"],
            actor=actor,
            now=now,
        )
        if _blocked_by(session, request, subject_id):
            subjects.set_blocked(
                session=session,
                subject_id=subject_id,
                blocked=False,
                actor=actor,
                reason=f"request {request.id}: rectified",
                now=now,
            )
        return Outcome(done=[Said("rectified", {"count": count, "category": details["category"]})])
    if request.kind in ("restriction", "unblocking"):
        blocked = request.kind == "restriction"
        subjects.set_blocked(
            session=session,
            subject_id=subject_id,
            blocked=blocked,
            actor=actor,
            reason=f"request {request.id}",
            now=now,
        )
        return Outcome(done=[Said("blocked" if blocked else "unblocked")])
    if request.kind == "erasure":
        return _erase(session, policy, request, subject_id, actor, now, destroyer)
    return _consents(session, policy, request, subject_id, actor, now)


def _unknown_here(
    session: Session,
    policy: Policy,
    request: Request,
    actor: str,
    now: datetime,
    destroyer: destruction.Destroyer | None,
) -> Outcome:
    """A person lawful does not hold: what the operator's other systems held was erased by
    the connectors, and the act lists it; otherwise there was nothing to act on."""
    elsewhere = orchestration.erasures_for(session, request.id)
    if request.kind != "erasure" or not elsewhere:
        return Outcome(done=[Said("no_data")])
    act = destruction.record_act(
        session=session,
        policy=policy,
        destroyed=[],
        elsewhere=elsewhere,
        destroyer=destroyer or destruction.Destroyer(actor, "operator"),
        reason=f"erasure request {request.id}",
        now=now,
        actor=actor,
    )
    return Outcome(done=[Said("destroyed_elsewhere", {"act": act.number})], act_id=act.id)


def _blocked_by(session: Session, request: Request, subject_id: str) -> bool:
    """Whether this request blocked the subject while checking (and so must unblock)."""
    return session.scalar(
        sa.select(RequestEvent.id).where(
            RequestEvent.request_id == request.id, RequestEvent.action == "blocked"
        )
    ) is not None and _is_blocked(session, subject_id)


def _is_blocked(session: Session, subject_id: str) -> bool:
    subject = session.get(Subject, subject_id)
    return subject is not None and subject.blocked_at is not None


@dataclass(frozen=True)
class PreparedReport:
    """An access report built in a read transaction, before the write lock is taken."""

    subject_id: str | None
    export: subjects.SubjectExport | None
    data: bytes


def prepare_report(
    *, session: Session, ring: Keyring, policy: Policy, request_id: str, now: datetime, pdf: bool
) -> PreparedReport | None:
    """The report a verified access, transfer or portability request will hand out, read and
    packed without writing (None for other requests and other states): :func:`act` then only
    journals, seals and stores it, and on SQLite holds the write lock — which every writer of
    every server process waits for — for a fraction of the time."""
    request = service.get(session, request_id)
    if request.kind not in REPORT_KINDS or request.state not in ACTABLE_STATES:
        return None
    subject = _subject_of(session, request)
    subject_id = subject.id if subject is not None else None
    export = _read_subject(session, ring, subject_id)
    data = _package(session, ring, policy, request, export, now, pdf, defer_pdf=False)
    return PreparedReport(subject_id, export, data)


def _read_subject(
    session: Session, ring: Keyring, subject_id: str | None
) -> subjects.SubjectExport | None:
    """What is held about the person, decrypted (None: nobody known); journalled only when
    it is handed out (:func:`_report`). Read a moment before the write, it is that moment's
    snapshot."""
    if subject_id is None:
        return None
    return subjects.read_subject(session=session, ring=ring, subject_id=subject_id)


def _package(
    session: Session,
    ring: Keyring,
    policy: Policy,
    request: Request,
    export: subjects.SubjectExport | None,
    now: datetime,
    pdf: bool,
    *,
    defer_pdf: bool = True,
) -> bytes:
    """The report's ZIP. Built before the write (:func:`prepare_report`) it holds the PDF,
    laid out from the same parse as the HTML; built inside the write transaction (a report
    prepared for someone since erased) its PDF, the slowest part, is left to the one
    download, outside the write lock (see :func:`lawful.requests.report.finish`)."""
    elsewhere = orchestration.found_for(session, ring, request)
    built = report.build(policy, export, request.language, now, elsewhere=elsewhere)
    return report.package(built, request.language, pdf=pdf, defer_pdf=defer_pdf)


def _report(
    session: Session,
    ring: Keyring,
    policy: Policy,
    request: Request,
    subject_id: str | None,
    actor: str,
    now: datetime,
    pdf: bool,
    prepared: PreparedReport | None,
) -> Outcome:
    if prepared is not None and prepared.subject_id == subject_id:
        export, data = prepared.export, prepared.data
    else:
        export = _read_subject(session, ring, subject_id)
        data = _package(session, ring, policy, request, export, now, pdf)
    if export is not None:
        subjects.journal_extract(session, export, actor=actor)
    file_id = service.attach(
        session=session,
        ring=ring,
        request_id=request.id,
        name="report.zip",
        media_type="application/zip",
        data=data,
        actor=actor,
        now=now,
        role="report",
    )
    token = outbox.new_token(session, request, file_id, now)
    return Outcome(done=[Said("report_ready")], download_token=token)


def _erase(
    session: Session,
    policy: Policy,
    request: Request,
    subject_id: str,
    actor: str,
    now: datetime,
    destroyer: destruction.Destroyer | None,
) -> Outcome:
    """Crypto-shred the subject, except values a legal obligation keeps (explained)."""
    holds = service.holds_on(session, policy, subject_id)
    reason = f"erasure request {request.id}"
    if holds:
        held = {hold.purpose for hold in holds}
        kept = [_hold_reason(hold) for hold in holds]
        destroyed = []
        for key in service.purposes_of(session, subject_id):
            if key not in held:
                destroyed.append(key)
                subjects.destroy_purpose_values(
                    session=session, subject_id=subject_id, purpose=key, actor=actor, reason=reason
                )
        if not destroyed:  # everything is held: nothing could be destroyed
            return Outcome("refused", reasons=kept)
        return Outcome(
            "partly_granted",
            reasons=kept,
            done=[Said("destroyed_some", {"purposes": ", ".join(sorted(destroyed))})],
        )
    shredded = destruction.shred(
        session=session, subject_ids=[subject_id], actor=actor, reason=reason, now=now
    )
    act = destruction.record_act(
        session=session,
        policy=policy,
        destroyed=shredded,
        elsewhere=orchestration.erasures_for(session, request.id),
        destroyer=destroyer or destruction.Destroyer(actor, "operator"),
        reason=reason,
        now=now,
        actor=actor,
    )
    return Outcome(done=[Said("destroyed_all", {"act": act.number})], act_id=act.id)


def _hold_reason(hold: service.Hold) -> Said:
    if hold.kind == "declared":
        return Said("kept_hold", {"purpose": hold.purpose, "reason": hold.reason})
    if hold.kind == "placed":
        return Said("kept_placed", {"purpose": hold.purpose})
    return Said("kept", {"purpose": hold.purpose, "source": hold.reason or "a legal obligation"})


def _consents(
    session: Session,
    policy: Policy,
    request: Request,
    subject_id: str,
    actor: str,
    now: datetime,
) -> Outcome:
    if request.kind == "withdrawal":
        purposes: list[str | None] = [request.purpose]
    elif request.kind == "objection":
        purposes = [p.key for p in policy.purposes.values() if p.is_marketing]
    else:  # distribution_stop
        purposes = [p.key for p in policy.purposes.values() if p.is_distribution]
    withdrawn = []
    for purpose in purposes:
        records = consent.withdraw(
            session=session,
            policy=policy,
            subject_id=subject_id,
            purpose=purpose,
            channel=request.channel,
            now=now,
            actor=actor,
        )
        withdrawn += [str(r.purpose) for r in records]
        if request.kind == "objection" and purpose is not None:
            consent.object_to(
                session=session,
                policy=policy,
                subject_id=subject_id,
                purpose=purpose,
                channel=request.channel,
                now=now,
                actor=actor,
                method="objection",
            )
    if not withdrawn:
        return Outcome(done=[Said("none_in_force")])
    return Outcome(done=[Said("withdrawn", {"purposes": ", ".join(withdrawn)})])


def reject(*, session: Session, request_id: str, reason: str, actor: str, now: datetime) -> Request:
    """Refuse the request with its legal reason (e.g. 152-FZ Art. 14(8))."""
    if not reason.strip():
        raise PolicyViolation("a refusal needs its legal reason", field="reason")
    request = service.get(session, request_id)
    service.move(session, request, "rejected", actor, now)
    request.outcome, request.closed_at = "refused", now
    service.note(session, request, "refused", actor, now, reason)
    service.meet(session, request, ("acknowledge", "answer"), now)
    return request


def download(*, session: Session, ring: Keyring, token: str, now: datetime) -> tuple[str, bytes]:
    """The prepared file, once: the link is spent and the sealed copy deleted on first use.

    In one transaction (the PDF, when it was deferred, is laid out inside it); the API uses
    :func:`lawful.requests.flows.download`, which lays it out before taking the write lock."""
    name, data = peek(session=session, ring=ring, token=token, now=now)
    data = report.finish(data)
    spend(session=session, token=token, now=now)
    return name, data


def _digest(token: str) -> bytes:
    """The stored hash of a link token; empty (no row has it) for one too long to be ours."""
    return outbox.token_digest(token) if len(token) < 100 else b""


def peek(*, session: Session, ring: Keyring, token: str, now: datetime) -> tuple[str, bytes]:
    """The file behind a valid, unused link — read only: the link stays valid.

    One statement for the link, its file and its request's key (three look-ups by primary
    key through the ORM cost a tenth of a download)."""
    found = session.connection().execute(_PEEK, {"digest": _digest(token)}).first()
    if found is None:
        raise NotFound("no such download", field="token")
    if found.used_at is not None or found.expires_at <= now:
        raise Gone("this link was already used or has expired", field="token")
    if found.wrapped_key is None:
        raise NotFound("no such request", field="request_id")
    if found.sealed is None:
        raise Gone("the file is no longer kept", field="token")
    ref = f"request:{found.request_id}"
    key = RecordKey.open(ring, ref, found.wrapped_key, found.master_key_id)
    return key.open_text(found.sealed_name, "file-name"), key.open_bytes(found.sealed, "file")


def spend(*, session: Session, token: str, now: datetime) -> None:
    """Use the link up: it is marked used and the sealed copy deleted. A link spent meanwhile
    (two downloads at once) is :class:`Gone` for the second.

    Two guarded UPDATEs, no read: :func:`peek` has just read the rows (six ORM loads were a
    tenth of a download), and the guards make the check and the change one step."""
    digest = _digest(token)
    spent = session.connection().execute(_SPEND, {"digest": digest, "now": now}).first()
    if spent is None:
        if session.get(Download, digest) is None:
            raise NotFound("no such download", field="token")
        raise Gone("this link was already used or has expired", field="token")
    cleared = session.connection().execute(_CLEAR_FILE, {"file_id": spent.file_id})
    if getattr(cleared, "rowcount", 1) != 1:
        raise Gone("the file is no longer kept", field="token")
    service.add_step(
        session, spent.request_id, "downloaded", "requester", now, f"file {spent.file_id}"
    )


# Built once with bound parameters (see lawful.requests.service): every download runs them.
_SPEND = (
    sa.update(Download)
    .where(
        Download.token_digest == sa.bindparam("digest"),
        Download.used_at.is_(None),
        Download.expires_at > sa.bindparam("now"),
    )
    .values(used_at=sa.bindparam("now", type_=Download.__table__.c.used_at.type))
    .returning(Download.file_id, Download.request_id)
)
_CLEAR_FILE = (
    sa.update(RequestFile)
    .where(RequestFile.id == sa.bindparam("file_id"), RequestFile.sealed.is_not(None))
    .values(sealed=None)
)
_PEEK = (
    sa.select(
        Download.request_id,
        Download.used_at,
        Download.expires_at,
        RequestFile.sealed_name,
        RequestFile.sealed,
        Request.wrapped_key,
        Request.master_key_id,
    )
    .outerjoin(RequestFile, RequestFile.id == Download.file_id)
    .outerjoin(Request, Request.id == Download.request_id)
    .where(Download.token_digest == sa.bindparam("digest"))
)
