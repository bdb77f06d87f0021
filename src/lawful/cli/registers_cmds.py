"""``lawful registers list / write``: the registers and dossiers a regulator asks for, as files.

``write`` makes each document this operator needs (or the KINDs named) in each of its
languages and formats, with counts from the store; every file states the configuration version.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from lawful.cli.opening import opened
from lawful.registers import service

registers_app = typer.Typer(help="Registers and dossiers from lawful.yaml.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(registers_app, name="registers")


@registers_app.command("list")
def list_cmd() -> None:
    """The registers and dossiers this operator needs."""
    with opened() as lawful:
        policy = lawful.require_policy()
    for kind in service.kinds(policy):
        typer.echo(kind)


@registers_app.command("write")
def write_cmd(
    kind: Annotated[
        list[str] | None, typer.Argument(help="Kinds (default: every one needed).")
    ] = None,
    fmt: Annotated[
        list[str] | None,
        typer.Option("--format", help="md, html, pdf, csv (ropa only); repeat (default: all)."),
    ] = None,
    language: Annotated[
        list[str] | None, typer.Option("--language", help="Default: the operator's languages.")
    ] = None,
    folder: Annotated[Path, typer.Option("--dir", help="Where to write.")] = Path("registers"),
) -> None:
    """Write the registers and dossiers as files named KIND.LANG.FORMAT."""
    with opened() as lawful, lawful.sessions() as session:
        policy = lawful.require_policy()
        counts = service.store_counts(session)
    now = datetime.now(UTC)
    for chosen in kind or service.kinds(policy):
        formats = tuple(fmt or ("md", "html", "pdf", *(("csv",) if chosen == "ropa" else ())))
        for lang in language or policy.operator.languages:
            for path in service.write(
                policy, chosen, folder, formats=formats, language=lang, now=now, counts=counts
            ):
                typer.echo(f"wrote {path}")
