"""What the inbox's bulk form offers: which rows may be ticked, which decisions, and the rows' names for its report.

A row is selectable when it is a nomination's review step whose form decides ``approve`` or ``return``, and nobody
else holds it. Each task is still validated against its own form when completed (:mod:`workflows.services.bulk`):
this only keeps the form from offering what cannot work.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from workflows.domain.labels import ACTIONS, task_buttons
from workflows.persistence import versions
from workflows.persistence.db import Database
from workflows.persistence.model import Nomination, TaskItem
from workflows.persistence.scope import load_actor, visible_filter

BULK_DECISIONS = ("approve", "return")  # never the irreversible ones (withdraw, reject) many at a time


def options(db: Database, user_id: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """``{"selectable": {task ids}, "choices": [{"decision", "label"}], "step": title if one step}`` for the inbox's
    rows (each carries its nomination's ``process_model_id``)."""
    candidates = [r for r in rows if r.get("nomination_id") is not None and r.get("claimed_by") in (None, user_id)]
    out: dict[str, Any] = {"selectable": set(), "choices": [], "step": None}
    if not candidates:
        return out
    with db.read() as s:
        offered: dict[str, dict[str, str]] = {}  # step -> decision -> label
        routes: dict[int, Any] = {}  # a page's tasks run on one or two versions: one lookup each, not one a row
        for row in candidates:
            version = row["process_model_id"]
            if version not in routes:
                routes[version] = versions.route_for(s, version)
            route = routes[version]
            step = route.steps.get(row["name"])
            if step is None or step.hook != "review":
                continue
            labels = offered.get(row["name"])
            if labels is None:
                buttons = task_buttons(row["name"], row["form"], route.forms.schema(row["form"]))
                labels = offered[row["name"]] = {b["decision"]: b["label"] for b in buttons
                                                 if b["decision"] in BULK_DECISIONS}
            if labels:
                out["selectable"].add(row["id"])
    steps = {r["name"]: r["title"] for r in candidates if r["id"] in out["selectable"]}
    decisions = [d for d in BULK_DECISIONS if any(d in offered[name] for name in steps)]
    one = next(iter(steps)) if len(steps) == 1 else None
    out["step"] = steps[one] if one else None
    out["choices"] = [{"decision": d, "label": offered[one][d] if one else ACTIONS[d]} for d in decisions]
    return out


def labels(db: Database, user_id: int, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Nominee and step of each task the user may see (the others stay unnamed in the report)."""
    with db.read() as s:
        user = load_actor(s, user_id)
        found = s.execute(select(TaskItem.id, TaskItem.title, TaskItem.nomination_id, Nomination.nominee_name)
                          .join(Nomination, TaskItem.nomination_id == Nomination.id)
                          .where(TaskItem.id.in_(ids), visible_filter(user))).all()
    return {i: {"title": title, "nomination_id": nid, "nominee_name": name} for i, title, nid, name in found}
