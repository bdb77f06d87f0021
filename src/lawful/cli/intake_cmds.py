"""``lawful intake``: inbound messages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from lawful.cli.requests_cmds import opened
from lawful.intake import flows

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
