"""Fixtures of the messenger-channel tests (test_messengers_*, test_outgoing): the fake
messenger APIs, the kz-messaging-saas operator configured against them, and its API. A test
module that needs another ``lawful`` defines its own (it takes precedence)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lawful.context import Lawful
from tests.intake.messenger_fake import Messengers, client_for, messenger_apis, open_messaging


@pytest.fixture
def apis() -> Iterator[tuple[Messengers, str]]:
    """The fake messenger APIs: their state and base URL."""
    with messenger_apis() as running:
        yield running


@pytest.fixture
def lawful(tmp_path: Path, database_url: str, apis: tuple[Messengers, str]) -> Iterator[Lawful]:
    opened = open_messaging(tmp_path, database_url, apis[1])
    yield opened
    opened.close()


@pytest.fixture
def client(lawful: Lawful) -> Iterator[TestClient]:
    with client_for(lawful) as test_client:
        yield test_client
