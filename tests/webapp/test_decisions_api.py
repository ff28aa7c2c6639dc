"""Batch decisions over the JSON API: draft, send, the minister's task, register, the PDF; roles and units checked."""

from __future__ import annotations

from flask import Flask

from tests.support import COUNCIL, NAMES_OF_ROUND, RoundDriver
from tests.workflows.test_documents import flowing
from workflows.domain import clock

from .helpers import bearer, json_error


def test_a_decision_from_draft_to_registry_over_the_api(web: Flask, rd: RoundDriver):
    client, db = web.test_client(), rd.db
    nids, round_id = rd.passed(NAMES_OF_ROUND)
    secretary, minister, auditor = bearer(db, "secretary"), bearer(db, "minister"), bearer(db, "auditor")
    clerk1, clerk2 = bearer(db, "clerk1"), bearer(db, "clerk2")

    groups = client.get("/api/v1/decisions/waiting", headers=secretary).get_json()["groups"]
    assert [(g["award_form"], g["round_id"], g["kind"], [d["nomination_id"] for d in g["dossiers"]]) for g in groups] == [
        ("bang_khen_bo_truong", round_id, "decision", nids)]
    assert client.get("/api/v1/decisions/waiting", headers=clerk1).get_json()["groups"] == []

    json_error(client.post("/api/v1/decisions", json={"nomination_ids": nids}, headers=clerk1), 403)
    json_error(client.post("/api/v1/decisions", json={"nomination_ids": nids}, headers=auditor), 403)
    assert "nomination_ids" in json_error(client.post("/api/v1/decisions", json={"nomination_ids": "1"},
                                                      headers=secretary), 422)["fields"]
    json_error(client.post("/api/v1/decisions", json={"nomination_ids": nids, "extra": 1}, headers=secretary), 400)
    created = client.post("/api/v1/decisions", json={"nomination_ids": nids,
                                                     "reason": "đã có thành tích xuất sắc trong công tác năm 2026"},
                          headers=secretary)
    assert created.status_code == 201, created.get_json()
    decision = created.get_json()
    did = decision["id"]
    assert (decision["kind"], decision["state"], decision["round_id"], decision["number"]) == (
        "decision", "draft", round_id, None)
    assert [d["nominee_name"] for d in decision["dossiers"]] == NAMES_OF_ROUND
    json_error(client.post("/api/v1/decisions", json={"nomination_ids": nids[:1]}, headers=secretary), 409)

    draft_pdf = client.get(f"/api/v1/decisions/{did}.pdf", headers=secretary)
    assert draft_pdf.status_code == 200 and draft_pdf.mimetype == "application/pdf"
    assert "DỰ THẢO" in flowing(draft_pdf.data) and "......./QĐ-BKHCN" in flowing(draft_pdf.data)
    json_error(client.get(f"/api/v1/decisions/{did}.pdf", headers=clerk1), 404)  # a unit reads it once issued
    json_error(client.get(f"/api/v1/decisions/{did}", headers=clerk2), 404)  # another unit sees nothing
    json_error(client.get(f"/api/v1/decisions/{did}", headers=bearer(db, "council1")), 404)
    assert client.get("/api/v1/decisions", headers=clerk2).get_json()["items"] == []
    assert [d["id"] for d in client.get("/api/v1/decisions", headers=auditor).get_json()["items"]] == [did]
    assert [d["id"] for d in client.get("/api/v1/decisions?state=draft", headers=clerk1).get_json()["items"]] == [did]

    json_error(client.post(f"/api/v1/decisions/{did}/send", headers=secretary | {"If-Match": "99"}), 409)
    json_error(client.post(f"/api/v1/decisions/{did}/send", headers=auditor), 403)
    sent = client.post(f"/api/v1/decisions/{did}/send", headers=secretary | {"If-Match": str(decision["version"])})
    assert sent.status_code == 200 and sent.get_json()["state"] == "sent"
    sign_task = sent.get_json()["sign_task_id"]

    tasks = client.get("/api/v1/tasks", headers=minister).get_json()["items"]
    task = next(t for t in tasks if t["decision_id"] == did)
    assert task["id"] == sign_task and task["nomination_id"] is None
    assert [c["const"] for c in task["form"]["properties"]["decision"]["oneOf"]] == ["approve", "return"]
    assert not [t for t in client.get("/api/v1/tasks", headers=secretary).get_json()["items"] if t.get("decision_id")]
    missing = json_error(client.post(f"/api/v1/tasks/{sign_task}/complete", json={"data": {"decision": "return"}},
                                     headers=minister), 422)
    assert "comment" in missing["fields"]
    json_error(client.post(f"/api/v1/tasks/{sign_task}/complete", json={"data": {"decision": "approve"}},
                           headers=secretary), 403)
    signed = client.post(f"/api/v1/tasks/{sign_task}/complete", json={"data": {"decision": "approve"}}, headers=minister)
    assert signed.status_code == 200, signed.get_json()
    assert signed.get_json() | {"version": 0} == {"decision_id": did, "state": "signed", "version": 0,
                                                  "nomination_ids": nids}
    json_error(client.post(f"/api/v1/tasks/{sign_task}/complete", json={"data": {"decision": "approve"}},
                           headers=minister), 409)

    view = client.get(f"/api/v1/decisions/{did}", headers=secretary).get_json()
    assert (view["state"], view["signed_by"], view["on_behalf_of"], view["proposal"]) == (
        "signed", "Bộ trưởng", None, "01/QĐ-BKHCN")
    json_error(client.post(f"/api/v1/decisions/{did}/register", json={"number": "7"}, headers=auditor), 403)
    bad = json_error(client.post(f"/api/v1/decisions/{did}/register", json={"number": "bảy"}, headers=secretary), 422)
    assert "number" in bad["fields"]
    today = clock.now().astimezone(clock.VN_TZ).date().isoformat()
    done = client.post(f"/api/v1/decisions/{did}/register", json={"number": "7", "date": today}, headers=secretary)
    assert done.status_code == 200, done.get_json()
    registered = done.get_json()
    assert (registered["state"], registered["number"], registered["registered_date"]) == ("registered", "07/QĐ-BKHCN", today)
    assert {d["state"] for d in registered["dossiers"]} == {"awarded"}
    assert [e["action"] for e in registered["history"]] == [
        "decision_drafted", "decision_sent", "decision_signed", "decision_registered"]
    json_error(client.post(f"/api/v1/decisions/{did}/register", json={"number": "8"}, headers=secretary), 409)
    nomination = client.get(f"/api/v1/nominations/{nids[0]}", headers=clerk1).get_json()
    assert (nomination["state"], nomination["decision_number"]) == ("awarded", "07/QĐ-BKHCN")

    issued = client.get(f"/api/v1/decisions/{did}.pdf", headers=clerk1)  # issued: the unit downloads it
    assert issued.status_code == 200
    text = flowing(issued.data)
    assert "Số: 07/QĐ-BKHCN" in text and "DỰ THẢO" not in text and "QUYẾT ĐỊNH" in text
    assert all(name in text for name in NAMES_OF_ROUND) and "Bộ trưởng" in text
    assert "đã có thành tích xuất sắc trong công tác năm 2026" in text
    clerk_view = client.get(f"/api/v1/decisions/{did}", headers=clerk1).get_json()
    assert clerk_view["history"] == [] and len(clerk_view["dossiers"]) == 3  # all three are clerk1's unit's


def test_a_decision_of_another_unit_lists_only_what_a_unit_may_see(web: Flask, rd: RoundDriver):
    client, db = web.test_client(), rd.db
    mine = rd.waiting(nominee_name="Nguyễn Thị Hồng Nhung")
    theirs = rd.waiting(clerk="clerk2", nominee_name="Trịnh Văn Bảo", head="head2")
    round_id = rd.open([mine, theirs])
    for member in COUNCIL:
        rd.ballot(round_id, member, {mine: "agree", theirs: "agree"})
    rd.close(round_id)
    for nid in (mine, theirs):
        rd.to_decision(nid)
    did = rd.decide([mine, theirs], register=False)
    view = client.get(f"/api/v1/decisions/{did}", headers=bearer(db, "clerk2")).get_json()
    assert [d["nominee_name"] for d in view["dossiers"]] == ["Trịnh Văn Bảo"] and view["dossier_count"] == 2
    assert not any(view["can"].values())
    json_error(client.post(f"/api/v1/decisions/{did}/register", headers=bearer(db, "clerk2")), 403)
