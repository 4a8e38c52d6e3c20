"""``churnguard import`` as a new user meets it: a repeat says "unchanged", an interactions file
without ids, with a ``date`` header and Chinese kinds loads, and --quarantine is suggested only
when it can help."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from churnguard import Workspace

CUSTOMERS = "customer_id,name\n" + "".join(f"c{i},客户{i}\n" for i in range(1, 6))


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "churnguard", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_a_repeat_import_reports_unchanged_rows(tmp_path: Path):
    assert run("init", "shop", cwd=tmp_path).returncode == 0
    (tmp_path / "c.csv").write_text(CUSTOMERS, encoding="utf-8")
    first = run("import", "customers", "c.csv", "-w", "shop", cwd=tmp_path)
    assert "5 new, 0 updated, 0 unchanged" in first.stdout, first.stderr
    again = run("import", "customers", "c.csv", "-w", "shop", cwd=tmp_path)
    assert "5 rows read, 0 new, 0 updated, 5 unchanged, 0 rejected" in again.stdout
    (tmp_path / "c.csv").write_text(CUSTOMERS.replace("客户3", "客户三"), encoding="utf-8")
    changed = run("import", "customers", "c.csv", "-w", "shop", cwd=tmp_path)
    assert "0 new, 1 updated, 4 unchanged" in changed.stdout


def test_interactions_without_ids_with_a_date_header_and_chinese_kinds(tmp_path: Path):
    assert run("init", "shop", cwd=tmp_path).returncode == 0
    (tmp_path / "c.csv").write_text(CUSTOMERS, encoding="utf-8")
    assert run("import", "customers", "c.csv", "-w", "shop", cwd=tmp_path).returncode == 0
    (tmp_path / "i.csv").write_text(
        "customer_id,date,kind,text\nc1,2026-03-01,投诉,你们的报价比别家高出一截\n"
        "c2,2026-03-02,回访,客户满意\nc3,2026-03-03,拜访,\n", encoding="utf-8")
    done = run("import", "interactions", "i.csv", "-w", "shop", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "3 new" in done.stdout and "no interaction_id" in done.stdout
    again = run("import", "interactions", "i.csv", "-w", "shop", cwd=tmp_path)
    assert "0 new, 0 updated, 3 unchanged" in again.stdout
    with Workspace.open(tmp_path / "shop") as ws:
        rows = ws.to_pandas("interactions").sort_values("customer_id")
    assert rows["kind"].tolist() == ["complaint", "call", "visit"]
    assert rows["ts"].dt.strftime("%Y-%m-%d").tolist() == ["2026-03-01", "2026-03-02",
                                                           "2026-03-03"]
    assert rows["interaction_id"].is_unique


def test_quarantine_is_suggested_only_when_it_can_help(tmp_path: Path):
    assert run("init", "shop", cwd=tmp_path).returncode == 0
    (tmp_path / "o.csv").write_text("order_id,customer_id\no1,c1\n", encoding="utf-8")
    missing = run("import", "orders", "o.csv", "-w", "shop", cwd=tmp_path)
    assert missing.returncode == 1 and "order_date" in missing.stderr
    assert "--quarantine" not in missing.stderr
    (tmp_path / "c.csv").write_text("customer_id,signup_date\nc1,2026-13-01\nc2,2026-01-01\n",
                                    encoding="utf-8")
    bad_cell = run("import", "customers", "c.csv", "-w", "shop", cwd=tmp_path)
    assert bad_cell.returncode == 1 and "--quarantine" in bad_cell.stderr


def test_tables_are_not_cut_at_80_columns_when_output_is_a_pipe(tmp_path: Path):
    code = ("import pandas as pd; from churnguard.cli.common import console, rich_table; "
            "console.print(rich_table(pd.DataFrame({c: [8_295_912_345.0] for c in "
            "['active customers', 'new customers', 'churned', 'won back', 'revenue', "
            "'revenue churn', 'churn rate', 'month']})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "…" not in done.stdout and done.stdout.count("8,295,912,345") == 8
    assert max(len(line) for line in done.stdout.splitlines()) > 80
