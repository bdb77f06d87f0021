"""Users (the ``admin`` role only): who may sign in, with which role; change a role or
disable a user. New users and passwords are made with ``lawful users`` on the server, so that
no password ever travels through a form another person fills in."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from lawful.errors import PolicyViolation
from lawful.users import service as users
from lawful.users.models import AdminUser
from lawful.web.pages.admin.auth import Posted, _now, admin_router, require
from lawful.web.pages.admin.words import page
from lawful.web.routes import lawful_of

router = admin_router()
Admin = Annotated[AdminUser, require("admin")]


@router.get("/users")
def index(request: Request, user: Admin) -> Response:
    lawful = lawful_of(request)
    with lawful.sessions() as session:
        listed = users.list_users(session)
    return page(request, "admin/users.html", {"user": user, "users": listed, "roles": users.ROLES})


def _not_self(user: AdminUser, email: str) -> None:
    if users.normalise_email(email) == user.email:
        raise PolicyViolation("you cannot change or disable yourself here", field="email")


@router.post("/users/role", dependencies=[Posted])
def set_role(
    request: Request,
    user: Admin,
    email: Annotated[str, Form(max_length=320)],
    role: Annotated[str, Form(max_length=16)],
) -> Response:
    _not_self(user, email)
    with lawful_of(request).sessions.begin() as session:
        users.set_role(session=session, email=email, role=role)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/disable", dependencies=[Posted])
def disable(request: Request, user: Admin, email: Annotated[str, Form(max_length=320)]) -> Response:
    _not_self(user, email)
    with lawful_of(request).sessions.begin() as session:
        users.disable(session=session, email=email, now=_now())
    return RedirectResponse("/admin/users", status_code=303)
