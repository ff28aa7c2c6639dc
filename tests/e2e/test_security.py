"""The Content-Security-Policy in a real browser: the pages' own script still runs, inline code would not.

The ``page`` fixture fails any test during which Chromium reported a CSP violation or a script error.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .test_journey import login, logout

pytestmark = pytest.mark.e2e

BALLOT_NOMINEE = "Trần Thị Bình"  # the demo's nomination at the council vote, four members have voted


def test_closing_a_ballot_asks_first_through_the_static_script(page: Page) -> None:
    login(page, "secretary")
    page.goto("/nominations/")
    page.get_by_role("link", name=BALLOT_NOMINEE).first.click()
    expect(page).to_have_url(re.compile(r"/nominations/\d+$"))
    close = page.get_by_role("button", name="Kết thúc bỏ phiếu")
    expect(close).to_be_visible()

    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    close.click()
    expect(close).to_be_visible()  # dismissed: nothing was sent
    assert asked and asked[0].startswith("Kết thúc bỏ phiếu?"), asked

    page.once("dialog", lambda dialog: dialog.accept())
    close.click()
    expect(page.locator(".flash.success")).to_contain_text("Đã kết thúc bỏ phiếu.")
    expect(page.get_by_role("button", name="Kết thúc bỏ phiếu")).to_have_count(0)
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
