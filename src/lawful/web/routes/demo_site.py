"""``/demo``: a page of the operator's website with a contact form turned lawful by
``/widget.js`` — served only by ``lawful demo``, so a first-time user can submit a form and
watch the consent, the values and the audit events appear."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from lawful.demo import DemoForm, demo_form, operator_name
from lawful.web.routes import LawfulDep

router = APIRouter(include_in_schema=False)


@router.get("/demo", response_class=HTMLResponse)
def demo_page(lawful: LawfulDep) -> HTMLResponse:
    policy = lawful.require_policy()
    return HTMLResponse(render_page(operator_name(policy), demo_form(policy)))


def render_page(operator: str, form: DemoForm) -> str:
    """The page: no inline script or style, so the API's strict CSP applies unchanged."""
    inputs = "\n".join(_input(category, kind, label) for category, kind, label in form.inputs)
    purposes = escape(",".join(form.purposes))
    return f"""<!doctype html>
<html lang="{escape(form.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Contact — {escape(operator)}</title>
<link rel="stylesheet" href="/documents/style.css">
<script src="/widget.js" defer></script>
</head>
<body>
<main>
<h1>{escape(operator)}</h1>
<p>A demo page of the operator's website. The form below is plain HTML; lawful's widget adds
the consent boxes and the links to the published documents, and posts to
<code>/api/v1/submissions</code>. <a href="/documents">Published documents</a>.</p>
<form data-lawful-form="{escape(form.form_id)}" data-lawful-purposes="{purposes}"
      data-lawful-lang="{escape(form.language)}">
{inputs}
<p><button type="submit">Send</button></p>
</form>
</main>
</body>
</html>
"""


def _input(category: str, kind: str, label: str) -> str:
    name = escape(category.rsplit(".", 1)[-1])
    field = (
        f'<textarea id="{name}" name="{name}" rows="4" data-lawful-category="{escape(category)}">'
        "</textarea>"
        if kind == "textarea"
        else f'<input id="{name}" name="{name}" type="{kind}" required '
        f'data-lawful-category="{escape(category)}">'
    )
    return f'<p><label for="{name}">{escape(label)}</label><br>{field}</p>'
