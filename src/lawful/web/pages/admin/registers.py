"""Registers: the documents of :mod:`lawful.registers` (record of processing activities, the
Roskomnadzor and Vietnamese dossiers) and the logs kept in the store — transfers, incidents,
authority requests, destruction acts — each shown and downloadable as CSV or PDF.

The logs hold ids, names, dates and counts, never a person's values: a transfer names the
subject by its pseudonymous id, an authority request by the authority and its reference."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from lawful.authority.models import AuthorityRequest
from lawful.config.models import Policy
from lawful.destruction.models import DestructionAct
from lawful.errors import NotFound
from lawful.incidents import service as incidents
from lawful.registers import service as registers
from lawful.registers.output import in_format
from lawful.transfers.models import TransferRecord
from lawful.web.pages.admin.auth import Overseer, _now, admin_router
from lawful.web.pages.admin.words import page
from lawful.web.pages.i18n import translations
from lawful.web.pages.rendering import page_language
from lawful.web.routes import lawful_of

router = admin_router()
SHOWN = 50
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class Log:
    """One log of the store as a table: its title, columns and rows (newest first)."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]


def _at(value: datetime | None) -> str:
    return "" if value is None else f"{value:%Y-%m-%d %H:%M} UTC"


def _transfers(session: Session) -> list[tuple[str, ...]]:
    found = session.scalars(sa.select(TransferRecord).order_by(TransferRecord.at.desc()))
    return [
        (
            _at(t.at),
            t.subject_id,
            t.recipient,
            t.country,
            t.purpose,
            ", ".join(t.categories),
            t.basis,
        )
        for t in found
    ]


def _incidents(session: Session) -> list[tuple[str, ...]]:
    return [
        (
            i.id,
            _at(i.detected_at),
            ", ".join(i.categories),
            str(i.subjects_affected),
            _at(i.closed_at),
        )
        for i in reversed(incidents.all_incidents(session))
    ]


def _authority(session: Session) -> list[tuple[str, ...]]:
    found = session.scalars(
        sa.select(AuthorityRequest).order_by(AuthorityRequest.received_at.desc())
    )
    return [
        (a.authority, a.reference, a.jurisdiction, a.state, _at(a.received_at), _at(a.due_at))
        for a in found
    ]


def _acts(session: Session) -> list[tuple[str, ...]]:
    found = session.scalars(sa.select(DestructionAct).order_by(DestructionAct.destroyed_at.desc()))
    return [
        (a.number, _at(a.destroyed_at), a.categories, a.reason, a.destroyed_by, _at(a.keep_until))
        for a in found
    ]


#: key -> (title, columns, rows). Titles and columns are English msgids, shown translated.
LOGS: dict[str, tuple[str, tuple[str, ...], Callable[[Session], list[tuple[str, ...]]]]] = {
    "transfers": (
        "Transfers",
        ("When", "Subject", "Recipient", "Country", "Purpose", "Categories", "Basis"),
        _transfers,
    ),
    "incidents": (
        "Incidents",
        ("Incident", "Detected", "Categories", "People affected", "Closed"),
        _incidents,
    ),
    "authority-requests": (
        "Authority requests",
        ("Authority", "Reference", "Jurisdiction", "State", "Received", "Due"),
        _authority,
    ),
    "destruction-acts": (
        "Destruction acts",
        ("Number", "Destroyed", "Categories", "Reason", "Destroyed by", "Kept until"),
        _acts,
    ),
}


def log(session: Session, key: str) -> Log:
    if key not in LOGS:
        raise NotFound("no such register", field="register")
    title, columns, rows = LOGS[key]
    return Log(key, title, columns, rows(session))


def log_csv(found: Log) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(found.columns)
    writer.writerows(found.rows)
    return out.getvalue()


def log_markdown(found: Log, title: str, columns: Sequence[str], generated: str) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [f"# {title}", "", generated, ""]
    lines.append("| " + " | ".join(cell(c) for c in columns) + " |")
    lines.append("|" + "---|" * len(columns))
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in found.rows]
    return "\n".join(lines) + "\n"


@router.get("/registers")
def index(request: Request, user: Overseer) -> Response:
    lawful = lawful_of(request)
    policy = lawful.require_policy()
    with lawful.sessions() as session:
        logs = [log(session, key) for key in LOGS]
    context = {
        "user": user,
        "documents": registers.kinds(policy),
        "logs": logs,
        "shown": SHOWN,
    }
    return page(request, "admin/registers.html", context)


@router.get("/registers/{kind}.{fmt}")
def download(
    request: Request, kind: str, fmt: Literal["csv", "md", "html", "pdf"], user: Overseer
) -> Response:
    """A register in the page's language: a document of lawful.registers, or a log."""
    lawful, now = lawful_of(request), _now()
    policy = lawful.require_policy()
    language = page_language(request)
    with lawful.sessions() as session:
        if kind in LOGS:
            body = _log_file(log(session, kind), fmt, language, now)
        else:
            counts = registers.store_counts(session)
            body = _document_file(policy, kind, fmt, language, now, counts)
    headers = {"Content-Disposition": f'attachment; filename="{kind}.{language}.{fmt}"'}
    return Response(body, media_type=MEDIA[fmt], headers=headers)


def _log_file(found: Log, fmt: str, language: str, now: datetime) -> bytes:
    if fmt == "csv":
        return log_csv(found).encode("utf-8")
    gettext = translations(language).gettext
    generated = f"{gettext('Generated')}: {now:%Y-%m-%d %H:%M} UTC"
    markdown = log_markdown(
        found, gettext(found.title), [gettext(c) for c in found.columns], generated
    )
    return in_format(markdown, fmt, language)


def _document_file(
    policy: Policy,
    kind: str,
    fmt: str,
    language: str,
    now: datetime,
    counts: dict[str, dict[str, int]],
) -> bytes:
    if fmt == "csv":
        if kind != "ropa":
            raise NotFound("only the record of processing activities has a CSV form", field="fmt")
        return registers.ropa_csv(policy, counts).encode("utf-8")
    markdown = registers.render(policy, kind, language=language, now=now, counts=counts)
    return in_format(markdown, fmt, language)
