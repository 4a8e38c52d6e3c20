from __future__ import annotations

import math

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from tests.factories import make_workspace

from churnguard.churn import Inactivity
from churnguard.errors import ConfigError
from churnguard.risk.features import FEATURE_COLUMNS, features

AS_OF = "2024-07-01"


def _tables(*, future: bool = False) -> dict[str, pd.DataFrame]:
    orders = pd.DataFrame({
        "order_id": ["a1", "a2", "a3", "a4", "a5", "b1", "c1"],
        "customer_id": ["a", "a", "a", "a", "a", "b", "c"],
        "order_date": ["2024-06-21", "2024-05-02", "2024-03-01", "2023-07-15", "2024-06-25",
                       "2023-01-01", "2024-06-30"],
        "amount": [100.0, 50.0, 30.0, 20.0, -10.0, 80.0, 5.0],
        "category": ["X", "X", "Y", "Y", "X", "X", "Z"],
        "product": ["p1", "p2", "p3", "p3", "p1", "p1", "p9"],
        "due_date": [None, "2024-06-01", "2024-06-20", None, None, None, None],
        "paid_date": [None, "2024-06-11", None, None, None, None, None],
    })
    interactions = pd.DataFrame({
        "interaction_id": ["i1", "i2", "i3", "i4", "i5"],
        "customer_id": ["a"] * 5,
        "ts": ["2024-06-10 09:00", "2024-03-15 10:00", "2024-01-01 10:00", "2024-06-15 10:00",
               "2024-02-01 10:00"],
        "kind": ["complaint", "complaint", "survey", "survey", "nps"],
        "score": [None, None, 4.0, 2.0, 9.0],
        "resolved_at": [None, "2024-03-20 12:00", None, None, None],
    })
    staff = pd.DataFrame({"staff_id": ["s1", "s2"], "left_date": ["2024-05-01", None]})
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "segment": ["smb", "smb", "vip"],
                              "owner_id": ["s1", "s1", "s2"]})
    wallet = pd.DataFrame({"customer_id": ["a", "a"], "period": ["2023-01-01", "2022-01-01"],
                           "category_spend": [200.0, 100.0]})
    if future:
        later_orders = pd.DataFrame({
            "order_id": ["f1", "f2", "f3"], "customer_id": ["a", "b", "c"],
            "order_date": ["2024-07-01", "2024-08-01", "2024-07-02"],
            "amount": [999.0, 50.0, 7.0], "category": ["W", "W", "W"],
            "product": ["p7", "p7", "p7"], "due_date": ["2024-07-10", None, None],
            "paid_date": ["2024-07-05", None, None]})
        orders = pd.concat([orders, later_orders], ignore_index=True)
        orders.loc[orders.order_id == "a3", "paid_date"] = "2024-07-03"  # paid after as_of
        interactions.loc[0, "resolved_at"] = "2024-07-02 08:00"  # resolved after as_of
        interactions = pd.concat([interactions, pd.DataFrame({
            "interaction_id": ["f4", "f5"], "customer_id": ["a", "c"],
            "ts": ["2024-07-01 00:00", "2024-09-01 10:00"], "kind": ["complaint", "survey"],
            "score": [None, 1.0], "resolved_at": [None, None]})], ignore_index=True)
        staff.loc[1, "left_date"] = "2024-07-15"  # c's owner leaves after as_of
        wallet = pd.concat([wallet, pd.DataFrame({
            "customer_id": ["a"], "period": ["2024-01-01"], "category_spend": [50.0]})])
    return {"customers": customers, "staff": staff, "orders": orders,
            "interactions": interactions, "wallet": wallet}


def _workspace(folder, **kwargs):
    tables = _tables(**kwargs)
    ws = make_workspace(folder, customers=tables.pop("customers"))
    for name in ("staff", "orders", "interactions", "wallet"):
        ws.load(name, tables[name])
    return ws


def test_features_by_hand(tmp_path):
    ws = _workspace(tmp_path / "w")
    frame = features(ws, AS_OF, churn=Inactivity(days=180)).set_index("customer_id")
    assert list(frame.index) == ["a", "c"]  # b's last purchase is 18 months old: churned
    a = frame.loc["a"]
    expected = {
        "recency_days": 10, "tenure_days": 352, "orders_30d": 1, "orders_90d": 2,
        "orders_180d": 3, "orders_365d": 4, "revenue_30d": 90.0, "revenue_90d": 140.0,
        "revenue_180d": 170.0, "revenue_365d": 190.0, "orders_change_90d": 1.0,
        "revenue_change_90d": 140 / 30 - 1, "typical_gap_days": 114.0,
        "gap_ratio": 10 / 114, "categories_180d": 2, "categories_change_180d": 1,
        "products_365d": 3, "avg_order_value_365d": 190 / 4,
        "avg_days_late_365d": 10.5, "max_days_late_365d": 11, "late_share_365d": 1.0,
        "overdue_invoices": 1, "complaints_90d": 1, "complaints_365d": 2,
        "complaints_change_90d": 0, "unresolved_complaints": 1, "days_since_complaint": 21,
        "last_csat": 2.0, "csat_change": -2.0, "last_nps": 9.0, "owner_left": 1,
        "days_since_owner_left": 61, "wallet_share": 0.1, "wallet_share_change": 0.1,
        # against the customer's own past (before the last 180 days: one order of 20 over
        # the 352 − 180 = 172 days of tenure before them)
        "rate_ratio_180d": 3 * 172 / (180 * 1), "order_value_ratio_180d": (170 / 3) / 20,
        "last_gap_ratio": 50 / 114,  # 2024-05-02 → 2024-06-21 against the usual 114 days
        "resolution_days_365d": 5 + 2 / 24,  # i2: 2024-03-15 10:00 → 2024-03-20 12:00
    }
    for name, value in expected.items():
        assert a[name] == pytest.approx(value), name
    assert math.isnan(a["nps_change"]) and math.isnan(a["orders_change_yoy_180d"])
    assert math.isnan(a["late_share_change_180d"])  # both invoices fell due in the last 180 d
    assert a["segment"] == "smb"
    c = frame.loc["c"]
    assert (c["recency_days"], c["orders_30d"], c["owner_left"]) == (1, 1, 0)
    assert math.isnan(c["typical_gap_days"]) and math.isnan(c["avg_days_late_365d"])
    assert list(frame.columns) == FEATURE_COLUMNS


def test_no_feature_changes_when_later_data_is_added(tmp_path):
    before = features(_workspace(tmp_path / "now"), AS_OF)
    after = features(_workspace(tmp_path / "later", future=True), AS_OF)
    assert_frame_equal(before, after)
    # and the later data is really there: a later as_of sees it
    moved = features(_workspace(tmp_path / "later2", future=True), "2024-07-03")
    assert moved.set_index("customer_id").loc["a", "recency_days"] == 2


def test_known_until_shows_customers_as_if_nothing_happened_since(tmp_path):
    from churnguard import Workspace
    from churnguard.synth import REFERENCE_END, generate, load

    tables = generate(customers=300, years=2, seed=8, end=REFERENCE_END)
    known, later = pd.Timestamp("2026-01-15"), "2026-03-01"
    with Workspace.create(tmp_path / "full") as full:
        load(full, tables, validate=False)
        rolled = features(full, later, known_until=known.date())
        active = features(full, known.date())
    # the same company with everything on or after `known` removed (or not yet known)
    cut = {name: frame.copy() for name, frame in tables.items()}
    orders, rows = cut["orders"], cut["interactions"]
    cut["orders"] = orders[pd.to_datetime(orders["order_date"]) < known].assign(
        paid_date=lambda f: f["paid_date"].where(pd.to_datetime(f["paid_date"]) < known))
    cut["interactions"] = rows[pd.to_datetime(rows["ts"]) < known].assign(
        resolved_at=lambda f: f["resolved_at"].where(pd.to_datetime(f["resolved_at"]) < known))
    cut["staff"] = cut["staff"].assign(left_date=cut["staff"]["left_date"].where(
        pd.to_datetime(cut["staff"]["left_date"]) < known))
    cut["wallet"] = cut["wallet"][pd.to_datetime(cut["wallet"]["period"])
                                  + pd.Timedelta(days=365) <= known]
    with Workspace.create(tmp_path / "cut") as past:
        load(past, cut, validate=False)
        expected = features(past, later)
    assert rolled["customer_id"].tolist() == active["customer_id"].tolist()  # active at `known`
    both = rolled.merge(expected[["customer_id"]], on="customer_id")["customer_id"]
    assert len(both) > 0.5 * len(rolled)
    left = rolled.set_index("customer_id").loc[both].reset_index()
    right = expected.set_index("customer_id").loc[both].reset_index()
    assert_frame_equal(left, right, check_dtype=False, check_categorical=False, atol=1e-9)
    assert (left["recency_days"] >= (pd.Timestamp(later) - known).days).all()
    with Workspace.open(tmp_path / "full") as full, pytest.raises(
            ConfigError, match="must not be after the feature date"):
        features(full, "2026-01-01", known_until="2026-02-01")
