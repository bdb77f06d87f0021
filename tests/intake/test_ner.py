"""Name recognition beyond natasha's tagger: «Фамилия Имя» and initials from its morphology,
Latin-script names from the given-name list, Vietnamese family names; and what is no name."""

from __future__ import annotations

import pytest

from lawful.intake.detect import Registry
from lawful.intake.detect.ner import cyrillic_names, given_names, latin_names

pytest.importorskip("natasha")


def names(found: object, text: str) -> list[str]:
    return [text[start:end] for start, end in found]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Я подаю жалобу в Роскомнадзор. Назаров Виталий", ["Назаров Виталий"]),
        ("Прошу исправить данные. Лысенко Андрей", ["Лысенко Андрей"]),
        ("теперь Романова Ольга, а не Иванова", ["Романова Ольга"]),
        ("Главный бухгалтер Мельникова О.В.", ["Мельникова О.В."]),
        ("подписал Давыдов В. А.", ["Давыдов В. А."]),
        ("Исправьте фамилию на Тұрсынова Әсел.", ["Тұрсынова Әсел"]),
        ("Мама Вани Рыбакова", ["Вани Рыбакова"]),  # «Мама» is no part of the name
        ("Встретился с другом Ивановым Петром", ["Ивановым Петром"]),  # «м» ends a word
        ("Офис на ул. Льва Толстого, 16", []),
        ("Библиотека имени Антона Чехова", []),
        ("Добрый день, Новый Год скоро", []),
        ("Роскомнадзор Москва", []),
    ],
)
def test_cyrillic_surname_and_given_name_in_either_order(line: str, expected: list) -> None:
    assert names(cyrillic_names(line), line) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Best, Daniel Okafor", ["Daniel Okafor"]),
        ("Kind regards,\nHelena Novak\n+420 603 123 456", ["Helena Novak"]),
        ("my daughter Emily Carter (14) signed up", ["Emily Carter"]),
        ("Hi Kate Morrison here", ["Kate Morrison"]),
        ("I'm now Emma Walsh, previously Emma Reid.", ["Emma Walsh", "Emma Reid"]),
        ("Grace O'Neill", ["Grace O'Neill"]),
        ("from Charlotte Louise Green", ["Charlotte Louise Green"]),
        ("Kính gửi anh Trần Quang Huy, em gửi lại", ["Trần Quang Huy"]),
        ("Tên: Nguyễn Thị Hoa\nSĐT 0903 123 456", ["Nguyễn Thị Hoa"]),
        ("please only store it and don't use it. Joanna Price", ["Joanna Price"]),  # signed
        ("Thanks a lot.\nBest Wishes", []),
        ("Order shipped.\nCustomer Service Team", []),
        ("Pay with Apple Pay or Google Pay", []),
        ("Hi Tom, could you resend it?", []),  # a lone first name is not a full name
        ("Mark Street is closed on Monday", []),
        ("giao ra Hà Nội và TP Hồ Chí Minh", []),
        ("paul.green@btinternet.com", []),
    ],
)
def test_latin_and_vietnamese_names(text: str, expected: list) -> None:
    assert names(latin_names(text), text) == expected


def test_the_given_name_list_is_loaded_from_the_package() -> None:
    known = given_names()
    assert {"emily", "daniel", "aigerim", "nurlan"} <= known
    assert "street" not in known and "pay" not in known


def test_the_registry_finds_names_in_signatures_and_either_order() -> None:
    registry = Registry.build()
    text = "Please delete my account.\nRegards,\nOwen Price\n\nУдалите данные. Карпова Людмила"
    found = [(f.entity, text[f.start : f.end]) for f in registry.analyze(text)]
    assert found == [("PERSON", "Owen Price"), ("PERSON", "Карпова Людмила")]


def test_without_natasha_latin_names_still_need_a_cue() -> None:
    # The rules run with natasha (names=True); the fast registry keeps its cue phrases only.
    fast = Registry.build(names=False)
    assert [f.entity for f in fast.analyze("my daughter Emily Carter signed up")] == []
    assert [f.entity for f in fast.analyze("Regards, Emily Carter")] == ["PERSON"]


def test_a_giant_line_of_names_takes_linear_time() -> None:
    # Each candidate looks back a few characters only, never at the whole line before it.
    line = "Иванов Иван " * 20000
    assert len(list(cyrillic_names(line))) >= 10000
    assert len(list(latin_names("Mark Smith " * 20000))) >= 10000
