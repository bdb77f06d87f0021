"""Exercising a right: the form, the code from the mail, the status, the report.

The pages walk :mod:`lawful.requests.flows` exactly as the public API does, so a request about
a person lawful does not know gets the same pages, the same redirects and the same mail as one
about a known person. Only the request's random reference is ever in a URL. A report is
downloaded from the status page by the browser that confirmed the code (its signed cookie
lists the references), once; the mailed one-time link works as well.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from lawful.errors import Gone, LawfulError, LockedOut, NotFound, VerificationFailed
from lawful.requests import flows, outbox, service
from lawful.requests.models import RequestFile
from lawful.web.pages.portal import forms
from lawful.web.pages.portal.common import (
    confirmed,
    language,
    limited,
    message_page,
    now,
    remember,
    see_other,
)
from lawful.web.pages.rendering import check_csrf, render
from lawful.web.routes import lawful_of
from lawful.web.routes.requests import mailer_of, report_response

router = APIRouter()

CODE_LENGTH = 6
BAD_CODE = "Enter the six digits from the e-mail."
WRONG_CODE = "This code is not right, or it has expired. Check the e-mail, or ask for a new code."
LOCKED_CODE = "Too many wrong codes. Please try again in an hour."


def _form_page(
    request: Request, kind: str, reading: forms.Reading | None = None, status: int = 200
) -> HTMLResponse:
    policy = lawful_of(request).require_policy()
    lang = language(request)
    context = {
        "kind": kind,
        "fields": forms.fields_of(kind),
        "values": reading.values if reading else {},
        "errors": reading.errors if reading else {},
        "categories": forms.categories(policy, lang),
        "purposes": forms.consent_purposes(policy, lang),
        "all_purposes": forms.ALL_PURPOSES,
        "banner": None,
    }
    return render(request, "portal/right.html", context, status=status)


@router.get("/rights/{kind}", response_class=HTMLResponse)
def right_form(kind: str, request: Request) -> Response:
    if kind not in forms.RIGHTS:
        return message_page(request, NotFound("no such right", field="kind"))
    return _form_page(request, kind)


@router.post("/rights/{kind}", response_class=HTMLResponse)
async def submit_right(kind: str, request: Request) -> Response:
    """Register the request; bad input shows the form again with the errors, storing nothing."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        check_csrf(request, form.get("csrf"))
        if kind not in forms.RIGHTS:
            raise NotFound("no such right", field="kind")
        limited(request)
    except LawfulError as error:
        return message_page(request, error)
    lawful = lawful_of(request)
    reading = forms.read(kind, form, lawful.require_policy(), language(request))
    if reading.intake is None:
        return _form_page(request, kind, reading, status=422)
    try:
        submitted = flows.submit(
            lawful,
            mailer_of(request),
            reading.intake,
            actor="requester",
            now=now(),
            limit_per_hour=lawful.settings.request_rate_limit,
        )
    except LawfulError as error:
        if error.field in reading.values:  # the library's own check of a field
            reading.errors[str(error.field)] = forms.NOT_LISTED
            return _form_page(request, kind, reading, status=422)
        return message_page(request, error, back=f"/portal/rights/{kind}")
    if submitted.state == "awaiting_verification":
        return see_other(f"/portal/requests/{submitted.id}/verify")
    return see_other(f"/portal/requests/{submitted.id}")


def _verify_page(
    request: Request, request_id: str, error: str | None = None, status: int = 200
) -> HTMLResponse:
    context = {"request_id": request_id, "error": error, "sent": request.query_params.get("sent")}
    return render(request, "portal/verify.html", context, status=status)


@router.get("/requests/{request_id}/verify", response_class=HTMLResponse)
def verify_form(request_id: str, request: Request) -> Response:
    try:
        _found(request, request_id)
    except LawfulError as error:
        return message_page(request, error)
    return _verify_page(request, request_id)


def _found(request: Request, request_id: str) -> Any:
    with lawful_of(request).sessions() as session:
        return service.get(session, request_id)


@router.post("/requests/{request_id}/verify", response_class=HTMLResponse)
async def verify(request_id: str, request: Request) -> Response:
    """Check the code; a wrong one shows the form again, the count kept by the library."""
    form = await request.form()
    code = str(form.get("code", "")).strip().replace(" ", "")
    try:
        check_csrf(request, str(form.get("csrf", "")))
        limited(request)
        _found(request, request_id)
    except LawfulError as error:
        return message_page(request, error)
    if len(code) != CODE_LENGTH or not code.isdigit():
        return _verify_page(request, request_id, BAD_CODE, status=422)
    try:
        flows.verify(lawful_of(request), request_id, code, now=now())
    except LockedOut:
        return _verify_page(request, request_id, LOCKED_CODE, status=429)
    except VerificationFailed:
        return _verify_page(request, request_id, WRONG_CODE, status=422)
    except LawfulError as error:
        return message_page(request, error)
    response = see_other(f"/portal/requests/{request_id}")
    remember(request, response, request_id)
    return response


@router.post("/requests/{request_id}/resend", response_class=HTMLResponse)
async def resend(request_id: str, request: Request) -> Response:
    """A new code (the same answer whether or not one was sent)."""
    form = await request.form()
    try:
        check_csrf(request, str(form.get("csrf", "")))
        limited(request)
        flows.resend(lawful_of(request), mailer_of(request), request_id, now=now())
    except LawfulError as error:
        return message_page(request, error, back=f"/portal/requests/{request_id}/verify")
    return see_other(f"/portal/requests/{request_id}/verify?sent=1")


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def status(request_id: str, request: Request) -> Response:
    """Where the request stands; the outcome and the report only for the confirming browser."""
    lawful = lawful_of(request)
    try:
        limited(request)
        with lawful.sessions() as session:
            found = service.get(session, request_id)
            due = {d.name: d.due_at for d in service.deadlines_of(session, request_id)}
            report = _report_kept(session, request_id)
    except LawfulError as error:
        return message_page(request, error)
    mine = request_id in confirmed(request)
    context = {
        "found": found,
        "answer_due": due.get("answer"),
        "mine": mine,
        "report": mine and report and found.state in ("fulfilled", "completed"),
    }
    return render(request, "portal/status.html", context)


def _report_kept(session: Any, request_id: str) -> int | None:
    """The id of the request's report while it has not been downloaded."""
    found: int | None = session.scalar(
        sa.select(RequestFile.id).where(
            RequestFile.request_id == request_id,
            RequestFile.role == "report",
            RequestFile.sealed.is_not(None),
        )
    )
    return found


@router.post("/requests/{request_id}/download")
async def download(request_id: str, request: Request) -> Response:
    """The report, once, to the browser that confirmed the request."""
    form = await request.form()
    lawful = lawful_of(request)
    try:
        check_csrf(request, str(form.get("csrf", "")))
        limited(request)
        if request_id not in confirmed(request):
            raise NotFound("no report for this browser", field="request_id")
        with lawful.sessions.begin() as session:
            report = _report_kept(session, request_id)
            if report is None:
                raise Gone("the report was already downloaded", field="request_id")
            token = outbox.new_token(session, service.get(session, request_id), report, now())
        # The report's PDF is laid out outside the write lock; two downloads at once: one wins.
        name, data = flows.download(lawful, token, now=now())
    except LawfulError as error:
        return message_page(request, error, back=f"/portal/requests/{request_id}")
    return report_response(name, data)
