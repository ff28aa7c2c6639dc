"""Accessibility in the browser: axe-core on every page each role reaches, and the phone layout at 390×844.

Each role logs in on the seeded demo and walks the links of the nav and of the page's main content, breadth
first, from the inbox: every kind of page once or twice (ids folded, so ``/rounds/1`` and ``/rounds/2`` are one
kind), every task in the inbox (each kind of step is a different form). axe-core (``package.json``, installed
by ``make browser`` with ``npm ci``) runs on each page; a violation of impact serious or critical fails the
test, listing the rule, the page and the elements. Pages other engineers add are walked the same way as soon
as a link leads to them.

At 390×844 (a phone) the inbox and each task page must not scroll sideways and a task's decision buttons
must sit within the first screen.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Page, expect

from workflows.services.demo import DEMO_PASSWORD

from .conftest import _unavailable

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
ROLES = ["clerk1", "head1", "secretary", "reviewer", "council5", "minister", "admin", "auditor"]
PHONE = {"width": 390, "height": 844}
# Pages a role reaches other than by a link in the nav or a page (the chair's passphrase: from the council's docs).
EXTRA = {"minister": ["/me/ballot-passphrase"]}
SAME_KIND = 2  # pages of one kind (ids folded) audited per role: a closed and an open round, say
MAX_PAGES = 60  # per role: the walk ends even if a page links to an endless family
# Not pages: files, the API, and links that act (logout is a POST form anyway).
NOT_PAGES = re.compile(r"(\.pdf|\.csv|\.json)$|^/api/|/attachments/|/files/|/download|/logout|/static/")


@pytest.fixture(scope="session")
def axe_path() -> Path:
    if not AXE.is_file():  # skipped by hand, a failure under CI, like a missing Chromium
        _unavailable(f"{AXE} is missing: run `make browser` (npm ci installs axe-core from package-lock.json)")
    return AXE


@pytest.fixture
def page(browser, live_server) -> Iterator[Page]:
    """A context that lets axe's injected script run: the app's Content-Security-Policy allows only 'self'."""
    context = browser.new_context(base_url=live_server.url, locale="vi-VN", bypass_csp=True)
    context.set_default_timeout(10_000)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"script errors: {errors}"


def login(page: Page, user: str) -> None:
    page.goto("/login")
    page.locator("input[name=username]").fill(user)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()


def audit(page: Page, axe_path: Path) -> list[str]:
    """axe-core on the page as it stands: one line per serious or critical violation, with its elements."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_path))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    found = []
    for v in result["violations"]:
        if v["impact"] in BLOCKING:
            nodes = "; ".join(" ".join(n["target"]) + " — " + (n.get("failureSummary") or "").replace("\n", " ")
                              for n in v["nodes"][:5])
            found.append(f"{urlsplit(page.url).path}: [{v['impact']}] {v['id']} ({v['help']}) × {len(v['nodes'])}: {nodes}")
    return found


def kind(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def links(page: Page) -> list[str]:
    """Same-site page links of the nav and the main content, in document order."""
    hrefs = page.eval_on_selector_all("header nav a[href], main a[href]", "els => els.map(e => e.getAttribute('href'))")
    out = []
    for href in hrefs:
        url = urlsplit(urljoin(page.url, href))
        if url.netloc != urlsplit(page.url).netloc or href.startswith("#") or NOT_PAGES.search(url.path):
            continue
        out.append(url.path + (f"?{url.query}" if url.query else ""))
    return out


def walk(page: Page, axe_path: Path, start: list[str]) -> tuple[list[str], list[str]]:
    """Breadth-first over the role's links from ``start``: (pages audited, violations)."""
    seen: set[str] = set()
    per_kind: dict[str, int] = {}
    queue = deque(start)
    visited, violations = [], []
    while queue and len(visited) < MAX_PAGES:
        path = queue.popleft()
        key = kind(urlsplit(path).path)
        limit = MAX_PAGES if key == "/tasks/N" else SAME_KIND
        if path in seen or per_kind.get(key, 0) >= limit:
            continue
        seen.add(path)
        response = page.goto(path)
        assert response is not None and response.status < 500, f"{path} answered {response and response.status}"
        if response.status >= 400:  # a link the role may see but not open is not this test's business
            continue
        queue.extend(p for p in links(page) if p not in seen)
        if key == "/tasks/N":  # one task page per kind of step: the step's form is what differs
            key = "task: " + page.title()
            if per_kind.get(key):
                continue
        per_kind[key] = per_kind.get(key, 0) + 1
        visited.append(path)
        violations += audit(page, axe_path)
    return visited, violations


@pytest.mark.parametrize("user", ROLES)
def test_no_serious_violation_on_any_page_the_role_reaches(page: Page, axe_path: Path, user: str) -> None:
    login(page, user)
    visited, violations = walk(page, axe_path, ["/", *EXTRA.get(user, [])])
    print(f"{user}: {len(visited)} pages audited: {', '.join(visited)}")
    assert len(visited) >= 4, visited  # inbox, nominations, notifications and at least one detail
    assert not violations, f"{user}: {len(violations)} serious/critical axe violations:\n" + "\n".join(violations)


def test_login_and_error_pages_have_no_serious_violation(page: Page, axe_path: Path) -> None:
    page.goto("/login")
    violations = audit(page, axe_path)
    page.locator("input[name=username]").fill("clerk1")
    page.locator("input[name=password]").fill("not-the-password")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("alert")).to_be_visible()
    violations += audit(page, axe_path)
    login(page, "clerk1")
    page.goto("/nominations/999999")
    violations += audit(page, axe_path)
    assert not violations, "\n".join(violations)


def test_new_dossier_with_errors_focuses_the_error_summary(page: Page, axe_path: Path) -> None:
    """A 422: the summary at the top takes the focus and links each field, each field says it is invalid and why."""
    login(page, "clerk1")
    page.goto("/nominations/new")
    page.get_by_role("button", name="Tạo hồ sơ").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    assert page.evaluate("document.activeElement.closest('.error-summary') !== null"), "focus is not on the summary"
    entries = summary.locator("a[href^='#']")
    assert entries.count() >= 1
    for i in range(entries.count()):
        target = entries.nth(i).get_attribute("href")[1:]
        field = page.locator(f"[id='{target}']")
        expect(field).to_have_count(1)
        control = field if field.evaluate("e => e.matches('input, select, textarea')") else \
            field.locator("input, select, textarea").first
        expect(control).to_have_attribute("aria-invalid", "true")
        described = control.get_attribute("aria-describedby") or field.get_attribute("aria-describedby")
        assert described, f"#{target} has no aria-describedby"
        expect(page.locator(f"[id='{described.split()[0]}']")).to_have_class(re.compile("error-text"))
    entries.first.click()
    assert page.evaluate("document.activeElement.closest('.field') !== null"), "the summary's link does not reach its field"
    assert not audit(page, axe_path)


def test_radio_groups_are_fieldsets_with_a_legend(page: Page) -> None:
    login(page, "clerk1")
    page.goto("/nominations/new")
    radios = page.locator("main input[type=radio]")
    assert radios.count() >= 2
    for i in range(radios.count()):
        legend = radios.nth(i).evaluate("e => e.closest('fieldset')?.querySelector('legend')?.textContent?.trim()")
        assert legend, f"radio {radios.nth(i).get_attribute('name')} is not in a fieldset with a legend"


def task_links(page: Page) -> list[str]:
    page.goto("/")
    return [p for p in links(page) if kind(urlsplit(p).path) == "/tasks/N"]


def assert_fits_the_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways: {width} px wide at {PHONE['width']} px"


@pytest.mark.parametrize("user", ["clerk1", "head1", "secretary", "reviewer", "council5"])
def test_inbox_and_task_pages_fit_a_phone(browser, live_server, user: str) -> None:
    context = browser.new_context(base_url=live_server.url, locale="vi-VN", viewport=PHONE, is_mobile=True,
                                  has_touch=True, device_scale_factor=2, bypass_csp=True)
    try:
        page = context.new_page()
        login(page, user)
        page.goto("/")
        assert_fits_the_phone(page)
        tasks = task_links(page)
        assert tasks, f"{user} has no task in the demo"
        checked = 0
        for path in tasks:
            page.goto(path)
            assert_fits_the_phone(page)
            buttons = page.locator("form.task-form .task-actions button")
            if not buttons.count():
                continue  # a step done elsewhere (round, decision): its page has a link, not buttons
            checked += 1
            for i in range(buttons.count()):
                box = buttons.nth(i).bounding_box()
                bottom = box and box["y"] + box["height"]
                assert bottom and bottom <= PHONE["height"], \
                    f"{path}: {buttons.nth(i).inner_text()!r} ends at {bottom} px, below the first screen"
        if user != "council5":  # a member's only task is the ballot: one row per dossier, its button after them
            assert checked, f"{user}: no task page with decision buttons"
        for path in ("/nominations", "/notifications"):
            page.goto(path)
            assert_fits_the_phone(page)
    finally:
        context.close()


def test_language_landmarks_skip_link_and_titles(page: Page) -> None:
    login(page, "secretary")
    titles = set()
    for path in ("/", "/nominations/", "/rounds", "/decisions", "/notifications/"):
        page.goto(path)
        assert page.evaluate("document.documentElement.lang") == "vi"
        for landmark in ("banner", "navigation", "main"):
            expect(page.get_by_role(landmark).first).to_be_attached()
        titles.add(page.title())
    assert len(titles) == 5, titles  # each page says what it is
    page.goto("/")
    page.keyboard.press("Tab")  # the first stop is the skip link, shown when focused
    skip = page.locator(":focus")
    expect(skip).to_have_text("Bỏ qua, đến nội dung chính")
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_the_nav_collapses_behind_a_menu_button_on_a_phone(browser, live_server) -> None:
    context = browser.new_context(base_url=live_server.url, locale="vi-VN", viewport=PHONE, is_mobile=True)
    try:
        page = context.new_page()
        login(page, "clerk1")
        nav = page.get_by_role("navigation", name="Điều hướng chính")
        menu = page.get_by_role("button", name="Menu")
        expect(nav).to_be_hidden()
        expect(menu).to_have_attribute("aria-expanded", "false")
        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")
        expect(nav.get_by_role("link", name="Hồ sơ", exact=True)).to_be_visible()
        assert_fits_the_phone(page)
    finally:
        context.close()


def test_the_ministers_signature_is_on_the_first_screen_of_a_phone(browser, live_server) -> None:
    context = browser.new_context(base_url=live_server.url, locale="vi-VN", viewport=PHONE, is_mobile=True)
    try:
        page = context.new_page()
        login(page, "minister")
        page.goto("/")
        page.locator("table.inbox tr.decision a").first.click()
        expect(page).to_have_url(re.compile(r"/decisions/\d+$"))
        assert_fits_the_phone(page)
        box = page.locator(".sign-form button[type=submit]").bounding_box()
        assert box and box["y"] + box["height"] <= PHONE["height"], box
    finally:
        context.close()
