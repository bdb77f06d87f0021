"""What the browser tests share: lawful served on a loopback port, the operator's static site
on another, and a starter policy whose website is that site (so CORS and CSP are real)."""

from __future__ import annotations

import functools
import http.server
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import uvicorn

from lawful.config.init import write_starter_config
from lawful.context import Lawful, open_lawful
from lawful.crypto.keyfile import generate_master_key_file
from lawful.settings import Settings


@contextmanager
def served_on_loopback(app: Any) -> Iterator[str]:
    """``app`` under uvicorn in a thread, on a socket bound before the server starts (no race
    for a free port); its base URL while the block runs."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        threading.Event().wait(0.025)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def static_site(folder: Path) -> Iterator[str]:
    """The operator's site: ``folder`` served on another port; its origin."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{site.server_address[1]}"
    finally:
        site.shutdown()
        site.server_close()


def open_with_website(folder: Path, template: str, *, website: str, **settings: Any) -> Lawful:
    """``template`` on SQLite in ``folder``, its website set to ``website`` (the page's
    origin); ``settings`` replace fields of the settings."""
    folder.mkdir()
    config = write_starter_config(folder / "lawful.yaml", template)
    text = config.read_text(encoding="utf-8")
    changed = re.sub(r"(?m)^  website: .*$", f"  website: {website}", text, count=1)
    assert changed != text
    config.write_text(changed, encoding="utf-8")
    opened = replace(
        Settings.from_env({}, data_dir=folder),
        config_path=config,
        database_url=f"sqlite:///{folder / 'lawful.db'}",
        **settings,
    )
    generate_master_key_file(opened.master_key_path)
    return open_lawful(opened)
