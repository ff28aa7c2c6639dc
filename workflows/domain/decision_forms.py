"""The forms of a decision's two inbox rows: the signature and the registration (forms are data).

A decision covers dossiers that may run on different route versions, so its own tasks' forms are
the product's, not a route bundle's; the API lists them with the task like any other form.
"""

from __future__ import annotations

from typing import Any

SIGN_TASK, REGISTER_TASK = "decision_sign", "decision_register"  # the names (and forms) of a decision's task rows
KIND_NAMES = {"decision": "quyết định", "submission": "tờ trình"}


def sign_form(kind: str = "decision") -> dict[str, Any]:
    """The signer's form: sign, or return with a reason (every dossier goes back as its route says)."""
    what = KIND_NAMES.get(kind, "văn bản")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Ký {what}",
        "description": f"Một chữ ký cho {what} và danh sách kèm theo.",
        "type": "object",
        "additionalProperties": False,
        "required": ["decision"],
        "properties": {
            "decision": {"title": "Ý kiến của Lãnh đạo Bộ", "oneOf": [
                {"const": "approve", "title": f"Ký {what}"}, {"const": "return", "title": "Trả lại để thẩm định lại"}]},
            "comment": {"title": "Ý kiến / lý do", "type": "string", "maxLength": 4000, "x-widget": "textarea",
                        "description": "Bắt buộc khi trả lại."},
        },
        "if": {"properties": {"decision": {"enum": ["return"]}}, "required": ["decision"]},
        "then": {"required": ["comment"], "properties": {"comment": {"minLength": 1, "pattern": "\\S"}}},
    }


def register_form(proposal: str | None = None) -> dict[str, Any]:
    """The clerical office's form: the number and date written on the signed document (blank: the proposal, today)."""
    number: dict[str, Any] = {"title": "Số", "type": "string", "maxLength": 60}
    if proposal:
        number["default"] = proposal
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Đăng ký số, ngày ban hành",
        "description": "Số và ngày Văn phòng ghi trên văn bản đã ký; để trống: số đề xuất và ngày hôm nay.",
        "type": "object",
        "additionalProperties": False,
        "properties": {"number": number, "date": {"title": "Ngày ban hành", "type": "string", "format": "date"}},
    }
