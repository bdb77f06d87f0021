"""The data subject's portal: policies, requests for each right, verification by code, status,
the one-time download of an access report, and consent management."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["portal"], include_in_schema=False)
