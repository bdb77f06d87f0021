"""``lawful serve`` and ``lawful demo``: run the API (and the job worker) in this process.

Thin adapters: settings come from the environment (``serve``) or from the demo folder
(``demo``); the app comes from :func:`lawful.web.create_app`, the people from
:mod:`lawful.demo`. Failures are raised as lawful errors for the CLI to print as one line.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from lawful import demo as demo_data
from lawful.connectors.jobs import close_registries
from lawful.context import Lawful, WorkerContext, load_job_handlers, open_lawful
from lawful.demo_inbox import seed_inbox
from lawful.documents.flows import publish_and_flag
from lawful.jobs import default_registry, start_in_thread
from lawful.settings import Settings

WORKER_STOP_SECONDS = 10.0


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("demo")(demo)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Do not run the job worker in this process.")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Server processes sharing the port (each request is answered by one; "
            "with one client per process no two requests wait for one interpreter).",
        ),
    ] = 1,
) -> None:
    """Serve the HTTP API, with the job worker in a thread of this process."""
    lawful = open_lawful(Settings.from_env())  # migrates once, before any server process starts
    try:
        lawful.require_policy()  # an API without the policy it enforces has nothing to serve
        run_server(lawful, host=host, port=port, worker=not no_worker, processes=workers)
    finally:
        lawful.close()


def run_server(
    lawful: Lawful,
    *,
    host: str,
    port: int,
    worker: bool,
    demo_site: bool = False,
    processes: int = 1,
) -> None:
    """Serve until interrupted; the worker finishes its job in hand before the process ends.

    ``processes`` > 1: uvicorn starts that many server processes on the port, each opening
    lawful from the same environment (:func:`lawful.web.app.app_from_env`: the API as
    ``lawful serve`` serves it, without the demo's site); this process supervises them and
    runs the job worker. Uvicorn's access log is off: request paths and query strings can
    carry e-mails or phone numbers, and a log line is beyond the reach of erasure.
    """
    stop: tuple[threading.Thread, threading.Event] | None = None
    if worker:
        load_job_handlers()
        context = WorkerContext(lawful.engine, lawful.sessions, lawful.policy)
        stop = start_in_thread(lawful.engine, default_registry, context=context)
    # Imported here: the web app's import (FastAPI, the pages, their templates) is most of the
    # CLI's start-up, and every other command would pay it.
    from lawful.web import create_app

    try:
        if processes > 1:
            factory = "lawful.web.app:app_from_env"
            uvicorn.run(
                factory, factory=True, workers=processes, host=host, port=port, access_log=False
            )
        else:
            app = create_app(lawful, demo_site=demo_site, freeze_heap=True)
            uvicorn.run(app, host=host, port=port, access_log=False)
    finally:
        if stop is not None:
            thread, event = stop
            event.set()
            thread.join(timeout=WORKER_STOP_SECONDS)
            close_registries()  # the connectors' pools and HTTP clients the jobs kept open


def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Folder for the demo's lawful.yaml, key and database.")
    ] = Path("lawful-demo"),
    template: Annotated[
        str, typer.Option(help="Starter policy to use (see `lawful init --help`).")
    ] = "vn-crm-integrator",
    people: Annotated[int, typer.Option(min=1, help="Synthetic people to create.")] = 1000,
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Exit after seeding instead of serving.")
    ] = False,
) -> None:
    """Create a demo folder with a starter policy and synthetic people, then serve it."""
    console = Console()
    settings = demo_data.prepare_folder(directory, template)
    lawful = open_lawful(settings)
    try:
        summary = _seed_once(lawful, people, console)
        # The documents the form links to; publishing an unchanged policy adds no version.
        publish_and_flag(lawful, actor="demo")
        _print_summary(console, summary, settings, port, demo_data.demo_dpo(lawful))
        if not no_serve:
            run_server(lawful, host="127.0.0.1", port=port, worker=True, demo_site=True)
    finally:
        lawful.close()


def _seed_once(lawful: Lawful, people: int, console: Console) -> demo_data.DemoSummary:
    """Seed an empty store; a store that already holds people is kept as it is."""
    subjects, values = demo_data.held(lawful)
    policy = lawful.require_policy()
    if subjects:
        purpose = demo_data.demo_purpose(policy).key
        name = demo_data.operator_name(policy)
        return demo_data.DemoSummary(name, purpose, 0, subjects, values, 0.0)
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("Recording synthetic people", total=people)
        summary = demo_data.seed_demo(
            lawful, people=people, progress=lambda done, _total: bar.update(task, completed=done)
        )
    seed_inbox(lawful, now=datetime.now(UTC))
    return summary


def _print_summary(
    console: Console,
    summary: demo_data.DemoSummary,
    settings: Settings,
    port: int,
    dpo: tuple[str, str],
) -> None:
    base = f"http://127.0.0.1:{port}"
    grid = Table.grid(padding=(0, 2))
    grid.add_row("operator", summary.operator)
    grid.add_row(
        "people",
        f"{summary.subjects} subjects, {summary.values} sealed values (purpose: {summary.purpose})",
    )
    grid.add_row(
        "this run",
        f"recorded {summary.seeded} people in {summary.seconds:.1f} s"
        if summary.seeded
        else "the store already held people: nothing added",
    )
    grid.add_row("policy", str(settings.config_path))
    grid.add_row("master key", f"{settings.master_key_path} (keep it secret: no key, no data)")
    grid.add_row("database", str(settings.data_dir / "lawful.db"))
    for label, path in (
        ("try a form", "/demo"),
        ("portal", "/portal"),
        ("documents", "/documents"),
        ("API docs", "/docs"),
        ("health", "/health"),
        ("policy API", "/api/v1/operator"),
    ):
        grid.add_row(label, f"{base}{path}")
    email, password = dpo
    grid.add_row("admin", f"{base}/admin — sign in as {email}, password {password} (this run's)")
    console.print("[bold green]lawful demo is ready[/]")
    console.print(grid)
