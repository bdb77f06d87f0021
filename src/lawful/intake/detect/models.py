"""What a detector finds, and the validated shape of the shipped recognizer file.

The registry is declarative (presidio's idea): ``recognizers.yaml`` names each recognizer's
entity, kind, patterns, validator, context words, languages and confidence; these models refuse
an unknown kind, an unknown validator or a pattern that does not compile, so a broken file fails
at load with the recognizer's name instead of silently detecting less.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

RecognizerKind = Literal["pattern", "phone", "name_cues", "natasha"]
ValidatorName = Literal["none", "email", "luhn", "ip", "ru_inn", "ru_snils", "kz_iin"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of personal data: its type, its span ``text[start:end]`` and how sure we are.

    It never carries the value itself, so findings may be logged or journalled."""

    entity: str
    start: int
    end: int
    confidence: float
    recognizer: str

    def overlaps(self, other: Finding) -> bool:
        return self.start < other.end and other.start < self.end


def checked_patterns(patterns: list[str], *, groups: bool = True) -> list[str]:
    """Refuse a pattern that does not compile (or, with ``groups=False``, that captures)."""
    for pattern in patterns:
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"pattern {pattern!r} does not compile: {exc}") from None
        if compiled.groups and not groups:
            raise ValueError(f"pattern {pattern!r}: use (?:...), not capturing groups")
    return patterns


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RecognizerSpec(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    entity: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    kind: RecognizerKind
    patterns: list[str] = Field(default_factory=list)
    validator: ValidatorName = "none"
    #: ISO 639-1 codes, or "*" for every language.
    languages: list[str] = Field(default_factory=lambda: ["*"], min_length=1)
    confidence: float = Field(gt=0, le=1)
    #: Words that, seen just before a match, raise the confidence by ``context_boost``.
    context: list[str] = Field(default_factory=list)
    context_boost: float = Field(default=0.0, ge=0, le=1)
    #: Without a context word the match is dropped (numbers that are only IDs near a label).
    require_context: bool = False
    #: Words that, seen just before a match, drop it (``version 4.12.0.3`` is not an address).
    exclude_context: list[str] = Field(default_factory=list)
    context_window: int = Field(default=40, ge=1, le=200)
    #: Phone regions (``phone`` kind only).
    regions: list[str] = Field(default_factory=list)

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        return checked_patterns(patterns)


class RecognizerFile(_Strict):
    version: Literal[1] = 1
    recognizers: list[RecognizerSpec] = Field(min_length=1)

    @field_validator("recognizers")
    @classmethod
    def _unique_names(cls, specs: list[RecognizerSpec]) -> list[RecognizerSpec]:
        names = [spec.name for spec in specs]
        if len(names) != len(set(names)):
            raise ValueError("recognizer names must be unique")
        return specs
