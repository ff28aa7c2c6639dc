"""Text that cannot be stored or shown as typed: unpaired surrogates, line breaks in single-line
fields, bidi controls anywhere. Refused with a Vietnamese message and nothing changed, on SQLite
and PostgreSQL, through the API and the pages.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.support import SHIPPED_FORMS
from workflows.domain import forms
from workflows.persistence.db import Database
from workflows.persistence.model import CalendarDay, Nomination

from ..support import DOSSIER, Driver
from .helpers import bearer, json_error, session_client, snapshot

SCHEMA = SHIPPED_FORMS.schema("dossier")
# Free-text fields typed on one line (choices and numbers are checked against their lists and ranges).
SINGLE_LINE = [name for name, prop in SCHEMA["properties"].items()
               if prop.get("type") == "string" and "x-source" not in prop and prop.get("x-widget") != "textarea"]
LINE_BREAKS = {"CR LF": "\r\n", "LF": "\n", "CR": "\r", "NEL": "\x85", "U+2028": "\u2028", "U+2029": "\u2029",
               "VT": "\x0b"}
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f",
        "\u061c"]
NO_BREAK = "Không được xuống dòng."
NO_BIDI = "Chứa ký tự điều khiển hướng chữ không hợp lệ."


def test_the_dossier_has_single_line_fields_to_check():
    assert {"nominee_name", "nominee_position", "nominee_unit", "movement"} <= set(SINGLE_LINE)


def nomination_count(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count(Nomination.id)))


# --- single-line dossier fields ----------------------------------------------------------------

@pytest.mark.parametrize("field", SINGLE_LINE)
@pytest.mark.parametrize("brk", list(LINE_BREAKS), ids=list(LINE_BREAKS))
def test_line_breaks_in_single_line_fields_are_refused_by_the_api(web: Flask, db: Database, field: str, brk: str):
    body = DOSSIER | {field: f"Nguyễn Văn{LINE_BREAKS[brk]}Bcc: x@example.org"}
    response = web.test_client().post("/api/v1/nominations", headers=bearer(db, "clerk1"), json=body)
    assert json_error(response, 422, "invalid")["fields"] == {field: NO_BREAK}
    assert nomination_count(db) == 0


@pytest.mark.parametrize("field", SINGLE_LINE)
@pytest.mark.parametrize("char", BIDI, ids=[f"U+{ord(c):04X}" for c in BIDI])
def test_bidi_controls_in_single_line_fields_are_refused_by_the_api(web: Flask, db: Database, field: str, char: str):
    body = DOSSIER | {field: f"Nguyễn {char}nA nắV"}
    response = web.test_client().post("/api/v1/nominations", headers=bearer(db, "clerk1"), json=body)
    assert json_error(response, 422, "invalid")["fields"] == {field: NO_BIDI}
    assert nomination_count(db) == 0


def test_the_pages_refuse_a_nominee_name_with_a_line_break_or_bidi_control(web: Flask, db: Database, driver: Driver):
    client = session_client(web, db, "clerk1")
    form = {k: str(v) for k, v in DOSSIER.items()}
    for name, message in (("Nguyễn Văn\r\nAn", NO_BREAK), ("Nguyễn \u202eVăn An", NO_BIDI)):
        response = client.post("/nominations/new", data=form | {"nominee_name": name})
        assert response.status_code == 422
        assert f'<p class="error-text" id="f-nominee_name-error">{message}</p>' in response.get_data(as_text=True)
    assert nomination_count(db) == 0

    nid = driver.create()
    draft = driver.item_for(nid, "clerk1")
    before = snapshot(db)
    response = client.post(f"/tasks/{draft}", data=form | {"movement": "Phong trào\nthi đua"})
    assert response.status_code == 422
    assert f'<p class="error-text" id="f-movement-error">{NO_BREAK}</p>' in response.get_data(as_text=True)
    assert snapshot(db) == before


# --- multi-line fields keep their lines, never bidi controls ----------------------------------

def test_achievements_keep_their_lines_but_not_bidi_controls(web: Flask, db: Database):
    client, headers = web.test_client(), bearer(db, "clerk1")
    lines = "Năm 2025: hoàn thành xuất sắc nhiệm vụ.\r\nNăm 2026: hai sáng kiến cấp cơ sở.\nTiếp tục phấn đấu."
    created = client.post("/api/v1/nominations", headers=headers, json=DOSSIER | {"achievements": lines})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["achievements"] == lines
    refused = client.post("/api/v1/nominations", headers=headers,
                          json=DOSSIER | {"achievements": "Hoàn thành xuất sắc nhiệm vụ \u2067hai năm liên tục."})
    assert json_error(refused, 422, "invalid")["fields"] == {"achievements": NO_BIDI}
    assert nomination_count(db) == 1


def test_a_review_comment_keeps_lines_but_not_bidi_controls(web: Flask, db: Database, driver: Driver):
    nid = driver.create()
    driver.act(nid, "clerk1", {})
    head = driver.item_for(nid, "head1")
    client, headers = web.test_client(), bearer(db, "head1")
    before = snapshot(db)
    refused = client.post(f"/api/v1/tasks/{head}/complete", headers=headers,
                          json={"data": {"decision": "return", "comment": "Bổ sung \u202eminh chứng"}})
    assert json_error(refused, 422, "invalid")["fields"] == {"comment": NO_BIDI}
    assert snapshot(db) == before
    done = client.post(f"/api/v1/tasks/{head}/complete", headers=headers,
                       json={"data": {"decision": "return", "comment": "Bổ sung:\n- minh chứng\n- bản sao"}})
    assert done.status_code == 200, done.get_json()


# --- unpaired surrogates in forms (JSON: see test_hostile_requests) ---------------------------------

def test_surrogates_in_a_form_never_reach_the_database(web: Flask, db: Database):
    """Browsers cannot send them; percent-encoded surrogate bytes stay the literal escapes, never a 500."""
    client = session_client(web, db, "clerk1")
    form = {k: str(v) for k, v in DOSSIER.items()}
    body = "&".join(f"{k}={v}" for k, v in form.items() if k != "nominee_name") + "&nominee_name=An%ED%A0%80"
    response = client.post("/nominations/new", data=body.encode(), content_type="application/x-www-form-urlencoded")
    assert response.status_code in (302, 422)
    with db.read() as s:
        names = list(s.scalars(select(Nomination.nominee_name)))
    assert all(name.isprintable() and not forms.SURROGATES.search(name) for name in names)


# --- other single-line inputs ------------------------------------------------------------------------

@pytest.mark.parametrize("note", ["nghỉ\x00bù", "nghỉ bù\r\nQuốc khánh", "nghỉ \u202ebù"])
def test_a_calendar_note_that_cannot_be_stored_is_refused(web: Flask, db: Database, note: str):
    client = session_client(web, db, "admin")
    response = client.post("/admin/calendar", data={"day": "2026-09-01", "kind": "off", "note": note})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ghi chú: " in page
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(CalendarDay)) == 0
