"""Data-subject requests end to end, on both backends, with mail through a real SMTP server."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from lawful import audit
from lawful.audit.models import AuditEvent
from lawful.context import Lawful
from lawful.destruction.models import DestroyedSubject, DestructionAct
from lawful.errors import Gone, InvalidTransition, LockedOut, PolicyViolation, VerificationFailed
from lawful.mail import SmtpMailer
from lawful.requests import flows, service
from lawful.requests.models import Request, RequestEvent
from lawful.subjects import service as subjects
from tests.conftest import open_template
from tests.requests_support import Inbox, add_person, record, smtp_server

EMAIL = "anna.petrova@example.org"
NAME = "Anna Petrova"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def lawful(tmp_path: Path, database_url: str) -> Iterator[Lawful]:
    opened = open_template(tmp_path, database_url, "ru-design-studio")
    yield opened
    opened.close()


@pytest.fixture
def mail() -> Iterator[tuple[Inbox, SmtpMailer]]:
    with smtp_server() as (inbox, url):
        yield inbox, SmtpMailer(url, "privacy@example.com")


def _person(lawful: Lawful, purpose: str = "order_details") -> str:
    return add_person(lawful, EMAIL, {"user.name": NAME, "user.contact.email": EMAIL}, purpose)


def _submit(
    lawful: Lawful, mailer: SmtpMailer, kind: str, email: str = EMAIL, **extra: object
) -> Request:
    intake = service.Intake(kind=kind, identifier_kind="email", identifier=email, **extra)  # type: ignore[arg-type]
    return flows.submit(lawful, mailer, intake, actor="api", now=NOW)


def _verified(
    lawful: Lawful, inbox: Inbox, mailer: SmtpMailer, kind: str, email: str = EMAIL, **extra: object
) -> Request:
    request = _submit(lawful, mailer, kind, email, **extra)
    flows.verify(lawful, request.id, inbox.code_for(email), now=NOW + timedelta(minutes=1))
    return request


def test_an_access_request_is_answered_with_a_report_downloaded_once(lawful, mail):
    inbox, mailer = mail
    _person(lawful)
    request = _verified(lawful, inbox, mailer, "access", language="ru")
    outcome = flows.act(lawful, mailer, request.id, actor="dpo", now=NOW + timedelta(hours=1))
    assert outcome.outcome == "granted"
    token = inbox.link_for(EMAIL).rsplit("/", 1)[1]
    from lawful.requests import fulfil

    with lawful.sessions.begin() as session:
        name, data = fulfil.download(
            session=session, ring=lawful.ring, token=token, now=NOW + timedelta(hours=2)
        )
    files = zipfile.ZipFile(io.BytesIO(data))
    assert {"report.html", "report.pdf", "data.json", "data.csv"} <= set(files.namelist())
    report = json.loads(files.read("data.json"))
    assert {v["value"] for v in report["values"]} == {NAME, EMAIL}
    assert report["purposes"][0]["legal_basis"] == "contract"
    assert "Цели обработки" in files.read("report.html").decode()
    with lawful.sessions.begin() as session, pytest.raises(Gone):
        fulfil.download(
            session=session, ring=lawful.ring, token=token, now=NOW + timedelta(hours=3)
        )
    text = flows.complete(lawful, mailer, request.id, actor="dpo", now=NOW + timedelta(hours=4))
    assert "удовлетворён" in text and "подготовлены для однократного скачивания" in text
    with lawful.sessions() as session:
        assert service.get(session, request.id).state == "completed"
        actions = [e.action for e in service.timeline(session, request.id)]
    assert actions[0] == "received" and "downloaded" in actions and actions[-1] == "answered"


def test_a_request_about_an_unknown_person_looks_exactly_like_a_known_one(lawful, mail):
    inbox, mailer = mail
    _person(lawful)
    known = _submit(lawful, mailer, "access")
    unknown = _submit(lawful, mailer, "access", email="nobody@example.org")
    assert known.state == unknown.state == "awaiting_verification"
    shape = [
        inbox.body(inbox.last_to(a)).replace(r.id, "REF")
        for a, r in ((EMAIL, known), ("nobody@example.org", unknown))
    ]
    assert shape[0].replace(inbox.code_for(EMAIL), "C") == shape[1].replace(
        inbox.code_for("nobody@example.org"), "C"
    )
    outcomes = []
    for address, request in ((EMAIL, known), ("nobody@example.org", unknown)):
        flows.verify(lawful, request.id, inbox.code_for(address), now=NOW)
        outcomes.append(flows.act(lawful, mailer, request.id, actor="dpo", now=NOW))
    assert [o.outcome for o in outcomes] == ["granted", "granted"]
    assert [o.done[0].key for o in outcomes] == ["report_ready", "report_ready"]


def test_wrong_codes_lock_the_request_out(lawful, mail):
    inbox, mailer = mail
    request = _submit(lawful, mailer, "access")
    right = inbox.code_for(EMAIL)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(4):
        with pytest.raises(VerificationFailed):
            flows.verify(lawful, request.id, wrong, now=NOW)
    with pytest.raises(LockedOut):
        flows.verify(lawful, request.id, wrong, now=NOW)
    with pytest.raises(LockedOut):  # even the right code is refused while locked
        flows.verify(lawful, request.id, right, now=NOW)


def test_an_expired_code_is_refused(lawful, mail):
    inbox, mailer = mail
    request = _submit(lawful, mailer, "access")
    with pytest.raises(VerificationFailed):
        flows.verify(lawful, request.id, inbox.code_for(EMAIL), now=NOW + timedelta(minutes=16))


def test_erasure_shreds_the_subject_and_records_a_destruction_act(lawful, mail):
    inbox, mailer = mail
    subject_id = _person(lawful)
    request = _verified(lawful, inbox, mailer, "erasure")
    outcome = flows.act(lawful, mailer, request.id, actor="dpo", now=NOW + timedelta(hours=1))
    assert outcome.outcome == "granted" and outcome.act_id
    with lawful.sessions() as session:
        with pytest.raises(Exception, match="no such subject"):
            subjects.export_subject(
                session=session, ring=lawful.ring, subject_id=subject_id, actor="t"
            )
        act = session.get(DestructionAct, outcome.act_id)
        assert act is not None
        assert "Liniya" in act.operator or "Линия" in act.operator
        assert act.categories == "user.contact.email, user.name"
        assert act.keep_until > act.destroyed_at + timedelta(days=365 * 3)
        covered = session.scalars(sa.select(DestroyedSubject.subject_ref)).all()
        assert covered == [subject_id]
        assert json.loads(act.log_extract)[0]["subject_identifier"] == subject_id


def test_erasure_keeps_what_a_legal_obligation_holds_and_says_why(lawful, mail):
    inbox, mailer = mail
    subject_id = _person(lawful)
    record(lawful, subject_id, {"user.name": NAME}, "accounting")
    request = _verified(lawful, inbox, mailer, "erasure")
    outcome = flows.act(lawful, mailer, request.id, actor="dpo", now=NOW + timedelta(hours=1))
    assert outcome.outcome == "partly_granted"
    assert "402-FZ" in outcome.reasons[0].text()
    text = flows.complete(lawful, mailer, request.id, actor="dpo", now=NOW + timedelta(hours=2))
    assert "402-FZ" in text and "partly granted" in text
    with lawful.sessions() as session:
        left = subjects.export_subject(
            session=session, ring=lawful.ring, subject_id=subject_id, actor="t"
        )
    assert {v.purpose for v in left.values} == {"accounting"}


def test_rectification_replaces_the_value_and_journals_clarify(lawful, mail):
    inbox, mailer = mail
    subject_id = _person(lawful)
    request = _verified(
        lawful,
        inbox,
        mailer,
        "rectification",
        details={"category": "user.name", "value": "Anna Sidorova"},
    )
    # RU Art. 21(1): blocked while the data said to be inaccurate are checked.
    with pytest.raises(PolicyViolation, match="blocked"):
        record(lawful, subject_id, {"user.name": "x"})
    flows.act(lawful, mailer, request.id, actor="dpo", now=NOW + timedelta(hours=1))
    with lawful.sessions() as session:
        held = subjects.export_subject(
            session=session, ring=lawful.ring, subject_id=subject_id, actor="t"
        )
        actions = session.scalars(sa.select(AuditEvent.action)).all()
        block = {d.name: d for d in service.deadlines_of(session, request.id)}["block"]
    assert [v.value for v in held.values if v.category == "user.name"] == ["Anna Sidorova"]
    assert "clarify" in actions and block.met_at is not None
    record(lawful, subject_id, {"user.name": "Anna Sidorova"})  # unblocked once rectified


def test_a_blocked_subject_cannot_be_processed_until_unblocked(lawful, mail):
    inbox, mailer = mail
    subject_id = _person(lawful)
    request = _verified(lawful, inbox, mailer, "restriction")
    flows.act(lawful, mailer, request.id, actor="dpo", now=NOW)
    with pytest.raises(PolicyViolation, match="blocked"):
        record(lawful, subject_id, {"user.name": "x"})
    unblock = _verified(lawful, inbox, mailer, "unblocking")
    flows.act(lawful, mailer, unblock.id, actor="dpo", now=NOW)
    record(lawful, subject_id, {"user.name": "x"})


def test_ru_access_is_due_in_ten_russian_working_days_and_extends_once_by_five(lawful, mail):
    inbox, mailer = mail
    request = _submit(lawful, mailer, "access")
    with lawful.sessions() as session:
        answer = {d.name: d for d in service.deadlines_of(session, request.id)}["answer"]
    # 2 Nov 2026 (Mon) + 10 working days; 4 Nov is a Russian holiday: Tue 17 Nov, end of day MSK.
    assert answer.due_at.astimezone(UTC).date().isoformat() == "2026-11-17"
    assert "152-FZ" in answer.source
    due = flows.extend(lawful, mailer, request.id, "archive search", actor="dpo", now=NOW)
    assert due.astimezone(UTC).date().isoformat() == "2026-11-24"
    assert "archive search" in inbox.body(inbox.last_to(EMAIL))
    with pytest.raises(InvalidTransition):
        flows.extend(lawful, mailer, request.id, "again", actor="dpo", now=NOW)


def test_the_list_shows_overdue_and_soon_due_requests(lawful, mail):
    _inbox, mailer = mail
    request = _submit(lawful, mailer, "access")
    with lawful.sessions() as session:
        assert service.listing(session=session, now=NOW, overdue=True) == []
        soon = service.listing(session=session, now=NOW, due_within=timedelta(days=16))
        assert [r.request.id for r in soon] == [request.id]
        assert service.listing(session=session, now=NOW, due_within=timedelta(days=2)) == []
        late = service.listing(session=session, now=NOW + timedelta(days=30), overdue=True)
        assert late[0].next_name == "answer" and late[0].time_left(
            NOW + timedelta(days=30)
        ) < timedelta(0)


def test_an_objection_to_marketing_needs_no_verification(lawful, mail):
    _inbox, mailer = mail
    _person(lawful, "newsletters")
    request = _submit(lawful, mailer, "objection")
    assert request.state == "verified"
    outcome = flows.act(lawful, mailer, request.id, actor="dpo", now=NOW)
    assert outcome.outcome == "granted"


def test_a_stop_distribution_demand_must_name_person_contacts_and_data(lawful, mail):
    _inbox, mailer = mail
    with pytest.raises(PolicyViolation) as error:
        _submit(lawful, mailer, "distribution_stop", details={"full_name": NAME, "contact": EMAIL})
    assert error.value.field == "details.data"
    with lawful.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Request)) == 0


def test_personal_data_never_reach_the_journal_timeline_or_logs(lawful, mail, caplog):
    inbox, mailer = mail
    caplog.set_level(logging.DEBUG)
    _person(lawful)
    request = _verified(
        lawful,
        inbox,
        mailer,
        "rectification",
        message=f"I am {NAME}",
        details={"category": "user.name", "value": "Anna Sidorova"},
    )
    flows.act(lawful, mailer, request.id, actor="dpo", now=NOW)
    flows.complete(lawful, mailer, request.id, actor="dpo", now=NOW)
    with lawful.sessions() as session:
        bodies = " ".join(session.scalars(sa.select(AuditEvent.body)).all())
        notes = " ".join(session.scalars(sa.select(RequestEvent.note)).all())
        sealed = session.scalars(sa.select(Request.sealed)).all()
    # The test SMTP server's own log ("mail.log") is the recipient's side, not lawful's.
    logged = " ".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail."))
    for secret in (EMAIL, NAME, "Sidorova"):
        assert secret not in bodies and secret not in notes and secret not in logged
        assert all(secret.encode() not in blob for blob in sealed)
    assert audit.verify(lawful.engine).ok


def test_the_worker_warns_the_operator_once_per_point_before_a_deadline(lawful, mail):
    from lawful.jobs import JobContext
    from lawful.requests.jobs import reminders

    inbox, mailer = mail
    request = _submit(lawful, mailer, "access")
    context = JobContext(lawful.engine, lawful.sessions)
    policy = lawful.require_policy()

    def remind(at: datetime) -> int:
        return reminders(context=context, policy=policy, mailer=mailer, points=(48, 24, 4), now=at)

    assert remind(datetime(2026, 11, 10, 12, 0, tzinfo=UTC)) == 0  # a week before
    assert remind(datetime(2026, 11, 16, 12, 0, tzinfo=UTC)) == 1  # within 48 h
    assert remind(datetime(2026, 11, 16, 12, 15, tzinfo=UTC)) == 0  # already warned
    assert remind(datetime(2026, 11, 17, 18, 0, tzinfo=UTC)) == 1  # within 4 h
    warning = inbox.last_to(policy.operator.requests_email or "")
    assert request.id in inbox.body(warning) and EMAIL not in inbox.body(warning)


def test_closed_requests_and_old_acts_are_shredded_after_their_retention(lawful, mail):
    from lawful.jobs import JobContext
    from lawful.requests.jobs import purge

    inbox, mailer = mail
    _person(lawful)
    request = _verified(lawful, inbox, mailer, "erasure")
    flows.act(lawful, mailer, request.id, actor="dpo", now=NOW)
    flows.complete(lawful, mailer, request.id, actor="dpo", now=NOW)
    context = JobContext(lawful.engine, lawful.sessions)
    assert purge(
        context=context, policy=lawful.require_policy(), now=NOW + timedelta(days=400)
    ) == (0, 0)
    later = NOW + timedelta(days=4 * 365)
    assert purge(context=context, policy=lawful.require_policy(), now=later) == (1, 1)
    with lawful.sessions() as session:
        row = service.get(session, request.id)
        assert row.sealed == b"" and row.wrapped_key == b"" and row.response_sealed is None
        assert [e.action for e in service.timeline(session, request.id)][-1] == "answered"
        assert session.scalar(sa.select(sa.func.count()).select_from(DestructionAct)) == 0


def test_a_person_recorded_after_the_request_is_found_at_verification(lawful, mail):
    inbox, mailer = mail
    request = _submit(lawful, mailer, "access")
    _person(lawful)
    flows.verify(lawful, request.id, inbox.code_for(EMAIL), now=NOW + timedelta(minutes=1))
    outcome = flows.act(lawful, mailer, request.id, actor="dpo", now=NOW + timedelta(hours=1))
    assert outcome.done[0].key == "report_ready"
    with lawful.sessions() as session:
        assert service.get(session, request.id).subject_id is not None


def test_mail_the_server_refused_is_sent_later_by_the_worker(lawful, mail):
    from lawful.jobs import JobContext
    from lawful.jobs.models import Job
    from lawful.mail import NoMailer
    from lawful.requests import fulfil
    from lawful.requests.jobs import deliver_promised

    inbox, mailer = mail
    _person(lawful)
    request = _verified(lawful, inbox, mailer, "access")
    down = NoMailer()  # the SMTP server is down: the operator's actions still succeed
    flows.act(lawful, down, request.id, actor="dpo", now=NOW)
    flows.complete(lawful, down, request.id, actor="dpo", now=NOW)
    with lawful.sessions() as session:
        queued = [
            j.payload for j in session.scalars(sa.select(Job).where(Job.kind == "requests.mail"))
        ]
    assert [p["what"] for p in queued] == ["ready", "answer"]
    assert all(set(p) == {"request_id", "what"} for p in queued)  # ids only, no personal data
    context = JobContext(lawful.engine, lawful.sessions)

    def deliver(payload: dict[str, str]) -> bool:
        return deliver_promised(
            context=context,
            ring=lawful.ring,
            mailer=mailer,
            public_url="https://lawful.example",
            payload=payload,
            now=NOW,
        )

    assert deliver(queued[0])
    link = inbox.link_for(EMAIL)
    assert link.startswith("https://lawful.example/")
    with lawful.sessions.begin() as session:
        name, _data = fulfil.download(
            session=session, ring=lawful.ring, token=link.rsplit("/", 1)[1], now=NOW
        )
    assert name == "report.zip"
    assert not deliver(queued[0])  # downloaded: no new link is made
    assert deliver(queued[1])
    assert "Outcome: granted" in inbox.body(inbox.last_to(EMAIL))


def test_mail_sent_at_once_leaves_nothing_for_the_worker(lawful, mail):
    from lawful.jobs.models import Job

    inbox, mailer = mail
    request = _verified(lawful, inbox, mailer, "access")
    flows.act(lawful, mailer, request.id, actor="dpo", now=NOW)
    flows.complete(lawful, mailer, request.id, actor="dpo", now=NOW)
    with lawful.sessions() as session:
        assert (
            session.scalar(
                sa.select(sa.func.count()).select_from(Job).where(Job.kind == "requests.mail")
            )
            == 0
        )


def _act_with(lawful: Lawful, request_id: str, prepared: object) -> bytes:
    """Act with ``prepared`` and download what was stored."""
    from lawful.requests import fulfil

    now = NOW + timedelta(hours=1)
    with lawful.sessions.begin() as session:
        outcome = fulfil.act(
            session=session,
            ring=lawful.ring,
            policy=lawful.require_policy(),
            request_id=request_id,
            actor="dpo",
            now=now,
            prepared=prepared,  # type: ignore[arg-type]
        )
    assert outcome.download_token is not None
    with lawful.sessions.begin() as session:
        return fulfil.download(
            session=session, ring=lawful.ring, token=outcome.download_token, now=now
        )[1]


def _extracts(lawful: Lawful) -> int:
    """``extract`` events in the journal (the tests hold one person)."""
    with lawful.sessions() as session:
        return len(
            session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "extract")).all()
        )


def test_an_access_report_packed_before_the_write_is_the_one_handed_out(lawful, mail):
    from lawful.documents.service import reading
    from lawful.requests import fulfil

    inbox, mailer = mail
    subject_id = _person(lawful)
    request = _verified(lawful, inbox, mailer, "access")
    with reading(lawful.engine) as session:
        prepared = fulfil.prepare_report(
            session=session,
            ring=lawful.ring,
            policy=lawful.require_policy(),
            request_id=request.id,
            now=NOW + timedelta(hours=1),
            pdf=False,
        )
    assert prepared is not None and prepared.subject_id == subject_id
    assert _extracts(lawful) == 0  # reading journals nothing: nothing is handed out
    marked = fulfil.PreparedReport(prepared.subject_id, prepared.export, b"PK-prepared")
    assert _act_with(lawful, request.id, marked) == b"PK-prepared"
    assert _extracts(lawful) == 1  # journalled once, when it was handed out


def test_a_report_prepared_for_someone_else_is_built_again(lawful, mail):
    from lawful.requests import fulfil

    inbox, mailer = mail
    _person(lawful)
    request = _verified(lawful, inbox, mailer, "access")
    stale = fulfil.PreparedReport("another-subject", None, b"PK-stale")
    data = _act_with(lawful, request.id, stale)
    report = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("data.json"))
    assert {v["value"] for v in report["values"]} == {NAME, EMAIL}


@pytest.mark.parametrize("case", ["erasure", "unverified"])
def test_only_a_verified_report_request_is_prepared(lawful, mail, case):
    from lawful.documents.service import reading
    from lawful.requests import fulfil

    inbox, mailer = mail
    _person(lawful)
    if case == "erasure":
        request = _verified(lawful, inbox, mailer, "erasure")
    else:
        request = _submit(lawful, mailer, "access")
    with reading(lawful.engine) as session:
        prepared = fulfil.prepare_report(
            session=session,
            ring=lawful.ring,
            policy=lawful.require_policy(),
            request_id=request.id,
            now=NOW,
            pdf=False,
        )
    assert prepared is None
