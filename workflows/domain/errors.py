"""Domain errors. Entry points map each to an HTTP status and a Vietnamese message."""

from __future__ import annotations

from datetime import timedelta


class ServiceError(Exception):
    code = "error"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(ServiceError):
    """Unknown, or outside the user's scope (the two are not distinguished)."""

    code = "not_found"


class Forbidden(ServiceError):
    """In scope, but not this user's role or task."""

    code = "forbidden"


class Conflict(ServiceError):
    """The task is no longer ready, or the caller's version is stale."""

    code = "conflict"


class PasswordChangeRequired(Forbidden):
    """The account still has the temporary password an admin handed over."""

    code = "password_change_required"


class Invalid(ServiceError):
    """Field errors: nothing was changed."""

    code = "invalid"


class AuthFailed(ServiceError):
    code = "unauthorized"


class RateLimited(ServiceError):
    """Too many failures; ``retry_after`` is how long until the next attempt is heard (for ``Retry-After``)."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: timedelta | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
