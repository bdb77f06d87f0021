"""Request classification: published phrases first, then the shipped model; a person decides
below the threshold; erasure and withdrawal are never a confident inquiry."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest

from lawful.config.loader import load_policy
from lawful.intake.classify import LABELS, RequestClassifier
from lawful.intake.classify.classifier import focus
from lawful.intake.classify.train import train, training_examples


@pytest.fixture(scope="module")
def classifier() -> RequestClassifier:
    return RequestClassifier(
        {
            "withdrawal": ["Отзыв согласия на обработку персональных данных"],
            "objection": ["Refusal to receive notifications about new products"],
        }
    )


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("удалите мои данные", "erasure"),
        ("Пожалуйста, сотрите всю информацию обо мне из вашей базы", "erasure"),
        ("please stop emailing me", "objection"),
        ("Отпишите меня от рассылки", "objection"),
        ("Отзываю согласие на обработку персональных данных", "withdrawal"),
        ("I withdraw my consent", "withdrawal"),
        ("Какие мои данные вы храните?", "access"),
        ("My email changed, please update it in your records", "rectification"),
        ("Уберите моё фото с вашего сайта", "distribution_stop"),
        ("Когда приедет курьер с заказом?", "inquiry"),
        ("Буду жаловаться в Роскомнадзор на утечку моих данных", "complaint"),
    ],
)
def test_it_recognises_free_wording(classifier: RequestClassifier, text: str, label: str) -> None:
    result = classifier.classify(text)
    assert (result.label, result.source) == (label, "model")


def test_a_published_phrase_wins_at_top_confidence(classifier: RequestClassifier) -> None:
    # The body alone would read as an inquiry; the subject is the phrase the policy publishes.
    result = classifier.classify(
        "Здравствуйте, когда будет доставка?",
        subject="ОТЗЫВ согласия на обработку персональных данных!",
    )
    assert (result.label, result.confidence, result.source) == ("withdrawal", 1.0, "phrase")
    assert not result.needs_person


def test_a_phrase_must_match_whole_words(classifier: RequestClassifier) -> None:
    result = classifier.classify("Refusal to receive notifications about new productsXYZ")
    assert result.source == "model"


@pytest.mark.parametrize(
    "text",
    [
        "как удалить аккаунт?",
        "Здравствуйте! Когда доставка? И удалите, пожалуйста, мой номер.",
        "Hello, when will my order arrive? Also please delete my data.",
        "Подскажите, а как отозвать согласие?",
        "withdraw",
    ],
)
def test_erasure_or_withdrawal_is_never_a_confident_inquiry(
    classifier: RequestClassifier, text: str
) -> None:
    result = classifier.classify(text)
    assert result.label != "inquiry" or result.needs_person


def test_below_the_threshold_a_person_decides() -> None:
    strict = RequestClassifier(threshold=0.999)
    result = strict.classify("данные")
    assert result.needs_person and result.confidence < 0.999
    assert set(result.scores) == set(LABELS)
    assert abs(sum(result.scores.values()) - 1) < 1e-9


def test_headers_and_signature_do_not_count() -> None:
    mail = (
        "-------- Forwarded message --------\nFrom: Someone <a@b.c>\nSubject: order\n\n"
        "Please delete my data.\n\nBest regards,\nJohn Smith\nSales manager, orders and offers"
    )
    assert focus(mail).strip() == "Please delete my data."


def test_the_classifier_reads_the_policy_phrases() -> None:
    template = files("lawful.config").joinpath("templates/ru-design-studio.yaml")
    policy = load_policy(Path(str(template))).policy
    result = RequestClassifier.for_policy(policy).classify(
        "Добрый день.", subject="Уничтожение персональных данных"
    )
    assert (result.label, result.source) == ("erasure", "phrase")


def test_the_shipped_model_is_trained_from_the_shipped_examples() -> None:
    shipped = files("lawful.intake.classify").joinpath("model.json").read_text("utf-8")
    assert shipped == train().to_json() + "\n", "run python -m lawful.intake.classify.train"


def test_every_label_has_russian_and_english_examples() -> None:
    examples = training_examples()
    assert set(examples) == set(LABELS)
    for texts in examples.values():
        assert any(any("а" <= ch <= "я" for ch in t.lower()) for t in texts)
        assert any(t.isascii() for t in texts)
