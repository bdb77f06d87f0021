"""The consent widget: ``GET /widget.js`` and the configuration it reads.

An operator turns an existing HTML form into a lawful one with two attributes and a script
tag (see ``static/widget.js``). The script asks ``GET /api/v1/widget/config?language=..`` what
the form may collect: the declared purposes with their localised names and legal bases, the
current consent text of each consent-based purpose (version, hash, URL — what the consent
record will cite), and the privacy policy and user agreement to link. Everything here comes
from lawful.yaml and the published documents; nothing personal is read or returned.

The operator's site is usually another origin than lawful, so :func:`install` also answers
CORS for the few routes the widget calls — and only for the operator's own website
(``operator.website`` in lawful.yaml). No credentials are ever allowed: the widget sends none.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from lawful.config.models import Policy, Purpose, localised
from lawful.documents import service as documents
from lawful.documents.models import DocumentVersion
from lawful.documents.render import CONSENT_PREFIX, PRIVACY_POLICY, USER_AGREEMENT
from lawful.web.routes import LawfulDep

router = APIRouter(tags=["widget"])

SCRIPT_MEDIA_TYPE = "application/javascript; charset=utf-8"
#: Operators include the script without a version in its URL, so a fix must reach them soon.
SCRIPT_CACHE = "public, max-age=3600"
CONFIG_CACHE = "no-cache"

#: Consents that may never be made a condition of the service: promotion (152-FZ Art. 15(1),
#: 38-FZ "On Advertising" Art. 18) and distribution to the public (Art. 10.1) are asked for
#: separately with a box the person may leave empty (Art. 9(1) as amended by 156-FZ). The
#: other kinds are the purpose's own basis: without them the form cannot serve the purpose.
OPTIONAL_CONSENT_KINDS = frozenset({"marketing", "distribution"})

#: Paths the widget calls from the operator's page: the only ones that answer CORS.
CORS_PATHS = ("/api/v1/submissions", "/api/v1/documents", "/api/v1/widget/config")

#: The widget's own words, per language; a language without its own falls back to English.
TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "legend": "Your consent",
        "required": "required",
        "consent_text": "consent text",
        "info": "Without a separate consent we also process the data you enter for:",
        "policy": "How we process personal data:",
        "policy_link": "privacy policy",
        "agreement": "I accept the user agreement",
        "missing": "Please tick the required consent:",
        "sending": "Sending…",
        "sent": "Thank you, your form has been sent.",
        "invalid": "Please correct the marked fields.",
        "failed": "The form could not be sent. Please try again.",
        "unavailable": "The form is not available right now. Please try again later.",
        # Per-field refusals by their code (problem+json ``errors[].code``).
        "error.invalid-email": "This is not a valid e-mail address.",
        "error.invalid-phone": "This is not a valid phone number.",
        "error.identifier-required": "Please give an e-mail or a phone number.",
        "error.field-not-used": "This field is not needed for what you ticked.",
        "error.consent-required": "Please tick or untick this consent.",
        "error.document-not-current": "The consent text has changed: please reload the page.",
    },
    "ru": {
        "legend": "Ваше согласие",
        "required": "обязательно",
        "consent_text": "текст согласия",
        "info": "Без отдельного согласия введённые данные также обрабатываются для целей:",
        "policy": "Как мы обрабатываем персональные данные:",
        "policy_link": "политика обработки персональных данных",
        "agreement": "Я принимаю пользовательское соглашение",
        "missing": "Отметьте обязательное согласие:",
        "sending": "Отправляем…",
        "sent": "Спасибо, форма отправлена.",
        "invalid": "Исправьте отмеченные поля.",
        "failed": "Не удалось отправить форму. Попробуйте ещё раз.",
        "unavailable": "Форма сейчас недоступна. Попробуйте позже.",
        "error.invalid-email": "Неверный адрес электронной почты.",
        "error.invalid-phone": "Неверный номер телефона.",
        "error.identifier-required": "Укажите адрес электронной почты или телефон.",
        "error.field-not-used": "Это поле не нужно для отмеченных целей.",
        "error.consent-required": "Отметьте или снимите отметку этого согласия.",
        "error.document-not-current": "Текст согласия изменился: обновите страницу.",
    },
}


class DocumentLink(BaseModel):
    """The exact version a form shows: its consent record cites version and hash."""

    kind: str
    version: int
    content_hash: str
    url: str = Field(description="path of this very version, relative to lawful's address")


class ConsentAsked(BaseModel):
    kind: str
    obtained_by: str
    required: bool = Field(
        description="the form cannot be sent without it; marketing and distribution consents "
        "never are (the operator may still require one in a form that exists for it)"
    )
    document: DocumentLink


class PurposeOut(BaseModel):
    key: str
    name: str
    legal_basis: str
    categories: list[str]
    consent: ConsentAsked | None = Field(description="null: no consent is asked for")


class WidgetConfig(BaseModel):
    language: str = Field(description="the language chosen for the texts and the submission")
    languages: list[str]
    purposes: list[PurposeOut]
    privacy_policy: DocumentLink
    user_agreement: DocumentLink | None
    texts: dict[str, str]


# --- routes --------------------------------------------------------------------------------


@router.get("/widget.js", include_in_schema=False)
def widget_script(request: Request) -> Response:
    """The widget: plain JavaScript, no build step, cached for an hour and revalidated."""
    return script_response(request, "widget.js")


def script_response(request: Request, name: str) -> Response:
    """One of lawful's scripts in ``static/``, cached for an hour and revalidated by ETag."""
    body, etag = _script(name)
    headers = {"Cache-Control": SCRIPT_CACHE, "ETag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=SCRIPT_MEDIA_TYPE, headers=headers)


@router.get("/api/v1/widget/config", response_model=WidgetConfig)
def widget_config(
    lawful: LawfulDep,
    response: Response,
    language: Annotated[str | None, Query(max_length=35)] = None,
) -> WidgetConfig:
    """What a form may collect in `language` (a page's language such as `ru-RU` is matched
    to a published one; anything else gets the operator's first language)."""
    policy = lawful.require_policy()
    chosen = choose_language(policy, language)
    with documents.reading(lawful.engine) as session:
        config = WidgetConfig(
            language=chosen,
            languages=list(policy.operator.languages),
            purposes=[_purpose(session, p, chosen) for p in policy.purposes.values()],
            privacy_policy=_current(session, PRIVACY_POLICY, chosen),
            user_agreement=_published(session, USER_AGREEMENT, chosen),
            texts=TEXTS.get(chosen, TEXTS["en"]),
        )
    # Documents change on publication: a browser may keep the answer but must revalidate.
    response.headers["Cache-Control"] = CONFIG_CACHE
    return config


def install(app: FastAPI) -> None:
    """Serve the widget and answer CORS for the operator's website on the widget's routes.

    Call it after the other middleware so that CORS is the outermost layer: the body-limit
    and last-resort answers then carry CORS headers too and the widget can read them."""
    app.include_router(router)
    lawful = app.state.lawful
    origin = website_origin(lawful.policy) if lawful.policy is not None else None
    if origin is not None:
        app.add_middleware(WidgetCORS, origin=origin)


# --- the answer ----------------------------------------------------------------------------


def choose_language(policy: Policy, requested: str | None) -> str:
    """``requested`` if published, else its primary subtag (``ru-RU`` -> ``ru``), else the
    operator's first language."""
    languages = policy.operator.languages
    if requested:
        wanted = requested.strip().replace("_", "-").lower()
        for candidate in (wanted, wanted.split("-", 1)[0]):
            if candidate in languages:
                return candidate
    return languages[0]


def _purpose(session: Session, purpose: Purpose, language: str) -> PurposeOut:
    asked = None
    if purpose.consent is not None:
        asked = ConsentAsked(
            kind=purpose.consent.kind,
            obtained_by=purpose.consent.obtained_by,
            required=purpose.consent.kind not in OPTIONAL_CONSENT_KINDS,
            document=_current(session, f"{CONSENT_PREFIX}{purpose.key}", language),
        )
    return PurposeOut(
        key=purpose.key,
        name=localised(purpose.name, language) or purpose.key,
        legal_basis=purpose.legal_basis,
        categories=list(purpose.categories),
        consent=asked,
    )


def _current(session: Session, kind: str, language: str) -> DocumentLink:
    """A form may not collect before its documents are published: NotFound (404) says so."""
    return _link(documents.require_current(session=session, kind=kind, language=language))


def _published(session: Session, kind: str, language: str) -> DocumentLink | None:
    row = documents.current(session=session, kind=kind, language=language)
    return _link(row) if row is not None else None


def _link(row: DocumentVersion) -> DocumentLink:
    return DocumentLink(
        kind=row.kind, version=row.version, content_hash=row.content_hash, url=row.ref.path
    )


@cache
def _script(name: str) -> tuple[bytes, str]:
    body = resources.files("lawful.web").joinpath(f"static/{name}").read_bytes()
    return body, f'"{hashlib.sha256(body).hexdigest()[:32]}"'


# --- CORS ----------------------------------------------------------------------------------


def website_origin(policy: Policy) -> str | None:
    """``https://example.ru/path/`` -> ``https://example.ru``; None if unset or not a URL."""
    website = policy.operator.website
    if not website:
        return None
    parts = urlsplit(website.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"


class WidgetCORS:
    """Starlette's CORS answer for :data:`CORS_PATHS` only; every other route stays
    same-origin (the operator's console and the audit journal are never read cross-site)."""

    def __init__(self, app: ASGIApp, origin: str) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=[origin],
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Idempotency-Key"],
            expose_headers=["Idempotent-Replayed"],
            allow_credentials=False,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _widget_path(scope["path"]):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _widget_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in CORS_PATHS)
