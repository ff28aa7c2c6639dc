"""The dossier's field is a choice from the admins' active fields, on every version, checked at submission."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from workflows import queries
from workflows.domain.errors import Invalid
from workflows.persistence import versions
from workflows.persistence.reference_model import Field
from workflows.services import reference

from ..support import Driver


def field_id(db, name: str) -> int:
    with db.read() as s:
        return s.scalar(select(Field.id).where(Field.name == name))


def offered(schema) -> list[str]:
    return [c["const"] for c in schema["properties"]["field"]["oneOf"]]


def test_a_new_field_is_offered_and_accepted_a_deactivated_one_refused(db):
    driver, admin = Driver(db), Driver(db).uid("admin")
    reference.create_field(db, admin, "Khoa học và công nghệ")
    reference.update_field(db, admin, field_id(db, "Xuất bản"), 1, name="Xuất bản", sort_order=7, active=False)
    choices = offered(queries.dossier_form(db))
    assert "Khoa học và công nghệ" in choices and "Xuất bản" not in choices
    nid = driver.create(field="Khoa học và công nghệ")
    assert driver.nomination(nid).field == "Khoa học và công nghệ"
    with pytest.raises(Invalid) as exc:
        driver.create(field="Xuất bản")
    assert exc.value.fields == {"field": "Giá trị không nằm trong danh sách cho phép."}
    with pytest.raises(Invalid):
        driver.create(field="Không có lĩnh vực này")


def test_a_dossier_keeps_its_field_after_deactivation_but_cannot_move_to_an_inactive_one(db):
    driver, admin = Driver(db), Driver(db).uid("admin")
    nid = driver.create(field="Bưu chính")
    reference.update_field(db, admin, field_id(db, "Bưu chính"), 1, name="Bưu chính", sort_order=0, active=False)
    reference.update_field(db, admin, field_id(db, "Viễn thông"), 1, name="Viễn thông", sort_order=1, active=False)
    item = driver.item_for(nid, "clerk1")
    task = queries.task(db, driver.uid("clerk1"), item)
    assert offered(task["schema"])[-1] == "Bưu chính" and "Viễn thông" not in offered(task["schema"])
    with pytest.raises(Invalid):
        driver.act(nid, "clerk1", {"field": "Viễn thông"})
    driver.submit(nid)  # unchanged: still its own field
    assert driver.nomination(nid).field == "Bưu chính"


def test_an_old_version_takes_the_admins_list_too(db, per_dossier):
    """A version deployed before (per-dossier ballot) shipped its own list; the admins' list replaces it."""
    admin = per_dossier.uid("admin")
    reference.create_field(db, admin, "Năng lượng nguyên tử")
    nid = per_dossier.create(field="Năng lượng nguyên tử")
    with db.read() as s:
        route = versions.route_for(s, per_dossier.nomination(nid).process_model_id)
    assert "Năng lượng nguyên tử" not in route.forms.choices(route.contract.dossier_form(), "field")
    per_dossier.submit(nid)
    assert per_dossier.nomination(nid).field == "Năng lượng nguyên tử"
