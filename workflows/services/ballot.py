"""The council's secret ballot: open it, count a vote, close it.

A vote's choice only moves the nomination's tally; task data, inbox rows and the audit trail
learn only that the member voted (``voted``) and, once closed, the result. A ballot closed before
its quorum records only that the quorum was not met: no counts, and the tally is cleared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from workflows import engine
from workflows.domain.actor import Actor
from workflows.domain.council import evaluate
from workflows.domain.errors import Conflict, Forbidden, Invalid
from workflows.engine.contract import Step
from workflows.persistence.db import Database
from workflows.persistence.model import Nomination, TaskItem, User, UserRole
from workflows.services.unit_of_work import NominationStep, Outcome

if TYPE_CHECKING:
    from workflows.services.unit_of_work import Acting, Instance


def close_vote(db: Database, actor: Actor | int, nomination_id: int) -> Outcome:
    """The secretariat closes the ballot so absent members cannot block it."""
    with NominationStep(db, actor) as step:
        instance = step.lock(nomination_id)
        if not step.actor.can_close_ballot():
            raise Forbidden("Chỉ bộ phận TĐKT được kết thúc bỏ phiếu.")
        declared = instance.route.contract.ballot()
        open_ballots = engine.ready_children_of(instance.workflow, declared.id) if declared else []
        if not open_ballots:
            raise Conflict("Hồ sơ không ở bước bỏ phiếu.")
        result = council_result(step, instance, closing=True)
        step.record(instance, "vote_closed", role="secretariat", task=declared.id, changes={"council_result": [None, result]})
        # Completing one open ballot with the closing flag ends the multi-instance task: the rest are cancelled.
        step.run(instance, open_ballots[0], council_flags(result) | {"vote_closed": True})
        return step.write(instance)


def open_ballot(step: NominationStep, acting: Acting, ballot: Step) -> dict[str, Any]:
    """Call the council's voting members when the dossier is accepted for a vote (a snapshot: the ballot's size)."""
    instance, nom = acting.instance, acting.instance.nom
    flags = acting.task.data
    if not flags.get("needs_vote") or flags.get("council_done"):
        return {}
    rule = instance.route.rules.council_rule(nom.award_form, instance.rules_on(step.now))
    roles = ["council_member", *(["council_chair"] if rule.chair_votes else [])]
    members = list(step.session.scalars(
        select(User.id).join(UserRole).where(UserRole.role.in_(roles), User.active.is_(True)).distinct().order_by(User.id)
    ))
    if not members:
        raise Invalid("Hội đồng Thi đua - Khen thưởng chưa có ủy viên bỏ phiếu.")
    nom.votes_agree = nom.votes_disagree = 0
    nom.ballot_size = len(members)
    nom.council_result = None
    # A previous ballot's last member id flowed on with the data; the library refuses to reopen over it.
    flags.pop(ballot.item, None)
    return {ballot.collection: members, "vote_closed": False}


def vote(step: NominationStep, acting: Acting, data: Any) -> dict[str, Any]:
    # The choice goes into the tally only: never into task data, the inbox row or the audit event.
    instance, item, nom = acting.instance, acting.item, acting.instance.nom
    choice = instance.route.forms.validate(acting.step.form, data)["vote"]
    if choice == "agree":
        nom.votes_agree += 1
    else:
        nom.votes_disagree += 1
    step.record(instance, "voted", role=item.role, task=item.name)
    others_open = [t for t in engine.ready_children_of(instance.workflow, acting.step.id) if str(t.id) != item.task_uuid]
    if others_open:
        return {}
    result = council_result(step, instance)
    step.record(instance, "council_result", actor=None, task=acting.step.id, changes={"council_result": [None, result]})
    return council_flags(result)


def council_result(step: NominationStep, instance: Instance, closing: bool = False) -> dict[str, Any]:
    """The result under the rule in force when the dossier was submitted, over the members called."""
    nom = instance.nom
    rule = instance.route.rules.council_rule(nom.award_form, instance.rules_on(step.now))
    size = nom.ballot_size or _legacy_ballot_size(step, nom)
    result = evaluate(rule.arithmetic(), size, nom.votes_agree, nom.votes_disagree).as_dict()
    if closing and not result["quorum_met"]:
        # Closed early without a quorum: publishing the few votes cast would tell who chose what.
        result = {k: result[k] for k in ("members", "present", "quorum_required", "quorum_met", "threshold_kind",
                                         "threshold_pct", "passed")}
        nom.votes_agree = nom.votes_disagree = 0
    nom.council_result = result
    return result


def _legacy_ballot_size(step: NominationStep, nom: Nomination) -> int:
    """Ballots opened before the size was snapshotted: one ballot row was opened per member."""
    ballot = step.instances[nom.id].route.contract.ballot()
    return step.session.scalar(
        select(func.count(TaskItem.id)).where(TaskItem.nomination_id == nom.id, TaskItem.name == ballot.id)
    ) or 0


def council_flags(result: dict[str, Any]) -> dict[str, Any]:
    return {"council_passed": bool(result["passed"]), "council_done": True}
