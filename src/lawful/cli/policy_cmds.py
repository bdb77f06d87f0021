"""``lawful policy``: publish the documents rendered from lawful.yaml, list, show and diff them.

Publication goes through ``lawful.documents.flows.publish_and_flag`` so that the new versions
and the renewal of the consents they no longer cover commit together.
"""

from __future__ import annotations

import difflib
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, NoReturn
from zoneinfo import ZoneInfo

import typer

from lawful.context import Lawful, open_lawful
from lawful.documents import service as documents
from lawful.documents.flows import publish_and_flag
from lawful.documents.service import PublishResult
from lawful.settings import Settings

LANGUAGE_HELP = "Language (default: the operator's first)."

policy_app = typer.Typer(help="Published documents: policy, consents, conditions.")


def register(app: typer.Typer) -> None:
    app.add_typer(policy_app, name="policy", no_args_is_help=True)


@policy_app.command("publish")
def publish_cmd(
    effective: Annotated[
        str | None,
        typer.Option(
            help="When the new versions take effect: YYYY-MM-DD (midnight in the operator's "
            "time zone) or an ISO date-time. Default: now."
        ),
    ] = None,
    user_agreement: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="Markdown file of the user agreement."),
    ] = None,
    language: Annotated[str | None, typer.Option(help="Language of --user-agreement.")] = None,
) -> None:
    """Render every document and publish a new version of each one whose text changed."""
    if (user_agreement is None) != (language is None):
        _usage("--user-agreement and --language go together")
    lawful = open_lawful(Settings.from_env())
    try:
        tz = ZoneInfo(lawful.require_policy().operator.timezone)
        agreements = (
            {str(language): user_agreement.read_text(encoding="utf-8")} if user_agreement else {}
        )
        result = publish_and_flag(
            lawful, actor="cli", effective_at=_moment(effective, tz), user_agreements=agreements
        )
    finally:
        lawful.close()
    _report(result)


def _moment(value: str | None, tz: ZoneInfo) -> datetime | None:
    """A date means its midnight in the operator's zone; a naive date-time is local too."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), tzinfo=tz)
        moment = datetime.fromisoformat(value)
    except ValueError:
        _usage(f"--effective {value!r} is not YYYY-MM-DD or an ISO date-time")
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _usage(message: str) -> NoReturn:
    """A usage error: one line and exit code 2, like the option parser's own."""
    typer.secho(f"lawful policy: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(2)


def _report(result: PublishResult) -> None:
    for ref in result.published:
        typer.echo(f"published {ref.kind}/{ref.language} v{ref.version} ({ref.content_hash[:12]})")
    if result.unchanged:
        typer.echo(f"unchanged: {len(result.unchanged)} document(s)")
    for change in result.material:
        typer.echo(f"material change: {change.purpose}: {change.reason}")
    for purpose, count in result.renewals.items():
        typer.echo(f"consents to {purpose} needing renewal: {count}")


@policy_app.command("list")
def list_cmd() -> None:
    """Every published document: current version, effective date, hash, number of versions."""
    lawful = open_lawful(Settings.from_env(), load_config=False)
    try:
        with documents.reading(lawful.engine) as session:
            rows = documents.versions(session=session)
    finally:
        lawful.close()
    if not rows:
        typer.echo("nothing published yet — run `lawful policy publish`")
        return
    latest = {(r.kind, r.language): r for r in rows}
    counts: dict[tuple[str, str], int] = {}
    for r in rows:
        counts[(r.kind, r.language)] = counts.get((r.kind, r.language), 0) + 1
    for key, row in latest.items():
        typer.echo(
            f"{row.kind:<40} {row.language:<5} v{row.version:<4} "
            f"{row.effective_at:%Y-%m-%d} {row.content_hash[:12]}  ({counts[key]} version(s))"
        )


@policy_app.command("show")
def show_cmd(
    kind: Annotated[str, typer.Argument(help="privacy-policy, consent-<purpose> …")],
    version: Annotated[
        int | None, typer.Option(min=1, help="Version number (default: current).")
    ] = None,
    language: Annotated[str | None, typer.Option(help=LANGUAGE_HELP)] = None,
) -> None:
    """Print one version's Markdown text."""
    lawful = open_lawful(Settings.from_env())
    try:
        lang = language or _first_language(lawful)
        with documents.reading(lawful.engine) as session:
            if version is None:
                row = documents.require_current(session=session, kind=kind, language=lang)
            else:
                row = documents.get_version(
                    session=session, kind=kind, language=lang, version=version
                )
    finally:
        lawful.close()
    typer.echo(row.markdown, nl=False)


@policy_app.command("diff")
def diff_cmd(
    kind: Annotated[str, typer.Argument(help="The document kind.")],
    a: Annotated[int, typer.Argument(min=1, help="The earlier version.")],
    b: Annotated[int, typer.Argument(min=1, help="The later version.")],
    language: Annotated[str | None, typer.Option(help=LANGUAGE_HELP)] = None,
) -> None:
    """Unified diff of two versions of a document."""
    lawful = open_lawful(Settings.from_env())
    try:
        lang = language or _first_language(lawful)
        with documents.reading(lawful.engine) as session:
            old = documents.get_version(session=session, kind=kind, language=lang, version=a)
            new = documents.get_version(session=session, kind=kind, language=lang, version=b)
    finally:
        lawful.close()
    lines = difflib.unified_diff(
        old.markdown.splitlines(keepends=True),
        new.markdown.splitlines(keepends=True),
        fromfile=f"{kind}/{lang}/v{a}",
        tofile=f"{kind}/{lang}/v{b}",
    )
    typer.echo("".join(lines), nl=False)


def _first_language(lawful: Lawful) -> str:
    return lawful.require_policy().operator.languages[0]
