"""The daily digest: one e-mail a day to each user who chose it, with the notifications their day brought.

The scheduler runs :func:`send_digests` every few minutes; it acts from 07:00 Vietnam time. Each user's
day has one :class:`~workflows.persistence.notify_model.NotificationDigest` row, unique per user and
day: a second scheduler, or a rerun, finds it (or fails on it, waiting for the first) and writes
nothing. The row is written even when the day brought nothing, so a notification arriving later that
day waits for tomorrow's digest instead of starting a second one; an empty digest is never sent.
A notification goes in at most one e-mail: only rows still without ``emailed_at`` are taken, by a
conditional update.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from workflows.domain import clock
from workflows.domain.clock import VN_TZ
from workflows.persistence.db import Database, Settings
from workflows.persistence.model import Notification, OutboxMessage, User
from workflows.persistence.notify_model import NotificationDigest
from workflows.services import notify

DIGEST_HOUR = 7  # Vietnam time
NOTES = Notification.__table__


def send_digests(db: Database, now: datetime | None = None) -> int:
    """Write today's digest e-mails to the outbox (SMTP configured, 07:00 passed); returns how many."""
    now = now or clock.now()
    if not db.settings.smtp_host:
        return 0
    local = now.astimezone(VN_TZ)
    if local.hour < DIGEST_HOUR:
        return 0
    day = local.date()
    with db.read() as s:
        done = select(NotificationDigest.user_id).where(NotificationDigest.day == day)
        users = list(s.scalars(select(User.id).where(User.notify_mode == "digest", User.active.is_(True),
                                                     User.email.is_not(None), User.email != "",
                                                     User.id.not_in(done)).order_by(User.id)))
    return sum(_digest_for(db, user_id, day, now) for user_id in users)


def since(day: date) -> datetime:
    """The start of the day a digest covers: 07:00 of the day before, Vietnam time."""
    return datetime.combine(day - timedelta(days=1), time(DIGEST_HOUR), tzinfo=VN_TZ)


def _digest_for(db: Database, user_id: int, day: date, now: datetime) -> int:
    try:
        with db.write() as s:
            user = s.get(User, user_id)
            if user is None or s.scalar(select(NotificationDigest.id).where(NotificationDigest.user_id == user_id,
                                                                           NotificationDigest.day == day)):
                return 0
            key = NotificationDigest(user_id=user_id, day=day, created_at=now, count=0)
            s.add(key)
            s.flush()  # the key first: a concurrent scheduler waits on it, then fails on it
            taken = s.execute(update(NOTES).where(NOTES.c.user_id == user_id, NOTES.c.emailed_at.is_(None),
                                                  NOTES.c.created_at >= since(day), NOTES.c.created_at <= now)
                              .values(emailed_at=now)
                              .returning(NOTES.c.created_at, NOTES.c.message, NOTES.c.nomination_id)).all()
            if not taken:
                return 0
            key.count = len(taken)
            subject, body = digest_mail(db.settings, user.full_name, day, sorted(taken))
            s.add(OutboxMessage(to_address=user.email, subject=subject, body=body, created_at=now,
                                next_attempt_at=now, attempts=0))
            return 1
    except IntegrityError:  # another scheduler wrote this user's digest for the day first
        return 0


def digest_mail(settings: Settings, full_name: str, day: date, rows: list) -> tuple[str, str]:
    """The digest's subject and body, in Vietnamese, each notification with the page it leads to."""
    subject = f"[Vinh danh] Tóm tắt thông báo ngày {day:%d/%m/%Y}: {len(rows)} thông báo mới"
    lines = [f"Kính gửi {full_name},", "", f"Từ 07:00 hôm qua đến nay, bạn có {len(rows)} thông báo mới:", ""]
    for created_at, message, nomination_id in rows:
        lines.append(f"- {notify.local(created_at)}: {message}")
        lines.append(f"  Xem tại: {notify.link_for(settings, nomination_id)}")
    lines += ["", f"Xem tất cả thông báo: {settings.public_url}/notifications/",
              f"Thay đổi cách nhận thông báo: {settings.public_url}/notifications/settings", "",
              "— Hệ thống thi đua, khen thưởng"]
    return subject, "\n".join(lines)
