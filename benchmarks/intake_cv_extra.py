"""The two schemes of ``benchmarks.intake_cv`` that need numpy (installed with the ``ner``
extra): a navec nearest-neighbour vote beside naive Bayes, and softmax regression."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Sequence
from functools import cache

import numpy as np
from navec import Navec  # type: ignore[import-untyped]

from lawful.intake.classify.classifier import focus
from lawful.intake.classify.model import NaiveBayes
from lawful.intake.classify.text import prepare

_WORD = re.compile(r"[^\W\d_]+")


@cache
def navec() -> Navec:
    import natasha

    path = "data/emb/navec_news_v1_1B_250K_300d_100q.tar"
    return Navec.load(os.path.join(os.path.dirname(natasha.__file__), path))


@cache
def embed(text: str) -> np.ndarray | None:
    """The mean navec vector of the words longer than two letters, unit length (navec knows
    Russian news words: English and Vietnamese messages mostly have none)."""
    table = navec()
    vectors = [table[w] for w in _WORD.findall(prepare(text)) if len(w) > 2 and w in table]
    if not vectors:
        return None
    mean = np.mean(vectors, axis=0)
    return mean / (np.linalg.norm(mean) + 1e-9)  # type: ignore[no-any-return]


class EmbeddingVote:
    """Naive Bayes's probabilities times the similarity-weighted vote of the ``k`` nearest
    training texts, geometrically blended (``blend`` is the vote's share)."""

    def __init__(
        self,
        model: NaiveBayes,
        phrases: Sequence[tuple[str, str, float]],
        messages: Sequence[tuple[str, str]],
        *,
        k: int = 10,
        blend: float = 0.2,
    ) -> None:
        self.model, self.labels, self.k, self.blend = model, model.labels, k, blend
        texts = [(label, text) for label, text, _ in phrases]
        texts += [(label, focus(text)) for label, text in messages]
        embedded = [(label, embed(text)) for label, text in texts]
        kept = [(label, vector) for label, vector in embedded if vector is not None]
        self.matrix = np.stack([vector for _, vector in kept])
        self.targets = np.array([self.labels.index(label) for label, _ in kept])

    def scores(self, text: str) -> dict[str, float]:
        base = self.model.scores(text)
        vector = embed(text)
        if vector is None:
            return base
        similarity = self.matrix @ vector
        vote = np.full(len(self.labels), 0.5 / len(self.labels))
        for index in np.argsort(-similarity)[: self.k]:
            vote[self.targets[index]] += max(float(similarity[index]), 0.0)
        vote /= vote.sum()
        blended = np.array([base[label] for label in self.labels]) ** (1 - self.blend)
        blended *= vote**self.blend
        blended /= blended.sum()
        return {label: float(blended[i]) for i, label in enumerate(self.labels)}


class SoftmaxRegression:
    """A linear model on the naive Bayes features, each example's binary features scaled to
    unit length, fitted by full-batch Adam with an L2 penalty."""

    def __init__(
        self,
        labels: tuple[str, ...],
        vocabulary: dict[str, int],
        weights: np.ndarray,
        bias: np.ndarray,
        feature_set: Callable[[str], frozenset[str]],
    ) -> None:
        self.labels, self.vocabulary = labels, vocabulary
        self.weights, self.bias, self.feature_set = weights, bias, feature_set

    def scores(self, text: str) -> dict[str, float]:
        found = self.feature_set(text)
        known = [self.vocabulary[f] for f in found if f in self.vocabulary]
        logits = self.bias.copy()
        if known:
            logits += self.weights[known].sum(axis=0) / math.sqrt(len(found))
        exp = np.exp(logits - logits.max())
        return {label: float(p) for label, p in zip(self.labels, exp / exp.sum(), strict=True)}

    @classmethod
    def fit(
        cls,
        phrases: Sequence[tuple[str, str, float]],
        messages: Sequence[tuple[str, str]],
        feature_set: Callable[[str], frozenset[str]],
        *,
        l2: float = 1e-6,
        steps: int = 300,
        rate: float = 0.2,
    ) -> SoftmaxRegression:
        labels = tuple(dict.fromkeys(label for label, _, _ in phrases))
        examples = [(label, feature_set(text)) for label, text, _ in phrases]
        examples += [(label, feature_set(focus(text))) for label, text in messages]
        vocabulary: dict[str, int] = {}
        for _, found in examples:
            for feature in sorted(found):
                vocabulary.setdefault(feature, len(vocabulary))
        columns = [sorted(vocabulary[f] for f in found) for _, found in examples]
        starts = np.cumsum([0] + [len(c) for c in columns[:-1]])
        index = np.concatenate([np.array(c) for c in columns])
        value = np.concatenate([np.full(len(c), 1 / math.sqrt(len(c))) for c in columns])[:, None]
        row = np.repeat(np.arange(len(columns)), [len(c) for c in columns])
        target = np.zeros((len(examples), len(labels)))
        target[np.arange(len(examples)), [labels.index(label) for label, _ in examples]] = 1
        weights, bias = np.zeros((len(vocabulary), len(labels))), np.zeros(len(labels))
        params = (weights, bias)
        firsts = [np.zeros_like(weights), np.zeros_like(bias)]
        seconds = [np.zeros_like(weights), np.zeros_like(bias)]
        for step in range(1, steps + 1):
            logits = np.add.reduceat(weights[index] * value, starts, axis=0) + bias
            exp = np.exp(logits - logits.max(axis=1, keepdims=True))
            error = (exp / exp.sum(axis=1, keepdims=True) - target) / len(examples)
            grad_weights = np.zeros_like(weights)
            np.add.at(grad_weights, index, error[row] * value)
            grad_weights += l2 * weights
            for param, grad, first, second in zip(
                params, (grad_weights, error.sum(axis=0)), firsts, seconds, strict=True
            ):
                first *= 0.9
                first += 0.1 * grad
                second *= 0.999
                second += 0.001 * grad * grad
                corrected = np.sqrt(second / (1 - 0.999**step)) + 1e-8
                param -= rate * (first / (1 - 0.9**step)) / corrected
        return cls(labels, vocabulary, weights, bias, feature_set)


class Mean:
    """The mean of two models' probabilities."""

    def __init__(self, first: NaiveBayes, second: SoftmaxRegression) -> None:
        self.first, self.second, self.labels = first, second, first.labels

    def scores(self, text: str) -> dict[str, float]:
        a, b = self.first.scores(text), self.second.scores(text)
        return {label: (a[label] + b[label]) / 2 for label in self.labels}
