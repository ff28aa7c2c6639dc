"""Admin pages for the reference data and the accounts: fields, units, emulation blocks and clusters, users.

Admins change; auditors read the same pages without their forms; anyone else gets 403. A refused
change (422 validation, 409 a stale version) answers on the same page, in Vietnamese, with the
admin's input kept. A temporary password is shown once in the response, never put in the session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user

from workflows.domain import clock
from workflows.domain.errors import Conflict, Invalid
from workflows.domain.labels import ROLES
from workflows.queries import reference as queries
from workflows.services import reference, users

from .auth import SessionUser
from .errors import status_of
from .extensions import get_db
from .params import ascii_int

bp = Blueprint("admin_reference", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _readers_only():
    if not queries.may_read(current_user):
        abort(403)
    if request.method == "POST" and not current_user.can_administer():
        abort(403)  # auditors read, never change


def _int(name: str) -> Any:
    """A form's integer; a non-number is handed on as it came, for the service to refuse by name."""
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    value = ascii_int(raw)
    return value if value is not None else raw


def _id(name: str) -> int | None:
    return ascii_int(request.form.get(name, "").strip())


def _active() -> bool:
    return request.form.get("active") == "1"


def _year() -> int:
    year = ascii_int(request.args.get("year") or request.form.get("year"))
    return year if year and 2000 <= year <= 2100 else clock.now().astimezone(clock.VN_TZ).year


def _changed(change: Callable[[], Any], done: str, again: Callable[..., Any], target: str, **target_args):
    """Run the change; on success say so and go back to the list, else answer the same page with the reason."""
    try:
        change()
    except (Invalid, Conflict) as exc:
        return again(error=exc.message, errors=exc.fields or {}, form=request.form), status_of(exc)
    flash(done, "success")
    return redirect(url_for(target, **target_args))


# --- fields -------------------------------------------------------------------------------------

def _fields_page(**extra):
    return render_template("admin_fields.html", fields=queries.fields(get_db(), current_user.id),
                           can_edit=current_user.can_administer(), **({"errors": {}, "form": {}} | extra))


@bp.get("/fields")
def fields():
    return _fields_page()


@bp.post("/fields")
def create_field():
    name = request.form.get("name", "")
    return _changed(lambda: reference.create_field(get_db(), current_user.id, name, _int("sort_order")),
                    f"Đã thêm lĩnh vực “{name.strip()}”.", _fields_page, "admin_reference.fields")


@bp.post("/fields/<int:field_id>")
def update_field(field_id: int):
    return _changed(lambda: reference.update_field(get_db(), current_user.id, field_id, _id("version"),
                                                   name=request.form.get("name", ""), sort_order=_int("sort_order"),
                                                   active=_active()),
                    "Đã lưu lĩnh vực.", _fields_page, "admin_reference.fields")


# --- units --------------------------------------------------------------------------------------

def _units_page(**extra):
    db = get_db()
    return render_template("admin_units.html", units=queries.units(db, current_user.id),
                           clusters=queries.clusters(db, current_user.id, _year()),
                           can_edit=current_user.can_administer(), **({"errors": {}, "form": {}} | extra))


@bp.get("/units")
def units():
    return _units_page()


@bp.post("/units")
def create_unit():
    code = request.form.get("code", "")
    return _changed(lambda: reference.create_unit(get_db(), current_user.id, code, request.form.get("name", ""),
                                                  _id("cluster_id"), request.form.get("is_ministry_office") == "1"),
                    f"Đã thêm đơn vị {code.strip().upper()}.", _units_page, "admin_reference.units")


@bp.post("/units/<int:unit_id>")
def update_unit(unit_id: int):
    return _changed(lambda: reference.update_unit(get_db(), current_user.id, unit_id, _id("version"),
                                                  name=request.form.get("name", ""), cluster_id=_id("cluster_id"),
                                                  active=_active()),
                    "Đã lưu đơn vị.", _units_page, "admin_reference.units")


# --- blocks and clusters ------------------------------------------------------------------------

def _clusters_page(**extra):
    db, year = get_db(), _year()
    return render_template("admin_clusters.html", year=year, blocks=queries.blocks(db, current_user.id),
                           clusters=queries.clusters(db, current_user.id, year),
                           can_edit=current_user.can_administer(), **({"errors": {}, "form": {}} | extra))


@bp.get("/clusters")
def clusters():
    return _clusters_page()


@bp.post("/blocks")
def create_block():
    return _changed(lambda: reference.create_block(get_db(), current_user.id, request.form.get("code", ""),
                                                   request.form.get("name", ""), _int("sort_order")),
                    "Đã thêm khối thi đua.", _clusters_page, "admin_reference.clusters")


@bp.post("/blocks/<int:block_id>")
def update_block(block_id: int):
    return _changed(lambda: reference.update_block(get_db(), current_user.id, block_id, _id("version"),
                                                   name=request.form.get("name", ""), sort_order=_int("sort_order"),
                                                   active=_active()),
                    "Đã lưu khối thi đua.", _clusters_page, "admin_reference.clusters")


@bp.post("/clusters")
def create_cluster():
    return _changed(lambda: reference.create_cluster(get_db(), current_user.id, request.form.get("code", ""),
                                                     request.form.get("name", ""), _id("block_id"), _int("sort_order")),
                    "Đã thêm cụm thi đua.", _clusters_page, "admin_reference.clusters")


@bp.post("/clusters/<int:cluster_id>")
def update_cluster(cluster_id: int):
    return _changed(lambda: reference.update_cluster(get_db(), current_user.id, cluster_id, _id("version"),
                                                     name=request.form.get("name", ""), block_id=_id("block_id"),
                                                     sort_order=_int("sort_order"), active=_active()),
                    "Đã lưu cụm thi đua.", _clusters_page, "admin_reference.clusters")


@bp.post("/clusters/<int:cluster_id>/leader")
def set_leader(cluster_id: int):
    year = _year()
    return _changed(lambda: reference.set_cluster_leader(get_db(), current_user.id, cluster_id, _id("version"), year,
                                                         _id("unit_id")),
                    f"Đã lưu đơn vị dẫn đầu cụm năm {year}.", _clusters_page, "admin_reference.clusters", year=year)


# --- users --------------------------------------------------------------------------------------

@bp.get("/users")
def list_users():
    db = get_db()
    unit_id, role = ascii_int(request.args.get("unit")), request.args.get("role") or None
    state = request.args.get("active", "")
    active = {"1": True, "0": False}.get(state)
    q = request.args.get("q", "")[:100]
    found = queries.users(db, current_user.id, q=q, unit_id=unit_id, role=role if role in ROLES else None, active=active)
    return render_template("admin_users.html", users=found, units=queries.units(db, current_user.id), roles=ROLES,
                           filters={"q": q, "unit": unit_id, "role": role, "active": state}, limit=queries.USER_PAGE,
                           can_edit=current_user.can_administer())


def _user_page(subject: dict[str, Any] | None, status: int = 200, **extra):
    db = get_db()
    page = render_template("admin_user.html", subject=subject, units=queries.units(db, current_user.id), roles=ROLES,
                           can_edit=current_user.can_administer(), **({"errors": {}, "form": {}} | extra))
    return page, status


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    if request.method == "GET":
        return _user_page(None)
    try:
        uid, password = users.create_user(get_db(), current_user.id, username=request.form.get("username", ""),
                                          full_name=request.form.get("full_name", ""), unit_id=_id("unit_id"),
                                          roles=request.form.getlist("roles"), email=request.form.get("email", ""))
    except (Invalid, Conflict) as exc:
        return _user_page(None, status_of(exc), error=exc.message, errors=exc.fields or {}, form=request.form)
    subject = queries.user(get_db(), current_user.id, uid)
    return _user_page(subject, 201, done=f"Đã tạo tài khoản {subject['username']}.", temporary_password=password)


# One rule for both methods: two rules on one ``<int:>`` path answer an out-of-range id with 405, not 404.
@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int):
    if request.method == "POST":
        return _update_user(user_id)
    return _user_page(queries.user(get_db(), current_user.id, user_id))


def _after_own_change(user_id: int) -> None:
    """Changing one's own account ended one's own session too: carry on in this browser as the account now is."""
    if user_id == current_user.id:
        me = queries.actor(get_db(), user_id)
        if me is not None:
            login_user(SessionUser.of(me))


def _user_change(user_id: int, change: Callable[[], Any], done: str):
    db = get_db()
    try:
        result = change()
    except (Invalid, Conflict) as exc:
        return _user_page(queries.user(db, current_user.id, user_id), status_of(exc), error=exc.message,
                          errors=exc.fields or {}, form=request.form)
    _after_own_change(user_id)
    if isinstance(result, str):  # a new temporary password: shown here, once
        return _user_page(queries.user(db, current_user.id, user_id), done=done, temporary_password=result)
    flash(done, "success")
    return redirect(url_for("admin_reference.user", user_id=user_id))


def _update_user(user_id: int):
    return _user_change(user_id, lambda: users.update_user(
        get_db(), current_user.id, user_id, _id("version"), full_name=request.form.get("full_name", ""),
        email=request.form.get("email", ""), unit_id=_id("unit_id"), active=_active()), "Đã lưu tài khoản.")


@bp.post("/users/<int:user_id>/roles")
def set_roles(user_id: int):
    return _user_change(user_id, lambda: users.set_roles(get_db(), current_user.id, user_id, _id("version"),
                                                         request.form.getlist("roles")), "Đã lưu vai trò.")


@bp.post("/users/<int:user_id>/password")
def reset_password(user_id: int):
    return _user_change(user_id, lambda: users.reset_password(get_db(), current_user.id, user_id, _id("version")),
                        "Đã đặt lại mật khẩu. Các phiên đăng nhập của tài khoản này đã kết thúc.")
