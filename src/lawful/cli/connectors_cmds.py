"""``lawful connectors list / test / runs / resolve``: the downstream systems of lawful.yaml,
their health, and what each request asked of them."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Annotated

import typer

from lawful.cli.opening import opened
from lawful.config.loader import load_policy
from lawful.connectors.orchestration import resolve, status
from lawful.connectors.registry import build_registry
from lawful.connectors.service import test_connectors
from lawful.settings import Settings

connectors_app = typer.Typer(
    help="Connectors: the systems where the subjects' data also live.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(connectors_app, name="connectors")


@connectors_app.command("list")
def list_cmd() -> None:
    """Each declared connector: its type, recipient and purpose."""
    policy = load_policy(Settings.from_env().config_path).policy
    for key, declared in policy.connectors.items():
        typer.echo(f"{key}  {declared.type}  recipient={declared.recipient}  {declared.purpose}")


@connectors_app.command("test")
def test_cmd(
    connector: Annotated[
        str | None, typer.Argument(help="Test only this connector (default: all).")
    ] = None,
) -> None:
    """Reach each connector's system and check its declaration; exit 1 if any fails."""
    settings = Settings.from_env()
    policy = load_policy(settings.config_path).policy
    registry = build_registry(policy, os.environ, settings.config_path.parent)
    try:
        checks = test_connectors(registry, connector)
    finally:
        registry.close()
    for check in checks:
        typer.echo(f"{'ok  ' if check.ok else 'FAIL'}  {check.key}: {check.message}")
    if not checks:
        typer.echo("no connectors declared in lawful.yaml" if connector is None else "no such")
    if not all(c.ok for c in checks) or (connector and not checks):
        raise typer.Exit(1)


@connectors_app.command("runs")
def runs_cmd(request: Annotated[str, typer.Argument(help="The request's id.")]) -> None:
    """Each connector's state, attempts and result for one request (no personal data)."""
    with opened(load_config=False) as lawful, lawful.sessions() as session:
        found = status(session, request)
    for run in found:
        counts = ", ".join(f"{k}={v}" for k, v in run["counts"].items()) or "-"
        typer.echo(
            f"#{run['run']}  {run['connector']}  {run['action']}  {run['state']}  "
            f"attempts={run['attempts']}  {counts}  {run['note']}"
        )
    if not found:
        typer.echo("no connector runs for this request")


@connectors_app.command("resolve")
def resolve_cmd(
    run: Annotated[int, typer.Argument(help="The run's number (from `connectors runs`).")],
    person: Annotated[str, typer.Option("--person", help="Who did it (name, position).")],
    note: Annotated[str, typer.Option("--note", help="What was done (a ticket, a reference).")],
) -> None:
    """Confirm that a run left for manual handling is done."""
    with opened(load_config=False) as lawful, lawful.sessions.begin() as session:
        resolve(session=session, run_id=run, person=person, note=note, now=datetime.now(UTC))
    typer.echo(f"run {run} resolved by {person}")
