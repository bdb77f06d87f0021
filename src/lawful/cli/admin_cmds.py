"""Administrative commands: ``migrate``, ``audit verify``, ``keys rotate``."""

from __future__ import annotations

import typer
from rich.progress import Progress

from lawful import audit
from lawful.context import open_lawful
from lawful.settings import Settings
from lawful.subjects.rotation import rotate_master_key

audit_app = typer.Typer(help="The hash-chained audit journal.", no_args_is_help=True)
keys_app = typer.Typer(help="The master key and the data keys it wraps.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("migrate")(migrate_cmd)
    app.add_typer(audit_app, name="audit")
    app.add_typer(keys_app, name="keys")


def migrate_cmd() -> None:
    """Create or upgrade the database schema to the newest revision."""
    lawful = open_lawful(Settings.from_env(), load_config=False)  # open_lawful migrates
    typer.echo(f"database is current: {lawful.engine.url.render_as_string(hide_password=True)}")
    lawful.close()


@audit_app.command("verify")
def audit_verify() -> None:
    """Walk the journal's hash chain; name the first broken link (exit 1 if any)."""
    lawful = open_lawful(Settings.from_env(), load_config=False)
    result = audit.verify(lawful.engine)
    lawful.close()
    if result.ok:
        typer.echo(f"audit chain intact: {result.events} events")
        return
    typer.secho(
        f"audit chain broken at event {result.first_broken_seq}: {result.reason} "
        f"({result.events} events verified before it)",
        err=True,
        fg=typer.colors.RED,
    )
    raise typer.Exit(1)


@keys_app.command("rotate")
def keys_rotate(
    batch: int = typer.Option(1000, min=1, help="Data keys re-wrapped per transaction."),
) -> None:
    """Re-wrap every data key under a new master key (no data is re-encrypted)."""
    settings = Settings.from_env()
    if settings.master_key_b64:
        raise typer.BadParameter(
            "LAWFUL_MASTER_KEY is set: rotate the key file, or rotate it "
            "in your secret store and restart"
        )
    lawful = open_lawful(settings, load_config=False)
    with Progress() as bar:
        task = bar.add_task("re-wrapping data keys", total=None)
        result = rotate_master_key(
            lawful.sessions,
            settings.master_key_path,
            actor="cli",
            batch=batch,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    lawful.close()
    typer.echo(
        f"master key rotated: {', '.join(result.old_key_ids)} -> {result.new_key_id}; "
        f"{result.rewrapped} data keys re-wrapped; restart running lawful processes"
    )
