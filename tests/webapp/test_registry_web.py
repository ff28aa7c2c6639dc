"""The registry in the browser: a new dossier naming a person, "Kiểm tra điều kiện", a hold refused on the same
page, the check on the secretariat's task page, search without diacritics, a person's page, imports and roles."""

from __future__ import annotations

import io
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from workflows.persistence.model import Nomination
from workflows.persistence.registry_model import Person

from ..registry_support import History
from ..support import APPROVE, DOSSIER, Driver
from .helpers import session_client

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "registry"


def _dossier_form(**extra) -> dict:
    return {k: str(v) for k, v in DOSSIER.items()} | extra


def test_a_clerk_checks_then_creates_a_dossier_for_a_registry_person(web: Flask, db):
    h = History(db)
    person = h.person("Trịnh Văn Bảo")
    h.award(person, "chien_si_thi_dua_co_so", 2024, 2025)
    clerk = session_client(web, db, "clerk1")
    page = clerk.get("/nominations/new").get_data(as_text=True)
    assert f'<option value="p:{person}"' in page and "Trịnh Văn Bảo (17/05/1980)" in page
    checked = clerk.post("/nominations/new", data=_dossier_form(registry_subject=f"p:{person}", nominee_name="",
                                                                action="check"))
    html = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "Đối chiếu sổ khen thưởng" in html
    assert "✓ Đạt" in html and "Chiến sĩ thi đua cơ sở (2025)" in html
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Nomination)) == 0  # checking creates nothing
    created = clerk.post("/nominations/new", data=_dossier_form(registry_subject=f"p:{person}", nominee_name=""))
    assert created.status_code == 302
    with db.read() as s:
        nom = s.scalars(select(Nomination)).one()
        assert (nom.person_id, nom.nominee_name, nom.eligibility["status"]) == (person, "Trịnh Văn Bảo", "met")
    task = clerk.get(created.headers["Location"]).get_data(as_text=True)
    assert "Đối chiếu sổ khen thưởng" in task  # the clerk's draft shows it too


def test_a_hold_is_refused_on_the_same_page_in_vietnamese(web: Flask, db):
    from datetime import date

    h = History(db)
    person = h.person()
    h.hold(person, "investigation", date(2026, 1, 1))
    clerk = session_client(web, db, "clerk1")
    refused = clerk.post("/nominations/new", data=_dossier_form(registry_subject=f"p:{person}"))
    assert refused.status_code == 422
    assert "Lê Văn Cường đang bị điều tra từ ngày 01/01/2026" in refused.get_data(as_text=True)


def test_a_new_person_is_typed_with_a_vietnamese_date(web: Flask, db):
    clerk = session_client(web, db, "clerk1")
    created = clerk.post("/nominations/new", data=_dossier_form(registry_subject="new", **{
        "new_person.birth_date": "02/09/1985", "new_person.staff_id": "BD-0777"}))
    assert created.status_code == 302
    with db.read() as s:
        person = s.scalars(select(Person)).one()
        assert (person.full_name, person.birth_date.isoformat(), person.staff_id) == ("Nguyễn Văn An", "1985-09-02",
                                                                                       "BD-0777")
    bad = clerk.post("/nominations/new", data=_dossier_form(registry_subject="new", year="2025", **{
        "new_person.birth_date": "31/02/1985"}))
    assert bad.status_code == 422 and "Ngày sinh không hợp lệ" in bad.get_data(as_text=True)


def test_the_secretariat_sees_the_full_check_on_its_task(web: Flask, db):
    h = History(db)
    person = h.person()
    h.award(person, "chien_si_thi_dua_co_so", 2025)
    driver = Driver(db)
    nid = driver.create(person_id=person)
    driver.submit(nid)
    secretary = session_client(web, db, "secretary")
    page = secretary.get(f"/tasks/{driver.item_for(nid, 'secretary')}").get_data(as_text=True)
    assert "Đối chiếu sổ khen thưởng" in page and "chưa đáp ứng" in page and "✗ Chưa đạt" in page
    driver.act(nid, "secretary", APPROVE)


def test_search_ignores_diacritics_and_units_see_their_own_people(web: Flask, db):
    h = History(db)
    ours = h.person("Trịnh Văn Bảo")
    theirs = h.person("Trịnh Thị Mai", unit_of="clerk2")
    clerk = session_client(web, db, "clerk1")
    found = clerk.get("/registry/?q=trinh+van+bao").get_data(as_text=True)
    assert "Trịnh Văn Bảo" in found and "Trịnh Thị Mai" not in found
    assert "Trịnh Văn Bảo" in clerk.get("/registry/?q=TRỊNH").get_data(as_text=True)
    assert clerk.get(f"/registry/persons/{theirs}").status_code == 404
    assert clerk.get(f"/registry/persons/{ours}").status_code == 200
    auditor = session_client(web, db, "auditor")
    both = auditor.get("/registry/?q=trinh").get_data(as_text=True)
    assert "Trịnh Văn Bảo" in both and "Trịnh Thị Mai" in both
    assert session_client(web, db, "council1").get("/registry/").status_code == 403


def test_a_persons_page_lists_awards_ratings_initiatives_holds_and_dossiers(web: Flask, db):
    from datetime import date

    h = History(db)
    person = h.person()
    h.award(person, "chien_si_thi_dua_co_so", 2025, number="12/QĐ-CBĐTW")
    h.award(person, "giay_khen", 2024, kind="ad_hoc")
    h.rating(person, "xuat_sac", 2025)
    h.initiative(person, "bo", 2025, "Số hóa bưu gửi")
    h.hold(person, "complaint", date(2020, 1, 1), date(2020, 6, 30), note="Đã giải quyết")
    nid = Driver(db).create(person_id=person)
    page = session_client(web, db, "secretary").get(f"/registry/persons/{person}").get_data(as_text=True)
    for text in ("Chiến sĩ thi đua cơ sở", "12/QĐ-CBĐTW", "(không tính vào chuỗi)", "Hoàn thành xuất sắc nhiệm vụ",
                 "Số hóa bưu gửi (cấp Bộ)", "từ 01/01/2020 đến 30/06/2020", f"Hồ sơ số {nid}"):
        assert text in page, text


def test_imports_through_the_pages_and_who_may(web: Flask, db):
    secretary = session_client(web, db, "secretary")
    upload = secretary.post("/registry/imports", data={"kind": "persons", "file": (io.BytesIO(
        (SAMPLES / "persons.csv").read_bytes()), "nguoi.csv")}, content_type="multipart/form-data")
    assert upload.status_code == 302
    preview = secretary.get(upload.headers["Location"]).get_data(as_text=True)
    assert "Xem trước 3 dòng đầu" in preview and "Trịnh Văn Bảo" in preview and ">Nhập</button>" in preview
    import_id = int(upload.headers["Location"].rstrip("/").split("/")[-1])
    auditor = session_client(web, db, "auditor")
    assert ">Nhập</button>" not in auditor.get(f"/registry/imports/{import_id}").get_data(as_text=True)
    assert auditor.post(f"/registry/imports/{import_id}/start").status_code == 403
    assert session_client(web, db, "clerk1").get("/registry/imports").status_code == 403
    done = secretary.post(f"/registry/imports/{import_id}/start", follow_redirects=True).get_data(as_text=True)
    assert "Đã nhập: thêm 3, cập nhật 0, không đổi 0." in done and 'value="100"' in done
    again = secretary.post(f"/registry/imports/{import_id}/start", follow_redirects=True).get_data(as_text=True)
    assert "Lần nhập này đã được bắt đầu." in again
    bad = secretary.post("/registry/imports", data={"kind": "awards", "file": (io.BytesIO(
        (SAMPLES / "awards_bad.csv").read_bytes()), "sai.csv")}, content_type="multipart/form-data",
        follow_redirects=True).get_data(as_text=True)
    assert "5 dòng lỗi — không dòng nào được nhập" in bad and "Dòng 5: năm «hai nghìn» không hợp lệ." in bad
    missing = secretary.post("/registry/imports", data={"kind": "persons", "file": (io.BytesIO(b"ten\nA\n"), "x.csv")},
                             content_type="multipart/form-data")
    assert missing.status_code == 422 and "Tệp thiếu cột: ho_ten, ma_don_vi" in missing.get_data(as_text=True)


def test_the_api_names_the_person_and_answers_the_check(web: Flask, db):
    from datetime import date

    from .helpers import bearer, json_error

    h = History(db)
    person = h.person()
    h.award(person, "chien_si_thi_dua_co_so", 2024, 2025)
    api = web.test_client()
    headers = bearer(db, "clerk1")
    created = api.post("/api/v1/nominations", json=DOSSIER | {"person_id": person}, headers=headers)
    assert created.status_code == 201
    body = created.get_json()
    assert body["person_id"] == person and body["eligibility"]["status"] == "met"
    assert body["eligibility"]["branches"][0]["conditions"][0]["records"][0]["type"] == "award"
    again = api.post("/api/v1/nominations", json=DOSSIER | {"person_id": person}, headers=headers)
    assert "Trùng hồ sơ" in json_error(again, 422)["message"]
    h.hold(person, "discipline", date(2026, 1, 1))
    held = api.post("/api/v1/nominations", json=DOSSIER | {"person_id": person, "year": 2025}, headers=headers)
    assert "đang bị xem xét kỷ luật" in json_error(held, 422)["message"]
    spec = api.get("/api/v1/openapi.json").get_json()
    request_schema = spec["paths"]["/nominations"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"person_id", "collective_id", "new_person"} <= set(request_schema["properties"])
