"""``lawful incidents add / list / show / notified / notify-draft``: the incident register.

Texts are about the incident (what happened, what was done), never about a person: the
register asks for counts and data categories, not names.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from lawful.cli.opening import opened
from lawful.errors import PolicyViolation
from lawful.incidents import notify, service
from lawful.incidents.models import Incident
from lawful.registers.output import FORMATS, in_format

incidents_app = typer.Typer(help="The incident register and its deadlines.", no_args_is_help=True)
ACTOR = "cli"


def register(app: typer.Typer) -> None:
    app.add_typer(incidents_app, name="incidents")


def _instant(value: str | None, field: str) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise PolicyViolation(f"{field}: not an ISO 8601 date-time", field=field) from None
    if parsed.tzinfo is None:
        raise PolicyViolation(f"{field}: give a time zone (e.g. +03:00 or Z)", field=field)
    return parsed


@incidents_app.command("add")
def add_cmd(
    nature: Annotated[str, typer.Option("--nature", help="What happened.")],
    category: Annotated[list[str], typer.Option("--category", help="Data category (repeat).")],
    affected: Annotated[int, typer.Option("--affected", help="People affected (approx.).")],
    measures: Annotated[str, typer.Option("--measures", help="Measures taken or planned.")],
    detected: Annotated[
        str | None, typer.Option("--detected", help="ISO 8601 with zone (default: now).")
    ] = None,
    causes: Annotated[str | None, typer.Option("--causes", help="Presumed causes.")] = None,
    consequences: Annotated[
        str | None, typer.Option("--consequences", help="Likely harm to the people.")
    ] = None,
    records: Annotated[
        int | None, typer.Option("--records", help="Records concerned (approx.).")
    ] = None,
    occurred: Annotated[
        str | None, typer.Option("--occurred", help="When it happened, ISO 8601 with zone.")
    ] = None,
) -> None:
    """Register an incident and print the notices it owes, with their deadlines."""
    incident = service.NewIncident(
        detected_at=_instant(detected, "detected"),
        nature=nature,
        categories=category,
        subjects_affected=affected,
        measures=measures,
        causes=causes,
        consequences=consequences,
        records_affected=records,
        occurred_at=_instant(occurred, "occurred") if occurred else None,
    )
    with opened() as lawful, lawful.sessions.begin() as session:
        policy = lawful.require_policy()
        now = datetime.now(UTC)
        row = service.register(
            session=session, policy=policy, incident=incident, actor=ACTOR, now=now
        )
        typer.echo(f"incident {row.id} registered")
        _print_deadlines(row, service.deadlines_of(session, policy, row), now)


def _print_deadlines(incident: Incident, owed: list[service.NoticeDeadline], now: datetime) -> None:
    for d in owed:
        due = d.due.isoformat() if d.due else "needs a decision"
        state = d.state(now, incident.detected_at)
        typer.echo(
            f"  {d.jurisdiction}/{d.rule} to {d.recipient}: due {due}  "
            f"[{state}, {d.countdown(now)}]  ({d.source})"
        )


@incidents_app.command("list")
def list_cmd(
    all_: Annotated[bool, typer.Option("--all", help="Closed incidents too.")] = False,
) -> None:
    """Open incidents with the countdown of each notice they owe."""
    with opened() as lawful, lawful.sessions() as session:
        policy = lawful.require_policy()
        now = datetime.now(UTC)
        found = service.all_incidents(session) if all_ else service.open_incidents(session)
        for incident in found:
            typer.echo(
                f"{incident.id}  detected {incident.detected_at.isoformat()}  "
                f"{incident.subjects_affected} people  {','.join(incident.categories)}"
            )
            _print_deadlines(incident, service.deadlines_of(session, policy, incident), now)
    typer.echo(f"{len(found)} incident(s)")


@incidents_app.command("show")
def show_cmd(incident_id: Annotated[str, typer.Argument(help="The incident's id.")]) -> None:
    """One incident: its description, measures and deadlines."""
    with opened() as lawful, lawful.sessions() as session:
        policy = lawful.require_policy()
        incident = service.get(session, incident_id)
        for label, value in (
            ("detected", incident.detected_at.isoformat()),
            ("nature", incident.nature),
            ("causes", incident.causes or "-"),
            ("consequences", incident.consequences or "-"),
            ("measures", incident.measures),
            ("categories", ", ".join(incident.categories)),
            ("people affected", str(incident.subjects_affected)),
        ):
            typer.echo(f"{label}: {value}")
        _print_deadlines(
            incident, service.deadlines_of(session, policy, incident), datetime.now(UTC)
        )


@incidents_app.command("notified")
def notified_cmd(
    incident_id: Annotated[str, typer.Argument(help="The incident's id.")],
    rule: Annotated[
        str, typer.Option("--rule", help="JURISDICTION/RULE, e.g. ru/breach_initial_notice")
    ],
    at: Annotated[str | None, typer.Option("--at", help="When it was sent (default: now).")] = None,
) -> None:
    """Record that the notice under RULE was sent to the authority."""
    jurisdiction, _, name = rule.partition("/")
    with opened() as lawful, lawful.sessions.begin() as session:
        service.record_notice(
            session=session,
            policy=lawful.require_policy(),
            incident_id=incident_id,
            jurisdiction=jurisdiction,
            rule=name,
            sent_at=_instant(at, "at"),
            actor=ACTOR,
        )
    typer.echo(f"{rule} recorded as sent")


@incidents_app.command("close")
def close_cmd(
    incident_id: Annotated[str, typer.Argument(help="The incident's id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it needs no more watching.")],
) -> None:
    """Close an incident: its deadlines are no longer watched."""
    with opened() as lawful, lawful.sessions.begin() as session:
        service.close(
            session=session,
            incident_id=incident_id,
            reason=reason,
            actor=ACTOR,
            now=datetime.now(UTC),
        )
    typer.echo(f"incident {incident_id} closed")


@incidents_app.command("notify-draft")
def notify_draft_cmd(
    incident_id: Annotated[str, typer.Argument(help="The incident's id.")],
    fmt: Annotated[str, typer.Option("--format", help="md, html or pdf.")] = "md",
    language: Annotated[str | None, typer.Option("--language", help="Default: first.")] = None,
    jurisdiction: Annotated[
        str | None, typer.Option("--jurisdiction", help="Only this authority's notices.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write (default: stdout).")
    ] = None,
) -> None:
    """The draft notification to the authorities, with the fields each asks for."""
    if fmt not in FORMATS:
        raise PolicyViolation(f"--format must be one of {', '.join(FORMATS)}", field="format")
    with opened() as lawful, lawful.sessions() as session:
        policy = lawful.require_policy()
        incident = service.get(session, incident_id)
        owed = service.deadlines_of(session, policy, incident)
    chosen = language or policy.operator.languages[0]
    markdown = notify.draft(
        policy, incident, owed, language=chosen, now=datetime.now(UTC), jurisdiction=jurisdiction
    )
    data = in_format(markdown, fmt, chosen)
    if out is None and fmt == "pdf":
        raise PolicyViolation("a PDF needs --out FILE", field="out")
    if out is None:
        typer.echo(data.decode("utf-8"))
        return
    out.write_bytes(data)
    typer.echo(f"wrote {out}")
