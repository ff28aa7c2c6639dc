"""The admin's failed background jobs, told in plain Vietnamese: what the job does, what went wrong, what a retry does.

An admin reads the page to decide whether to press "Thử lại" or call the operator; RQ's function names and
tracebacks stay one click away (collapsed) for the operator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

# What each job of workers/jobs.py does, and what running it again does (each is idempotent: a retry never
# repeats what an earlier run finished).
JOBS = {
    "fire_due_timers": (
        "Xử lý các mốc thời hạn đã đến: nhắc việc trước hạn, báo cấp trên khi quá hạn, chuyển bước theo quy trình",
        "Quét lại mọi mốc thời hạn đã đến mà chưa xử lý; mốc nào đã xử lý không bị xử lý lần nữa.",
    ),
    "deliver_outbox": (
        "Gửi thư điện tử thông báo cho người dùng",
        "Gửi lại các thư còn trong hàng chờ; thư đã gửi không bị gửi lần nữa.",
    ),
    "remind_quarterly_reports": (
        "Nhắc các đơn vị nộp báo cáo thi đua hằng quý",
        "Gửi những lời nhắc chưa gửi; mỗi báo cáo chỉ được nhắc một lần ở mỗi mốc.",
    ),
    "open_quarterly_reports": (
        "Mở báo cáo thi đua quý này cho các đơn vị",
        "Mở báo cáo cho đơn vị nào còn thiếu; báo cáo đã mở không bị tạo lại.",
    ),
    "sweep_rounds": (
        "Nhắc ủy viên Hội đồng bỏ phiếu và kết thúc bỏ phiếu các đợt xét đến hạn",
        "Xét lại các đợt xét đến hạn; đợt đã xử lý không bị xử lý lần nữa.",
    ),
    "send_digests": (
        "Gửi thư tổng hợp thông báo hằng ngày cho người chọn nhận theo ngày",
        "Gửi thư tổng hợp còn thiếu của hôm nay; mỗi người chỉ nhận một thư mỗi ngày.",
    ),
    "import_registry": (
        "Nhập dữ liệu khen thưởng các năm trước từ tệp CSV",
        "Nhập lại tệp nếu lần trước chưa ghi được; dữ liệu được ghi một lần, đủ cả tệp hoặc không dòng nào.",
    ),
    "resume_registry_imports": (
        "Tiếp tục các lần nhập dữ liệu bị dừng giữa chừng hoặc chưa được xử lý",
        "Xét lại các lần nhập còn treo; lần nhập đã xong không bị nhập lần nữa.",
    ),
}
UNKNOWN_JOB = ("Tác vụ nền khác của hệ thống", "Chạy lại đúng tác vụ này với cùng tham số.")

# The last line of a traceback, by what it means for the admin (first match wins).
CAUSES = [
    (re.compile(r"JobTimeoutException|timed? ?out", re.I), "Chạy quá thời gian cho phép và bị dừng."),
    (re.compile(r"Work-horse|killed|terminated|SIGKILL|signal", re.I),
     "Tiến trình xử lý bị dừng đột ngột (máy chủ khởi động lại hoặc hết bộ nhớ)."),
    (re.compile(r"SMTP|smtplib|ssl", re.I),
     "Máy chủ thư điện tử không nhận thư (sai cấu hình, mật khẩu hoặc máy chủ không trả lời)."),
    (re.compile(r"OperationalError|could not connect|connection refused|database is locked|server closed", re.I),
     "Không làm việc được với cơ sở dữ liệu (mất kết nối hoặc cơ sở dữ liệu đang bận)."),
    (re.compile(r"ConnectionError|Redis", re.I), "Mất kết nối tới hàng đợi tác vụ (Redis)."),
    (re.compile(r"Conflict|Serialization|deadlock", re.I),
     "Xung đột với một thao tác khác cùng lúc; chạy lại thường sẽ thành công."),
]
UNKNOWN_CAUSE = "Lỗi ngoài dự kiến trong chương trình; nếu chạy lại vẫn lỗi, hãy gửi phần chi tiết kỹ thuật cho bộ phận vận hành."
NOMINATION = re.compile(r"nomination(?:_id)?[\s=#:(]*(\d+)", re.I)
TIMER = re.compile(r"timer(?:_id)?[\s=#:(]*(\d+)", re.I)


@dataclass(frozen=True)
class FailedJob:
    id: str
    func: str  # RQ's dotted name, for the operator
    what: str
    retry: str
    cause: str
    last_line: str
    error: str
    ended_at: datetime | None
    enqueued_at: datetime | None
    nomination_ids: tuple[int, ...]
    timer_ids: tuple[int, ...]


def describe(job_id: str, func: str | None, error: str, ended_at: datetime | None,
             enqueued_at: datetime | None) -> FailedJob:
    func = func or ""
    what, retry = JOBS.get(func.rsplit(".", 1)[-1], UNKNOWN_JOB) if func.startswith("workers.jobs.") else UNKNOWN_JOB
    lines = error.strip().splitlines()
    last = lines[-1].strip() if lines else ""
    cause = next((text for pattern, text in CAUSES if pattern.search(last)), UNKNOWN_CAUSE) if last else \
        "Không có thông tin lỗi (tác vụ có thể đã bị dừng trước khi ghi lại lỗi)."

    def ids(pattern: re.Pattern[str]) -> tuple[int, ...]:
        return tuple(dict.fromkeys(int(m) for m in pattern.findall(error)))

    return FailedJob(id=job_id, func=func, what=what, retry=retry, cause=cause, last_line=last[:200], error=error,
                     ended_at=ended_at, enqueued_at=enqueued_at, nomination_ids=ids(NOMINATION), timer_ids=ids(TIMER))
