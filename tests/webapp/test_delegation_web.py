"""The pages "Ủy quyền ký" and "Vắng mặt", and their API: who sees them, create, refuse in Vietnamese on the same page,
revoke / cancel; CSRF on every form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from flask import Flask

from workflows.domain import clock
from workflows.persistence.db import Database
from workflows.services import people

from .helpers import bearer, csrf_token_in, is_vietnamese, make_app, session_client

START = datetime(2026, 11, 30, 9, 0, tzinfo=clock.VN_TZ)


@pytest.fixture(autouse=True)
def now() -> Iterator:
    with clock.frozen(START) as advance:
        yield advance


def test_the_minister_delegates_and_revokes_through_the_page(web: Flask, db: Database):
    minister = session_client(web, db, "minister")
    page = minister.get("/delegations")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'href="/delegations">Ủy quyền ký</a>' in html and "Ủy quyền mới" in html
    assert 'value="bang_khen_bo_truong"' in html

    refused = minister.post("/delegations", data={"deputy": "deputy", "starts_on": "2026-12-04", "ends_on": "2026-12-02"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Ngày kết thúc phải từ ngày bắt đầu trở đi." in text
    assert 'value="2026-12-04"' in text  # the form keeps what was typed

    done = minister.post("/delegations", data={"deputy": "deputy", "starts_on": "2026-12-02", "ends_on": "2026-12-04",
                                               "award_forms": ["bang_khen_bo_truong"], "note": "Đi công tác"})
    assert done.status_code == 302
    html = minister.get("/delegations").get_data(as_text=True)
    assert "02/12/2026" in html and "04/12/2026" in html and "Sắp có hiệu lực" in html and "Bằng khen" in html

    overlap = minister.post("/delegations", data={"deputy": "deputy", "starts_on": "2026-12-03", "ends_on": "2026-12-03"})
    assert overlap.status_code == 409 and is_vietnamese(overlap.get_data(as_text=True))

    deputy_page = session_client(web, db, "deputy").get("/delegations").get_data(as_text=True)
    assert "04/12/2026" in deputy_page and "Ủy quyền mới" not in deputy_page and "Thu hồi ủy quyền" not in deputy_page

    action = re.search(r'action="(/delegations/\d+/revoke)"', html).group(1)
    assert minister.post(action, data={"version": "1"}).status_code == 302
    assert "Đã thu hồi" in minister.get("/delegations").get_data(as_text=True)
    again = minister.post(action, data={"version": "2"})
    assert again.status_code == 302  # flashed, not a 500
    assert "đã được thu hồi" in minister.get("/delegations").get_data(as_text=True)


def test_who_sees_the_pages(web: Flask, db: Database):
    clerk = session_client(web, db, "clerk1")
    html = clerk.get("/").get_data(as_text=True)
    assert "Việc cần xử lý" in html and "Ủy quyền ký" not in html and "Vắng mặt</a>" not in html
    assert 'href="/absences">Vắng mặt</a>' in session_client(web, db, "head1").get("/").get_data(as_text=True)
    assert clerk.get("/delegations").status_code == 403
    assert clerk.get("/absences").status_code == 403
    assert session_client(web, db, "council1").get("/absences").status_code == 403
    assert session_client(web, db, "secretary").get("/delegations").status_code == 403
    auditor = session_client(web, db, "auditor")
    assert auditor.get("/delegations").status_code == 200 and auditor.get("/absences").status_code == 200
    assert auditor.post("/delegations", data={"deputy": "deputy", "starts_on": "2026-12-02",
                                              "ends_on": "2026-12-04"}).status_code == 403


def test_a_head_sets_and_cancels_an_absence(web: Flask, db: Database):
    people.create_user(db, None, "head1b", "Lê Văn Phó", "CUC_BDDT", ["unit_head"], "demo")
    head = session_client(web, db, "head1")
    html = head.get("/absences").get_data(as_text=True)
    assert 'value="head1b"' in html and 'value="head2"' not in html  # substitutes of the same role and unit
    wrong = head.post("/absences", data={"substitute": "head2", "starts_on": "2026-12-02", "ends_on": "2026-12-04"})
    assert wrong.status_code == 422 and "không thuộc" in wrong.get_data(as_text=True)
    done = head.post("/absences", data={"substitute": "head1b", "starts_on": "2026-11-30", "ends_on": "2026-12-04"})
    assert done.status_code == 302
    html = head.get("/absences").get_data(as_text=True)
    assert "Đang hiệu lực" in html and "Lê Văn Phó" in html and "30/11/2026" in html

    action = re.search(r'action="(/absences/\d+/cancel)"', html).group(1)
    assert session_client(web, db, "head1b").post(action).status_code == 302  # not theirs: refused, said in a flash
    assert "Đang hiệu lực" in head.get("/absences").get_data(as_text=True)
    assert head.post(action).status_code == 302
    assert "Đã hủy" in head.get("/absences").get_data(as_text=True)


def test_forms_need_the_csrf_token(db: Database):
    app = make_app(db, csrf=True)
    minister = session_client(app, db, "minister")
    data = {"deputy": "deputy", "starts_on": "2026-12-02", "ends_on": "2026-12-04"}
    assert minister.post("/delegations", data=data).status_code == 400
    token = csrf_token_in(minister.get("/delegations").get_data(as_text=True))
    assert minister.post("/delegations", data=data | {"csrf_token": token}).status_code == 302
    assert not app.config["SERVED_5XX"]


def test_the_api(web: Flask, db: Database):
    client = web.test_client()
    minister, head = bearer(db, "minister"), bearer(db, "head1")
    created = client.post("/api/v1/delegations", headers=minister,
                          json={"deputy": "deputy", "starts_on": "2026-12-02", "ends_on": "2026-12-04",
                                "award_forms": ["bang_khen_bo_truong"]})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["starts_on"], body["ends_on"], body["award_forms"], body["status"]) == (
        "2026-12-02", "2026-12-04", ["bang_khen_bo_truong"], "upcoming")
    clash = client.post("/api/v1/delegations", headers=minister,
                        json={"deputy": "deputy", "starts_on": "2026-12-04", "ends_on": "2026-12-06"})
    assert clash.status_code == 409 and is_vietnamese(clash.get_json()["error"]["message"])
    bad = client.post("/api/v1/delegations", headers=minister, json={"deputy": "deputy", "starts_on": "x", "ends_on": "y"})
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == {"starts_on"}
    assert client.post("/api/v1/delegations", headers=head, json={"deputy": "deputy", "starts_on": "2026-12-02",
                                                                  "ends_on": "2026-12-04"}).status_code == 403
    assert client.post("/api/v1/delegations", headers=minister, json={"deputy": "deputy", "x": 1}).status_code == 400
    listed = client.get("/api/v1/delegations", headers=bearer(db, "deputy")).get_json()["items"]
    assert [d["id"] for d in listed] == [body["id"]]
    revoked = client.post(f"/api/v1/delegations/{body['id']}/revoke", headers=minister, json={"version": 1})
    assert revoked.status_code == 200 and revoked.get_json()["status"] == "revoked"
    assert client.post(f"/api/v1/delegations/{body['id']}/revoke", headers=minister).status_code == 409

    council = client.post("/api/v1/absences", headers=bearer(db, "council1"),
                          json={"substitute": "council2", "starts_on": "2026-12-02", "ends_on": "2026-12-04"})
    assert council.status_code == 422 and "bí mật" in council.get_json()["error"]["message"]
    secretary = client.post("/api/v1/absences", headers=bearer(db, "secretary"),
                            json={"substitute": "reviewer", "starts_on": "2026-12-02", "ends_on": "2026-12-04"})
    assert secretary.status_code == 422 and "substitute" in secretary.get_json()["error"]["fields"]
    people.create_user(db, None, "head1b", "Lê Văn Phó", "CUC_BDDT", ["unit_head"], "demo")
    made = client.post("/api/v1/absences", headers=head,
                       json={"substitute": "head1b", "starts_on": "2026-12-02", "ends_on": "2026-12-04"})
    assert made.status_code == 201 and made.get_json()["role"] == "unit_head"
    assert client.get("/api/v1/absences", headers=bearer(db, "head1b")).get_json()["items"][0]["user"] == "Trần Văn Hùng"
    cancelled = client.post(f"/api/v1/absences/{made.get_json()['id']}/cancel", headers=head)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"


def test_the_deputy_signs_through_the_task_page_while_in_force(web: Flask, db: Database, legacy):
    """The request's own actor (session, bearer) carries the windows: the command needs no second load."""
    from tests.workflows.test_delegation import at_minister_sign, sign_item
    from workflows.services import delegations

    nid = at_minister_sign(legacy)
    item = sign_item(legacy, nid)
    deputy = session_client(web, db, "deputy")
    assert deputy.post(f"/tasks/{item}", data={"decision": "approve"}).status_code == 403
    delegations.delegate(db, legacy.uid("minister"), "deputy", START.date(), START.date())
    assert f"/tasks/{item}" in deputy.get("/").get_data(as_text=True)
    assert deputy.post(f"/tasks/{item}", data={"decision": "approve"}).status_code == 302
    assert legacy.nomination(nid).state == "awarded"
    page = deputy.get(f"/nominations/{nid}").get_data(as_text=True)
    assert "Thứ trưởng (thay mặt Bộ trưởng Bộ trưởng)" in page


def test_an_admin_sets_an_absence_and_a_delegation_for_someone_else(web: Flask, db: Database):
    people.create_user(db, None, "secretary2", "Đỗ Thư Ký", "VU_TCCB", ["secretariat"], "demo")
    admin = session_client(web, db, "admin")
    html = admin.get("/absences").get_data(as_text=True)
    assert 'name="user"' in html and 'value="secretary2"' in html
    done = admin.post("/absences", data={"user": "secretary", "role": "secretariat", "substitute": "secretary2",
                                         "starts_on": "2026-12-01", "ends_on": "2026-12-03"})
    assert done.status_code == 302
    assert "Đỗ Thư Ký" in session_client(web, db, "secretary").get("/absences").get_data(as_text=True)
    html = admin.get("/delegations").get_data(as_text=True)
    assert 'name="minister"' in html
    assert admin.post("/delegations", data={"minister": "minister", "deputy": "deputy", "starts_on": "2026-12-01",
                                            "ends_on": "2026-12-03"}).status_code == 302
    rows = session_client(web, db, "minister").get("/delegations").get_data(as_text=True)
    assert "01/12/2026" in rows and "Thu hồi ủy quyền" in rows  # the minister may revoke what an admin made
