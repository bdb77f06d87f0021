"""The draft notification of an incident to each authority, with the fields the law asks for.

152-FZ Art. 21(3.1): the incident, its presumed causes, the harm to the subjects' rights, the
measures taken and the operator's contact person (24 hours), then the investigation's results
and who caused it (72 hours). GDPR Art. 33(3) and Georgia's Law 3144 Art. 29: nature,
categories and approximate numbers of people and records, the DPO's contact, likely
consequences, measures, and (late) the reasons for the delay. Kazakhstan asks for the
responsible person's contacts; Vietnam's Form 03 for the same facts and reasons if late.
The draft is Markdown (then HTML or PDF); the operator completes and signs it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from lawful.config.models import Policy, localised
from lawful.documents.view import category_name
from lawful.incidents.models import Incident
from lawful.incidents.service import NoticeDeadline
from lawful.registers.output import config_version, render_markdown


def draft(
    policy: Policy,
    incident: Incident,
    owed: list[NoticeDeadline],
    *,
    language: str,
    now: datetime,
    jurisdiction: str | None = None,
) -> str:
    """The notification's Markdown for every authority owed one (or only ``jurisdiction``'s)."""
    chosen = [d for d in owed if jurisdiction in (None, d.jurisdiction)]
    op = policy.operator
    rows = [
        {
            "deadline": d,
            "state": d.state(now, incident.detected_at),
            "due": _local(d.due, op.timezone) if d.due else None,
        }
        for d in chosen
    ]
    return render_markdown(
        "lawful.incidents",
        "notification",
        language,
        operator_name=localised(op.legal_name, language) or next(iter(op.legal_name.values())),
        operator_address=localised(op.address, language) or next(iter(op.address.values())),
        registration=op.registration,
        contact=op.dpo,
        contacts=op.contacts,
        incident=incident,
        detected=_local(incident.detected_at, op.timezone),
        occurred=_local(incident.occurred_at, op.timezone) if incident.occurred_at else None,
        categories=[category_name(policy, key, language) for key in incident.categories],
        rows=rows,
        late=any(r["state"] == "overdue" for r in rows),
        investigation=any(d.rule == "breach_investigation_report" for d in chosen),
        version=config_version(policy),
        generated=_local(now, op.timezone),
    )


def _local(at: datetime, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")
