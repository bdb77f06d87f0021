"""``lawful serve --workers N``: N server processes on one port, each opening lawful from the
same environment, under one supervisor that runs the job worker and stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from lawful.context import open_lawful
from lawful.requests.models import Request
from tests.cli_env import cli_home
from tests.requests_support import free_port

#: The installed command, as an operator runs it.
LAWFUL = str(Path(sys.executable).parent / "lawful")


def _children(pid: int) -> set[int]:
    """The processes ``pid`` started (Linux: from /proc)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(p) for p in (task / "children").read_text().split()}
    return found


def _serving(pid: int) -> set[int]:
    """Children that are uvicorn server processes (not multiprocessing's resource tracker)."""
    return {
        child
        for child in _children(pid)
        if b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes()
    }


def _await(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "lawful serve exited"
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError("lawful serve did not answer")


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc")
def test_serve_with_two_workers_answers_from_two_processes_and_stops_them_all(
    tmp_path, monkeypatch
):
    settings = cli_home(tmp_path, monkeypatch, "ru-design-studio")
    port = free_port()
    command = [LAWFUL, "serve", "--workers", "2", "--port", str(port)]
    server = subprocess.Popen(  # noqa: S603 - our own installed command
        command, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _await(base, server)
        deadline = time.monotonic() + 30  # the second process may still be starting
        while len(_serving(server.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(_serving(server.pid)) == 2
        for n in range(6):  # whichever process takes it, the request lands in the one store
            sent = httpx.post(
                f"{base}/api/v1/requests",
                json={"kind": "objection", "email": f"p{n}@example.org"},
                timeout=10,
            )
            assert sent.status_code == 202, sent.text
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=60)
    assert server.returncode == 0, err.decode(errors="replace")[-2000:]
    lawful = open_lawful(settings)
    try:
        with lawful.sessions() as session:
            assert session.query(Request).count() == 6
    finally:
        lawful.close()


def test_serve_refuses_no_workers(tmp_path, monkeypatch):
    cli_home(tmp_path, monkeypatch, "ru-design-studio")
    done = subprocess.run(  # noqa: S603 - our own installed command
        [LAWFUL, "serve", "--workers", "0"],
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert done.returncode != 0
    assert b"--workers" in done.stderr
