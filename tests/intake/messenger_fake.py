"""A local Telegram Bot API and WhatsApp Cloud API with their documented shapes
(shared/research/integrations.md §2-3): ``/bot<token>/sendMessage`` answering
``{"ok": true, "result": Message}`` or ``{"ok": false, "error_code", "description"}``, and
``/v21.0/<phone_number_id>/messages`` with a Bearer check answering
``{"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id"}]}`` or the
Graph error ``{"error": {"message", "type", "code", "fbtrace_id"}}``."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from lawful.context import Lawful
from lawful.intake import service
from lawful.settings import MessengerSettings
from lawful.web.app import create_app
from tests.conftest import open_template
from tests.local_server import serving

BOT_TOKEN = "123456:fake-bot-token"
WA_TOKEN = "fake-whatsapp-access-token"
WA_NUMBER_ID = "106540352242922"


@dataclass
class Messengers:
    telegram: list[dict[str, Any]] = field(default_factory=list)
    whatsapp: list[dict[str, Any]] = field(default_factory=list)
    #: Statuses to answer the next calls with, before serving normally (e.g. [500]).
    fail_next: list[int] = field(default_factory=list)


def make_app(state: Messengers) -> FastAPI:
    app = FastAPI()

    @app.post("/bot{token}/sendMessage")
    async def send_message(token: str, request: Request) -> JSONResponse:
        if state.fail_next:
            status = state.fail_next.pop(0)
            return JSONResponse(
                {"ok": False, "error_code": status, "description": "Internal Server Error"},
                status_code=status,
            )
        if token != BOT_TOKEN:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
        body = await request.json()
        state.telegram.append(body)
        chat = {"id": int(body["chat_id"]), "type": "private"}
        message = {"message_id": len(state.telegram), "chat": chat, "date": 0, "text": body["text"]}
        return JSONResponse({"ok": True, "result": message})

    @app.post("/v21.0/{number_id}/messages")
    async def wa_messages(number_id: str, request: Request) -> JSONResponse:
        if state.fail_next:
            status = state.fail_next.pop(0)
            error = {"message": "error", "type": "OAuthException", "code": 1, "fbtrace_id": "x"}
            return JSONResponse({"error": error}, status_code=status)
        if (
            request.headers.get("authorization") != f"Bearer {WA_TOKEN}"
            or number_id != WA_NUMBER_ID
        ):
            error = {
                "message": "Invalid OAuth",
                "type": "OAuthException",
                "code": 190,
                "fbtrace_id": "y",
            }
            return JSONResponse({"error": error}, status_code=401)
        body = await request.json()
        state.whatsapp.append(body)
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": f"wamid.{len(state.whatsapp)}"}],
            }
        )

    return app


@contextmanager
def messenger_apis() -> Iterator[tuple[Messengers, str]]:
    """The fake's state and its base URL while the block runs."""
    state = Messengers()
    with serving(make_app(state)) as url:
        yield state, url


TG_SECRET = "tg-webhook-secret_1"
WA_APP_SECRET = "wa-app-secret"
WA_VERIFY = "wa-verify-token"
KOMMO_SECRET = "kommo-chat-secret-path-0123456789"
WEBCHAT_SECRET = "web-chat-signing-key"


def channel_settings(api_url: str) -> MessengerSettings:
    """Every messenger configured, the APIs at the local fake."""
    return MessengerSettings(
        telegram_bot_token=BOT_TOKEN,
        telegram_webhook_secret=TG_SECRET,
        telegram_api_url=api_url,
        whatsapp_app_secret=WA_APP_SECRET,
        whatsapp_verify_token=WA_VERIFY,
        whatsapp_access_token=WA_TOKEN,
        whatsapp_phone_number_id=WA_NUMBER_ID,
        whatsapp_api_url=f"{api_url}/v21.0",
        kommo_chat_secret=KOMMO_SECRET,
        webchat_secret=WEBCHAT_SECRET,
    )


def open_messaging(tmp_path: Path, database_url: str, api_url: str) -> Lawful:
    """The kz-messaging-saas operator (Telegram, WhatsApp and web chat channels) with every
    messenger configured against the fake."""
    lawful = open_template(tmp_path, database_url, "kz-messaging-saas")
    lawful.settings = replace(lawful.settings, messengers=channel_settings(api_url))
    return lawful


def client_for(lawful: Lawful) -> TestClient:
    """The API over ``lawful``, with name recognition off (it takes seconds to load)."""
    app = create_app(lawful)
    app.state.intake_tools = service.Tools.for_policy(lawful.require_policy(), names=False)
    return TestClient(app)


def telegram_update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    sender = {"id": user_id, "is_bot": False, "first_name": "Асель", "language_code": "ru"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id * 10,
            "from": sender,
            "chat": {"id": user_id, "type": "private", "first_name": "Асель"},
            "date": 1_790_000_000,
            "text": text,
        },
    }


def whatsapp_event(*messages: tuple[str, str, str]) -> dict[str, Any]:
    """An event with (wa_id, message id, text) messages and one delivery status."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "77000000000", "phone_number_id": WA_NUMBER_ID},
        "contacts": [{"profile": {"name": "Dana"}, "wa_id": wa} for wa, _, _ in messages],
        "messages": [
            {"from": wa, "id": mid, "timestamp": "1790000000", "type": "text", "text": {"body": t}}
            for wa, mid, t in messages
        ],
        "statuses": [
            {"id": "wamid.out", "status": "delivered", "timestamp": "1", "recipient_id": "1"}
        ],
    }
    change = {"field": "messages", "value": value}
    return {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [change]}]}


def wa_signature(body: bytes, secret: str = WA_APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
