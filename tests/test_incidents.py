"""The incident register: deadlines from the law tables per jurisdiction, countdowns, the
worker's warnings, the draft notification, the CLI and the API. Storage on both backends."""

from __future__ import annotations

import logging
import warnings
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from starlette.exceptions import StarletteDeprecationWarning  # type: ignore[attr-defined]

from lawful.audit.models import AuditEvent
from lawful.config.loader import load_policy_text
from lawful.config.models import Policy
from lawful.errors import PolicyViolation
from lawful.incidents import notify, service
from lawful.incidents.models import Incident
from lawful.incidents.watch import warn_deadlines
from lawful.registers.output import config_version, in_format

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

DETECTED = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # a Tuesday
NATURE = "Backup bucket left public; order briefs readable for six hours"


def template(name: str) -> Policy:
    text = files("lawful.config").joinpath("templates", f"{name}.yaml").read_text("utf-8")
    return load_policy_text(text, f"{name}.yaml").policy


RU, KZ, VN = (
    template("ru-design-studio"),
    template("kz-messaging-saas"),
    template("vn-crm-integrator"),
)


def in_jurisdictions(policy: Policy, *keys: str) -> Policy:
    operator = policy.operator.model_copy(update={"jurisdictions": list(keys)})
    return policy.model_copy(update={"operator": operator})


def new(**changes: object) -> service.NewIncident:
    base = service.NewIncident(
        detected_at=DETECTED,
        nature=NATURE,
        categories=["user.name", "user.content.private"],
        subjects_affected=120,
        measures="Bucket made private, access keys rotated",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def add(sessions, policy: Policy = RU, **changes: object) -> Incident:
    with sessions.begin() as session:
        return service.register(
            session=session,
            policy=policy,
            incident=new(**changes),
            actor="t",
            now=DETECTED + timedelta(hours=1),
        )


def owed(sessions, policy: Policy, incident: Incident) -> dict[str, service.NoticeDeadline]:
    with sessions() as session:
        found = service.deadlines_of(session, policy, incident)
    return {f"{d.jurisdiction}/{d.rule}": d for d in found}


def test_russia_owes_a_first_notice_in_24_hours_and_the_investigation_in_72(sessions):
    deadlines = owed(sessions, RU, add(sessions))
    assert set(deadlines) == {"ru/breach_initial_notice", "ru/breach_investigation_report"}
    assert deadlines["ru/breach_initial_notice"].due == DETECTED + timedelta(hours=24)
    assert deadlines["ru/breach_investigation_report"].due == DETECTED + timedelta(hours=72)
    assert deadlines["ru/breach_initial_notice"].recipient == "RKN"


def test_kazakhstan_owes_a_notice_by_the_end_of_the_next_working_day(sessions):
    incident = add(sessions, KZ, categories=["user.name"])
    (deadline,) = owed(sessions, KZ, incident).values()
    assert deadline.rule == "breach_notice_authority"
    assert deadline.due is not None
    local = deadline.due.astimezone(ZoneInfo("Asia/Almaty"))
    assert (local.date().isoformat(), local.hour) == ("2026-03-04", 23)


@pytest.mark.parametrize("jurisdiction", ["eu", "ge", "vn"])
def test_the_gdpr_georgia_and_vietnam_owe_a_notice_in_72_hours(sessions, jurisdiction):
    policy = in_jurisdictions(VN, jurisdiction)
    incident = add(sessions, policy, categories=["user.name"])
    (deadline,) = owed(sessions, policy, incident).values()
    assert deadline.due == DETECTED + timedelta(hours=72)


def test_several_jurisdictions_owe_one_notice_each(sessions):
    policy = in_jurisdictions(RU, "ru", "eu")
    deadlines = owed(sessions, policy, add(sessions, policy))
    assert set(deadlines) == {
        "ru/breach_initial_notice",
        "ru/breach_investigation_report",
        "eu/breach_notice_authority",
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"categories": ["user.financial"]}, "categories"),
        ({"categories": []}, "categories"),
        ({"subjects_affected": -1}, "subjects_affected"),
        ({"nature": "   "}, "nature"),
        ({"measures": ""}, "measures"),
        ({"records_affected": -1}, "records_affected"),
        ({"occurred_at": DETECTED + timedelta(minutes=1)}, "occurred_at"),
        ({"detected_at": DETECTED + timedelta(days=2)}, "detected_at"),
        ({"detected_at": datetime(2026, 3, 3, 10)}, "detected_at"),  # noqa: DTZ001
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(sessions, changes, field):
    with pytest.raises(PolicyViolation) as refused:
        add(sessions, **changes)
    assert refused.value.field == field
    with sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0


def test_countdown_states_move_from_open_to_due_soon_to_overdue_to_sent(sessions):
    incident = add(sessions)
    first = owed(sessions, RU, incident)["ru/breach_initial_notice"]
    assert first.state(DETECTED + timedelta(hours=2), DETECTED) == "open"
    assert first.countdown(DETECTED + timedelta(hours=2)) == "22h 00m left"
    assert first.state(DETECTED + timedelta(hours=13), DETECTED) == "due-soon"
    assert first.state(DETECTED + timedelta(hours=25), DETECTED) == "overdue"
    assert first.countdown(DETECTED + timedelta(hours=25)) == "1h 00m overdue"
    with sessions.begin() as session:
        service.record_notice(
            session=session,
            policy=RU,
            incident_id=incident.id,
            jurisdiction="ru",
            rule="breach_initial_notice",
            sent_at=DETECTED + timedelta(hours=20),
            actor="t",
        )
    sent = owed(sessions, RU, incident)["ru/breach_initial_notice"]
    assert sent.state(DETECTED + timedelta(hours=30), DETECTED) == "sent"


def test_a_notice_is_recorded_once_and_only_for_a_rule_owed(sessions):
    incident = add(sessions)
    args = {"session": None, "policy": RU, "incident_id": incident.id, "actor": "t"}
    sent_at = DETECTED + timedelta(hours=3)
    with sessions.begin() as session:
        args["session"] = session
        service.record_notice(
            **args, jurisdiction="ru", rule="breach_initial_notice", sent_at=sent_at
        )
    for rule in ("breach_initial_notice", "subject_access_response"):
        with pytest.raises(PolicyViolation), sessions.begin() as session:
            args["session"] = session
            service.record_notice(**args, jurisdiction="ru", rule=rule, sent_at=sent_at)


def test_the_worker_warns_of_near_and_passed_deadlines_without_the_texts(sessions, caplog):
    incident = add(sessions)
    with caplog.at_level(logging.WARNING):
        warned = warn_deadlines(sessions, RU, DETECTED + timedelta(hours=30))
    # At 30 hours the first notice is overdue; the 72-hour report is not yet in its last 18.
    assert [(w[1].rule, w[2]) for w in warned] == [("breach_initial_notice", "overdue")]
    assert incident.id in caplog.text and "overdue" in caplog.text
    assert "bucket" not in caplog.text.lower()
    assert warn_deadlines(sessions, RU, DETECTED + timedelta(hours=1)) == []
    with sessions.begin() as session:
        service.close(
            session=session, incident_id=incident.id, reason="handled", actor="t", now=DETECTED
        )
    assert warn_deadlines(sessions, RU, DETECTED + timedelta(hours=30)) == []
    with pytest.raises(PolicyViolation), sessions.begin() as session:
        service.close(session=session, incident_id=incident.id, reason="x", actor="t", now=DETECTED)


def test_an_unconfirmed_figure_asks_a_person_until_the_operator_sets_it(sessions):
    # Kazakhstan's breach notice to subjects has no recipient authority: it is not owed here;
    # a figure overridden by the operator is used as given.
    incident = add(sessions, KZ, categories=["user.name"])
    assert all(d.needs_decision is None for d in owed(sessions, KZ, incident).values())


def test_the_journal_records_registration_and_notice_without_texts(sessions):
    add(sessions)
    with sessions() as session:
        body = session.scalar(
            sa.select(AuditEvent.body).where(AuditEvent.action == "incident_register")
        )
    assert body is not None and '"subjects_affected":120' in body
    assert "bucket" not in body.lower()


def test_the_draft_notification_has_what_roskomnadzor_asks(sessions):
    incident = add(
        sessions,
        causes="Misconfigured storage policy",
        records_affected=480,
        occurred_at=DETECTED - timedelta(days=1),
    )
    with sessions() as session:
        deadlines = service.deadlines_of(session, RU, incident)
    now = DETECTED + timedelta(hours=2)
    russian = notify.draft(RU, incident, deadlines, language="ru", now=now)
    for needed in (
        "Предполагаемые причины: Misconfigured storage policy",
        "Предполагаемый вред",
        "Принятые меры",
        "Лицо, уполномоченное оператором",
        "Результаты внутреннего расследования",
        "Число затронутых субъектов (приблизительно): 120",
        config_version(RU),
        "152-FZ Art. 21(3.1)(1)",
    ):
        assert needed in russian
    english = notify.draft(RU, incident, deadlines, language="en", now=now)
    assert "Number of people affected (approximate): 120" in english
    assert "Number of records concerned (approximate): 480" in english
    assert "Occurred: 2026-03-02 13:00 MSK" in english
    assert "Reasons for the delay" not in english
    late = notify.draft(RU, incident, deadlines, language="en", now=DETECTED + timedelta(days=4))
    assert "Reasons for the delay" in late
    assert in_format(english, "html", "en").startswith(b"<!doctype html>")
    assert in_format(english, "pdf", "en").startswith(b"%PDF")


def test_operator_text_cannot_inject_markup_into_the_draft(sessions):
    incident = add(sessions, nature="<script>alert(1)</script> [x](javascript:alert(1))")
    with sessions() as session:
        deadlines = service.deadlines_of(session, RU, incident)
    page = in_format(
        notify.draft(RU, incident, deadlines, language="en", now=DETECTED), "html", "en"
    )
    assert b"<script>" not in page and b'href="javascript' not in page


# --- CLI and API ---------------------------------------------------------------------------


@pytest.fixture
def opened(tmp_path, database_url):
    from tests.conftest import open_template

    lawful = open_template(tmp_path, database_url, "ru-design-studio")
    yield lawful
    lawful.close()


@pytest.fixture
def client(opened):
    from lawful.web import create_app

    with TestClient(create_app(opened)) as test_client:
        yield test_client


BODY = {
    "detected_at": "2026-03-03T10:00:00+00:00",
    "nature": NATURE,
    "categories": ["user.name"],
    "subjects_affected": 7,
    "measures": "Access revoked",
}


def test_the_api_registers_lists_records_a_notice_and_drafts(client):
    made = client.post("/api/v1/incidents", json=BODY)
    assert made.status_code == 201
    incident = made.json()
    assert [d["rule"] for d in incident["deadlines"]] == [
        "breach_initial_notice",
        "breach_investigation_report",
    ]
    assert incident["deadlines"][0]["due"] == "2026-03-04T13:00:00+03:00"  # Moscow time
    listed = client.get("/api/v1/incidents").json()
    assert [i["id"] for i in listed] == [incident["id"]]
    notice = {
        "jurisdiction": "ru",
        "rule": "breach_initial_notice",
        "sent_at": "2026-03-03T15:00:00Z",
    }
    after = client.post(f"/api/v1/incidents/{incident['id']}/notices", json=notice).json()
    assert after["deadlines"][0]["state"] == "sent"
    draft = client.get(f"/api/v1/incidents/{incident['id']}/notification?language=en")
    assert draft.headers["content-type"].startswith("text/markdown")
    assert "Number of people affected (approximate): 7" in draft.text
    pdf = client.get(f"/api/v1/incidents/{incident['id']}/notification?format=pdf")
    assert pdf.content.startswith(b"%PDF")
    closed = client.post(f"/api/v1/incidents/{incident['id']}/close", json={"reason": "done"})
    assert closed.status_code == 204
    assert client.get("/api/v1/incidents").json() == []
    again = client.post(f"/api/v1/incidents/{incident['id']}/close", json={"reason": "done"})
    assert again.status_code == 422


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"detected_at": "2026-03-03T10:00:00"}, "body.detected_at"),
        ({"subjects_affected": -3}, "body.subjects_affected"),
        ({"categories": ["user.financial"]}, "categories"),
    ],
)
def test_the_api_answers_bad_input_with_a_problem_naming_the_field(client, change, field):
    answer = client.post("/api/v1/incidents", json={**BODY, **change})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in answer.json()["errors"]]
    assert client.get("/api/v1/incidents").json() == []


def test_an_unknown_incident_is_a_404_problem(client):
    assert client.get("/api/v1/incidents/nope").status_code == 404


def test_the_cli_adds_lists_shows_records_and_drafts(tmp_path, monkeypatch, capsys):
    from lawful.cli import run
    from tests.cli_env import cli_home

    cli_home(tmp_path, monkeypatch, "ru-design-studio")
    added = [
        "incidents", "add", "--nature", NATURE, "--category", "user.name", "--affected", "3",
        "--measures", "Revoked", "--detected", "2026-03-03T10:00:00Z",
    ]  # fmt: skip
    assert run(added) == 0
    out = capsys.readouterr().out
    incident_id = out.split()[1]
    assert "ru/breach_initial_notice to RKN: due 2026-03-04T13:00:00+03:00" in out
    assert run(["incidents", "list"]) == 0
    assert incident_id in capsys.readouterr().out
    assert run(["incidents", "show", incident_id]) == 0
    assert "people affected: 3" in capsys.readouterr().out
    assert run(["incidents", "notified", incident_id, "--rule", "ru/breach_initial_notice"]) == 0
    pdf = tmp_path / "n.pdf"
    assert (
        run(["incidents", "notify-draft", incident_id, "--format", "pdf", "--out", str(pdf)]) == 0
    )
    assert pdf.read_bytes().startswith(b"%PDF")
    assert run(["incidents", "notify-draft", incident_id, "--language", "en"]) == 0
    assert "| RKN |" in capsys.readouterr().out
    assert run(["incidents", "close", incident_id, "--reason", "handled"]) == 0
    assert run(["incidents", "list"]) == 0
    assert "0 incident(s)" in capsys.readouterr().out
    assert run([*added[:-1], "2026-03-03T10:00:00"]) == 1
    assert "give a time zone" in capsys.readouterr().err


def test_every_process_that_runs_jobs_declares_the_incident_watch():
    import subprocess
    import sys

    code = (
        "from lawful.context import load_job_handlers\n"
        "from lawful.jobs.registry import default_registry\n"
        "load_job_handlers()\n"
        "print(','.join(j.kind for j in default_registry.periodic_jobs()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert "incidents.watch" in out.stdout.strip().split(",")
