"""Personal-data detection: a registry of recognizers declared in ``recognizers.yaml``,
special-category flags from ``special_categories.yaml``, and redaction."""

from lawful.intake.detect.models import Finding
from lawful.intake.detect.redact import redact
from lawful.intake.detect.registry import Registry, load_specs
from lawful.intake.detect.special import (
    SpecialFlag,
    categories,
    declared,
    flag_special,
    mask_special,
)

__all__ = [
    "Finding",
    "Registry",
    "SpecialFlag",
    "categories",
    "declared",
    "flag_special",
    "load_specs",
    "mask_special",
    "redact",
]
