"""Postal addresses, Russian/Kazakh, international and Vietnamese: a street with its house
number and what people write around it; a street name alone, dates, sums and orders are not."""

from __future__ import annotations

import pytest

from lawful.intake.detect import Registry, redact


@pytest.fixture(scope="module")
def fast() -> Registry:
    return Registry.build(names=False)


def addresses(registry: Registry, text: str) -> list[str]:
    return [text[f.start : f.end] for f in registry.analyze(text) if f.entity == "ADDRESS"]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (
            "Адрес доставки: 620014, г. Екатеринбург, ул. Малышева, д. 51, кв. 204.",
            "620014, г. Екатеринбург, ул. Малышева, д. 51, кв. 204",
        ),
        (
            "Живу: г. Нижний Новгород, улица Гагарина, дом 94/2",
            "г. Нижний Новгород, улица Гагарина, дом 94/2",
        ),
        ("Офис: Алматы, пр. Достык, 180, офис 12. Ждём", "Алматы, пр. Достык, 180, офис 12"),
        (
            "Москва, Ленинградский проспект, д. 39, стр. 80",
            "Москва, Ленинградский проспект, д. 39, стр. 80",
        ),
        ("Невский пр-т, 28 — вход со двора", "Невский пр-т, 28"),
        ("мкр. Самал-2, д. 58, кв. 7", "мкр. Самал-2, д. 58, кв. 7"),
        ("г. Алматы, ул. Толе би, д. 162", "г. Алматы, ул. Толе би, д. 162"),
        (
            "Post it to 14 Kingsley Road, Brighton BN1 4AJ, thanks",
            "14 Kingsley Road, Brighton BN1 4AJ",
        ),
        (
            "HQ: 1600 Amphitheatre Parkway, Mountain View, CA 94043.",
            "1600 Amphitheatre Parkway, Mountain View, CA 94043",
        ),
        ("221B Baker Street, Flat 2, London", "221B Baker Street, Flat 2, London"),
        (
            "Địa chỉ: Số 25 đường Nguyễn Huệ, Quận 1, TP. Hồ Chí Minh.",
            "Số 25 đường Nguyễn Huệ, Quận 1, TP. Hồ Chí Minh",
        ),
        ("12 phố Hàng Bài, Hoàn Kiếm, Hà Nội", "12 phố Hàng Bài, Hoàn Kiếm, Hà Nội"),
    ],
)
def test_it_finds_the_whole_address(fast: Registry, text: str, address: str) -> None:
    assert addresses(fast, text) == [address]


@pytest.mark.parametrize(
    "text",
    [
        "Прошу уточнить мои персональные данные: адрес указан с ошибкой.",
        "Офис на улице Ленина, приезжайте.",
        "Заказ № 12345 от 01.02.2024, сумма 12 500 руб., версия 4.12.0.3.",
        "I paid 3 Pounds on Main Street yesterday.",
        "We met on 5 May in Church Street.",
        "Order #51 shipped, 2 items.",
        "Mình ở đường Lê Lợi gần chợ.",
    ],
)
def test_it_does_not_take_other_things_for_an_address(fast: Registry, text: str) -> None:
    assert addresses(fast, text) == []


def test_an_address_next_to_a_phone_leaves_the_phone_alone(fast: Registry) -> None:
    text = "Адрес: г. Казань, ул. Баумана, д. 5, кв. 3, тел. +7 916 555-12-34"
    found = [(f.entity, text[f.start : f.end]) for f in fast.analyze(text)]
    assert found == [
        ("ADDRESS", "г. Казань, ул. Баумана, д. 5, кв. 3"),
        ("PHONE", "+7 916 555-12-34"),
    ]


def test_a_redacted_copy_masks_the_address(fast: Registry) -> None:
    text = "Ship to 14 Kingsley Road, Brighton BN1 4AJ please"
    masked = redact(text, fast.analyze(text))
    assert "Kingsley" not in masked and "BN1" not in masked
    assert masked.startswith("Ship to ") and masked.endswith(" please")
