"""``lawful intake``: inbound messages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from lawful.cli.requests_cmds import detail_pairs, opened, print_table
from lawful.intake import flows, review

intake_app = typer.Typer(help="Inbound messages: import, detection, classification, routing.")
ACTOR = "operator:cli"


def register(app: typer.Typer) -> None:
    app.add_typer(intake_app, name="intake", no_args_is_help=True)


@intake_app.command("import")
def import_cmd(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="An .eml file or an mbox archive.")
    ],
    names: Annotated[
        bool, typer.Option("--names/--no-names", help="Recognise Russian names (natasha).")
    ] = True,
) -> None:
    """Store each message sealed, then detect, classify and route it; prints the counts."""
    now = datetime.now(UTC)
    with opened() as (lawful, mailer), Progress(transient=True) as bar:
        task = bar.add_task("storing", total=flows.count_messages(file))
        counts = flows.import_file(
            lawful,
            mailer,
            file,
            actor=ACTOR,
            now=now,
            names=names,
            progress=lambda: bar.advance(task),
        )
    typer.echo(" ".join(f"{name}={count}" for name, count in sorted(counts.items())))


@intake_app.command("poll")
def poll_cmd(
    names: Annotated[
        bool, typer.Option("--names/--no-names", help="Recognise Russian names (natasha).")
    ] = True,
) -> None:
    """One pass over the IMAP mailbox (LAWFUL_IMAP_URL), then process what waits."""
    with opened() as (lawful, mailer):
        counts = flows.poll_channels(
            lawful, mailer, actor=ACTOR, now=datetime.now(UTC), names=names
        )
    typer.echo(" ".join(f"{name}={count}" for name, count in sorted(counts.items())) or "none")


@intake_app.command("waiting")
def waiting_cmd() -> None:
    """The messages waiting for a person, oldest first: no personal data is shown."""
    with opened() as (lawful, _), lawful.sessions() as session:
        rows = review.waiting(session)
    table = Table("message", "channel", "received", "state", "why", "label", "special")
    for row in rows:
        confidence = f" {row.confidence:.2f}" if row.confidence is not None else ""
        table.add_row(
            row.id,
            row.channel,
            row.received_at.strftime("%Y-%m-%d %H:%M"),
            row.state,
            str(row.meta.get("reason", "uncertain" if row.state == "person" else "")),
            f"{row.label or '-'}{confidence}",
            ", ".join(row.special),
        )
    print_table(table)


MessageId = Annotated[str, typer.Argument(help="From `lawful intake waiting`.")]


@intake_app.command("show")
def show_cmd(message_id: MessageId) -> None:
    """Print what a message says (personal data: journalled as an extract)."""
    with opened() as (lawful, _), lawful.sessions.begin() as session:
        parsed = review.read(
            session=session,
            ring=lawful.ring,
            message_id=message_id,
            actor=ACTOR,
            now=datetime.now(UTC),
        )
    typer.echo(f"From: {parsed.sender or '-'}\nSubject: {parsed.subject}\n\n{parsed.text}")


@intake_app.command("decide")
def decide_cmd(
    message_id: MessageId,
    decision: Annotated[str, typer.Argument(help=f"One of: {', '.join(review.DECISIONS)}.")],
    detail: Annotated[
        list[str] | None,
        typer.Option("--detail", help="KEY=VALUE a request kind needs (repeat)."),
    ] = None,
) -> None:
    """Route a waiting message as a person decided: open a request of that kind, keep it as
    an inquiry, or dismiss it (its content is destroyed)."""
    with opened() as (lawful, mailer):
        routed = flows.decide(
            lawful,
            mailer,
            message_id,
            decision,
            actor=ACTOR,
            now=datetime.now(UTC),
            details=detail_pairs(detail),
        )
    request = routed.request.id if routed.request is not None else "-"
    typer.echo(f"{routed.message.id} {routed.message.state} request={request}")
