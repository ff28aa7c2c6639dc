"""The ``flask`` commands operators use: creating real accounts, and the demo seed refusing to mix with them."""

from __future__ import annotations

from sqlalchemy import select

from workflows.persistence.db import Database
from workflows.persistence.model import User

from .helpers import make_app


def test_create_user_then_the_demo_seed_refuses(db: Database):
    app = make_app(db)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["create-unit", "VP_BO", "Văn phòng Bộ"]).exit_code == 0
    created = runner.invoke(args=["create-user", "lan.nt", "--full-name", "Nguyễn Thị Lan", "--unit", "VP_BO",
                                  "--role", "unit_clerk", "--email", "lan.nt@bo.example.test"],
                            input="mật-khẩu-dài\nmật-khẩu-dài\n")
    assert created.exit_code == 0, created.output
    with db.read() as s:
        user = s.scalar(select(User).where(User.username == "lan.nt"))
    assert user.email == "lan.nt@bo.example.test" and not user.is_demo
    assert user.password_hash.startswith("$argon2id$") and user.roles == {"unit_clerk"}
    # beside the demo's accounts (an admin trying the demo made one), the seed knows it ran: `make run` starts again
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "demo data already present" in again.output
    with db.write() as s:  # a database whose accounts are all real gets no demo accounts (password 'demo')
        for account in s.scalars(select(User)):
            account.is_demo = False
    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code != 0 and "real users" in refused.output
    with db.read() as s:
        assert not s.scalar(select(User.id).where(User.is_demo.is_(True)))


def test_unknown_unit_is_a_clear_error(db: Database):
    result = make_app(db).test_cli_runner().invoke(
        args=["create-user", "x", "--full-name", "X", "--unit", "NOPE", "--role", "unit_head"], input="pw\npw\n")
    assert result.exit_code != 0 and "Không có đơn vị mã NOPE" in result.output


def test_recompute_deadlines_after_a_calendar_the_app_did_not_change(db: Database):
    """A release that ships a new announcement changes the calendar under running deadlines: the command moves them."""
    from datetime import date, datetime

    from workflows.domain import clock
    from workflows.domain.clock import VN_TZ
    from workflows.persistence.model import CalendarDay, TaskItem

    from ..support import Driver

    with clock.frozen(datetime(2026, 11, 30, 9, 0, tzinfo=VN_TZ)):
        nid = Driver(db).create()
        with db.write() as s:  # as the data would arrive with a release, without the admin page's recomputation
            s.add(CalendarDay(day=date(2026, 12, 14), kind="off", note="Thông báo mới", created_at=clock.now()))
        runner = make_app(db).test_cli_runner()
        result = runner.invoke(args=["recompute-deadlines"])
        assert result.exit_code == 0 and "moved in 1 nominations (1 tasks, 1 timers)" in result.output
        assert "moved in 0 nominations" in runner.invoke(args=["recompute-deadlines"]).output
    with db.read() as s:
        due = s.scalar(select(TaskItem.due_at).where(TaskItem.nomination_id == nid))
    assert due == datetime(2026, 12, 15, 17, 0, tzinfo=VN_TZ)
