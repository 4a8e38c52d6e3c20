"""Tiny hand-built tables for tests."""

from __future__ import annotations

from datetime import date
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


def set_history_start(ws: Workspace, day: str) -> Workspace:
    """Record in ``ws``'s churnguard.toml (and its loaded settings) that the business's history
    starts on ``day`` (YYYY-MM-DD): hand-made shops whose first orders are real first purchases
    then have no warm-up periods."""
    import tomlkit

    start = date.fromisoformat(day)
    path = Path(ws.folder) / "churnguard.toml"
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    if "data" not in document:
        document["data"] = tomlkit.table()
    document["data"]["history_start"] = start
    path.write_text(tomlkit.dumps(document), encoding="utf-8")
    ws.settings.data.history_start = start
    return ws
