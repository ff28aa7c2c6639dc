"""The registry at proposal: whom a dossier proposes, whether a hold or a duplicate refuses it, what the chains say.

The rule (README, "Award registry"): a hold in force on the proposal date and a duplicate are refused
(Invalid, 422, naming the hold or the other dossier); unmet chains are a warning for the clerk, never a
block (each award form is an OR of criteria and the registry checks only the chains it knows), and the
secretariat sees the full result at its check. A dossier proposed by name only (no person or collective
chosen) is not checked against the registry: its result says so, as a warning.

A duplicate is the same person (or collective) proposed for the same award form and year by another
dossier that still proposes or has awarded (or holding that award for that year in the registry), or
the same achievement: an identical achievement report in another such dossier of the same person. The
same initiative is never counted twice: another dossier's met branch keeps the initiatives it used.

Checks of one person run one at a time: the person's row is locked first, so two clerks proposing the
same person at once cannot both pass the duplicate check.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflows.domain import clock
from workflows.domain.actor import Actor
from workflows.domain.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.domain.registry import award_key, fold, person_key, subject_key
from workflows.persistence import audit
from workflows.persistence import registry as reads
from workflows.persistence.db import Database
from workflows.persistence.model import AwardForm, AwardRecord, Nomination
from workflows.persistence.registry_model import Collective, HeldAward, Person

SUBJECT_KEYS = ("person_id", "collective_id", "new_person")
check = reads.check  # the proposal's check, a read the services enforce and the queries show


def split_subject(data: Any) -> tuple[Any, dict[str, Any]]:
    """The dossier's own fields and, apart, whom it names in the registry (never part of the route's form)."""
    if not isinstance(data, dict):
        return data, {}
    return ({k: v for k, v in data.items() if k not in SUBJECT_KEYS},
            {k: data[k] for k in SUBJECT_KEYS if data.get(k) not in (None, "", {})})


def _id(value: Any, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Invalid("Mã trong sổ khen thưởng không hợp lệ.", {field: "Phải là một số."}) from None


def fill_name(session: Session, fields: dict[str, Any], subject: dict[str, Any]) -> dict[str, Any]:
    """A dossier naming a registry person or collective takes its name from the registry when none is typed."""
    if fields.get("nominee_name"):
        return fields
    if "person_id" in subject:
        person = session.get(Person, _id(subject["person_id"], "person_id"))
        return fields | {"nominee_name": person.full_name, "nominee_kind": "individual"} if person else fields
    if "collective_id" in subject:
        group = session.get(Collective, _id(subject["collective_id"], "collective_id"))
        return fields | {"nominee_name": group.name, "nominee_kind": "collective"} if group else fields
    return fields


def resolve(session: Session, actor: Actor, subject: dict[str, Any], nominee_kind: str, nominee_name: str,
            now: datetime) -> tuple[int | None, int | None]:
    """The person or collective a new dossier names: one of the clerk's unit, or a new person created now."""
    if "person_id" in subject or "new_person" in subject:
        if nominee_kind != "individual":
            raise Invalid("Chỉ hồ sơ cá nhân gắn với một người trong sổ.", {"person_id": "Đối tượng là tập thể."})
        if "person_id" in subject:
            person = session.scalar(select(Person).where(Person.id == _id(subject["person_id"], "person_id"))
                                    .with_for_update())
            if person is None or person.unit_id not in actor.units:
                raise Invalid("Người này không có trong sổ khen thưởng của đơn vị.",
                              {"person_id": "Chọn người thuộc đơn vị của bạn."})
            return person.id, None
        return _new_person(session, actor, subject["new_person"], nominee_name, now).id, None
    if "collective_id" in subject:
        if nominee_kind != "collective":
            raise Invalid("Chỉ hồ sơ tập thể gắn với một tập thể trong sổ.", {"collective_id": "Đối tượng là cá nhân."})
        group = session.scalar(select(Collective).where(Collective.id == _id(subject["collective_id"], "collective_id"))
                               .with_for_update())
        if group is None or group.unit_id not in actor.units:
            raise Invalid("Tập thể này không có trong sổ khen thưởng của đơn vị.",
                          {"collective_id": "Chọn tập thể thuộc đơn vị của bạn."})
        return None, group.id
    return None, None


def _new_person(session: Session, actor: Actor, given: Any, nominee_name: str, now: datetime) -> Person:
    """A person typed into the dossier; the same person already in the unit's registry is reused, not doubled."""
    if not isinstance(given, dict):
        raise Invalid("Thông tin người được đề nghị không hợp lệ.")
    name = str(given.get("full_name") or nominee_name or "").strip()
    staff_id = str(given.get("staff_id") or "").strip() or None
    birth = given.get("birth_date")
    try:
        birth_date = date.fromisoformat(birth) if isinstance(birth, str) and birth else None
    except ValueError:
        raise Invalid("Ngày sinh không hợp lệ.", {"birth_date": "Nhập ngày theo dạng dd/mm/yyyy."}) from None
    if birth_date is None and staff_id is None:
        raise Invalid("Cần ngày sinh hoặc mã cán bộ để ghi người mới vào sổ khen thưởng.",
                      {"birth_date": "Nhập ngày sinh (hoặc mã cán bộ)."})
    return upsert_person(session, actor, name, birth_date, actor.unit_id, staff_id, now)


def upsert_person(session: Session, actor: Actor | None, full_name: str, birth_date: date | None, unit_id: int,
                  staff_id: str | None, now: datetime) -> Person:
    key = person_key(full_name, birth_date, unit_id, staff_id)
    person = session.scalar(select(Person).where(Person.natural_key == key).with_for_update())
    if person is not None:
        if person.unit_id != unit_id:
            raise Invalid("Mã cán bộ này đã thuộc một đơn vị khác trong sổ khen thưởng.",
                          {"staff_id": "Mã cán bộ đã được dùng."})
        return person
    person = Person(full_name=full_name, name_key=fold(full_name), birth_date=birth_date, unit_id=unit_id,
                    staff_id=staff_id, natural_key=key, created_at=now)
    try:
        with session.begin_nested():  # another clerk typing the same new person at once: theirs is the one
            session.add(person)
            session.flush()
    except IntegrityError:
        raise Conflict("Người này vừa được ghi vào sổ khen thưởng; chọn lại trong danh sách rồi gửi lại.") from None
    audit.record_subject(session, "registry_person", person.id, at=now, actor=actor, action="created",
                         changes={"full_name": [None, full_name], "unit_id": [None, unit_id],
                                  "birth_date": [None, birth_date.isoformat() if birth_date else None],
                                  "staff_id": [None, staff_id]})
    return person


def preview(db: Database, actor: Actor, data: Any) -> dict[str, Any]:
    """The check a clerk asks for before creating the dossier ("Kiểm tra điều kiện"): nothing is written."""
    fields, subject = split_subject(data)
    if not isinstance(fields, dict):
        raise Invalid("Dữ liệu biểu mẫu phải là một đối tượng JSON.")
    with db.write() as s:  # a write transaction only for the row locks a new person would take; rolled back
        now = clock.now()
        kind = fields.get("nominee_kind") or "individual"
        try:
            year = int(fields.get("year"))
        except (TypeError, ValueError):
            raise Invalid("Năm không hợp lệ.", {"year": "Nhập năm."}) from None
        person_id, collective_id = resolve(s, actor, subject, kind, str(fields.get("nominee_name") or ""), now)
        probe = Nomination(person_id=person_id, collective_id=collective_id, award_form=fields.get("award_form") or "",
                           nominee_kind=kind, year=year, achievements=str(fields.get("achievements") or ""))
        if s.get(AwardForm, probe.award_form) is None:
            raise Invalid("Chưa chọn hình thức khen thưởng.", {"award_form": "Chọn hình thức khen thưởng."})
        result = check(s, probe, now, enforce=False)
        s.rollback()
        return result


def record_issued(session: Session, nom: Nomination, record: AwardRecord, level: str) -> None:
    """An award the product issued, written into its person's or collective's history (``level``: the form's).

    A row imported for the same award and year (a file loaded while the dossier ran) becomes this one."""
    if nom.person_id is None and nom.collective_id is None:
        return
    key = award_key(subject_key(nom.person_id, nom.collective_id), nom.award_form, None, nom.year)
    held = session.scalar(select(HeldAward).where(HeldAward.natural_key == key)) or HeldAward(natural_key=key)
    held.person_id, held.collective_id, held.award_form, held.year = nom.person_id, nom.collective_id, nom.award_form, nom.year
    held.level, held.kind = {"above": "state"}.get(level, level), held.kind or "merit"
    held.decision_number, held.decision_date = record.decision_number, record.decision_date
    held.source, held.award_record = "issued", record
    session.add(held)


def may_read_subject(actor: Actor, unit_id: int) -> None:
    if not actor.can_read_unit(unit_id):
        raise NotFound("Không tìm thấy trong sổ khen thưởng.")


def may_manage(actor: Actor) -> None:
    if actor.has("auditor") or not actor.has("admin", "secretariat"):
        raise Forbidden("Chỉ quản trị hoặc Vụ Tổ chức cán bộ được nhập sổ khen thưởng.")

