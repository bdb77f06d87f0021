"""The operator's admin: sign-in and roles, dashboard, requests, subjects, policy, registers
and audit."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["admin"], include_in_schema=False)
