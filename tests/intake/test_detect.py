"""Personal-data detection: what each recognizer finds, and what it must not."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import phonenumbers
import pytest

from lawful.config.loader import load_policy
from lawful.errors import ConfigError
from lawful.intake.detect import Finding, Registry, categories, load_specs, redact
from lawful.intake.detect.validators import kz_iin, luhn, ru_inn, ru_snils


@pytest.fixture(scope="module")
def fast() -> Registry:
    return Registry.build(names=False)


@pytest.fixture(scope="module")
def full() -> Registry:
    pytest.importorskip("natasha")
    return Registry.build()


def found(registry: Registry, text: str) -> list[tuple[str, str]]:
    return [(f.entity, text[f.start : f.end]) for f in registry.analyze(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("пишите на ivan.petrov+shop@mail.ru.", [("EMAIL", "ivan.petrov+shop@mail.ru")]),
        ("Звоните +7 (999) 123-45-67", [("PHONE", "+7 (999) 123-45-67")]),
        ("тел. 8 999 123 45 67", [("PHONE", "8 999 123 45 67")]),
        ("номер 89991234567", [("PHONE", "89991234567")]),
        ("Алматы: +7 701 123 45 67", [("PHONE", "+7 701 123 45 67")]),
        ("gọi 0912 345 678 nhé", [("PHONE", "0912 345 678")]),
        ("call +44 20 7946 0958", [("PHONE", "+44 20 7946 0958")]),
        ("карта Мир 2200 7001 2345 6781", [("CARD", "2200 7001 2345 6781")]),
        ("card 4111-1111-1111-1111", [("CARD", "4111-1111-1111-1111")]),
        ("с адреса 192.168.1.10 и 2001:db8::1", [("IP", "192.168.1.10"), ("IP", "2001:db8::1")]),
        ("logged in via 10.0.0.1.", [("IP", "10.0.0.1")]),
        ("паспорт 45 05 123456", [("RU_PASSPORT", "45 05 123456")]),
        ("серия и номер паспорта: 4505 № 123456", [("RU_PASSPORT", "4505 № 123456")]),
        ("мой ИНН 500100732259", [("RU_INN", "500100732259")]),
        ("СНИЛС 112-233-445 95", [("RU_SNILS", "112-233-445 95")]),
        ("ИИН 900101300126", [("KZ_IIN", "900101300126")]),
        ("Số CCCD: 001203012345", [("VN_CCCD", "001203012345")]),
        ("ФИО: алексеева виктория павловна", [("PERSON", "алексеева виктория павловна")]),
        ("Hi, my name is John Smith and", [("PERSON", "John Smith")]),
        ("Best regards,\nMary-Ann O'Neil", [("PERSON", "Mary-Ann O'Neil")]),
        ("Thanks!\n-- \nĐỗ Thị Hương\nSales", [("PERSON", "Đỗ Thị Hương")]),
    ],
)
def test_it_finds_structured_personal_data(fast: Registry, text: str, expected: list) -> None:
    assert found(fast, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Заказ от 12.03.2024 доставлен 15.03.2024",  # dates are not phones
        "заказ № 1234567890, трек 80081234567",  # order and tracking numbers
        "ИНН 500100732258",  # a wrong INN checksum
        "ООО «Ромашка», ИНН 7707083893",  # an organisation's INN is not personal data
        "обновите до версии 4.12.0.3",  # a version is not an IP
        "release v4.12.0.3 is out",
        "номер заказа 4111 1111 1111 1112",  # fails Luhn
        "артикул 4505123456",  # ten digits without a passport word
        "12 345 678 рублей",  # a sum of money
        "в 10:30:00 по Москве",  # a time is not IPv6
        "Номер 001203012345 в реестре",  # twelve digits without a CCCD word
        "a -- The Big Picture",  # a dash inside a line is not a signature
    ],
)
def test_it_finds_nothing_in_lookalikes(fast: Registry, text: str) -> None:
    assert found(fast, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "ИНН 500100732259, паспорт 4505 123456",
            [("RU_INN", "500100732259"), ("RU_PASSPORT", "4505 123456")],
        ),
        (
            "паспорт 4505 123456, ИНН 500100732259",
            [("RU_PASSPORT", "4505 123456"), ("RU_INN", "500100732259")],
        ),
        ("паспорт у курьера, ИНН компании 7707083893", []),
    ],
)
def test_an_inn_is_not_a_passport(fast: Registry, text: str, expected: list) -> None:
    assert found(fast, text) == expected


def test_context_raises_confidence(fast: Registry) -> None:
    bare, labelled = fast.analyze("500100732259"), fast.analyze("ИНН 500100732259")
    assert bare[0].confidence < labelled[0].confidence


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Прошу удалить данные Петровой Анны Сергеевны.", ["Петровой Анны Сергеевны"]),
        ("Отзываю согласие. Иванов Иван Петрович", ["Иванов Иван Петрович"]),
        ("Форма обратной связи\nИмя: Сергей Кузнецов", ["Сергей Кузнецов"]),
        ("Курьер не приехал. Отзываю согласие.", []),  # sentence-initial words are not names
    ],
)
def test_it_finds_russian_names_in_any_case(full: Registry, text: str, names: list) -> None:
    assert [value for entity, value in found(full, text) if entity == "PERSON"] == names


def test_without_natasha_the_registry_says_names_are_partial(fast: Registry) -> None:
    assert fast.unavailable == ("natasha_ner",)


def test_phone_regions_follow_the_operator(fast: Registry) -> None:
    only_ru = Registry.build(names=False, regions=["RU"])
    assert found(only_ru, "gọi 0912 345 678 nhé") == []
    assert found(fast, "gọi 0912 345 678 nhé") == [("PHONE", "0912 345 678")]


def test_dates_and_order_numbers_never_reach_the_phone_parser(
    fast: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    real = phonenumbers.PhoneNumberMatcher

    def counting(text: str, *args: object, **kwargs: object) -> object:
        parsed.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(phonenumbers, "PhoneNumberMatcher", counting)
    text = "Заказ 4500123456789 от 12.03.2026, версия 1.2.3.4, звоните +7 916 123-45-67"
    assert found(fast, text) == [("PHONE", "+7 916 123-45-67")]
    assert len(parsed) == 1 and "916" in parsed[0]  # only the phone's run was parsed


def test_redact_masks_every_span_and_merges_overlaps() -> None:
    text = "Иван, +7 999 123-45-67, ivan@mail.ru"
    findings = [
        Finding("PERSON", 0, 4, 0.9, "x"),
        Finding("PHONE", 6, 22, 0.9, "x"),
        Finding("EMAIL", 24, 36, 0.9, "x"),
        Finding("EMAIL", 30, 36, 0.5, "x"),
    ]
    assert redact(text, findings) == "<PERSON>, <PHONE>, <EMAIL>"
    assert redact(text, findings, mask="***") == "***, ***, ***"


def test_redact_leaves_no_value_behind(fast: Registry) -> None:
    text = "Карта 4111 1111 1111 1111, тел +7 999 123-45-67, почта a.b@example.com"
    masked = redact(text, fast.analyze(text))
    assert not any(ch.isdigit() for ch in masked) and "@" not in masked


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("У меня диагноз диабет, прошу удалить справку", {"health"}),
        ("Болею за Спартак, пришлите новую партию товара", set()),
        ("Сидоров Иван Петрович, ВИЧ-статус", {"health"}),
        ("Петр Петрович заказал стол", set()),  # «-вич» is not ВИЧ
        ("I am a member of the Green party and a Muslim", {"politics", "religion"}),
        (
            "please delete my fingerprint data and criminal record",
            {"biometrics", "criminal_record"},
        ),
        ("Укажите национальность и вероисповедание", {"race_nationality", "religion"}),
    ],
)
def test_special_categories_are_flagged(text: str, expected: set[str]) -> None:
    assert categories(text) == expected


def test_validators_check_their_checksums() -> None:
    assert luhn("2200700123456781") and not luhn("2200700123456782")
    assert ru_inn("500100732259") and not ru_inn("500100732258")
    assert ru_snils("11223344595") and not ru_snils("11223344596")
    assert kz_iin("900101300126") and not kz_iin("901301300126")


ONE = "recognizers:\n  - {name: x, entity: X, confidence: 1, "


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("version: 1\nrecognizers: []\n", "at least 1"),
        (ONE + "kind: magic}\n", "kind"),
        (ONE + "kind: pattern, patterns: ['(']}\n", "does not compile"),
        (ONE + "kind: pattern, validator: crc}\n", "validator"),
        (
            ONE + "kind: pattern}\n" + "  - {name: x, entity: Y, kind: phone, confidence: 1}\n",
            "unique",
        ),
    ],
)
def test_a_broken_recognizer_file_is_refused(tmp_path: Path, body: str, problem: str) -> None:
    path = tmp_path / "recognizers.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=problem):
        load_specs(path)


def test_an_excluding_label_speaks_only_for_its_line(fast: Registry) -> None:
    text = "Когда будет доставлен заказ?\nТелефон: 87011096793"
    assert found(fast, text) == [("PHONE", "87011096793")]
    assert found(fast, "номер заказа 87011096793") == []


def test_the_operator_jurisdictions_choose_the_phone_regions() -> None:
    template = files("lawful.config").joinpath("templates/vn-crm-integrator.yaml")
    policy = load_policy(Path(str(template))).policy
    registry = Registry.for_policy(policy, names=False)
    assert found(registry, "gọi 0912 345 678 nhé") == [("PHONE", "0912 345 678")]
    # A Russian national number means nothing to a Vietnamese operator; with +7 it does.
    assert found(registry, "тел. 8 999 123 45 67") == []
    assert found(registry, "тел. +7 999 123 45 67") == [("PHONE", "+7 999 123 45 67")]
