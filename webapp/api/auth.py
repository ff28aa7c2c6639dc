"""Bearer-token authentication for the API (the session cookie is never accepted here)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import g, request

from workflows.domain.actor import Actor
from workflows.domain.errors import AuthFailed
from workflows.services import accounts

from ..extensions import get_db


def token_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthFailed("Thiếu mã truy cập (Authorization: Bearer).")
        user = accounts.user_for_token(get_db(), token.strip())
        if user is None:
            raise AuthFailed("Mã truy cập không hợp lệ hoặc đã hết hạn.")
        g.api_user = user
        return view(*args, **kwargs)

    return wrapper


def api_user() -> Actor:
    return g.api_user
