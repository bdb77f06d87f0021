"""``opened()``: open lawful for one command and always close it (used by the commands of
transfers, incidents, registers and backups)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from lawful.context import Lawful, open_lawful
from lawful.settings import Settings


@contextmanager
def opened(*, load_config: bool = True) -> Iterator[Lawful]:
    lawful = open_lawful(Settings.from_env(), load_config=load_config)
    try:
        yield lawful
    finally:
        lawful.close()
