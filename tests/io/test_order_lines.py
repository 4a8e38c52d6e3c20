"""Order lines in: every line kept, orders and customers derived, cancellations void purchases."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from churnguard import Workspace
from churnguard.errors import DataImportError, SchemaError

INVOICES = """\
InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART,6,01/12/2010 08:26,2.55,17850.0,United Kingdom
536365,71053,WHITE METAL LANTERN,6,01/12/2010 08:26,3.39,17850.0,United Kingdom
536366,22633,HAND WARMER,6,01/12/2010 08:28,1.85,,United Kingdom
536367,84879,ASSORTED BIRD,32,13/12/2010 08:34,1.69,13047.0,France
536368,23843,PAPER CRAFT,80995,09/12/2010 09:15,2.08,16446.0,United Kingdom
C536369,23843,PAPER CRAFT,-80995,09/12/2010 09:27,2.08,16446.0,United Kingdom
C536370,22633,HAND WARMER,-2,14/12/2010 10:00,1.85,13047.0,France
"""
MAPPING = {"order_id": "InvoiceNo", "product_id": "StockCode", "product_name": "Description",
           "quantity": "Quantity", "order_date": "InvoiceDate", "unit_price": "UnitPrice",
           "customer_id": "CustomerID", "region": "Country"}


def _csv(tmp_path: Path, text: str, name: str = "lines.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _table(ws: Workspace, name: str, by: str) -> pd.DataFrame:
    return ws.to_pandas(name).sort_values(by).reset_index(drop=True)


def test_invoice_lines_give_orders_customers_and_a_summary(workspace: Workspace,
                                                           tmp_path: Path):
    result = workspace.load("order_lines", _csv(tmp_path, INVOICES), mapping=MAPPING,
                            cancel_prefix="C")
    lines = _table(workspace, "order_lines", "order_id")
    assert len(lines) == 7                                   # every line kept
    # amount = quantity × unit price: 6 × 2.55 + 6 × 3.39 = 35.64
    orders = _table(workspace, "orders", "order_id")
    assert orders["order_id"].tolist() == ["536365", "536367", "C536370"]
    assert orders["amount"].tolist() == pytest.approx([35.64, 54.08, -3.70])
    assert orders["customer_id"].tolist() == ["17850", "13047", "13047"]
    assert orders["order_date"].iloc[0] == pd.Timestamp("2010-12-01 08:26")   # day first
    customers = _table(workspace, "customers", "customer_id")
    assert customers["customer_id"].tolist() == ["13047", "16446", "17850"]
    assert customers["region"].tolist() == ["France", "United Kingdom", "United Kingdom"]
    assert result.customers_created == 3
    assert result.unattributed_lines == 1
    assert result.unattributed_revenue == pytest.approx(11.10)
    total = 35.64 + 11.10 + 54.08 + 80995 * 2.08 - 80995 * 2.08 - 3.70
    assert result.revenue == pytest.approx(total)
    assert result.unattributed_share == pytest.approx(11.10 / total)
    assert (result.cancellations, result.voided_purchases, result.returns_unmatched) == (2, 1, 1)
    assert result.voided_amount == pytest.approx(168469.60)
    assert any("'17850.0'" in note and "'17850'" in note for note in result.notes)


def test_a_cancellation_voids_its_purchase_and_is_no_purchase(workspace: Workspace,
                                                              tmp_path: Path):
    workspace.load("order_lines", _csv(tmp_path, INVOICES), mapping=MAPPING, cancel_prefix="C")
    lines = _table(workspace, "order_lines", "order_id").set_index("order_id")
    assert lines.loc["536368", "voided"] == 1 and lines.loc["C536369", "voided"] == 1
    assert lines.loc["536368", "matched_order_id"] == "C536369"
    assert lines.loc["C536370", ["cancellation", "voided"]].tolist() == [1, 0]
    assert "536368" not in set(workspace.to_pandas("orders")["order_id"])


def test_loading_the_same_lines_twice_changes_nothing(workspace: Workspace, tmp_path: Path):
    path = _csv(tmp_path, INVOICES)
    workspace.load("order_lines", path, mapping=MAPPING, cancel_prefix="C")
    before = {t: _table(workspace, t, k) for t, k in
              (("order_lines", "order_id"), ("orders", "order_id"), ("customers", "customer_id"))}
    again = workspace.load("order_lines", path, mapping=MAPPING, cancel_prefix="C")
    assert (again.inserted, again.updated, again.customers_created) == (0, 7, 0)
    assert again.unchanged == 7
    for table, frame in before.items():
        key = "customer_id" if table == "customers" else "order_id"
        pd.testing.assert_frame_equal(frame, _table(workspace, table, key))


def test_a_cancellation_in_a_later_file_voids_a_purchase_loaded_before(workspace: Workspace,
                                                                       tmp_path: Path):
    head, *rows = INVOICES.splitlines()
    first = "\n".join([head, *rows[:5]]) + "\n"
    second = "\n".join([head, rows[5]]) + "\n"
    workspace.load("order_lines", _csv(tmp_path, first, "a.csv"), mapping=MAPPING,
                   cancel_prefix="C")
    assert "536368" in set(workspace.to_pandas("orders")["order_id"])
    workspace.load("order_lines", _csv(tmp_path, second, "b.csv"), mapping=MAPPING,
                   cancel_prefix="C", date_order="dayfirst")
    assert "536368" not in set(workspace.to_pandas("orders")["order_id"])
    assert len(workspace.to_pandas("order_lines")) == 6
    changed = first.replace("WHITE METAL LANTERN,6", "WHITE METAL LANTERN,7")
    result = workspace.load("order_lines", _csv(tmp_path, changed, "c.csv"), mapping=MAPPING,
                            cancel_prefix="C")
    assert (result.updated, result.unchanged) == (5, 4)
    assert "536368" not in set(workspace.to_pandas("orders")["order_id"])   # still voided


def test_negative_quantities_mark_returns_without_a_prefix(workspace: Workspace,
                                                           tmp_path: Path):
    result = workspace.load("order_lines", _csv(tmp_path, INVOICES), mapping=MAPPING)
    assert (result.cancellations, result.voided_purchases) == (2, 1)


def test_a_reference_column_names_the_order_it_cancels(workspace: Workspace, tmp_path: Path):
    text = ("order,customer,date,product,amount,cancels\n"
            "1,a,2024-01-01,p,10,\n"
            "2,a,2024-01-02,p,10,\n"
            "3,a,2024-03-01,p,-10,1\n")          # 60 days later: only the reference matches
    result = workspace.load("order_lines", _csv(tmp_path, text), mapping={
        "order_id": "order", "customer_id": "customer", "order_date": "date",
        "product_id": "product", "cancels": "cancels"})
    assert result.voided_purchases == 1
    assert sorted(workspace.to_pandas("orders")["order_id"]) == ["2"]


def test_matching_is_one_to_one_latest_purchase_first_within_30_days(workspace: Workspace,
                                                                      tmp_path: Path):
    text = ("order,customer,date,amount\n"
            "1,a,2024-01-01,10\n"
            "2,a,2024-01-20,10\n"
            "3,a,2024-01-25,10\n"
            "4,a,2024-01-26,-10\n"
            "5,a,2024-01-27,-10\n"
            "6,a,2024-03-15,-10\n"        # more than 30 days after every purchase: a return
            "7,b,2024-01-26,-10\n")       # another customer: nothing to void
    workspace.load("order_lines", _csv(tmp_path, text), mapping={
        "order_id": "order", "customer_id": "customer", "order_date": "date"})
    lines = _table(workspace, "order_lines", "order_id").set_index("order_id")
    assert lines["voided"].to_dict() == {"1": 0, "2": 1, "3": 1, "4": 1, "5": 1, "6": 0, "7": 0}
    assert lines.loc["4", "matched_order_id"] == "3"
    assert lines.loc["5", "matched_order_id"] == "2"
    assert sorted(workspace.to_pandas("orders")["order_id"]) == ["1", "6", "7"]


def test_without_order_ids_an_order_is_a_customers_day(workspace: Workspace, tmp_path: Path):
    text = ("day,customer,product,units,sales\n"
            "11/1/2000,00418683,4710,2,100\n"
            "11/1/2000,00418683,4711,1,50\n"
            "11/2/2000,00418683,4710,1,50\n"
            "11/13/2000,00000123,4710,1,30\n")
    result = workspace.load("order_lines", _csv(tmp_path, text), mapping={
        "order_date": "day", "customer_id": "customer", "product_id": "product",
        "quantity": "units", "amount": "sales"})
    orders = _table(workspace, "orders", "order_id")
    assert orders["order_id"].tolist() == ["00000123@2000-11-13", "00418683@2000-11-01",
                                           "00418683@2000-11-02"]
    assert orders["amount"].tolist() == [30.0, 150.0, 50.0]
    lines = _table(workspace, "order_lines", "order_id")
    assert lines["line_no"].tolist() == [1, 1, 2, 1]
    assert result.derived_order_ids and result.orders == 3


def test_blank_customer_ids_are_no_customer_not_duplicates(workspace: Workspace,
                                                           tmp_path: Path):
    text = ("order,customer,date,amount\n1,,2024-01-01,5\n2,,2024-01-02,7\n3,x,2024-01-02,1\n")
    result = workspace.load("order_lines", _csv(tmp_path, text), mapping={
        "order_id": "order", "customer_id": "customer", "order_date": "date"})
    assert result.problems == [] and result.customers_created == 1
    assert workspace.to_pandas("customers")["customer_id"].tolist() == ["x"]
    assert result.unattributed_share == pytest.approx(12 / 13)


def test_an_order_with_two_customers_is_refused(workspace: Workspace, tmp_path: Path):
    text = "order,customer,date,amount\n1,a,2024-01-01,5\n1,b,2024-01-01,7\n"
    with pytest.raises(DataImportError, match=r"row 2, column customer_id: '1' order 1 has "
                                              r"lines for customers 'a' and 'b'"):
        workspace.load("order_lines", _csv(tmp_path, text), mapping={
            "order_id": "order", "customer_id": "customer", "order_date": "date"})
    assert not workspace.has_table("order_lines")


def test_a_bad_cell_rejects_the_file_and_writes_nothing(workspace: Workspace, tmp_path: Path):
    text = "order,customer,date,qty,price\n1,a,2024-01-01,2,3\n2,a,2024-01-02,two,3\n"
    with pytest.raises(DataImportError, match=r"row 3, column quantity: 'two' is not a number"):
        workspace.load("order_lines", _csv(tmp_path, text), mapping={
            "order_id": "order", "customer_id": "customer", "order_date": "date",
            "quantity": "qty", "unit_price": "price"})
    assert not workspace.has_table("orders") and not workspace.has_table("order_lines")


def test_missing_amount_and_price_is_explained(workspace: Workspace, tmp_path: Path):
    text = "order,customer,date,qty\n1,a,2024-01-01,2\n"
    with pytest.raises(DataImportError, match=r"amount \(or quantity and unit_price, or "
                                              r"--compute amount=…\)"):
        workspace.load("order_lines", _csv(tmp_path, text), mapping={
            "order_id": "order", "customer_id": "customer", "order_date": "date",
            "quantity": "qty"})


def test_undecided_dates_are_refused_naming_two_rows(workspace: Workspace, tmp_path: Path):
    text = "order,customer,date,amount\n1,a,01/02/2024,5\n2,a,03/04/2024,5\n"
    mapping = {"order_id": "order", "customer_id": "customer", "order_date": "date"}
    with pytest.raises(DataImportError, match=r"row 2: '01/02/2024' and row 3: '03/04/2024'.*"
                                              r"--dayfirst or --monthfirst"):
        workspace.load("order_lines", _csv(tmp_path, text), mapping=mapping)
    workspace.load("order_lines", _csv(tmp_path, text), mapping=mapping, date_order="monthfirst")
    dates = _table(workspace, "orders", "order_id")["order_date"]
    assert dates.tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-03-04")]


def test_the_quarantine_keeps_good_lines(workspace: Workspace, tmp_path: Path):
    text = "order,customer,date,amount\n1,a,2024-01-01,5\n2,a,2024-13-01,5\n"
    result = workspace.load("order_lines", _csv(tmp_path, text), quarantine=True, mapping={
        "order_id": "order", "customer_id": "customer", "order_date": "date"})
    assert result.rejected == 1 and result.quarantine_path.exists()
    assert workspace.to_pandas("order_lines")["order_id"].tolist() == ["1"]


def test_cancel_prefix_is_refused_for_other_tables(workspace: Workspace, tmp_path: Path):
    with pytest.raises(SchemaError, match="--cancel-prefix is for order lines"):
        workspace.load("orders", _csv(tmp_path, "order_id\n1\n"), cancel_prefix="C")


KILL_MIDWAY = """
import sys
from churnguard import Workspace

class PauseAfterOrdersDelete:
    '''Wraps the DuckDB connection: after the DELETE of the line orders, report and wait.'''
    def __init__(self, raw):
        self._raw = raw
    def execute(self, sql, *args):
        result = self._raw.execute(sql, *args)
        if sql.startswith('DELETE FROM "orders"'):
            print("MIDWAY", flush=True)
            sys.stdin.readline()  # the parent kills us here
        return result
    def __getattr__(self, name):
        return getattr(self._raw, name)

ws = Workspace.open(sys.argv[1])
ws.warehouse.con.con = PauseAfterOrdersDelete(ws.warehouse.con.con)
ws.load("order_lines", sys.argv[2], mapping={"order_id": "order", "customer_id": "customer",
                                             "order_date": "date"})
print("FINISHED", flush=True)
"""


def test_a_load_killed_midway_leaves_lines_orders_and_customers_as_they_were(tmp_path: Path):
    import signal
    import subprocess
    import sys

    mapping = {"order_id": "order", "customer_id": "customer", "order_date": "date"}
    with Workspace.create(tmp_path / "ws") as ws:
        ws.load("order_lines", _csv(tmp_path, "order,customer,date,amount\n1,a,2024-01-01,5\n",
                                    "a.csv"), mapping=mapping)
        before = {t: ws.to_pandas(t) for t in ("order_lines", "orders", "customers")}
    second = _csv(tmp_path, "order,customer,date,amount\n1,a,2024-01-01,9\n2,b,2024-01-02,4\n",
                  "b.csv")
    child = subprocess.Popen([sys.executable, "-c", KILL_MIDWAY, str(tmp_path / "ws"),
                              str(second)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, cwd=Path(__file__).resolve().parents[2])
    assert child.stdout.readline().strip() == "MIDWAY"
    child.send_signal(signal.SIGKILL)
    child.wait()
    with Workspace.open(tmp_path / "ws") as reopened:
        for table, frame in before.items():
            pd.testing.assert_frame_equal(frame, reopened.to_pandas(table))
