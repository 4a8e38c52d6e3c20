"""The worklist: departure risk by default, lapsing customers apart, profit at risk, its order,
the value fits' notes, and lead times of the backtest."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from churnguard.churn import ContractEnd, Inactivity
from churnguard.errors import ConfigError
from churnguard.risk import ChurnRiskModel
from churnguard.risk.backtest import LEAD_COLUMNS, backtest, default_label, lead_times
from churnguard.risk.scoring import FIT_NOTES_TABLE, lifecycle, load_scores, sort_worklist

AS_OF = date(2026, 6, 1)


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    from churnguard import Workspace
    from churnguard.synth import REFERENCE_END, generate, load

    ws = Workspace.create(tmp_path_factory.mktemp("scoring") / "shop")
    load(ws, generate(customers=600, years=2, seed=11, end=REFERENCE_END), validate=False)
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def scored(company):
    # a fresh workspace, no saved model: score fits its default model (few snapshots, few
    # trees, to keep the test short)
    return _score(company, save=True)


def _score(ws, **options):
    from churnguard.risk import score

    return score(ws, AS_OF, model=ChurnRiskModel(n_estimators=60), snapshots=2, **options)


def test_score_is_exported_from_the_package():
    import churnguard.risk
    from churnguard.risk import scoring

    assert churnguard.risk.score is scoring.score and "score" in churnguard.risk.__all__


def test_lapsing_is_past_the_share_of_the_inactivity_window():
    assert lifecycle([0, 80, 81, 200], Inactivity(days=100)).tolist() == [
        "active", "active", "lapsing", "lapsing"]
    assert lifecycle([0, 50, 51], Inactivity(days=100), share=0.5).tolist() == [
        "active", "active", "lapsing"]
    assert lifecycle([400], ContractEnd()).tolist() == ["active"]  # no silence to measure
    with pytest.raises(ConfigError, match="lapsing_share must be in"):
        lifecycle([1], Inactivity(days=100), share=1.5)


def test_worklist_order_save_list_by_profit_then_value_then_lapsing():
    frame = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "e", "f"],
        "lifecycle": ["active", "active", "lapsing", "active", "active", "lapsing"],
        "profit_at_risk": [10.0, 30.0, 99.0, 10.0, np.nan, 5.0],
        "value_if_retained": [100.0, 50.0, 500.0, 300.0, 900.0, 20.0],
        "p_churn": [0.1, 0.6, 0.2, 0.03, 0.9, 0.25],
    })
    ordered = sort_worklist(frame)
    # b (30) first; a and d tie at 10, d is worth more; e without a value last of the save
    # list; the lapsing c and f after it, again by profit at risk
    assert ordered["customer_id"].tolist() == ["b", "d", "a", "e", "c", "f"]
    assert ordered["rank"].tolist() == [1, 2, 3, 4, 5, 6]


def test_default_label_is_departure_when_the_history_allows(company):
    assert default_label(company, AS_OF) == "departure"
    # the synthetic history starts 2024-07-01: a departure label over 180 + 180 days needs
    # a snapshot 60 days after it at least
    assert default_label(company, "2025-08-01") == "no_purchase"


def test_fresh_workspace_scores_departure_with_value(company, scored):
    from churnguard.value import cost_to_serve, customer_value

    assert scored.attrs["model"] == "fitted"
    assert (scored.attrs["label"], scored.attrs["horizon_days"]) == ("departure", 180)
    needed = {"customer_id", "p_churn", "clv", "value_if_retained", "profit_at_risk",
              "lifecycle", "rank", "p_alive", "expected_purchases",
              "expected_purchases_if_retained", "expected_spend", "margin", "spend_estimator",
              "cost_to_serve", "reasons", "owner_id"}
    assert needed <= set(scored.columns)
    # profit at risk = p_churn × (value if retained − cost to serve over the 12 months),
    # against the value module and the cost-to-serve module called on their own
    values = customer_value(company, AS_OF, months=12).set_index("customer_id")
    costs = cost_to_serve(company, AS_OF - timedelta(days=365), AS_OF).set_index(
        "customer_id")["cost_to_serve"]
    ids = scored["customer_id"]
    value = values["value_if_retained"].reindex(ids).to_numpy()
    cost = costs.reindex(ids).fillna(0.0).to_numpy()
    assert scored["value_if_retained"].to_numpy() == pytest.approx(value, rel=1e-9)
    assert scored["cost_to_serve"].to_numpy() == pytest.approx(cost, rel=1e-9)
    assert scored["profit_at_risk"].to_numpy() == pytest.approx(
        scored["p_churn"].to_numpy() * (value - cost), rel=1e-9)
    assert (cost > 0).mean() > 0.5  # the synthetic company has activities and cost pools
    # one definition: the public function gives the worklist's figures
    from churnguard.value import profit_at_risk

    public = profit_at_risk(scored.drop(columns="profit_at_risk"), sort=False)
    assert public["profit_at_risk"].to_numpy() == pytest.approx(
        scored["profit_at_risk"].to_numpy(), rel=1e-12, nan_ok=True)


def test_worklist_sorted_by_profit_with_lapsing_after(company, scored):
    from churnguard.risk.features import features

    assert scored["rank"].tolist() == list(range(1, len(scored) + 1))
    lapsing = (scored["lifecycle"] == "lapsing").to_numpy()
    assert lapsing.any() and (~lapsing).any()
    assert not lapsing[: (~lapsing).sum()].any()  # every active customer before any lapsing
    # silent for > 80 % of the 180 days, or told us they left (an exit survey since the
    # last order)
    told = features(company, AS_OF).set_index("customer_id")["exit_survey_since_order"]
    told = told.reindex(scored["customer_id"]).to_numpy() == 1
    assert told.any()
    assert (lapsing == ((scored["recency_days"] > 0.8 * 180).to_numpy() | told)).all()
    for _, part in scored.groupby("lifecycle"):
        par = part["profit_at_risk"].dropna()
        assert par.is_monotonic_decreasing
    assert not scored["customer_id"].is_monotonic_increasing  # not listed by id


def test_fit_warnings_kept_in_attrs_and_in_the_notes_table(company, scored):
    notes = company.table(FIT_NOTES_TABLE).to_pandas()
    mine = notes[pd.to_datetime(notes["as_of"]).dt.date == AS_OF]
    assert mine["message"].tolist() == scored.attrs["warnings"]
    assert set(mine["estimator"]) <= {scored.attrs["estimator"]}
    saved = load_scores(company, AS_OF)
    assert saved["customer_id"].tolist() == scored["customer_id"].tolist()
    assert set(saved["lifecycle"]) == {"active", "lapsing"}


def test_lead_times_per_method_hand_made():
    flags = pd.DataFrame({
        "snapshot": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-01", "2024-02-01",
                                    "2024-03-01"]),
        "customer_id": ["x", "x", "y", "y", "z"],
        "model": ["model", "model", "recency", "recency", "recency"]})
    leavers = pd.DataFrame({"customer_id": ["x", "y", "z"],
                            "churn_date": pd.to_datetime(["2024-04-01", "2024-01-20",
                                                          "2024-03-31"])})
    table = lead_times(flags, leavers)
    assert list(table.columns) == LEAD_COLUMNS
    # model: x flagged 2024-01-01, 91 days before leaving
    assert table.loc["model", "flagged"] == 1 and table.loc["model", "median_lead_days"] == 91
    assert table.loc["model", "share_lead_60d"] == pytest.approx(1 / 3)
    # recency: y flagged 19 days ahead, z 30 days ahead; none 60 days ahead
    assert table.loc["recency", "flagged"] == 2
    assert table.loc["recency", "median_lead_days"] == pytest.approx(24.5)
    assert table.loc["recency", "share_lead_60d"] == 0.0


def test_backtest_reports_lead_time_per_method(company):
    result = backtest(company, "2025-12-01", "2025-12-01", 90, snapshots=2,
                      model=ChurnRiskModel(n_estimators=40))
    lead = result.details["lead_time"]
    assert list(lead.index) == ["churnguard", "rules", "recency"]
    flags = result.details["lead_flags"]
    assert sorted(flags["snapshot"].dt.date.unique()) == [date(2025, 12, 1), date(2025, 12, 31),
                                                         date(2026, 1, 30)]
    # each snapshot flags the top 10 % of the customers active then
    per = flags.groupby(["snapshot", "model"]).size().unstack()
    assert (per.nunique(axis=1) == 1).all()
    assert (lead["flagged"] <= lead["leavers"]).all() and (lead["leavers"] > 0).all()
    assert ((lead["median_lead_days"] >= 0) & (lead["median_lead_days"] <= 90)).all()
