"""Test helpers that drive nominations through the real service layer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from workflows import engine, services
from workflows.domain import clock
from workflows.domain.forms import FormSet
from workflows.persistence import versions
from workflows.persistence.db import Database
from workflows.persistence.model import Nomination, OfficerKey, TaskItem, Timer, User
from workflows.persistence.reference import shipped_rules
from workflows.persistence.required_documents import required_kinds
from workflows.persistence.scope import load_actor
from workflows.persistence.versions import NOMINATION_ROUTE, shipped_forms
from workflows.services import decisions, rounds

SHIPPED_FORMS = FormSet(shipped_forms())  # the forms the next deploy ships, for tests that read them


def shipped_bundle(bpmn_xml: str | None = None) -> engine.Bundle:
    """The bundle this release deploys on a fresh database (``bpmn_xml`` replaces the route)."""
    return versions.shipped_bundle(bpmn_xml)


def legacy_bundle(bpmn_xml: str | None = None, rules: dict[str, Any] | None = None) -> engine.Bundle:
    """A bundle as versions before the DMN tables pinned it: the legacy rule tables, no decisions, the
    per-dossier ballot route."""
    xml = bpmn_xml if bpmn_xml is not None else per_dossier_route_xml()
    return engine.Bundle(xml, shipped_forms(), rules if rules is not None else shipped_rules().as_dict())


def edit_decisions(files: dict[str, str], award_form: str, only: str | None = None, **outputs: Any) -> dict[str, str]:
    """The DMN files with new output cells (Python values) on ``award_form``'s row, in every set or only in ``only``.

    Cells change, columns never: what an admin editing the rule data does.
    """
    from lxml import etree

    edited = dict(files)
    for name, xml in files.items():
        if only is not None and name != only:
            continue
        root = etree.fromstring(xml.encode("utf-8"))
        table = next(root.iter("{*}decisionTable"))
        columns = [o.get("name") for o in table.findall("{*}output")]
        [row] = [r for r in table.findall("{*}rule") if r.findtext("{*}inputEntry/{*}text") == f'"{award_form}"']
        cells = row.findall("{*}outputEntry")
        for output, value in outputs.items():
            cells[columns.index(output)].find("{*}text").text = f'"{value}"' if isinstance(value, str) else repr(value)
        edited[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")
    return edited


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
PASSPHRASE = "mật khẩu kiểm phiếu của Bộ trưởng"  # the demo chair's, in tests
NAMES_OF_ROUND = ["Nguyễn Thị Hồng Nhung", "Trịnh Văn Bảo", "Phạm Quỳnh Anh"]
DECISION_STEP = "await_decision"  # where the shipped route's dossiers wait for their decision


def returned(reason: str = "Bổ sung minh chứng") -> dict[str, str]:
    return {"decision": "return", "comment": reason}


PER_DOSSIER_ROUTE = Path(__file__).parent / "fixtures" / "nomination_per_dossier_ballot.bpmn"


def per_dossier_route_xml() -> str:
    """The route as versions before council rounds shipped it: a multi-instance ballot per dossier.

    Deployed versions keep running it, so the services still must; tests of that ballot deploy it.
    """
    return PER_DOSSIER_ROUTE.read_text(encoding="utf-8")


legacy_route_xml = per_dossier_route_xml  # the same route: votes and signatures one dossier at a time


# The smallest file the content check takes for a PDF: enough for tests that only need a document attached.
TINY_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def attach_required(db: Database, actor: int, nomination_id: int, award_form: str) -> list[int]:
    """Attach one small PDF per document the award form requires, as a clerk would before submitting."""
    return [services.add_attachment(db, actor, nomination_id, f"{kind}.pdf", TINY_PDF, kind=kind)
            for kind in required_kinds(award_form)]


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

    def create(self, clerk: str = "clerk1", *, documents: bool = True, **fields: Any) -> int:
        """A new dossier with the documents its award form requires attached (``documents=False``: none)."""
        data = DOSSIER | fields
        nomination_id = services.create_nomination(self.db, self.uid(clerk), data)
        if documents:
            attach_required(self.db, self.uid(clerk), nomination_id, data["award_form"])
        return nomination_id

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
        """``votes[i]`` is council member i+1's choice; members beyond the list do not vote.

        On a route with council rounds the dossier gets a round of its own, which the chair closes after
        the votes; on the per-dossier ballot route each member completes their ballot task.
        """
        if "council_round" not in self.ready_steps(nomination_id):
            for member, choice in zip(COUNCIL, votes, strict=False):
                self.act(nomination_id, member, {"vote": choice})
            return
        self.ensure_passphrase()
        round_id = self.open([nomination_id], title=f"Đợt xét hồ sơ {nomination_id}")
        for member, choice in zip(COUNCIL, votes, strict=False):
            self.ballot(round_id, member, {nomination_id: choice})
        self.close(round_id)

    def ensure_passphrase(self) -> None:
        """The chair's ballot passphrase, set once per database (it seals each round's key)."""
        with self.db.read() as s:
            has_key = s.get(OfficerKey, self.uid("minister")) is not None
        if not has_key:
            rounds.set_officer_passphrase(self.db, self.uid("minister"), PASSPHRASE)

    def submitted_above(self, advance: Callable[[timedelta], None], **fields: Any) -> int:
        """A form decided above the ministry (default ``huan_chuong_lao_dong_hang_ba``) taken to the outside result:
        published if its rules say so (the clock, frozen by the caller, is moved past the window), voted, appraised
        and its submission signed by the minister; it then waits for the outside result."""
        nid = self.create(**({"award_form": "huan_chuong_lao_dong_hang_ba"} | fields))
        self.accept(nid)
        with self.db.read() as s:
            window = s.scalar(select(Timer.due_at).where(Timer.nomination_id == nid, Timer.name == "disclosure_window"))
        if window is not None:  # the DMN publishes orders (Huân chương) first, not every form decided above
            advance(window + timedelta(minutes=1) - clock.now())
            services.fire_timers_of(self.db, nid)
        self.vote(nid, ["agree"] * 9)
        self.act(nid, "reviewer", APPROVE)
        self.sign(nid)  # the submission (tờ trình), its own number registered
        return nid

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

    def tie_item(self, round_id: int) -> int | None:
        """The round's tie task row (for the chairs), if the count left one."""
        with self.db.read() as s:
            return s.scalar(select(TaskItem.id).where(TaskItem.round_id == round_id, TaskItem.name == rounds.TIE_TASK))

    def break_tie(self, round_id: int, chosen: list[int], username: str = "minister"):
        return services.complete_task(self.db, self.uid(username), self.tie_item(round_id), {"chosen": chosen})


RoundDriver = Driver  # the name the round tests were written with


def deploy_with_quota(db: Database, quotas: dict[str, int | None]) -> int:
    """Deploy the latest version again with these yearly quotas per award form (its DMN ``quota`` cells, in
    every rule set); returns the new version's id. The one place tests set a quota."""
    with db.write() as s:
        latest = versions.latest(s)
        files = dict(latest.decisions)
        for award_form, quota in quotas.items():
            files = edit_decisions(files, award_form, quota=quota)
        model, _new = versions.deploy(s, engine.Bundle(latest.bpmn_xml, latest.forms, latest.rules, files))
        return model.id


OUTSIDE_REGION = {"outside_result", "outside_result_reminder", "outside_result_reminder_end", "gw_outside",
                  "set_awarded_outside", "end_awarded_outside", "set_rejected_outside", "end_rejected_outside",
                  "f_outside_gw", "f_outside_awarded", "f_outside_refused", "f_awarded_outside_end",
                  "f_rejected_outside_end", "f_outside_result_reminder", "msg_outside_result"}


def submitted_end_route_xml() -> str:
    """The shipped route as versions before the outside result had it: submitted above is its end.

    ``set_submitted`` leads to an end event ``end_submitted``; the wait for the outside result, its
    reminder and its ends go (with their shapes), as they were not there.
    """
    from lxml import etree

    b = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
    root = etree.fromstring(NOMINATION_ROUTE.read_bytes())
    process = next(p for p in root.iter(f"{b}process") if p.get("id") == "nomination")
    for element in list(root.iter()):
        if element.get("id") in OUTSIDE_REGION or element.get("bpmnElement") in OUTSIDE_REGION:
            element.getparent().remove(element)
    for ref in list(process.iter(f"{b}flowNodeRef")):
        if ref.text in OUTSIDE_REGION:
            ref.getparent().remove(ref)
    flow = process.find(f"{b}sequenceFlow[@id='f_to_outside']")
    flow.set("targetRef", "end_submitted")
    end = etree.SubElement(process, f"{b}endEvent", id="end_submitted", name="Đã trình cấp trên")
    etree.SubElement(end, f"{b}incoming").text = "f_to_outside"
    process.remove(end)
    flow.addprevious(end)
    minister = process.find(f".//{b}lane[@id='minister']")
    etree.SubElement(minister, f"{b}flowNodeRef").text = "end_submitted"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")
