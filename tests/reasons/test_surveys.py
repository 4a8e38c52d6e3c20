"""CSAT, NPS and complaint follow-up summaries on a tiny hand-built workspace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.factories import make_workspace, orders_frame

from churnguard.errors import SchemaError
from churnguard.reasons.surveys import (
    complaint_satisfaction,
    csat_summary,
    nps_summary,
    survey_summary,
)

ROWS = [  # id, customer, ts, kind, score, resolved_at
    ("i1", "a", "2024-01-05", "nps", 10, None),
    ("i2", "b", "2024-01-10", "nps", 9, None),
    ("i3", "c", "2024-01-20", "nps", 5, None),
    ("i4", "a", "2024-02-03", "nps", 7, None),
    ("i5", "b", "2024-02-04", "nps", 11, None),          # out of scale: invalid
    ("i6", "a", "2024-01-08", "survey", 5, None),        # follows complaint i9
    ("i7", "b", "2024-01-09", "survey", 2, None),        # i10 resolved 35 days before: not
    ("i8", "a", "2024-02-10", "survey", 4.5, None),      # not a whole number: invalid
    ("i9", "a", "2024-01-02", "complaint", None, "2024-01-06"),
    ("i10", "b", "2023-12-01", "complaint", None, "2023-12-05"),
    ("i11", "b", "2024-01-25", "complaint", None, None),  # unresolved: 14 days from opening
    ("i12", "b", "2024-02-07", "survey", 3, None),       # follows i11
    ("i13", "c", "2024-02-15", "survey", 4, None),       # no complaint
    ("i14", "a", "2024-03-01", "nps", 10, None),         # on end: outside [start, end)
]


@pytest.fixture
def ws(tmp_path):
    interactions = pd.DataFrame(ROWS, columns=["interaction_id", "customer_id", "ts", "kind",
                                               "score", "resolved_at"])
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "segment": ["A", "B", None]})
    orders = orders_frame([("a", "2023-12-01", 10.0)])
    workspace = make_workspace(tmp_path / "ws", customers=customers, interactions=interactions,
                               orders=orders)
    yield workspace
    workspace.close()


def test_nps_by_month(ws):
    out = nps_summary(ws, "2024-01-01", "2024-03-01")
    assert out["period_start"].dt.strftime("%Y-%m").tolist() == ["2024-01", "2024-02"]
    assert out[["responses", "promoters", "passives", "detractors", "invalid"]].values.tolist() \
        == [[3, 2, 0, 1, 0], [1, 0, 1, 0, 1]]
    assert out["nps"].tolist() == pytest.approx([100 / 3, 0.0])


def test_nps_by_segment_fills_every_group_and_period(ws):
    out = nps_summary(ws, "2024-01-01", "2024-03-01", by="segment")
    assert out["segment"].tolist() == ["(none)", "A", "B"] * 2
    np.testing.assert_allclose(out["nps"], [-100, 100, 100, np.nan, 0, np.nan])
    assert out["invalid"].tolist() == [0, 0, 0, 0, 0, 1]


def test_csat_by_month(ws):
    out = csat_summary(ws, "2024-01-01", "2024-03-01")
    assert out[["responses", "satisfied", "invalid"]].values.tolist() == [[2, 1, 0], [2, 1, 1]]
    assert out["csat_mean"].tolist() == [3.5, 3.5]
    assert out["satisfied_share"].tolist() == [0.5, 0.5]


def test_complaint_follow_up_satisfaction(ws):
    whole = complaint_satisfaction(ws, "2024-01-01", "2024-03-01")
    assert whole[["surveys", "satisfied"]].values.tolist() == [[2, 1]]
    assert whole["complaint_satisfaction"].tolist() == [0.5]
    monthly = complaint_satisfaction(ws, "2024-01-01", "2024-03-01", freq="month")
    assert monthly["complaint_satisfaction"].tolist() == [1.0, 0.0]


def test_complaint_satisfaction_matches_the_loyalty_kpi(ws):
    from churnguard.metrics.loyalty import loyalty_kpis

    kpis = loyalty_kpis(ws, "2024-01-01", "2024-03-01", freq="month")
    ours = complaint_satisfaction(ws, "2024-01-01", "2024-03-01", freq="month")
    np.testing.assert_allclose(kpis["complaint_satisfaction"].to_numpy(dtype=float),
                               ours["complaint_satisfaction"].to_numpy())


def test_survey_summary_side_by_side(ws):
    out = survey_summary(ws, "2024-01-01", "2024-03-01")
    assert list(out.columns) == ["period_start", "period_end", "csat_responses", "csat_mean",
                                 "satisfied_share", "nps_responses", "nps",
                                 "follow_up_surveys", "complaint_satisfaction"]
    assert out["follow_up_surveys"].tolist() == [1, 1]
    assert out["nps_responses"].tolist() == [3, 1]


def test_empty_workspace_gives_zero_responses(workspace):
    out = nps_summary(workspace, "2024-01-01", "2024-03-01")
    assert out["responses"].tolist() == [0, 0]
    assert out["nps"].isna().all()


def test_empty_window_by_segment_has_no_rows(ws):
    out = survey_summary(ws, "2020-01-01", "2020-03-01", by="segment")
    assert out.empty
    assert "segment" in out.columns


def test_bad_group_column(ws):
    with pytest.raises(SchemaError, match="by='colour' is not a customers column"):
        nps_summary(ws, "2024-01-01", "2024-03-01", by="colour")
