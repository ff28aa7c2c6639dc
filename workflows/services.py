"""The one way in: every state change of a nomination is a function here.

Each function is one transaction: lock the nomination, re-check that the task
is READY and the caller's, act through the engine, then write the state, the
inbox projection and the audit trail together — or change nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from . import audit, calendar, clock, deploy, engine, forms, inbox, notify, numbering, storage, timers
from .db import Database, Settings
from .errors import Conflict, Forbidden, Invalid, NotFound
from .model import (
    Attachment,
    AwardForm,
    AwardRecord,
    CouncilRule,
    InstanceState,
    Nomination,
    TaskItem,
    Timer,
    User,
    UserRole,
)
from .policy import can_act, can_attach, visible_filter
from .rules import CouncilRuleData, evaluate
from .scripting import RouteContext

MAX_RETURNS = 20
DOSSIER_FIELDS = forms.field_names("dossier")
REVIEW_FORMS = frozenset({"head_review", "secretariat_check", "appraisal", "minister_sign", "disclosure"})
TERMINAL_STATES = {"awarded", "rejected", "withdrawn", "submitted"}


@dataclass
class Outcome:
    """What a completed step did, for the caller to report."""

    nomination_id: int
    version: int
    state: str
    next_tasks: list[int] = field(default_factory=list)
    timers_fired: int = 0


# --- loading under lock --------------------------------------------------------------------

def load_actor(session: Session, actor_id: int) -> User:
    user = session.get(User, actor_id, options=[joinedload(User.role_rows)])  # one query, roles included
    if user is None or not user.active:
        raise Forbidden("Tài khoản không còn hiệu lực.")
    return user


def lock_nomination(session: Session, actor: User, *, nomination_id: int | None = None,
                    task_item_id: int | None = None) -> Nomination:
    """The nomination (given, or the one a task row belongs to), row-locked, if the actor may see it.

    Out of scope answers 404 like an unknown id, never 403.
    """
    query = select(Nomination).where(visible_filter(actor))
    if task_item_id is not None:
        query = query.join(TaskItem, TaskItem.nomination_id == Nomination.id).where(TaskItem.id == task_item_id)
    else:
        query = query.where(Nomination.id == nomination_id)
    nom = session.execute(
        query.with_for_update(of=Nomination).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if nom is None:
        raise NotFound("Không tìm thấy công việc." if task_item_id is not None else "Không tìm thấy hồ sơ.")
    return nom


def _award(session: Session, code: str, nominee_kind: str) -> AwardForm:
    award = session.get(AwardForm, code)
    if award is None:
        raise Invalid("Hình thức khen thưởng không hợp lệ.", {"award_form": "Không có hình thức khen thưởng này."})
    if award.level == "unit":
        raise Invalid(
            "Hình thức này do thủ trưởng đơn vị quyết định, không đề nghị qua quy trình cấp Bộ.",
            {"award_form": "Hình thức khen thưởng cấp đơn vị không đề nghị lên Bộ."},
        )
    if award.subject != "both" and award.subject != nominee_kind:
        who = "cá nhân" if award.subject == "individual" else "tập thể"
        raise Invalid("Đối tượng không phù hợp với hình thức khen thưởng.",
                      {"nominee_kind": f"{award.name} chỉ dành cho {who}."})
    return award


def _routing_flags(award: AwardForm) -> dict[str, Any]:
    return {"needs_vote": award.needs_vote, "needs_disclosure": award.needs_disclosure,
            "above_ministry": award.level == "above"}


def route_context(session: Session, nom: Nomination, now: datetime) -> RouteContext:
    """Deadlines for this nomination's award form on today's calendar (step days read once, lazily)."""
    days: dict[str, int] | None = None

    def days_for(step: str) -> int | None:
        nonlocal days
        if days is None:
            days = inbox.step_days(session, nom.award_form)
        return days.get(step)

    return RouteContext(now, calendar.load(session), days_for)


def _save(session: Session, nom: Nomination, workflow, now, state: InstanceState | None = None) -> None:
    payload = engine.dumps(workflow)
    if state is None:
        session.add(InstanceState(nomination_id=nom.id, serializer_version=engine.SERIALIZER_VERSION, state=payload))
    else:
        state.state = payload
        state.serializer_version = engine.SERIALIZER_VERSION
    nom.updated_at = now


def _load_workflow(session: Session, nom: Nomination, route: engine.Route, context: RouteContext):
    """The running workflow and its state row (kept, so saving does not read it again)."""
    state = session.get(InstanceState, nom.id)
    return engine.loads(route, state.state, context.script_engine()), state


# --- commands ----------------------------------------------------------------------------

def create_nomination(db: Database, actor_id: int, data: Any) -> int:
    """A unit clerk opens a dossier for their own unit; the drafting task waits pre-filled."""
    with db.write() as s:
        actor = load_actor(s, actor_id)
        if "unit_clerk" not in actor.roles:
            raise Forbidden("Chỉ cán bộ TĐKT đơn vị được lập hồ sơ đề nghị.")
        dossier = forms.validate("dossier", data)
        award = _award(s, dossier["award_form"], dossier["nominee_kind"])
        pm = deploy.latest(s)
        if pm is None:
            raise RuntimeError("no route deployed: run `flask --app webapp migrate`")
        route = deploy.route_for(s, pm.id)
        now = clock.now()
        nom = Nomination(process_model_id=pm.id, unit_id=actor.unit_id, created_by_id=actor.id,
                         state="in_progress", created_at=now, updated_at=now, return_count=0,
                         votes_agree=0, votes_disagree=0)
        for key in DOSSIER_FIELDS:
            setattr(nom, key, dossier.get(key))
        s.add(nom)
        s.flush()
        context = route_context(s, nom, now)
        workflow = engine.start(route, {**_routing_flags(award), "council_done": False, "vote_closed": False},
                                context.script_engine())
        audit.record(s, nom, at=now, actor=actor, role="unit_clerk", action="created",
                     changes={k: [None, v] for k, v in dossier.items()})
        _after_step(s, nom, route, workflow, None, context, actor, None, db.settings)
        return nom.id


def complete_task(db: Database, actor_id: int, item_id: int, data: Any, if_match: int | None = None) -> Outcome:
    # no_autoflush: every row is written once, at the end, instead of at each intermediate query.
    with db.write() as s, s.no_autoflush:
        actor = load_actor(s, actor_id)
        nom = lock_nomination(s, actor, task_item_id=item_id)
        item = s.get(TaskItem, item_id)  # first read, under the lock: sees a competitor's completion
        if not can_act(actor, item):
            raise Forbidden("Công việc này không thuộc quyền của bạn.")
        if item.state != "ready":
            raise Conflict("Công việc đã được xử lý.")
        if if_match is not None and if_match != nom.version:
            raise Conflict("Hồ sơ đã thay đổi, vui lòng tải lại.")
        route = deploy.route_for(s, nom.process_model_id)
        now = clock.now()
        context = route_context(s, nom, now)
        workflow, state = _load_workflow(s, nom, route, context)
        task = engine.find_ready_task(workflow, item.task_uuid)
        if task is None:
            raise Conflict("Công việc đã được xử lý.")
        handler = _HANDLERS.get(item.form)
        if handler is None:
            raise RuntimeError(f"no handler for form {item.form!r}")
        task_data, event, system_events = handler(s, actor, nom, item, workflow, data)
        engine.run_task(workflow, task, task_data)
        audit.record(s, nom, at=now, actor=actor, role=item.role, task=item.name, **event)
        for extra in system_events:
            audit.record(s, nom, at=now, actor=None, role=None, **extra)
        return _after_step(s, nom, route, workflow, state, context, actor, item, db.settings)


def close_vote(db: Database, actor_id: int, nomination_id: int) -> Outcome:
    """The secretariat closes the ballot so absent members cannot block it."""
    with db.write() as s, s.no_autoflush:
        actor = load_actor(s, actor_id)
        nom = lock_nomination(s, actor, nomination_id=nomination_id)
        if "secretariat" not in actor.roles:
            raise Forbidden("Chỉ bộ phận TĐKT được kết thúc bỏ phiếu.")
        route = deploy.route_for(s, nom.process_model_id)
        now = clock.now()
        context = route_context(s, nom, now)
        workflow, state = _load_workflow(s, nom, route, context)
        open_ballots = engine.ready_children_of(workflow, "council_vote")
        if not open_ballots:
            raise Conflict("Hồ sơ không ở bước bỏ phiếu.")
        result = _council_result(s, nom)
        audit.record(s, nom, at=now, actor=actor, role="secretariat", task="council_vote",
                     action="vote_closed", changes={"council_result": [None, result]})
        engine.run_task(workflow, open_ballots[0], _council_flags(result) | {"vote_closed": True})
        return _after_step(s, nom, route, workflow, state, context, actor, None, db.settings)


# --- step handlers: (session, actor, nomination, item, workflow, data)
#     -> (task data, the actor's audit event, audit events the system adds after it)

def _submit_dossier(s: Session, actor: User, nom: Nomination, item: TaskItem, workflow, data: Any):
    if not isinstance(data, dict):
        raise Invalid("Dữ liệu biểu mẫu phải là một đối tượng JSON.")
    extra = sorted(set(data) - set(DOSSIER_FIELDS))
    if extra:
        raise Invalid("Biểu mẫu có trường không hợp lệ.", {k: "Trường không thuộc biểu mẫu này." for k in extra})
    current = {k: getattr(nom, k) for k in DOSSIER_FIELDS if getattr(nom, k) is not None}
    merged = forms.validate("dossier", current | data)
    award = _award(s, merged["award_form"], merged["nominee_kind"])
    changes = {}
    for key in DOSSIER_FIELDS:
        old, new = getattr(nom, key), merged.get(key)
        if old != new:
            changes[key] = [old, new]
            setattr(nom, key, new)
    return _routing_flags(award), {"action": "submitted", "changes": changes}, []


def _review(s: Session, actor: User, nom: Nomination, item: TaskItem, workflow, data: Any):
    form = forms.validate(item.form, data)
    decision, comment = form["decision"], (form.get("comment") or "").strip() or None
    task_data: dict[str, Any] = {"decision": decision}
    changes = None
    if decision == "return":
        if nom.return_count >= MAX_RETURNS:
            raise Invalid(f"Hồ sơ đã bị trả lại {MAX_RETURNS} lần; không thể trả lại thêm.",
                          {"decision": f"Đã đạt giới hạn {MAX_RETURNS} lần trả lại."})
        changes = {"return_count": [nom.return_count, nom.return_count + 1]}
        nom.return_count += 1
    if item.name == "secretariat_check" and decision == "approve":
        task_data |= _open_ballot(s, nom, workflow)
    return task_data, {"action": decision, "comment": comment, "changes": changes}, []


def _open_ballot(s: Session, nom: Nomination, workflow) -> dict[str, Any]:
    """Snapshot the council's voting members when the dossier is accepted for a vote."""
    task_data = engine.ready_user_tasks(workflow)[0].data
    if not task_data.get("needs_vote") or task_data.get("council_done"):
        return {}
    members = list(s.scalars(
        select(User.id).join(UserRole).where(UserRole.role == "council_member", User.active.is_(True)).order_by(User.id)
    ))
    if not members:
        raise Invalid("Hội đồng Thi đua - Khen thưởng chưa có ủy viên bỏ phiếu.")
    nom.votes_agree = nom.votes_disagree = 0
    return {"council_members": members, "vote_closed": False}


def _vote(s: Session, actor: User, nom: Nomination, item: TaskItem, workflow, data: Any):
    # The choice goes into the tally only: never into task data, the inbox row or the audit event.
    choice = forms.validate("vote", data)["vote"]
    if choice == "agree":
        nom.votes_agree += 1
    else:
        nom.votes_disagree += 1
    others_open = [t for t in engine.ready_children_of(workflow, "council_vote") if str(t.id) != item.task_uuid]
    if others_open:
        return {}, {"action": "voted"}, []
    result = _council_result(s, nom)
    closing = {"task": "council_vote", "action": "council_result", "changes": {"council_result": [None, result]}}
    return _council_flags(result), {"action": "voted"}, [closing]


def _council_result(s: Session, nom: Nomination) -> dict[str, Any]:
    rule = s.scalar(
        select(CouncilRule)
        .where(CouncilRule.award_form == nom.award_form, CouncilRule.effective_from <= nom.created_at)
        .order_by(CouncilRule.effective_from.desc())
        .limit(1)
    )
    if rule is None:
        raise Invalid("Chưa cấu hình ngưỡng biểu quyết cho hình thức khen thưởng này.")
    size = _council_size(s, nom)
    result = evaluate(
        CouncilRuleData(rule.quorum_num, rule.quorum_den, rule.threshold_kind, rule.threshold_pct),
        size, nom.votes_agree, nom.votes_disagree,
    ).as_dict()
    nom.council_result = result
    return result


def _council_size(s: Session, nom: Nomination) -> int:
    """Members called to this ballot: one ballot task was opened per member."""
    return s.scalar(
        select(func.count(TaskItem.id)).where(TaskItem.nomination_id == nom.id, TaskItem.name == "council_vote")
    ) or 0


def _council_flags(result: dict[str, Any]) -> dict[str, Any]:
    return {"council_passed": bool(result["passed"]), "council_done": True}


_HANDLERS = {"dossier": _submit_dossier, "vote": _vote} | {form: _review for form in REVIEW_FORMS}


def _after_step(
    s: Session, nom: Nomination, route: engine.Route, workflow, state: InstanceState | None,
    context: RouteContext, actor: User | None, acted: TaskItem | None, settings: Settings, timers_fired: bool = False,
) -> Outcome:
    """Write what the engine's move changed: inbox rows, timers, the end reached, the state."""
    now = context.now
    open_items = inbox.sync(s, nom, route, workflow, context, acted=acted, actor=actor)
    nom.current_step = open_items[0].name if open_items else None
    fired = timers.sync(s, nom, route, workflow, now, fired=timers_fired)
    for timer in fired:
        _react_to_timer(s, nom, route, timer, open_items, now, settings)
    end = engine.outcome(workflow)
    if end is not None:
        _finish(s, nom, end, now, actor, settings.org_code)
    _save(s, nom, workflow, now, state)
    s.flush()
    return Outcome(nom.id, nom.version, nom.state, [i.id for i in open_items], len(fired))


def _react_to_timer(s: Session, nom: Nomination, route: engine.Route, timer: Timer, open_items: list[TaskItem],
                    now: datetime, settings: Settings) -> None:
    """A fired timer tells people: the assignees (reminder), their superiors (escalation), the secretariat."""
    title = route.titles.get(timer.step or "", timer.step or "")
    name = f"«{nom.nominee_name}» ({nom.unit.name})"
    due = next((i.due_at for i in open_items if i.name == timer.step and i.due_at), timer.due_at)
    if timer.kind == "reminder":
        users = notify.assignees(s, nom, timer.step)
        message = f"Nhắc hạn: bước «{title}» của hồ sơ {name} đến hạn lúc {notify.local(due)}."
        action = "reminder_sent"
    elif timer.kind == "escalation":
        step = route.steps.get(timer.step)
        users = notify.superiors(s, nom, step.role) if step else []
        message = f"Quá hạn: bước «{title}» của hồ sơ {name} đã quá hạn từ {notify.local(timer.due_at)}."
        action = "escalated"
        for item in open_items:
            if item.name == timer.step:
                item.escalated_at = now
    elif timer.kind == "window":
        users = notify.with_roles(s, {"secretariat"}, nom.unit_id)
        message = f"Hết thời gian công khai hồ sơ {name} mà không có ý kiến phản ánh; chuyển Hội đồng bỏ phiếu."
        action = "disclosure_ended"
    else:
        users, message, action = [], "", "timer_fired"
    if users:
        notify.send(s, settings, users, nom, timer.kind, message, now)
    audit.record(s, nom, at=now, actor=None, role=None, task=timer.step or timer.name, action=action,
                 changes={"recipients": [None, sorted(u.username for u in users)]} if users else None)


def fire_timers_of(db: Database, nomination_id: int) -> int:
    """Fire every due timer of one nomination in one transaction; returns how many fired.

    Safe to run twice or from several workers at once: the nomination row is locked (workers
    skip one another's rows on PostgreSQL) and a timer leaves "pending" in the same commit as
    the engine state it produced, so a crash or a retry can never fire it twice.
    """
    now = clock.now()
    with db.write() as s, s.no_autoflush:
        nom = s.execute(
            select(Nomination).where(Nomination.id == nomination_id)
            .with_for_update(skip_locked=True, of=Nomination).execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if nom is None:
            return 0  # gone, or another worker holds it right now
        due = s.scalar(select(func.count(Timer.id)).where(
            Timer.nomination_id == nom.id, Timer.state == "pending", Timer.due_at < now))
        if not due:
            return 0
        route = deploy.route_for(s, nom.process_model_id)
        context = route_context(s, nom, now)
        workflow, state = _load_workflow(s, nom, route, context)
        engine.fire_due_timers(workflow)
        return _after_step(s, nom, route, workflow, state, context, None, None, db.settings, timers_fired=True).timers_fired


def due_nominations(db: Database, limit: int = 500) -> list[int]:
    """Nominations with a timer past due, the most overdue first."""
    now = clock.now()
    with db.read() as s:
        return list(s.scalars(
            select(Timer.nomination_id).where(Timer.state == "pending", Timer.due_at < now)
            .group_by(Timer.nomination_id).order_by(func.min(Timer.due_at)).limit(limit)
        ))


def fire_due_timers(db: Database, limit: int = 500) -> int:
    """One sweep: fire what is due, nomination by nomination; returns the number of timers fired."""
    return sum(fire_timers_of(db, nomination_id) for nomination_id in due_nominations(db, limit))


def _finish(s: Session, nom: Nomination, end: str, now: datetime, actor: User | None, org_code: str) -> None:
    if end not in TERMINAL_STATES:
        raise RuntimeError(f"route ended with unknown outcome {end!r}")
    old_state, nom.state = nom.state, end
    changes: dict[str, Any] = {"state": [old_state, end]}
    if end == "awarded":
        year = now.astimezone(clock.VN_TZ).year
        nom.decision_number = numbering.next_decision_number(s, year, org_code)
        s.add(AwardRecord(nomination_id=nom.id, award_form=nom.award_form, nominee_name=nom.nominee_name,
                          nominee_kind=nom.nominee_kind, unit_id=nom.unit_id, year=nom.year,
                          decision_number=nom.decision_number, decided_at=now,
                          signed_by_id=actor.id if actor else None))
        changes["decision_number"] = [None, nom.decision_number]
        audit.record(s, nom, at=now, actor=None, role=None, task="issue_decision",
                     action="decision_issued", changes=changes)
    elif end == "submitted":
        audit.record(s, nom, at=now, actor=None, role=None, task="set_submitted",
                     action="submitted_above", changes=changes)


def add_attachment(db: Database, actor_id: int, nomination_id: int, original_name: str, content: bytes) -> int:
    """Attach a file to a dossier the actor is working on; the file and its row land together."""
    content_type = storage.check(original_name, content, db.settings.max_upload_bytes)
    stored = None
    try:
        with db.write() as s:
            actor = load_actor(s, actor_id)
            nom = lock_nomination(s, actor, nomination_id=nomination_id)
            if not can_attach(actor, nom):
                raise Forbidden("Bạn không được thêm tệp vào hồ sơ này.")
            stored = storage.save(db.settings.upload_dir, content, content_type)
            now = clock.now()
            att = Attachment(nomination_id=nom.id, original_name=original_name, stored_name=stored.stored_name,
                             content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
                             uploaded_by_id=actor.id, uploaded_at=now)
            s.add(att)
            nom.updated_at = now
            s.flush()
            audit.record(s, nom, at=now, actor=actor, role=None, action="attachment_added",
                         changes={"attachment": [None, {"id": att.id, "name": original_name, "sha256": stored.sha256}]})
            return att.id
    except BaseException:
        if stored is not None:
            storage.remove(db.settings.upload_dir, stored.stored_name)
        raise

