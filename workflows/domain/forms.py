"""Forms are data: a JSON Schema per user task, shared by the HTML pages and the API.

Validation answers in Vietnamese, one message per field, and refuses keys a
form does not declare so that they never reach workflow data.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from workflows import caches
from workflows.domain.errors import Invalid

# C0 control characters other than tab and newlines: never meaningful in a dossier (and NUL breaks PostgreSQL).
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FORMS_DIR = Path(__file__).resolve().parents[2] / "bpmn" / "forms"


@cache
def load(form: str) -> dict[str, Any]:
    path = FORMS_DIR / f"{form}.schema.json"
    if not path.is_file() or "/" in form or "\\" in form:
        raise KeyError(form)
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return schema


@cache
def _validator(form: str) -> Draft202012Validator:
    return Draft202012Validator(load(form))


def _message(err: ValidationError) -> tuple[str, str]:
    field = ".".join(str(p) for p in err.absolute_path) or ""
    v = err.validator
    if v == "required":
        missing = err.message.split("'")[1] if "'" in err.message else ""
        return missing, "Trường này là bắt buộc."
    if v == "additionalProperties":
        extra = [k for k in err.instance if k not in err.schema.get("properties", {})]
        return ", ".join(sorted(extra)), "Trường không thuộc biểu mẫu này."
    if v == "type":
        names = {"string": "chuỗi ký tự", "integer": "số nguyên", "object": "đối tượng", "boolean": "đúng/sai"}
        return field, f"Phải là {names.get(err.validator_value, err.validator_value)}."
    if v in ("oneOf", "enum", "const"):
        return field, "Giá trị không nằm trong danh sách cho phép."
    if v == "minLength":
        return field, "Không được để trống." if err.validator_value <= 1 else f"Cần ít nhất {err.validator_value} ký tự."
    if v == "maxLength":
        return field, f"Tối đa {err.validator_value} ký tự."
    if v == "pattern":
        return field, "Không được để trống."
    if v == "minimum":
        return field, f"Không được nhỏ hơn {err.validator_value}."
    if v == "maximum":
        return field, f"Không được lớn hơn {err.validator_value}."
    return field, "Giá trị không hợp lệ."


def errors(form: str, data: Any) -> dict[str, str]:
    """Field → Vietnamese message for every problem; empty when the data is valid."""
    if not isinstance(data, dict):
        return {"": "Dữ liệu biểu mẫu phải là một đối tượng JSON."}
    found: dict[str, str] = {
        key: "Chứa ký tự điều khiển không hợp lệ."
        for key, value in data.items()
        if isinstance(value, str) and CONTROL_CHARS.search(value)
    }
    for err in sorted(_validator(form).iter_errors(data), key=lambda e: list(e.absolute_path)):
        if err.validator in ("if", "then", "allOf"):
            continue
        field, message = _message(err)
        found.setdefault(field, message)
    return found


def validate(form: str, data: Any) -> dict[str, Any]:
    found = errors(form, data)
    if found:
        raise Invalid("Biểu mẫu có lỗi, vui lòng kiểm tra lại.", found)
    return data


@caches.register
def _forget_forms() -> None:
    load.cache_clear()
    _validator.cache_clear()


def field_names(form: str) -> list[str]:
    return list(load(form).get("properties", {}))
