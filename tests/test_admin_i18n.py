"""Every word of the admin pages is in the Russian catalog (templates and code tables)."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from lawful.web.pages.admin import registers, words
from lawful.web.pages.i18n import translations

TEMPLATES = resources.files("lawful.web.pages") / "templates" / "admin"
MSGID = re.compile(r"""_\(\s*(["'])(.+?)\1\s*[,)]""")


def _msgids() -> list[str]:
    found = [
        match.group(2)
        for entry in TEMPLATES.iterdir()
        if entry.name.endswith(".html")
        for match in MSGID.finditer(entry.read_text("utf-8"))
    ]
    tables = (words.KINDS, words.STATES, words.DEADLINES, words.ROLES, words.VERIFICATIONS)
    tables += (words.REGISTERS, words.INCIDENT_STATES, words.LABELS, words.HOLDS)
    tables += (words.DETAIL_FIELDS,)
    found += [name for table in tables for name in table.values()]
    found += [text for title, columns, _ in registers.LOGS.values() for text in (title, *columns)]
    return sorted(set(found))


def test_the_admin_templates_are_found() -> None:
    assert len(_msgids()) > 150


@pytest.mark.parametrize("msgid", _msgids())
def test_every_admin_word_is_translated_to_russian(msgid: str) -> None:
    translated = translations("ru").gettext(msgid)
    assert translated != msgid
    assert re.findall(r"%\(\w+\)s", translated) == re.findall(r"%\(\w+\)s", msgid)
