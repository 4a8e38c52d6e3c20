"""Sales without a customer: ``unattributed_revenue`` beside the customer-attributed revenue."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tests.factories import make_workspace, orders_frame

from churnguard import Workspace
from churnguard.churn import Inactivity
from churnguard.metrics import loyalty_kpis

SPAN = {"churn": Inactivity(90), "history_start": "2023-01-01", "data_end": "2024-03-01"}


def _lines(customers: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame({
        "order_id": ["1", "2", "3", "4", "4"],
        "line_no": [1, 1, 1, 1, 2],
        "customer_id": customers,
        "order_date": ["2024-01-05", "2024-01-06", "2024-02-01", "2024-02-10", "2024-02-10"],
        "amount": [10.0, 5.0, 7.0, 20.0, -2.0],
    })


def _workspace(folder: Path, lines: pd.DataFrame) -> Workspace:
    ws = Workspace.create(folder)
    ws.load("customers", pd.DataFrame({"customer_id": ["a", "b"]}))
    ws.load("order_lines", lines)
    return ws


def test_sales_without_a_customer_are_reported_apart(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws", _lines(["a", None, "", "b", "b"]))
    kpis = loyalty_kpis(ws, "2024-01-01", "2024-03-01", **SPAN)
    assert kpis.revenue.tolist() == [10.0, 18.0]                 # a; b 20 − 2
    assert kpis.unattributed_revenue.tolist() == [5.0, 7.0]      # lines 2 and 3
    ws.close()


def test_zero_when_every_line_has_a_customer(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws", _lines(["a", "a", "b", "b", "b"]))
    kpis = loyalty_kpis(ws, "2024-01-01", "2024-03-01", **SPAN)
    assert kpis.unattributed_revenue.tolist() == [0.0, 0.0]
    assert kpis.revenue.tolist() == [15.0, 25.0]
    ws.close()


def test_unknown_without_order_lines(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", orders=orders_frame([("a", "2024-01-05", 10.0)]))
    kpis = loyalty_kpis(ws, "2024-01-01", "2024-03-01", **SPAN)
    assert kpis.unattributed_revenue.isna().all()
    assert kpis.revenue.tolist() == pytest.approx([10.0, 0.0])
    ws.close()
