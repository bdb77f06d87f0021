"""The worker's reminders: mail the operator at set points before a request's deadline.

Every quarter of an hour the worker looks for unmet deadlines that come within one of the
warning points (``LAWFUL_REQUEST_WARN_HOURS``, default 48, 24 and 4 hours) and mails the
operator's requests address once per deadline and point. The mail names the request, its kind
and the deadline — never the person.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lawful.config.models import Policy
from lawful.crypto.keyring import Keyring
from lawful.jobs import JobContext, Payload, PermanentJobError, default_registry
from lawful.mail import Mail, Mailer, mailer_from
from lawful.requests import outbox, service
from lawful.requests.models import Request
from lawful.settings import Settings

REMIND_JOB = "requests.remind"
PURGE_JOB = "requests.purge"
ACTOR = "lawful:requests"


def reminders(
    *, context: JobContext, policy: Policy, mailer: Mailer, points: tuple[int, ...], now: datetime
) -> int:
    """Send the reminders due now; return how many were sent."""
    to = policy.operator.requests_email or policy.operator.contacts.email
    if not to or not points:
        return 0
    with context.sessions.begin() as session:
        due = service.due_reminders(session=session, now=now, points=points, actor=ACTOR)
    for item in due:
        left = item.due_at - now
        mailer.send(
            Mail(
                to=to,
                subject=f"lawful: request {item.request_id[:8]} due in {_hours(left)} h",
                body=(
                    f"The {item.deadline} deadline of {item.kind} request {item.request_id} falls "
                    f"due at {item.due_at:%Y-%m-%d %H:%M} UTC ({item.source}).\n"
                    f"Open it with: lawful requests show {item.request_id}\n"
                ),
            )
        )
    return len(due)


def _hours(left: timedelta) -> int:
    return max(0, int(left.total_seconds() // 3600))


@default_registry.periodic(REMIND_JOB, every=timedelta(minutes=15))
def remind(payload: Payload, context: JobContext) -> None:
    # The worker is configured by the environment it runs in, like ``lawful worker`` itself.
    from lawful.config.loader import load_policy

    settings = Settings.from_env()
    if not settings.config_path.exists():
        return
    policy = load_policy(settings.config_path).policy
    sender = settings.mail_from or policy.operator.requests_email
    reminders(
        context=context,
        policy=policy,
        mailer=mailer_from(settings.smtp_url, sender),
        points=settings.request_warn_hours,
        now=datetime.now(UTC),
    )


def keep_period(policy: Policy) -> timedelta:
    """The retention of the policy's ``subject_requests`` purpose, else three years."""
    declared = policy.purposes.get("subject_requests")
    retention = declared.retention if declared else None
    if retention is not None and retention.years:
        return timedelta(days=365 * retention.years + retention.years // 4 + 1)
    if retention is not None and retention.days:
        return timedelta(days=retention.days)
    return service.DEFAULT_KEEP


def purge(*, context: JobContext, policy: Policy, now: datetime) -> tuple[int, int]:
    """Shred closed requests past their retention and delete expired destruction acts."""
    from lawful.destruction.service import purge_expired

    with context.sessions.begin() as session:
        requests = service.shred_closed(session=session, before=now - keep_period(policy))
        acts = purge_expired(session=session, now=now)
    return requests, acts


@default_registry.periodic(PURGE_JOB, every=timedelta(days=1))
def purge_daily(payload: Payload, context: JobContext) -> None:
    from lawful.config.loader import load_policy

    settings = Settings.from_env()
    if settings.config_path.exists():
        purge(
            context=context, policy=load_policy(settings.config_path).policy, now=datetime.now(UTC)
        )


def deliver_promised(
    *,
    context: JobContext,
    ring: Keyring,
    mailer: Mailer,
    public_url: str,
    payload: Payload,
    now: datetime,
) -> bool:
    """Send a mail the flow could not (see :mod:`lawful.requests.outbox`); False when nothing
    is left to send. A failing server raises ``MailError`` and the job is retried."""
    request_id, what = payload.get("request_id"), payload.get("what")
    if not isinstance(request_id, str) or what not in outbox.WHAT:
        raise PermanentJobError("payload needs request_id and what")
    with context.sessions.begin() as session:
        request = session.get(Request, request_id)
        mail = (
            None
            if request is None
            else outbox.compose(session, ring, request, str(what), public_url, now)
        )
    if mail is None:
        return False
    mailer.send(mail)
    return True


@default_registry.handler(outbox.MAIL_JOB)
def deliver(payload: Payload, context: JobContext) -> None:
    from lawful.crypto.keyfile import load_master_key
    from lawful.crypto.keyring import open_keyring

    settings = Settings.from_env()
    masters = load_master_key(settings.master_key_path, settings.master_key_b64)
    with context.sessions.begin() as session:
        ring = open_keyring(session, masters)
    sender = settings.mail_from
    if sender is None and settings.config_path.exists():
        from lawful.config.loader import load_policy

        sender = load_policy(settings.config_path).policy.operator.requests_email
    mailer = mailer_from(settings.smtp_url, sender)
    deliver_promised(
        context=context,
        ring=ring,
        mailer=mailer,
        public_url=settings.public_url,
        payload=payload,
        now=datetime.now(UTC),
    )
