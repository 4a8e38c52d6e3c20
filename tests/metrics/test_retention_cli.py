"""``churnguard cohorts | movements | migration | audit`` print what the library computes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from tests.metrics.shop import shop_workspace
from typer.testing import CliRunner

from churnguard import Workspace
from churnguard.churn import Inactivity
from churnguard.cli import retention_cmds
from churnguard.errors import ChurnguardError
from churnguard.metrics import (
    cohort_retention,
    failure_audit,
    revenue_movements,
    segment_migration,
)

CHURN = Inactivity(days=60)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "ws"
    shop_workspace(path).close()
    return path


def _run(*args: str):
    app = typer.Typer()
    retention_cmds.register(app)
    return CliRunner().invoke(app, list(args), catch_exceptions=True)


def _json(*args: str) -> pd.DataFrame:
    result = _run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return pd.DataFrame(json.loads(result.stdout))


def _expected(folder: Path, compute) -> pd.DataFrame:
    with Workspace.open(folder) as ws:
        return compute(ws)


def test_cohorts_json_is_the_triangle(folder: Path) -> None:
    got = _json("cohorts", "-w", str(folder), "--as-of", "2024-06-01", "--inactivity-days", "60")
    want = _expected(folder, lambda ws: cohort_retention(ws, as_of="2024-06-01", churn=CHURN))
    assert got["cohort"].tolist() == want["cohort"].dt.strftime("%Y-%m-%d").tolist()
    assert got["cohort_size"].tolist() == want["cohort_size"].tolist()
    shares = [str(c) for c in want.columns[2:]]
    np.testing.assert_allclose(got[shares].to_numpy(float), want.iloc[:, 2:].to_numpy(float))


def test_cohorts_table_shows_whole_percentages(folder: Path) -> None:
    result = _run("cohorts", "-w", str(folder), "--as-of", "2024-06-01",
                  "--inactivity-days", "60", "--measure", "buyers")
    assert result.exit_code == 0, result.output
    assert "同期群留存 (buyers)" in result.stdout
    assert "2024-01" in result.stdout and "100%" in result.stdout


def test_movements_json_adds_up(folder: Path) -> None:
    got = _json("movements", "-w", str(folder), "--start", "2024-03-01", "--end", "2024-06-01",
                "--inactivity-days", "60")
    want = _expected(folder, lambda ws: revenue_movements(ws, "2024-03-01", "2024-06-01",
                                                          churn=CHURN))
    for column in ("revenue_start", "new", "reactivated", "expansion", "contraction",
                   "churned", "revenue_end", "churn_rate"):
        np.testing.assert_allclose(got[column].to_numpy(float), want[column].to_numpy(float))
    bridge = got[["revenue_start", "new", "reactivated", "expansion", "contraction",
                  "churned"]].sum(axis=1)
    np.testing.assert_allclose(bridge, got["revenue_end"])


def test_movements_table_labels_stopped_buying(folder: Path) -> None:
    result = _run("movements", "-w", str(folder), "--start", "2024-03-01",
                  "--end", "2024-06-01", "--freq", "none")
    assert result.exit_code == 0, result.output
    assert "停购客户数 stopped buying" in result.stdout


def test_migration_and_audit_json(folder: Path) -> None:
    got = _json("migration", "-w", str(folder), "--start", "2024-03-01", "--end", "2024-06-01",
                "--tiers", "quartiles", "--inactivity-days", "60")
    want = _expected(folder, lambda ws: segment_migration(
        ws, "2024-03-01", "2024-06-01", tiers="quartiles", churn=CHURN))
    assert got[["from_tier", "to_tier", "customers"]].values.tolist() == \
        want[["from_tier", "to_tier", "customers"]].values.tolist()
    got = _json("audit", "-w", str(folder), "--start", "2024-04-01", "--end", "2024-06-01",
                "--by", "segment", "--inactivity-days", "60")
    want = _expected(folder, lambda ws: failure_audit(ws, "2024-04-01", "2024-06-01",
                                                      by="segment", churn=CHURN))
    assert got[["group", "metric"]].values.tolist() == want[["group", "metric"]].values.tolist()
    np.testing.assert_allclose(got["value"].to_numpy(float), want["value"].to_numpy(float))


@pytest.mark.parametrize(("args", "message"), [
    (["cohorts"], "--as-of is required"),
    (["movements", "--start", "2024-03-01"], "--start and --end are required"),
    (["migration", "--start", "2024-03-01", "--end", "2024-06-01", "--tiers", "deciles"],
     "--tiers 'deciles' is not one of value, quartiles"),
])
def test_user_errors(folder: Path, args: list[str], message: str) -> None:
    result = _run(args[0], "-w", str(folder), *args[1:])
    assert result.exit_code != 0
    assert isinstance(result.exception, ChurnguardError)
    assert message in str(result.exception)


def test_workspace_without_orders(tmp_path: Path) -> None:
    Workspace.create(tmp_path / "empty").close()
    result = _run("audit", "-w", str(tmp_path / "empty"), "--start", "2024-03-01",
                  "--end", "2024-06-01")
    assert isinstance(result.exception, ChurnguardError)
    assert "has no orders" in str(result.exception)
