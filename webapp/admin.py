"""Admin pages: the working-day calendar and the background jobs that failed."""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from redis import Redis
from rq import Queue
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job

from workers import QUEUE
from workflows.domain import clock, forms
from workflows.domain.errors import Conflict, Invalid
from workflows.services import admin

from . import jobs_view
from .extensions import get_db
from .params import ascii_int

bp = Blueprint("admin", __name__, url_prefix="/admin")
# RQ raises ValueError for any other id: such an id names no job, so it is "not found", not a 500.
JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,200}")


@bp.before_request
@login_required
def _admins_only():
    if not current_user.can_administer():
        abort(403)


@bp.get("/calendar")
def calendar():
    year = ascii_int(request.args.get("year")) or clock.now().astimezone(clock.VN_TZ).year
    if not admin.FIRST_YEAR <= year <= admin.LAST_YEAR:
        year = clock.now().astimezone(clock.VN_TZ).year
    return render_template("admin_calendar.html", year=year, cal=admin.calendar_year(get_db(), year),
                           kinds=admin.KIND_HINTS)


def _report(done: str, moved: admin.Recomputed) -> None:
    """Say what the change did to running deadlines, and which dossiers kept their old ones."""
    if moved.nominations:
        done += f" Đã dời hạn của {len(moved.nominations)} hồ sơ đang xử lý theo lịch mới."
    flash(done, "success")
    if moved.failed:
        flash("Không tính lại được hạn của hồ sơ số " + ", ".join(map(str, moved.failed))
              + "; các hồ sơ này giữ hạn cũ. Báo cho bộ phận kỹ thuật (chi tiết trong nhật ký máy chủ).", "warning")


@bp.post("/calendar")
def add_calendar_day():
    try:
        day = date.fromisoformat(request.form.get("day", ""))
    except ValueError:
        flash("Ngày không hợp lệ (định dạng YYYY-MM-DD).", "error")
        return redirect(url_for("admin.calendar"))
    note = request.form.get("note", "")
    problem = forms.text_problem(note, multiline=False)
    if problem:
        flash(f"Ghi chú: {problem}", "error")
        return redirect(url_for("admin.calendar", year=day.year))
    try:
        moved = admin.add_calendar_day(get_db(), current_user.id, day, request.form.get("kind", ""), note)
    except (Invalid, Conflict) as exc:
        flash(exc.message, "error")
    else:
        _report(f"Đã thêm ngày {day:%d/%m/%Y} vào lịch.", moved)
    return redirect(url_for("admin.calendar", year=day.year))


@bp.post("/calendar/<day>/delete")
def remove_calendar_day(day: str):
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        abort(404)
    moved = admin.remove_calendar_day(get_db(), current_user.id, parsed)
    _report(f"Đã xóa điều chỉnh ngày {parsed:%d/%m/%Y}.", moved)
    return redirect(url_for("admin.calendar", year=parsed.year))


def _queue():

    url = current_app.config.get("REDIS_URL")
    if not url:
        return None

    return Queue(QUEUE, connection=Redis.from_url(url))


@bp.get("/jobs")
def jobs():
    queue = _queue()
    failed = []
    if queue is not None:
        ids = queue.failed_job_registry.get_job_ids(0, 199, desc=True)
        for job in Job.fetch_many(ids, connection=queue.connection):
            if job is None:
                continue
            result = job.latest_result()
            failed.append(jobs_view.describe(job.id, job.func_name, (result.exc_string if result else "") or "",
                                             job.ended_at, job.enqueued_at))
    return render_template("admin_jobs.html", enabled=queue is not None, failed=failed)


@bp.post("/jobs/<job_id>/retry")
def retry_job(job_id: str):
    queue = _queue()
    if queue is None:
        abort(404)
    try:
        if not JOB_ID.fullmatch(job_id):
            raise NoSuchJobError(job_id)
        queue.failed_job_registry.requeue(job_id)
    except (NoSuchJobError, InvalidJobOperation):
        flash("Không tìm thấy tác vụ lỗi này (có thể đã được chạy lại).", "warning")
    else:
        flash("Đã đưa tác vụ vào hàng đợi: hệ thống sẽ chạy lại trong giây lát.", "success")
    return redirect(url_for("admin.jobs"))
