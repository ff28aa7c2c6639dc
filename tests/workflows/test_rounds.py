"""The council's rounds on a route whose council step waits for a round (``hook=round``).

One round, several dossiers, one encrypted ballot per member, the chair's passphrase at close:
results per dossier from each award form's rule, the route going on, the box verifiable.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import date

import pytest
from sqlalchemy import func, select, update

from tests.support import APPROVE, COUNCIL, PASSPHRASE, RoundDriver
from workflows import services
from workflows.domain.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.persistence.model import (
    Base,
    CouncilRound,
    Nomination,
    RoundBallot,
    RoundMember,
    RoundSealedKey,
)
from workflows.services import round_deadline, rounds
from workflows.services.demo import seed_people


def _votes(rd: RoundDriver, round_id: int, table: dict[int, list[str]], members: int = 9) -> list[str]:
    """``table[nid][i]`` is council member i+1's choice on that dossier; returns the receipts."""
    receipts = []
    for i, member in enumerate(COUNCIL[:members]):
        receipts.append(rd.ballot(round_id, member, {nid: choices[i] for nid, choices in table.items()}).receipt)
    return receipts


A, D = "agree", "disagree"


def test_one_round_three_forms_each_by_its_own_rule(rd: RoundDriver):
    majority = rd.waiting()  # Bằng khen của Bộ trưởng: a majority of those present
    ninety = rd.waiting(award_form="chien_si_thi_dua_bo")  # 90 % of all members: 9 of 9
    eighty = rd.waiting(award_form="co_thi_dua_bo", nominee_kind="collective", nominee_name="Phòng Kế hoạch")  # 8 of 9
    rid = rd.open([majority, ninety, eighty])
    receipts = _votes(rd, rid, {majority: [A] * 5 + [D] * 4, ninety: [A] * 8 + [D], eighty: [A] * 8 + [D]})
    assert len(set(receipts)) == 9

    results = rd.close(rid)

    assert {nid: (r["agree"], r["disagree"], r["passed"]) for nid, r in results.items()} == {
        majority: (5, 4, True), ninety: (8, 1, False), eighty: (8, 1, True)}
    assert results[ninety]["agree_required"] == 9 and results[eighty]["agree_required"] == 8
    assert rd.ready_steps(majority) == ["appraisal"] and rd.ready_steps(eighty) == ["appraisal"]
    assert rd.nomination(ninety).state == "rejected"
    assert rd.nomination(majority).council_result["agree"] == 5
    assert rounds.verify(rd.db, rid) == []
    with rd.db.read() as s:
        box = set(s.scalars(select(RoundBallot.hash).where(RoundBallot.round_id == rid)))
        assert set(receipts) == box  # every member finds their receipt in the published box
        assert s.scalar(select(func.count()).select_from(RoundSealedKey).where(RoundSealedKey.round_id == rid)) == 0
        assert s.get(CouncilRound, rid).state == "closed"
    rd.act(majority, "reviewer", APPROVE)  # the route goes on
    assert rd.ready_steps(majority) == ["await_decision"]


def test_quorum_not_met_rejects_every_dossier(rd: RoundDriver):
    nid = rd.waiting()
    rid = rd.open([nid])
    _votes(rd, rid, {nid: [A] * 5}, members=5)  # 5 of 9: the quorum is 6
    result = rd.close(rid)[nid]
    assert (result["quorum_required"], result["quorum_met"], result["passed"]) == (6, False, False)
    assert rd.nomination(nid).state == "rejected"


def test_ballot_rules(rd: RoundDriver):
    first, second = rd.waiting(), rd.waiting(nominee_name="Trịnh Văn Bảo")
    rid = rd.open([first, second])
    with pytest.raises(Invalid) as blank:
        rd.ballot(rid, "council1", {first: A})  # the second row left blank: refused, not guessed
    assert str(second) in blank.value.fields
    with rd.db.read() as s:
        assert s.scalar(select(CouncilRound.ballots_cast).where(CouncilRound.id == rid)) == 0
        assert not s.scalar(select(RoundMember.voted).where(RoundMember.round_id == rid,
                                                            RoundMember.user_id == rd.uid("council1")))
    with pytest.raises(Invalid):
        rd.ballot(rid, "council1", {first: A, second: "maybe"})
    rd.ballot(rid, "council1", {first: A, second: D})
    with pytest.raises(Conflict):
        rd.ballot(rid, "council1", {first: A, second: D})  # one ballot per member
    with pytest.raises(NotFound):  # another member's ballot, to a non-member: as if it did not exist
        services.complete_task(rd.db, rd.uid("clerk1"), rd.ballot_item(rid, "council2"), {"votes": {}})
    with pytest.raises(Conflict):  # the dossier's own step is the round's to complete
        rd.act(first, "secretary", {})
    with pytest.raises(Forbidden):
        rounds.close_round(rd.db, rd.uid("secretary"), rid, PASSPHRASE)
    rd.close(rid)
    with pytest.raises(Conflict):
        rd.ballot(rid, "council2", {first: A, second: D})  # voting after close


def test_a_wrong_passphrase_changes_nothing(rd: RoundDriver):
    nid = rd.waiting()
    rid = rd.open([nid])
    _votes(rd, rid, {nid: [A] * 9})
    with pytest.raises(Invalid, match="Mật khẩu kiểm phiếu không đúng"):
        rd.close(rid, "không phải mật khẩu này")
    with rd.db.read() as s:
        assert s.get(CouncilRound, rid).state == "open"
        assert s.scalar(select(func.count()).select_from(RoundSealedKey).where(RoundSealedKey.round_id == rid)) == 1
    assert rd.ready_steps(nid) == ["council_round"]
    assert rd.close(rid)[nid]["passed"]


def test_rounds_need_dossiers_waiting_and_free(rd: RoundDriver):
    drafting = rd.create()
    with pytest.raises(Invalid):
        rounds.create_round(rd.db, rd.uid("secretary"), "Đợt", "2026-12-10", [drafting])
    nid = rd.waiting()
    rounds.create_round(rd.db, rd.uid("secretary"), "Đợt 1", "2026-12-10", [nid])
    with pytest.raises(Conflict):
        rounds.create_round(rd.db, rd.uid("secretary"), "Đợt 2", "2026-12-10", [nid])
    with pytest.raises(Forbidden):
        rounds.create_round(rd.db, rd.uid("clerk1"), "Đợt 3", "2026-12-10", [nid])
    for bad in ({"title": ""}, {"meeting_date": "10/12/2026"}, {"nomination_ids": []}, {"nomination_ids": [nid, nid]}):
        args = {"title": "Đợt", "meeting_date": date(2026, 12, 10), "nomination_ids": [nid]} | bad
        with pytest.raises(Invalid):
            rounds.create_round(rd.db, rd.uid("secretary"), args["title"], args["meeting_date"], args["nomination_ids"])


def test_verification_catches_an_altered_removed_or_added_ballot(rd: RoundDriver):
    nid = rd.waiting()
    rid = rd.open([nid])
    _votes(rd, rid, {nid: [A] * 7 + [D] * 2})
    rd.close(rid)
    assert rounds.verify(rd.db, rid) == []
    with rd.db.write() as s:
        first = s.scalar(select(RoundBallot).where(RoundBallot.round_id == rid, RoundBallot.seq == 1))
        second = s.scalar(select(RoundBallot).where(RoundBallot.round_id == rid, RoundBallot.seq == 2))
        original = dict(first.ciphertexts)
        s.execute(update(RoundBallot).where(RoundBallot.id == first.id)
                  .values(ciphertexts={str(nid): second.ciphertexts[str(nid)]}))
    assert rounds.verify(rd.db, rid), "an altered ballot must fail verification"
    with rd.db.write() as s:
        s.execute(update(RoundBallot).where(RoundBallot.id == first.id).values(ciphertexts=original))
    assert rounds.verify(rd.db, rid) == []
    with rd.db.write() as s:
        s.delete(s.scalar(select(RoundBallot).where(RoundBallot.round_id == rid, RoundBallot.seq == 9)))
    assert rounds.verify(rd.db, rid), "a removed ballot must fail verification"


def test_the_database_never_holds_a_choice_in_clear(rd: RoundDriver, caplog):
    nid = rd.waiting()
    rid = rd.open([nid])
    caplog.set_level(logging.WARNING, logger="sqlalchemy")  # SQL echo stays off, as in production
    caplog.set_level(logging.DEBUG)
    _votes(rd, rid, {nid: [A] * 4 + [D] * 5})
    assert not [r for r in caplog.records if re.search(r"\b(dis)?agree\b", r.getMessage())], "a log line holds a choice"
    with rd.db.read() as s:
        nom = s.get(Nomination, nid)
        assert (nom.votes_agree, nom.votes_disagree, nom.council_result) == (0, 0, None)  # no running tally
        ballots = s.scalars(select(RoundBallot).where(RoundBallot.round_id == rid)).all()
        assert all(set(b.ciphertexts) == {str(nid)} and len(b.ciphertexts[str(nid)]) == 512 for b in ballots)
    assert rd.close(rid)[nid]["agree"] == 4


def test_members_are_reminded_once_and_the_deadline_ends_the_voting(rd: RoundDriver):
    from datetime import UTC, datetime, timedelta

    from workflows.domain import clock
    from workflows.persistence.model import Notification

    nid = rd.waiting()
    with clock.frozen(datetime(2026, 12, 7, 2, 0, tzinfo=UTC)) as advance:  # a Monday, 9:00 in Hà Nội
        rid = rd.open([nid])
        with rd.db.read() as s:
            council_round = s.get(CouncilRound, rid)
            deadline, remind_at = council_round.deadline_at, council_round.remind_at
        assert deadline > remind_at > clock.now()
        for member in COUNCIL[:6]:
            rd.ballot(rid, member, {nid: A})
        assert round_deadline.sweep(rd.db) == 0  # nothing due yet
        advance(remind_at - clock.now() + timedelta(minutes=1))
        assert round_deadline.sweep(rd.db) == 1
        assert round_deadline.sweep(rd.db) == 0  # once
        with rd.db.read() as s:
            reminded = {u for (u,) in s.execute(select(Notification.user_id).where(Notification.kind == "reminder"))}
        assert reminded == {rd.uid(m) for m in COUNCIL[6:]}
        advance(deadline - clock.now() + timedelta(minutes=1))
        with pytest.raises(Conflict):  # past the deadline, even before the sweep ends the voting
            rd.ballot(rid, "council8", {nid: A})
        assert round_deadline.sweep(rd.db) == 1
        with pytest.raises(Conflict):
            rd.ballot(rid, "council7", {nid: A})
        with rd.db.read() as s:
            assert s.get(CouncilRound, rid).state == "counting"
            assert s.scalar(select(func.count()).select_from(Notification)
                            .where(Notification.kind == "escalation", Notification.user_id == rd.uid("minister"))) == 1
        result = rd.close(rid)[nid]  # the chair counts what was cast
        assert (result["present"], result["agree"], result["passed"]) == (6, 6, True)
    assert rounds.verify(rd.db, rid) == []


RANDOM = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b[0-9a-f]{16,}\b")
ENGINE_CLOCK = re.compile(r'"last_state_change": ?[0-9.e+-]+')  # SpiffWorkflow stamps tasks with time.time(), not ours


def _snapshot(db) -> dict[str, list[str]]:
    """Every row of every table as text, with random tokens (uuids, hex: ids, hashes, ciphertexts) renamed
    canonically by first appearance and binary values reduced to their length: what is left is structure."""
    names: dict[str, str] = {}

    def canonical(match: re.Match) -> str:
        return names.setdefault(match.group(0), f"<r{len(names)}>")

    dump = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = []
            # The box's ids are random: its order is the chain's.
            order = [table.c.seq] if table.name == "round_ballots" else list(table.primary_key.columns)
            for row in conn.execute(select(table).order_by(*order)):
                cells = []
                for column, value in row._mapping.items():
                    if isinstance(value, bytes | memoryview):
                        text = f"<{len(bytes(value))} bytes>"
                    elif isinstance(value, dict | list):
                        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
                    else:
                        text = "" if value is None else str(value)
                    cells.append(f"{column}={RANDOM.sub(canonical, ENGINE_CLOCK.sub('<t>', text))}")
                rows.append(" | ".join(cells))
            dump[table.name] = rows
    return dump


def _run_until_counted(rd: RoundDriver, choices: list[str]) -> dict[str, list[str]]:
    """From the same empty database at the same instant, one dossier through a round up to (not including) the count."""
    from datetime import UTC, datetime, timedelta

    from tests.conftest import _empty
    from workflows.domain import clock

    with clock.frozen(datetime(2026, 12, 7, 2, 0, tzinfo=UTC)) as advance:
        _empty(rd.db)
        seed_people(rd.db)
        rd._ids.clear()
        rounds.set_officer_passphrase(rd.db, rd.uid("minister"), PASSPHRASE)
        nid = rd.waiting()
        advance(timedelta(minutes=5))
        rid = rd.open([nid])
        for member, choice in zip(COUNCIL, choices, strict=True):
            advance(timedelta(minutes=7))
            rd.ballot(rid, member, {nid: choice})
    return _snapshot(rd.db)


def test_runs_that_differ_in_one_choice_leave_databases_that_differ_in_no_readable_way(rd: RoundDriver):
    """Secrecy as a property: before the count, one member's other choice changes nothing but random bytes."""
    one = _run_until_counted(rd, [A, A, D, A, A, D, A, A, A])
    other = _run_until_counted(rd, [A, A, D, A, D, D, A, A, A])  # council5 chose otherwise
    assert sum(len(rows) for rows in one.values()) > 100  # the snapshot sees the round, the dossier, the box
    assert len(one["round_ballots"]) == 9
    for table in one:
        assert one[table] == other[table], f"table {table} differs in more than random bytes"


def test_nine_members_submitting_at_once_cast_nine_ballots_in_one_chain(rd: RoundDriver):
    from tests.workflows.test_concurrency import race

    first, second = rd.waiting(), rd.waiting(nominee_name="Vũ Hoàng Yến")
    rid = rd.open([first, second])
    items = {m: rd.ballot_item(rid, m) for m in COUNCIL}
    choices = [A, D, A, A, D, A, A, A, D]

    results = race(9, lambda i: services.complete_task(rd.db, rd.uid(COUNCIL[i]), items[COUNCIL[i]],
                                                       {"votes": {str(first): choices[i], str(second): A}}))

    assert all(isinstance(r, rounds.BallotReceipt) for r in results), results
    assert rounds.verify(rd.db, rid) == []
    with rd.db.read() as s:
        assert s.get(CouncilRound, rid).ballots_cast == 9
        assert sorted(s.scalars(select(RoundBallot.seq).where(RoundBallot.round_id == rid))) == list(range(1, 10))
    again = race(9, lambda i: services.complete_task(rd.db, rd.uid(COUNCIL[i]), items[COUNCIL[i]],
                                                     {"votes": {str(first): A, str(second): A}}))
    assert all(isinstance(r, Conflict) for r in again), again

    closes = race(2, lambda _i: rd.close(rid))
    assert sorted(type(r).__name__ for r in closes) == ["Conflict", "dict"], closes
    assert next(r for r in closes if isinstance(r, dict))[first]["agree"] == 6
    assert rd.ready_steps(first) == ["appraisal"] and rd.ready_steps(second) == ["appraisal"]
