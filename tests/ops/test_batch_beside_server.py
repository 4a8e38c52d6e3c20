"""Issue 14: batch commands run while `churnguard serve` serves the same workspace; the server
shows their data once published and never a half-finished write."""

from __future__ import annotations

import pandas as pd

from churnguard import Workspace
from tests.ops.conftest import AS_OF, churnguard, logged_in, served


def _busiest_customer(folder) -> str:  # noqa: ANN001
    with Workspace.open(folder, mode="read") as ws:
        orders = ws.to_pandas("orders")
    return str(orders["customer_id"].value_counts().index[0])


def test_import_score_sync_report_run_while_the_server_serves(shop, tmp_path):
    customer = _busiest_customer(shop)
    new_orders = tmp_path / "orders-new.csv"
    pd.DataFrame(
        {
            "order_id": ["ORD-ISSUE14-1"],
            "customer_id": [customer],
            "order_date": ["2026-06-20"],
            "amount": [123.45],
        }
    ).to_csv(new_orders, index=False)
    with served(shop) as base:
        admin = logged_in(base, "admin")
        before = admin.get(f"/customers/{customer}")
        assert before.status_code == 200 and "ORD-ISSUE14-1" not in before.text

        imported = churnguard("import", "orders", str(new_orders), "-w", str(shop))
        assert imported.returncode == 0, imported.stderr + imported.stdout

        after = admin.get(f"/customers/{customer}")  # the next request reads the new version
        assert "ORD-ISSUE14-1" in after.text

        for args in (
            ("score", "-w", str(shop), "--as-of", AS_OF, "--top", "3"),
            ("sync", "-w", str(shop)),
            ("report", "-w", str(shop), "--month", "2026-06", "-o", str(tmp_path / "review.html")),
        ):
            done = churnguard(*args)
            assert done.returncode == 0, f"{args[0]}: {done.stderr}{done.stdout}"
        assert (tmp_path / "review.html").stat().st_size > 10_000
        assert admin.get("/dashboard").status_code == 200
    versions = sorted(p.name for p in (shop / "warehouse.versions").glob("v*.duckdb"))
    assert len(versions) == 2  # the last two are kept


def test_a_second_writer_is_refused_with_who_is_writing(shop, tmp_path):
    with Workspace.open(shop) as holder:  # this process writes the warehouse meanwhile
        holder.warehouse.replace("scratch", holder.warehouse.read_arrow("staff"))
        refused = churnguard("import", "orders", str(tmp_path / "none.csv"), "-w", str(shop))
        assert refused.returncode == 1
        assert (
            f"another process is writing the warehouse (pid {__import__('os').getpid()}"
            in refused.stderr.replace("\n", "")
        )
        report = churnguard(
            "report", "-w", str(shop), "--month", "2026-06", "-o", str(tmp_path / "r.html")
        )
        assert report.returncode == 0, report.stderr  # readers never wait for a writer
    with Workspace.open(shop, mode="read") as reader:
        assert "scratch" in reader.tables()  # published when the writer closed
