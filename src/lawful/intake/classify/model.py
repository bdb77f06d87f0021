"""A multinomial naive Bayes model over words, word pairs and character 4-grams, in the
standard library. Small and transparent on purpose: ``explain`` shows which features pushed a
message towards a label, and the whole model is one JSON file shipped in the package.

Character n-grams inside words absorb Russian inflection, typos and transliteration variants
(«удалите», «удолите», «udalite» share grams); word pairs keep short phrases («stop emailing»)."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain

from lawful.intake.classify.text import prepare

_WORD = re.compile(r"[^\W\d_]+")
GRAM = 4


# Greetings and politeness say nothing about what is asked, yet they would side with whichever
# label's examples happen to use them more.
_GREETINGS = frozenset(
    "здравствуйте добрый день доброе утро вечер привет уважаемые уважаемый коллеги hello hi "
    "dear sir madam good morning afternoon there xin chào сәлеметсіз бе сәлем".split()
    # Labels of contact details and order paperwork: they surround every kind of request.
    + "тел телефон связи почта почту паспорт серии выдан инн снилс иин карта картой карты "
    "мир заказ заказа заказу номер логах ip версия приложения сумма руб платежа счет счета "
    "договор поставщик ооо фио трек mobile phone email mail card order invoice tracking app "
    "version amount rub sales manager sđt số cccd байланыс".split()
    # Subject-line words and "personal data" itself: they come with every kind of request.
    + "question вопрос обращение fwd fw re personal data персональные данные".split()
)


#: E-mail addresses and links: their pieces («gmail», «yandex», «com») say who wrote, not what
#: is asked.
_ADDRESS = re.compile(r"\S+@\S+|(?:https?://|www\.)\S+")


def features(text: str) -> set[str]:
    """Each feature once (binary naive Bayes): a long letter repeats its words and grams, and
    counting them would let its length, not its request, decide."""
    text = prepare(_ADDRESS.sub(" ", text))
    words = [w for w in _WORD.findall(text) if w not in _GREETINGS]
    found = {f"w:{word}" for word in words}
    found.update(f"b:{a} {b}" for a, b in zip(words, words[1:], strict=False))
    for word in words:
        padded = f"<{word}>"
        found.update(f"c:{padded[i : i + GRAM]}" for i in range(max(1, len(padded) - GRAM + 1)))
    return found


@dataclass(frozen=True)
class NaiveBayes:
    labels: tuple[str, ...]
    log_prior: Mapping[str, float]
    #: label -> feature -> log P(feature | label); unseen features take ``log_unseen[label]``.
    log_likelihood: Mapping[str, Mapping[str, float]]
    log_unseen: Mapping[str, float]
    #: Divides the joint log-probabilities before the softmax: NB's independence assumption
    #: makes raw posteriors near 0 or 1; this is fitted so confidences mean something.
    temperature: float
    #: feature -> [(label index, its log-likelihood above the label's unseen value)]: scoring
    #: then touches only the labels that saw a feature.
    _index: dict[str, list[tuple[int, float]]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, list[tuple[int, float]]] = {}
        for position, label in enumerate(self.labels):
            unseen = self.log_unseen[label]
            for feature, value in self.log_likelihood[label].items():
                index.setdefault(feature, []).append((position, value - unseen))
        object.__setattr__(self, "_index", index)

    @classmethod
    def train(
        cls,
        examples: Mapping[str, Sequence[str]],
        *,
        alpha: float = 0.3,
        temperature: float = 1.0,
        weighted: Iterable[tuple[str, str, float]] = (),
    ) -> NaiveBayes:
        """Count ``examples`` (label -> texts, each counted once) and ``weighted`` (label, text,
        weight): a text counted ``weight`` times, e.g. a long message that should pull less
        than a phrase written for its label."""
        counts: dict[str, Counter[str]] = {label: Counter() for label in examples}
        sizes: dict[str, float] = dict.fromkeys(examples, 0.0)
        every = chain(
            ((label, text, 1.0) for label, texts in examples.items() for text in texts), weighted
        )
        for label, text, weight in every:
            if label not in counts:
                raise ValueError(f"a weighted example's label {label!r} has no examples")
            counts[label].update(dict.fromkeys(features(text), weight))
            sizes[label] += weight
        size = len(set().union(*counts.values()))
        likelihood: dict[str, dict[str, float]] = {}
        unseen: dict[str, float] = {}
        for label, label_counts in counts.items():
            denominator = math.log(sum(label_counts.values()) + alpha * size)
            likelihood[label] = {
                feature: math.log(count + alpha) - denominator
                for feature, count in label_counts.items()
            }
            unseen[label] = math.log(alpha) - denominator
        total = sum(sizes.values())
        return cls(
            labels=tuple(examples),
            log_prior={label: math.log(sizes[label] / total) for label in examples},
            log_likelihood=likelihood,
            log_unseen=unseen,
            temperature=temperature,
        )

    def scores(self, text: str) -> dict[str, float]:
        """label -> probability, summing to one."""
        size = 0
        lift = [0.0] * len(self.labels)
        for feature in features(text):
            entries = self._index.get(feature)
            if entries is None:
                continue
            size += 1
            for position, value in entries:
                lift[position] += value
        scale = self.temperature * math.sqrt(max(1, size))
        joint = [
            self.log_prior[label] + (size * self.log_unseen[label] + lift[i]) / scale
            for i, label in enumerate(self.labels)
        ]
        top = max(joint)
        exp = [math.exp(value - top) for value in joint]
        norm = sum(exp)
        return {label: exp[i] / norm for i, label in enumerate(self.labels)}

    def explain(self, text: str, label: str, *, top: int = 5) -> list[str]:
        """The features that most favour ``label`` over the average label."""

        def lift(feature: str) -> float:
            own = self.log_likelihood[label].get(feature, self.log_unseen[label])
            rest = [t.get(feature, self.log_unseen[k]) for k, t in self.log_likelihood.items()]
            return own - sum(rest) / len(rest)

        return sorted(features(text), key=lift, reverse=True)[:top]

    def to_json(self) -> str:
        payload = {
            "labels": list(self.labels),
            "log_prior": self.log_prior,
            "log_likelihood": self.log_likelihood,
            "log_unseen": self.log_unseen,
            "temperature": self.temperature,
        }
        return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> NaiveBayes:
        data = json.loads(text)
        return cls(
            labels=tuple(data["labels"]),
            log_prior=data["log_prior"],
            log_likelihood=data["log_likelihood"],
            log_unseen=data["log_unseen"],
            temperature=float(data["temperature"]),
        )
