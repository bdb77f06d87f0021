"""``POST /api/v1/submissions``: a web form or inquiry enters lawful."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from sqlalchemy.orm import Session

from lawful.collection import idempotency
from lawful.collection import service as collection
from lawful.collection.schemas import Submission, SubmissionReceipt
from lawful.consent.service import Evidence
from lawful.context import Lawful

router = APIRouter(tags=["collection"])


@router.post("/submissions", status_code=201, response_model=SubmissionReceipt)
def create_submission(
    submission: Submission,
    request: Request,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
    sec_gpc: Annotated[str | None, Header()] = None,
) -> Any:
    """Store a form's values under the purposes ticked and record each consent, in one
    transaction. Retry safely with the same `Idempotency-Key`."""
    lawful: Lawful = request.app.state.lawful
    now = datetime.now(UTC)
    context = collection.Context(
        evidence=Evidence(
            ip=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
            form_id=submission.form_id,
            page_url=submission.page_url,
        ),
        gpc=sec_gpc == "1",
        now=now,
    )

    def act(session: Session) -> tuple[int, dict[str, Any]]:
        receipt = collection.submit(
            session=session,
            ring=lawful.ring,
            policy=lawful.require_policy(),
            submission=submission,
            context=context,
        )
        return 201, receipt.model_dump()

    outcome = idempotency.run_once(
        sessions=lawful.sessions,
        ring=lawful.ring,
        key=idempotency_key,
        request=submission.model_dump_json().encode() + (b"|gpc" if context.gpc else b""),
        now=now,
        action=act,
    )
    response.status_code = outcome.status
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return outcome.payload


#: Served at the site root, not under /api/v1.
well_known = APIRouter(tags=["collection"])

#: When lawful began honouring the signal as described here (GPC spec: the support resource).
GPC_LAST_UPDATE = "2026-11-26"


@well_known.get("/.well-known/gpc.json")
def gpc_support() -> dict[str, Any]:
    """Global Privacy Control support resource: `Sec-GPC: 1` is honoured as an objection to
    sale, sharing and marketing-analytics purposes."""
    return {"gpc": True, "lastUpdate": GPC_LAST_UPDATE}
