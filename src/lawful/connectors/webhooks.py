"""Systems calling back: Kommo's ``delete_contact`` webhook confirms a deletion a person made.

Kommo signs nothing: the webhook URL carries a secret (``webhook_secret_env``), compared in
constant time; the body is form-encoded with PHP bracket keys (``contacts[delete][0][id]=11``).
Only ids are read — the body may also carry the contact's fields, which are ignored.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import parse_qsl

from sqlalchemy.orm import Session

from lawful.config.models import Policy
from lawful.connectors.orchestration import confirm_deleted
from lawful.errors import NotFound, Unauthorized
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
