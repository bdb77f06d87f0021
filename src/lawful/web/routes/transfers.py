"""The transfer gate over HTTP, for connectors and other systems that disclose data.

* ``POST /api/v1/transfers/check``: would the gate allow it now? Records nothing.
* ``POST /api/v1/transfers``: pass one disclosure through the gate; 201 with the logged
  transfer, or a 422 problem whose ``type`` is ``…:transfer-refused`` and whose detail starts
  with the missing condition (``no-cross-border-basis: …``).
* ``GET /api/v1/transfers?subject_id=…``: one subject's transfer history.

Subjects are named by their random id, never by an e-mail or phone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from lawful.transfers.service import check_transfer, transfer, transfers_for_subject
from lawful.web.routes import LawfulDep

router = APIRouter(prefix="/transfers", tags=["transfers"])

ACTOR = "api"
Key = Annotated[str, Field(min_length=1, max_length=128)]


class TransferIn(BaseModel):
    subject_id: str = Field(min_length=1, max_length=32)
    recipient: Key
    purpose: Key
    categories: list[Key] = Field(min_length=1, max_length=100)


class DecisionOut(BaseModel):
    allowed: bool
    condition: str = Field(examples=["allowed", "no-cross-border-basis", "subject-blocked"])
    message: str
    basis: str
    country: str


class TransferOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    recipient: str
    country: str
    purpose: str
    categories: list[str]
    basis: str


@router.post("/check", response_model=DecisionOut)
def check(body: TransferIn, lawful: LawfulDep) -> DecisionOut:
    """The gate's answer, without transferring or logging anything."""
    with lawful.sessions() as session:
        decision = check_transfer(
            session=session, policy=lawful.require_policy(), **body.model_dump()
        )
    return DecisionOut(
        allowed=decision.allowed,
        condition=decision.condition,
        message=decision.message,
        basis=decision.basis,
        country=decision.country,
    )


@router.post("", response_model=TransferOut, status_code=201)
def send(body: TransferIn, lawful: LawfulDep) -> TransferOut:
    """Pass one disclosure through the gate and log it; refused with the missing condition."""
    with lawful.sessions.begin() as session:
        row = transfer(
            session=session,
            policy=lawful.require_policy(),
            actor=ACTOR,
            now=datetime.now(UTC),
            **body.model_dump(),
        )
        return TransferOut.model_validate(row)


@router.get("", response_model=list[TransferOut])
def history(
    lawful: LawfulDep, subject_id: Annotated[str, Query(min_length=1, max_length=32)]
) -> list[TransferOut]:
    """Which recipients and countries received this subject's data, when and on what basis."""
    with lawful.sessions() as session:
        rows = transfers_for_subject(session, subject_id)
    return [TransferOut.model_validate(r) for r in rows]
