"""An inbox row that belongs to no single nomination (a round's ballot or tie, a decision's signature), shaped
like a nomination's task row so one inbox lists them all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from workflows.persistence.model import TaskItem


def subjectless_row(item: TaskItem, now: datetime, **fields: Any) -> dict[str, Any]:
    """The row's common fields, no nominee; ``fields`` add or override what its own subject says."""
    return {
        "id": item.id, "nomination_id": None, "round_id": item.round_id, "name": item.name, "title": item.title,
        "form": item.form, "role": item.role, "state": item.state, "nominee_name": None, "nominee_kind": None,
        "unit_id": None, "unit_name": None, "award_form": None, "award_form_name": None,
        "created_at": item.created_at, "due_at": item.due_at, "overdue": bool(item.due_at and item.due_at < now),
        "escalated": item.escalated_at is not None, "waiting": now - item.created_at,
        "claimed_by": None, "claimed_by_name": None, "claimed_at": None,  # such rows are not claimed
    } | fields
