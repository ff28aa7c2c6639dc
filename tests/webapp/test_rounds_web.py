"""A council round in the browser: the secretariat forms and opens it, each member votes on the ballot page,
the chair closes it with the passphrase; results, minutes and the box are on the round page."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.support import COUNCIL, PASSPHRASE, RoundDriver
from workflows.persistence.model import CouncilRound, OfficerKey, RoundBallot, TaskItem

from .helpers import bearer, csrf_token_in, html_error, is_vietnamese, login_form, make_app, snapshot


def _browser(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    response = login_form(client, username)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def _form_round(app: Flask, rd: RoundDriver, nids: list[int]) -> int:
    secretary = _browser(app, "secretary")
    page = secretary.get("/rounds")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Lập đợt xét mới" in html and all(f'value="{n}"' in html for n in nids)
    created = secretary.post("/rounds", data={"title": "Đợt xét tháng 12/2026", "meeting_date": "2026-12-10",
                                              "voting_days": "5", "nomination_ids": [str(n) for n in nids]})
    assert created.status_code == 302, created.get_data(as_text=True)[:500]
    rid = int(re.search(r"/rounds/(\d+)$", created.headers["Location"]).group(1))
    draft = secretary.get(f"/rounds/{rid}").get_data(as_text=True)
    assert "Dự thảo" in draft and "Mở đợt xét" in draft
    assert "<dt>Ngày họp</dt><dd>10/12/2026</dd>" in draft and "2026-12-10" not in draft  # dd/mm/yyyy on the pages
    assert "<td>10/12/2026</td>" in secretary.get("/rounds").get_data(as_text=True)
    api = app.test_client().get(f"/api/v1/rounds/{rid}", headers=bearer(rd.db, "secretary")).get_json()
    assert api["meeting_date"] == "2026-12-10", api  # ISO in the API
    opened = secretary.post(f"/rounds/{rid}/open", follow_redirects=True)
    html = opened.get_data(as_text=True)
    assert opened.status_code == 200 and "Đang bỏ phiếu" in html and "0/9 đã bỏ phiếu" in html
    return rid


def _ballot_id(client: FlaskClient, rid: int) -> int:
    inbox = client.get("/").get_data(as_text=True)
    assert "Phiếu bầu: Đợt xét tháng 12/2026" in inbox
    return int(re.search(r'href="/tasks/(\d+)">Phiếu bầu: ', inbox).group(1))


def test_a_round_through_the_pages(web: Flask, rd: RoundDriver):
    db = rd.db
    first, second = rd.waiting(), rd.waiting(nominee_name="Đặng Thị Ngọc Hằng")
    assert "Đợt xét" in _browser(web, "secretary").get("/").get_data(as_text=True)  # the navigation link
    rid = _form_round(web, rd, [first, second])
    assert "Mở đợt xét" not in _browser(web, "secretary").get("/").get_data(as_text=True)

    receipts = []
    for i, member in enumerate(COUNCIL, 1):
        browser = _browser(web, member)
        item = _ballot_id(browser, rid)
        page = browser.get(f"/tasks/{item}").get_data(as_text=True)
        assert "Đặng Thị Ngọc Hằng" in page and "Đồng ý" in page and "Không đồng ý" in page
        assert "checked" not in page  # no choice preselected
        if i == 1:  # a blank row comes back with its name, nothing stored
            before = snapshot(db)
            blank = browser.post(f"/tasks/{item}", data={f"votes.{first}": "agree"})
            html = blank.get_data(as_text=True)
            assert blank.status_code == 422
            assert "Chưa chọn đồng ý hoặc không đồng ý" in html and "Còn thiếu: 2. Đặng Thị Ngọc Hằng" in html
            assert re.search(rf'name="votes.{first}" value="agree"\s+checked', html)  # the chosen row is kept
            assert snapshot(db) == before
            with db.read() as s:
                assert s.scalar(select(RoundBallot.id).where(RoundBallot.round_id == rid)) is None
        done = browser.post(f"/tasks/{item}", data={f"votes.{first}": "agree",
                                                    f"votes.{second}": "agree" if i <= 4 else "disagree"})
        html = done.get_data(as_text=True)
        assert done.status_code == 200, html[:500]
        receipt = re.search(r"Mã biên nhận phiếu bầu: <code>([0-9a-f]+)</code>, hãy lưu lại để đối chiếu", html).group(1)
        receipts.append(receipt)
        again = browser.post(f"/tasks/{item}", data={f"votes.{first}": "agree", f"votes.{second}": "agree"})
        assert again.status_code == 302  # already sent: back to the round with a warning
        assert "Phiếu bầu: Đợt xét" not in browser.get("/").get_data(as_text=True)

    secretary = _browser(web, "secretary").get(f"/rounds/{rid}").get_data(as_text=True)
    assert "9/9 đã bỏ phiếu" in secretary and secretary.count("<td>Đã bỏ phiếu</td>") == 9
    assert "Mật khẩu kiểm phiếu" not in secretary  # the close form is the chair's

    chair = _browser(web, "minister")
    page = chair.get(f"/rounds/{rid}").get_data(as_text=True)
    assert 'name="passphrase" type="password"' in page
    assert "Kết thúc bỏ phiếu, giải mã tổng số phiếu và chuyển hồ sơ theo kết quả. Không thể hoàn tác." in page
    before = snapshot(db)
    wrong = chair.post(f"/rounds/{rid}/close", data={"passphrase": "sai mật khẩu rồi"})
    assert wrong.status_code == 422 and "Mật khẩu kiểm phiếu không đúng." in wrong.get_data(as_text=True)
    assert snapshot(db) == before
    with db.read() as s:
        assert s.get(CouncilRound, rid).state == "open"

    closed = chair.post(f"/rounds/{rid}/close", data={"passphrase": PASSPHRASE}, follow_redirects=True)
    html = closed.get_data(as_text=True)
    assert closed.status_code == 200 and "Đã kết thúc" in html
    assert "100,0 %" in html and "44,4 %" in html and "Đạt" in html and "Không đạt" in html
    assert f"/rounds/{rid}/minutes.pdf" in html
    assert all(r in html for r in receipts)  # each member finds their receipt in the box
    assert rd.ready_steps(first) == ["appraisal"] and rd.nomination(second).state == "rejected"

    pdf = chair.get(f"/rounds/{rid}/minutes.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    checked = _browser(web, "auditor").get(f"/rounds/{rid}/verify").get_data(as_text=True)
    assert "Đã kiểm tra: khớp" in checked

    member = _browser(web, "council1").get(f"/rounds/{rid}")
    assert member.status_code == 200 and "Ủy viên được triệu tập" not in member.get_data(as_text=True)
    assert "<td>Đã bỏ phiếu</td>" not in member.get_data(as_text=True)  # who voted is for those who run the council

    clerk = _browser(web, "clerk1")
    html_error(clerk.get(f"/rounds/{rid}"), 404)
    html_error(clerk.get("/rounds"), 404)
    html_error(clerk.get(f"/rounds/{rid}/minutes.pdf"), 404)
    assert "Đợt xét" not in clerk.get("/").get_data(as_text=True)


def test_a_tampered_box_is_reported(web: Flask, rd: RoundDriver):
    nid = rd.waiting()
    rid = rd.open([nid])
    for member in COUNCIL[:6]:
        rd.ballot(rid, member, {nid: "agree"})
    rd.close(rid)
    with rd.db.write() as s:
        s.execute(RoundBallot.__table__.delete().where(RoundBallot.round_id == rid, RoundBallot.seq == 3))
    html = _browser(web, "secretary").get(f"/rounds/{rid}/verify").get_data(as_text=True)
    assert "Kiểm tra hòm phiếu: có vấn đề" in html and "Đã kiểm tra: khớp" not in html


def test_forming_a_round_with_mistakes_stays_on_the_page(web: Flask, rd: RoundDriver):
    nid = rd.waiting()
    secretary = _browser(web, "secretary")
    before = snapshot(rd.db)
    bad = secretary.post("/rounds", data={"title": "", "meeting_date": "", "voting_days": "40"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Thông tin đợt xét chưa hợp lệ." in html and "Từ 1 đến 30 ngày làm việc." in html
    assert snapshot(rd.db) == before
    with rd.db.read() as s:
        assert s.scalar(select(CouncilRound.id)) is None
    assert f'value="{nid}"' in html
    with rd.db.read() as s:
        waiting = s.scalar(select(TaskItem.id).where(TaskItem.nomination_id == nid, TaskItem.state == "ready"))
    task = secretary.get(f"/tasks/{waiting}").get_data(as_text=True)  # the round step: formed on /rounds, no form here
    assert "Lập hoặc xem đợt xét của Hội đồng" in task and "task-form" not in task
    assert _browser(web, "council1").post("/rounds", data={"title": "x"}).status_code == 403
    assert _browser(web, "council1").get("/rounds").status_code == 200  # members read the rounds


def test_the_close_form_carries_a_csrf_token(db, rd: RoundDriver):
    app = make_app(db, csrf=True)
    nid = rd.waiting()
    rid = rd.open([nid])
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    assert login_form(client, "minister", csrf_token=csrf_token_in(login_page)).status_code == 302
    page = client.get(f"/rounds/{rid}").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/rounds/\d+/close".*?</form>', page, re.S).group(0)
    token = csrf_token_in(form)
    assert client.post(f"/rounds/{rid}/close", data={"passphrase": PASSPHRASE}).status_code == 400  # no token: refused
    with db.read() as s:
        assert s.get(CouncilRound, rid).state == "open"
    closed = client.post(f"/rounds/{rid}/close", data={"passphrase": PASSPHRASE, "csrf_token": token})
    assert closed.status_code == 302
    with db.read() as s:
        assert s.get(CouncilRound, rid).state == "closed"
    assert not app.config["SERVED_5XX"]


def test_the_chair_sets_the_ballot_passphrase(web: Flask, rd: RoundDriver):
    with rd.db.write() as s:
        s.execute(OfficerKey.__table__.delete())
    chair = _browser(web, "minister")
    rounds_page = chair.get("/rounds").get_data(as_text=True)
    assert "/me/ballot-passphrase" in rounds_page
    short = chair.post("/me/ballot-passphrase", data={"passphrase": "ngắn", "passphrase2": "ngắn"})
    assert short.status_code == 422 and "ít nhất 12 ký tự" in short.get_data(as_text=True)
    mismatch = chair.post("/me/ballot-passphrase", data={"passphrase": "một câu đủ dài để nhớ", "passphrase2": "một câu khác"})
    assert mismatch.status_code == 422 and "không khớp" in mismatch.get_data(as_text=True)
    with rd.db.read() as s:
        assert s.scalar(select(OfficerKey.user_id)) is None
    done = chair.post("/me/ballot-passphrase", data={"passphrase": "một câu đủ dài để nhớ",
                                                     "passphrase2": "một câu đủ dài để nhớ"})
    assert done.status_code == 302
    assert "/me/ballot-passphrase" not in chair.get("/rounds").get_data(as_text=True)
    html_error(_browser(web, "secretary").get("/me/ballot-passphrase"), 403)


def test_someone_elses_ballot_is_not_found(web: Flask, rd: RoundDriver):
    nid = rd.waiting()
    rid = rd.open([nid])
    item = rd.ballot_item(rid, "council1")
    other = _browser(web, "council2")
    text = html_error(other.get(f"/tasks/{item}"), 404)
    assert is_vietnamese(text)
    assert other.post(f"/tasks/{item}", data={f"votes.{nid}": "agree"}).status_code == 404
    with rd.db.read() as s:
        assert s.get(TaskItem, item).state == "ready"
