"""The operator's admin: sign-in and roles, dashboard, requests, incoming messages waiting for
a person, subjects, policy, registers and audit.

Each page module has its own router of :class:`~lawful.web.pages.admin.auth.AdminRoute`
routes, gathered here; every route names the roles that may use it."""

from __future__ import annotations

from fastapi import APIRouter

from lawful.web.pages.admin import (
    audit,
    auth,
    dashboard,
    intake,
    policy,
    registers,
    requests,
    subjects,
    users,
)

router = APIRouter(tags=["admin"], include_in_schema=False)
# ``/admin`` itself (the prefix is given where the router is mounted).
router.add_api_route("", dashboard.dashboard, methods=["GET"], route_class_override=auth.AdminRoute)
for module in (auth, dashboard, requests, intake, subjects, policy, registers, audit, users):
    router.include_router(module.router)
