"""The incident register over HTTP.

* ``POST /api/v1/incidents``: register an incident (detection time, nature, categories, number
  of people affected, measures); answers it with its deadlines.
* ``GET /api/v1/incidents``: open incidents with their deadlines and countdowns.
* ``GET /api/v1/incidents/{id}``: one incident.
* ``POST /api/v1/incidents/{id}/notices``: record that a notice went to an authority.
* ``POST /api/v1/incidents/{id}/close``: stop watching its deadlines (with the reason).
* ``GET /api/v1/incidents/{id}/notification?format=md|html|pdf&language=…``: the draft.

Bad input is an RFC 9457 problem naming the field; nothing is stored then.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, Field

from lawful.config.models import Policy
from lawful.incidents import notify, service
from lawful.incidents.models import Incident
from lawful.registers.output import in_format
from lawful.web.routes import LawfulDep

router = APIRouter(prefix="/incidents", tags=["incidents"])

ACTOR = "api"
Text = Annotated[str, Field(min_length=1, max_length=service.TEXT_LIMIT)]
MEDIA = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8"}


class IncidentIn(BaseModel):
    detected_at: AwareDatetime
    nature: Text
    categories: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(min_length=1)
    subjects_affected: int = Field(ge=0)
    measures: Text
    causes: Text | None = None
    consequences: Text | None = None
    records_affected: int | None = Field(default=None, ge=0)
    occurred_at: AwareDatetime | None = None


class DeadlineOut(BaseModel):
    jurisdiction: str
    rule: str
    recipient: str
    source: str
    due: datetime | None
    state: str = Field(examples=["open", "due-soon", "overdue", "sent", "needs-decision"])
    countdown: str
    needs_decision: str | None
    sent_at: datetime | None


class IncidentOut(BaseModel):
    id: str
    detected_at: datetime
    registered_at: datetime
    nature: str
    causes: str | None
    consequences: str | None
    measures: str
    categories: list[str]
    subjects_affected: int
    records_affected: int | None
    occurred_at: datetime | None
    deadlines: list[DeadlineOut]


class CloseIn(BaseModel):
    reason: Text


class NoticeIn(BaseModel):
    jurisdiction: str = Field(min_length=2, max_length=8)
    rule: str = Field(min_length=1, max_length=64)
    sent_at: AwareDatetime


def _out(policy: Policy, incident: Incident, owed: list[service.NoticeDeadline]) -> IncidentOut:
    now = datetime.now(UTC)
    return IncidentOut(
        id=incident.id,
        detected_at=incident.detected_at,
        registered_at=incident.registered_at,
        nature=incident.nature,
        causes=incident.causes,
        consequences=incident.consequences,
        measures=incident.measures,
        categories=incident.categories,
        subjects_affected=incident.subjects_affected,
        records_affected=incident.records_affected,
        occurred_at=incident.occurred_at,
        deadlines=[
            DeadlineOut(
                jurisdiction=d.jurisdiction,
                rule=d.rule,
                recipient=d.recipient,
                source=d.source,
                due=d.due,
                state=d.state(now, incident.detected_at),
                countdown=d.countdown(now),
                needs_decision=d.needs_decision,
                sent_at=d.sent_at,
            )
            for d in owed
        ],
    )


@router.post("", response_model=IncidentOut, status_code=201)
def register(body: IncidentIn, lawful: LawfulDep) -> IncidentOut:
    """Enter an incident in the register; its notice deadlines start at ``detected_at``."""
    policy = lawful.require_policy()
    with lawful.sessions.begin() as session:
        incident = service.register(
            session=session,
            policy=policy,
            incident=service.NewIncident(**body.model_dump()),
            actor=ACTOR,
            now=datetime.now(UTC),
        )
        return _out(policy, incident, service.deadlines_of(session, policy, incident))


@router.get("", response_model=list[IncidentOut])
def list_open(lawful: LawfulDep) -> list[IncidentOut]:
    """Open incidents, earliest detected first, with their countdowns."""
    policy = lawful.require_policy()
    with lawful.sessions() as session:
        return [
            _out(policy, i, service.deadlines_of(session, policy, i))
            for i in service.open_incidents(session)
        ]


@router.get("/{incident_id}", response_model=IncidentOut)
def show(incident_id: str, lawful: LawfulDep) -> IncidentOut:
    policy = lawful.require_policy()
    with lawful.sessions() as session:
        incident = service.get(session, incident_id)
        return _out(policy, incident, service.deadlines_of(session, policy, incident))


@router.post("/{incident_id}/notices", response_model=IncidentOut)
def record_notice(incident_id: str, body: NoticeIn, lawful: LawfulDep) -> IncidentOut:
    """Record that the notice under ``jurisdiction``/``rule`` was sent."""
    policy = lawful.require_policy()
    with lawful.sessions.begin() as session:
        service.record_notice(
            session=session,
            policy=policy,
            incident_id=incident_id,
            actor=ACTOR,
            **body.model_dump(),
        )
        incident = service.get(session, incident_id)
        return _out(policy, incident, service.deadlines_of(session, policy, incident))


@router.post("/{incident_id}/close", status_code=204)
def close(incident_id: str, body: CloseIn, lawful: LawfulDep) -> Response:
    """Close the incident (handled, or no notice due): its deadlines are no longer watched."""
    with lawful.sessions.begin() as session:
        service.close(
            session=session,
            incident_id=incident_id,
            reason=body.reason,
            actor=ACTOR,
            now=datetime.now(UTC),
        )
    return Response(status_code=204)


@router.get("/{incident_id}/notification")
def notification(
    incident_id: str,
    lawful: LawfulDep,
    format: Literal["md", "html", "pdf"] = "md",  # noqa: A002 (the query parameter's name)
    language: Annotated[str | None, Query(min_length=2, max_length=8)] = None,
    jurisdiction: Annotated[str | None, Query(min_length=2, max_length=8)] = None,
) -> Response:
    """The draft notification to the authorities, to complete and sign."""
    policy = lawful.require_policy()
    chosen = language or policy.operator.languages[0]
    with lawful.sessions() as session:
        incident = service.get(session, incident_id)
        owed = service.deadlines_of(session, policy, incident)
    markdown = notify.draft(
        policy, incident, owed, language=chosen, now=datetime.now(UTC), jurisdiction=jurisdiction
    )
    media = MEDIA.get(format, "application/pdf")
    return Response(in_format(markdown, format, chosen), media_type=media)
