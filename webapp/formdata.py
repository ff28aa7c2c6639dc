"""Turn an HTML form submission into the JSON a form's schema validates."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict


def from_html(schema: dict[str, Any], form: MultiDict) -> dict[str, Any]:
    """Only the schema's own fields; empty choices and numbers are left out, not sent as ""."""
    data: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        if name not in form:
            continue
        raw = form.get(name, "")
        if prop.get("type") == "integer":
            raw = raw.strip()
            if raw:
                try:
                    data[name] = int(raw)
                except ValueError:
                    data[name] = raw  # the schema reports the type error in Vietnamese
        elif "oneOf" in prop or "x-source" in prop:
            if raw:
                data[name] = raw
        else:
            data[name] = raw
    return data
