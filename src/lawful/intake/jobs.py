"""The worker's intake: every minute, poll the channels that are read by pulling (the IMAP
mailbox of ``LAWFUL_IMAP_URL``) and process every message waiting — those the SMTP receiver
stored too. The analysers are built once per process and policy file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from lawful.context import Lawful
from lawful.intake import flows, service
from lawful.jobs import JobContext, Payload, default_registry
from lawful.mail import mailer_from
from lawful.settings import Settings

POLL_JOB = "intake.poll"
ACTOR = "lawful:intake"
_tools: dict[tuple[Path, float], service.Tools] = {}


@default_registry.periodic(POLL_JOB, every=timedelta(minutes=1))
def poll(payload: Payload, context: JobContext) -> None:
    from lawful.config.loader import load_policy
    from lawful.crypto.keyfile import load_master_key
    from lawful.crypto.keyring import open_keyring

    settings = Settings.from_env()
    if not settings.config_path.exists():
        return
    policy = load_policy(settings.config_path).policy
    masters = load_master_key(settings.master_key_path, settings.master_key_b64)
    with context.sessions.begin() as session:
        ring = open_keyring(session, masters)
    lawful = Lawful(settings, context.engine, context.sessions, ring, policy)
    key = (settings.config_path, settings.config_path.stat().st_mtime)
    if key not in _tools:
        _tools.clear()
        _tools[key] = service.Tools.for_policy(policy)
    sender = settings.mail_from or policy.operator.requests_email
    flows.poll_channels(
        lawful,
        mailer_from(settings.smtp_url, sender),
        actor=ACTOR,
        now=datetime.now(UTC),
        tools=_tools[key],
    )
