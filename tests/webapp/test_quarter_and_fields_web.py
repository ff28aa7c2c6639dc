"""The secretariat's quarter page and its CSV; the dossier form offers the admins' fields."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from workflows.domain import clock
from workflows.domain.clock import VN_TZ
from workflows.persistence.model import QuarterlyReport, User
from workflows.persistence.reference_model import Field
from workflows.services import reference, reports

from .helpers import session_client, user_id

DOSSIER = {"nominee_name": "Trịnh Văn Bảo", "nominee_kind": "individual", "award_form": "bang_khen_bo_truong",
           "year": "2026", "achievements": "Hoàn thành xuất sắc nhiệm vụ."}


def submitted_by_clerk1(db) -> None:
    with db.read() as s:
        unit = s.scalar(select(User.unit_id).where(User.username == "clerk1"))
        rid = s.scalar(select(QuarterlyReport.id).where(QuarterlyReport.unit_id == unit))
    reports.submit(db, user_id(db, "clerk1"), rid, {"summary": "Đã hoàn thành báo cáo quý IV năm 2026."})


def test_the_quarter_page_and_its_csv(web, db):
    with clock.frozen(datetime(2026, 12, 10, 9, 0, tzinfo=VN_TZ)) as advance:
        reports.create_for_quarter(db)
        submitted_by_clerk1(db)
        advance(datetime(2026, 12, 20, 9, 0, tzinfo=VN_TZ) - clock.now())
        secretary = session_client(web, db, "secretary")
        page = secretary.get("/reports/quarter")  # the current quarter by default
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "quý 4/2026" in html and "15/12/2026" in html
        assert "Nộp đúng hạn: <strong>1</strong>" in html and "Chưa nộp (quá hạn): <strong>2</strong>" in html
        assert "10/12/2026" in html
        csv = secretary.get("/reports/quarter.csv?year=2026&quarter=4")
        assert csv.status_code == 200 and csv.mimetype == "text/csv"
        assert 'filename="bao-cao-quy-4-2026.csv"' in csv.headers["Content-Disposition"]
        body = csv.get_data()
        assert body.startswith(b"\xef\xbb\xbf") and "Tình trạng".encode() in body and b"10/12/2026" in body
        earlier = secretary.get("/reports/quarter?year=2026&quarter=3").get_data(as_text=True)
        assert "Chưa nộp (quá hạn): <strong>3</strong>" in earlier  # no report was opened then: all missing
        assert secretary.get("/reports/quarter?year=abc&quarter=9").status_code == 200  # nonsense: the current quarter


def test_who_reads_the_quarter_page(web, db):
    for who in ("admin", "auditor", "secretary"):
        assert session_client(web, db, who).get("/reports/quarter").status_code == 200, who
    for who in ("clerk1", "head1", "council1"):
        browser = session_client(web, db, who)
        assert browser.get("/reports/quarter").status_code == 403, who
        assert browser.get("/reports/quarter.csv").status_code == 403, who
        assert "Báo cáo quý" not in browser.get("/").get_data(as_text=True)


def test_the_new_dossier_offers_active_fields_and_refuses_an_inactive_one(web, db):
    admin = user_id(db, "admin")
    reference.create_field(db, admin, "Khoa học và công nghệ")
    with db.read() as s:
        fid = s.scalar(select(Field.id).where(Field.name == "Xuất bản"))
    reference.update_field(db, admin, fid, 1, name="Xuất bản", sort_order=7, active=False)
    clerk = session_client(web, db, "clerk1")
    form = clerk.get("/nominations/new").get_data(as_text=True)
    assert '<option value="Khoa học và công nghệ"' in form and '<option value="Xuất bản"' not in form
    refused = clerk.post("/nominations/new", data=DOSSIER | {"field": "Xuất bản"})
    assert refused.status_code == 422 and "Giá trị không nằm trong danh sách cho phép." in refused.get_data(as_text=True)
    made = clerk.post("/nominations/new", data=DOSSIER | {"field": "Khoa học và công nghệ"})
    assert made.status_code == 302
