"""The draft page and its API: "Lưu nháp", uploads that keep what was typed, kinds, deletion, the checklist,
and files too large or of the wrong type answered in Vietnamese on the same page (JSON under /api/)."""

from __future__ import annotations

import io

from flask import Flask
from sqlalchemy import select

from workflows.persistence.model import Attachment, AuditEvent, Nomination

from ..support import DOSSIER, TINY_PDF, Driver
from .helpers import bearer, json_error, session_client, snapshot

MB = 1024 * 1024


def limits(db) -> tuple[int, str]:
    """The test databases allow 2 MB (tests/conftest.py): the page states whatever the settings say."""
    size = db.settings.max_upload_bytes
    return size, f"Tối đa {size // MB} MB; PDF, DOCX, JPEG, PNG"


def fields(**changes) -> dict:
    """The dossier as its form posts it, with ``changes`` (a file stays a file)."""
    return {k: v if isinstance(v, tuple) else str(v) for k, v in (DOSSIER | changes).items()}


def the_task(driver: Driver, nid: int) -> str:
    return f"/tasks/{driver.item_for(nid, 'clerk1')}"


def version(driver: Driver, nid: int) -> int:
    with driver.db.read() as s:
        return s.get(Nomination, nid).version


def nomination(driver: Driver, nid: int) -> Nomination:
    with driver.db.read() as s:
        nom = s.get(Nomination, nid)
        s.expunge(nom)
        return nom


def attachments(driver: Driver, nid: int) -> list[tuple[str, str]]:
    with driver.db.read() as s:
        return [tuple(r) for r in s.execute(select(Attachment.original_name, Attachment.kind)
                                            .where(Attachment.nomination_id == nid).order_by(Attachment.id))]


def test_the_draft_page_shows_the_checklist_the_limits_and_the_buttons(web: Flask, db):
    driver = Driver(db)
    nid = driver.create(documents=False)
    page = session_client(web, db, "clerk1").get(the_task(driver, nid)).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    size, text = limits(db)
    assert text in page and f'data-max-bytes="{size}"' in page
    assert "Tờ trình: <strong>còn thiếu</strong>" in page and "Biên bản họp xét: <strong>còn thiếu</strong>" in page
    assert 'value="save_draft"' in page and ">Lưu nháp</button>" in page and 'value="upload"' in page
    assert 'name="kind"' in page and "Chứng nhận sáng kiến" in page and "upload.js" in page


def test_lưu_nháp_saves_without_submitting_and_the_history_shows_it(web: Flask, db):
    driver = Driver(db)
    nid = driver.create()
    client = session_client(web, db, "clerk1")
    task = the_task(driver, nid)
    response = client.post(task, data=fields(nominee_position="Trưởng phòng", _action="save_draft",
                                             _version=version(driver, nid)))
    assert response.status_code == 302 and response.headers["Location"].endswith(task)
    assert nomination(driver, nid).nominee_position == "Trưởng phòng" and driver.ready_steps(nid) == ["draft"]
    page = client.get(task).get_data(as_text=True)
    assert "Đã lưu nháp." in page and 'value="Trưởng phòng"' in page
    assert "<strong>Lưu nháp</strong>" in page and ": Chức vụ</span>" in page  # the history, compactly


def test_an_invalid_draft_is_422_on_the_same_page_with_what_was_typed(web: Flask, db):
    driver = Driver(db)
    nid = driver.create()
    before = snapshot(db)
    response = session_client(web, db, "clerk1").post(
        the_task(driver, nid), data=fields(year="1800", nominee_position="Mới nhập", _action="save_draft"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Mới nhập"' in page and 'value="1800"' in page and "Biểu mẫu có lỗi" in page
    assert snapshot(db) == before


def test_a_stale_draft_is_refused_and_says_so(web: Flask, db):
    driver = Driver(db)
    nid = driver.create()
    stale = version(driver, nid)
    client = session_client(web, db, "clerk1")
    client.post(the_task(driver, nid), data=fields(nominee_position="Một", _action="save_draft", _version=stale))
    response = client.post(the_task(driver, nid), data=fields(nominee_position="Hai", _action="save_draft",
                                                               _version=stale), follow_redirects=True)
    assert "Hồ sơ đã thay đổi" in response.get_data(as_text=True)
    assert nomination(driver, nid).nominee_position == "Một"


def test_an_upload_saves_the_typed_fields_first_and_keeps_the_kind(web: Flask, db):
    driver = Driver(db)
    nid = driver.create(documents=False)
    client = session_client(web, db, "clerk1")
    data = fields(nominee_position="Gõ chưa lưu", _action="upload", kind="to_trinh",
                  file=(io.BytesIO(TINY_PDF), "Tờ trình số 5.pdf"))
    response = client.post(the_task(driver, nid), data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    assert attachments(driver, nid) == [("Tờ trình số 5.pdf", "to_trinh")]
    assert nomination(driver, nid).nominee_position == "Gõ chưa lưu"
    page = client.get(the_task(driver, nid)).get_data(as_text=True)
    assert 'value="Gõ chưa lưu"' in page and "Tờ trình: <strong>đã có</strong>" in page
    assert "Đã thêm tệp Tờ trình số 5.pdf (Tờ trình)." in page


def test_a_wrong_type_or_a_file_over_the_limit_is_answered_on_the_page_with_the_edits(web: Flask, db):
    driver = Driver(db)
    nid = driver.create(documents=False)
    client = session_client(web, db, "clerk1")
    for name, content, message in (("ghi chú.txt", b"plain text, not a document", "Chỉ nhận tệp PDF, DOCX, JPEG hoặc PNG"),
                                   ("lớn.pdf", TINY_PDF + b"0" * limits(db)[0], f"Tệp vượt quá {limits(db)[0] // MB} MB")):
        data = fields(nominee_position=f"Đang sửa {name}", _action="upload", kind="bien_ban",
                      file=(io.BytesIO(content), name))
        response = client.post(the_task(driver, nid), data=data, content_type="multipart/form-data")
        assert response.status_code == 422, name
        page = response.get_data(as_text=True)
        assert message in page and f'value="Đang sửa {name}"' in page
    assert attachments(driver, nid) == []


def test_a_request_over_the_limit_is_a_friendly_413_in_the_ui_and_json_in_the_api(web: Flask, db):
    driver = Driver(db)
    nid = driver.create(documents=False)
    before = snapshot(db)
    web.config["MAX_CONTENT_LENGTH"] = limits(db)[0] + MB  # as the app sets it from the same settings
    huge = TINY_PDF + b"0" * (web.config["MAX_CONTENT_LENGTH"] + MB)
    response = session_client(web, db, "clerk1").post(
        the_task(driver, nid), data=fields(_action="upload", file=(io.BytesIO(huge), "rất lớn.pdf")),
        content_type="multipart/form-data", headers={"Referer": f"http://localhost{the_task(driver, nid)}"})
    assert response.status_code == 413 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert f"Tệp quá lớn. {limits(db)[1]}." in page and the_task(driver, nid) in page
    api = web.test_client().post(f"/api/v1/nominations/{nid}/attachments", headers=bearer(db, "clerk1"),
                                 data={"file": (io.BytesIO(huge), "rất lớn.pdf")}, content_type="multipart/form-data")
    error = json_error(api, 413, "too_large")
    assert limits(db)[1] in error["message"] and set(error["fields"]) == {"file"}
    assert snapshot(db) == before


def test_the_clerk_deletes_a_file_from_the_draft_page_keeping_the_edits(web: Flask, db):
    driver = Driver(db)
    nid = driver.create()
    client = session_client(web, db, "clerk1")
    with db.read() as s:
        first = s.scalar(select(Attachment.id).where(Attachment.nomination_id == nid).order_by(Attachment.id))
    response = client.post(the_task(driver, nid), data=fields(nominee_position="Sửa rồi xóa", _delete=str(first)))
    assert response.status_code == 302
    assert [k for _, k in attachments(driver, nid)] == ["bao_cao_thanh_tich", "bien_ban"]
    assert nomination(driver, nid).nominee_position == "Sửa rồi xóa"
    page = client.get(f"/nominations/{nid}").get_data(as_text=True)
    assert "Xóa tệp đính kèm" in page and "to_trinh.pdf (Tờ trình)" in page


def test_submitting_without_the_documents_names_what_is_missing(web: Flask, db):
    driver = Driver(db)
    nid = driver.create(documents=False)
    response = session_client(web, db, "clerk1").post(the_task(driver, nid), data=fields(nominee_position="Giữ lại"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Còn thiếu: Tờ trình, Báo cáo thành tích, Biên bản họp xét." in page and 'value="Giữ lại"' in page
    assert driver.ready_steps(nid) == ["draft"]


def test_a_file_chosen_with_nộp_hồ_sơ_is_attached_then_submitted(web: Flask, db):
    driver = Driver(db)
    nid = driver.create(award_form="ky_niem_chuong", documents=False)
    client, stale = session_client(web, db, "clerk1"), version(driver, nid)
    response = client.post(the_task(driver, nid), data=fields(award_form="ky_niem_chuong", kind="to_trinh", _version=stale,
                                                              file=(io.BytesIO(TINY_PDF), "Tờ trình.pdf")),
                           content_type="multipart/form-data")
    assert response.status_code == 302 and driver.ready_steps(nid) == ["head_review"]
    assert attachments(driver, nid) == [("Tờ trình.pdf", "to_trinh")]
    # A page read before another change is refused before its file is attached.
    other = driver.create(award_form="ky_niem_chuong", documents=False)
    stale = version(driver, other)
    # another tab saves the draft meanwhile
    client.post(the_task(driver, other), data=fields(award_form="ky_niem_chuong", nominee_position="Tab khác",
                                                     _action="save_draft"))
    response = client.post(the_task(driver, other), data=fields(award_form="ky_niem_chuong", kind="to_trinh",
                                                                _version=stale, file=(io.BytesIO(TINY_PDF), "x.pdf")),
                           content_type="multipart/form-data", follow_redirects=True)
    assert "Hồ sơ đã thay đổi" in response.get_data(as_text=True)
    assert attachments(driver, other) == [] and driver.ready_steps(other) == ["draft"]


# --- the API -------------------------------------------------------------------------------------

def test_api_saves_a_draft_with_if_match_and_refuses_stale_or_invalid(web: Flask, db):
    driver = Driver(db)
    nid = driver.create()
    client, headers = web.test_client(), bearer(db, "clerk1")
    v = version(driver, nid)
    saved = client.put(f"/api/v1/nominations/{nid}/draft", json={"nominee_position": "Qua API"},
                       headers=headers | {"If-Match": f'"{v}"'})
    assert saved.status_code == 200, saved.get_data(as_text=True)
    body = saved.get_json()
    assert body["nominee_position"] == "Qua API" and body["version"] == v + 1
    assert {d["kind"] for d in body["required_documents"] if d["met"]} == {"to_trinh", "bao_cao_thanh_tich", "bien_ban"}
    assert [a["kind"] for a in body["attachments"]] == ["to_trinh", "bao_cao_thanh_tich", "bien_ban"]
    json_error(client.put(f"/api/v1/nominations/{nid}/draft", json={"nominee_position": "Cũ"},
                          headers=headers | {"If-Match": str(v)}), 409, "conflict")
    before = snapshot(db)
    error = json_error(client.put(f"/api/v1/nominations/{nid}/draft", json={"data": {"year": "hai nghìn"}},
                                  headers=headers), 422, "invalid")
    assert set(error["fields"]) == {"year"} and snapshot(db) == before
    json_error(client.put(f"/api/v1/nominations/{nid}/draft", json={"nominee_position": "X"},
                          headers=bearer(db, "head1")), 403)
    with db.read() as s:
        assert s.scalar(select(AuditEvent.action).where(AuditEvent.nomination_id == nid)
                        .order_by(AuditEvent.seq.desc()).limit(1)) == "draft_saved"


def test_api_uploads_by_kind_and_deletes_only_while_drafting(web: Flask, db):
    driver = Driver(db)
    nid = driver.create()
    client, headers = web.test_client(), bearer(db, "clerk1")
    created = client.post(f"/api/v1/nominations/{nid}/attachments", headers=headers, content_type="multipart/form-data",
                          data={"kind": "chung_nhan_sang_kien", "file": (io.BytesIO(TINY_PDF), "Sáng kiến.pdf")})
    assert created.status_code == 201 and created.get_json()["kind"] == "chung_nhan_sang_kien"
    json_error(client.post(f"/api/v1/nominations/{nid}/attachments", headers=headers, content_type="multipart/form-data",
                           data={"kind": "hop_dong", "file": (io.BytesIO(TINY_PDF), "x.pdf")}), 422, "invalid")
    extra = created.get_json()["id"]
    json_error(client.delete(f"/api/v1/nominations/{nid}/attachments/{extra}", headers=bearer(db, "head1")), 403)
    assert client.delete(f"/api/v1/nominations/{nid}/attachments/{extra}", headers=headers).status_code == 204
    json_error(client.delete(f"/api/v1/nominations/{nid}/attachments/{extra}", headers=headers), 404)
    driver.act(nid, "clerk1", {})
    [kept, *_] = [a["id"] for a in client.get(f"/api/v1/nominations/{nid}", headers=headers).get_json()["attachments"]]
    json_error(client.delete(f"/api/v1/nominations/{nid}/attachments/{kept}", headers=headers), 409, "conflict")


def test_the_openapi_document_lists_the_draft_and_the_delete(web: Flask):
    paths = web.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    assert "put" in paths["/nominations/{id}/draft"]
    assert "delete" in paths["/nominations/{id}/attachments/{attachment_id}"]
    kind = paths["/nominations/{id}/attachments"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert "to_trinh" in kind["properties"]["kind"]["enum"]
