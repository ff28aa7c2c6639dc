"""What a request may carry before any view reads it: query strings and JSON bodies.

PostgreSQL refuses NUL in text and any string that cannot be encoded as UTF-8 (an unpaired
surrogate, which JSON's ``\\ud800`` escape produces); line breaks in a query value end up in
``Location`` headers; and deeply nested JSON exhausts the interpreter's stack in the parser or in
the schema validator. All of that is refused here, once, for every route.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, Request, request
from flask.json.provider import DefaultJSONProvider

from .errors import Refused

# C0 controls (tab included) and DEL: no search term, filter or ``next`` target has one.
QUERY_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
SURROGATE = re.compile(r"[\ud800-\udfff]")
MAX_JSON_DEPTH = 32  # the API's deepest body is {"data": {...}}

QUERY_REFUSED = "Tham số truy vấn chứa ký tự không hợp lệ."
TOO_DEEP = "Dữ liệu JSON lồng nhau quá sâu."
BAD_UNICODE = "Dữ liệu chứa ký tự Unicode không hợp lệ (nửa cặp surrogate)."
NOT_JSON = "Dữ liệu JSON không hợp lệ."


class UnsafeJSON(ValueError):
    """Well-formed JSON this application refuses to hold; the message is for the client."""


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def check_json(value: Any) -> None:
    """Raise :class:`UnsafeJSON` for nesting beyond :data:`MAX_JSON_DEPTH` or an unpaired surrogate anywhere."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if SURROGATE.search(item):
                raise UnsafeJSON(BAD_UNICODE)
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            raise UnsafeJSON(TOO_DEEP)
        if isinstance(item, dict):
            stack.extend((key, depth) for key in item)
            stack.extend((v, depth + 1) for v in item.values())
        else:
            stack.extend((v, depth + 1) for v in item)


class SafeJSONProvider(DefaultJSONProvider):
    """Every ``request.get_json()`` parses through here: no NaN/Infinity, no stack overflow, no surrogates."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = json.loads(s, parse_constant=_no_constants, **kwargs)
        except RecursionError:
            raise UnsafeJSON(TOO_DEEP) from None
        check_json(value)
        return value


class JSONRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if isinstance(e, UnsafeJSON):
            raise Refused(str(e))
        return super().on_json_loading_failed(e)


def _refuse_control_characters_in_query() -> None:
    for key, value in request.args.items(multi=True):
        if QUERY_CONTROL.search(key) or QUERY_CONTROL.search(value):
            raise Refused(QUERY_REFUSED, {key if not QUERY_CONTROL.search(key) else "": "Ký tự không hợp lệ."})


def init_app(app: Flask) -> None:
    app.json = SafeJSONProvider(app)
    app.request_class = JSONRequest
    app.before_request(_refuse_control_characters_in_query)
