"""Reading each source format, and the clear errors for unreadable sources."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from churnguard.errors import DataImportError
from churnguard.io.readers import SqlSource

CUSTOMERS_CSV = "customer_id,name,segment\nc1,上海恒信贸易,smb\nc2,北京华泰,enterprise\n"


def _loaded_ids(ws) -> list[str]:
    return sorted(ws.to_pandas("customers")["customer_id"])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_each_encoding_loads_with_chinese_intact(workspace, tmp_path: Path, encoding):
    path = tmp_path / "customers.csv"
    path.write_bytes(CUSTOMERS_CSV.encode(encoding))
    workspace.load("customers", path)
    names = workspace.to_pandas("customers").set_index("customer_id")["name"]
    assert names["c1"] == "上海恒信贸易"
    assert names["c2"] == "北京华泰"


def test_xlsx_parquet_pandas_polars_and_sql_sources(workspace, tmp_path: Path):
    frame = pd.DataFrame({"customer_id": ["a", "b"], "segment": ["smb", "smb"]})
    xlsx = tmp_path / "c.xlsx"
    with pd.ExcelWriter(xlsx) as writer:
        frame.iloc[:1].to_excel(writer, sheet_name="客户", index=False)
    parquet = tmp_path / "c.parquet"
    pd.DataFrame({"customer_id": ["c"]}).to_parquet(parquet)
    database = tmp_path / "erp.db"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE kh (id TEXT)")
        conn.execute("INSERT INTO kh VALUES ('e')")
    workspace.load("customers", xlsx, sheet="客户")
    workspace.load("customers", parquet)
    workspace.load("customers", frame.iloc[1:])
    workspace.load("customers", pl.DataFrame({"customer_id": ["d"]}))
    workspace.load("customers", SqlSource(f"sqlite:///{database}",
                                          "SELECT id AS customer_id FROM kh"))
    assert _loaded_ids(workspace) == ["a", "b", "c", "d", "e"]


def test_missing_file_is_a_clear_error(workspace, tmp_path: Path):
    with pytest.raises(DataImportError, match=r"nope\.csv: file not found"):
        workspace.load("customers", tmp_path / "nope.csv")


def test_empty_file_is_a_clear_error(workspace, tmp_path: Path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(DataImportError, match=r"empty\.csv: the file is empty"):
        workspace.load("customers", path)


def test_header_only_file_is_a_clear_error(workspace, tmp_path: Path):
    path = tmp_path / "header.csv"
    path.write_text("customer_id,name\n", encoding="utf-8")
    with pytest.raises(DataImportError, match=r"header\.csv: the file has a header but no rows"):
        workspace.load("customers", path)


def test_undecodable_file_names_the_encodings_tried(workspace, tmp_path: Path):
    path = tmp_path / "latin.csv"
    path.write_bytes(b"customer_id\nc1\n" + bytes([0x80, 0xFF, 0xFE, 0x0A]))
    with pytest.raises(DataImportError, match=r"latin\.csv: cannot decode the file as utf-8-sig, "
                                              r"gb18030\. .*--encoding"):
        workspace.load("customers", path)


def test_wrong_sheet_lists_the_sheets(workspace, tmp_path: Path):
    path = tmp_path / "book.xlsx"
    pd.DataFrame({"customer_id": ["a"]}).to_excel(path, sheet_name="客户", index=False)
    with pytest.raises(DataImportError, match=r"book\.xlsx: no sheet named '订单'\. Sheets: 客户"):
        workspace.load("customers", path, sheet="订单")


def test_unsupported_suffix(workspace, tmp_path: Path):
    path = tmp_path / "data.json"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(DataImportError, match=r"unsupported file type '\.json'"):
        workspace.load("customers", path)
