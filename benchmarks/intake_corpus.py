"""Generate the labelled intake evaluation set: ``benchmarks/data/intake_corpus.jsonl``.

    .venv/bin/python -m benchmarks.intake_corpus            # writes the file (deterministic)
    .venv/bin/python -m benchmarks.intake_corpus --check    # fails if the file is stale

Each line is one inbound message: ``id``, ``flavour`` (ru, en, kk, vi), ``subject``, ``text``,
``request`` (the gold label) and ``spans`` ([start, end, entity] into ``text``). Messages are
built from parts — greeting, optional forwarded header, a request in one of many wordings, a
sentence carrying personal data, distractors (dates, order numbers, sums, versions), a
signature — and every value inserted is recorded with its span, so the gold is exact.

The request wordings here are written apart from the classifier's ``training.yaml`` and share
no sentence with it (a test checks), so request accuracy is not measured on the training set;
both were written by the same team, so treat the figure as optimistic all the same.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers

from lawful.intake.detect.validators import kz_iin, luhn, ru_inn, ru_snils

SEED = 20261126
COUNT = 640
TARGET = Path(__file__).parent / "data" / "intake_corpus.jsonl"


@dataclass
class Message:
    """A message under construction: text and the gold spans of what was inserted."""

    parts: list[str] = field(default_factory=list)
    spans: list[list[int | str]] = field(default_factory=list)

    @property
    def length(self) -> int:
        return sum(len(part) for part in self.parts)

    def add(self, text: str) -> None:
        self.parts.append(text)

    def value(self, text: str, entity: str) -> None:
        start = self.length
        self.parts.append(text)
        self.spans.append([start, start + len(text), entity])

    def fill(self, template: str, values: dict[str, tuple[str, str | None]]) -> None:
        """``template`` with ``{slot}`` markers; each value is (text, entity or None)."""
        rest = template
        while "{" in rest:
            before, _, after = rest.partition("{")
            slot, _, rest = after.partition("}")
            self.add(before)
            text, entity = values[slot]
            if entity is None:
                self.add(text)
            else:
                self.value(text, entity)
        self.add(rest)

    def text(self) -> str:
        return "".join(self.parts)


# --- people -----------------------------------------------------------------------------

RU_MALE = [
    "Иван",
    "Сергей",
    "Алексей",
    "Андрей",
    "Дмитрий",
    "Михаил",
    "Николай",
    "Роман",
    "Олег",
    "Денис",
    "Максим",
    "Кирилл",
    "Тимур",
    "Руслан",
    "Владислав",
    "Артём",
    "Евгений",
]
RU_FEMALE = [
    "Анна",
    "Мария",
    "Елена",
    "Ольга",
    "Наталья",
    "Ирина",
    "Татьяна",
    "Екатерина",
    "Светлана",
    "Юлия",
    "Дарья",
    "Ксения",
    "Алина",
    "Виктория",
    "Полина",
    "Вера",
]
RU_SURNAMES = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Зайцев",
    "Соловьёв",
    "Борисов",
    "Королёв",
    "Гусев",
    "Титов",
    "Белов",
    "Комаров",
    "Ершов",
    "Карпов",
    "Афанасьев",
    "Власов",
    "Исаев",
    "Тихонов",
    "Аксёнов",
    "Гаврилов",
    "Родионов",
    "Котов",
    "Горбунов",
    "Шилин",
]
RU_FATHERS = [
    "Иван",
    "Сергей",
    "Пётр",
    "Алексей",
    "Андрей",
    "Дмитрий",
    "Николай",
    "Михаил",
    "Владимир",
    "Юрий",
    "Олег",
    "Виктор",
    "Геннадий",
]
KZ_MALE = ["Нурлан", "Ерлан", "Серик", "Асхат", "Бауыржан", "Данияр", "Арман", "Ержан"]
KZ_FEMALE = ["Айгуль", "Динара", "Гульнара", "Асель", "Жанна", "Сауле"]
KZ_SURNAMES = [
    "Абенов",
    "Жумабаев",
    "Сейткалиев",
    "Нурпеисов",
    "Касымов",
    "Ахметов",
    "Тулегенов",
    "Омаров",
    "Бекмуханов",
    "Сарсенбаев",
]
KZ_FATHERS = ["Серик", "Нурлан", "Ерлан", "Марат", "Болат", "Кайрат"]
EN_FIRST = [
    "John",
    "Emily",
    "Michael",
    "Sarah",
    "David",
    "Laura",
    "James",
    "Olivia",
    "Daniel",
    "Sophie",
    "Thomas",
    "Hannah",
    "Robert",
    "Grace",
    "William",
    "Chloe",
    "Peter",
]
EN_LAST = [
    "Smith",
    "Clarke",
    "Johnson",
    "Brown",
    "Taylor",
    "Wilson",
    "Davies",
    "Evans",
    "Walker",
    "Wright",
    "Thompson",
    "Hughes",
    "Green",
    "Hall",
    "O'Connor",
    "Baker-Lee",
]
VN_NAMES = [
    "Nguyễn Văn An",
    "Trần Thị Mai",
    "Lê Hoàng Nam",
    "Phạm Minh Tuấn",
    "Hoàng Thị Lan",
    "Vũ Đức Thắng",
    "Đặng Thu Hà",
    "Bùi Quang Huy",
    "Ngô Thanh Tùng",
    "Đỗ Thị Hương",
]
TRANSLIT = {
    "Иван": "Ivan",
    "Сергей": "Sergey",
    "Алексей": "Aleksey",
    "Анна": "Anna",
    "Мария": "Maria",
    "Елена": "Elena",
    "Дмитрий": "Dmitriy",
    "Ольга": "Olga",
}
PATRONYMIC = {
    "Иван": "Иванович",
    "Сергей": "Сергеевич",
    "Пётр": "Петрович",
    "Алексей": "Алексеевич",
    "Андрей": "Андреевич",
    "Дмитрий": "Дмитриевич",
    "Николай": "Николаевич",
    "Михаил": "Михайлович",
    "Владимир": "Владимирович",
    "Юрий": "Юрьевич",
    "Олег": "Олегович",
    "Виктор": "Викторович",
    "Геннадий": "Геннадьевич",
    "Серик": "Серикович",
    "Нурлан": "Нурланович",
    "Ерлан": "Ерланович",
    "Марат": "Маратович",
    "Болат": "Болатович",
    "Кайрат": "Кайратович",
}

CASES = ("nom", "gen", "dat", "ins")


def _first(name: str, female: bool, case: str) -> str:
    """A first name in a case (regular declension only; the lists avoid irregular names)."""
    if case == "nom":
        return name
    if female:
        stem, last = name[:-1], name[-1]
        if name.endswith("ия"):
            return stem + {"gen": "и", "dat": "и", "ins": "ей"}[case]
        if last == "я":
            return stem + {"gen": "и", "dat": "е", "ins": "ей"}[case]
        soft = stem[-1] in "гкхжшчщ"
        return stem + {"gen": "и" if soft else "ы", "dat": "е", "ins": "ой"}[case]
    if name.endswith("ий"):
        return name[:-1] + {"gen": "я", "dat": "ю", "ins": "ем"}[case]
    if name.endswith("й"):
        return name[:-1] + {"gen": "я", "dat": "ю", "ins": "ем"}[case]
    return name + {"gen": "а", "dat": "у", "ins": "ом"}[case]


def _surname(name: str, female: bool, case: str) -> str:
    if female:
        return name + {"nom": "а", "gen": "ой", "dat": "ой", "ins": "ой"}[case]
    return name + {"nom": "", "gen": "а", "dat": "у", "ins": "ым"}[case]


def _patronymic(father: str, female: bool, case: str) -> str:
    male = PATRONYMIC[father]
    if female:
        return male[:-2] + {"nom": "на", "gen": "ны", "dat": "не", "ins": "ной"}[case]
    return male + {"nom": "", "gen": "а", "dat": "у", "ins": "ем"}[case]


def cyrillic_name(rng: random.Random, *, kazakh: bool, case: str) -> str:
    female = rng.random() < 0.5
    if kazakh:
        first = rng.choice(KZ_FEMALE if female else KZ_MALE)
        surname, father = rng.choice(KZ_SURNAMES), rng.choice(KZ_FATHERS)
    else:
        first = rng.choice(RU_FEMALE if female else RU_MALE)
        surname, father = rng.choice(RU_SURNAMES), rng.choice(RU_FATHERS)
    # Kazakh female names ending in a consonant (Айгуль) do not decline.
    given = first if female and first[-1] not in "ая" else _first(first, female, case)
    family = _surname(surname, female, case)
    middle = _patronymic(father, female, case)
    order = rng.random()
    if order < 0.45:
        return f"{family} {given} {middle}"
    if order < 0.75:
        return f"{given} {middle} {family}"
    if order < 0.9:
        return f"{given} {family}"
    return f"{family} {given}"


def latin_name(rng: random.Random) -> str:
    return f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"


# --- structured values --------------------------------------------------------------------

DOMAINS = [
    "mail.ru",
    "yandex.ru",
    "gmail.com",
    "inbox.kz",
    "outlook.com",
    "bk.ru",
    "list.ru",
    "company.co.uk",
    "studio-design.ru",
    "fpt.vn",
    "proton.me",
    "corp.example.org",
]
LATIN = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "sch",
    "ы": "y",
    "ь": "",
    "ъ": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
}


def email(rng: random.Random) -> str:
    first = "".join(LATIN.get(c, c) for c in rng.choice(RU_MALE + RU_FEMALE).lower())
    last = "".join(LATIN.get(c, c) for c in rng.choice(RU_SURNAMES).lower())
    shape = rng.randrange(6)
    local = [
        f"{first}.{last}",
        f"{first[0]}{last}{rng.randrange(70, 99)}",
        f"{last}+shop",
        f"{first}_{last}",
        f"{last}.{first}.{rng.randrange(1, 9)}",
        f"{first.capitalize()}.{last.capitalize()}",
    ][shape]
    return f"{local}@{rng.choice(DOMAINS)}"


def _valid_phone(rng: random.Random, make: Callable[[], str], region: str) -> str:
    while True:
        raw = make()
        if phonenumbers.is_valid_number(phonenumbers.parse(raw, region)):
            return raw


def ru_phone(rng: random.Random, *, kazakh: bool = False) -> str:
    codes = (
        ["701", "702", "705", "707", "747", "777"]
        if kazakh
        else ["901", "903", "905", "915", "916", "925", "926", "977", "985", "999", "912", "950"]
    )

    def make() -> str:
        code, d = rng.choice(codes), f"{rng.randrange(10**7):07d}"
        return rng.choice(
            [
                f"+7 ({code}) {d[:3]}-{d[3:5]}-{d[5:]}",
                f"8 {code} {d[:3]} {d[3:5]} {d[5:]}",
                f"8{code}{d}",
                f"+7{code}{d}",
                f"8-{code}-{d[:3]}-{d[3:5]}-{d[5:]}",
                f"+7 {code} {d[:3]} {d[3:5]} {d[5:]}",
                f"8 ({code}) {d[:3]}-{d[3:]}",
            ]
        )

    return _valid_phone(rng, make, "RU")


def vn_phone(rng: random.Random) -> str:
    def make() -> str:
        code, d = rng.choice(["90", "91", "93", "97", "98", "86", "32", "70"]), rng.randrange(10**7)
        d7 = f"{d:07d}"
        return rng.choice(
            [
                f"0{code}{d7}",
                f"0{code}{d7[0]} {d7[1:4]} {d7[4:]}",
                f"+84 {code}{d7[0]} {d7[1:4]} {d7[4:]}",
                f"+84{code}{d7}",
            ]
        )

    return _valid_phone(rng, make, "VN")


def intl_phone(rng: random.Random) -> str:
    def make() -> str:
        return rng.choice(
            [
                f"+44 20 7946 0{rng.randrange(1000):03d}",
                f"+1 415 {rng.randrange(200, 999)} {rng.randrange(10000):04d}",
                f"+49 30 {rng.randrange(10**7, 10**8)}",
                f"+995 5{rng.randrange(10**7, 10**8)}",
            ]
        )

    return _valid_phone(rng, make, "US")


def _check_digit(prefix: str, valid: Callable[[str], bool]) -> str | None:
    for digit in "0123456789":
        if valid(prefix + digit):
            return prefix + digit
    return None


def card(rng: random.Random) -> str:
    while True:
        head = rng.choice(
            [
                "220" + str(rng.randrange(5)),
                "4" + str(rng.randrange(100, 999)),
                "5" + str(rng.randrange(100, 599)),
            ]
        )
        number = _check_digit(head + f"{rng.randrange(10**11):011d}", luhn)
        if number:
            groups = [number[i : i + 4] for i in range(0, 16, 4)]
            return rng.choice([" ".join(groups), "".join(groups), "-".join(groups)])


def ipv4(rng: random.Random) -> str:
    return ".".join(str(rng.randrange(1, 255)) for _ in range(4))


def ipv6(rng: random.Random) -> str:
    groups = [f"{rng.randrange(65536):x}" for _ in range(4)]
    return f"2001:db8:{groups[0]}:{groups[1]}::{groups[2]}"


def passport(rng: random.Random) -> str:
    region, year, number = rng.randrange(1, 99), rng.randrange(0, 24), rng.randrange(10**6)
    return rng.choice(
        [
            f"{region:02d} {year:02d} {number:06d}",
            f"{region:02d}{year:02d} {number:06d}",
            f"{region:02d} {year:02d} № {number:06d}",
        ]
    )


def inn(rng: random.Random) -> str:
    while True:
        head = f"{rng.randrange(10, 99)}{rng.randrange(10**8):08d}"
        for tail in range(100):
            if ru_inn(f"{head}{tail:02d}"):
                return f"{head}{tail:02d}"


def snils(rng: random.Random) -> str:
    while True:
        head = f"{rng.randrange(2, 999):03d}{rng.randrange(10**6):06d}"
        for check in range(100):
            if ru_snils(f"{head}{check:02d}"):
                return f"{head[:3]}-{head[3:6]}-{head[6:]} {check:02d}"


def iin(rng: random.Random) -> str:
    while True:
        prefix = (
            f"{rng.randrange(60, 99)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
            f"{rng.choice('3456')}{rng.randrange(10**4):04d}"
        )
        number = _check_digit(prefix, kz_iin)
        if number:
            return number


def cccd(rng: random.Random) -> str:
    return f"0{rng.randrange(1, 97):02d}{rng.randrange(10)}{rng.randrange(60, 99):02d}{rng.randrange(10**6):06d}"  # noqa: E501


# --- postal addresses (drawn from a generator of their own: see build) ---------------------

RU_CITIES = ["Москва", "Екатеринбург", "Казань", "Новосибирск", "Самара", "Нижний Новгород"]
KZ_CITIES = ["Алматы", "Астана", "Шымкент", "Караганда"]
RU_STREETS = [
    ("ул.", "Ленина"),
    ("ул.", "Малышева"),
    ("улица", "Гагарина"),
    ("пр.", "Мира"),
    ("пр-т", "Победы"),
    ("пер.", "Кривоколенный"),
    ("ул.", "Маршала Жукова"),
    ("наб.", "Фонтанки"),
    ("ш.", "Энтузиастов"),
    ("б-р", "Строителей"),
]
KZ_STREETS = [("пр.", "Абая"), ("ул.", "Толе би"), ("пр.", "Достык"), ("мкр.", "Самал-2")]
EN_STREETS = ["Baker", "Kingsley", "Maple", "Church", "Station", "Victoria", "Oak Tree"]
EN_TYPES = ["Street", "Road", "Avenue", "Lane", "Drive", "Close", "St", "Rd"]
EN_PLACES = [
    ("London", "NW1 6XE"),
    ("Manchester", "M4 5JD"),
    ("Brighton", "BN1 4AJ"),
    ("Springfield", "IL 62704"),
    ("Austin", "TX 78701"),
    ("Leeds", "LS2 7EY"),
]
VN_STREETS = ["Lê Lợi", "Nguyễn Huệ", "Trần Hưng Đạo", "Hai Bà Trưng", "Điện Biên Phủ"]
VN_AREAS = ["Quận 1", "Quận 3", "Quận Hoàn Kiếm", "Quận Ba Đình", "Phường Bến Nghé"]
VN_CITIES = ["TP. Hồ Chí Minh", "Hà Nội", "Đà Nẵng"]
ADDRESS_SHARE = 0.14
ADDRESS_DETAILS = {
    "ru": [
        "Адрес для доставки: {address}.",
        "Проживаю по адресу {address}.",
        "Мой адрес: {address}",
    ],
    "kk": ["Мекенжай: {address}.", "Адрес: {address}"],
    "en": ["My postal address is {address}.", "Please post it to {address}.", "Address: {address}"],
    "vi": ["Địa chỉ: {address}.", "Địa chỉ của tôi là {address}."],
}


def ru_address(rng: random.Random, *, kazakh: bool) -> str:
    city = rng.choice(KZ_CITIES if kazakh else RU_CITIES)
    marker, street = rng.choice(KZ_STREETS if kazakh else RU_STREETS)
    house = str(rng.randrange(1, 220)) + rng.choice(["", "", "", "а", "/2"])
    parts = [f"{marker} {street}", rng.choice([f"д. {house}", house, f"дом {house}"])]
    if rng.random() < 0.3:
        parts.append(f"корп. {rng.randrange(1, 6)}")
    if rng.random() < 0.6:
        parts.append(rng.choice(["кв.", "офис", "кв."]) + f" {rng.randrange(1, 400)}")
    head = []
    if not kazakh and rng.random() < 0.5:
        head.append(f"{rng.randrange(101000, 690000)}")
    if rng.random() < 0.85:
        head.append(rng.choice(["г. ", "", "г. "]) + city)
    return ", ".join([*head, *parts])


def en_address(rng: random.Random) -> str:
    name = rng.choice(EN_STREETS)
    line = f"{rng.randrange(1, 400)}{rng.choice(['', '', 'B'])} {name} {rng.choice(EN_TYPES)}"
    if rng.random() < 0.25:
        line += f", Flat {rng.randrange(1, 30)}"
    city, code = rng.choice(EN_PLACES)
    tail = rng.random()
    if tail < 0.7:
        american = code[:2].isalpha() and code[2] == " "  # «IL 62704» after a comma
        line += f", {city}, {code}" if american else f", {city} {code}"
    elif tail < 0.85:
        line += f", {city}"
    return line


def vn_address(rng: random.Random) -> str:
    number = f"{rng.randrange(1, 300)}" + rng.choice(["", "", "/4", "A"])
    head = rng.choice(["Số ", "số ", ""]) + f"{number} {rng.choice(['đường', 'Đường', 'phố'])}"
    parts = [f"{head} {rng.choice(VN_STREETS)}"]
    if rng.random() < 0.8:
        parts.append(rng.choice(VN_AREAS))
    parts.append(rng.choice(VN_CITIES))
    return ", ".join(parts)


def address(rng: random.Random, flavour: str) -> str:
    if flavour in ("ru", "kk"):
        return ru_address(rng, kazakh=flavour == "kk")
    return vn_address(rng) if flavour == "vi" else en_address(rng)


# --- what people ask, worded apart from training.yaml -------------------------------------

REQUESTS: dict[str, dict[str, list[str]]] = {
    "access": {
        "ru": [
            "Прошу направить мне перечень моих персональных данных, которые обрабатывает ваша компания.",  # noqa: E501
            "Пожалуйста, сообщите, какую информацию обо мне вы собрали и откуда она у вас.",
            "Хотел бы получить сведения о том, как обрабатываются данные {who_gen}.",
            "Интересует, какие данные вы храните по моему номеру и с какой целью.",
            "Дайте, пожалуйста, выписку по всем моим данным в вашей системе.",
            "Какие сведения обо мне есть в вашей CRM? Прошу ответить письменно.",
        ],
        "en": [
            "Under the data protection law I request a copy of the personal information you hold on me.",  # noqa: E501
            "Could you please confirm whether you process my personal data and send me a copy?",
            "I'd like to know exactly what information you have stored about me.",
            "Please provide details of all data relating to {who} held in your systems.",
            "what info do u have on me? want a full copy pls",
        ],
    },
    "rectification": {
        "ru": [
            "В моих данных ошибка: фамилия написана неправильно, прошу исправить.",
            "Прошу изменить номер телефона в моей карточке клиента на новый.",
            "У меня сменилась электронная почта, внесите, пожалуйста, исправления.",
            "Исправьте, пожалуйста, отчество в договоре — указано неверно.",
            "Прошу уточнить мои персональные данные: адрес указан с ошибкой.",
        ],
        "en": [
            "There is a mistake in my profile, my surname is spelled incorrectly. Please correct it.",  # noqa: E501
            "Please update the phone number on my account, the old one is no longer mine.",
            "My details are out of date, kindly amend my email address.",
            "The name on my invoices is wrong, could you fix it to {who}?",
        ],
    },
    "erasure": {
        "ru": [
            "Прошу удалить из вашей базы все сведения обо мне.",
            "Удалите, пожалуйста, мой аккаунт вместе со всеми данными.",
            "Требую уничтожить персональные данные {who_gen}, согласие не давалось.",
            "Прошу полностью стереть мою информацию, пользоваться сервисом больше не буду.",
            "Удалите все мои контакты из ваших списков и подтвердите удаление.",
            "пожалуйста удолите мои данные, я не регестрировался у вас",
        ],
        "en": [
            "Please erase all the personal data you hold about me.",
            "I am exercising my right to erasure: delete my account and associated data.",
            "Kindly remove every record relating to {who} from your database.",
            "pls delete my data asap, i never signed up for this",
            "I want my information permanently deleted from all your systems.",
        ],
    },
    "withdrawal": {
        "ru": [
            "Настоящим отзываю согласие на обработку моих персональных данных.",
            "Я, {who}, отзываю согласие, данное при регистрации на сайте.",
            "Прошу прекратить обработку моих данных — согласие отзываю.",
            "Отзываю своё согласие на обработку персональных данных с сегодняшнего дня.",
            "Согласие на обработку данных больше не действует, я его отзываю.",
        ],
        "en": [
            "I hereby withdraw my consent to the processing of my personal data.",
            "Please note that I revoke the consent I gave when registering.",
            "Consent withdrawn: you may no longer process my personal data.",
            "I'm withdrawing my consent for you to use my data, effective immediately.",
        ],
    },
    "objection": {
        "ru": [
            "Отпишите меня, пожалуйста, от всех рекламных рассылок.",
            "Прекратите присылать мне рекламу и акции на почту.",
            "Не хочу больше получать ваши СМС с предложениями, отпишите.",
            "Уберите мой номер из рассылки, надоели звонки с рекламой.",
            "Хочу отписаться от новостной рассылки.",
        ],
        "en": [
            "Please stop emailing me.",
            "Unsubscribe me from all marketing communications, please.",
            "I don't want any more promotional texts from you.",
            "Take me off your marketing list, I never asked for these newsletters.",
            "stop sending me ads!!!",
        ],
    },
    "distribution_stop": {
        "ru": [
            "Прошу убрать мою фотографию и ФИО из публикации на вашем сайте.",
            "Требую прекратить публиковать мои персональные данные в открытом доступе.",
            "На вашем сайте размещены мои данные без разрешения, прекратите распространение.",
            "Удалите мой отзыв с именем из открытого доступа на сайте.",
        ],
        "en": [
            "Stop publishing my personal details on your public website.",
            "My photo and full name appear on your site without permission, take them down.",
            "I demand that you stop making my data publicly available.",
        ],
    },
    "restriction": {
        "ru": [
            "Прошу заблокировать обработку моих данных до окончания проверки.",
            "Приостановите, пожалуйста, использование моих данных, пока разбираетесь с жалобой.",
            "Требую блокирования моих персональных данных на период проверки их точности.",
        ],
        "en": [
            "Please restrict processing of my data while you verify its accuracy.",
            "I ask you to suspend use of my personal data until this is resolved.",
            "Block my data until the dispute is settled, please.",
        ],
    },
    "portability": {
        "ru": [
            "Прошу выдать мои данные в формате JSON, чтобы перенести их в другой сервис.",
            "Выгрузите, пожалуйста, все мои данные в машиночитаемом виде.",
        ],
        "en": [
            "Please send me my data in a machine-readable format so I can move to another provider.",  # noqa: E501
            "I'd like to export my data as a CSV file.",
        ],
    },
    "transfer_info": {
        "ru": [
            "Передаёте ли вы мои данные третьим лицам или за рубеж?",
            "Каким компаниям вы передаёте мои персональные данные?",
        ],
        "en": [
            "Do you share my personal data with any third parties abroad?",
            "Which companies receive my data from you?",
        ],
    },
    "complaint": {
        "ru": [
            "Возмущён: мне звонят из другой компании и знают мои данные. Подаю жалобу.",
            "Вы нарушаете закон о персональных данных, буду жаловаться в Роскомнадзор.",
            "Это уже третье обращение без ответа, направляю претензию.",
        ],
        "en": [
            "I am making a formal complaint: my data was disclosed without my consent.",
            "Your company has mishandled my personal data and I will report this to the regulator.",
            "Very disappointed with how you treated my data, consider this a complaint.",
        ],
    },
    "inquiry": {
        "ru": [
            "Подскажите, когда будет доставлен мой заказ?",
            "Сколько стоит разработка сайта под ключ?",
            "Можно ли оплатить картой при получении?",
            "Добрый день, нужна консультация по интеграции с Kommo.",
            "Пришлите, пожалуйста, акт сверки за прошлый месяц.",
            "Спасибо, всё получили, работаем дальше.",
            "Как поменять пароль в личном кабинете?",
            "Курьер не приехал, перезвоните мне.",
        ],
        "en": [
            "When can I expect delivery of my order?",
            "How much would a logo redesign cost?",
            "Is it possible to pay by bank transfer?",
            "Thanks for the help yesterday, everything works now.",
            "Could you send over the contract for review?",
            "My parcel hasn't arrived yet, can you check?",
            "Do you have an office in Almaty?",
        ],
    },
}

# Free wording in Kazakh- and Vietnamese-flavoured messages (mixed with Russian or English,
# as people there write).
FLAVOURED: dict[str, dict[str, list[str]]] = {
    "kk": {
        "erasure": ["Сәлеметсіз бе! Прошу удалить мои данные из вашей базы, рахмет."],
        "withdrawal": ["Сәлем! Отзываю согласие на обработку персональных данных."],
        "objection": ["Сәлеметсіз бе, отпишите меня от рассылки, пожалуйста."],
        "access": ["Сәлеметсіз бе! Хочу узнать, какие мои данные вы храните."],
        "inquiry": ["Сәлем! Тапсырыс қашан жеткізіледі? Когда будет доставка?"],
    },
    "vi": {
        "erasure": ["Xin chào, please delete all my personal data from your system."],
        "withdrawal": ["Xin chào, I withdraw my consent to the processing of my data."],
        "objection": ["Chào anh/chị, please unsubscribe me from your promotions."],
        "access": ["Xin chào, I would like a copy of the personal data you hold about me."],
        "inquiry": ["Xin chào, khi nào đơn hàng của tôi được giao? When will it arrive?"],
    },
}
TRANSLIT_REQUESTS = {
    "erasure": "Zdravstvuyte, proshu udalit moi dannye iz vashei bazy.",
    "withdrawal": "Dobryi den, otzyvayu svoe soglasie na obrabotku personalnyh dannyh.",
    "objection": "Otpishite menya ot rassylki pozhaluysta.",
    "inquiry": "Privet, kogda budet dostavka zakaza?",
}

GREETINGS = {
    "ru": [
        "Здравствуйте!\n",
        "Добрый день.\n",
        "Здравствуйте, уважаемые коллеги!\n\n",
        "",
        "Привет!\n",
    ],
    "en": ["Hello,\n", "Hi there,\n\n", "Dear Sir or Madam,\n", "", "Good morning,\n"],
    "kk": ["", "Қайырлы күн!\n"],
    "vi": ["", "Kính gửi quý công ty,\n"],
}
SIGN_OFFS = {
    "ru": ["\n\nС уважением,\n", "\n\n--\n", "\nСпасибо.\n", "\n\nС уважением, "],
    "en": ["\n\nBest regards,\n", "\n\nKind regards,\n", "\n\nThanks,\n", "\n--\n"],
}


def _who(rng: random.Random, flavour: str) -> dict[str, tuple[str, str | None]]:
    """A person named in the request, in each grammatical case it is needed in."""
    if flavour in ("ru", "kk"):
        kazakh = flavour == "kk"
        seed = rng.random()
        names = {
            case: cyrillic_name(random.Random(seed), kazakh=kazakh, case=case) for case in CASES
        }
        return {
            "who": (names["nom"], "PERSON"),
            "who_gen": (names["gen"], "PERSON"),
            "who_dat": (names["dat"], "PERSON"),
            "who_ins": (names["ins"], "PERSON"),
        }
    name = rng.choice(VN_NAMES) if flavour == "vi" and rng.random() < 0.5 else latin_name(rng)
    return {key: (name, "PERSON") for key in ("who", "who_gen", "who_dat", "who_ins")}


# --- personal data around the request -----------------------------------------------------


def _values(rng: random.Random, flavour: str) -> dict[str, tuple[str, str | None]]:
    kazakh = flavour == "kk"
    lower = cyrillic_name(rng, kazakh=kazakh, case="nom").lower()
    return {
        "phone": (ru_phone(rng, kazakh=kazakh), "PHONE"),
        "kzphone": (ru_phone(rng, kazakh=True), "PHONE"),
        "vnphone": (vn_phone(rng), "PHONE"),
        "intl": (intl_phone(rng), "PHONE"),
        "email": (email(rng), "EMAIL"),
        "card": (card(rng), "CARD"),
        "ip": (ipv4(rng) if rng.random() < 0.8 else ipv6(rng), "IP"),
        "passport": (passport(rng), "RU_PASSPORT"),
        "inn": (inn(rng), "RU_INN"),
        "snils": (snils(rng), "RU_SNILS"),
        "iin": (iin(rng), "KZ_IIN"),
        "cccd": (cccd(rng), "VN_CCCD"),
        "lower": (lower, "PERSON"),
        "vnname": (rng.choice(VN_NAMES), "PERSON"),
        "order": (str(rng.randrange(10**5, 10**10)), None),
        "date": (
            f"{rng.randrange(1, 29):02d}.{rng.randrange(1, 13):02d}.20{rng.randrange(18, 26)}",
            None,
        ),
        "sum": (f"{rng.randrange(1, 99)} {rng.randrange(1000):03d}", None),
        "version": (
            f"{rng.randrange(1, 9)}.{rng.randrange(20)}.{rng.randrange(10)}.{rng.randrange(10)}",
            None,
        ),
        "track": (f"RA{rng.randrange(10**8, 10**9)}RU", None),
        "company_inn": ("7707083893", None),
    }


DETAILS = {
    "ru": [
        "Мой телефон для связи: {phone}.",
        "Связаться можно по номеру {phone} или по почте {email}.",
        "Паспорт серии {passport}, выдан 12.05.2015.",
        "Мой ИНН {inn}, СНИЛС {snils}.",
        "Оплачивал картой {card}, заказ № {order} от {date}.",
        "В логах должен быть мой IP-адрес {ip}.",
        "ФИО: {lower}\nТелефон: {phone}",
        "Почта, на которую приходят письма: {email}",
        "Для проверки: паспорт {passport}, тел. {phone}.",
        "Карта Мир {card}, списали {sum} руб.",
    ],
    "en": [
        "You can reach me on {intl} or at {email}.",
        "I paid with card {card} (order #{order}).",
        "My IP address at the time was {ip}.",
        "My account email is {email}.",
        "Phone: {intl}\nEmail: {email}",
        "The card ending in that number is {card}.",
    ],
    "kk": [
        "ИИН {iin}, тел. {kzphone}.",
        "Мой ИИН: {iin}. Почта {email}.",
        "Байланыс: {kzphone}",
        "ФИО: {lower}, ИИН {iin}",
    ],
    "vi": [
        "Số CCCD của tôi: {cccd}, SĐT {vnphone}.",
        "Họ và tên: {vnname}\nSĐT: {vnphone}",
        "My phone is {vnphone}, email {email}.",
        "căn cước công dân {cccd}",
    ],
}
DISTRACTORS = {
    "ru": [
        "Заказ № {order} от {date}.",
        "Сумма платежа {sum} руб.",
        "Трек-номер {track}.",
        "Версия приложения {version}.",
        "Договор от {date}, счёт № {order}.",
        "Поставщик: ООО «Ромашка», ИНН {company_inn}.",
    ],
    "en": [
        "Order #{order} placed on {date}.",
        "App version {version}.",
        "Tracking {track}.",
        "Invoice {order}, amount {sum} RUB.",
    ],
}
FORWARDS = {
    "ru": "-------- Пересылаемое сообщение --------\n{date}, {who} <{email}>:\n\n",
    "en": "---------- Forwarded message ---------\nFrom: {who} <{email}>\nDate: {date}\n\n",
}
SUBJECTS = {
    "ru": ["Обращение", "Вопрос", "Персональные данные", "Re: ваш заказ", "Fwd: обращение", ""],
    "en": ["Request", "Question", "Personal data", "Re: your order", "Fwd: request", ""],
}
PUBLISHED = {
    "access": "Запрос сведений об обработке персональных данных",
    "rectification": "Уточнение персональных данных",
    "withdrawal": "Отзыв согласия на обработку персональных данных",
    "objection": "Отказ от получения уведомлений о новых продуктах и услугах и специальных предложениях",  # noqa: E501
    "distribution_stop": "Требование о прекращении распространения персональных данных",
    "erasure": "Уничтожение персональных данных",
}
LABEL_WEIGHTS = {
    "inquiry": 20,
    "erasure": 14,
    "withdrawal": 12,
    "objection": 14,
    "access": 10,
    "rectification": 8,
    "distribution_stop": 5,
    "restriction": 5,
    "complaint": 6,
    "portability": 3,
    "transfer_info": 3,
}


def _typo(rng: random.Random, text: str) -> str:
    """Swap two letters of one longer word outside the ``{slots}``, as hurried people do."""
    words = [(i, w) for i, w in enumerate(text.split(" ")) if len(w) > 5 and w.isalpha()]
    if not words:
        return text
    index, word = rng.choice(words)
    at = rng.randrange(1, len(word) - 2)
    parts = text.split(" ")
    parts[index] = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    return " ".join(parts)


def _request(rng: random.Random, flavour: str, label: str) -> tuple[str, str]:
    """(template, base language) of the request sentence."""
    if flavour in FLAVOURED and label in FLAVOURED[flavour] and rng.random() < 0.6:
        return rng.choice(FLAVOURED[flavour][label]), "ru" if flavour == "kk" else "en"
    language = "ru" if flavour in ("ru", "kk") else "en"
    if language == "ru" and label in TRANSLIT_REQUESTS and rng.random() < 0.08:
        return TRANSLIT_REQUESTS[label], language
    return rng.choice(REQUESTS[label][language]), language


def build(rng: random.Random, number: int) -> dict[str, object]:
    flavour = rng.choices(["ru", "en", "kk", "vi"], weights=[45, 33, 11, 11])[0]
    label = rng.choices(list(LABEL_WEIGHTS), weights=list(LABEL_WEIGHTS.values()))[0]
    template, language = _request(rng, flavour, label)
    if rng.random() < 0.15:
        template = _typo(rng, template)
    if rng.random() < 0.08:
        template = template.lower()
    values = _values(rng, flavour) | _who(rng, flavour)
    message = Message()
    if rng.random() < 0.12:
        message.fill(FORWARDS[language], values)
    message.add(rng.choice(GREETINGS[flavour]))
    message.fill(template, values)
    for detail in rng.sample(DETAILS[flavour], k=rng.choice([0, 1, 1, 2])):
        message.add(" " if rng.random() < 0.5 else "\n")
        message.fill(detail, values)
    # Addresses draw from a generator of their own, so that adding them left every other
    # draw — and so the rest of the corpus — as it was.
    extra = random.Random(SEED * 7919 + number)
    if extra.random() < ADDRESS_SHARE:
        message.add(" " if extra.random() < 0.5 else "\n")
        place = {"address": (address(extra, flavour), "ADDRESS")}
        message.fill(extra.choice(ADDRESS_DETAILS[flavour]), place)
    if rng.random() < 0.4:
        message.add(" ")
        message.fill(rng.choice(DISTRACTORS[language]), values)
    if rng.random() < 0.6:
        _signature(rng, message, language, values)
    subject = rng.choice(SUBJECTS[language])
    if label in PUBLISHED and language == "ru" and rng.random() < 0.25:
        subject = PUBLISHED[label]
    return {
        "id": number,
        "flavour": flavour,
        "subject": subject,
        "text": message.text(),
        "request": label,
        "spans": message.spans,
    }


def _signature(
    rng: random.Random, message: Message, language: str, values: dict[str, tuple[str, str | None]]
) -> None:
    message.add(rng.choice(SIGN_OFFS[language]))
    message.value(values["who"][0], "PERSON")
    if rng.random() < 0.5:
        message.fill(
            rng.choice(
                ["\nтел. {phone}", "\n{email}", "\nMobile: {intl}"]
                if language == "ru"
                else ["\n{intl}", "\n{email}", "\nSales manager | {intl}"]
            ),
            values,
        )


def corpus() -> list[dict[str, object]]:
    rng = random.Random(SEED)
    return [build(rng, number) for number in range(COUNT)]


def render() -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in corpus())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed file is stale")
    args = parser.parse_args()
    text = render()
    if args.check:
        sys.exit(0 if TARGET.read_text(encoding="utf-8") == text else "intake corpus is stale")
    TARGET.parent.mkdir(exist_ok=True)
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {COUNT} messages to {TARGET}")


if __name__ == "__main__":
    main()
