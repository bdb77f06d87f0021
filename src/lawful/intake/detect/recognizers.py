"""The recognizer kinds ``recognizers.yaml`` may name. Each turns text into findings; the
registry (``registry.py``) builds them from the validated file and resolves their overlaps."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator

import phonenumbers

from lawful.intake.detect.models import Finding, RecognizerSpec
from lawful.intake.detect.validators import VALIDATORS, digits


class Recognizer(ABC):
    """One declared recognizer. Subclasses implement :meth:`candidates`; scoring by context
    and the validator are shared."""

    def __init__(self, spec: RecognizerSpec) -> None:
        self.spec = spec
        self._validate = VALIDATORS[spec.validator]
        self._context = _words_pattern(spec.context)
        self._exclude = _words_pattern(spec.exclude_context)

    @abstractmethod
    def candidates(self, text: str) -> Iterator[tuple[int, int, float]]:
        """Spans that look like the entity, each with its base confidence."""

    def find(self, text: str) -> Iterator[Finding]:
        spec = self.spec
        for start, end, base in self.candidates(text):
            if not self._validate(text[start:end]):
                continue
            before = text[max(0, start - spec.context_window) : start]
            seen = _last(self._context, before)
            # A label that excludes ("заказ", "version") speaks only for its own line.
            line = before.rfind("\n") + 1
            excluded = _last(self._exclude, before[line:])
            if excluded >= 0 and excluded + line > seen or (spec.require_context and seen < 0):
                continue
            confidence = min(1.0, base + (spec.context_boost if seen >= 0 else 0.0))
            yield Finding(spec.entity, start, end, round(confidence, 3), spec.name)


def _last(pattern: re.Pattern[str] | None, text: str) -> int:
    """Where the last word of ``pattern`` starts in ``text``; -1 when there is none. The
    nearest label before a match decides what it is."""
    last = -1
    if pattern is not None:
        for match in pattern.finditer(text):
            last = match.start()
    return last


def _words_pattern(words: list[str]) -> re.Pattern[str] | None:
    """Context words match at a word start, case-insensitively (``тел.`` and ``Телефон``)."""
    if not words:
        return None
    alternatives = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})", re.IGNORECASE)


class PatternRecognizer(Recognizer):
    def __init__(self, spec: RecognizerSpec) -> None:
        super().__init__(spec)
        self._patterns = [re.compile(pattern) for pattern in spec.patterns]

    def candidates(self, text: str) -> Iterator[tuple[int, int, float]]:
        for pattern in self._patterns:
            for match in pattern.finditer(text):
                start, end = match.span()
                # A sentence's full stop is not part of an address.
                while end > start and text[end - 1] in ".-'":
                    end -= 1
                yield start, end, self.spec.confidence


# Digit runs phonenumbers accepts but people do not write as phones: dates and bare runs
# that are order numbers, INNs or passport numbers (see _plausible_bare_run).
_DATE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
_DOTTED = re.compile(r"^\d{1,3}(?:\.\d{1,3}){2,}$")
# Seven or more digits with the separators people put in phones, on one line.
_PHONE_RUN = re.compile(r"\+?\(?\d(?:[ \t().-]{0,3}\d){6,}\)?")


class PhoneRecognizer(Recognizer):
    """phonenumbers' ``PhoneNumberMatcher`` over each run of digits that could be a phone, in
    the operator's regions in turn (RU and KZ share +7), keeping only numbers people write as
    phones. Matching runs rather than whole messages keeps it fast: most text has none."""

    def __init__(self, spec: RecognizerSpec) -> None:
        super().__init__(spec)
        by_code: dict[int, str] = {}
        for region in spec.regions:
            by_code.setdefault(phonenumbers.country_code_for_region(region), region)
        self._regions = list(by_code.values())

    def candidates(self, text: str) -> Iterator[tuple[int, int, float]]:
        for run in _PHONE_RUN.finditer(text):
            if not _may_hold_phone(run.group()):
                continue
            # A little context either side: the matcher checks what surrounds a number.
            start = max(0, run.start() - 2)
            window = text[start : run.end() + 2]
            spans: list[tuple[int, int]] = []
            for region in self._regions:
                spans = [
                    (start + m.start, start + m.end)
                    for m in phonenumbers.PhoneNumberMatcher(
                        window, region, leniency=phonenumbers.Leniency.VALID
                    )
                ]
                if spans:
                    break
            for begin, end in spans:
                if _looks_like_phone(text, begin, end):
                    yield begin, end, self.spec.confidence


def _may_hold_phone(run: str) -> bool:
    """Whether the matcher could find in ``run`` a phone that :func:`_looks_like_phone` keeps:
    not in a date or a dotted run, nor in a bare digit run of a shape people do not type
    phones in (a part of it would be glued to its other digits). Parsing is most of the
    detectors' time, and order numbers and dates are common."""
    if _DATE.match(run) or _DOTTED.match(run):
        return False
    return not run.isdigit() or _plausible_bare_run(run)


def _looks_like_phone(text: str, start: int, end: int) -> bool:
    raw = text[start:end]
    if _DATE.match(raw) or _DOTTED.match(raw):  # dates, IP addresses, versions
        return False
    # A phone is not glued to letters or to more digits (``ID4505123456``, ``12345678901234``).
    if start and (text[start - 1].isalnum()) or end < len(text) and text[end].isalnum():
        return False
    if raw.startswith("+") or any(not ch.isdigit() for ch in raw):
        return True
    return _plausible_bare_run(raw)


def _plausible_bare_run(run: str) -> bool:
    """An unbroken digit run is a phone only in the shapes people type phones in: 8/7 and ten
    digits (RU/KZ), 9 and nine more (RU mobile), 0 and nine more (VN). Ten-digit INNs and
    passport numbers starting with other digits stay out."""
    number = digits(run)
    if len(number) == 11:
        return number[0] in "78"
    if len(number) == 10:
        return number[0] in "90"
    return False


_NAME_WORD = r"[^\W\d_]+(?:['’-][^\W\d_]+)*"
# A form label: the name after it may be in any case («ФИО: иванов иван иванович»).
_LABEL = (
    r"(?:ФИО|Ф\.\s?И\.\s?О\.|Фамилия,? имя(?:,? отчество)?|Имя|Full name|Name|Họ và tên|Họ tên|"
    r"Аты-жөні|Аты жөні)\s*[:–-]\s*"
)
# A phrase cue: the name after it must be capitalised.
_PHRASE = (
    r"(?:меня зовут|я,|my name is|i am|i'm|this is|с уважением,?|regards,?|best regards,?|"
    r"kind regards,?|sincerely,?|thanks,|thank you,|cheers,|dear|уважаемый|уважаемая|"
    r"tên tôi là|tôi là|от имени|on behalf of|mr\.?|mrs\.?|ms\.?|dr\.?|г-н|г-жа|from:|от:"
    # The signature delimiter of RFC 3676, alone on its line.
    r"|(?m:^)--[ \t]*(?=\n))\s+"
)
_WORDS = rf"((?:{_NAME_WORD})(?:[ \t]+{_NAME_WORD}){{1,3}})"
_LABELLED = re.compile(rf"(?im)(?:^|(?<=[\s,;]))(?:{_LABEL}){_WORDS}")
_CUED = re.compile(rf"(?i)(?<!\w)(?:{_PHRASE}){_WORDS}")
_STOP = frozenset(
    "i am the and for from with about your my our to of in on at please хочу прошу я мы вас "
    "ваш ваша наш как что это не и в на по от".split()
)


class NameCueRecognizer(Recognizer):
    """Full names after a form label or a cue phrase, in Latin or Cyrillic script."""

    def candidates(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in _LABELLED.finditer(text):
            yield from self._words(text, match, any_case=True)
        for match in _CUED.finditer(text):
            yield from self._words(text, match, any_case=False)

    def _words(
        self, text: str, match: re.Match[str], *, any_case: bool
    ) -> Iterator[tuple[int, int, float]]:
        start = match.start(1)
        words: list[tuple[int, int]] = []
        for word in re.finditer(r"\S+", match.group(1)):
            token = word.group()
            if token.casefold() in _STOP or not (any_case or token[:1].isupper()):
                break
            words.append((start + word.start(), start + word.end()))
        if len(words) >= 2:
            yield words[0][0], words[-1][1], self.spec.confidence


class NatashaRecognizer(Recognizer):
    """Person names by natasha's NER and the rules of :mod:`lawful.intake.detect.ner`: Russian
    (and Kazakh-Cyrillic) names in any grammatical case and either order, Latin-script and
    Vietnamese names. Run line by line: whole messages hide names after header lines."""

    def __init__(self, spec: RecognizerSpec) -> None:
        super().__init__(spec)
        from lawful.intake.detect import ner

        ner.tagger()
        self._persons = ner.persons

    def candidates(self, text: str) -> Iterator[tuple[int, int, float]]:
        return self._persons(text, self.spec.confidence)


KINDS: dict[str, type[Recognizer]] = {
    "pattern": PatternRecognizer,
    "phone": PhoneRecognizer,
    "name_cues": NameCueRecognizer,
    "natasha": NatashaRecognizer,
}
