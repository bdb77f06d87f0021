"""The fideslang default taxonomy, as shipped package data.

lawful names data categories, data uses and data subjects with fideslang keys
(``user.contact.email``, ``marketing.communications.email``, ``customer``) so a lawful.yaml
can be read by other privacy tools. We ship a snapshot of the keys (CC BY 4.0, (c) Ethyca, Inc.;
see ``data/fideslang_taxonomy.json``) instead of depending on fideslang, which pins pydantic.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any, Literal

Kind = Literal["data_category", "data_use", "data_subject"]

#: Where custom (non-fideslang) category keys live unless declared ``custom: true``.
CUSTOM_PREFIX = "custom."


@cache
def _taxonomy() -> dict[str, Any]:
    raw = (
        resources.files("lawful.config")
        .joinpath("data/fideslang_taxonomy.json")
        .read_text(encoding="utf-8")
    )
    data: dict[str, Any] = json.loads(raw)
    return data


def keys(kind: Kind) -> Mapping[str, Mapping[str, str]]:
    """Every default key of ``kind`` with its fideslang ``name`` and ``description``."""
    items: Mapping[str, Mapping[str, str]] = _taxonomy()[kind]
    return items


def is_known(kind: Kind, key: str) -> bool:
    return key in keys(kind)


def attribution() -> str:
    """The licence line every generated document that lists fideslang keys should carry."""
    return f"{_taxonomy()['source']} — {_taxonomy()['license']}"


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to ``word`` (a typo suggestion), or None if nothing is close."""
    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


def is_within(key: str, ancestor: str) -> bool:
    """True if ``key`` is ``ancestor`` or one of its descendants (fideslang keys nest by dots)."""
    return key == ancestor or key.startswith(ancestor + ".")
