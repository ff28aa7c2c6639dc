"""Eligibility chains from the registry's history, each with a history that meets it and one that does not.

The chains are domain.md's (data in ``workflows/persistence/data/eligibility.json``); a nomination of
year 2026 counts the years up to 2025. Ad-hoc and thematic awards never count, an initiative counts
once, and the rule set is the one in force on the proposal date. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date

import pytest

from workflows.domain import eligibility
from workflows.persistence import registry as reads

from ..registry_support import History

ON = date(2026, 12, 1)
CSTDCS, CSTDB, TTLDXS = "chien_si_thi_dua_co_so", "chien_si_thi_dua_bo", "tap_the_lao_dong_xuat_sac"


@pytest.fixture
def h(db) -> History:
    return History(db)


def check(db, form: str, person: int | None = None, collective: int | None = None, year: int = 2026,
          kind: str | None = None) -> eligibility.Result:
    with db.read() as s:
        return reads.evaluate(s, award_form=form, nominee_kind=kind or ("individual" if person else "collective"),
                              year=year, on=ON, person_id=person, collective_id=collective)


def met_branches(result: eligibility.Result) -> list[str]:
    return [b.label for b in result.branches if b.met]


def test_chien_si_thi_dua_bo_needs_three_consecutive_grassroots_titles_and_a_ministry_initiative(db, h):
    ok = h.person("Nguyễn Văn Đạt")
    ids = h.award(ok, CSTDCS, 2023, 2024, 2025)
    initiative = h.initiative(ok, "bo", 2024, "Số hóa quy trình chấp nhận bưu gửi")
    result = check(db, CSTDB, ok)
    assert result.status == "met"
    [branch] = result.branches
    streak, idea = branch.conditions
    assert sorted(r["id"] for r in streak.records) == sorted(ids) and [r["year"] for r in streak.records] == [2025, 2024, 2023]
    assert idea.records == [{"type": "initiative", "id": initiative, "year": 2024,
                             "label": "Số hóa quy trình chấp nhận bưu gửi"}]
    assert result.used_initiatives == [initiative]

    gap = h.person("Trần Thị Gấm")
    h.award(gap, CSTDCS, 2022, 2023, 2025)  # 2024 missing: not consecutive up to 2025
    h.initiative(gap, "bo", 2024)
    result = check(db, CSTDB, gap)
    assert result.status == "unmet"
    assert [c.met for c in result.branches[0].conditions] == [False, True]

    grassroots_idea = h.person("Lý Văn Hùng")
    h.award(grassroots_idea, CSTDCS, 2023, 2024, 2025)
    h.initiative(grassroots_idea, "co_so", 2024)  # a grassroots initiative is not a ministry-wide one
    assert [c.met for c in check(db, CSTDB, grassroots_idea).branches[0].conditions] == [True, False]


def test_chien_si_thi_dua_toan_quoc_needs_two_consecutive_ministry_titles_and_a_national_initiative(db, h):
    ok = h.person("Phạm Minh Khang")
    h.award(ok, CSTDB, 2022, 2025)
    h.initiative(ok, "toan_quoc", 2024)
    assert check(db, "chien_si_thi_dua_toan_quoc", ok).status == "met"

    broken = h.person("Đỗ Thu Lan")
    h.award(broken, CSTDB, 2018, 2025)  # two titles, but a cycle apart: not consecutive
    h.initiative(broken, "toan_quoc", 2024)
    assert check(db, "chien_si_thi_dua_toan_quoc", broken).status == "unmet"


def test_bang_khen_bo_truong_individual_either_branch(db, h):
    titles = h.person("Vũ Văn Minh")
    h.award(titles, CSTDCS, 2024, 2025)
    assert met_branches(check(db, "bang_khen_bo_truong", titles)) == ["2 năm liên tục Chiến sĩ thi đua cơ sở"]

    ratings = h.person("Hoàng Thị Ngọc")
    h.rating(ratings, "xuat_sac", 2024, 2025)
    h.initiative(ratings, "co_so", 2024)
    h.initiative(ratings, "co_so", 2025)
    result = check(db, "bang_khen_bo_truong", ratings)
    assert met_branches(result) == ["2 năm liên tục hoàn thành xuất sắc nhiệm vụ và 2 sáng kiến cấp cơ sở"]
    rating = result.branches[1].conditions[0]
    assert [r["label"] for r in rating.records] == ["Hoàn thành xuất sắc nhiệm vụ"] * 2

    short = h.person("Bùi Văn Phúc")
    h.rating(short, "xuat_sac", 2024, 2025)
    h.initiative(short, "co_so", 2025)  # one initiative of the two
    h.award(short, CSTDCS, 2025)  # one title of the two
    assert check(db, "bang_khen_bo_truong", short).status == "unmet"

    good_only = h.person("Cao Thị Quyên")
    h.rating(good_only, "tot", 2024, 2025)  # "tốt" is not "xuất sắc"
    h.initiative(good_only, "co_so", 2024)
    h.initiative(good_only, "co_so", 2025)
    assert check(db, "bang_khen_bo_truong", good_only).status == "unmet"


def test_bang_khen_bo_truong_collective(db, h):
    ok = h.collective("Phòng Bưu chính")
    h.award(None, TTLDXS, 2024, 2025, collective=ok)
    result = check(db, "bang_khen_bo_truong", collective=ok)
    assert result.status == "met" and len(result.branches) == 1  # only the collective branch applies

    broken = h.collective("Phòng Viễn thông")
    h.award(None, TTLDXS, 2023, 2025, collective=broken)
    assert check(db, "bang_khen_bo_truong", collective=broken).status == "unmet"


def test_bang_khen_thu_tuong(db, h):
    ok = h.person("Đinh Văn Sơn")
    h.award(ok, "bang_khen_bo_truong", 2020, level="ministry")
    h.rating(ok, "tot", 2021, 2022, 2024)
    h.rating(ok, "xuat_sac", 2023, 2025)
    h.award(ok, CSTDCS, 2022, 2023, 2025)
    assert check(db, "bang_khen_thu_tuong", ok).status == "met"

    weak_year = h.person("Lương Thị Tâm")
    h.award(weak_year, "bang_khen_bo_truong", 2020, level="ministry")
    h.rating(weak_year, "tot", 2021, 2022, 2024, 2025)
    h.rating(weak_year, "hoan_thanh", 2023)  # breaks the five years
    h.award(weak_year, CSTDCS, 2022, 2024, 2025)
    result = check(db, "bang_khen_thu_tuong", weak_year)
    assert result.status == "unmet"
    assert [c.met for c in result.branches[0].conditions] == [True, False, True]

    no_bang_khen = h.person("Mai Văn Uy")
    h.rating(no_bang_khen, "tot", 2021, 2022, 2023, 2024, 2025)
    h.award(no_bang_khen, CSTDCS, 2022, 2024, 2025)
    assert check(db, "bang_khen_thu_tuong", no_bang_khen).status == "unmet"


def test_huan_chuong_lao_dong_hang_ba(db, h):
    ok = h.person("Trương Văn Vinh")
    h.award(ok, "bang_khen_thu_tuong", 2019, level="state")
    h.rating(ok, "tot", 2021, 2022, 2023, 2025)
    h.rating(ok, "xuat_sac", 2024)
    h.award(ok, CSTDCS, 2021, 2023, 2024)
    result = check(db, "huan_chuong_lao_dong_hang_ba", ok)
    assert result.status == "met"
    assert result.years == (2021, 2025)

    never_excellent = h.person("Kiều Thị Xuân")
    h.award(never_excellent, "bang_khen_thu_tuong", 2019, level="state")
    h.rating(never_excellent, "tot", 2021, 2022, 2023, 2024, 2025)
    h.award(never_excellent, CSTDCS, 2021, 2023, 2024)
    result = check(db, "huan_chuong_lao_dong_hang_ba", never_excellent)
    assert [c.met for c in result.branches[0].conditions] == [True, True, False, True]


def test_tap_the_lao_dong_xuat_sac_checks_what_the_registry_knows_and_leaves_the_rest_to_the_secretariat(db, h):
    ok = h.collective("Trung tâm Dữ liệu")
    h.rating(None, "xuat_sac", 2025, collective=ok)
    result = check(db, TTLDXS, collective=ok)
    assert result.status == "met"
    assert [c.met for c in result.branches[0].conditions] == [True, None]  # the members' shares: checked by hand

    unrated = h.collective("Văn phòng Cục")
    h.rating(None, "hoan_thanh", 2025, collective=unrated)
    assert check(db, TTLDXS, collective=unrated).status == "unmet"


@pytest.mark.parametrize("kind", ["ad_hoc", "thematic"])
def test_ad_hoc_and_thematic_awards_never_count(db, h, kind):
    person = h.person(f"Người có khen thưởng {kind}")
    h.award(person, CSTDCS, 2024, kind=kind)
    h.award(person, CSTDCS, 2025)
    result = check(db, "bang_khen_bo_truong", person)
    assert result.status == "unmet"
    assert [r["year"] for r in result.branches[0].conditions[0].records] == [2025]


def test_a_form_without_chains_has_no_rules(db, h):
    person = h.person()
    assert check(db, "ky_niem_chuong", person).status == "no_rules"


def test_the_rule_set_is_the_one_in_force_on_the_proposal_date():
    document = {"rule_sets": [
        {"effective_from": "2024-01-01", "forms": {CSTDB: [
            {"label": "3 năm", "conditions": [{"kind": "award_streak", "award_forms": [CSTDCS], "length": 3}]}]}},
        {"effective_from": "2026-07-01", "basis": "Luật sửa đổi", "forms": {CSTDB: [
            {"label": "2 năm", "conditions": [{"kind": "award_streak", "award_forms": [CSTDCS], "length": 2}]}]}},
    ]}
    assert eligibility.check_document(document) == []
    history = eligibility.History(awards=(eligibility.AwardFact(1, 2024, CSTDCS, "merit"),
                                          eligibility.AwardFact(2, 2025, CSTDCS, "merit")))
    before = eligibility.evaluate(document, date(2026, 6, 30), CSTDB, "individual", 2026, history)
    after = eligibility.evaluate(document, date(2026, 7, 1), CSTDB, "individual", 2026, history)
    assert (before.status, before.effective_from) == ("unmet", "2024-01-01")
    assert (after.status, after.effective_from, after.basis) == ("met", "2026-07-01", "Luật sửa đổi")
    assert eligibility.evaluate(document, date(2023, 12, 31), CSTDB, "individual", 2026, history).status == "no_rules"
    assert eligibility.check_document({"rule_sets": [{"effective_from": "x", "forms": {
        CSTDB: [{"conditions": [{"kind": "guess"}]}]}}]}) == [
        "rule set without a valid effective_from: 'x'", "chien_si_thi_dua_bo: unknown condition kind 'guess'"]


def test_the_shipped_rules_load():
    assert eligibility.check_document(reads.rules_document()) == []
