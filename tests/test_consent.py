"""Consent: bound to the document shown, withdrawn at once, checked one by one or in bulk,
with receipts that validate. Every storage test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from lawful import jobs
from lawful.audit.models import AuditEvent
from lawful.config.loader import load_policy_text
from lawful.config.models import Policy
from lawful.consent import receipts, service
from lawful.consent.eligibility import blind_indexer
from lawful.consent.models import ConsentEvent, ConsentRecord
from lawful.crypto.envelope import blind_index
from lawful.crypto.normalise import normalise_identifier, plain_email
from lawful.documents import service as documents
from lawful.documents.models import DocumentRef
from lawful.errors import PolicyViolation
from lawful.jobs.models import Job
from lawful.subjects.models import PersonalValue
from lawful.subjects.service import create_subject, record, set_blocked

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EVIDENCE = service.Evidence(
    ip="203.0.113.77",
    user_agent="Mozilla/5.0 (Evidence-UA)",
    form_id="order-form",
    page_url="https://liniya-i-tsvet.example/brief?utm=evidence-page",
)
PORTFOLIO_TERMS = {
    "user.name": {"permitted": True, "conditions": "first name only"},
    "user.content.public": {"permitted": True, "prohibit_transfer": True},
    "user.content.self_image": {"permitted": False},
}


def template(name: str) -> Policy:
    text = files("lawful.config").joinpath("templates", f"{name}.yaml").read_text("utf-8")
    return load_policy_text(text, f"{name}.yaml").policy


@pytest.fixture(scope="module")
def policy() -> Policy:
    return template("ru-design-studio")


@dataclass
class Published:
    """The consent documents as published; ``ref(purpose)`` is what the person was shown."""

    refs: dict[str, DocumentRef]

    def ref(self, purpose: str, language: str = "ru") -> DocumentRef:
        return self.refs[f"consent-{purpose}/{language}"]


@pytest.fixture
def published(sessions, policy) -> Published:
    with sessions.begin() as session:
        documents.publish(session=session, policy=policy, now=NOW, actor="test")
        refs = {}
        for key, purpose in policy.purposes.items():
            for language in policy.operator.languages:
                if purpose.consent is not None:
                    kind = f"consent-{key}"
                    found = documents.current(session=session, kind=kind, language=language)
                    assert found is not None
                    refs[f"{kind}/{language}"] = found.ref
    return Published(refs)


@pytest.fixture
def person(sessions, ring) -> str:
    with sessions.begin() as session:
        return create_subject(
            session=session, ring=ring, identifiers={"email": "Anna.P@Example.ru"}, actor="t"
        )


def give(sessions, ring, policy, published, subject_id, purpose="newsletters", **kw):
    args = {
        "document": kw.pop("document", None) or published.ref(purpose),
        "method": "checkbox",
        "channel": "web_form",
        "evidence": EVIDENCE,
        "now": NOW,
        "actor": "test",
        **kw,
    }
    with sessions.begin() as session:
        return service.give(
            session=session,
            ring=ring,
            policy=policy,
            subject_id=subject_id,
            purpose=purpose,
            **args,
        )


def check(sessions, policy, subject_id, purpose="newsletters", now=NOW):
    with sessions() as session:
        return service.check(
            session=session, policy=policy, subject_id=subject_id, purpose=purpose, now=now
        )


def withdraw(sessions, policy, subject_id, purpose="newsletters", now=NOW):
    with sessions.begin() as session:
        return service.withdraw(
            session=session,
            policy=policy,
            subject_id=subject_id,
            purpose=purpose,
            channel="email",
            now=now,
            actor="test",
        )


# --- giving ---------------------------------------------------------------------------------


def test_a_given_consent_allows_its_purpose(sessions, ring, policy, published, person):
    assert check(sessions, policy, person).reason == "refused:no-consent"
    record_ = give(sessions, ring, policy, published, person)
    assert record_.state == "given"
    assert record_.text_hash == published.ref("newsletters").content_hash
    assert check(sessions, policy, person) == service.Eligibility(True, "allowed:consent")


def test_a_stale_document_version_is_refused(sessions, ring, policy, published, person):
    current = published.ref("newsletters")
    for stale in (
        DocumentRef(current.kind, current.language, current.version + 1, current.content_hash),
        DocumentRef(current.kind, current.language, current.version, "0" * 64),
    ):
        with pytest.raises(PolicyViolation) as refused:
            give(sessions, ring, policy, published, person, document=stale)
        assert refused.value.field == "consents.newsletters.document_version"
    assert check(sessions, policy, person).reason == "refused:no-consent"


def test_bundling_purposes_into_one_consent_is_refused(sessions, ring, policy, published, person):
    other = published.ref("site_analytics")
    with pytest.raises(PolicyViolation) as refused:
        give(sessions, ring, policy, published, person, document=other)
    assert refused.value.field == "consents.newsletters.document_kind"
    with pytest.raises(PolicyViolation) as bundled:
        give(
            sessions,
            ring,
            policy,
            published,
            person,
            purpose="newsletters,site_analytics",
            document=other,
        )
    assert bundled.value.field == "purpose"


@pytest.mark.parametrize("method", ["by_using_site", "in_user_agreement", "silence", "pre_ticked"])
def test_consent_is_never_inferred_in_russia(sessions, ring, policy, published, person, method):
    with pytest.raises(PolicyViolation) as refused:
        give(sessions, ring, policy, published, person, method=method)
    assert refused.value.field == "consents.newsletters.method"


def test_a_purpose_without_consent_cannot_be_consented_to(
    sessions, ring, policy, published, person
):
    with pytest.raises(PolicyViolation) as refused:
        give(
            sessions,
            ring,
            policy,
            published,
            person,
            purpose="order_details",
            document=published.ref("newsletters"),
        )
    assert refused.value.field == "consents.order_details"


def test_a_distribution_consent_needs_terms_for_every_category(
    sessions, ring, policy, published, person
):
    purpose = "portfolio_publication"
    with pytest.raises(PolicyViolation) as refused:
        give(sessions, ring, policy, published, person, purpose=purpose, method="signature")
    assert refused.value.field == "consents.portfolio_publication.distribution_terms"
    partial = {"user.name": PORTFOLIO_TERMS["user.name"]}
    with pytest.raises(PolicyViolation):
        give(
            sessions,
            ring,
            policy,
            published,
            person,
            purpose=purpose,
            method="signature",
            distribution_terms=partial,
        )
    given = give(
        sessions,
        ring,
        policy,
        published,
        person,
        purpose=purpose,
        method="signature",
        distribution_terms=PORTFOLIO_TERMS,
    )
    assert given.distribution_terms["user.content.self_image"]["permitted"] is False


# --- withdrawal -----------------------------------------------------------------------------


def _values(sessions, subject_id):
    with sessions() as session:
        return sorted(
            tuple(row)
            for row in session.execute(
                sa.select(PersonalValue.purpose, PersonalValue.category).where(
                    PersonalValue.subject_id == subject_id
                )
            )
        )


def test_withdrawal_refuses_at_once_and_destroys_only_that_purpose_later(
    engine, sessions, ring, policy, published, person
):
    give(sessions, ring, policy, published, person)
    with sessions.begin() as session:
        for purpose in ("newsletters", "order_details"):
            record(
                session=session,
                ring=ring,
                policy=policy,
                subject_id=person,
                purpose=purpose,
                values={"user.contact.email": "anna.p@example.ru"},
                actor="t",
                now=NOW,
            )
    withdrawn = withdraw(sessions, policy, person)
    assert [r.state for r in withdrawn] == ["withdrawn"]
    assert check(sessions, policy, person).reason == "refused:withdrawn"

    with sessions() as session:
        job = session.scalars(sa.select(Job).where(Job.kind == service.DESTROY_JOB)).one()
    assert job.payload == {"subject_id": person, "purpose": "newsletters"}
    assert job.run_at == NOW + timedelta(days=30)  # grace 30 days = 152-FZ Art. 21(5)

    import lawful.consent.jobs  # noqa: F401  (registers the handler)

    before = _values(sessions, person)
    jobs.run_once(engine, jobs.default_registry, now=NOW + timedelta(days=29))
    assert _values(sessions, person) == before  # not before the grace period ends
    jobs.run_once(engine, jobs.default_registry, now=NOW + timedelta(days=30))
    assert _values(sessions, person) == [("order_details", "user.contact.email")]


def test_the_destruction_job_spares_a_subject_who_consented_again(
    engine, sessions, ring, policy, published, person
):
    give(sessions, ring, policy, published, person)
    with sessions.begin() as session:
        record(
            session=session,
            ring=ring,
            policy=policy,
            subject_id=person,
            purpose="newsletters",
            values={"user.name": "Anna"},
            actor="t",
            now=NOW,
        )
    withdraw(sessions, policy, person)
    give(sessions, ring, policy, published, person, now=NOW + timedelta(days=1))
    import lawful.consent.jobs  # noqa: F401

    jobs.run_once(engine, jobs.default_registry, now=NOW + timedelta(days=31))
    assert _values(sessions, person) == [("newsletters", "user.name")]
    assert check(sessions, policy, person, now=NOW + timedelta(days=31)).allowed


def test_withdrawing_everything_leaves_the_user_agreement_alone(
    sessions, ring, policy, published, person
):
    give(sessions, ring, policy, published, person)
    give(sessions, ring, policy, published, person, purpose="site_analytics")
    withdrawn = withdraw(sessions, policy, person, purpose=None)
    assert sorted(r.purpose for r in withdrawn) == ["newsletters", "site_analytics"]
    assert withdraw(sessions, policy, person, purpose=None) == []


# --- expiry, renewal, other bases -------------------------------------------------------------


def test_a_consent_expires_at_the_end_of_its_term(sessions, ring, policy, published, person):
    given = _give_portfolio(sessions, ring, policy, published, person)
    assert given.expires_at == NOW.replace(year=2029)  # "3 years from signature"
    purpose = "portfolio_publication"
    assert check(sessions, policy, person, purpose, NOW.replace(year=2028)).allowed
    assert check(sessions, policy, person, purpose, NOW.replace(year=2029)).reason == (
        "refused:expired"
    )
    with sessions.begin() as session:
        assert service.expire_due(session=session, policy=policy, now=NOW.replace(year=2029)) == 1
        assert session.scalar(sa.select(sa.func.count()).select_from(Job)) == 1


def test_the_worker_expires_consents_every_hour_with_the_policy_it_was_given(
    engine, sessions, ring, policy, published, person
):
    import lawful.consent.jobs as consent_jobs
    from lawful.context import WorkerContext

    _give_portfolio(sessions, ring, policy, published, person)
    later = NOW.replace(year=2029)
    blind = WorkerContext(engine, sessions, policy=None, clock=lambda: later)
    jobs.run_once(engine, jobs.default_registry, now=later, context=blind)
    assert _state(sessions, "portfolio_publication") == "given"  # no policy: nothing decided
    knowing = WorkerContext(engine, sessions, policy=policy, clock=lambda: later)
    ran = jobs.run_once(
        engine, jobs.default_registry, now=later + timedelta(hours=1), context=knowing
    )
    assert ran >= 1
    assert _state(sessions, "portfolio_publication") == "expired"
    with sessions() as session:
        kinds = session.scalars(sa.select(Job.kind)).all()
    assert consent_jobs.EXPIRE_JOB in kinds and service.DESTROY_JOB in kinds


def _give_portfolio(sessions, ring, policy, published, person):
    return give(
        sessions,
        ring,
        policy,
        published,
        person,
        purpose="portfolio_publication",
        method="signature",
        distribution_terms=PORTFOLIO_TERMS,
    )


def _state(sessions, purpose):
    with sessions() as session:
        return session.scalar(
            sa.select(ConsentRecord.state).where(
                ConsentRecord.purpose == purpose, ConsentRecord.is_current.is_(True)
            )
        )


def test_a_material_change_needs_renewal(sessions, ring, policy, published, person):
    give(sessions, ring, policy, published, person)
    version = published.ref("newsletters").version
    with sessions.begin() as session:
        flagged = service.mark_renewal_needed(
            session=session,
            purpose="newsletters",
            before_version=version + 1,
            reason="new recipient",
        )
    assert flagged == 1
    assert check(sessions, policy, person).reason == "refused:renewal-needed"
    give(sessions, ring, policy, published, person)
    assert check(sessions, policy, person).allowed


def test_other_bases_are_allowed_unless_blocked_or_objected(sessions, ring, policy, person):
    assert check(sessions, policy, person, "order_details").reason == "allowed:contract"
    assert check(sessions, policy, "f" * 32, "order_details").reason == "refused:unknown-subject"
    with sessions.begin() as session:
        service.object_to(
            session=session,
            policy=policy,
            subject_id=person,
            purpose="newsletters",
            channel="gpc",
            now=NOW,
            actor="t",
        )
    assert check(sessions, policy, person).reason == "refused:no-consent"
    with sessions.begin() as session:
        set_blocked(session=session, subject_id=person, blocked=True, actor="t", reason="request")
    assert check(sessions, policy, person, "order_details").reason == "refused:blocked"


def test_an_objection_refuses_a_legitimate_interest_purpose(sessions, ring, person):
    kz = template("kz-messaging-saas")
    purpose = next(k for k, p in kz.purposes.items() if p.legal_basis == "legitimate_interest")
    assert check(sessions, kz, person, purpose).reason == "allowed:legitimate_interest"
    with sessions.begin() as session:
        service.object_to(
            session=session,
            policy=kz,
            subject_id=person,
            purpose=purpose,
            channel="gpc",
            now=NOW,
            actor="t",
        )
    assert check(sessions, kz, person, purpose).reason == "refused:objection"


# --- bulk -------------------------------------------------------------------------------------


def test_bulk_check_agrees_with_the_single_check(sessions, ring, policy, published, monkeypatch):
    from lawful.consent import eligibility

    monkeypatch.setattr(eligibility, "_EMAIL_CHUNK", 3)  # several chunks come back in order
    people = {}
    with sessions.begin() as session:
        for name in ("given", "withdrawn", "silent", "blocked", "юникод"):
            people[name] = create_subject(
                session=session, ring=ring, identifiers={"email": f"{name}@example.ru"}, actor="t"
            )
    for name in ("given", "withdrawn", "blocked", "юникод"):
        give(sessions, ring, policy, published, people[name])
    withdraw(sessions, policy, people["withdrawn"])
    with sessions.begin() as session:
        set_blocked(
            session=session, subject_id=people["blocked"], blocked=True, actor="t", reason="r"
        )
    listed = [
        " GIVEN@example.ru",
        "withdrawn@EXAMPLE.ru",
        "silent@example.ru",
        "blocked@example.ru",
        "stranger@example.ru",
        "not an address",
        "strànger@example.ru",
        '"quoted"@example.ru',
        "ЮНИКОД@example.ru",  # non-ASCII: the slow path finds the subject by its blind index
    ]
    expected = [
        check(sessions, policy, people[n]) for n in ("given", "withdrawn", "silent", "blocked")
    ]
    expected += [
        service.Eligibility(False, "refused:unknown-subject"),
        service.Eligibility(False, "refused:invalid-identifier"),
        service.Eligibility(False, "refused:unknown-subject"),
        service.Eligibility(False, "refused:invalid-identifier"),
        service.Eligibility(True, "allowed:consent"),
    ]
    # A short list looks digests up; a long one loads the index, and may answer in workers.
    for chunk, workers in ((1000, 0), (2, 0), (2, 2)):
        with sessions() as session:
            from lawful.consent.eligibility import check_identifiers

            answers = list(
                check_identifiers(
                    session=session,
                    ring=ring,
                    policy=policy,
                    identifiers=listed,
                    purpose="newsletters",
                    now=NOW,
                    chunk=chunk,
                    workers=workers,
                )
            )
        assert [a for _, a in answers] == expected
        assert [i for i, _ in answers] == listed


ADDRESSES = [
    "anna.p@example.ru",
    "Anna.P@Example.RU",
    "  x@y.co  ",
    "o'brien+tag@mail.example.ie",
    "a!#$%&'*+/=?^_`{|}~-b@ex.com",
    "first.last@sub.domain.example.org",
    "UPPER@CASE.COM",
    "a@xn--80ak6aa92e.com",
    "ab--cd@ab--cd.com",
    "user@localhost",
    "user@host.local",
    "user@site.test",
    "user@onion.onion",
    "a@b.c",
    "a@b.c0",
    "a@1.2.3.4",
    "a..b@example.com",
    ".a@example.com",
    "a.@example.com",
    "a@-example.com",
    "a@example-.com",
    "a@example",
    '"quoted"@example.com',
    "üser@example.com",
    "user@bücher.de",
    "user@[127.0.0.1]",
    "x" * 64 + "@example.com",
    "x" * 65 + "@example.com",
    "a@" + "b" * 63 + ".com",
    "a@" + "b" * 64 + ".com",
    "a@" + ".".join(["abcdefghi"] * 25) + ".com",
    "",
    "@",
    "a@",
    "@example.com",
    "a b@example.com",
    "a@exa mple.com",
    "ß@example.com",
    "K@example.com",
]


def _reference(address: str) -> str | None:
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized.casefold()
    except EmailNotValidError:
        return None


@pytest.mark.parametrize("address", ADDRESSES)
def test_fast_email_normalisation_agrees_with_normalise_identifier(address):
    fast = plain_email(address)
    if fast is not None:  # the fast path answers only where the validator would agree
        assert fast == _reference(address)
    expected = _reference(address)
    if expected is None:
        with pytest.raises(PolicyViolation):
            normalise_identifier("email", address)
    else:
        assert normalise_identifier("email", address) == expected


def test_the_bulk_blind_index_is_the_blind_index():
    key = bytes(range(32))
    index = blind_indexer(key, "email")
    for value in ("anna.p@example.ru", "x@y.co", "ünïcode@example.com"):
        assert index(value) == blind_index(key, "email", value)


# --- evidence, history, receipts ----------------------------------------------------------------


def test_evidence_is_sealed_and_the_form_id_is_clear(
    engine, sessions, ring, policy, published, person
):
    given = give(sessions, ring, policy, published, person)
    with sessions() as session:
        stored = session.get(ConsentRecord, given.id)
        assert service.open_evidence(session=session, ring=ring, record=stored) == EVIDENCE
    if engine.dialect.name == "sqlite":
        engine.dispose()  # checkpoints the WAL into the file
        raw = Path(str(engine.url.database)).read_bytes()
        for secret in ("203.0.113.77", "Evidence-UA", "evidence-page"):
            assert secret.encode() not in raw
        assert b"order-form" in raw


def test_every_change_is_a_consent_event_and_an_audit_event_without_personal_data(
    sessions, ring, policy, published, person
):
    given = give(sessions, ring, policy, published, person)
    withdraw(sessions, policy, person)
    with sessions() as session:
        events = session.scalars(
            sa.select(ConsentEvent)
            .where(ConsentEvent.consent_id == given.id)
            .order_by(ConsentEvent.id)
        ).all()
        bodies = session.scalars(
            sa.select(AuditEvent.body)
            .where(AuditEvent.action.like("consent_%"))
            .order_by(AuditEvent.seq)
        ).all()
    assert [(e.previous_state, e.state) for e in events] == [
        (None, "given"),
        ("given", "withdrawn"),
    ]
    assert [json.loads(b)["action"] for b in bodies] == ["consent_give", "consent_withdraw"]
    assert json.loads(bodies[1])["dpv_broader"] == "https://w3id.org/dpv#ConsentWithdrawn"
    for body in bodies:
        assert "203.0.113.77" not in body and "anna" not in body.lower()


@pytest.mark.parametrize("fmt", ["kantara", "jsonld"])
@pytest.mark.parametrize("purpose", ["newsletters", "portfolio_publication"])
def test_receipts_validate_against_the_shipped_schemas(
    sessions, ring, policy, published, person, fmt, purpose
):
    terms = PORTFOLIO_TERMS if purpose == "portfolio_publication" else None
    given = give(
        sessions,
        ring,
        policy,
        published,
        person,
        purpose=purpose,
        method="signature",
        distribution_terms=terms,
    )
    build = receipts.kantara_receipt if fmt == "kantara" else receipts.dpv_jsonld
    document = build(given, policy)
    jsonschema.Draft7Validator.check_schema(receipts.schema(fmt))
    jsonschema.validate(document, receipts.schema(fmt))
    text = json.dumps(document)
    assert person in text and "203.0.113.77" not in text
    if fmt == "jsonld":
        assert document["dpv:hasConsentStatus"]["@type"] == "dpv:ConsentGiven"
        assert document["@context"]["dpv"] == "https://w3id.org/dpv#"
    else:
        assert document["version"] == "KI-CR-v1.1.0"
        assert document["consentTimestamp"] == int(NOW.timestamp())


def test_withdrawal_destruction_follows_retention_and_the_law(policy):
    assert service.destruction_due(policy, policy.purposes["newsletters"], NOW) == (
        NOW + timedelta(days=30)
    )
    assert service.destruction_due(policy, policy.purposes["portfolio_publication"], NOW) == NOW
