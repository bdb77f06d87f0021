"""Statistics without personal data: volumes per channel and type, states, outcomes and
response times — aggregates only, nothing that points at a person or a message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from lawful.context import Lawful
from lawful.intake import service, stats
from lawful.intake.messengers import flows
from lawful.intake.messengers.telegram import Telegram
from lawful.intake.messengers.whatsapp import WhatsApp
from lawful.intake.models import IntakeMessage
from lawful.requests.models import Request
from tests.intake.messenger_fake import client_for, open_messaging, telegram_update, whatsapp_event

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TOKEN = "operator-token"


@pytest.fixture
def lawful(tmp_path: Path, database_url: str) -> Iterator[Lawful]:
    # No messenger API here: the messages are processed without replies (adapters={}).
    opened = open_messaging(tmp_path, database_url, "http://127.0.0.1:9")
    opened.settings = replace(opened.settings, operator_token=TOKEN)
    yield opened
    opened.close()


def arrive(
    lawful: Lawful, inbound: list[flows.Inbound], at: datetime, processed: datetime
) -> list[str]:
    ids = flows.store(lawful, inbound, now=at)
    tools = service.Tools.for_policy(lawful.require_policy(), names=False)
    flows.process(lawful, tools, {}, ids, now=processed)
    return ids


@pytest.fixture
def traffic(lawful: Lawful) -> list[str]:
    """Two Telegram erasures and an inquiry; one WhatsApp access request; one answered."""
    tg, wa = Telegram(lawful.settings.messengers), WhatsApp(lawful.settings.messengers)
    ids = []
    for n, (user, text) in enumerate(
        [
            (101, "Удалите мои персональные данные"),
            (102, "Please delete my personal data"),
            (103, "Is this the right place?"),  # too vague to route: a person decides
        ]
    ):
        body = json.dumps(telegram_update(n + 1, user, text)).encode()
        ids += arrive(
            lawful,
            tg.split(body),
            T0 + timedelta(minutes=n),
            T0 + timedelta(minutes=n, seconds=10 * (n + 1)),
        )
    event = json.dumps(
        whatsapp_event(
            ("77011234567", "wamid.1", "Please send me a copy of all my personal data you hold")
        )
    ).encode()
    ids += arrive(
        lawful, wa.split(event), T0 + timedelta(days=1), T0 + timedelta(days=1, seconds=5)
    )
    with lawful.sessions.begin() as session:
        first = session.scalars(
            sa.select(Request).where(Request.kind == "erasure").order_by(Request.received_at)
        ).first()
        assert first is not None
        first.state, first.outcome, first.closed_at = (
            "completed",
            "erased",
            first.received_at + timedelta(days=3),
        )
    return ids


def test_volumes_states_outcomes_and_times(lawful: Lawful, traffic: list[str]) -> None:
    with lawful.sessions() as session:
        labels = {m.label for m in session.scalars(sa.select(IntakeMessage))}
        computed = stats.compute(session)
    assert labels == {"erasure", "inquiry", "access"}
    assert computed.messages == {
        "telegram": {"erasure": 2, "inquiry": 1},
        "whatsapp": {"access": 1},
    }
    assert computed.message_states == {"routed": 3, "person": 1}  # the inquiry: unsure
    assert computed.processing["telegram"] == stats.Durations(3, 20.0, 30.0, 30.0)
    assert computed.processing["whatsapp"] == stats.Durations(1, 5.0, 5.0, 5.0)
    assert computed.requests == {
        "erasure": {"completed": 1, "awaiting_verification": 1},
        "access": {"awaiting_verification": 1},
    }
    assert computed.request_channels == {"telegram": 2, "whatsapp": 1}
    assert computed.outcomes == {"erasure": {"erased": 1}}
    assert computed.answered == {"erasure": stats.Durations(1, 259200.0, 259200.0, 259200.0)}


def test_a_period_counts_only_what_arrived_in_it(lawful: Lawful, traffic: list[str]) -> None:
    with lawful.sessions() as session:
        day_one = stats.compute(session, since=T0, until=T0 + timedelta(days=1))
        day_two = stats.compute(session, since=T0 + timedelta(days=1))
    assert day_one.messages == {"telegram": {"erasure": 2, "inquiry": 1}}
    assert day_two.messages == {"whatsapp": {"access": 1}}
    assert day_two.request_channels == {"whatsapp": 1}


def test_nothing_in_the_statistics_points_at_a_person_or_a_message(
    lawful: Lawful, traffic: list[str]
) -> None:
    with lawful.sessions() as session:
        computed = json.dumps(asdict(stats.compute(session)), default=str)
        subject_ids = [s for s in session.scalars(sa.select(IntakeMessage.subject_id)) if s]
        request_ids = list(session.scalars(sa.select(Request.id)))
    for identifying in [*traffic, *subject_ids, *request_ids, "101", "77011234567", "Удалите"]:
        assert identifying not in computed


def test_the_api_serves_them_to_the_operator_only(lawful: Lawful, traffic: list[str]) -> None:
    with client_for(lawful) as client:
        assert client.get("/api/v1/intake/stats").status_code == 401
        answer = client.get(
            "/api/v1/intake/stats",
            params={"since": "2026-11-03T00:00:00Z"},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        bad = client.get(
            "/api/v1/intake/stats",
            params={"since": "yesterday"},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
    assert answer.status_code == 200
    body = answer.json()
    assert body["messages"] == {"whatsapp": {"access": 1}}
    assert body["processing"]["whatsapp"] == {"count": 1, "median": 5.0, "p90": 5.0, "max": 5.0}
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.since"


def test_durations_of_nothing_are_empty() -> None:
    assert stats.Durations.of([]) == stats.Durations(0, None, None, None)
    assert stats.Durations.of([3.0, 1.0, 2.0]) == stats.Durations(3, 2.0, 3.0, 3.0)
