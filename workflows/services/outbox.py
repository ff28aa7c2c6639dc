"""E-mail from the outbox: claimed in one transaction, sent outside it, marked in another.

No database lock is held while talking to SMTP. Delivery is at least once: a worker that dies
after sending but before marking sends that message again when its claim expires. The state
changes that wrote the messages happened exactly once; SMTP is outside that guarantee.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import select

from workflows.domain import clock
from workflows.persistence.db import Database, Settings
from workflows.persistence.model import OutboxMessage
from workflows.services.notify import header_text, retry_delay

CLAIM = timedelta(minutes=5)  # how long a worker owns the messages it took
MAX_ATTEMPTS = 10

Sender = Callable[[str, str, str], None]  # (to, subject, body)


def build_message(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    """The e-mail as sent. The subject is made one line again (rows written before it was); an address with a
    line break is refused by ``EmailMessage`` (ValueError), which :func:`deliver` records as a failed attempt."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.mail_from, to, header_text(subject, 255)
    message.set_content(body)
    return message


def smtp_sender(settings: Settings) -> Sender:
    def send(to: str, subject: str, body: str) -> None:
        message = build_message(settings, to, subject, body)
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message)

    return send


def deliver(db: Database, send: Sender, limit: int = 50) -> int:
    """Send what is due; returns how many went out."""
    now = clock.now()
    with db.write() as s:
        claimed = s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= now,
                   OutboxMessage.attempts < MAX_ATTEMPTS)
            .order_by(OutboxMessage.id).limit(limit).with_for_update(skip_locked=True)
        ).all()
        for message in claimed:
            message.next_attempt_at = now + CLAIM
        batch = [(m.id, m.to_address, m.subject, m.body) for m in claimed]
    sent = 0
    for message_id, to, subject, body in batch:
        error = None
        try:
            send(to, subject, body)
        except Exception as exc:  # any SMTP or network failure: retry later, keep the reason
            error = f"{type(exc).__name__}: {exc}"[:2000]
        with db.write() as s:
            message = s.get(OutboxMessage, message_id)
            message.attempts += 1
            if error is None:
                message.sent_at = clock.now()
                sent += 1
            else:
                message.last_error = error
                message.next_attempt_at = clock.now() + retry_delay(message.attempts)
    return sent
