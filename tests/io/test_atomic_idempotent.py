"""Loads are all-or-nothing (even when the process is killed midway) and idempotent."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from churnguard import Workspace
from churnguard.errors import DataImportError
from tests.factories import make_workspace, orders_frame

KILL_MIDWAY = textwrap.dedent("""
    import sys
    import pandas as pd
    from churnguard import Workspace

    class PauseAfterDelete:
        '''Wraps the DuckDB connection: after the DELETE of an upsert, report and wait.'''
        def __init__(self, raw):
            self._raw = raw
        def execute(self, sql, *args):
            result = self._raw.execute(sql, *args)
            if sql.startswith("DELETE"):
                print("MIDWAY", flush=True)
                sys.stdin.readline()  # the parent kills us here
            return result
        def __getattr__(self, name):
            return getattr(self._raw, name)

    ws = Workspace.open(sys.argv[1])
    ws.warehouse.con.con = PauseAfterDelete(ws.warehouse.con.con)
    new = pd.DataFrame({"order_id": ["o1", "o2", "o9"], "customer_id": ["a", "a", "b"],
                        "order_date": ["2024-05-01"] * 3, "amount": [999.0] * 3})
    ws.load("orders", new)
    print("FINISHED", flush=True)
""")


def test_killed_load_leaves_the_warehouse_unchanged(tmp_path: Path):
    ws = make_workspace(tmp_path / "ws", orders=orders_frame(
        [("a", "2024-01-01", 10.0), ("a", "2024-02-01", 20.0), ("b", "2024-03-01", 30.0)]))
    before = ws.to_pandas("orders").sort_values("order_id").reset_index(drop=True)
    ws.close()
    child = subprocess.Popen([sys.executable, "-c", KILL_MIDWAY, str(tmp_path / "ws")],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                             cwd=Path(__file__).resolve().parents[2])
    assert child.stdout.readline().strip() == "MIDWAY"
    child.send_signal(signal.SIGKILL)
    child.wait()
    with Workspace.open(tmp_path / "ws") as reopened:
        after = reopened.to_pandas("orders").sort_values("order_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after)


def test_failed_validation_writes_nothing(tmp_path: Path):
    ws = make_workspace(tmp_path / "ws", orders=orders_frame([("a", "2024-01-01", 10.0)]))
    bad = orders_frame([("a", "2024-01-05", 1.0), ("a", "not a date", 2.0)])
    bad["order_id"] = ["o1", "o2"]
    with pytest.raises(DataImportError):
        ws.load("orders", bad)
    assert ws.to_pandas("orders")["amount"].tolist() == [10.0]


def test_loading_the_same_file_twice_changes_nothing(tmp_path: Path):
    ws = make_workspace(tmp_path / "ws")
    ws.load("customers", pd.DataFrame({"customer_id": ["a", "b"]}))
    path = tmp_path / "orders.csv"
    orders_frame([("a", "2024-01-01", 10.0), ("b", "2024-01-02", 5.0)]).to_csv(path, index=False)
    first = ws.load("orders", path)
    snapshot = ws.to_pandas("orders").sort_values("order_id").reset_index(drop=True)
    second = ws.load("orders", path)
    again = ws.to_pandas("orders").sort_values("order_id").reset_index(drop=True)
    assert (first.inserted, first.updated) == (2, 0)
    assert (second.inserted, second.updated) == (0, 2)
    pd.testing.assert_frame_equal(snapshot, again)


def test_a_changed_row_with_the_same_key_is_updated(tmp_path: Path):
    ws = make_workspace(tmp_path / "ws", orders=orders_frame(
        [("a", "2024-01-01", 10.0), ("a", "2024-01-02", 5.0)]))
    result = ws.load("orders", pd.DataFrame({"order_id": ["o2", "o3"], "customer_id": ["a", "a"],
                                             "order_date": ["2024-01-02", "2024-01-03"],
                                             "amount": [7.5, 1.0]}))
    assert (result.inserted, result.updated) == (1, 1)
    got = ws.to_pandas("orders").set_index("order_id")["amount"].sort_index()
    assert got.to_dict() == {"o1": 10.0, "o2": 7.5, "o3": 1.0}


def test_unknown_interaction_kind_is_rejected(tmp_path: Path):
    ws = make_workspace(tmp_path / "ws", customers=pd.DataFrame({"customer_id": ["a"]}))
    frame = pd.DataFrame({"interaction_id": ["i1"], "customer_id": ["a"],
                          "ts": ["2024-01-01"], "kind": ["tweet"]})
    with pytest.raises(DataImportError, match=r"column kind: 'tweet' is not one of complaint"):
        ws.load("interactions", frame)
