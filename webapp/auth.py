"""Login and logout for the web pages (sessions); the API has its own tokens."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from workflows.domain.errors import AuthFailed, RateLimited
from workflows.domain.labels import ROLES
from workflows.services import accounts
from workflows.services.accounts import Principal

from .extensions import get_db, login_manager

bp = Blueprint("auth", __name__)
MAX_USERNAME = 80  # the column's length: a longer name matches nobody, and would overflow the failure log's key


def authenticate(username: str, password: str) -> Principal:
    """:func:`accounts.authenticate` for a web or API request, refusing names no account can have."""
    if len(username) > MAX_USERNAME:
        raise AuthFailed("Tên đăng nhập hoặc mật khẩu không đúng.")
    return accounts.authenticate(get_db(), username, password, request.remote_addr or "")


@dataclass(frozen=True)
class SessionUser(Principal):
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
    def of(cls, user: Principal) -> SessionUser:
        return cls(**asdict(user))


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


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    error = None
    status = 200
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        try:
            user = authenticate(username, password)
        except RateLimited as exc:
            error, status = exc.message, 429
        except AuthFailed as exc:
            error, status = exc.message, 401
        else:
            login_user(SessionUser.of(user))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", error=error), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # A new session token invalidates every copy of this user's session cookie, not just this browser's.
    accounts.rotate_session_token(get_db(), current_user.id)
    logout_user()
    flash("Đã đăng xuất.", "info")
    return redirect(url_for("auth.login"))
