"""Batch decisions in the browser: the secretariat drafts and sends, the minister signs (or returns) on the decision's
page, the clerical office registers the number and date; errors come back in Vietnamese on the same page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient

from tests.support import DECISION_STEP, NAMES_OF_ROUND, RoundDriver
from tests.workflows.test_batch_decisions import above_ministry
from tests.workflows.test_documents import flowing
from workflows.domain import clock
from workflows.persistence.decision_model import Decision
from workflows.services import decisions

from .helpers import csrf_token_in, html_error, is_vietnamese, login_form, make_app, snapshot


def _browser(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = csrf_token_in(page) if 'name="csrf_token"' in page else None
    response = login_form(client, username, csrf_token=token)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def _form(html: str, action: str) -> str:
    return re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', html, re.S).group(0)


def _state(rd: RoundDriver, did: int) -> str:
    with rd.db.read() as s:
        return s.get(Decision, did).state


def test_a_decision_through_the_pages(web: Flask, rd: RoundDriver):
    nids, _ = rd.passed(NAMES_OF_ROUND)
    secretary = _browser(web, "secretary")
    assert "Quyết định" in secretary.get("/").get_data(as_text=True)  # the navigation link
    waiting_task = rd.item_for(nids[0], "secretary")  # the dossier's own wait points to the decisions
    task_page = secretary.get(f"/tasks/{waiting_task}").get_data(as_text=True)
    assert "/decisions" in task_page and "Lập dự thảo quyết định / tờ trình" in task_page

    listing = secretary.get("/decisions").get_data(as_text=True)
    assert "Quyết định: Bằng khen của Bộ trưởng" in listing and all(n in listing for n in NAMES_OF_ROUND)
    assert "Lập dự thảo quyết định" in listing
    created = secretary.post("/decisions", data={"nomination_ids": [str(n) for n in nids], "title": "",
                                                 "reason": "đã có thành tích xuất sắc năm 2026"})
    assert created.status_code == 302, created.get_data(as_text=True)[:500]
    did = int(re.search(r"/decisions/(\d+)$", created.headers["Location"]).group(1))
    page = secretary.get(f"/decisions/{did}").get_data(as_text=True)
    assert "Dự thảo" in page and "Về việc tặng Bằng khen của Bộ trưởng" in page and "Trình ký" in page
    assert all(n in page for n in NAMES_OF_ROUND) and f"/decisions/{did}.pdf" in page
    draft_pdf = secretary.get(f"/decisions/{did}.pdf")
    assert draft_pdf.status_code == 200 and "DỰ THẢO" in flowing(draft_pdf.data)
    assert "Không có hồ sơ nào đang chờ" in secretary.get("/decisions").get_data(as_text=True)
    sent = secretary.post(f"/decisions/{did}/send", follow_redirects=True).get_data(as_text=True)
    assert "Đã trình Lãnh đạo Bộ ký." in sent and "Chờ Lãnh đạo Bộ ký" in sent

    minister = _browser(web, "minister")
    inbox = minister.get("/").get_data(as_text=True)
    assert f'href="/decisions/{did}"' in inbox and "Ký quyết định: Về việc tặng Bằng khen của Bộ trưởng" in inbox
    page = minister.get(f"/decisions/{did}").get_data(as_text=True)
    sign_form = _form(page, f"/decisions/{did}/sign")
    assert "Ký quyết định" in sign_form and "Văn phòng đăng ký số và ngày ban hành" in sign_form  # what happens next
    assert "data-confirm" in sign_form and "3 hồ sơ" in sign_form
    before = snapshot(rd.db)
    refused = minister.post(f"/decisions/{did}/sign", data={"decision": "return", "comment": "  "})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Trường này là bắt buộc." in html and "Lý do trả lại" in html
    assert snapshot(rd.db) == before and _state(rd, did) == "sent"
    signed = minister.post(f"/decisions/{did}/sign", data={"decision": "approve"}, follow_redirects=True)
    assert "Đã ký." in signed.get_data(as_text=True) and _state(rd, did) == "signed"
    again = minister.post(f"/decisions/{did}/sign", data={"decision": "approve"})
    assert again.status_code == 302  # already signed: a warning on a fresh page, never an error page

    page = secretary.get(f"/decisions/{did}").get_data(as_text=True)
    register_form = _form(page, f"/decisions/{did}/register")
    assert 'value="01/QĐ-BKHCN"' in register_form  # the proposal
    wrong = secretary.post(f"/decisions/{did}/register", data={"number": "01/QD-BKHCN", "date": ""})
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "Ký hiệu phải là QĐ-BKHCN" in html and 'value="01/QD-BKHCN"' in html
    assert _state(rd, did) == "signed"
    done = secretary.post(f"/decisions/{did}/register", data={"number": "01/QĐ-BKHCN", "date": ""}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "Đã đăng ký số, ngày ban hành. Số 01/QĐ-BKHCN" in html and "Đã ban hành" in html
    assert all(rd.nomination(n).state == "awarded" for n in nids)
    dossier = secretary.get(f"/nominations/{nids[0]}").get_data(as_text=True)
    assert "01/QĐ-BKHCN" in dossier and f'/decisions/{did}"' in dossier

    clerk = _browser(web, "clerk1")
    assert clerk.get(f"/decisions/{did}.pdf").status_code == 200  # issued: the proposing unit downloads it
    clerk_page = clerk.get(f"/decisions/{did}").get_data(as_text=True)
    assert "Không có thao tác nào của bạn" in clerk_page and "Lịch sử văn bản" not in clerk_page
    assert is_vietnamese(html_error(_browser(web, "clerk2").get(f"/decisions/{did}"), 404))
    auditor = _browser(web, "auditor")
    assert "Lịch sử văn bản" in auditor.get(f"/decisions/{did}").get_data(as_text=True)
    html_error(auditor.post(f"/decisions/{did}/register", data={"number": "2"}), 403)


def test_the_minister_returns_on_the_page_and_the_dossiers_go_back(web: Flask, rd: RoundDriver):
    nids, _ = rd.passed(NAMES_OF_ROUND[:2])
    did = decisions.draft(rd.db, rd.uid("secretary"), nids)
    decisions.send(rd.db, rd.uid("secretary"), did)
    minister = _browser(web, "minister")
    page = minister.get(f"/decisions/{did}").get_data(as_text=True)
    return_form = re.search(r'<form method="post" action="[^"]+/sign" class="return-form".*?</form>', page, re.S).group(0)
    assert "cả 2 hồ sơ quay về bước thẩm định" in return_form and "Trả lại" in return_form
    back = minister.post(f"/decisions/{did}/sign", data={"decision": "return", "comment": "Làm rõ thành tích năm 2025"},
                         follow_redirects=True)
    assert "Đã trả lại; các hồ sơ quay về bước thẩm định." in back.get_data(as_text=True)
    assert "Làm rõ thành tích năm 2025" in back.get_data(as_text=True) and _state(rd, did) == "returned"
    assert all(rd.ready_steps(n) == ["appraisal"] for n in nids)
    assert DECISION_STEP not in rd.ready_steps(nids[0])


def test_a_submission_page_says_ky_to_trinh(web: Flask, rd: RoundDriver):
    with clock.frozen(datetime(2026, 11, 30, 9, 0, tzinfo=clock.VN_TZ)) as advance:
        nids = above_ministry(rd, NAMES_OF_ROUND[:1], advance)
        did = decisions.draft(rd.db, rd.uid("secretary"), nids)
        decisions.send(rd.db, rd.uid("secretary"), did)
        advance(timedelta(hours=1))
        minister = _browser(web, "minister")
        sign_form = _form(minister.get(f"/decisions/{did}").get_data(as_text=True), f"/decisions/{did}/sign")
        assert "Ký tờ trình" in sign_form and "trình cấp trên ngay" in sign_form
        minister.post(f"/decisions/{did}/sign", data={"decision": "approve"})
        assert rd.nomination(nids[0]).state == "submitted"
        text = flowing(minister.get(f"/decisions/{did}.pdf").data)
        assert "TỜ TRÌNH" in text and "Kính gửi: Thủ tướng Chính phủ" in text and NAMES_OF_ROUND[0] in text


def test_decision_forms_carry_a_csrf_token(db, rd: RoundDriver):
    app = make_app(db, csrf=True)
    nids, _ = rd.passed(NAMES_OF_ROUND[:1])
    secretary = _browser(app, "secretary")
    listing = secretary.get("/decisions").get_data(as_text=True)
    token = csrf_token_in(re.search(r'<form method="post" class="decision-form">.*?</form>', listing, re.S).group(0))
    assert secretary.post("/decisions", data={"nomination_ids": [str(nids[0])]}).status_code == 400  # no token
    created = secretary.post("/decisions", data={"nomination_ids": [str(nids[0])], "csrf_token": token})
    assert created.status_code == 302
    did = int(created.headers["Location"].rsplit("/", 1)[1])
    page = secretary.get(f"/decisions/{did}").get_data(as_text=True)
    for action in ("send", "cancel"):
        assert 'name="csrf_token"' in _form(page, f"/decisions/{did}/{action}")
    assert secretary.post(f"/decisions/{did}/send").status_code == 400 and _state(rd, did) == "draft"
    assert secretary.post(f"/decisions/{did}/send", data={"csrf_token": csrf_token_in(page)}).status_code == 302
    assert _state(rd, did) == "sent"
    assert not app.config["SERVED_5XX"]
