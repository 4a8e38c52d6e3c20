"""Row-level validation: every problem names file, row, column and value; nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from churnguard.errors import DataImportError, SchemaError


@pytest.fixture
def ws(workspace):
    workspace.load("customers", pd.DataFrame({"customer_id": ["c1", "c2"]}))
    return workspace


def _write(tmp_path: Path, text: str, name: str = "orders.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_mapping_dates_and_amounts_in_common_formats(ws, tmp_path: Path):
    path = _write(tmp_path, "单号,客户,下单时间,销售额\n"
                            "o1,c1,2024/3/5,\"¥1,234.50\"\n"
                            "o2,c1,2024年3月6日,88\n"
                            "o3,c2,45358,(12.00)\n"
                            "o4,c2,2024-03-08 14:30:00,\"1,000\"\n")
    ws.load("orders", path, mapping={"order_id": "单号", "customer_id": "客户",
                                     "order_date": "下单时间", "amount": "销售额"})
    got = ws.to_pandas("orders").sort_values("order_id")
    assert got["order_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-03-05", "2024-03-06", "2024-03-07", "2024-03-08"]
    assert got["amount"].tolist() == [1234.5, 88.0, -12.0, 1000.0]


def test_every_problem_is_reported_with_file_row_column_value(ws, tmp_path: Path):
    path = _write(tmp_path, "order_id,customer_id,order_date,amount,quantity\n"
                            "o1,c1,2024-13-01,10,1\n"
                            "o2,c9,2024-01-02,abc,1\n"
                            "o1,c1,2099-01-01,5,-2\n")
    with pytest.raises(DataImportError) as caught:
        ws.load("orders", path)
    message = str(caught.value)
    assert "orders.csv: 6 problem(s); nothing was loaded into orders." in message
    assert ("orders.csv row 2, column order_date: '2024-13-01' is not a date. "
            "Use YYYY-MM-DD") in message
    assert "orders.csv row 3, column customer_id: 'c9' is not a known customer." in message
    assert "orders.csv row 3, column amount: 'abc' is not a number." in message
    assert "orders.csv row 4, column order_id: 'o1' repeats the key of row 2" in message
    assert "orders.csv row 4, column order_date: '2099-01-01' is in the future." in message
    assert "orders.csv row 4, column quantity: '-2' is negative" in message
    assert not ws.has_table("orders")


def test_missing_required_column_says_how_to_map_it(ws, tmp_path: Path):
    path = _write(tmp_path, "order_id,customer_id,amount\no1,c1,3\n")
    with pytest.raises(DataImportError, match=r"column order_date is required but missing\. "
                                              r"Add it or map it with --map order_date="):
        ws.load("orders", path)


def test_empty_required_cell(ws, tmp_path: Path):
    path = _write(tmp_path, "order_id,customer_id,order_date,amount\no1,,2024-01-01,3\n")
    with pytest.raises(DataImportError, match=r"row 2, column customer_id is empty"):
        ws.load("orders", path)


def test_mapping_to_an_unknown_column_is_rejected(ws, tmp_path: Path):
    path = _write(tmp_path, "a\n1\n")
    with pytest.raises(SchemaError, match=r"--map names revenue, not columns of orders"):
        ws.load("orders", path, mapping={"revenue": "a"})


def test_quarantine_loads_good_rows_and_writes_bad_ones_with_reasons(ws, tmp_path: Path):
    path = _write(tmp_path, "order_id,customer_id,order_date,amount\n"
                            "o1,c1,2024-01-01,10\n"
                            "o2,c9,2024-01-02,20\n"
                            "o3,c2,someday,30\n")
    bad_file = tmp_path / "bad.csv"
    result = ws.load("orders", path, quarantine=bad_file)
    assert (result.inserted, result.rejected) == (1, 2)
    assert ws.to_pandas("orders")["order_id"].tolist() == ["o1"]
    bad = pd.read_csv(bad_file, encoding="utf-8-sig")
    assert bad["row"].tolist() == [3, 4]
    assert bad["reason"].str.contains("not a known customer").tolist() == [True, False]
    assert bad["reason"].str.contains("not a date").tolist() == [False, True]


def test_saved_mapping_is_used_next_time(ws, tmp_path: Path):
    first = _write(tmp_path, "编号,客户\nx1,c1\n", name="a.csv")
    ws.load("customers", first, mapping={"customer_id": "编号", "name": "客户"},
            save_mapping=True)
    second = _write(tmp_path, "编号,客户\nx2,c2\n", name="b.csv")
    ws.load("customers", second)
    assert "x2" in set(ws.to_pandas("customers")["customer_id"])
    assert "[mappings.customers]" in (ws.folder / "churnguard.toml").read_text(encoding="utf-8")
