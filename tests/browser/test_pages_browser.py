"""The pages as a person uses them, in a real headless Chromium: log in as a manager and as a
rep, read the dashboard and the worklist, switch language, resolve a complaint, launch a
campaign, and fail to open another rep's customer by URL. No console errors anywhere."""

from __future__ import annotations

import re

import pytest

from tests.web.pages_support import PASSWORD

pytestmark = pytest.mark.browser


class Session:
    """A browser context logged in as one user, collecting console errors."""

    def __init__(self, browser, base: str, username: str, *, locale: str = "en-US") -> None:  # noqa: ANN001
        self.base = base
        self.context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 860})
        self.context.set_default_timeout(120_000)  # the first dashboard computes aggregates
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                     else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(base + "/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("form button[type=submit]")
        self.page.wait_for_load_state("networkidle")

    def open(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def manager(browser, live_app):  # noqa: ANN001, ANN201
    session = Session(browser, live_app, "manager")
    yield session
    session.close()
    assert session.errors == []


@pytest.fixture
def rep(browser, live_app):  # noqa: ANN001, ANN201
    session = Session(browser, live_app, "rep1", locale="zh-CN")
    yield session
    session.close()
    assert session.errors == []


def test_manager_reads_the_dashboard(manager, screenshots):  # noqa: ANN001
    page = manager.page
    assert page.url.endswith("/dashboard")  # opens on June, the last complete month
    assert page.locator("select[name=month]").input_value() == "2024-06"
    card = page.locator('[data-kpi="customers_end"] .value')
    assert card.inner_text() == "2"
    assert page.locator('[data-kpi="retention_rate"] .value').inner_text() == "50.0%"
    assert page.locator("#chart-trend canvas").count() == 1  # ECharts drew it
    assert page.locator("#chart-cohort canvas").count() == 1
    page.select_option("select[name=region]", "华北")
    page.click(".filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert card.inner_text() == "1" and "region=" in page.url
    page.screenshot(path=str(screenshots / "dashboard.png"), full_page=True)


def test_rep_worklist_in_chinese_and_switch_to_english(rep, screenshots):  # noqa: ANN001
    page = rep.page
    assert page.url.endswith("/my-customers")
    assert page.locator("h1").inner_text() == "我的客户"
    rows = page.locator("[data-customer]")
    assert [rows.nth(i).get_attribute("data-customer") for i in range(rows.count())] == ["b", "a"]
    page.screenshot(path=str(screenshots / "worklist-zh.png"), full_page=True)
    page.click("a[data-lang=en]")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "My customers"
    page.click("a[data-lang=zh]")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "我的客户"


def test_rep_cannot_open_another_reps_customer(rep):  # noqa: ANN001
    rep.open("/customers/a")
    assert rep.page.locator("h1").inner_text().startswith("A")
    response = rep.page.goto(rep.base + "/customers/c")
    assert response.status == 403
    assert "无权访问" in rep.page.content()
    rep.errors = [e for e in rep.errors if "403" not in e]  # the browser logs the 403 itself


def test_rep_logs_a_contact_on_the_customer_page(rep, screenshots):  # noqa: ANN001
    rep.open("/customers/a")
    page = rep.page
    page.fill("#actions textarea[name=notes]", "电话回访，客户满意")
    page.click("#actions form[action$='/contact'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "电话回访，客户满意" in page.locator("#tasks").inner_text()
    page.screenshot(path=str(screenshots / "customer-360.png"), full_page=True)


def test_rep_resolves_a_complaint(rep, screenshots):  # noqa: ANN001
    rep.open("/complaints")
    page = rep.page
    row = page.locator("#complaint-1")
    row.locator("summary").click()
    row.locator("textarea[name=resolution]").fill("退还差价并致歉")
    row.locator("input[name=compensation]").fill("50")
    page.screenshot(path=str(screenshots / "complaints.png"), full_page=True)
    row.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#complaint-1").count() == 0
    rep.open("/complaints?status=resolved")
    assert "退还差价并致歉" in page.locator("#complaint-1").inner_text()


def test_manager_launches_a_campaign(manager, screenshots):  # noqa: ANN001
    manager.open("/campaigns")
    page = manager.page
    form = page.locator("#new-campaign")
    form.locator("input[name=name]").fill("Enterprise check-in")
    form.locator("select[name=status]").select_option("")
    form.locator("select[name=segment]").select_option("enterprise")
    page.wait_for_selector("#preview-count[data-count='2']")  # htmx preview
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert re.search(r"/campaigns/\d+$", page.url)
    assert page.locator("h1").inner_text() == "Enterprise check-in"
    assert page.locator("table.list tr").count() >= 3
    page.screenshot(path=str(screenshots / "campaign.png"), full_page=True)


def test_rep_finishes_todays_task_in_place(rep):  # noqa: ANN001
    rep.open("/my-customers")
    page = rep.page
    task = page.locator("#tasks .task", has_text="Call B about the renewal")
    task.locator("input[name=outcome]").fill("客户同意续约")
    url = page.url
    task.locator("button[type=submit]").click()
    task.wait_for(state="detached")  # htmx swapped it out, no page load
    assert page.url == url
    rep.open("/customers/b")
    assert "客户同意续约" in page.locator("#tasks").inner_text()


def test_manager_opens_every_other_page_without_errors(manager, screenshots):  # noqa: ANN001
    expected = {"/archive": "Churn archive", "/improvements": "Improvements",
                "/admin": "Administration", "/customers": "Customers",
                "/complaints": "Complaints queue", "/my-customers": "My customers"}
    for path, title in expected.items():
        manager.open(path)
        assert manager.page.locator("h1").inner_text() == title
    manager.page.set_viewport_size({"width": 390, "height": 844})  # a phone
    manager.open("/my-customers")
    assert manager.page.locator("#mainnav").is_hidden()
    manager.page.click("[data-toggle-nav]")
    assert manager.page.locator("#mainnav").is_visible()
    manager.page.screenshot(path=str(screenshots / "phone-worklist.png"), full_page=False)
