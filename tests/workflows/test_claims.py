"""Claims on shared tasks: take, release, reassign; the holder alone completes; racing claims, one winner."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from workflows import queries, services
from workflows.domain.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.persistence import audit
from workflows.persistence.db import Database
from workflows.persistence.model import TaskItem, User, UserRole
from workflows.services import claims

from ..support import APPROVE, Driver
from .test_concurrency import race


def add_user(db: Database, username: str, full_name: str, roles=("secretariat",), like: str = "secretary") -> int:
    """Another person (password ``demo``) in the unit of ``like``: the demo has one secretary only."""
    with db.write() as s:
        unit_id = s.scalar(select(User.unit_id).where(User.username == like))
        user = User(username=username, full_name=full_name, password_hash=PasswordHasher().hash("demo"),
                    unit_id=unit_id, session_token=username + "-token", is_demo=False)
        user.role_rows = [UserRole(role=role) for role in roles]
        s.add(user)
        s.flush()
        return user.id


add_secretary = add_user


@pytest.fixture
def checked(driver: Driver) -> tuple[int, int]:
    """A dossier at the secretariat's check: (nomination id, its shared task row)."""
    nid = driver.create()
    driver.submit(nid)
    return nid, driver.item_for(nid, "secretary")


def item(db: Database, item_id: int) -> TaskItem:
    with db.read() as s:
        return s.get(TaskItem, item_id)


def test_claim_marks_the_row_for_everyone_and_only_the_holder_completes(driver: Driver, checked):
    nid, item_id = checked
    db, other = driver.db, add_secretary(driver.db, "secretary2", "Lê Thị Hai")
    result = claims.claim(db, driver.uid("secretary"), item_id)
    assert result.claimed_by == driver.uid("secretary")
    row = next(r for r in queries.inbox(db, other) if r["id"] == item_id)  # the other secretary still sees it
    assert row["claimed_by"] == driver.uid("secretary") and row["claimed_by_name"] == "Đỗ Thu Trang"
    assert row["claimed_at"] is not None
    with pytest.raises(Conflict, match="Đỗ Thu Trang"):
        services.complete_task(db, other, item_id, APPROVE)
    with pytest.raises(Conflict, match="Đỗ Thu Trang"):
        claims.claim(db, other, item_id)
    assert item(db, item_id).state == "ready"
    page = queries.task(db, other, item_id)
    assert page["held_by_other"] and not page["can_act"] and not page["can_claim"] and not page["can_release"]
    driver.act(nid, "secretary", APPROVE)  # the holder completes: the claim is moot
    assert item(db, item_id).state == "completed"
    with pytest.raises(Conflict):
        claims.release(db, driver.uid("secretary"), item_id)


def test_release_gives_the_task_back_and_the_history_shows_each_change(driver: Driver, checked):
    nid, item_id = checked
    db, other = driver.db, add_secretary(driver.db, "secretary2", "Lê Thị Hai")
    claims.claim(db, driver.uid("secretary"), item_id)
    claims.claim(db, driver.uid("secretary"), item_id)  # again: nothing changes, nothing recorded
    with pytest.raises(Forbidden):
        claims.release(db, other, item_id)
    claims.release(db, driver.uid("secretary"), item_id)
    assert item(db, item_id).claimed_by_id is None
    claims.claim(db, other, item_id)
    services.complete_task(db, other, item_id, APPROVE)
    history = queries.history(db, driver.uid("secretary"), nid)
    held = [(e["action"], e["action_label"], e["actor"], e["change_rows"]) for e in history
            if e["action"] in ("claimed", "released")]
    assert held == [
        ("claimed", "Nhận xử lý", "secretary", [("Người xử lý", "—", "Đỗ Thu Trang")]),
        ("released", "Trả lại nhóm", "secretary", [("Người xử lý", "Đỗ Thu Trang", "—")]),
        ("claimed", "Nhận xử lý", "secretary2", [("Người xử lý", "—", "Lê Thị Hai")]),
    ]
    with db.read() as s:
        assert audit.verify_nomination(s, nid) is None


def test_admin_reassigns_to_someone_with_the_role_only(driver: Driver, checked):
    nid, item_id = checked
    db, other = driver.db, add_secretary(driver.db, "secretary2", "Lê Thị Hai")
    claims.claim(db, driver.uid("secretary"), item_id)
    with pytest.raises(Forbidden):
        claims.assign(db, driver.uid("secretary"), item_id, other)  # not an admin
    with pytest.raises(Forbidden):
        claims.assign(db, driver.uid("auditor"), item_id, other)  # reads everything, changes nothing
    with pytest.raises(Invalid):
        claims.assign(db, driver.uid("admin"), item_id, driver.uid("reviewer"))  # no secretariat role
    with pytest.raises(Invalid):
        claims.assign(db, driver.uid("admin"), item_id, "2")
    page = queries.task(db, driver.uid("admin"), item_id)
    assert page["can_assign"] and {u["username"] for u in page["assignable_users"]} == {"secretary", "secretary2"}
    claims.assign(db, driver.uid("admin"), item_id, other)
    assert item(db, item_id).claimed_by_id == other
    services.complete_task(db, other, item_id, APPROVE)
    [event] = [e for e in queries.history(db, other, nid) if e["action"] == "reassigned"]
    assert event["actor"] == "admin" and event["changes"] == {"claimed_by": ["Đỗ Thu Trang", "Lê Thị Hai"]}


def test_unit_task_reassigned_only_within_its_unit(driver: Driver):
    nid = driver.create()
    driver.act(nid, "clerk1", {})
    item_id = driver.item_for(nid, "head1")
    with pytest.raises(Invalid):
        claims.assign(driver.db, driver.uid("admin"), item_id, driver.uid("head2"))  # head of another unit
    with pytest.raises(NotFound):  # another unit's dossier is not even seen
        claims.claim(driver.db, driver.uid("head2"), item_id)
    claims.claim(driver.db, driver.uid("head1"), item_id)


def test_personal_and_subjectless_tasks_are_not_claimable(driver: Driver, db: Database):
    with db.write() as s:  # a task assigned to one person, as a ballot is
        nid = driver.create()
        row = s.scalar(select(TaskItem).where(TaskItem.nomination_id == nid))
        row.assignee_id = driver.uid("clerk1")
    with pytest.raises(Invalid):
        claims.claim(db, driver.uid("clerk1"), row.id)


def test_claim_outside_scope_is_not_found(driver: Driver, checked):
    _nid, item_id = checked
    with pytest.raises(NotFound):
        claims.claim(driver.db, driver.uid("clerk2"), item_id)
    with pytest.raises(NotFound):
        claims.claim(driver.db, driver.uid("clerk2"), 999_999)


def test_two_secretaries_claiming_at_once_exactly_one_wins(driver: Driver):
    db = driver.db
    people = [driver.uid("secretary")] + [add_secretary(db, f"secretary{i}", f"Thư ký số {i}") for i in range(2, 9)]
    for _ in range(3):  # a few rounds: each a fresh task, every secretary released at once
        nid = driver.create()
        driver.submit(nid)
        item_id = driver.item_for(nid, "secretary")
        results = race(len(people), lambda i, item_id=item_id: claims.claim(db, people[i], item_id))
        won = [r for r in results if isinstance(r, claims.Claim)]
        lost = [r for r in results if isinstance(r, Conflict)]
        assert len(won) == 1 and len(lost) == len(people) - 1, results
        assert all("đang do" in str(e) for e in lost)
        assert item(db, item_id).claimed_by_id == won[0].claimed_by
        events = [e for e in queries.history(db, people[0], nid) if e["action"] == "claimed"]
        assert len(events) == 1


def test_completing_while_another_claims_never_both(driver: Driver):
    """The claim and the completion race: either the completion went first (the claim is refused) or the claim
    did (the completion is refused); never a completed task with a fresh claim and a completion."""
    db = driver.db
    other = add_secretary(db, "secretary2", "Lê Thị Hai")
    for _ in range(3):
        nid = driver.create()
        driver.submit(nid)
        item_id = driver.item_for(nid, "secretary")
        acts = [lambda item_id=item_id: services.complete_task(db, driver.uid("secretary"), item_id, APPROVE),
                lambda item_id=item_id: claims.claim(db, other, item_id)]
        results = race(2, lambda i, acts=acts: acts[i]())
        assert sum(isinstance(r, Conflict) for r in results) == 1, results


def test_claims_survive_nothing_else(driver: Driver, checked):
    """A unit of work that fails leaves the claim as it was."""
    _nid, item_id = checked
    claims.claim(driver.db, driver.uid("secretary"), item_id)
    with pytest.raises(Invalid):
        services.complete_task(driver.db, driver.uid("secretary"), item_id, {"decision": "nonsense"})
    assert item(driver.db, item_id).claimed_by_id == driver.uid("secretary")
