"""Train the shipped request model from ``training.yaml`` and the hand-written messages.

    python -m lawful.intake.classify.train        # from a checkout of the repository

The model counts two kinds of example. The phrases of ``training.yaml`` are short, one per
way of asking, and each counts once. The hand-written DEV messages of ``benchmarks/data``
(``intake_dev*.txt``; never TEST's files) are real-length letters with greetings, context and
signatures, read as the classifier reads a message (:func:`focus`), with the personal data
they mark left out; each counts a quarter. A message teaches wording the phrases lack, but its
incidental words (the shop, the parcel, the clinic) vote too. In cross-validation that leaves
one set out (``benchmarks.intake_cv``), a quarter lost no set more than one message against
the phrases alone; weights of 1 and 0.5 cost DEV7 three (benchmarks/README.md, seventh
round).

Training is deterministic (counting, no random start), so the committed ``model.json`` can be
checked against a fresh run in the tests."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from ruamel.yaml import YAML

from lawful.intake.classify.classifier import focus
from lawful.intake.classify.labels import LABELS, Label
from lawful.intake.classify.model import NaiveBayes

TEMPERATURE = 2.0
#: Additive smoothing; small, because each example is a short phrase (binary features).
ALPHA = 0.1
#: How much one hand-written message counts against one phrase.
MESSAGE_WEIGHT = 0.25
#: The repository's hand-written sets; the package alone (a wheel) cannot retrain.
MESSAGES = Path(__file__).resolve().parents[4] / "benchmarks" / "data"
#: DEV sets only: TEST (``intake_test.txt``, ``intake_holdout.txt``) is never trained on.
MESSAGE_FILES = "intake_dev*.txt"
#: A marked value, ``[[TYPE|value]]``: personal data, left out of what the model learns.
_MARK = re.compile(r"\[\[[A-Z_]+\|.+?\]\]")


class TrainingFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    examples: dict[Label, list[str]] = Field(min_length=2)


def training_examples() -> dict[str, list[str]]:
    text = resources.files("lawful.intake.classify").joinpath("training.yaml").read_text("utf-8")
    parsed = TrainingFile.model_validate(YAML(typ="safe").load(text))
    return {str(label): texts for label, texts in parsed.examples.items()}


def message_examples(folder: Path = MESSAGES) -> list[tuple[str, str, float]]:
    """(label, focused text, weight) for every block of the DEV sets in ``folder``."""
    paths = sorted(folder.glob(MESSAGE_FILES))
    if not paths:
        raise FileNotFoundError(f"no {MESSAGE_FILES} in {folder}: train from a checkout")
    examples = []
    for path in paths:
        for label, body in _blocks(path):
            examples.append((label, focus(_MARK.sub(" ", body)), MESSAGE_WEIGHT))
    return examples


def _blocks(path: Path) -> list[tuple[str, str]]:
    """(label, body) of each ``request: <label>`` block; ``#`` lines are comments."""
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    blocks = []
    for block in "\n".join(lines).split("\n===\n"):
        head, _, body = block.strip("\n").partition("\n")
        label = head.removeprefix("request:").strip()
        if label not in LABELS:
            raise ValueError(f"{path.name}: unknown label {label!r} (one of {', '.join(LABELS)})")
        blocks.append((label, body))
    return blocks


def train() -> NaiveBayes:
    return NaiveBayes.train(
        training_examples(), alpha=ALPHA, temperature=TEMPERATURE, weighted=message_examples()
    )


def main() -> None:
    target = Path(str(resources.files("lawful.intake.classify").joinpath("model.json")))
    target.write_text(train().to_json() + "\n", encoding="utf-8")
    print(f"wrote {target}")  # noqa: T201


if __name__ == "__main__":
    main()
