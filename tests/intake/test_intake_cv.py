"""The cross-validation of benchmarks.intake_cv: at the shipped weight with every message it is
the shipped model, a scheme never trains on what it scores, folds are stratified, and TEST is
not among its sets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pytest
from benchmarks.bench_intake import HOLDOUT, TEST, UNSEEN9
from benchmarks.intake_cv import (
    DEV_PATHS,
    FOLDS,
    Message,
    dev_sets,
    folds,
    leave_one_set_out,
    messages,
    naive_bayes,
    out_of_fold,
    with_rest_of_held_set,
)

from lawful.intake.classify.classifier import shipped_model
from lawful.intake.classify.model import NaiveBayes
from lawful.intake.classify.train import MESSAGE_FILES, MESSAGE_WEIGHT, training_examples


@pytest.fixture(scope="module")
def sets() -> dict[str, list[dict]]:
    return dev_sets()


def test_test_is_not_among_the_sets() -> None:
    assert not {TEST, HOLDOUT} & set(DEV_PATHS.values())
    assert set(DEV_PATHS) == {"DEV", "DEV2", "DEV3", "DEV4", "DEV5", "DEV6", "DEV7", "DEV8"}


def test_the_unseen_check_is_neither_a_set_nor_training_data() -> None:
    # UNSEEN9 measures the shipped model: training on it would make that figure in-sample.
    assert UNSEEN9 not in DEV_PATHS.values()
    assert not UNSEEN9.match(MESSAGE_FILES)


def test_with_every_message_at_the_shipped_weight_the_scheme_is_the_shipped_model(
    sets: dict,
) -> None:
    every = [message for rows in sets.values() for message in messages(rows)]
    scheme = naive_bayes(training_examples(), every, weight=MESSAGE_WEIGHT)
    assert scheme.to_json() == shipped_model().to_json()


def test_a_training_message_leaves_out_the_personal_data_it_marks(sets: dict) -> None:
    row = next(row for row in sets["DEV"] if row["spans"])
    start, end, _ = row["spans"][0]
    ((_, text),) = messages([row])
    assert row["text"][start:end] not in text


def test_a_message_counts_with_its_weight() -> None:
    phrases = training_examples()
    light = naive_bayes(phrases, [("erasure", "zqxvj zqxvj")], weight=0.25)
    heavy = naive_bayes(phrases, [("erasure", "zqxvj zqxvj")], weight=1.0)
    assert "w:zqxvj" in light.log_likelihood["erasure"]
    assert heavy.log_likelihood["erasure"]["w:zqxvj"] > light.log_likelihood["erasure"]["w:zqxvj"]


class Recorder:
    """A trainer that remembers what each model was trained on and returns the shipped one."""

    def __init__(self) -> None:
        self.trained: list[set[str]] = []

    def __call__(self, messages: Sequence[Message]) -> NaiveBayes:
        self.trained.append({text for _, text in messages})
        return shipped_model()


def texts(rows: Sequence[dict]) -> set[str]:
    return {text for _, text in messages(rows)}


def test_leaving_one_set_out_never_trains_on_it(sets: dict) -> None:
    recorder = Recorder()
    outcomes = leave_one_set_out(sets, recorder)
    pooled = {text for rows in sets.values() for text in texts(rows)}
    for (name, rows), trained in zip(sets.items(), recorder.trained, strict=True):
        held = texts(rows)
        assert trained == pooled - held
        assert outcomes[name].total == len(rows)


def test_the_rest_of_the_held_set_is_trained_on_but_not_the_scored_fifth(sets: dict) -> None:
    recorder = Recorder()
    outcomes = with_rest_of_held_set(sets, recorder)
    pooled = {text for rows in sets.values() for text in texts(rows)}
    assert len(recorder.trained) == len(sets) * FOLDS
    for index, (name, rows) in enumerate(sets.items()):
        runs = recorder.trained[index * FOLDS : (index + 1) * FOLDS]
        scored = [pooled - trained for trained in runs]
        assert set().union(*scored) == texts(rows)
        assert sum(map(len, scored)) == len(rows)
        assert outcomes[name].total == len(rows)


def test_out_of_fold_scores_each_message_once_untrained(sets: dict) -> None:
    recorder = Recorder()
    outcomes = out_of_fold(sets, recorder)
    pooled = {text for rows in sets.values() for text in texts(rows)}
    held_out = [pooled - trained for trained in recorder.trained]
    assert len(held_out) == FOLDS
    assert sum(map(len, held_out)) == len(pooled)
    assert set().union(*held_out) == pooled
    assert {name: o.total for name, o in outcomes.items()} == {n: len(r) for n, r in sets.items()}


def test_folds_are_stratified_by_set_and_label(sets: dict) -> None:
    assigned = folds(sets)
    pooled = [(name, row["request"]) for name, rows in sets.items() for row in rows]
    groups: dict[tuple[str, str], Counter[int]] = {}
    for group, fold in zip(pooled, assigned, strict=True):
        groups.setdefault(group, Counter())[fold] += 1
    for per_fold in groups.values():
        sizes = [per_fold[k] for k in range(FOLDS)]
        assert max(sizes) - min(sizes) <= 1
