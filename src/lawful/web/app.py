"""The HTTP API: ``create_app(lawful)`` builds a FastAPI app over an opened :class:`Lawful`.

A factory and no module state, so tests and ``lawful serve`` each build their own app over
their own settings. Routers stay thin (parse, call the domain, render); errors become
problem+json in :mod:`lawful.web.problems`. Three pure-ASGI guards wrap every request:

* security headers on every response, errors included;
* a request body limit, answered 413 before a large body is read into memory;
* a last-resort handler that turns an unexpected exception into a generic 500 problem while
  the response can still be sent — inside the security-headers guard, so it gets them too.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lawful import __version__
from lawful.collection.writer import SubmissionWriter
from lawful.context import Lawful
from lawful.web import pages, problems
from lawful.web.routes import (
    audit,
    channels,
    consents,
    health,
    incidents,
    operator,
    submissions,
    transfers,
    widget,
)
from lawful.web.routes import connectors as connector_routes
from lawful.web.routes import demo_site as demo_site_routes
from lawful.web.routes import documents as document_routes
from lawful.web.routes import requests as request_routes

MAX_BODY_BYTES = 1024 * 1024

#: Paths served by FastAPI's Swagger UI, which loads its script and style from a CDN and
#: boots with an inline script; only these pages get the relaxed policy.
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect"})

API_CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
DOCS_CSP = (
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com"
)
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def create_app(
    lawful: Lawful,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    demo_site: bool = False,
    freeze_heap: bool = False,
) -> FastAPI:
    """Build the API over ``lawful``; the caller keeps ownership of it (and closes it).
    ``demo_site`` adds ``/demo``, a page of the operator's site with a lawful form.
    ``freeze_heap`` (for a server process, as ``lawful serve``): see :func:`freeze_heap_now`."""
    writer = SubmissionWriter(
        sessions=lawful.sessions,
        ring=lawful.ring,
        policy=lawful.require_policy,
        threads=1,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if freeze_heap:
            freeze_heap_now()
        yield
        writer.close()  # what was acknowledged is committed; write what is queued

    app = FastAPI(
        title="lawful",
        version=__version__,
        summary="The operator's privacy policy, enforced.",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.lawful = lawful
    app.state.submission_writer = writer
    problems.install(app)
    # Routes are matched in order, one pattern after another (FastAPI tries every route of
    # every included router until one matches, ~1.5 us each): the busiest go first — the
    # submissions, then the data-subject requests' public and operator steps.
    submissions.install(app)
    app.include_router(request_routes.public, prefix="/api/v1")
    app.include_router(request_routes.operator, prefix="/api/v1")
    app.include_router(health.router)
    app.include_router(operator.router, prefix="/api/v1")
    app.include_router(audit.router, prefix="/api/v1")
    document_routes.include(app)
    app.include_router(consents.router, prefix="/api/v1")
    app.include_router(incidents.router, prefix="/api/v1")
    app.include_router(transfers.router, prefix="/api/v1")
    app.include_router(connector_routes.router, prefix="/api/v1")
    app.include_router(submissions.well_known)
    app.include_router(request_routes.acts, prefix="/api/v1")
    pages.include(app)
    if demo_site:
        app.include_router(demo_site_routes.router)
    # add_middleware puts each new layer outside the previous one: the last added runs first.
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(LastResort)
    app.add_middleware(SecurityHeaders)
    widget.install(app)  # /widget.js, its config, and CORS (outermost) for the operator's site
    channels.install(app)  # messenger webhooks, web chat (its CORS), outgoing, stats
    return app


def app_from_env() -> FastAPI:
    """The app of one ``lawful serve --workers N`` process (uvicorn's ``--factory`` target):
    lawful opened from the same ``LAWFUL_*`` environment as the command that started it."""
    from lawful.context import open_lawful
    from lawful.settings import Settings

    lawful = open_lawful(Settings.from_env())
    lawful.require_policy()
    return create_app(lawful, freeze_heap=True)


def freeze_heap_now() -> None:
    """Move every object alive now out of the cyclic garbage collector's sight.

    What a server has loaded when it starts (the policy, SQLAlchemy's, pydantic's and
    FastAPI's machinery) lives as long as the process, yet each full collection walked all of
    it again: pauses of tens of milliseconds that made the tail of the request latency
    (benchmarks/README.md: p99 at 750 submissions/s went from 52 to 32 ms). Only for a
    process that serves: in a test run, objects frozen here would never be collected."""
    gc.collect()
    gc.freeze()


class SecurityHeaders:
    """Add the security headers to every HTTP response that does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] in DOCS_PATHS else API_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", csp)
                for name, value in COMMON_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class LastResort:
    """Answer an unexpected exception with a generic 500 problem, never its message."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        # The boundary between the server and every route: whatever escapes the known-error
        # handlers is a bug, answered without its text (it may quote personal data).
        except Exception as error:  # noqa: BLE001
            if started:
                raise
            response = problems.problem_response(problems.unexpected_problem(error))
            await response(scope, receive, send)


class BodyLimit:
    """Refuse bodies over ``max_bytes`` with 413: by Content-Length at once, else while read."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            response = problems.problem_response(problems.http_problem(413, self._detail()))
            await response(scope, receive, send)
            return
        await self.app(scope, self._counting(receive), send)

    def _detail(self) -> str:
        return f"the request body is larger than {self.max_bytes} bytes"

    def _counting(self, receive: Receive) -> Receive:
        """A ``receive`` that raises 413 once a chunked body passes the limit; FastAPI lets
        an HTTPException from body reading through to the problem handler."""
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413, self._detail())
            return message

        return counting_receive
