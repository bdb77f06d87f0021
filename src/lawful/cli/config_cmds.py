"""``lawful init`` and ``lawful check``: thin adapters over :mod:`lawful.config`.

``check`` prints one line per problem (``file:line:column: what — fix``) so editors and CI can
annotate the file, then a summary; its exit code is 1 when the policy has errors (or warnings,
with ``--strict``), which is what lets CI refuse an unlawful policy.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from lawful.config import (
    ConfigInvalid,
    Problem,
    available_templates,
    check_policy,
    load_policy,
    write_starter_config,
)
from lawful.crypto import generate_master_key_file
from lawful.settings import Settings

DEFAULT_TEMPLATE = "ru-design-studio"


def register(app: typer.Typer) -> None:
    """Add ``init`` and ``check`` to the lawful command line."""
    app.command("init")(init)
    app.command("check")(check)


def init(
    template: Annotated[
        str, typer.Option(help="Starter policy to copy (see the list below).")
    ] = DEFAULT_TEMPLATE,
    directory: Annotated[
        Path, typer.Option("--dir", help="Folder to create lawful.yaml in.")
    ] = Path("."),
) -> None:
    """Create lawful.yaml from a commented template, and the master key (mode 0600)."""
    config = write_starter_config(directory / "lawful.yaml", template)
    typer.echo(f"wrote {config} (template {template})")
    key_path = _master_key_path(directory)
    if key_path.exists():
        typer.echo(f"kept the existing master key {key_path}")
    else:
        generate_master_key_file(key_path)
        typer.echo(
            f"wrote the master key {key_path} (mode 0600) — back it up apart from the "
            "database: without it the data cannot be read"
        )
    typer.echo("next steps:")
    typer.echo(f"  1. edit {config}: replace every value marked CHANGE ME")
    typer.echo(f"  2. run `lawful check {config}` until it reports no problems")
    typer.echo(f"  other templates: {', '.join(available_templates())}")


def _master_key_path(directory: Path) -> Path:
    """``LAWFUL_MASTER_KEY_FILE`` if set, else ``<dir>/lawful-data/master.key``.

    Read directly, not through ``Settings.from_env``: that also treats the variable as the
    ``*_FILE`` form of ``LAWFUL_MASTER_KEY`` and reads the file, which does not exist yet here.
    """
    named = os.environ.get("LAWFUL_MASTER_KEY_FILE")
    return Path(named) if named else directory / "lawful-data" / "master.key"


def check(
    path: Annotated[Path | None, typer.Argument(help="lawful.yaml to check.")] = None,
    strict: Annotated[bool, typer.Option(help="Fail on warnings too.")] = False,
) -> None:
    """Validate lawful.yaml: every problem with its line, then exit 1 if the policy is unusable."""
    target = path or Settings.from_env(os.environ).config_path
    try:
        problems = check_policy(load_policy(target))
    except ConfigInvalid as exc:
        problems = exc.problems
    for problem in problems:
        typer.echo(problem.format())
    typer.echo(_summary(target, problems))
    errors = sum(p.severity == "error" for p in problems)
    if errors or (strict and problems):
        raise typer.Exit(1)


def _summary(target: Path, problems: list[Problem]) -> str:
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if not problems:
        return f"{target}: no problems found"
    return (
        f"{target}: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    )
