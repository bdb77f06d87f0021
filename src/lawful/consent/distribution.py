"""The register of conditions set by people whose data is made public (152-FZ Art. 10.1(9)).

The law gives the operator 3 working days from receipt of a distribution consent to publish
the conditions and prohibitions that person set. lawful publishes them by construction: the
register is read from the current consent records, so a consent appears in it the moment it
is recorded (its publication time is its recording time, always inside the deadline), and
leaves it the moment it is withdrawn, expires or a demand to stop distribution ends it.

Entries name the consent record (a random id), never the person; the terms are the person's
own choices per category, which the law requires to be public.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lawful.config.models import Policy
from lawful.consent.eligibility import effective_state
from lawful.consent.models import ConsentRecord


@dataclass(frozen=True)
class Published:
    """One person's terms for one distribution purpose, as published."""

    reference: str
    purpose: str
    published_at: datetime
    terms: dict[str, dict[str, Any]]


def register(*, session: Session, policy: Policy, now: datetime) -> list[Published]:
    """Every distribution consent in force at ``now``, oldest first."""
    purposes = [key for key, p in policy.purposes.items() if p.is_distribution]
    if not purposes:
        return []
    query = (
        sa.select(
            ConsentRecord.id,
            ConsentRecord.purpose,
            ConsentRecord.given_at,
            ConsentRecord.distribution_terms,
        )
        .where(
            ConsentRecord.purpose.in_(purposes),
            ConsentRecord.is_current.is_(True),
            effective_state(now) == "given",
        )
        .order_by(ConsentRecord.given_at, ConsentRecord.id)
    )
    return [
        Published(str(ref), str(purpose), given_at, dict(terms or {}))
        for ref, purpose, given_at, terms in session.execute(query)
    ]


_LABELS = {
    "en": {
        "title": "Conditions set by people for their data made public",
        "intro": "Each row is one person's distribution consent (named by its record number, "
        "never by the person): what they permit per category of data, and the conditions "
        "and prohibitions they set (152-FZ Art. 10.1(9)). A consent appears here when it is "
        "recorded and leaves when it is withdrawn or distribution is stopped.",
        "columns": "| Consent record | Published | Data | Permitted | No transfer to others "
        "| No processing by others | Conditions |",
        "yes": "yes",
        "no": "no",
        "none": "No distribution consent is in force.",
    },
    "ru": {
        "title": "Условия и запреты, установленные субъектами для распространяемых данных",
        "intro": "Каждая строка — согласие одного человека на распространение (указан номер "
        "записи согласия, а не человек): что он разрешает по каждой категории данных и какие "
        "условия и запреты установил (ч. 9 ст. 10.1 152-ФЗ). Согласие появляется здесь в "
        "момент его получения и исчезает при отзыве или прекращении распространения.",
        "columns": "| Запись согласия | Опубликовано | Данные | Разрешено | Запрет передачи "
        "| Запрет обработки | Условия |",
        "yes": "да",
        "no": "нет",
        "none": "Действующих согласий на распространение нет.",
    },
}


def register_markdown(entries: list[Published], policy: Policy, language: str) -> str:
    """The register as Markdown in ``language`` (English when it has no labels)."""
    words = _LABELS.get(language, _LABELS["en"])
    names = policy.operator.legal_name
    operator = names.get(language) or next(iter(names.values()))
    lines = [f"# {words['title']}: {operator}", "", words["intro"], ""]
    if not entries:
        return "\n".join([*lines, words["none"], ""])
    lines += [words["columns"], "|---|---|---|---|---|---|---|"]
    for entry in entries:
        for category, terms in sorted(entry.terms.items()):
            lines.append(_row(entry, category, terms, words, language))
    return "\n".join([*lines, ""])


def _row(
    entry: Published, category: str, terms: dict[str, Any], words: dict[str, str], language: str
) -> str:
    def yes_no(flag: object) -> str:
        return words["yes"] if flag else words["no"]

    conditions = terms.get("conditions") or {}
    text = conditions.get(language) or next(iter(conditions.values()), "") or words["no"]
    cells = [
        entry.reference,
        entry.published_at.strftime("%Y-%m-%d %H:%M UTC"),
        f"{entry.purpose}: {category}",
        yes_no(terms.get("permitted", True)),
        yes_no(terms.get("prohibit_transfer")),
        yes_no(terms.get("prohibit_processing")),
        _cell(str(text)),
    ]
    return "| " + " | ".join(cells) + " |"


def _cell(text: str) -> str:
    """A person's free text as one table cell: no pipes or line breaks to break the table."""
    return " ".join(text.replace("|", "/").split())
