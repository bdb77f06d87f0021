"""Recognise what a message asks: the operator's published phrases first (exact, top
confidence), then the shipped model; below the threshold a person decides."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Literal

from lawful.config.models import Policy
from lawful.intake.classify.model import NaiveBayes
from lawful.intake.classify.text import prepare

DEFAULT_THRESHOLD = 0.6
#: Words that mean the person may want their data gone or their consent back. A message with
#: one of them is never an inquiry at high confidence: a missed erasure or withdrawal breaks
#: the law, a person reading an inquiry twice costs a minute.
_GRAVE = re.compile(
    r"(?i)(?<!\w)(?:удал|стер|стир|сотр|уничтож|отзыв|отозв|забуд|аннулир|не\s*соглас|delet|eras|"
    r"remov|wipe|wiping|purg|scrub|get rid|withdr|revok|revoc|forget|no longer consent|"
    r"xóa|xoá|rút lại|жой|udal|ster|stir|unichtozh|otzyv|otozv|otzov)"
)
_GRAVE_LABELS = ("erasure", "withdrawal")
#: Labels that a message cannot have without a word of their own. Consent *given* («я согласен
#: на обработку», "I've signed the consent form") shares every word of a withdrawal but the
#: taking back; a question about a policy («какой у вас срок хранения записей?») shares the
#: words of an access request but not its owner: access is about *my* data, and a policy
#: question is a question (an imperative «provide all data relating to <name>» names its owner
#: otherwise). Likewise a correction says what is wrong or new, a portability request names a
#: file, a format or another provider, and transfer_info asks who gets the data or where. When the
#: model picks one of these labels and its cue is missing, the next label is taken and a person
#: checks it. The cues are wide on purpose: they only ever send a message to a person.
_CUES = {
    # An erasure names the deletion (or closing the account, or leaving the database): the
    # model also leans to it on words that merely sit near deletions in its examples ("last",
    # "under", "registered"), and then a booking question came out a confident erasure. Typos of
    # "delete" («delte», «dleete») count.
    "erasure": re.compile(
        r"(?<!\w)(?:удал|удол|ыдал|стер|стир|сотр|уничтож|забуд|забыт|убер|убра|исключ|очист|"
        r"закр[оы]|аннулир|деактив|(?:в|из) (?:ваш\w+ )?баз|d[el]{2,4}t|eras|remov|wipe|wiping|"
        r"purg|scrub|get rid|forg[eo]t|destroy|nuke|close|closing|deactiv|database|xóa|xoá|жой|"
        r"udal|ster|stir|unichtozh)"
    ),
    "withdrawal": re.compile(
        r"(?<!\w)(?:отз|отозв|отказ|передума|больше не|более не|уже не|не да[юе]|"
        r"не соглас|прекра|недейств|аннулир|отмен|withd|witdr|revok|revoc|no longer|any ?more|"
        r"tak(?:e|ing) (?:it |that |this )?back|pull|changed my mind|saying no|cancel|rút|huỷ|"
        r"không còn|nữa|қайтар|бас тарт)"
    ),
    "access": re.compile(
        r"(?<!\w)(?:я|мне|меня|мной|мо[йеяию]\w*|сво\w+|обо|i|me|my|mine|myself|i'm|i'd|i've|"
        r"tôi|em|mình|мен|менің|маған|мені|subject access|dsar|доступ к персональн\w*|"
        # A request for a parent or a child names its owner in the third person.
        r"запрос субъекта|(?:о|об|про|на) (?:ней|нем|него|нее|них)|him|her|his|their)(?!\w)"
    ),
    "rectification": re.compile(
        r"(?<!\w)(?:испр|измен|поменя|смен|замен|обнов|неверн|неправ|ошиб|опечат|актуал|уточн|"
        r"устарел|внес|поправ|не так|вместо|правильн|нов|перепута|на самом деле|wrong|incorrect|"
        r"correct|updat|chang|fix|amend|misspel|spelt|spelled|typo|outdated|old|new|replac|"
        r"rectif|instead|not my|no longer|actually|sort|down as|cập nhật|sửa|đổi|sai|mới|түзет|"
        r"өзгерт|ispr|izmen|pomen|obnov)"
    ),
    "portability": re.compile(
        r"(?<!\w)(?:формат|файл|выгруз|экспорт|csv|json|xml|excel|pdf|архив|перен|перевес|перевож|"
        r"перейти|переход|перешл|друг|новому|нов|переносим|машиночита|скача|забрать|электронн|"
        r"поставщик|оператор|export|download|file|format|machine|portab|transmit|another|new|"
        r"other|mov|switch|import|xuất|tải|chuyển|khác|тасымал|басқа)"
    ),
    "transfer_info": re.compile(
        r"(?<!\w)(?:кому|кого|кто|кем|кім|трет|переда|партн|получ|организац|стран|государств|"
        r"границ|за рубеж|сторон|куда|коллект|банк|слил|прода|дели|компани|подрядчик|доступ|"
        r"who|whom|third|"
        r"recipient|shar|transfer|pass|sold|sell|countr|abroad|outside|partner|disclos|sent|send|"
        r"give|gave|gets|receiv|processor|vendor|provider|access|where|chia sẻ|bên thứ ba|"
        # Vietnamese "partner" and "send (to)", as the English "partner" and "sent|send".
        r"nước ngoài|cho ai|ai|bán|chuyển|bên nhận|đối tác|gửi|берд|kem|komu|delit|pereda)"
    ),
}


#: An access request names what it wants to see — data, records, a copy, what is kept or known
#: — and not only its owner: «у меня аллергия на орехи, в торте есть орехи?» has an owner and a
#: question, but asks about a cake.
_ACCESS_OBJECT = re.compile(
    r"(?<!\w)(?:данн|сведен|информац|инфо|запис|досье|анкет|профил|истори|копи|выписк|хран|"
    r"собра|собир|насобир|сохран|знает|знаете|(?:обо|про|на) меня|обо мне|про меня|есть у вас|"
    r"у вас есть|что у вас|видят|перечень|отч[её]т|справк|data|info|record|file|detail|"
    r"cop(?:y|ies)|stor|kept|keep|hold|held|sav(?:e|ed|ing)|collect|gather|know|about me|on me|"
    r"have on|everything|dsar|subject access|access|transcript|note|log|histor|recording|"
    r"profile|dữ liệu|thông tin|hồ sơ|bản sao|lưu|мәлімет|дерек|dann|sveden|informac|obo mne|"
    r"pro menja|hranit)"
)


@dataclass(frozen=True)
class Classification:
    label: str
    confidence: float
    source: Literal["phrase", "model"]
    needs_person: bool
    #: Every label's probability from the model (empty for a phrase match).
    scores: Mapping[str, float] = field(default_factory=dict)


# Lines that carry no request: mail headers of a forwarded message, separators, quoted
# replies, and everything from a sign-off on (the signature).
_HEADER = re.compile(
    r"(?im)^(?:(?:from|to|cc|date|sent|subject|от|кому|копия|дата|тема|отправлено)\s*:.*"
    r"|-{2,}.*|>.*)$"
)
_SIGN_OFF = re.compile(
    r"(?im)^(?:с уважением|с наилучшими пожеланиями|всего доброго|всего хорошего|заранее спасибо"
    r"|best regards|kind regards|warm regards|regards|best wishes|best|cheers|many thanks"
    r"|thanks in advance|thanks|thank you|yours sincerely|yours faithfully|sincerely|спасибо"
    r"|--)[,.!]?[ \t]*$"
    r"|^с уважением,.*$|^(?:sent from my|отправлено с|отправлено из)\b.*$"
)
#: Where a reply quotes the message it answers without «>» marks: what follows is the old
#: message (often the operator's own), not what the person asks now. A forwarded message is
#: kept: there the forwarded text is usually the request.
_QUOTED_REPLY = re.compile(
    r"(?im)^(?:-{2,}\s*(?:original message|исходное сообщение)\s*-{2,}"
    r"|on .{4,100}\bwrote:|.{4,100}\b(?:написал|написала|пишет)\s*:)[ \t]*$"
)


def focus(text: str) -> str:
    """The part of a message that says what is asked (no headers, quotes or signature)."""
    reply = _QUOTED_REPLY.search(text)
    if reply is not None and text[: reply.start()].strip():
        text = text[: reply.start()]
    body = _HEADER.sub("", text)
    cut = _SIGN_OFF.search(body)
    if cut is not None and body[: cut.start()].strip():
        body = body[: cut.start()]
    return body


def normalise(text: str) -> str:
    """Case, «ё», punctuation and spacing do not matter when matching a published phrase."""
    return " ".join(re.findall(r"\w+", text.casefold().replace("ё", "е")))


@cache
def shipped_model() -> NaiveBayes:
    source = resources.files("lawful.intake.classify").joinpath("model.json")
    return NaiveBayes.from_json(source.read_text("utf-8"))


class RequestClassifier:
    def __init__(
        self,
        phrases: Mapping[str, Sequence[str]] | None = None,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        model: NaiveBayes | None = None,
    ) -> None:
        self.threshold = threshold
        self.model = model or shipped_model()
        self._phrases = [
            (normalise(phrase), label)
            for label, texts in (phrases or {}).items()
            for phrase in texts
            if normalise(phrase)
        ]

    @classmethod
    def for_policy(
        cls, policy: Policy, *, threshold: float = DEFAULT_THRESHOLD
    ) -> RequestClassifier:
        """A classifier that knows the phrases ``policy`` tells people to use."""
        phrases = {str(right): list(texts) for right, texts in policy.request_phrases.items()}
        return cls(phrases, threshold=threshold)

    def classify(self, body: str, *, subject: str = "") -> Classification:
        text = f"{subject}\n{body}" if subject else body
        folded = f" {normalise(text)} "
        for phrase, label in self._phrases:
            if f" {phrase} " in folded:
                return Classification(label, 1.0, "phrase", needs_person=False)
        focused = f"{subject}\n{focus(body)}"
        scores = self.model.scores(focused)
        ranked = sorted(scores, key=scores.__getitem__, reverse=True)
        label, confidence = ranked[0], scores[ranked[0]]
        prepared = prepare(focused)
        if self._uncued(label, focused, prepared):
            # The next label *with* its cue: a demoted portability request with no word of
            # deleting is no erasure either.
            label = next(k for k in ranked[1:] if not self._uncued(k, focused, prepared))
            rest = sum(v for k, v in scores.items() if k != ranked[0])
            confidence = min(scores[label] / rest, self.threshold / 2)
        if label == "inquiry" and self._maybe_grave(text, scores):
            confidence = min(confidence, self.threshold / 2)
        return Classification(
            label, round(confidence, 4), "model", confidence < self.threshold, scores
        )

    @staticmethod
    def _uncued(label: str, focused: str, prepared: str) -> bool:
        if label == "access":
            owner = "?" not in focused or bool(_CUES["access"].search(prepared))
            return not (owner and _ACCESS_OBJECT.search(prepared))
        return label in _CUES and not _CUES[label].search(prepared)

    @staticmethod
    def _maybe_grave(text: str, scores: Mapping[str, float]) -> bool:
        return bool(_GRAVE.search(text)) or sum(scores.get(k, 0.0) for k in _GRAVE_LABELS) > 0.1
