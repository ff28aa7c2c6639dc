"""One nomination's whole journey through the browser, one role after another.

clerk1 drafts and submits a "Bằng khen của Bộ trưởng" for an individual; head1
approves (after being refused a "return" without a reason); the secretariat
accepts; the nine council members vote; the reviewer appraises; the secretariat
drafts a decision for it and sends it; the minister signs it on the decision's
page; the office registers its number and date. After every step the nomination
page's "Lịch sử xử lý" shows it, and at the end the nomination is awarded with
the decision's number.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

PASSWORD = "demo"  # every demo account's password (workflows/demo.py)
NOMINEE = "Đặng Thị Kiểm Thử E2E"  # unique: the demo data has its own nominations in every inbox
AWARD = "Bằng khen của Bộ trưởng"
COUNCIL = [f"council{i}" for i in range(1, 10)]
REQUIRED = re.compile(r"bắt buộc|Không được để trống")


# --- helpers: what a person does in the browser


def login(page: Page, user: str) -> None:
    page.goto("/login")
    page.locator("input[name=username]").fill(user)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Việc cần xử lý"))).to_be_visible()


def logout(page: Page) -> None:
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Đã đăng xuất.")


def open_task(page: Page, nominee: str) -> None:
    """From the inbox, open the one task waiting on ``nominee``."""
    page.goto("/")
    row = page.locator("table.inbox tbody tr").filter(has_text=nominee)
    expect(row).to_have_count(1)
    row.get_by_role("link", name=nominee).click()
    expect(page).to_have_url(re.compile(r"/tasks/\d+$"))
    expect(page.locator("h1")).to_contain_text(nominee)


def decide(page: Page, decision: str, comment: str = "") -> None:
    """On a review task: pick the decision radio, write the comment, press "Xác nhận"."""
    form = page.locator("form.task-form")
    form.locator(f"input[name=decision][value={decision}]").check()
    form.locator("textarea[name=comment]").fill(comment)
    form.get_by_role("button", name="Xác nhận").click()


def finish_review(page: Page, nominee: str) -> None:
    """The task was accepted: back in the inbox, with the success notice and no task left on ``nominee``."""
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".flash.success")).to_contain_text(nominee)
    expect(page.locator("table.inbox tbody tr").filter(has_text=nominee)).to_have_count(0)


def history(page: Page, nomination_url: str) -> Counter[str]:
    """The nomination page's timeline, as a count of each action label."""
    page.goto(nomination_url)
    timeline = page.locator("section.card", has=page.get_by_role("heading", name="Lịch sử xử lý"))
    expect(timeline).to_be_visible()
    return Counter(label.strip() for label in timeline.locator("li.event .what strong").all_inner_texts())


def assert_step_recorded(page: Page, nomination_url: str, before: Counter[str], label: str) -> Counter[str]:
    """The timeline gained exactly one more ``label`` than ``before``; returns the new counts."""
    after = history(page, nomination_url)
    assert after[label] == before[label] + 1, f"history should have one more {label!r}: {before} → {after}"
    return after


def state(page: Page) -> str:
    return page.locator("dl.dossier dt:text-is('Trạng thái') + dd").inner_text().strip()


# --- the journey


def test_nomination_journey_through_every_role(page: Page, request: pytest.FixtureRequest) -> None:
    # 1. The unit clerk drafts the dossier and submits it.
    login(page, "clerk1")
    page.get_by_role("link", name="+ Lập hồ sơ").click()
    expect(page.get_by_role("heading", name="Lập hồ sơ đề nghị khen thưởng")).to_be_visible()
    page.locator("select[name=award_form]").select_option(label=AWARD)
    page.locator("input[name=nominee_kind][value=individual]").check()
    page.locator("input[name=nominee_name]").fill(NOMINEE)
    page.locator("input[name=nominee_position]").fill("Chuyên viên chính")
    page.locator("input[name=year]").fill("2026")
    page.locator("textarea[name=achievements]").fill(
        "Hoàn thành xuất sắc nhiệm vụ năm 2026; chủ trì chuyển đổi số quy trình thi đua, khen thưởng của Cục.")
    page.get_by_role("button", name="Tạo hồ sơ").click()

    expect(page).to_have_url(re.compile(r"/tasks/\d+$"))  # straight to the draft task, pre-filled
    expect(page.locator(".flash.success")).to_contain_text("Đã tạo hồ sơ")
    expect(page.locator("input[name=nominee_name]")).to_have_value(NOMINEE)
    nomination_url = page.get_by_role("link", name="Xem trang hồ sơ").get_attribute("href")
    assert nomination_url and re.fullmatch(r"/nominations/\d+", nomination_url), nomination_url
    request.node.user_properties.append(("nomination_url", nomination_url))
    counts = history(page, nomination_url)
    assert counts["Tạo hồ sơ"] == 1 and counts["Nộp hồ sơ"] == 0, counts

    open_task(page, NOMINEE)
    page.get_by_role("button", name="Nộp hồ sơ").click()
    finish_review(page, NOMINEE)
    counts = assert_step_recorded(page, nomination_url, counts, "Nộp hồ sơ")
    logout(page)

    # 2. The unit head: a "return" without a reason is refused (422, Vietnamese message), then approves.
    login(page, "head1")
    open_task(page, NOMINEE)
    task_url = page.url
    with page.expect_response(lambda r: r.request.method == "POST" and r.url == task_url) as posted:
        decide(page, "return", comment="")
    assert posted.value.status == 422
    expect(page).to_have_url(task_url)
    expect(page.locator(".flash.error")).to_contain_text("Biểu mẫu có lỗi")
    expect(page.locator(".field.has-error", has=page.locator("textarea[name=comment]"))).to_contain_text(REQUIRED)
    expect(page.locator("input[name=decision][value=return]")).to_be_checked()  # the choice survives the error
    decide(page, "approve")
    finish_review(page, NOMINEE)
    counts = assert_step_recorded(page, nomination_url, counts, "Đồng ý trình Bộ")
    assert counts["Trả lại cán bộ TĐKT"] == 0, counts  # the refused attempt left no trace
    logout(page)

    # 3. The secretariat accepts the dossier for the council vote.
    login(page, "secretary")
    open_task(page, NOMINEE)
    decide(page, "approve")
    finish_review(page, NOMINEE)
    counts = assert_step_recorded(page, nomination_url, counts, "Hồ sơ đầy đủ, tiếp nhận")
    expect(page.locator("dl.dossier")).to_contain_text("0/9 ủy viên đã bỏ phiếu")
    logout(page)

    # 4. Each council member finds the ballot in their inbox and votes.
    for n, member in enumerate(COUNCIL, start=1):
        login(page, member)
        open_task(page, NOMINEE)
        page.locator("input[name=vote][value=agree]").check()
        page.get_by_role("button", name="Bỏ phiếu").click()
        finish_review(page, NOMINEE)
        counts = assert_step_recorded(page, nomination_url, counts, "Đã bỏ phiếu")
        if n < len(COUNCIL):
            expect(page.locator("dl.dossier")).to_contain_text(f"{n}/9 ủy viên đã bỏ phiếu")
        logout(page)
    assert counts["Kết quả bỏ phiếu"] == 1, counts

    # 5. The reviewer (Vụ TCCB) appraises; the council's result is now shown.
    login(page, "reviewer")
    page.goto(nomination_url)
    expect(page.locator("dl.dossier")).to_contain_text("9 đồng ý, 0 không đồng ý")
    expect(page.locator("dl.dossier")).to_contain_text("→ Đạt")
    open_task(page, NOMINEE)
    decide(page, "approve")
    finish_review(page, NOMINEE)
    counts = assert_step_recorded(page, nomination_url, counts, "Thẩm định đạt, trình Bộ trưởng")
    logout(page)

    # 6. The secretariat drafts one decision for the dossiers of its award form and sends it for signature.
    confirmations: list[str] = []
    page.on("dialog", lambda dialog: (confirmations.append(dialog.message), dialog.accept()))
    login(page, "secretary")
    page.get_by_role("link", name="Quyết định").click()
    group = page.locator("form.decision-form").filter(has_text=NOMINEE)
    expect(group).to_have_count(1)
    group.get_by_role("button", name="Lập dự thảo quyết định").click()
    expect(page).to_have_url(re.compile(r"/decisions/\d+$"))
    decision_url = page.url
    expect(page.locator("table.attached")).to_contain_text(NOMINEE)
    page.get_by_role("button", name="Trình ký").click()
    expect(page.locator(".flash.success")).to_contain_text("Đã trình Lãnh đạo Bộ ký.")
    counts = assert_step_recorded(page, nomination_url, counts, "Trình Lãnh đạo Bộ ký")
    logout(page)

    # 7. The minister signs on the decision's page; the confirmation says what happens next.
    login(page, "minister")
    page.locator("table.inbox tbody tr.decision").filter(has_text="Ký quyết định").filter(
        has_text=AWARD).get_by_role("link").click()
    expect(page).to_have_url(decision_url)
    page.get_by_role("button", name="Ký quyết định").click()
    expect(page.locator(".flash.success")).to_contain_text("Đã ký.")
    assert "Văn phòng đăng ký số và ngày ban hành" in confirmations[-1], confirmations
    counts = assert_step_recorded(page, nomination_url, counts, "Lãnh đạo Bộ đã ký")
    assert state(page) == "Đang xử lý"  # awarded once the number is registered
    logout(page)

    # 8. The office registers the proposed number and today's date: the nomination is awarded with it.
    login(page, "secretary")
    page.goto(decision_url)
    proposal = page.locator("input[name=number]").input_value()
    assert re.fullmatch(r"\d{2,}/QĐ-\w+", proposal), proposal
    page.get_by_role("button", name="Đăng ký số, ngày ban hành").click()
    expect(page.locator(".flash.success")).to_contain_text(f"Số {proposal}")
    counts = assert_step_recorded(page, nomination_url, counts, "Đăng ký số, ngày ban hành")
    assert counts["Ban hành quyết định"] == 1, counts
    assert state(page) == "Đã khen thưởng"
    decision_number = page.locator("dl.dossier dt:text-is('Số quyết định') + dd").inner_text().strip()
    assert decision_number == proposal, decision_number
    expect(page.get_by_text("Không có việc nào của bạn ở hồ sơ này.")).to_be_visible()
    assert counts == Counter({"Tạo hồ sơ": 1, "Nộp hồ sơ": 1, "Đồng ý trình Bộ": 1, "Hồ sơ đầy đủ, tiếp nhận": 1,
                              "Đã bỏ phiếu": 9, "Kết quả bỏ phiếu": 1, "Thẩm định đạt, trình Bộ trưởng": 1,
                              "Đưa vào dự thảo quyết định / tờ trình": 1, "Trình Lãnh đạo Bộ ký": 1,
                              "Lãnh đạo Bộ đã ký": 1, "Đăng ký số, ngày ban hành": 1, "Ban hành quyết định": 1}), counts
    logout(page)
