"""``lawful transfers check / list / routes``: ask the transfer gate, read the transfer log.

``check`` only asks: it transfers and records nothing. Subjects are named by their random id
(``lawful`` never takes an e-mail or phone on its command line, which shells keep in history).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from lawful.cli.opening import opened
from lawful.transfers.service import check_transfer, decision_table, transfers_for_subject

transfers_app = typer.Typer(help="The transfer gate and the transfer log.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(transfers_app, name="transfers")


@transfers_app.command("check")
def check_cmd(
    subject: Annotated[str, typer.Option("--subject", help="The subject's id.")],
    recipient: Annotated[str, typer.Option("--recipient", help="Recipient key in lawful.yaml.")],
    purpose: Annotated[str, typer.Option("--purpose", help="Purpose key in lawful.yaml.")],
    category: Annotated[
        list[str], typer.Option("--category", help="Data category (repeat for several).")
    ],
) -> None:
    """Would the gate let these categories go to RECIPIENT for PURPOSE now? Exit 1 if not."""
    with opened() as lawful, lawful.sessions() as session:
        decision = check_transfer(
            session=session,
            policy=lawful.require_policy(),
            subject_id=subject,
            recipient=recipient,
            purpose=purpose,
            categories=category,
            now=datetime.now(UTC),
        )
    if decision.allowed:
        typer.echo(f"allowed: {decision.country} on {decision.basis}")
        return
    typer.echo(f"refused: {decision.condition}: {decision.message}")
    raise typer.Exit(1)


@transfers_app.command("list")
def list_cmd(subject: Annotated[str, typer.Option("--subject", help="The subject's id.")]) -> None:
    """Every transfer of one subject's data: when, to whom, where, what, on which basis."""
    with opened(load_config=False) as lawful, lawful.sessions() as session:
        rows = transfers_for_subject(session, subject)
    for row in rows:
        typer.echo(
            f"{row.at.isoformat()}  {row.recipient} ({row.country})  {row.purpose}  "
            f"{','.join(row.categories)}  {row.basis}"
        )
    typer.echo(f"{len(rows)} transfer(s)")


@transfers_app.command("routes")
def routes_cmd() -> None:
    """The gate's table: each recipient and purpose, its country and cross-border conditions."""
    with opened(load_config=True) as lawful:
        table = decision_table(lawful.require_policy())
    for (recipient, purpose), route in sorted(table.routes.items()):
        crossings = ", ".join(
            f"{c.jurisdiction}: adequate={c.adequate} basis={c.declared_basis or '-'}"
            for c in route.crossings
        )
        rkn = "notice missing" if route.rkn_missing else route.rkn_not_before
        line = f"{recipient} / {purpose}  {route.country}  {crossings or 'domestic'}"
        typer.echo(line + (f"  RKN: {rkn}" if rkn else ""))
