"""Forms are data: a JSON Schema per user task, shared by the HTML pages and the API.

A :class:`FormSet` is the forms of one version bundle (a running nomination keeps the forms it
started with). Validation answers in Vietnamese, one message per field, and refuses keys a form
does not declare so that they never reach workflow data. Text is checked before the schema: a
field is single-line unless its schema says ``"x-widget": "textarea"``.
"""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError

from workflows.domain.errors import Invalid

_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 but tab and CR/LF, DEL, C1
_BREAKS = "\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029"  # what str.splitlines (and so e-mail headers) split on
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_SURROGATES = "\ud800-\udfff"
# Never meaningful in a dossier, and NUL breaks PostgreSQL.
CONTROL_CHARS = re.compile(f"[{_CONTROLS}]")
# A line break in a name splits e-mail headers and table cells.
LINE_BREAKS = re.compile(f"[{_BREAKS}]")
# Bidi controls make a name or file name read differently from what it is (U+202E then "fdp.exe" shows as "exe.pdf").
BIDI_CONTROLS = re.compile(f"[{_BIDI}]")
# An unpaired surrogate (JSON "\ud800") has no UTF-8 form: neither PostgreSQL nor a response can hold it.
SURROGATES = re.compile(f"[{_SURROGATES}]")
# What a name that becomes a header (Content-Disposition, Subject) must never contain; tab included.
NOT_IN_HEADERS = re.compile(f"[\t{_CONTROLS}{_BREAKS}{_BIDI}{_SURROGATES}]")
SCHEMA_SUFFIX = ".schema.json"


def text_problem(value: str, *, multiline: bool) -> str | None:
    """The Vietnamese reason a text value cannot be stored, or None."""
    if SURROGATES.search(value):
        return "Chứa ký tự Unicode không hợp lệ."
    if not multiline and LINE_BREAKS.search(value):
        return "Không được xuống dòng."
    if CONTROL_CHARS.search(value):
        return "Chứa ký tự điều khiển không hợp lệ."
    if BIDI_CONTROLS.search(value):
        return "Chứa ký tự điều khiển hướng chữ không hợp lệ."
    return None


class FormSet:
    """The JSON Schemas of one bundle by form name, each checked once and validated by a cached validator."""

    def __init__(self, schemas: dict[str, dict[str, Any]], *, checked: bool = False) -> None:
        """``checked``: the schemas passed :meth:`check_schema` before (a deployed version's), so it is not run again."""
        self.schemas = dict(schemas)
        self._validators: dict[str, Draft202012Validator] = {}
        self._overlays: dict[tuple, Draft202012Validator] = {}
        for name, schema in self.schemas.items():
            if not checked:
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

    def with_choices(self, name: str, choices: dict[str, list[str]] | None) -> dict[str, Any]:
        """The form with the choices of its ``oneOf`` fields replaced (reference data the admins keep, such as
        the fields): a version's form keeps its own list where ``choices`` names no field it has."""
        schema = self.schemas[name]
        props = schema.get("properties", {})
        swap = {f: values for f, values in (choices or {}).items() if "oneOf" in props.get(f, {})}
        if not swap:
            return schema
        props = dict(props) | {f: {k: v for k, v in props[f].items() if k != "oneOf"}
                               | {"oneOf": [{"const": c, "title": c} for c in values]} for f, values in swap.items()}
        return dict(schema) | {"properties": props}

    def _validator(self, name: str, choices: dict[str, list[str]] | None) -> Draft202012Validator:
        schema = self.with_choices(name, choices)
        if schema is self.schemas[name]:
            return self._validators[name]
        key = (name, tuple(sorted((f, tuple(v)) for f, v in (choices or {}).items())))
        validator = self._overlays.get(key)
        if validator is None:
            if len(self._overlays) > 64:  # the lists change rarely: an old one is not worth keeping
                self._overlays.clear()
            validator = self._overlays[key] = Draft202012Validator(schema)
        return validator

    def errors(self, name: str, data: Any, choices: dict[str, list[str]] | None = None) -> dict[str, str]:
        """Field → Vietnamese message for every problem; empty when the data is valid."""
        if not isinstance(data, dict):
            return {"": "Dữ liệu biểu mẫu phải là một đối tượng JSON."}
        found: dict[str, str] = {}
        properties = self.schemas[name].get("properties", {})
        for key, value in data.items():
            multiline = properties.get(key, {}).get("x-widget") == "textarea"
            problem = text_problem(value, multiline=multiline) if isinstance(value, str) else None
            if problem:
                found[key] = problem
        for err in sorted(self._validator(name, choices).iter_errors(data), key=lambda e: list(e.absolute_path)):
            if err.validator in ("if", "then", "allOf"):
                continue
            field, message = _message(err)
            found.setdefault(field, message)
        return found

    def validate(self, name: str, data: Any, choices: dict[str, list[str]] | None = None) -> dict[str, Any]:
        found = self.errors(name, data, choices)
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
