"""Every error the HTTP API answers is an RFC 9457 ``application/problem+json`` document.

One table (:data:`PROBLEMS`) maps lawful's exception tree to a status and a title; nothing else
in the web layer decides how an error looks. Two rules keep personal data out of answers:

* input values are never echoed — validation errors name the field, not what was sent;
* an error whose text is not written for the person calling (configuration, keys, storage,
  anything unexpected) gets a generic detail; the full story goes to the log by class name,
  under the ``instance`` id the client sees, so the two can be matched.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from lawful.errors import (
    AuditChainBroken,
    ConfigError,
    ConnectorFailure,
    Gone,
    InvalidTransition,
    LawfulError,
    LockedOut,
    MailError,
    MasterKeyError,
    NeedsDecision,
    NotFound,
    PolicyViolation,
    StoreError,
    TransferRefused,
    Unauthorized,
    VerificationFailed,
)

logger = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:lawful:problem:"


@dataclass(frozen=True)
class ProblemKind:
    """How one class of error is answered. ``public`` says whether its message may be shown."""

    status: int
    title: str
    public: bool = True


#: The one mapping from lawful's errors to HTTP. Looked up along the exception's MRO, so a
#: subclass (``ConfigInvalid``) is answered like its parent unless listed itself.
PROBLEMS: dict[type[LawfulError], ProblemKind] = {
    TransferRefused: ProblemKind(422, "The transfer is not allowed"),
    PolicyViolation: ProblemKind(422, "The policy does not allow this"),
    NotFound: ProblemKind(404, "Not found"),
    NeedsDecision: ProblemKind(409, "A person must decide this first"),
    InvalidTransition: ProblemKind(409, "Not possible in the request's current state"),
    VerificationFailed: ProblemKind(422, "The code is not right"),
    LockedOut: ProblemKind(429, "Too many attempts"),
    Unauthorized: ProblemKind(401, "The operator's token is missing or wrong"),
    Gone: ProblemKind(410, "This link is no longer valid"),
    MailError: ProblemKind(503, "Mail could not be sent"),
    ConnectorFailure: ProblemKind(502, "A connected system failed"),
    ConfigError: ProblemKind(500, "The operator's configuration is not usable", public=False),
    MasterKeyError: ProblemKind(503, "The data store is locked", public=False),
    StoreError: ProblemKind(503, "The data store is unavailable", public=False),
    AuditChainBroken: ProblemKind(500, "The audit journal does not verify", public=False),
    LawfulError: ProblemKind(500, "Internal error", public=False),
}

GENERIC_DETAIL = "The server could not complete the request; the operator has been told."


def kind_of(error: LawfulError) -> ProblemKind:
    """The table row for ``error``: its own class, else its nearest listed ancestor."""
    for cls in type(error).__mro__:
        if cls in PROBLEMS:
            return PROBLEMS[cls]
    return PROBLEMS[LawfulError]


def new_instance() -> str:
    """A fresh id for one occurrence: quoted to the client, logged beside the cause."""
    return f"urn:uuid:{uuid.uuid4()}"


def problem_body(
    status: int,
    *,
    title: str,
    detail: str,
    code: str | None = None,
    instance: str | None = None,
    errors: Sequence[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """The problem document. ``type`` is ``about:blank`` when the status says it all."""
    body: dict[str, Any] = {
        "type": f"{TYPE_PREFIX}{code}" if code else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance or new_instance(),
    }
    if errors:
        body["errors"] = [dict(e) for e in errors]
    return body


def problem_response(
    body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        dict(body), status_code=int(body["status"]), media_type=MEDIA_TYPE, headers=headers
    )


def lawful_problem(error: LawfulError) -> dict[str, Any]:
    """Render a lawful error. Non-public errors are logged, by class, never shown."""
    kind, instance = kind_of(error), new_instance()
    if not kind.public:
        logger.error("%s answered %d as %s", type(error).__name__, kind.status, instance)
        return problem_body(
            kind.status, title=kind.title, detail=GENERIC_DETAIL, code=error.code, instance=instance
        )
    errors = [_error_item(error)] if error.field else []
    return problem_body(
        kind.status,
        title=kind.title,
        detail=error.message,
        code=error.code,
        instance=instance,
        errors=errors,
    )


def _error_item(error: LawfulError) -> dict[str, str]:
    item = {"field": str(error.field), "message": error.message}
    if error.reason:
        item["code"] = error.reason
    return item


def _field(loc: Iterable[object]) -> str:
    """``("body", "contact", "email")`` -> ``body.contact.email``; positions are dropped."""
    return ".".join(str(part) for part in loc if not isinstance(part, int)) or "body"


def _message(error: Mapping[str, Any]) -> str:
    # Pydantic's own messages are templates over the rule ("should be a valid integer"), not
    # the input; only the input and ctx members carry what was sent, and they are dropped.
    if error.get("type") == "json_invalid":
        return "the body is not valid JSON"
    return str(error.get("msg", "invalid value"))


def validation_problem(errors: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Malformed JSON is a 400 (nothing could be read); well-formed but wrong is a 422."""
    malformed = any(e.get("type") == "json_invalid" for e in errors)
    status = 400 if malformed else 422
    listed = [{"field": _field(e.get("loc", ())), "message": _message(e)} for e in errors]
    title = "The request body is not valid JSON" if malformed else "The request is invalid"
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in listed)
    return problem_body(status, title=title, detail=detail, code="invalid-request", errors=listed)


def http_problem(status: int, detail: object = None) -> dict[str, Any]:
    """Starlette's own errors (unknown route, wrong method, body too large)."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    text = detail if isinstance(detail, str) and detail else phrase
    code = "body-too-large" if status == 413 else None
    return problem_body(status, title=phrase, detail=text, code=code)


def unexpected_problem(error: BaseException) -> dict[str, Any]:
    """A bug. Log where it happened (frames, no message: it may quote personal data)."""
    instance = new_instance()
    frames = "".join(traceback.format_tb(error.__traceback__))
    logger.error("unexpected %s answered 500 as %s\n%s", type(error).__name__, instance, frames)
    return problem_body(500, title="Internal error", detail=GENERIC_DETAIL, instance=instance)


# Starlette types every handler as (Request, Exception); each is registered for one class only.


async def _on_lawful_error(_request: Request, exc: Exception) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, LockedOut) else None
    if isinstance(exc, Unauthorized):
        headers = {"WWW-Authenticate": "Bearer"}
    return problem_response(lawful_problem(cast(LawfulError, exc)), headers=headers)


async def _on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    return problem_response(validation_problem(list(cast(RequestValidationError, exc).errors())))


async def _on_http_error(_request: Request, exc: Exception) -> JSONResponse:
    error = cast(StarletteHTTPException, exc)
    return problem_response(http_problem(error.status_code, error.detail), headers=error.headers)


def install(app: FastAPI) -> None:
    """Answer every known error of ``app`` as problem+json (unexpected ones: see ``app``)."""
    app.add_exception_handler(LawfulError, _on_lawful_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
