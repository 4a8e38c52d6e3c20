"""The worklist's two lists: the save list by profit at risk (ties by value if retained) and
the win-back list of lapsing customers by value; one list of reasons per customer."""

from __future__ import annotations

import re

from churnguard.web.pages.worklist import why_at_risk
from churnguard.workflow.models import Customer
from tests.web.pages_support import client_for, shop, shop_template  # noqa: F401


def _rows(page: str) -> list[str]:
    return re.findall(r'data-customer="(\w+)"', page)


def _score(app) -> None:  # noqa: ANN001
    """d ties b on profit at risk (¥900) but is worth more if kept; b's higher p_churn (0.9
    against 0.7) would have put it first. c is lapsing, worth ¥300 if won back."""
    with app.state.sessionmaker() as db:
        for cid, profit, value, lifecycle in (("a", 150.0, 750.0, "active"),
                                              ("b", 900.0, 1000.0, "active"),
                                              ("c", 285.0, 300.0, "lapsing"),
                                              ("d", 900.0, 2000.0, "active")):
            customer = db.get(Customer, cid)
            customer.profit_at_risk, customer.value_if_retained = profit, value
            customer.lifecycle = lifecycle
        db.commit()


def test_save_list_by_profit_at_risk_ties_by_value_and_lapsing_apart(shop):  # noqa: F811
    _, app, _ = shop
    _score(app)
    client = client_for(app, "manager")
    page = client.get("/my-customers").text
    assert _rows(page) == ["d", "b", "a"]  # c is not on the save list
    assert "¥2,000" in page and "Value if retained" in page
    assert re.search(r'data-list="save">Save list <span class="muted">3</span>', page)
    assert re.search(r'data-list="lapsing">Win-back: lapsing <span class="muted">1</span>', page)
    lapsing = client.get("/my-customers?list=lapsing").text
    assert _rows(lapsing) == ["c"] and "¥300" in lapsing
    assert 'id="worklist" data-list="lapsing"' in lapsing


def test_rep_lists_in_chinese(shop):  # noqa: F811
    _, app, _ = shop
    _score(app)
    client = client_for(app, "rep2", lang="zh")
    assert _rows(client.get("/my-customers").text) == ["d"]
    page = client.get("/my-customers?list=lapsing").text
    assert _rows(page) == ["c"] and "召回名单" in page and "留住后的价值" in page
    assert _rows(client.get("/my-customers?list=nonsense").text) == ["d"]  # the save list


def test_why_at_risk_is_one_list_without_repeats():
    # as the demo's scores say them: a reason, the rule on the same silence with more to
    # say, a reason and a rule with the same sentence, a rule on its own (twice)
    reasons = ["no order for 167 days", "0 orders in the last 90 days",
               "orders in the last 90 days fell 100% against the 90 before"]
    rules = ["no order for 167 days, more than twice the customer's usual gap",
             "Orders in the last 90 days fell 100% against the 90 before.",
             "pays 17 days late on average", "pays 17 days late on average"]
    assert why_at_risk(reasons, rules) == [
        {"text": "no order for 167 days, more than twice the customer's usual gap",
         "kind": "reason"},
        {"text": "0 orders in the last 90 days", "kind": "reason"},
        {"text": "orders in the last 90 days fell 100% against the 90 before",
         "kind": "reason"},
        {"text": "pays 17 days late on average", "kind": "rule"}]
    assert why_at_risk([], []) == []


def test_a_row_shows_four_reasons_and_links_to_the_rest(shop):  # noqa: F811
    _, app, _ = shop
    with app.state.sessionmaker() as db:
        db.get(Customer, "b").reasons = [f"reason {k}" for k in range(1, 7)]
        db.commit()
    page = client_for(app, "rep1").get("/my-customers").text
    row = page.split('data-customer="b"')[1].split("</tr>")[0]
    assert "reason 4" in row and "reason 5" not in row
    assert '<a class="muted" href="/customers/b#why">+2 more</a>' in row


def test_a_rule_on_the_same_feature_as_a_reason_is_shown_once():
    # the demo's wording: the reason and the rule on the owner leaving and on satisfaction
    # say it differently; their features say they are the same fact
    reasons = ["the account owner left 154 days ago", "last satisfaction score 2.0 of 5"]
    rules = ["the account owner left the company 154 days ago", "last satisfaction score was "
             "2 of 5", "orders in the last 90 days fell 75% against the 90 before"]
    subjects = (["days_since_owner_left", "last_csat"],
                ["days_since_owner_left", "last_csat", "orders_change_90d"])
    assert why_at_risk(reasons, rules, subjects=subjects) == [
        {"text": "the account owner left 154 days ago", "kind": "reason"},
        {"text": "last satisfaction score 2.0 of 5", "kind": "reason"},
        {"text": "orders in the last 90 days fell 75% against the 90 before", "kind": "rule"}]
    # without the features (or when they do not line up) only the words can tell
    assert len(why_at_risk(reasons, rules)) == 5
    assert len(why_at_risk(reasons, rules, subjects=(["x"], ["y"]))) == 5
