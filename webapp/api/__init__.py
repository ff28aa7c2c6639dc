"""JSON API ``/api/v1``: Bearer tokens only, JSON errors only."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import decisions, delegations, openapi, rounds, tasks, views  # noqa: E402, F401  (routes register on import)
