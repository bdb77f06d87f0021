"""What every admin page's template gets besides the shared context (:func:`page`): the
admin's names for lawful's codes (request kinds, states, deadlines, roles) in the page's
language — the English msgids here are translated by ``locales/<lang>/admin.po`` — and the
countdowns to deadlines.

They are passed in each admin page's context rather than registered as globals of the shared
Jinja environment, so that the portal's pages and names stay apart from the admin's."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_timedelta
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import pass_context

from lawful.config.models import Policy, localised
from lawful.documents.view import category_name
from lawful.web.pages.rendering import render

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
#: What the pipeline or a person calls a message (the request kinds above, and these).
LABELS = {
    **KINDS,
    "inquiry": "Inquiry",
    "complaint": "Complaint",
    "dismiss": "Dismiss: nothing to keep",
}
#: Why a message waits for a person.
HOLDS = {
    "person": "Needs a person",
    "special-category": "Special categories the policy does not declare",
    "malformed-mime": "Broken message structure",
    "html-bomb": "HTML too large to read",
    "too-large": "Too large to read",
}
#: What a detail a request kind needs is called on a form.
DETAIL_FIELDS = {
    "category": "Data category (its key in lawful.yaml)",
    "value": "Correct value",
    "full_name": "Full name",
    "contact": "Contact",
    "data": "Data to stop distributing",
}


def _namer(table: dict[str, str]) -> Any:
    @pass_context
    def name(context: Any, code: str | None) -> str:
        if code is None:
            return "—"
        return str(context["_"](table[code])) if code in table else code

    return name


def countdown(due: datetime | None, now: datetime, language: str) -> str:
    """``in 3 days`` / ``2 hours ago`` in the page's language; ``—`` without a deadline."""
    if due is None:
        return "—"
    return str(format_timedelta(due - now, threshold=1.5, add_direction=True, locale=language))


def urgency(due: datetime | None, now: datetime) -> str:
    """A CSS class: ``late`` once passed, ``soon`` within two days."""
    if due is None:
        return ""
    if due <= now:
        return "late"
    return "soon" if due - now <= timedelta(days=2) else ""


def purpose_name(policy: Policy | None, key: str | None, language: str) -> str:
    if policy is None or key is None or key not in policy.purposes:
        return key or "—"
    return localised(policy.purposes[key].name, language) or key


HELPERS: dict[str, Any] = {
    "kind_name": _namer(KINDS),
    "state_name": _namer(STATES),
    "deadline_name": _namer(DEADLINES),
    "role_name": _namer(ROLES),
    "incident_state": _namer(INCIDENT_STATES),
    "verification_name": _namer(VERIFICATIONS),
    "register_name": _namer(REGISTERS),
    "label_name": _namer(LABELS),
    "hold_name": _namer(HOLDS),
    "detail_name": _namer(DETAIL_FIELDS),
    "countdown": countdown,
    "urgency": urgency,
    "purpose_name": purpose_name,
    "category_name": category_name,
}


def page(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """Render an admin page: the shared :func:`render` with the admin's helpers."""
    return render(request, template, {**HELPERS, **(context or {})}, status=status)
