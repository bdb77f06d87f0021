"""Checksums and validators named by ``recognizers.yaml``: each takes the matched text and
says whether it really is what the pattern only resembles."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from email_validator import EmailNotValidError, validate_email

from lawful.crypto.normalise import plain_email


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _weighted(number: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(number, weights, strict=False))


def luhn(text: str) -> bool:
    """A payment card number: 13–19 digits, a known issuer prefix, the Luhn check."""
    number = digits(text)
    # 2 = Mir (2200–2204) and Mastercard's 2-series, 3 = Amex/JCB, 4 = Visa, 5 = MC, 6 = UnionPay.
    if not 13 <= len(number) <= 19 or number[0] not in "23456":
        return False
    total = 0
    for index, ch in enumerate(reversed(number)):
        value = int(ch) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def ru_inn(text: str) -> bool:
    """A Russian taxpayer number (ИНН): 10 digits (organisation) or 12 (person), checksummed."""
    number = digits(text)
    if len(number) == 10:
        check = _weighted(number, (2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11 % 10
        return check == int(number[9])
    if len(number) == 12:
        first = _weighted(number, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11 % 10
        second = _weighted(number, (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11 % 10
        return first == int(number[10]) and second == int(number[11])
    return False


def ru_snils(text: str) -> bool:
    """A Russian insurance number (СНИЛС): 9 digits and a 2-digit checksum."""
    number = digits(text)
    if len(number) != 11 or int(number[:9]) <= 1001998:
        return False
    total = _weighted(number, (9, 8, 7, 6, 5, 4, 3, 2, 1))
    check = total % 101 if total > 101 else total
    return (0 if check in (100, 101) else check) == int(number[9:])


def kz_iin(text: str) -> bool:
    """A Kazakh individual number (ИИН): birth date YYMMDD, century/sex digit, mod-11 check."""
    number = digits(text)
    if len(number) != 12 or not ("01" <= number[2:4] <= "12") or number[6] not in "123456":
        return False
    check = _weighted(number, tuple(range(1, 12))) % 11
    if check == 10:
        check = _weighted(number, (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)) % 11
    return check != 10 and check == int(number[11])


def email(text: str) -> bool:
    if plain_email(text) is not None:
        return True
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "none": lambda _text: True,
    "email": email,
    "luhn": luhn,
    "ip": ip,
    "ru_inn": ru_inn,
    "ru_snils": ru_snils,
    "kz_iin": kz_iin,
}
