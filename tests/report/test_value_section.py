"""The report's value section says which spend estimator was used, lists the fits' warnings
and charts the CLV holdout check (validate_clv: predicted vs actual by decile, with the
"last period's revenue" baseline)."""

from __future__ import annotations

import warnings
from datetime import date

import numpy as np
import pandas as pd
import pytest

from churnguard import Workspace
from churnguard.report.sections import value as value_section
from churnguard.value import FitWarning, validate_clv

AS_OF = date(2025, 1, 1)


def heavy_tailed_shop(folder) -> Workspace:  # noqa: ANN001
    """150 customers buying at gamma-distributed rates until they drop out; their spend per
    order follows a Pareto tail of index 0.5 (infinite mean), so Gamma-Gamma's q ends ≤ 1."""
    rng = np.random.default_rng(3)
    rows = []
    for i in range(150):
        rate, life, start = rng.gamma(2, 1 / 60), rng.exponential(500), rng.integers(0, 300)
        days, t = [float(start)], float(start)
        while (t := t + rng.exponential(1 / rate)) <= min(start + life, 730):
            days.append(t)
        scale = 10 * ((i + 0.5) / 150) ** (-1 / 0.5)
        rows += [(f"c{i:03d}", pd.Timestamp("2023-01-01") + pd.Timedelta(days=int(d)),
                  round(scale * rng.uniform(0.8, 1.2), 2)) for d in days]
    orders = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    orders["order_id"] = [f"o{k}" for k in range(len(orders))]
    ws = Workspace.create(folder)
    ws.load("customers", pd.DataFrame({"customer_id": sorted(orders.customer_id.unique())}))
    ws.load("orders", orders)
    return ws


@pytest.fixture(scope="module")
def section_and_ws(tmp_path_factory):  # noqa: ANN201
    ws = heavy_tailed_shop(tmp_path_factory.mktemp("value") / "ws")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        section = value_section.build(ws, AS_OF)
    yield section, ws, caught
    ws.close()


def test_section_names_the_estimator_and_lists_the_fit_warnings(section_and_ws):
    section, _, caught = section_and_ws
    assert "robust shrinkage estimator" in section.intro
    assert "Gamma-Gamma unusable: infinite_mean_spend" in section.intro
    tables = dict(section.tables)
    notes = tables["Fit warnings 模型拟合警告"]
    assert list(notes.columns) == ["model", "code", "warning"]
    q_row = notes[notes["code"] == "infinite_mean_spend"]
    assert len(q_row) == 1 and "<= 1" in q_row["warning"].iloc[0]
    assert f"The fits gave {len(notes)} warning(s)" in section.intro
    assert any(issubclass(w.category, FitWarning) for w in caught)  # not silenced


def test_section_charts_the_holdout_check_of_validate_clv(section_and_ws):
    section, ws, _ = section_and_ws
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)
        expected = validate_clv(ws, date(2024, 7, 1), months=6)
    chart = {c.id: c for c in section.charts}["value-holdout"]
    series = {s["name"]: s["data"] for s in chart.option["series"]}
    deciles = expected[~expected["decile"].isin(["total", "one_time"])]
    assert chart.option["xAxis"]["data"] == [str(d) for d in range(1, 11)]
    assert series["predicted"] == deciles["predicted_revenue"].round(0).tolist()
    assert series["actual"] == deciles["actual_revenue"].round(0).tolist()
    assert series["last period's revenue (baseline)"] == \
        deciles["baseline_revenue"].round(0).tolist()
    table = dict(section.tables)["CLV on a 6-month holdout 预测与实际"]
    pd.testing.assert_frame_equal(table, expected)
    total = expected.set_index("decile").loc["total"]
    error = total["predicted_revenue"] / total["actual_revenue"] - 1
    assert f"was {value_section._signed(error)} against actual in total" in section.intro


def test_holdout_text_reads_the_figures_and_the_baseline():
    table = pd.DataFrame({"decile": ["1", "total"]})
    table.attrs.update(calibration_end="2024-07-01", end="2025-01-01",
                       summary={"total_error": 0.04, "one_time_error": -0.25,
                                "mean_decile_abs_error": 0.12},
                       baseline={"total_error": -0.18, "one_time_error": -1.0,
                                 "mean_decile_abs_error": 0.4})
    text = value_section.holdout_text(table)
    assert "fitted on orders before 2024-07-01" in text and "(to 2025-01-01)" in text
    assert "was +4.0% against actual in total (last period's revenue as the forecast: -18%)" \
        in text
    assert "-25% for one-time buyers (-100%)" in text
    assert "off by 12% per predicted decile on average (40%)" in text
