"""A rep on a phone (390 × 844, touch) in Chromium: the worklist as cards with the reasons in
view, tap to call and to log a contact, the customer page and the day's tasks without sideways
scrolling; the manager's team and drill-through lists fit too."""

from __future__ import annotations

import pytest

from tests.browser.conftest import open_shop_copy, serving
from tests.web.pages_support import PASSWORD

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def with_phones(ws, app) -> None:  # noqa: ANN001, ARG001
    customers = ws.table("customers").to_pandas()
    customers["phone"] = ["+86 138-0013 8000", "(010) 6552 9988", None, "021 5555 0101"]
    ws.load("customers", customers)


@pytest.fixture(scope="module")
def phone_app(shop_template, tmp_path_factory):  # noqa: ANN001, ANN201
    ws, app = open_shop_copy(shop_template[0], tmp_path_factory.mktemp("phone") / "shop",
                             with_phones)
    with serving(app) as base:
        yield base
    ws.close()


def open_as(browser, base: str, username: str):  # noqa: ANN001, ANN201
    context = browser.new_context(locale="zh-CN", viewport=PHONE, has_touch=True,
                                  is_mobile=True)
    context.set_default_timeout(60_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page, errors


def no_sideways_scroll(page) -> None:  # noqa: ANN001
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate("[...document.querySelectorAll('main *')].filter(e =>"
                         " e.getBoundingClientRect().right > innerWidth + 1).map(e =>"
                         " e.tagName + '#' + e.id + '.' + e.className).slice(0, 5)")
    assert width <= PHONE["width"] and wide == [], (page.url, width, wide)


def test_rep_works_the_list_on_a_phone(browser, phone_app, screenshots):  # noqa: ANN001
    context, page, errors = open_as(browser, phone_app, "rep1")
    try:
        assert page.url.endswith("/my-customers")
        no_sideways_scroll(page)
        card = page.locator('#worklist-table [data-customer="b"]')
        assert card.locator(".why .tag").first.is_visible()  # the reason, not off-screen
        assert card.locator(".why").bounding_box()["x"] >= 0
        call = card.locator("a.tel")
        assert call.is_visible() and call.get_attribute("href") == "tel:01065529988"
        assert call.bounding_box()["height"] >= 32  # big enough for a thumb
        assert page.locator("#tasks .task").first.is_visible()
        page.screenshot(path=str(screenshots / "phone-worklist.png"), full_page=True)
        card.locator("a.log").tap()
        page.wait_for_url("**/customers/b#actions")
        page.wait_for_load_state("networkidle")
        no_sideways_scroll(page)
        assert page.locator("#customer-contact a.tel").get_attribute("href") == \
            "tel:01065529988"
        page.fill("#actions textarea[name=notes]", "电话回访")
        with page.expect_navigation():
            page.locator("#actions form[action$='/contact'] button[type=submit]").tap()
        assert "电话回访" in page.locator("#tasks").inner_text()
        page.screenshot(path=str(screenshots / "phone-customer.png"), full_page=True)
        assert errors == []
    finally:
        context.close()


def test_manager_lists_fit_a_phone(browser, phone_app, screenshots):  # noqa: ANN001
    context, page, errors = open_as(browser, phone_app, "manager")
    try:
        for path in ("/team", "/dashboard/customers?view=segment&group=smb&month=2024-06",
                     "/my-customers"):
            page.goto(phone_app + path)
            page.wait_for_load_state("networkidle")
            no_sideways_scroll(page)
        page.goto(phone_app + "/team")
        page.screenshot(path=str(screenshots / "phone-team.png"), full_page=True)
        assert errors == []
    finally:
        context.close()
