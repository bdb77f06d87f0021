"""The access report: what is held about one person and what is done with it.

Built from the subject's export and the policy — categories with their values, purposes with
legal bases, sources, recipients and their countries, retention, and the person's rights — in
the request's language, as Markdown (rendered to HTML and PDF), JSON and CSV (portability),
packed in one ZIP that the verified person downloads once.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lawful.config.models import Policy, Retention, localised
from lawful.destruction.render import standalone_page
from lawful.documents import sections
from lawful.documents.pdf import available as pdf_available
from lawful.documents.pdf import markdown_to_pdf
from lawful.subjects.service import SubjectExport

T = {
    "en": {
        "title": "Your personal data held by",
        "generated": "Prepared on",
        "none": "We hold no personal data about you.",
        "data": "Data we hold",
        "elsewhere": "Data held in our other systems",
        "purposes": "Why we process them",
        "basis": "Legal basis",
        "categories": "Categories",
        "source": "Source",
        "from_you": "from you, through",
        "recipients": "Recipients",
        "no_recipients": "none",
        "retention": "Retention",
        "rights": "Your rights",
        "rights_text": (
            "You may ask us for access to your data, to correct them, to block or destroy them, "
            "to withdraw any consent, to object to marketing, to stop the distribution of data "
            "you made public, and for a machine-readable copy. Write to {contact}. You may "
            "complain to the supervisory authority."
        ),
    },
    "ru": {
        "title": "Ваши персональные данные, которые обрабатывает",
        "generated": "Подготовлено",
        "none": "Мы не обрабатываем ваших персональных данных.",
        "data": "Какие данные мы храним",
        "elsewhere": "Данные в других наших системах",
        "purposes": "Цели обработки",
        "basis": "Правовое основание",
        "categories": "Категории",
        "source": "Источник",
        "from_you": "от вас, через",
        "recipients": "Получатели",
        "no_recipients": "нет",
        "retention": "Срок хранения",
        "rights": "Ваши права",
        "rights_text": (
            "Вы вправе получить сведения о ваших данных, потребовать их уточнения, блокирования "
            "или уничтожения, отозвать согласие, отказаться от рекламных рассылок, потребовать "
            "прекратить распространение и получить копию в машиночитаемом виде. Пишите на "
            "{contact}. Вы вправе обжаловать наши действия в Роскомнадзор или в суд."
        ),
    },
}


@dataclass(frozen=True)
class Report:
    markdown: str
    data: dict[str, Any]


def build(
    policy: Policy,
    export: SubjectExport | None,
    language: str,
    now: datetime,
    *,
    elsewhere: Sequence[Mapping[str, str]] = (),
) -> Report:
    """The report's content for ``export`` (None: the person is not known), with what the
    connectors found in the operator's other systems (``elsewhere``: location, field,
    category, value), by category and system."""
    data = _data(policy, export, language, now)
    data["elsewhere"] = sorted(
        (dict(item) for item in elsewhere),
        key=lambda f: (f["category"], f["location"], f["field"]),
    )
    return Report(_markdown(policy, data, language), data)


def _data(
    policy: Policy, export: SubjectExport | None, language: str, now: datetime
) -> dict[str, Any]:
    values = export.values if export else []
    used = sorted({v.purpose for v in values})
    return {
        "operator": localised(policy.operator.legal_name, language),
        "prepared_at": now.isoformat(),
        "values": [
            {
                "purpose": v.purpose,
                "category": v.category,
                "value": v.value,
                "collected_at": v.collected_at.isoformat(),
            }
            for v in values
        ],
        "purposes": [_purpose(policy, key, language) for key in used if key in policy.purposes],
    }


def _purpose(policy: Policy, key: str, language: str) -> dict[str, Any]:
    purpose = policy.purposes[key]
    return {
        "key": key,
        "name": localised(purpose.name, language),
        "legal_basis": purpose.legal_basis,
        "categories": purpose.categories,
        "sources": [c.kind for c in policy.channels.values() if key in c.purposes],
        "recipients": [
            {"name": r.name, "role": r.role, "country": r.country}
            for r in policy.recipients.values()
            if key in r.purposes
        ],
        "retention": _retention(purpose.retention),
    }


def _retention(retention: Retention | None) -> str:
    if retention is None:
        return "-"
    period = next(
        (
            f"{n} {unit}"
            for n, unit in (
                (retention.years, "years"),
                (retention.months, "months"),
                (retention.days, "days"),
            )
            if n
        ),
        "",
    )
    return " ".join(x for x in (retention.kind, period, retention.source or "") if x)


def _markdown(policy: Policy, data: dict[str, Any], language: str) -> str:
    t = T[language]
    lines = [
        f"# {t['title']} {data['operator']}",
        "",
        f"{t['generated']}: {data['prepared_at']}",
        "",
    ]
    if not data["values"]:
        lines += [t["none"], ""]
    else:
        lines += [f"## {t['data']}", "", "| | | |", "|---|---|---|"]
        lines += [
            f"| {_c(v['category'])} | {_c(v['value'])} | {v['purpose']} |" for v in data["values"]
        ]
        lines += ["", f"## {t['purposes']}", ""]
        for p in data["purposes"]:
            lines += _purpose_lines(t, p)
    if data["elsewhere"]:
        lines += [f"## {t['elsewhere']}", "", "| | | |", "|---|---|---|"]
        lines += [
            f"| {_c(f['category'])} | {_c(f['location'])}.{_c(f['field'])} | {_c(f['value'])} |"
            for f in data["elsewhere"]
        ]
        lines.append("")
    contact = policy.operator.requests_email or policy.operator.contacts.email or ""
    lines += [f"## {t['rights']}", "", t["rights_text"].format(contact=contact), ""]
    return "\n".join(lines)


def _purpose_lines(t: dict[str, str], p: dict[str, Any]) -> list[str]:
    recipients = ", ".join(f"{r['name']} ({r['country']})" for r in p["recipients"])
    return [
        f"### {_c(p['name'] or p['key'])}",
        "",
        f"- {t['basis']}: {p['legal_basis']}",
        f"- {t['categories']}: {', '.join(p['categories'])}",
        f"- {t['source']}: {t['from_you']} {', '.join(p['sources']) or '-'}",
        f"- {t['recipients']}: {_c(recipients) or t['no_recipients']}",
        f"- {t['retention']}: {_c(p['retention'])}",
        "",
    ]


def _c(text: str) -> str:
    """A value inside a Markdown table: no pipe or newline may break the layout."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_csv(data: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, ["purpose", "category", "value", "collected_at"])
    writer.writeheader()
    writer.writerows(data["values"])
    return out.getvalue()


#: The ZIP comment of a report whose PDF is laid out when it is downloaded (:func:`finish`).
PDF_TO_FOLLOW = b"lawful: report.pdf follows at download"


def package(report: Report, language: str, *, pdf: bool = True, defer_pdf: bool = False) -> bytes:
    """The ZIP the person downloads: report.html, report.pdf, data.json, data.csv (and the
    Markdown source, report.md).

    The PDF needs the ``pdf`` extra; a lean install still answers with the other formats.
    ``defer_pdf``: leave it to :func:`finish`, at the (one) download."""
    title = _title(report.markdown)
    # Parsed once for the HTML page and the PDF: the person's sections are parsed anew for
    # every report (the shared ones come from the cache either way).
    parsed = sections.parse(report.markdown, _shared)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.md", report.markdown)
        page = standalone_page(report.markdown, title, language, parsed=parsed)
        archive.writestr("report.html", page)
        if pdf and pdf_available():
            if defer_pdf:
                archive.comment = PDF_TO_FOLLOW
            else:
                pdf_bytes = markdown_to_pdf(report.markdown, title=title, parsed=parsed)
                # Stored as it is: the PDF's streams are compressed already.
                archive.writestr("report.pdf", pdf_bytes, compress_type=zipfile.ZIP_STORED)
        archive.writestr("data.json", json.dumps(report.data, ensure_ascii=False, indent=2))
        archive.writestr("data.csv", to_csv(report.data))
    return buffer.getvalue()


def pdf_due(data: bytes) -> bool:
    """Is this report's PDF still to be laid out (by :func:`finish`)?"""
    return data.endswith(PDF_TO_FOLLOW)


def finish(data: bytes) -> bytes:
    """The ZIP with its deferred PDF laid out from report.md (unchanged when none is due)."""
    if not pdf_due(data):
        return data
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        markdown = archive.read("report.md").decode()
        archive.comment = b""
        # Stored as it is: the PDF's streams are compressed already.
        pdf = markdown_to_pdf(markdown, title=_title(markdown), shared=_shared)
        archive.writestr("report.pdf", pdf, compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


#: How the report's sections that are the same for everyone start: the purposes heading, each
#: purpose (a level-3 heading: nothing else in a report has one) and the rights.
_SHARED_STARTS = tuple(
    start for t in T.values() for start in (f"## {t['purposes']}\n", f"## {t['rights']}\n")
) + ("### ",)


def _shared(section: str) -> bool:
    """Is this section of a report the same for everyone with the same purposes and language,
    so that it may be parsed once and kept (:mod:`lawful.documents.sections`)? Only those
    named above: the title's section (with the date), the data tables and anything else are
    the person's. No value can start a section: values are table cells, on one line."""
    return section.startswith(_SHARED_STARTS)


def _title(markdown: str) -> str:
    return markdown.splitlines()[0].lstrip("# ")
