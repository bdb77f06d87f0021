"""``/portal``: the operator's published documents (current and every earlier version, in the
page's language first) and the rights the person can exercise."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse

from lawful.documents import html
from lawful.documents import service as documents
from lawful.documents.models import DocumentVersion
from lawful.web.pages.portal.common import language
from lawful.web.pages.portal.forms import RIGHTS
from lawful.web.pages.rendering import render
from lawful.web.routes import lawful_of


@dataclass(frozen=True)
class Published:
    """One document in one language: its title, current version and the earlier ones."""

    title: str
    current: DocumentVersion
    earlier: list[DocumentVersion]


def published(request: Request, shown_first: str) -> list[Published]:
    with documents.reading(lawful_of(request).engine) as session:
        rows = documents.versions(session=session)
    found = [
        Published(html.title_of(listed[-1].markdown, kind), listed[-1], listed[:-1][::-1])
        for (kind, _), group in itertools.groupby(rows, key=lambda v: (v.kind, v.language))
        for listed in [list(group)]
    ]
    return sorted(found, key=lambda p: (p.current.language != shown_first, p.current.language))


def home(request: Request) -> HTMLResponse:
    """The portal's front page."""
    lang = language(request)
    return render(
        request, "portal/home.html", {"documents": published(request, lang), "rights": RIGHTS}
    )
