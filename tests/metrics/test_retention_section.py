"""The demo report's retention section on the shared shop."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.metrics.shop import shop_workspace

from churnguard.churn import Inactivity
from churnguard.metrics import loyalty_kpis
from churnguard.report.document import render_html
from churnguard.report.sections import DEMO_SECTIONS, retention


def test_retention_section(tmp_path: Path) -> None:
    assert "churnguard.report.sections.retention" in DEMO_SECTIONS
    ws = shop_workspace(tmp_path / "ws")
    section = retention.build(ws, date(2024, 6, 15))
    assert section is not None
    assert [c.id for c in section.charts] == ["retention-trend", "retention-logo-revenue",
                                              "retention-bridge", "retention-cohorts"]
    kpis = section.tables[0][1]
    assert kpis["month 月份"].tolist()[-3:] == ["2024-03", "2024-04", "2024-05"]
    # the data starts 2023-11-01: under the workspace's 180 days nobody can churn before
    # 2024-04-29, so March and April are warm-up months without retention figures; the data
    # ends 2024-05-20, so May is partial (it stops at 05-21)
    assert kpis["状态 status"].tolist()[-3:] == ["预热期 warm-up", "预热期 warm-up",
                                                "不完整 partial"]
    assert kpis["留存率 retention"].tolist()[-3:] == ["", "", "100.0%"]
    assert "2023-11-01" in section.intro and "2024-04-29" in section.intro
    assert "预热期 warm-up" in section.intro
    # the same shop when the workspace says the history started long before: a, b and c are
    # kept through April and May
    ws.settings.data.history_start = date(2022, 1, 1)
    assert ws.history_start() == date(2022, 1, 1)
    section = retention.build(ws, date(2024, 6, 15))
    kpis = section.tables[0][1]
    expected = loyalty_kpis(ws, "2024-03-01", "2024-06-01", churn=Inactivity(180),
                            history_start="2022-01-01")
    assert expected.status.tolist() == ["complete", "complete", "partial"]
    assert expected.retention_rate.tolist() == [1.0, 1.0, 1.0]
    assert kpis["留存率 retention"].tolist()[-3:] == ["100.0%"] * 3
    assert kpis["期末客户 end"].tolist()[-3:] == expected.customers_end.tolist()
    cohorts = section.tables[1][1]
    assert cohorts["cohort"].tolist() == ["2023-11", "2024-01", "2024-02", "2024-03", "2024-04"]
    heat = section.charts[-1].option["series"][0]["data"]
    assert len(heat) == 7 + 5 + 4 + 3 + 2 and [6, 0, 100.0] in heat   # d never lapses (180 d)
    assert "客户流失率" in section.intro
    html = render_html("t", [section])
    assert "retention-cohorts" in html
    ws.close()


def test_no_orders_no_section(workspace) -> None:
    assert retention.build(workspace, date(2024, 6, 1)) is None
