from __future__ import annotations

import pandas as pd
import pytest
from tests.factories import make_workspace, orders_frame

from churnguard.churn import Inactivity
from churnguard.errors import ConfigError
from churnguard.risk.backtest import BACKTEST_COLUMNS, backtest, snapshot, snapshot_dates
from churnguard.risk.scoring import RISK_SCORES_TABLE, load_scores, risk_band, score


@pytest.fixture
def shop(tmp_path):
    # as_of 2024-03-01, Inactivity(60), horizon 30:
    # a: last 2024-01-10 -> churn date 03-10 (in window), never back      -> churn 1
    # b: 01-20 and 03-05 (a purchase in the window)                        -> churn 0
    # c: 02-25, then silent; churn date 04-25 (after the window)           -> churn 0
    # d: last 2023-11-01 -> churned already at as_of, not active            -> absent
    rows = [("a", "2024-01-10", 10.0), ("b", "2024-01-20", 5.0), ("b", "2024-03-05", 5.0),
            ("c", "2024-02-25", 7.0), ("d", "2023-11-01", 9.0), ("b", "2024-06-01", 1.0)]
    ws = make_workspace(tmp_path / "w", orders=orders_frame(rows))
    yield ws
    ws.close()


def _labels(ws, label, horizon=30):
    frame = snapshot(ws, "2024-03-01", horizon_days=horizon, churn=Inactivity(days=60),
                     label=label)
    return dict(zip(frame["customer_id"], frame["churned"], strict=True))


def test_labels_by_hand(shop):
    assert _labels(shop, "churn") == {"a": 1, "b": 0, "c": 0}
    # no purchase in [03-01, 03-31): a and c
    assert _labels(shop, "no_purchase") == {"a": 1, "b": 0, "c": 1}
    # departure: a churn event in [03-01, 03-31 + 60 days): a (03-10) and c (04-25);
    # b's churn date is 05-04 (03-05 + 60), also inside [03-01, 05-30): b left after 03-05
    assert _labels(shop, "departure") == {"a": 1, "b": 1, "c": 1}


def test_label_window_past_the_data_is_refused(shop):
    with pytest.raises(ConfigError, match="ends after the last order \\(2024-06-01\\)"):
        snapshot(shop, "2024-05-15", horizon_days=30)
    with pytest.raises(ConfigError, match="label='lost' is not one of"):
        snapshot(shop, "2024-03-01", label="lost")


def test_snapshot_dates_end_before_the_training_cutoff():
    dates = snapshot_dates("2024-12-31", horizon_days=90, count=3, spacing_days=30)
    assert [str(d) for d in dates] == ["2024-10-02", "2024-09-02", "2024-08-03"]


def test_fit_history_method(shop):
    from churnguard.risk import ChurnRiskModel

    model = ChurnRiskModel(n_estimators=5).fit_history(
        shop, ["2024-03-01", "2024-02-01"], horizon_days=30, churn=Inactivity(days=60),
        label="no_purchase")
    assert model.training_dates_[0].isoformat() == "2024-02-01"
    assert model.horizon_days_ == 30 and model.training_rows_ == 5  # 3 active + 2 active


def test_risk_bands():
    assert risk_band([0.0, 0.19, 0.2, 0.49, 0.5, 1.0]).tolist() == [
        "low", "low", "medium", "medium", "high", "high"]
    with pytest.raises(ConfigError, match="0 < medium < high < 1"):
        risk_band([0.1], bands=(0.6, 0.5))


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    from churnguard import Workspace
    from churnguard.synth import REFERENCE_END, generate, load

    ws = Workspace.create(tmp_path_factory.mktemp("risk") / "shop")
    load(ws, generate(customers=600, years=2, seed=3, end=REFERENCE_END), validate=False)
    yield ws
    ws.close()


def test_backtest_and_score_on_a_small_company(company):
    result = backtest(company, "2026-01-01", "2026-03-01", 90, snapshots=2)
    assert list(result.table.index) == ["churnguard", "rules", "recency"]
    assert list(result.table.columns) == BACKTEST_COLUMNS
    assert result.table.loc["churnguard", "roc_auc"] > 0.7
    assert pd.isna(result.table.loc["recency", "brier"])
    assert result.calibration["customers"].sum() == result.details["evaluated"]
    assert set(result.curves["model"]) == {"churnguard", "rules", "recency"}

    scores = score(company, "2026-06-01", model=result.model, top=None)
    assert scores["rank"].tolist() == list(range(1, len(scores) + 1))
    assert (scores["risk_band"] == risk_band(scores["p_churn"])).all()
    assert (scores["health_score"] == (100 * (1 - scores["p_churn"])).round(1)).all()
    worst = scores.iloc[0]
    assert worst["reasons"] and worst["reasons_zh"]
    saved = load_scores(company)
    assert len(saved) == len(scores)
    required = {"customer_id", "as_of", "p_churn", "risk_band", "health_score", "reasons",
                "rules_fired", "clv", "profit_at_risk", "owner_id"}
    assert required <= set(company.table(RISK_SCORES_TABLE).columns)
    assert str(saved["as_of"].iloc[0])[:10] == "2026-06-01"
    # a second date keeps the first as history; re-scoring a date replaces its rows
    score(company, "2026-05-01", model=result.model)
    score(company, "2026-06-01", model=result.model)
    history = company.table(RISK_SCORES_TABLE).to_pandas()
    assert history.groupby("as_of").size().tolist() == [
        len(load_scores(company, "2026-05-01")), len(scores)]
    assert len(load_scores(company)) == len(scores)  # the latest date by default
    with_value = scores.dropna(subset=["value_if_retained"])
    assert len(with_value) > 0.9 * len(scores)


def test_report_section_and_cli(company, tmp_path):
    from typer.testing import CliRunner

    from churnguard.cli import app
    from churnguard.report.sections import risk

    section = risk.build(company, pd.Timestamp("2026-06-01").date())
    assert section is not None and "Early warning" in section.title
    assert [c.id for c in section.charts] == ["risk-lift", "risk-calibration"]
    assert "recency only" in section.tables[0][1]["model"].tolist()
    folder = company.folder
    result = CliRunner().invoke(app, ["score", "--workspace", str(folder), "--as-of",
                                      "2026-06-01", "--top", "5", "--snapshots", "2",
                                      "--format", "csv", "--no-save"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[0].startswith("customer_id,as_of,p_churn,risk_band")
    assert len(lines) == 6
