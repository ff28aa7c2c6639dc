"""Batch decisions: the passed dossiers of one award form go to the minister as one decision (or submission) with its
attached list; one signature covers the list; the clerical office registers its number and date, which every
awardee's registry row carries. On SQLite and PostgreSQL, through the service layer, on the round route."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from workflows import engine, services
from workflows.domain import clock
from workflows.domain.actor import Actor, OnBehalfOf
from workflows.domain.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.engine import lint
from workflows.persistence import audit, versions
from workflows.persistence.decision_model import Decision, DecisionDossier
from workflows.persistence.model import AuditEvent, AwardRecord, Counter, Nomination, Notification, TaskItem, User
from workflows.persistence.scope import load_actor
from workflows.services import decisions

from ..support import APPROVE, COUNCIL, DECISION_STEP, Driver, RoundDriver, returned, shipped_bundle
from .test_concurrency import race

NAMES = ["Nguyễn Thị Hồng Nhung", "Trịnh Văn Bảo", "Phạm Quỳnh Anh"]
START = datetime(2026, 11, 30, 9, 0, tzinfo=clock.VN_TZ)  # a Monday


@pytest.fixture
def now() -> Iterator:
    with clock.frozen(START) as advance:
        yield advance


def actions(driver: Driver, nid: int) -> list[tuple[str, str | None, str]]:
    with driver.db.read() as s:
        return [(e.action, e.task, e.actor) for e in s.scalars(select(AuditEvent).where(AuditEvent.nomination_id == nid)
                                                             .order_by(AuditEvent.seq))]


def decision_events(driver: Driver, did: int) -> list[AuditEvent]:
    with driver.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.subject_type == "decision",
                                                       AuditEvent.subject_id == str(did)).order_by(AuditEvent.seq)))


def decision(driver: Driver, did: int) -> Decision:
    with driver.db.read() as s:
        return s.get(Decision, did)


def registry(driver: Driver) -> list[AwardRecord]:
    with driver.db.read() as s:
        return list(s.scalars(select(AwardRecord).order_by(AwardRecord.nomination_id)))


def tasks_of(driver: Driver, did: int) -> list[tuple[str, str, str]]:
    with driver.db.read() as s:
        return [(t.name, t.role, t.state) for t in s.scalars(select(TaskItem).where(TaskItem.decision_id == did)
                                                             .order_by(TaskItem.id))]


def secretary(driver: Driver) -> int:
    return driver.uid("secretary")


def above_ministry(rd: RoundDriver, names: list[str], advance, award_form: str = "huan_chuong_lao_dong_hang_ba") -> list[int]:
    """Dossiers of a form decided above the ministry: published, then a round where all agree, then appraised."""
    nids = []
    for name in names:
        nid = rd.create(award_form=award_form, nominee_name=name)
        rd.accept(nid)
        assert rd.ready_steps(nid) == ["disclosure"]
        nids.append(nid)
    advance(timedelta(days=30))  # the disclosure window passes without objection
    services.fire_due_timers(rd.db)
    round_id = rd.open(nids)
    for member in COUNCIL:
        rd.ballot(round_id, member, dict.fromkeys(nids, "agree"))
    rd.close(round_id)
    for nid in nids:
        rd.to_decision(nid)
        assert rd.ready_steps(nid) == [DECISION_STEP]
    return nids


# --- one decision, one signature, one number --------------------------------------------------------

def test_three_dossiers_one_decision_one_signature_three_registry_rows(rd: RoundDriver, now):
    nids, round_id = rd.passed(NAMES)
    with pytest.raises(Conflict):  # the dossier's own wait is the decision's to complete
        rd.act(nids[0], "secretary", {"decision": "approve"})

    did = decisions.draft(rd.db, secretary(rd), nids)
    drafted = decision(rd, did)
    assert (drafted.kind, drafted.award_form, drafted.round_id, drafted.state) == (
        "decision", "bang_khen_bo_truong", round_id, "draft")
    assert drafted.title == "Về việc tặng Bằng khen của Bộ trưởng"
    assert tasks_of(rd, did) == []

    sent = decisions.send(rd.db, secretary(rd), did)
    assert (sent.state, sent.nomination_ids) == ("sent", nids)
    assert tasks_of(rd, did) == [("decision_sign", "minister", "ready")]
    assert decision(rd, did).due_at == datetime(2026, 12, 7, 17, 0, tzinfo=clock.VN_TZ)  # 5 working days
    with pytest.raises(Forbidden):  # the task is the minister's
        services.complete_task(rd.db, rd.uid("secretary"), rd.decision_item(did), APPROVE)

    now(timedelta(hours=2))
    signed = services.complete_task(rd.db, rd.uid("minister"), rd.decision_item(did), APPROVE)
    assert isinstance(signed, decisions.DecisionOutcome) and signed.state == "signed"
    assert all(rd.ready_steps(n) == [DECISION_STEP] and rd.nomination(n).state == "in_progress" for n in nids)
    assert registry(rd) == []  # no award before the clerical office registers the number
    assert tasks_of(rd, did) == [("decision_sign", "minister", "completed"), ("decision_register", "secretariat", "ready")]

    now(timedelta(days=1))
    registered = decisions.register(rd.db, secretary(rd), did)  # the proposed number, today's date
    assert registered.state == "registered"
    done = decision(rd, did)
    assert (done.number, done.year, done.registered_date) == ("01/QĐ-BKHCN", 2026, date(2026, 12, 1))
    assert done.signed_by_id == rd.uid("minister") and done.on_behalf_of_id is None
    rows = registry(rd)
    assert [r.nomination_id for r in rows] == nids
    assert {(r.decision_number, r.decision_date, r.decision_id, r.signed_by_id) for r in rows} == {
        ("01/QĐ-BKHCN", date(2026, 12, 1), did, rd.uid("minister"))}
    assert {r.decided_at for r in rows} == {START + timedelta(hours=2)}  # when it was signed
    for nid in nids:
        nom = rd.nomination(nid)
        assert (nom.state, nom.decision_number) == ("awarded", "01/QĐ-BKHCN")
        assert rd.ready_steps(nid) == []
        assert actions(rd, nid)[-5:] == [
            ("decision_drafted", DECISION_STEP, "secretary"), ("decision_sent", DECISION_STEP, "secretary"),
            ("decision_signed", DECISION_STEP, "minister"), ("decision_registered", DECISION_STEP, "secretary"),
            ("decision_issued", "issue_decision", "system")]
        with rd.db.read() as s:
            assert audit.verify_nomination(s, nid) is None
    assert tasks_of(rd, did)[-1] == ("decision_register", "secretariat", "completed")
    assert [e.action for e in decision_events(rd, did)] == [
        "decision_drafted", "decision_sent", "decision_signed", "decision_registered"]
    with rd.db.read() as s:
        assert audit.verify_subject(s, "decision", did) is None
        assert s.scalar(select(Counter.value).where(Counter.name == "decision", Counter.year == 2026)) == 1
    with pytest.raises(Conflict):  # registered once
        decisions.register(rd.db, secretary(rd), did, "02/QĐ-BKHCN")


def test_numbers_follow_one_sequence_per_year(rd: RoundDriver, now):
    first = [rd.create(award_form="ky_niem_chuong", nominee_name=n) for n in NAMES[:2]]
    for nid in first:
        rd.accept(nid)
        rd.to_decision(nid)  # Kỷ niệm chương: no council vote
    one = rd.decide(first[:1])
    two = rd.decide(first[1:])
    assert [decision(rd, d).number for d in (one, two)] == ["01/QĐ-BKHCN", "02/QĐ-BKHCN"]
    assert {r.decision_number for r in registry(rd)} == {"01/QĐ-BKHCN", "02/QĐ-BKHCN"}
    now(timedelta(days=40))  # a new calendar year: the sequence starts again
    late = rd.create(award_form="ky_niem_chuong")
    rd.accept(late)
    rd.to_decision(late)
    latest = decision(rd, rd.decide([late]))
    assert (latest.number, latest.year, decision(rd, one).year) == ("01/QĐ-BKHCN", 2027, 2026)


def test_a_submission_for_a_form_decided_above_the_ministry(rd: RoundDriver, now):
    nids = above_ministry(rd, NAMES[:2], now)
    did = decisions.draft(rd.db, secretary(rd), nids)
    drafted = decision(rd, did)
    assert (drafted.kind, drafted.title) == ("submission", "Về việc đề nghị tặng Huân chương Lao động hạng Ba")
    decisions.send(rd.db, secretary(rd), did)
    assert tasks_of(rd, did) == [("decision_sign", "minister", "ready")]
    signed = services.complete_task(rd.db, rd.uid("minister"), rd.decision_item(did), APPROVE)
    assert signed.state == "signed"
    for nid in nids:  # at the signature the route sends it above to wait for the outside result; no registry row
        nom = rd.nomination(nid)
        assert (nom.state, nom.decision_number, nom.current_step) == ("submitted", None, "outside_result")
        assert actions(rd, nid)[-2:] == [("decision_signed", DECISION_STEP, "minister"),
                                         ("submitted_above", "outside_result", "system")]
    assert registry(rd) == []
    registered = decisions.register(rd.db, secretary(rd), did)  # the submission's own number, for the dispatch
    assert registered.state == "registered" and decision(rd, did).number == "01/TTr-BKHCN"
    assert {rd.nomination(n).state for n in nids} == {"submitted"} and registry(rd) == []


def test_the_minister_returns_the_decision_and_every_dossier_goes_back_to_appraisal(rd: RoundDriver, now):
    nids, _ = rd.passed(NAMES[:2])
    did = decisions.draft(rd.db, secretary(rd), nids)
    decisions.send(rd.db, secretary(rd), did)
    item = rd.decision_item(did)
    with pytest.raises(Invalid) as missing:  # a return says why
        services.complete_task(rd.db, rd.uid("minister"), item, {"decision": "return"})
    assert "comment" in missing.value.fields
    assert decision(rd, did).state == "sent"

    with rd.db.read() as s:
        told_before = s.scalar(select(func.max(Notification.id)))
    back = services.complete_task(rd.db, rd.uid("minister"), item, returned("Làm rõ thành tích năm 2025"))
    assert back.state == "returned"
    with rd.db.read() as s:  # the ministry's own steps hear of it; the unit has nothing to supplement
        told = s.execute(select(User.username, Notification.kind, Notification.message)
                         .join(User, User.id == Notification.user_id).where(Notification.id > told_before)).all()
    assert {(who, kind) for who, kind, _ in told} == {("secretary", "decision"), ("reviewer", "task")}, told
    assert all("Làm rõ thành tích năm 2025" in message for _, _, message in told)
    assert all("được trả lại bước «Thẩm định»" in m for who, _, m in told if who == "reviewer")
    returned_decision = decision(rd, did)
    assert (returned_decision.close_reason, returned_decision.closed_by_id) == ("Làm rõ thành tích năm 2025",
                                                                                rd.uid("minister"))
    assert tasks_of(rd, did) == [("decision_sign", "minister", "completed")]
    for nid in nids:
        assert rd.ready_steps(nid) == ["appraisal"]
        nom = rd.nomination(nid)
        assert (nom.state, nom.return_count) == ("in_progress", 1)
        assert actions(rd, nid)[-1] == ("return", DECISION_STEP, "minister")
    with pytest.raises(Conflict):
        services.complete_task(rd.db, rd.uid("minister"), item, APPROVE)

    for nid in nids:  # appraised again: the dossiers wait again and go into a new decision
        rd.to_decision(nid)
    again = rd.decide(nids)
    assert decision(rd, again).number == "01/QĐ-BKHCN"
    assert {rd.nomination(n).state for n in nids} == {"awarded"}
    assert [e.action for e in decision_events(rd, did)][-1] == "decision_returned"


def test_racing_signers_one_wins_the_others_get_409(rd: RoundDriver):
    nids, _ = rd.passed(NAMES[:2])
    did = decisions.draft(rd.db, secretary(rd), nids)
    decisions.send(rd.db, secretary(rd), did)
    item = rd.decision_item(did)
    with rd.db.read() as s:
        minister = load_actor(s, rd.uid("minister"))
        deputy = load_actor(s, rd.uid("deputy"))
    # The deputy minister signs on the minister's behalf (delegation): KT. BỘ TRƯỞNG.
    delegated = Actor(deputy.id, deputy.username, deputy.full_name, deputy.unit_id, deputy.unit_name,
                      deputy.roles | {"minister"}, on_behalf_of=OnBehalfOf(minister.id, "minister", minister.full_name))
    signers = [minister, delegated, minister, delegated]
    choices = [APPROVE, APPROVE, returned("Chưa đủ căn cứ"), returned("Chưa đủ căn cứ")]

    results = race(4, lambda i: services.complete_task(rd.db, signers[i], item, choices[i]))

    won = [i for i, r in enumerate(results) if isinstance(r, decisions.DecisionOutcome)]
    assert len(won) == 1, results
    assert all(isinstance(r, Conflict) for i, r in enumerate(results) if i != won[0]), results
    winner = won[0]
    final = decision(rd, did)
    if choices[winner] is APPROVE:
        assert final.state == "signed" and final.signed_by_id == signers[winner].id
        assert final.on_behalf_of_id == (minister.id if signers[winner] is delegated else None)
        assert all(rd.ready_steps(n) == [DECISION_STEP] for n in nids)
    else:
        assert final.state == "returned" and all(rd.ready_steps(n) == ["appraisal"] for n in nids)
        assert {rd.nomination(n).return_count for n in nids} == {1}
    with rd.db.read() as s:
        for nid in nids:
            assert audit.verify_nomination(s, nid) is None
        assert audit.verify_subject(s, "decision", did) is None
    assert [e.action for e in decision_events(rd, did)].count("decision_signed") <= 1


def _signed(rd: RoundDriver, names: list[str]) -> int:
    nids = []
    for name in names:
        nid = rd.create(award_form="ky_niem_chuong", nominee_name=name)
        rd.accept(nid)
        rd.to_decision(nid)
        nids.append(nid)
    return rd.decide(nids, register=False)


def test_a_number_already_used_that_year_is_refused_and_registering_twice_is_a_conflict(rd: RoundDriver, now):
    first, second = _signed(rd, NAMES[:1]), _signed(rd, NAMES[1:2])
    for bad, field in [("abc", "number"), ("0", "number"), ("12/QĐ-XYZ", "number"), ("12/QĐ BKHCN", "number"),
                       ("12/TTr-BKHCN", "number"), ("1\n2", "number"), (12, "number")]:
        with pytest.raises(Invalid) as err:
            decisions.register(rd.db, secretary(rd), first, bad)
        assert field in err.value.fields, (bad, err.value.fields)
    for bad in ("31/12/2026", "2026-11-29", "2026-12-01", "2026-02-30"):  # not a date, before signing, tomorrow
        with pytest.raises(Invalid) as err:
            decisions.register(rd.db, secretary(rd), first, "5", bad)
        assert "date" in err.value.fields, bad
    assert decision(rd, first).state == "signed"

    decisions.register(rd.db, secretary(rd), first, "5", "2026-11-30")  # the clerk's own register said 05
    assert decision(rd, first).number == "05/QĐ-BKHCN"
    for used in ("5", "05", "005/qđ-bkhcn", "05/QĐ-BKHCN"):
        with pytest.raises(Invalid) as err:
            decisions.register(rd.db, secretary(rd), second, used)
        assert "05/QĐ-BKHCN" in err.value.fields["number"] and "2026" in err.value.fields["number"]
    assert decision(rd, second).state == "signed"
    with pytest.raises(Conflict):
        decisions.register(rd.db, secretary(rd), first, "7")
    decisions.register(rd.db, secretary(rd), second)
    assert decision(rd, second).number == "06/QĐ-BKHCN"  # the proposal follows the registered number
    with pytest.raises(Forbidden):
        decisions.register(rd.db, rd.uid("auditor"), second)


def test_two_registrations_of_one_number_at_once_give_one_number(rd: RoundDriver):
    first, second = _signed(rd, NAMES[:1]), _signed(rd, NAMES[1:2])
    results = race(2, lambda i: decisions.register(rd.db, secretary(rd), (first, second)[i], "3"))
    kinds = sorted(type(r).__name__ for r in results)
    assert kinds == ["DecisionOutcome", "Invalid"], results
    twice = race(2, lambda i: decisions.register(rd.db, secretary(rd), (first, second)[i]))  # the loser, twice
    assert sorted(type(r).__name__ for r in twice) == ["Conflict", "DecisionOutcome"], twice
    assert sorted(decision(rd, d).number for d in (first, second)) == ["03/QĐ-BKHCN", "04/QĐ-BKHCN"]


# --- drafting ----------------------------------------------------------------------------------------

def test_a_dossier_is_in_one_unfinished_decision_of_one_award_form(rd: RoundDriver):
    nids, _ = rd.passed(NAMES[:2])
    kyc = rd.create(award_form="ky_niem_chuong", nominee_name="Lê Quốc Việt")
    rd.accept(kyc)
    with pytest.raises(Invalid) as early:  # still at appraisal
        decisions.draft(rd.db, secretary(rd), [kyc])
    assert "nomination_ids" in early.value.fields
    rd.to_decision(kyc)
    with pytest.raises(Invalid) as mixed:
        decisions.draft(rd.db, secretary(rd), [nids[0], kyc])
    assert "hình thức" in mixed.value.message
    with pytest.raises(Forbidden):
        decisions.draft(rd.db, rd.uid("clerk1"), nids)
    with pytest.raises(Forbidden):
        decisions.draft(rd.db, rd.uid("auditor"), nids)
    for bad in ([], [nids[0], nids[0]], ["1"], [True], None, [2**40]):
        with pytest.raises(Invalid):
            decisions.draft(rd.db, secretary(rd), bad)
    with pytest.raises(Invalid):
        decisions.draft(rd.db, secretary(rd), nids, "Về việc\ntặng")

    did = decisions.draft(rd.db, secretary(rd), nids, "Về việc tặng Bằng khen của Bộ trưởng năm 2026")
    with pytest.raises(Conflict):
        decisions.draft(rd.db, secretary(rd), nids[1:])
    decisions.cancel(rd.db, secretary(rd), did, "Lập lại theo danh sách mới")  # frees them
    assert decision(rd, did).state == "cancelled"
    again = decisions.draft(rd.db, secretary(rd), nids[1:])
    decisions.send(rd.db, secretary(rd), again)
    with pytest.raises(Conflict):
        decisions.send(rd.db, secretary(rd), again)
    with pytest.raises(Conflict):  # a stale version is a conflict, never an overwrite
        decisions.cancel(rd.db, secretary(rd), again, expected_version=1)
    decisions.cancel(rd.db, secretary(rd), again)  # recalled before the signature: the task goes
    assert tasks_of(rd, again) == [("decision_sign", "minister", "cancelled")]
    with pytest.raises(NotFound):
        decisions.send(rd.db, secretary(rd), 999_999)
    assert [a for a, _, _ in actions(rd, nids[1])][-5:] == [
        "decision_drafted", "decision_cancelled", "decision_drafted", "decision_sent", "decision_cancelled"]


def test_drafting_the_same_dossiers_at_once_makes_one_decision(rd: RoundDriver):
    nids, _ = rd.passed(NAMES[:2])
    results = race(3, lambda i: decisions.draft(rd.db, secretary(rd), nids))
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Conflict", "int"], results
    with rd.db.read() as s:
        assert s.scalar(select(func.count()).select_from(DecisionDossier)) == 2


# --- the contract --------------------------------------------------------------------------------

def test_the_decision_step_is_declared_and_linted():
    xml = shipped_bundle().bpmn_xml
    route = engine.parse(shipped_bundle())
    step = route.contract.decision_step()
    assert (step.id, step.role, step.hook, step.returns, step.signature_deadline) == (
        DECISION_STEP, "secretariat", "decision", "return", "minister_sign")
    assert lint.lint(engine.parse(shipped_bundle())) == []
    moved = xml.replace('<bpmn:flowNodeRef>await_decision</bpmn:flowNodeRef>', '').replace(
        '<bpmn:flowNodeRef>gw_sign</bpmn:flowNodeRef>', '<bpmn:flowNodeRef>gw_sign</bpmn:flowNodeRef>'
        '<bpmn:flowNodeRef>await_decision</bpmn:flowNodeRef>')
    assert any(v.startswith(f"{DECISION_STEP}:") and "secretariat" in v for v in lint.lint(engine.parse(shipped_bundle(moved))))
    second = xml.replace('<spiffworkflow:property name="hook" value="review" />\n          <spiffworkflow:property '
                         'name="decisions" value="approve return" />\n          <spiffworkflow:property name="returns" '
                         'value="return" />\n        </spiffworkflow:properties>',
                         '<spiffworkflow:property name="hook" value="decision" />\n          <spiffworkflow:property '
                         'name="decisions" value="approve return" />\n          <spiffworkflow:property name="returns" '
                         'value="return" />\n        </spiffworkflow:properties>', 1)
    assert second != xml
    assert any("một bước chờ quyết định" in v for v in lint.lint(engine.parse(shipped_bundle(second))))
    no_return = xml.replace('value="decision" />\n          <spiffworkflow:property name="decisions" value="approve return" />',
                            'value="decision" />\n          <spiffworkflow:property name="decisions" value="approve" />')
    assert no_return != xml
    assert any(v.startswith(f"{DECISION_STEP}:") for v in lint.lint(engine.parse(shipped_bundle(no_return))))
    bad_deadline = xml.replace('name="signatureDeadline" value="minister_sign"', 'name="signatureDeadline" value="ky"')
    assert any("signatureDeadline" in v for v in lint.lint(engine.parse(shipped_bundle(bad_deadline))))


# --- versions deployed before batch decisions -----------------------------------------------------

def test_a_version_signed_per_dossier_keeps_working_and_shares_the_sequence(legacy: Driver, now):
    db = legacy.db
    old, waiting = (legacy.create(award_form="ky_niem_chuong", nominee_name=n) for n in NAMES[:2])
    for nid in (old, waiting):
        legacy.accept(nid)
        legacy.to_decision(nid)
        assert legacy.ready_steps(nid) == ["minister_sign"]
    with pytest.raises(Invalid):  # a route without a decision step: its dossiers are signed one by one
        decisions.draft(db, secretary(legacy), [old])
    legacy.act(old, "minister", APPROVE)
    nom = legacy.nomination(old)
    assert (nom.state, nom.decision_number) == ("awarded", "01/QĐ-BKHCN")
    [row] = registry(legacy)
    signed_on = row.decided_at.astimezone(clock.VN_TZ).date()  # signed per dossier: numbered and dated that day
    assert (row.decision_id, row.decision_date, row.signed_by_id) == (None, signed_on, legacy.uid("minister"))

    with db.write() as s:  # the next release: dossiers from now on wait for batch decisions
        renamed = shipped_bundle().bpmn_xml.replace('name="Quy trình xét khen thưởng cấp Bộ"', 'name="Quy trình 2027"')
        versions.deploy(s, versions.current_bundle(s, renamed))
    new = legacy.create(award_form="ky_niem_chuong", nominee_name=NAMES[2])
    legacy.accept(new)
    legacy.to_decision(new)
    assert legacy.ready_steps(new) == [DECISION_STEP]
    did = legacy.decide([new], register=False)
    with pytest.raises(Invalid):  # taken by the dossier signed on its own
        decisions.register(db, secretary(legacy), did, "1")
    decisions.register(db, secretary(legacy), did)
    assert decision(legacy, did).number == "02/QĐ-BKHCN"
    legacy.act(waiting, "minister", APPROVE)  # the old version still signs per dossier, after the registered number
    assert legacy.nomination(waiting).decision_number == "03/QĐ-BKHCN"
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Nomination).where(Nomination.state == "awarded")) == 3


# --- the document ------------------------------------------------------------------------------------

def test_a_deputy_signing_under_delegation_prints_kt_bo_truong(rd: RoundDriver, now):
    from workflows.queries import decisions as decision_queries

    from .test_documents import flowing

    nids, _ = rd.passed(NAMES)
    did = decisions.draft(rd.db, secretary(rd), nids, reason="đã có thành tích xuất sắc trong công tác năm 2026")
    decisions.send(rd.db, secretary(rd), did)
    with rd.db.read() as s:
        minister, deputy = load_actor(s, rd.uid("minister")), load_actor(s, rd.uid("deputy"))
    delegated = Actor(deputy.id, deputy.username, "Phạm Quỳnh Anh", deputy.unit_id, deputy.unit_name,
                      deputy.roles | {"minister"}, on_behalf_of=OnBehalfOf(minister.id, "minister", minister.full_name))
    with pytest.raises(Forbidden):  # a deputy without the minister's delegation does not sign
        services.complete_task(rd.db, deputy, rd.decision_item(did), APPROVE)
    services.complete_task(rd.db, delegated, rd.decision_item(did), APPROVE)
    signed_event = decision_events(rd, did)[-1]
    assert (signed_event.actor, signed_event.on_behalf_of) == ("deputy", "minister")
    decisions.register(rd.db, secretary(rd), did, "12")

    view = decision_queries.get_decision(rd.db, rd.uid("auditor"), did)
    assert (view["signed_by"], view["on_behalf_of"], view["number"]) == ("Thứ trưởng", "Bộ trưởng", "12/QĐ-BKHCN")
    data = decision_queries.get_document(rd.db, rd.uid("auditor"), did)
    assert (data.number, data.code, data.issued, data.draft) == ("12", "QĐ-BKHCN", date(2026, 11, 30), False)
    text = flowing(decision_queries.pdf(rd.db, rd.uid("auditor"), did)[0])
    assert "KT. BỘ TRƯỞNG THỨ TRƯỞNG" in text and "Số: 12/QĐ-BKHCN" in text
    assert "(Kèm theo Quyết định số 12/QĐ-BKHCN ngày 30 tháng 11 năm 2026)" in text
    assert all(name in text for name in NAMES) and "Tặng Bằng khen của Bộ trưởng cho 03 cá nhân" in text
    assert "Căn cứ Nghị định số 152/2025/NĐ-CP của Chính phủ" in text  # the rule set in force on the date
    assert "Căn cứ kết quả xét, bỏ phiếu của Hội đồng Thi đua - Khen thưởng Bộ Khoa học và Công nghệ" in text
    assert "DỰ THẢO" not in text
    with pytest.raises(NotFound):  # another unit sees nothing, not even the issued document
        decision_queries.pdf(rd.db, rd.uid("clerk2"), did)
