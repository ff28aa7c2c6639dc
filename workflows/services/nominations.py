"""Nomination commands: open a dossier, complete a task, attach a file."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from workflows import engine
from workflows.domain import clock, forms
from workflows.domain.errors import Conflict, Forbidden, Invalid
from workflows.persistence import audit, storage, versions
from workflows.persistence.db import Database
from workflows.persistence.model import Attachment, AwardForm, Nomination, TaskItem, User
from workflows.persistence.scope import can_act, can_attach
from workflows.services import ballot
from workflows.services.transaction import Outcome, after_step, load_actor, load_workflow, lock_nomination, route_context

MAX_RETURNS = 20
DOSSIER_FIELDS = forms.field_names("dossier")
REVIEW_FORMS = frozenset({"head_review", "secretariat_check", "appraisal", "minister_sign", "disclosure"})


def award_form(session: Session, code: str, nominee_kind: str) -> AwardForm:
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


def routing_flags(award: AwardForm) -> dict[str, Any]:
    return {"needs_vote": award.needs_vote, "needs_disclosure": award.needs_disclosure,
            "above_ministry": award.level == "above"}


def create_nomination(db: Database, actor_id: int, data: Any) -> int:
    """A unit clerk opens a dossier for their own unit; the drafting task waits pre-filled."""
    with db.write() as s:
        actor = load_actor(s, actor_id)
        if "unit_clerk" not in actor.roles:
            raise Forbidden("Chỉ cán bộ TĐKT đơn vị được lập hồ sơ đề nghị.")
        dossier = forms.validate("dossier", data)
        award = award_form(s, dossier["award_form"], dossier["nominee_kind"])
        pm = versions.latest(s)
        if pm is None:
            raise RuntimeError("no route deployed: run `flask --app webapp migrate`")
        route = versions.route_for(s, pm.id)
        now = clock.now()
        nom = Nomination(process_model_id=pm.id, unit_id=actor.unit_id, created_by_id=actor.id,
                         state="in_progress", created_at=now, updated_at=now, return_count=0,
                         votes_agree=0, votes_disagree=0)
        for key in DOSSIER_FIELDS:
            setattr(nom, key, dossier.get(key))
        s.add(nom)
        s.flush()
        context = route_context(s, nom, now)
        workflow = engine.start(route, {**routing_flags(award), "council_done": False, "vote_closed": False},
                                context.script_engine())
        audit.record(s, nom, at=now, actor=actor, role="unit_clerk", action="created",
                     changes={k: [None, v] for k, v in dossier.items()})
        after_step(s, nom, route, workflow, None, context, actor, None, db.settings)
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
        route = versions.route_for(s, nom.process_model_id)
        now = clock.now()
        context = route_context(s, nom, now)
        workflow, state = load_workflow(s, nom, route, context)
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
        return after_step(s, nom, route, workflow, state, context, actor, item, db.settings)


def _submit_dossier(s: Session, actor: User, nom: Nomination, item: TaskItem, workflow, data: Any):
    if not isinstance(data, dict):
        raise Invalid("Dữ liệu biểu mẫu phải là một đối tượng JSON.")
    extra = sorted(set(data) - set(DOSSIER_FIELDS))
    if extra:
        raise Invalid("Biểu mẫu có trường không hợp lệ.", {k: "Trường không thuộc biểu mẫu này." for k in extra})
    current = {k: getattr(nom, k) for k in DOSSIER_FIELDS if getattr(nom, k) is not None}
    merged = forms.validate("dossier", current | data)
    award = award_form(s, merged["award_form"], merged["nominee_kind"])
    changes = {}
    for key in DOSSIER_FIELDS:
        old, new = getattr(nom, key), merged.get(key)
        if old != new:
            changes[key] = [old, new]
            setattr(nom, key, new)
    return routing_flags(award), {"action": "submitted", "changes": changes}, []


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
        task_data |= ballot.open_ballot(s, nom, workflow)
    return task_data, {"action": decision, "comment": comment, "changes": changes}, []


_HANDLERS = {"dossier": _submit_dossier, "vote": ballot.vote} | {form: _review for form in REVIEW_FORMS}


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
