"""What every page shares: the Jinja2 environment, the language of the request, CSRF tokens
and :func:`render`.

Templates are looked up by area (``portal/...``, ``admin/...``, ``base.html``) and receive:

* ``_`` / ``ngettext`` — the page's words in the request's language (see :mod:`.i18n`);
* ``lang``, ``languages`` (for the switcher), ``operator_name``, ``policy``;
* ``csrf`` — the token every POST form must carry in a hidden ``csrf`` field;
* the ``datetime`` and ``date`` filters, in the operator's time zone and the page's language.

The language is, in order: ``?lang=`` (which the switcher links to, and which is remembered in a
cookie), the cookie, ``Accept-Language``, the operator's first language.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from lawful.config.models import Policy, localised
from lawful.errors import Unauthorized
from lawful.web.pages.i18n import SOURCE_LANGUAGE, negotiate, page_languages, translations
from lawful.web.routes import lawful_of

LANGUAGE_COOKIE = "lawful_lang"
CSRF_COOKIE = "lawful_csrf"
CSRF_FIELD = "csrf"
YEAR = 365 * 24 * 3600

environment = Environment(
    loader=PackageLoader("lawful.web.pages", "templates"),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def page_language(request: Request) -> str:
    """The language this request's page is shown in (see the module docstring)."""
    available = languages_for(request)
    for chosen in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if chosen in available:
            return chosen
    header = request.headers.get("accept-language")
    return negotiate(header, available, available[0])


def languages_for(request: Request) -> tuple[str, ...]:
    """The operator's languages that the pages are written in; English when none is."""
    policy = lawful_of(request).policy
    operator = policy.operator.languages if policy else [SOURCE_LANGUAGE]
    written = page_languages()
    ordered = tuple(language for language in operator if language in written)
    return ordered or (SOURCE_LANGUAGE,)


def _csrf_secret(request: Request) -> bytes:
    return lawful_of(request).ring.derive("lawful/pages/csrf")


def _csrf_for(request: Request, nonce: str) -> str:
    return hmac.new(_csrf_secret(request), nonce.encode(), hashlib.sha256).hexdigest()


def csrf_nonce(request: Request) -> str:
    """The browser's CSRF nonce (its cookie), or a new one that :func:`render` will set."""
    nonce = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_nonce", None)
    if nonce is None:
        nonce = secrets.token_urlsafe(24)
        request.state.csrf_nonce = nonce
    return str(nonce)


def csrf_token(request: Request) -> str:
    """The token this browser's forms carry (``csrf`` in every template's context)."""
    return _csrf_for(request, csrf_nonce(request))


def check_csrf(request: Request, token: str | None) -> None:
    """Refuse a form whose ``csrf`` field does not match the browser's cookie.

    The double-submit pattern: another site can make the browser send our cookie (were it not
    ``SameSite=Strict``) but cannot read it, so it cannot compute the matching token."""
    nonce = request.cookies.get(CSRF_COOKIE)
    if not nonce or not token or not hmac.compare_digest(token, _csrf_for(request, nonce)):
        raise Unauthorized("The form has expired. Please reload the page and try again.")


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """Render ``template`` in the request's language, with the shared context."""
    language = page_language(request)
    policy = lawful_of(request).policy
    gettext = translations(language)
    values = {
        "request": request,
        "_": gettext.gettext,
        "ngettext": gettext.ngettext,
        "lang": language,
        "languages": languages_for(request),
        "policy": policy,
        "operator_name": operator_name(policy, language),
        "csrf": csrf_token(request),
        "csrf_field": CSRF_FIELD,
        **(context or {}),
    }
    html = environment.get_template(template).render(values)
    response = HTMLResponse(html, status_code=status)
    response.headers["Cache-Control"] = "no-store"  # pages may show a person's own data
    secure = request.url.scheme == "https"
    if request.cookies.get(CSRF_COOKIE) is None:
        response.set_cookie(
            CSRF_COOKIE, csrf_nonce(request), httponly=True, samesite="strict", secure=secure
        )
    if request.query_params.get("lang") == language:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=YEAR, samesite="lax", secure=secure)
    return response


def operator_name(policy: Policy | None, language: str) -> str:
    if policy is None:
        return "lawful"
    return localised(policy.operator.legal_name, language) or next(
        iter(policy.operator.legal_name.values())
    )


def _zone(policy: Policy | None) -> ZoneInfo:
    return ZoneInfo(policy.operator.timezone if policy else "UTC")


def _format_datetime(value: datetime | None, language: str, policy: Policy | None) -> str:
    if value is None:
        return "—"
    return format_datetime(value.astimezone(_zone(policy)), "medium", locale=language)


def _format_date(value: datetime | None, language: str, policy: Policy | None) -> str:
    if value is None:
        return "—"
    return format_date(value.astimezone(_zone(policy)), "long", locale=language)


environment.globals["format_datetime"] = _format_datetime
environment.globals["format_date"] = _format_date
