"""Bulk completion: many tasks with one form's data (approve, or return with one comment).

Each task is completed by :func:`~workflows.services.complete_task`, so each is its own locked
transaction and audit event, validated against its own step's form: one failing never undoes
another, and the caller learns every row's fate (done, conflict, error with its reason).
"""

from __future__ import annotations

from typing import Any

from workflows.domain.actor import Actor
from workflows.domain.errors import Conflict, Invalid, ServiceError
from workflows.persistence.db import Database
from workflows.persistence.scope import load_actor
from workflows.services.nominations import complete_task

MAX_TASKS = 500  # one request's worth: beyond it a client sends several


def task_ids(raw: Any) -> list[int]:
    """The ids, each once, in the order given; Invalid for anything but a non-empty list of at most MAX_TASKS ids."""
    if not isinstance(raw, list) or not raw:
        raise Invalid("Cần danh sách mã công việc.", {"task_ids": "Phải là một danh sách không rỗng."})
    if any(isinstance(i, bool) or not isinstance(i, int) or i <= 0 for i in raw):
        raise Invalid("Mã công việc phải là số nguyên dương.", {"task_ids": "Có mã không hợp lệ."})
    ids = list(dict.fromkeys(raw))
    if len(ids) > MAX_TASKS:
        raise Invalid(f"Mỗi lần xử lý tối đa {MAX_TASKS} công việc.", {"task_ids": f"Tối đa {MAX_TASKS} công việc."})
    return ids


def complete(db: Database, actor: Actor | int, raw_ids: Any, data: Any) -> list[dict[str, Any]]:
    """``[{"task_id", "status": "done" | "conflict" | "error", "error": message or None}]``, one per distinct id."""
    ids = task_ids(raw_ids)
    if not isinstance(data, dict):
        raise Invalid("'data' phải là một đối tượng JSON.", {"data": "Phải là một đối tượng."})
    if isinstance(actor, int):  # loaded once, not once per task
        with db.read() as s:
            actor = load_actor(s, actor)
    results = []
    for item_id in ids:
        try:
            complete_task(db, actor, item_id, dict(data))
        except Conflict as exc:
            results.append({"task_id": item_id, "status": "conflict", "error": exc.message})
        except ServiceError as exc:
            results.append({"task_id": item_id, "status": "error", "error": _reason(exc)})
        else:
            results.append({"task_id": item_id, "status": "done", "error": None})
    return results


def _reason(exc: ServiceError) -> str:
    """The message with its field errors, so a row says which field of its step's form refused the data."""
    details = "; ".join(v for k, v in exc.fields.items() if v and v != exc.message) if exc.fields else ""
    return f"{exc.message} ({details})" if details else exc.message
