from __future__ import annotations

import pandas as pd
import pytest
from tests.factories import make_workspace

from churnguard.errors import SchemaError
from churnguard.value import core_customers, tier_summary, value_tiers


def _orders(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"]).assign(
        order_date=lambda f: pd.to_datetime(f["order_date"]),
        order_id=lambda f: [f"o{i}" for i in range(len(f))])


TEN = _orders([(f"c{i:02d}", "2024-03-01", 100.0 * i) for i in range(1, 11)]
              + [("old", "2022-01-01", 5000.0)])  # bought long ago: outside the 365-day window


def test_revenue_tiers_by_hand():
    tiers = value_tiers(TEN, as_of="2024-06-01", by="revenue")
    assert tiers["customer_id"].tolist()[:2] == ["c10", "c09"]
    by_tier = tiers.groupby("tier")["customer_id"].apply(sorted).to_dict()
    # 11 buyers; share ranked above: 0/11 … 10/11; core < 0.2, growth < 0.5, maintain < 0.8
    assert by_tier["core"] == ["c08", "c09", "c10"]
    assert by_tier["growth"] == ["c05", "c06", "c07"]
    assert by_tier["maintain"] == ["c02", "c03", "c04"]
    assert by_tier["low"] == ["c01", "old"]
    assert tiers.set_index("customer_id").loc["old", "value"] == 0.0
    assert tiers["tier_label"].iloc[0] == "核心客户"
    summary = tier_summary(tiers)
    assert summary["tier"].tolist() == ["core", "growth", "maintain", "low"]
    assert summary["value_share"].iloc[0] == pytest.approx(2700 / 5500)


def test_cutoffs_are_configurable_and_checked():
    tiers = value_tiers(TEN, as_of="2024-06-01", cutoffs=(0.05, 0.2, 0.3))
    assert tiers[tiers.tier == "core"]["customer_id"].tolist() == ["c10"]
    with pytest.raises(SchemaError, match=r"three increasing customer shares.*\(0.5, 0.2, 0.8\)"):
        value_tiers(TEN, as_of="2024-06-01", cutoffs=(0.5, 0.2, 0.8))
    with pytest.raises(SchemaError, match="by='margin' is not one of"):
        value_tiers(TEN, as_of="2024-06-01", by="margin")


def test_tier_migration_between_two_dates_uses_only_earlier_data():
    orders = _orders([("a", "2023-03-01", 900.0), ("b", "2023-03-01", 100.0),
                      ("b", "2024-03-01", 2000.0), ("a", "2024-05-01", 10.0),
                      ("b", "2024-07-01", 99999.0)])  # after both dates: never counted
    before = value_tiers(orders, as_of="2023-06-01", cutoffs=(0.5, 0.75, 0.9))
    after = value_tiers(orders, as_of="2024-06-01", cutoffs=(0.5, 0.75, 0.9))
    assert dict(zip(before.customer_id, before.tier, strict=True)) == {"a": "core",
                                                                        "b": "growth"}
    assert dict(zip(after.customer_id, after.tier, strict=True)) == {"b": "core",
                                                                      "a": "growth"}
    assert after.set_index("customer_id").loc["b", "value"] == 2000.0


def test_profit_tiers_on_a_workspace(tmp_path):
    from tests.value.test_profitability import ACTIVITIES, ORDERS, POOLS

    ws = make_workspace(tmp_path / "ws", orders=ORDERS, activities=ACTIVITIES,
                        cost_pools=POOLS)
    try:
        tiers = value_tiers(ws, as_of="2024-02-01", by="profit", window_days=31,
                            cutoffs=(0.3, 0.6, 0.9))
        # D never ordered, so it is not a buyer; C loses money, so it is low whatever its rank.
        assert tiers[["customer_id", "value", "tier"]].values.tolist() == [
            ["A", 810.0, "core"], ["B", 500.0, "growth"], ["C", -250.0, "low"]]
        core = core_customers(ws, as_of="2024-02-01", by="revenue")
        assert core["customer_id"].tolist() == ["B"]  # 2500 + 999 on 31 December > 3000
    finally:
        ws.close()


def test_clv_tiers_on_cdnow(cdnow_orders):
    tiers = value_tiers(cdnow_orders, as_of="1997-10-01", by="clv")
    assert len(tiers) == 2357
    assert (tiers["tier"] == "core").sum() == 472  # ranks with (rank - 1) / 2357 < 0.2
    assert tiers["value"].is_monotonic_decreasing
    assert tiers["value"].iloc[0] > 100 * tiers["value"].iloc[-1]


def test_save_value_tiers_keeps_one_row_per_date_and_customer(tmp_path):
    from churnguard.value import save_value_tiers

    ws = make_workspace(tmp_path / "ws", orders=TEN)
    try:
        tiers = value_tiers(ws, "2024-06-01")  # as_of may be positional
        assert save_value_tiers(ws, tiers) == {"inserted": 11, "updated": 0, "unchanged": 0}
        assert save_value_tiers(ws, tiers) == {"inserted": 0, "updated": 11, "unchanged": 11}
        save_value_tiers(ws, value_tiers(ws, "2024-07-01"))
        stored = ws.to_pandas("value_tiers")
        assert len(stored) == 22
        assert set(stored.columns) >= {"as_of", "customer_id", "tier", "tier_label", "value"}
        with pytest.raises(SchemaError, match="needs the frame returned by value_tiers"):
            save_value_tiers(ws, tiers.copy().pipe(lambda f: f.attrs.clear() or f))
    finally:
        ws.close()
