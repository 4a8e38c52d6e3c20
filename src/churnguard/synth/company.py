"""Staff and customers of the synthetic company, and each customer's hidden life story:
purchase rate, spend level, when (and why) they will leave."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from churnguard.synth.calendar import price_changes
from churnguard.synth.ids import make_ids

SEGMENTS = np.array(["enterprise", "smb", "consumer"])
SEGMENT_SHARE = np.array([0.08, 0.37, 0.55])
# Purchases per year (mean of the gamma-distributed rate) and mean order value by segment.
SEGMENT_RATE = np.array([21.0, 9.5, 4.8])
SEGMENT_SPEND = np.array([4200.0, 850.0, 160.0])
# Yearly hazard of leaving by segment (before triggers such as an owner leaving).
SEGMENT_HAZARD = np.array([0.10, 0.20, 0.30])
REGIONS = np.array(["华东", "华北", "华南", "华中", "西南", "西北", "东北"])
REGION_SHARE = np.array([0.30, 0.20, 0.20, 0.10, 0.10, 0.05, 0.05])
CHANNELS = np.array(["direct", "online", "distributor"])
_CITY = np.array(["上海", "北京", "广州", "深圳", "杭州", "成都", "武汉", "南京", "西安", "苏州"])
_WORD = np.array(["恒信", "华泰", "金源", "鼎盛", "宏达", "东方", "瑞丰", "新科", "联合", "永安"])
_KIND = np.array(["贸易有限公司", "科技有限公司", "制造有限公司", "商行", "实业有限公司"])
_SURNAME = np.array(["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"])
_GIVEN = np.array(["伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "杰", "军", "勇"])

# Reasons of ordinary churn by segment (price, quality, competitor, service, delivery,
# product_fit, market); staff_departure is caused by an owner leaving.
ORDINARY_REASONS = np.array(
    ["price", "quality", "competitor", "service", "delivery", "product_fit", "market"]
)
REASON_MIX = np.array(
    [
        [0.12, 0.22, 0.22, 0.24, 0.06, 0.08, 0.06],  # enterprise
        [0.26, 0.16, 0.18, 0.14, 0.10, 0.08, 0.08],  # smb
        [0.34, 0.14, 0.14, 0.08, 0.16, 0.10, 0.04],  # consumer
    ]
)


@dataclass
class Company:
    """Everything drawn about customers, kept as aligned arrays (one entry per customer)."""

    staff: pd.DataFrame
    customers: pd.DataFrame
    segment_index: np.ndarray
    signup: np.ndarray  # datetime64[D]
    rate: np.ndarray  # purchases per day
    spend: np.ndarray  # mean order value
    churn_at: np.ndarray  # datetime64[D]; NaT-like far future when they stay
    reason: np.ndarray  # object array; "" for stayers
    returns_at: np.ndarray  # datetime64[D] of a win-back, far future when none


FAR_FUTURE = np.datetime64("2999-01-01")


def make_staff(rng: np.random.Generator, n_customers: int, start: np.datetime64,
               end: np.datetime64) -> pd.DataFrame:
    """Account owners (about one per 400 customers) with managers; ~20% leave."""
    n_reps = max(4, n_customers // 400)
    n_managers = max(2, n_reps // 8)
    days = int((end - start).astype(int))
    leaves = rng.random(n_reps) < 0.2
    left = start + rng.integers(days // 6, days - 60, n_reps).astype("timedelta64[D]")
    rep_names = rng.choice(_SURNAME, n_reps) + rng.choice(_GIVEN, n_reps)
    manager_names = rng.choice(_SURNAME, n_managers) + rng.choice(_GIVEN, n_managers)
    left_date = np.where(leaves, left, np.datetime64("NaT"))
    return pd.DataFrame({
        "staff_id": [f"M{i:03d}" for i in range(1, n_managers + 1)]
        + [f"S{i:04d}" for i in range(1, n_reps + 1)],
        "name": np.concatenate([manager_names, rep_names]),
        "left_date": pd.to_datetime(np.concatenate(
            [np.full(n_managers, np.datetime64("NaT"), dtype="datetime64[D]"), left_date])),
        "manager_id": [None] * n_managers
        + [f"M{i:03d}" for i in rng.integers(1, n_managers + 1, n_reps)],
    })


def make_company(rng: np.random.Generator, n: int, start: np.datetime64,
                 end: np.datetime64) -> Company:
    """Draw customers, their owners and their hidden purchase and churn processes."""
    staff = make_staff(rng, n, start, end)
    reps = staff[staff["staff_id"].str.startswith("S")].reset_index(drop=True)
    days = int((end - start).astype(int))
    seg = rng.choice(3, n, p=SEGMENT_SHARE)
    existing = rng.random(n) < 0.35
    offset = np.where(existing, rng.integers(0, 90, n),
                      (days * np.sqrt(rng.random(n))).astype(int).clip(0, days - 45))
    signup = start + offset.astype("timedelta64[D]")
    # Heterogeneous purchase rate (gamma, so BG/NBD fits) and spend level (gamma-gamma).
    rate = rng.gamma(2.0, SEGMENT_RATE[seg] / 2.0) / 365.0
    spend = rng.gamma(5.0, SEGMENT_SPEND[seg] / 5.0)
    owner = _assign_owners(rng, reps, signup)
    churn_at, reason = _draw_churn(rng, seg, signup, start, end, reps, owner)
    returns_at = _draw_winback(rng, churn_at, end)
    customers = pd.DataFrame({
        "customer_id": make_ids("C", n, width=7),
        "name": rng.choice(_CITY, n) + rng.choice(_WORD, n) + rng.choice(_KIND, n),
        "segment": SEGMENTS[seg],
        "region": rng.choice(REGIONS, n, p=REGION_SHARE),
        "channel": np.where(seg == 0, "direct", rng.choice(CHANNELS, n, p=[0.3, 0.5, 0.2])),
        "signup_date": pd.to_datetime(signup),
        "birthday": pd.to_datetime(np.where(
            seg == 2,
            np.datetime64("1960-01-01") + rng.integers(0, 40 * 365, n).astype("timedelta64[D]"),
            np.datetime64("NaT"))),
        "owner_id": reps["staff_id"].to_numpy()[owner],
        "contract_end": pd.to_datetime(np.where(
            seg == 0, signup + (365 * rng.integers(1, 4, n)).astype("timedelta64[D]"),
            np.datetime64("NaT"))),
    })
    return Company(staff, customers, seg, signup, rate, spend, churn_at, reason, returns_at)


def _assign_owners(rng: np.random.Generator, reps: pd.DataFrame,
                   signup: np.ndarray) -> np.ndarray:
    """A random rep per customer, among those still at the company at signup."""
    left = reps["left_date"].to_numpy(dtype="datetime64[D]")
    owner = rng.integers(0, len(reps), len(signup))
    for _ in range(4):  # redraw for customers whose rep had already left
        gone = ~np.isnat(left[owner]) & (left[owner] <= signup)
        owner = np.where(gone, rng.integers(0, len(reps), len(signup)), owner)
    return owner


def _draw_churn(rng: np.random.Generator, seg: np.ndarray, signup: np.ndarray,
                start: np.datetime64, end: np.datetime64, reps: pd.DataFrame,
                owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(seg)
    # Ordinary churn: exponential lifetime; customers who stay long are loyal.
    life = rng.exponential(365.0 / SEGMENT_HAZARD[seg])
    churn_at = signup + np.maximum(life, 30).astype(int).astype("timedelta64[D]")
    cum = REASON_MIX[seg].cumsum(axis=1)
    pick = (rng.random(n)[:, None] > cum).sum(axis=1).clip(0, len(ORDINARY_REASONS) - 1)
    reason = ORDINARY_REASONS[pick].astype(object)
    churn_at = _cluster_by_cause(rng, churn_at, reason, signup, start, end)
    # An owner leaving makes some customers follow within months (the relationship left).
    left = reps["left_date"].to_numpy(dtype="datetime64[D]")[owner]
    follows = ~np.isnat(left) & (rng.random(n) < 0.45) & (left > signup)
    follow_at = left + rng.integers(20, 150, n).astype("timedelta64[D]")
    takes = follows & (follow_at < churn_at)
    churn_at = np.where(takes, follow_at, churn_at)
    reason = np.where(takes, "staff_departure", reason)
    stays = churn_at >= end
    churn_at = np.where(stays, FAR_FUTURE, churn_at)
    reason = np.where(stays, "", reason).astype(object)
    return churn_at, reason


def _cluster_by_cause(rng: np.random.Generator, churn_at: np.ndarray, reason: np.ndarray,
                      signup: np.ndarray, start: np.datetime64,
                      end: np.datetime64) -> np.ndarray:
    """Price leavers go in the months after a price rise; market leavers in the downturn."""
    n = len(churn_at)
    rises = price_changes(start, end)
    next_rise = rises[np.searchsorted(rises, signup).clip(0, len(rises) - 1)]
    after_rise = next_rise + rng.integers(20, 120, n).astype("timedelta64[D]")
    moved = (reason == "price") & (next_rise > signup) & (after_rise < churn_at)
    moved &= rng.random(n) < 0.4  # the others would have left anyway, later
    churn_at = np.where(moved, after_rise, churn_at)
    span = int((end - start).astype(int))
    downturn = start + int(span * 0.55) + rng.integers(0, span // 10, n).astype("timedelta64[D]")
    hit = (reason == "market") & (downturn > signup) & (downturn < churn_at)
    return np.where(hit, downturn, churn_at)


def _draw_winback(rng: np.random.Generator, churn_at: np.ndarray,
                  end: np.datetime64) -> np.ndarray:
    n = len(churn_at)
    back = (churn_at < end) & (rng.random(n) < 0.12)
    when = churn_at + rng.integers(120, 400, n).astype("timedelta64[D]")
    return np.where(back & (when < end), when, FAR_FUTURE)
