"""Cost-to-serve drivers (activities), activity cost pools and share-of-wallet estimates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnguard.synth.company import Company

# Cost per driver unit (yuan): what serving a customer really costs (作业成本法).
ACTIVITY_RATES = {
    "order_handling": 18.0,
    "delivery": 45.0,
    "sales_visit": 650.0,
    "support_ticket": 120.0,
    "return_processing": 85.0,
    "custom_setup": 2400.0,
}
VISITS_PER_YEAR = np.array([6.0, 1.5, 0.0])
SETUPS_PER_YEAR = np.array([0.6, 0.1, 0.0])


def make_activities(rng: np.random.Generator, company: Company, orders: pd.DataFrame,
                    interactions: pd.DataFrame) -> pd.DataFrame:
    """Yearly driver counts per customer (``date`` = 1 January of the year)."""
    year = orders["order_date"].dt.year
    positive = orders["amount"] > 0
    counted = pd.DataFrame({
        "customer_id": orders["customer_id"],
        "year": year,
        "order_handling": positive.astype(float),
        "return_processing": (~positive).astype(float),
        "delivery": np.where(positive, rng.choice([1.0, 1.0, 1.0, 2.0], len(orders)), 0.0),
    })
    per_year = counted.groupby(["customer_id", "year"], sort=False).sum()
    complaints = interactions[interactions["kind"] == "complaint"]
    tickets = complaints.groupby([complaints["customer_id"], complaints["ts"].dt.year.rename(
        "year")]).size().rename("support_ticket").astype(float)
    per_year = per_year.join(tickets, how="left").fillna({"support_ticket": 0.0})
    seg = pd.Series(company.segment_index, index=company.customers["customer_id"])
    seg_of_row = seg.reindex(per_year.index.get_level_values("customer_id")).to_numpy()
    per_year["sales_visit"] = rng.poisson(VISITS_PER_YEAR[seg_of_row]).astype(float)
    per_year["custom_setup"] = rng.poisson(SETUPS_PER_YEAR[seg_of_row]).astype(float)
    long = per_year.reset_index().melt(id_vars=["customer_id", "year"], var_name="activity",
                                       value_name="count")
    long = long[long["count"] > 0]
    long["date"] = pd.to_datetime(long["year"].astype(str) + "-01-01")
    return long[["customer_id", "activity", "date", "count"]].reset_index(drop=True)


def make_cost_pools(rng: np.random.Generator, activities: pd.DataFrame) -> pd.DataFrame:
    """Yearly cost per activity: driver volume × unit cost, with ±10% noise."""
    volume = activities.groupby(["activity", "date"], as_index=False)["count"].sum()
    rate = volume["activity"].map(ACTIVITY_RATES).to_numpy()
    noise = rng.uniform(0.9, 1.1, len(volume))
    return pd.DataFrame({
        "activity": volume["activity"],
        "period": volume["date"],
        "total_cost": np.round(volume["count"].to_numpy() * rate * noise, 2),
    })


def make_wallet(rng: np.random.Generator, company: Company, orders: pd.DataFrame) -> pd.DataFrame:
    """Survey estimates of total category spend for a third of customers, per year."""
    ids = company.customers["customer_id"]
    sampled = set(ids[rng.random(len(ids)) < 0.33])
    mine = orders[orders["customer_id"].isin(sampled)]
    revenue = mine.groupby([mine["customer_id"], mine["order_date"].dt.year.rename("year")])[
        "amount"].sum()
    revenue = revenue[revenue > 0].reset_index()
    churn_year = pd.Series(company.churn_at.astype("datetime64[Y]").astype(int) + 1970,
                           index=ids)
    leaving = revenue["year"].to_numpy() >= churn_year.reindex(revenue["customer_id"]).to_numpy()
    share = rng.beta(5, 3, len(revenue)) * np.where(leaving, 0.55, 1.0)
    return pd.DataFrame({
        "customer_id": revenue["customer_id"],
        "period": pd.to_datetime(revenue["year"].astype(str) + "-01-01"),
        "category_spend": np.round(revenue["amount"].to_numpy() / share.clip(0.05), 2),
    })
