"""Accounts kept by admins: temporary passwords, edits, roles, resets; sessions end when the account changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from workflows.domain.errors import AuthFailed, Conflict, Forbidden, Invalid
from workflows.persistence import audit
from workflows.persistence.model import AuditEvent, Unit, User
from workflows.queries import reference as ref_queries
from workflows.services import accounts
from workflows.services import users as user_service

from ..support import Driver


def unit(db, code: str) -> int:
    with db.read() as s:
        return s.scalar(select(Unit.id).where(Unit.code == code))


def user(db, user_id: int) -> User:
    with db.read() as s:
        return s.get(User, user_id)


def actions(db, user_id: int) -> list[AuditEvent]:
    with db.read() as s:
        assert audit.verify_subject(s, "user", user_id) is None
        return s.scalars(select(AuditEvent).where(AuditEvent.subject_type == "user", AuditEvent.subject_id == str(user_id))
                         .order_by(AuditEvent.seq)).all()


@pytest.fixture
def admin(db) -> int:
    return Driver(db).uid("admin")


def new_clerk(db, admin: int, username: str = "clerk3") -> tuple[int, str]:
    return user_service.create_user(db, admin, username=username, full_name="Ngô Thị Mai", unit_id=unit(db, "CUC_VT"),
                                    roles=["unit_clerk"], email="mai@example.vn")


def test_a_new_account_logs_in_with_its_temporary_password_hashed(db, admin):
    uid, password = new_clerk(db, admin)
    assert len(password) == 12
    stored = user(db, uid)
    assert stored.password_hash.startswith("$argon2id$") and password not in stored.password_hash
    assert accounts.authenticate(db, "clerk3", password).id == uid
    created = actions(db, uid)
    assert [e.action for e in created] == ["user_created"] and created[0].actor == "admin"
    assert password not in str(created[0].changes)


def test_bad_input_is_422_naming_the_field(db, admin):
    vt = unit(db, "CUC_VT")
    cases = [({"username": "Có Dấu"}, "username"), ({"username": "clerk1"}, "username"), ({"full_name": " "}, "full_name"),
             ({"email": "not-an-email"}, "email"), ({"roles": []}, "roles"), ({"roles": ["root"]}, "roles"),
             ({"unit_id": 9999}, "unit_id")]
    for change, name in cases:
        data = {"username": "newbie", "full_name": "Người mới", "unit_id": vt, "roles": ["unit_clerk"]} | change
        with pytest.raises(Invalid) as exc:
            user_service.create_user(db, admin, **data)
        assert name in exc.value.fields, (change, exc.value.fields)
    assert not ref_queries.users(db, admin, q="newbie")


def test_edit_is_version_checked_and_audited(db, admin):
    uid, _ = new_clerk(db, admin)
    changes = user_service.update_user(db, admin, uid, 1, full_name="Ngô Thị Mai Anh", email="", unit_id=unit(db, "CUC_VT"),
                                       active=True)
    assert changes == {"full_name": ["Ngô Thị Mai", "Ngô Thị Mai Anh"], "email": ["mai@example.vn", None]}
    with pytest.raises(Conflict):
        user_service.update_user(db, admin, uid, 1, full_name="Khác", email="", unit_id=unit(db, "CUC_VT"), active=True)
    assert user(db, uid).full_name == "Ngô Thị Mai Anh" and user(db, uid).version == 2
    assert [e.action for e in actions(db, uid)] == ["user_created", "user_updated"]


def test_deactivating_ends_the_users_sessions_and_tokens(db, admin):
    uid, password = new_clerk(db, admin)
    session_token = user(db, uid).session_token
    api_token, _ = accounts.issue_token(db, uid)
    assert accounts.user_for_session(db, session_token) is not None
    user_service.update_user(db, admin, uid, 1, full_name="Ngô Thị Mai", email="mai@example.vn", unit_id=unit(db, "CUC_VT"),
                             active=False)
    assert accounts.user_for_session(db, session_token) is None
    assert accounts.user_for_token(db, api_token) is None
    with pytest.raises(AuthFailed):
        accounts.authenticate(db, "clerk3", password)


def test_moving_a_user_to_another_unit_ends_their_session(db, admin):
    uid, _ = new_clerk(db, admin)
    old = user(db, uid).session_token
    user_service.update_user(db, admin, uid, 1, full_name="Ngô Thị Mai", email="mai@example.vn",
                             unit_id=unit(db, "CUC_BDDT"), active=True)
    assert accounts.user_for_session(db, old) is None
    fresh = accounts.user_for_session(db, user(db, uid).session_token)
    assert fresh.unit_id == unit(db, "CUC_BDDT")


def test_roles_are_granted_and_revoked_and_the_session_ends(db, admin):
    uid, _ = new_clerk(db, admin)
    old = user(db, uid).session_token
    assert user_service.set_roles(db, admin, uid, 1, ["unit_clerk", "unit_head"]) == {
        "roles": [["unit_clerk"], ["unit_clerk", "unit_head"]]}
    assert accounts.user_for_session(db, old) is None
    user_service.set_roles(db, admin, uid, 2, ["unit_head"])
    assert user(db, uid).roles == {"unit_head"}
    assert ref_queries.users(db, admin, role="unit_head", unit_id=unit(db, "CUC_VT"))[0]["username"] == "clerk3"
    with pytest.raises(Conflict):
        user_service.set_roles(db, admin, uid, 2, ["unit_clerk"])
    assert [e.action for e in actions(db, uid)] == ["user_created", "user_roles_set", "user_roles_set"]


def test_an_admin_cannot_lock_themselves_out(db, admin):
    me = user(db, admin)
    with pytest.raises(Invalid):
        user_service.set_roles(db, admin, admin, me.version, ["auditor"])
    with pytest.raises(Invalid):
        user_service.update_user(db, admin, admin, me.version, full_name=me.full_name, email="", unit_id=me.unit_id,
                                 active=False)
    assert user(db, admin).roles == {"admin"} and user(db, admin).active
    user_service.set_roles(db, admin, admin, me.version, ["admin", "auditor"])  # adding is fine


def test_another_admin_may_take_an_admins_role(db, admin):
    second, _ = user_service.create_user(db, admin, username="admin2", full_name="Quản trị 2", unit_id=unit(db, "VU_TCCB"),
                                         roles=["admin"])
    user_service.set_roles(db, second, admin, 1, ["auditor"])
    assert user(db, admin).roles == {"auditor"}


def test_reset_password_gives_a_new_one_and_ends_sessions(db, admin):
    uid, old_password = new_clerk(db, admin)
    old = user(db, uid).session_token
    password = user_service.reset_password(db, admin, uid, 1)
    assert password != old_password
    assert accounts.user_for_session(db, old) is None
    assert accounts.authenticate(db, "clerk3", password).id == uid
    with pytest.raises(AuthFailed):
        accounts.authenticate(db, "clerk3", old_password)
    assert actions(db, uid)[-1].action == "password_reset" and actions(db, uid)[-1].changes is None


@pytest.mark.parametrize("who", ["auditor", "secretary", "clerk1"])
def test_only_admins_change_accounts(db, admin, who):
    actor = Driver(db).uid(who)
    target = Driver(db).uid("clerk2")
    with pytest.raises(Forbidden):
        user_service.reset_password(db, actor, target, 1)
    with pytest.raises(Forbidden):
        user_service.set_roles(db, actor, target, 1, ["admin"])
    with pytest.raises(Forbidden):
        new_clerk(db, actor, "intruder")
    assert user(db, target).version == 1


def test_search_ignores_case_and_filters(db, admin):
    assert [u["username"] for u in ref_queries.users(db, admin, q="CLERK")] == ["clerk1", "clerk2"]
    assert [u["username"] for u in ref_queries.users(db, admin, q="lan")] == ["clerk1"]
    assert [u["username"] for u in ref_queries.users(db, admin, unit_id=unit(db, "CUC_VT"))] == ["clerk2", "head2"]
    assert [u["username"] for u in ref_queries.users(db, admin, role="auditor")] == ["auditor"]


def test_nobody_is_placed_in_an_inactive_unit(db, admin):
    from workflows.services import reference

    uid, _ = new_clerk(db, admin)
    tt = unit(db, "TT_CNTT")
    reference.update_unit(db, admin, tt, 1, name="Trung tâm Công nghệ thông tin", cluster_id=None, active=False)
    with pytest.raises(Invalid) as exc:
        user_service.update_user(db, admin, uid, 1, full_name="Ngô Thị Mai", email="", unit_id=tt, active=True)
    assert exc.value.fields == {"unit_id": "Chọn một đơn vị đang hoạt động."}
    with pytest.raises(Invalid):
        user_service.create_user(db, admin, username="newbie", full_name="Người mới", unit_id=tt, roles=["unit_clerk"])
