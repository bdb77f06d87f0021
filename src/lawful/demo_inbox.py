"""The demo operator's mailbox: a few letters such as an operator receives in its first week —
an erasure request, a marketing opt-out, an ordinary question, a correction that needs a
person, and a letter naming a health condition the policy does not declare — put through the
same intake pipeline as real mail, so the admin's dashboard, requests and Messages pages have
something to show. The senders are invented (``example.org``)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from lawful.context import Lawful
from lawful.intake import flows, service
from lawful.mail import NoMailer

ACTOR = "demo"

#: (sender, subject, body, hours before now) per language of the letters.
LETTERS: dict[str, list[tuple[str, str, str, int]]] = {
    "ru": [
        (
            "i.smirnov@example.org",
            "Удаление данных",
            "Здравствуйте! Прошу удалить все мои персональные данные из вашей базы.\nИван Смирнов",
            50,
        ),
        (
            "o.volkova@example.org",
            "Рассылка",
            "Отпишите меня, пожалуйста, от рассылки. Спасибо.",
            30,
        ),
        (
            "a.kozlov@example.org",
            "Вопрос по проекту",
            "Добрый день! Когда будет готов макет по нашему заказу?",
            20,
        ),
        (
            "e.orlova@example.org",
            "Ошибка в фамилии",
            "В ваших документах моя фамилия написана с ошибкой. Исправьте, пожалуйста: "
            "правильно Орлова.",
            8,
        ),
        (
            "n.petrov@example.org",
            "Удалите справку",
            "Прошу удалить мои данные. У меня диагноз диабет, и справка о болезни, которую я "
            "присылал, не должна у вас храниться.",
            3,
        ),
    ],
    "en": [
        (
            "j.miller@example.org",
            "Delete my data",
            "Hello, please delete all my personal data from your systems.\nJohn Miller",
            50,
        ),
        (
            "s.brown@example.org",
            "Newsletter",
            "Please unsubscribe me from your newsletter. Thanks.",
            30,
        ),
        (
            "d.nguyen@example.org",
            "Project question",
            "Hi! When will the proposal for our project be ready?",
            20,
        ),
        (
            "l.tran@example.org",
            "Wrong surname",
            "My surname is misspelt in your records. Please correct it: it is Tran, not Tram.",
            8,
        ),
        (
            "m.pham@example.org",
            "Remove my certificate",
            "Please delete my data. I have diabetes, and the medical certificate I sent you "
            "should not be kept.",
            3,
        ),
    ],
}


def letters_for(language: str) -> list[tuple[str, str, str, int]]:
    return LETTERS.get(language, LETTERS["en"])


def seed_inbox(lawful: Lawful, *, now: datetime) -> Counter[str]:
    """Receive and process the demo letters in the operator's first language; the states
    reached. Codes are not mailed (a demo has no mail server): the requests wait for it."""
    policy = lawful.require_policy()
    to = policy.operator.requests_email or "privacy@example.org"
    states: Counter[str] = Counter()
    for sender, subject, body, hours in letters_for(policy.operator.languages[0]):
        at = now - timedelta(hours=hours)  # each processed as it arrives: its clock runs
        letter = EmailMessage()
        letter["From"], letter["To"], letter["Subject"] = sender, to, subject
        letter["Date"] = format_datetime(at)
        letter.set_content(body)
        with lawful.sessions.begin() as session:
            service.receive(
                session=session, ring=lawful.ring, raw=letter.as_bytes(), actor=ACTOR, now=at
            )
        states += flows.process_pending(lawful, NoMailer(), actor=ACTOR, now=at, names=False)
    return states
