"""The admin's failed-jobs page speaks to admins: what the job does, what failed, when, for which dossier, what "Thử lại" does.

A real job really fails in a real RQ worker on real Redis; the page is read as the admin reads it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from redis import Redis
from rq import Queue, SimpleWorker

from webapp.jobs_view import UNKNOWN_CAUSE, describe
from workers import QUEUE
from workflows.persistence.db import Database

from .helpers import make_app, session_client

pytestmark = pytest.mark.redis


def lost_the_database(nomination_id: int) -> None:
    """A job that fails the way a sweep does when PostgreSQL goes away mid-run."""
    raise ConnectionRefusedError(f"OperationalError: could not connect to server (nomination {nomination_id})")


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    connection = Redis.from_url(redis_url)
    connection.flushdb()
    yield connection
    connection.flushdb()


def test_a_failed_job_is_told_in_plain_vietnamese_and_retried(db: Database, redis: Redis, redis_url: str) -> None:
    queue = Queue(QUEUE, connection=redis)
    job = queue.enqueue(lost_the_database, 42, job_id=f"test-{uuid.uuid4().hex}")
    SimpleWorker([queue], connection=redis).work(burst=True)
    assert queue.failed_job_registry.get_job_ids() == [job.id]

    app = make_app(db, REDIS_URL=redis_url)
    admin = session_client(app, db, "admin")
    page = admin.get("/admin/jobs")
    assert page.status_code == 200
    text = page.text
    assert "Không làm việc được với cơ sở dữ liệu" in text  # the cause, not the exception's name
    assert 'href="/nominations/42"' in text and "Hồ sơ #42" in text  # for which dossier
    assert re.search(r"Dừng lúc \d\d/\d\d/\d{4} \d\d:\d\d", text)  # when, dd/mm/yyyy
    assert "«Thử lại» sẽ" in text and ">Thử lại</button>" in text
    # RQ's words stay for the operator, collapsed
    details = text[text.index("<details"):text.index("</details>")]
    assert "tests.webapp.test_admin_jobs.lost_the_database" in details and "Traceback" in details
    assert "tests.webapp.test_admin_jobs" not in text[:text.index("<details")]

    answer = admin.post(f"/admin/jobs/{job.id}/retry", follow_redirects=True)
    assert answer.status_code == 200 and "hệ thống sẽ chạy lại" in answer.text
    assert queue.failed_job_registry.get_job_ids() == [] and queue.job_ids == [job.id]
    assert "Không có tác vụ nào bị lỗi" in admin.get("/admin/jobs").text
    assert "Không tìm thấy tác vụ lỗi này" in admin.post(f"/admin/jobs/{job.id}/retry", follow_redirects=True).text
    assert session_client(app, db, "auditor").get("/admin/jobs").status_code == 403
    assert not app.config["SERVED_5XX"]


@pytest.mark.parametrize(("func", "last_line", "what", "cause"), [
    ("workers.jobs.deliver_outbox", "smtplib.SMTPAuthenticationError: (535, b'bad credentials')",
     "Gửi thư điện tử", "Máy chủ thư điện tử không nhận thư"),
    ("workers.jobs.fire_due_timers", "rq.timeouts.JobTimeoutException: Task exceeded maximum timeout value (600 seconds)",
     "mốc thời hạn", "quá thời gian"),
    ("workers.jobs.sweep_rounds", "sqlalchemy.exc.OperationalError: (psycopg.OperationalError) server closed the connection",
     "bỏ phiếu", "cơ sở dữ liệu"),
    ("workers.jobs.remind_quarterly_reports", "KeyError: 'x'", "báo cáo thi đua", UNKNOWN_CAUSE),
    ("some.other.job", "ValueError: timer 7 for nomination_id=3", "Tác vụ nền khác", UNKNOWN_CAUSE),
])
def test_each_job_and_cause_has_its_words(func: str, last_line: str, what: str, cause: str) -> None:
    told = describe("j1", func, f"Traceback (most recent call last):\n  File \"x.py\"\n{last_line}\n", None, None)
    assert what.lower() in told.what.lower() and cause.lower() in told.cause.lower()
    assert told.last_line == last_line and told.retry
    if func == "some.other.job":
        assert told.nomination_ids == (3,) and told.timer_ids == (7,)


def test_every_job_the_workers_run_is_described() -> None:
    """The page speaks of each job by what it does: none falls back to "another job of the system"."""
    from webapp.jobs_view import JOBS
    from workers import jobs, scheduler

    names = {func.__name__ for func, _every in scheduler.SCHEDULE} | set(jobs.RETRIES)
    assert names - set(JOBS) == set(), names - set(JOBS)
    assert set(jobs.RETRIES) >= {func.__name__ for func, _every in scheduler.SCHEDULE}


def test_a_job_that_left_no_error_says_so() -> None:
    assert "Không có thông tin lỗi" in describe("j2", "workers.jobs.deliver_outbox", "", None, None).cause
