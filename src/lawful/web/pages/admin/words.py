"""The admin's names for lawful's codes (request kinds, states, deadlines, roles), in the
page's language: the English msgids here are translated by ``locales/<lang>/admin.po``."""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context

from lawful.web.pages.rendering import environment

KINDS = {
    "access": "Access",
    "rectification": "Rectification",
    "restriction": "Restriction (blocking)",
    "unblocking": "Unblocking",
    "erasure": "Erasure",
    "withdrawal": "Consent withdrawal",
    "objection": "Objection",
    "distribution_stop": "Stop of distribution",
    "transfer_info": "Transfer information",
    "portability": "Portability",
}
STATES = {
    "awaiting_verification": "Awaiting verification",
    "verified": "Verified",
    "in_progress": "In progress",
    "fulfilled": "Fulfilled",
    "completed": "Completed",
    "rejected": "Rejected",
}
DEADLINES = {"acknowledge": "Acknowledge", "block": "Block", "answer": "Answer"}
ROLES = {"admin": "Administrator", "dpo": "DPO", "staff": "Staff", "auditor": "Auditor"}
VERIFICATIONS = {
    "code": "Code sent by e-mail",
    "staff": "Checked by staff",
    "not_required": "Not required",
}
REGISTERS = {
    "ropa": "Record of processing activities",
    "rkn-processing": "Notification to Roskomnadzor about processing",
    "rkn-cross-border": "Notification to Roskomnadzor about cross-border transfer",
    "vn-dpia": "Processing impact assessment (Vietnam)",
    "vn-tia": "Cross-border transfer impact assessment (Vietnam)",
}
INCIDENT_STATES = {
    "sent": "Sent",
    "needs-decision": "Needs a decision",
    "overdue": "Overdue",
    "due-soon": "Due soon",
    "open": "Open",
}


def _namer(table: dict[str, str]) -> Any:
    @pass_context
    def name(context: Any, code: str | None) -> str:
        if code is None:
            return "—"
        return str(context["_"](table[code])) if code in table else code

    return name


environment.globals.update(
    kind_name=_namer(KINDS),
    state_name=_namer(STATES),
    deadline_name=_namer(DEADLINES),
    role_name=_namer(ROLES),
    incident_state=_namer(INCIDENT_STATES),
    verification_name=_namer(VERIFICATIONS),
    register_name=_namer(REGISTERS),
)
