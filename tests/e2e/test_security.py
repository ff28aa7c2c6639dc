"""The Content-Security-Policy in a real browser: the pages' own script still runs, inline code would not.

The ``page`` fixture fails any test during which Chromium reported a CSP violation or a script error.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from workflows.services.demo import DEMO_BALLOT_PASSPHRASE

from .test_journey import login, logout

pytestmark = pytest.mark.e2e

OPEN_ROUND = "Đợt 2 năm 2026"  # the demo's open round, four members have voted
PER_DOSSIER_NOMINEE = "Trần Thị Bình"  # on that round: the shipped route has no per-dossier ballot to close


def test_closing_a_round_asks_first_through_the_static_script(page: Page) -> None:
    login(page, "secretary")  # the dossier's page has no per-dossier close-vote form on the round route
    page.goto("/nominations/")
    page.get_by_role("link", name=PER_DOSSIER_NOMINEE).first.click()
    expect(page).to_have_url(re.compile(r"/nominations/\d+$"))
    expect(page.locator("dd.council-round")).to_contain_text(f"Chờ Hội đồng xét: {OPEN_ROUND}")
    expect(page.get_by_role("button", name="Kết thúc bỏ phiếu")).to_have_count(0)
    logout(page)

    login(page, "minister")
    page.goto("/rounds")
    page.get_by_role("link", name=OPEN_ROUND).click()
    expect(page).to_have_url(re.compile(r"/rounds/\d+$"))
    close = page.locator("form.close-form")
    close.get_by_label("Mật khẩu kiểm phiếu").fill(DEMO_BALLOT_PASSPHRASE)

    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    close.get_by_role("button", name="Kết thúc bỏ phiếu").click()
    expect(close).to_be_visible()  # dismissed: nothing was sent
    expect(page.locator("h1")).to_contain_text("Đang bỏ phiếu")
    assert asked and asked[0].startswith("Kết thúc bỏ phiếu, giải mã tổng số phiếu"), asked

    page.once("dialog", lambda dialog: dialog.accept())
    close.get_by_role("button", name="Kết thúc bỏ phiếu").click()
    expect(page.locator(".flash.success")).to_contain_text("Đã kết thúc đợt xét và công bố kết quả kiểm phiếu.")
    expect(page.locator("h1")).to_contain_text("Đã kết thúc")
    expect(page.locator("form.close-form")).to_have_count(0)
    logout(page)


def test_inline_script_is_refused_by_the_browser(page: Page, blocked: list[str]) -> None:
    """The policy is enforced, not just sent: an injected inline script does not run."""
    login(page, "clerk1")
    page.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.__inlineRan = true';
        document.body.appendChild(s);
    }""")
    assert page.evaluate("() => window.__inlineRan === true") is False
    assert any("script-src" in message for message in blocked), blocked
    blocked.clear()  # provoked on purpose
    logout(page)
