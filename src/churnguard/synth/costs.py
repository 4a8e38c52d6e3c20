"""Cost-to-serve drivers (activities), activity cost pools and share-of-wallet estimates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnguard.synth.company import Company
from churnguard.synth.ids import id_numbers

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
    n_years = 100
    first_year = int(orders["order_date"].dt.year.min())
    key = id_numbers(orders["customer_id"]) * n_years + (
        orders["order_date"].dt.year.to_numpy() - first_year)
    positive = orders["amount"].to_numpy() > 0
    counts = pd.DataFrame({
        "order_handling": positive.astype(float),
        "return_processing": (~positive).astype(float),
        "delivery": np.where(positive, rng.choice([1.0, 1.0, 1.0, 2.0], len(orders)), 0.0),
    }).groupby(key).sum()
    complaints = interactions[interactions["kind"] == "complaint"]
    ticket_key = id_numbers(complaints["customer_id"]) * n_years + (
        complaints["ts"].dt.year.to_numpy() - first_year)
    tickets = pd.Series(1.0, index=ticket_key).groupby(level=0).sum()
    counts["support_ticket"] = tickets.reindex(counts.index, fill_value=0.0).to_numpy()
    customer = counts.index.to_numpy() // n_years
    seg = company.segment_index[customer]
    counts["sales_visit"] = rng.poisson(VISITS_PER_YEAR[seg]).astype(float)
    counts["custom_setup"] = rng.poisson(SETUPS_PER_YEAR[seg]).astype(float)
    years = pd.to_datetime(
        (first_year + counts.index.to_numpy() % n_years - 1970).astype("datetime64[Y]"))
    ids = company.customers["customer_id"].to_numpy()[customer]
    parts = [
        pd.DataFrame({"customer_id": ids, "activity": name, "date": years,
                      "count": counts[name].to_numpy()})
        for name in ACTIVITY_RATES
    ]
    long = pd.concat(parts, ignore_index=True)
    return long[long["count"] > 0].reset_index(drop=True)


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
    n = len(company.signup)
    sampled = rng.random(n) < 0.33
    customer = id_numbers(orders["customer_id"])
    mine = sampled[customer]
    year = orders["order_date"].dt.year.to_numpy()[mine]
    revenue = pd.Series(orders["amount"].to_numpy()[mine]).groupby(
        [customer[mine], year]).sum()
    revenue = revenue[revenue > 0]
    who = revenue.index.get_level_values(0).to_numpy()
    when = revenue.index.get_level_values(1).to_numpy()
    churn_year = company.churn_at.astype("datetime64[Y]").astype(int) + 1970
    share = rng.beta(5, 3, len(revenue)) * np.where(when >= churn_year[who], 0.55, 1.0)
    return pd.DataFrame({
        "customer_id": company.customers["customer_id"].to_numpy()[who],
        "period": pd.to_datetime((when - 1970).astype("datetime64[Y]")),
        "category_spend": np.round(revenue.to_numpy() / share.clip(0.05), 2),
    })
