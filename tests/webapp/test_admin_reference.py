"""The admin pages of reference data and accounts: admins change, auditors read, others are refused; no 5xx."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from workflows.persistence.model import Unit, User
from workflows.persistence.reference_model import Field

from .helpers import csrf_token_in, make_app, session_client, user_id

PAGES = ["/admin/users", "/admin/users/new", "/admin/units", "/admin/clusters", "/admin/fields"]


def unit_id(db, code: str) -> int:
    with db.read() as s:
        return s.scalar(select(Unit.id).where(Unit.code == code))


def field_row(db, name: str) -> Field:
    with db.read() as s:
        return s.scalar(select(Field).where(Field.name == name))


def account(db, username: str) -> User:
    with db.read() as s:
        return s.scalar(select(User).where(User.username == username))


def test_admin_reads_every_page_and_the_nav_links_them(web, db):
    admin = session_client(web, db, "admin")
    for path in [*PAGES, f"/admin/users/{user_id(db, 'clerk1')}", "/admin/users?q=clerk&role=unit_clerk&active=1"]:
        page = admin.get(path)
        assert page.status_code == 200, path
    html = admin.get("/admin/fields").get_data(as_text=True)
    assert "Danh mục" in html and "Báo cáo quý" in html and "Ứng dụng CNTT / Chuyển đổi số" in html
    assert "Bạn chỉ có quyền xem" not in html


def test_auditor_reads_without_forms_and_cannot_post(web, db):
    auditor = session_client(web, db, "auditor")
    for path in PAGES[:1] + PAGES[2:]:
        page = auditor.get(path)
        assert page.status_code == 200, path
        assert 'method="post"' not in page.get_data(as_text=True).split('<main id="main"')[1]
        assert "Bạn chỉ có quyền xem danh mục này." in page.get_data(as_text=True)
    posts = [("/admin/fields", {"name": "Năng lượng"}), (f"/admin/users/{user_id(db, 'clerk1')}/password", {"version": "1"}),
             ("/admin/units", {"code": "X", "name": "X"}), ("/admin/users/new", {"username": "x"})]
    for path, data in posts:
        assert auditor.post(path, data=data).status_code == 403, path
    assert field_row(db, "Năng lượng") is None


@pytest.mark.parametrize("who", ["clerk1", "secretary"])
def test_others_are_refused(web, db, who):
    browser = session_client(web, db, who)
    for path in PAGES:
        assert browser.get(path).status_code == 403, path
    assert "Danh mục" not in browser.get("/").get_data(as_text=True)


def test_field_add_edit_and_refusals_on_the_same_page(web, db):
    admin = session_client(web, db, "admin")
    done = admin.post("/admin/fields", data={"name": "Khoa học và công nghệ"}, follow_redirects=True)
    assert done.status_code == 200 and "Đã thêm lĩnh vực" in done.get_data(as_text=True)
    again = admin.post("/admin/fields", data={"name": "Khoa học và công nghệ"})
    assert again.status_code == 422 and "Đã có lĩnh vực" in again.get_data(as_text=True)
    row = field_row(db, "Xuất bản")
    saved = admin.post(f"/admin/fields/{row.id}", data={"version": str(row.version), "name": "Xuất bản", "sort_order": "2"})
    assert saved.status_code == 302 and field_row(db, "Xuất bản").active is False  # the unticked box deactivates
    stale = admin.post(f"/admin/fields/{row.id}", data={"version": "1", "name": "Xuất bản", "sort_order": "2", "active": "1"})
    assert stale.status_code == 409 and "tải lại trang" in stale.get_data(as_text=True)
    bad = admin.post(f"/admin/fields/{row.id}", data={"version": "2", "name": "Xuất bản", "sort_order": "nhiều"})
    assert bad.status_code == 422 and "Thứ tự" in bad.get_data(as_text=True)


def test_units_clusters_and_blocks_through_the_pages(web, db):
    admin = session_client(web, db, "admin")
    assert admin.post("/admin/blocks", data={"code": "K1", "name": "Khối quản lý nhà nước"}).status_code == 302
    page = admin.get("/admin/clusters").get_data(as_text=True)
    block = re.search(r'<option value="(\d+)">Khối quản lý nhà nước</option>', page).group(1)
    assert admin.post("/admin/clusters", data={"code": "C1", "name": "Cụm các cục", "block_id": block}).status_code == 302
    page = admin.get("/admin/units").get_data(as_text=True)
    cluster = re.search(r'<option value="(\d+)" >Cụm các cục</option>', page).group(1)
    vt = unit_id(db, "CUC_VT")
    moved = admin.post(f"/admin/units/{vt}",
                       data={"version": "1", "name": "Cục Viễn thông", "cluster_id": cluster, "active": "1"})
    assert moved.status_code == 302
    leader = admin.post(f"/admin/clusters/{cluster}/leader", data={"version": "1", "year": "2026", "unit_id": str(vt)})
    assert leader.status_code == 302
    listed = admin.get("/admin/clusters?year=2026").get_data(as_text=True)
    assert f'<option value="{vt}" selected>Cục Viễn thông</option>' in listed
    created = admin.post("/admin/units", data={"code": "vien_cl", "name": "Viện Chiến lược", "cluster_id": cluster})
    assert created.status_code == 302 and unit_id(db, "VIEN_CL")
    dup = admin.post("/admin/units", data={"code": "CUC_VT", "name": "Trùng"})
    assert dup.status_code == 422 and "Đã có đơn vị mã CUC_VT" in dup.get_data(as_text=True)
    assert admin.post("/admin/units/999999", data={"version": "1", "name": "X", "active": "1"}).status_code == 404


def test_create_user_shows_the_temporary_password_once_and_it_logs_in(web, db):
    admin = session_client(web, db, "admin")
    form = {"username": "clerk3", "full_name": "Ngô Thị Mai", "email": "mai@example.vn", "unit_id": str(unit_id(db, "CUC_VT")),
            "roles": ["unit_clerk"]}
    made = admin.post("/admin/users/new", data=form)
    assert made.status_code == 201
    password = re.search(r"Mật khẩu tạm thời: <code>([^<]+)</code>", made.get_data(as_text=True)).group(1)
    browser = web.test_client()
    assert browser.post("/login", data={"username": "clerk3", "password": password}).status_code == 302
    assert browser.get("/").headers["Location"] == "/account/password"  # their own password first
    again = admin.post("/admin/users/new", data=form | {"full_name": "Người khác"})
    html = again.get_data(as_text=True)
    assert again.status_code == 422 and "Tên đăng nhập này đã có." in html and 'value="Người khác"' in html


def test_a_deactivated_users_open_session_ends(web, db):
    admin, clerk = session_client(web, db, "admin"), session_client(web, db, "clerk2")
    assert clerk.get("/").status_code == 200
    uid = user_id(db, "clerk2")
    done = admin.post(f"/admin/users/{uid}", data={"version": "1", "full_name": "Lê Thị Hoa", "email": "",
                                                   "unit_id": str(unit_id(db, "CUC_VT"))})
    assert done.status_code == 302 and account(db, "clerk2").active is False
    assert clerk.get("/").status_code == 302  # back to the login page


def test_role_change_ends_the_users_session_and_the_self_lockout_guard(web, db):
    admin, clerk = session_client(web, db, "admin"), session_client(web, db, "clerk1")
    uid = user_id(db, "clerk1")
    assert admin.post(f"/admin/users/{uid}/roles", data={"version": "1", "roles": ["unit_clerk", "unit_head"]}).status_code == 302
    assert clerk.get("/").status_code == 302
    me = user_id(db, "admin")
    refused = admin.post(f"/admin/users/{me}/roles", data={"version": "1", "roles": ["auditor"]})
    assert refused.status_code == 422 and "tự bỏ vai trò quản trị" in refused.get_data(as_text=True)
    refused = admin.post(f"/admin/users/{me}",
                         data={"version": "1", "full_name": "Quản trị", "unit_id": str(unit_id(db, "VU_TCCB"))})
    assert refused.status_code == 422 and "tự ngừng kích hoạt" in refused.get_data(as_text=True)
    assert account(db, "admin").active and account(db, "admin").roles == {"admin"}
    # Changing one's own roles keeps one's own browser logged in, as the account now is.
    assert admin.post(f"/admin/users/{me}/roles", data={"version": "1", "roles": ["admin", "auditor"]}).status_code == 302
    assert admin.get("/admin/users").status_code == 200


def test_reset_password_page_shows_the_new_password_and_ends_sessions(web, db):
    admin, clerk = session_client(web, db, "admin"), session_client(web, db, "clerk1")
    uid = user_id(db, "clerk1")
    reset = admin.post(f"/admin/users/{uid}/password", data={"version": "1"})
    assert reset.status_code == 200 and "Mật khẩu tạm thời" in reset.get_data(as_text=True)
    assert clerk.get("/").status_code == 302
    stale = admin.post(f"/admin/users/{uid}/password", data={"version": "1"})
    assert stale.status_code == 409


def test_posts_need_the_csrf_token(db):
    app = make_app(db, csrf=True)
    admin = session_client(app, db, "admin")
    assert admin.post("/admin/fields", data={"name": "Không token"}).status_code == 400
    token = csrf_token_in(admin.get("/admin/fields").get_data(as_text=True))
    assert admin.post("/admin/fields", data={"name": "Có token", "csrf_token": token}).status_code == 302
    assert not app.config["SERVED_5XX"]


def test_the_demo_clusters_show_on_the_pages(web, db):
    from workflows.services.demo import _demo_clusters

    _demo_clusters(db)
    html = session_client(web, db, "auditor").get("/admin/clusters?year=2026").get_data(as_text=True)
    assert "Cụm các Cục chuyên ngành" in html and "Khối các cơ quan quản lý nhà nước" in html
    assert "Cục Bưu điện Trung ương, Cục Viễn thông" in html
    units = session_client(web, db, "admin").get("/admin/units").get_data(as_text=True)
    assert "Cụm các đơn vị sự nghiệp" in units
