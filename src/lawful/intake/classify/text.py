"""Bring the ways people write one request to one spelling before the model sees it:
Russian typed in Latin letters, the two Vietnamese tone placements, and deletion or
unsubscription that is *refused* («не удаляйте…», "don't delete…") rather than asked for.

The same preparation runs on the training examples and on messages, so the model learns the
prepared forms."""

from __future__ import annotations

import re
import unicodedata

#: Words and word beginnings that only Russian typed in Latin letters has; two different ones
#: make a message translit (one alone could be a name or a word of another language).
_TRANSLIT_MARKER = re.compile(
    r"(?<![\w'])(?:(?:pozhal|zdravst|spasib|dann|soglas|obrab|personaln|udal|sotr|otzyv|otozv|"
    r"otmen|ispra|izmen|rassyl|otpis|zablok|priost|vygruz|peredaj|pereda|hranj|hran|"
    r"podskazh|skazh|skolk|pochem|bolsh|nuzhn|mozhn|tolko|kotor|hochu|hotel|prosh|pishu|"
    r"vash|kakie|kakaj|kakoj|kakuj|chtob|menj|meny|moih|moeg|moju|moyu)[a-z']*"
    r"|moi|moj|moe|mne|obo|vas|vam|vy|ja|chto|kto|komu|gde|eto|esli|nado|dlja|dlya|uzhe)(?![\w'])"
)
#: Longest first: «shch» before «sh», «zh» before «z».
_LATIN_TO_CYRILLIC = (
    ("shch", "щ"),
    ("tsya", "тся"),
    ("tsja", "тся"),
    ("sch", "щ"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("ts", "ц"),
    ("yu", "ю"),
    ("ju", "ю"),
    ("ya", "я"),
    ("ja", "я"),
    ("yo", "е"),
    ("jo", "е"),
    ("'", "ь"),
)
_SINGLE = str.maketrans(
    {
        "a": "а",
        "b": "б",
        "v": "в",
        "g": "г",
        "d": "д",
        "e": "е",
        "z": "з",
        "i": "и",
        "j": "й",
        "k": "к",
        "l": "л",
        "m": "м",
        "n": "н",
        "o": "о",
        "p": "п",
        "r": "р",
        "s": "с",
        "t": "т",
        "u": "у",
        "f": "ф",
        "h": "х",
        "c": "ц",
        "w": "в",
        "q": "к",
        "x": "кс",
    }
)
_VOWELS = "aeiouy"


#: A run of Latin-letter words with nothing Cyrillic between them: a translit sentence often
#: sits inside a Cyrillic letter (a form's labels, a signature).
_LATIN_RUN = re.compile(r"[a-z'](?:[a-z'\s,.!?;:()\-]*[a-z'])?")


def is_translit(text: str) -> bool:
    """Russian typed in Latin letters: two different words only Russian has."""
    return len(set(_TRANSLIT_MARKER.findall(text))) >= 2


def _cyrillic_runs(text: str) -> str:
    def convert(run: re.Match[str]) -> str:
        if not is_translit(run.group()):
            return run.group()
        return re.sub(r"[a-z']+", lambda word: to_cyrillic(word.group()), run.group())

    return _LATIN_RUN.sub(convert, text)


def to_cyrillic(word: str) -> str:
    """One Latin-typed Russian word in Cyrillic («udalite» → «удалите», «dannye» → «данные»)."""
    out: list[str] = []
    index = 0
    while index < len(word):
        for latin, cyrillic in _LATIN_TO_CYRILLIC:
            if word.startswith(latin, index):
                out.append(cyrillic)
                index += len(latin)
                break
        else:
            out.append(_letter(word, index))
            index += 1
    return "".join(out)


def _letter(word: str, index: int) -> str:
    ch = word[index]
    if ch == "y":
        # «y» after a vowel is «й» (moy, dobryj); elsewhere «ы» (vy, dannye).
        return "й" if index and word[index - 1] in _VOWELS else "ы"
    return ch.translate(_SINGLE)


#: The old Vietnamese tone placement (hoà, xoá, thuỷ) and the new one (hòa, xóa, thủy) are
#: both in use; the model should not have to learn each word twice, so the tone goes on the
#: second vowel.
_TONES = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
_VI_NEW_TO_OLD = {
    unicodedata.normalize("NFC", f"{first}{tone}{second}"): unicodedata.normalize(
        "NFC", f"{first}{second}{tone}"
    )
    for first in ("o", "u")
    for tone in _TONES
    for second in ("a", "e", "y")
}
_VI_NEW = re.compile("|".join(_VI_NEW_TO_OLD))


def _vietnamese_tones(text: str) -> str:
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return _VI_NEW.sub(lambda m: _VI_NEW_TO_OLD[m.group()], text)


# A refused deletion or unsubscription becomes one token of its own: «не удаляйте аккаунт,
# поменяйте почту» asks for a correction, and its «удаляйте» must not vote for erasure. Only
# imperatives and infinitives count: «вы не удалили» is a grievance about a deletion asked for.
_DELETE_RU = r"(?:удаля|стира|уничтожа|удалить|стереть|уничтожить)\w*"
_DELETE_EN = r"(?:delete|erase|remove|wipe|destroy|purge)\b"
_REFUSED_DELETE = re.compile(
    rf"(?<!\w)не(?:\s+(?:надо|нужно|стоит))?\s+{_DELETE_RU}"
    rf"|(?<!\w){_DELETE_RU}\s+не\s+(?:надо|нужно)"
    rf"|(?<!\w)не\s+прошу(?:\s+вас)?\s+{_DELETE_RU}"
    rf"|(?<!\w)(?:don'?t|do\s+not|no\s+need\s+to|not\s+asking(?:\s+you)?\s+to)"
    rf"(?:\s+(?:want|need|have)\s+(?:you\s+)?to)?"
    rf"(?:\s+(?:just|to|you\s+to))*\s+{_DELETE_EN}"
)
# «Отписка мне не нужна», "not just marketing": the person wants more than an opt-out.
_OPT_OUT = (
    r"(?:отпис\w*|unsubscrib\w*|opt(?:ting)?\s+out|marketing|newsletters?|рассылк\w*|реклам\w*)"
)
_REFUSED_UNSUBSCRIBE = re.compile(
    rf"(?<!\w)(?:не(?:\s+(?:надо|нужно|нужна))?|don'?t|do\s+not)(?:\s+(?:want|need)\s+to)?"
    rf"(?:\s+(?:just|only|мне))*\s+(?:от\s+)?(?:отпис\w*|unsubscrib\w*|opt(?:ting)?\s+out)"
    rf"|(?<!\w)(?:отпис\w*|unsubscrib\w*)(?:\s+\w+){{0,3}}?\s+не\s+(?:нужн|надо)\w*"
    rf"|(?<!\w)(?:not\s+(?:just|only)|не\s+только)\s+(?:от\s+)?{_OPT_OUT}"
)
# «Не хочу, чтобы его удаляли»: a deletion feared, not asked for.
_UNWANTED_DELETE = re.compile(
    rf"(?<!\w)не\s+(?:хочу|хотим|хотелось бы),?\s+чтобы(?:\s+\w+){{0,3}}?\s+{_DELETE_RU}"
    r"|(?<!\w)(?:don'?t|do\s+not)\s+want(?:\s+\w+){0,3}?\s+(?:to\s+be\s+)?"
    r"(?:deleted|erased|removed|wiped)\b"
)
# A question asked before deciding, or a request disowned: «ничего не прошу», "not asking
# yet", «если я удалю аккаунт…», "do I have the right to…". Its «прошу», "delete" and "copy"
# ask nothing of the data yet.
_JUST_ASKING = re.compile(
    r"(?<!\w)(?:(?:я\s+)?(?:ничего\s+)?не\s+прошу(?:\s+(?:пока|ничего|сейчас))?"
    r"(?=\s*(?:[,.!;:)]|$))|пока\s+не\s+прошу|ещ[её]\s+не\s+решил\w*|не\s+решил\w*\s+ещ[её]"
    r"|not\s+(?:asking|requesting)\s+(?:anything|yet|for\s+anything)(?:\s+yet)?"
    r"|not\s+doing\s+(?:it|that|this)\s+(?:yet|now)|haven'?t\s+decided(?:\s+yet)?"
    r"|если\s+я\s+(?:удалю|сотру|отзову|закрою)|if\s+i\s+(?:delete|remove|close|withdraw)"
    r"|(?:есть\s+ли\s+у\s+меня|имею\s+ли\s+я)\s+право|какие\s+(?:у\s+меня\s+)?(?:есть\s+)?права"
    r"|do\s+i\s+have\s+(?:the|a)\s+right|am\s+i\s+entitled|what\s+rights\s+do\s+i)"
)
# «Копию не прошу», "not asking for a copy": the person wants something else about the data.
_NOT_A_COPY = re.compile(
    r"(?<!\w)не\s+(?:прошу|нужна|нужен)\s+(?:копию|копия|выписку|выписка|доступ)"
    r"|(?<!\w)(?:копия|копию|выписка)(?:\s+\w+){0,2}?\s+не\s+(?:нужна|нужн\w*|прошу)"
    r"|(?:not|n't)\s+(?:asking|looking)\s+for\s+a\s+copy|(?:don'?t|do\s+not)\s+need\s+a\s+copy"
)
_DELETE_STEMS = (
    "удал",
    "стир",
    "стер",
    "уничтож",
    "delet",
    "eras",
    "remov",
    "wipe",
    "destroy",
    "purg",
)
_OPT_OUT_STEMS = ("отпис", "unsub", "opt", "marketing", "newsletter", "рассылк", "реклам")
REFUSED_DELETION = "keepmyrecords"
MORE_THAN_OPT_OUT = "beyondoptingout"
JUST_ASKING = "onlyaskingfornow"
NOT_A_COPY = "notacopyplease"


def prepare(text: str) -> str:
    """Casefolded text in the spellings the model learnt (see the module's docstring)."""
    text = _vietnamese_tones(text.casefold().replace("ё", "е").replace("\u2019", "'"))
    text = _cyrillic_runs(text)
    # Plain substring checks spare most messages the slower negation patterns.
    if any(stem in text for stem in _DELETE_STEMS):
        text = _REFUSED_DELETE.sub(f" {REFUSED_DELETION} ", text)
        text = _UNWANTED_DELETE.sub(f" {REFUSED_DELETION} ", text)
    text = _NOT_A_COPY.sub(f" {NOT_A_COPY} ", text)
    text = _JUST_ASKING.sub(f" {JUST_ASKING} ", text)
    if any(stem in text for stem in _OPT_OUT_STEMS):
        text = _REFUSED_UNSUBSCRIBE.sub(f" {MORE_THAN_OPT_OUT} ", text)
    return text
