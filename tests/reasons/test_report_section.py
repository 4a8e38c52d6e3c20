"""The reasons section of the demo report."""

from __future__ import annotations

from datetime import date

import pandas as pd
from tests.factories import make_workspace, orders_frame

from churnguard.report.sections import DEMO_SECTIONS
from churnguard.report.sections import reasons as section


def test_section_is_in_the_demo_report():
    assert "churnguard.report.sections.reasons" in DEMO_SECTIONS


def test_section_has_pareto_and_nps_charts(tmp_path):
    orders = orders_frame([("a", "2023-01-10", 300.0), ("b", "2023-02-10", 100.0),
                           ("c", "2024-05-01", 50.0)])
    interactions = pd.DataFrame({
        "interaction_id": ["1", "2", "3", "4"], "customer_id": ["a", "b", "c", "c"],
        "ts": ["2023-03-01", "2023-03-05", "2024-05-02", "2024-05-03"],
        "kind": ["complaint", "exit_survey", "nps", "survey"],
        "text": ["价格太高了", "deliveries were always late", None, None],
        "score": [None, None, 9.0, 4.0]})
    ws = make_workspace(tmp_path / "ws", orders=orders, interactions=interactions)
    built = section.build(ws, date(2024, 6, 1))
    ws.close()
    assert [c.id for c in built.charts] == ["reasons-pareto-revenue", "reasons-pareto-customers",
                                            "reasons-nps"]
    pareto = built.tables[0][1]
    # Inactivity(180): a churns 2023-07-09 (lost 300), b 2023-08-09 (lost 100)
    assert pareto[["reason", "lost_revenue"]].values.tolist() == [["Price", 300.0],
                                                                   ["Delivery and logistics",
                                                                    100.0]]
    assert "2 customers churned" in built.intro
    assert "Fix first: Price (价格因素)" in built.intro
    assert built.charts[0].option["series"][1]["data"] == [75.0, 100.0]  # cumulative %
    nps = built.charts[2].option["series"][0]["data"]
    assert nps[-1] == 100.0  # May 2024, the last month before as_of: one promoter


def test_section_skips_without_data(workspace):
    assert section.build(workspace, date(2024, 6, 1)) is None
