"""The dashboard in Chromium: KPI definitions (hover with a mouse, tap on a phone), a click on
each kind of chart opening the customers behind it, the cohort views and the tier Sankey.
The shop of tests/web/pages_support.py; screenshots go to CHURNGUARD_SCREENSHOTS."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_pages_browser import Session

pytestmark = pytest.mark.browser


@pytest.fixture
def manager(browser, live_app):  # noqa: ANN001, ANN201
    session = Session(browser, live_app, "manager")
    yield session
    session.close()
    assert session.errors == []


def chart_point(page, chart: str, series: int, point: list) -> tuple[float, float]:  # noqa: ANN001
    """Page coordinates of a data point of an ECharts chart."""
    x, y = page.evaluate(
        "([id, s, p]) => echarts.getInstanceByDom(document.getElementById(id))"
        ".convertToPixel({seriesIndex: s}, p)", [chart, series, point])
    page.locator(f"#{chart}").scroll_into_view_if_needed()
    box = page.locator(f"#{chart}").bounding_box()
    return box["x"] + x, box["y"] + y


def bar_centre(page, chart: str, series: int, index: int) -> tuple[float, float]:  # noqa: ANN001
    """Page coordinates of the middle of a bar of an ECharts bar series."""
    x, y = page.evaluate(
        "([id, s, i]) => { const l = echarts.getInstanceByDom(document.getElementById(id))"
        ".getModel().getSeriesByIndex(s).getData().getItemLayout(i);"
        " return [l.x + l.width / 2, l.y + l.height / 2]; }", [chart, series, index])
    page.locator(f"#{chart}").scroll_into_view_if_needed()
    box = page.locator(f"#{chart}").bounding_box()
    return box["x"] + x, box["y"] + y


def listed(page) -> list[str]:  # noqa: ANN001
    rows = page.locator("#drill-table [data-customer]")
    return [rows.nth(i).get_attribute("data-customer") for i in range(rows.count())]


def test_definition_opens_on_hover_and_on_tap(manager, browser, live_app, screenshots):  # noqa: ANN001
    page = manager.page
    manager.open("/dashboard?month=2024-06")
    popover = page.locator("#def-churn_rate")
    assert popover.is_hidden()
    page.hover('[popovertarget="def-churn_rate"]')
    assert popover.is_visible() and "100% − retention rate" in popover.inner_text()
    button = page.locator('[popovertarget="def-churn_rate"]').bounding_box()
    box = popover.bounding_box()
    assert box["y"] >= button["y"] + button["height"]  # under its button, not over the card
    page.screenshot(path=str(screenshots / "dashboard-definition.png"))
    page.mouse.move(5, 5)
    assert popover.is_hidden()
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                                has_touch=True, is_mobile=True)
    try:
        touch = phone.new_page()
        touch.goto(live_app + "/login")
        touch.fill("input[name=username]", "manager")
        touch.fill("input[name=password]", "pw-secret-1")
        touch.click("form button[type=submit]")
        touch.wait_for_load_state("networkidle")
        touch.goto(live_app + "/dashboard?month=2024-06")
        touch.tap('[popovertarget="def-retention_rate"]')
        shown = touch.locator("#def-retention_rate")
        assert shown.is_visible() and "月初和月末都活跃的客户数" in shown.inner_text()
        inside = shown.bounding_box()
        assert inside["x"] >= 0 and inside["x"] + inside["width"] <= 390
        touch.tap("h1")
        assert shown.is_hidden()  # a tap elsewhere closes it
    finally:
        phone.close()


def test_a_click_on_each_chart_opens_its_customers(manager, screenshots):  # noqa: ANN001
    page = manager.page
    manager.open("/dashboard?month=2024-06")
    # logo vs revenue churn: the June customer-churn bar (50%) -> who churned in June
    page.mouse.click(*bar_centre(page, "chart-logo_vs_revenue", 0, 11))  # the 12th month
    page.wait_for_url(re.compile(r"view=churned"))
    assert "period=2024-06" in page.url and listed(page) == ["d"]
    assert page.locator("h1").inner_text() == "Churned in 2024-06"
    page.screenshot(path=str(screenshots / "drill-churned.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#export-xlsx")
    assert download.value.suggested_filename == "customers-churned-2024-06.xlsx"
    # the cohort heatmap, "bought in the month" view: cohort 2023-12, month 3 -> its customers
    manager.open("/dashboard?month=2024-06")
    page.click('[data-show="cohort-view-buyers"]')
    assert page.locator("#chart-cohort_buyers canvas").count() == 1
    assert page.locator("#chart-cohort").is_hidden()
    cohorts = page.evaluate("echarts.getInstanceByDom(document.getElementById("
                            "'chart-cohort_buyers')).getOption().yAxis[0].data")
    page.mouse.click(*chart_point(page, "chart-cohort_buyers", 0,
                                  ["3", cohorts.index("2023-12")]))
    page.wait_for_url(re.compile(r"view=cohort"))
    assert "measure=buyers" in page.url and "age=3" in page.url and listed(page) == ["d"]
    page.click('[data-outcome="lost"]')
    page.wait_for_load_state("networkidle")
    assert listed(page) == ["d"]  # d did not buy in March


def test_sankey_shows_every_tier_on_both_sides_and_drills(manager, screenshots):  # noqa: ANN001
    page = manager.page
    manager.open("/dashboard?month=2024-06")
    names = page.evaluate("echarts.getInstanceByDom(document.getElementById('chart-migration'))"
                          ".getOption().series[0].data.map(d => d.name)")
    left = {n[:-2] for n in names if n.endswith(" ›")}
    right = {n[2:] for n in names if n.startswith("› ")}
    assert left - {"New", "Churned"} == right - {"New", "Churned"} == {"Core", "Growth", "Maintain"}
    layout = page.evaluate(
        "(() => { const c = echarts.getInstanceByDom(document.getElementById('chart-migration'));"
        " const d = c.getModel().getSeriesByIndex(0).getData();"
        " const i = d.indexOfName('› Churned');"
        " const l = d.getItemLayout(i), at = c.getModel().getSeriesByIndex(0).layoutInfo;"
        " return [at.x + l.x + l.dx / 2, at.y + l.y + Math.max(l.dy, 2) / 2]; })()")
    page.locator("#chart-migration").scroll_into_view_if_needed()
    box = page.locator("#chart-migration").bounding_box()
    page.mouse.click(box["x"] + layout[0], box["y"] + layout[1])
    page.wait_for_url(re.compile(r"view=migration"), timeout=15_000)
    assert "target=churned" in page.url and listed(page) == ["d"]
