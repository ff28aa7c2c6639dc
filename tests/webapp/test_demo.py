"""The demo seed (``flask seed-demo``, run by ``make run``): the council's rounds to click through, and idempotent.

One closed round with results (round page, minutes PDF, verification), one open round where four members have
voted (the others find the ballot in their inbox), dossiers waiting for the secretariat to form the next round,
and the chair's ballot passphrase set to the documented demo value.
"""

from __future__ import annotations

import html as html_lib
import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from workflows.persistence.db import Database
from workflows.persistence.model import CouncilRound, RoundDossier, User
from workflows.services import rounds
from workflows.services.demo import DEMO_BALLOT_PASSPHRASE, seed_demo

from ..conftest import _empty
from .helpers import session_client, snapshot


@pytest.fixture
def demo(db: Database) -> Database:
    _empty(db)  # the db fixture brings the demo people; the seed itself starts from nothing
    assert seed_demo(db) is True
    return db


def _get(web: Flask, db: Database, username: str, url: str) -> str:
    response = session_client(web, db, username).get(url)
    assert response.status_code == 200, (username, url, response.status_code)
    return html_lib.unescape(response.get_data(as_text=True))


def _rounds(db: Database) -> dict[str, CouncilRound]:
    with db.read() as s:
        return {r.title: r for r in s.scalars(select(CouncilRound))}


def test_the_demo_has_rounds_to_click_through(web: Flask, demo: Database):
    found = _rounds(demo)
    assert sorted(found) == ["Đợt 1 năm 2026", "Đợt 2 năm 2026"]
    closed, opened = found["Đợt 1 năm 2026"], found["Đợt 2 năm 2026"]
    assert (closed.state, closed.ballots_cast, closed.members_called) == ("closed", 9, 9)
    assert (opened.state, opened.ballots_cast, opened.members_called) == ("open", 4, 9)

    listing = _get(web, demo, "secretary", "/rounds")
    assert "Đã kết thúc" in listing and "Đang bỏ phiếu" in listing and "4/9" in listing
    waiting = re.findall(r'<label for="n-\d+">([^<]+)</label>', listing)  # the next round's candidates
    assert sorted(waiting) == ["Phan Quốc Bảo", "Phòng Hành chính - Tổng hợp"]

    page = _get(web, demo, "secretary", f"/rounds/{closed.id}")
    assert page.count('<strong class="passed">Đạt</strong>') == 1 and page.count("Không đạt</strong>") == 1
    assert len(re.findall(r'<code class="receipt">', page)) == 9 and f"/rounds/{closed.id}/minutes.pdf" in page
    pdf = session_client(web, demo, "minister").get(f"/rounds/{closed.id}/minutes.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert "Đã kiểm tra: khớp" in _get(web, demo, "auditor", f"/rounds/{closed.id}/verify")
    assert "Lý Văn Sơn" in _get(web, demo, "reviewer", "/")  # passed: on to appraisal

    page = _get(web, demo, "secretary", f"/rounds/{opened.id}")
    assert "4/9 đã bỏ phiếu" in page and page.count("<td>Đã bỏ phiếu</td>") == 4
    assert all(name in page for name in ("Trần Thị Bình", "Ngô Thị Mai", "Phòng Chuyển đổi số"))
    for n in range(1, 10):
        inbox = _get(web, demo, f"council{n}", "/")
        assert ("Phiếu bầu: Đợt 2 năm 2026" in inbox) == (n > 4), n
    with demo.read() as s:
        first = s.scalar(select(RoundDossier.nomination_id).where(RoundDossier.round_id == opened.id)
                         .order_by(RoundDossier.position))
    page = _get(web, demo, "clerk2", f"/nominations/{first}")
    assert "Trần Thị Bình" in page and "Chờ Hội đồng xét" in page and "4/9 ủy viên đã bỏ phiếu" in page
    assert rounds.verify(demo, opened.id) == []

    # The documented passphrase is the chair's: it counts the open round.
    with demo.read() as s:
        chair = s.scalar(select(User.id).where(User.username == "minister"))
    results = rounds.close_round(demo, chair, opened.id, DEMO_BALLOT_PASSPHRASE)
    assert sorted((r["present"], r["passed"]) for r in results.values()) == [(4, False)] * 3  # 4/9: no quorum


def test_seeding_again_changes_nothing(demo: Database):
    before = snapshot(demo)
    with demo.read() as s:
        counts = (s.scalar(select(func.count(CouncilRound.id))), s.scalar(select(func.count(User.id))))
    assert seed_demo(demo) is False
    assert snapshot(demo) == before
    with demo.read() as s:
        assert (s.scalar(select(func.count(CouncilRound.id))), s.scalar(select(func.count(User.id)))) == counts
