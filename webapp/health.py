"""``/healthz``: can this process reach the database (and Redis when configured)?"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from workflows import queries

from .extensions import get_db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    checks: dict[str, str] = {}
    timers = None
    try:
        with get_db().read() as s:
            s.execute(text("SELECT 1"))
        checks["database"] = "ok"
        timers = queries.overdue_timers(get_db())
    except Exception as exc:  # report, don't raise: this is the health endpoint
        checks["database"] = f"error: {type(exc).__name__}"
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        try:
            import redis

            redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    body = {"status": "ok" if healthy else "error", "checks": checks, "timers": timers}
    return jsonify(body), 200 if healthy else 503
