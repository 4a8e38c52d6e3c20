"""``churnguard kpis`` on the shared shop (figures as in test_loyalty.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from tests.metrics.shop import shop_workspace
from typer.testing import CliRunner

from churnguard.cli import metrics_cmds
from churnguard.errors import ChurnguardError
from churnguard.metrics import KPI_COLUMNS


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "ws"
    shop_workspace(path).close()
    return path


def _app() -> typer.Typer:
    app = typer.Typer()
    metrics_cmds.register(app)
    app.command("noop")(lambda: None)   # keep "kpis" a subcommand
    return app


def _run(*args: str):
    return CliRunner().invoke(_app(), ["kpis", *args], catch_exceptions=True)


def test_json_rows_have_the_kpi_columns(folder: Path) -> None:
    result = _run("-w", str(folder), "--start", "2024-03-01", "--end", "2024-06-01",
                  "--inactivity-days", "60", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [list(r) for r in rows] == [KPI_COLUMNS] * 3
    assert [r["period_start"] for r in rows] == ["2024-03-01", "2024-04-01", "2024-05-01"]
    assert [r["customers_end"] for r in rows] == [3, 4, 4]
    assert rows[0]["new_customer_retention_90d"] is None


def test_csv_to_file_and_quarter(folder: Path, tmp_path: Path) -> None:
    target = tmp_path / "kpis.csv"
    result = _run("-w", str(folder), "--start", "2024-03-01", "--end", "2024-06-01",
                  "--freq", "none", "--inactivity-days", "60", "--format", "csv",
                  "--output", str(target))
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(target)
    assert frame[["customers_start", "new_customers", "churned_customers",
                  "reactivated_customers", "customers_end"]].values.tolist() == [[2, 2, 2, 2, 4]]


def test_table_shows_percentages(folder: Path) -> None:
    result = _run("-w", str(folder), "--start", "2024-03-01", "--end", "2024-06-01",
                  "--inactivity-days", "60")
    assert result.exit_code == 0, result.output
    assert "no purchase for 60" in result.stdout
    assert "客户留存率 retention rate" in result.stdout
    assert "66.7%" in result.stdout                       # April retention


def test_xlsx(folder: Path, tmp_path: Path) -> None:
    target = tmp_path / "kpis.xlsx"
    result = _run("-w", str(folder), "--start", "2024-03-01", "--end", "2024-06-01",
                  "--format", "xlsx", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert list(pd.read_excel(target).columns) == KPI_COLUMNS


@pytest.mark.parametrize(("args", "message"), [
    (["--freq", "week"], "--freq 'week' is not one of month, quarter, year, none"),
    (["--format", "pdf"], "--format 'pdf' is not one of table, csv, json, xlsx"),
    (["--inactivity-days", "60", "--contract"], "either --inactivity-days N or --contract"),
    (["--end", "2024-13-01"], "--end '2024-13-01' is not a date"),
])
def test_user_errors(folder: Path, args: list[str], message: str) -> None:
    base = ["-w", str(folder), "--start", "2024-03-01", "--end", "2024-06-01"]
    result = _run(*base, *args)
    assert result.exit_code != 0
    assert isinstance(result.exception, ChurnguardError)
    assert message in str(result.exception)
