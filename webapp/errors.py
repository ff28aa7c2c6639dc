"""Error pages and JSON errors: never a bare 500 for user input, never HTML under /api/."""

from __future__ import annotations

import logging
import math

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from workflows.domain.errors import AuthFailed, Conflict, Forbidden, Invalid, NotFound, RateLimited, ServiceError

log = logging.getLogger(__name__)


class Refused(ServiceError):
    """A request the web layer will not pass on (control characters, unsafe JSON): 400 with its own message."""

    code = "bad_request"


STATUS = {NotFound: 404, Forbidden: 403, Conflict: 409, Invalid: 422, AuthFailed: 401, RateLimited: 429, Refused: 400}
HTTP_MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    401: "Chưa đăng nhập hoặc phiên đã hết hạn.",
    403: "Bạn không có quyền thực hiện thao tác này.",
    404: "Không tìm thấy.",
    405: "Phương thức không được hỗ trợ.",
    409: "Xung đột dữ liệu, vui lòng tải lại.",
    413: "Dữ liệu gửi lên quá lớn.",
    415: "Định dạng dữ liệu không được hỗ trợ.",
    422: "Dữ liệu không hợp lệ.",
    429: "Quá nhiều yêu cầu, vui lòng thử lại sau.",
    500: "Lỗi hệ thống. Vui lòng thử lại sau.",
    503: "Hệ thống đang bận, vui lòng thử lại sau.",
}
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "rate_limited",
         500: "internal_error", 503: "unavailable"}


def status_of(exc: ServiceError) -> int:
    return next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)


def retry_after_seconds(exc: RateLimited) -> str:
    """Whole seconds, rounded up: a client that waits exactly this long is heard."""
    return str(max(1, math.ceil(exc.retry_after.total_seconds())))


def json_error(status: int, message: str | None = None, fields: dict | None = None, code: str | None = None):
    body = {"error": {"code": code or CODES.get(status, "error"), "message": message or HTTP_MESSAGES.get(status, ""),
                      "fields": fields or {}}}
    return jsonify(body), status


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def register(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        status = status_of(exc)
        if wants_json():
            response, status = json_error(status, exc.message, exc.fields, exc.code)
        else:
            response = app.make_response((render_template("error.html", status=status, message=exc.message), status))
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            response.headers["Retry-After"] = retry_after_seconds(exc)
        return response, status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        if wants_json():
            return json_error(status)
        return render_template("error.html", status=status, message=HTTP_MESSAGES.get(status, exc.description)), status

    @app.errorhandler(PoolTimeout)
    def _busy(exc: PoolTimeout):
        log.warning("database pool exhausted: %s", exc)
        if wants_json():
            return json_error(503)
        return render_template("error.html", status=503, message=HTTP_MESSAGES[503]), 503

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return json_error(500)
        return render_template("error.html", status=500, message=HTTP_MESSAGES[500]), 500
