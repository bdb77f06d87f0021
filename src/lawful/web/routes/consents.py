"""Consent routes: eligibility checks, withdrawal and receipts.

* ``POST /api/v1/consents/check`` (preferred) and ``GET /api/v1/consents/check?identifier=…``:
  may this person be contacted for this purpose? An identifier is personal data, and URLs end
  up in access logs, browser history and proxies, so the POST form with a JSON body is the
  one to use; the GET form exists for quick manual checks.
* ``POST /api/v1/consents/eligibility?purpose=…&kind=email``: a JSON list of identifiers, or
  NDJSON (``application/x-ndjson``: one JSON string per line) answered as an NDJSON stream.
  Requests are capped by the body limit; split big lists, or use ``lawful consent filter``.
* ``POST /api/v1/consents/{id}/withdraw``: withdraw that consent at once.
* ``GET /api/v1/consents/{id}/receipt?format=kantara|jsonld``: the consent receipt.

Routers stay thin: they parse, call :mod:`lawful.consent.service` and render.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

import lawful.consent.jobs  # noqa: F401  (registers the destruction job's handler)
from lawful.consent import receipts, service
from lawful.consent.eligibility import INVALID_IDENTIFIER
from lawful.context import Lawful
from lawful.errors import PolicyViolation
from lawful.web.routes import LawfulDep

router = APIRouter(prefix="/consents", tags=["consents"])

ACTOR = "api"
NDJSON = "application/x-ndjson"
IdentifierKind = Literal["email", "phone", "telegram", "whatsapp", "kommo", "external"]


class CheckRequest(BaseModel):
    identifier: str = Field(min_length=1, max_length=320, description="E-mail, phone, ...")
    kind: IdentifierKind = "email"
    purpose: str = Field(min_length=1, max_length=64, description="Purpose key in lawful.yaml.")


class CheckResult(BaseModel):
    allowed: bool
    reason: str = Field(examples=["allowed:consent", "refused:withdrawn"])


class WithdrawRequest(BaseModel):
    channel: str = Field(default="api", min_length=1, max_length=32)


class ConsentOut(BaseModel):
    id: str
    purpose: str | None
    state: str
    state_changed_at: datetime


def _check_one(lawful: Lawful, body: CheckRequest) -> CheckResult:
    policy = lawful.require_policy()
    with lawful.sessions() as session:
        ((_, answer),) = service.check_identifiers(
            session=session,
            ring=lawful.ring,
            policy=policy,
            identifiers=[body.identifier],
            purpose=body.purpose,
            now=datetime.now(UTC),
            kind=body.kind,
        )
    if answer is INVALID_IDENTIFIER:
        raise PolicyViolation(f"not a valid {body.kind} identifier", field="identifier")
    return CheckResult(allowed=answer.allowed, reason=answer.reason)


@router.post("/check", response_model=CheckResult)
def check_post(body: CheckRequest, lawful: LawfulDep) -> CheckResult:
    """Preferred: the identifier travels in the body, out of URLs and access logs."""
    return _check_one(lawful, body)


@router.get("/check", response_model=CheckResult)
def check_get(
    lawful: LawfulDep,
    identifier: Annotated[str, Query(min_length=1, max_length=320)],
    purpose: Annotated[str, Query(min_length=1, max_length=64)],
    kind: IdentifierKind = "email",
) -> CheckResult:
    """For manual checks only: an identifier in a URL is personal data in every access log.
    Use ``POST /api/v1/consents/check``."""
    return _check_one(lawful, CheckRequest(identifier=identifier, kind=kind, purpose=purpose))


def _parse_identifiers(raw: bytes, ndjson: bool) -> list[str]:
    if ndjson:
        out = []
        for number, line in enumerate(raw.decode("utf-8", errors="strict").splitlines(), 1):
            if line.strip():
                out.append(_string(_json(line, f"body.line{number}"), f"body.line{number}"))
        return out
    loaded = _json(raw.decode("utf-8"), "body")
    if not isinstance(loaded, list):
        raise PolicyViolation("expected a JSON list of identifiers", field="body")
    return [_string(item, f"body.{i}") for i, item in enumerate(loaded)]


def _json(text: str, field: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise PolicyViolation("not valid JSON", field=field) from None


def _string(item: Any, field: str) -> str:
    if isinstance(item, dict):
        item = item.get("identifier")
    if not isinstance(item, str) or not item:
        raise PolicyViolation("each identifier must be a non-empty string", field=field)
    return item


@router.post(
    "/eligibility",
    responses={200: {"content": {NDJSON: {}, "application/json": {}}}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "string"}}},
                NDJSON: {"schema": {"type": "string"}},
            },
        }
    },
)
async def eligibility(
    request: Request,
    lawful: LawfulDep,
    purpose: Annotated[str, Query(min_length=1, max_length=64)],
    kind: IdentifierKind = "email",
) -> Any:
    """Answer for every identifier, in order: ``{identifier, allowed, reason}``."""
    ndjson = request.headers.get("content-type", "").split(";")[0].strip() == NDJSON
    identifiers = _parse_identifiers(await request.body(), ndjson)
    policy = lawful.require_policy()
    policy.purpose(purpose)  # an undeclared purpose is a 422 before anything streams

    def results() -> Iterator[dict[str, Any]]:
        with lawful.sessions() as session:
            for identifier, answer in service.check_identifiers(
                session=session,
                ring=lawful.ring,
                policy=policy,
                identifiers=identifiers,
                purpose=purpose,
                now=datetime.now(UTC),
                kind=kind,
            ):
                yield {"identifier": identifier, "allowed": answer.allowed, "reason": answer.reason}

    if ndjson:
        lines = (json.dumps(r, ensure_ascii=False) + "\n" for r in results())
        return StreamingResponse(lines, media_type=NDJSON)
    return JSONResponse(await run_in_threadpool(lambda: list(results())))


@router.post("/{consent_id}/withdraw", response_model=list[ConsentOut])
def withdraw(
    consent_id: str, lawful: LawfulDep, body: WithdrawRequest | None = None
) -> list[ConsentOut]:
    """Withdraw the consent (effective at once); its purpose's data are queued for
    destruction. Returns the records withdrawn (none if it was no longer in force)."""
    policy = lawful.require_policy()
    with lawful.sessions.begin() as session:
        record = service.get_record(session=session, record_id=consent_id)
        if record.purpose is None:
            raise PolicyViolation(
                "the user agreement is a contract, not a consent: end the contract instead",
                field="consent_id",
            )
        changed = service.withdraw(
            session=session,
            policy=policy,
            subject_id=record.subject_id,
            purpose=record.purpose,
            channel=(body or WithdrawRequest()).channel,
            now=datetime.now(UTC),
            actor=ACTOR,
        )
        return [
            ConsentOut(
                id=r.id, purpose=r.purpose, state=r.state, state_changed_at=r.state_changed_at
            )
            for r in changed
        ]


@router.get("/{consent_id}/receipt")
def receipt(
    consent_id: str, lawful: LawfulDep, format: Literal["kantara", "jsonld"] = "kantara"
) -> JSONResponse:
    """The consent receipt: Kantara KI-CR-v1.1.0, or DPV-27560 JSON-LD."""
    policy = lawful.require_policy()
    with lawful.sessions() as session:
        record = service.get_record(session=session, record_id=consent_id)
        if format == "jsonld":
            return JSONResponse(
                receipts.dpv_jsonld(record, policy), media_type="application/ld+json"
            )
        return JSONResponse(receipts.kantara_receipt(record, policy))
