"""Turn an HTML form submission into the JSON a form's schema validates."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict


def from_html(schema: dict[str, Any], form: MultiDict, prefix: str = "") -> dict[str, Any]:
    """Only the schema's own fields; empty choices and numbers are left out, not sent as "".

    An object property's fields are named ``parent.child`` (a ballot's ``votes.12`` radios become
    ``{"votes": {"12": "agree"}}``); the object is always sent, so its missing members are reported.
    """
    data: dict[str, Any] = {}
    for key, prop in schema.get("properties", {}).items():
        name = prefix + key
        if prop.get("type") == "object" and "properties" in prop:
            data[key] = from_html(prop, form, f"{name}.")
            continue
        if name not in form:
            continue
        raw = form.get(name, "")
        if prop.get("type") == "integer":
            raw = raw.strip()
            if raw:
                try:
                    data[key] = int(raw)
                except ValueError:
                    data[key] = raw  # the schema reports the type error in Vietnamese
        elif "oneOf" in prop or "x-source" in prop:
            if raw:
                data[key] = raw
        else:
            data[key] = raw
    return data
