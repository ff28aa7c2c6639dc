"""The registry at proposal: holds and duplicates refuse a dossier, unmet chains only warn, an initiative
counts once, a dossier by name only is not checked, and an award the product issues enters the history.
On SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from workflows import services
from workflows.domain import clock
from workflows.domain.errors import Invalid
from workflows.persistence.model import AuditEvent, Nomination
from workflows.persistence.registry_model import HeldAward, Person
from workflows.services import registry

from ..registry_support import History
from ..support import APPROVE

TODAY = clock.now().astimezone(clock.VN_TZ).date()


@pytest.fixture
def h(db) -> History:
    return History(db)


def eligibility_of(db, nid: int) -> dict:
    with db.read() as s:
        return s.get(Nomination, nid).eligibility


def test_a_dossier_by_name_only_is_created_with_a_warning(driver, db):
    nid = driver.create()
    result = eligibility_of(db, nid)
    assert result["status"] == "unlinked"
    assert result["warnings"] == ["Không đối chiếu được với sổ khen thưởng: hồ sơ chưa gắn với cá nhân hoặc tập thể trong sổ."]
    driver.submit(nid)  # and submitted as before


def test_unmet_chains_warn_and_the_result_is_kept_with_its_records(driver, db, h):
    person = h.person()
    h.award(person, "chien_si_thi_dua_co_so", 2025)
    nid = driver.create(person_id=person, nominee_name="")  # the name comes from the registry
    with db.read() as s:
        nom = s.get(Nomination, nid)
        assert (nom.person_id, nom.nominee_name) == (person, "Lê Văn Cường")
    result = eligibility_of(db, nid)
    assert result["status"] == "unmet" and result["blocks"] == []
    assert "hồ sơ vẫn được gửi" in result["warnings"][0]
    assert result["branches"][0]["conditions"][0]["records"][0]["year"] == 2025
    driver.submit(nid)  # an unmet chain never blocks


@pytest.mark.parametrize("ends, blocks", [
    (None, True),  # open-ended: until lifted
    (TODAY + timedelta(days=30), True),
    (TODAY, True),  # its last day still binds
    (TODAY - timedelta(days=1), False),  # ended
])
def test_a_hold_in_force_on_the_proposal_date_refuses_the_dossier(driver, db, h, ends, blocks):
    person = h.person()
    h.hold(person, "discipline", date(2026, 3, 2), ends, note="Quyết định số 12/QĐ-CBĐTW")
    if not blocks:
        assert eligibility_of(db, driver.create(person_id=person))["blocks"] == []
        return
    with pytest.raises(Invalid) as refused:
        driver.create(person_id=person)
    until = f"đến ngày {ends:%d/%m/%Y}" if ends else "(chưa có ngày kết thúc)"
    assert refused.value.message == ("Không thể đề nghị khen thưởng: Lê Văn Cường đang bị xem xét kỷ luật từ ngày "
                                     f"02/03/2026 {until}: Quyết định số 12/QĐ-CBĐTW.")
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Nomination)) == 0


def test_a_hold_that_starts_later_does_not_refuse_today(driver, db, h):
    person = h.person()
    h.hold(person, "investigation", TODAY + timedelta(days=1))
    driver.create(person_id=person)


def test_a_hold_placed_after_creation_refuses_the_submission(driver, db, h):
    person = h.person()
    nid = driver.create(person_id=person)
    h.hold(person, "complaint", TODAY)
    with pytest.raises(Invalid, match="có đơn khiếu nại, tố cáo đang được giải quyết"):
        driver.act(nid, "clerk1", {})
    assert driver.ready_steps(nid) == ["draft"]  # nothing moved


def test_a_collective_under_inspection_is_refused(driver, db, h):
    group = h.collective()
    h.hold(None, "inspection", date(2026, 1, 5), collective=group)
    with pytest.raises(Invalid, match="đang bị thanh tra, kiểm tra"):
        driver.create(collective_id=group, nominee_kind="collective", nominee_name="")


def test_the_same_person_form_and_year_is_a_duplicate_naming_the_other_dossier(driver, db, h):
    person = h.person()
    first = driver.create(person_id=person)
    with pytest.raises(Invalid) as refused:
        driver.create(person_id=person, achievements="Một báo cáo thành tích khác hẳn, cho cùng năm và hình thức.")
    assert refused.value.message == (f"Trùng hồ sơ: Lê Văn Cường đã được đề nghị Bằng khen của Bộ trưởng năm 2026 tại "
                                     f"hồ sơ số {first} (Đang xử lý).")
    other_year = driver.create(person_id=person, year=2025, achievements="Thành tích năm 2025, báo cáo riêng biệt.")
    assert other_year != first


def test_a_rejected_or_withdrawn_dossier_is_no_duplicate(driver, db, h):
    person = h.person()
    first = driver.create(person_id=person)
    with db.write() as s:
        s.get(Nomination, first).state = "withdrawn"
    driver.create(person_id=person)


def test_the_same_achievement_is_awarded_once(driver, db, h):
    person = h.person()
    first = driver.create(person_id=person, achievements="Chủ trì đề án chuyển đổi số   mạng bưu chính KT1.")
    with pytest.raises(Invalid, match=f"Trùng thành tích: thành tích này đã được đề nghị tại hồ sơ số {first}"):
        driver.create(person_id=person, award_form="chien_si_thi_dua_bo",
                      achievements="chủ trì đề án chuyển đổi số mạng bưu chính KT1.")


def test_an_award_the_registry_already_holds_is_a_duplicate(driver, db, h):
    person = h.person()
    h.award(person, "bang_khen_bo_truong", 2026, level="ministry", number="55/QĐ-BKHCN")
    with pytest.raises(Invalid, match=r"đã được tặng Bằng khen của Bộ trưởng năm 2026 \(quyết định số 55/QĐ-BKHCN\)"):
        driver.create(person_id=person)


def test_an_initiative_counts_once(driver, db, h):
    person = h.person()
    h.rating(person, "xuat_sac", 2024, 2025, 2026)
    first_ideas = [h.initiative(person, "co_so", 2024), h.initiative(person, "co_so", 2025)]
    h.initiative(person, "co_so", 2026)
    a = driver.create(person_id=person, year=2026, achievements="Thành tích năm 2026 của Lê Văn Cường.")
    assert eligibility_of(db, a)["status"] == "met"
    assert eligibility_of(db, a)["used_initiatives"] == first_ideas
    # 2027 counts 2025–2026: the 2025 initiative went to dossier a, only the 2026 one is left
    b = driver.create(person_id=person, year=2027, achievements="Thành tích năm 2027 của Lê Văn Cường.")
    assert eligibility_of(db, b)["status"] == "unmet"
    with db.write() as s:
        s.get(Nomination, a).state = "rejected"
    assert registry.preview(db, driver_actor(driver, "clerk1"), {
        "person_id": person, "nominee_kind": "individual", "award_form": "bang_khen_bo_truong", "year": 2027,
        "achievements": "Thành tích năm 2027, kiểm tra lại."})["status"] == "met"  # freed once a is rejected


def driver_actor(driver, username):
    from workflows.persistence.scope import load_actor

    with driver.db.read() as s:
        return load_actor(s, driver.uid(username))


def test_a_new_person_typed_into_the_dossier_enters_the_registry_once(driver, db):
    new = {"birth_date": "1985-09-02", "staff_id": ""}
    first = driver.create(nominee_name="Phan Thị Yến", new_person=new)
    second = driver.create(nominee_name="Phan  Thị Yến", new_person=new, year=2025,
                           achievements="Thành tích năm 2025 của chị Yến, báo cáo riêng.")
    with db.read() as s:
        persons = s.scalars(select(Person)).all()
        assert len(persons) == 1
        assert {s.get(Nomination, first).person_id, s.get(Nomination, second).person_id} == {persons[0].id}
        assert s.scalar(select(AuditEvent.action).where(AuditEvent.subject_type == "registry_person")) == "created"
    with pytest.raises(Invalid, match="Cần ngày sinh hoặc mã cán bộ"):
        driver.create(nominee_name="Người Không Ngày Sinh", new_person={"birth_date": "", "staff_id": " "})


def test_a_person_of_another_unit_cannot_be_named(driver, db, h):
    theirs = h.person("Người Cục Viễn thông", unit_of="clerk2")
    with pytest.raises(Invalid, match="không có trong sổ khen thưởng của đơn vị"):
        driver.create(person_id=theirs)
    with pytest.raises(Invalid, match="Chỉ hồ sơ cá nhân"):
        driver.create(person_id=h.person(), nominee_kind="collective")


def test_two_clerks_proposing_the_same_person_at_once_make_one_dossier(db, h):
    from ..support import DOSSIER, Driver

    person = h.person()
    driver = Driver(db)
    clerk = driver.uid("clerk1")
    start, results = threading.Barrier(2), []

    def propose(i: int) -> None:
        start.wait()
        try:
            results.append(services.create_nomination(db, clerk, DOSSIER | {
                "person_id": person, "achievements": f"Thành tích khác nhau số {i} của cùng một người."}))
        except Invalid as exc:
            results.append(exc)

    threads = [threading.Thread(target=propose, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(type(r).__name__ for r in results) == ["Invalid", "int"]
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Nomination)) == 1


def test_an_award_the_product_issues_enters_the_persons_history(driver, db, h):
    person = h.person()
    nid = driver.create(person_id=person)
    driver.accept(nid)
    driver.vote(nid, ["agree"] * 9)
    driver.act(nid, "reviewer", APPROVE)
    driver.sign(nid)
    with db.read() as s:
        [held] = s.scalars(select(HeldAward).where(HeldAward.person_id == person)).all()
        assert (held.award_form, held.year, held.level, held.source) == ("bang_khen_bo_truong", 2026, "ministry", "issued")
        assert held.decision_number == s.get(Nomination, nid).decision_number and held.award_record_id is not None


def test_two_clerks_typing_the_same_new_person_at_once_make_one_person(db):
    from workflows.domain.errors import Conflict

    from ..support import DOSSIER, Driver

    clerk = Driver(db).uid("clerk1")
    start, results = threading.Barrier(2), []

    def propose(i: int) -> None:
        start.wait()
        try:
            results.append(services.create_nomination(db, clerk, DOSSIER | {
                "nominee_name": "Hà Thị Xuân", "new_person": {"birth_date": "1988-04-30"},
                "achievements": f"Thành tích riêng số {i} của chị Xuân trong năm."}))
        except (Conflict, Invalid) as exc:
            results.append(exc)

    threads = [threading.Thread(target=propose, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(isinstance(r, int) for r in results) == 1, results
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 1
        assert s.scalar(select(func.count()).select_from(Nomination)) == 1
