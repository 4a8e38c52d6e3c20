"""Where the history starts: warm-up periods, worked out by hand.

The data of this shop starts mid-stream on 2024-01-05; under Inactivity(60) nobody can have
churned before 2024-03-05 and everybody who buys before then looks new.

    x: 2024-01-05 (100), 2024-03-01 (50)  → churns 04-30
    y: 2024-01-20 (40)                    → churns 03-20
    z: 2024-04-10 (30)                    → new in April, still active at 06-01
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from tests.factories import make_workspace, orders_frame
from typer.testing import CliRunner

from churnguard import Workspace
from churnguard.churn import ContractEnd, Inactivity
from churnguard.cli import metrics_cmds
from churnguard.metrics import loyalty_kpis
from churnguard.metrics.loyalty import WARM_UP_COLUMNS

ORDERS = orders_frame(
    [
        ("x", "2024-01-05", 100.0),
        ("x", "2024-03-01", 50.0),
        ("y", "2024-01-20", 40.0),
        ("z", "2024-04-10", 30.0),
    ]
)
CHURN = Inactivity(days=60)
END = "2024-06-01"  # the data is complete up to here (tests of the end of the data: below)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory):
    workspace = make_workspace(tmp_path_factory.mktemp("history") / "ws", orders=ORDERS)
    yield workspace
    workspace.close()


def test_periods_before_history_start_plus_churn_window_are_warm_up(ws: Workspace) -> None:
    kpis = loyalty_kpis(ws, "2024-01-01", "2024-06-01", churn=CHURN, data_end=END)
    # Jan, Feb and Mar start before 2024-01-05 + 60 days = 03-05
    assert kpis.status.tolist() == ["warm_up"] * 3 + ["complete"] * 2
    warm = kpis.iloc[:3]
    for column in WARM_UP_COLUMNS:
        assert warm[column].isna().all(), column
    # what was measured stays: revenue and the customers seen so far
    assert kpis.revenue.tolist() == [140.0, 0.0, 50.0, 30.0, 0.0]
    assert kpis.customers_start.tolist() == [0, 2, 2, 1, 1]
    assert kpis.customers_end.tolist() == [2, 2, 1, 1, 1]
    # April: x (active at 04-01) churns 04-30 and z arrives; May keeps z
    assert kpis.new_customers.tolist()[3:] == [1, 0]
    assert kpis.churned_customers.tolist()[3:] == [1, 0]
    assert kpis.retention_rate.tolist()[3:] == pytest.approx([0.0, 1.0])
    assert kpis.churn_rate.tolist()[3:] == pytest.approx([1.0, 0.0])


def test_an_explicit_history_start_ends_the_warm_up(ws: Workspace) -> None:
    kpis = loyalty_kpis(
        ws, "2024-01-01", "2024-06-01", churn=CHURN, history_start=date(2023, 1, 1), data_end=END
    )
    assert kpis.status.tolist() == ["complete"] * 5
    assert kpis.new_customers.tolist() == [2, 0, 0, 1, 0]
    assert kpis.churned_customers.tolist() == [0, 0, 1, 1, 0]  # y 03-20, x 04-30
    flow = (
        kpis.customers_start
        + kpis.new_customers
        - kpis.churned_customers
        + kpis.reactivated_customers
    )
    assert flow.tolist() == kpis.customers_end.tolist()


def test_a_period_straddling_the_warm_up_end_is_warm_up(ws: Workspace) -> None:
    one = loyalty_kpis(ws, "2024-03-01", "2024-06-01", freq=None, churn=CHURN, data_end=END).iloc[0]
    assert one.status == "warm_up" and pd.isna(one.churn_rate) and pd.isna(one.new_customers)
    later = loyalty_kpis(ws, "2024-03-05", "2024-06-01", freq=None, churn=CHURN, data_end=END).iloc[
        0
    ]
    assert later.status == "complete"
    assert (later.customers_start, later.new_customers, later.churned_customers) == (2, 1, 2)
    assert later.churn_rate == pytest.approx(1.0)


def test_the_warm_up_follows_the_churn_definition(ws: Workspace) -> None:
    # contracts: only the 10 grace days are unknown, so January alone is warm-up
    kpis = loyalty_kpis(
        ws, "2024-01-01", "2024-04-01", churn=ContractEnd(grace_days=10), data_end=END
    )
    assert kpis.status.tolist() == ["warm_up", "complete", "complete"]
    assert np.isnan(kpis.retention_rate.iloc[0])


def test_the_workspace_history_start(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", orders=ORDERS)
    assert ws.history_start() == date(2024, 1, 5)  # the first order
    ws.close()
    toml = tmp_path / "ws" / "churnguard.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            "# history_start = 2010-12-01", "history_start = 2023-07-01"
        ),
        encoding="utf-8",
    )
    ws = Workspace.open(tmp_path / "ws")
    assert ws.history_start() == date(2023, 7, 1)
    ws.close()
    empty = Workspace.create(tmp_path / "empty")
    assert empty.history_start() is None
    empty.close()


def test_kpis_command_passes_the_workspace_history_start(tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    make_workspace(folder, orders=ORDERS).close()
    app = typer.Typer()
    metrics_cmds.register(app)
    app.command("noop")(lambda: None)
    args = [
        "kpis",
        "-w",
        str(folder),
        "--start",
        "2024-01-01",
        "--end",
        "2024-06-01",
        "--inactivity-days",
        "60",
    ]
    result = CliRunner().invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    # the data ends 2024-04-10: April stops at 04-11 (partial) and May has no data
    assert [r["status"] for r in rows] == ["warm_up"] * 3 + ["partial"]
    assert rows[-1]["period_end"] == "2024-04-11"
    assert [r["new_customers"] for r in rows] == [None, None, None, 1]
    table = CliRunner().invoke(app, args)
    assert table.exit_code == 0, table.output
    assert "warm_up" in table.stdout and "期间状态" in table.stdout
    toml = folder / "churnguard.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            "# history_start = 2010-12-01", "history_start = 2023-01-01"
        ),
        encoding="utf-8",
    )
    rows = json.loads(CliRunner().invoke(app, [*args, "--format", "json"]).stdout)
    assert [r["new_customers"] for r in rows] == [2, 0, 0, 1]
