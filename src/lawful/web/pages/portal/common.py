"""What the portal's pages share: the clock, the message page, the cookies, the limits.

Errors are answered as pages, never problem+json: a known error becomes a message in the
person's language with the status the API would give; nothing in them quotes what was sent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lawful.errors import Gone, LawfulError, LockedOut, MailError, NotFound, Unauthorized
from lawful.web import problems
from lawful.web.pages.portal import tokens
from lawful.web.pages.rendering import page_language, render
from lawful.web.routes import lawful_of
from lawful.web.routes.requests import limit_ip

#: The browser's confirmed requests: the references it may download reports of.
REQUESTS_COOKIE = "lawful_portal_requests"
REQUESTS_TTL = timedelta(days=7)  # as long as a report's one-time link lives
MAX_REMEMBERED = 20

#: What the person sees for each error class (English msgids, translated by the template).
MESSAGES: dict[type[LawfulError], str] = {
    NotFound: "We could not find this. Check the link, or start again from the portal.",
    Gone: "This download was already used or has expired.",
    LockedOut: "Too many attempts. Please try again later.",
    MailError: "We could not send the e-mail just now. Please try again later.",
    Unauthorized: "The form has expired. Please reload the page and try again.",
}
GENERIC = "Something went wrong. Please try again later."


def now() -> datetime:
    return datetime.now(UTC)


def language(request: Request) -> str:
    return page_language(request)


def limited(request: Request) -> None:
    """The public request API's per-IP limit, shared with the portal (one budget per IP)."""
    limit_ip(request)


def message_page(request: Request, error: LawfulError, back: str = "/portal") -> HTMLResponse:
    """The page answering a known error, with the status the API gives it."""
    status = problems.kind_of(error).status
    text = next((m for cls, m in MESSAGES.items() if isinstance(error, cls)), GENERIC)
    response = render(
        request,
        "portal/message.html",
        {"heading": "Something went wrong", "text": text, "back": back},
        status=status,
    )
    if isinstance(error, LockedOut):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def set_cookie(request: Request, response: Response, name: str, value: str, ttl: timedelta) -> None:
    """An HttpOnly, SameSite=Strict cookie (Secure over HTTPS) for the portal's paths."""
    response.set_cookie(
        name,
        value,
        max_age=int(ttl.total_seconds()),
        path="/portal",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def confirmed(request: Request) -> list[str]:
    """The references of the requests this browser confirmed by code."""
    payload = tokens.unsign(
        lawful_of(request).ring, "requests", request.cookies.get(REQUESTS_COOKIE), now()
    )
    found: Any = (payload or {}).get("r", [])
    return [str(r) for r in found] if isinstance(found, list) else []


def remember(request: Request, response: Response, request_id: str) -> None:
    """Let this browser download the report of ``request_id`` (it confirmed the code)."""
    kept = [r for r in confirmed(request) if r != request_id][-(MAX_REMEMBERED - 1) :]
    value = tokens.sign(
        lawful_of(request).ring, "requests", {"r": [*kept, request_id]}, now(), REQUESTS_TTL
    )
    set_cookie(request, response, REQUESTS_COOKIE, value, REQUESTS_TTL)
