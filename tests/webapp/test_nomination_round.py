"""A dossier's page at the council's round step: which round it waits in (state, how many voted, the deadline) or
that it is on none yet; after the count the council's result with its round. How anyone voted is never shown;
the per-dossier close-vote form belongs to routes with a per-dossier ballot only."""

from __future__ import annotations

import html as html_lib
import re

from flask import Flask
from sqlalchemy import select

from tests.support import COUNCIL, Driver, RoundDriver, deploy_with_quota
from workflows.domain import clock
from workflows.persistence.model import CouncilRound
from workflows.services import rounds

from .helpers import session_client, snapshot


def _page(web: Flask, rd: RoundDriver, username: str, nid: int) -> str:
    response = session_client(web, rd.db, username).get(f"/nominations/{nid}")
    assert response.status_code == 200, (username, response.status_code)
    return html_lib.unescape(response.get_data(as_text=True))


def _dossier(page: str) -> str:
    """The page's ``dl.dossier`` (the history below it quotes decisions such as "Đồng ý trình Bộ")."""
    return re.search(r'<dl class="dossier">.*?</dl>', page, re.S).group(0)


def _text(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def _round_line(page: str) -> str:
    match = re.search(r'<dd class="council-round">(.*?)</dd>', page, re.S)
    return _text(match.group(1)) if match else ""


def test_the_page_follows_the_dossier_through_its_round(web: Flask, rd: RoundDriver):
    nid = rd.waiting()
    other = rd.waiting(nominee_name="Đặng Thị Ngọc Hằng")

    secretary = _page(web, rd, "secretary", nid)
    assert _round_line(secretary) == "Chưa đưa vào đợt xét · Lập đợt xét"
    assert 'href="/rounds">Lập đợt xét</a>' in secretary
    clerk = _page(web, rd, "clerk1", nid)  # the proposing unit sees where it stands, without the secretariat's link
    assert _round_line(clerk) == "Chưa đưa vào đợt xét" and 'href="/rounds"' not in clerk
    for page in (secretary, clerk):  # the round route has no per-dossier ballot to close
        assert "/close-vote" not in page and "Kết thúc bỏ phiếu" not in page

    rid = rounds.create_round(rd.db, rd.uid("secretary"), "Đợt xét tháng 12/2026", "2026-12-10", [nid, other])
    draft = _page(web, rd, "secretary", nid)
    assert _round_line(draft) == "Chờ Hội đồng xét: Đợt xét tháng 12/2026 · Dự thảo"
    assert f'href="/rounds/{rid}">Đợt xét tháng 12/2026</a>' in draft and 'href="/rounds">' not in _dossier(draft)

    rounds.open_round(rd.db, rd.uid("secretary"), rid)
    with rd.db.read() as s:
        deadline = s.get(CouncilRound, rid).deadline_at.astimezone(clock.VN_TZ).strftime("%d/%m/%Y")
    opened = f"Chờ Hội đồng xét: Đợt xét tháng 12/2026 · Đang bỏ phiếu · 0/9 ủy viên đã bỏ phiếu · hạn bỏ phiếu {deadline}"
    assert _round_line(_page(web, rd, "secretary", nid)) == opened

    rd.ballot(rid, "council1", {nid: "agree", other: "agree"})
    after_agree = {u: _dossier(_page(web, rd, u, nid)) for u in ("secretary", "council1", "auditor", "clerk1")}
    rd.ballot(rid, "council2", {nid: "disagree", other: "agree"})
    rd.ballot(rid, "council3", {nid: "agree", other: "disagree"})
    for username in ("secretary", "minister", "council1", "council2", "auditor", "clerk1"):
        page = _page(web, rd, username, nid)
        line = _round_line(page)
        assert "3/9 ủy viên đã bỏ phiếu" in line and f"hạn bỏ phiếu {deadline}" in line, (username, line)
        dossier = _dossier(page).lower()
        assert "đồng ý" not in dossier and "ủy viên hội đồng" not in dossier, username  # nor how, nor who
        if username in after_agree:  # a disagree and an agree later, the page differs by the count alone
            assert _dossier(page) == after_agree[username].replace("1/9 ủy viên", "3/9 ủy viên"), username
        assert (f'href="/rounds/{rid}"' in page) == (username != "clerk1"), username  # the round page is not theirs

    for member in COUNCIL[3:7]:
        rd.ballot(rid, member, {nid: "agree", other: "disagree"})
    rd.close(rid)
    counted = _page(web, rd, "secretary", nid)
    result = _text(re.search(r'<dd class="council-result">(.*?)</dd>', counted, re.S).group(1))
    assert result == "6 đồng ý, 1 không đồng ý; có mặt 7/9; cần 4 phiếu đồng ý → Đạt Đợt xét: Đợt xét tháng 12/2026", result
    assert f'href="/rounds/{rid}">Đợt xét tháng 12/2026</a>' in counted and "council-round" not in counted
    assert "<strong>Đưa vào đợt xét của Hội đồng</strong>" in counted  # the history's words, and the round's title
    assert re.search(r"<th>Đợt xét</th><td colspan=\"2\">Đợt xét tháng 12/2026</td>", counted)
    assert rd.ready_steps(nid) == ["appraisal"]
    rejected = _page(web, rd, "clerk1", other)
    assert "2 đồng ý, 5 không đồng ý" in rejected and "→ Không đạt" in rejected and "Đợt xét tháng 12/2026" in rejected
    assert f'href="/rounds/{rid}"' not in rejected


def test_a_tied_dossier_waits_for_the_chair_then_shows_the_choice(web: Flask, rd: RoundDriver):
    deploy_with_quota(rd.db, {"bang_khen_bo_truong": 1})
    first, second = rd.waiting(nominee_name="Một"), rd.waiting(nominee_name="Hai")
    rid = rd.open([first, second])
    for member in COUNCIL:
        rd.ballot(rid, member, {first: "agree", second: "agree"})
    rd.close(rid)
    tied = _page(web, rd, "secretary", first)
    assert "Đã kiểm phiếu, chờ Chủ tịch quyết định trường hợp đồng phiếu" in _round_line(tied)
    assert "council-result" not in tied  # undecided: no result of its own yet
    rd.break_tie(rid, [second])
    chosen, cut = _page(web, rd, "secretary", second), _page(web, rd, "secretary", first)
    assert "→ Đạt" in chosen and "Chủ tịch Hội đồng quyết định (đồng phiếu): được chọn" in chosen
    assert "→ Không đạt" in cut and "Chủ tịch Hội đồng quyết định (đồng phiếu): không được chọn" in cut
    assert f'href="/rounds/{rid}"' in chosen and "council-round" not in cut


def test_the_close_vote_form_stays_for_the_per_dossier_ballot(web: Flask, per_dossier: Driver):
    """Dossiers of older versions still have a ballot of their own, which the secretariat may close."""
    nid = per_dossier.create()
    per_dossier.accept(nid)
    for member in COUNCIL[:7]:
        per_dossier.act(nid, member, {"vote": "agree"})
    page = _page(web, per_dossier, "secretary", nid)
    assert "7/9 ủy viên đã bỏ phiếu" in page and f'action="/nominations/{nid}/close-vote"' in page
    assert "council-round" not in page and "Chưa đưa vào đợt xét" not in page
    assert f"/nominations/{nid}/close-vote" not in _page(web, per_dossier, "council1", nid)  # the secretariat's form
    closed = session_client(web, per_dossier.db, "secretary").post(f"/nominations/{nid}/close-vote", follow_redirects=True)
    html = html_lib.unescape(closed.get_data(as_text=True))
    assert closed.status_code == 200 and "Đã kết thúc bỏ phiếu." in html and "7 đồng ý, 0 không đồng ý" in html
    assert "/close-vote" not in html and "Đợt xét:" not in html  # no round counted it
    assert per_dossier.ready_steps(nid) == ["appraisal"]


def test_closing_a_per_dossier_vote_is_refused_on_the_round_route(web: Flask, rd: RoundDriver):
    nid = rd.waiting()
    rid = rd.open([nid])
    before = snapshot(rd.db)
    response = session_client(web, rd.db, "secretary").post(f"/nominations/{nid}/close-vote")
    assert response.status_code == 409 and "Hồ sơ không ở bước bỏ phiếu." in response.get_data(as_text=True)
    assert snapshot(rd.db) == before
    with rd.db.read() as s:
        assert s.scalar(select(CouncilRound.state).where(CouncilRound.id == rid)) == "open"
