"""In a real headless Chromium: the save list by profit at risk and the win-back tab, a
customer page that explains its CLV and health, and the fit warnings on the Admin page."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from tests.browser.conftest import open_shop_copy, serving
from tests.browser.test_pages_browser import Session
from tests.web.pages_support import shop_template  # noqa: F401

pytestmark = pytest.mark.browser
WARNING = "GammaGamma: q = 0.66 <= 1, so the population mean spend is infinite."


def _prepare(ws, app) -> None:  # noqa: ANN001
    """d ties b on profit at risk but is worth more if kept; c is lapsing; b's latest score
    has its CLV parts, health and reasons; the latest fit warned about Gamma-Gamma."""
    from churnguard.workflow.models import Customer

    with app.state.sessionmaker() as db:
        for cid, profit, value, lifecycle in (("a", 150.0, 750.0, "active"),
                                              ("b", 900.0, 1000.0, "active"),
                                              ("c", 285.0, 300.0, "lapsing"),
                                              ("d", 900.0, 2000.0, "active")):
            customer = db.get(Customer, cid)
            customer.profit_at_risk, customer.value_if_retained = profit, value
            customer.lifecycle = lifecycle
        db.commit()
    day = date(2024, 7, 1)
    ws.warehouse.replace("risk_scores", pa.table({
        "customer_id": ["b"], "as_of": pa.array([day]), "p_churn": [0.9], "p_alive": [0.625],
        "expected_purchases": [2.5], "expected_purchases_if_retained": [20.0],
        "expected_spend": [125.0], "margin": [0.4], "clv": [123.8],
        "value_if_retained": [1000.0], "profit_at_risk": [900.0],
        "spend_estimator": ["shrinkage"], "lifecycle": ["active"],
        "reasons": ["no order for 150 days; orders in the last 90 days fell 100%"],
        "reasons_zh": ["已 150 天未下单；近90天订单下降100%"],
        "rules_en": ["orders in the last 90 days fell 100%; late payment"],
        "rules_zh": ["近90天订单下降100%；付款延迟"],
        "health_score": [10.0], "health_purchasing": [2.0], "health_spend": [30.0],
        "health_service": [70.0], "health_payment": [20.0], "health_relationship": [60.0]}))
    ws.warehouse.replace("value_fit_notes", pa.table({
        "as_of": pa.array([day]), "estimator": ["shrinkage"], "message": [WARNING]}))


@pytest.fixture(scope="module")
def scored_app(shop_template, tmp_path_factory):  # noqa: ANN001, ANN201, F811
    ws, app = open_shop_copy(shop_template[0], tmp_path_factory.mktemp("scored") / "shop",
                             _prepare)
    with serving(app) as base:
        yield base
    ws.close()


@pytest.fixture
def manager(browser, scored_app):  # noqa: ANN001, ANN201
    session = Session(browser, scored_app, "manager")
    yield session
    session.close()
    assert session.errors == []


def _rows(page) -> list[str]:  # noqa: ANN001
    rows = page.locator("#worklist [data-customer]")
    return [rows.nth(i).get_attribute("data-customer") for i in range(rows.count())]


def test_manager_walks_the_save_list_then_the_win_back_tab(manager, screenshots):  # noqa: ANN001
    manager.open("/my-customers")
    page = manager.page
    assert _rows(page) == ["d", "b", "a"]
    assert page.locator('#lists a[data-list="lapsing"]').inner_text() == "Win-back: lapsing 1"
    page.screenshot(path=str(screenshots / "worklist-save-list.png"), full_page=True)
    page.click('#lists a[data-list="lapsing"]')
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/my-customers?list=lapsing")
    assert _rows(page) == ["c"] and "¥300" in page.locator("#worklist").inner_text()
    page.screenshot(path=str(screenshots / "worklist-lapsing.png"), full_page=True)


def test_customer_page_explains_clv_health_and_reasons_in_chinese(browser, scored_app,  # noqa: ANN001
                                                                 screenshots):
    session = Session(browser, scored_app, "rep1", locale="zh-CN")
    session.open("/customers/b")
    page = session.page
    parts = page.locator("#clv-parts").inner_text()
    assert "预计购买 2.5 次" in parts and "每次 ¥125" in parts and "毛利率 40.0%" in parts
    assert "若留住预计购买 20.0 次" in page.locator("#retained-parts").inner_text()
    assert page.locator('[data-part="value_if_retained"]').inner_text() == "¥1,000"
    assert page.locator('[data-part="spend_estimator"]').inner_text().endswith("（稳健估计）")
    assert page.locator("#health").inner_text() == "健康度 10"
    assert page.locator("[data-dimension]").count() == 5
    why = page.locator("#why li")
    assert why.count() == 3  # two reasons and the one warning sign that adds something
    page.screenshot(path=str(screenshots / "customer-value-zh.png"), full_page=True)
    session.close()
    assert session.errors == []


def test_admin_page_shows_the_fit_warning(manager):  # noqa: ANN001
    manager.open("/admin")
    card = manager.page.locator("#value-models")
    assert WARNING in card.inner_text()
    assert card.locator("[data-estimator]").get_attribute("data-estimator") == "shrinkage"


def test_on_a_phone_the_worklist_rows_are_cards_with_every_column_in_view(manager,  # noqa: ANN001
                                                                          screenshots):
    page = manager.page
    page.set_viewport_size({"width": 390, "height": 844})
    manager.open("/my-customers")
    first = page.locator("#worklist [data-customer]").first
    assert first.get_attribute("data-customer") == "d"
    why = first.locator("td.why")
    box = why.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    value = first.locator("td.num").nth(1)
    assert value.inner_text() == "¥2,000"
    value_box = value.bounding_box()
    assert value_box is not None and value_box["x"] + value_box["width"] <= 390
    label = value.evaluate("e => getComputedStyle(e, '::before').content")
    assert "Value if retained" in label
    page.screenshot(path=str(screenshots / "phone-worklist-cards.png"), full_page=False)
