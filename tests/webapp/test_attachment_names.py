"""Attachment names: refused when they could break a header or disguise a file, never kept as a
stored name or extension, and harmless on download even when an old row holds anything.
"""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from flask import Flask
from sqlalchemy import update
from werkzeug.http import parse_options_header

from workflows import services
from workflows.persistence.db import Database
from workflows.persistence.model import Attachment

from ..support import Driver
from .helpers import PDF, PNG, bearer, json_error, session_client, snapshot

NAME_REFUSED = "Tên tệp không được chứa ký tự xuống dòng, ký tự điều khiển hoặc ký tự đổi hướng chữ."
BAD_NAMES = {
    "CR LF": "Đơn\r\nSet-Cookie: x=1.pdf",
    "LF": "Đơn\nđề nghị.pdf",
    "CR": "Đơn\rđề nghị.pdf",
    "tab": "Đơn\tđề nghị.pdf",
    "ESC": "Đơn\x1b[2J.pdf",
    "DEL": "Đơn\x7f.pdf",
    "C1 NEL": "Đơn\x85.pdf",
    "U+2028": "Đơn\u2028đề nghị.pdf",
    "RLO": "Báo cáo\u202efdp.exe",
    "LRI": "Báo cáo\u2066.pdf",
    "RLM": "Báo cáo\u200f.pdf",
    "ALM": "Báo cáo\u061c.pdf",
}


def multipart(filename_star: str, content: bytes) -> tuple[bytes, str]:
    """A body whose file name comes RFC 2231-encoded: the only way a client gets CR/LF into it."""
    body = (b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''"
            + quote(filename_star).encode() + b"\r\nContent-Type: application/pdf\r\n\r\n" + content + b"\r\n--B--\r\n")
    return body, "multipart/form-data; boundary=B"


@pytest.mark.parametrize("label", list(BAD_NAMES))
def test_names_with_line_breaks_controls_or_bidi_are_refused_by_the_api(web: Flask, db: Database, driver: Driver,
                                                                         label: str):
    nid = driver.create()
    before = snapshot(db)
    body, content_type = multipart(BAD_NAMES[label], PDF)
    response = web.test_client().post(f"/api/v1/nominations/{nid}/attachments", headers=bearer(db, "clerk1"),
                                      data=body, content_type=content_type)
    error = json_error(response, 422, "invalid")
    assert error["fields"] == {"file": NAME_REFUSED}
    assert snapshot(db) == before


def test_a_name_with_a_line_break_is_refused_on_the_page(web: Flask, db: Database, driver: Driver):
    nid = driver.create()
    client = session_client(web, db, "clerk1")
    before = snapshot(db)
    body, content_type = multipart(BAD_NAMES["CR LF"], PDF)
    response = client.post(f"/nominations/{nid}/attachments", data=body, content_type=content_type)
    assert response.status_code == 302
    assert NAME_REFUSED in client.get(response.headers["Location"]).get_data(as_text=True)
    response = client.post(f"/nominations/{nid}/attachments", data={"file": (io.BytesIO(PDF), BAD_NAMES["RLO"])},
                           content_type="multipart/form-data")
    assert NAME_REFUSED in client.get(response.headers["Location"]).get_data(as_text=True)
    assert snapshot(db) == before


@pytest.mark.parametrize(("name", "content", "offered"), [
    ("Đơn đề nghị.pdf", PDF, "Đơn đề nghị.pdf"),
    ("ẢNH CHỤP.PNG", PNG, "ẢNH CHỤP.PNG"),
    ("shell.php", PDF, "shell.php.pdf"),
    ("trang.html", PNG, "trang.html.png"),
    ("không có đuôi", PDF, "không có đuôi.pdf"),
    ("ảnh.pdf", PNG, "ảnh.pdf.png"),
], ids=["pdf", "png upper-case", "php", "html", "no extension", "wrong extension"])
def test_stored_files_never_keep_the_uploaders_name_or_extension(web: Flask, db: Database, driver: Driver,
                                                                 name: str, content: bytes, offered: str):
    nid = driver.create()
    client, headers = web.test_client(), bearer(db, "clerk1")
    created = client.post(f"/api/v1/nominations/{nid}/attachments", headers=headers,
                          data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["name"] == name  # the original name is kept, as data
    with db.read() as s:
        stored_name = s.get(Attachment, created.get_json()["id"]).stored_name
    stored = [p.name for p in db.settings.upload_dir.iterdir()]
    assert stored_name in stored
    assert all("." not in p and len(p) == 32 for p in stored), stored  # generated names, no extension at all
    download = client.get(f"/api/v1/nominations/{nid}/attachments/{created.get_json()['id']}", headers=headers)
    assert download.status_code == 200 and download.data == content
    kind, options = parse_options_header(download.headers["Content-Disposition"])
    assert (kind, options) == ("attachment", {"filename": offered})


def _legacy(db: Database, driver: Driver, name: str) -> tuple[int, int]:
    """An attachment whose row holds ``name`` as written before names were checked."""
    nid = driver.create()
    att = services.add_attachment(db, driver.uid("clerk1"), nid, "Đơn.pdf", PDF)
    with db.write() as s:
        s.execute(update(Attachment).where(Attachment.id == att).values(original_name=name))
    return nid, att


@pytest.mark.parametrize(("name", "offered"), [
    ("Đơn\r\nSet-Cookie: x=1.pdf", "Đơn__Set-Cookie: x=1.pdf"),
    ("plain\r\nSet-Cookie: x=1.pdf", "plain__Set-Cookie: x=1.pdf"),
    ('Đơn"; filename="evil.exe', 'Đơn"; filename="evil.exe.pdf'),
    ("Báo cáo\u202efdp.exe", "Báo cáo_fdp.exe.pdf"),
    ("\r\n", "__.pdf"),
    ("", "tep.pdf"),
], ids=["crlf vietnamese", "crlf ascii", "quotes", "rlo", "only a line break", "empty"])
def test_a_stored_name_can_never_break_the_content_disposition(web: Flask, db: Database, driver: Driver,
                                                               name: str, offered: str):
    nid, att = _legacy(db, driver, name)
    responses = [web.test_client().get(f"/api/v1/nominations/{nid}/attachments/{att}", headers=bearer(db, "clerk1")),
                 session_client(web, db, "secretary").get(f"/nominations/{nid}/attachments/{att}")]
    for response in responses:
        assert response.status_code == 200 and response.data == PDF
        header = response.headers["Content-Disposition"]
        assert "\r" not in header and "\n" not in header
        assert not any(cookie.startswith("x=") for cookie in response.headers.getlist("Set-Cookie"))
        kind, options = parse_options_header(header)
        assert (kind, options) == ("attachment", {"filename": offered})
