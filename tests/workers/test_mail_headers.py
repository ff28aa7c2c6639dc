"""E-mail headers never break: a subject built from a nominee's name stays one line, whatever the row holds.

Names with line breaks are refused on entry now, but rows written before keep theirs; the mail
goes through the real pipeline (timer → notification → outbox → ``smtp_sender``) to a small SMTP
server on 127.0.0.1, and the message it receives is parsed back.
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select, update

from workflows import services
from workflows.domain import clock
from workflows.domain.clock import VN_TZ
from workflows.persistence.db import Database, Settings
from workflows.persistence.model import Nomination, OutboxMessage, User
from workflows.services import outbox

from ..support import Driver

INJECTED = "Nguyễn An\r\nBcc: spy@evil.example\r\n\r\nX\u2028Y\x85Z\u202eW"
FIRED_AT = datetime(2026, 12, 11, 9, 0, tzinfo=VN_TZ)  # past the draft's reminder (10/12 08:00)


@dataclass
class Received:
    recipients: list[str]
    data: bytes


@dataclass
class SMTPServer:
    port: int
    received: list[Received] = field(default_factory=list)


class _Session(socketserver.StreamRequestHandler):
    """Just enough SMTP for ``smtplib``: EHLO, MAIL, RCPT, DATA, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 test ESMTP")
        recipients: list[str] = []
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.reply("250-test")
                self.reply("250-8BITMIME")
                self.reply("250 SMTPUTF8")
            elif verb == b"RCPT":
                recipients.append(line.split(b":", 1)[1].strip().split(b" ")[0].strip(b"<>").decode())
                self.reply("250 OK")
            elif verb == b"DATA":
                self.reply("354 go ahead")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data[1:] if data.startswith(b"..") else data)
                self.server.received.append(Received(recipients, b"".join(lines)))
                recipients = []
                self.reply("250 OK")
            elif verb == b"QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Session)
    server.daemon_threads = True
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SMTPServer(server.server_address[1], server.received)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def mail_db(db: Database, smtp_server: SMTPServer) -> Iterator[Database]:
    original = db.settings
    db.settings = replace(original, smtp_host="127.0.0.1", smtp_port=smtp_server.port, smtp_starttls=False,
                          mail_from="vinhdanh@bo.example.test")
    with db.write() as s:
        for user in s.scalars(select(User)):
            user.email = f"{user.username}@bo.example.test"
    yield db
    db.settings = original


def _reminder_for(db: Database, nominee_name: str) -> None:
    """A draft whose row holds ``nominee_name`` (as written before names were checked), reminded by its timer."""
    driver = Driver(db)
    with clock.frozen(datetime(2026, 11, 30, 9, 0, tzinfo=VN_TZ)) as advance:
        nid = driver.create()
        with db.write() as s:
            s.execute(update(Nomination).where(Nomination.id == nid).values(nominee_name=nominee_name))
        advance(FIRED_AT - clock.now())
        assert services.fire_due_timers(db) == 1


def test_a_subject_built_from_a_name_with_line_breaks_stays_one_header(mail_db: Database, smtp_server: SMTPServer):
    _reminder_for(mail_db, INJECTED)
    with mail_db.read() as s:
        subject = s.scalar(select(OutboxMessage.subject))
    assert subject.startswith("[Vinh danh] Nhắc hạn") and subject == " ".join(subject.split())
    assert "Nguyễn An Bcc: spy@evil.example X Y Z W" in subject

    with clock.frozen(FIRED_AT + timedelta(minutes=1)):
        assert outbox.deliver(mail_db, outbox.smtp_sender(mail_db.settings)) == 1
    [mail] = smtp_server.received
    assert mail.recipients == ["clerk1@bo.example.test"]
    message = message_from_bytes(mail.data, policy=policy.default)
    assert sorted(message.keys()) == ["Content-Transfer-Encoding", "Content-Type", "From", "MIME-Version", "Subject",
                                      "To"]
    assert message["Subject"] == subject and message["To"] == "clerk1@bo.example.test"
    assert "spy@evil.example" not in message["To"] and message.get("Bcc") is None


def test_an_old_outbox_row_with_a_broken_subject_is_sent_as_one_line():
    settings = Settings(mail_from="vinhdanh@bo.example.test")
    message = outbox.build_message(settings, "clerk1@bo.example.test", "[Vinh danh] " + INJECTED, "Nội dung")
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed.get("Bcc") is None
    assert parsed["Subject"] == "[Vinh danh] Nguyễn An Bcc: spy@evil.example X Y Z W"
    assert parsed.get_content().strip() == "Nội dung"


def test_an_address_with_a_line_break_is_never_sent_and_the_reason_is_kept(mail_db: Database,
                                                                           smtp_server: SMTPServer):
    with mail_db.write() as s:
        s.execute(update(User).where(User.username == "clerk1").values(email="clerk1@bo.example.test\r\nBcc: spy@x"))
    _reminder_for(mail_db, "Nguyễn An")
    with clock.frozen(FIRED_AT + timedelta(minutes=1)):
        assert outbox.deliver(mail_db, outbox.smtp_sender(mail_db.settings)) == 0
    assert smtp_server.received == []
    with mail_db.read() as s:
        row = s.scalar(select(OutboxMessage))
    assert row.sent_at is None and row.attempts == 1 and row.last_error.startswith("ValueError")
