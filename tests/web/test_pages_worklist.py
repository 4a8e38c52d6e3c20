"""My customers, Customer 360 and its actions, and who may open whose customer."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from churnguard.workflow.models import ChurnRecord, Offer, RetentionPlan, RiskCase, Task
from tests.web.pages_support import client_for, post, shop, shop_template  # noqa: F401


def test_worklist_lists_own_customers_by_profit_at_risk(shop):  # noqa: F811
    _, app, _ = shop
    page = client_for(app, "rep1").get("/my-customers").text
    assert re.findall(r'data-customer="(\w+)"', page) == ["b", "a"]  # ¥900 before ¥150
    assert "no order for 180 days" in page and "2 customers" in page
    assert "Call B about the renewal" in page
    overdue = page.split('id="overdue"')[1]
    assert "#1" in overdue  # a's complaint passed its deadline yesterday


def test_manager_worklist_covers_the_team(shop):  # noqa: F811
    _, app, _ = shop
    page = client_for(app, "manager").get("/my-customers").text
    assert re.findall(r'data-customer="(\w+)"', page) == ["b", "d", "a", "c"]


def test_rep_cannot_open_another_reps_customer_by_url(shop):  # noqa: F811
    _, app, _ = shop
    client = client_for(app, "rep1")
    assert client.get("/customers/a").status_code == 200
    response = client.get("/customers/c")
    assert response.status_code == 403 and "another owner" in response.text
    assert client.get("/customers/zz").status_code == 404
    assert post(client, "/customers/c/contact", {"kind": "call", "notes": "hi"}
                ).status_code == 403


def test_customer_360_shows_orders_risk_and_complaints(shop):  # noqa: F811
    _, app, _ = shop
    page = client_for(app, "rep1", lang="zh").get("/customers/a").text
    assert "客户全景" in page and "¥200" in page and "¥100" in page
    assert "2024-06-05" in page and "orders fell 60%" in page
    assert "价格太高了" in page
    assert 'id="chart-spend"' in page


def test_search_finds_only_visible_customers(shop):  # noqa: F811
    _, app, _ = shop
    page = client_for(app, "rep1").get("/customers?q=C").text
    assert "/customers/c" not in page
    page = client_for(app, "manager").get("/customers?q=C").text
    assert "/customers/c" in page


def test_log_contact_and_finish_a_task(shop):  # noqa: F811
    _, app, ids = shop
    client = client_for(app, "rep1")
    response = post(client, "/customers/a/contact", {"kind": "visit", "notes": "拜访了采购经理"})
    assert response.status_code == 303
    with app.state.sessionmaker() as db:
        task = db.scalar(select(Task).where(Task.customer_id == "a"))
        assert (task.kind, task.status, task.outcome, task.owner_id) == (
            "visit", "done", "拜访了采购经理", ids["rep1"])
        open_task = db.scalar(select(Task).where(Task.customer_id == "b"))
    response = post(client, f"/tasks/{open_task.id}/done",
                    {"outcome": "renewed", "version": open_task.version})
    assert response.status_code == 303
    with app.state.sessionmaker() as db:
        assert db.get(Task, open_task.id).status == "done"
    stale = post(client, f"/tasks/{open_task.id}/done",
                 {"outcome": "again", "version": open_task.version})
    assert stale.status_code == 409


def test_plan_with_offer_opens_a_case(shop):  # noqa: F811
    _, app, _ = shop
    client = client_for(app, "rep1")
    response = post(client, "/customers/b/plan",
                    {"summary": "续约九五折", "offer": "5% off renewal", "cost": "120"})
    assert response.status_code == 303
    with app.state.sessionmaker() as db:
        case = db.scalar(select(RiskCase).where(RiskCase.customer_id == "b"))
        plan = db.scalar(select(RetentionPlan).where(RetentionPlan.case_id == case.id))
        offer = db.scalar(select(Offer).where(Offer.plan_id == plan.id))
        assert (case.stage, plan.summary, offer.description, offer.cost) == (
            "plan_in_place", "续约九五折", "5% off renewal", 120.0)
    assert "5% off renewal" in client.get("/customers/b").text


def test_record_churn_then_win_back(shop):  # noqa: F811
    _, app, _ = shop
    client = client_for(app, "rep1")
    response = post(client, "/customers/b/churn", {"churn_date": "2024-05-18",
                                                   "reason": "price", "valuable": "true",
                                                   "notes": "换了供应商"})
    assert response.status_code == 303
    archive = client.get("/archive").text
    assert "乙公司" in archive or "B 公司" in archive
    assert "2024-05-18" in archive
    again = post(client, "/customers/b/churn", {"churn_date": "2024-05-20", "reason": "price"})
    assert again.status_code == 422 and "already in the churn archive" in again.text
    early = post(client, "/customers/b/won-back", {"won_back_on": "2024-01-01"})
    assert early.status_code == 422 and "before the churn date" in early.text
    assert post(client, "/customers/b/won-back", {"won_back_on": "2024-07-02"}
                ).status_code == 303
    with app.state.sessionmaker() as db:
        record = db.scalar(select(ChurnRecord).where(ChurnRecord.customer_id == "b"))
        assert (record.reason, record.valuable, str(record.won_back_on)) == (
            "price", True, "2024-07-02")


def test_worklist_shows_the_rules_each_customer_fired(shop):  # noqa: F811
    import pyarrow as pa

    ws, app, _ = shop
    ws.warehouse.replace("risk_scores", pa.table({
        "customer_id": ["b", "b", "a"],
        "as_of": pa.array([date(2024, 6, 1), date(2024, 7, 1), date(2024, 7, 1)]),
        "p_churn": [0.5, 0.9, 0.2],
        "rules_en": ["old rule", "orders fell 60%; late payment", ""],
        "rules_zh": ["旧规则", "订单下降60%；付款延迟", ""],
        "reasons": ["", "0 orders in the last 90 days", ""],
        "reasons_zh": ["", "近90天订单 0 笔", ""],
        "health_score": [50.0, 12.0, 90.0], "health_payment": [50.0, 30.0, 90.0]}))
    page = client_for(app, "rep1").get("/my-customers").text
    row_b = page.split('data-customer="b"')[1].split("</tr>")[0]
    assert "orders fell 60%" in row_b and "late payment" in row_b and "old rule" not in row_b
    page = client_for(app, "rep1", lang="zh").get("/my-customers").text
    row_b = page.split('data-customer="b"')[1].split("</tr>")[0]
    assert "付款延迟" in row_b and "近90天订单 0 笔" in row_b
    assert "no order for 180 days" not in row_b  # the model's reasons in Chinese win
    risk = client_for(app, "rep1", lang="zh").get("/customers/b").text.split('id="risk"')[1]
    assert "健康度 12" in risk and "付款" in risk and "width:30%" in risk


def test_reps_see_the_service_goals_on_their_worklist(shop):  # noqa: F811
    from churnguard.report.goals import save_goals

    ws, app, _ = shop
    assert 'id="goals"' not in client_for(app, "rep1").get("/my-customers").text
    save_goals(ws, {"retention_rate": 0.8})
    page = client_for(app, "rep1", lang="zh").get("/my-customers").text
    goal = page.split('data-goal="retention_rate"')[1].split('</div>\n      </div>')[0]
    assert "客户留存率" in goal and "≥ 80.0%" in goal and "50.0%" in goal


def test_worklist_reflects_a_change_made_after_it_was_shown(shop):  # noqa: F811
    _, app, ids = shop
    rep1, rep2 = client_for(app, "rep1"), client_for(app, "rep2")
    assert re.findall(r'data-customer="(\w+)"', rep1.get("/my-customers").text) == ["b", "a"]
    assert re.findall(r'data-customer="(\w+)"', rep1.get("/my-customers").text) == ["b", "a"]
    post(client_for(app, "manager"), "/admin/handover",
         {"from_user": ids["rep1"], "to_user": ids["rep2"], "reason": "left"})
    assert re.findall(r'data-customer="(\w+)"', rep1.get("/my-customers").text) == []
    assert re.findall(r'data-customer="(\w+)"', rep2.get("/my-customers").text) == [
        "b", "d", "a", "c"]
