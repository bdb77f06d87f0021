"""``lawful consent filter``: split a mailing list into who may be written to and who may not.

A thin adapter over :func:`lawful.consent.service.check_identifiers`: it reads the CSV,
checks every address against the purpose in one pass and writes two CSVs, the refused rows
with their reason. Nothing is recorded: checking is not processing of anyone's data.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lawful.consent import service
from lawful.context import open_lawful
from lawful.errors import PolicyViolation
from lawful.settings import Settings

consent_app = typer.Typer(help="Consents: who may be contacted, for what.", no_args_is_help=True)
REASON = "reason"


def register(app: typer.Typer) -> None:
    app.add_typer(consent_app, name="consent")


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and the non-blank rows, as lists. With a dict per row (``csv.DictReader``)
    a row with more fields than the header stopped the command when it was written out."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = [row for row in csv.reader(handle) if row]
    return (rows[0], rows[1:]) if rows else ([], [])


@consent_app.command("filter")
def filter_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The list (CSV).")],
    purpose: Annotated[str, typer.Option("--purpose", help="Purpose key in lawful.yaml.")],
    column: Annotated[str, typer.Option("--column", help="Column holding the address.")] = "email",
    out_allowed: Annotated[
        Path | None, typer.Option("--out-allowed", help="Rows that may be contacted.")
    ] = None,
    out_refused: Annotated[
        Path | None, typer.Option("--out-refused", help="Rows that may not, with the reason.")
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=0, help="Processes answering a long list; 0: none.")
    ] = os.cpu_count() or 1,
) -> None:
    """Split FILE.csv into allowed and refused rows for PURPOSE (default outputs beside it:
    FILE.allowed.csv and FILE.refused.csv)."""
    header, rows = _rows(file)
    if column not in header:
        raise PolicyViolation(f"{file.name} has no column {column!r}", field="column")
    at = header.index(column)
    allowed_path = out_allowed or file.with_suffix(".allowed.csv")
    refused_path = out_refused or file.with_suffix(".refused.csv")
    lawful = open_lawful(Settings.from_env())
    counts: Counter[str] = Counter()
    try:
        policy = lawful.require_policy()
        policy.purpose(purpose)  # an undeclared purpose is refused before any file is written
        with (
            lawful.sessions() as session,
            allowed_path.open("w", newline="", encoding="utf-8") as allowed_file,
            refused_path.open("w", newline="", encoding="utf-8") as refused_file,
            _progress() as progress,
        ):
            allowed, refused = csv.writer(allowed_file), csv.writer(refused_file)
            allowed.writerow(header)
            refused.writerow([*header, REASON])
            task = progress.add_task("checking", total=len(rows))
            answers = service.check_identifiers(
                session=session,
                ring=lawful.ring,
                policy=policy,
                identifiers=(row[at] if at < len(row) else "" for row in rows),
                purpose=purpose,
                now=datetime.now(UTC),
                workers=workers,
            )
            for number, (row, (_, answer)) in enumerate(zip(rows, answers, strict=True), 1):
                counts[answer.reason] += 1
                if answer.allowed:
                    allowed.writerow(row)
                else:
                    # A short row is padded, so that the reason stays under its column.
                    refused.writerow([*row, *[""] * (len(header) - len(row)), answer.reason])
                if number % 10_000 == 0:
                    progress.update(task, completed=number)
            progress.update(task, completed=len(rows))
    finally:
        lawful.close()
    _summary(counts, allowed_path, refused_path)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )


def _summary(counts: Counter[str], allowed: Path, refused: Path) -> None:
    ok = sum(n for reason, n in counts.items() if reason.startswith("allowed:"))
    typer.echo(f"allowed: {ok} -> {allowed}")
    typer.echo(f"refused: {sum(counts.values()) - ok} -> {refused}")
    for reason, n in sorted(counts.items()):
        typer.echo(f"  {reason}: {n}")
