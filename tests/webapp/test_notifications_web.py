"""The notifications pages: the unread count in the nav, open one (marked read), mark all read, the settings page."""

from __future__ import annotations

from sqlalchemy import select

from workflows.persistence.model import AuditEvent, Notification, User

from ..support import APPROVE, Driver, returned
from .helpers import make_app, session_client


def unread(db, username: str) -> int:
    with db.read() as s:
        return len(s.scalars(select(Notification.id).join(User, User.id == Notification.user_id)
                             .where(User.username == username, Notification.read_at.is_(None))).all())


def test_the_nav_counts_unread_and_the_page_lists_newest_first_with_links(web, db):
    driver = Driver(db)
    first = driver.create()
    driver.submit(first)
    second = driver.create(nominee_name="Trịnh Văn Bảo")
    driver.submit(second)
    client = session_client(web, db, "secretary")
    page = client.get("/notifications/").get_data(as_text=True)
    assert '<span class="badge overdue">2</span>' in page
    assert page.index("Trịnh Văn Bảo") < page.index("Nguyễn Văn An")  # newest first
    assert "Đánh dấu tất cả đã đọc" in page and "Cài đặt thông báo" in page
    with db.read() as s:
        newest = s.scalar(select(Notification).join(User, User.id == Notification.user_id)
                          .where(User.username == "secretary").order_by(Notification.id.desc()).limit(1))
    response = client.post(f"/notifications/{newest.id}/open")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/nominations/{second}")
    assert unread(db, "secretary") == 1
    assert '<span class="badge overdue">1</span>' in client.get("/notifications/").get_data(as_text=True)


def test_another_users_notification_is_not_found(web, db):
    driver = Driver(db)
    nid = driver.create()
    driver.submit(nid)
    with db.read() as s:
        theirs = s.scalar(select(Notification.id))
    response = session_client(web, db, "clerk2").post(f"/notifications/{theirs}/open")
    assert response.status_code == 404
    assert "Không tìm thấy thông báo" in response.get_data(as_text=True)
    assert unread(db, "secretary") == 1


def test_mark_all_read_clears_the_count_and_is_audited(web, db):
    driver = Driver(db)
    nid = driver.create()
    driver.submit(nid)
    driver.act(nid, "secretary", returned("Bổ sung bản sao bằng khen"))
    client = session_client(web, db, "clerk1")
    assert unread(db, "clerk1") == 1
    response = client.post("/notifications/read", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Đã đánh dấu 1 thông báo là đã đọc." in page and "badge overdue" not in page
    assert unread(db, "clerk1") == 0
    with db.read() as s:
        assert s.scalar(select(AuditEvent.action).where(AuditEvent.subject_type == "notifications")) == "notifications_read"


def test_the_settings_page_saves_the_choice_audited_and_refuses_an_unknown_one(web, db):
    client = session_client(web, db, "head1")
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "<legend>Nhận thông báo qua e-mail</legend>" in page
    assert 'value="event" checked' in page
    response = client.post("/notifications/settings", data={"notify_mode": "digest"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Đã lưu cách nhận thông báo." in page and 'value="digest" checked' in page
    with db.read() as s:
        assert s.scalar(select(User.notify_mode).where(User.username == "head1")) == "digest"
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "notify_mode_changed"))
    assert event.changes == {"notify_mode": ["event", "digest"]} and event.actor == "head1"
    bad = client.post("/notifications/settings", data={"notify_mode": "sms"})
    assert bad.status_code == 422
    assert "Cách nhận thông báo không hợp lệ." in bad.get_data(as_text=True)
    with db.read() as s:
        assert s.scalar(select(User.notify_mode).where(User.username == "head1")) == "digest"


def test_the_forms_need_their_csrf_token(db):
    app = make_app(db, csrf=True)
    client = session_client(app, db, "head1")
    assert client.post("/notifications/settings", data={"notify_mode": "none"}).status_code == 400
    assert client.post("/notifications/read").status_code == 400
    with db.read() as s:
        assert s.scalar(select(User.notify_mode).where(User.username == "head1")) == "event"


def test_the_nomination_page_shows_the_stepper_as_an_ordered_list(web, db):
    driver = Driver(db)
    nid = driver.create()
    driver.submit(nid)
    driver.act(nid, "secretary", APPROVE)
    page = session_client(web, db, "clerk1").get(f"/nominations/{nid}").get_data(as_text=True)
    assert '<ol class="steps">' in page and page.count('aria-current="step"') == 1
    current = page[page.index('aria-current="step"'):]
    assert current.index("Chờ Hội đồng xét theo đợt") < current.index("</li>")
    assert "Trần Văn Hùng" in page  # who approved at the unit
    assert "Tiến trình hồ sơ" in page
