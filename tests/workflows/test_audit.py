"""The audit trail: one event per action with who, as what, on which step, why and what changed,
chained per nomination by SHA-256 so that an edit or a deletion made directly in SQL shows."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import delete, select, text, update

from workflows import services
from workflows.domain.errors import Forbidden, Invalid
from workflows.domain.rules import iso_utc
from workflows.persistence import audit
from workflows.persistence.db import Database
from workflows.persistence.model import AuditEvent

from ..support import APPROVE, COUNCIL, DOSSIER, Driver, attach_required, returned

NEW_ACHIEVEMENTS = "Bổ sung: chủ trì đề tài cấp Bộ năm 2025, hai sáng kiến cấp cơ sở đã được công nhận."
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def events(db: Database, nid: int) -> list[AuditEvent]:
    with db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.nomination_id == nid).order_by(AuditEvent.seq)))


def row(e: AuditEvent) -> tuple[Any, ...]:
    return (e.actor, e.role, e.task, e.action, e.comment, e.changes)


def lifecycle(driver: Driver) -> int:
    """Created, returned once with a changed dossier, voted, appraised and signed: every kind of event."""
    nid = driver.create()
    driver.submit(nid)
    driver.act(nid, "secretary", returned("Bổ sung minh chứng đề tài cấp Bộ"))
    driver.act(nid, "clerk1", {"achievements": NEW_ACHIEVEMENTS})
    driver.act(nid, "head1", APPROVE)
    driver.act(nid, "secretary", APPROVE)
    driver.vote(nid, ["agree"] * 7 + ["disagree"] * 2)
    driver.act(nid, "reviewer", {"decision": "approve", "comment": "Đủ điều kiện"})
    driver.sign(nid)
    return nid


def test_a_full_lifecycle_leaves_an_intact_chain(driver: Driver):
    nid = lifecycle(driver)
    history = events(driver.db, nid)
    assert [e.seq for e in history] == list(range(1, len(history) + 1))
    # created with the three documents a Bằng khen requires, submitted and approved, returned, resubmitted and
    # approved, accepted, joined a round and its result (the ballots are the round's events, not the dossier's),
    # appraised, then the decision: drafted, sent, signed, registered and issued
    assert len(history) == 1 + 3 + 2 + 1 + 2 + 1 + 1 + 1 + 1 + 5
    assert history[0].prev_hash == audit.GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(history))
    assert len({e.hash for e in history}) == len(history)
    assert all(earlier.at <= later.at for earlier, later in pairwise(history))
    assert audit.verify_chain(history) is None
    assert driver.nomination(nid).state == "awarded"


def test_each_action_writes_exactly_one_event_with_who_what_and_the_change(driver: Driver):
    db = driver.db
    seen: list[AuditEvent] = []

    def step(action: Callable[[], Any]) -> list[tuple[Any, ...]]:
        before = len(seen)
        action()
        seen[:] = events(db, nid)
        return [row(e) for e in seen[before:]]

    nid = driver.create(documents=False)
    seen[:] = events(db, nid)
    assert [row(e) for e in seen] == [("clerk1", "unit_clerk", None, "created", None,
                                       {k: [None, v] for k, v in DOSSIER.items()})]
    documents = step(lambda: attach_required(db, driver.uid("clerk1"), nid, DOSSIER["award_form"]))
    assert [(e[0], e[3], e[5]["attachment"][1]["kind"]) for e in documents] == [
        ("clerk1", "attachment_added", kind) for kind in ("to_trinh", "bao_cao_thanh_tich", "bien_ban")]
    assert step(lambda: driver.act(nid, "clerk1", {})) == [("clerk1", "unit_clerk", "draft", "submitted", None, None)]
    submitted = step(lambda: driver.act(nid, "head1", APPROVE))  # the submission: its date picks the rule set
    assert submitted == [("head1", "unit_head", "head_review", "approve", None,
                          {"submitted_at": [None, iso_utc(driver.nomination(nid).submitted_at)]})]
    assert step(lambda: driver.act(nid, "secretary", returned("Thiếu minh chứng"))) == [
        ("secretary", "secretariat", "secretariat_check", "return", "Thiếu minh chứng", {"return_count": [0, 1]})]
    assert step(lambda: driver.act(nid, "clerk1", {"achievements": NEW_ACHIEVEMENTS, "field": "Viễn thông"})) == [
        ("clerk1", "unit_clerk", "draft", "submitted", None,
         {"achievements": [DOSSIER["achievements"], NEW_ACHIEVEMENTS], "field": [DOSSIER["field"], "Viễn thông"]})]
    assert step(lambda: driver.act(nid, "head1", {"decision": "approve", "comment": "  Đồng ý trình  "})) == [
        ("head1", "unit_head", "head_review", "approve", "Đồng ý trình", None)]  # trimmed; submitted_at kept
    attached = step(lambda: services.add_attachment(db, driver.uid("secretary"), nid, "Tờ trình.pdf", PDF))
    digest = hashlib.sha256(PDF).hexdigest()
    assert attached == [("secretary", None, None, "attachment_added", None,
                         {"attachment": [None, {"id": attached[0][5]["attachment"][1]["id"], "name": "Tờ trình.pdf",
                                                "sha256": digest, "kind": "khac", "kind_label": "Khác"}]})]
    assert step(lambda: driver.act(nid, "secretary", APPROVE)) == [
        ("secretary", "secretariat", "secretariat_check", "approve", None, None)]
    driver.ensure_passphrase()
    joined = step(lambda: driver.open([nid]))
    round_id = joined[0][5]["round"][1]["id"]
    assert joined == [("secretary", "secretariat", "council_round", "round_joined", None,
                       {"round": [None, {"id": round_id, "title": "Đợt xét tháng 12/2026"}]})]
    for member in COUNCIL[:6]:  # a ballot is the round's event: the dossier learns nothing of who voted
        assert step(lambda m=member: driver.ballot(round_id, m, {nid: "agree"})) == []
    closed = step(lambda: driver.close(round_id))
    result = driver.nomination(nid).council_result
    assert closed == [("system", None, "council_round", "council_result", None, {"council_result": [None, result]})]
    assert (result["present"], result["passed"]) == (6, True)
    assert step(lambda: driver.act(nid, "reviewer", APPROVE)) == [("reviewer", "reviewer", "appraisal", "approve", None, None)]
    signed = step(lambda: driver.sign(nid))
    nom = driver.nomination(nid)
    [decision_id] = {e[5]["decision_id"][1] for e in signed if e[5] and "decision_id" in e[5]}
    number, issued = nom.decision_number, {"decision_number": [None, nom.decision_number],
                                           "decision_date": [None, signed[-1][5]["decision_date"][1]]}
    assert number == "01/QĐ-BKHCN"
    assert signed == [
        ("secretary", "secretariat", "await_decision", "decision_drafted", None, {"decision_id": [None, decision_id]}),
        ("secretary", "secretariat", "await_decision", "decision_sent", None, {"decision_id": [None, decision_id]}),
        ("minister", "minister", "await_decision", "decision_signed", None, {"decision_id": [None, decision_id]}),
        ("secretary", "secretariat", "await_decision", "decision_registered", None, issued),
        ("system", None, "issue_decision", "decision_issued", None, {"state": ["in_progress", "awarded"]} | issued),
    ]
    assert [e.actor_id for e in seen if e.actor == "system"] == [None, None]  # the council's result and the decision
    assert all(e.actor_id == driver.uid(e.actor) for e in seen if e.actor != "system")
    assert audit.verify_chain(seen) is None


def test_a_refused_action_writes_no_event(driver: Driver):
    nid = driver.create()
    driver.act(nid, "clerk1", {})
    before = events(driver.db, nid)
    with pytest.raises(Invalid):
        driver.act(nid, "head1", {"decision": "maybe"})
    with pytest.raises(Forbidden):
        services.complete_task(driver.db, driver.uid("secretary"), driver.item_for(nid, "head1"), APPROVE)
    assert [e.hash for e in events(driver.db, nid)] == [e.hash for e in before]


# --- tampering -----------------------------------------------------------------------------

def _tamper_comment(db: Database, nid: int, seq: int) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET comment = :c WHERE nomination_id = :n AND seq = :s"),
                     {"c": "Hồ sơ đầy đủ", "n": nid, "s": seq})


def _tamper_changes(db: Database, nid: int, seq: int) -> None:
    with db.engine.begin() as conn:
        old = conn.execute(select(AuditEvent.changes).where(AuditEvent.nomination_id == nid, AuditEvent.seq == seq)).scalar()
        forged = {"achievements": [old["achievements"][0], "Thành tích được sửa sau khi trình"]}
        conn.execute(update(AuditEvent.__table__).where(AuditEvent.nomination_id == nid, AuditEvent.seq == seq)
                     .values(changes=forged))


def _tamper_actor(db: Database, nid: int, seq: int) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'head2' WHERE nomination_id = :n AND seq = :s"), {"n": nid, "s": seq})


def _find(history: list[AuditEvent], action: str, task: str | None = None) -> AuditEvent:
    return next(e for e in history if e.action == action and (task is None or e.task == task))


@pytest.mark.parametrize(("tamper", "target"), [
    (_tamper_comment, ("return", "secretariat_check")),
    (_tamper_changes, ("submitted", None)),  # the resubmission that changed the achievements
    (_tamper_actor, ("approve", "head_review")),
])
def test_an_edit_in_sql_is_detected_at_that_event(driver: Driver, tamper, target):
    db = driver.db
    nid = lifecycle(driver)
    other = lifecycle(driver)
    history = events(db, nid)
    candidates = [e for e in history if e.action == target[0] and (target[1] is None or e.task == target[1])]
    victim = candidates[-1]  # the resubmission, the second head approval...
    assert 1 < victim.seq < len(history)
    tamper(db, nid, victim.seq)
    assert audit.verify_chain(events(db, nid)) == victim.seq
    assert audit.verify_chain(events(db, other)) is None  # each nomination has its own chain


def test_the_last_event_edited_is_detected(driver: Driver):
    db = driver.db
    nid = lifecycle(driver)
    last = events(db, nid)[-1]
    assert last.action == "decision_issued"
    with db.engine.begin() as conn:
        conn.execute(update(AuditEvent.__table__).where(AuditEvent.id == last.id)
                     .values(changes={"state": ["in_progress", "awarded"], "decision_number": [None, "99/QĐ-BKHCN"]}))
    assert audit.verify_chain(events(db, nid)) == last.seq


def test_deleting_a_middle_event_is_detected_at_the_next_one(driver: Driver):
    db = driver.db
    nid = lifecycle(driver)
    victim = _find(events(db, nid), "return")
    with db.engine.begin() as conn:
        conn.execute(delete(AuditEvent.__table__).where(AuditEvent.id == victim.id))
    assert audit.verify_chain(events(db, nid)) == victim.seq + 1


def test_renumbering_after_a_deletion_is_still_detected(driver: Driver):
    db = driver.db
    nid = lifecycle(driver)
    history = events(db, nid)
    victim = _find(history, "return")
    with db.engine.begin() as conn:
        conn.execute(delete(AuditEvent.__table__).where(AuditEvent.id == victim.id))
        for e in history[victim.seq:]:  # close the gap: seq n+1 becomes n, and so on
            conn.execute(update(AuditEvent.__table__).where(AuditEvent.id == e.id).values(seq=e.seq - 1))
    assert audit.verify_chain(events(db, nid)) == victim.seq


def test_an_edit_with_its_own_hash_recomputed_breaks_the_link_to_the_next_event(driver: Driver):
    db = driver.db
    nid = lifecycle(driver)
    victim = _find(events(db, nid), "return")
    with db.engine.begin() as conn:
        conn.execute(update(AuditEvent.__table__).where(AuditEvent.id == victim.id).values(comment="Không có ý kiến"))
    with db.read() as s:
        forged = s.get(AuditEvent, victim.id)
        new_hash = audit._digest(forged.prev_hash, audit._fields(forged))
    with db.engine.begin() as conn:
        conn.execute(update(AuditEvent.__table__).where(AuditEvent.id == victim.id).values(hash=new_hash))
    assert audit.verify_chain(events(db, nid)) == victim.seq + 1


def test_deleting_the_newest_event_is_detected(driver: Driver):
    """The nomination keeps the chain's head (last seq and hash), so a chain cut short shows."""
    db = driver.db
    nid = lifecycle(driver)
    last = events(db, nid)[-1]
    assert last.action == "decision_issued"
    with db.read() as s:
        assert audit.verify_nomination(s, nid) is None
    with db.engine.begin() as conn:
        conn.execute(delete(AuditEvent.__table__).where(AuditEvent.id == last.id))
    assert audit.verify_chain(events(db, nid)) is None  # the shortened chain is consistent in itself...
    with db.read() as s:
        assert audit.verify_nomination(s, nid) == last.seq  # ...but not with its recorded head


def test_the_api_history_shows_the_change_old_to_new(driver: Driver):
    from webapp import create_app

    db = driver.db
    client = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": db.url,
                         "WTF_CSRF_ENABLED": False}, db=db).test_client()
    nid = lifecycle(driver)
    token = client.post("/api/v1/auth/token", json={"username": "auditor", "password": "demo"}).get_json()["token"]
    response = client.get(f"/api/v1/nominations/{nid}/history", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert len(items) == len(events(db, nid))
    resubmission = [i for i in items if i["action"] == "submitted" and i["changes"]]
    assert len(resubmission) == 1
    assert resubmission[0]["changes"] == {"achievements": [DOSSIER["achievements"], NEW_ACHIEVEMENTS]}
    assert (resubmission[0]["actor"], resubmission[0]["role"], resubmission[0]["task"]) == ("clerk1", "unit_clerk", "draft")
    returned_item = next(i for i in items if i["action"] == "return")
    assert returned_item["comment"] == "Bổ sung minh chứng đề tài cấp Bộ"
    assert returned_item["at"].endswith("+07:00")
