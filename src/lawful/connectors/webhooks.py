"""Systems calling back: Kommo's ``delete_contact`` webhook confirms a deletion a person made;
an operator's service reports an asynchronous action done (:mod:`lawful.connectors.webhook`).

Kommo signs nothing: the webhook URL carries a secret (``webhook_secret_env``), compared in
constant time; the body is form-encoded with PHP bracket keys (``contacts[delete][0][id]=11``).
Only ids are read — the body may also carry the contact's fields, which are ignored.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import parse_qsl

from sqlalchemy.orm import Session

from lawful.config.models import Policy
from lawful.connectors.orchestration import add_counts, confirm_deleted
from lawful.connectors.webhook import counts_of, verify
from lawful.errors import NotFound, PolicyViolation, Unauthorized
from lawful.settings import env_secret

DELETED_KEY = re.compile(r"contacts\[delete\]\[\d+\]\[id\]")
WEBHOOK_PERSON = "Kommo delete_contact webhook"


def kommo_deleted(
    *,
    session: Session,
    policy: Policy,
    connector: str,
    secret: str,
    body: bytes,
    env: Mapping[str, str],
    now: datetime,
) -> int:
    """Strike the deleted contacts from the connector's open runs; return the runs finished."""
    declared = policy.connectors.get(connector)
    name = getattr(declared, "webhook_secret_env", None)
    if declared is None or declared.type != "kommo" or not name:
        raise NotFound("no such webhook", field="connector")
    expected = env_secret(name, env) or ""
    if not expected or not hmac.compare_digest(secret.encode(), expected.encode()):
        raise Unauthorized("the webhook secret is wrong", field="secret")
    pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    ids = [value for key, value in pairs if DELETED_KEY.fullmatch(key)]
    finished = confirm_deleted(
        session=session, connector=connector, refs=ids, person=WEBHOOK_PERSON, now=now
    )
    return len(finished)


SERVICE_PERSON = "the service's signed callback"


def service_callback(
    *,
    session: Session,
    policy: Policy,
    connector: str,
    ref: str,
    body: bytes,
    timestamp: str,
    signature: str,
    env: Mapping[str, str],
    now: datetime,
) -> int:
    """A webhook connector's service reports call ``ref`` done: verify the signature, add its
    counts and close the run that waits for it; return the runs finished."""
    declared = policy.connectors.get(connector)
    if declared is None or declared.type != "webhook":
        raise NotFound("no such connector callback", field="connector")
    key = env_secret(declared.secret_env, env) or ""
    if not key or not verify(key, timestamp, body, signature, now.timestamp()):
        raise Unauthorized("the callback's signature is wrong or stale", field="signature")
    try:
        answer = json.loads(body)
    except ValueError:
        raise PolicyViolation("the callback's body is not JSON", field="body") from None
    if not isinstance(answer, dict) or answer.get("status") != "done":
        raise PolicyViolation('the callback must say {"status": "done"}', field="status")
    finished = confirm_deleted(
        session=session, connector=connector, refs=[ref], person=SERVICE_PERSON, now=now
    )
    for run in finished:
        add_counts(run, counts_of(answer))
    return len(finished)
