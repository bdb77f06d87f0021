"""``POST /api/v1/submissions``: a web form or inquiry enters lawful."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import StringConstraints, TypeAdapter, ValidationError
from starlette.routing import Route

from lawful.collection import idempotency
from lawful.collection import service as collection
from lawful.collection.schemas import Submission, SubmissionReceipt
from lawful.collection.writer import SubmissionWriter
from lawful.consent.service import Evidence
from lawful.context import Lawful

router = APIRouter(tags=["collection"])


#: The body as OpenAPI documents it. The route parses it itself (``Submission`` straight from
#: the bytes): FastAPI's generic body handling was a tenth of the server's time per submission.
BODY_DOC = {
    "required": True,
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Submission"}}},
}


#: ``Idempotency-Key``'s limit: the column stores a digest, but a key is kept short anyway.
MAX_KEY_LENGTH = 255
_KEY = TypeAdapter(Annotated[str, StringConstraints(max_length=MAX_KEY_LENGTH)])


def _parse(body: bytes) -> Submission:
    try:
        return Submission.model_validate_json(body)
    except ValidationError as invalid:
        # Answered like FastAPI's own validation errors: the field named, the value never.
        errors = invalid.errors(include_url=False, include_input=False, include_context=False)
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in errors]
        ) from None


def document_body(app: FastAPI) -> None:
    """Add ``Submission`` (and the models it uses) to the app's OpenAPI components."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        body = Submission.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(body.pop("$defs", {}))
        components["Submission"] = body
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


@router.post(
    "/submissions",
    status_code=201,
    response_model=SubmissionReceipt,
    openapi_extra={"requestBody": BODY_DOC},
)
async def create_submission(
    request: Request,
    idempotency_key: Annotated[str | None, Header(max_length=MAX_KEY_LENGTH)] = None,
    sec_gpc: Annotated[str | None, Header()] = None,
) -> Response:
    """Store a form's values under the purposes ticked and record each consent, in one
    transaction. Retry safely with the same `Idempotency-Key`."""
    return await serve_submission(request)  # documents the route; requests go to the lean one


def _idempotency_key(request: Request) -> str | None:
    """The header checked as FastAPI would check the declared parameter: same error, same loc."""
    key = request.headers.get("idempotency-key")
    if key is None or len(key) <= MAX_KEY_LENGTH:
        return key
    try:
        return _KEY.validate_python(key)
    except ValidationError as invalid:
        errors = invalid.errors(include_url=False, include_input=False, include_context=False)
        raise RequestValidationError(
            [{**error, "loc": ("header", "idempotency-key")} for error in errors]
        ) from None


async def serve_submission(request: Request) -> Response:
    """``POST /api/v1/submissions`` as a plain Starlette endpoint (see :func:`install`)."""
    key = _idempotency_key(request)
    submission = _parse(await request.body())
    lawful: Lawful = request.app.state.lawful
    headers = request.headers
    context = collection.Context(
        evidence=Evidence(
            ip=request.client.host if request.client else None,
            user_agent=headers.get("user-agent"),
            form_id=submission.form_id,
            page_url=submission.page_url,
        ),
        gpc=headers.get("sec-gpc") == "1",
        now=datetime.now(UTC),
    )
    plan = collection.prepare(
        ring=lawful.ring, policy=lawful.require_policy(), submission=submission, context=context
    )
    body = submission.model_dump_json().encode() + (b"|gpc" if context.gpc else b"")
    writer: SubmissionWriter = request.app.state.submission_writer
    outcome = await writer.submit_async(plan, idempotency.Keyed(key, body))
    replayed = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return Response(
        outcome.body, status_code=outcome.status, headers=replayed, media_type="application/json"
    )


def install(app: FastAPI) -> None:
    """Serve ``POST /api/v1/submissions`` and document it.

    The documented FastAPI route stays for OpenAPI; requests are matched first by a plain
    Starlette route to :func:`serve_submission`: FastAPI's per-request machinery (dependency
    solving, exit stacks, telemetry spans) was a fifth of the server's CPU per submission.
    Errors still reach the app's problem+json handlers, which wrap every route."""
    app.include_router(router, prefix="/api/v1")
    document_body(app)
    lean = Route("/api/v1/submissions", serve_submission, methods=["POST"])
    app.router.routes.insert(0, lean)


#: Served at the site root, not under /api/v1.
well_known = APIRouter(tags=["collection"])

#: When lawful began honouring the signal as described here (GPC spec: the support resource).
GPC_LAST_UPDATE = "2026-11-26"


@well_known.get("/.well-known/gpc.json")
def gpc_support() -> dict[str, Any]:
    """Global Privacy Control support resource: `Sec-GPC: 1` is honoured as an objection to
    sale, sharing and marketing-analytics purposes."""
    return {"gpc": True, "lastUpdate": GPC_LAST_UPDATE}
