"""The council's secret ballot: open it, count a vote, close it.

A vote's choice only moves the nomination's tally; task data, inbox rows and the audit trail
learn only that the member voted (``voted``) and, once closed, the result.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows import engine
from workflows.domain import clock, forms
from workflows.domain.council import CouncilRuleData, evaluate
from workflows.domain.errors import Conflict, Forbidden, Invalid
from workflows.persistence import audit, versions
from workflows.persistence.db import Database
from workflows.persistence.model import CouncilRule, Nomination, TaskItem, User, UserRole
from workflows.services.transaction import Outcome, after_step, load_actor, load_workflow, lock_nomination, route_context


def close_vote(db: Database, actor_id: int, nomination_id: int) -> Outcome:
    """The secretariat closes the ballot so absent members cannot block it."""
    with db.write() as s, s.no_autoflush:
        actor = load_actor(s, actor_id)
        nom = lock_nomination(s, actor, nomination_id=nomination_id)
        if "secretariat" not in actor.roles:
            raise Forbidden("Chỉ bộ phận TĐKT được kết thúc bỏ phiếu.")
        route = versions.route_for(s, nom.process_model_id)
        now = clock.now()
        context = route_context(s, nom, now)
        workflow, state = load_workflow(s, nom, route, context)
        open_ballots = engine.ready_children_of(workflow, "council_vote")
        if not open_ballots:
            raise Conflict("Hồ sơ không ở bước bỏ phiếu.")
        result = council_result(s, nom)
        audit.record(s, nom, at=now, actor=actor, role="secretariat", task="council_vote",
                     action="vote_closed", changes={"council_result": [None, result]})
        engine.run_task(workflow, open_ballots[0], council_flags(result) | {"vote_closed": True})
        return after_step(s, nom, route, workflow, state, context, actor, None, db.settings)


def open_ballot(s: Session, nom: Nomination, workflow) -> dict[str, Any]:
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


def vote(s: Session, actor: User, nom: Nomination, item: TaskItem, workflow, data: Any):
    # The choice goes into the tally only: never into task data, the inbox row or the audit event.
    choice = forms.validate("vote", data)["vote"]
    if choice == "agree":
        nom.votes_agree += 1
    else:
        nom.votes_disagree += 1
    others_open = [t for t in engine.ready_children_of(workflow, "council_vote") if str(t.id) != item.task_uuid]
    if others_open:
        return {}, {"action": "voted"}, []
    result = council_result(s, nom)
    closing = {"task": "council_vote", "action": "council_result", "changes": {"council_result": [None, result]}}
    return council_flags(result), {"action": "voted"}, [closing]


def council_result(s: Session, nom: Nomination) -> dict[str, Any]:
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


def council_flags(result: dict[str, Any]) -> dict[str, Any]:
    return {"council_passed": bool(result["passed"]), "council_done": True}
