"""``lawful backup FILE`` and ``lawful restore FILE``: backups that keep erasure.

Stop ``lawful serve`` and the workers before a restore: the restore replaces the data under
them. It re-applies every erasure recorded since the backup before it returns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lawful.backup import service
from lawful.backup.ledger import ledger_of
from lawful.cli.opening import opened
from lawful.errors import BackupError


def register(app: typer.Typer) -> None:
    app.command("backup")(backup_cmd)
    app.command("restore")(restore_cmd)


def backup_cmd(
    file: Annotated[Path, typer.Argument(help="New file to write the backup to.")],
) -> None:
    """Write a consistent online backup of the database (SQLite or PostgreSQL) to FILE."""
    with opened(load_config=False) as lawful:
        info = service.backup(lawful.engine, file)
    typer.echo(f"backup of {info.backend} at revision {info.revision} -> {info.path}")


def restore_cmd(
    file: Annotated[Path, typer.Argument(help="A file written by `lawful backup`.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace the database without asking.")
    ] = False,
) -> None:
    """Replace the database with FILE, then erase again everyone erased since it was taken."""
    info = service.read_meta(file)
    if not yes:
        typer.confirm(
            f"Replace the database with the backup of {info.taken_at.isoformat()}?", abort=True
        )
    with opened(load_config=False) as lawful:
        ledger = ledger_of(lawful.engine)
        if ledger is None:
            raise BackupError("the erasure ledger is not open")
        result = service.restore(lawful.engine, file, ledger)
    typer.echo(
        f"restored the backup of {result.taken_at.isoformat()}; "
        f"erasures re-applied: {len(result.reapplied)}"
    )
