"""Bad input on the pages and the API: the right status, Vietnamese messages, and nothing changed.

Unknown ids, malformed bodies, form errors, extra keys, stale versions, repeated completes and
attachments, on SQLite and PostgreSQL. No request may ever be answered with a 500 (the ``web``
fixture fails any test that saw one, except the ones marked as known bugs).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.support import SHIPPED_FORMS
from workflows import services
from workflows.persistence.db import Database
from workflows.persistence.model import Attachment, AuditEvent, InstanceState, Nomination

from ..support import APPROVE, DOSSIER, Driver
from .helpers import PDF, PNG, bearer, html_error, json_error, make_app, session_client, snapshot

DOSSIER_FIELDS = SHIPPED_FORMS.field_names("dossier")
INJECTED = "zz_injected_key"


def record(db: Database, nid: int) -> dict[str, Any]:
    """What a refused request must leave alone: version, state, dossier, history and workflow state."""
    with db.read() as s:
        nom = s.get(Nomination, nid)
        return {
            "version": nom.version,
            "state": nom.state,
            "step": nom.current_step,
            "dossier": {k: getattr(nom, k) for k in DOSSIER_FIELDS},
            "history": s.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.nomination_id == nid)),
            "workflow": s.get(InstanceState, nid).state,
        }


def workflow_state(db: Database, nid: int) -> str:
    with db.read() as s:
        return s.get(InstanceState, nid).state


def nomination_count(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count(Nomination.id)))


def at_draft(driver: Driver) -> tuple[int, int]:
    nid = driver.create()
    return nid, driver.item_for(nid, "clerk1")


def at_head(driver: Driver) -> tuple[int, int]:
    nid = driver.create()
    driver.act(nid, "clerk1", {})
    return nid, driver.item_for(nid, "head1")


def upload(client, path: str, name: str, content: bytes, headers: dict | None = None):
    return client.post(path, headers=headers or {}, data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


# --- unknown ids and URLs ------------------------------------------------------------------------

WEB_UNKNOWN = [
    ("GET", "/nominations/999999"),
    ("GET", "/tasks/999999"),
    ("POST", "/tasks/999999"),
    ("GET", "/nominations/{a}/attachments/999999"),
    ("GET", "/nominations/{a}/attachments/{other_att}"),  # an attachment of another nomination
    ("POST", "/nominations/999999/attachments"),
    ("POST", "/nominations/999999/close-vote"),
    ("GET", "/no-such-page"),
    ("GET", "/nominations/abc"),
]
API_UNKNOWN = [
    ("GET", "/api/v1/nominations/999999"),
    ("GET", "/api/v1/nominations/999999/history"),
    ("GET", "/api/v1/nominations/{a}/attachments/999999"),
    ("GET", "/api/v1/nominations/{a}/attachments/{other_att}"),
    ("POST", "/api/v1/nominations/999999/attachments"),
    ("POST", "/api/v1/nominations/999999/close-vote"),
    ("GET", "/api/v1/tasks/999999"),
    ("POST", "/api/v1/tasks/999999/complete"),
    ("GET", "/api/v1/nominations/abc"),
    ("GET", "/api/v1/no-such-endpoint"),
    ("GET", "/api/v2/nominations"),
]


@pytest.fixture
def two(driver: Driver) -> dict[str, int]:
    a = driver.create()
    b = driver.create(nominee_name="Lê Văn Bảo")
    other_att = services.add_attachment(driver.db, driver.uid("clerk1"), b, "Khác.pdf", PDF)
    return {"a": a, "other_att": other_att}


@pytest.mark.parametrize(("method", "path"), WEB_UNKNOWN, ids=[f"{m} {p}" for m, p in WEB_UNKNOWN])
def test_unknown_ids_on_pages_are_404_pages(web: Flask, db: Database, two: dict[str, int], method: str, path: str):
    client = session_client(web, db, "clerk1")
    before = snapshot(db)
    kwargs = {"data": {"file": (io.BytesIO(PDF), "a.pdf")}} if path.endswith("/attachments") else {}
    response = client.open(path.format(**two), method=method, **kwargs)
    html = html_error(response, 404)
    assert "Không tìm thấy" in html
    assert snapshot(db) == before


@pytest.mark.parametrize(("method", "path"), API_UNKNOWN, ids=[f"{m} {p}" for m, p in API_UNKNOWN])
def test_unknown_ids_and_urls_on_the_api_are_json_404(web: Flask, db: Database, two: dict[str, int], method: str, path: str):
    kwargs: dict[str, Any] = {"json": {"data": APPROVE}} if path.endswith("/complete") else {}
    if path.endswith("/attachments"):
        kwargs = {"data": {"file": (io.BytesIO(PDF), "a.pdf")}, "content_type": "multipart/form-data"}
    response = web.test_client().open(path.format(**two), method=method, headers=bearer(db, "secretary"), **kwargs)
    json_error(response, 404, "not_found")


WRONG_METHOD = [
    ("DELETE", "/api/v1/nominations/{a}"),
    ("PUT", "/api/v1/nominations"),
    ("GET", "/api/v1/tasks/1/complete"),
    ("GET", "/api/v1/auth/token"),
    ("PATCH", "/api/v1/nominations/{a}/close-vote"),
]


@pytest.mark.parametrize(("method", "path"), WRONG_METHOD, ids=[f"{m} {p}" for m, p in WRONG_METHOD])
def test_wrong_method_on_the_api_is_json_405(web: Flask, db: Database, two: dict[str, int], method: str, path: str):
    response = web.test_client().open(path.format(**two), method=method, headers=bearer(db, "secretary"))
    json_error(response, 405, "method_not_allowed")
    assert "Phương thức không được hỗ trợ" in response.get_json()["error"]["message"]


def test_wrong_method_on_a_page_is_a_405_page(web: Flask, db: Database, two: dict[str, int]):
    client = session_client(web, db, "secretary")
    html_error(client.get(f"/nominations/{two['a']}/close-vote"), 405)
    html_error(client.get("/logout"), 405)


# --- malformed bodies -----------------------------------------------------------------------------

MALFORMED = [
    ("broken JSON", "{\"data\": {", "application/json"),
    ("JSON array", "[1, 2, 3]", "application/json"),
    ("JSON string", "\"approve\"", "application/json"),
    ("JSON null", "null", "application/json"),
    ("not JSON at all", "decision=approve", "application/x-www-form-urlencoded"),
    ("invalid UTF-8", b"{\"data\": \"\xff\xfe\"}", "application/json"),
]


@pytest.mark.parametrize(("label", "body", "content_type"), MALFORMED, ids=[m[0] for m in MALFORMED])
@pytest.mark.parametrize("endpoint", ["complete", "create", "token"])
def test_malformed_bodies_are_400_json(web: Flask, db: Database, driver: Driver, endpoint: str,
                                       label: str, body: str | bytes, content_type: str):
    nid, head = at_head(driver)
    before, count = record(db, nid), nomination_count(db)
    path, user = {"complete": (f"/api/v1/tasks/{head}/complete", "head1"), "create": ("/api/v1/nominations", "clerk1"),
                  "token": ("/api/v1/auth/token", None)}[endpoint]
    headers = bearer(db, user) if user else {}
    response = web.test_client().post(path, data=body, content_type=content_type, headers=headers)
    error = json_error(response, 400, "bad_request")
    assert error["message"] == "Yêu cầu không hợp lệ."
    assert record(db, nid) == before and nomination_count(db) == count


def test_unknown_top_level_key_of_complete_is_400(web: Flask, db: Database, driver: Driver):
    nid, head = at_head(driver)
    before = record(db, nid)
    response = web.test_client().post(f"/api/v1/tasks/{head}/complete", headers=bearer(db, "head1"),
                                      json={"data": APPROVE, INJECTED: True})
    json_error(response, 400, "bad_request")
    assert record(db, nid) == before


def test_if_match_that_is_not_a_version_is_400(web: Flask, db: Database, driver: Driver):
    nid, head = at_head(driver)
    before = record(db, nid)
    response = web.test_client().post(f"/api/v1/tasks/{head}/complete", headers=bearer(db, "head1") | {"If-Match": "abc"},
                                      json={"data": APPROVE})
    json_error(response, 400, "bad_request")
    assert record(db, nid) == before


# --- form errors through the API: 422, Vietnamese, nothing changed ------------------------------

API_FORM_ERRORS = [
    # (task, data, field, Vietnamese message for that field)
    ("draft", {"achievements": "Quá ngắn"}, "achievements", "Cần ít nhất 20 ký tự."),
    ("draft", {"year": "năm nay"}, "year", "Phải là số nguyên."),
    ("draft", {"year": 1999}, "year", "Không được nhỏ hơn 2000."),
    ("draft", {"nominee_kind": "robot"}, "nominee_kind", "Giá trị không nằm trong danh sách cho phép."),
    ("draft", {"nominee_name": "   "}, "nominee_name", "Không được để trống."),
    ("head", {}, "decision", "Trường này là bắt buộc."),
    ("head", {"decision": "maybe"}, "decision", "Giá trị không nằm trong danh sách cho phép."),
    ("head", {"decision": "return"}, "comment", "Trường này là bắt buộc."),
    ("head", {"decision": "return", "comment": "   "}, "comment", "Không được để trống."),
    ("head", {"decision": "withdraw"}, "comment", "Trường này là bắt buộc."),
    ("head", {"decision": "approve", "comment": "x" * 4001}, "comment", "Tối đa 4000 ký tự."),
]


@pytest.mark.parametrize(("task", "data", "field", "message"), API_FORM_ERRORS,
                         ids=[f"{t}-{f}-{i}" for i, (t, _, f, _) in enumerate(API_FORM_ERRORS)])
def test_api_form_errors_are_422_and_change_nothing(web: Flask, db: Database, driver: Driver, task: str, data: dict,
                                                    field: str, message: str):
    nid, item = at_draft(driver) if task == "draft" else at_head(driver)
    user = "clerk1" if task == "draft" else "head1"
    before = record(db, nid)
    response = web.test_client().post(f"/api/v1/tasks/{item}/complete", headers=bearer(db, user), json={"data": data})
    error = json_error(response, 422, "invalid")
    assert error["fields"].get(field) == message, error
    assert record(db, nid) == before
    assert driver.ready_steps(nid) == [task if task == "draft" else "head_review"]


def test_data_that_is_not_an_object_is_422(web: Flask, db: Database, driver: Driver):
    nid, head = at_head(driver)
    before = record(db, nid)
    for data in ("approve", ["approve"], 1, None):
        response = web.test_client().post(f"/api/v1/tasks/{head}/complete", headers=bearer(db, "head1"), json={"data": data})
        error = json_error(response, 422, "invalid")
        assert error["fields"] == {"data": "Phải là một đối tượng."}
    assert record(db, nid) == before


def test_creating_with_errors_is_422_and_creates_nothing(web: Flask, db: Database):
    response = web.test_client().post("/api/v1/nominations", headers=bearer(db, "clerk1"),
                                      json={"nominee_name": "A", "award_form": "bang_khen_bo_truong"})
    error = json_error(response, 422, "invalid")
    assert error["fields"] == {"nominee_name": "Cần ít nhất 2 ký tự.", "nominee_kind": "Trường này là bắt buộc.",
                               "year": "Trường này là bắt buộc.", "achievements": "Trường này là bắt buộc."}
    response = web.test_client().post("/api/v1/nominations", headers=bearer(db, "clerk1"),
                                      json=DOSSIER | {"award_form": "khong_co"})
    assert json_error(response, 422, "invalid")["fields"] == {"award_form": "Không có hình thức khen thưởng này."}
    response = web.test_client().post("/api/v1/nominations", headers=bearer(db, "clerk1"),
                                      json=DOSSIER | {"nominee_kind": "collective", "award_form": "chien_si_thi_dua_bo"})
    assert "nominee_kind" in json_error(response, 422, "invalid")["fields"]
    assert nomination_count(db) == 0


# --- extra keys never reach workflow data ---------------------------------------------------------

EXTRA_KEYS = [
    ("draft", {INJECTED: "x"}),
    ("draft", {"needs_vote": False, "council_passed": True}),
    ("head", {"decision": "approve", INJECTED: "x"}),
    ("head", {"decision": "approve", "needs_vote": False}),
]


@pytest.mark.parametrize(("task", "data"), EXTRA_KEYS, ids=[f"{t}-{'-'.join(d)}" for t, d in EXTRA_KEYS])
def test_extra_keys_in_data_are_refused_with_422(web: Flask, db: Database, driver: Driver, task: str, data: dict):
    nid, item = at_draft(driver) if task == "draft" else at_head(driver)
    user = "clerk1" if task == "draft" else "head1"
    before = record(db, nid)
    response = web.test_client().post(f"/api/v1/tasks/{item}/complete", headers=bearer(db, user), json={"data": data})
    error = json_error(response, 422, "invalid")
    extra = sorted(set(data) - set(SHIPPED_FORMS.field_names("dossier" if task == "draft" else "head_review")))
    for key in extra:
        assert error["fields"][key] == "Trường không thuộc biểu mẫu này.", error
    assert record(db, nid) == before
    assert INJECTED not in workflow_state(db, nid)


def test_extra_keys_in_a_page_form_are_dropped_and_never_reach_workflow_data(web: Flask, db: Database, driver: Driver):
    nid, draft = at_draft(driver)
    client = session_client(web, db, "clerk1")
    form = {k: str(v) for k, v in DOSSIER.items()} | {INJECTED: "x", "needs_vote": "", "council_done": "1"}
    assert client.post(f"/tasks/{draft}", data=form).status_code == 302
    head = driver.item_for(nid, "head1")
    client = session_client(web, db, "head1")
    assert client.post(f"/tasks/{head}", data=APPROVE | {INJECTED: "x", "needs_vote": ""}).status_code == 302
    driver.act(nid, "secretary", APPROVE)
    assert INJECTED not in workflow_state(db, nid)
    assert driver.ready_steps(nid) == ["council_round"]  # needs_vote was not overridden: the council still votes


# --- repeated completes and versions --------------------------------------------------------------

def test_a_repeated_complete_is_409(web: Flask, db: Database, driver: Driver):
    nid, head = at_head(driver)
    client, headers = web.test_client(), bearer(db, "head1")
    first = client.post(f"/api/v1/tasks/{head}/complete", headers=headers, json={"data": APPROVE})
    assert first.status_code == 200, first.get_json()
    after_first = record(db, nid)
    second = client.post(f"/api/v1/tasks/{head}/complete", headers=headers, json={"data": APPROVE})
    assert json_error(second, 409, "conflict")["message"] == "Công việc đã được xử lý."
    assert record(db, nid) == after_first


def test_if_match_mismatch_is_409_and_a_matching_one_is_200(web: Flask, db: Database, driver: Driver):
    nid, head = at_head(driver)
    client, headers = web.test_client(), bearer(db, "head1")
    version = client.get(f"/api/v1/nominations/{nid}", headers=headers).get_json()["version"]
    before = record(db, nid)
    assert before["version"] == version
    for stale in (str(version - 1), f'"{version + 1}"', f'W/"{version + 7}"'):
        response = client.post(f"/api/v1/tasks/{head}/complete", headers=headers | {"If-Match": stale}, json={"data": APPROVE})
        assert json_error(response, 409, "conflict")["message"] == "Hồ sơ đã thay đổi, vui lòng tải lại."
        assert record(db, nid) == before
    response = client.post(f"/api/v1/tasks/{head}/complete", headers=headers | {"If-Match": f'"{version}"'},
                           json={"data": APPROVE})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["nomination_id"] == nid and body["version"] > version and body["state"] == "in_progress"
    assert driver.ready_steps(nid) == ["secretariat_check"]


def test_a_stale_page_form_or_a_repeated_post_redirects_with_a_warning_and_changes_nothing(web: Flask, db: Database,
                                                                                          driver: Driver):
    nid, head = at_head(driver)
    client = session_client(web, db, "head1")
    before = record(db, nid)
    stale = client.post(f"/tasks/{head}", data=APPROVE | {"_version": str(before["version"] - 1)})
    assert stale.status_code == 302 and stale.headers["Location"] == f"/nominations/{nid}"
    assert record(db, nid) == before
    assert "Hồ sơ đã thay đổi, vui lòng tải lại." in client.get(stale.headers["Location"]).get_data(as_text=True)

    done = client.post(f"/tasks/{head}", data=APPROVE | {"_version": str(before["version"])})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    after = record(db, nid)
    again = client.post(f"/tasks/{head}", data=APPROVE)
    assert again.status_code == 302 and again.headers["Location"] == f"/nominations/{nid}"
    assert "Công việc đã được xử lý." in client.get(again.headers["Location"]).get_data(as_text=True)
    assert record(db, nid) == after


# --- form errors on the pages: a 422 page with the messages, nothing changed ---------------------

def test_page_form_errors_are_a_422_page_with_vietnamese_messages(web: Flask, db: Database, driver: Driver):
    nid, draft = at_draft(driver)
    client = session_client(web, db, "clerk1")
    before = record(db, nid)
    form = {k: str(v) for k, v in DOSSIER.items()} | {"achievements": "Quá ngắn", "year": "năm nay"}
    response = client.post(f"/tasks/{draft}", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Biểu mẫu có lỗi, vui lòng kiểm tra lại." in html
    # each message has the id its field's aria-describedby names
    assert '<p class="error-text" id="f-achievements-error">Cần ít nhất 20 ký tự.</p>' in html
    assert '<p class="error-text" id="f-year-error">Phải là số nguyên.</p>' in html
    assert 'aria-invalid="true" aria-describedby="f-achievements-error"' in html
    assert "Quá ngắn" in html  # what was typed is shown again, not lost
    assert record(db, nid) == before


def test_returning_without_a_comment_on_the_page_is_422(web: Flask, db: Database, driver: Driver):
    nid, head = at_head(driver)
    client = session_client(web, db, "head1")
    before = record(db, nid)
    for data in ({"decision": "return"}, {"decision": "return", "comment": "  "}, {}):
        response = client.post(f"/tasks/{head}", data=data)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        required = r'(Trường này là bắt buộc\.|Không được để trống\.)'
        assert re.search(rf'<p class="error-text" id="f-(comment|decision)-error">{required}</p>', html), html
    assert record(db, nid) == before
    ok = client.post(f"/tasks/{head}", data={"decision": "return", "comment": "Bổ sung minh chứng"})
    assert ok.status_code == 302
    assert driver.ready_steps(nid) == ["draft"]


def test_new_nomination_page_errors_are_422_and_create_nothing(web: Flask, db: Database):
    client = session_client(web, db, "clerk1")
    response = client.post("/nominations/new", data={"nominee_name": "", "year": "abc", "award_form": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for message in ("Trường này là bắt buộc.", "Phải là số nguyên.", "Cần ít nhất 2 ký tự."):
        assert re.search(rf'<p class="error-text" id="f-\w+-error">{re.escape(message)}</p>', html), message
    response = client.post("/nominations/new", data={k: str(v) for k, v in DOSSIER.items()} | {"award_form": "khong_co"})
    assert response.status_code == 422
    assert "Không có hình thức khen thưởng này." in response.get_data(as_text=True)
    assert nomination_count(db) == 0


# --- attachments ------------------------------------------------------------------------------------

NOT_ACCEPTED = "Định dạng tệp không được chấp nhận."
BAD_FILES = [
    ("text bytes named .pdf", "Đơn đề nghị.pdf", b"Day la van ban thuong, khong phai PDF.\n", NOT_ACCEPTED),
    ("HTML named .png", "ảnh.png", b"<html><script>alert(1)</script></html>", NOT_ACCEPTED),
    ("GIF (not accepted)", "ảnh.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", NOT_ACCEPTED),
    ("empty", "trống.pdf", b"", "Tệp rỗng."),
    ("over 2 MiB", "lớn.pdf", PDF + b"0" * (2 * 1024 * 1024), "Dung lượng tối đa 2 MB."),
    ("path in the name", "../../etc/passwd.pdf", PDF, "Tên tệp không hợp lệ."),
    ("name too long", "a" * 252 + ".pdf", PDF, "Tên tệp không hợp lệ."),
]


@pytest.mark.parametrize(("label", "name", "content", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_are_422_and_store_nothing(web: Flask, db: Database, driver: Driver, label: str, name: str,
                                             content: bytes, message: str):
    nid, _ = at_draft(driver)
    before = snapshot(db)
    response = upload(web.test_client(), f"/api/v1/nominations/{nid}/attachments", name, content, bearer(db, "clerk1"))
    assert json_error(response, 422, "invalid")["fields"] == {"file": message}
    assert snapshot(db) == before


def test_a_request_without_a_file_is_422(web: Flask, db: Database, driver: Driver):
    nid, _ = at_draft(driver)
    response = web.test_client().post(f"/api/v1/nominations/{nid}/attachments", headers=bearer(db, "clerk1"),
                                      data={"other": "x"}, content_type="multipart/form-data")
    assert json_error(response, 422, "invalid")["fields"] == {"file": "Trường này là bắt buộc."}


def test_a_body_over_the_request_limit_is_413_json(db: Database, driver: Driver):
    app = make_app(db, MAX_CONTENT_LENGTH=1024 * 1024)
    nid, _ = at_draft(driver)
    before = snapshot(db)
    response = upload(app.test_client(), f"/api/v1/nominations/{nid}/attachments", "lớn.pdf",
                      PDF + b"0" * (1024 * 1024), bearer(db, "clerk1"))
    error = json_error(response, 413, "too_large")
    assert error["message"].startswith("Tệp quá lớn. Tối đa") and set(error["fields"]) == {"file"}
    assert snapshot(db) == before
    assert not app.config["SERVED_5XX"]


def _filename_star(disposition: str) -> str:
    match = re.search(r"filename\*=UTF-8''([^;]+)", disposition)
    assert match, disposition
    return unquote(match.group(1))


@pytest.mark.parametrize(("name", "content", "mime"), [("Đơn đề nghị.pdf", PDF, "application/pdf"),
                                                       ("Ảnh chụp bằng khen.png", PNG, "image/png")],
                         ids=["pdf", "png"])
def test_good_files_are_stored_outside_the_web_root_and_downloaded_as_attachments(
        web: Flask, db: Database, driver: Driver, name: str, content: bytes, mime: str):
    nid, _ = at_draft(driver)
    client, headers = web.test_client(), bearer(db, "clerk1")
    response = upload(client, f"/api/v1/nominations/{nid}/attachments", name, content, headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["name"] == name and body["content_type"] == mime and body["size"] == len(content)

    # Stored under a generated name, outside the web root, with the original name kept as data.
    with db.read() as s:
        att = s.get(Attachment, body["id"])
    assert re.fullmatch(r"[0-9a-f]{32}", att.stored_name) and att.original_name == name
    upload_dir = db.settings.upload_dir.resolve()
    stored = upload_dir / att.stored_name
    assert stored.read_bytes() == content
    assert name not in {p.name for p in upload_dir.iterdir()}
    for web_root in (Path(web.static_folder).resolve(), Path(web.root_path).resolve()):
        assert not stored.is_relative_to(web_root)
    assert web.test_client().get(f"/static/{att.stored_name}").status_code == 404

    # Downloads, through the API and the page, give back the same bytes as a download.
    page = session_client(web, db, "secretary")
    for download in (client.get(f"/api/v1/nominations/{nid}/attachments/{att.id}", headers=headers),
                     page.get(f"/nominations/{nid}/attachments/{att.id}")):
        assert download.status_code == 200
        assert download.data == content
        assert download.mimetype == mime
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        disposition = download.headers["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert _filename_star(disposition) == name

    detail = client.get(f"/api/v1/nominations/{nid}", headers=headers).get_json()
    # (after the documents the driver attached to the draft)
    assert [(a["id"], a["name"], a["content_type"]) for a in detail["attachments"]][-1] == (att.id, name, mime)


def test_a_bad_file_on_the_page_is_refused_with_a_vietnamese_message(web: Flask, db: Database, driver: Driver):
    nid, _ = at_draft(driver)
    client = session_client(web, db, "clerk1")
    before = snapshot(db)
    response = upload(client, f"/nominations/{nid}/attachments", "Đơn.pdf", b"khong phai pdf")
    assert response.status_code == 302 and response.headers["Location"] == f"/nominations/{nid}"
    assert "Chỉ nhận tệp PDF, DOCX, JPEG hoặc PNG." in client.get(response.headers["Location"]).get_data(as_text=True)
    response = client.post(f"/nominations/{nid}/attachments", data={}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert "Chưa chọn tệp." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert snapshot(db) == before
    response = upload(client, f"/nominations/{nid}/attachments", "Đơn đề nghị.pdf", PDF)
    assert response.status_code == 302
    assert "Đã thêm tệp Đơn đề nghị.pdf." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert len(snapshot(db)["attachments"]) == len(before["attachments"]) + 1


# --- odd inputs that once ended in a 500 ------------------------------------------------------------

UNICODE_DIGIT = "²"  # str.isdigit() says yes, int() says no

DIGIT_CHECKS = [
    ("web page number", "GET", "/nominations/?page=" + UNICODE_DIGIT, "clerk1", {}),
    ("api page number", "GET", "/api/v1/nominations?page=" + UNICODE_DIGIT, "clerk1", {}),
    ("api If-Match", "POST", "/api/v1/tasks/{head}/complete", "head1", {"If-Match": UNICODE_DIGIT}),
    ("web _version", "POST", "/tasks/{head}", "head1", {}),
]


@pytest.mark.parametrize(("label", "method", "path", "user", "headers"), DIGIT_CHECKS, ids=[d[0] for d in DIGIT_CHECKS])
def test_unicode_digits_in_numbers_are_not_a_500(db: Database, driver: Driver, label: str, method: str, path: str,
                                                 user: str, headers: dict):
    app = make_app(db)
    nid, head = at_head(driver)
    before = record(db, nid)
    api = path.startswith("/api/")
    if api:
        client, headers = app.test_client(), headers | bearer(db, user)
    else:
        client = session_client(app, db, user)
    kwargs: dict[str, Any] = {}
    if method == "POST":
        kwargs = {"json": {"data": APPROVE}} if api else {"data": APPROVE | {"_version": UNICODE_DIGIT}}
    response = client.open(path.format(head=head), method=method, headers=headers, **kwargs)
    assert response.status_code < 500, app.config["SERVED_5XX"]
    if method == "POST" and api:
        assert response.status_code == 400
        assert record(db, nid) == before


@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_a_huge_page_number_is_not_a_500(db: Database, api: bool):
    app = make_app(db)
    huge = "9" * 25
    if api:
        response = app.test_client().get(f"/api/v1/nominations?page={huge}", headers=bearer(db, "clerk1"))
    else:
        response = session_client(app, db, "clerk1").get(f"/nominations/?page={huge}")
    assert response.status_code in (200, 400), app.config["SERVED_5XX"]


NUL_CASES = [
    # label, user, method, path, kwargs, expected status
    ("search", "clerk1", "GET", "/api/v1/nominations?q=An%00", {}, 400),  # query strings: see test_hostile_routes
    ("web search", "clerk1", "GET", "/nominations/?q=An%00", {}, 400),
    ("token username", None, "POST", "/api/v1/auth/token", {"json": {"username": "clerk1\x00", "password": "demo"}}, 401),
    ("login username", None, "POST", "/login", {"data": {"username": "clerk1\x00", "password": "demo"}}, 401),
    ("nominee name", "clerk1", "POST", "/api/v1/nominations", {"json": DOSSIER | {"nominee_name": "Nguyễn\x00 An"}}, 422),
    ("return comment", "head1", "POST", "/api/v1/tasks/{head}/complete",
     {"json": {"data": {"decision": "return", "comment": "Bổ sung\x00"}}}, 422),
    ("file name", "clerk1", "POST", "/api/v1/nominations/{nid}/attachments",
     {"data": {"file": (io.BytesIO(PDF), "Đơn\x00.pdf")}, "content_type": "multipart/form-data"}, 422),
]


@pytest.mark.parametrize(("label", "user", "method", "path", "kwargs", "status"), NUL_CASES,
                         ids=[c[0] for c in NUL_CASES])
def test_nul_characters_are_refused_or_not_found_never_a_500(db: Database, driver: Driver, label: str, user: str | None,
                                                             method: str, path: str, kwargs: dict, status: int):
    app = make_app(db)
    nid, head = at_head(driver)
    before = record(db, nid)
    api = path.startswith("/api/")
    headers = bearer(db, user) if user and api else {}
    client = session_client(app, db, user) if user and not api else app.test_client()
    if "/attachments" in path:  # a fresh stream for every run
        kwargs = {**kwargs, "data": {"file": (io.BytesIO(PDF), "Đơn\x00.pdf")}}
    response = client.open(path.format(nid=nid, head=head), method=method, headers=headers, **kwargs)
    assert response.status_code == status, (response.status_code, app.config["SERVED_5XX"])
    if status >= 400 and api:
        json_error(response, status)
    assert record(db, nid) == before
