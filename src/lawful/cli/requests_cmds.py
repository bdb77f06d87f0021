"""``lawful requests``: the operator's desk for data-subject requests.

``lawful requests`` alone lists the open requests with the time left on each; the subcommands
are the operator's actions, the same service calls the operator API makes.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lawful.context import Lawful, open_lawful
from lawful.destruction.service import Destroyer
from lawful.errors import PolicyViolation
from lawful.mail import Mailer, mailer_from
from lawful.requests import flows, service
from lawful.settings import Settings

requests_app = typer.Typer(help="Data-subject requests: list, act, answer.")
ACTOR = "operator:cli"


def register(app: typer.Typer) -> None:
    app.add_typer(requests_app, name="requests")


@contextmanager
def opened() -> Iterator[tuple[Lawful, Mailer]]:
    lawful = open_lawful(Settings.from_env())
    try:
        policy = lawful.require_policy()
        sender = lawful.settings.mail_from or policy.operator.requests_email
        yield lawful, mailer_from(lawful.settings.smtp_url, sender)
    finally:
        lawful.close()


def print_table(table: Table) -> None:
    """Print whole ids when piped (a test, a script): a terminal keeps its own width."""
    Console(width=None if sys.stdout.isatty() else 200).print(table)


def parse_span(text: str) -> timedelta:
    """``2d``, ``12h``, ``30m`` -> a timedelta."""
    match = re.fullmatch(r"\s*(\d+)\s*([dhm])\s*", text)
    if match is None:
        raise PolicyViolation("give a span such as 2d, 12h or 30m", field="due-within")
    amount, unit = int(match.group(1)), match.group(2)
    return {"d": timedelta(days=amount), "h": timedelta(hours=amount)}.get(
        unit, timedelta(minutes=amount)
    )


def _left(delta: timedelta | None) -> str:
    if delta is None:
        return "-"
    sign, seconds = ("-" if delta < timedelta(0) else ""), abs(int(delta.total_seconds()))
    return f"{sign}{seconds // 86400}d {seconds % 86400 // 3600}h"


OverdueOpt = Annotated[bool, typer.Option("--overdue", help="Only requests past a deadline.")]
WithinOpt = Annotated[
    str | None, typer.Option("--due-within", help="Only requests due within a span: 2d, 12h.")
]


@requests_app.callback(invoke_without_command=True)
def requests_root(
    ctx: typer.Context, overdue: OverdueOpt = False, due_within: WithinOpt = None
) -> None:
    """List open requests with the time left (same as `lawful requests list`)."""
    if ctx.invoked_subcommand is None:
        list_cmd(overdue=overdue, due_within=due_within)


@requests_app.command("list")
def list_cmd(overdue: OverdueOpt = False, due_within: WithinOpt = None) -> None:
    """Open requests, soonest deadline first, with the time left."""
    within = parse_span(due_within) if due_within else None
    now = datetime.now(UTC)
    with opened() as (lawful, _mailer), lawful.sessions() as session:
        rows = service.listing(session=session, now=now, overdue=overdue, due_within=within)
    table = Table("request", "kind", "state", "assignee", "next deadline", "due (UTC)", "left")
    for row in rows:
        r = row.request
        due = f"{row.next_due:%Y-%m-%d %H:%M}" if row.next_due else "-"
        table.add_row(
            r.id,
            r.kind,
            r.state,
            r.assignee or "-",
            row.next_name or "-",
            due,
            _left(row.time_left(now)),
        )
    print_table(table)
    typer.echo(f"{len(rows)} open request(s)")


IdArg = Annotated[str, typer.Argument(help="The request's id.")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (kept in the timeline).")]


@requests_app.command("show")
def show_cmd(request_id: IdArg) -> None:
    """One request: deadlines and timeline (no personal data is printed)."""
    with opened() as (lawful, _mailer), lawful.sessions() as session:
        r = service.get(session, request_id)
        typer.echo(f"{r.id}  {r.kind}  {r.state}  channel={r.channel}  outcome={r.outcome or '-'}")
        for d in service.deadlines_of(session, request_id):
            met = f"met {d.met_at:%Y-%m-%d %H:%M}" if d.met_at else "open"
            typer.echo(f"  deadline {d.name}: {d.due_at:%Y-%m-%d %H:%M} UTC ({met}) — {d.source}")
        for e in service.timeline(session, request_id):
            typer.echo(f"  {e.at:%Y-%m-%d %H:%M} {e.action} by {e.actor} {e.note}")


@requests_app.command("enter")
def enter_cmd(
    kind: Annotated[str, typer.Option("--kind", help="access, erasure, rectification, ...")],
    email: Annotated[str | None, typer.Option("--email", help="The person's e-mail.")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="The person's phone.")] = None,
    channel: Annotated[str, typer.Option("--channel", help="post, phone, email, staff")] = "post",
    language: Annotated[str, typer.Option("--language")] = "ru",
    verified: Annotated[
        str | None, typer.Option("--verified", help="How you checked the identity.")
    ] = None,
    evidence: Annotated[
        list[Path] | None, typer.Option("--evidence", exists=True, dir_okay=False)
    ] = None,
    detail: Annotated[
        list[str] | None,
        typer.Option("--detail", help="KEY=VALUE, e.g. category=user.name value=… (repeat)."),
    ] = None,
    purpose: Annotated[
        str | None, typer.Option("--purpose", help="withdrawal: the purpose (none: all).")
    ] = None,
) -> None:
    """Enter a written or phoned request, with its scanned evidence (stored encrypted)."""
    if (email is None) == (phone is None):
        raise PolicyViolation("give exactly one of --email or --phone", field="email")
    details = detail_pairs(detail)
    intake = service.Intake(
        kind=kind,
        details=details,
        purpose=purpose,
        identifier_kind="email" if email else "phone",
        identifier=email or phone or "",
        language=language,
        channel=channel,
    )
    files = [
        flows.Attachment(p.name, "application/octet-stream", p.read_bytes()) for p in evidence or []
    ]
    with opened() as (lawful, _mailer):
        request = flows.enter(
            lawful,
            intake,
            verified_reason=verified,
            attachments=files,
            actor=ACTOR,
            now=datetime.now(UTC),
        )
    typer.echo(f"{request.id} {request.state}")


def detail_pairs(items: list[str] | None) -> dict[str, str]:
    """``--detail KEY=VALUE`` options as a mapping."""
    return dict(_pair(item) for item in items or [])


def _pair(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise PolicyViolation("give --detail as KEY=VALUE", field="detail")
    return key.strip(), value


@requests_app.command("verify")
def verify_cmd(request_id: IdArg, reason: ReasonOpt) -> None:
    """Record that staff verified the requester's identity, and how."""
    with opened() as (lawful, _mailer), lawful.sessions.begin() as session:
        service.verify_by_staff(
            session=session,
            policy=lawful.require_policy(),
            request_id=request_id,
            reason=reason,
            actor=ACTOR,
            now=datetime.now(UTC),
        )
    typer.echo(f"{request_id} verified")


@requests_app.command("assign")
def assign_cmd(request_id: IdArg, assignee: Annotated[str, typer.Argument()]) -> None:
    """Give the request to a person."""
    with opened() as (lawful, _mailer), lawful.sessions.begin() as session:
        service.assign(
            session=session,
            request_id=request_id,
            assignee=assignee,
            actor=ACTOR,
            now=datetime.now(UTC),
        )
    typer.echo(f"{request_id} assigned to {assignee}")


@requests_app.command("act")
def act_cmd(
    request_id: IdArg,
    destroyed_by: Annotated[str | None, typer.Option("--destroyed-by")] = None,
    position: Annotated[str, typer.Option("--position")] = "",
) -> None:
    """Carry out the request (report, rectify, block, erase, withdraw, object, stop)."""
    destroyer = Destroyer(destroyed_by, position) if destroyed_by else None
    with opened() as (lawful, mailer):
        outcome = flows.act(
            lawful, mailer, request_id, actor=ACTOR, now=datetime.now(UTC), destroyer=destroyer
        )
    typer.echo(f"{request_id} {outcome.outcome}: {outcome.summary()}")


@requests_app.command("extend")
def extend_cmd(request_id: IdArg, reason: ReasonOpt) -> None:
    """Extend the answer deadline where the law allows; the person is told why."""
    with opened() as (lawful, mailer):
        due = flows.extend(lawful, mailer, request_id, reason, actor=ACTOR, now=datetime.now(UTC))
    typer.echo(f"{request_id} now due {due:%Y-%m-%d %H:%M} UTC")


@requests_app.command("complete")
def complete_cmd(request_id: IdArg) -> None:
    """Send the response document and close the request."""
    with opened() as (lawful, mailer):
        text = flows.complete(lawful, mailer, request_id, actor=ACTOR, now=datetime.now(UTC))
    typer.echo(text)


@requests_app.command("reject")
def reject_cmd(request_id: IdArg, reason: ReasonOpt) -> None:
    """Refuse the request with its legal reason; the person gets the refusal."""
    with opened() as (lawful, mailer):
        text = flows.reject(lawful, mailer, request_id, reason, actor=ACTOR, now=datetime.now(UTC))
    typer.echo(text)
