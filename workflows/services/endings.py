"""What a step's end brings: the reactions to a fired timer, and the end of the route.

Called by :meth:`~workflows.services.unit_of_work.NominationStep.write`, inside the step's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from workflows import engine
from workflows.domain import clock
from workflows.engine.lint import OUTCOMES
from workflows.persistence import numbering
from workflows.persistence.model import AwardRecord, TaskItem
from workflows.projections.timers import FiredTimer
from workflows.services import notify

if TYPE_CHECKING:
    from workflows.services.unit_of_work import Instance, NominationStep


@dataclass(frozen=True)
class Issued:
    """The registered decision a dossier's award comes from (set on the instance by :mod:`.decisions`)."""

    decision_id: int
    number: str
    registered_date: date
    signed_at: datetime
    signed_by_id: int | None


def react_to_timer(step: NominationStep, instance: Instance, timer: FiredTimer, open_items: list[TaskItem]) -> None:
    """A fired timer tells people: the assignees (reminder), their superiors (escalation), the secretariat."""
    s, nom, route, now = step.session, instance.nom, instance.route, step.now
    title = route.titles.get(timer.step or "", timer.step or "")
    name = f"«{nom.nominee_name}» ({nom.unit.name})"
    watched = [i for i in open_items if i.name == timer.step]
    due = next((i.due_at for i in watched if i.due_at), timer.due_at)
    if timer.kind == "reminder":
        users = notify.assignees(s, nom, watched)
        message = f"Nhắc hạn: bước «{title}» của hồ sơ {name} đến hạn lúc {notify.local(due)}."
        action = "reminder_sent"
    elif timer.kind == "escalation":
        watched_step = route.steps.get(timer.step or "")
        roles = set(route.rules.superiors(watched_step.role)) if watched_step and watched_step.role else set()
        users = notify.with_roles(s, roles, nom.unit_id) if roles else []
        message = f"Quá hạn: bước «{title}» của hồ sơ {name} đã quá hạn từ {notify.local(timer.due_at)}."
        action = "escalated"
        for item in watched:
            item.escalated_at = now
    elif timer.kind == "window":
        users = notify.with_roles(s, {"secretariat"}, nom.unit_id)
        message = f"Hết thời gian công khai hồ sơ {name} mà không có ý kiến phản ánh; chuyển Hội đồng bỏ phiếu."
        action = "disclosure_ended"
    else:
        users, message, action = [], "", "timer_fired"
    if users:
        notify.send(s, step.db.settings, users, nom, timer.kind, message, now)
    step.record(instance, action, actor=None, task=timer.step or timer.name,
                changes={"recipients": [None, sorted(u.username for u in users)]} if users else None)


def finish(step: NominationStep, instance: Instance, end: str) -> None:
    """The route reached an end: the nomination's state, and for an award its number and registry row."""
    if end not in OUTCOMES:
        raise RuntimeError(f"route ended with unknown outcome {end!r}")
    nom, now = instance.nom, step.now
    where = engine.ending_task(instance.workflow)
    old_state, nom.state = nom.state, end
    changes: dict[str, Any] = {"state": [old_state, end]}
    if end == "awarded":
        issued = instance.issued
        record = AwardRecord(nomination_id=nom.id, award_form=nom.award_form, nominee_name=nom.nominee_name,
                             nominee_kind=nom.nominee_kind, unit_id=nom.unit_id, year=nom.year)
        if issued is not None:  # one decision for many dossiers: its registered number and date, its signer
            record.decision_number, record.decision_id, record.decision_date = (issued.number, issued.decision_id,
                                                                                issued.registered_date)
            record.decided_at, record.signed_by_id = issued.signed_at, issued.signed_by_id
            changes["decision_date"] = [None, issued.registered_date.isoformat()]
        else:  # a route signed per dossier (versions before batch decisions): a number from the counter now
            year = now.astimezone(clock.VN_TZ).year
            record.decision_number = numbering.next_decision_number(step.session, year, step.db.settings.org_code)
            record.decided_at, record.signed_by_id = now, step.actor.id if step.actor else None
        nom.decision_number = record.decision_number
        step.session.add(record)
        changes["decision_number"] = [None, nom.decision_number]
        step.record(instance, "decision_issued", actor=None, task=where, changes=changes)
    elif end == "submitted":
        step.record(instance, "submitted_above", actor=None, task=where, changes=changes)
