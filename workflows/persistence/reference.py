"""Reference data the product ships with: award forms, council rules, step deadlines.

Inserted when missing (at migrate time), never overwritten: once admins edit
a row it is theirs. Numbers tagged [U]/[S] in domain.md live here as data.

Since the rules moved to the DMN tables (``bpmn/council_rules_*.dmn``), a new version reads only the
award forms' names, subjects and display order and the escalations from here; the forms' ``level``,
``needs_vote`` and ``needs_disclosure`` and the council and deadline rows are what versions deployed
before pinned (:func:`shipped_rules` is that legacy shape). Note the legacy disclosure rule, "every
form decided above the ministry": the DMN publishes the orders (Huân chương) only, as the law says.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.domain.rules import AwardFormRule, RuleSet, iso_utc
from workflows.domain.rules import CouncilRule as CouncilRuleData
from workflows.domain.rules import StepDeadline as StepDeadlineData
from workflows.persistence.model import AwardForm, CouncilRule, EscalationRule, StepDeadline
from workflows.persistence.reference_model import Field

# code, Vietnamese name, subject, level, needs ministry council vote
AWARD_FORMS = [
    ("lao_dong_tien_tien", "Lao động tiên tiến", "individual", "unit", False),
    ("chien_si_thi_dua_co_so", "Chiến sĩ thi đua cơ sở", "individual", "unit", False),
    ("giay_khen", "Giấy khen", "both", "unit", False),
    ("bang_khen_bo_truong", "Bằng khen của Bộ trưởng", "both", "ministry", True),
    ("chien_si_thi_dua_bo", "Chiến sĩ thi đua cấp Bộ", "individual", "ministry", True),
    ("tap_the_lao_dong_xuat_sac", "Tập thể lao động xuất sắc", "collective", "ministry", True),
    ("co_thi_dua_bo", "Cờ thi đua của Bộ", "collective", "ministry", True),
    ("ky_niem_chuong", "Kỷ niệm chương", "individual", "ministry", False),
    ("bang_khen_thu_tuong", "Bằng khen của Thủ tướng Chính phủ", "both", "above", True),
    ("chien_si_thi_dua_toan_quoc", "Chiến sĩ thi đua toàn quốc", "individual", "above", True),
    ("co_thi_dua_chinh_phu", "Cờ thi đua của Chính phủ", "collective", "above", True),
    ("huan_chuong_lao_dong_hang_ba", "Huân chương Lao động hạng Ba", "both", "above", True),
    ("huan_chuong_lao_dong_hang_nhi", "Huân chương Lao động hạng Nhì", "both", "above", True),
    ("huan_chuong_lao_dong_hang_nhat", "Huân chương Lao động hạng Nhất", "both", "above", True),
]

# Fields (lĩnh vực) after the merger into the Ministry of Science and Technology (domain.md), in display order;
# "Khác" last, as the dossier forms of versions deployed before the fields table offer it.
FIELDS = ["Bưu chính", "Viễn thông", "Ứng dụng CNTT / Chuyển đổi số", "An toàn thông tin mạng", "Kinh tế số",
          "Công nghiệp ICT", "Báo chí – truyền thông", "Xuất bản", "Khác"]

# award form → (threshold kind, percent of all members); quorum 2/3 of members for all [V]
COUNCIL_THRESHOLDS = {
    "bang_khen_bo_truong": ("majority_of_present", None),
    "chien_si_thi_dua_bo": ("pct_of_all", 90),
    "tap_the_lao_dong_xuat_sac": ("majority_of_present", None),
    "co_thi_dua_bo": ("pct_of_all", 80),
    "bang_khen_thu_tuong": ("majority_of_present", None),
    "chien_si_thi_dua_toan_quoc": ("pct_of_all", 90),
    "co_thi_dua_chinh_phu": ("pct_of_all", 80),
    "huan_chuong_lao_dong_hang_ba": ("majority_of_present", None),
    "huan_chuong_lao_dong_hang_nhi": ("majority_of_present", None),
    "huan_chuong_lao_dong_hang_nhat": ("majority_of_present", None),
}
RULES_EFFECTIVE_FROM = datetime(2024, 1, 1, tzinfo=UTC)  # Law 06/2022/QH15

# step → working days (None = every form), with per-form exceptions
STEP_DEADLINES = [
    ("draft", None, 10),
    ("head_review", None, 5),
    ("secretariat_check", None, 5),
    ("council_vote", None, 10),
    ("appraisal", None, 10),
    ("appraisal", "ky_niem_chuong", 15),  # [V] the secretariat appraises in 15 days
    ("minister_sign", None, 5),
    ("disclosure", None, 10),  # [V] published >= 10 working days before the council meets
    # Not a deadline (the outside decides when): the period of the follow-up reminders to the secretariat
    # while a dossier submitted above waits for the outside result (issue: every 10 working days).
    ("outside_result", None, 10),
]

# role -> roles told when a task of that role passes its deadline [U: the ministry's practice]
ESCALATIONS = [
    ("unit_clerk", "unit_head"),
    ("unit_head", "secretariat"),
    ("secretariat", "reviewer"),
    ("council_member", "secretariat"),
    ("reviewer", "minister"),
    ("minister", "secretariat"),
]


def ensure_reference_data(session: Session) -> None:
    known_forms = set(session.scalars(select(AwardForm.code)))
    for order, (code, name, subject, level, needs_vote) in enumerate(AWARD_FORMS):
        if code not in known_forms:
            session.add(AwardForm(code=code, name=name, subject=subject, level=level, needs_vote=needs_vote,
                                  needs_disclosure=level == "above", sort_order=order))
    session.flush()
    ruled = set(session.scalars(select(CouncilRule.award_form)))
    for code, (kind, pct) in COUNCIL_THRESHOLDS.items():
        if code not in ruled:
            session.add(CouncilRule(award_form=code, effective_from=RULES_EFFECTIVE_FROM, quorum_num=2,
                                    quorum_den=3, threshold_kind=kind, threshold_pct=pct))
    if not session.scalar(select(EscalationRule.role).limit(1)):
        session.add_all(EscalationRule(role=role, superior_role=superior) for role, superior in ESCALATIONS)
    known_steps = set(session.execute(select(StepDeadline.step, StepDeadline.award_form)).all())
    for step, form, days in STEP_DEADLINES:
        if (step, form) not in known_steps:
            session.add(StepDeadline(step=step, award_form=form, working_days=days))
    ensure_fields(session)


def ensure_fields(session: Session) -> None:
    """The shipped fields, only into an empty table: once admins rename or add one, the list is theirs."""
    if session.scalar(select(Field.id).limit(1)) is None:
        session.add_all(Field(name=name, sort_order=order, active=True, version=1) for order, name in enumerate(FIELDS))
        session.flush()


def field_choices(session: Session, keep: str | None = None) -> list[str] | None:
    """The fields a dossier may name now, in order: the active ones, and ``keep`` (the dossier's own value, even if
    deactivated since, so resubmitting it unchanged never fails). None while the table is empty: then the
    version's own form decides."""
    rows = session.execute(select(Field.name, Field.active).order_by(Field.sort_order, Field.id)).all()
    if not rows:
        return None
    names = [name for name, active in rows if active]
    return names + ([keep] if keep and keep not in names else [])


def shipped_catalogue() -> RuleSet:
    """The award forms (names, subjects, display order) and escalations as this release inserts them: what a
    DMN bundle's ``rules`` keeps on a fresh database."""
    return RuleSet(
        award_forms={code: AwardFormRule(code, name, subject, sort_order=order)
                     for order, (code, name, subject, _level, _vote) in enumerate(AWARD_FORMS)},
        escalations={role: tuple(sorted(s for r, s in ESCALATIONS if r == role)) for role, _ in ESCALATIONS},
    )


def shipped_rules() -> RuleSet:
    """The legacy rule tables as this release ships them (what ``ensure_reference_data`` inserts when missing):
    the shape versions deployed before the DMN tables pinned."""
    return RuleSet(
        award_forms={code: AwardFormRule(code, name, subject, level, needs_vote, level == "above", order)
                     for order, (code, name, subject, level, needs_vote) in enumerate(AWARD_FORMS)},
        council=tuple(CouncilRuleData(code, iso_utc(RULES_EFFECTIVE_FROM), 2, 3, kind, pct)
                      for code, (kind, pct) in COUNCIL_THRESHOLDS.items()),
        deadlines=tuple(StepDeadlineData(step, form, days) for step, form, days in STEP_DEADLINES),
        escalations={role: tuple(sorted(s for r, s in ESCALATIONS if r == role)) for role, _ in ESCALATIONS},
    )
