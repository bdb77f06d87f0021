"""``lawful sweep [--dry-run]`` and ``lawful retention event / hold / release / holds``: the
retention sweep on demand, and the facts it decides by (purpose-achieved events, legal holds).

Only ids, purposes, counts and hold reasons are printed — never a person's data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from lawful.cli.incidents_cmds import _instant
from lawful.cli.opening import opened
from lawful.destruction.service import Destroyer
from lawful.retention import runs, service
from lawful.retention.sweep import BATCH, SweepReport
from lawful.store.db import purge_freed_pages

retention_app = typer.Typer(
    help="Purpose-achieved events and legal holds that the retention sweep obeys.",
    no_args_is_help=True,
)
ACTOR = "cli"


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep_cmd)
    app.add_typer(retention_app, name="retention")


def sweep_cmd(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would go; change nothing.")
    ] = False,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Subjects per transaction.")] = BATCH,
    destroyed_by: Annotated[
        str | None, typer.Option("--destroyed-by", help="Who signs the act (name).")
    ] = None,
    position: Annotated[str, typer.Option("--position", help="Their position.")] = "operator",
) -> None:
    """Anonymise or destroy what has outlived its purpose; one destruction act per run."""
    destroyer = Destroyer(destroyed_by, position) if destroyed_by else None
    with opened() as lawful:
        policy, now = lawful.require_policy(), datetime.now(UTC)
        total = runs.subjects_to_sweep(lawful.sessions)
        with _Bar(total) as (bar, task):

            def advance(n: int) -> None:
                bar.advance(task, n)

            if dry_run:
                report = runs.preview(
                    lawful.sessions, policy, now=now, batch=batch, progress=advance
                )
            else:
                report = runs.run_sweep(
                    lawful.sessions,
                    policy,
                    now=now,
                    batch=batch,
                    progress=advance,
                    destroyer=destroyer,
                )
        if not dry_run:  # SQLite: the WAL must not keep the deleted pages
            purge_freed_pages(lawful.engine)
    _print_report(report)


class _Bar:
    """A rich progress bar over the subjects swept, on stderr."""

    def __init__(self, total: int) -> None:
        self.progress = Progress(
            TextColumn("sweeping"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = self.progress.add_task("subjects", total=total)

    def __enter__(self) -> tuple[Progress, TaskID]:
        self.progress.start()
        return self.progress, self.task

    def __exit__(self, *_exc: object) -> None:
        self.progress.stop()


def _print_report(report: SweepReport) -> None:
    verb = "would be" if report.dry_run else "were"
    table = Table(title=f"values that {verb} removed (as of {report.as_of:%Y-%m-%d %H:%M} UTC)")
    for column in ("purpose", "action", "reason", "values", "subjects"):
        table.add_column(column)
    for (purpose, action, reason), values in sorted(report.values.items()):
        subjects = report.subjects[(purpose, action, reason)]
        table.add_row(purpose, action, reason, str(values), str(subjects))
    console = Console()
    console.print(table)
    for (purpose, reason), values in sorted(report.held.items()):
        console.print(f"held: {purpose}: {values} values — {reason}")
    shredded = f"{report.shredded} subjects left with no data {verb} shredded"
    console.print(shredded)
    if report.resumed:
        console.print(f"resumed the unfinished sweep {report.run_id}")
    if not report.dry_run:
        console.print(f"destruction act: {report.act_number or 'none (nothing was removed)'}")


@retention_app.command("event")
def event_cmd(
    subject: Annotated[str, typer.Argument(help="The subject's id.")],
    event: Annotated[str, typer.Argument(help="e.g. order_closed, account_deleted.")],
    at: Annotated[
        str | None, typer.Option("--at", help="ISO 8601 with zone (default: now).")
    ] = None,
) -> None:
    """Record that a purpose was achieved for a subject; its retention countdown starts."""
    with opened() as lawful, lawful.sessions.begin() as session:
        service.record_event(
            session=session,
            policy=lawful.require_policy(),
            subject_id=subject,
            event=event,
            at=_instant(at, "at"),
            actor=ACTOR,
        )
    typer.echo(f"{event} recorded for {subject}")


@retention_app.command("hold")
def hold_cmd(
    subject: Annotated[str, typer.Argument(help="The subject's id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (case number, authority).")],
    purpose: Annotated[
        str | None, typer.Option("--purpose", help="One purpose only (default: all).")
    ] = None,
) -> None:
    """Place a legal hold: the sweep keeps this subject's data and says why."""
    with opened() as lawful, lawful.sessions.begin() as session:
        hold_id = service.place_hold(
            session=session,
            policy=lawful.require_policy(),
            subject_id=subject,
            purpose=purpose,
            reason=reason,
            at=datetime.now(UTC),
            actor=ACTOR,
        )
    typer.echo(f"legal hold {hold_id} placed on {subject}")


@retention_app.command("release")
def release_cmd(hold: Annotated[int, typer.Argument(help="The hold's number.")]) -> None:
    """Release a legal hold; the next sweep applies the retention rules again."""
    with opened() as lawful, lawful.sessions.begin() as session:
        service.release_hold(session=session, hold_id=hold, actor=ACTOR)
    typer.echo(f"legal hold {hold} released")


@retention_app.command("holds")
def holds_cmd(
    subject: Annotated[str | None, typer.Option("--subject", help="One subject only.")] = None,
) -> None:
    """The legal holds in force."""
    with opened() as lawful, lawful.sessions() as session:
        holds = service.list_holds(session=session, subject_id=subject)
        for h in holds:
            typer.echo(
                f"{h.id}  {h.subject_id}  {h.purpose or 'all purposes'}  "
                f"since {h.placed_at:%Y-%m-%d}  {h.reason}"
            )
    typer.echo(f"{len(holds)} hold(s)")
