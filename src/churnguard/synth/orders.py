"""Orders, returns and payments of the synthetic company (vectorised Poisson processes)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnguard.synth.calendar import PEAK, price_changes, price_index, season
from churnguard.synth.company import FAR_FUTURE, Company
from churnguard.synth.ids import make_ids

CATEGORIES = np.array(["办公用品", "电子产品", "包装材料", "清洁用品", "劳保用品", "工业耗材"])
COGS_RATIO = np.array([0.62, 0.74, 0.58, 0.55, 0.60, 0.66])
PRODUCTS_PER_CATEGORY = 40
PRODUCTS = np.array(
    [f"{c}-{k:02d}" for c in CATEGORIES for k in range(1, PRODUCTS_PER_CATEGORY + 1)], dtype=object
)
DECLINE_DAYS = 150  # how long before leaving a customer buys less
DECLINE_RATE = 0.4
DECLINE_SPEND = 0.75


def _windows(company: Company, end: np.datetime64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Active windows: [signup, leave) and, for won-back customers, [return, end)."""
    n = len(company.signup)
    leave = np.minimum(company.churn_at, end)
    back = company.returns_at < end
    who = np.concatenate([np.arange(n), np.flatnonzero(back)])
    begin = np.concatenate([company.signup, company.returns_at[back]])
    finish = np.concatenate([leave, np.full(back.sum(), end)])
    return who, begin, finish


def make_orders(rng: np.random.Generator, company: Company, end: np.datetime64) -> pd.DataFrame:
    """Draw every order: seasonal, with price rises, fewer and smaller before leaving."""
    who, begin, finish = _windows(company, end)
    length = (finish - begin).astype(int).clip(0)
    counts = rng.poisson(company.rate[who] * PEAK * length)
    cust = np.repeat(who, counts)
    day = np.repeat(begin, counts) + (rng.random(counts.sum()) * np.repeat(length, counts)).astype(
        int).astype("timedelta64[D]")
    churn_at = company.churn_at[cust]
    declining = (churn_at < FAR_FUTURE) & (day >= churn_at - DECLINE_DAYS) & (day < churn_at)
    keep_p = season(day) / PEAK * np.where(declining, DECLINE_RATE, 1.0)
    keep = rng.random(len(day)) < keep_p
    cust, day, declining = cust[keep], day[keep], declining[keep]
    start = company.signup.min()
    prices = price_index(day, price_changes(start, end))
    amount = rng.gamma(4.0, company.spend[cust] / 4.0) * prices
    amount *= np.where(declining, DECLINE_SPEND, 1.0)
    amount = np.round(np.maximum(amount, 1.0), 2)
    main_cat = cust % len(CATEGORIES)
    other = rng.integers(0, len(CATEGORIES), len(cust))
    cat = np.where(rng.random(len(cust)) < np.where(declining, 0.9, 0.55), main_cat, other)
    hour = rng.integers(8 * 3600, 20 * 3600, len(cust)).astype("timedelta64[s]")
    order_ts = day.astype("datetime64[s]") + hour
    order = np.argsort(order_ts, kind="stable")
    cust, day, declining, amount, cat, order_ts = (
        a[order] for a in (cust, day, declining, amount, cat, order_ts)
    )
    segment = company.segment_index[cust]
    unit_price = np.array([95.0, 40.0, 12.0])[segment] * price_index(day, price_changes(start, end))
    frame = pd.DataFrame({
        "order_id": make_ids("O", len(cust)),
        "customer_id": company.customers["customer_id"].to_numpy()[cust],
        "order_date": order_ts,
        "amount": amount,
        "cost": np.round(amount * COGS_RATIO[cat] * rng.uniform(0.92, 1.08, len(cust)), 2),
        "quantity": np.maximum(1, np.round(amount / unit_price)),
        "product": PRODUCTS[cat * PRODUCTS_PER_CATEGORY
                            + rng.integers(0, PRODUCTS_PER_CATEGORY, len(cust))],
        "category": CATEGORIES[cat],
        "channel": company.customers["channel"].to_numpy()[cust],
    })
    _add_payments(rng, frame, day, segment, declining, end)
    return pd.concat([frame, _returns(rng, frame, day, end)], ignore_index=True)


def _add_payments(rng: np.random.Generator, frame: pd.DataFrame, day: np.ndarray,
                  segment: np.ndarray, declining: np.ndarray, end: np.datetime64) -> None:
    terms = np.where(segment == 2, 0, 30).astype("timedelta64[D]")
    due = day + terms
    late = rng.random(len(day)) < np.where(declining, 0.35, 0.07)
    delay = np.where(late, rng.integers(5, 75, len(day)), -rng.integers(0, 10, len(day)))
    delay = np.where(segment == 2, np.where(late, delay, 0), delay)
    paid = np.maximum(due + delay.astype("timedelta64[D]"), day)
    frame["due_date"] = pd.to_datetime(due)
    frame["paid_date"] = pd.to_datetime(np.where(paid < end, paid, np.datetime64("NaT")))


def _returns(rng: np.random.Generator, frame: pd.DataFrame, day: np.ndarray,
             end: np.datetime64) -> pd.DataFrame:
    """About 1.5% of orders come back in part: a negative order some days later."""
    pick = np.flatnonzero(rng.random(len(frame)) < 0.015)
    when = day[pick] + rng.integers(3, 30, len(pick)).astype("timedelta64[D]")
    ok = when < end
    pick, when = pick[ok], when[ok]
    share = rng.uniform(0.2, 1.0, len(pick))
    src = frame.iloc[pick]
    return pd.DataFrame({
        "order_id": make_ids("R", len(pick)),
        "customer_id": src["customer_id"].to_numpy(),
        "order_date": when.astype("datetime64[s]") + np.timedelta64(15, "h"),
        "amount": -np.round(src["amount"].to_numpy() * share, 2),
        "cost": -np.round(src["cost"].to_numpy() * share, 2),
        "quantity": np.full(len(pick), np.nan),
        "product": src["product"].to_numpy(),
        "category": src["category"].to_numpy(),
        "channel": src["channel"].to_numpy(),
        "due_date": np.full(len(pick), np.datetime64("NaT"), dtype=frame["due_date"].dtype),
        "paid_date": np.full(len(pick), np.datetime64("NaT"), dtype=frame["due_date"].dtype),
    })
