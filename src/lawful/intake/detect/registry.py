"""The registry of recognizers, built from the validated YAML file shipped with lawful (or an
operator's own), and the one entry point ``Registry.analyze``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from lawful.config.models import Policy
from lawful.errors import ConfigError
from lawful.intake.detect import ner
from lawful.intake.detect.models import Finding, RecognizerFile, RecognizerSpec
from lawful.intake.detect.recognizers import KINDS, Recognizer

SHIPPED = "recognizers.yaml"
#: lawful.yaml jurisdiction -> the phone region whose national formats its people write.
_REGIONS = {"ru": "RU", "kz": "KZ", "vn": "VN", "ge": "GE"}


def load_specs(path: Path | None = None) -> RecognizerFile:
    """Read and validate a recognizer file; a broken one is a ``ConfigError`` naming it."""
    if path is None:
        source = resources.files("lawful.intake.detect").joinpath(SHIPPED).read_text("utf-8")
        label = SHIPPED
    else:
        source, label = path.read_text(encoding="utf-8"), str(path)
    try:
        return RecognizerFile.model_validate(YAML(typ="safe").load(source))
    except (ValidationError, YAMLError) as exc:
        raise ConfigError(f"{label}: invalid recognizer file: {exc}") from None


class Registry:
    """Recognizers in declaration order. ``unavailable`` names those whose optional extra is
    missing (natasha without ``lawful[ner]``), so callers can say detection is partial."""

    def __init__(self, recognizers: Sequence[Recognizer], unavailable: Sequence[str] = ()) -> None:
        self.recognizers = tuple(recognizers)
        self.unavailable = tuple(unavailable)

    @classmethod
    def build(
        cls,
        specs: RecognizerFile | None = None,
        *,
        regions: Iterable[str] | None = None,
        names: bool = True,
    ) -> Registry:
        """Build the registry. ``regions`` replaces the phone regions (the operator's
        jurisdictions); ``names=False`` leaves natasha out (the fast path)."""
        specs = specs or load_specs()
        built: list[Recognizer] = []
        unavailable: list[str] = []
        for spec in specs.recognizers:
            if spec.kind == "natasha" and not (names and ner.available()):
                unavailable.append(spec.name)
                continue
            if spec.kind == "phone" and regions is not None:
                spec = spec.model_copy(update={"regions": [r.upper() for r in regions]})
            built.append(KINDS[spec.kind](spec))
        return cls(built, unavailable)

    @classmethod
    def for_policy(cls, policy: Policy, *, names: bool = True) -> Registry:
        """The registry for an operator: phones of its jurisdictions' regions first (a
        jurisdiction without one, such as ``eu``, adds none; international numbers with ``+``
        are found whatever the regions)."""
        regions = [
            _REGIONS[j] for j in dict.fromkeys(policy.operator.jurisdictions) if j in _REGIONS
        ]
        return cls.build(regions=regions or None, names=names)

    def analyze(
        self, text: str, *, language: str | None = None, min_confidence: float = 0.5
    ) -> list[Finding]:
        """Every finding in ``text``, without overlaps (the surer, then the longer, wins),
        in reading order."""
        found = [
            finding
            for recognizer in self.recognizers
            if _speaks(recognizer.spec, language)
            for finding in recognizer.find(text)
            if finding.confidence >= min_confidence
        ]
        return resolve(found)


def _speaks(spec: RecognizerSpec, language: str | None) -> bool:
    return language is None or "*" in spec.languages or language in spec.languages


def resolve(findings: Iterable[Finding]) -> list[Finding]:
    kept: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (-f.confidence, f.start - f.end)):
        if not any(finding.overlaps(other) for other in kept):
            kept.append(finding)
    return sorted(kept, key=lambda f: f.start)
