"""The act as a document: Markdown (the source), HTML and PDF, in Russian or English."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence

from lawful.destruction.models import DestroyedSubject, DestructionAct
from lawful.documents.html import STYLESHEET, to_html
from lawful.documents.pdf import markdown_to_pdf
from lawful.documents.sections import Section, Shared

LABELS = {
    "en": {
        "title": "Act of destruction of personal data No.",
        "operator": "Operator (name, address)",
        "processor": "Processor (name, address)",
        "destroyed_by": "Destroyed by (name, position)",
        "categories": "Categories of personal data",
        "system": "Information system",
        "method": "Method of destruction",
        "reason": "Reason",
        "date": "Date of destruction",
        "keep": "Kept until",
        "subjects": "Subjects (identifier: categories)",
        "log": "Extract from the event log",
        "basis": "Drawn up under RKN Order No. 179 of 28.10.2022.",
        "none": "none",
    },
    "ru": {
        "title": "Акт об уничтожении персональных данных №",
        "operator": "Оператор (наименование, адрес)",
        "processor": "Лицо, осуществляющее обработку по поручению (наименование, адрес)",
        "destroyed_by": "Уничтожил (ФИО, должность)",
        "categories": "Категории персональных данных",
        "system": "Информационная система",
        "method": "Способ уничтожения",
        "reason": "Причина уничтожения",
        "date": "Дата уничтожения",
        "keep": "Хранится до",
        "subjects": "Субъекты (идентификатор: категории)",
        "log": "Выгрузка из журнала регистрации событий",
        "basis": "Составлен в соответствии с Приказом Роскомнадзора № 179 от 28.10.2022.",
        "none": "нет",
    },
}


def act_markdown(act: DestructionAct, subjects: list[DestroyedSubject], language: str) -> str:
    t = LABELS.get(language, LABELS["en"])
    rows = [
        (t["operator"], act.operator),
        (t["processor"], act.processor or t["none"]),
        (t["destroyed_by"], f"{act.destroyed_by}, {act.position}"),
        (t["categories"], act.categories or t["none"]),
        (t["system"], act.information_system),
        (t["method"], act.method),
        (t["reason"], act.reason),
        (t["date"], act.destroyed_at.strftime("%Y-%m-%d %H:%M UTC")),
        (t["keep"], act.keep_until.strftime("%Y-%m-%d")),
    ]
    lines = [f"# {t['title']} {act.number}", "", "| | |", "|---|---|"]
    lines += [f"| {label} | {_cell(value)} |" for label, value in rows]
    lines += ["", f"## {t['subjects']}", ""]
    lines += [f"- `{s.subject_ref}`: {s.categories or t['none']}" for s in subjects]
    lines += ["", f"## {t['log']}", ""]
    lines += [f"- {_cell(json.dumps(e, ensure_ascii=False))}" for e in json.loads(act.log_extract)]
    lines += ["", t["basis"], ""]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def standalone_page(
    markdown: str,
    title: str,
    language: str,
    *,
    shared: Shared | None = None,
    parsed: Sequence[Section] | None = None,
) -> str:
    """A self-contained HTML file (style inline, no links out) to keep or print; ``shared``
    sections are parsed once, ``parsed`` ones not again (see :mod:`lawful.documents.sections`)."""
    body = to_html(markdown, shared=shared, parsed=parsed)
    return (
        f"<!doctype html><html lang='{html.escape(language)}'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{STYLESHEET}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def act_pdf(markdown: str, title: str) -> bytes:
    return markdown_to_pdf(markdown, title=title)
