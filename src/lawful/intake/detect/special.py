"""Special categories of personal data (health, beliefs, politics, race or nationality,
intimate life, biometrics, criminal records) flagged by per-language term lists shipped as
YAML. Flags send a message to a person; nothing acts on them automatically."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from ruamel.yaml import YAML

from lawful.errors import ConfigError

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
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} does not compile: {exc}") from None
        return patterns


class SpecialFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    languages: dict[str, dict[SpecialCategory, Terms]] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class _Compiled:
    category: str
    language: str
    match: re.Pattern[str]
    unless: re.Pattern[str] | None


def _compile(category: str, language: str, terms: Terms) -> _Compiled:
    alternatives = [f"(?i:{p})" for p in terms.patterns]
    alternatives += [rf"{re.escape(word)}(?!\w)" for word in terms.exact]
    unless = "|".join(terms.unless)
    return _Compiled(
        category,
        language,
        re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})"),
        re.compile(rf"(?i)(?<!\w)(?:{unless})") if unless else None,
    )


@cache
def _lists() -> tuple[_Compiled, ...]:
    text = resources.files("lawful.intake.detect").joinpath("special_categories.yaml")
    try:
        parsed = SpecialFile.model_validate(YAML(typ="safe").load(text.read_text("utf-8")))
    except ValidationError as exc:
        raise ConfigError(f"special_categories.yaml: {exc}") from None
    return tuple(
        _compile(category, language, terms)
        for language, categories in parsed.languages.items()
        for category, terms in categories.items()
    )


def flag_special(text: str, *, language: str | None = None) -> list[SpecialFlag]:
    """Each special-category term in ``text`` (all languages' lists unless one is given)."""
    flags: list[SpecialFlag] = []
    for compiled in _lists():
        if language is not None and compiled.language != language:
            continue
        voided = _spans(compiled.unless, text)
        for match in compiled.match.finditer(text):
            if not any(s <= match.start() < e for s, e in voided):
                flags.append(SpecialFlag(compiled.category, *match.span(), compiled.language))
    return sorted(flags, key=lambda flag: flag.start)


def _spans(pattern: re.Pattern[str] | None, text: str) -> list[tuple[int, int]]:
    return [] if pattern is None else [m.span() for m in pattern.finditer(text)]


def categories(text: str, *, language: str | None = None) -> set[str]:
    """The special categories ``text`` touches."""
    return {flag.category for flag in flag_special(text, language=language)}
