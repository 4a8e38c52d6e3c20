"""Customer 360 explains its numbers: CLV with its parts (expected purchases, spend per
purchase, margin, estimator, value if retained, p_alive) in the reader's language, the health
score beside dimensions it agrees with, and one list of reasons."""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from churnguard.workflow.models import Customer
from tests.web.pages_support import client_for, shop, shop_template  # noqa: F401


def _scores(ws) -> None:  # noqa: ANN001
    """b's latest score: 2.5 purchases expected (4.0 if kept) × ¥120 × 40% margin."""
    ws.warehouse.replace("risk_scores", pa.table({
        "customer_id": ["b", "b"],
        "as_of": pa.array([date(2024, 6, 1), date(2024, 7, 1)]),
        "p_churn": [0.5, 0.9], "p_alive": [0.8, 0.625],
        "expected_purchases": [3.0, 2.5], "expected_purchases_if_retained": [4.0, 4.0],
        "expected_spend": [118.0, 120.0], "margin": [0.4, 0.4],
        "clv": [140.0, 117.6], "value_if_retained": [190.0, 188.2],
        "profit_at_risk": [95.0, 169.38], "spend_estimator": ["gamma_gamma", "shrinkage"],
        "lifecycle": ["active", "lapsing"],
        "reasons": ["", "no order for 150 days; orders in the last 90 days fell 100%"],
        "reasons_zh": ["", "已 150 天未下单；近90天订单下降100%"],
        "rules_en": ["", "orders in the last 90 days fell 100%; late payment"],
        "rules_zh": ["", "近90天订单下降100%；付款延迟"],
        "health_score": [50.0, 10.0], "health_purchasing": [40.0, 2.0],
        "health_spend": [60.0, 30.0], "health_service": [55.0, 70.0],
        "health_payment": [50.0, 20.0], "health_relationship": [45.0, 60.0]}))




def test_customer_page_shows_clv_and_its_parts_in_english(shop):  # noqa: F811
    ws, app, _ = shop
    _scores(ws)
    with app.state.sessionmaker() as db:
        customer = db.get(Customer, "b")
        customer.p_churn, customer.value_if_retained = 0.9, 188.2
        customer.profit_at_risk, customer.lifecycle = 169.38, "lapsing"
        db.commit()
    page = client_for(app, "rep1").get("/customers/b").text
    value = page.split('id="value"')[1].split('id="risk"')[0]
    assert 'data-part="clv">¥118<' in value  # 117.6 as money
    assert ("2.5 expected purchases (counting the 62.5% chance the customer is still active)"
            " × ¥120 per purchase × 40.0% margin") in value
    assert 'data-part="value_if_retained">¥188<' in value
    assert "4.0 purchases if the customer stays × ¥120 per purchase × 40.0% margin" in value
    assert 'data-part="p_alive">62.5%<' in value and 'data-part="margin">40.0%<' in value
    assert "shrunk towards the group average" in value  # the latest score's estimator
    risk = page.split('id="risk"')[1].split('id="orders"')[0]
    assert "Lapsing" in risk and "= 90.0% × ¥188" in risk


def test_profit_at_risk_parts_name_the_cost_to_serve(shop):  # noqa: F811
    ws, app, _ = shop
    ws.warehouse.replace("risk_scores", pa.table({
        "customer_id": ["b"], "as_of": pa.array([date(2024, 7, 1)]), "p_churn": [0.5],
        "value_if_retained": [300.0], "cost_to_serve": [60.0], "profit_at_risk": [120.0]}))
    with app.state.sessionmaker() as db:
        customer = db.get(Customer, "b")
        customer.p_churn, customer.value_if_retained, customer.profit_at_risk = 0.5, 300.0, 120.0
        db.commit()
    page = client_for(app, "rep1").get("/customers/b").text
    assert "= 50.0% × (¥300 − ¥60 cost to serve)" in page.split('id="profit-parts"')[1]


def test_customer_page_in_chinese_and_one_list_of_reasons(shop):  # noqa: F811
    ws, app, _ = shop
    _scores(ws)
    page = client_for(app, "rep1", lang="zh").get("/customers/b").text
    value = page.split('id="value"')[1].split('id="risk"')[0]
    assert "预计购买 2.5 次" in value and "每次 ¥120" in value and "毛利率 40.0%" in value
    assert "若留住预计购买 4.0 次" in value and "稳健估计" in value
    why = page.split('id="why"')[1].split("</ul>")[0]
    items = why.count("<li")
    # two reasons and one rule: the rule repeating a reason is not shown twice
    assert items == 3 and why.count("近90天订单下降100%") == 1 and "付款延迟" in why
    assert why.count('data-kind="rule"') == 1


def test_reasons_and_rules_on_the_same_subject_are_one_item(shop):  # noqa: F811
    ws, app, _ = shop
    ws.warehouse.replace("risk_scores", pa.table({
        "customer_id": ["b"], "as_of": pa.array([date(2024, 7, 1)]), "p_churn": [0.9],
        "reasons": ["the account owner left 154 days ago; 1 complaints still unresolved"],
        "reasons_zh": ["客户负责人已离职 154 天；1 个投诉尚未解决"],
        "reason_1": ["days_since_owner_left"], "reason_2": ["unresolved_complaints"],
        "reason_3": pa.array([None], pa.string()),
        "rules_fired": ["unresolved_complaint, owner_left, late_payment"],
        "rules_en": ["1 complaint(s) still unresolved; the account owner left the company 154 "
                     "days ago; pays 20 days late on average"],
        "rules_zh": ["1 个投诉未解决；负责人离职 154 天；平均逾期 20 天付款"]}))
    for lang, expected in (("en", ["the account owner left 154 days ago",
                                   "1 complaints still unresolved",
                                   "pays 20 days late on average"]),
                           ("zh", ["客户负责人已离职 154 天", "1 个投诉尚未解决",
                                   "平均逾期 20 天付款"])):
        page = client_for(app, "rep1", lang=lang).get("/customers/b").text
        why = page.split('id="why"')[1].split("</ul>")[0]
        items = [part.split("<")[0].strip() for part in why.split('">')[1:]
                 if part.split("<")[0].strip()]
        assert [i for i in items if i not in ("warning sign", "预警信号")] == expected
        assert why.count('data-kind="rule"') == 1


def test_health_score_sits_within_its_dimensions(shop):  # noqa: F811
    ws, app, _ = shop
    _scores(ws)
    risk = client_for(app, "rep1").get("/customers/b").text.split('id="risk"')[1]
    assert "Health score 10" in risk and "log-odds" in risk
    dims = dict(zip(["purchasing", "spend", "service", "payment", "relationship"],
                    [2, 30, 70, 20, 60], strict=True))
    for dim, v in dims.items():
        assert f'data-dimension="{dim}"' in risk and f"width:{v}%" in risk


def test_the_owner_is_the_app_user_not_the_warehouse_staff_id(shop):  # noqa: F811
    _, app, _ = shop
    with app.state.sessionmaker() as db:
        db.get(Customer, "b").warehouse_owner_id = "S0041"
        db.commit()
    page = client_for(app, "rep1").get("/customers/b").text
    assert '<dd id="owner" translate="no">rep1</dd>' in page
    assert "S0041" not in page.split('id="profile"')[1].split('id="value"')[0]
