"""Person names, the slow way: natasha's NER tagger, loaded once per process (about 1.5 s: the
models ship in its wheel, nothing is downloaded), backed by three general rules where the
tagger, trained on news prose, misses the names people write in letters and signatures:

- Cyrillic «Фамилия Имя [Отчество]» and «Фамилия И. О.»: adjacent capitalised words that
  natasha's morphology (pymorphy's dictionary) calls a surname and a first name or patronymic,
  in any grammatical case; Kazakh first names are not in that dictionary, so a word in Kazakh
  letters stands for one next to a surname;
- Latin-script names: a common given name (``given_names.yaml``) followed by a capitalised
  surname, anywhere in the text (signatures, "Best, Jane Doe", "my daughter Emily Carter");
- Vietnamese names: one of the common family names followed by two or three given names.

natasha is the optional ``lawful[ner]`` extra."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

Span = tuple[int, int, float]


@cache
def tagger() -> Any:
    """The ``NewsNERTagger``; raises ImportError when the ``ner`` extra is not installed."""
    from natasha import NewsEmbedding, NewsNERTagger

    return NewsNERTagger(NewsEmbedding())


@cache
def morph() -> Any:
    """natasha's ``MorphVocab`` (pymorphy with its dictionary, shipped in the wheel)."""
    from natasha import MorphVocab

    return MorphVocab()


def available() -> bool:
    try:
        import natasha  # noqa: F401
    except ImportError:
        return False
    return True


def persons(text: str, confidence: float) -> Iterator[Span]:
    """Every person's name natasha or the rules find; overlaps are left to the registry."""
    offset = 0
    for line in text.split("\n"):
        if _CYRILLIC_CAPITAL.search(line):
            for span in tagger()(line).spans:
                if span.type == "PER":
                    found = _natasha_person(line, span.start, span.stop, confidence)
                    if found is not None:
                        yield offset + found[0], offset + found[1], found[2]
            for start, stop in cyrillic_names(line):
                yield offset + start, offset + stop, confidence
        offset += len(line) + 1
    for start, stop in latin_names(text):
        yield start, stop, confidence


_CYRILLIC_CAPITAL = re.compile(r"[А-ЯЁӘҒҚҢӨҰҮҺІ]")
_SENTENCE_START = re.compile(r"(?:^|[.!?…:;]\s*|[-–—•*>]\s*)$")


def _natasha_person(line: str, start: int, stop: int, confidence: float) -> Span | None:
    """Keep Cyrillic names; a lone word at the start of a sentence is usually a capitalised
    verb or noun («Отзываю», «Курьер»), so it is dropped, and other lone words score low."""
    name = line[start:stop]
    if not _CYRILLIC_CAPITAL.match(name):
        return None
    if " " in name.strip():
        return start, stop, confidence
    if _SENTENCE_START.search(line[max(0, start - 8) : start]):
        return None
    return start, stop, 0.45


# --- Cyrillic: surname next to a first name, patronymic or initials -----------------------

_KAZAKH = re.compile(r"[ӘәҒғҚқҢңӨөҰұҮүҺһІі]")
_CYR_WORD = r"[А-ЯЁӘҒҚҢӨҰҮҺІ][а-яёәғқңөұүһі]+(?:-[А-ЯЁӘҒҚҢӨҰҮҺІ][а-яёәғқңөұүһі]+)?"
_INITIALS = r"[А-ЯЁ]\.\s?(?:[А-ЯЁ]\.)?"
_CYR_RUN = re.compile(
    rf"(?<![\w.])(?:{_CYR_WORD})(?:[ \t]+(?:{_CYR_WORD})){{1,2}}"
    rf"|(?<![\w.])(?:{_CYR_WORD})[ \t]+{_INITIALS}"
    rf"|(?<![\w.]){_INITIALS}[ \t]?(?:{_CYR_WORD})"
)
_SURNAME_ENDING = re.compile(
    r"(?:ов|ев|ёв|ин|ын|ова|ева|ёва|ина|ына|ский|ская|цкий|цкая|енко|ук|юк|ич|ко|ых|их|"
    r"ұлы|улы|қызы|кызы|ли|дзе|швили|ян)$"
)
#: Words before a capitalised pair that make it a street, a prize or an institution.
_NOT_PERSON_BEFORE = re.compile(
    r"(?i)(?<!\w)(?:ул|улица|пр|проспект|пер|переулок|пл|площадь|бульвар|б-р|наб|набережная|им|"
    r"имени|шоссе|станция|метро|ст|м)\.?\s*$"
)


def cyrillic_names(line: str) -> Iterator[tuple[int, int]]:
    """«Карпова Людмила», «Назаров Виталий Петрович», «Мельникова О.В.», «Тұрсынова Әсел»."""
    for match in _CYR_RUN.finditer(line):
        words = list(re.finditer(rf"{_CYR_WORD}|{_INITIALS}", match.group()))
        kinds = [_kinds(word.group()) for word in words]
        # Words that can be no part of a name («Мама Вани Рыбакова») stay outside.
        while kinds and not kinds[0]:
            words, kinds = words[1:], kinds[1:]
        while kinds and not kinds[-1]:
            words, kinds = words[:-1], kinds[:-1]
        if len(words) < 2 or not all(kinds) or not _one_surname_one_given(kinds):
            continue
        start, end = match.start() + words[0].start(), match.start() + words[-1].end()
        if not _NOT_PERSON_BEFORE.search(line[max(0, start - 24) : start]):
            yield start, end


def _one_surname_one_given(kinds: list[frozenset[str]]) -> bool:
    return any(
        "surname" in first and any("given" in other for other in kinds[:i] + kinds[i + 1 :])
        for i, first in enumerate(kinds)
    )


def _kinds(word: str) -> frozenset[str]:
    """What a capitalised word can be in a name: "given" (first name, patronymic, initials)
    and/or "surname"; empty when it can be neither."""
    if "." in word:
        return frozenset({"given"})
    grammemes = _grammemes(word)
    kinds = set()
    if grammemes & {"Name", "Patr"} or _KAZAKH.search(word):
        kinds.add("given")
    if "Surn" in grammemes or _SURNAME_ENDING.search(word.lower()):
        kinds.add("surname")
    return frozenset(kinds)


@cache
def _grammemes(word: str) -> frozenset[str]:
    tags: set[str] = set()
    for form in morph()(word):
        tags.update(form.tag.grammemes)
    return frozenset(tags)


# --- Latin script: a known given name and a capitalised surname ------------------------------

#: "Carter", "O'Neill", "McDonald", "Smith-Jones", "Müller".
_LATIN_WORD = (
    r"(?:[A-ZÀ-ÖØ-Þ]['’])?[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+(?:[A-Z][a-zß-öø-ÿ]+)?"
    r"(?:-[A-ZÀ-ÖØ-Þ]?[a-zß-öø-ÿ]+)*"
)
_LATIN_NAME = re.compile(
    rf"(?<![\w@.])({_LATIN_WORD})(?=((?:[ \t]+(?:[A-Z]\.|{_LATIN_WORD})){{1,2}})(?![\w@]))"
)
#: Capitalised words that follow a first name without being a surname.
_NOT_SURNAME = frozenset(
    "street road avenue lane square park hall house pay card bank group team company ltd llc "
    "inc plc gmbh limited and or the of from to for with at on in by is was are were has had "
    "will would can could please thanks thank hi hello dear regards best kind sincerely monday "
    "tuesday wednesday thursday friday saturday sunday january february march april june july "
    "august september october november december".split()
)
#: A message that ends with two or three capitalised words after a full stop or on a line of
#: their own is signed: "… don't use it. Joanna Price".
_SIGNED = re.compile(
    rf"(?:^|[.!?]|\n)[ \t]*({_LATIN_WORD}(?:[ \t]+{_LATIN_WORD}){{1,2}})[ \t]*[.!]?\s*\Z"
)
#: Capitalised words a message may end with that are no name.
_NOT_NAME = frozenset(
    "thanks thank you regards best wishes cheers team support customer service sales yours "
    "faithfully truly sincerely warm kind many good day night morning evening see soon "
    "have great weekend nice".split()
)
_VN_FAMILY = frozenset(
    "nguyễn nguyen trần tran lê le phạm pham hoàng hoang huỳnh huynh phan vũ vu võ vo đặng dang "
    "bùi bui đỗ do hồ ho ngô ngo dương duong lý ly đinh dinh trương truong đoàn doan lâm lam "
    "mai trịnh trinh cao lưu luu tạ ta châu chau thái thai tô to hà quách quach kiều kieu".split()
)
#: A family name and two or three given names: one given name alone would take provinces
#: («Hà Nội», «Thái Bình») for people.
_LETTERS = re.compile(r"[^\W\d_]+")


@cache
def given_names() -> frozenset[str]:
    from ruamel.yaml import YAML

    source = resources.files("lawful.intake.detect").joinpath("given_names.yaml")
    lists: dict[str, str] = YAML(typ="safe").load(source.read_text("utf-8"))["names"]
    return frozenset(word.casefold() for words in lists.values() for word in words.split())


def latin_names(text: str) -> Iterator[tuple[int, int]]:
    """ "Emily Carter", "Grace O'Neill", "Charlotte Louise Green", "Nguyễn Thị Hoa"."""
    known = given_names()
    taken = 0
    for match in _LATIN_NAME.finditer(text):
        if match.start() < taken or match.group(1).casefold() not in known:
            continue
        end = match.end(1)
        for word in re.finditer(r"\S+", match.group(2)):
            if word.group().casefold() in _NOT_SURNAME:
                break
            end = match.end(1) + word.end()
        if end > match.end(1):
            taken = end
            yield match.start(), end
    signed = _SIGNED.search(text)
    if signed is not None and signed.start(1) >= taken:
        words = signed.group(1).split()
        if not any(word.casefold() in _NOT_SURNAME | _NOT_NAME for word in words):
            yield signed.start(1), signed.end(1)
    yield from _vietnamese_names(text)


def _vietnamese_names(text: str) -> Iterator[tuple[int, int]]:
    run: list[re.Match[str]] = []
    for word in [*_LETTERS.finditer(text), None]:
        gap = text[run[-1].end() : word.start()] if run and word is not None else "\n"
        joined = not gap.strip(" \t")
        if word is not None and word.group()[0].isupper() and (joined or not run):
            run.append(word)
            continue
        for i, family in enumerate(run[:-2]):
            rest = [w.group() for w in run[i + 1 : i + 3]]
            if family.group().casefold() in _VN_FAMILY and rest != ["Chí", "Minh"]:
                yield family.start(), run[min(len(run), i + 4) - 1].end()
                break
        run = [word] if word is not None and word.group()[0].isupper() else []
