"""The inbox and the nominations pages and their API lists: filters in the URL, sort links, the next page, the
"Bị trả lại" badge, the return's reason above the form, 422 for a bad sort, filter or cursor."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy import event

from workflows import queries
from workflows.persistence.db import Database
from workflows.queries import listing

from ..support import Driver, returned
from .helpers import bearer, json_error, session_client

REASON = "Thiếu biên bản họp bình xét của đơn vị"


@pytest.fixture
def world(driver: Driver) -> dict[str, int]:
    bao = driver.create(nominee_name="Trịnh Văn Bảo")
    hoa = driver.create(nominee_name="Nguyễn Thị Hoa", award_form="ky_niem_chuong")
    driver.submit(bao)
    driver.act(bao, "secretary", returned(REASON))  # back at clerk1, returned once
    return {"bao": bao, "hoa": hoa}


def _rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [unescape(re.sub(r"<[^>]+>", " ", r)) for r in re.findall(r"<tr.*?</tr>", body, re.S)]


def test_inbox_search_filters_and_sort_live_in_the_url(web: Flask, db: Database, world: dict[str, int]):
    client = session_client(web, db, "clerk1")
    page = client.get("/?q=trinh+van+bao")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    rows = _rows(html)
    assert len(rows) == 1 and "Trịnh Văn Bảo" in rows[0] and listing.dossier_code(world["bao"]) in rows[0]
    assert 'value="trinh van bao"' in html  # the search box keeps what was typed
    # the sort links keep the search and flip the direction of the current sort
    links = {m.group(2): unescape(m.group(1)) for m in re.finditer(r'<a href="([^"]+)" data-sort="(\w+)"', html)}
    assert set(links) == {"code", "nominee", "unit", "award_form", "step", "waiting", "due"}
    assert parse_qs(urlsplit(links["nominee"]).query) == {"q": ["trinh van bao"], "sort": ["nominee"]}
    assert parse_qs(urlsplit(links["due"]).query)["sort"] == ["-due"]  # due ascending is the default
    # every filter is read from the query string
    assert len(_rows(client.get("/?returned=1").get_data(as_text=True))) == 1
    assert "Nguyễn Thị Hoa" in _rows(client.get("/?award_form=ky_niem_chuong").get_data(as_text=True))[0]
    assert "Không có việc nào khớp bộ lọc" in client.get("/?year=2020").get_data(as_text=True)
    assert "Không có việc nào khớp bộ lọc" in client.get("/?overdue=1").get_data(as_text=True)
    assert len(_rows(client.get("/?step=draft&sort=-nominee").get_data(as_text=True))) == 2
    sorted_rows = _rows(client.get("/?sort=-nominee").get_data(as_text=True))
    assert "Trịnh" in sorted_rows[0] and "Nguyễn" in sorted_rows[1]
    selected = client.get("/?award_form=ky_niem_chuong&returned=1").get_data(as_text=True)
    assert re.search(r'value="ky_niem_chuong"\s+selected', selected)
    assert re.search(r'name="returned" value="1"\s+checked', selected)


def test_a_returned_dossier_has_its_badge_and_its_reason_above_the_form(web: Flask, db: Database, driver: Driver,
                                                                         world: dict[str, int]):
    client = session_client(web, db, "clerk1")
    rows = _rows(client.get("/").get_data(as_text=True))
    badge = [r for r in rows if "Bị trả lại" in r]
    assert len(badge) == 1 and "Trịnh Văn Bảo" in badge[0]
    listed = _rows(client.get("/nominations/").get_data(as_text=True))
    assert [r for r in listed if "Bị trả lại" in r] and all("Trịnh" in r for r in listed if "Bị trả lại" in r)
    task = client.get(f"/tasks/{driver.item_for(world['bao'], 'clerk1')}").get_data(as_text=True)
    reason_at, form_at = task.index(REASON), task.index('class="task-form"')
    assert reason_at < form_at
    block = task[task.index("returned-reason"):form_at]
    latest = queries.last_return(queries.history(db, driver.uid("clerk1"), world["bao"]))
    assert latest["comment"] == REASON and latest["action_label"] == "Trả lại để bổ sung"  # the step's own wording
    assert "Bị trả lại" in block and latest["action_label"] in block and latest["actor_name"] in block
    assert "Kiểm tra hồ sơ" in block and re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", block)
    # a dossier never returned shows no such block
    fresh = client.get(f"/tasks/{driver.item_for(world['hoa'], 'clerk1')}").get_data(as_text=True)
    assert "returned-reason" not in fresh


def test_next_page_links_walk_the_inbox(web: Flask, db: Database, driver: Driver):
    for i in range(52):
        driver.create(nominee_name=f"Cán bộ số {i:02d}")
    client = session_client(web, db, "clerk1")
    first = client.get("/?sort=nominee").get_data(as_text=True)
    assert len(_rows(first)) == 50
    nxt = re.search(r'<a rel="next" href="([^"]+)"', first)
    assert nxt and "Trang sau" in first
    second = client.get(unescape(nxt.group(1))).get_data(as_text=True)
    rows = _rows(second)
    assert len(rows) == 2 and "Cán bộ số 50" in rows[0] and "Cán bộ số 51" in rows[1]
    assert 'rel="next"' not in second and "Về trang đầu" in second


@pytest.mark.parametrize("query", ["sort=salary", "cursor=garbage", "unit=abc", "year=%C2%B2", "overdue=maybe"])
def test_a_bad_sort_filter_or_cursor_is_said_on_the_page_never_a_500(web: Flask, db: Database, query: str):
    client = session_client(web, db, "secretary")
    for path in ("/", "/nominations/"):
        page = client.get(f"{path}?{query}")
        assert page.status_code == 422
        html = page.get_data(as_text=True)
        assert 'role="alert"' in html and ("không hợp lệ" in html or "Không sắp xếp" in html)


def test_the_api_lists_search_sort_and_page(web: Flask, db: Database, driver: Driver, world: dict[str, int]):
    client = web.test_client()
    auth = bearer(db, "clerk1")
    found = client.get("/api/v1/tasks?q=TR%E1%BB%8ANH", headers=auth).get_json()  # TRỊNH
    assert [t["nomination_id"] for t in found["items"]] == [world["bao"]] and found["next_cursor"] is None
    task = found["items"][0]
    assert task["code"] == listing.dossier_code(world["bao"]) and task["returned"] is True and task["form"]
    assert [t["nominee_name"] for t in client.get("/api/v1/tasks?sort=-nominee", headers=auth).get_json()["items"]] == [
        "Trịnh Văn Bảo", "Nguyễn Thị Hoa"]
    assert [t["nominee_name"] for t in client.get("/api/v1/tasks?name=draft&returned=1", headers=auth).get_json()["items"]
            ] == ["Trịnh Văn Bảo"]
    listed = client.get("/api/v1/nominations?q=nguyen+thi&sort=code", headers=auth).get_json()
    assert [n["id"] for n in listed["items"]] == [world["hoa"]] and listed["total"] == 1
    assert set(listed) >= {"items", "next_cursor", "total", "page_size"}
    assert listed["items"][0]["updated_at"].endswith("+07:00") and listed["items"][0]["code"].startswith("HS-")
    for _ in range(3):
        driver.create()
    page = client.get("/api/v1/nominations?sort=code", headers=auth).get_json()
    assert page["next_cursor"] is None and len(page["items"]) == 5
    for path in ("/api/v1/tasks", "/api/v1/nominations"):
        for query in ("sort=salary", "cursor=%21%21", "unit=x", "year=-1", "returned=2"):
            error = json_error(client.get(f"{path}?{query}", headers=auth), 422, None)
            assert error["fields"], (path, query)
        cursor = listing.encode_cursor("code", 1, 1)
        json_error(client.get(f"{path}?sort=-code&cursor={cursor}", headers=auth), 422)


def test_the_api_cursor_walks_every_task_once(web: Flask, db: Database, driver: Driver):
    ids = {driver.create(nominee_name=f"Người số {i}") for i in range(53)}
    client, auth = web.test_client(), bearer(db, "clerk1")
    seen, cursor = [], None
    while True:
        body = client.get("/api/v1/tasks", query_string={"sort": "-waiting", **({"cursor": cursor} if cursor else {})},
                          headers=auth).get_json()
        seen += [t["nomination_id"] for t in body["items"]]
        if not (cursor := body["next_cursor"]):
            break
    assert len(seen) == 53 and set(seen) == ids


def test_openapi_documents_the_list_parameters(web: Flask):
    doc = web.test_client().get("/api/v1/openapi.json").get_json()
    for path in ("/tasks", "/nominations"):
        get = doc["paths"][path]["get"]
        names = {p["name"] for p in get["parameters"]}
        assert {"q", "sort", "cursor", "unit", "award_form", "year", "returned"} <= names, path
        assert "next_cursor" in get["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
        assert "422" in get["responses"]


@pytest.mark.parametrize("path", ["/", "/nominations/", "/api/v1/tasks", "/api/v1/nominations"])
def test_a_list_reads_its_user_once_a_request(web: Flask, db: Database, world: dict[str, int], path: str):
    """The user (roles, windows in force) read for the request serves every query of the page: it was read three
    or four times, a tenth of the inbox's time."""
    api = path.startswith("/api/")
    client = web.test_client() if api else session_client(web, db, "clerk1")
    headers = bearer(db, "clerk1") if api else {}
    client.get(path, headers=headers)  # warm: the route parsed, the statements compiled
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get(path, headers=headers)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200
    assert "Trịnh Văn Bảo" in response.get_data(as_text=True)
    roles_reads = [s for s in seen if "user_roles" in s]  # joined to the user, or read after it
    windows_reads = [s for s in seen if "FROM signing_delegations" in s]
    assert len(roles_reads) == 1 and len(windows_reads) == 1, (len(roles_reads), len(windows_reads))
