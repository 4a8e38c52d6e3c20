"""The synthetic company behaves like the business the seeds describe."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnguard.synth import DEFAULT_END, generate


@pytest.fixture(scope="module")
def company() -> dict[str, pd.DataFrame]:
    return generate(4000, years=3, seed=7, end=DEFAULT_END)


def test_same_seed_same_company_and_other_seed_differs():
    a, b, c = generate(300, seed=1), generate(300, seed=1), generate(300, seed=2)
    pd.testing.assert_frame_equal(a["orders"], b["orders"])
    assert not a["orders"]["amount"].equals(c["orders"]["amount"])


def test_history_spans_the_years_and_ends_before_the_end_date(company):
    dates = company["orders"]["order_date"]
    assert dates.max() < pd.Timestamp(DEFAULT_END)
    assert dates.min() >= pd.Timestamp(DEFAULT_END) - pd.Timedelta(days=3 * 366)
    assert company["orders"]["order_id"].is_unique
    assert company["interactions"]["interaction_id"].is_unique


def test_customers_about_to_leave_buy_less_often_and_less(company):
    orders = company["orders"][company["orders"]["amount"] > 0]
    truth = company["ground_truth"].dropna(subset=["true_churn_date"])
    joined = orders.merge(truth, on="customer_id")
    before = joined["true_churn_date"] - joined["order_date"]
    late = joined[(before > pd.Timedelta(0)) & (before <= pd.Timedelta(days=150))]
    early = joined[(before > pd.Timedelta(days=150)) & (before <= pd.Timedelta(days=300))]
    assert len(late) < 0.75 * len(early)
    assert late["amount"].mean() < 0.9 * early["amount"].mean()


def test_leavers_complain_more_and_exit_texts_carry_their_reason(company):
    inter = company["interactions"]
    truth = company["ground_truth"]
    leavers = set(truth.loc[truth["true_churn_date"].notna(), "customer_id"])
    complaints = inter[inter["kind"] == "complaint"]
    per_leaver = complaints["customer_id"].isin(leavers).sum() / len(leavers)
    per_stayer = (~complaints["customer_id"].isin(leavers)).sum() / (len(truth) - len(leavers))
    assert per_leaver > 2 * per_stayer
    exits = inter[inter["kind"] == "exit_survey"].merge(truth, on="customer_id")
    price = exits[exits["true_reason"] == "price"]["text"]
    assert price.str.contains("价|便宜|预算|price|quote|cost|cheaper", regex=True).mean() > 0.95
    assert set(exits["reason"].dropna()) <= set(exits["true_reason"])


def test_customers_of_a_departed_owner_churn_more_in_the_months_after(company):
    customers = company["customers"].merge(company["ground_truth"], on="customer_id")
    staff = company["staff"].rename(columns={"staff_id": "owner_id"})
    customers = customers.merge(staff[["owner_id", "left_date"]], on="owner_id")
    affected = customers["left_date"].notna() & (customers["signup_date"] < customers["left_date"])
    window_start = customers["left_date"].where(affected, customers["left_date"].median())
    alive = customers["true_churn_date"].isna() | (customers["true_churn_date"] >= window_start)
    within = (customers["true_churn_date"] - window_start).dt.days.between(0, 179)
    rate_affected = within[affected & alive].mean()
    rate_others = within[~affected & alive & (customers["signup_date"] < window_start)].mean()
    assert rate_affected > 2 * rate_others
    assert (customers.loc[customers["true_reason"] == "staff_departure", "left_date"]
            .notna().all())


def test_purchase_rates_are_heterogeneous(company):
    counts = company["orders"].groupby("customer_id").size()
    assert counts.std() / counts.mean() > 0.8  # gamma-mixed rates, not one Poisson rate


def test_chinese_new_year_dip(company):
    orders = company["orders"]
    daily = orders.set_index("order_date").resample("D").size()
    dip = daily["2025-01-29":"2025-02-05"].mean()
    around = pd.concat([daily["2025-01-01":"2025-01-15"], daily["2025-03-01":"2025-03-15"]])
    assert dip < 0.7 * around.mean()


def test_activity_pools_give_plausible_driver_rates(company):
    volume = company["activities"].groupby("activity")["count"].sum()
    cost = company["cost_pools"].groupby("activity")["total_cost"].sum()
    rate = (cost / volume).to_dict()
    assert 15 < rate["order_handling"] < 21
    assert 500 < rate["sales_visit"] < 800
    assert np.isfinite(list(rate.values())).all()


def test_history_ends_today_unless_an_end_is_given() -> None:
    from datetime import date, timedelta

    before = date.today()
    tables = generate(150, years=1, seed=4)
    after = date.today()
    days = pd.to_datetime(tables["orders"]["order_date"]).dt.date
    assert days.max() < after and days.min() >= before - timedelta(days=366)
    fixed = generate(150, years=1, seed=4, end=date(2020, 1, 1))
    days = pd.to_datetime(fixed["orders"]["order_date"]).dt.date
    assert days.max() < date(2020, 1, 1) and days.min() >= date(2019, 1, 1)
