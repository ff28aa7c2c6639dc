"""Vietnamese labels for states, actions and roles, shared by every entry point."""

STATES = {
    "in_progress": "Đang xử lý",
    "submitted": "Đã trình cấp trên",
    "awarded": "Đã khen thưởng",
    "rejected": "Không khen thưởng",
    "withdrawn": "Đã rút",
}

ACTIONS = {
    "created": "Tạo hồ sơ",
    "submitted": "Nộp hồ sơ",
    "approve": "Đồng ý",
    "return": "Trả lại",
    "reject": "Từ chối",
    "withdraw": "Rút hồ sơ",
    "voted": "Đã bỏ phiếu",
    "vote_closed": "Kết thúc bỏ phiếu",
    "council_result": "Kết quả bỏ phiếu",
    "round_joined": "Đưa vào đợt xét của Hội đồng",
    "decision_issued": "Ban hành quyết định",
    "submitted_above": "Trình cấp trên",
    "outside_result": "Ghi nhận kết quả của cấp trên",
    "awarded_above": "Vào sổ khen thưởng theo quyết định của cấp trên",
    "refused_above": "Cấp trên không khen thưởng",
    "attachment_added": "Thêm tệp đính kèm",
    "attachment_deleted": "Xóa tệp đính kèm",
    "draft_saved": "Lưu nháp",
    "objection": "Có ý kiến phản ánh",
    "reminder_sent": "Nhắc hạn",
    "escalated": "Báo quá hạn cho cấp trên",
    "disclosure_ended": "Hết thời gian công khai",
    "timer_fired": "Hẹn giờ",
    "deadline_moved": "Dời hạn theo lịch làm việc",
    "decision_drafted": "Đưa vào dự thảo quyết định / tờ trình",
    "decision_sent": "Trình Lãnh đạo Bộ ký",
    "decision_signed": "Lãnh đạo Bộ đã ký",
    "decision_registered": "Đăng ký số, ngày ban hành",
    "decision_cancelled": "Hủy dự thảo quyết định / tờ trình",
    "claimed": "Nhận xử lý",
    "released": "Trả lại nhóm",
    "reassigned": "Giao lại người xử lý",
}

ROLES = {
    "unit_clerk": "Cán bộ TĐKT đơn vị",
    "unit_head": "Thủ trưởng đơn vị",
    "secretariat": "Bộ phận TĐKT (Vụ TCCB)",
    "council_member": "Ủy viên Hội đồng TĐKT",
    "council_chair": "Chủ tịch Hội đồng TĐKT",
    "reviewer": "Lãnh đạo Vụ TCCB",
    "minister": "Bộ trưởng",
    "deputy_minister": "Thứ trưởng",
    "admin": "Quản trị",
    "auditor": "Thanh tra / kiểm tra",
}

NOMINEE_KINDS = {"individual": "Cá nhân", "collective": "Tập thể"}

# What a task's submit button says, per step id and decision (None: a form without a decision field). A pair not
# listed falls back to the decision alone (None, decision), then to the option's own title in the form; a form
# without a decision falls back to its form name (FORM_BUTTONS), then to SUBMIT.
BUTTONS: dict[tuple[str | None, str | None], str] = {
    ("draft", None): "Nộp hồ sơ",
    ("head_review", "approve"): "Trình Bộ",
    ("secretariat_check", "approve"): "Tiếp nhận hồ sơ",
    ("secretariat_check", "return"): "Trả lại đơn vị bổ sung",
    ("appraisal", "approve"): "Thẩm định đạt, trình ký",
    ("appraisal", "return"): "Trả lại Bộ phận TĐKT",
    ("minister_sign", "approve"): "Ký quyết định",  # the per-dossier signature of older versions
    ("minister_sign", "return"): "Trả lại để thẩm định lại",
    ("disclosure", "objection"): "Ghi nhận ý kiến phản ánh",
    (None, "return"): "Trả lại đơn vị",
    (None, "withdraw"): "Rút hồ sơ",
    (None, "reject"): "Không khen thưởng",
}
FORM_BUTTONS = {"dossier": "Nộp hồ sơ", "vote": "Bỏ phiếu"}
SUBMIT = "Gửi"

# What an irreversible decision asks once before it goes, saying what happens next; same lookup as BUTTONS.
CONFIRMS: dict[tuple[str | None, str | None], str] = {
    ("minister_sign", "approve"): "Ký quyết định? Hồ sơ được khen thưởng theo quyết định này, không hoàn tác được.",
    (None, "withdraw"): "Rút hồ sơ? Hồ sơ kết thúc, không xử lý tiếp.",
    (None, "reject"): "Không khen thưởng? Hồ sơ kết thúc với kết quả không khen thưởng.",
}


def _lookup(table: dict[tuple[str | None, str | None], str], step: str | None, decision: str | None) -> str | None:
    return table.get((step, decision)) or (table.get((None, decision)) if decision is not None else None)


def task_buttons(step: str | None, form: str | None, schema: dict | None) -> list[dict[str, str | None]]:
    """The submit buttons of a task's form: one per decision when the form has a decision field, else one.

    Each is {"decision", "label", "confirm"}: the decision the button submits (None: the form's own fields
    carry everything), what it says, and the question an irreversible one asks first (None: none).
    """
    prop = ((schema or {}).get("properties") or {}).get("decision") or {}
    options = prop.get("oneOf") or []
    if options:
        return [{"decision": o["const"], "label": _lookup(BUTTONS, step, o["const"]) or o.get("title") or SUBMIT,
                 "confirm": _lookup(CONFIRMS, step, o["const"])} for o in options]
    label = BUTTONS.get((step, None)) or FORM_BUTTONS.get(form or "") or SUBMIT
    return [{"decision": None, "label": label, "confirm": CONFIRMS.get((step, None))}]
