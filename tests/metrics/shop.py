"""The small shop the metric tests share; every figure in the tests is worked out from it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from tests.factories import make_workspace, orders_frame

from churnguard import Workspace

# Inactivity(days=60); periods March, April, May 2024 (previous period: February).
#   a: buys 01-10 (100), 02-20 (50); 80 days pass → churns 04-20; returns 05-10 (80)
#   b: one order 03-05 (40) → new in March, churns 05-04
#   c: 02-05 (200), 03-10 (100), 03-25 (60), 04-15 (300); returns goods 05-20 (−50)
#   d: 2023-11-01 (500) → churned 2023-12-31; won back 04-02 (70); 04-02 + 60 = 06-01 is not
#      before the end, so d is still active at 06-01
#   e: new 04-10 (30) and 04-25 (30);  f: never orders (prospect)
ORDERS = orders_frame([
    ("a", "2024-01-10", 100.0), ("a", "2024-02-20", 50.0), ("a", "2024-05-10", 80.0),
    ("b", "2024-03-05", 40.0),
    ("c", "2024-02-05", 200.0), ("c", "2024-03-10", 100.0), ("c", "2024-03-25", 60.0),
    ("c", "2024-04-15", 300.0), ("c", "2024-05-20", -50.0),
    ("d", "2023-11-01", 500.0), ("d", "2024-04-02", 70.0),
    ("e", "2024-04-10", 30.0), ("e", "2024-04-25", 30.0),
])
INTERACTIONS = pd.DataFrame([
    ("i1", "c", "2024-03-02 10:00", "complaint", None, "2024-03-04 09:00"),
    ("i2", "c", "2024-03-10", "survey", 5.0, None),          # 6 days after resolution: counts
    ("i3", "c", "2024-03-20", "survey", 2.0, None),          # 16 days after: not a follow-up
    ("i4", "a", "2024-03-28", "complaint", None, None),      # unresolved: window to 04-11
    ("i5", "a", "2024-04-05", "survey", 3.0, None),
    ("i6", "a", "2024-04-08", "survey", 4.0, None),
    ("i7", "b", "2024-04-05", "survey", 5.0, None),          # b never complained
    ("i8", "e", "2024-05-03", "nps", 10.0, None),            # not a CSAT survey
    ("i9", "d", "2024-04-30", "survey", 1.0, None),          # before d's complaint
    ("i10", "d", "2024-05-01", "complaint", None, "2024-07-01"),  # resolved after the end
    ("i11", "d", "2024-05-10", "survey", 4.0, None),
], columns=["interaction_id", "customer_id", "ts", "kind", "score", "resolved_at"])
INTERACTIONS["reason"] = [None, None, None, "price", None, None, None, None, None, "service", None]
WALLET = pd.DataFrame({
    "customer_id": ["a", "c", "d"],
    "period": ["2023-01-01", "2024-01-01", "2024-01-01"],
    "category_spend": [1000.0, 3660.0, 7320.0],
})


CUSTOMERS = pd.DataFrame({"customer_id": list("abcdef"), "segment": list("xxyyyx")})


def shop_workspace(folder: Path) -> Workspace:
    """A DuckDB workspace holding the shop."""
    return make_workspace(folder, customers=CUSTOMERS, orders=ORDERS,
                          interactions=INTERACTIONS, wallet=WALLET)
