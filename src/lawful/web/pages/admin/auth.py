"""Sign-in, sign-out, and the role every admin route checks.

Every admin route is an :class:`AdminRoute`: a page asked for without a session is answered by
a redirect to the sign-in page, a role that may not see it by a 403 page, a refused form (a
CSRF token that does not match, an action the request's state does not allow) by a page that
says why — in the person's language, never as JSON. Routes declare who may use them with
:func:`require`, and every POST also checks the form's CSRF token (:data:`Posted`).

The session cookie is ``HttpOnly``, ``SameSite=Strict``, ``Secure`` over https and scoped to
``/admin``; it stands for a row in ``admin_sessions`` (see :mod:`lawful.users.service`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from lawful.errors import LawfulError, LockedOut, Unauthorized
from lawful.users import service as users
from lawful.users.models import AdminUser
from lawful.web.pages.admin.words import page
from lawful.web.pages.rendering import check_csrf
from lawful.web.problems import kind_of
from lawful.web.routes import lawful_of
from lawful.web.routes.requests import RateLimiter

logger = logging.getLogger(__name__)

SESSION_COOKIE = "lawful_admin"
EVERYONE = ("admin", "dpo", "staff", "auditor")
#: Who may change things (an auditor only reads).
ACTORS = ("admin", "dpo", "staff")
#: Who may see what is held about a person (shown as a journalled ``extract``).
PERSONAL = ("admin", "dpo")
#: Who may read the registers and the audit journal.
OVERSIGHT = ("admin", "dpo", "auditor")
#: Sign-in attempts per IP address and hour, on top of the per-user lock-out.
SIGN_INS_PER_IP = 30


class SignInNeeded(Exception):  # noqa: N818 - a control-flow signal, not an error
    """No valid session: the route answers with a redirect to the sign-in page."""


class Forbidden(Exception):  # noqa: N818
    """Signed in, but the role may not use this route."""


def _now() -> datetime:
    return datetime.now(UTC)


class AdminRoute(APIRoute):
    """An admin route: its refusals are pages, not problem documents (see the module)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInNeeded:
                back = quote(request.url.path if request.method == "GET" else "/admin")
                return RedirectResponse(f"/admin/sign-in?next={back}", status_code=303)
            except Forbidden:
                context = {"reason": "role", "user": _signed_in(request)}
                return page(request, "admin/refused.html", context, status=403)
            except LawfulError as error:
                return refused(request, error)

        return guarded


def refused(request: Request, error: LawfulError) -> Response:
    """The page for a refused action; only messages written for people are shown."""
    kind = kind_of(error)
    message = error.message if kind.public else None
    context = {"reason": "error", "message": message, "user": _signed_in(request)}
    return page(request, "admin/refused.html", context, status=kind.status)


def _signed_in(request: Request) -> AdminUser | None:
    user: AdminUser | None = getattr(request.state, "admin_user", None)
    return user


def admin_router() -> APIRouter:
    return APIRouter(route_class=AdminRoute)


def current_user(request: Request) -> AdminUser:
    """The signed-in user (read afresh: a role change or sign-out applies at once)."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        raise SignInNeeded
    lawful = lawful_of(request)
    with lawful.sessions.begin() as session:
        user = users.session_user(session=session, token=token, now=_now())
    if user is None:
        raise SignInNeeded
    request.state.admin_user = user
    return user


def require(*roles: str) -> Any:
    """A dependency: the signed-in user, if their role is one of ``roles``."""

    def allowed(user: Annotated[AdminUser, Depends(current_user)]) -> AdminUser:
        if user.role not in roles:
            raise Forbidden
        return user

    return Depends(allowed)


def _csrf(request: Request, csrf: Annotated[str, Form()] = "") -> None:
    check_csrf(request, csrf)


#: Add to every POST route: the form's CSRF token must match the browser's cookie.
Posted = Depends(_csrf)

Viewer = Annotated[AdminUser, require(*EVERYONE)]
Actor = Annotated[AdminUser, require(*ACTORS)]
Personal = Annotated[AdminUser, require(*PERSONAL)]
Overseer = Annotated[AdminUser, require(*OVERSIGHT)]


def actor_of(user: AdminUser) -> str:
    """How a user is named in timelines and the journal: by id, never by e-mail."""
    return f"admin:{user.id}"


def actor_names(session: Session, actors: set[str]) -> dict[str, str]:
    """``admin:<id>`` -> the user's e-mail, for colleagues reading a timeline or the journal
    (other actors stay as they are). The stored records keep the id only."""
    ids = [a.removeprefix("admin:") for a in actors if a.startswith("admin:")]
    if not ids:
        return {}
    rows = session.execute(sa.select(AdminUser.id, AdminUser.email).where(AdminUser.id.in_(ids)))
    return {f"admin:{uid}": email for uid, email in rows}


router = admin_router()


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/admin") -> Response:  # noqa: A002
    return page(request, "admin/sign_in.html", {"next": _safe_next(next), "error": None})


def _safe_next(target: str) -> str:
    """Only a path inside the admin: never another site (an open redirect)."""
    if target.startswith("/admin") and not target.startswith("//") and "\\" not in target:
        return target
    return "/admin"


def _ip_limiter(request: Request) -> RateLimiter:
    state = request.app.state
    if not hasattr(state, "admin_sign_in_limiter"):
        state.admin_sign_in_limiter = RateLimiter(SIGN_INS_PER_IP)
    limiter: RateLimiter = state.admin_sign_in_limiter
    return limiter


@router.post("/sign-in", dependencies=[Posted])
def sign_in(
    request: Request,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    code: Annotated[str, Form(max_length=12)] = "",
    next: Annotated[str, Form(max_length=500)] = "/admin",  # noqa: A002
) -> Response:
    lawful = lawful_of(request)
    target = _safe_next(next)
    try:
        _ip_limiter(request).hit(request.client.host if request.client else "unknown")
        with lawful.sessions() as session:
            try:
                signed = users.sign_in(
                    session=session,
                    ring=lawful.ring,
                    email=email,
                    password=password,
                    code=code,
                    now=_now(),
                )
            finally:
                session.commit()  # a wrong attempt is counted even though it is refused
    except (Unauthorized, LockedOut) as error:
        locked = isinstance(error, LockedOut)
        logger.info("admin sign-in refused (%s)", "locked" if locked else "wrong")
        context = {"next": target, "error": "locked" if locked else "wrong"}
        return page(request, "admin/sign_in.html", context, status=429 if locked else 401)
    logger.info("admin sign-in of user %s", signed.user.id)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signed.token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/admin",
    )
    return response


@router.post("/sign-out", dependencies=[Posted])
def sign_out(request: Request) -> Response:
    lawful = lawful_of(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    if token:
        with lawful.sessions.begin() as session:
            users.close_session(session=session, token=token)
    response = RedirectResponse("/admin/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/admin")
    return response
