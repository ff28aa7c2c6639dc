"""The API's claims on shared tasks and its bulk completion: JSON answers, Vietnamese errors, every row reported."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from workflows import services
from workflows.persistence.db import Database
from workflows.persistence.model import AuditEvent, TaskItem
from workflows.services import bulk

from ..support import APPROVE, Driver
from ..workflows.test_claims import add_user
from .helpers import bearer, is_vietnamese, json_error


def at_secretariat(driver: Driver, n: int) -> list[int]:
    """``n`` dossiers submitted by their unit: the secretariat's check task of each."""
    items = []
    for i in range(n):
        nid = driver.create(nominee_name=f"Người đề nghị số {i + 1}")
        driver.submit(nid)
        items.append(driver.item_for(nid, "secretary"))
    return items


def test_claim_release_assign_over_the_api(web: Flask, driver: Driver, db: Database):
    [item_id] = at_secretariat(driver, 1)
    other = add_user(db, "secretary2", "Lê Thị Hai")
    client, mine, theirs = web.test_client(), bearer(db, "secretary"), bearer(db, "secretary2")
    taken = client.post(f"/api/v1/tasks/{item_id}/claim", headers=mine)
    assert taken.status_code == 200, taken.get_json()
    assert taken.get_json()["claimed_by"] == driver.uid("secretary") and taken.get_json()["claimed_at"]
    listed = client.get("/api/v1/tasks", headers=theirs).get_json()["items"]
    [row] = [t for t in listed if t["id"] == item_id]
    assert row["claimed_by_name"] == "Đỗ Thu Trang" and row["claimed_at"].endswith("+07:00")
    error = json_error(client.post(f"/api/v1/tasks/{item_id}/claim", headers=theirs), 409, "conflict")
    assert "Đỗ Thu Trang" in error["message"]
    error = json_error(client.post(f"/api/v1/tasks/{item_id}/complete", json={"data": APPROVE}, headers=theirs), 409)
    assert "Đỗ Thu Trang" in error["message"]
    json_error(client.post(f"/api/v1/tasks/{item_id}/release", headers=theirs), 403)
    json_error(client.post(f"/api/v1/tasks/{item_id}/assign", json={"user_id": other}, headers=mine), 403)
    json_error(client.post(f"/api/v1/tasks/{item_id}/release", headers=bearer(db, "auditor")), 403)  # changes nothing
    admin = bearer(db, "admin")
    json_error(client.post(f"/api/v1/tasks/{item_id}/assign", json={}, headers=admin), 422)
    json_error(client.post(f"/api/v1/tasks/{item_id}/assign", json={"user_id": driver.uid("clerk1")}, headers=admin), 422)
    assert client.post(f"/api/v1/tasks/{item_id}/assign", json={"user_id": "x", "extra": 1}, headers=admin).status_code == 400
    given = client.post(f"/api/v1/tasks/{item_id}/assign", json={"user_id": other}, headers=admin)
    assert given.status_code == 200 and given.get_json()["claimed_by"] == other
    done = client.post(f"/api/v1/tasks/{item_id}/complete", json={"data": APPROVE}, headers=theirs)
    assert done.status_code == 200, done.get_json()
    json_error(client.post(f"/api/v1/tasks/{item_id}/claim", headers=mine), 409)  # completed: nothing to hold
    json_error(client.post("/api/v1/tasks/999999/claim", headers=mine), 404)


def test_bulk_twenty_of_which_two_another_completed_first(web: Flask, driver: Driver, db: Database):
    items = at_secretariat(driver, 20)
    other = add_user(db, "secretary2", "Lê Thị Hai")
    for item_id in items[5], items[12]:  # someone else was faster on these two
        services.complete_task(db, other, item_id, APPROVE)
    response = web.test_client().post("/api/v1/tasks/bulk-complete", headers=bearer(db, "secretary"),
                                      json={"task_ids": items, "data": {"decision": "approve", "comment": "Đủ hồ sơ"}})
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["task_id"] for r in results] == items
    assert [r["status"] for r in results].count("done") == 18
    conflicts = [r for r in results if r["status"] == "conflict"]
    assert [r["task_id"] for r in conflicts] == [items[5], items[12]]
    assert all(is_vietnamese(r["error"]) for r in conflicts)
    assert all(r["error"] is None for r in results if r["status"] == "done")
    with db.read() as s:
        completed = dict(s.execute(select(TaskItem.id, TaskItem.completed_by_id).where(TaskItem.id.in_(items))).all())
        approvals = s.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "approve",
                                                                   AuditEvent.actor == "secretary"))
    assert sum(1 for v in completed.values() if v == driver.uid("secretary")) == 18 and approvals == 18


def test_bulk_validates_each_task_against_its_own_form(web: Flask, driver: Driver, db: Database):
    """A clerk who also heads the unit: drafts (a dossier form, no decision field) and head reviews in one request."""
    add_user(db, "clerkhead", "Phan Văn Kiêm", roles=("unit_clerk", "unit_head"), like="clerk1")
    drafts = [driver.item_for(driver.create(), "clerk1") for _ in range(2)]
    reviews = []
    for _ in range(3):
        nid = driver.create()
        driver.act(nid, "clerk1", {})
        reviews.append(driver.item_for(nid, "head1"))
    ids = [reviews[0], drafts[0], reviews[1], drafts[1], reviews[2]]
    response = web.test_client().post("/api/v1/tasks/bulk-complete", headers=bearer(db, "clerkhead"),
                                      json={"task_ids": [*ids, reviews[0]], "data": APPROVE})
    results = response.get_json()["results"]
    assert [(r["task_id"], r["status"]) for r in results] == [
        (reviews[0], "done"), (drafts[0], "error"), (reviews[1], "done"), (drafts[1], "error"), (reviews[2], "done")]
    assert all(is_vietnamese(r["error"]) for r in results if r["status"] == "error")
    with db.read() as s:
        states = dict(s.execute(select(TaskItem.id, TaskItem.state).where(TaskItem.id.in_(ids))).all())
    assert [states[i] for i in ids] == ["completed", "ready", "completed", "ready", "completed"]


def test_bulk_refuses_malformed_requests_whole(web: Flask, driver: Driver, db: Database):
    [item_id] = at_secretariat(driver, 1)
    client, headers = web.test_client(), bearer(db, "secretary")
    post = lambda body: client.post("/api/v1/tasks/bulk-complete", headers=headers, json=body)  # noqa: E731
    json_error(post({"task_ids": list(range(1, bulk.MAX_TASKS + 2)), "data": APPROVE}), 422)
    json_error(post({"task_ids": [], "data": APPROVE}), 422)
    json_error(post({"task_ids": "1,2", "data": APPROVE}), 422)
    json_error(post({"task_ids": [True], "data": APPROVE}), 422)
    json_error(post({"task_ids": [item_id], "data": "approve"}), 422)
    assert post({"task_ids": [item_id], "data": APPROVE, "more": 1}).status_code == 400
    assert client.post("/api/v1/tasks/bulk-complete", json={"task_ids": [item_id]}).status_code == 401
    results = post({"task_ids": [999999, item_id], "data": APPROVE}).get_json()["results"]
    assert [r["status"] for r in results] == ["error", "done"]


def test_bulk_leaves_a_task_someone_holds(web: Flask, driver: Driver, db: Database):
    items = at_secretariat(driver, 3)
    other = add_user(db, "secretary2", "Lê Thị Hai")
    services.claims.claim(db, other, items[1])
    results = web.test_client().post("/api/v1/tasks/bulk-complete", headers=bearer(db, "secretary"),
                                     json={"task_ids": items, "data": APPROVE}).get_json()["results"]
    assert [r["status"] for r in results] == ["done", "conflict", "done"]
    assert "Lê Thị Hai" in results[1]["error"]
