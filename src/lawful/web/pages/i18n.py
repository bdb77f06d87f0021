"""Translations of the pages' own words, from gettext ``.po`` catalogs in ``locales/<lang>/``.

English is the source language: a message without a translation shows its English msgid.
Every ``.po`` file of a language is merged into one catalog, so each area keeps its own file
(``base.po``, ``portal.po``, ``admin.po``) and none has to be compiled before running: the
catalogs are read with Babel when first used and turned into gettext translations in memory.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from io import BytesIO

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

SOURCE_LANGUAGE = "en"
LOCALES = resources.files("lawful.web.pages") / "locales"


@cache
def page_languages() -> tuple[str, ...]:
    """The languages the pages are written in: English and every catalog directory."""
    found = sorted(entry.name for entry in LOCALES.iterdir() if entry.is_dir())
    return (SOURCE_LANGUAGE, *(name for name in found if name != SOURCE_LANGUAGE))


@cache
def translations(language: str) -> NullTranslations:
    """The merged catalog of ``language`` (English and unknown languages: the msgids)."""
    directory = LOCALES / language
    if language == SOURCE_LANGUAGE or not directory.is_dir():
        return NullTranslations()
    merged = Catalog(locale=language)
    for entry in sorted(directory.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".po"):
            continue
        with entry.open("rb") as handle:
            for message in read_po(handle, locale=language):
                if message.id and message.string and not message.fuzzy:
                    merged.add(message.id, message.string)
    buffer = BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return Translations(buffer)


def negotiate(accept_language: str | None, available: tuple[str, ...], default: str) -> str:
    """The best of ``available`` for an ``Accept-Language`` header, else ``default``.

    Ranges are taken by their q-value (RFC 9110 §12.5.4), and ``ru-RU`` matches ``ru``."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and quality > 0:
            ranked.append((-quality, position, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        primary = tag.split("-")[0]
        if primary in available:
            return primary
    return default
