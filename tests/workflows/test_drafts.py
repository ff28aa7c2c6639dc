"""Drafts keep work: "Lưu nháp" without submitting, attachments by kind, taken back while drafting, and the
documents each award form requires checked at submission (issue 8, item 7). Real SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from workflows import services
from workflows.domain.errors import Conflict, Forbidden, Invalid
from workflows.persistence import audit, storage
from workflows.persistence.model import Attachment, AuditEvent, Nomination
from workflows.persistence.required_documents import required_kinds

from ..support import APPROVE, DOSSIER, TINY_PDF, Driver, attach_required, returned


def events(driver: Driver, nid: int) -> list[AuditEvent]:
    with driver.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.nomination_id == nid).order_by(AuditEvent.seq)))


def row(driver: Driver, nid: int) -> dict:
    with driver.db.read() as s:
        nom = s.get(Nomination, nid)
        return {k: getattr(nom, k) for k in (*DOSSIER, "version", "state", "current_step")}


def kinds(driver: Driver, nid: int) -> list[str]:
    with driver.db.read() as s:
        return list(s.scalars(select(Attachment.kind).where(Attachment.nomination_id == nid).order_by(Attachment.id)))


# --- "Lưu nháp" ----------------------------------------------------------------------------------

def test_a_saved_draft_changes_the_fields_and_the_version_but_not_the_step(driver: Driver):
    nid = driver.create()
    before = row(driver, nid)
    outcome = services.save_draft(driver.db, driver.uid("clerk1"), nid,
                                  {"nominee_position": "Phó Trưởng phòng", "achievements": "x" * 30},
                                  if_match=before["version"])
    after = row(driver, nid)
    assert after["nominee_position"] == "Phó Trưởng phòng" and after["achievements"] == "x" * 30
    assert after["version"] == before["version"] + 1 == outcome.version
    assert after["current_step"] == "draft" and driver.ready_steps(nid) == ["draft"]
    saved = events(driver, nid)[-1]
    assert saved.action == "draft_saved" and saved.task == "draft" and saved.role == "unit_clerk"
    assert saved.changes == {"nominee_position": ["Chuyên viên chính", "Phó Trưởng phòng"],
                             "achievements": [DOSSIER["achievements"], "x" * 30]}
    with driver.db.read() as s:
        assert audit.verify_nomination(s, nid) is None  # the chain holds the new event
    # The submission goes with what the draft saved.
    driver.act(nid, "clerk1", {})
    assert driver.ready_steps(nid) == ["head_review"]


def test_a_draft_checks_values_but_not_required_ness(driver: Driver):
    nid = driver.create()
    # A blank required field is kept blank for now (the submission asks for it); a blank optional one is cleared.
    services.save_draft(driver.db, driver.uid("clerk1"), nid, {"achievements": "", "nominee_position": ""})
    saved = row(driver, nid)
    assert saved["achievements"] == "" and saved["nominee_position"] is None
    with pytest.raises(Invalid) as refused:
        driver.act(nid, "clerk1", {})
    assert "achievements" in refused.value.fields


@pytest.mark.parametrize("bad", [
    {"year": 1800},  # out of range
    {"year": "năm nay"},  # not an integer
    {"nominee_name": "x" * 256},  # too long
    {"nominee_kind": "robot"},  # not a choice
    {"award_form": "huy_chuong_vang"},  # no such award form
    {"achievements": "chứa\x00ký tự rỗng"},  # unsafe text
    {"outcome": "awarded"},  # not a field of the form
])
def test_an_invalid_draft_is_422_and_changes_nothing(driver: Driver, bad: dict):
    nid = driver.create()
    before, history = row(driver, nid), len(events(driver, nid))
    with pytest.raises(Invalid) as refused:
        services.save_draft(driver.db, driver.uid("clerk1"), nid, DOSSIER | {"nominee_position": "Mới"} | bad)
    assert set(refused.value.fields) == set(bad)
    assert row(driver, nid) == before and len(events(driver, nid)) == history


def test_a_draft_saved_on_a_stale_version_is_a_conflict(driver: Driver):
    nid = driver.create()
    version = row(driver, nid)["version"]
    services.save_draft(driver.db, driver.uid("clerk1"), nid, {"nominee_position": "Một"}, if_match=version)
    before = row(driver, nid)
    with pytest.raises(Conflict):
        services.save_draft(driver.db, driver.uid("clerk1"), nid, {"nominee_position": "Hai"}, if_match=version)
    assert row(driver, nid) == before


def test_two_drafts_racing_on_one_version_one_wins(driver: Driver):
    nid = driver.create()
    version = row(driver, nid)["version"]
    barrier, results = threading.Barrier(2), {}

    def save(text: str) -> None:
        barrier.wait()
        try:
            services.save_draft(driver.db, driver.uid("clerk1"), nid, {"nominee_position": text}, if_match=version)
            results[text] = "saved"
        except Conflict:
            results[text] = "conflict"

    threads = [threading.Thread(target=save, args=(t,)) for t in ("Một", "Hai")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == ["conflict", "saved"]
    [winner] = [t for t, r in results.items() if r == "saved"]
    assert row(driver, nid)["nominee_position"] == winner and row(driver, nid)["version"] == version + 1


def test_an_unchanged_draft_writes_nothing(driver: Driver):
    nid = driver.create()
    before, history = row(driver, nid), len(events(driver, nid))
    services.save_draft(driver.db, driver.uid("clerk1"), nid, {"nominee_name": DOSSIER["nominee_name"]})
    assert row(driver, nid) == before and len(events(driver, nid)) == history


def test_blank_optional_fields_posted_as_the_form_posts_them_are_no_change(driver: Driver):
    """Created with optional fields left empty (stored as ""), the page posts them back as "" (an upload saves
    the form first): a blank that stays blank is nothing to save, whatever blank the row holds."""
    nid = driver.create(movement="", nominee_unit="")
    before, history = row(driver, nid), len(events(driver, nid))
    posted = DOSSIER | {"movement": "", "nominee_unit": ""}
    services.save_draft(driver.db, driver.uid("clerk1"), nid, posted)
    assert row(driver, nid) == before and len(events(driver, nid)) == history
    services.save_draft(driver.db, driver.uid("clerk1"), nid, posted | {"movement": "Phong trào mới"})
    assert [e.changes for e in events(driver, nid)[history:]] == [{"movement": ["", "Phong trào mới"]}]


def test_only_the_clerk_at_the_draft_step_saves_a_draft(driver: Driver):
    nid = driver.create()
    with pytest.raises(Forbidden):
        services.save_draft(driver.db, driver.uid("head1"), nid, {"nominee_position": "Khác"})
    driver.act(nid, "clerk1", {})
    with pytest.raises(Conflict):  # submitted: no longer a draft
        services.save_draft(driver.db, driver.uid("clerk1"), nid, {"nominee_position": "Khác"})


def test_a_draft_after_a_return_is_saved_and_a_changed_award_form_sends_it_to_the_council_again(driver: Driver):
    nid = driver.create()
    driver.submit(nid)
    driver.act(nid, "secretary", returned())
    assert driver.ready_steps(nid) == ["draft"]
    services.save_draft(driver.db, driver.uid("clerk1"), nid, {"achievements": "Bổ sung minh chứng đầy đủ theo yêu cầu."})
    assert row(driver, nid)["achievements"] == "Bổ sung minh chứng đầy đủ theo yêu cầu."
    driver.act(nid, "clerk1", {})
    assert driver.ready_steps(nid) == ["head_review"]


# --- kinds, deletion -----------------------------------------------------------------------------

def test_attachments_keep_their_kind_and_an_unknown_kind_is_refused(driver: Driver):
    nid = driver.create(documents=False)
    services.add_attachment(driver.db, driver.uid("clerk1"), nid, "Tờ trình số 12.pdf", TINY_PDF, kind="to_trinh")
    services.add_attachment(driver.db, driver.uid("clerk1"), nid, "Ảnh.pdf", TINY_PDF)
    assert kinds(driver, nid) == ["to_trinh", "khac"]
    with pytest.raises(Invalid) as refused:
        services.add_attachment(driver.db, driver.uid("clerk1"), nid, "x.pdf", TINY_PDF, kind="hop_dong")
    assert set(refused.value.fields) == {"kind"}
    added = [e for e in events(driver, nid) if e.action == "attachment_added"]
    assert added[0].changes["attachment"][1]["kind"] == "to_trinh"


def test_the_clerk_deletes_a_file_while_drafting_and_the_history_says_what(driver: Driver):
    nid = driver.create(documents=False)
    att = services.add_attachment(driver.db, driver.uid("clerk1"), nid, "Biên bản cũ.pdf", TINY_PDF, kind="bien_ban")
    with driver.db.read() as s:
        stored = s.get(Attachment, att).stored_name
    path = storage.path_of(driver.db.settings.upload_dir, stored)
    assert path.exists()
    with pytest.raises(Forbidden):  # the head reads the dossier but does not edit its files
        services.delete_attachment(driver.db, driver.uid("head1"), nid, att)
    services.delete_attachment(driver.db, driver.uid("clerk1"), nid, att)
    assert kinds(driver, nid) == [] and not path.exists()
    deleted = events(driver, nid)[-1]
    assert deleted.action == "attachment_deleted" and deleted.actor == "clerk1"
    old = deleted.changes["attachment"][0]
    assert (old["id"], old["name"], old["kind"], old["size"]) == (att, "Biên bản cũ.pdf", "bien_ban", len(TINY_PDF))
    assert len(old["sha256"]) == 64


def test_no_file_is_deleted_after_submission_but_again_when_returned(driver: Driver):
    nid = driver.create()
    first = _ids(driver, nid)[0]
    driver.act(nid, "clerk1", {})
    with pytest.raises(Conflict):
        services.delete_attachment(driver.db, driver.uid("clerk1"), nid, first)
    driver.act(nid, "head1", APPROVE)
    driver.act(nid, "secretary", returned("Thay tờ trình"))
    services.delete_attachment(driver.db, driver.uid("clerk1"), nid, first)  # back for supplementation
    assert first not in _ids(driver, nid)


def test_a_failed_delete_leaves_the_row_and_the_file(driver: Driver):
    nid = driver.create()
    driver.act(nid, "clerk1", {})
    att = _ids(driver, nid)[0]
    with driver.db.read() as s:
        path = storage.path_of(driver.db.settings.upload_dir, s.get(Attachment, att).stored_name)
    with pytest.raises(Conflict):
        services.delete_attachment(driver.db, driver.uid("clerk1"), nid, att)
    assert att in _ids(driver, nid) and path.exists()


def _ids(driver: Driver, nid: int) -> list[int]:
    with driver.db.read() as s:
        return list(s.scalars(select(Attachment.id).where(Attachment.nomination_id == nid).order_by(Attachment.id)))


# --- required documents --------------------------------------------------------------------------

def test_the_required_documents_are_data_per_award_form():
    assert required_kinds("bang_khen_bo_truong") == ("to_trinh", "bao_cao_thanh_tich", "bien_ban")
    assert required_kinds("chien_si_thi_dua_bo") == ("to_trinh", "bao_cao_thanh_tich", "bien_ban", "chung_nhan_sang_kien")
    assert required_kinds("tap_the_lao_dong_xuat_sac") == ("to_trinh", "bao_cao_thanh_tich", "bien_ban")
    assert required_kinds("ky_niem_chuong") == ("to_trinh",)  # simplified: the summary is the dossier's own field
    assert required_kinds("a_form_added_later") == ("to_trinh", "bao_cao_thanh_tich", "bien_ban")


def test_a_submission_missing_documents_is_refused_naming_them(driver: Driver):
    nid = driver.create(documents=False, award_form="chien_si_thi_dua_bo")
    services.add_attachment(driver.db, driver.uid("clerk1"), nid, "Tờ trình.pdf", TINY_PDF, kind="to_trinh")
    services.add_attachment(driver.db, driver.uid("clerk1"), nid, "Khác.pdf", TINY_PDF, kind="khac")
    before = row(driver, nid)
    with pytest.raises(Invalid) as refused:
        driver.act(nid, "clerk1", {})
    assert "Còn thiếu: Báo cáo thành tích, Biên bản họp xét, Chứng nhận sáng kiến." in refused.value.message
    assert set(refused.value.fields) == {"attachments"}
    assert row(driver, nid) == before and driver.ready_steps(nid) == ["draft"]
    attach_required(driver.db, driver.uid("clerk1"), nid, "chien_si_thi_dua_bo")
    driver.act(nid, "clerk1", {})
    assert driver.ready_steps(nid) == ["head_review"]


def test_the_check_follows_the_award_form_submitted(driver: Driver):
    nid = driver.create(documents=False, award_form="ky_niem_chuong")
    services.add_attachment(driver.db, driver.uid("clerk1"), nid, "Tờ trình.pdf", TINY_PDF, kind="to_trinh")
    with pytest.raises(Invalid) as refused:  # changed to a Bằng khen at submission: its documents count
        driver.act(nid, "clerk1", {"award_form": "bang_khen_bo_truong"})
    assert "Còn thiếu: Báo cáo thành tích, Biên bản họp xét." in refused.value.message
    driver.act(nid, "clerk1", {})  # as a Kỷ niệm chương the tờ trình is enough
    assert driver.ready_steps(nid) == ["head_review"]
