"""The hand-written evaluation sets (DEV to DEV8, may be tuned on; UNSEEN9 and TEST, never
tuned on; each measured unseen first) are well formed, apart from the training examples, and
the shipped detectors and classifier still score on them what the benchmark reports; and the
model's features are what it documents."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import phonenumbers
import pytest
from benchmarks.bench_intake import (
    DEV,
    GRAVE,
    HOLDOUT,
    TEST,
    UNSEEN9,
    cyrillic,
    detect,
    evaluate,
    hand_written,
    holdout_rows,
    labelled_rows,
    published_phrases,
    structured,
)

from lawful.intake.classify import LABELS, RequestClassifier
from lawful.intake.classify.classifier import normalise, shipped_model
from lawful.intake.classify.model import features
from lawful.intake.classify.train import training_examples
from lawful.intake.detect import Registry, load_specs
from lawful.intake.detect.validators import email, ip, kz_iin, luhn, ru_inn, ru_snils

CHECKS = {"CARD": luhn, "RU_INN": ru_inn, "RU_SNILS": ru_snils, "KZ_IIN": kz_iin}
CHECKS |= {"EMAIL": email, "IP": ip}


@pytest.fixture(scope="module")
def sets() -> dict[str, list[dict]]:
    return hand_written()


def test_the_sets_are_large_and_cover_every_label_and_entity(sets: dict) -> None:
    written = len(labelled_rows(DEV)) + len(labelled_rows(TEST))
    assert written >= 300
    assert len(sets["TEST"]) == len(labelled_rows(TEST)) + len(holdout_rows())
    entities = {spec.entity for spec in load_specs().recognizers}
    # Postal addresses are left unmarked in these sets (see their header).
    entities = {e for e in entities if "ADDR" not in e and "POSTAL" not in e}
    # UNSEEN9 was written without an IP address and measured as written; it is not edited since.
    lacking = {"UNSEEN9": {"IP"}}
    for name, rows in sets.items():
        assert {row["request"] for row in rows} == set(LABELS)
        assert {span[2] for row in rows for span in row["spans"]} >= entities - lacking.get(
            name, set()
        )
        assert all("[[" not in row["text"] for row in rows)


def test_every_gold_value_can_exist(sets: dict) -> None:
    for rows in sets.values():
        for row in rows:
            for start, end, entity in row["spans"]:
                value = row["text"][start:end]
                if entity == "PHONE":
                    parsed = [phonenumbers.parse(value, region) for region in ("RU", "VN")]
                    assert any(phonenumbers.is_valid_number(p) for p in parsed), value
                elif entity in CHECKS:
                    assert CHECKS[entity](value), (entity, value)


def test_the_test_set_says_it_is_never_tuned_on() -> None:
    assert "NEVER tuned on" in TEST.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("path", "digests"),
    [
        (TEST, {"81650f74a09e61f27927050b18fecc53aee56bb38cee3045764bd443b536f8ba"}),
        # The unseen check of the seventh round, as committed before its one measurement.
        (UNSEEN9, {"274ffe33b6306d8092611306a26d73309b35a6e0a0ec8807859de3935ed30e05"}),
        # The hold-out as first written, and with the four ADDRESS blocks appended by the
        # address recognizer's author before writing it (see the file's header).
        (
            HOLDOUT,
            {
                "9831ab20c131bb1661426ecb84ab33b34678bdbe32a454b85e3ccceecf250402",
                "b3109672ff947aefe512e070bdeb61d0516e2065184c1143e1f810245268ff2c",
            },
        ),
    ],
)
def test_the_test_files_are_never_edited(path: Path, digests: set[str]) -> None:
    # Written once and measured since: a change here would make the figures meaningless.
    assert hashlib.sha256(path.read_bytes()).hexdigest() in digests


#: Statutory formulas that were training examples before the sets were written and that people
#: really write word for word; every other example must differ from the sets' wording.
FORMULAS = {
    normalise(text)
    for text in (
        "Отзываю согласие на обработку персональных данных",
        "отзыв согласия",
        "I withdraw my consent to the processing of my personal data",
        "Кому вы передаёте мои персональные данные?",
    )
}
#: Training phrases that four UNSEEN9 messages share word for word: its author never read
#: training.yaml, and this test found them after the set's one measurement. All four were
#: classified right; without them UNSEEN9 scores 137/140, the same 0.979.
UNSEEN9_SHARED = {
    normalise(text)
    for text in (
        "Прошу удалить все мои персональные данные",
        "Отпишите меня от всех рассылок, пожалуйста",
        "Келісімімді қайтарып аламын",
        "Мои данные уходят за границу? В какие страны",
    )
}


def test_no_training_example_comes_from_the_evaluation_sets(sets: dict) -> None:
    trained = [normalise(t) for texts in training_examples().values() for t in texts]
    trained = [t for t in trained if t not in FORMULAS]
    for name, rows in sets.items():
        allowed = UNSEEN9_SHARED if name == "UNSEEN9" else set()
        for row in rows:
            message = f" {normalise(row['text'])} "
            sentences = {normalise(s) for s in re.split(r"[.!?\n]+", row["text"])} - {""}
            assert not sentences & set(trained) - allowed, row["text"]
            shared = [t for t in trained if len(t) > 40 and f" {t} " in message]
            assert set(shared) <= allowed


@pytest.fixture(scope="module")
def registry() -> Registry:
    pytest.importorskip("natasha")
    return Registry.build()


@pytest.mark.parametrize(
    "name", ["DEV", "DEV2", "DEV3", "DEV4", "DEV5", "DEV6", "DEV7", "DEV8", "UNSEEN9", "TEST"]
)
def test_detection_meets_its_targets(sets: dict, registry: Registry, name: str) -> None:
    rows = sets[name]
    predictions = detect(registry, rows)
    assert structured(evaluate(rows, predictions)).f1 >= 0.97
    assert cyrillic(rows, predictions).f1 >= 0.85


@pytest.mark.parametrize(
    ("name", "floor"),
    [
        ("DEV", 0.95),
        ("DEV2", 0.95),
        ("DEV3", 0.95),
        ("DEV4", 0.95),
        ("DEV5", 0.95),
        ("DEV6", 0.95),
        ("DEV7", 0.97),
        ("DEV8", 0.95),
        # Measured once, unseen, on the seventh round's model: 141/144 (0.979); the floor is
        # just under it.
        ("UNSEEN9", 0.97),
        ("TEST", 0.95),
    ],
)
def test_request_accuracy_and_no_confident_grave_inquiry(
    sets: dict, name: str, floor: float
) -> None:
    # Every set meets the target since the seventh round, when the model learnt from the DEV
    # messages too (DEV figures are in-sample now; benchmarks.intake_cv has them out of
    # sample). TEST, never tuned on, scored 0.958 in the one run of that round; DEV7's floor
    # stays above the target, as it was.
    classifier = RequestClassifier(published_phrases())
    rows = sets[name]
    results = [classifier.classify(row["text"]) for row in rows]
    right = sum(r.label == row["request"] for r, row in zip(results, rows, strict=True))
    assert right / len(rows) >= floor
    grave = [
        row["text"]
        for r, row in zip(results, rows, strict=True)
        if row["request"] in GRAVE and r.label == "inquiry" and not r.needs_person
    ]
    assert grave == []


def test_each_feature_counts_once_and_addresses_are_dropped() -> None:
    assert features("удалите данные, удалите данные") == features("удалите данные удалите")
    model = shipped_model()
    assert model.scores("удалите " * 5) == model.scores("удалите")
    found = features("write to olga.ivanova@yandex.ru or https://example.org/form")
    assert not any("yandex" in f or "ivanova" in f or "example" in f for f in found)
    assert "w:write" in found
