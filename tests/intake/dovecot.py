"""A private Dovecot IMAP server for the mail tests: its own config, maildir and port in a
temporary folder, nothing system-wide. Debian's dovecot-imapd (``.ci/run`` installs it); with
CI=true a missing server fails the tests instead of skipping them."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.requests_support import free_port

DOVECOT = Path("/usr/sbin/dovecot")
USER, PASSWORD = "lawful", "secret"

_CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{root}/mail/Maildir
{users}
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
}}
service anvil {{
  chroot =
}}
"""


class Dovecot:
    def __init__(self, root: Path, port: int) -> None:
        self.root, self.port = root, port
        if os.geteuid() == 0:  # dovecot refuses to open mail as root: the mail belongs to nobody
            nobody = pwd.getpwnam("nobody")
            self.uid, self.gid, users = nobody.pw_uid, nobody.pw_gid, ""
        else:  # an unprivileged dovecot runs every process as the user who started it
            self.uid, self.gid = os.getuid(), os.getgid()
            me = pwd.getpwuid(self.uid).pw_name
            users = f"default_internal_user = {me}\ndefault_login_user = {me}"
        self.maildir = root / "mail" / "Maildir"
        for sub in ("cur", "new", "tmp"):
            (self.maildir / sub).mkdir(parents=True)
        self._chown(root / "mail")
        self.config = root / "dovecot.conf"
        self.config.write_text(
            _CONFIG.format(
                root=root, port=port, uid=self.uid, gid=self.gid, users=users, password=PASSWORD
            )
        )
        self._delivered = 0

    @property
    def url(self) -> str:
        return f"imap://{USER}:{PASSWORD}@127.0.0.1:{self.port}/INBOX"

    def deliver(self, raw: bytes) -> None:
        """Put a message into the maildir the way a local delivery agent does."""
        self._delivered += 1
        name = f"{time.time_ns()}.P{os.getpid()}Q{self._delivered}.lawful-test"
        draft = self.maildir / "tmp" / name
        draft.write_bytes(raw)
        os.chown(draft, self.uid, self.gid)
        draft.rename(self.maildir / "new" / name)

    def renumber(self) -> None:
        """Forget every UID: the mailbox comes back under a new UIDVALIDITY."""
        for path in self.maildir.glob("dovecot*"):
            if path.name != "dovecot-uidvalidity" and not path.name.startswith(
                "dovecot-uidvalidity."
            ):
                path.unlink()

    def empty(self) -> None:
        """Take every message out of the maildir (as if the mailbox were recreated)."""
        for sub in ("cur", "new"):
            for path in (self.maildir / sub).iterdir():
                path.unlink()

    def _chown(self, top: Path) -> None:
        for folder, dirs, files in os.walk(top):
            for name in [*dirs, *files, "."]:
                os.chown(Path(folder) / name, self.uid, self.gid)


@contextmanager
def dovecot_server() -> Iterator[Dovecot]:
    if not DOVECOT.exists():
        reason = f"Dovecot is not installed at {DOVECOT} (apt-get install -y dovecot-imapd)"
        if IN_CI:
            pytest.fail(reason + " — CI requires the IMAP tests", pytrace=False)
        pytest.skip(reason)
    # Not under pytest's tmp_path: dovecot's unprivileged processes must reach the folder.
    root = Path(tempfile.mkdtemp(prefix="lawful-dovecot-"))
    root.chmod(0o755)
    server = Dovecot(root, free_port())
    process = subprocess.Popen(
        [str(DOVECOT), "-F", "-c", str(server.config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(server.port, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
        shutil.rmtree(root, ignore_errors=True)


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"dovecot did not start: {error}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("dovecot did not open its port in time")
