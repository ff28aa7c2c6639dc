"""A council round over the JSON API: form, open, one ballot task per member with a receipt, count, verify."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import delete

from tests.support import PASSPHRASE, RoundDriver
from tests.workflows.test_documents import flowing
from workflows.persistence.model import RoundBallot

from .helpers import bearer


def test_a_round_from_forming_to_verification(web: Flask, rd: RoundDriver):
    client, db = web.test_client(), rd.db
    first, second = rd.waiting(), rd.waiting(nominee_name="Đặng Thị Ngọc Hằng")
    secretary, chair = bearer(db, "secretary"), bearer(db, "minister")

    bad = client.post("/api/v1/rounds", json={"title": "Đợt", "meeting_date": "10/12/2026", "nomination_ids": [first]},
                      headers=secretary)
    assert bad.status_code == 422 and "meeting_date" in bad.get_json()["error"]["fields"]
    assert client.post("/api/v1/rounds", json={"title": "Đợt", "meeting_date": "2026-12-10", "nomination_ids": [first]},
                       headers=bearer(db, "clerk1")).status_code == 403
    created = client.post("/api/v1/rounds", json={"title": "Đợt xét tháng 12", "meeting_date": "2026-12-10",
                                                  "nomination_ids": [first, second]}, headers=secretary)
    assert created.status_code == 201, created.get_json()
    rid = created.get_json()["id"]
    assert client.get(f"/api/v1/rounds/{rid}/minutes.pdf", headers=secretary).status_code == 404  # not counted yet
    opened = client.post(f"/api/v1/rounds/{rid}/open", headers=secretary)
    assert opened.status_code == 200 and opened.get_json()["members_called"] == 9

    receipts = []
    for i in range(1, 10):
        member = bearer(db, f"council{i}")
        tasks = client.get("/api/v1/tasks", headers=member).get_json()["items"]
        ballot = next(t for t in tasks if t["round_id"] == rid)
        assert ballot["nomination_id"] is None
        assert set(ballot["form"]["properties"]["votes"]["required"]) == {str(first), str(second)}
        votes = {str(first): "agree", str(second): "agree" if i <= 4 else "disagree"}
        done = client.post(f"/api/v1/tasks/{ballot['id']}/complete", json={"data": {"votes": votes}}, headers=member)
        assert done.status_code == 200, done.get_json()
        receipts.append(done.get_json()["receipt"])
        again = client.post(f"/api/v1/tasks/{ballot['id']}/complete", json={"data": {"votes": votes}}, headers=member)
        assert again.status_code == 409

    during = client.get(f"/api/v1/rounds/{rid}", headers=secretary).get_json()
    assert during["voted"] == 9 and all(m["voted"] for m in during["members"])
    assert all(d["agree"] is None for d in during["dossiers"]) and "box" not in during

    wrong = client.post(f"/api/v1/rounds/{rid}/close", json={"passphrase": "sai mật khẩu rồi"}, headers=chair)
    assert wrong.status_code == 422
    assert client.post(f"/api/v1/rounds/{rid}/close", json={"passphrase": PASSPHRASE}, headers=secretary).status_code == 403
    closed = client.post(f"/api/v1/rounds/{rid}/close", json={"passphrase": PASSPHRASE}, headers=chair)
    assert closed.status_code == 200, closed.get_json()
    view = closed.get_json()
    assert view["state"] == "closed"
    assert {d["nomination_id"]: (d["agree"], d["result"]["passed"]) for d in view["dossiers"]} == {
        first: (9, True), second: (4, False)}
    assert sorted(b["hash"] for b in view["box"]) == sorted(receipts)
    verified = client.get(f"/api/v1/rounds/{rid}/verify", headers=bearer(db, "auditor")).get_json()
    assert verified == {"round_id": rid, "verified": True, "problems": []}
    assert client.get(f"/api/v1/rounds/{rid}", headers=bearer(db, "clerk1")).status_code == 404

    pdf = client.get(f"/api/v1/rounds/{rid}/minutes.pdf", headers=secretary)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = flowing(pdf.data)
    assert "BIÊN BẢN" in text and "Đặng Thị Ngọc Hằng" in text and "Không đạt" in text
    assert "100,0" in text and "44,4" in text  # 9 of 9 and 4 of 9 members called
    # the paper anchors the key and the box the database holds: the fingerprint and the chain's last hash
    assert view["key_fingerprint"] in text.replace(" ", "") and view["box"][-1]["hash"] in text.replace(" ", "")


def test_the_chair_sets_a_ballot_passphrase(web: Flask, rd: RoundDriver):
    client, db = web.test_client(), rd.db
    chair = bearer(db, "minister")
    assert client.put("/api/v1/me/ballot-passphrase", json={"passphrase": "ngắn"}, headers=chair).status_code == 422
    assert client.put("/api/v1/me/ballot-passphrase", json={"passphrase": "một mật khẩu đủ dài"},
                      headers=bearer(db, "secretary")).status_code == 403
    assert client.put("/api/v1/me/ballot-passphrase", json={"passphrase": "một mật khẩu đủ dài"},
                      headers=bearer(db, "minister")).status_code == 204


def test_round_verify_command(web: Flask, rd: RoundDriver):
    nid = rd.waiting()
    rid = rd.open([nid])
    for member in ("council1", "council2", "council3", "council4", "council5", "council6"):
        rd.ballot(rid, member, {nid: "agree"})
    rd.close(rid)
    runner = web.test_cli_runner()
    ok = runner.invoke(args=["round-verify", str(rid)])
    assert ok.exit_code == 0 and "verified" in ok.output
    with rd.db.write() as s:
        s.execute(delete(RoundBallot).where(RoundBallot.round_id == rid, RoundBallot.seq == 3))
    broken = runner.invoke(args=["round-verify", str(rid)])
    assert broken.exit_code != 0 and "not verified" in broken.output
    assert runner.invoke(args=["round-verify", "999999"]).exit_code != 0
