"""A council round's voting deadline: a reminder once to members who have not voted, then the end of voting.

Run by the timer sweep (``workers.jobs``): rounds another worker holds are skipped with SKIP LOCKED.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflows.domain import clock
from workflows.persistence import audit
from workflows.persistence.db import Database
from workflows.persistence.model import CouncilRound, RoundMember, TaskItem, User, UserRole
from workflows.services import notify


def sweep(db: Database, limit: int = 100) -> int:
    """Remind members who have not voted, once; at the deadline stop the voting and ask the chair to count.

    Rounds another worker holds are skipped (the next sweep takes them); returns how many rounds moved.
    """
    now = clock.now()
    moved = 0
    with db.write() as s:
        due = s.scalars(select(CouncilRound).where(CouncilRound.state == "open",
                                                   (CouncilRound.deadline_at <= now) |
                                                   ((CouncilRound.remind_at <= now) & CouncilRound.reminded_at.is_(None)))
                        .order_by(CouncilRound.id).limit(limit).with_for_update(skip_locked=True)).all()
        for council_round in due:
            moved += 1
            if council_round.deadline_at <= now:
                _end_voting(s, db, council_round, now)
            else:
                _remind(s, db, council_round, now)
    return moved


def _not_voted(s: Session, round_id: int) -> list[User]:
    return list(s.scalars(select(User).join(RoundMember, RoundMember.user_id == User.id)
                          .where(RoundMember.round_id == round_id, RoundMember.voted.is_(False), User.active.is_(True))))


def _remind(s: Session, db: Database, council_round: CouncilRound, now: datetime) -> None:
    late = _not_voted(s, council_round.id)
    message = (f"Nhắc bỏ phiếu: đợt xét «{council_round.title}» của Hội đồng Thi đua - Khen thưởng hết hạn bỏ phiếu "
               f"lúc {notify.local(council_round.deadline_at)}.")
    notify.send(s, db.settings, late, None, "reminder", message, now)
    council_round.reminded_at = now
    audit.record_subject(s, "round", council_round.id, at=now, actor=None, action="reminder_sent",
                         changes={"recipients": [None, sorted(u.username for u in late)]})


def _end_voting(s: Session, db: Database, council_round: CouncilRound, now: datetime) -> None:
    council_round.state = "counting"
    s.execute(update(TaskItem).where(TaskItem.round_id == council_round.id, TaskItem.state == "ready")
              .values(state="cancelled", completed_at=now))
    chairs = list(s.scalars(select(User).join(UserRole).where(UserRole.role == "council_chair", User.active.is_(True))))
    message = (f"Đợt xét «{council_round.title}» đã hết hạn bỏ phiếu với {council_round.ballots_cast}/"
               f"{council_round.members_called} phiếu: mời Chủ tịch Hội đồng kiểm phiếu.")
    notify.send(s, db.settings, chairs, None, "escalation", message, now)
    audit.record_subject(s, "round", council_round.id, at=now, actor=None, action="voting_ended",
                         changes={"ballots_cast": [None, council_round.ballots_cast]})
