"""The registers and dossiers, made from lawful.yaml and counts from the store.

====================  ==========================================================  ===========
kind                  what                                                        needs
====================  ==========================================================  ===========
``ropa``              record of processing activities, GDPR Art. 30(1)            —
``rkn-processing``    notification to Roskomnadzor about processing, 152-FZ 22(3)  ``ru``
``rkn-cross-border``  notification about cross-border transfer, 152-FZ 12(4)-(5)  ``ru`` + abroad
``vn-dpia``           personal-data processing impact assessment, PDPL Art. 21     ``vn``
``vn-tia``            cross-border transfer impact assessment, PDPL Art. 20        ``vn`` + abroad
====================  ==========================================================  ===========

Every document states the configuration version (:func:`config_version`) it was made from and
when; the Roskomnadzor and Vietnamese ones are drafts for the operator to complete and sign.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lawful.config.models import Policy, Retention
from lawful.documents.view import facts
from lawful.errors import PolicyViolation
from lawful.registers.output import FORMATS, config_version, in_format, render_markdown
from lawful.subjects.models import PersonalValue
from lawful.transfers.models import TransferRecord

KINDS: tuple[str, ...] = ("ropa", "rkn-processing", "rkn-cross-border", "vn-dpia", "vn-tia")
#: lawful's own measures, stated in every register beside the operator's.
BUILT_IN_MEASURES: tuple[str, ...] = (
    "values encrypted with AES-256-GCM under a data key per person, wrapped by a master key",
    "identifiers stored only as keyed hashes (HMAC-SHA256 blind indexes)",
    "erasure by destroying the person's key; an erasure ledger outside the database keeps "
    "restored backups from bringing erased people back",
    "hash-chained audit journal of every processing action, without personal data",
    "every disclosure checked by the transfer gate and logged",
)


def kinds(policy: Policy) -> list[str]:
    """The registers and dossiers this operator needs."""
    jurisdictions = set(policy.operator.jurisdictions)
    abroad = any(r.country != policy.operator.country for r in policy.recipients.values())
    found = ["ropa"]
    if "ru" in jurisdictions:
        found += ["rkn-processing", *(["rkn-cross-border"] if abroad else [])]
    if "vn" in jurisdictions:
        found += ["vn-dpia", *(["vn-tia"] if abroad else [])]
    return found


def store_counts(session: Session) -> dict[str, dict[str, int]]:
    """People held per purpose, and transfers per recipient (counts only)."""
    held = session.execute(
        sa.select(
            PersonalValue.purpose, sa.func.count(sa.distinct(PersonalValue.subject_id))
        ).group_by(PersonalValue.purpose)
    ).all()
    sent = session.execute(
        sa.select(TransferRecord.recipient, sa.func.count()).group_by(TransferRecord.recipient)
    ).all()
    return {"held": {p: int(n) for p, n in held}, "transfers": {r: int(n) for r, n in sent}}


def render(
    policy: Policy,
    kind: str,
    *,
    language: str,
    now: datetime,
    counts: Mapping[str, Mapping[str, int]] | None = None,
) -> str:
    """One register or dossier as Markdown."""
    if kind not in kinds(policy):
        raise PolicyViolation(
            f"{kind!r} is not a register this operator needs; choose from "
            f"{', '.join(kinds(policy))}",
            field="kind",
        )
    known = facts(policy, language)
    return render_markdown(
        "lawful.registers",
        kind,
        language,
        f=known,
        op=known.operator,
        policy=policy,
        measures=[*policy.security_measures, *BUILT_IN_MEASURES],
        recipient_subjects={
            key: sorted(
                {s for p in r.purposes if p in policy.purposes for s in policy.purposes[p].subjects}
            )
            for key, r in policy.recipients.items()
        },
        counts={"held": {}, "transfers": {}, **(counts or {})},
        version=config_version(policy),
        generated=now.astimezone(ZoneInfo(policy.operator.timezone)).strftime("%Y-%m-%d %H:%M %Z"),
    )


ROPA_COLUMNS = (
    "purpose",
    "name",
    "legal_basis",
    "data_subjects",
    "data_categories",
    "recipients",
    "third_country_transfers",
    "retention",
    "people_held",
    "config_version",
)


def ropa_csv(policy: Policy, counts: Mapping[str, Mapping[str, int]] | None = None) -> str:
    """The record of processing activities, one row per purpose (keys, not prose)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ROPA_COLUMNS)
    version, held = config_version(policy), (counts or {}).get("held", {})
    for key, p in policy.purposes.items():
        recipients = [policy.recipients[r] for r in policy.recipients_for(key)]
        abroad = [
            f"{r.name} ({r.country}; {r.transfer_basis or 'basis not stated'})"
            for r in recipients
            if r.country != policy.operator.country
        ]
        writer.writerow(
            (
                key,
                p.name.get(policy.operator.languages[0]) or next(iter(p.name.values())),
                p.legal_basis,
                "; ".join(p.subjects),
                "; ".join(p.categories),
                "; ".join(f"{r.name} ({r.country})" for r in recipients),
                "; ".join(abroad),
                _retention_code(p.retention),
                held.get(key, 0),
                version,
            )
        )
    return out.getvalue()


def _retention_code(retention: Retention | None) -> str:
    if retention is None:
        return "as long as the purpose requires"
    parts = retention.model_dump(exclude_none=True, exclude={"source"})
    return "; ".join(f"{k}={v}" for k, v in parts.items() if v != 0)


def write(
    policy: Policy,
    kind: str,
    folder: Path,
    *,
    formats: tuple[str, ...],
    language: str,
    now: datetime,
    counts: Mapping[str, Mapping[str, int]] | None = None,
) -> list[Path]:
    """Write ``kind`` in each of ``formats`` (``md``, ``html``, ``pdf``; ``csv`` for ropa)."""
    for fmt in formats:
        if fmt not in (*FORMATS, "csv") or (fmt == "csv" and kind != "ropa"):
            raise PolicyViolation(f"format {fmt!r} is not available for {kind}", field="format")
    markdown = render(policy, kind, language=language, now=now, counts=counts)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        path = folder / f"{kind}.{language}.{fmt}"
        data = (
            ropa_csv(policy, counts).encode("utf-8")
            if fmt == "csv"
            else in_format(markdown, fmt, language)
        )
        path.write_bytes(data)
        written.append(path)
    return written
