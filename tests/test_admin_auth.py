"""Signing in to the admin: argon2 hashes, sessions that end, TOTP, lock-out, roles, CSRF."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa

from lawful.audit.models import AuditEvent
from lawful.context import Lawful
from lawful.errors import LockedOut, PolicyViolation, Unauthorized
from lawful.users import service as users
from lawful.users.models import AdminSession, AdminUser
from tests.admin_support import PASSWORD, add_user, client_for, sign_in, token
from tests.conftest import open_template

DPO = "dpo@studio.example"


@pytest.fixture
def lawful(tmp_path: Path, database_url: str) -> Iterator[Lawful]:
    opened = open_template(tmp_path, database_url, "ru-design-studio")
    yield opened
    opened.close()


def test_passwords_are_kept_as_argon2id_hashes_and_checked(lawful):
    add_user(lawful, "DPO@Studio.example", "dpo")
    with lawful.sessions() as session:
        user = session.scalar(sa.select(AdminUser))
        assert user.email == DPO  # normalised: one account per address
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
    with lawful.sessions.begin() as session:
        signed = users.sign_in(
            session=session,
            ring=lawful.ring,
            email=DPO,
            password=PASSWORD,
            code="",
            now=datetime.now(UTC),
        )
        assert signed.user.role == "dpo"
        stored = session.scalars(sa.select(AdminSession.token_digest)).all()
        assert signed.token.encode() not in stored  # only the token's hash is kept


@pytest.mark.parametrize(
    ("email", "password", "role", "field"),
    [
        ("not-an-address", PASSWORD, "dpo", "email"),
        (DPO, "short", "dpo", "password"),
        (DPO, PASSWORD, "root", "role"),
    ],
)
def test_a_bad_user_is_refused_naming_the_field(lawful, email, password, role, field):
    with pytest.raises(PolicyViolation) as refused, lawful.sessions.begin() as session:
        users.add_user(
            session=session, email=email, password=password, role=role, now=datetime.now(UTC)
        )
    assert refused.value.field == field
    with lawful.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AdminUser)) == 0


def test_five_wrong_passwords_lock_the_user_out_for_a_while(lawful):
    add_user(lawful, DPO, "dpo")
    now = datetime.now(UTC)

    def attempt(password: str, at: datetime) -> None:
        with lawful.sessions() as session:
            try:
                users.sign_in(
                    session=session, ring=lawful.ring, email=DPO, password=password, code="", now=at
                )
            finally:
                session.commit()

    for _ in range(users.MAX_ATTEMPTS):
        with pytest.raises(Unauthorized):
            attempt("wrong password!", now)
    with pytest.raises(LockedOut):
        attempt(PASSWORD, now + timedelta(minutes=1))  # even the right one, while locked
    attempt(PASSWORD, now + users.LOCK_FOR + timedelta(seconds=1))


def test_totp_is_required_once_enabled_and_a_code_works_once(lawful):
    add_user(lawful, DPO, "dpo")
    with lawful.sessions.begin() as session:
        uri = users.enable_totp(session=session, ring=lawful.ring, email=DPO)
        sealed = session.scalar(sa.select(AdminUser.totp_sealed))
    secret = pyotp.parse_uri(uri).secret
    assert secret.encode() not in sealed  # the secret is sealed under the master key
    now = datetime.now(UTC)
    code = pyotp.TOTP(secret).at(now)
    with pytest.raises(Unauthorized), lawful.sessions.begin() as session:
        users.sign_in(
            session=session, ring=lawful.ring, email=DPO, password=PASSWORD, code="", now=now
        )
    with lawful.sessions.begin() as session:
        users.sign_in(
            session=session, ring=lawful.ring, email=DPO, password=PASSWORD, code=code, now=now
        )
    with pytest.raises(Unauthorized), lawful.sessions.begin() as session:  # replayed
        users.sign_in(
            session=session, ring=lawful.ring, email=DPO, password=PASSWORD, code=code, now=now
        )


def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_ends_the_session(lawful):
    add_user(lawful, DPO, "dpo")
    client = client_for(lawful)
    assert client.get("/admin").status_code == 303  # not signed in: to the sign-in page
    answer = sign_in(client, DPO)
    assert answer.status_code == 303 and answer.headers["location"] == "/admin"
    cookie = [c for c in answer.headers.get_list("set-cookie") if c.startswith("lawful_admin=")]
    assert cookie
    flags = cookie[0].lower()
    assert "httponly" in flags and "samesite=strict" in flags and "secure" in flags
    assert "path=/admin" in flags
    dashboard = client.get("/admin")
    assert dashboard.status_code == 200 and "Dashboard" in dashboard.text
    stolen = client.cookies.get("lawful_admin")
    out = client.post("/admin/sign-out", data={"csrf": token(client)})
    assert out.status_code == 303
    client.cookies.set("lawful_admin", stolen, domain="testserver.local", path="/admin")
    assert client.get("/admin").status_code == 303  # the row is gone: the cookie is worthless


def test_a_wrong_password_is_answered_on_the_page_and_counted(lawful):
    add_user(lawful, DPO, "dpo")
    client = client_for(lawful)
    answer = sign_in(client, DPO, password="not the password")
    assert answer.status_code == 401 and "not right" in answer.text
    unknown = sign_in(client, "nobody@studio.example")
    assert unknown.status_code == 401 and unknown.text.count("not right") == 1  # same answer
    with lawful.sessions() as session:
        assert session.scalar(sa.select(AdminUser.failed_attempts)) == 1


def test_disabling_a_user_ends_their_session_at_once(lawful):
    add_user(lawful, DPO, "dpo")
    client = client_for(lawful)
    sign_in(client, DPO)
    assert client.get("/admin/requests").status_code == 200
    with lawful.sessions.begin() as session:
        users.disable(session=session, email=DPO, now=datetime.now(UTC))
    assert client.get("/admin/requests").status_code == 303


def test_forms_without_the_csrf_token_are_refused(lawful):
    add_user(lawful, DPO, "dpo")
    client = client_for(lawful)
    page = client.get("/admin/sign-in")
    assert page.status_code == 200
    forged = client.post("/admin/sign-in", data={"email": DPO, "password": PASSWORD})
    assert forged.status_code == 401 and "lawful_admin" not in forged.headers.get("set-cookie", "")
    sign_in(client, DPO)
    assert client.post("/admin/sign-out", data={"csrf": "0" * 64}).status_code == 401
    assert client.get("/admin").status_code == 200  # still signed in


def test_sign_in_redirects_only_inside_the_admin(lawful):
    add_user(lawful, DPO, "dpo")
    client = client_for(lawful)
    page = client.get("/admin/sign-in?next=https://evil.example/")
    assert "evil.example" not in page.text
    form = {
        "csrf": token(client, "/admin/sign-in"),
        "email": DPO,
        "password": PASSWORD,
        "next": "//evil.example/admin",
    }
    assert client.post("/admin/sign-in", data=form).headers["location"] == "/admin"


def test_no_password_or_address_reaches_the_log_or_the_journal(lawful, caplog):
    add_user(lawful, DPO, "dpo")
    client = client_for(lawful)
    with caplog.at_level(logging.DEBUG):
        sign_in(client, DPO, password="a wrong password 123")
        sign_in(client, DPO)
        client.get("/admin")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "sign-in" in logged
    for secret in (DPO, PASSWORD, "a wrong password 123"):
        assert secret not in logged
    with lawful.sessions() as session:
        bodies = " ".join(session.scalars(sa.select(AuditEvent.body)))
    assert DPO not in bodies and PASSWORD not in bodies


def test_admin_pages_carry_the_security_headers_and_no_store(lawful):
    page = client_for(lawful).get("/admin/sign-in")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert "<script" not in page.text and "style=" not in page.text


def test_only_an_admin_changes_roles_and_a_change_applies_at_once(lawful):
    add_user(lawful, "admin@studio.example", "admin")
    add_user(lawful, DPO, "dpo")
    dpo = client_for(lawful)
    sign_in(dpo, DPO)
    assert dpo.get("/admin/users").status_code == 403
    assert dpo.get("/admin/subjects").status_code == 200
    refused = dpo.post(
        "/admin/users/role", data={"csrf": token(dpo), "email": DPO, "role": "admin"}
    )
    assert refused.status_code == 403
    admin = client_for(lawful)
    sign_in(admin, "admin@studio.example")
    page = admin.get("/admin/users")
    assert page.status_code == 200 and DPO in page.text
    form = {"csrf": token(admin, "/admin/users"), "email": DPO, "role": "staff"}
    assert admin.post("/admin/users/role", data=form).status_code == 303
    assert dpo.get("/admin/subjects").status_code == 403  # staff now, on the next page
    myself = {"csrf": token(admin, "/admin/users"), "email": "admin@studio.example"}
    assert admin.post("/admin/users/disable", data=myself).status_code == 422
    disable = {"csrf": token(admin, "/admin/users"), "email": DPO}
    assert admin.post("/admin/users/disable", data=disable).status_code == 303
    assert dpo.get("/admin").status_code == 303
