"""``GET /api/v1/audit/verify``: walk the hash-chained journal and say whether it holds.

The answer carries counts and sequence numbers only. Walking a long chain takes time, so the
route is a plain function that FastAPI runs in its thread pool, off the event loop.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from lawful import audit
from lawful.web.routes import LawfulDep

router = APIRouter(prefix="/audit", tags=["audit"])


class Verification(BaseModel):
    ok: bool
    events: int
    first_broken_seq: int | None = None
    reason: str | None = None


@router.get("/verify", response_model=Verification)
def verify_journal(lawful: LawfulDep) -> Verification:
    """Verify every link of the audit chain and its recorded head."""
    result = audit.verify(lawful.engine)
    return Verification(
        ok=result.ok,
        events=result.events,
        first_broken_seq=result.first_broken_seq,
        reason=result.reason,
    )
