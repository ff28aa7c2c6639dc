"""Where is my dossier: its route as steps, done (who, when), current (who holds it, since when) and next.

The main path is the route's declared steps in document order, then the waits for a message,
less what this dossier's award form skips (the public disclosure for forms not published, the
council for forms without a vote, the outside result for forms decided in the ministry). A return
for supplementation is a loop: it is shown as a marker on the step that returned the dossier (how
many times, the last reason), never as repeated steps. The council's progress is a count of members
who voted, never who voted how.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import engine
from workflows.domain.labels import ROLES, STATES
from workflows.engine.contract import OUTSIDE_RESULT
from workflows.persistence.model import AuditEvent, Nomination, TaskItem, Unit, User

# What the system records on a step without anyone doing it: not the step's completion.
NOT_DONE_BY = frozenset({"reminder_sent", "escalated", "timer_fired", "deadline_moved", "attachment_added",
                         "round_joined", "decision_drafted", "decision_sent", "decision_cancelled"})
ENDS = {"awarded", "rejected", "withdrawn", "submitted"}


def main_path(route: engine.Route, flags: dict[str, bool]) -> list[tuple[str, str, str | None]]:
    """(id, title, hook) of the route's steps this award form goes through, in order."""
    windows = {t.watches for t in route.contract.timers.values() if t.kind == "window"}
    path = []
    for step in route.steps.values():
        if step.id in windows and not flags.get("needs_disclosure", True):
            continue
        if step.hook in ("ballot", "round") and not flags.get("needs_vote", True):
            continue
        path.append((step.id, step.title, step.hook))
    for wait in route.contract.waits.values():
        if wait.message == OUTSIDE_RESULT and not flags.get("above_ministry", True):
            continue
        path.append((wait.id, wait.title, "wait"))
    return path


def build(s: Session, route: engine.Route, nom: Nomination, open_items: list[TaskItem], now: datetime,
          council_round: dict[str, Any] | None = None, ballot_progress: dict[str, int] | None = None) -> dict[str, Any]:
    """The stepper's data for the nomination page (``council_round``/``ballot_progress`` as the page computed them)."""
    flags = route.rules.routing_flags(nom.award_form, route.rules.date_for(nom.created_at, nom.submitted_at, now))
    path = main_path(route, flags)
    events = s.execute(select(AuditEvent.task, AuditEvent.action, AuditEvent.at, AuditEvent.comment, User.full_name)
                       .outerjoin(User, User.id == AuditEvent.actor_id)
                       .where(AuditEvent.nomination_id == nom.id).order_by(AuditEvent.seq)).all()
    returns = {step.id: step.returns for step in route.steps.values() if step.returns}
    last_done: dict[str, Any] = {}
    returned: dict[str, dict[str, Any]] = {}
    for event in events:
        if not event.task or event.action in NOT_DONE_BY:
            continue
        if returns.get(event.task) == event.action:
            marker = returned.setdefault(event.task, {"count": 0})
            marker.update(count=marker["count"] + 1, at=event.at, who=event.full_name, reason=event.comment)
        last_done[event.task] = event
    open_by_step: dict[str, list[TaskItem]] = {}
    for item in open_items:
        open_by_step.setdefault(item.name, []).append(item)
    current_ids = set(open_by_step)
    waits = route.contract.waits
    if not current_ids and nom.current_step in waits:  # waiting for a message (the outside result): no task row
        current_ids = {nom.current_step}
    ids = [sid for sid, _title, _hook in path]
    for sid in current_ids - set(ids):  # a step off the main path holds the dossier: show it where it is
        ids.append(sid)
        path.append((sid, route.titles.get(sid, sid), route.steps[sid].hook if sid in route.steps else None))
    first_current = min((ids.index(c) for c in current_ids), default=None)
    ended = nom.state in ENDS and not current_ids
    holders = _holders(s, open_items)
    steps = []
    for index, (sid, title, hook) in enumerate(path):
        if sid in current_ids:
            status = "current"
        elif ended or (first_current is not None and index < first_current):
            status = "done" if sid in last_done else "skipped"
        else:
            status = "next"
        if status == "skipped":
            continue
        entry: dict[str, Any] = {"id": sid, "title": title, "status": status, "returned": returned.get(sid)}
        if status == "done":
            event = last_done[sid]
            entry |= {"who": event.full_name, "at": event.at}
        elif status == "current":
            entry |= _current(sid, hook, open_by_step.get(sid, []), holders, nom, council_round, ballot_progress)
            if sid in waits and waits[sid].role:
                entry["holder"] = ROLES.get(waits[sid].role, waits[sid].role)
        steps.append(entry)
    result = None
    if ended:
        result = {"state": nom.state, "label": STATES.get(nom.state, nom.state), "decision_number": nom.decision_number}
    return {"steps": steps, "ended": ended, "result": result, "return_count": nom.return_count,
            "returned_now": bool(nom.return_count and any(s["status"] == "current" and route.steps.get(s["id"])
                                                          and route.steps[s["id"]].hook == "dossier" for s in steps))}


def _current(sid: str, hook: str | None, items: list[TaskItem], holders: dict[str, Any], nom: Nomination,
             council_round: dict[str, Any] | None, ballot_progress: dict[str, int] | None) -> dict[str, Any]:
    """Who holds the current step and since when, or the council's count."""
    since = min((i.created_at for i in items), default=nom.updated_at)
    entry: dict[str, Any] = {"since": since}
    if hook == "round":
        if council_round is not None:
            entry["progress"] = f"Hội đồng: {council_round['voted']}/{council_round['members_called'] or 0} ủy viên đã bỏ phiếu"
            entry["holder"] = f"Đợt xét «{council_round['title']}»"
        else:
            entry["holder"] = "Bộ phận TĐKT (chờ đưa vào đợt xét của Hội đồng)"
        return entry
    if hook == "ballot" and ballot_progress is not None:
        entry["progress"] = f"Hội đồng: {ballot_progress['voted']}/{ballot_progress['members']} ủy viên đã bỏ phiếu"
        entry["holder"] = ROLES["council_member"]
        return entry
    if not items:
        return entry
    item = items[0]
    claimed = holders["claims"].get(item.id)
    if claimed:
        entry["claimed_by_name"] = claimed
    if item.assignee_id is not None:
        entry["holder"] = holders["names"].get(item.assignee_id)
    else:
        role = ROLES.get(item.role, item.role)
        unit = holders["units"].get(item.unit_id) if item.unit_id is not None else None
        entry["holder"] = f"{role} — {unit}" if unit else role
    return entry


def _holders(s: Session, items: list[TaskItem]) -> dict[str, Any]:
    """Names of assignees and claimers, and unit names, of the open rows, in one read each."""
    claims = {i.id: getattr(i, "claimed_by_id", None) for i in items}  # task claims, where rows carry them
    user_ids = {i.assignee_id for i in items if i.assignee_id} | {c for c in claims.values() if c}
    names = dict(s.execute(select(User.id, User.full_name).where(User.id.in_(user_ids))).all()) if user_ids else {}
    unit_ids = {i.unit_id for i in items if i.unit_id}
    units = dict(s.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all()) if unit_ids else {}
    return {"names": names, "units": units,
            "claims": {item_id: names.get(user) for item_id, user in claims.items() if user}}
