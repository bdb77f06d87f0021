"""``lawful worker``: run the job worker until SIGTERM/SIGINT (or, with ``--once``, until idle).

A thin adapter: it opens the database and hands over to :mod:`lawful.jobs.worker`.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Annotated

import typer

from lawful.connectors.jobs import close_registries
from lawful.context import load_job_handlers, worker_context
from lawful.jobs.registry import default_registry
from lawful.jobs.worker import default_worker_id, run_workers
from lawful.settings import Settings
from lawful.store.db import create_engine_for, migrate


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)


def worker(
    once: Annotated[bool, typer.Option("--once", help="Run what is due now, then exit.")] = False,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, help="Worker threads in this process.")
    ] = 1,
    worker_id: Annotated[
        str | None, typer.Option("--id", help="Name shown in locked_by (default host:pid:rand).")
    ] = None,
    poll_interval: Annotated[
        float, typer.Option("--poll-interval", min=0.05, help="Seconds to wait when idle.")
    ] = 1.0,
) -> None:
    """Run queued and periodic jobs; several workers may share one database."""
    from lawful.intake.channels.smtp import receiving  # aiosmtpd only where it runs

    load_job_handlers()
    settings = Settings.from_env()
    engine = create_engine_for(settings.database_url, queue_writers=True)
    migrate(engine)
    stop_event = threading.Event()
    try:
        with _stop_on_signals(stop_event), receiving(settings):
            run_workers(
                engine,
                default_registry,
                worker_id=worker_id or default_worker_id(),
                concurrency=concurrency,
                once=once,
                poll_interval=poll_interval,
                stop_event=stop_event,
                context=worker_context(engine, settings),
            )
    finally:
        close_registries()  # the connectors' pools and HTTP clients the jobs kept open
        engine.dispose()


@contextmanager
def _stop_on_signals(stop_event: threading.Event) -> Iterator[None]:
    """SIGTERM/SIGINT set ``stop_event``: the job in hand finishes, then the worker exits."""

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop_event.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
