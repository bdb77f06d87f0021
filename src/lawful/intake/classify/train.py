"""Train the shipped request model from ``training.yaml``.

    python -m lawful.intake.classify.train

Training is deterministic (counting, no random start), so the committed ``model.json`` can be
checked against a fresh run in the tests."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from ruamel.yaml import YAML

from lawful.intake.classify.labels import Label
from lawful.intake.classify.model import NaiveBayes

TEMPERATURE = 2.0
#: Additive smoothing; small, because each example is a short phrase (binary features).
ALPHA = 0.1


class TrainingFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    examples: dict[Label, list[str]] = Field(min_length=2)


def training_examples() -> dict[str, list[str]]:
    text = resources.files("lawful.intake.classify").joinpath("training.yaml").read_text("utf-8")
    parsed = TrainingFile.model_validate(YAML(typ="safe").load(text))
    return {str(label): texts for label, texts in parsed.examples.items()}


def train() -> NaiveBayes:
    return NaiveBayes.train(training_examples(), alpha=ALPHA, temperature=TEMPERATURE)


def main() -> None:
    target = Path(str(resources.files("lawful.intake.classify").joinpath("model.json")))
    target.write_text(train().to_json() + "\n", encoding="utf-8")
    print(f"wrote {target}")  # noqa: T201


if __name__ == "__main__":
    main()
