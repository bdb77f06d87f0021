"""Properties of the store that must always hold (DESIGN.md): no personal data in clear in the
files or a dump, erasure that survives a look at the raw files, and keys that fail safely."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from lawful.context import open_lawful
from lawful.crypto.envelope import MasterKey
from lawful.crypto.keyfile import generate_master_key_file, load_master_key, write_key_file
from lawful.crypto.keyring import Keyring, open_keyring
from lawful.errors import MasterKeyError
from lawful.settings import Settings
from lawful.store.db import purge_freed_pages
from lawful.subjects import service as subjects
from lawful.subjects.models import Subject
from lawful.subjects.rotation import rotate_master_key
from tests.conftest import PG_URL, DeclaredPurposes

SECRETS = {
    "user.contact.email": "zhanna.nurlanovna@mail-example.kz",
    "user.contact.phone_number": "+7 701 555 12 34",
    "user.name": "Жанна Нурлановна Сапарова",
    "user.content.private": "Прошу удалить мои данные из рассылки, код 4711",
}
NEEDLES = [v.encode() for v in SECRETS.values()] + [b"+77015551234", b"zhanna.nurlanovna"]


def _store_secrets(
    sessions: sessionmaker[Session], ring: Keyring, declared: DeclaredPurposes
) -> str:
    with sessions.begin() as session:
        sid = subjects.create_subject(
            session=session,
            ring=ring,
            actor="test",
            identifiers={
                "email": SECRETS["user.contact.email"],
                "phone": SECRETS["user.contact.phone_number"],
            },
        )
        subjects.record(
            session=session,
            ring=ring,
            policy=declared,
            subject_id=sid,
            purpose="inquiry",
            values=SECRETS,
            actor="test",
        )
    return sid


def _raw_bytes(engine: Engine) -> bytes:
    if engine.dialect.name == "sqlite":
        db = Path(str(engine.url.database))
        return b"".join(p.read_bytes() for p in (db, Path(f"{db}-wal")) if p.exists())
    with engine.connect() as conn:
        schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
    url = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    return subprocess.run(
        ["pg_dump", "--no-owner", "-n", str(schema), url], check=True, capture_output=True
    ).stdout


def test_personal_data_never_reaches_the_database_files_in_clear(engine, sessions, ring, declared):
    _store_secrets(sessions, ring, declared)
    raw = _raw_bytes(engine)
    assert len(raw) > 10_000  # the files really were read
    for needle in NEEDLES:
        assert needle not in raw, needle


def test_after_destruction_the_wrapped_key_is_gone_from_the_raw_files(
    engine, sessions, ring, declared
):
    sid = _store_secrets(sessions, ring, declared)
    with sessions.begin() as session:
        wrapped = session.get(Subject, sid).wrapped_key  # type: ignore[union-attr]
    forms = [wrapped, wrapped.hex().encode(), base64.b64encode(wrapped)]  # raw, pg_dump, base64
    assert any(form in _raw_bytes(engine) for form in forms)  # the scan sees a key that is there
    with sessions.begin() as session:
        subjects.destroy_subject(session=session, subject_id=sid, actor="dpo", reason="erasure")
    purge_freed_pages(engine)
    raw = _raw_bytes(engine)
    assert not [form for form in forms if form in raw]


@pytest.fixture
def data_dir(tmp_path: Path) -> Settings:
    settings = Settings.from_env({}, data_dir=tmp_path / "data")
    generate_master_key_file(settings.master_key_path)
    return settings


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_key_file_is_private(data_dir):
    assert data_dir.master_key_path.stat().st_mode & 0o777 == 0o600


def test_a_wrong_master_key_is_a_clear_error_and_changes_nothing(data_dir, declared):
    lawful = open_lawful(data_dir, load_config=False)
    _store_secrets(lawful.sessions, lawful.ring, declared)
    lawful.close()
    db = data_dir.data_dir / "lawful.db"
    before = _digest(db)
    write_key_file(data_dir.master_key_path, [MasterKey(os.urandom(32))])
    with pytest.raises(MasterKeyError, match="this database was created with"):
        open_lawful(data_dir, load_config=False)
    assert _digest(db) == before


@pytest.mark.parametrize("content", ["", "not base64 at all!", base64.b64encode(b"short").decode()])
def test_a_missing_or_malformed_master_key_names_the_file(data_dir, content):
    data_dir.master_key_path.write_text(content)
    with pytest.raises(MasterKeyError, match=str(data_dir.master_key_path)):
        open_lawful(data_dir, load_config=False)


def test_no_key_file_at_all_says_how_to_make_one(tmp_path):
    with pytest.raises(MasterKeyError, match="lawful init"):
        open_lawful(Settings.from_env({}, data_dir=tmp_path / "nothing"), load_config=False)


def test_rotation_rewraps_every_key_and_retires_the_old_master(
    engine, sessions, declared, tmp_path
):
    key_path = tmp_path / "master.key"
    old = generate_master_key_file(key_path)
    with sessions.begin() as session:
        ring = open_keyring(session, [old])
    ids = [_store_secrets(sessions, ring, declared)]
    with sessions.begin() as session:
        ids += [subjects.create_subject(session=session, ring=ring, actor="t") for _ in range(4)]
    result = rotate_master_key(sessions, key_path, actor="test", batch=2)
    assert result.rewrapped == 5 and result.old_key_ids == [old.key_id]
    (new,) = load_master_key(key_path)
    with pytest.raises(MasterKeyError), sessions.begin() as session:
        open_keyring(session, [old])
    with sessions.begin() as session:
        ring = open_keyring(session, [new])
        export = subjects.export_subject(session=session, ring=ring, subject_id=ids[0], actor="t")
        assert export.by_purpose()["inquiry"]["user.name"] == [SECRETS["user.name"]]
        assert (
            subjects.find_subject(
                session=session, ring=ring, kind="email", value=SECRETS["user.contact.email"]
            )
            == ids[0]
        )
