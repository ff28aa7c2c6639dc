"""What a step's end brings: the reactions to a fired timer, a wait for the outside, and the end of the route.

Called by :meth:`~workflows.services.unit_of_work.NominationStep.write`, inside the step's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from workflows import engine
from workflows.domain import clock
from workflows.engine.contract import OUTSIDE_RESULT
from workflows.engine.lint import OUTCOMES
from workflows.persistence import numbering
from workflows.persistence.model import AwardRecord, TaskItem
from workflows.projections.timers import FiredTimer
from workflows.services import notify, registry

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
    wait = route.contract.waits.get(timer.step or "")
    if timer.kind == "reminder" and wait is not None:  # a dossier waiting for a message: whoever records it follows up
        users = notify.with_roles(s, {wait.role}, nom.unit_id) if wait.role else []
        since = f" từ ngày {notify.local_date(nom.submitted_above_at)}" if nom.submitted_above_at else ""
        message = (f"Nhắc theo dõi: hồ sơ {name} đã trình cấp trên{since}, chưa có kết quả. "
                   "Khi có quyết định hoặc văn bản trả lời của cấp trên, ghi nhận kết quả trên trang hồ sơ.")
        action = "reminder_sent"
    elif timer.kind == "reminder":
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
        instance.told_what_next.update(u.id for u in users)  # this message is their news of the council's step
    else:
        users, message, action = [], "", "timer_fired"
    if users:
        notify.send(s, step.db.settings, users, nom, timer.kind, message, now)
    step.record(instance, action, actor=None, task=timer.step or timer.name,
                changes={"recipients": [None, sorted(u.username for u in users)]} if users else None)


# The state a nomination shows while it waits for a message (what the outside decides).
WAIT_STATES = {OUTSIDE_RESULT: "submitted"}


def waiting(step: NominationStep, instance: Instance, wait_id: str) -> None:
    """The route waits for a message: the nomination shows it (submitted above: since when, audited once)."""
    nom, wait = instance.nom, instance.route.contract.waits[wait_id]
    nom.current_step = wait.id
    state = WAIT_STATES.get(wait.message or "")
    if state is None or nom.state == state:
        return
    old_state, nom.state = nom.state, state
    if state == "submitted":
        nom.submitted_above_at = step.now
        step.record(instance, "submitted_above", actor=None, task=wait.id, changes={"state": [old_state, state]})


def finish(step: NominationStep, instance: Instance, end: str) -> None:
    """The route reached an end: the nomination's state, and for an award its number and registry row.

    After an outside result (``instance.delivered``) the award is the outside decision's: its number,
    date and issuer go to the registry, and the ministry's own sequence is not used.
    """
    if end not in OUTCOMES:
        raise RuntimeError(f"route ended with unknown outcome {end!r}")
    nom, now = instance.nom, step.now
    where = engine.ending_task(instance.workflow)
    old_state, nom.state = nom.state, end
    changes: dict[str, Any] = {"state": [old_state, end]}
    outside = instance.delivered.get(OUTSIDE_RESULT) if instance.delivered else None
    if outside is not None:
        _finish_outside(step, instance, end, outside, where, changes)
    elif end == "awarded":
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
            record.decision_date = now.astimezone(clock.VN_TZ).date()
        nom.decision_number = record.decision_number
        step.session.add(record)
        registry.record_issued(step.session, nom, record, instance.route.rules.level(nom.award_form, now))
        changes["decision_number"] = [None, nom.decision_number]
        step.record(instance, "decision_issued", actor=None, task=where, changes=changes)
    elif end == "submitted":  # versions whose route ends when submitted above (no outside result on record)
        nom.submitted_above_at = now
        step.record(instance, "submitted_above", actor=None, task=where, changes=changes)


def _finish_outside(step: NominationStep, instance: Instance, end: str, result: dict[str, Any], where: str | None,
                    changes: dict[str, Any]) -> None:
    """The end after the outside result: it must agree with the result (the route's gateway read it)."""
    nom, now = instance.nom, step.now
    expected = "awarded" if result["result"] == "awarded" else "rejected"
    if end != expected:  # a route whose gateway contradicts the result: refuse rather than record a wrong end
        raise RuntimeError(f"route ended {end!r} after an outside result {result['result']!r}")
    if end == "awarded":
        record = AwardRecord(nomination_id=nom.id, award_form=nom.award_form, nominee_name=nom.nominee_name,
                             nominee_kind=nom.nominee_kind, unit_id=nom.unit_id, year=nom.year,
                             decision_number=result["decision_number"], decided_at=now,
                             signed_by_id=None, issuer=result["issuer"],
                             decision_date=date.fromisoformat(result["decision_date"]))
        step.session.add(record)
        registry.record_issued(step.session, nom, record, "above")
        step.record(instance, "awarded_above", actor=None, task=where, changes=changes)
    else:
        step.record(instance, "refused_above", actor=None, task=where, changes=changes)
