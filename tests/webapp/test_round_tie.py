"""A tie at a quota's cut-off in the browser and over the API: the round page says who is over the quota and who
waits for the chair; the chair's task lists the tied dossiers and takes exactly the seats left."""

from __future__ import annotations

import html as html_lib
import re

from flask import Flask
from sqlalchemy import select

from tests.support import COUNCIL, PASSPHRASE, RoundDriver, deploy_with_quota
from workflows.persistence.model import CouncilRound, User

from .helpers import bearer, csrf_token_in, html_error, json_error, login_form, make_app, snapshot
from .test_rounds_web import _browser

FORM = "bang_khen_bo_truong"  # a majority of those present: 5 to 9 agree votes all pass the threshold


def _tie_round(rd: RoundDriver) -> tuple[int, dict[str, int]]:
    """Quota 2: Một 9 agree (passes), Hai, Ba and Bốn 7 each (tied for the one seat left), Năm 5 (over the quota)."""
    deploy_with_quota(rd.db, {FORM: 2})
    votes = {"Một": 9, "Hai": 7, "Ba": 7, "Bốn": 7, "Năm": 5}
    ids = {name: rd.waiting(nominee_name=name) for name in votes}
    rid = rd.open(list(ids.values()))
    for i, member in enumerate(COUNCIL):
        rd.ballot(rid, member, {ids[n]: "agree" if i < v else "disagree" for n, v in votes.items()})
    return rid, ids


def _row(page: str, name: str) -> str:
    return re.search(rf"<tr>\s*<td>\d+</td>\s*<td>(?:<a [^>]*>)?{name}(?:</a>)?</td>.*?</tr>", page, re.S).group(0)


def test_a_tie_through_the_pages(web: Flask, rd: RoundDriver):
    db = rd.db
    rid, ids = _tie_round(rd)
    chair = _browser(web, "minister")
    closed = chair.post(f"/rounds/{rid}/close", data={"passphrase": PASSPHRASE}, follow_redirects=True)
    page = html_lib.unescape(closed.get_data(as_text=True))
    assert closed.status_code == 200
    assert "Có hồ sơ đồng phiếu tại mức chỉ tiêu" in page and "chờ Chủ tịch quyết định trường hợp đồng phiếu" in page
    assert "Vượt chỉ tiêu (xếp thứ 5)" in _row(page, "Năm")
    assert "Chủ tịch Hội đồng quyết định (đồng phiếu)" in _row(page, "Ba") and "Chờ quyết định" in _row(page, "Ba")
    assert "Đạt" in _row(page, "Một") and "Xếp thứ 1 (chỉ tiêu 2)" in _row(page, "Một")
    assert "1 suất còn lại cho 3 hồ sơ" in page
    assert "minutes.pdf" not in page  # the minutes come once the round is closed

    inbox = html_lib.unescape(chair.get("/").get_data(as_text=True))
    item = int(re.search(r'href="/tasks/(\d+)">Quyết định trường hợp đồng phiếu: ', inbox).group(1))
    assert "Quyết định đồng phiếu (1 suất)" in inbox
    assert f'href="/tasks/{item}"' in page  # the round page points the chair to it too
    task = html_lib.unescape(chair.get(f"/tasks/{item}").get_data(as_text=True))
    assert sorted(int(v) for v in re.findall(r'name="chosen" value="(\d+)"', task)) == sorted(
        ids[n] for n in ("Hai", "Ba", "Bốn"))
    assert "chọn 1 trong 3 hồ sơ" in task and 'name="csrf_token"' in task and "checked" not in task
    assert "Hồ sơ được chọn đạt và chuyển sang thẩm định" in task  # what happens next, before confirming

    secretary = _browser(web, "secretary")
    html_error(secretary.get(f"/tasks/{item}"), 404)
    assert secretary.post(f"/tasks/{item}", data={"chosen": [str(ids["Ba"])]}).status_code == 404
    assert "Quyết định trường hợp đồng phiếu" not in secretary.get(f"/rounds/{rid}").get_data(as_text=True)

    before = snapshot(db)
    two = chair.post(f"/tasks/{item}", data={"chosen": [str(ids["Hai"]), str(ids["Ba"])]})
    text = html_lib.unescape(two.get_data(as_text=True))
    assert two.status_code == 422
    assert "Bằng khen của Bộ trưởng năm 2026: chọn đúng 1 trong 3 hồ sơ đồng phiếu (đã chọn 2)." in text
    assert re.search(rf'value="{ids["Hai"]}"\s+checked', text)  # the picks are kept on the page
    none = chair.post(f"/tasks/{item}", data={})
    assert none.status_code == 422 and "Số hồ sơ được chọn phải đúng bằng số chỉ tiêu còn lại." in none.get_data(as_text=True)
    other = chair.post(f"/tasks/{item}", data={"chosen": [str(ids["Một"])]})
    assert other.status_code == 422 and "không thuộc nhóm đồng phiếu" in other.get_data(as_text=True)
    assert snapshot(db) == before

    done = chair.post(f"/tasks/{item}", data={"chosen": [str(ids["Ba"])]}, follow_redirects=True)
    page = html_lib.unescape(done.get_data(as_text=True))
    assert done.status_code == 200
    assert "Đã quyết định: 1 hồ sơ được chọn chuyển sang thẩm định; 2 hồ sơ vượt chỉ tiêu" in page
    assert "Đã kết thúc" in page and "đã quyết định lúc" in page and "minutes.pdf" in page
    assert "Đạt" in _row(page, "Ba") and "được chọn" in _row(page, "Ba")
    assert "Không đạt" in _row(page, "Hai") and "không được chọn" in _row(page, "Hai")
    assert rd.ready_steps(ids["Ba"]) == ["appraisal"] and rd.nomination(ids["Hai"]).state == "rejected"
    again = chair.post(f"/tasks/{item}", data={"chosen": [str(ids["Hai"])]})
    assert again.status_code == 302  # decided: back to the round with a warning
    assert "đã được quyết định" in chair.get(f"/tasks/{item}").get_data(as_text=True)
    assert "Quyết định trường hợp đồng phiếu" not in chair.get("/").get_data(as_text=True)


def test_the_tie_form_carries_a_csrf_token(db, rd: RoundDriver):
    rid, ids = _tie_round(rd)
    rd.close(rid)
    item = rd.tie_item(rid)
    app = make_app(db, csrf=True)
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    assert login_form(client, "minister", csrf_token=csrf_token_in(login_page)).status_code == 302
    token = csrf_token_in(client.get(f"/tasks/{item}").get_data(as_text=True))
    assert client.post(f"/tasks/{item}", data={"chosen": [str(ids["Bốn"])]}).status_code == 400  # no token
    with db.read() as s:
        assert s.get(CouncilRound, rid).state == "tie"
    assert client.post(f"/tasks/{item}", data={"chosen": [str(ids["Bốn"])], "csrf_token": token}).status_code == 302
    assert rd.ready_steps(ids["Bốn"]) == ["appraisal"]
    assert not app.config["SERVED_5XX"]


def test_a_tie_over_the_api(web: Flask, rd: RoundDriver):
    client, db = web.test_client(), rd.db
    rid, ids = _tie_round(rd)
    chair, secretary = bearer(db, "minister"), bearer(db, "secretary")
    closed = client.post(f"/api/v1/rounds/{rid}/close", json={"passphrase": PASSPHRASE}, headers=chair).get_json()
    assert closed["state"] == "tie"
    results = {d["nomination_id"]: d["result"] for d in closed["dossiers"]}
    assert results[ids["Năm"]]["over_quota"] is True and results[ids["Năm"]]["rank"] == 5
    assert [results[ids[n]]["passed"] for n in ("Hai", "Ba", "Bốn")] == [None, None, None]
    assert closed["tie"]["state"] == "pending" and closed["tie"]["seats"] == 1
    assert closed["tie"]["groups"] == [{"award_form": FORM, "award_form_name": "Bằng khen của Bộ trưởng", "year": 2026,
                                        "quota": 2, "quota_used": 0, "seats": 1,
                                        "nomination_ids": sorted(ids[n] for n in ("Hai", "Ba", "Bốn"))}]

    tasks = client.get("/api/v1/tasks", headers=chair).get_json()["items"]
    [tie] = [t for t in tasks if t["round_id"] == rid]
    assert tie["name"] == "round_tie" and tie["nomination_id"] is None and tie["id"] == closed["tie"]["item_id"]
    chosen = tie["form"]["properties"]["chosen"]
    assert (chosen["minItems"], chosen["maxItems"]) == (1, 1)
    assert sorted(o["const"] for o in chosen["items"]["oneOf"]) == closed["tie"]["groups"][0]["nomination_ids"]
    assert tie["form"]["x-groups"][0]["seats"] == 1
    assert [t["id"] for t in client.get("/api/v1/tasks?name=round_tie", headers=chair).get_json()["items"]] == [tie["id"]]
    assert not [t for t in client.get("/api/v1/tasks", headers=secretary).get_json()["items"] if t["round_id"] == rid]
    assert client.get(f"/api/v1/tasks/{tie['id']}", headers=chair).status_code == 200

    url = f"/api/v1/tasks/{tie['id']}/complete"
    before = snapshot(db)
    error = json_error(client.post(url, json={"data": {"chosen": [ids["Hai"], ids["Ba"]]}}, headers=chair), 422)
    assert "chọn đúng 1 trong 3" in error["fields"]["chosen"]
    json_error(client.post(url, json={"data": {"chosen": [ids["Một"]]}}, headers=chair), 422)
    json_error(client.post(url, json={"data": {"chosen": "Hai"}}, headers=chair), 422)
    json_error(client.post(url, json={"data": {"chosen": [ids["Ba"]]}}, headers=secretary), 404)
    json_error(client.get(f"/api/v1/tasks/{tie['id']}", headers=bearer(db, "council1")), 404)
    assert snapshot(db) == before

    done = client.post(url, json={"data": {"chosen": [ids["Bốn"]]}}, headers=chair)
    assert done.status_code == 200, done.get_json()
    assert done.get_json() == {"round_id": rid, "state": "closed", "chosen": [ids["Bốn"]],
                               "cut": sorted([ids["Hai"], ids["Ba"]])}
    json_error(client.post(url, json={"data": {"chosen": [ids["Hai"]]}}, headers=chair), 409)

    after = client.get(f"/api/v1/rounds/{rid}", headers=secretary).get_json()
    with db.read() as s:
        name = s.scalar(select(User.full_name).where(User.username == "minister"))
    assert after["state"] == "closed"
    assert after["tie"]["state"] == "broken" and after["tie"]["chosen"] == [ids["Bốn"]]
    assert after["tie"]["decided_by"] == name and after["tie"]["decided_at"]
    outcome = {d["nomination_id"]: d["result"]["passed"] for d in after["dossiers"]}
    assert outcome == {ids["Một"]: True, ids["Hai"]: False, ids["Ba"]: False, ids["Bốn"]: True, ids["Năm"]: False}
    assert client.get(f"/api/v1/rounds/{rid}/minutes.pdf", headers=secretary).status_code == 200
