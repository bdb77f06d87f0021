"""Callbacks from connected systems: Kommo's ``delete_contact`` webhook, and the signed
callback of a webhook connector's service."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response

from lawful.connectors.webhooks import kommo_deleted, service_callback
from lawful.web.routes import LawfulDep

router = APIRouter(tags=["connectors"])


@router.post("/connectors/{connector}/kommo-webhook", status_code=204)
async def kommo_webhook(
    connector: str, request: Request, lawful: LawfulDep, secret: str = ""
) -> Response:
    """Kommo posts form-encoded events here; ``delete_contact`` confirms pending deletions.
    Answered at once with 204 (Kommo disables endpoints that keep failing)."""
    body = await request.body()
    with lawful.sessions.begin() as session:
        kommo_deleted(
            session=session,
            policy=lawful.require_policy(),
            connector=connector,
            secret=secret,
            body=body,
            env=os.environ,
            now=datetime.now(UTC),
        )
    return Response(status_code=204)


@router.post("/connectors/{connector}/callback/{ref}", status_code=204)
async def service_callback_route(
    connector: str, ref: str, request: Request, lawful: LawfulDep
) -> Response:
    """The operator's service reports an accepted action done (signed like lawful's calls)."""
    body = await request.body()
    with lawful.sessions.begin() as session:
        service_callback(
            session=session,
            policy=lawful.require_policy(),
            connector=connector,
            ref=ref,
            body=body,
            timestamp=request.headers.get("X-Lawful-Timestamp", ""),
            signature=request.headers.get("X-Lawful-Signature", ""),
            env=os.environ,
            now=datetime.now(UTC),
        )
    return Response(status_code=204)
