"""One nomination's whole journey through the browser, one role after another.

clerk1 drafts and submits a "Bằng khen của Bộ trưởng" for an individual; head1
approves (after being refused a "return" without a reason); the secretariat
accepts, then forms a council round with it and a demo dossier waiting for one,
and opens it; the nine council members vote on their ballot (the first is refused
a blank row), each shown a receipt; the chair closes the round with the ballot
passphrase (the demo's), the round page shows the results, the box with every
receipt, the minutes PDF and the verification; the reviewer appraises; the
secretariat drafts a decision for it and sends it; the minister signs it on the
decision's page; the office registers its number and date. After every step the
nomination page's "Lịch sử xử lý" shows it, and at the end the nomination is
awarded with the decision's number.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support import TINY_PDF as PDF
from workflows.services.demo import DEMO_BALLOT_PASSPHRASE, DEMO_PASSWORD

pytestmark = pytest.mark.e2e

PASSWORD = DEMO_PASSWORD  # every demo account's password
PASSPHRASE = DEMO_BALLOT_PASSPHRASE  # the demo chair's ballot passphrase (set by the seed)
NOMINEE = "Đặng Thị Kiểm Thử E2E"  # unique: the demo data has its own nominations in every inbox
OTHER = "Phan Quốc Bảo"  # a demo dossier waiting for a round: the round's second row
ROUND = "Đợt xét E2E tháng 12/2026"
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


def decide(page: Page, button: str, comment: str = "") -> None:
    """On a review task: write the comment, press the decision's own button ("Trình Bộ", "Trả lại đơn vị", ...)."""
    form = page.locator("form.task-form")
    form.locator("textarea[name=comment]").fill(comment)
    form.get_by_role("button", name=button, exact=True).click()


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


def confirm(page: Page, act, asks: str) -> None:
    """Do ``act`` and accept the confirmation the static script shows (it must start with ``asks``)."""
    asked: list[str] = []

    def accept(dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    act()
    page.wait_for_load_state()
    assert asked and asked[0].startswith(asks), asked


def ballot_row(page: Page, nominee: str) -> Locator:
    return page.locator("form.ballot-form tbody tr").filter(has=page.get_by_role("cell", name=nominee, exact=True))


def send_ballot(page: Page) -> None:
    confirm(page, lambda: page.locator("form.ballot-form").get_by_role("button", name="Gửi phiếu bầu").click(),
            "Gửi phiếu bầu?")


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
    page.get_by_role("button", name="Nộp hồ sơ").click()  # refused: the documents a Bằng khen requires are missing
    expect(page.locator(".flash.error")).to_contain_text("Còn thiếu: Tờ trình, Báo cáo thành tích, Biên bản họp xét.")
    for kind, name in (("Tờ trình", "to-trinh.pdf"), ("Báo cáo thành tích", "bao-cao.pdf"), ("Biên bản họp xét", "bien-ban.pdf")):
        page.locator("select[name=kind]").select_option(label=kind)
        page.locator("input[name=file]").set_input_files({"name": name, "mimeType": "application/pdf", "buffer": PDF})
        page.get_by_role("button", name="Tải lên").click()
        expect(page.locator("ul.checklist")).to_contain_text(f"{kind}: đã có")
    page.get_by_role("button", name="Nộp hồ sơ").click()
    finish_review(page, NOMINEE)
    counts = assert_step_recorded(page, nomination_url, counts, "Nộp hồ sơ")
    logout(page)

    # 2. The unit head: a "return" without a reason is refused (422, Vietnamese message), then approves.
    login(page, "head1")
    open_task(page, NOMINEE)
    task_url = page.url
    with page.expect_response(lambda r: r.request.method == "POST" and r.url == task_url) as posted:
        decide(page, "Trả lại đơn vị", comment="")
    assert posted.value.status == 422
    expect(page).to_have_url(task_url)
    expect(page.locator(".flash.error")).to_contain_text("Biểu mẫu có lỗi")
    expect(page.locator(".field.has-error", has=page.locator("textarea[name=comment]"))).to_contain_text(REQUIRED)
    expect(page.locator("form.task-form button.chosen")).to_have_text("Trả lại đơn vị")  # the choice survives the error
    expect(page.get_by_role("button", name="Xác nhận")).to_have_count(0)
    asked: list[str] = []  # withdrawing asks first, saying what happens; dismissed, nothing is sent
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.locator("form.task-form").get_by_role("button", name="Rút hồ sơ").click()
    expect(page).to_have_url(task_url)
    assert asked == ["Rút hồ sơ? Hồ sơ kết thúc, không xử lý tiếp."], asked
    decide(page, "Trình Bộ")
    finish_review(page, NOMINEE)
    counts = assert_step_recorded(page, nomination_url, counts, "Đồng ý trình Bộ")
    assert counts["Trả lại cán bộ TĐKT"] == 0, counts  # the refused attempt left no trace
    logout(page)

    # 3. The secretariat accepts the dossier; it waits at the round step, on no round yet.
    login(page, "secretary")
    open_task(page, NOMINEE)
    decide(page, "Tiếp nhận hồ sơ")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".flash.success")).to_contain_text(NOMINEE)
    waiting = page.locator("table.inbox tbody tr").filter(has_text=NOMINEE)  # the round step is the secretariat's
    expect(waiting).to_contain_text("Chờ Hội đồng xét theo đợt")
    counts = assert_step_recorded(page, nomination_url, counts, "Hồ sơ đầy đủ, tiếp nhận")
    expect(page.locator("dd.council-round")).to_contain_text("Chưa đưa vào đợt xét")
    expect(page.locator("dd.council-round").get_by_role("link", name="Lập đợt xét")).to_have_attribute("href", "/rounds")

    # 4. From the round step's task page to /rounds: the secretariat forms a round with two dossiers and opens it.
    open_task(page, NOMINEE)
    expect(page.locator("form.task-form")).to_have_count(0)  # formed on the rounds page, no form here
    page.get_by_role("link", name="Lập hoặc xem đợt xét của Hội đồng").click()
    expect(page).to_have_url(re.compile(r"/rounds$"))
    form = page.locator("form.round-form")
    form.get_by_label("Tên đợt xét").fill(ROUND)
    form.get_by_label("Ngày họp Hội đồng").fill("2026-12-10")
    expect(form.get_by_label("Thời hạn bỏ phiếu (ngày làm việc)")).to_have_value("5")
    form.get_by_label(NOMINEE, exact=True).check()
    form.get_by_label(OTHER, exact=True).check()
    form.get_by_role("button", name="Lập đợt xét").click()
    expect(page).to_have_url(re.compile(r"/rounds/\d+$"))
    round_url = urlsplit(page.url).path
    expect(page.locator(".flash.success")).to_contain_text("Đã lập đợt xét (dự thảo)")
    expect(page.locator("h1")).to_contain_text("Dự thảo")
    expect(page.locator("table.agenda tbody tr")).to_have_count(2)
    confirm(page, lambda: page.get_by_role("button", name="Mở đợt xét").click(), "Mở đợt xét?")
    expect(page.locator(".flash.success")).to_contain_text("Đã mở đợt xét")
    expect(page.locator("dd.voted-count")).to_have_text("0/9 đã bỏ phiếu")
    counts = assert_step_recorded(page, nomination_url, counts, "Đưa vào đợt xét của Hội đồng")
    line = page.locator("dd.council-round")
    expect(line).to_contain_text(f"Chờ Hội đồng xét: {ROUND}")
    expect(line).to_contain_text("Đang bỏ phiếu")
    expect(line).to_contain_text("0/9 ủy viên đã bỏ phiếu")
    expect(line).to_contain_text(re.compile(r"hạn bỏ phiếu \d\d/\d\d/\d{4}"))
    expect(line.get_by_role("link", name=ROUND)).to_have_attribute("href", round_url)
    logout(page)

    # 5. Each council member finds one ballot in the inbox and votes on both dossiers; a blank row is refused first.
    receipts = []
    for n, member in enumerate(COUNCIL, start=1):
        login(page, member)
        row = page.locator("table.inbox tbody tr").filter(has_text=f"Phiếu bầu: {ROUND}")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("2 hồ sơ")
        row.get_by_role("link").click()
        expect(page).to_have_url(re.compile(r"/tasks/\d+$"))
        expect(page.locator("h1")).to_have_text(f"Phiếu bầu: {ROUND}")
        ballot = page.locator("form.ballot-form")
        expect(ballot.locator("tbody tr")).to_have_count(2)
        mine, other = ballot_row(page, NOMINEE), ballot_row(page, OTHER)
        mine.get_by_label("Đồng ý", exact=True).check()
        if n == 1:  # the other row left blank: refused with its name, nothing stored, the chosen row kept
            ballot_url = page.url
            with page.expect_response(lambda r: r.request.method == "POST" and "/tasks/" in r.url) as posted:
                send_ballot(page)
            assert posted.value.status == 422
            expect(page.locator(".flash.error")).to_contain_text(f"Còn thiếu: 1. {OTHER}")
            expect(ballot_row(page, OTHER)).to_have_class(re.compile("has-error"))
            expect(ballot_row(page, OTHER).locator(".error-text")).to_have_text(
                f"Chưa chọn đồng ý hoặc không đồng ý. (hồ sơ {OTHER})")
            expect(ballot_row(page, NOMINEE).get_by_label("Đồng ý", exact=True)).to_be_checked()
            page.goto(round_url)
            expect(page.locator("dd.voted-count")).to_have_text("0/9 đã bỏ phiếu")
            page.goto(ballot_url)
            mine, other = ballot_row(page, NOMINEE), ballot_row(page, OTHER)
            mine.get_by_label("Đồng ý", exact=True).check()
        other.get_by_label("Đồng ý", exact=True).check()
        send_ballot(page)
        expect(page.get_by_role("heading", name="Đã gửi phiếu bầu")).to_be_visible()
        receipt = page.locator("p.receipt code").inner_text().strip()
        assert re.fullmatch(r"[0-9a-f]{64}", receipt), receipt
        receipts.append(receipt)
        page.get_by_role("link", name="Về trang việc cần xử lý").click()
        expect(page.locator("table.inbox tbody tr").filter(has_text=f"Phiếu bầu: {ROUND}")).to_have_count(0)
        if n < len(COUNCIL):
            page.goto(nomination_url)
            expect(page.locator("dd.council-round")).to_contain_text(f"{n}/9 ủy viên đã bỏ phiếu")
        logout(page)
    assert len(set(receipts)) == 9, receipts

    # 6. The chair: the ballot passphrase is set (the demo's), the round is closed on its page with it.
    login(page, "minister")
    page.goto("/me/ballot-passphrase")
    expect(page.locator(".notice")).to_contain_text("Đồng chí đã đặt mật khẩu kiểm phiếu")
    page.goto(round_url)
    expect(page.locator("dd.voted-count")).to_have_text("9/9 đã bỏ phiếu")
    close = page.locator("form.close-form")
    close.get_by_label("Mật khẩu kiểm phiếu").fill("không phải mật khẩu")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/close")) as posted:
        confirm(page, lambda: close.get_by_role("button", name="Kết thúc bỏ phiếu").click(), "Kết thúc bỏ phiếu")
    assert posted.value.status == 422
    expect(page.locator("form.close-form .error-text")).to_have_text("Mật khẩu kiểm phiếu không đúng.")
    close.get_by_label("Mật khẩu kiểm phiếu").fill(PASSPHRASE)
    confirm(page, lambda: close.get_by_role("button", name="Kết thúc bỏ phiếu").click(), "Kết thúc bỏ phiếu")
    expect(page.locator(".flash.success")).to_have_text("Đã kết thúc đợt xét và công bố kết quả kiểm phiếu.")
    expect(page.locator("h1")).to_contain_text("Đã kết thúc")
    for nominee in (NOMINEE, OTHER):
        row = page.locator("table.agenda tbody tr").filter(has_text=nominee)
        expect(row.locator("td")).to_have_text([re.compile(r"\d"), nominee, re.compile("."), AWARD, "9", "0",
                                                re.compile(r"^100,0\s%$"), "Đạt"])
    published = page.locator("table.box code.receipt").all_inner_texts()
    assert sorted(published) == sorted(receipts), (published, receipts)  # each member finds their receipt
    minutes = page.get_by_role("link", name="Tải biên bản kiểm phiếu (PDF)").get_attribute("href")
    pdf = page.request.get(minutes)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf", (pdf.status, pdf.headers)
    assert pdf.body().startswith(b"%PDF")
    page.get_by_role("link", name="Kiểm tra hòm phiếu").click()
    expect(page.locator(".verification")).to_have_text("Đã kiểm tra: khớp")
    counts = assert_step_recorded(page, nomination_url, counts, "Kết quả bỏ phiếu")
    logout(page)

    # 7. The reviewer (Vụ TCCB) appraises; the council's result is now shown, with its round.
    login(page, "reviewer")
    page.goto(nomination_url)
    result = page.locator("dd.council-result")
    expect(result).to_contain_text("9 đồng ý, 0 không đồng ý")
    expect(result).to_contain_text("→ Đạt")
    expect(result).to_contain_text(f"Đợt xét: {ROUND}")
    expect(page.locator("dd.council-round")).to_have_count(0)
    open_task(page, NOMINEE)
    decide(page, "Thẩm định đạt, trình ký")
    finish_review(page, NOMINEE)
    counts = assert_step_recorded(page, nomination_url, counts, "Thẩm định đạt, trình Bộ trưởng")
    logout(page)

    # 8. The secretariat drafts one decision for the dossiers of its award form and sends it for signature.
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

    # 9. The minister signs on the decision's page; the confirmation says what happens next.
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

    # 10. The office registers the proposed number and today's date: the nomination is awarded with it.
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
    # No "Lưu nháp": each upload saves the form's fields first, but the clerk changed none of them.
    assert counts == Counter({"Tạo hồ sơ": 1, "Thêm tệp đính kèm": 3, "Nộp hồ sơ": 1, "Đồng ý trình Bộ": 1,
                              "Hồ sơ đầy đủ, tiếp nhận": 1,
                              "Đưa vào đợt xét của Hội đồng": 1, "Kết quả bỏ phiếu": 1,
                              "Thẩm định đạt, trình Bộ trưởng": 1, "Đưa vào dự thảo quyết định / tờ trình": 1,
                              "Trình Lãnh đạo Bộ ký": 1, "Lãnh đạo Bộ đã ký": 1, "Đăng ký số, ngày ban hành": 1,
                              "Ban hành quyết định": 1}), counts
    logout(page)
