"""Test helpers that drive nominations through the real service layer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from workflows import engine, services
from workflows.domain.forms import FormSet
from workflows.persistence.db import Database
from workflows.persistence.model import Nomination, TaskItem, User
from workflows.persistence.reference import shipped_rules
from workflows.persistence.scope import load_actor
from workflows.persistence.versions import NOMINATION_ROUTE, shipped_forms
from workflows.services import decisions, rounds

SHIPPED_FORMS = FormSet(shipped_forms())  # the forms the next deploy ships, for tests that read them


def shipped_bundle(bpmn_xml: str | None = None) -> engine.Bundle:
    """The bundle this release deploys on a fresh database (``bpmn_xml`` replaces the route)."""
    xml = bpmn_xml if bpmn_xml is not None else NOMINATION_ROUTE.read_text(encoding="utf-8")
    return engine.Bundle(xml, shipped_forms(), shipped_rules().as_dict())


DOSSIER = {
    "nominee_name": "Nguyễn Văn An",
    "nominee_kind": "individual",
    "nominee_position": "Chuyên viên chính",
    "award_form": "bang_khen_bo_truong",
    "movement": "Phong trào thi đua năm 2026",
    "field": "Bưu chính",
    "year": 2026,
    "achievements": "Hoàn thành xuất sắc nhiệm vụ hai năm liên tục, có hai sáng kiến cấp cơ sở.",
}
APPROVE = {"decision": "approve"}
COUNCIL = [f"council{i}" for i in range(1, 10)]
NAMES_OF_ROUND = ["Nguyễn Thị Hồng Nhung", "Trịnh Văn Bảo", "Phạm Quỳnh Anh"]
DECISION_STEP = "await_decision"  # where the shipped route's dossiers wait for their decision
LEGACY_ROUTE = Path(__file__).parent / "data" / "nomination_minister_sign.bpmn"


def legacy_route_xml() -> str:
    """The route as versions before batch decisions shipped it: the minister signs each dossier (``minister_sign``)."""
    return LEGACY_ROUTE.read_text(encoding="utf-8")


def returned(reason: str = "Bổ sung minh chứng") -> dict[str, str]:
    return {"decision": "return", "comment": reason}


class Driver:
    """Acts as the demo users: ``act(nid, "head1", APPROVE)`` completes head1's ready task."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._ids: dict[str, int] = {}

    def uid(self, username: str) -> int:
        if username not in self._ids:
            with self.db.read() as s:
                self._ids[username] = s.scalar(select(User.id).where(User.username == username))
        return self._ids[username]

    def create(self, clerk: str = "clerk1", **fields: Any) -> int:
        return services.create_nomination(self.db, self.uid(clerk), DOSSIER | fields)

    def item_for(self, nomination_id: int, username: str) -> int:
        """The ready task row of this nomination that ``username`` may act on."""
        with self.db.read() as s:
            actor = load_actor(s, self.uid(username))
            items = s.scalars(select(TaskItem).where(TaskItem.nomination_id == nomination_id,
                                                     TaskItem.state == "ready").order_by(TaskItem.id)).all()
            mine = [i.id for i in items if actor.can_act(i)]
        assert mine, f"{username} has no ready task on nomination {nomination_id}"
        return mine[0]

    def act(self, nomination_id: int, username: str, data: dict[str, Any] | None = None) -> services.Outcome:
        return services.complete_task(self.db, self.uid(username), self.item_for(nomination_id, username), data or {})

    def submit(self, nomination_id: int, clerk: str = "clerk1", head: str = "head1") -> None:
        """Clerk submits the draft and the unit head approves it."""
        self.act(nomination_id, clerk, {})
        self.act(nomination_id, head, APPROVE)

    def accept(self, nomination_id: int) -> None:
        """Submitted, approved by the unit head and accepted by the secretariat (next: ballot or disclosure)."""
        self.submit(nomination_id)
        self.act(nomination_id, "secretary", APPROVE)

    def vote(self, nomination_id: int, votes: list[str]) -> None:
        """``votes[i]`` is council member i+1's choice; members beyond the list do not vote."""
        for member, choice in zip(COUNCIL, votes, strict=False):
            self.act(nomination_id, member, {"vote": choice})

    def to_decision(self, nomination_id: int) -> None:
        """The reviewer's appraisal passes: the dossier waits for its decision (or its minister's signature)."""
        self.act(nomination_id, "reviewer", APPROVE)

    def decision_item(self, decision_id: int, name: str = decisions.SIGN_TASK) -> int:
        """The ready task row of a decision: its signature (default) or its registration."""
        with self.db.read() as s:
            item = s.scalar(select(TaskItem.id).where(TaskItem.decision_id == decision_id, TaskItem.name == name,
                                                      TaskItem.state == "ready"))
        assert item is not None, f"decision {decision_id} has no ready {name} task"
        return item

    def decide(self, nomination_ids: list[int], *, sign: dict[str, Any] | None = None, signer: str = "minister",
               register: bool = True, number: str | None = None, on: str | None = None, title: str | None = None) -> int:
        """One decision for these waiting dossiers: drafted and sent by the secretariat, signed (or returned with
        ``sign=returned(...)``) through the minister's task, then registered with the proposed number."""
        secretary = self.uid("secretary")
        decision_id = decisions.draft(self.db, secretary, nomination_ids, title)
        decisions.send(self.db, secretary, decision_id)
        data = sign or APPROVE
        services.complete_task(self.db, self.uid(signer), self.decision_item(decision_id), data)
        if data.get("decision") == "approve" and register:
            decisions.register(self.db, secretary, decision_id, number, on)
        return decision_id

    def sign(self, nomination_id: int, data: dict[str, Any] | None = None) -> None:
        """The minister's signature on one dossier, on the route it runs: its own task (versions before batch
        decisions) or a decision for it alone, registered with the proposed number."""
        if "minister_sign" in self.ready_steps(nomination_id):
            self.act(nomination_id, "minister", data or APPROVE)
        else:
            assert self.ready_steps(nomination_id) == [DECISION_STEP], self.ready_steps(nomination_id)
            self.decide([nomination_id], sign=data)

    def nomination(self, nomination_id: int) -> Nomination:
        with self.db.read() as s:
            return s.get(Nomination, nomination_id)

    def ready_steps(self, nomination_id: int) -> list[str]:
        with self.db.read() as s:
            return sorted(set(s.scalars(select(TaskItem.name).where(TaskItem.nomination_id == nomination_id,
                                                                    TaskItem.state == "ready"))))


def round_route_xml() -> str:
    """The shipped route with its per-dossier ballot replaced by a wait for the council's round.

    ``council_vote`` (a multi-instance ballot in the members' lane) becomes ``council_round``, a
    step in the secretariat's lane with ``hook=round``, which a round's close completes; its
    timers and the approval's ``opensBallot`` go. The rest of the route is unchanged.
    """
    from lxml import etree

    bpmn = "http://www.omg.org/spec/BPMN/20100524/MODEL"
    spiff = "http://spiffworkflow.org/bpmn/schema/1.0/core"
    b = f"{{{bpmn}}}"
    root = etree.fromstring(NOMINATION_ROUTE.read_bytes())
    process = next(p for p in root.iter(f"{b}process") if p.get("id") == "nomination")
    vote = process.find(f"{b}userTask[@id='council_vote']")
    vote.set("id", "council_round")
    vote.set("name", "Chờ Hội đồng xét theo đợt")
    vote.remove(vote.find(f"{b}multiInstanceLoopCharacteristics"))
    for prop in vote.iter(f"{{{spiff}}}property"):
        prop.set("value", {"formJsonSchemaFilename": "council_round.schema.json", "hook": "round"}[prop.get("name")])
    for prop in list(process.iter(f"{{{spiff}}}property")):
        if prop.get("name") == "opensBallot":
            prop.getparent().remove(prop)
    timers = {e.get("id") for e in process.iter(f"{b}boundaryEvent") if e.get("attachedToRef") == "council_vote"}
    ends = {f"{t}_end" for t in timers}
    flows = {f.get("id") for f in process.iter(f"{b}sequenceFlow") if f.get("sourceRef") in timers}
    for element in list(process.iter()):
        if element.get("id") in timers | ends | flows:
            element.getparent().remove(element)
    for ref in list(process.iter(f"{b}flowNodeRef")):
        if ref.text in timers | ends or ref.text == "council_vote":
            ref.getparent().remove(ref)
    secretariat = process.find(f".//{b}lane[@id='secretariat']")
    etree.SubElement(secretariat, f"{b}flowNodeRef").text = "council_round"
    for flow in process.iter(f"{b}sequenceFlow"):
        for end in ("sourceRef", "targetRef"):
            if flow.get(end) == "council_vote":
                flow.set(end, "council_round")
    # The diagram's shapes for what went: a BPMN editor would drop them too.
    for shape in list(root.iter()):
        if shape.get("bpmnElement") in timers | ends | flows:
            shape.getparent().remove(shape)
        elif shape.get("bpmnElement") == "council_vote":
            shape.set("bpmnElement", "council_round")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


PASSPHRASE = "mật khẩu kiểm phiếu của Bộ trưởng"  # the demo chair's, in tests


class RoundDriver(Driver):
    def ballot_item(self, round_id: int, username: str) -> int:
        with self.db.read() as s:
            return s.scalar(select(TaskItem.id).where(TaskItem.round_id == round_id,
                                                      TaskItem.assignee_id == self.uid(username)))

    def waiting(self, clerk: str = "clerk1", head: str = "head1", **fields) -> int:
        """A dossier of ``clerk``'s unit accepted by the secretariat and waiting for the council's round."""
        nid = self.create(clerk, **fields)
        self.submit(nid, clerk, head)
        self.act(nid, "secretary", APPROVE)
        assert self.ready_steps(nid) == ["council_round"]
        return nid

    def open(self, nomination_ids: list[int], title: str = "Đợt xét tháng 12/2026") -> int:
        rid = rounds.create_round(self.db, self.uid("secretary"), title, "2026-12-10", nomination_ids)
        rounds.open_round(self.db, self.uid("secretary"), rid)
        return rid

    def ballot(self, round_id: int, username: str, votes: dict[int, str]):
        return services.complete_task(self.db, self.uid(username), self.ballot_item(round_id, username),
                                      {"votes": {str(k): v for k, v in votes.items()}})

    def close(self, round_id: int, passphrase: str = PASSPHRASE):
        return rounds.close_round(self.db, self.uid("minister"), round_id, passphrase)

    def passed(self, names: list[str], **fields: Any) -> tuple[list[int], int]:
        """Dossiers for ``names`` through one council round where every member agrees, then appraised:
        each waits at the decision step. Returns their ids and the round's."""
        nids = [self.waiting(nominee_name=name, **fields) for name in names]
        round_id = self.open(nids)
        for member in COUNCIL:
            self.ballot(round_id, member, dict.fromkeys(nids, "agree"))
        self.close(round_id)
        for nid in nids:
            self.to_decision(nid)
            assert self.ready_steps(nid) == [DECISION_STEP]
        return nids, round_id
