"""Claims and bulk actions in the pages: the task page's buttons, the holder in the inbox, the bulk form and its report."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from workflows import services
from workflows.persistence.db import Database
from workflows.persistence.model import TaskItem

from ..support import APPROVE, Driver
from ..workflows.test_claims import add_user
from .helpers import make_app, session_client
from .test_tasks_api import at_secretariat

CLAIM, RELEASE = ">Nhận xử lý</button>", ">Trả lại nhóm</button>"


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_claim_and_release_from_the_task_page(web: Flask, driver: Driver, db: Database):
    [item_id] = at_secretariat(driver, 1)
    add_user(db, "secretary2", "Lê Thị Hai")
    mine, theirs = session_client(web, db, "secretary"), session_client(web, db, "secretary2")
    assert CLAIM in page(mine, f"/tasks/{item_id}")
    response = mine.post(f"/tasks/{item_id}/claim", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Đã nhận xử lý công việc." in html and RELEASE in html
    held = page(theirs, f"/tasks/{item_id}")
    assert re.search(r"Đang xử lý: <strong>Đỗ Thu Trang</strong> \(từ \d\d/\d\d/\d{4} \d\d:\d\d\)", held)
    assert CLAIM not in held and RELEASE not in held and 'name="decision"' not in held
    inbox = page(theirs, "/")
    assert re.search(r"Đang xử lý: Đỗ Thu Trang \(từ \d\d/\d\d/\d{4} \d\d:\d\d\)", inbox)
    refused = theirs.post(f"/tasks/{item_id}/claim", follow_redirects=True).get_data(as_text=True)
    assert "Công việc đang do Đỗ Thu Trang xử lý" in refused
    completed = theirs.post(f"/tasks/{item_id}", data=APPROVE, follow_redirects=True).get_data(as_text=True)
    assert "Công việc đang do Đỗ Thu Trang xử lý" in completed
    mine.post(f"/tasks/{item_id}/release")
    assert CLAIM in page(theirs, f"/tasks/{item_id}")
    history = page(mine, f"/nominations/{driver_nomination(db, item_id)}")
    assert "Nhận xử lý" in history and "Trả lại nhóm" in history


def driver_nomination(db: Database, item_id: int) -> int:
    with db.read() as s:
        return s.scalar(select(TaskItem.nomination_id).where(TaskItem.id == item_id))


def test_admin_reassigns_from_the_task_page(web: Flask, driver: Driver, db: Database):
    [item_id] = at_secretariat(driver, 1)
    other = add_user(db, "secretary2", "Lê Thị Hai")
    admin = session_client(web, db, "admin")
    html = page(admin, f"/tasks/{item_id}")
    choices = html.split('id="assign-user"')[1].split("</select>")[0]
    assert ">Giao lại</button>" in html and "Lê Thị Hai (secretary2)" in choices and "Quản trị hệ thống" not in choices
    admin.post(f"/tasks/{item_id}/assign", data={"user_id": str(other)})
    with db.read() as s:
        assert s.get(TaskItem, item_id).claimed_by_id == other
    refused = admin.post(f"/tasks/{item_id}/assign", data={"user_id": str(driver.uid("clerk1"))}, follow_redirects=True)
    assert "không có vai trò của công việc này" in refused.get_data(as_text=True)
    assert ">Giao lại</button>" not in page(session_client(web, db, "secretary"), f"/tasks/{item_id}")  # admins only
    assert ">Giao lại</button>" not in page(session_client(web, db, "auditor"), f"/tasks/{item_id}")


def test_every_claim_form_needs_its_csrf_token(db: Database, driver: Driver):
    [item_id] = at_secretariat(driver, 1)
    app = make_app(db, csrf=True)
    client = session_client(app, db, "secretary")
    for action in ("claim", "release", "assign"):
        assert client.post(f"/tasks/{item_id}/{action}").status_code == 400
    assert client.post("/tasks/bulk", data={"task_ids": [str(item_id)], "decision": "approve"}).status_code == 400
    with db.read() as s:
        assert s.get(TaskItem, item_id).claimed_by_id is None and s.get(TaskItem, item_id).state == "ready"


def test_bulk_form_in_the_inbox_and_its_report(web: Flask, driver: Driver, db: Database):
    items = at_secretariat(driver, 4)
    other = add_user(db, "secretary2", "Lê Thị Hai")
    client = session_client(web, db, "secretary")
    inbox = page(client, "/")
    assert 'id="bulk-form"' in inbox and "Chọn tất cả (4)" in inbox
    assert "Tiếp nhận hồ sơ" in inbox and "Trả lại đơn vị bổ sung" in inbox  # the step's own words
    assert inbox.count('form="bulk-form"') == 4 and 'value="reject"' not in inbox
    services.complete_task(db, other, items[1], APPROVE)
    response = client.post("/tasks/bulk", data={"task_ids": [str(i) for i in items], "decision": "return",
                                                "comment": "Bổ sung báo cáo thành tích"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r"Đã xong: <strong>3</strong> · Xung đột: <strong>1</strong>", html)
    assert html.count("bulk-done") == 3 and html.count("bulk-conflict") == 1
    assert "Người đề nghị số 2" in html and "Công việc đã được xử lý." in html
    with db.read() as s:
        states = [s.get(TaskItem, i).state for i in items]
    assert states == ["completed"] * 4


def test_bulk_return_without_a_comment_reports_each_row_as_an_error(web: Flask, driver: Driver, db: Database):
    items = at_secretariat(driver, 2)
    client = session_client(web, db, "secretary")
    html = client.post("/tasks/bulk", data={"task_ids": [str(i) for i in items], "decision": "return"}).get_data(as_text=True)
    assert html.count("bulk-error") == 2 and "Lỗi" in html
    nothing = client.post("/tasks/bulk", data={"decision": "approve"}, follow_redirects=True).get_data(as_text=True)
    assert "Chưa chọn công việc nào" in nothing
    wrong = client.post("/tasks/bulk", data={"task_ids": [str(items[0])], "decision": "reject"}, follow_redirects=True)
    assert "Cần chọn quyết định" in wrong.get_data(as_text=True)
    with db.read() as s:
        assert [s.get(TaskItem, i).state for i in items] == ["ready", "ready"]


def test_no_bulk_form_without_review_rows(web: Flask, driver: Driver, db: Database):
    driver.create()  # clerk1's draft: a dossier form, not a review
    assert 'id="bulk-form"' not in page(session_client(web, db, "clerk1"), "/")
    assert 'id="bulk-form"' not in page(session_client(web, db, "auditor"), "/")
