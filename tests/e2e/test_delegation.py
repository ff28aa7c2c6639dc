"""Delegation of signing in the browser: the minister revokes the demo's delegation (the deputy's inbox loses the
signature), delegates one award form to the deputy, who then finds the decision's signature in the inbox and signs
it; the decision's history reads "thay mặt Bộ trưởng" and its PDF's signature block "KT. BỘ TRƯỞNG / THỨ TRƯỞNG"."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from playwright.sync_api import Page, expect

from tests.workflows.test_documents import flowing
from workflows.domain import clock

from .test_journey import login, logout

AWARD = "Kỷ niệm chương"  # the demo's decision waiting for the signature (Đặng Văn Minh, Ngô Thị Thu)


def signature_rows(page: Page):
    page.goto("/")
    return page.locator("table.inbox tbody tr.decision").filter(has_text="Ký quyết định").filter(has_text=AWARD)


def test_minister_delegates_and_the_deputy_signs_kt_bo_truong(page: Page) -> None:
    page.on("dialog", lambda dialog: dialog.accept())  # the irreversible buttons ask once
    today = datetime.now(clock.VN_TZ).date()

    login(page, "minister")
    page.get_by_role("link", name="Ủy quyền ký").click()
    expect(page.get_by_role("heading", name="Ủy quyền ký", exact=True)).to_be_visible()
    page.locator("#delegations").get_by_role("button", name="Thu hồi ủy quyền").click()  # the demo's, every form
    expect(page.locator(".flash.success")).to_contain_text("Đã thu hồi ủy quyền")
    logout(page)

    login(page, "deputy")
    expect(signature_rows(page)).to_have_count(0)  # no delegation in force: not the deputy's
    logout(page)

    login(page, "minister")
    page.goto("/delegations")
    form = page.locator("#new-delegation")
    form.locator("select[name=deputy]").select_option("deputy")
    form.locator("input[name=starts_on]").fill(today.isoformat())
    form.locator("input[name=ends_on]").fill((today + timedelta(days=6)).isoformat())
    form.get_by_label(AWARD, exact=True).check()
    form.get_by_role("button", name="Ủy quyền ký").click()
    expect(page.locator(".flash.success")).to_contain_text("Đã ủy quyền ký.")
    row = page.locator("#delegations tbody tr").filter(has_text="Đang hiệu lực")
    expect(row).to_contain_text(AWARD)
    expect(row).to_contain_text(f"{today:%d/%m/%Y}")
    expect(signature_rows(page)).to_have_count(1)  # still the minister's too
    logout(page)

    login(page, "deputy")
    rows = signature_rows(page)
    expect(rows).to_have_count(1)
    rows.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/decisions/\d+$"))
    decision_url = page.url
    page.locator("form.sign-form").get_by_role("button", name="Ký quyết định").click()
    expect(page.locator(".flash.success")).to_contain_text("Đã ký.")
    page.goto(decision_url)
    expect(page.locator("dd.signer")).to_contain_text("KT. Bộ trưởng, Thứ trưởng")
    signed = page.locator("table.history tbody tr").filter(has_text="Thứ trưởng (thay mặt Bộ trưởng Bộ trưởng)")
    expect(signed).to_have_count(1)

    pdf = page.request.get(f"{decision_url}.pdf")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF"), pdf.status
    text = flowing(pdf.body())
    assert "KT. BỘ TRƯỞNG" in text and "THỨ TRƯỞNG" in text, text[-600:]
    logout(page)

    # The office registers it, as for any signed decision (the shared demo leaves no registration waiting).
    login(page, "secretary")
    page.goto(decision_url)
    page.get_by_role("button", name="Đăng ký số, ngày ban hành").click()
    expect(page.locator(".flash.success")).to_contain_text("Số ")
    logout(page)
