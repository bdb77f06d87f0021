"""``lawful authority``: the register of supervisory authorities' requests, and
``lawful destruction``: the destruction acts, as documents."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lawful.authority import service
from lawful.cli.requests_cmds import opened, print_table
from lawful.destruction import render
from lawful.destruction import service as destruction

authority_app = typer.Typer(help="Requests from supervisory authorities (e.g. Roskomnadzor).")
destruction_app = typer.Typer(help="Destruction acts (RKN Order No. 179).")
ACTOR = "operator:cli"
EntryArg = Annotated[str, typer.Argument(help="The register entry's id.")]


def register(app: typer.Typer) -> None:
    app.add_typer(authority_app, name="authority", no_args_is_help=True)
    app.add_typer(destruction_app, name="destruction", no_args_is_help=True)


@authority_app.command("add")
def add_cmd(
    authority: Annotated[str, typer.Option("--authority", help="e.g. Roskomnadzor")],
    reference: Annotated[str, typer.Option("--reference", help="Their outgoing number.")],
    jurisdiction: Annotated[str, typer.Option("--jurisdiction")] = "ru",
    summary: Annotated[str, typer.Option("--summary", help="What they ask (kept sealed).")] = "",
    document: Annotated[
        Path | None, typer.Option("--document", exists=True, dir_okay=False)
    ] = None,
) -> None:
    """Register a request received now; prints its id and deadline."""
    now = datetime.now(UTC)
    with opened() as (lawful, _mailer), lawful.sessions.begin() as session:
        row = service.register(
            session=session,
            ring=lawful.ring,
            policy=lawful.require_policy(),
            authority=authority,
            reference=reference,
            jurisdiction=jurisdiction,
            received_at=now,
            summary=summary,
            actor=ACTOR,
        )
        if document is not None:
            service.attach(
                session=session,
                ring=lawful.ring,
                entry_id=row.id,
                name=document.name,
                data=document.read_bytes(),
                direction="in",
                media_type="application/octet-stream",
                now=now,
            )
    typer.echo(f"{row.id} due {row.due_at:%Y-%m-%d %H:%M} UTC ({row.due_source})")


@authority_app.command("list")
def list_cmd(overdue: Annotated[bool, typer.Option("--overdue")] = False) -> None:
    """Open entries, soonest deadline first."""
    now = datetime.now(UTC)
    with opened() as (lawful, _mailer), lawful.sessions() as session:
        rows = service.listing(session=session, now=now, overdue=overdue)
    table = Table("entry", "authority", "reference", "state", "due (UTC)", "source")
    for row in rows:
        table.add_row(
            row.id,
            row.authority,
            row.reference,
            row.state,
            f"{row.due_at:%Y-%m-%d %H:%M}",
            row.due_source,
        )
    print_table(table)


@authority_app.command("extend")
def extend_cmd(entry: EntryArg, reason: Annotated[str, typer.Option("--reason")]) -> None:
    """Extend once where the law allows (RU: +5 working days with a reasoned notice)."""
    with opened() as (lawful, _mailer), lawful.sessions.begin() as session:
        row = service.extend(
            session=session,
            policy=lawful.require_policy(),
            entry_id=entry,
            reason=reason,
            actor=ACTOR,
            now=datetime.now(UTC),
        )
    typer.echo(f"{row.id} now due {row.due_at:%Y-%m-%d %H:%M} UTC")


@authority_app.command("answer")
def answer_cmd(
    entry: EntryArg,
    text: Annotated[Path, typer.Option("--text", exists=True, dir_okay=False, help="Our answer.")],
) -> None:
    """Record the answer sent (its text is kept sealed, and attached as a document)."""
    now = datetime.now(UTC)
    with opened() as (lawful, _mailer), lawful.sessions.begin() as session:
        body = text.read_bytes()
        service.answer(
            session=session,
            ring=lawful.ring,
            entry_id=entry,
            text=body.decode("utf-8", "replace"),
            actor=ACTOR,
            now=now,
        )
        service.attach(
            session=session,
            ring=lawful.ring,
            entry_id=entry,
            name=text.name,
            data=body,
            direction="out",
            media_type="text/plain",
            now=now,
        )
    typer.echo(f"{entry} answered")


@destruction_app.command("show")
def show_act(
    act: Annotated[str, typer.Argument(help="The act's id or number.")],
    fmt: Annotated[str, typer.Option("--format", help="md, html or pdf")] = "md",
    language: Annotated[str, typer.Option("--language")] = "ru",
    out: Annotated[Path | None, typer.Option("--out", help="Write here (pdf needs it).")] = None,
) -> None:
    """Print or write one destruction act with its log extract."""
    with opened() as (lawful, _mailer), lawful.sessions() as session:
        found = destruction.get_act(session, act)
        markdown = render.act_markdown(found, destruction.subjects_of(session, found), language)
    title = markdown.splitlines()[0].lstrip("# ")
    data = {
        "md": markdown.encode(),
        "html": render.standalone_page(markdown, title, language).encode(),
    }.get(fmt) or render.act_pdf(markdown, title)
    if out is None:
        typer.echo(data.decode() if fmt != "pdf" else "--out is needed for a PDF")
        return
    out.write_bytes(data)
    typer.echo(f"wrote {out}")
