"""Special categories of personal data (health, beliefs, politics, race or nationality,
intimate life, biometrics, criminal records) flagged by per-language term lists shipped as
YAML. Flags send a message to a person; nothing acts on them automatically."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from ruamel.yaml import YAML

from lawful.errors import ConfigError
from lawful.intake.detect.models import checked_patterns

SpecialCategory = Literal[
    "health",
    "religion",
    "politics",
    "race_nationality",
    "intimate_life",
    "biometrics",
    "criminal_record",
]


@dataclass(frozen=True, slots=True)
class SpecialFlag:
    category: str
    start: int
    end: int
    language: str


class Terms(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    patterns: list[str] = Field(default_factory=list)
    exact: list[str] = Field(default_factory=list)
    unless: list[str] = Field(default_factory=list)

    @field_validator("patterns", "unless")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        # The lists are joined into one pattern whose named groups tell the category.
        return checked_patterns(patterns, groups=False)


class SpecialFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    languages: dict[str, dict[SpecialCategory, Terms]] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class _Lists:
    """Every list of the chosen languages in one pattern (one pass over the text): group
    ``gN`` is ``owners[N]`` = (category, language)."""

    match: re.Pattern[str]
    owners: tuple[tuple[str, str], ...]
    unless: re.Pattern[str] | None


def _alternatives(terms: Terms) -> str:
    words = [f"(?i:{p})" for p in terms.patterns]
    words += [rf"{re.escape(word)}(?!\w)" for word in terms.exact]
    return "|".join(words)


@cache
def _shipped() -> SpecialFile:
    text = resources.files("lawful.intake.detect").joinpath("special_categories.yaml")
    try:
        return SpecialFile.model_validate(YAML(typ="safe").load(text.read_text("utf-8")))
    except ValidationError as exc:
        raise ConfigError(f"special_categories.yaml: {exc}") from None


@cache
def _lists(language: str | None) -> _Lists:
    owners: list[tuple[str, str]] = []
    groups: list[str] = []
    unless: list[str] = []
    for lang, listed in _shipped().languages.items():
        if language is not None and lang != language:
            continue
        for category, terms in listed.items():
            groups.append(f"(?P<g{len(owners)}>{_alternatives(terms)})")
            owners.append((category, lang))
            unless += terms.unless
    voids = re.compile(rf"(?i)(?<!\w)(?:{'|'.join(unless)})") if unless else None
    return _Lists(re.compile(rf"(?<!\w)(?:{'|'.join(groups)})"), tuple(owners), voids)


def flag_special(text: str, *, language: str | None = None) -> list[SpecialFlag]:
    """Each special-category term in ``text`` (all languages' lists unless one is given)."""
    lists = _lists(language)
    voided = [] if lists.unless is None else [m.span() for m in lists.unless.finditer(text)]
    flags: list[SpecialFlag] = []
    for match in lists.match.finditer(text):
        if any(s <= match.start() < e for s, e in voided) or match.lastgroup is None:
            continue
        category, lang = lists.owners[int(match.lastgroup[1:])]
        flags.append(SpecialFlag(category, *match.span(), lang))
    return flags


def categories(text: str, *, language: str | None = None) -> set[str]:
    """The special categories ``text`` touches."""
    return {flag.category for flag in flag_special(text, language=language)}


#: The fideslang category keys that declare each special category in a policy: a category
#: with ``special: true`` whose key is one of these, or broader than one, declares it.
DECLARED_BY: dict[str, tuple[str, ...]] = {
    "health": ("user.health_and_medical",),
    "religion": ("user.demographic.religious_belief",),
    "politics": ("user.demographic.political_opinion",),
    "race_nationality": ("user.demographic.race_ethnicity",),
    "intimate_life": ("user.demographic.sexual_orientation",),
    "biometrics": ("user.biometric", "user.authorization.biometric"),
    "criminal_record": ("user.criminal_history",),
}


def declared(special_keys: Iterable[str]) -> set[str]:
    """The special categories declared by a policy whose ``special: true`` categories are
    ``special_keys``."""
    keys = list(special_keys)
    return {
        category
        for category, names in DECLARED_BY.items()
        if any(name == key or name.startswith(key + ".") for name in names for key in keys)
    }


#: Where a sentence ends: its punctuation, or a line break (a messenger line, a list item).
_SENTENCE_END = re.compile(r"[.!?…]+\s|\n")


def mask_special(text: str, masked: Collection[str]) -> str:
    """``text`` with each sentence that names one of the ``masked`` categories replaced by
    ``[special category: <name>]``: a word alone would leave its sentence telling the rest
    ("I was treated for … last year")."""
    spans = [
        (*_sentence_around(text, flag.start, flag.end), flag.category)
        for flag in flag_special(text)
        if flag.category in masked
    ]
    pieces, cursor = [], 0
    for start, end, category in sorted(spans):
        if start < cursor:  # the same sentence names a second category: masked already
            continue
        pieces += [text[cursor:start], f"[special category: {category}]"]
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    before = [m.end() for m in _SENTENCE_END.finditer(text, 0, start)]
    after = _SENTENCE_END.search(text, end)
    return (before[-1] if before else 0), (after.start() + 1 if after else len(text))
