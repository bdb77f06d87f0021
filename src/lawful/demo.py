"""Synthetic people for a demonstration store: ``lawful demo`` fills a fresh data folder.

People are made with Faker in the locales of the operators lawful is built for (Russia,
Kazakhstan, Vietnam) plus the US, and recorded through the same domain call an import uses
(:func:`lawful.subjects.service.record_bulk`) — so a demo store is sealed, blind-indexed and
journaled exactly like a real one. The purpose is chosen from the operator's policy rather
than named here, so every template (and an edited lawful.yaml) seeds what it declares.

Generation is seeded: the same policy and seed give the same people, so a test can regenerate
them and look each one up.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import phonenumbers
import sqlalchemy as sa
from faker import Faker
from faker.config import AVAILABLE_LOCALES

from lawful.config.init import CONFIG_NAME, write_starter_config
from lawful.config.models import Policy, Purpose, localised
from lawful.context import Lawful
from lawful.crypto.keyfile import generate_master_key_file
from lawful.errors import PolicyViolation
from lawful.settings import Settings
from lawful.subjects.models import PersonalValue, Subject
from lawful.subjects.service import NewSubject, record_bulk

DEMO_SEED = 152
BATCH = 250
ACTOR = "demo"

NAME, EMAIL, PHONE = "user.name", "user.contact.email", "user.contact.phone_number"
MESSAGE = "user.content.private"

#: (Faker locale, phone region, locales to fall back on when Faker lacks the first one).
#: Faker has no kk_KZ today; Kazakhstan's people are then written with Russian-locale names,
#: which are common there, and Kazakh (+7 7xx) numbers.
LOCALES: dict[str, tuple[str, ...]] = {
    "RU": ("ru_RU",),
    "KZ": ("kk_KZ", "ru_RU"),
    "VN": ("vi_VN",),
    "US": ("en_US",),
}

#: Called with (people recorded so far, people requested) after each batch.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    phone: str
    message: str


@dataclass(frozen=True)
class DemoSummary:
    operator: str
    purpose: str
    seeded: int
    subjects: int
    values: int
    seconds: float


def prepare_folder(directory: Path, template: str) -> Settings:
    """Settings for a self-contained demo in ``directory``, writing the template's lawful.yaml
    and a master key (mode 0600) only where they are missing, so a rerun reuses both.

    The environment is ignored on purpose: a demo must never open the operator's real database
    or key because ``LAWFUL_DATABASE_URL`` happened to be set.
    """
    config = directory / CONFIG_NAME
    if not config.exists():
        write_starter_config(config, template)
    settings = replace(Settings.from_env({}, data_dir=directory), config_path=config)
    if not settings.master_key_path.exists():
        generate_master_key_file(settings.master_key_path)
    return settings


def demo_purpose(policy: Policy) -> Purpose:
    """The purpose a contact form would record under: it uses name, e-mail and phone, and
    needs no consent (the demo records none). Declaration order breaks ties."""

    def score(purpose: Purpose) -> tuple[int, bool]:
        used = sum(purpose.uses(c) for c in (NAME, EMAIL, PHONE))
        return used, purpose.legal_basis != "consent" and purpose.consent is None

    best = max(policy.purposes.values(), key=score)
    if score(best) != (3, True):
        raise PolicyViolation(
            "no purpose in lawful.yaml records name, e-mail and phone without consent; "
            "the demo needs one",
            field="purposes",
        )
    return best


def operator_name(policy: Policy) -> str:
    """The legal name in the operator's first document language."""
    language = policy.operator.languages[0]
    name = localised(policy.operator.legal_name, language)
    return name or next(iter(policy.operator.legal_name.values()))


def _weights(policy: Policy) -> dict[str, int]:
    """Mostly the operator's own country, a few from each of the others."""
    return {region: 6 if region == policy.operator.country else 1 for region in LOCALES}


@cache
def _faker_locale(region: str) -> str:
    return next((loc for loc in LOCALES[region] if loc in AVAILABLE_LOCALES), "en_US")


def synthetic_people(policy: Policy, count: int, *, seed: int = DEMO_SEED) -> Iterator[Person]:
    """``count`` reproducible people; e-mails are unique (the index is part of each)."""
    rng = random.Random(seed)
    weights = _weights(policy)
    regions = rng.choices(list(weights), weights=list(weights.values()), k=count)
    fakers = {r: Faker(_faker_locale(r)) for r in set(regions)}
    for offset, faker in enumerate(fakers.values()):
        faker.seed_instance(seed + offset)
    for index, region in enumerate(regions):
        yield _person(fakers[region], region, index, rng)


def _person(fake: Faker, region: str, index: int, rng: random.Random) -> Person:
    user = fake.user_name().encode("ascii", "ignore").decode() or "user"
    return Person(
        name=fake.name(),
        email=f"{user}.{index}@{fake.free_email_domain()}",
        phone=_phone(fake, region, rng),
        message=fake.sentence(nb_words=10),
    )


def _phone(fake: Faker, region: str, rng: random.Random) -> str:
    """A valid number of ``region`` in its international format: Faker's if it is valid,
    else the region's example mobile number with random subscriber digits."""
    for _ in range(3):
        number = _parse(fake.phone_number(), region)
        if number is not None:
            return _format(number)
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        raise PolicyViolation(f"no phone numbering plan for region {region}", field="region")
    national = str(example.national_number)
    prefix, tail = national[:-6], len(national[-6:])
    for _ in range(100):
        digits = prefix + "".join(str(rng.randrange(10)) for _ in range(tail))
        number = _parse(f"+{example.country_code}{digits}", region)
        if number is not None:
            return _format(number)
    return _format(example)


def _parse(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    valid = phonenumbers.is_valid_number(number) and not number.extension
    return number if valid and phonenumbers.region_code_for_number(number) == region else None


def _format(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def new_subject(person: Person, purpose: Purpose) -> NewSubject:
    """Index the person by e-mail and phone; record only the categories ``purpose`` uses."""
    offered = {NAME: person.name, EMAIL: person.email, PHONE: person.phone, MESSAGE: person.message}
    values = {category: v for category, v in offered.items() if purpose.uses(category)}
    return NewSubject({"email": person.email, "phone": person.phone}, purpose.key, values)


def held(lawful: Lawful) -> tuple[int, int]:
    """(subjects, sealed values) in the store: counts only."""
    with lawful.sessions() as session:
        subjects = session.scalar(sa.select(sa.func.count()).select_from(Subject)) or 0
        values = session.scalar(sa.select(sa.func.count()).select_from(PersonalValue)) or 0
    return int(subjects), int(values)


def seed_demo(
    lawful: Lawful, *, people: int, progress: Progress | None = None, seed: int = DEMO_SEED
) -> DemoSummary:
    """Record ``people`` synthetic people under the policy's contact purpose, in batches that
    each commit with their audit events."""
    policy = lawful.require_policy()
    purpose = demo_purpose(policy)
    started, done = time.perf_counter(), 0
    for batch in _batches(synthetic_people(policy, people, seed=seed), BATCH):
        with lawful.sessions.begin() as session:
            record_bulk(
                session=session,
                ring=lawful.ring,
                policy=policy,
                actor=ACTOR,
                people=[new_subject(p, purpose) for p in batch],
            )
        done += len(batch)
        if progress is not None:
            progress(done, people)
    subjects, values = held(lawful)
    seconds = time.perf_counter() - started
    return DemoSummary(operator_name(policy), purpose.key, done, subjects, values, seconds)


def _batches(people: Iterator[Person], size: int) -> Iterator[Sequence[Person]]:
    batch: list[Person] = []
    for person in people:
        batch.append(person)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


#: The inputs a demo contact form offers, by category: (input type, label).
FORM_INPUTS: dict[str, tuple[str, str]] = {
    NAME: ("text", "Name"),
    EMAIL: ("email", "E-mail"),
    PHONE: ("tel", "Phone"),
    "user.content.private": ("textarea", "Message"),
}


@dataclass(frozen=True)
class DemoForm:
    """A contact form as the operator's website would carry it, wired to lawful's widget."""

    form_id: str
    language: str
    purposes: list[str]
    inputs: list[tuple[str, str, str]]  # category, input type, label


def demo_form(policy: Policy) -> DemoForm:
    """The demo purpose's fields, plus every consent that only asks for those fields
    (marketing, processing, cross-border — never publication) as the widget's checkboxes."""
    main = demo_purpose(policy)
    categories = [c for c in FORM_INPUTS if main.uses(c)]
    extra = [
        p.key
        for p in policy.purposes.values()
        if p.consent is not None
        and p.consent.kind != "distribution"
        and p.categories
        and all(c in categories for c in p.categories)
    ]
    return DemoForm(
        form_id="demo-contact-form",
        language=policy.operator.languages[0],
        purposes=[main.key, *extra],
        inputs=[(c, *FORM_INPUTS[c]) for c in categories],
    )


DEMO_DPO = "dpo@demo.example"


def demo_dpo(lawful: Lawful) -> tuple[str, str]:
    """The demo's DPO for the admin pages, with a new random password for this run (so that
    the one printed always works); the address and the password."""
    import secrets
    from datetime import UTC, datetime

    from lawful.users import service as users

    password = secrets.token_urlsafe(12)
    with lawful.sessions.begin() as session:
        if any(user.email == DEMO_DPO for user in users.list_users(session)):
            users.set_password(session=session, email=DEMO_DPO, password=password)
        else:
            users.add_user(
                session=session,
                email=DEMO_DPO,
                password=password,
                role="dpo",
                now=datetime.now(UTC),
            )
    return DEMO_DPO, password
