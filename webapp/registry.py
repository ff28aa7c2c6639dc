"""Registry pages: search people, a person's or collective's page, CSV imports with preview and progress."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from redis import Redis
from rq import Queue

from workers import QUEUE, jobs
from workflows.domain.errors import Conflict, Invalid
from workflows.queries import registry as registry_queries
from workflows.services import registry_import

from .extensions import get_db

bp = Blueprint("registry", __name__, url_prefix="/registry")


def _reader() -> None:
    if not (current_user.reads_everything or current_user.has("unit_clerk", "unit_head")):
        abort(403)


def _importer() -> bool:
    return current_user.has("admin", "secretariat") and not current_user.has("auditor")


@bp.app_context_processor
def _registry_helpers():
    return {"reads_registry": lambda: current_user.is_authenticated and bool(
        current_user.reads_everything or current_user.has("unit_clerk", "unit_head"))}


@bp.get("/")
@login_required
def index():
    _reader()
    kind = "collective" if request.args.get("kind") == "collective" else "person"
    q = (request.args.get("q") or "").strip()
    results = registry_queries.search(get_db(), current_user.id, q, kind)
    return render_template("registry.html", results=results, q=q, kind=kind,
                           sees_imports=current_user.has("admin", "secretariat", "auditor"))


@bp.get("/persons/<int:subject_id>")
@login_required
def person(subject_id: int):
    _reader()
    return render_template("registry_subject.html", s=registry_queries.subject(get_db(), current_user.id, "person",
                                                                                 subject_id))


@bp.get("/collectives/<int:subject_id>")
@login_required
def collective(subject_id: int):
    _reader()
    return render_template("registry_subject.html", s=registry_queries.subject(get_db(), current_user.id, "collective",
                                                                                 subject_id))


@bp.route("/imports", methods=["GET", "POST"])
@login_required
def imports():
    if not current_user.has("admin", "secretariat", "auditor"):
        abort(403)
    db, status, errors = get_db(), 200, {}
    if request.method == "POST":
        if not _importer():
            abort(403)
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise Invalid("Chưa chọn tệp CSV.", {"file": "Chọn tệp CSV."})
            import_id = registry_import.upload(db, current_user.id, request.form.get("kind", ""), upload.filename,
                                               upload.read())
        except Invalid as exc:
            flash(exc.message, "error")
            status, errors = 422, exc.fields or {"": exc.message}
        else:
            return redirect(url_for("registry.import_detail", import_id=import_id))
    return render_template("registry_imports.html", imports=registry_import.imports(db, current_user.id),
                           kinds=registry_import.KINDS, columns=registry_import.COLUMNS, errors=errors,
                           can_import=_importer()), status


@bp.get("/imports/<int:import_id>")
@login_required
def import_detail(import_id: int):
    job = registry_import.preview(get_db(), current_user.id, import_id)
    return render_template("registry_import.html", job=job)


@bp.post("/imports/<int:import_id>/start")
@login_required
def import_start(import_id: int):
    if not _importer():
        abort(403)
    db = get_db()
    try:
        registry_import.start(db, current_user.id, import_id)
    except (Invalid, Conflict) as exc:
        flash(exc.message, "error")
        return redirect(url_for("registry.import_detail", import_id=import_id))
    url = current_app.config.get("REDIS_URL")
    if url:  # a worker imports it; the page polls the progress stored on the import row
        jobs.enqueue(Queue(QUEUE, connection=Redis.from_url(url)), "import_registry", import_id)
        flash("Đã bắt đầu nhập dữ liệu; trang tự cập nhật tiến độ.", "success")
    else:  # embedded mode: no worker, the import runs in this request
        result = registry_import.execute(db, import_id)
        if "error" in result:
            flash(result["error"], "error")
        else:
            flash(f"Đã nhập: thêm {result['added']}, cập nhật {result['updated']}, không đổi {result['unchanged']}.",
                  "success")
    return redirect(url_for("registry.import_detail", import_id=import_id))
