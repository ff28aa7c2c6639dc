"""Login and logout for the web pages (sessions); the API has its own tokens."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from workflows.domain.actor import Actor
from workflows.domain.errors import AuthFailed, Conflict, Invalid, RateLimited
from workflows.domain.labels import ROLES
from workflows.services import accounts

from .errors import retry_after_seconds
from .extensions import get_db, login_manager

bp = Blueprint("auth", __name__)


# "This browser has logged in as these users before": lets the real user in past a lock that an
# attacker's guesses put on the username (see ``accounts.authenticate``). It proves only that the
# browser once knew the password, so it is signed, never a login by itself, and sent only to /login.
DEVICE_COOKIE = "vinhdanh_device"
DEVICE_LIFETIME = timedelta(days=365)  # renewed at every login
DEVICE_USERS = 5  # a shared office computer remembers its last few users
_DEVICE_SALT = "vinhdanh.known-device"


@dataclass(frozen=True)
class SessionUser(Actor):
    """What a request knows of its user, as flask-login wants it; ``get_id`` is the revocable session token."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.session_token

    @property
    def role_labels(self) -> list[str]:
        return [ROLES.get(r, r) for r in sorted(self.roles)]

    @classmethod
    def of(cls, user: Actor) -> SessionUser:
        return cls(**{f.name: getattr(user, f.name) for f in fields(user)})


def acting_user() -> SessionUser:
    """The logged-in user as the services' actor: loaded from the database for this request already,
    so a command need not read it again."""
    return current_user._get_current_object()


@login_manager.user_loader
def _load(session_token: str) -> SessionUser | None:
    user = accounts.user_for_session(get_db(), session_token)
    return SessionUser.of(user) if user else None


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: ``next`` must not become an open redirect."""
    if not target:
        return url_for("inbox.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("inbox.index")
    return target


def _device_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_DEVICE_SALT)


def known_users() -> list[int]:
    """The users whose device cookie this browser carries (none if it is missing, forged or too old)."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        ids = _device_signer().loads(raw, max_age=int(DEVICE_LIFETIME.total_seconds()))
    except BadSignature:  # includes an expired signature
        return []
    if not isinstance(ids, list):
        return []
    return [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]


def _remember_device(response: Response, user_id: int, known: list[int]) -> None:
    ids = [user_id, *(i for i in known if i != user_id)][:DEVICE_USERS]
    response.set_cookie(DEVICE_COOKIE, _device_signer().dumps(ids), max_age=int(DEVICE_LIFETIME.total_seconds()),
                        path=url_for("auth.login"), httponly=True, samesite="Lax",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    error = None
    status = 200
    headers = {}
    username = ""  # a failed attempt shows the form again with the username typed (never the password)
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        known = known_users()
        try:
            user = accounts.authenticate(get_db(), username, password, request.remote_addr or "", known)
        except RateLimited as exc:
            error, status = exc.message, 429
            if exc.retry_after is not None:
                headers["Retry-After"] = retry_after_seconds(exc)
        except AuthFailed as exc:
            error, status = exc.message, 401
        else:
            login_user(SessionUser.of(user))
            response = redirect(_safe_next(request.args.get("next")))
            _remember_device(response, user.id, known)
            return response
    return make_response(render_template("login.html", error=error, username=username[:200]), status, headers)


PASSWORD_FIELDS = [
    ("current_password", "Mật khẩu đang dùng", "current-password", None),
    ("new_password", "Mật khẩu mới", "new-password",
     f"Ít nhất {accounts.PASSWORD_MIN} ký tự, khác tên đăng nhập và mật khẩu đang dùng; nên là một cụm từ dễ nhớ."),
    ("confirm_password", "Nhập lại mật khẩu mới", "new-password", None),
]


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = request.form
        try:
            token = accounts.change_password(get_db(), acting_user(), form.get("current_password"),
                                             form.get("new_password"), form.get("confirm_password"),
                                             request.remote_addr or "", known_users())
        except Invalid as exc:
            errors, status = exc.fields or {"": exc.message}, 422
        except RateLimited as exc:
            errors, status = {"current_password": exc.message}, 429
        except Conflict as exc:
            flash(exc.message, "warning")
            return redirect(url_for("auth.password"))
        else:
            # Every other session of this user ended with the old token; this browser carries the new one.
            login_user(SessionUser.of(replace(current_user._get_current_object(), session_token=token,
                                              must_change_password=False)))
            flash("Đã đổi mật khẩu. Các phiên đăng nhập khác đã được đăng xuất.", "success")
            return redirect(url_for("inbox.index"))
    return render_template("password.html", errors=errors, fields=PASSWORD_FIELDS,
                           max_length=accounts.PASSWORD_MAX), status


# What a user with a temporary password may reach: the page to change it, and the way out.
_BEFORE_PASSWORD = frozenset({"auth.password", "auth.logout", "auth.login", "static", "health.healthz"})


@bp.before_app_request
def _password_first():
    """A temporary password leads to the page that changes it; every other page waits (the API refuses tokens)."""
    if request.endpoint in _BEFORE_PASSWORD or request.path.startswith("/api/") or not current_user.is_authenticated:
        return None
    if current_user.must_change_password:  # the page itself says why
        return redirect(url_for("auth.password"))
    return None


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # A new session token invalidates every copy of this user's session cookie, not just this browser's.
    accounts.rotate_session_token(get_db(), current_user.id)
    logout_user()
    flash("Đã đăng xuất.", "info")
    return redirect(url_for("auth.login"))
