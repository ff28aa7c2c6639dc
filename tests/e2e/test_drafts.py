"""Drafts keep work in the browser: typed-but-unsaved edits survive an upload, "Lưu nháp" persists across a
reload, the file is listed with its kind and the checklist marks it, and a file too large or of a wrong type is
stopped before it is sent, in Vietnamese, with the edits still on the page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_journey import login
from tests.support import TINY_PDF

pytestmark = pytest.mark.e2e

NOMINEE = "Lương Thị Nháp E2E"


def create(page: Page) -> None:
    page.get_by_role("link", name="+ Lập hồ sơ").click()
    page.locator("select[name=award_form]").select_option(label="Bằng khen của Bộ trưởng")
    page.locator("input[name=nominee_kind][value=individual]").check()
    page.locator("input[name=nominee_name]").fill(NOMINEE)
    page.locator("input[name=year]").fill("2026")
    page.locator("textarea[name=achievements]").fill("Hoàn thành xuất sắc nhiệm vụ năm 2026, một sáng kiến cấp cơ sở.")
    page.get_by_role("button", name="Tạo hồ sơ").click()
    expect(page).to_have_url(re.compile(r"/tasks/\d+$"))


def test_edits_survive_an_upload_and_a_saved_draft_survives_a_reload(page: Page) -> None:
    login(page, "clerk1")
    create(page)
    form = page.locator("form.task-form")
    checklist = form.locator("ul.checklist")
    expect(checklist).to_contain_text("Tờ trình: còn thiếu")
    expect(form.locator("#f-file-hint")).to_have_text("Tối đa 20 MB; PDF, DOCX, JPEG, PNG")

    # Typed, not saved; then a file of a kind, uploaded from the same form.
    form.locator("input[name=nominee_position]").fill("Trưởng phòng Kế hoạch")
    form.locator("textarea[name=achievements]").fill("Thành tích gõ trước khi tải tệp lên, chưa bấm Lưu nháp.")
    form.locator("select[name=kind]").select_option(label="Tờ trình")
    form.locator("input[name=file]").set_input_files(
        {"name": "To trinh so 12.pdf", "mimeType": "application/pdf", "buffer": TINY_PDF})
    form.get_by_role("button", name="Tải lên").click()
    expect(page.locator(".flash.success").first).to_contain_text("Đã lưu nháp.")
    expect(page.locator(".flash.success").nth(1)).to_contain_text("Đã thêm tệp To trinh so 12.pdf (Tờ trình).")
    expect(form.locator("input[name=nominee_position]")).to_have_value("Trưởng phòng Kế hoạch")
    expect(form.locator("textarea[name=achievements]")).to_have_value(
        "Thành tích gõ trước khi tải tệp lên, chưa bấm Lưu nháp.")
    listed = form.locator("ul.attachments li").filter(has_text="To trinh so 12.pdf")
    expect(listed.locator(".badge")).to_have_text("Tờ trình")
    expect(checklist).to_contain_text("Tờ trình: đã có")
    expect(checklist).to_contain_text("Báo cáo thành tích: còn thiếu")
    # The next kind offered is the first one still missing.
    expect(form.locator("select[name=kind]")).to_have_value("bao_cao_thanh_tich")

    # "Lưu nháp", then a reload: the values come from the database.
    form.locator("input[name=nominee_unit]").fill("Phòng Kế hoạch - Tài chính")
    form.get_by_role("button", name="Lưu nháp").click()
    expect(page.locator(".flash.success")).to_contain_text("Đã lưu nháp.")
    page.reload()
    expect(form.locator("input[name=nominee_unit]")).to_have_value("Phòng Kế hoạch - Tài chính")
    expect(form.locator("input[name=nominee_position]")).to_have_value("Trưởng phòng Kế hoạch")
    expect(form.locator("ul.attachments li").filter(has_text="To trinh so 12.pdf").locator(".badge")).to_have_text("Tờ trình")

    # Submitting now names what is missing, on the same page, the edits kept.
    form.locator("input[name=nominee_position]").fill("Chưa lưu lần hai")
    form.get_by_role("button", name="Nộp hồ sơ").click()
    expect(page.locator(".flash.error")).to_contain_text("Còn thiếu: Báo cáo thành tích, Biên bản họp xét.")
    expect(form.locator("input[name=nominee_position]")).to_have_value("Chưa lưu lần hai")


def test_a_file_too_large_or_of_a_wrong_type_is_stopped_before_sending(page: Page, tmp_path: Path) -> None:
    login(page, "clerk1")
    create(page)
    form = page.locator("form.task-form")
    form.locator("input[name=nominee_position]").fill("Không mất khi chọn sai tệp")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    big = tmp_path / "qua lon.pdf"  # a path, not a buffer: the local browser reads it, nothing is copied over
    with big.open("wb") as out:
        out.write(b"%PDF-1.4\n")
        out.truncate(20 * 1024 * 1024 + 1)
    form.locator("input[name=file]").set_input_files(big)
    expect(form.locator("#f-file-error")).to_have_text(
        "Tệp «qua lon.pdf» quá lớn. Tối đa 20 MB; PDF, DOCX, JPEG, PNG.")
    form.get_by_role("button", name="Tải lên").click()
    form.locator("input[name=file]").set_input_files({"name": "ghi chu.txt", "mimeType": "text/plain", "buffer": b"x"})
    expect(form.locator("#f-file-error")).to_contain_text("Định dạng tệp «ghi chu.txt» không được chấp nhận.")
    form.get_by_role("button", name="Lưu nháp").click()
    assert sent == [], sent
    expect(form.locator("input[name=nominee_position]")).to_have_value("Không mất khi chọn sai tệp")


def test_typing_a_name_without_diacritics_narrows_the_registry_picker(page: Page) -> None:
    login(page, "clerk1")
    page.get_by_role("link", name="+ Lập hồ sơ").click()
    search = page.get_by_label("Tìm trong sổ (gõ tên hoặc mã cán bộ, không cần dấu)")
    picker = page.locator("select#registry_subject")
    search.fill("trinh van bao")
    expect(page.locator("#registry_filter_status")).to_have_text("1 kết quả trong sổ.")
    expect(picker.locator("option:checked")).to_contain_text("Trịnh Văn Bảo")  # the one left is chosen
    assert picker.locator("optgroup option:not([hidden])").count() == 1
    search.fill("không có ai tên này")
    expect(page.locator("#registry_filter_status")).to_contain_text("Không có ai trong sổ khớp")
    expect(picker).to_have_value("")  # nothing hidden stays chosen
    search.fill("")
    assert picker.locator("optgroup option:not([hidden])").count() >= 2  # everyone again
