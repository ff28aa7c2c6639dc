"""Forms are data: a JSON Schema per user task, shared by the HTML pages and the API.

A :class:`FormSet` is the forms of one version bundle (a running nomination keeps the forms it
started with). Validation answers in Vietnamese, one message per field, and refuses keys a form
does not declare so that they never reach workflow data.
"""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError

from workflows.domain.errors import Invalid

# C0 control characters other than tab and newlines: never meaningful in a dossier (and NUL breaks PostgreSQL).
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SCHEMA_SUFFIX = ".schema.json"


class FormSet:
    """The JSON Schemas of one bundle by form name, each checked once and validated by a cached validator."""

    def __init__(self, schemas: dict[str, dict[str, Any]]) -> None:
        self.schemas = dict(schemas)
        self._validators: dict[str, Draft202012Validator] = {}
        for name, schema in self.schemas.items():
            try:
                Draft202012Validator.check_schema(schema)
            except SchemaError as exc:
                raise ValueError(f"form {name!r} is not a valid JSON Schema: {exc.message}") from exc
            self._validators[name] = Draft202012Validator(schema)

    def __contains__(self, name: str) -> bool:
        return name in self.schemas

    def schema(self, name: str) -> dict[str, Any]:
        return self.schemas[name]

    def field_names(self, name: str) -> list[str]:
        return list(self.schemas[name].get("properties", {}))

    def choices(self, name: str, field: str) -> dict[str, str]:
        """The values a field allows (``oneOf`` of ``const``) with their Vietnamese titles."""
        spec = self.schemas[name].get("properties", {}).get(field, {})
        return {c["const"]: c.get("title", c["const"]) for c in spec.get("oneOf", []) if "const" in c}

    def errors(self, name: str, data: Any) -> dict[str, str]:
        """Field → Vietnamese message for every problem; empty when the data is valid."""
        if not isinstance(data, dict):
            return {"": "Dữ liệu biểu mẫu phải là một đối tượng JSON."}
        found: dict[str, str] = {
            key: "Chứa ký tự điều khiển không hợp lệ."
            for key, value in data.items()
            if isinstance(value, str) and CONTROL_CHARS.search(value)
        }
        for err in sorted(self._validators[name].iter_errors(data), key=lambda e: list(e.absolute_path)):
            if err.validator in ("if", "then", "allOf"):
                continue
            field, message = _message(err)
            found.setdefault(field, message)
        return found

    def validate(self, name: str, data: Any) -> dict[str, Any]:
        found = self.errors(name, data)
        if found:
            raise Invalid("Biểu mẫu có lỗi, vui lòng kiểm tra lại.", found)
        return data


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
