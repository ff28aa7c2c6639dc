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


def registry_subject(form: MultiDict) -> tuple[dict[str, Any], dict[str, str]]:
    """Whom a new dossier names in the registry: ``registry_subject`` is ``p:<id>``, ``c:<id>``, ``new`` (a person
    typed in, with ``new_person.birth_date`` as dd/mm/yyyy and ``new_person.staff_id``) or empty (by name only).
    Returns the service's keys and the raw values to show the form again."""
    raw = {k: form.get(k, "").strip() for k in ("registry_subject", "new_person.birth_date", "new_person.staff_id")}
    choice = raw["registry_subject"]
    if choice.startswith("p:"):
        return {"person_id": choice[2:]}, raw
    if choice.startswith("c:"):
        return {"collective_id": choice[2:]}, raw
    if choice == "new":
        return {"new_person": {"birth_date": _iso_day(raw["new_person.birth_date"]),
                               "staff_id": raw["new_person.staff_id"]}}, raw
    return {}, raw


def _iso_day(text: str) -> str:
    """dd/mm/yyyy as pages write dates, to ISO (anything else is passed on for the service to refuse)."""
    parts = text.split("/")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        day, month, year = parts
        return f"{year.zfill(4)}-{month.zfill(2)}-{day.zfill(2)}"
    return text
