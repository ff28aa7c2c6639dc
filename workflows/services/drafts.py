"""The clerk's draft: save the dossier without submitting it, and take back a file while it is a draft.

Both act only while the dossier waits at its dossier step (the draft, or the same step after a return for
supplementation), and only for whoever may take that task. A save checks what a value is (types, lengths,
choices, unsafe characters) but not whether a required field is filled: that is the submission's check.

A deleted attachment's row goes and its stored file is removed after the commit: a file uploaded by mistake
is no part of the dossier, and keeping personal documents nobody can reach is a liability. The audit event
keeps its name, kind, size and SHA-256, so the history still proves what was taken out. A failed commit
leaves the file (and the row) where they were; a crash between commit and removal leaves an orphan file only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from workflows import engine
from workflows.domain.actor import Actor
from workflows.domain.attachment_kinds import label
from workflows.domain.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.persistence import storage, versions
from workflows.persistence.db import Database
from workflows.persistence.model import Attachment, TaskItem
from workflows.services.nominations import VOTED_ON
from workflows.services.unit_of_work import NominationStep, Outcome

NOT_A_DRAFT = "Hồ sơ không còn ở bước lập (hoặc bổ sung) hồ sơ: không thể sửa nháp."


def _dossier_item(step: NominationStep, nomination_id: int, route: engine.Route) -> TaskItem | None:
    names = [name for name, declared in route.steps.items() if declared.hook == "dossier"]
    return step.session.scalar(select(TaskItem).where(TaskItem.nomination_id == nomination_id,
                                                      TaskItem.state == "ready", TaskItem.name.in_(names)))


def save_draft(db: Database, actor: Actor | int, nomination_id: int, data: Any, if_match: int | None = None) -> Outcome:
    """Save the dossier's fields without completing the step; audited as ``draft_saved`` with what changed."""
    with NominationStep(db, actor) as step:
        instance = step.lock(nomination_id)
        nom, route = instance.nom, instance.route
        if step.actor.has("auditor"):
            raise Forbidden("Thanh tra, kiểm tra chỉ được xem hồ sơ, không được sửa.")
        item = _dossier_item(step, nom.id, route)
        if item is None:
            raise Conflict(NOT_A_DRAFT)
        if not step.actor.can_act(item):
            raise Forbidden("Công việc này không thuộc quyền của bạn.")
        if if_match is not None and if_match != nom.version:
            raise Conflict("Hồ sơ đã thay đổi, vui lòng tải lại.")
        form = route.steps[item.name].form
        merged = _checked(route, form, nom, data)
        changes = {}
        for key in route.forms.field_names(form):
            old, new = getattr(nom, key), merged.get(key, getattr(nom, key))
            if old != new and not (_blank(old) and _blank(new)):  # a form posts "" where the dossier holds NULL
                changes[key] = [old, new]
                setattr(nom, key, new)
        if not changes:  # nothing to write: the lock goes with the commit, the version stays
            step.instances.pop(nom.id)
            return Outcome(nom.id, nom.version, nom.state)
        if any(key in changes for key in VOTED_ON):
            # As at a submission: the council approved another person or award, so it votes again. The flag is
            # set on the waiting task now, since the submission will see no change left to compare.
            task = engine.find_ready_task(instance.workflow, item.task_uuid)
            if task is None:
                raise Conflict(NOT_A_DRAFT)
            task.data["council_done"] = False
            if nom.council_result is not None:
                changes["council_result"] = [nom.council_result, None]
                nom.council_result = None
        step.record(instance, "draft_saved", role=item.role, task=item.name, changes=changes)
        return step.write(instance)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _checked(route: engine.Route, form: str, nom, data: Any) -> dict[str, Any]:
    """The dossier with ``data`` over it, every value checked; a field left blank is not an error yet."""
    fields = route.forms.field_names(form)
    if not isinstance(data, dict):
        raise Invalid("Dữ liệu biểu mẫu phải là một đối tượng JSON.")
    extra = sorted(set(data) - set(fields))
    if extra:
        raise Invalid("Biểu mẫu có trường không hợp lệ.", {k: "Trường không thuộc biểu mẫu này." for k in extra})
    merged = {k: getattr(nom, k) for k in fields if getattr(nom, k) is not None} | data
    blank = {k for k, v in merged.items() if _blank(v)}
    errors = {k: v for k, v in route.forms.errors(form, merged).items() if k not in blank and k in fields}
    if "award_form" in merged and "award_form" not in blank and "award_form" not in errors:
        try:
            route.rules.award(merged["award_form"])
        except Invalid as exc:
            errors |= exc.fields
    if errors:
        raise Invalid("Biểu mẫu có lỗi, vui lòng kiểm tra lại.", errors)
    # A blank optional field is cleared; a blank required one keeps a blank (the submission will ask for it).
    required = set(route.forms.schema(form).get("required", []))
    for key in blank & set(data):
        if key in required and not isinstance(data[key], str):
            merged[key] = getattr(nom, key)  # a required choice or number is never NULL: keep it until refilled
        elif key not in required:
            merged[key] = None
    return merged


def delete_attachment(db: Database, actor: Actor | int, nomination_id: int, attachment_id: int) -> None:
    """The unit's clerk takes a file back while the dossier is a draft (or back for supplementation)."""
    with NominationStep(db, actor) as step:
        instance = step.lock(nomination_id, workflow=False)
        nom = instance.nom
        att = step.session.get(Attachment, attachment_id)
        if att is None or att.nomination_id != nom.id:
            raise NotFound("Không tìm thấy tệp đính kèm.")
        if step.actor.has("auditor") or not step.actor.holds_for_unit("unit_clerk", nom.unit_id):
            raise Forbidden("Chỉ cán bộ TĐKT của đơn vị đề nghị được xóa tệp đính kèm.")
        route = versions.route_for(step.session, nom.process_model_id)
        if nom.state != "in_progress" or _dossier_item(step, nom.id, route) is None:
            raise Conflict("Hồ sơ đã nộp: không thể xóa tệp đính kèm (chỉ xóa được khi đang lập hoặc bổ sung hồ sơ).")
        stored_name = att.stored_name
        step.record(instance, "attachment_deleted", changes={"attachment": [
            {"id": att.id, "name": att.original_name, "kind": att.kind, "kind_label": label(att.kind),
             "size": att.size, "sha256": att.sha256}, None]})
        step.session.delete(att)
    storage.remove(db.settings.upload_dir, stored_name)
