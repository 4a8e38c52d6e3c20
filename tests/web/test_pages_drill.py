"""Drill-through: from a dashboard chart point to the customers behind it, in the user's book,
as a page, CSV and xlsx (the shop of tests/web/pages_support.py)."""

from __future__ import annotations

import html
import io
import re

import pandas as pd

from tests.web.pages_support import client_for, shared_shop, shop_template  # noqa: F401


def listed(page: str) -> list[str]:
    return re.findall(r'<tr data-customer="([^"]+)"', page)


def test_churn_in_a_month_lists_who_left_then(shared_shop):  # noqa: F811
    _, app, _ = shared_shop
    manager = client_for(app, "manager")
    may = manager.get("/dashboard/customers?view=churned&period=2024-05&month=2024-06")
    assert may.status_code == 200 and listed(may.text) == ["b"]  # b churns 2024-05-18
    assert "Churned in 2024-05" in may.text and "2024-05-18" in may.text
    june = manager.get("/dashboard/customers?view=churned&period=2024-06&month=2024-06")
    assert listed(june.text) == ["d"]
    kept = manager.get("/dashboard/customers?view=retained&period=2024-06&month=2024-06")
    assert listed(kept.text) == ["a"]  # a and d active on June 1, only a on July 1


def test_filters_and_role_scope_apply(shared_shop):  # noqa: F811
    _, app, _ = shared_shop
    url = "/dashboard/customers?view=segment&group=smb&month=2024-06"
    assert listed(client_for(app, "admin").get(url).text) == ["a", "c"]
    assert listed(client_for(app, "admin").get(url + "&region=华北").text) == ["c"]
    assert listed(client_for(app, "rep1").get(url).text) == ["a"]  # c is rep2's
    assert listed(client_for(app, "rep2").get(url).text) == ["c"]


def test_cohort_cell_lists_the_cohort_with_its_outcome(shared_shop):  # noqa: F811
    _, app, _ = shared_shop
    manager = client_for(app, "manager")
    base = "/dashboard/customers?view=cohort&cohort=2023-12&age=3&month=2024-06"
    page = manager.get(base).text  # d bought 2023-12-15 only: active at April 1 under 180 days
    assert listed(page) == ["d"] and ">Retained<" in page.replace("\n", "").replace(" ", "")
    assert listed(manager.get(base + "&outcome=lost").text) == []
    buyers = manager.get(base + "&measure=buyers&outcome=lost").text
    assert listed(buyers) == ["d"]  # no purchase in March


def test_tier_moves_and_exports(shared_shop):  # noqa: F811
    _, app, _ = shared_shop
    manager = client_for(app, "manager", lang="zh")
    url = "/dashboard/customers?view=migration&target=churned&month=2024-06"
    assert listed(manager.get(url).text) == ["d"]
    csv = manager.get(url + "&format=csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.BytesIO(csv.content), encoding="utf-8-sig")
    assert frame["客户编号"].tolist() == ["d"] and frame["名称"].tolist() == ["丁公司"]
    assert frame["迁入层级"].tolist() == ["churned"] and frame["负责人"].tolist() == ["李强"]
    xlsx = manager.get(url + "&format=xlsx")
    sheet = pd.read_excel(io.BytesIO(xlsx.content))
    assert sheet["客户编号"].tolist() == ["d"]
    rep1 = client_for(app, "rep1").get(url + "&format=csv")
    assert pd.read_csv(io.BytesIO(rep1.content), encoding="utf-8-sig").empty  # d is rep2's


def test_bad_requests_name_the_problem(shared_shop):  # noqa: F811
    _, app, _ = shared_shop
    manager = client_for(app, "manager")
    for query, words in (("view=nope", "view 'nope'"), ("view=cohort&age=1", "needs the parameter"),
                         ("view=cohort&cohort=2023-12&age=x", "whole number"),
                         ("view=churned&period=2024-13", "not YYYY-MM"),
                         ("view=segment&group=smb&format=pdf", "format 'pdf'")):
        response = manager.get(f"/dashboard/customers?{query}&month=2024-06")
        assert response.status_code in (400, 422), query
        assert words in html.unescape(response.text), query
