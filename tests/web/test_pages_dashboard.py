"""The dashboard: KPI cards with arrows, filters, charts, goals; only managers and admins."""

from __future__ import annotations

import json
import re

from tests.web.pages_support import client_for, post, shared_shop, shop_template  # noqa: F401


def kpi_card(page: str, column: str) -> str:
    match = re.search(rf'data-kpi="{column}">(.*?)</div>\s*</div>', page, re.S)
    assert match, f"no KPI card {column}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def test_cards_show_june_against_may(shared_shop):  # noqa: F811
    _, app, _ = shared_shop
    page = client_for(app, "manager").get("/dashboard?month=2024-06").text
    # June: start 2 (a, d), new 1 (c), churned 1 (d), end 2; retention 1/2 against May's 2/3.
    assert kpi_card(page, "customers_end").startswith("Customer base 2 ▬")
    assert kpi_card(page, "new_customers").startswith("New customers 1 ▲ +1")
    retention = kpi_card(page, "retention_rate")
    assert retention.startswith("Retention rate 50.0% ▼ -16.7 pp")
    assert 'data-kpi="retention_rate"' in page
    assert re.search(r'data-kpi="retention_rate">.*?class="delta bad"', page, re.S)
    assert re.search(r'data-kpi="churn_rate">.*?class="delta bad"', page, re.S)


def test_region_filter_recomputes_for_those_customers(shared_shop):  # noqa: F811
    _, app, _ = shared_shop
    page = client_for(app, "manager").get("/dashboard?month=2024-06&region=华北").text
    # 华北 is c and d: d churns in June, c arrives: end 1, retention 0.
    assert kpi_card(page, "customers_end").startswith("Customer base 1")
    assert kpi_card(page, "retention_rate").startswith("Retention rate 0.0%")
    assert kpi_card(page, "revenue").startswith("Revenue ¥50")


def test_charts_carry_twelve_months_of_trend(shared_shop):  # noqa: F811
    _, app, _ = shared_shop
    page = client_for(app, "manager").get("/dashboard?month=2024-06").text
    option = re.search(r'id="chart-trend"[^>]*data-option=\'([^\']+)\'', page).group(1)
    trend = json.loads(option.replace("&#34;", '"').replace("&quot;", '"'))
    assert trend["xAxis"]["data"][0] == "2023-07" and trend["xAxis"]["data"][-1] == "2024-06"
    assert trend["series"][0]["data"][-1] == 50.0  # retention in June, percent
    assert 'id="chart-cohort"' in page and 'id="chart-survival"' in page


def test_missing_scores_leave_an_empty_state_not_an_error(shared_shop):  # noqa: F811
    _, app, _ = shared_shop
    page = client_for(app, "manager").get("/dashboard?month=2024-06").text
    panel = page.split('id="panel-risk_by_tier"')[1].split("</div>")[0]
    assert "risk_scores" in panel and "not available" in panel


def test_chinese_dashboard_labels(shared_shop):  # noqa: F811
    _, app, _ = shared_shop
    page = client_for(app, "manager", lang="zh").get("/dashboard?month=2024-06").text
    for label in ("客户留存仪表盘", "客户基数", "客户留存率", "客户流失率", "服务目标"):
        assert label in page


def test_goals_are_saved_and_show_progress(shared_shop):  # noqa: F811
    ws, app, _ = shared_shop
    client = client_for(app, "manager")
    response = post(client, "/dashboard/goals", {"retention_rate": "80", "churn_rate": "",
                                                 "next": "/dashboard?month=2024-06"})
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard?month=2024-06"
    assert json.loads((ws.folder / "goals.json").read_text()) == {"retention_rate": 0.8}
    page = client.get("/dashboard?month=2024-06").text
    row = page.split('data-goal="retention_rate"')[1].split("</tr>")[0]
    assert "≥ 80.0%" in row and "50.0%" in row and "width:62%" in row and "Not yet" in row


def test_goal_that_is_not_a_number_is_refused(shared_shop):  # noqa: F811
    _, app, _ = shared_shop
    response = post(client_for(app, "manager"), "/dashboard/goals", {"retention_rate": "lots"})
    assert response.status_code == 422
    assert "&#39;lots&#39; is not a number" in response.text


def test_goals_that_are_not_finite_are_refused_and_the_dashboard_stays_up(shared_shop):  # noqa: F811
    ws, app, _ = shared_shop
    client = client_for(app, "manager")
    for text in ("inf", "nan", "1e400"):
        response = post(client, "/dashboard/goals", {"customers_end": text})
        assert response.status_code == 422, (text, response.status_code)
        assert "is not a finite number" in response.text
    assert client.get("/dashboard?month=2024-06").status_code == 200


def test_reps_cannot_open_the_dashboard(shared_shop):  # noqa: F811
    _, app, _ = shared_shop
    response = client_for(app, "rep1").get("/dashboard")
    assert response.status_code == 403
    assert "You may not open this page" in response.text


def test_far_months_are_refused_not_a_server_error(shared_shop):  # noqa: F811
    _, app, _ = shared_shop
    client = client_for(app, "manager")
    client.headers["accept"] = "application/json"
    for month in ("9999-12", "0001-01"):
        response = client.get("/dashboard", params={"month": month})
        assert response.status_code == 422, (month, response.text[:200])
        assert "is outside 1900-01-01 to 2999-12-31" in response.json()["detail"]


def test_every_kpi_card_has_its_definition_one_click_away(shared_shop):  # noqa: F811
    from churnguard.report.definitions import kpi_definition

    _, app, _ = shared_shop
    for lang in ("en", "zh"):
        page = client_for(app, "manager", lang=lang).get("/dashboard?month=2024-06").text
        cards = re.findall(r'data-kpi="([a-z0-9_]+)"', page)
        assert len(cards) >= 10
        for column in cards:
            target = re.search(rf'popovertarget="def-{column}"', page)
            assert target, f"no info button on {column}"
            popover = re.search(rf'<div popover id="def-{column}"[^>]*>(.*?)</div>', page, re.S)
            assert popover and kpi_definition(column, lang).formula in popover.group(1)
        listed = re.search(r'id="definitions".*?</dl>', page, re.S).group(0)
        assert listed.count("<dt") == len(cards)
    english = client_for(app, "manager", lang="en").get("/dashboard?month=2024-06").text
    assert re.search(r'id="def-churn_rate".*?<span class="muted"[^>]*>客户流失率</span>', english,
                     re.S)
