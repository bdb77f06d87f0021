"""The ``lawful`` command: a thin adapter over the library.

Each command parses its options, opens lawful (``lawful.context.open_lawful``), calls one
service function and prints. Errors of lawful's own tree are mapped here, once: one line on
stderr and exit code 1 (``ConfigError`` problems are printed one per line by ``check``).
"""

from __future__ import annotations

import sys

import click
import typer

from lawful.cli import (
    admin_cmds,
    authority_cmds,
    backup_cmds,
    config_cmds,
    connectors_cmds,
    consent_cmds,
    incidents_cmds,
    intake_cmds,
    jobs_cmds,
    policy_cmds,
    registers_cmds,
    requests_cmds,
    retention_cmds,
    serve_cmds,
    transfers_cmds,
    users_cmds,
)
from lawful.errors import LawfulError

app = typer.Typer(
    name="lawful",
    help="lawful — an operator's privacy policy, true by construction.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (
    config_cmds,
    admin_cmds,
    jobs_cmds,
    serve_cmds,
    policy_cmds,
    consent_cmds,
    transfers_cmds,
    incidents_cmds,
    registers_cmds,
    backup_cmds,
    requests_cmds,
    authority_cmds,
    retention_cmds,
    connectors_cmds,
    intake_cmds,
    users_cmds,
):
    module.register(app)


#: Newer typer vendors its own copy of click: catch the usage errors of whichever click raises.
USAGE_ERRORS: tuple[type[click.ClickException], ...] = tuple(
    {
        click.ClickException,
        *(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"),
    }
)


def run(args: list[str] | None = None) -> int:
    """Run the command line ``args`` (default: sys.argv), mapping lawful's errors to one line on
    stderr and exit code 1."""
    try:
        code = typer.main.get_command(app).main(
            args=args, prog_name="lawful", standalone_mode=False
        )
    except LawfulError as exc:
        typer.secho(f"lawful: {exc.message}", err=True, fg=typer.colors.RED)
        return 1
    except typer.Exit as done:
        return int(done.exit_code)
    except typer.Abort:
        typer.echo("Aborted.", err=True)
        return 130
    except USAGE_ERRORS as usage:  # bad options: click prints its own usage line
        usage.show()
        return usage.exit_code
    return int(code or 0)


def main() -> None:
    sys.exit(run())
