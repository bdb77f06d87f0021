"""Would the request model generalise better if it also learnt from the hand-written DEV
messages? Cross-validation over DEV to DEV8 only (TEST is never read here).

    .venv/bin/python -m benchmarks.intake_cv              # naive Bayes schemes (seconds)
    .venv/bin/python -m benchmarks.intake_cv --embeddings # + a navec kNN vote (needs the ner extra)
    .venv/bin/python -m benchmarks.intake_cv --linear     # + softmax regression (numpy, minutes)
    .venv/bin/python -m benchmarks.intake_cv --phrases OLD.yaml  # another training file

``--phrases`` takes another ``training.yaml``, e.g. the first one, written before any set
(``git show 029507c:src/lawful/intake/classify/training.yaml > /tmp/first.yaml``): with it no
set is favoured by phrases added after reading its errors, so LOSO compares the learners on all
the messages without that bias.

Every scheme trains on ``training.yaml``'s phrases plus DEV messages and is scored on messages
it did not train on, two ways:

- leave one set out (LOSO): train on the other sets, score the one left out. DEV7 and DEV8
  held out are the most honest estimates (written in the style of TEST's batch; only half of
  each was tuned on in the sixth round, see benchmarks/README.md), while the figures on the
  other sets are inflated by phrases added after reading their errors;
- LOSO+: the same, plus four fifths of the held-out set in training, scored on the fifth left;
- 5-fold out-of-fold (OOF) over all the messages pooled, stratified by set and label.

The classifier around the model is the shipped one: published phrases first, the threshold
below which a person decides, the cues and the grave-words rule. Since the seventh round the
shipped model is the scheme at weight 0.25 trained on every DEV message
(``lawful.intake.classify.train``), so its LOSO and OOF lines are the shipped recipe's
out-of-sample figures. See benchmarks/README.md, fourth to seventh rounds.
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any, Protocol

from ruamel.yaml import YAML

from benchmarks.bench_intake import (
    DEV,
    DEV2,
    DEV3,
    DEV4,
    DEV5,
    DEV6,
    DEV7,
    DEV8,
    GRAVE,
    labelled_rows,
    published_phrases,
)
from lawful.intake.classify import RequestClassifier
from lawful.intake.classify.classifier import focus
from lawful.intake.classify.model import NaiveBayes, features
from lawful.intake.classify.train import ALPHA, TEMPERATURE, TrainingFile, training_examples

FOLDS = 5
Message = tuple[str, str]  # (label, text)
Phrases = dict[str, list[str]]
Sets = Mapping[str, list[dict[str, Any]]]
DEV_PATHS = {
    "DEV": DEV,
    "DEV2": DEV2,
    "DEV3": DEV3,
    "DEV4": DEV4,
    "DEV5": DEV5,
    "DEV6": DEV6,
    "DEV7": DEV7,
    "DEV8": DEV8,
}


class Scorer(Protocol):
    @property
    def labels(self) -> tuple[str, ...]: ...

    def scores(self, text: str) -> dict[str, float]: ...


Trainer = Callable[[Sequence[Message]], Scorer]


@cache
def feature_set(text: str) -> frozenset[str]:
    return frozenset(features(text))


def load_phrases(path: Path | None) -> Phrases:
    if path is None:
        return training_examples()
    parsed = TrainingFile.model_validate(YAML(typ="safe").load(path.read_text("utf-8")))
    examples = {str(label): texts for label, texts in parsed.examples.items()}
    return {label: examples.get(label, []) for label in training_examples()}


def phrase_examples(phrases: Phrases) -> list[tuple[str, str, float]]:
    return [(label, text, 1.0) for label, texts in phrases.items() for text in texts]


def naive_bayes(phrases: Phrases, messages: Sequence[Message], *, weight: float) -> NaiveBayes:
    """The shipped model's training (``lawful.intake.classify.train``), with each DEV message
    read as the classifier reads it (without headers and signature) counted ``weight`` times
    beside the phrases."""
    weighted = [(label, focus(text), weight) for label, text in messages]
    return NaiveBayes.train(phrases, alpha=ALPHA, temperature=TEMPERATURE, weighted=weighted)


@dataclass
class Outcome:
    right: int = 0
    total: int = 0
    person: int = 0
    confidently_wrong: int = 0
    grave_as_inquiry: int = 0

    def add(self, other: Outcome) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def __str__(self) -> str:
        return (
            f"{self.right:>3}/{self.total:<3} {self.right / self.total:.3f} "
            f"person {self.person:>2} wrong-decided {self.confidently_wrong} "
            f"grave {self.grave_as_inquiry}"
        )


def score(model: Scorer, rows: Sequence[dict[str, Any]]) -> Outcome:
    classifier = RequestClassifier(published_phrases(), model=model)  # type: ignore[arg-type]
    outcome = Outcome()
    for row in rows:
        result = classifier.classify(row["text"], subject=row["subject"])
        right = result.label == row["request"]
        outcome.add(
            Outcome(
                right=right,
                total=1,
                person=result.needs_person,
                confidently_wrong=not right and not result.needs_person,
                grave_as_inquiry=row["request"] in GRAVE
                and result.label == "inquiry"
                and not result.needs_person,
            )
        )
    return outcome


def dev_sets() -> Sets:
    """DEV to DEV8 only: TEST's files are never opened here."""
    return {name: labelled_rows(path) for name, path in DEV_PATHS.items()}


def folds(sets: Sets) -> list[int]:
    """Each pooled message's fold, stratified: within a set and a label, messages in SHA-256
    order take the folds in turn, so no fold lacks a label (which would shift the prior against
    exactly the messages being scored)."""
    pooled = [(name, row) for name, rows in sets.items() for row in rows]
    assigned = [0] * len(pooled)
    groups: dict[tuple[str, str], list[int]] = {}
    for index, (name, row) in enumerate(pooled):
        groups.setdefault((name, row["request"]), []).append(index)
    for members in groups.values():
        members.sort(key=lambda i: hashlib.sha256(pooled[i][1]["text"].encode()).hexdigest())
        for turn, index in enumerate(members):
            assigned[index] = turn % FOLDS
    return assigned


def messages(rows: Sequence[dict[str, Any]]) -> list[Message]:
    """Training messages as the shipped training reads them: the marked personal data left out."""
    return [(row["request"], _unmarked(row)) for row in rows]


def _unmarked(row: dict[str, Any]) -> str:
    text, cursor, parts = row["text"], 0, []
    for start, end, _ in row["spans"]:
        parts.append(text[cursor:start])
        cursor = end
    return " ".join([*parts, text[cursor:]])


def leave_one_set_out(sets: Sets, trainer: Trainer) -> dict[str, Outcome]:
    return {
        held: score(
            trainer(messages([r for n, rows in sets.items() if n != held for r in rows])),
            sets[held],
        )
        for held in sets
    }


def out_of_fold(sets: Sets, trainer: Trainer) -> dict[str, Outcome]:
    totals = {name: Outcome() for name in sets}
    pooled = [(name, row) for name, rows in sets.items() for row in rows]
    fold_of = folds(sets)
    for k in range(FOLDS):
        model = trainer(
            messages([row for (_, row), f in zip(pooled, fold_of, strict=True) if f != k])
        )
        for name in sets:
            held = [
                row for (n, row), f in zip(pooled, fold_of, strict=True) if f == k and n == name
            ]
            totals[name].add(score(model, held))
    return totals


def with_rest_of_held_set(sets: Sets, trainer: Trainer) -> dict[str, Outcome]:
    """Leave one set out, but also train on four fifths of it and score the fifth: what
    messages written in the same batch as the scored ones add to the other sets'."""
    fold_of = folds(sets)
    start, totals = 0, {name: Outcome() for name in sets}
    for held, rows in sets.items():
        others = [row for name, other in sets.items() if name != held for row in other]
        own = fold_of[start : start + len(rows)]
        start += len(rows)
        for k in range(FOLDS):
            rest = [row for row, f in zip(rows, own, strict=True) if f != k]
            model = trainer(messages(others + rest))
            totals[held].add(
                score(model, [row for row, f in zip(rows, own, strict=True) if f == k])
            )
    return totals


METHODS = (
    ("LOSO ", leave_one_set_out),
    ("LOSO+", with_rest_of_held_set),
    ("OOF  ", out_of_fold),
)


def report(name: str, sets: Sets, trainer: Trainer) -> None:
    print(f"\n{name}")
    for method, run in METHODS:
        outcomes = run(sets, trainer)
        pooled = Outcome()
        for set_name, outcome in outcomes.items():
            pooled.add(outcome)
            print(f"  {method} {set_name:<5} {outcome}")
        print(f"  {method} all   {pooled}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phrases", type=Path, help="another training.yaml (default: shipped)")
    parser.add_argument("--embeddings", action="store_true", help="add a navec kNN vote")
    parser.add_argument("--linear", action="store_true", help="softmax regression (slow)")
    args = parser.parse_args()
    sets, phrases = dev_sets(), load_phrases(args.phrases)
    alone = naive_bayes(phrases, [], weight=0.0)
    print(f"naive Bayes on the phrases alone ({args.phrases or 'training.yaml'}):")
    for name, rows in sets.items():
        print(f"  {name:<5} {score(alone, rows)}")
    for weight in (1.0, 0.5, 0.25):
        report(
            f"naive Bayes, phrases + DEV messages at weight {weight}",
            sets,
            partial(naive_bayes, phrases, weight=weight),
        )
    if args.embeddings:
        from benchmarks.intake_cv_extra import EmbeddingVote

        report(
            "naive Bayes (messages at 0.5) with a navec 10-nearest vote, geometric blend 0.2",
            sets,
            lambda train: EmbeddingVote(
                naive_bayes(phrases, train, weight=0.5), phrase_examples(phrases), train
            ),
        )
    if args.linear:
        linear_schemes(sets, phrases)


def linear_schemes(sets: Sets, phrases: Phrases) -> None:
    from benchmarks.intake_cv_extra import Mean, SoftmaxRegression

    @cache
    def fitted(train: tuple[Message, ...]) -> SoftmaxRegression:
        return SoftmaxRegression.fit(phrase_examples(phrases), train, feature_set)

    report(
        "softmax regression on the same features, L2 1e-6, phrases + DEV messages",
        sets,
        lambda train: fitted(tuple(train)),
    )
    report(
        "mean of naive Bayes (messages at 0.5) and softmax regression",
        sets,
        lambda train: Mean(naive_bayes(phrases, train, weight=0.5), fitted(tuple(train))),
    )


if __name__ == "__main__":
    main()
