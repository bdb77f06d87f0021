"""Published documents at stable URLs (ISO/IEC 29184 5.2: "ongoing reference").

* ``/documents`` — every document, its current version and earlier ones (HTML);
* ``/documents/{kind}/{language}`` — the current version; ``.../v{n}`` — version *n* for ever;
  either with ``.md`` — the exact Markdown whose SHA-256 is the published hash;
* ``/documents/distribution-conditions/{language}/register`` (and its JSON under ``/api/v1``)
  — the terms each person set for their data made public, live from the consent records;
* ``/api/v1/documents`` and ``/api/v1/documents/{kind}/{language}/current`` — the same as JSON,
  for the consent widget and forms, which must quote the version they show.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from lawful.consent import distribution
from lawful.documents import html
from lawful.documents import service as documents
from lawful.documents.models import DocumentVersion
from lawful.web.routes import LawfulDep

pages = APIRouter(tags=["documents"])
api = APIRouter(prefix="/documents", tags=["documents"])

MARKDOWN = "text/markdown; charset=utf-8"


def include(app: FastAPI) -> None:
    """Mount the pages at the root and the JSON under ``/api/v1``."""
    app.include_router(pages)
    app.include_router(api, prefix="/api/v1")


class DocumentOut(BaseModel):
    kind: str
    language: str
    version: int
    content_hash: str
    effective_at: datetime
    url: str


class DocumentText(DocumentOut):
    markdown: str


def _out(row: DocumentVersion) -> DocumentOut:
    return DocumentOut(
        kind=row.kind,
        language=row.language,
        version=row.version,
        content_hash=row.content_hash,
        effective_at=row.effective_at,
        url=row.ref.path,
    )


# --- pages ---------------------------------------------------------------------------------


@pages.get("/documents", response_class=HTMLResponse)
def documents_index(lawful: LawfulDep) -> HTMLResponse:
    """Every published document and language, its current version and the earlier ones."""
    with documents.reading(lawful.engine) as session:
        rows = [
            html.IndexRow(kind, language, listed[-1], listed[:-1][::-1])
            for (kind, language), group in itertools.groupby(
                documents.versions(session=session), key=lambda v: (v.kind, v.language)
            )
            for listed in [list(group)]
        ]
    return HTMLResponse(html.index_page(rows))


@pages.get(html.STYLESHEET_PATH, include_in_schema=False)
def stylesheet() -> Response:
    """The pages' only style: served from 'self', which the API's CSP already allows."""
    return Response(
        html.STYLESHEET,
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@pages.get("/documents/distribution-conditions/{language}/register", response_class=HTMLResponse)
def distribution_register_page(language: str, lawful: LawfulDep) -> HTMLResponse:
    """The conditions and prohibitions each person set for their data made public, live."""
    policy = lawful.require_policy()
    with documents.reading(lawful.engine) as session:
        entries = distribution.register(session=session, policy=policy, now=datetime.now(UTC))
    markdown = distribution.register_markdown(entries, policy, language)
    return HTMLResponse(html.plain_page(markdown, language=language))


@pages.get("/documents/{kind}/{language}.md")
def current_markdown(kind: str, language: str, lawful: LawfulDep) -> Response:
    """The current version's exact Markdown text."""
    with documents.reading(lawful.engine) as session:
        row = documents.require_current(session=session, kind=kind, language=language)
    return _markdown(row)


@pages.get("/documents/{kind}/{language}/v{version:int}.md")
def version_markdown(kind: str, language: str, version: int, lawful: LawfulDep) -> Response:
    """One version's exact Markdown text; its SHA-256 is the published content hash."""
    with documents.reading(lawful.engine) as session:
        row = documents.get_version(session=session, kind=kind, language=language, version=version)
    return _markdown(row)


@pages.get("/documents/{kind}/{language}/v{version:int}", response_class=HTMLResponse)
def version_page(kind: str, language: str, version: int, lawful: LawfulDep) -> HTMLResponse:
    """One version as a page, for ever at this address."""
    with documents.reading(lawful.engine) as session:
        row = documents.get_version(session=session, kind=kind, language=language, version=version)
        return _page(session, row)


@pages.get("/documents/{kind}/{language}", response_class=HTMLResponse)
def current_page(kind: str, language: str, lawful: LawfulDep) -> HTMLResponse:
    """The current version as a page."""
    with documents.reading(lawful.engine) as session:
        row = documents.require_current(session=session, kind=kind, language=language)
        return _page(session, row)


def _page(session: Session, row: DocumentVersion) -> HTMLResponse:
    listed = documents.versions(session=session, kind=row.kind, language=row.language)
    page = html.document_page(row, listed, datetime.now(UTC))
    # Each version's URL names fixed content; the current one changes on publication.
    return HTMLResponse(page, headers={"Link": f'<{row.ref.path}>; rel="canonical"'})


def _markdown(row: DocumentVersion) -> Response:
    return Response(
        row.markdown.encode("utf-8"),
        media_type=MARKDOWN,
        headers={"ETag": f'"{row.content_hash}"'},
    )


# --- JSON ----------------------------------------------------------------------------------


class PublishedTerms(BaseModel):
    reference: str
    purpose: str
    published_at: datetime
    terms: dict[str, dict[str, Any]]


@api.get("/distribution-conditions/register", response_model=list[PublishedTerms])
def distribution_register(lawful: LawfulDep) -> list[PublishedTerms]:
    """Every distribution consent in force: its record, purpose and the person's terms per
    category (152-FZ Art. 10.1(9)); never who the person is."""
    with documents.reading(lawful.engine) as session:
        entries = distribution.register(
            session=session, policy=lawful.require_policy(), now=datetime.now(UTC)
        )
    return [PublishedTerms(**vars(e)) for e in entries]


@api.get("", response_model=list[DocumentOut])
def list_documents(lawful: LawfulDep) -> list[DocumentOut]:
    """The current version of every published document, per language."""
    with documents.reading(lawful.engine) as session:
        rows = documents.versions(session=session)
    latest = {(r.kind, r.language): r for r in rows}  # versions are in ascending order
    return [_out(row) for row in latest.values()]


@api.get("/{kind}/{language}/current", response_model=DocumentText)
def current_document(kind: str, language: str, lawful: LawfulDep) -> DocumentText:
    """The current version with its text: what a form shows, and the reference it quotes."""
    with documents.reading(lawful.engine) as session:
        row = documents.require_current(session=session, kind=kind, language=language)
    return DocumentText(**_out(row).model_dump(), markdown=row.markdown)
