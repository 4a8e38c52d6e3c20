from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from tests.factories import make_workspace
from typer.testing import CliRunner

from churnguard.cli import app
from churnguard.report.sections import value as value_section


@pytest.fixture(scope="module")
def cdnow_workspace(tmp_path_factory, cdnow_orders):
    orders = cdnow_orders.assign(order_id=[f"o{i}" for i in range(len(cdnow_orders))],
                                 cost=cdnow_orders["amount"] * 0.6)
    pools = pd.DataFrame({"activity": ["delivery"], "period": pd.to_datetime(["1996-10-01"]),
                          "total_cost": [1000.0]})
    activities = pd.DataFrame({"customer_id": ["1", "2"], "activity": ["delivery"] * 2,
                               "date": pd.to_datetime(["1997-03-01", "1997-05-01"]),
                               "count": [1.0, 4.0]})
    ws = make_workspace(tmp_path_factory.mktemp("value") / "ws", orders=orders,
                        activities=activities, cost_pools=pools)
    yield ws
    ws.close()


def test_value_command_json(cdnow_workspace):
    result = CliRunner().invoke(app, ["value", "-w", str(cdnow_workspace.folder),
                                      "--as-of", "1997-10-01", "--format", "json", "--top", "3"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert [t["tier"] for t in payload["tiers"]] == ["core", "growth", "maintain", "low"]
    assert sum(t["customers"] for t in payload["tiers"]) == 2357
    assert len(payload["core_customers"]) == 3
    assert payload["margin"] == pytest.approx(0.4)
    params = {p["parameter"]: p["estimate"] for p in payload["parameters"]}
    assert params["r"] == pytest.approx(0.243, rel=0.01)
    assert params["p"] == pytest.approx(6.25, rel=0.02)
    # 1000 spread over 5 deliveries: customer 2 costs 800 and loses money on $11.77 of orders
    assert payload["whale_curve"]["cost_to_serve"] == pytest.approx(1000.0)
    assert payload["whale_curve"]["share_losing_money"] > 0


def test_value_command_table_save_and_errors(cdnow_workspace):
    runner = CliRunner()
    result = runner.invoke(app, ["value", "-w", str(cdnow_workspace.folder),
                                 "--as-of", "1997-10-01", "--by", "revenue", "--save"])
    assert result.exit_code == 0, result.output
    assert "核心客户" in result.output and "lose money" in result.output
    assert "2,357 new" in result.output
    stored = cdnow_workspace.to_pandas("value_tiers")
    assert len(stored) == 2357 and set(stored["by"]) == {"revenue"}
    bad = runner.invoke(app, ["value", "-w", str(cdnow_workspace.folder),
                              "--as-of", "1997-10-01", "--by", "margin"])
    assert bad.exit_code != 0
    assert "choose clv, revenue or profit" in str(bad.exception)
    no_file = runner.invoke(app, ["value", "-w", str(cdnow_workspace.folder),
                                  "--as-of", "1997-10-01", "--format", "xlsx"])
    assert "--format xlsx needs --output FILE.xlsx" in str(no_file.exception)


def test_report_section(cdnow_workspace, workspace):
    section = value_section.build(cdnow_workspace, date(1997, 10, 1))
    assert section is not None
    assert [c.id for c in section.charts] == ["value-tiers", "value-clv", "value-whale",
                                              "value-holdout"]
    assert "2,357 customers" in section.intro
    assert value_section.build(workspace, date(1997, 10, 1)) is None  # no orders


def test_clv_histogram_bands():
    bands = value_section.clv_histogram(pd.Series([0.0, 0.5, 5, 50, 2000, 25000]))
    assert bands["customers"].sum() == 6
    assert bands.set_index("band").loc["1k–3k", "customers"] == 1
    assert bands["band"].iloc[-1] == "≥30k"


def test_value_validate_prints_the_library_result(cdnow_workspace, cdnow_orders):
    from churnguard.value import validate_clv

    runner = CliRunner()
    args = ["value", "-w", str(cdnow_workspace.folder), "--validate",
            "--calibration-end", "1997-10-01", "--months", "6"]
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    expected = validate_clv(cdnow_orders, "1997-10-01", months=6)
    assert [row["decile"] for row in payload["rows"]] == expected["decile"].tolist()
    assert [row["predicted_revenue"] for row in payload["rows"]] == pytest.approx(
        expected["predicted_revenue"].tolist(), rel=1e-9)
    assert [row["actual_revenue"] for row in payload["rows"]] == pytest.approx(
        expected["actual_revenue"].tolist())
    assert payload["summary"]["total_error"] == pytest.approx(
        expected.attrs["summary"]["total_error"])
    assert payload["estimator"] == "gamma_gamma" and payload["end"] == "1998-04-01"
    table = runner.invoke(app, args)
    assert table.exit_code == 0, table.output
    assert "CLV holdout check" in table.output and "last period's revenue" in table.output
    assert "one-time buyers' error" in table.output and "Fit warnings: none" in table.output
    # without --calibration-end: --months before the day after the last order (1998-06-30)
    default = runner.invoke(app, ["value", "-w", str(cdnow_workspace.folder), "--validate",
                                  "--months", "3", "--format", "json"])
    assert json.loads(default.output)["calibration_end"] == "1998-04-01"


def test_value_table_shows_estimator_and_warnings(cdnow_workspace):
    result = CliRunner().invoke(app, ["value", "-w", str(cdnow_workspace.folder),
                                      "--as-of", "1997-10-01"])
    assert result.exit_code == 0, result.output
    assert "spend estimator: Gamma-Gamma" in result.output
    assert "Fit warnings: none" in result.output
    payload = json.loads(CliRunner().invoke(app, [
        "value", "-w", str(cdnow_workspace.folder), "--as-of", "1997-10-01", "--format",
        "json"]).output)
    assert payload["spend_estimator"] == "gamma_gamma" and payload["warnings"] == []
    assert all(p["lower_95"] > 0 for p in payload["parameters"])


def test_value_command_shows_fit_warnings_and_the_fallback(tmp_path):
    from churnguard import synth

    tables = synth.generate(3000, years=3, seed=0, end=synth.REFERENCE_END)
    ws = make_workspace(tmp_path / "synth", orders=tables["orders"],
                        customers=tables["customers"])
    ws.close()
    result = CliRunner().invoke(app, ["value", "-w", str(tmp_path / "synth"), "--as-of",
                                      "2026-07-01", "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    # the synthetic company's spend grows with frequency (Pearson > 0.3): Gamma-Gamma is
    # flagged and the shrinkage estimator prices every customer
    codes = {w["code"] for w in payload["warnings"]}
    assert "spend_frequency_correlated" in codes
    assert payload["spend_estimator"] == "shrinkage"
    assert "spend_frequency_correlated" in payload["spend_reason"]
    table = CliRunner().invoke(app, ["value", "-w", str(tmp_path / "synth"), "--as-of",
                                     "2026-07-01"])
    assert "Fit warnings" in table.output and "frequency and monetary value are" in table.output
    assert "spend estimator: shrinkage" in table.output
