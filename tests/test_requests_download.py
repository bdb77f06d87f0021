"""The access report's one download. The PDF is laid out with the report, before the act's
write (from the same parse as the HTML page); a report rebuilt inside the write transaction
leaves its PDF to the download (outside the write lock). Either way the report handed out is
complete, and a failure while laying the PDF out changes nothing."""

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
from lawful.requests import flows, fulfil, outbox, report, service
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


def _complete(content: bytes) -> None:
    files = zipfile.ZipFile(io.BytesIO(content))
    assert {"report.html", "report.pdf", "data.json", "data.csv"} <= set(files.namelist())
    assert files.comment == b""
    pdf = pypdf.PdfReader(io.BytesIO(files.read("report.pdf")))
    assert "Ольга Петрова" in "".join(page.extract_text() for page in pdf.pages)


def _broken_layout(markdown: str, *, title: str, **_: object) -> bytes:
    raise RuntimeError("layout failed")


def test_a_failure_while_laying_out_the_pdf_at_the_act_changes_nothing(setup, monkeypatch):
    lawful, client, inbox = setup
    request_id = client.post("/api/v1/requests", json={"kind": "access", "email": EMAIL}).json()[
        "request_id"
    ]
    code = inbox.code_for(EMAIL)
    assert client.post(f"/api/v1/requests/{request_id}/verify", json={"code": code}).is_success
    monkeypatch.setattr(report, "markdown_to_pdf", _broken_layout)
    act = f"/api/v1/operator/requests/{request_id}/act"
    assert client.post(act, json={}, headers=AUTH).status_code == 500
    with lawful.sessions() as session:  # read before the write: nothing was stored or moved
        assert service.get(session, request_id).state == "verified"
        assert session.scalar(sa.select(RequestFile.id)) is None
    monkeypatch.undo()
    assert client.post(act, json={}, headers=AUTH).is_success
    got = client.get(inbox.link_for(EMAIL).split("127.0.0.1:8000", 1)[1])
    _complete(got.content)


def _rebuilt_in_the_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """Acts as if the report prepared before the write were stale (the person erased in
    between): it is built again inside the write transaction, its PDF left to the download."""
    monkeypatch.setattr(fulfil, "prepare_report", lambda **_: None)


@pytest.mark.parametrize("rebuilt", [False, True], ids=["prepared", "rebuilt-in-the-write"])
def test_the_download_is_complete_with_its_pdf_laid_out_once(setup, monkeypatch, rebuilt):
    lawful, client, inbox = setup
    if rebuilt:
        _rebuilt_in_the_write(monkeypatch)
    request_id, path = _prepared(client, inbox)
    stored = _stored(lawful, request_id)
    # prepared before the write: stored with its PDF; rebuilt inside it: the PDF deferred
    assert ("report.pdf" in stored.namelist()) is not rebuilt
    assert stored.comment == (report.PDF_TO_FOLLOW if rebuilt else b"")
    got = client.get(path)
    assert got.status_code == 200
    _complete(got.content)
    assert client.get(path).status_code == 410  # once


def test_a_failure_while_laying_out_a_deferred_pdf_spends_nothing(setup, monkeypatch):
    lawful, client, inbox = setup
    _rebuilt_in_the_write(monkeypatch)
    _request_id, path = _prepared(client, inbox)
    monkeypatch.setattr(report, "markdown_to_pdf", _broken_layout)
    assert client.get(path).status_code == 500
    monkeypatch.undo()
    again = client.get(path)
    assert again.status_code == 200  # the link was not spent, the file not deleted
    _complete(again.content)


@pytest.mark.parametrize("rebuilt", [False, True], ids=["prepared", "rebuilt-in-the-write"])
def test_a_report_with_its_pdf_is_handed_out_in_one_transaction(setup, monkeypatch, rebuilt):
    lawful, client, inbox = setup
    if rebuilt:
        _rebuilt_in_the_write(monkeypatch)
    _request_id, path = _prepared(client, inbox)
    begun: list[object] = []

    def counted(connection: object) -> None:
        begun.append(connection)

    sa.event.listen(lawful.engine, "begin", counted)
    try:
        name, data = flows.download(lawful, path.rsplit("/", 1)[1], now=datetime.now(UTC))
    finally:
        sa.event.remove(lawful.engine, "begin", counted)
    assert name == "report.zip"
    _complete(data)
    # read and spent at once; a PDF still due is laid out between a read and the write
    assert len(begun) == (2 if rebuilt else 1)


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
