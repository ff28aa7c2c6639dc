"""Delegation of signing and absences, through the service layer on SQLite and PostgreSQL: windows at their edges
(Vietnam's days, both ends included), forms chosen or not, revocation, overlaps refused (also when raced), the
substitute's checks, and ``Actor.can_act`` agreeing with the inbox's SQL on every row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from workflows import queries, services
from workflows.domain import clock
from workflows.domain.actor import Actor, Grant, OnBehalfOf
from workflows.domain.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.persistence import audit
from workflows.persistence.decision_model import Decision
from workflows.persistence.model import AuditEvent, AuditHead, Notification, TaskItem, User
from workflows.persistence.scope import inbox_filter, load_actor
from workflows.queries import decisions as decision_queries
from workflows.services import claims, decisions, delegations, people

from ..support import APPROVE, Driver, RoundDriver
from .test_concurrency import race

START = datetime(2026, 11, 30, 9, 0, tzinfo=clock.VN_TZ)  # a Monday
FIRST, LAST = date(2026, 12, 2), date(2026, 12, 4)


@pytest.fixture
def now() -> Iterator:
    with clock.frozen(START) as advance:
        yield advance


def move_to(advance, at: datetime) -> None:
    advance(at - clock.now())


def actor(driver: Driver, username: str) -> Actor:
    with driver.db.read() as s:
        return load_actor(s, driver.uid(username))


def agrees(driver: Driver, who: Actor) -> set[int]:
    """The ready rows ``who`` may act on, asserting that the Python check and the inbox's SQL say the same."""
    with driver.db.read() as s:
        ready = list(s.scalars(select(TaskItem).where(TaskItem.state == "ready")))
        by_sql = set(s.scalars(select(TaskItem.id).where(inbox_filter(who))))
    by_python = {i.id for i in ready if who.can_act(i)}
    assert by_python == by_sql
    return by_sql


def at_minister_sign(legacy: Driver, award_form: str = "ky_niem_chuong", name: str = "Nguyễn Văn An") -> int:
    """A dossier of the per-dossier route waiting for the minister's own signature (versions before batch decisions)."""
    nid = legacy.create(award_form=award_form, nominee_name=name)
    legacy.accept(nid)
    if legacy.ready_steps(nid) != ["appraisal"]:  # a form the council votes on
        legacy.vote(nid, ["agree"] * 9)
    legacy.act(nid, "reviewer", APPROVE)
    assert legacy.ready_steps(nid) == ["minister_sign"]
    return nid


def sign_item(driver: Driver, nid: int) -> int:
    with driver.db.read() as s:
        return s.scalar(select(TaskItem.id).where(TaskItem.nomination_id == nid, TaskItem.name == "minister_sign",
                                                  TaskItem.state == "ready"))


def subject_events(driver: Driver, kind: str, username: str) -> list[AuditEvent]:
    with driver.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.subject_type == kind,
                                                       AuditEvent.subject_id == str(driver.uid(username)))
                              .order_by(AuditEvent.seq)))


def add_user(driver: Driver, username: str, unit: str, roles: list[str], full_name: str | None = None) -> int:
    return people.create_user(driver.db, None, username, full_name or username, unit, roles, "demo")


# --- delegation of signing ---------------------------------------------------------------------------------

def test_delegation_window_edges_in_vietnam_days(legacy: Driver, now):
    nid = at_minister_sign(legacy)
    item = sign_item(legacy, nid)
    did = delegations.delegate(legacy.db, legacy.uid("minister"), "deputy", FIRST, LAST)

    edges = [(datetime(2026, 12, 1, 23, 59, 59, tzinfo=clock.VN_TZ), False),  # the day before
             (datetime(2026, 12, 2, 0, 0, tzinfo=clock.VN_TZ), True),  # the first day, 00:00 (still 1 Dec in UTC)
             (datetime(2026, 12, 4, 23, 59, tzinfo=clock.VN_TZ), True),  # the last day, 23:59
             (datetime(2026, 12, 5, 0, 0, tzinfo=clock.VN_TZ), False)]  # the day after
    for at, in_force in edges:
        move_to(now, at)
        deputy = actor(legacy, "deputy")
        assert (item in agrees(legacy, deputy)) is in_force, at
        listed = [r["id"] for r in queries.inbox(legacy.db, legacy.uid("deputy"))]
        assert (item in listed) is in_force, at
        assert item in agrees(legacy, actor(legacy, "minister"))  # the minister keeps it throughout
    with pytest.raises(Forbidden):  # the day after: the deputy no longer signs
        services.complete_task(legacy.db, legacy.uid("deputy"), item, APPROVE)
    rows = {r["id"]: r for r in queries.delegations.delegations(legacy.db, legacy.uid("minister"))["rows"]}
    assert rows[did]["status"] == "ended"


def test_a_deputy_signs_a_dossier_in_force_and_the_history_says_thay_mat(legacy: Driver, now):
    nid = at_minister_sign(legacy)
    delegations.delegate(legacy.db, legacy.uid("minister"), "deputy", START.date(), LAST, ["ky_niem_chuong"])
    item = sign_item(legacy, nid)
    assert item in agrees(legacy, actor(legacy, "deputy"))
    services.complete_task(legacy.db, legacy.uid("deputy"), item, APPROVE)
    assert legacy.nomination(nid).state == "awarded"
    history = queries.history(legacy.db, legacy.uid("auditor"), nid)
    signed = [e for e in history if e["actor"] == "deputy"]
    assert signed and all(e["on_behalf_of"] == "minister" for e in signed)
    assert signed[0]["on_behalf_of_label"] == "thay mặt Bộ trưởng Bộ trưởng"
    with legacy.db.read() as s:
        done = s.get(TaskItem, item)
    assert done.completed_by_id == legacy.uid("deputy")


def test_forms_chosen_and_not(legacy: Driver, now):
    chosen = at_minister_sign(legacy)  # ky_niem_chuong
    other = at_minister_sign(legacy, "bang_khen_bo_truong", "Trần Thị Bình")
    assert legacy.ready_steps(other) == ["minister_sign"]
    delegations.delegate(legacy.db, legacy.uid("minister"), "deputy", START.date(), LAST, ["ky_niem_chuong"])
    deputy = actor(legacy, "deputy")
    mine = agrees(legacy, deputy)
    assert sign_item(legacy, chosen) in mine and sign_item(legacy, other) not in mine
    with pytest.raises(Forbidden):
        services.complete_task(legacy.db, deputy.id, sign_item(legacy, other), APPROVE)
    services.complete_task(legacy.db, legacy.uid("minister"), sign_item(legacy, other), APPROVE)  # still the minister's


def test_revoke_ends_it_at_once_and_only_the_minister_or_an_admin_may(legacy: Driver, now):
    nid = at_minister_sign(legacy)
    did = delegations.delegate(legacy.db, legacy.uid("minister"), "deputy", START.date(), LAST)
    assert sign_item(legacy, nid) in agrees(legacy, actor(legacy, "deputy"))
    with pytest.raises(NotFound):  # not the deputy's to revoke
        delegations.revoke(legacy.db, legacy.uid("deputy"), did)
    with pytest.raises(Conflict):  # a stale version
        delegations.revoke(legacy.db, legacy.uid("minister"), did, expected_version=7)
    delegations.revoke(legacy.db, legacy.uid("minister"), did, expected_version=1)
    assert sign_item(legacy, nid) not in agrees(legacy, actor(legacy, "deputy"))
    with pytest.raises(Conflict):
        delegations.revoke(legacy.db, legacy.uid("admin"), did)
    with pytest.raises(Forbidden):
        services.complete_task(legacy.db, legacy.uid("deputy"), sign_item(legacy, nid), APPROVE)
    events = subject_events(legacy, "delegation", "minister")
    assert [(e.action, e.actor) for e in events] == [("delegation_created", "minister"), ("delegation_revoked", "minister")]
    assert events[0].changes["deputy"] == [None, "deputy"] and events[0].changes["award_forms"] == [None, None]
    with legacy.db.read() as s:
        head = s.get(AuditHead, ("delegation", str(legacy.uid("minister"))))
    assert audit.verify_chain(events, (head.seq, head.hash)) is None
    # Revoked, its days and forms are free again.
    delegations.delegate(legacy.db, legacy.uid("admin"), legacy.uid("deputy"), FIRST, LAST, minister="minister")


def test_overlaps_are_refused_per_minister_and_award_form(driver: Driver, now):
    minister = driver.uid("minister")
    add_user(driver, "deputy2", "VU_TCCB", ["deputy_minister"], "Lê Thứ Hai")
    delegations.delegate(driver.db, minister, "deputy", FIRST, LAST, ["ky_niem_chuong"])
    with pytest.raises(Conflict):  # same form, overlapping days, even to another deputy
        delegations.delegate(driver.db, minister, "deputy2", LAST, LAST + timedelta(days=3), ["ky_niem_chuong"])
    with pytest.raises(Conflict):  # "every form" overlaps every form
        delegations.delegate(driver.db, minister, "deputy2", FIRST, FIRST)
    delegations.delegate(driver.db, minister, "deputy2", FIRST, LAST, ["bang_khen_bo_truong"])  # another form
    delegations.delegate(driver.db, minister, "deputy", LAST + timedelta(days=1), LAST + timedelta(days=9))  # adjacent
    assert len(queries.delegations.delegations(driver.db, minister)["rows"]) == 3


def test_delegation_checks(driver: Driver, now):
    minister = driver.uid("minister")
    cases = [
        (dict(deputy="secretary", starts_on=FIRST, ends_on=LAST), Invalid),  # not a deputy minister
        (dict(deputy="minister", starts_on=FIRST, ends_on=LAST), Invalid),  # not themselves
        (dict(deputy="nobody", starts_on=FIRST, ends_on=LAST), Invalid),
        (dict(deputy="deputy", starts_on=LAST, ends_on=FIRST), Invalid),  # ends before it starts
        (dict(deputy="deputy", starts_on=date(2026, 11, 29), ends_on=LAST), Invalid),  # started yesterday
        (dict(deputy="deputy", starts_on="02/12/2026", ends_on=LAST), Invalid),  # not ISO
        (dict(deputy="deputy", starts_on=FIRST, ends_on=date(2028, 1, 1)), Invalid),  # over a year
        (dict(deputy="deputy", starts_on=FIRST, ends_on=LAST, award_forms=["khong_co"]), Invalid),
        (dict(deputy="deputy", starts_on=FIRST, ends_on=LAST, award_forms=[3]), Invalid),
    ]
    for kwargs, error in cases:
        with pytest.raises(error):
            delegations.delegate(driver.db, minister, **kwargs)
    with pytest.raises(Forbidden):  # the secretariat does not delegate the minister's signature
        delegations.delegate(driver.db, driver.uid("secretary"), "deputy", FIRST, LAST)
    with pytest.raises(Forbidden):  # nor the auditor
        delegations.delegate(driver.db, driver.uid("auditor"), "deputy", FIRST, LAST, minister="minister")
    with pytest.raises(Invalid):  # an admin names a minister
        delegations.delegate(driver.db, driver.uid("admin"), "deputy", FIRST, LAST, minister="secretary")
    with pytest.raises(Forbidden):  # readers only: a clerk has no page
        queries.delegations.delegations(driver.db, driver.uid("clerk1"))
    did = delegations.delegate(driver.db, driver.uid("admin"), "deputy", FIRST, LAST, minister="minister")
    [event] = subject_events(driver, "delegation", "minister")
    assert (event.actor, event.changes["delegation_id"]) == ("admin", [None, did])
    assert [r["id"] for r in queries.delegations.delegations(driver.db, driver.uid("deputy"))["rows"]] == [did]


def test_two_overlapping_delegations_at_once_one_wins(driver: Driver, now):
    add_user(driver, "deputy2", "VU_TCCB", ["deputy_minister"])
    minister = driver.uid("minister")
    deputies = ["deputy", "deputy2"]
    results = race(2, lambda i: delegations.delegate(driver.db, minister, deputies[i], FIRST, LAST))
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "int"], results
    assert len(subject_events(driver, "delegation", "minister")) == 1


def test_a_batch_decision_signed_under_delegation_reads_kt_bo_truong(rd: RoundDriver, now):
    nids, _ = rd.passed(["Nguyễn Thị Hồng Nhung"])
    did = decisions.draft(rd.db, rd.uid("secretary"), nids)
    delegations.delegate(rd.db, rd.uid("minister"), "deputy", START.date(), LAST, ["bang_khen_bo_truong"])
    decisions.send(rd.db, rd.uid("secretary"), did)
    with rd.db.read() as s:  # the deputy is told, as the minister is
        told = set(s.scalars(select(Notification.user_id).where(Notification.kind == "decision")))
    assert {rd.uid("minister"), rd.uid("deputy")} <= told
    item = rd.decision_item(did)
    assert item in agrees(rd, actor(rd, "deputy"))
    assert item in [r["id"] for r in queries.inbox(rd.db, rd.uid("deputy"))]
    assert decision_queries.get_decision(rd.db, rd.uid("deputy"), did)["can"]["sign"]
    services.complete_task(rd.db, rd.uid("deputy"), item, APPROVE)
    with rd.db.read() as s:
        signed = s.get(Decision, did)
    assert (signed.signed_by_id, signed.on_behalf_of_id) == (rd.uid("deputy"), rd.uid("minister"))
    view = decision_queries.get_decision(rd.db, rd.uid("auditor"), did)
    [event] = [e for e in view["history"] if e["action"] == "decision_signed"]
    assert event["on_behalf_of_label"] == "thay mặt Bộ trưởng Bộ trưởng"
    with rd.db.read() as s:
        assert s.scalar(select(TaskItem.award_form).where(TaskItem.id == item)) == "bang_khen_bo_truong"


# --- absences ----------------------------------------------------------------------------------------------

def test_absence_substitute_checks(driver: Driver, now):
    add_user(driver, "head1b", "CUC_BDDT", ["unit_head"], "Lê Văn Phó")
    add_user(driver, "gone", "CUC_BDDT", ["unit_head"])
    with driver.db.write() as s:
        s.get(User, driver.uid("gone")).active = False
    head1 = driver.uid("head1")
    bad = [("head2", {}),  # another unit
           ("clerk1", {}),  # not a unit head
           ("head1", {}),  # not themselves
           ("gone", {}),  # inactive
           ("head1b", {"role": "secretariat"}),  # a role head1 does not hold
           ("head1b", {"role": "council_member"})]
    for substitute, extra in bad:
        with pytest.raises(Invalid):
            delegations.set_absence(driver.db, head1, substitute, FIRST, LAST, **extra)
    with pytest.raises(Invalid) as refused:  # a council member's ballot is theirs alone
        delegations.set_absence(driver.db, driver.uid("council1"), "council2", FIRST, LAST)
    assert "bí mật" in refused.value.message
    with pytest.raises(Forbidden):  # only an admin sets someone else's
        delegations.set_absence(driver.db, driver.uid("head2"), "head1b", FIRST, LAST, user="head1")
    aid = delegations.set_absence(driver.db, head1, "head1b", FIRST, LAST, note="Đi công tác")
    with pytest.raises(Conflict):  # one absence per user and role on any day
        delegations.set_absence(driver.db, driver.uid("admin"), "head1b", LAST, LAST, user="head1")
    with pytest.raises(Invalid):  # the substitute is away too
        delegations.set_absence(driver.db, driver.uid("head1b"), "head1", FIRST, FIRST)
    [event] = subject_events(driver, "absence", "head1")
    assert (event.action, event.comment, event.changes["substitute"]) == ("absence_created", "Đi công tác", [None, "head1b"])
    assert [r["id"] for r in queries.delegations.absences(driver.db, driver.uid("head1b"))["rows"]] == [aid]
    page = queries.delegations.absences(driver.db, head1)
    assert [u["username"] for u in page["substitutes"]["unit_head"]] == ["head1b"]


def test_an_absent_heads_tasks_are_the_substitutes_then_return(driver: Driver, now):
    add_user(driver, "head1b", "CUC_BDDT", ["unit_head"], "Lê Văn Phó")
    add_user(driver, "secretary2", "VU_TCCB", ["secretariat"], "Đỗ Thư Ký")
    delegations.set_absence(driver.db, driver.uid("head1"), "head1b", FIRST, LAST)
    delegations.set_absence(driver.db, driver.uid("secretary"), "secretary2", FIRST, LAST)
    nids = [driver.create(nominee_name=f"Người {n}") for n in range(3)]
    for nid in nids:
        driver.act(nid, "clerk1", {})

    def acted(nid: int) -> AuditEvent:
        with driver.db.read() as s:
            return s.scalars(select(AuditEvent).where(AuditEvent.nomination_id == nid)
                             .order_by(AuditEvent.seq.desc())).first()

    driver.act(nids[0], "head1b", APPROVE)  # before it starts: as themselves
    assert (acted(nids[0]).actor, acted(nids[0]).on_behalf_of) == ("head1b", None)
    move_to(now, datetime(2026, 12, 2, 0, 0, tzinfo=clock.VN_TZ))
    sub = actor(driver, "head1b")
    assert [g.kind for g in sub.grants] == ["absence"] and sub.grants[0].principal.username == "head1"
    agrees(driver, sub)
    driver.act(nids[1], "head1b", APPROVE)
    assert (acted(nids[1]).actor, acted(nids[1]).on_behalf_of) == ("head1b", "head1")
    history = queries.history(driver.db, driver.uid("auditor"), nids[1])
    assert history[-1]["on_behalf_of_label"] == "thay Trần Văn Hùng"
    # Rows assigned to the absent (a claim, say): theirs of the absence's role reach the substitute, others do not.
    with driver.db.write() as s:
        rows = [TaskItem(nomination_id=nids[2], task_uuid=f"held-{role}", name="held", title="Việc được giao riêng",
                         form="held", role=role, assignee_id=driver.uid("head1"), state="ready", created_at=clock.now())
                for role in ("unit_head", "secretariat")]
        s.add_all(rows)
        s.flush()
        held = [r.id for r in rows]
    mine = agrees(driver, sub)
    assert held[0] in mine and held[1] not in mine
    with driver.db.write() as s:
        for row_id in held:
            s.get(TaskItem, row_id).state = "cancelled"
    driver.act(nids[1], "secretary2", APPROVE)  # the secretariat's absence too
    assert (acted(nids[1]).actor, acted(nids[1]).on_behalf_of) == ("secretary2", "secretary")
    assert actor(driver, "head2").grants == ()  # a head of another unit gains nothing
    move_to(now, datetime(2026, 12, 5, 0, 0, tzinfo=clock.VN_TZ))  # ended: no job, the windows say so
    assert actor(driver, "head1b").grants == ()
    driver.act(nids[2], "head1b", APPROVE)
    assert (acted(nids[2]).actor, acted(nids[2]).on_behalf_of) == ("head1b", None)


def test_a_task_the_absent_holder_claimed_is_the_substitutes_until_the_absence_ends(driver: Driver, now):
    add_user(driver, "secretary2", "VU_TCCB", ["secretariat"], "Đỗ Thư Ký")
    add_user(driver, "secretary3", "VU_TCCB", ["secretariat"], "Lê Thư Ba")
    nids = [driver.create(nominee_name=f"Người {n}") for n in range(2)]
    items = []
    for nid in nids:
        driver.submit(nid)
        items.append(driver.item_for(nid, "secretary"))
        claims.claim(driver.db, driver.uid("secretary"), items[-1])
    delegations.set_absence(driver.db, driver.uid("secretary"), "secretary2", FIRST, LAST)
    with pytest.raises(Conflict):  # not yet in force: the claim is the holder's alone
        services.complete_task(driver.db, driver.uid("secretary2"), items[0], APPROVE)
    move_to(now, datetime(2026, 12, 2, 8, 0, tzinfo=clock.VN_TZ))
    assert queries.task(driver.db, driver.uid("secretary2"), items[0])["can_act"]
    assert not queries.task(driver.db, driver.uid("secretary3"), items[0])["can_act"]  # same role, no window
    with pytest.raises(Conflict):
        services.complete_task(driver.db, driver.uid("secretary3"), items[0], APPROVE)
    services.complete_task(driver.db, driver.uid("secretary2"), items[0], APPROVE)
    with driver.db.read() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.nomination_id == nids[0])
                          .order_by(AuditEvent.seq.desc())).first()
    assert (event.actor, event.on_behalf_of) == ("secretary2", "secretary")
    move_to(now, datetime(2026, 12, 5, 8, 0, tzinfo=clock.VN_TZ))  # ended: the other claimed task is the holder's again
    with pytest.raises(Conflict):
        services.complete_task(driver.db, driver.uid("secretary2"), items[1], APPROVE)
    services.complete_task(driver.db, driver.uid("secretary"), items[1], APPROVE)


def test_cancelling_an_absence_hands_back_at_once(driver: Driver, now):
    add_user(driver, "head1b", "CUC_BDDT", ["unit_head"])
    aid = delegations.set_absence(driver.db, driver.uid("head1"), "head1b", START.date(), LAST)
    assert actor(driver, "head1b").grants
    with pytest.raises(NotFound):
        delegations.cancel_absence(driver.db, driver.uid("head1b"), aid)
    delegations.cancel_absence(driver.db, driver.uid("head1"), aid)
    assert actor(driver, "head1b").grants == ()
    with pytest.raises(Conflict):
        delegations.cancel_absence(driver.db, driver.uid("admin"), aid)
    assert [e.action for e in subject_events(driver, "absence", "head1")] == ["absence_created", "absence_cancelled"]
    delegations.set_absence(driver.db, driver.uid("admin"), "head1b", FIRST, LAST, user="head1")  # free again


def test_two_overlapping_absences_at_once_one_wins(driver: Driver, now):
    add_user(driver, "head1b", "CUC_BDDT", ["unit_head"])
    add_user(driver, "head1c", "CUC_BDDT", ["unit_head"])
    subs = ["head1b", "head1c"]
    results = race(2, lambda i: delegations.set_absence(driver.db, driver.uid("head1"), subs[i], FIRST, LAST))
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "int"], results


def test_a_window_never_reaches_a_council_round():
    """Ballots and ties are a council round's tasks: personal and secret, no grant covers them."""
    absent = OnBehalfOf(7, "council1", "Ủy viên")

    class Row:
        def __init__(self, role, assignee_id=None, unit_id=None, round_id=None, award_form=None):
            self.role, self.assignee_id, self.unit_id, self.round_id, self.award_form = (
                role, assignee_id, unit_id, round_id, award_form)

    grant = Grant("absence", absent, "secretariat")
    assert grant.covers(Row("secretariat", assignee_id=7)) and grant.covers(Row("secretariat"))
    assert not grant.covers(Row("secretariat", assignee_id=7, round_id=3))
    assert not grant.covers(Row("council_member", assignee_id=7, round_id=3))
    signing = Grant("delegation", OnBehalfOf(1, "minister", "Bộ trưởng"), "minister", award_forms=frozenset({"a"}))
    assert signing.covers(Row("minister", award_form="a")) and not signing.covers(Row("minister", award_form="b"))
    assert not signing.covers(Row("minister", assignee_id=1))  # the minister's own ballot stays theirs
    assert not signing.covers(Row("council_chair", round_id=3))  # and the chair's tie
