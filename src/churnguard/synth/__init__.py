"""A seeded synthetic company that behaves like a real business.

Customers in segments and regions with account owners (some owners leave, and some of their
customers follow); orders with seasonality, a Chinese New Year dip, price rises, gamma-distributed
purchase rates and spend levels; customers about to leave buy less often and less, pay later,
complain more (about their real reason, in Chinese or English) and score surveys lower; churned
customers answer exit surveys and a few are won back. The truth is kept in ``ground_truth``.

Examples
--------
>>> tables = generate(customers=200, years=2, seed=1)
>>> sorted(tables)[:3]
['activities', 'cost_pools', 'customers']
>>> len(tables["customers"])
200
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from churnguard.synth.company import FAR_FUTURE, make_company
from churnguard.synth.costs import make_activities, make_cost_pools, make_wallet
from churnguard.synth.interactions import make_interactions
from churnguard.synth.orders import make_orders

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

REFERENCE_END = date(2026, 7, 1)
"""A fixed end for reproducible runs: tests and benchmarks that depend on dates pass
``end=REFERENCE_END``; :func:`generate` itself ends today unless told otherwise, so the demo's
complaints, tasks and care dates are current."""
DEFAULT_END = REFERENCE_END  # the older name of REFERENCE_END
LOAD_ORDER = ("staff", "customers", "orders", "interactions", "activities", "cost_pools",
              "wallet", "ground_truth")


def generate(
    customers: int = 20_000,
    *,
    years: float = 3.0,
    seed: int = 0,
    end: date | None = None,
) -> dict[str, pd.DataFrame]:
    """Generate a synthetic company as canonical tables.

    Parameters
    ----------
    customers
        Number of customers.
    years
        Length of the history; orders run from ``end - years`` to ``end``.
    seed
        Seed of ``numpy.random.default_rng``: the same seed gives the same company.
    end
        First day after the history (default: today, so a demo is current; pass
        ``REFERENCE_END`` or any date for a reproducible company).

    Returns
    -------
    dict of DataFrame
        ``staff``, ``customers``, ``orders``, ``interactions``, ``activities``,
        ``cost_pools``, ``wallet`` and ``ground_truth`` (``customer_id``,
        ``true_churn_date``, ``true_reason``).
    """
    if customers < 1:
        raise ValueError(f"customers must be at least 1, got {customers}")
    rng = np.random.default_rng(seed)
    stop = np.datetime64(end or date.today(), "D")
    start = stop - np.timedelta64(int(round(years * 365.25)), "D")
    company = make_company(rng, customers, start, stop)
    orders = make_orders(rng, company, stop)
    interactions = make_interactions(rng, company, stop)
    activities = make_activities(rng, company, orders, interactions)
    churned = company.churn_at < FAR_FUTURE
    return {
        "staff": company.staff,
        "customers": company.customers,
        "orders": orders,
        "interactions": interactions,
        "activities": activities,
        "cost_pools": make_cost_pools(rng, activities),
        "wallet": make_wallet(rng, company, orders),
        "ground_truth": pd.DataFrame({
            "customer_id": company.customers["customer_id"],
            "true_churn_date": pd.to_datetime(
                np.where(churned, company.churn_at, np.datetime64("NaT"))),
            "true_reason": np.where(churned, company.reason, None),
        }),
    }


def load(
    ws: Workspace,
    tables: dict[str, pd.DataFrame],
    *,
    validate: bool = True,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Load generated tables into ``ws`` (customers before the tables that point at them).

    With ``validate=False`` the tables are written straight to the warehouse (they are
    canonical by construction), which is what benchmarks at millions of rows want.
    Returns the number of rows loaded per table.
    """
    from churnguard.io.schema import table_spec
    from churnguard.warehouse import to_canonical_arrow

    counts = {}
    for name in LOAD_ORDER:
        if name not in tables:
            continue
        if progress:
            progress(name)
        frame = tables[name]
        if validate:
            ws.load(name, frame)
        else:
            ws.warehouse.replace(name, to_canonical_arrow(frame, table_spec(name)))
        counts[name] = len(frame)
    return counts


__all__ = ["DEFAULT_END", "REFERENCE_END", "generate", "load"]
