"""``lawful connectors list / test``: the downstream systems of lawful.yaml and their health."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from lawful.config.loader import load_policy
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
