"""A user's own password: a temporary one (an admin created the account or reset it) must be changed first; the
current password proves it is them; the new one is checked, hashed, and ends every other session and API token;
two changes racing from one current password give one winner. Both backends."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from workflows.domain.errors import AuthFailed, Conflict, Invalid, RateLimited
from workflows.persistence.model import ApiToken, AuditEvent
from workflows.services import accounts
from workflows.services import users as user_service

from ..support import Driver
from .test_user_admin import new_clerk
from .test_user_admin import user as stored

NEW = "hoa sen nở giữa hồ"


def actor(db, uid: int):
    return accounts.user_for_session(db, stored(db, uid).session_token)


@pytest.fixture
def clerk(db) -> tuple[int, str]:
    return new_clerk(db, Driver(db).uid("admin"))


def test_an_admin_made_or_reset_password_is_temporary_and_the_users_own_is_not(db, clerk):
    uid, temporary = clerk
    assert actor(db, uid).must_change_password
    other_browser = stored(db, uid).session_token
    api_token, _ = accounts.issue_token(db, uid)
    token = accounts.change_password(db, actor(db, uid), temporary, NEW, NEW)
    after = stored(db, uid)
    assert after.session_token == token != other_browser and not after.must_change_password
    assert accounts.user_for_session(db, other_browser) is None  # every other session ended
    assert accounts.user_for_token(db, api_token) is None
    with db.read() as s:
        assert s.scalar(select(ApiToken.id).where(ApiToken.user_id == uid)) is None
    assert accounts.authenticate(db, "clerk3", NEW).id == uid
    with pytest.raises(AuthFailed):
        accounts.authenticate(db, "clerk3", temporary)
    with db.read() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.subject_type == "user", AuditEvent.subject_id == str(uid))
                          .order_by(AuditEvent.seq)).all()[-1]
    assert event.action == "password_changed" and event.actor == "clerk3" and event.changes is None
    user_service.reset_password(db, Driver(db).uid("admin"), uid, after.version)
    assert actor(db, uid).must_change_password  # the admin saw the new one


@pytest.mark.parametrize(("current", "new", "confirm", "field", "words"), [
    ("", NEW, NEW, "current_password", "Nhập mật khẩu đang dùng"),
    ("wrong-password", NEW, NEW, "current_password", "không đúng"),
    (None, "ngắn", "ngắn", "new_password", "ít nhất 10 ký tự"),
    (None, "x" * 129, "x" * 129, "new_password", "tối đa 128"),
    (None, "Clerk3.....", "Clerk3.....", "new_password", None),  # not the username: accepted by the rules
    (None, "clerk3" + "\x00" * 5, "clerk3" + "\x00" * 5, "new_password", "không hợp lệ"),
    (None, NEW, NEW + " ", "confirm_password", "Nhập lại đúng"),
    (None, None, None, "new_password", "phải khác"),  # the temporary password again
    (None, 12345, 12345, "new_password", "ít nhất 10"),  # not text at all
])
def test_a_refused_change_names_its_field_and_changes_nothing(db, clerk, current, new, confirm, field, words):
    uid, temporary = clerk
    current = temporary if current is None else current
    new = temporary if new is None else new
    confirm = temporary if confirm is None else confirm
    before = stored(db, uid)
    if words is None:
        accounts.change_password(db, actor(db, uid), current, new, confirm)
        assert not stored(db, uid).must_change_password
        return
    with pytest.raises(Invalid) as refused:
        accounts.change_password(db, actor(db, uid), current, new, confirm)
    assert words in refused.value.fields[field], refused.value.fields
    after = stored(db, uid)
    assert (after.password_hash, after.session_token, after.version, after.must_change_password) == \
        (before.password_hash, before.session_token, before.version, True)


def test_wrong_current_passwords_count_toward_the_login_limits(db, clerk):
    """A session someone else borrowed cannot guess the password through this page: the login's limits apply."""
    uid, temporary = clerk
    for _ in range(accounts.MAX_FAILURES):
        with pytest.raises(Invalid):
            accounts.change_password(db, actor(db, uid), "not-the-password", NEW, NEW, "203.0.113.9")
    with pytest.raises(RateLimited):
        accounts.change_password(db, actor(db, uid), temporary, NEW, NEW, "203.0.113.9")
    with pytest.raises(RateLimited):  # and the login itself, from anywhere (the account's limit)
        accounts.authenticate(db, "clerk3", temporary, "198.51.100.7")
    assert stored(db, uid).must_change_password  # nothing changed


def test_the_username_is_no_password(db):
    uid, temporary = new_clerk(db, Driver(db).uid("admin"), username="nguyen.thi.mai")  # long enough to be tried
    with pytest.raises(Invalid) as refused:
        accounts.change_password(db, actor(db, uid), temporary, "Nguyen.Thi.Mai", "Nguyen.Thi.Mai")
    assert "trùng tên đăng nhập" in refused.value.fields["new_password"]
    accounts.change_password(db, actor(db, uid), temporary, "nguyen.thi.mai!", "nguyen.thi.mai!")  # more than it
    assert accounts.authenticate(db, "nguyen.thi.mai", "nguyen.thi.mai!").id == uid


def test_two_changes_from_one_current_password_give_one_winner(db, clerk):
    uid, temporary = clerk
    me = actor(db, uid)
    outcomes: dict[str, object] = {}
    start = threading.Barrier(2)

    def change(new: str) -> None:
        start.wait()
        try:
            outcomes[new] = accounts.change_password(db, me, temporary, new, new)
        except (Conflict, Invalid) as exc:
            outcomes[new] = exc

    news = ["mật khẩu thứ nhất", "mật khẩu thứ hai"]
    threads = [threading.Thread(target=change, args=(n,)) for n in news]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [n for n, o in outcomes.items() if isinstance(o, str)]
    assert len(won) == 1, outcomes
    lost = next(o for n, o in outcomes.items() if n not in won)
    assert isinstance(lost, (Conflict, Invalid))  # raced at the write, or read the winner's hash
    assert accounts.authenticate(db, "clerk3", won[0]).id == uid
    with pytest.raises(AuthFailed):
        accounts.authenticate(db, "clerk3", next(n for n in news if n not in won))
