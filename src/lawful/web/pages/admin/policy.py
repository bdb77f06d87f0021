"""Policy: every published document with its versions, a diff between two versions, and the
consents that wait for renewal after a material change."""

from __future__ import annotations

import difflib
from typing import Annotated

import sqlalchemy as sa
from fastapi import Query, Request
from fastapi.responses import Response

from lawful.consent.models import ConsentRecord
from lawful.documents import service as documents
from lawful.documents.models import DocumentVersion
from lawful.web.pages.admin.auth import Viewer, admin_router
from lawful.web.pages.admin.words import page
from lawful.web.routes import lawful_of

router = admin_router()


@router.get("/policy")
def index(request: Request, user: Viewer) -> Response:
    lawful = lawful_of(request)
    with lawful.sessions() as session:
        rows = documents.versions(session=session)
        renewals = session.execute(
            sa.select(ConsentRecord.purpose, sa.func.count())
            .where(ConsentRecord.state == "renewal_needed", ConsentRecord.is_current.is_(True))
            .group_by(ConsentRecord.purpose)
            .order_by(ConsentRecord.purpose)
        ).all()
    grouped: dict[tuple[str, str], list[DocumentVersion]] = {}
    for row in rows:
        grouped.setdefault((row.kind, row.language), []).append(row)
    context = {
        "user": user,
        "documents": [(kind, lang, list(reversed(v))) for (kind, lang), v in grouped.items()],
        "renewals": [(str(p), int(n)) for p, n in renewals],
    }
    return page(request, "admin/policy.html", context)


@router.get("/policy/diff")
def diff(
    request: Request,
    user: Viewer,
    kind: Annotated[str, Query(max_length=120)],
    language: Annotated[str, Query(max_length=16)],
    a: Annotated[int, Query(ge=1)],
    b: Annotated[int, Query(ge=1)],
) -> Response:
    """What changed between versions ``a`` and ``b`` of one document, line by line."""
    lawful = lawful_of(request)
    with lawful.sessions() as session:
        old = documents.get_version(session=session, kind=kind, language=language, version=a)
        new = documents.get_version(session=session, kind=kind, language=language, version=b)
    lines = list(
        difflib.unified_diff(
            old.markdown.splitlines(),
            new.markdown.splitlines(),
            fromfile=f"v{a}",
            tofile=f"v{b}",
            lineterm="",
        )
    )
    marked = [(_mark(line), line) for line in lines]
    context = {"user": user, "kind": kind, "language": language, "old": old, "new": new}
    return page(request, "admin/policy_diff.html", {**context, "lines": marked})


def _mark(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "file"
    if line.startswith("@@"):
        return "hunk"
    return {"+": "added", "-": "removed"}.get(line[:1], "same")
