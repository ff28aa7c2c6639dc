"""Council rules as DMN (bpmn/council_rules_*.dmn): evaluated by SpiffWorkflow's engine, picked by date, linted."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime

import pytest

from workflows.engine import decisions
from workflows.engine.decisions import OUTPUTS, DecisionError, FormRules, RuleTables
from workflows.persistence.reference import AWARD_FORMS, COUNCIL_THRESHOLDS, STEP_DEADLINES

FORMS = [code for code, *_ in AWARD_FORMS]
OLD, NEW = "council_rules_98_2023.dmn", "council_rules_152_2025.dmn"


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return decisions.shipped_files()


def one(files: dict[str, str], name: str, text: str | None = None) -> RuleTables:
    return decisions.load({**files, name: files[name] if text is None else text})


def test_both_sets_ship_and_the_shipped_bundle_lints_clean(files):
    assert set(files) == {OLD, NEW}
    assert decisions.lint(files, FORMS) == []
    tables = decisions.load(files).tables
    assert [(t.decision_id, t.effective_from, t.effective_to) for t in tables] == [
        ("council_rules_98_2023", date(2024, 1, 1), date(2025, 6, 30)),
        ("council_rules_152_2025", date(2025, 7, 1), None),
    ]
    assert "98/2023" in tables[0].legal_basis and "152/2025" in tables[1].legal_basis


def test_form_rules_have_exactly_the_table_outputs():
    assert {f.name for f in fields(FormRules)} == {"award_form", "rule_set", *OUTPUTS}


@pytest.mark.parametrize("name", [OLD, NEW])
@pytest.mark.parametrize("code", FORMS)
def test_each_shipped_form_evaluates_in_both_sets_as_reference_data_has_it(files, name, code):
    [table] = [t for t in decisions.load(files).tables if t.file == name]
    rules = table.evaluate(code)
    assert rules.award_form == code and rules.rule_set == name.removesuffix(".dmn")
    assert table.matching_rows(code) == [FORMS.index(code) + 1]
    _, _, _, level, needs_vote = AWARD_FORMS[FORMS.index(code)]
    assert rules.council_votes is needs_vote
    assert (rules.quorum_num, rules.quorum_den, rules.chair_votes, rules.quota) == (2, 3, False, None)
    kind, pct = COUNCIL_THRESHOLDS.get(code, (None, None))
    assert (rules.threshold_kind, rules.threshold_pct) == (kind, pct)
    assert rules.authority == {"unit": "unit_head", "ministry": "minister"}.get(level, rules.authority)
    assert (rules.disclosure_days == 10) is code.startswith("huan_chuong_")  # orders only, per domain.md
    # The steps the rule sets carry (reference data also holds the follow-up period of the outside result).
    steps = set(decisions.STEP_OUTPUTS.values())
    general = {step: days for step, form, days in STEP_DEADLINES if form is None and step in steps}
    own = {step: days for step, form, days in STEP_DEADLINES if form == code and step in steps | {"disclosure"}}
    expected = {**general, **own}
    if rules.disclosure_days is not None:
        expected["disclosure"] = rules.disclosure_days
    assert rules.step_days() == expected


def test_authorities_above_the_ministry(files):
    table = decisions.load(files).tables[1]
    assert {code: table.evaluate(code).authority for code in FORMS if code.endswith(("thu_tuong", "toan_quoc", "chinh_phu"))} \
        == {"bang_khen_thu_tuong": "prime_minister", "chien_si_thi_dua_toan_quoc": "prime_minister",
            "co_thi_dua_chinh_phu": "government"}
    assert table.evaluate("huan_chuong_lao_dong_hang_nhat").authority == "president"


@pytest.mark.parametrize(("on", "expected"), [
    (date(2024, 1, 1), "council_rules_98_2023"),
    (date(2025, 6, 30), "council_rules_98_2023"),
    (date(2025, 7, 1), "council_rules_152_2025"),
    (date(2031, 1, 1), "council_rules_152_2025"),
    (datetime(2025, 6, 30, 16, 59, 59, tzinfo=UTC), "council_rules_98_2023"),  # 23:59:59 in Hà Nội
    (datetime(2025, 6, 30, 17, 0, tzinfo=UTC), "council_rules_152_2025"),  # already 1/7 in Hà Nội
])
def test_the_set_in_force_is_picked_by_the_date_in_vietnam(files, on, expected):
    assert decisions.load(files).rule_set_for(on).decision_id == expected
    assert decisions.rule_set_for(on).decision_id == expected  # the shipped documents
    assert decisions.rule_set_for(on, files).decision_id == expected  # a bundle's pinned documents


def test_dossiers_either_side_of_the_change_get_different_sets(files):
    tables = decisions.load(files)
    before, after = tables.form_rules("co_thi_dua_bo", date(2025, 6, 30)), tables.form_rules("co_thi_dua_bo", date(2025, 7, 1))
    assert (before.rule_set, after.rule_set) == ("council_rules_98_2023", "council_rules_152_2025")


def test_dates_outside_every_set_and_naive_datetimes_are_refused(files):
    tables = decisions.load(files)
    with pytest.raises(DecisionError, match="31/12/2023"):
        tables.rule_set_for(date(2023, 12, 31))
    with pytest.raises(ValueError, match="múi giờ"):
        tables.rule_set_for(datetime(2025, 7, 1, 8, 0))


def test_editing_a_threshold_in_the_xml_changes_the_result_without_code(files):
    cell = '<outputEntry id="rule_co_thi_dua_bo_threshold_pct"><text>80</text></outputEntry>'
    assert files[NEW].count(cell) == 1
    edited = one(files, NEW, files[NEW].replace(cell, cell.replace(">80<", ">75<")))
    assert edited.form_rules("co_thi_dua_bo", date(2025, 7, 1)).threshold_pct == 75
    assert edited.form_rules("co_thi_dua_bo", date(2025, 6, 30)).threshold_pct == 80  # the old set is untouched
    assert decisions.lint({**files, NEW: files[NEW].replace(cell, cell.replace(">80<", ">75<"))}, FORMS) == []


def test_a_form_matching_no_row_fails_the_lint_naming_it(files):
    text = files[OLD].replace('<text>"giay_khen"</text>', '<text>"giay_khen_cu"</text>')
    problems = decisions.lint({**files, OLD: text}, FORMS)
    assert any(OLD in p and "giay_khen:" in p and "không khớp dòng nào" in p for p in problems), problems
    assert any(OLD in p and "dòng 3" in p for p in problems), problems  # the renamed row serves no form
    with pytest.raises(DecisionError, match="giay_khen"):
        one(files, OLD, text).form_rules("giay_khen", date(2025, 1, 1))  # UNIQUE with no match would write nothing


def test_a_form_matching_two_rows_fails_the_lint_naming_it(files):
    # row 5 (chien_si_thi_dua_bo) is made to match bang_khen_bo_truong too: UNIQUE would silently take row 4
    text = files[NEW].replace('<text>"chien_si_thi_dua_bo"</text>',
                              '<text>? in ("chien_si_thi_dua_bo", "bang_khen_bo_truong")</text>')
    tables = one(files, NEW, text)
    assert tables.tables[1].evaluate("bang_khen_bo_truong").threshold_kind == "majority_of_present"  # first match
    problems = decisions.lint({**files, NEW: text}, FORMS)
    assert problems == [f"{NEW}, hình thức bang_khen_bo_truong: khớp 2 dòng (4, 5); "
                        "UNIQUE chỉ lấy dòng đầu, mỗi hình thức phải khớp đúng một dòng."]


@pytest.mark.parametrize(("old", "new", "message"), [
    ('"rule_co_thi_dua_bo_threshold_pct"><text>80<', '"rule_co_thi_dua_bo_threshold_pct"><text>0<', "threshold_pct"),
    ('"rule_co_thi_dua_bo_threshold_pct"><text>80<', '"rule_co_thi_dua_bo_threshold_pct"><text>101<', "threshold_pct"),
    ('"rule_bang_khen_bo_truong_threshold_pct"><text>None<', '"rule_bang_khen_bo_truong_threshold_pct"><text>50<',
     "threshold_pct phải là None"),
    ('"rule_bang_khen_bo_truong_quorum_num"><text>2<', '"rule_bang_khen_bo_truong_quorum_num"><text>3<', "quorum_num"),
    ('"rule_bang_khen_bo_truong_council_votes"><text>True<', '"rule_bang_khen_bo_truong_council_votes"><text>"yes"<',
     "council_votes"),
    ('"rule_bang_khen_bo_truong_authority"><text>"minister"<', '"rule_bang_khen_bo_truong_authority"><text>"mayor"<',
     "authority"),
    ('"rule_bang_khen_bo_truong_draft_days"><text>10<', '"rule_bang_khen_bo_truong_draft_days"><text>0<', "draft_days"),
    ('"rule_bang_khen_bo_truong_quota"><text>None<', '"rule_bang_khen_bo_truong_quota"><text><', "quota"),  # "" not None
])
def test_outputs_of_the_wrong_type_or_range_fail_the_lint(files, old, new, message):
    assert files[OLD].count(old) == 1
    problems = decisions.lint({**files, OLD: files[OLD].replace(old, new)}, FORMS)
    assert len(problems) == 1 and problems[0].startswith(f"{OLD}, hình thức ") and message in problems[0], problems


@pytest.mark.parametrize(("start", "end", "message"), [
    ("2024-01-01", "2025-06-29", "không có bộ quy tắc nào cho từ 30/06/2025 đến 30/06/2025"),
    ("2024-01-01", "2025-07-01", "chồng lên"),
    ("2024-02-01", "2025-06-30", "từ 01/01/2024 đến 31/01/2024"),
])
def test_periods_must_cover_every_day_once(files, start, end, message):
    text = (files[OLD].replace('name="effective_from" value="2024-01-01"', f'name="effective_from" value="{start}"')
            .replace('name="effective_to" value="2025-06-30"', f'name="effective_to" value="{end}"'))
    problems = decisions.lint({**files, OLD: text}, FORMS)
    assert len(problems) == 1 and message in problems[0], problems


def test_a_closed_last_set_and_two_open_sets_fail_the_lint(files):
    closed = files[NEW].replace('<spiffworkflow:property name="effective_from" value="2025-07-01" />',
                                '<spiffworkflow:property name="effective_from" value="2025-07-01" />'
                                '<spiffworkflow:property name="effective_to" value="2026-09-30" />')
    assert any("hết hiệu lực 30/09/2026" in p for p in decisions.lint({**files, NEW: closed}, FORMS))
    open_old = files[OLD].replace('<spiffworkflow:property name="effective_to" value="2025-06-30" />', "")
    assert any("chồng lên" in p for p in decisions.lint({**files, OLD: open_old}, FORMS))


@pytest.mark.parametrize(("mangle", "message"), [
    (lambda x: x[: len(x) // 2], "không phải XML hợp lệ"),
    (lambda x: x.replace('<description>Giấy khen</description>', '<bogus /><description>Giấy khen</description>'),
     "tài liệu DMN không hợp lệ"),  # the DMN schema
    (lambda x: x.replace('<output id="output_quota"', '<!-- a note --><output id="output_quota"'),
     "tài liệu DMN không hợp lệ"),  # the library's parser crashes (AttributeError) on a comment in the table
    (lambda x: x.replace('<text>"minister"</text>', '<text>"minister</text>', 1), "tài liệu DMN không hợp lệ"),
    (lambda x: x.replace('hitPolicy="UNIQUE"', 'hitPolicy="COLLECT"'), "UNIQUE"),
    (lambda x: x.replace('name="effective_from" value="2024-01-01"', 'name="effective_from" value="1/1/2024"'),
     "effective_from"),
    (lambda x: x.replace('<spiffworkflow:property name="effective_from" value="2024-01-01" />', ""), "thiếu thuộc tính"),
    (lambda x: x.replace(' name="quota"', ' name="quotas"'), "thiếu: quota"),
    (lambda x: x.replace('<text>"giay_khen"</text>', '<text>__import__("os").getcwd()</text>'), "ô điều kiện"),
    (lambda x: x.replace('<text>"minister"</text>', '<text>__import__("os").getcwd()</text>', 1), "ô kết quả"),
    (lambda x: x.replace('<text>true</text>', '').replace('<text>False</text>', '<text>false</text>', 1), "ô kết quả"),
])
def test_a_malformed_document_gives_a_clear_error_naming_the_file(files, mangle, message):
    text = mangle(files[OLD])
    assert text != files[OLD]
    with pytest.raises(DecisionError, match=message) as raised:
        decisions.load({**files, OLD: text})
    assert str(raised.value).startswith(f"{OLD}: ")
    assert decisions.lint({**files, OLD: text}, FORMS) == [str(raised.value)]


def test_an_engine_error_while_evaluating_names_the_file_and_form(files):
    text = files[OLD].replace('<text>"giay_khen"</text>', "<text>? &gt; 5</text>")  # str > int: TypeError in the engine
    table = one(files, OLD, text).tables[0]
    assert table.evaluate("lao_dong_tien_tien").authority == "unit_head"  # row 1 matches before row 3 is tried
    with pytest.raises(DecisionError, match=f"^{OLD}, hình thức bang_khen_bo_truong: lỗi khi tính") as raised:
        table.evaluate("bang_khen_bo_truong")  # rows 1-2 do not match, row 3 raises
    assert "row 3" in str(raised.value)
    problems = decisions.lint({**files, OLD: text}, FORMS)
    assert len(problems) == len(FORMS) and all(p.startswith(f"{OLD}, hình thức ") and "lỗi khi tính" in p for p in problems)


def test_no_decision_files_is_a_lint_problem():
    assert decisions.lint({"nomination.bpmn": "<x/>"}, FORMS) == [
        "council_rules: gói triển khai không có bảng quyết định (.dmn) nào."]


def test_two_documents_with_one_decision_id_fail_the_lint(files):
    copy = files[NEW].replace('value="2025-07-01"', 'value="2031-01-01"')
    problems = decisions.lint({**files, "council_rules_copy.dmn": copy}, FORMS)
    assert any("trùng với" in p and "council_rules_152_2025" in p for p in problems), problems
