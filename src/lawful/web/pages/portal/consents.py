"""``/portal/consents``: the person signs in with a code mailed to their address, then sees each
of their consents (purpose, the document version it was given on, dates), withdraws any, and
downloads its receipt.

Signing in never tells whether the address is known: the same code mail, the same pages. The
code is kept, as a keyed hash, in a signed challenge cookie (15 minutes); wrong codes are
counted per challenge in the database, shared by every server process, and the fifth locks the
address out for an hour, across restarts. A right code gives a portal session: a signed,
HttpOnly, ``SameSite=Strict`` cookie bound to the subject, expiring on the server after
:data:`SESSION_TTL`, and ended at once, in every process, by signing out.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from lawful.config.models import Policy, localised
from lawful.consent import receipts
from lawful.consent import service as consent
from lawful.consent.models import ACTIVE_STATES, ConsentRecord
from lawful.errors import LawfulError, LockedOut, NotFound
from lawful.mail import Mail
from lawful.requests.verification import CODE_TTL, LOCKOUT, MAX_ATTEMPTS
from lawful.subjects.models import Identifier
from lawful.web.pages.i18n import translations
from lawful.web.pages.portal import forms, tokens
from lawful.web.pages.portal.attempts import Attempts, attempts_of, expiry
from lawful.web.pages.portal.common import (
    language,
    limited,
    message_page,
    now,
    see_other,
    set_cookie,
)
from lawful.web.pages.rendering import check_csrf, operator_name, render
from lawful.web.routes import lawful_of
from lawful.web.routes.requests import mailer_of

router = APIRouter(prefix="/consents")

CHALLENGE_COOKIE = "lawful_portal_challenge"
SESSION_COOKIE = "lawful_portal_session"
SESSION_TTL = timedelta(minutes=30)
ACTOR = "portal"
CHANNEL = "portal"
WRONG_CODE = "This code is not right, or it has expired. Check the e-mail, or start again."
LOCKED = "Too many wrong codes. Please try again in an hour."
EXPIRED = "The code has expired. Please start again."


def _signin_page(
    request: Request,
    values: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = {"values": values or {}, "errors": {"email": error} if error else {}}
    return render(request, "portal/consents_signin.html", context, status=status)


def _session(request: Request) -> dict[str, Any] | None:
    payload = tokens.unsign(
        lawful_of(request).ring, "session", request.cookies.get(SESSION_COOKIE), now()
    )
    if payload is None or attempts_of(request).ended(str(payload.get("n"))):
        return None
    return payload


@router.get("", response_class=HTMLResponse)
def consents_page(request: Request) -> Response:
    """The person's consents, or the sign-in form."""
    session = _session(request)
    if session is None:
        return _signin_page(request)
    lawful = lawful_of(request)
    policy = lawful.require_policy()
    lang = language(request)
    with lawful.sessions() as db:
        records = _records(db, session.get("s"))
    shown = [
        {
            "record": r,
            "purpose": _purpose_name(policy, r.purpose, lang),
            "active": r.state in ACTIVE_STATES and r.purpose is not None,
            "document": _document_path(r),
        }
        for r in records
    ]
    notice = request.query_params.get("withdrawn") == "1"
    return render(request, "portal/consents.html", {"consents": shown, "withdrawn": notice})


def _purpose_name(policy: Policy, purpose: str | None, lang: str) -> str | None:
    """The purpose's name in ``lang``; None for the user agreement (no purpose)."""
    if purpose is None:
        return None
    declared = policy.purposes.get(purpose)
    return (localised(declared.name, lang) if declared else None) or purpose


def _records(db: Any, subject_id: object) -> list[ConsentRecord]:
    if not isinstance(subject_id, str) or not subject_id:
        return []
    return list(
        db.scalars(
            sa.select(ConsentRecord)
            .where(ConsentRecord.subject_id == subject_id, ConsentRecord.is_current.is_(True))
            .order_by(ConsentRecord.given_at)
        )
    )


def _document_path(record: ConsentRecord) -> str | None:
    if record.document_kind is None or record.document_version is None:
        return None
    language = record.document_language or ""
    return f"/documents/{record.document_kind}/{language}/v{record.document_version}"


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    """Mail a code to the address (known or not: the same mail, the same next page)."""
    form = await request.form()
    text = str(form.get("email", "")).strip()
    try:
        check_csrf(request, str(form.get("csrf", "")))
        limited(request)
    except LawfulError as error:
        return message_page(request, error, back="/portal/consents")
    reading = forms.Reading({"email": text})
    email = forms.check_email(text, reading)
    if email is None:
        return _signin_page(request, reading.values, reading.errors["email"], status=422)
    lawful = lawful_of(request)
    digest = lawful.ring.digest("email", email).hex()
    attempts, at = attempts_of(request), now()
    if attempts.locked_until(digest, at):
        return message_page(request, LockedOut("locked", retry_after=3600), "/portal/consents")
    code, challenge = f"{secrets.randbelow(10**6):06d}", secrets.token_urlsafe(16)
    payload = {
        "c": challenge,
        "d": digest,
        "m": tokens.keyed(lawful.ring, "code", challenge + code),
    }
    try:
        mailer_of(request).send(_code_mail(request, email, code))
    except LawfulError as error:
        return message_page(request, error, back="/portal/consents")
    response = see_other("/portal/consents/code")
    value = tokens.sign(lawful.ring, "challenge", payload, at, CODE_TTL)
    set_cookie(request, response, CHALLENGE_COOKIE, value, CODE_TTL)
    return response


def _code_mail(request: Request, email: str, code: str) -> Mail:
    lang = language(request)
    words = translations(lang).gettext
    name = operator_name(lawful_of(request).policy, lang)
    body = words(
        "Your code to see and manage your consents with {operator}: {code}\n"
        "It is valid for 15 minutes. If you did not ask for it, ignore this message."
    ).format(operator=name, code=code)
    return Mail(to=email, subject=words("Your consents: sign-in code"), body=body)


@router.get("/code", response_class=HTMLResponse)
def code_form(request: Request) -> Response:
    return render(request, "portal/consents_code.html", {"error": None})


@router.post("/code", response_class=HTMLResponse)
async def check_code(request: Request) -> Response:
    """A right code opens the portal session; wrong ones are counted, the fifth locks."""
    form = await request.form()
    code = str(form.get("code", "")).strip().replace(" ", "")
    try:
        check_csrf(request, str(form.get("csrf", "")))
        limited(request)
    except LawfulError as error:
        return message_page(request, error, back="/portal/consents")
    lawful, attempts, at = lawful_of(request), attempts_of(request), now()
    challenge = tokens.unsign(lawful.ring, "challenge", request.cookies.get(CHALLENGE_COOKIE), at)
    if challenge is None or attempts.ended(challenge["c"]):
        return _code_page(request, EXPIRED, 422)
    with attempts.lock:
        if attempts.locked_until(challenge["d"], at):
            return _code_page(request, LOCKED, 429)
        expected = tokens.keyed(lawful.ring, "code", challenge["c"] + code)
        if not secrets.compare_digest(expected, str(challenge["m"])):
            return _wrong(request, attempts, challenge, at)
        attempts.end(challenge["c"], expiry(challenge))
    subject_id = _subject_of(request, bytes.fromhex(challenge["d"]))
    response = see_other("/portal/consents")
    payload = {"s": subject_id or "", "n": secrets.token_urlsafe(12)}
    set_cookie(
        request,
        response,
        SESSION_COOKIE,
        tokens.sign(lawful.ring, "session", payload, at, SESSION_TTL),
        SESSION_TTL,
    )
    response.delete_cookie(CHALLENGE_COOKIE, path="/portal")
    return response


def _wrong(
    request: Request, attempts: Attempts, challenge: dict[str, Any], at: datetime
) -> Response:
    count = attempts.wrong(challenge["c"], expiry(challenge))
    if count < MAX_ATTEMPTS:
        return _code_page(request, WRONG_CODE, 422)
    attempts.end(challenge["c"], expiry(challenge))
    attempts.lock_out(challenge["d"], at + LOCKOUT)
    return _code_page(request, LOCKED, 429)


def _code_page(request: Request, error: str, status: int) -> HTMLResponse:
    return render(request, "portal/consents_code.html", {"error": error}, status=status)


def _subject_of(request: Request, digest: bytes) -> str | None:
    with lawful_of(request).sessions() as db:
        found: str | None = db.scalar(
            sa.select(Identifier.subject_id).where(
                Identifier.kind == "email", Identifier.digest == digest
            )
        )
    return found


def _own_record(request: Request, consent_id: str) -> tuple[ConsentRecord, dict[str, Any]]:
    """The record, if the signed-in person's; NotFound otherwise (no hint whose it is)."""
    session = _session(request)
    if session is None or not session.get("s"):
        raise NotFound("no such consent record", field="consent_id")
    with lawful_of(request).sessions() as db:
        record = db.get(ConsentRecord, consent_id) if len(consent_id) <= 32 else None
    if record is None or record.subject_id != session["s"]:
        raise NotFound("no such consent record", field="consent_id")
    return record, session


@router.post("/{consent_id}/withdraw", response_class=HTMLResponse)
async def withdraw(consent_id: str, request: Request) -> Response:
    """Withdraw one consent, at once (its purpose's data are queued for destruction)."""
    form = await request.form()
    lawful = lawful_of(request)
    try:
        check_csrf(request, str(form.get("csrf", "")))
        record, session = _own_record(request, consent_id)
        if record.purpose is None:
            raise NotFound("the user agreement is not a consent", field="consent_id")
        with lawful.sessions.begin() as db:
            consent.withdraw(
                session=db,
                policy=lawful.require_policy(),
                subject_id=session["s"],
                purpose=record.purpose,
                channel=CHANNEL,
                now=now(),
                actor=ACTOR,
            )
    except LawfulError as error:
        return message_page(request, error, back="/portal/consents")
    return see_other("/portal/consents?withdrawn=1")


@router.get("/{consent_id}/receipt")
def receipt(consent_id: str, request: Request, format: str = "kantara") -> Response:  # noqa: A002
    """The consent's receipt (Kantara KI-CR-v1.1.0, or DPV JSON-LD), as a file."""
    try:
        record, _ = _own_record(request, consent_id)
    except LawfulError as error:
        return message_page(request, error, back="/portal/consents")
    policy = lawful_of(request).require_policy()
    jsonld = format == "jsonld"
    body = (
        receipts.dpv_jsonld(record, policy) if jsonld else receipts.kantara_receipt(record, policy)
    )
    name = f"consent-{record.id}{'.jsonld' if jsonld else '.json'}"
    return JSONResponse(
        body,
        media_type="application/ld+json" if jsonld else "application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/sign-out", response_class=HTMLResponse)
async def sign_out(request: Request) -> Response:
    form = await request.form()
    try:
        check_csrf(request, str(form.get("csrf", "")))
    except LawfulError as error:
        return message_page(request, error, back="/portal/consents")
    session = _session(request)
    if session is not None:
        attempts_of(request).end(str(session.get("n")), expiry(session))
    response = see_other("/portal")
    response.delete_cookie(SESSION_COOKIE, path="/portal")
    return response
