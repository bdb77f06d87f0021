"""Transaction boundaries of the request API: each flow commits its change, then mails.

Mail goes after the commit so that nothing is promised to the person that the database did not
keep. The answer, an extension notice and a report link are also queued as a job in the same
transaction (:mod:`lawful.requests.outbox`): sent at once when the server answers, else by the
worker later. Only the one-time code is not queued (it is kept as a hash): when its mail fails,
``MailError`` is raised and :func:`resend` sends a new one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from lawful.connectors import orchestration
from lawful.context import Lawful
from lawful.crypto.normalise import normalise_identifier
from lawful.destruction.service import Destroyer
from lawful.documents.service import reading
from lawful.errors import LockedOut, MailError, PolicyViolation, VerificationFailed
from lawful.mail import Mail, Mailer
from lawful.requests import fulfil, outbox, report, response, service, verification
from lawful.requests.models import Request
from lawful.requests.verification import Check
from lawful.sms import NoTexter, Texter, configured

logger = logging.getLogger(__name__)


def _tell(mailer: Mailer, request: Request, mail: Mail) -> None:
    """Mail the person; a phone number on record cannot be mailed (staff call or write)."""
    if request.identifier_kind == "email":
        mailer.send(mail)


def _promise(session: Session, request: Request, what: str, now: datetime) -> str | None:
    """Queue the mail with the change (see :mod:`lawful.requests.outbox`); phones get none."""
    return (
        outbox.promise(session, request, what, now) if request.identifier_kind == "email" else None
    )


def _deliver(lawful: Lawful, mailer: Mailer, promised: str | None, mail: Mail) -> None:
    """Send now; on success withdraw the queued copy, on failure leave it to the worker."""
    if promised is None:
        return
    try:
        mailer.send(mail)
    except MailError as error:
        logger.warning("request mail left to the worker: %s", error.message)
        return
    with lawful.sessions.begin() as session:
        outbox.withdraw(session, promised)


def submit(
    lawful: Lawful,
    mailer: Mailer,
    intake: service.Intake,
    *,
    actor: str,
    now: datetime,
    limit_per_hour: int | None = None,
    texter: Texter | None = None,
) -> Request:
    """Register a request; send the code (known person or not: the same message) by mail, or
    by SMS through ``texter`` for a phone number."""
    if (
        intake.identifier_kind == "phone"
        and intake.channel in service.SELF_SERVICE
        and not configured(texter or NoTexter())
    ):
        raise PolicyViolation(
            "codes cannot be sent to phones here (no SMS gateway): give your e-mail address",
            field="phone",
        )
    with lawful.sessions.begin() as session:
        if limit_per_hour is not None:
            digest = lawful.ring.digest(intake.identifier_kind, intake.identifier)
            if service.count_recent(session, digest, now - timedelta(hours=1)) >= limit_per_hour:
                raise LockedOut("too many requests: try again later", retry_after=3600)
        submitted = service.submit(
            session=session,
            ring=lawful.ring,
            policy=lawful.require_policy(),
            intake=intake,
            actor=actor,
            now=now,
        )
        if submitted.code is not None:
            service.meet(session, submitted.request, "acknowledge", now)
    if submitted.code is not None:
        _send_code(mailer, texter, submitted.request, intake.identifier, submitted.code)
    return submitted.request


def _send_code(mailer: Mailer, texter: Texter | None, request: Request, to: str, code: str) -> None:
    """The one-time code to the identifier on record: mail, or SMS to the number (E.164)."""
    if request.identifier_kind == "phone":
        number = normalise_identifier("phone", to)
        (texter or NoTexter()).send(response.sms(number, request, code))
    else:
        _tell(mailer, request, response.mail(to, request, "code", code=code))


def _reachable(request: Request) -> bool:
    """Can a code be sent? By mail always; by SMS when the person asked by themselves (a
    phoned-in request is verified by staff, as before)."""
    if request.identifier_kind == "phone":
        return request.channel in service.SELF_SERVICE
    return request.identifier_kind == "email"


def resend(
    lawful: Lawful,
    mailer: Mailer,
    request_id: str,
    *,
    now: datetime,
    texter: Texter | None = None,
) -> None:
    with lawful.sessions.begin() as session:
        request = service.get(session, request_id)
        code = (
            verification.issue(session, lawful.ring, request.id, now)
            if request.state == "awaiting_verification" and _reachable(request)
            else None
        )
        to = service.contents(lawful.ring, request)["identifier"]
    if code is not None:  # a verified request silently gets nothing: the answer is the same
        _send_code(mailer, texter, request, to, code)


@dataclass(frozen=True)
class Verified:
    request: Request
    #: When the answer is due, read in the same transaction (the API answers with it).
    answer_due: datetime | None


def verify(lawful: Lawful, request_id: str, code: str, *, now: datetime) -> Verified:
    """Check the code. A wrong one is counted (committed) before the error is raised."""
    with lawful.sessions.begin() as session:
        request = service.get(session, request_id)
        if request.state != "awaiting_verification":
            raise VerificationFailed("this request needs no code now", field="code")
        result = verification.check(session, lawful.ring, request.id, code, now)
        due = None
        if result is Check.OK:
            service.mark_verified(
                session=session,
                policy=lawful.require_policy(),
                request=request,
                how="code",
                actor="requester",
                now=now,
            )
            due = service.due(session, request.id, "answer")
    if result is Check.LOCKED:
        raise LockedOut("too many wrong codes: try again later", retry_after=3600, field="code")
    if result is not Check.OK:
        raise VerificationFailed(f"the code is {result.value}", field="code")
    return Verified(request, due)


def act(
    lawful: Lawful,
    mailer: Mailer,
    request_id: str,
    *,
    actor: str,
    now: datetime,
    destroyer: Destroyer | None = None,
    pdf: bool = True,
) -> fulfil.Outcome:
    policy = lawful.require_policy()
    if policy.connectors:
        with lawful.sessions.begin() as session:
            # Downstream systems first: lawful acts on its own store only when every connector
            # is done (the erasure's act and the access report list their results).
            waiting = orchestration.hold(
                session=session,
                ring=lawful.ring,
                policy=policy,
                request_id=request_id,
                actor=actor,
                now=now,
            )
        if waiting:
            return fulfil.Outcome("in_progress", done=[orchestration.describe_waiting(waiting)])
    with reading(lawful.engine) as session:  # an access report is built before the write
        prepared = fulfil.prepare_report(
            session=session,
            ring=lawful.ring,
            policy=policy,
            request_id=request_id,
            now=now,
            pdf=pdf,
        )
    with lawful.sessions.begin() as session:
        outcome = fulfil.act(
            session=session,
            ring=lawful.ring,
            policy=policy,
            request_id=request_id,
            actor=actor,
            now=now,
            destroyer=destroyer,
            pdf=pdf,
            prepared=prepared,
        )
        request = service.get(session, request_id)
        key = service.key_of(lawful.ring, request)
        request.response_sealed = key.seal_json(
            {
                "done": [asdict(s) for s in outcome.done],
                "reasons": [asdict(s) for s in outcome.reasons],
            },
            "outcome",
        )
        to = service.contents(lawful.ring, request)["identifier"]
        ready = _promise(session, request, "ready", now) if outcome.download_token else None
    if outcome.download_token is not None:
        url = outbox.link(lawful.settings.public_url, outcome.download_token)
        _deliver(lawful, mailer, ready, response.mail(to, request, "ready", url=url))
    return outcome


def download(lawful: Lawful, token: str, *, now: datetime) -> tuple[str, bytes]:
    """The prepared report, once: read and its link spent in one transaction. A report whose
    PDF is still to be laid out (one rebuilt inside the act's write) is read first and laid
    out before the write lock is taken (a failure there spends nothing); then the link is
    spent, unless another download spent it meanwhile (:class:`~lawful.errors.Gone`)."""
    with lawful.sessions.begin() as session:
        name, data = fulfil.peek(session=session, ring=lawful.ring, token=token, now=now)
        if not report.pdf_due(data):
            fulfil.spend(session=session, token=token, now=now)
            return name, data
    data = report.finish(data)
    with lawful.sessions.begin() as session:
        fulfil.spend(session=session, token=token, now=now)
    return name, data


def complete(lawful: Lawful, mailer: Mailer, request_id: str, *, actor: str, now: datetime) -> str:
    """Write the response document, close the request and send the answer."""
    with lawful.sessions.begin() as session:
        request = service.get(session, request_id)
        key = service.key_of(lawful.ring, request)
        found = key.open_json(request.response_sealed, "outcome") if request.response_sealed else {}
        service.move(session, request, "completed", actor, now)
        text = response.answer_markdown(
            lawful.require_policy(),
            request,
            [response.Said(**s) for s in found.get("reasons", [])],
            [response.Said(**s) for s in found.get("done", [])],
            now,
        )
        request.response_sealed, request.closed_at = key.seal(text, "response"), now
        service.meet(session, request, "answer", now)
        service.note(session, request, "answered", actor, now, f"outcome {request.outcome}")
        service.journal(session, request, "request_close", actor, now)
        to = service.contents(lawful.ring, request)["identifier"]
        promised = _promise(session, request, "answer", now)
    _deliver(lawful, mailer, promised, response.mail(to, request, "answer", body=text))
    return text


def reject(
    lawful: Lawful, mailer: Mailer, request_id: str, reason: str, *, actor: str, now: datetime
) -> str:
    with lawful.sessions.begin() as session:
        request = fulfil.reject(
            session=session, request_id=request_id, reason=reason, actor=actor, now=now
        )
        text = response.answer_markdown(
            lawful.require_policy(),
            request,
            [response.Said("legal_reason", {"reason": reason})],
            [],
            now,
        )
        request.response_sealed = service.key_of(lawful.ring, request).seal(text, "response")
        service.journal(session, request, "request_close", actor, now)
        to = service.contents(lawful.ring, request)["identifier"]
        promised = _promise(session, request, "answer", now)
    _deliver(lawful, mailer, promised, response.mail(to, request, "answer", body=text))
    return text


def extend(
    lawful: Lawful, mailer: Mailer, request_id: str, reason: str, *, actor: str, now: datetime
) -> datetime:
    with lawful.sessions.begin() as session:
        deadline = service.extend(
            session=session,
            policy=lawful.require_policy(),
            request_id=request_id,
            reason=reason,
            actor=actor,
            now=now,
        )
        request = service.get(session, request_id)
        to = service.contents(lawful.ring, request)["identifier"]
        due = deadline.due_at
        promised = _promise(session, request, "extended", now)
    notice = response.mail(to, request, "extended", reason=reason, due=f"{due:%Y-%m-%d}")
    _deliver(lawful, mailer, promised, notice)
    return due


@dataclass(frozen=True)
class Attachment:
    name: str
    media_type: str
    data: bytes


def enter(
    lawful: Lawful,
    intake: service.Intake,
    *,
    verified_reason: str | None,
    attachments: Sequence[Attachment] = (),
    actor: str,
    now: datetime,
) -> Request:
    """Staff enter a written or phoned request, with its scanned evidence; when they checked
    the person's identity (a signed letter, an ID shown) they say how, and it is verified."""
    with lawful.sessions.begin() as session:
        policy = lawful.require_policy()
        submitted = service.submit(
            session=session, ring=lawful.ring, policy=policy, intake=intake, actor=actor, now=now
        )
        request = submitted.request
        for item in attachments:
            service.attach(
                session=session,
                ring=lawful.ring,
                request_id=request.id,
                name=item.name,
                media_type=item.media_type,
                data=item.data,
                actor=actor,
                now=now,
            )
        if verified_reason and request.state == "awaiting_verification":
            service.verify_by_staff(
                session=session,
                policy=policy,
                request_id=request.id,
                reason=verified_reason,
                actor=actor,
                now=now,
            )
        service.meet(session, request, "acknowledge", now)
    return request
