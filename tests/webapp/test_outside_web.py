"""The outside result over the API (``POST /api/v1/nominations/{id}/outside-result``) and on the nomination page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from workflows.domain import clock
from workflows.domain.clock import VN_TZ
from workflows.persistence import versions
from workflows.persistence.model import AwardRecord, Nomination, ProcessModel

from ..support import Driver, submitted_end_route_xml
from .helpers import bearer, csrf_token_in, json_error, login_form, make_app, session_client, snapshot

START = datetime(2027, 1, 4, 9, 0, tzinfo=VN_TZ)
AWARD = {"result": "awarded", "decision_number": "215/QĐ-TTg", "decision_date": "2027-03-02",
         "issuer": "Thủ tướng Chính phủ"}
REFUSAL = {"result": "refused", "reason": "Chưa đủ tiêu chuẩn."}


@pytest.fixture
def advance() -> Iterator:
    with clock.frozen(START) as move:
        yield move


@pytest.fixture
def waiting(driver: Driver, advance) -> int:
    """A Bằng khen của Thủ tướng submitted above on 18/01/2027; the clock then stands at 03/03/2027."""
    nid = driver.submitted_above(advance)
    advance(datetime(2027, 3, 3, 10, 0, tzinfo=VN_TZ) - clock.now())
    return nid


def post(web: Flask, db, nid: int, body, user: str = "secretary"):
    return web.test_client().post(f"/api/v1/nominations/{nid}/outside-result", headers=bearer(db, user), json=body)


def test_the_api_shows_the_wait_then_records_the_decision(web: Flask, db, waiting: int):
    detail = web.test_client().get(f"/api/v1/nominations/{waiting}", headers=bearer(db, "clerk1")).get_json()
    assert (detail["state"], detail["awaiting_outside"], detail["outside_result"]) == ("submitted", True, None)
    assert detail["submitted_above_at"] == "2027-01-18T17:01:00+07:00"

    answer = post(web, db, waiting, AWARD)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert (body["state"], body["awaiting_outside"], body["outside_result"]) == ("awarded", False, AWARD)
    with db.read() as s:
        row = s.scalar(select(AwardRecord).where(AwardRecord.nomination_id == waiting))
    assert (row.decision_number, row.issuer, row.decision_date.isoformat()) == ("215/QĐ-TTg", "Thủ tướng Chính phủ",
                                                                             "2027-03-02")
    history = web.test_client().get(f"/api/v1/nominations/{waiting}/history", headers=bearer(db, "auditor")).get_json()
    assert [i["action"] for i in history["items"]][-2:] == ["outside_result", "awarded_above"]
    assert history["items"][-2]["actor"] == "secretary"


def test_the_api_records_a_refusal(web: Flask, db, waiting: int):
    body = post(web, db, waiting, REFUSAL).get_json()
    assert (body["state"], body["outside_result"]) == ("rejected", REFUSAL)


def test_api_field_errors_are_422_in_the_json_shape_and_nothing_changes(web: Flask, db, waiting: int):
    before = snapshot(db)
    error = json_error(post(web, db, waiting, {"result": "awarded", "decision_date": "2027-03-09"}), 422, "invalid")
    assert error["fields"] == {"decision_number": "Trường này là bắt buộc.", "issuer": "Trường này là bắt buộc.",
                               "decision_date": "Ngày quyết định không được sau hôm nay (03/03/2027)."}
    json_error(post(web, db, waiting, ["awarded"]), 400)
    assert snapshot(db) == before


def test_api_roles_scope_and_a_second_result(web: Flask, db, waiting: int):
    before = snapshot(db)
    json_error(post(web, db, waiting, AWARD, user="clerk1"), 403, "forbidden")
    json_error(post(web, db, waiting, AWARD, user="auditor"), 403, "forbidden")
    json_error(post(web, db, waiting, AWARD, user="clerk2"), 404, "not_found")
    json_error(web.test_client().post(f"/api/v1/nominations/{waiting}/outside-result", json=AWARD), 401)
    assert snapshot(db) == before
    assert post(web, db, waiting, AWARD).status_code == 200
    error = json_error(post(web, db, waiting, REFUSAL), 409, "conflict")
    assert "Đã ghi nhận kết quả của cấp trên" in error["message"]


def test_an_old_version_dossier_answers_409_over_the_api(web: Flask, db, driver: Driver, advance):
    with db.write() as s:
        versions.deploy(s, versions.current_bundle(s, submitted_end_route_xml()))
    try:
        nid = driver.submitted_above(advance)
        detail = web.test_client().get(f"/api/v1/nominations/{nid}", headers=bearer(db, "secretary")).get_json()
        assert (detail["state"], detail["awaiting_outside"]) == ("submitted", False)
        error = json_error(post(web, db, nid, AWARD | {"decision_date": "2027-01-20"}), 409, "conflict")
        assert "phiên bản quy trình cũ" in error["message"] and "Đã trình cấp trên" in error["message"]
        assert driver.nomination(nid).state == "submitted"
    finally:
        with db.write() as s:
            s.execute(Nomination.__table__.delete())
            s.execute(ProcessModel.__table__.delete().where(ProcessModel.version > 1))


def _browser(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    token = csrf_token_in(client.get("/login").get_data(as_text=True))
    assert login_form(client, username, csrf_token=token).status_code == 302
    return client


def _form(page: str) -> str:
    return re.search(r'<form method="post" action="/nominations/\d+/outside-result.*?</form>', page, re.S).group(0)


def test_the_secretariat_records_the_decision_on_the_page(db, waiting: int):
    app = make_app(db, csrf=True)
    secretary = _browser(app, "secretary")
    page = secretary.get(f"/nominations/{waiting}").get_data(as_text=True)
    assert "Đã trình cấp trên, chờ kết quả" in page and "trình ngày 18/01/2027" in page
    form = _form(page)
    for label in ("Kết quả", "Được khen thưởng", "Không được khen thưởng", "Số quyết định", "Ngày quyết định",
                  "Cấp ban hành quyết định", "Lý do không được khen thưởng", "Ghi nhận kết quả"):
        assert label in form, label
    assert 'type="date"' in form and '<option value="Thủ tướng Chính phủ">' in form
    assert "không ghi nhận lại được" in form  # the confirmation before it is sent says what follows
    token = csrf_token_in(form)

    assert secretary.post(f"/nominations/{waiting}/outside-result", data=AWARD).status_code == 400  # no CSRF token
    wrong = secretary.post(f"/nominations/{waiting}/outside-result",
                           data=AWARD | {"decision_date": "2027-01-10", "issuer": "", "reason": "", "csrf_token": token})
    assert wrong.status_code == 422
    html = wrong.get_data(as_text=True)
    assert "Ngày quyết định không được trước ngày trình cấp trên (18/01/2027)." in html
    assert "Trường này là bắt buộc." in html and 'value="215/QĐ-TTg"' in html  # errors on the page, input kept
    assert driver_state(db, waiting) == "submitted"

    done = secretary.post(f"/nominations/{waiting}/outside-result",
                          data=AWARD | {"reason": "", "csrf_token": token}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert done.status_code == 200
    assert "Đã ghi nhận Quyết định số 215/QĐ-TTg ngày 02/03/2027 của Thủ tướng Chính phủ" in html
    assert "vào sổ khen thưởng" in html and "đơn vị đề nghị đã được thông báo" in html
    assert "Được khen thưởng: Quyết định số 215/QĐ-TTg ngày 02/03/2027 của Thủ tướng Chính phủ" in html
    assert "Ghi nhận kết quả</button>" not in html  # nothing more to record
    assert driver_state(db, waiting) == "awarded"
    assert not app.config["SERVED_5XX"]


def test_a_refusal_on_the_page(web: Flask, db, waiting: int):
    secretary = session_client(web, db, "secretary")
    done = secretary.post(f"/nominations/{waiting}/outside-result",
                          data={"result": "refused", "decision_number": "", "decision_date": "", "issuer": "",
                                "reason": "Chưa đủ tiêu chuẩn."}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "cấp trên không khen thưởng" in html and "Không được khen thưởng. Lý do: Chưa đủ tiêu chuẩn." in html
    assert driver_state(db, waiting) == "rejected"


def test_the_unit_sees_the_wait_but_no_form_and_cannot_post(web: Flask, db, waiting: int):
    clerk = session_client(web, db, "clerk1")
    page = clerk.get(f"/nominations/{waiting}").get_data(as_text=True)
    assert "Đã trình cấp trên, chờ kết quả" in page and "Ghi nhận kết quả</button>" not in page
    assert clerk.post(f"/nominations/{waiting}/outside-result", data=AWARD).status_code == 403
    assert driver_state(db, waiting) == "submitted"


def test_a_second_result_on_the_page_is_refused_with_a_message(web: Flask, db, waiting: int):
    secretary = session_client(web, db, "secretary")
    assert secretary.post(f"/nominations/{waiting}/outside-result", data=AWARD).status_code == 302
    again = secretary.post(f"/nominations/{waiting}/outside-result", data=REFUSAL, follow_redirects=True)
    assert "Đã ghi nhận kết quả của cấp trên" in again.get_data(as_text=True)
    assert driver_state(db, waiting) == "awarded"


def driver_state(db, nid: int) -> str:
    with db.read() as s:
        return s.get(Nomination, nid).state
