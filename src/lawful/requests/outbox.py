"""Mail that must reach the person even when the SMTP server is down at the moment.

The answer, the notice of an extension and the link to a prepared report are promised in the
same transaction as the change that calls for them: a ``requests.mail`` job is queued there,
due a few minutes later. The flow then sends at once and, when that works, withdraws the job;
when it does not, the worker sends it (with the job queue's retries). The job's payload holds
the request id and what to send — the text is rebuilt from the sealed request, and a report
link gets a fresh one-time token, since tokens are kept only as hashes.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lawful import jobs
from lawful.crypto.keyring import Keyring
from lawful.jobs.models import Job, JobStatus
from lawful.mail import Mail
from lawful.requests import response, service
from lawful.requests.models import Download, Request, RequestDeadline, RequestEvent, RequestFile

MAIL_JOB = "requests.mail"
#: How long the flow's own attempt has before the worker takes over.
GRACE = timedelta(minutes=5)
DOWNLOAD_TTL = timedelta(days=7)
WHAT = ("answer", "extended", "ready")


def promise(session: Session, request: Request, what: str, now: datetime) -> str:
    """Queue the mail ``what`` with the caller's transaction; return its key."""
    key = f"{MAIL_JOB}:{request.id}:{what}:{now.timestamp():.6f}"
    jobs.enqueue(
        session,
        MAIL_JOB,
        {"request_id": request.id, "what": what},
        run_at=now + GRACE,
        unique_key=key,
        fresh_key=True,
    )
    return key


def withdraw(session: Session, key: str) -> None:
    """The flow delivered it itself: the worker has nothing left to do."""
    session.connection().execute(_WITHDRAW, {"key": key})


_WITHDRAW = sa.delete(Job).where(
    Job.unique_key == sa.bindparam("key"), Job.status == JobStatus.QUEUED.value
)


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def new_token(session: Session, request: Request, file_id: int, now: datetime) -> str:
    """A fresh one-time token for a prepared file; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    session.connection().execute(
        _ADD_DOWNLOAD,
        {
            "token_digest": token_digest(token),
            "request_id": request.id,
            "file_id": file_id,
            "expires_at": now + DOWNLOAD_TTL,
        },
    )
    return token


_ADD_DOWNLOAD = sa.insert(Download)


def link(public_url: str, token: str) -> str:
    return f"{public_url}/api/v1/requests/downloads/{token}"


def compose(
    session: Session,
    ring: Keyring,
    request: Request,
    what: str,
    public_url: str,
    now: datetime,
) -> Mail | None:
    """The mail ``what`` rebuilt from the stored request; None when nothing is left to send."""
    if request.identifier_kind != "email" or not request.wrapped_key:
        return None
    to = service.contents(ring, request)["identifier"]
    if what == "answer" and request.response_sealed is not None and request.closed_at:
        text = service.key_of(ring, request).open_text(request.response_sealed, "response")
        return response.mail(to, request, "answer", body=text)
    if what == "extended":
        return _extended(session, request, to)
    if what == "ready":
        file_id = session.scalar(
            sa.select(RequestFile.id).where(
                RequestFile.request_id == request.id,
                RequestFile.role == "report",
                RequestFile.sealed.is_not(None),
            )
        )
        if file_id is not None:
            url = link(public_url, new_token(session, request, file_id, now))
            return response.mail(to, request, "ready", url=url)
    return None


def _extended(session: Session, request: Request, to: str) -> Mail | None:
    reason = session.scalar(
        sa.select(RequestEvent.note)
        .where(RequestEvent.request_id == request.id, RequestEvent.action == "extended")
        .order_by(RequestEvent.id.desc())
        .limit(1)
    )
    due = session.scalar(
        sa.select(RequestDeadline.due_at).where(
            RequestDeadline.request_id == request.id, RequestDeadline.name == "answer"
        )
    )
    if reason is None or due is None:
        return None
    return response.mail(to, request, "extended", reason=reason, due=f"{due:%Y-%m-%d}")
