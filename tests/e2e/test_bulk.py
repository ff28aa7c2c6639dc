"""Shared work in the browser: a bulk approval of 20 tasks while another secretary takes 2 of them, and two
secretaries claiming one task, each in their own browser.

The dossiers are made through the JSON API (clerk1 drafts and submits, head1 approves), fast; the people act
in Chromium: ``secretary`` and ``secretary2`` (the demo's second secretariat account).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .api import api, attach_documents, token
from .conftest import LiveServer
from .test_journey import login

pytestmark = pytest.mark.e2e

HOLDER = "Đỗ Thu Trang"  # the demo's secretary


def at_secretariat(server: LiveServer, names: list[str]) -> dict[str, int]:
    """Dossiers submitted by CUC_BDDT, each waiting for the secretariat's check: nominee -> its task id."""
    clerk, head = token(server, "clerk1"), token(server, "head1")
    tasks = {}
    for name in names:
        nomination = api(server, "/nominations", {
            "nominee_name": name, "nominee_kind": "individual", "nominee_position": "Chuyên viên",
            "award_form": "bang_khen_bo_truong", "movement": "Phong trào thi đua năm 2026", "field": "Bưu chính",
            "year": 2026, "achievements": "Hoàn thành xuất sắc nhiệm vụ hai năm liên tục."}, clerk)
        [draft] = nomination["current_tasks"]
        attach_documents(server, nomination["id"], "bang_khen_bo_truong", clerk)
        [review] = api(server, f"/tasks/{draft['id']}/complete", {"data": {}}, clerk)["next_tasks"]
        [check] = api(server, f"/tasks/{review}/complete", {"data": {"decision": "approve"}}, head)["next_tasks"]
        tasks[name] = check
    return tasks


def test_bulk_approval_of_twenty_while_another_secretary_takes_two(page: Page, live_server: LiveServer):
    names = [f"Hàng Loạt E2E số {i:02d}" for i in range(1, 21)]
    tasks = at_secretariat(live_server, names)
    login(page, "secretary")
    page.goto("/")
    bulk = page.locator("form#bulk-form")
    expect(bulk).to_be_visible()
    select_all = bulk.locator("#bulk-all")
    select_all.check()  # ticks every row of the form, demo rows included
    boxes = page.locator('input[name="task_ids"][form="bulk-form"]')
    assert boxes.count() >= 20 and all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    select_all.uncheck()
    assert not any(boxes.nth(i).is_checked() for i in range(boxes.count()))
    for name in names:
        page.get_by_label(f"Chọn {name}", exact=True).check()
    # Meanwhile the other secretary finishes two of them through the API.
    theirs = token(live_server, "secretary2")
    taken = [names[3], names[16]]
    for name in taken:
        api(live_server, f"/tasks/{tasks[name]}/complete", {"data": {"decision": "approve"}}, theirs)
    bulk.get_by_label("Tiếp nhận hồ sơ").check()
    bulk.locator("textarea[name=comment]").fill("Hồ sơ đầy đủ theo quy định")
    bulk.get_by_role("button", name="Xử lý các hồ sơ đã chọn").click()
    expect(page.get_by_role("heading", name="Kết quả xử lý hàng loạt")).to_be_visible()
    expect(page.locator(".bulk-summary")).to_contain_text("Đã xong: 18")
    expect(page.locator(".bulk-summary")).to_contain_text("Xung đột: 2")
    rows = page.locator("table.bulk-results tbody tr")
    expect(rows).to_have_count(20)
    for name in names:
        row = rows.filter(has_text=name)
        if name in taken:
            expect(row).to_contain_text("Xung đột")
            expect(row).to_contain_text("Công việc đã được xử lý.")
        else:
            expect(row).to_contain_text("Đã xong")
    page.goto("/")  # each dossier moved on to the council's round step: no longer waiting for the check
    for name in names:
        expect(page.locator("table.inbox tbody tr").filter(has_text=name).filter(has_text="Kiểm tra hồ sơ")).to_have_count(0)


def test_two_secretaries_claim_one_task_in_two_browsers(browser, live_server: LiveServer):
    name = "Nhận Xử Lý E2E"
    item_id = at_secretariat(live_server, [name])[name]
    contexts = [browser.new_context(base_url=live_server.url, locale="vi-VN") for _ in range(2)]
    try:
        first, second = (c.new_page() for c in contexts)
        for page, user in ((first, "secretary"), (second, "secretary2")):
            page.set_default_timeout(10_000)
            login(page, user)
            page.goto(f"/tasks/{item_id}")
            expect(page.get_by_role("button", name="Nhận xử lý")).to_be_visible()  # both see it free
        first.get_by_role("button", name="Nhận xử lý").click()
        expect(first.locator(".flash.success")).to_have_text("Đã nhận xử lý công việc.")
        expect(first.locator(".notice.claimed")).to_contain_text(f"Đang xử lý: {HOLDER}")
        second.get_by_role("button", name="Nhận xử lý").click()  # their page was loaded before the claim
        expect(second.locator(".flash.warning")).to_contain_text(f"Công việc đang do {HOLDER} xử lý")
        expect(second.locator(".notice.claimed")).to_contain_text(re.compile(
            rf"Đang xử lý: {HOLDER} \(từ \d\d/\d\d/\d{{4}} \d\d:\d\d\)"))
        expect(second.get_by_role("button", name="Tiếp nhận hồ sơ")).to_have_count(0)
        second.goto("/")
        expect(second.locator("table.inbox tbody tr").filter(has_text=name)).to_contain_text(f"Đang xử lý: {HOLDER}")
        first.get_by_role("button", name="Trả lại nhóm").click()
        expect(first.get_by_role("button", name="Nhận xử lý")).to_be_visible()
        second.goto(f"/tasks/{item_id}")
        second.get_by_role("button", name="Nhận xử lý").click()
        expect(second.locator(".notice.claimed")).to_contain_text("Đang xử lý: Hoàng Minh Thư")
        second.locator("form.task-form").get_by_role("button", name="Tiếp nhận hồ sơ").click()
        expect(second.locator(".flash.success")).to_contain_text(name)
    finally:
        for context in contexts:
            context.close()
