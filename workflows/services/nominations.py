"""Nomination commands: open a dossier, complete a task, attach a file.

A task is completed through its step's hook, as the route declares it: ``dossier`` edits the
dossier, ``review`` takes a decision, ``ballot`` counts a secret vote (:mod:`.ballot`); ``round``
and ``decision`` are waits that only a council round (:mod:`.rounds`) or a decision covering the
dossier (:mod:`.decisions`) completes.

The unit head's first approval is the dossier's submission (it goes to the secretariat): its time
is kept as ``submitted_at`` and picks the rule set the dossier follows from then on, returns for
supplementation included; until then the rules in force on the day apply.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from workflows import engine
from workflows.domain import attachment_kinds
from workflows.domain.actor import Actor
from workflows.domain.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.domain.rules import AwardFormRule, RuleSet, iso_utc
from workflows.persistence import reference, required_documents, search_model, storage, versions
from workflows.persistence.db import Database
from workflows.persistence.model import Attachment, Nomination
from workflows.services import ballot, claims, registry, rounds
from workflows.services.unit_of_work import Acting, NominationStep, Outcome

MAX_RETURNS = 20
# A council approval holds for the dossier it voted on: changing any of these sends it to the council again.
VOTED_ON = ("nominee_name", "nominee_kind", "award_form")
SUBMITTING_ROLE = "unit_head"  # whose approval submits the dossier to the ministry (its date picks the rules)


def award_form(rules: RuleSet, code: str, nominee_kind: str, on: datetime) -> AwardFormRule:
    award = rules.award(code)
    if rules.level(code, on) == "unit":
        raise Invalid(
            "Hình thức này do thủ trưởng đơn vị quyết định, không đề nghị qua quy trình cấp Bộ.",
            {"award_form": "Hình thức khen thưởng cấp đơn vị không đề nghị lên Bộ."},
        )
    if award.subject != "both" and award.subject != nominee_kind:
        who = "cá nhân" if award.subject == "individual" else "tập thể"
        raise Invalid("Đối tượng không phù hợp với hình thức khen thưởng.",
                      {"nominee_kind": f"{award.name} chỉ dành cho {who}."})
    return award


def _field_choices(session, keep: str | None = None) -> dict[str, list[str]] | None:
    """The fields a dossier may name now: the admins' active list (and the dossier's own, kept), whatever
    list the version's form shipped with."""
    names = reference.field_choices(session, keep)
    return {"field": names} if names is not None else None


def create_nomination(db: Database, actor: Actor | int, data: Any) -> int:
    """A unit clerk opens a dossier for their own unit; the drafting task waits pre-filled."""
    with NominationStep(db, actor) as step:
        if not step.actor.can_propose():
            raise Forbidden("Chỉ cán bộ TĐKT đơn vị được lập hồ sơ đề nghị.")
        pm_id, route = versions.latest_route(step.session)
        form = route.contract.dossier_form()
        fields, subject = registry.split_subject(data)
        if subject:
            fields = registry.fill_name(step.session, fields, subject)
        dossier = route.forms.validate(form, fields, _field_choices(step.session))
        award = award_form(route.rules, dossier["award_form"], dossier["nominee_kind"], step.now)
        person_id, collective_id = registry.resolve(step.session, step.actor, subject, dossier["nominee_kind"],
                                                    dossier["nominee_name"], step.now)
        nom = Nomination(process_model_id=pm_id, unit_id=step.actor.unit_id, created_by_id=step.actor.id,
                         state="in_progress", created_at=step.now, updated_at=step.now, return_count=0,
                         votes_agree=0, votes_disagree=0, person_id=person_id, collective_id=collective_id)
        for key in route.forms.field_names(form):
            setattr(nom, key, dossier.get(key))
        nom.eligibility = registry.check(step.session, nom, step.now)  # a hold or a duplicate refuses it here
        flags = route.rules.routing_flags(award.code, step.now)
        instance = step.start(nom, route, {**flags, "council_done": False, "vote_closed": False})
        search_model.write_terms(step.session, nom.id, nom.nominee_name, replace=False)
        step.record(instance, "created", role="unit_clerk", changes={k: [None, v] for k, v in dossier.items()})
        return step.write(instance).nomination_id


def complete_task(db: Database, actor: Actor | int, item_id: int, data: Any,
                  if_match: int | None = None) -> Outcome | rounds.BallotReceipt | rounds.TieOutcome | Any:
    """Complete a ready task: a nomination's step, a council member's ballot of a round, a chair's tie, or a
    decision's signature or registration (``if_match`` is then the decision's version)."""
    from workflows.services import decisions  # it builds on this module

    try:
        return _complete_step(db, actor, item_id, data, if_match)
    except NotFound:
        if rounds.owns_item(db, item_id):  # only a miss pays for these reads
            return rounds.complete_item(db, actor, item_id, data)
        if decisions.owns_item(db, item_id):
            return decisions.complete_item(db, actor, item_id, data, if_match)
        raise


def _complete_step(db: Database, actor: Actor | int, item_id: int, data: Any, if_match: int | None) -> Outcome:
    with NominationStep(db, actor) as step:
        instance, item = step.lock_task(item_id)
        if not step.actor.can_act(item):
            raise Forbidden("Công việc này không thuộc quyền của bạn.")
        step.actor = step.actor.acting_on(item)  # "thay …" when a delegation or an absence is why
        if item.state != "ready":
            raise Conflict("Công việc đã được xử lý.")
        claims.check_not_held(step.session, item, step.actor)
        declared = instance.route.steps[item.name]
        # A member's ballot is their own task: other members' votes move the version, never stale it.
        if if_match is not None and not declared.parallel and if_match != instance.nom.version:
            raise Conflict("Hồ sơ đã thay đổi, vui lòng tải lại.")
        task = engine.find_ready_task(instance.workflow, item.task_uuid)
        if task is None:
            raise Conflict("Công việc đã được xử lý.")
        acting = Acting(instance, item, task, declared)
        step.run(instance, task, HOOKS[declared.hook](step, acting, data), acted=item)
        return step.write(instance)


def _submit_dossier(step: NominationStep, acting: Acting, data: Any) -> dict[str, Any]:
    instance, item, declared = acting.instance, acting.item, acting.step
    nom, route = instance.nom, instance.route
    fields = route.forms.field_names(declared.form)
    if not isinstance(data, dict):
        raise Invalid("Dữ liệu biểu mẫu phải là một đối tượng JSON.")
    extra = sorted(set(data) - set(fields))
    if extra:
        raise Invalid("Biểu mẫu có trường không hợp lệ.", {k: "Trường không thuộc biểu mẫu này." for k in extra})
    current = {k: getattr(nom, k) for k in fields if getattr(nom, k) is not None}
    merged = route.forms.validate(declared.form, current | data, _field_choices(step.session, nom.field))
    on = instance.rules_on(step.now)
    award = award_form(route.rules, merged["award_form"], merged["nominee_kind"], on)
    _require_documents(step, nom.id, award.code)
    changes = {}
    for key in fields:
        old, new = getattr(nom, key), merged.get(key)
        if old != new:
            changes[key] = [old, new]
            setattr(nom, key, new)
    if "nominee_name" in changes:  # what the lists' search finds it by
        search_model.write_terms(step.session, nom.id, nom.nominee_name)
    flags: dict[str, Any] = route.rules.routing_flags(award.code, on)
    nom.eligibility = registry.check(step.session, nom, step.now, rules_on=on)  # again: the registry may have changed
    if any(key in changes for key in VOTED_ON):
        flags["council_done"] = False  # another person or award than the council approved: it votes again
        if nom.council_result is not None:  # and the old result is void, not shown as this dossier's
            changes["council_result"] = [nom.council_result, None]
            nom.council_result = None
    step.record(instance, "submitted", role=item.role, task=item.name, changes=changes)
    return flags


def _require_documents(step: NominationStep, nomination_id: int, award_code: str) -> None:
    """A dossier counts as received only when complete: every document its award form requires is attached.

    The nomination row is locked, and attaching or deleting a file locks it too, so the files read here are
    the ones the submission goes with.
    """
    present = step.session.scalars(select(Attachment.kind).where(Attachment.nomination_id == nomination_id)).all()
    missing = attachment_kinds.missing(required_documents.required_kinds(award_code), present)
    if missing:
        message = attachment_kinds.missing_message(missing)
        raise Invalid(f"Hồ sơ chưa đủ tài liệu. {message}", {"attachments": message})


def _review(step: NominationStep, acting: Acting, data: Any) -> dict[str, Any]:
    instance, item, declared = acting.instance, acting.item, acting.step
    nom = instance.nom
    form = instance.route.forms.validate(declared.form, data)
    decision, comment = form["decision"], (form.get("comment") or "").strip() or None
    task_data: dict[str, Any] = {"decision": decision}
    changes = None
    if decision == declared.returns:
        if nom.return_count >= MAX_RETURNS:
            raise Invalid(f"Hồ sơ đã bị trả lại {MAX_RETURNS} lần; không thể trả lại thêm.",
                          {"decision": f"Đã đạt giới hạn {MAX_RETURNS} lần trả lại."})
        changes = {"return_count": [nom.return_count, nom.return_count + 1]}
        nom.return_count += 1
    if decision == "approve" and item.role == SUBMITTING_ROLE:
        if nom.submitted_at is None:
            nom.submitted_at = step.now
            changes = {"submitted_at": [None, iso_utc(step.now)]}
        # The gateways ahead read the flags of the rule set the submission picked (the draft's were the day's).
        task_data |= instance.route.rules.routing_flags(nom.award_form, instance.rules_on(step.now))
    if declared.opens_ballot and decision == "approve":
        task_data |= ballot.open_ballot(step, acting, instance.route.steps[declared.opens_ballot])
    step.record(instance, decision, role=item.role, task=item.name, comment=comment, changes=changes)
    return task_data


def _awaits_round(_step: NominationStep, _acting: Acting, _data: Any) -> dict[str, Any]:
    raise Conflict("Hồ sơ chờ Hội đồng xét theo đợt: kết quả kiểm phiếu của đợt sẽ hoàn thành bước này.")


def _awaits_decision(_step: NominationStep, _acting: Acting, _data: Any) -> dict[str, Any]:
    raise Conflict("Hồ sơ chờ quyết định (hoặc tờ trình) của Lãnh đạo Bộ cùng các hồ sơ khác: chữ ký trên văn bản "
                   "đó sẽ hoàn thành bước này.")


HOOKS = {"dossier": _submit_dossier, "review": _review, "ballot": ballot.vote, "round": _awaits_round,
         "decision": _awaits_decision}


def add_attachment(db: Database, actor: Actor | int, nomination_id: int, original_name: str, content: bytes,
                   kind: str = attachment_kinds.DEFAULT_KIND) -> int:
    """Attach a file to a dossier the actor is working on; the file and its row land together."""
    if kind not in attachment_kinds.KINDS:
        raise Invalid("Loại tài liệu không hợp lệ.", {"kind": "Chọn loại tài liệu trong danh sách."})
    content_type = storage.check(original_name, content, db.settings.max_upload_bytes)
    stored = None
    try:
        with NominationStep(db, actor) as step:
            instance = step.lock(nomination_id, workflow=False)
            nom = instance.nom
            if not step.actor.can_attach(nom.state, nom.unit_id):
                raise Forbidden("Bạn không được thêm tệp vào hồ sơ này.")
            stored = storage.save(db.settings.upload_dir, content, content_type)
            att = Attachment(nomination_id=nom.id, original_name=original_name, stored_name=stored.stored_name,
                             content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
                             uploaded_by_id=step.actor.id, uploaded_at=step.now, kind=kind)
            step.session.add(att)
            step.session.flush()
            step.record(instance, "attachment_added",
                        changes={"attachment": [None, {"id": att.id, "name": original_name, "sha256": stored.sha256,
                                                       "kind": kind, "kind_label": attachment_kinds.label(kind)}]})
            return att.id
    except BaseException:
        if stored is not None:
            storage.remove(db.settings.upload_dir, stored.stored_name)
        raise
