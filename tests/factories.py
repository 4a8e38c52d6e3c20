"""Tiny hand-built tables for tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from churnguard import Workspace


def orders_frame(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    """Orders from ``(customer_id, order_date, amount)`` tuples; ids are generated."""
    return pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(1, len(rows) + 1)],
            "customer_id": [r[0] for r in rows],
            "order_date": [r[1] for r in rows],
            "amount": [r[2] for r in rows],
        }
    )


def make_workspace(folder: Path, **tables: pd.DataFrame) -> Workspace:
    """A DuckDB workspace loaded with ``tables`` (customers first; they are derived from the
    other tables' ``customer_id`` when not given)."""
    ws = Workspace.create(folder)
    customers = tables.pop("customers", None)
    if customers is None:
        ids = sorted({cid for frame in tables.values() if "customer_id" in frame
                      for cid in frame["customer_id"]})
        customers = pd.DataFrame({"customer_id": ids})
    ws.load("customers", customers)
    for name, frame in tables.items():
        ws.load(name, frame)
    return ws
