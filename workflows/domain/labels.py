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
