"""One typed settings object, made by a factory and passed in — never read at import time.

Every setting comes from an environment variable; secrets may instead be read from a file
named by ``<NAME>_FILE`` (the Docker/Kubernetes secrets convention).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

#: name -> help. A test checks that each one is documented in README.md.
SETTINGS_HELP: dict[str, str] = {
    "LAWFUL_DATA_DIR": "folder of the SQLite file, master key and exports (default ./lawful-data)",
    "LAWFUL_CONFIG": "path of lawful.yaml (default ./lawful.yaml, else <data dir>/lawful.yaml)",
    "LAWFUL_DATABASE_URL": "SQLAlchemy URL; default sqlite:///<data dir>/lawful.db",
    "LAWFUL_MASTER_KEY": "base64 master key (32 bytes); overrides the key file",
    "LAWFUL_MASTER_KEY_FILE": "path of the master key file (default <data dir>/master.key)",
    "LAWFUL_PDF_FONT": "Unicode .ttf for PDF output (default DejaVu Sans, fonts-dejavu-core)",
    "LAWFUL_ERASURE_LEDGER": "file of the erasure ledger, kept apart from the database so that a "
    "restored backup cannot bring erased people back (default <data dir>/erasure-ledger.db)",
    "LAWFUL_SMTP_URL": "outgoing mail server: smtp://[user:password@]host[:port] (STARTTLS: "
    "smtp+starttls://, TLS: smtps://); unset: mail is refused",
    "LAWFUL_MAIL_FROM": "sender address of lawful's mail (default: the policy's requests_email)",
    "LAWFUL_PUBLIC_URL": "base URL people reach the API at, for links in mail "
    "(default http://127.0.0.1:8000)",
    "LAWFUL_OPERATOR_TOKEN": "bearer token of the operator's request API (/api/v1/operator/...); "
    "unset: that API answers 401",
    "LAWFUL_REQUEST_RATE_LIMIT": "public requests allowed per IP and per identifier per hour "
    "(default 10)",
    "LAWFUL_REQUEST_WARN_HOURS": "hours before a request's deadline at which the worker mails "
    "the operator (default 48,24,4)",
    "LAWFUL_TELEGRAM_BOT_TOKEN": "Telegram bot token, for replies through sendMessage",
    "LAWFUL_TELEGRAM_WEBHOOK_SECRET": "secret_token given to setWebhook; Telegram sends it in "
    "X-Telegram-Bot-Api-Secret-Token (unset: the Telegram webhook answers 401)",
    "LAWFUL_TELEGRAM_API_URL": "Telegram Bot API base URL (default https://api.telegram.org)",
    "LAWFUL_WHATSAPP_APP_SECRET": "Meta app secret that signs WhatsApp webhooks "
    "(X-Hub-Signature-256; unset: the WhatsApp webhook answers 401)",
    "LAWFUL_WHATSAPP_VERIFY_TOKEN": "verify token of the WhatsApp webhook handshake",
    "LAWFUL_WHATSAPP_ACCESS_TOKEN": "WhatsApp Cloud API access token, for replies",
    "LAWFUL_WHATSAPP_PHONE_NUMBER_ID": "WhatsApp Cloud API phone number id replies are sent from",
    "LAWFUL_WHATSAPP_API_URL": "WhatsApp Cloud API base URL "
    "(default https://graph.facebook.com/v21.0)",
    "LAWFUL_KOMMO_CHAT_SECRET": "secret path segment of the Kommo chat-message webhook "
    "(/channels/kommo/<secret>; unset: that webhook answers 401)",
    "LAWFUL_WEBCHAT_SECRET": "key that signs web chat visitor tokens (unset: the web chat "
    "answers 401)",
    "LAWFUL_IMAP_URL": "mailbox the worker polls for inbound mail: "
    "imaps://user:password@host[:port][/mailbox] (also imap://, imap+starttls://); unset: none",
    "LAWFUL_SMTP_LISTEN": "host:port where `lawful worker` receives inbound mail by SMTP "
    "(e.g. 0.0.0.0:2525); unset: no SMTP receiver",
    "LAWFUL_SMS_URL": "SMS gateway (a generic webhook) that texts one-time codes to phones: "
    "each message is an HTTP POST of LAWFUL_SMS_BODY; unset: phone requests are not taken",
    "LAWFUL_SMS_BODY": "JSON body of each SMS POST, its strings holding {to} (E.164) and {text} "
    '(default {"to": "{to}", "text": "{text}"})',
    "LAWFUL_SMS_TOKEN": "bearer token sent to the SMS gateway (Authorization header), if any",
}


def env_secret(name: str, env: Mapping[str, str]) -> str | None:
    """Read ``name`` from the environment, or from the file named by ``name_FILE``."""
    if value := env.get(name):
        return value
    if path := env.get(f"{name}_FILE"):
        return Path(path).read_text(encoding="utf-8").strip()
    return None


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    config_path: Path
    database_url: str
    master_key_b64: str | None
    master_key_path: Path
    #: None: ``<data dir>/erasure-ledger.db`` (see :attr:`ledger_path`).
    erasure_ledger: Path | None = None

    @property
    def ledger_path(self) -> Path:
        return self.erasure_ledger or self.data_dir / "erasure-ledger.db"

    smtp_url: str | None = None
    mail_from: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    operator_token: str | None = None
    request_rate_limit: int = 10
    request_warn_hours: tuple[int, ...] = (48, 24, 4)
    messengers: MessengerSettings = field(default_factory=lambda: MessengerSettings())
    imap_url: str | None = None
    smtp_listen: str | None = None
    sms_url: str | None = None
    sms_body: str | None = None
    sms_token: str | None = None

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, data_dir: Path | None = None
    ) -> Settings:
        env = os.environ if env is None else env
        root = data_dir or Path(env.get("LAWFUL_DATA_DIR", "lawful-data"))
        config = env.get("LAWFUL_CONFIG")
        if config is None:
            config = "lawful.yaml" if Path("lawful.yaml").exists() else str(root / "lawful.yaml")
        return cls(
            data_dir=root,
            config_path=Path(config),
            database_url=env_secret("LAWFUL_DATABASE_URL", env)
            or f"sqlite:///{root / 'lawful.db'}",
            # Not env_secret: LAWFUL_MASTER_KEY_FILE already names the key file itself.
            master_key_b64=env.get("LAWFUL_MASTER_KEY") or None,
            master_key_path=Path(env.get("LAWFUL_MASTER_KEY_FILE", str(root / "master.key"))),
            erasure_ledger=Path(env["LAWFUL_ERASURE_LEDGER"])
            if env.get("LAWFUL_ERASURE_LEDGER")
            else None,
            smtp_url=env_secret("LAWFUL_SMTP_URL", env),
            mail_from=env.get("LAWFUL_MAIL_FROM") or None,
            public_url=env.get("LAWFUL_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
            operator_token=env_secret("LAWFUL_OPERATOR_TOKEN", env),
            request_rate_limit=int(env.get("LAWFUL_REQUEST_RATE_LIMIT", "10")),
            request_warn_hours=tuple(
                int(h) for h in env.get("LAWFUL_REQUEST_WARN_HOURS", "48,24,4").split(",") if h
            ),
            sms_url=env_secret("LAWFUL_SMS_URL", env),
            sms_body=env.get("LAWFUL_SMS_BODY") or None,
            sms_token=env_secret("LAWFUL_SMS_TOKEN", env),
            imap_url=env_secret("LAWFUL_IMAP_URL", env),
            smtp_listen=env.get("LAWFUL_SMTP_LISTEN") or None,
            messengers=MessengerSettings.from_env(env),
        )


@dataclass(frozen=True)
class MessengerSettings:
    """Secrets and API addresses of the messenger channels (:mod:`lawful.intake.messengers`).
    A channel whose secret is unset refuses every webhook call (401)."""

    telegram_bot_token: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    whatsapp_app_secret: str | None = None
    whatsapp_verify_token: str | None = None
    whatsapp_access_token: str | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_api_url: str = "https://graph.facebook.com/v21.0"
    kommo_chat_secret: str | None = None
    webchat_secret: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MessengerSettings:
        return cls(
            telegram_bot_token=env_secret("LAWFUL_TELEGRAM_BOT_TOKEN", env),
            telegram_webhook_secret=env_secret("LAWFUL_TELEGRAM_WEBHOOK_SECRET", env),
            telegram_api_url=env.get("LAWFUL_TELEGRAM_API_URL", cls.telegram_api_url).rstrip("/"),
            whatsapp_app_secret=env_secret("LAWFUL_WHATSAPP_APP_SECRET", env),
            whatsapp_verify_token=env_secret("LAWFUL_WHATSAPP_VERIFY_TOKEN", env),
            whatsapp_access_token=env_secret("LAWFUL_WHATSAPP_ACCESS_TOKEN", env),
            whatsapp_phone_number_id=env.get("LAWFUL_WHATSAPP_PHONE_NUMBER_ID") or None,
            whatsapp_api_url=env.get("LAWFUL_WHATSAPP_API_URL", cls.whatsapp_api_url).rstrip("/"),
            kommo_chat_secret=env_secret("LAWFUL_KOMMO_CHAT_SECRET", env),
            webchat_secret=env_secret("LAWFUL_WEBCHAT_SECRET", env),
        )
