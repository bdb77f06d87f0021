"""``lawful users add / list / role / password / totp / disable``: who may sign in to /admin.

Passwords are typed at a hidden prompt, or read from standard input (one line) when it is not
a terminal, so that they never appear in the shell's history or the process list."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from lawful.cli.opening import opened
from lawful.users import service

users_app = typer.Typer(help="The admin pages' users and their roles.", no_args_is_help=True)

ROLE_HELP = "admin, dpo, staff or auditor (read-only)."


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")


def _password() -> str:
    if sys.stdin.isatty():
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


@users_app.command("add")
def add_cmd(
    email: Annotated[str, typer.Argument(help="The user's e-mail (their sign-in name).")],
    role: Annotated[str, typer.Option("--role", help=ROLE_HELP)] = "staff",
) -> None:
    """Add a user; the password is prompted for (or read from standard input)."""
    password = _password()
    with opened(load_config=False) as lawful, lawful.sessions.begin() as session:
        user = service.add_user(
            session=session, email=email, password=password, role=role, now=datetime.now(UTC)
        )
        typer.echo(f"added {user.email} as {user.role}")


@users_app.command("list")
def list_cmd() -> None:
    """Every user: e-mail, role, second factor, last sign-in."""
    with opened(load_config=False) as lawful, lawful.sessions() as session:
        for user in service.list_users(session):
            state = "disabled" if user.disabled_at else "active"
            totp = "totp" if user.totp_sealed else "password"
            last = f"{user.last_sign_in_at:%Y-%m-%d %H:%M}" if user.last_sign_in_at else "never"
            typer.echo(f"{user.email}\t{user.role}\t{totp}\t{state}\tlast sign-in {last}")


@users_app.command("role")
def role_cmd(
    email: Annotated[str, typer.Argument(help="The user's e-mail.")],
    role: Annotated[str, typer.Argument(help=ROLE_HELP)],
) -> None:
    """Change a user's role (effective on their next page)."""
    with opened(load_config=False) as lawful, lawful.sessions.begin() as session:
        user = service.set_role(session=session, email=email, role=role)
        typer.echo(f"{user.email} is now {user.role}")


@users_app.command("password")
def password_cmd(email: Annotated[str, typer.Argument(help="The user's e-mail.")]) -> None:
    """Set a new password (prompted or from standard input); the user's sessions end."""
    password = _password()
    with opened(load_config=False) as lawful, lawful.sessions.begin() as session:
        user = service.set_password(session=session, email=email, password=password)
        typer.echo(f"new password set for {user.email}")


@users_app.command("totp")
def totp_cmd(email: Annotated[str, typer.Argument(help="The user's e-mail.")]) -> None:
    """Require a TOTP code at sign-in; prints the otpauth:// URI for an authenticator app."""
    with opened(load_config=False) as lawful, lawful.sessions.begin() as session:
        uri = service.enable_totp(session=session, ring=lawful.ring, email=email)
    typer.echo(uri)


@users_app.command("disable")
def disable_cmd(email: Annotated[str, typer.Argument(help="The user's e-mail.")]) -> None:
    """Stop a user from signing in; their sessions end at once."""
    with opened(load_config=False) as lawful, lawful.sessions.begin() as session:
        user = service.disable(session=session, email=email, now=datetime.now(UTC))
        typer.echo(f"{user.email} is disabled")
