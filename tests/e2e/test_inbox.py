"""The inbox in the browser: a search typed without diacritics, a click on a column to sort, filters ticked, each
kept in the address; the returned dossier's badge, and its reason above the form on the task page.

Runs on the demo data as clerk1: "Nguyễn Văn An" (a draft) and "Hoàng Thị Dung" (returned by the
secretariat for supplementation) wait in clerk1's inbox.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from workflows.services.demo import DEMO_PASSWORD

pytestmark = pytest.mark.e2e


def login(page: Page, user: str) -> None:
    page.goto("/login")
    page.locator("input[name=username]").fill(user)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name=re.compile("^Việc cần xử lý"))).to_be_visible()


def query_of(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def dossier_rows(page: Page):
    return page.locator("table.inbox:not(.others) tbody tr")


def test_search_sort_and_filter_the_inbox(page: Page):
    login(page, "clerk1")
    search = page.get_by_role("searchbox", name="Tìm kiếm")
    search.fill("hoang thi dung")
    search.press("Enter")
    expect(dossier_rows(page)).to_have_count(1)
    row = dossier_rows(page).first
    expect(row).to_contain_text("Hoàng Thị Dung")
    expect(row.locator(".badge.returned")).to_have_text("Bị trả lại")
    expect(row.locator("td.code")).to_have_text(re.compile(r"^HS-\d{6}$"))
    assert query_of(page)["q"] == ["hoang thi dung"]
    expect(search).to_have_value("hoang thi dung")

    # upper case with diacritics finds the same; clearing the search lists both demo dossiers again
    search.fill("HOÀNG")
    search.press("Enter")
    expect(dossier_rows(page).filter(has_text="Hoàng Thị Dung")).to_have_count(1)
    search.fill("")
    search.press("Enter")
    expect(dossier_rows(page).filter(has_text="Nguyễn Văn An")).to_have_count(1)

    # sort by name, then the other way: the column heading says which
    page.locator("th a[data-sort=nominee]").click()
    assert query_of(page)["sort"] == ["nominee"]
    heading = page.locator("th[aria-sort=ascending]")
    expect(heading).to_contain_text("Người / tập thể được đề nghị")
    names = [n.strip() for n in dossier_rows(page).locator("td.nominee a").all_inner_texts()]
    assert names.index("Hoàng Thị Dung") < names.index("Nguyễn Văn An"), names
    page.locator("th a[data-sort=nominee]").click()
    assert query_of(page)["sort"] == ["-nominee"]
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Người / tập thể")
    names = [n.strip() for n in dossier_rows(page).locator("td.nominee a").all_inner_texts()]
    assert names.index("Nguyễn Văn An") < names.index("Hoàng Thị Dung"), names

    # the "returned" filter keeps the sort and lists only the returned dossier
    page.get_by_label("Bị trả lại").check()
    page.get_by_role("button", name="Lọc").click()
    assert query_of(page)["returned"] == ["1"] and query_of(page)["sort"] == ["-nominee"]
    expect(dossier_rows(page).filter(has_text="Nguyễn Văn An")).to_have_count(0)
    expect(dossier_rows(page).filter(has_text="Hoàng Thị Dung")).to_have_count(1)
    expect(page.get_by_label("Bị trả lại")).to_be_checked()

    # a step filter with nothing in it says so
    page.goto("/?step=appraisal")
    expect(page.locator("td.empty")).to_have_text("Không có việc nào khớp bộ lọc.")

    # the returned dossier's task page: the reason stands above the form
    page.goto("/?q=dung&returned=1")
    dossier_rows(page).first.get_by_role("link").click()
    reason = page.locator("section.returned-reason")
    expect(reason).to_be_visible()
    expect(reason).to_contain_text("Bị trả lại")
    form = page.locator("form.task-form")
    assert reason.bounding_box()["y"] < form.bounding_box()["y"]
