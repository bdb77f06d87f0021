"""The response document every request ends with, and the mails around it.

Texts carry the request's reference, dates, the outcome and its reasons — never the person's
data: what was found is in the one-time report, not in mail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lawful.config.models import Policy, localised
from lawful.mail import Mail
from lawful.requests.models import Request
from lawful.sms import Sms

OUTCOMES = {
    "en": {"granted": "granted", "partly_granted": "partly granted", "refused": "refused"},
    "ru": {
        "granted": "удовлетворён",
        "partly_granted": "удовлетворён частично",
        "refused": "отклонён",
    },
}
TEXT = {
    "en": {
        "title": "Answer to your request",
        "ref": "Reference",
        "kind": "Request",
        "received": "Received",
        "outcome": "Outcome",
        "reasons": "Reasons",
        "done": "What we did",
        "appeal": "You may appeal to the supervisory authority or to a court.",
        "code_subject": "Your request: confirmation code",
        "code_body": "We received a request about personal data sent with this address "
        "(reference {ref}). To confirm it is yours, enter this code within 15 minutes: {code}\n"
        "If you did not make this request, ignore this message.",
        "extended_subject": "Your request: more time is needed",
        "extended_body": "We need more time to answer your request {ref}, as the law allows. "
        "Reason: {reason}. New date: {due}.",
        "ready_subject": "Your request: your data are ready",
        "ready_body": "Download your data once, within 7 days: {url}",
        "answer_subject": "Your request: our answer",
        "code_sms": "{code} is your code to confirm request {ref} about personal data "
        "(15 minutes). Not yours? Ignore this message.",
    },
    "ru": {
        "title": "Ответ на ваше обращение",
        "ref": "Номер",
        "kind": "Обращение",
        "received": "Получено",
        "outcome": "Результат",
        "reasons": "Основания",
        "done": "Что сделано",
        "appeal": "Вы вправе обжаловать ответ в Роскомнадзор или в суд.",
        "code_subject": "Ваше обращение: код подтверждения",
        "code_body": "Мы получили обращение о персональных данных с этого адреса "
        "(номер {ref}). Чтобы подтвердить, что оно ваше, введите код в течение 15 минут: "
        "{code}\nЕсли вы не обращались, проигнорируйте это письмо.",
        "extended_subject": "Ваше обращение: срок продлён",
        "extended_body": "Срок ответа на обращение {ref} продлён, как допускает закон. "
        "Причина: {reason}. Новый срок: {due}.",
        "ready_subject": "Ваше обращение: данные готовы",
        "ready_body": "Скачайте данные один раз в течение 7 дней: {url}",
        "answer_subject": "Ваше обращение: ответ",
        "code_sms": "{code} — код подтверждения обращения {ref} о персональных данных "
        "(15 минут). Не обращались? Проигнорируйте.",
    },
}


#: What the answer says was done, or why not, in each language.
PHRASES = {
    "en": {
        "report_ready": "the report on your data was prepared for a one-time download",
        "no_data": "we process no personal data of yours",
        "rectified": "{count} value(s) of {category} rectified",
        "blocked": "processing of your data is blocked (only storage continues)",
        "unblocked": "processing of your data is unblocked",
        "destroyed_all": "all your data were destroyed; destruction act No. {act}",
        "destroyed_some": "destroyed the data held for: {purposes}",
        "kept": "data held for {purpose} are kept: required by {source}",
        "kept_hold": "data held for {purpose} are kept under a legal hold: {reason}",
        "kept_placed": "data held for {purpose} are kept under a legal hold",
        "withdrawn": "consent withdrawn for: {purposes}",
        "none_in_force": "no consent of yours was in force",
        "legal_reason": "{reason}",
        "waiting_connectors": "waiting for our other systems: {systems}",
        "destroyed_elsewhere": "your data in our other systems were destroyed; "
        "destruction act No. {act}",
    },
    "ru": {
        "report_ready": "сведения о ваших данных подготовлены для однократного скачивания",
        "no_data": "мы не обрабатываем ваших персональных данных",
        "rectified": "уточнено значений категории {category}: {count}",
        "blocked": "обработка ваших данных заблокирована (продолжается только хранение)",
        "unblocked": "обработка ваших данных разблокирована",
        "destroyed_all": "все ваши данные уничтожены; акт об уничтожении № {act}",
        "destroyed_some": "уничтожены данные для целей: {purposes}",
        "kept": "данные для цели {purpose} сохранены: этого требует {source}",
        "kept_hold": "данные для цели {purpose} сохранены в связи с запретом на уничтожение: "
        "{reason}",
        "kept_placed": "данные для цели {purpose} сохранены в связи с запретом на уничтожение",
        "withdrawn": "согласие отозвано для целей: {purposes}",
        "none_in_force": "действующих согласий не было",
        "legal_reason": "{reason}",
        "waiting_connectors": "ожидаем наши другие системы: {systems}",
        "destroyed_elsewhere": "ваши данные в других наших системах уничтожены; "
        "акт об уничтожении № {act}",
    },
}


@dataclass(frozen=True)
class Said:
    """One statement of the answer, rendered in the request's language."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)

    def text(self, language: str = "en") -> str:
        return PHRASES.get(language, PHRASES["en"])[self.key].format(**self.values)


def answer_markdown(
    policy: Policy, request: Request, reasons: list[Said], done: list[Said], now: datetime
) -> str:
    t, outcome = TEXT[request.language], request.outcome or "refused"
    lines = [
        f"# {t['title']}",
        "",
        f"{localised(policy.operator.legal_name, request.language) or ''}, {now:%Y-%m-%d}",
        "",
        f"- {t['ref']}: {request.id}",
        f"- {t['kind']}: {request.kind}",
        f"- {t['received']}: {request.received_at:%Y-%m-%d %H:%M} UTC",
        f"- {t['outcome']}: {OUTCOMES[request.language][outcome]}",
        "",
    ]
    if done:
        lines += [f"## {t['done']}", "", *[f"- {d.text(request.language)}" for d in done], ""]
    if reasons:
        lines += [f"## {t['reasons']}", "", *[f"- {r.text(request.language)}" for r in reasons], ""]
    return "\n".join([*lines, t["appeal"], ""])


def sms(to: str, request: Request, code: str) -> Sms:
    """The one-time code as a text message, in the request's language."""
    return Sms(to=to, text=TEXT[request.language]["code_sms"].format(ref=request.id, code=code))


def mail(to: str, request: Request, kind: str, body: str | None = None, **values: str) -> Mail:
    """One of the request's mails, in its language."""
    t = TEXT[request.language]
    text = body if body is not None else t[f"{kind}_body"].format(ref=request.id, **values)
    return Mail(to=to, subject=t[f"{kind}_subject"], body=text)
