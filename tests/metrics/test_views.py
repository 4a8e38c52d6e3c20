"""Revenue movements, cohorts, survival, migration and the failure audit on the shared shop
(tests/metrics/shop.py); expected values are worked out by hand in the comments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.metrics.shop import shop_workspace

from churnguard.churn import Inactivity
from churnguard.errors import ConfigError
from churnguard.metrics import (
    cohort_retention,
    failure_audit,
    revenue_movements,
    segment_migration,
    survival,
)

CHURN = Inactivity(days=60)
NAN = np.nan


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory):
    ws = shop_workspace(tmp_path_factory.mktemp("views") / "ws")
    yield ws
    ws.close()


def test_revenue_movements(ws) -> None:
    m = revenue_movements(ws, "2024-03-01", "2024-06-01", churn=CHURN, data_end="2024-06-01")
    # March: a 50→0 churned, b new 40, c 200→160; April: b 40→0, c 160→300, d back 70, e new 60;
    # May: a back 80, c 300→−50, d 70→0, e 60→0
    assert m.revenue_start.tolist() == [250.0, 200.0, 430.0]
    assert m.new.tolist() == [40.0, 60.0, 0.0]
    assert m.reactivated.tolist() == [0.0, 70.0, 80.0]
    assert m.expansion.tolist() == [0.0, 140.0, 0.0]
    assert m.contraction.tolist() == [-40.0, 0.0, 0.0]
    assert m.churned.tolist() == [-50.0, -40.0, -480.0]
    assert m.revenue_end.tolist() == [200.0, 430.0, 30.0]
    assert m.churned_customers.tolist() == [1, 1, 3]
    bridge = m.revenue_start + m.new + m.reactivated + m.expansion + m.contraction + m.churned
    assert bridge.tolist() == pytest.approx(m.revenue_end.tolist())
    assert m.churn_rate.tolist() == pytest.approx([0.0, 1 / 3, 0.25])
    assert m.revenue_churn_rate.tolist() == pytest.approx([0.0, 150 / 1050, 40 / 1480])


def _cells(triangle: pd.DataFrame) -> list[list[float]]:
    return triangle.drop(columns=["cohort", "cohort_size"]).to_numpy().tolist()


def test_cohort_triangle_customers(ws) -> None:
    t = cohort_retention(ws, as_of="2024-06-01", churn=CHURN)
    assert t.cohort.dt.strftime("%Y-%m").tolist() == ["2023-11", "2024-01", "2024-02",
                                                      "2024-03", "2024-04"]
    assert t.cohort_size.tolist() == [1, 1, 1, 1, 1]
    # d: active at 12-01, lapsed 12-31, back 04-02; a: lapsed 04-20, back 05-10; b: lapsed 05-04
    expected = [
        [1, 0, 0, 0, 0, 1, 1],
        [1, 1, 1, 0, 1, NAN, NAN],
        [1, 1, 1, 1, NAN, NAN, NAN],
        [1, 1, 0, NAN, NAN, NAN, NAN],
        [1, 1, NAN, NAN, NAN, NAN, NAN],
    ]
    np.testing.assert_array_equal(_cells(t), expected)


def test_cohort_triangle_buyers_and_revenue(ws) -> None:
    buyers = cohort_retention(ws, as_of="2024-06-01", measure="buyers")
    np.testing.assert_array_equal(_cells(buyers)[:3], [
        [1, 0, 0, 0, 0, 1, 0],
        [1, 1, 0, 0, 1, NAN, NAN],
        [1, 1, 1, 0, NAN, NAN, NAN],          # c's May row is a return, not a purchase
    ])
    revenue = cohort_retention(ws, as_of="2024-06-01", measure="revenue")
    np.testing.assert_allclose(_cells(revenue)[2], [1, 0.8, 1.5, -0.25, NAN, NAN, NAN])
    quarters = cohort_retention(ws, as_of="2024-07-01", cohort="quarter", measure="buyers")
    # Q4-2023: d (bought again in Q2); Q1-2024: a, b, c (a and c bought in Q2); Q2-2024: e
    assert quarters.cohort_size.tolist() == [1, 3, 1]
    np.testing.assert_allclose(_cells(quarters), [[1, 0, 1], [1, 2 / 3, NAN], [1, NAN, NAN]])


def test_survival(ws) -> None:
    # first spells: e 52 days (censored), b 60 and d 60 (churned), a 101 (churned), c 117
    # (censored) → S(60) = 1 − 2/4 = 0.5, S(101) = 0.5 × (1 − 1/2) = 0.25
    result = survival(ws, as_of="2024-06-01", churn=CHURN)
    curve = result.curves.set_index("days")["survival"]
    assert curve.loc[[52, 60, 101, 117]].tolist() == pytest.approx([1.0, 0.5, 0.25, 0.25])
    assert (result.curves.lower <= result.curves.survival).all()
    assert (result.curves.upper >= result.curves.survival).all()
    assert result.medians.loc[0, ["customers", "churned", "median_days"]].tolist() == [5, 3, 60]
    by_segment = survival(ws, as_of="2024-06-01", churn=CHURN, by="segment").medians
    assert by_segment[["group", "customers", "churned"]].values.tolist() == [
        ["x", 2, 2], ["y", 3, 1]]


def test_survival_rejects_unknown_group(ws) -> None:
    with pytest.raises(ConfigError, match=r"by='colour' is not a customers column"):
        survival(ws, as_of="2024-06-01", by="colour")


def test_segment_migration_quartiles(ws) -> None:
    # at 03-01: c (200) Q1, a (150) Q3 of the two active; d churned; b, e not yet customers.
    # at 06-01: c 610 Q1, d 570 Q2, a 230 Q3, e 60 Q4; b churned
    m = segment_migration(ws, "2024-03-01", "2024-06-01", tiers="quartiles", churn=CHURN)
    assert m.values.tolist() == [
        ["Q1", "Q1", 1, 200.0, 610.0],
        ["Q3", "Q3", 1, 150.0, 230.0],
        ["churned", "Q2", 1, 500.0, 570.0],
        ["new", "Q4", 1, 0.0, 60.0],
        ["new", "churned", 1, 0.0, 40.0],
    ]


def test_segment_migration_with_given_tiers(ws) -> None:
    tiers = pd.DataFrame({
        "as_of": ["2024-03-01", "2024-03-01", "2024-06-01", "2024-06-01", "2024-06-01"],
        "customer_id": ["a", "c", "a", "c", "e"],
        "tier": ["gold", "gold", "silver", "gold", "silver"],
    })
    m = segment_migration(ws, "2024-03-01", "2024-06-01", tiers=tiers, churn=CHURN)
    counts = {(r.from_tier, r.to_tier): r.customers for r in m.itertuples()}
    assert counts == {("gold", "silver"): 1, ("gold", "gold"): 1, ("churned", "unranked"): 1,
                      ("new", "silver"): 1, ("new", "churned"): 1}
    def by_callable(_ws, as_of):
        return pd.DataFrame({"customer_id": ["a", "c"], "tier": ["one", "two"]})
    m = segment_migration(ws, "2024-03-01", "2024-06-01", tiers=by_callable, churn=CHURN)
    assert m.customers.sum() == 5
    with pytest.raises(ConfigError, match=r"no rows for as_of 2024-05-01"):
        segment_migration(ws, "2024-03-01", "2024-05-01", tiers=tiers, churn=CHURN)


def test_failure_audit_by_segment(ws) -> None:
    audit = failure_audit(ws, "2024-04-01", "2024-05-01", by="segment", churn=CHURN)
    x = audit[audit.group == "x"].set_index("metric")
    y = audit[audit.group == "y"].set_index("metric")
    # April: x = {a, b} (a lapses), y = {c}; the 30 days before: x = {a}, y = {c}
    assert x.loc["customers", ["value", "previous"]].tolist() == [2, 1]
    assert x.loc["churn_rate", ["value", "previous", "change"]].tolist() == [0.5, 0.0, 0.5]
    # a complained about price on 03-28 (never resolved); c's 03-02 complaint was resolved
    assert x.loc["complaints_per_100", ["value", "previous"]].tolist() == [0.0, 100.0]
    assert x.loc["complaints_per_100:price", ["value", "previous"]].tolist() == [0.0, 100.0]
    assert x.loc["unresolved_complaints", ["value", "previous"]].tolist() == [0.0, 1.0]
    assert y.loc["unresolved_complaints", ["value", "previous"]].tolist() == [0.0, 0.0]
    # spend: b 40→0 (down), a 0→0; before: a 50→0 (down). c 160→300 (up); before 200→160 is
    # exactly −20%, not more
    assert x.loc["spend_down_share", ["value", "previous"]].tolist() == [0.5, 1.0]
    assert y.loc["spend_up_share", ["value", "previous"]].tolist() == [1.0, 0.0]
    assert y.loc["spend_down_share", ["value", "previous"]].tolist() == [0.0, 0.0]


def test_failure_audit_by_tier_defaults_to_value_tiers(ws) -> None:
    audit = failure_audit(ws, "2024-04-01", "2024-05-01", churn=CHURN)
    assert set(audit.group) <= {"core", "growth", "maintain", "low", "unranked"}
    customers = audit[audit.metric == "customers"]["value"].sum()
    assert customers == 3
    with pytest.raises(ConfigError, match=r"by='colour' is not 'tier' or a customers column"):
        failure_audit(ws, "2024-04-01", "2024-05-01", by="colour")
