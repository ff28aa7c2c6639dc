"""What an API request carries besides its path: its JSON body and its If-Match header, read strictly."""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.exceptions import BadRequest

from ..params import ascii_int


def json_body() -> Any:
    """The parsed body, None when empty; malformed JSON is a 400 (see :mod:`webapp.inputs` for the unsafe kinds)."""
    if not request.get_data():
        return None
    body = request.get_json(force=True)
    if body is None:
        raise BadRequest("a JSON null is not a body")
    return body


def json_object(allowed: set[str]) -> dict[str, Any]:
    """The body as a JSON object with only ``allowed`` keys (an empty body is an empty object)."""
    body = json_body()
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadRequest(f"unknown keys: {', '.join(unknown)}")
    return body


def if_match() -> int | None:
    """The version the client read (``If-Match: "3"``, weak or not), or None when it sent none."""
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    version = ascii_int(raw.strip().removeprefix("W/").strip('"'))
    if version is None:
        raise BadRequest("If-Match must be the nomination version")
    return version
