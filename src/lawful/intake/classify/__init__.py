"""Request classification: published phrases, then a small model shipped in the package."""

from lawful.intake.classify.classifier import Classification, RequestClassifier
from lawful.intake.classify.labels import LABELS, Label

__all__ = ["LABELS", "Classification", "Label", "RequestClassifier"]
