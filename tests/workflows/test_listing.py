"""The inbox and the nominations list: diacritic-blind search, every sort, every filter, keyset paging, on both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import event, select, update

from workflows import queries
from workflows.domain import clock
from workflows.domain.errors import Invalid
from workflows.domain.folding import fold
from workflows.persistence import migrate
from workflows.persistence.db import Database
from workflows.persistence.model import Nomination, TaskItem, Unit
from workflows.persistence.search_model import NominationTerm, terms
from workflows.queries import bulk as bulk_queries
from workflows.queries import listing
from workflows.queries.listing import Filters

from ..support import APPROVE, Driver, returned

NAMES = ["Trịnh Văn Bảo", "Đặng Đức Anh", "Nguyễn Thị Hoa", "Lê Văn Tám", "Phạm Quỳnh Anh", "Trần Đình Trọng"]


def test_fold_drops_diacritics_case_and_d_stroke():
    assert fold("Trịnh Văn Bảo") == "trinh van bao"
    assert fold("TRỊNH") == "trinh"
    assert fold("Đặng  Đức\tAnh ") == "dang duc anh"
    assert fold("Nguyễn Thị Ánh Tuyết") == "nguyen thi anh tuyet"
    assert fold(None) == "" and fold("") == ""
    assert terms("Trịnh  Văn Bảo") == ["trinh van bao", "van bao", "bao"]
    assert terms("An An") == ["an an", "an"]


def _names(rows) -> list[str]:
    return [r["nominee_name"] for r in rows]


def _inbox(db: Database, driver: Driver, user: str = "clerk1", **kwargs):
    return queries.inbox_page(db, driver.uid(user), **kwargs)


@pytest.fixture
def drafts(db: Database, driver: Driver) -> dict[str, int]:
    """Six drafts of clerk1 (CUC_BDDT) and one of clerk2 (CUC_VT), each waiting in its clerk's inbox."""
    ids = {name: driver.create(nominee_name=name) for name in NAMES}
    ids["Trịnh Thị Vân"] = driver.create("clerk2", nominee_name="Trịnh Thị Vân", award_form="ky_niem_chuong", year=2025)
    return ids


def test_search_ignores_diacritics_and_case(db: Database, driver: Driver, drafts: dict[str, int]):
    for q in ("trinh van bao", "TRỊNH VĂN", "Trinh", "  bảo "):
        assert _names(_inbox(db, driver, filters=Filters(q=fold(q)))["items"]) == ["Trịnh Văn Bảo"], q
    assert _names(_inbox(db, driver, filters=Filters(q=fold("dang duc")))["items"]) == ["Đặng Đức Anh"]
    assert _names(_inbox(db, driver, filters=Filters(q=fold("đình")))["items"]) == ["Trần Đình Trọng"]
    assert sorted(_names(_inbox(db, driver, filters=Filters(q="anh"))["items"])) == ["Phạm Quỳnh Anh", "Đặng Đức Anh"]
    # the secretariat's list reads every unit: both Trịnh
    found = queries.nominations(db, driver.uid("secretary"), filters=Filters(q=fold("TRỊNH")))
    assert sorted(_names(found["items"])) == ["Trịnh Thị Vân", "Trịnh Văn Bảo"] and found["total"] == 2
    # the shorthand of the older callers folds too
    assert _names(queries.nominations(db, driver.uid("clerk1"), q="trinh")["items"]) == ["Trịnh Văn Bảo"]
    # a search starts at a word; a % or _ in the query is a character, not a wildcard
    assert _inbox(db, driver, filters=Filters(q="rinh"))["items"] == []
    assert _inbox(db, driver, filters=Filters(q="%"))["items"] == []
    assert _inbox(db, driver, filters=Filters(q="_"))["items"] == []


def test_search_finds_the_dossier_code_and_the_unit(db: Database, driver: Driver, drafts: dict[str, int]):
    nid = drafts["Lê Văn Tám"]
    code = listing.dossier_code(nid)
    assert code == f"HS-{nid:06d}"
    for q in (code, code.lower(), str(nid)):
        rows = _inbox(db, driver, filters=Filters(q=fold(q)))["items"]
        assert nid in [r["nomination_id"] for r in rows] and rows[0]["code"] == code if rows else False, q
    by_unit = queries.nominations(db, driver.uid("secretary"), filters=Filters(q=fold("cuc vien thong")))
    assert _names(by_unit["items"]) == ["Trịnh Thị Vân"]


def test_a_renamed_nominee_is_found_by_the_new_name(db: Database, driver: Driver):
    nid = driver.create(nominee_name="Nguyễn Văn An")
    driver.act(nid, "clerk1", {"nominee_name": "Võ Thị Sáu"})  # the draft step edits the dossier and submits it
    with db.read() as s:
        assert s.scalar(select(Nomination.search_text).where(Nomination.id == nid)) == "vo thi sau"
        assert set(s.scalars(select(NominationTerm.term).where(NominationTerm.nomination_id == nid))) == {
            "vo thi sau", "thi sau", "sau"}
    head = queries.inbox_page(db, driver.uid("head1"), filters=Filters(q="vo thi sau"))["items"]
    assert [r["nomination_id"] for r in head] == [nid]
    assert queries.inbox_page(db, driver.uid("head1"), filters=Filters(q="nguyen van an"))["items"] == []


def _expected_order(rows, key, descending):
    present = [r for r in rows if key(r) is not None]
    missing = [r for r in rows if key(r) is None]
    present.sort(key=lambda r: (key(r), r["id"]), reverse=descending)
    missing.sort(key=lambda r: r["id"], reverse=descending)
    return [r["id"] for r in present + missing]


INBOX_KEYS = {
    "due": lambda r: r["due_at"],
    "waiting": lambda r: r["created_at"],  # ascending waiting = newest first: flipped below
    "code": lambda r: r["nomination_id"],
    "nominee": lambda r: fold(r["nominee_name"]),
    "unit": lambda r: r["unit_name"],
    "award_form": lambda r: r["award_form_name"],
    "step": lambda r: r["title"],
}


@pytest.mark.parametrize("sort", sorted(INBOX_KEYS))
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_every_inbox_sort_both_ways_pages_every_row_once(db: Database, driver: Driver, drafts: dict[str, int],
                                                         sort: str, descending: bool):
    uid = driver.uid("clerk1")
    _tie_and_blank_deadlines(db)
    everything = queries.inbox_page(db, uid, page_size=1000)["items"]
    assert len(everything) == 6
    name = f"-{sort}" if descending else sort
    walked, cursor, pages = [], None, 0
    while True:
        page = queries.inbox_page(db, uid, sort=name, cursor=cursor, page_size=2)
        walked += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    flip = sort == "waiting"
    if sort in ("unit", "award_form", "step", "nominee") and db.is_sqlite is False:
        # PostgreSQL orders text by its collation: compare with what the database itself says is the order
        ordered = [r["id"] for r in queries.inbox_page(db, uid, sort=name, page_size=1000)["items"]]
    else:
        ordered = _expected_order(everything, INBOX_KEYS[sort], descending != flip)
    assert [r["id"] for r in walked] == ordered
    assert len({r["id"] for r in walked}) == 6


def _tie_and_blank_deadlines(db: Database) -> None:
    """Ties in every key: the same deadline and creation time on several rows, no deadline on two."""
    same = clock.now().replace(microsecond=0) + timedelta(days=3)
    with db.write() as s:
        ids = list(s.scalars(select(TaskItem.id).where(TaskItem.state == "ready").order_by(TaskItem.id)))
        s.execute(update(TaskItem).where(TaskItem.id.in_(ids[:3])).values(due_at=same, created_at=same - timedelta(days=5)))
        s.execute(update(TaskItem).where(TaskItem.id.in_(ids[3:5])).values(due_at=None, created_at=same - timedelta(days=5)))


def test_paging_walks_every_row_exactly_once_with_ties(db: Database, driver: Driver, drafts: dict[str, int]):
    _tie_and_blank_deadlines(db)
    uid = driver.uid("secretary")
    for sort in ("updated", "-updated", "nominee", "-nominee", "unit", "year", "-state", "code"):
        seen, cursor = [], None
        while True:
            page = queries.nominations(db, uid, sort=sort, cursor=cursor, page_size=3)
            seen += [n["id"] for n in page["items"]]
            assert page["total"] == 7 and page["total_exceeds"] is False
            if not (cursor := page["next_cursor"]):
                break
        assert sorted(seen) == sorted(drafts.values()) and len(seen) == 7, sort
    # the default inbox order: earliest deadline first, no deadline last, by id within a tie
    rows = queries.inbox_page(db, driver.uid("clerk1"), page_size=1000)["items"]
    dues = [r["due_at"] for r in rows]
    assert dues[-2:] == [None, None]
    assert dues[:-2] == sorted(dues[:-2])


def test_each_filter(db: Database, driver: Driver, drafts: dict[str, int]):
    sec = driver.uid("secretary")
    bao, tam = drafts["Trịnh Văn Bảo"], drafts["Lê Văn Tám"]
    driver.submit(bao)  # at the secretariat
    driver.submit(tam)
    driver.act(tam, "secretary", returned("Thiếu biên bản họp xét"))  # back at the clerk, returned once
    with db.read() as s:
        vt = s.scalar(select(Unit.id).where(Unit.code == "CUC_VT"))
        bddt = s.scalar(select(Unit.id).where(Unit.code == "CUC_BDDT"))
    clerk = driver.uid("clerk1")

    def ids(uid, **f):
        return {r["nomination_id"] for r in queries.inbox_page(db, uid, filters=Filters(**f))["items"]}

    assert ids(sec) == {bao}
    assert ids(clerk, returned=True) == {tam}
    assert queries.inbox_page(db, clerk, filters=Filters(returned=True))["items"][0]["returned"] is True
    assert ids(sec, step="secretariat_check") == {bao}
    assert ids(sec, step="draft") == set()
    assert ids(clerk, step="draft") == set(drafts.values()) - {bao, drafts["Trịnh Thị Vân"]}  # the returned one too
    assert ids(clerk, unit_id=bddt) == ids(clerk)
    assert ids(clerk, unit_id=vt) == set()
    assert ids(driver.uid("clerk2"), award_form="ky_niem_chuong") == {drafts["Trịnh Thị Vân"]}
    assert ids(driver.uid("clerk2"), award_form="bang_khen_bo_truong") == set()
    assert ids(driver.uid("clerk2"), year=2025) == {drafts["Trịnh Thị Vân"]}
    assert ids(clerk, year=2025) == set()
    with db.write() as s:
        s.execute(update(TaskItem).where(TaskItem.nomination_id == drafts["Nguyễn Thị Hoa"], TaskItem.state == "ready")
                  .values(due_at=clock.now() - timedelta(hours=1)))
    assert ids(clerk, overdue=True) == {drafts["Nguyễn Thị Hoa"]}
    # the nominations list: state, returned, year, unit
    all_ids = set(drafts.values())
    listed = lambda **f: {n["id"] for n in queries.nominations(db, sec, filters=Filters(**f), page_size=100)["items"]}  # noqa: E731
    assert listed() == all_ids
    assert listed(returned=True) == {tam}
    assert listed(year=2025) == {drafts["Trịnh Thị Vân"]}
    assert listed(unit_id=vt) == {drafts["Trịnh Thị Vân"]}
    assert listed(state="in_progress") == all_ids
    assert listed(state="awarded") == set()


def test_filters_from_the_query_string_and_their_errors():
    f = listing.filters_from_args({"q": "TRỊNH Văn", "unit": "3", "year": "2026", "overdue": "1", "returned": "0",
                                   "award_form": "ky_niem_chuong", "step": "draft"})
    assert f == Filters(q="trinh van", unit_id=3, year=2026, overdue=True, returned=False, award_form="ky_niem_chuong",
                        step="draft")
    assert listing.filters_from_args({"name": "head_review"}, step_key="name").step == "head_review"
    for bad in ({"unit": "x"}, {"unit": "9" * 40}, {"year": "-1"}, {"overdue": "maybe"}, {"award_form": "a b"},
                {"step": "x" * 61}, {"q": "a" * 101}, {"year": "²"}):
        with pytest.raises(Invalid) as caught:
            listing.filters_from_args(bad)
        assert caught.value.fields, bad


def test_a_bad_sort_or_cursor_is_invalid(db: Database, driver: Driver, drafts: dict[str, int]):
    uid = driver.uid("clerk1")
    page = queries.inbox_page(db, uid, page_size=2)
    good = page["next_cursor"]
    assert good
    with pytest.raises(Invalid, match="sắp xếp"):
        queries.inbox_page(db, uid, sort="salary")
    with pytest.raises(Invalid, match="sắp xếp"):
        queries.nominations(db, uid, sort="due")  # an inbox sort is no list sort
    with pytest.raises(Invalid, match="Con trỏ"):
        queries.inbox_page(db, uid, sort="-due", cursor=good)  # a cursor of another sort
    forged = [
        "not base64 !", "e30", good[:-3], "x" * 3000,
        listing.encode_cursor("due", "yesterday", 1), listing.encode_cursor("due", "2026-01-01T00:00:00", 1),
        listing.encode_cursor("due", "2026-01-01T00:00:00+00:00", -5), listing.encode_cursor("due", 12, 1),
        listing.encode_cursor("code", None, 1), listing.encode_cursor("code", 2**40, 1),
    ]
    for cursor in forged:
        sort = "code" if '"s":"code"' in _decoded(cursor) else "due"
        with pytest.raises(Invalid):
            queries.inbox_page(db, uid, sort=sort, cursor=cursor)
    assert queries.inbox_page(db, uid, page_size=2, cursor=good)["items"]


def _decoded(cursor: str) -> str:
    import base64
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except Exception:
        return ""


def test_rows_of_no_dossier_stay_in_their_own_section(db: Database, driver: Driver):
    """A decision's signature waits in the minister's inbox beside (not inside) the dossier rows, on the first page."""
    nid = driver.create(award_form="ky_niem_chuong")
    driver.accept(nid)
    driver.to_decision(nid)
    from workflows.services import decisions
    draft = decisions.draft(db, driver.uid("secretary"), [nid])
    decisions.send(db, driver.uid("secretary"), draft)
    page = queries.inbox_page(db, driver.uid("minister"))
    assert [t["decision_id"] for t in page["others"]] == [draft] and page["items"] == []
    assert queries.inbox_page(db, driver.uid("minister"), filters=Filters(q="nguyen"))["others"] == []
    assert queries.inbox_page(db, driver.uid("minister"), filters=Filters(year=2026))["others"] == []
    legacy = queries.inbox(db, driver.uid("minister"))  # the one-list form still carries it
    assert [t["decision_id"] for t in legacy] == [draft]


def test_the_migration_folds_the_names_already_stored(db: Database, driver: Driver):
    nid = driver.create(nominee_name="Đoàn Thị Điểm")
    cfg = migrate.alembic_config()
    with db.engine.connect() as conn:
        if db.is_sqlite:  # batch migrations copy and drop tables others reference, as migrate.upgrade knows
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.downgrade(cfg, "0008")
                command.upgrade(cfg, "head")
        finally:
            if db.is_sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")
    with db.read() as s:
        assert s.scalar(select(Nomination.search_text).where(Nomination.id == nid)) == "doan thi diem"
        stored = set(s.scalars(select(NominationTerm.term).where(NominationTerm.nomination_id == nid)))
    assert stored == {"doan thi diem", "thi diem", "diem"}
    assert [r["nomination_id"] for r in queries.inbox_page(db, driver.uid("clerk1"), filters=Filters(q="diem"))["items"]
            ] == [nid]


def test_approving_keeps_the_folded_name(db: Database, driver: Driver):
    nid = driver.create(nominee_name="Hà Huy Tập")
    driver.submit(nid)
    driver.act(nid, "secretary", APPROVE)
    with db.read() as s:
        assert s.scalar(select(Nomination.search_text).where(Nomination.id == nid)) == "ha huy tap"


def test_counts_stop_at_the_cap(db: Database, driver: Driver, drafts: dict[str, int], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(listing, "COUNT_CAP", 4)
    page = queries.nominations(db, driver.uid("secretary"), page_size=2)
    assert (page["total"], page["total_exceeds"]) == (4, True)
    clerk = queries.nominations(db, driver.uid("clerk2"))  # one dossier: under the cap, exact
    assert (clerk["total"], clerk["total_exceeds"]) == (1, False)


def test_a_task_completed_between_the_pages_two_reads_is_left_out(db: Database, driver: Driver, drafts: dict[str, int]):
    """The inbox reads a page's ids (one scan per way a task is mine), then the rows: each statement sees what was
    committed before it, so a task another user completes in between is simply not on the page (it was a 500)."""
    before = _names(_inbox(db, driver)["items"])
    gone = driver.item_for(drafts[before[0]], "clerk1")
    fired = []

    def complete_in_between(conn, cursor, statement, parameters, context, executemany):
        if "row_id" in statement and not fired:  # the ids are read: another user's commit lands now
            fired.append(True)
            with db.engine.begin() as other:
                other.execute(update(TaskItem).where(TaskItem.id == gone).values(state="completed"))

    event.listen(db.engine, "after_cursor_execute", complete_in_between)
    try:
        page = _inbox(db, driver)
    finally:
        event.remove(db.engine, "after_cursor_execute", complete_in_between)
    assert fired
    if db.is_sqlite:  # one read transaction, one snapshot: the page as it was when the reads began
        assert _names(page["items"]) == before
    else:
        assert gone not in [r["id"] for r in page["items"]]
        assert _names(page["items"]) == before[1:]


def test_the_bulk_form_reads_each_version_once_not_each_row(db: Database, driver: Driver, drafts: dict[str, int]):
    """Which inbox rows the bulk form may take: its reads do not grow with the page (it read the route once a row)."""
    for name, nid in drafts.items():
        if name != "Trịnh Thị Vân":  # clerk2's
            driver.act(nid, "clerk1", {})
    head = driver.uid("head1")
    rows = queries.inbox_page(db, head)["items"]
    assert len(rows) == 6

    def statements_for(some: list[dict]) -> tuple[int, set[int]]:
        seen: list[str] = []

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            offered = bulk_queries.options(db, head, some)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen), offered["selectable"]

    one, all_rows = statements_for(rows[:1]), statements_for(rows)
    assert all_rows[1] == {r["id"] for r in rows} and one[1] == {rows[0]["id"]}
    assert all_rows[0] == one[0], (one[0], all_rows[0])

