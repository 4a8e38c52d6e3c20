"""The monthly review: figures, cards, goals, filters, and the three file formats."""

from __future__ import annotations

import shutil
import zipfile
from datetime import date

import pandas as pd
import pytest
from typer.testing import CliRunner

from churnguard.cli import app as cli_app
from churnguard.report.goals import GoalProgress, goal_progress, save_goals
from churnguard.report.monthly import write_monthly_report
from churnguard.report.panels import cohort_long, risk_share
from churnguard.report.review import kpi_cards, monthly_review
from churnguard.report.scope import ScopedWorkspace
from tests.web.pages_support import make_shop


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    ws = make_shop(tmp_path_factory.mktemp("report") / "shop")
    yield ws
    ws.close()


def test_review_of_june_compares_with_may(shop):
    review = monthly_review(shop, date(2024, 6, 17))
    cards = {c.column: c for c in review.cards}
    assert (review.month, review.end) == (date(2024, 6, 1), date(2024, 7, 1))
    assert (cards["customers_end"].value, cards["customers_end"].previous) == (2, 2)
    assert cards["customers_end"].arrow == "flat" and cards["customers_end"].good is None
    assert cards["retention_rate"].value == pytest.approx(0.5)
    assert cards["retention_rate"].previous == pytest.approx(2 / 3)
    assert (cards["retention_rate"].arrow, cards["retention_rate"].good) == ("down", False)
    assert (cards["churn_rate"].arrow, cards["churn_rate"].good) == ("up", False)
    assert cards["revenue"].value == 250.0
    assert len(review.kpis.data) == 12


def test_filters_scope_every_table(shop):
    scoped = ScopedWorkspace(shop, region="华北", segment="enterprise")
    assert scoped.to_pandas("customers")["customer_id"].tolist() == ["d"]
    assert scoped.to_pandas("orders")["amount"].tolist() == [80.0]
    assert scoped.to_pandas("staff").shape[0] == 3  # no customer_id: unfiltered
    review = monthly_review(shop, date(2024, 6, 1), owner="S2")
    assert {c.column: c.value for c in review.cards}["customers_end"] == 1


def test_missing_analytics_leave_notes_not_errors(shop):
    review = monthly_review(shop, date(2024, 6, 1))
    assert review.panels["risk_by_tier"].missing == "risk_scores (churnguard score)"
    assert review.panels["cohort"].ok


def test_cards_need_the_month_in_the_table():
    frame = pd.DataFrame({"period_start": pd.to_datetime(["2024-05-01"]),
                          "retention_rate": [0.9]})
    assert kpi_cards(frame, date(2024, 6, 1)) == []
    assert kpi_cards(frame, date(2024, 5, 1))[0].previous is None


def test_goal_progress_in_both_directions():
    goals = goal_progress({"retention_rate": 0.8, "churn_rate": 0.1},
                          {"retention_rate": 0.6, "churn_rate": 0.2})
    assert goals[0] == GoalProgress("retention_rate", 0.8, 0.6)
    assert (goals[0].met, goals[0].progress) == (False, pytest.approx(0.75))
    assert (goals[1].met, goals[1].progress) == (False, pytest.approx(0.5))
    assert goal_progress({"churn_rate": 0.1}, {})[0].met is None


def test_cohort_long_reads_the_metrics_triangle():
    wide = pd.DataFrame({"cohort": pd.to_datetime(["2024-01-01", "2024-02-01"]),
                         "cohort_size": [4, 2], 0: [1.0, 1.0], 1: [0.75, float("nan")]})
    long = cohort_long(wide)
    assert long.to_dict("records") == [
        {"cohort": "2024-01", "age": 0, "value": 1.0},
        {"cohort": "2024-01", "age": 1, "value": 0.75},
        {"cohort": "2024-02", "age": 0, "value": 1.0}]


def test_risk_share_counts_high_band_or_probability():
    scores = pd.DataFrame({"tier": ["core", "core", "core", "low"],
                           "p_churn": [0.2, 0.6, 0.1, 0.3],
                           "risk_band": ["high", "medium", "low", "low"]})
    table = risk_share(scores)
    assert table.to_dict("records") == [
        {"tier": "core", "customers": 3, "at_risk": 2, "share": pytest.approx(2 / 3)},
        {"tier": "low", "customers": 1, "at_risk": 0, "share": 0.0}]


def test_html_is_self_contained_with_charts(shop, tmp_path):
    save_goals(shop, {"retention_rate": 0.9})
    path = write_monthly_report(shop, date(2024, 6, 1), tmp_path / "r.html", lang="zh")
    text = path.read_text("utf-8")
    for label in ("月度客户留存回顾", "客户基数", "客户留存率", "服务目标", "2024-06"):
        assert label in text
    assert "echarts.init(document.getElementById('trend'))" in text
    assert "<script src=" not in text  # nothing fetched from elsewhere
    english = write_monthly_report(shop, date(2024, 6, 1), tmp_path / "e.html", lang="en")
    assert "Monthly retention review" in english.read_text("utf-8")


def test_workbook_has_one_sheet_per_table(shop, tmp_path):
    path = write_monthly_report(shop, date(2024, 6, 1), tmp_path / "r.xlsx", fmt="xlsx")
    sheets = pd.read_excel(path, sheet_name=None)
    assert {"about", "kpis", "kpis_vs_previous", "cohort", "survival"} <= set(sheets)
    june = sheets["kpis"].iloc[-1]
    assert (june["customers_end"], june["retention_rate"]) == (2, 0.5)
    assert zipfile.is_zipfile(path)


@pytest.mark.browser
def test_pdf_is_printed_by_chromium(shop, tmp_path):
    if not (shutil.which("chromium") or shutil.which("google-chrome")):
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    path = write_monthly_report(shop, date(2024, 6, 1), tmp_path / "r.pdf", fmt="pdf")
    data = path.read_bytes()
    assert data.startswith(b"%PDF") and b"NotoSansCJK" in data


def test_cli_writes_and_explains_mistakes(shop, tmp_path):
    runner = CliRunner()
    out = tmp_path / "review.xlsx"
    result = runner.invoke(cli_app, ["report", "--workspace", str(shop.folder), "--month",
                                     "2024-06", "--format", "xlsx", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists()
    bad = runner.invoke(cli_app, ["report", "--workspace", str(shop.folder), "--month",
                                  "2024-06", "--format", "docx"])
    assert "--format 'docx' is not one of html, xlsx, pdf" in str(bad.exception)


def test_risk_by_tier_uses_the_latest_scores_in_scope(tmp_path):
    import pyarrow as pa

    from churnguard.report.panels import risk_by_tier_panel

    ws = make_shop(tmp_path / "shop")
    ws.warehouse.replace("risk_scores", pa.table({
        "customer_id": ["a", "a", "b", "d"],
        "as_of": pa.array([date(2024, 6, 1), date(2024, 7, 1), date(2024, 6, 20),
                           date(2024, 7, 5)]),
        "p_churn": [0.9, 0.1, 0.8, 0.9], "risk_band": ["high", "low", "high", "high"]}))
    panel = risk_by_tier_panel(ScopedWorkspace(ws, region="华东"), date(2024, 7, 1))
    assert panel.ok, panel
    frame = panel.data
    # a's latest score as of 1 July (data before it) is low, b's is high; d (华北, and scored
    # after) is out.
    assert frame["customers"].sum() == 2 and frame["at_risk"].sum() == 1
    ws.close()
