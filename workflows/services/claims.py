"""Claims on shared tasks: one user takes a task of a role (the secretariat's check, the appraisal) to work on it.

Everyone with the role still sees the task, marked with its holder; only the holder completes it until they
release it or an admin gives it to someone else. Each change is a short unit of work on the nomination: its
row is locked (the audit chain's head lives there), the task row read after the lock, the claim written by
a conditional UPDATE (``claimed_by_id IS NULL``) whose row count is the last guard, and the change audited on
the nomination's history. A task assigned to one person (a ballot) is never claimable; a completed or
cancelled task's claim no longer matters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflows.domain import clock
from workflows.domain.actor import Actor
from workflows.domain.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.persistence.db import Database
from workflows.persistence.model import TaskItem, User
from workflows.persistence.scope import load_actor
from workflows.services.unit_of_work import NominationStep

TASK_ITEMS = TaskItem.__table__


@dataclass(frozen=True)
class Claim:
    """Who holds the task now (None: nobody) and the nomination's version after the change."""

    item_id: int
    claimed_by: int | None
    claimed_at: datetime | None
    version: int


def held_message(name: str, since: datetime | None) -> str:
    when = f" (từ {since.astimezone(clock.VN_TZ).strftime('%d/%m/%Y %H:%M')})" if since else ""
    return f"Công việc đang do {name} xử lý{when}. Chỉ người đó hoặc quản trị giao lại mới xử lý được."


def check_not_held(session: Session, item: TaskItem, actor: Actor) -> None:
    """Conflict when someone else holds this task (the caller holds the nomination's lock)."""
    if item.claimed_by_id is not None and item.state == "ready" and not actor.stands_for(item.claimed_by_id, item.role):
        raise Conflict(held_message(_name(session, item.claimed_by_id), item.claimed_at))


def claim(db: Database, actor: Actor | int, item_id: int) -> Claim:
    """Take a shared task; claiming one's own claim again changes nothing."""
    with NominationStep(db, actor) as step:
        instance, item = _locked(step, item_id)
        if not step.actor.can_act(item):
            raise Forbidden("Công việc này không thuộc quyền của bạn.")
        if item.claimed_by_id == step.actor.id:
            return Claim(item.id, item.claimed_by_id, item.claimed_at, instance.nom.version)
        check_not_held(step.session, item, step.actor)
        taken = step.session.execute(
            update(TASK_ITEMS).where(TASK_ITEMS.c.id == item.id, TASK_ITEMS.c.state == "ready",
                                     TASK_ITEMS.c.claimed_by_id.is_(None))
            .values(claimed_by_id=step.actor.id, claimed_at=step.now))
        if taken.rowcount != 1:  # the nomination's lock makes this unreachable; the condition stays as the guard
            raise Conflict("Công việc vừa được người khác nhận xử lý, vui lòng tải lại.")
        step.record(instance, "claimed", role=item.role, task=item.name,
                    changes={"claimed_by": [None, step.actor.full_name]})
        outcome = step.write(instance)
        return Claim(item.id, step.actor.id, step.now, outcome.version)


def release(db: Database, actor: Actor | int, item_id: int) -> Claim:
    """Give a claimed task back to its role: its holder, or an admin."""
    with NominationStep(db, actor) as step:
        instance, item = _locked(step, item_id)
        if item.claimed_by_id is None:
            return Claim(item.id, None, None, instance.nom.version)
        holder = _name(step.session, item.claimed_by_id)
        if item.claimed_by_id != step.actor.id and not step.actor.can_administer():
            raise Forbidden(f"Chỉ người đang xử lý ({holder}) hoặc quản trị mới trả lại được công việc này.")
        _set(step, item, None)
        step.record(instance, "released", role=item.role, task=item.name, changes={"claimed_by": [holder, None]})
        return Claim(item.id, None, None, step.write(instance).version)


def assign(db: Database, actor: Actor | int, item_id: int, user_id: object) -> Claim:
    """An admin gives a shared task to another user who holds its role (in its unit, for a unit's role)."""
    with NominationStep(db, actor) as step:
        if not step.actor.can_administer():
            raise Forbidden("Chỉ quản trị được giao lại công việc.")
        if isinstance(user_id, bool) or not isinstance(user_id, int):
            raise Invalid("Cần chọn người nhận công việc.", {"user_id": "Phải là mã số người dùng."})
        instance, item = _locked(step, item_id)
        try:
            target = load_actor(step.session, user_id)
        except Forbidden as exc:
            raise Invalid("Không tìm thấy người dùng đang hoạt động này.", {"user_id": "Người dùng không hợp lệ."}) from exc
        if not target.can_act(item):
            raise Invalid(f"{target.full_name} không có vai trò của công việc này (trong đơn vị của hồ sơ).",
                          {"user_id": "Người này không xử lý được công việc này."})
        if item.claimed_by_id == target.id:
            return Claim(item.id, target.id, item.claimed_at, instance.nom.version)
        before = _name(step.session, item.claimed_by_id) if item.claimed_by_id is not None else None
        _set(step, item, target.id)
        step.record(instance, "reassigned", role=item.role, task=item.name,
                    changes={"claimed_by": [before, target.full_name]})
        return Claim(item.id, target.id, step.now, step.write(instance).version)


def _locked(step: NominationStep, item_id: int):
    """The task's nomination locked (without its workflow: a claim moves no step), then the row read under the lock."""
    nomination_id = step.session.scalar(select(TaskItem.nomination_id).where(TaskItem.id == item_id))
    if nomination_id is None:
        if step.session.get(TaskItem, item_id) is None:
            raise NotFound("Không tìm thấy công việc.")
        raise Invalid("Chỉ công việc của một hồ sơ mới nhận xử lý được.")
    instance = step.lock(nomination_id, workflow=False)
    item = step.session.get(TaskItem, item_id, populate_existing=True)
    if item.assignee_id is not None:
        raise Invalid("Công việc này được giao riêng cho một người, không cần nhận xử lý.")
    if item.state != "ready":
        raise Conflict("Công việc đã được xử lý.")
    return instance, item


def _set(step: NominationStep, item: TaskItem, holder: int | None) -> None:
    step.session.execute(update(TASK_ITEMS).where(TASK_ITEMS.c.id == item.id)
                         .values(claimed_by_id=holder, claimed_at=step.now if holder is not None else None))


def _name(session: Session, user_id: int) -> str:
    return session.scalar(select(User.full_name).where(User.id == user_id)) or "người khác"
