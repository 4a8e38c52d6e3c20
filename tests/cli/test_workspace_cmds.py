"""``churnguard init`` / ``import`` / ``synth`` from the shell: results and one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

from churnguard import Workspace


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "churnguard", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_init_import_with_mapping_and_gbk(tmp_path: Path):
    assert run("init", "shop", cwd=tmp_path).returncode == 0
    assert (tmp_path / "shop" / "churnguard.toml").exists()
    (tmp_path / "kh.csv").write_bytes("客户编号,名称\nA1,杭州瑞丰\n".encode("gbk"))
    done = run("import", "customers", "kh.csv", "-w", "shop", "--map", "customer_id=客户编号",
               "--map", "name=名称", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "1 rows read, 1 new, 0 updated, 0 unchanged, 0 rejected" in done.stdout
    with Workspace.open(tmp_path / "shop") as ws:
        assert ws.to_pandas("customers")[["customer_id", "name"]].values.tolist() == [
            ["A1", "杭州瑞丰"]]


def test_user_errors_are_one_red_line_without_traceback(tmp_path: Path):
    run("init", "shop", cwd=tmp_path)
    missing = run("import", "orders", "nope.csv", "-w", "shop", cwd=tmp_path)
    assert missing.returncode == 1
    assert missing.stderr.startswith("error: nope.csv: file not found")
    assert "Traceback" not in missing.stderr
    no_ws = run("import", "orders", "x.csv", "-w", "elsewhere", cwd=tmp_path)
    assert no_ws.returncode == 1
    assert "elsewhere: not a churnguard workspace" in no_ws.stderr
    bad_map = run("import", "orders", "x.csv", "-w", "shop", "--map", "amount", cwd=tmp_path)
    assert "use --map COLUMN=SOURCE_HEADER" in bad_map.stderr


def test_import_reports_row_level_problems_and_quarantines(tmp_path: Path):
    run("init", "shop", cwd=tmp_path)
    (tmp_path / "c.csv").write_text("customer_id\nc1\n", encoding="utf-8")
    run("import", "customers", "c.csv", "-w", "shop", cwd=tmp_path)
    (tmp_path / "o.csv").write_text("order_id,customer_id,order_date,amount\n"
                                    "o1,c1,2024-01-01,10\no2,c1,2024-02-30,5\n", encoding="utf-8")
    rejected = run("import", "orders", "o.csv", "-w", "shop", cwd=tmp_path)
    assert rejected.returncode == 1
    assert "o.csv row 3, column order_date: '2024-02-30' is not a date." in rejected.stderr
    kept = run("import", "orders", "o.csv", "-w", "shop", "--quarantine", cwd=tmp_path)
    assert kept.returncode == 0
    assert "1 new, 0 updated, 0 unchanged, 1 rejected" in kept.stdout
    assert "bad rows written to" in kept.stdout


def test_synth_creates_and_fills_a_workspace(tmp_path: Path):
    done = run("synth", "--customers", "150", "--workspace", "co", "--seed", "4", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with Workspace.open(tmp_path / "co") as ws:
        assert ws.table("customers").count().execute() == 150
        assert ws.table("orders").count().execute() > 150


def test_bench_times_every_step(tmp_path: Path):
    done = run("bench", "--customers", "400", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for step in ("generate company", "monthly KPIs, 3 years", "cohort triangle", "BG/NBD fit"):
        assert step in done.stdout


def test_usage_mistakes_are_reported_without_traceback(tmp_path: Path):
    done = run("nosuch", cwd=tmp_path)
    assert done.returncode == 2
    assert "No such command 'nosuch'" in done.stderr
    assert "Traceback" not in done.stderr


def test_import_refusals_are_one_line_and_options_decide_dates_and_decimals(tmp_path: Path):
    run("init", "shop", cwd=tmp_path)
    (tmp_path / "dup.csv").write_text("customer_id,name,name\nc1,a,b\n", encoding="utf-8")
    (tmp_path / "fake.parquet").write_text("customer_id\nc1\n", encoding="utf-8")
    for name in ("dup.csv", "fake.parquet"):
        done = run("import", "customers", name, "-w", "shop", cwd=tmp_path)
        assert done.returncode == 1
        assert "Traceback" not in done.stderr
        assert done.stderr.startswith(f"error: {name}: ")
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    (tmp_path / "c.csv").write_text("customer_id\nc1\n", encoding="utf-8")
    run("import", "customers", "c.csv", "-w", "shop", cwd=tmp_path)
    (tmp_path / "o.csv").write_text("order_id,customer_id,order_date,amount\n"
                                    'o1,c1,01/02/2024,"1,500"\n', encoding="utf-8")
    refused = run("import", "orders", "o.csv", "-w", "shop", cwd=tmp_path)
    assert refused.returncode == 1 and "--dayfirst or --monthfirst" in refused.stderr
    done = run("import", "orders", "o.csv", "-w", "shop", "--dayfirst", "--decimal", ",",
               cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with Workspace.open(tmp_path / "shop") as ws:
        row = ws.to_pandas("orders").iloc[0]
    assert (row["order_date"], row["amount"]) == (pd.Timestamp("2024-02-01"), 1.5)
