"""The access report's one download: its PDF is laid out then (outside the write lock), the
report is complete, and a failure while laying it out spends nothing."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pypdf
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from lawful.context import Lawful
from lawful.documents.service import reading
from lawful.errors import Gone, NotFound
from lawful.requests import fulfil, outbox, report, service
from lawful.requests.models import RequestFile
from lawful.web.app import create_app
from tests.conftest import open_template
from tests.requests_support import Inbox, add_person, smtp_server

EMAIL = "olga.petrova@example.org"
TOKEN = "operator-secret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def setup(tmp_path: Path, database_url: str) -> Iterator[tuple[Lawful, TestClient, Inbox]]:
    lawful = open_template(tmp_path, database_url, "ru-design-studio")
    with smtp_server() as (inbox, url):
        lawful.settings = replace(lawful.settings, smtp_url=url, operator_token=TOKEN)
        add_person(lawful, EMAIL, {"user.name": "Ольга Петрова"})
        yield lawful, TestClient(create_app(lawful), raise_server_exceptions=False), inbox
    lawful.close()


def _prepared(client: TestClient, inbox: Inbox) -> tuple[str, str]:
    """(request id, download path) of a verified access request the operator acted on."""
    request_id = client.post("/api/v1/requests", json={"kind": "access", "email": EMAIL}).json()[
        "request_id"
    ]
    code = inbox.code_for(EMAIL)
    assert client.post(f"/api/v1/requests/{request_id}/verify", json={"code": code}).is_success
    assert client.post(
        f"/api/v1/operator/requests/{request_id}/act", json={}, headers=AUTH
    ).is_success
    return request_id, inbox.link_for(EMAIL).split("127.0.0.1:8000", 1)[1]


def _stored(lawful: Lawful, request_id: str) -> zipfile.ZipFile:
    with lawful.sessions() as session:
        request = service.get(session, request_id)
        row = session.scalar(
            sa.select(RequestFile).where(
                RequestFile.request_id == request_id, RequestFile.role == "report"
            )
        )
        assert row is not None
        _name, data = service.open_file(lawful.ring, request, row)
    return zipfile.ZipFile(io.BytesIO(data))


def test_the_pdf_is_laid_out_at_the_download_and_the_report_is_complete(setup):
    lawful, client, inbox = setup
    request_id, path = _prepared(client, inbox)
    assert "report.pdf" not in _stored(lawful, request_id).namelist()  # not yet: deferred
    got = client.get(path)
    assert got.status_code == 200
    files = zipfile.ZipFile(io.BytesIO(got.content))
    assert {"report.html", "report.pdf", "data.json", "data.csv"} <= set(files.namelist())
    assert files.comment == b""
    pdf = pypdf.PdfReader(io.BytesIO(files.read("report.pdf")))
    assert "Ольга Петрова" in "".join(page.extract_text() for page in pdf.pages)
    assert client.get(path).status_code == 410  # once


def test_a_failure_while_laying_out_the_pdf_spends_nothing(setup, monkeypatch):
    lawful, client, inbox = setup
    _request_id, path = _prepared(client, inbox)

    def broken(markdown: str, *, title: str, shared: object = None) -> bytes:
        raise RuntimeError("layout failed")

    monkeypatch.setattr(report, "markdown_to_pdf", broken)
    assert client.get(path).status_code == 500
    monkeypatch.undo()
    again = client.get(path)
    assert again.status_code == 200  # the link was not spent, the file not deleted
    assert "report.pdf" in zipfile.ZipFile(io.BytesIO(again.content)).namelist()


def test_of_two_downloads_at_once_only_one_gets_the_file(setup):
    lawful, client, inbox = setup
    _request_id, path = _prepared(client, inbox)
    token, now = path.rsplit("/", 1)[1], datetime.now(UTC)
    for _ in range(2):  # both read the file before either spends the link
        with reading(lawful.engine) as session:
            fulfil.peek(session=session, ring=lawful.ring, token=token, now=now)
    with lawful.sessions.begin() as session:
        fulfil.spend(session=session, token=token, now=now)
    with pytest.raises(Gone), lawful.sessions.begin() as session:
        fulfil.spend(session=session, token=token, now=now)


def test_a_report_packed_with_its_pdf_is_left_as_it_is():
    built = report.Report("# Title\n\ntext", {"values": []})
    packed = report.package(built, "en", pdf=False)
    assert report.finish(packed) == packed


def test_spending_checks_the_link_and_the_file_as_it_changes_them(setup):
    lawful, client, inbox = setup
    request_id, path = _prepared(client, inbox)
    token, now = path.rsplit("/", 1)[1], datetime.now(UTC)
    with pytest.raises(NotFound), lawful.sessions.begin() as session:
        fulfil.spend(session=session, token="x" + token, now=now)
    with pytest.raises(Gone), lawful.sessions.begin() as session:  # expired by then
        fulfil.spend(session=session, token=token, now=now + outbox.DOWNLOAD_TTL)
    with lawful.sessions.begin() as session:  # the file went meanwhile (erased, say)
        session.execute(
            sa.update(RequestFile).where(RequestFile.request_id == request_id).values(sealed=None)
        )
    with pytest.raises(Gone, match="no longer kept"), lawful.sessions.begin() as session:
        fulfil.spend(session=session, token=token, now=now)
    with lawful.sessions() as session:  # the refused spend changed nothing
        steps = [step.action for step in service.timeline(session, request_id)]
    assert "downloaded" not in steps
    assert client.get(path).status_code == 410


def test_a_token_too_long_to_be_ours_is_no_download(setup):
    lawful, client, inbox = setup
    _prepared(client, inbox)
    assert client.get("/api/v1/requests/downloads/" + "x" * 150).status_code == 404
    with pytest.raises(NotFound), lawful.sessions.begin() as session:
        fulfil.spend(session=session, token="x" * 150, now=datetime.now(UTC))
