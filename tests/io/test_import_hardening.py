"""Issue 13: no import stores wrong data with exit 0, and every refusal is one line naming the
file, the row (or line) and the column."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from churnguard.errors import ChurnguardError, DataImportError, SchemaError
from tests.io.xlsx_builder import write_xlsx

ORDERS = "order_id,customer_id,order_date,amount\n"


@pytest.fixture
def ws(workspace):
    workspace.load("customers", pd.DataFrame({
        "customer_id": ["c1", "c2"], "name": ["Ann", "Bo"], "owner_id": ["u1", "u2"],
        "segment": ["smb", "enterprise"], "region": ["east", "west"],
        "signup_date": ["2020-01-05", "2021-02-06"], "contract_end": ["2025-12-31", None]}))
    return workspace


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def _amounts(ws) -> dict[str, float]:
    return ws.to_pandas("orders").set_index("order_id")["amount"].to_dict()


# -- numbers -----------------------------------------------------------------
@pytest.mark.parametrize(("cell", "why"), [
    ("1e400", "is not a finite number"), ("1.8e308", "is not a finite number"),
    ("9" * 400, "is not a finite number"), ("-2e12", "is out of range"),
])
def test_huge_amounts_are_refused_never_loaded_as_infinity(ws, tmp_path, cell, why):
    path = _write(tmp_path, "orders.csv", ORDERS + "o1,c1,2024-01-01,5\n"
                                                  f"o2,c1,2024-01-02,{cell}\n")
    with pytest.raises(DataImportError, match=rf"orders\.csv row 3, column amount: .*{why}"):
        ws.load("orders", path)
    assert not ws.has_table("orders")


def test_survey_scores_have_their_own_range(ws):
    frame = pd.DataFrame({"interaction_id": ["i1", "i2"], "customer_id": ["c1", "c1"],
                          "ts": ["2024-01-01", "2024-01-02"], "kind": ["nps", "nps"],
                          "score": ["9", "5e6"]})
    with pytest.raises(DataImportError, match=r"row 2, column score: '5e6' is out of range: "
                                              r"numbers from -1,000 to 1,000 are accepted"):
        ws.load("interactions", frame)


def test_infinite_number_in_a_dataframe_is_refused(ws):
    frame = pd.DataFrame({"order_id": ["o1"], "customer_id": ["c1"],
                          "order_date": ["2024-01-01"], "amount": [float("inf")]})
    with pytest.raises(DataImportError, match=r"row 1, column amount: 'inf' is not a finite"):
        ws.load("orders", frame)


def test_decimal_comma_is_decided_by_the_column(ws, tmp_path):
    path = _write(tmp_path, "eu.csv", ORDERS + 'o1,c1,2024-01-01,"12,5"\n'
                                               'o2,c1,2024-01-02,"1.234,50"\n'
                                               'o3,c1,2024-01-03,"1.000"\n')
    ws.load("orders", path)
    assert _amounts(ws) == {"o1": 12.5, "o2": 1234.5, "o3": 1000.0}


def test_a_column_mixing_decimal_marks_is_refused(ws, tmp_path):
    path = _write(tmp_path, "mixed.csv", ORDERS + 'o1,c1,2024-01-01,"12,5"\n'
                                                  'o2,c1,2024-01-02,"1,234.50"\n')
    with pytest.raises(DataImportError, match=r"mixed\.csv, column amount mixes decimal points "
                                              r"and decimal commas \(row 3: '1,234.50', row 2: "
                                              r"'12,5'\)"):
        ws.load("orders", path)


def test_thousands_or_decimal_undecided_is_refused_unless_told(ws, tmp_path):
    path = _write(tmp_path, "o.csv", ORDERS + 'o1,c1,2024-01-01,"1,234"\no2,c1,2024-01-02,7\n')
    with pytest.raises(DataImportError, match=r"row 2: '1,234' reads as 1234 or as 1\.234\)\. "
                                              r"Pass --decimal \. or --decimal ,"):
        ws.load("orders", path)
    assert not ws.has_table("orders")
    ws.load("orders", path, decimal=".")
    assert _amounts(ws) == {"o1": 1234.0, "o2": 7.0}
    ws.load("orders", path, decimal=",")
    assert _amounts(ws) == {"o1": 1.234, "o2": 7.0}


def test_other_number_columns_of_the_file_decide_an_undecided_one(ws, tmp_path):
    path = _write(tmp_path, "o.csv", "order_id,customer_id,order_date,amount,cost\n"
                                     'o1,c1,2024-01-01,"1.234,50","1.000"\n')
    ws.load("orders", path)
    got = ws.to_pandas("orders").iloc[0]
    assert (got["amount"], got["cost"]) == (1234.5, 1000.0)


# -- quotes and line shapes -----------------------------------------------------------------
def test_unterminated_quote_is_refused_naming_the_line(ws, tmp_path):
    path = _write(tmp_path, "q.csv", "interaction_id,customer_id,ts,kind,text\n"
                                     "i1,c1,2024-01-01,complaint,late\n"
                                     'i2,c1,2024-01-02,complaint,"never closed\n'
                                     "i3,c1,2024-01-03,call,fine\n"
                                     "i4,c2,2024-01-04,call,fine\n")
    with pytest.raises(DataImportError, match=r"q\.csv line 3: a quoted cell that starts here "
                                              r"never closes"):
        ws.load("interactions", path)
    assert not ws.has_table("interactions")


def test_quoted_line_breaks_are_kept_and_rows_counted(ws, tmp_path):
    path = _write(tmp_path, "q.csv", "interaction_id,customer_id,ts,kind,text\n"
                                     'i1,c1,2024-01-01,complaint,"two\nlines, one cell"\n'
                                     "i2,c1,2024-01-02,call,fine\n")
    result = ws.load("interactions", path)
    assert result.rows_read == 2
    texts = ws.to_pandas("interactions").set_index("interaction_id")["text"]
    assert texts["i1"] == "two\nlines, one cell"


def test_a_line_with_missing_fields_is_named(ws, tmp_path):
    path = _write(tmp_path, "o.csv", ORDERS + "o1,c1,2024-01-01,1\no2,c1,2024-01-02\n")
    with pytest.raises(DataImportError, match=r"o\.csv line 3: 3 fields where the header has 4"):
        ws.load("orders", path)


# -- partial files -----------------------------------------------------------------
def test_partial_file_updates_only_the_columns_it_carries(ws, tmp_path):
    before = ws.to_pandas("customers").set_index("customer_id").sort_index()
    path = _write(tmp_path, "names.csv", "customer_id,name\nc1,Ann Lee\nc3,Cy\n")
    result = ws.load("customers", path)
    assert (result.inserted, result.updated) == (1, 1)
    after = ws.to_pandas("customers").set_index("customer_id").sort_index()
    assert after.loc["c1", "name"] == "Ann Lee"
    kept = ["owner_id", "segment", "region", "signup_date", "contract_end"]
    pd.testing.assert_series_equal(after.loc["c1", kept], before.loc["c1", kept])
    pd.testing.assert_series_equal(after.loc["c2"], before.loc["c2"])
    assert after.loc["c3", kept].isna().all()


def test_a_blank_cell_in_a_carried_column_clears_it(ws, tmp_path):
    path = _write(tmp_path, "seg.csv", "customer_id,segment\nc1,\n")
    ws.load("customers", path)
    row = ws.to_pandas("customers").set_index("customer_id").loc["c1"]
    assert pd.isna(row["segment"]) and row["owner_id"] == "u1"


# -- dates -----------------------------------------------------------------
@pytest.mark.parametrize(("cell", "why"), [
    ("24-03-05", "has a two-digit year"), ("10:00:00", "is not a date"),
    ("now", "is not a date"), ("2024-02-30", "is not a date"),
    ("1899-12-31", "is out of range"),
])
def test_things_that_are_not_dates_are_refused(ws, tmp_path, cell, why):
    path = _write(tmp_path, "d.csv", ORDERS + f"o1,c1,{cell},1\n")
    with pytest.raises(DataImportError, match=rf"d\.csv row 2, column order_date: '{cell}' {why}"):
        ws.load("orders", path)


def test_far_dates_are_accepted(ws, tmp_path):
    path = _write(tmp_path, "c.csv", "customer_id,contract_end\nc1,9999-12-31\n")
    ws.load("customers", path)
    ends = ws.to_pandas("customers").set_index("customer_id")["contract_end"]
    assert ends["c1"] == pd.Timestamp("9999-12-31")


def test_day_first_is_decided_by_the_column(ws, tmp_path):
    path = _write(tmp_path, "uk.csv", ORDERS + "o1,c1,01/12/2010,1\no2,c1,13/01/2011,1\n")
    ws.load("orders", path)
    dates = ws.to_pandas("orders").set_index("order_id")["order_date"]
    assert dates.dt.strftime("%Y-%m-%d").to_dict() == {"o1": "2010-12-01", "o2": "2011-01-13"}


def test_undecided_day_month_order_is_refused_unless_told(ws, tmp_path):
    path = _write(tmp_path, "us.csv", ORDERS + "o1,c1,01/12/2010,1\no2,c1,02/11/2010,1\n")
    with pytest.raises(DataImportError, match=r"us\.csv, column order_date has dates that read "
                                              r"either day-first or month-first \(row 2: "
                                              r"'01/12/2010' and row 3: '02/11/2010'\).*"
                                              r"--dayfirst or --monthfirst"):
        ws.load("orders", path, quarantine=True)
    ws.load("orders", path, date_order="monthfirst")
    dates = ws.to_pandas("orders").set_index("order_id")["order_date"]
    assert dates.dt.strftime("%Y-%m-%d").to_dict() == {"o1": "2010-01-12", "o2": "2010-02-11"}


def test_a_column_mixing_day_first_and_month_first_is_refused(ws, tmp_path):
    path = _write(tmp_path, "mix.csv", ORDERS + "o1,c1,13/01/2011,1\no2,c1,01/13/2011,1\n")
    with pytest.raises(DataImportError, match=r"mixes day-first \(row 2: '13/01/2011'\) and "
                                              r"month-first \(row 3: '01/13/2011'\)"):
        ws.load("orders", path)


# -- encodings -----------------------------------------------------------------
def test_a_gbk_line_in_a_utf8_file_is_refused_naming_the_line(ws, tmp_path):
    data = "customer_id,name\nc5,上海恒信\n".encode() + "c6,北京华泰\n".encode("gbk")
    path = _write(tmp_path, "mixed.csv", data)
    with pytest.raises(DataImportError, match=r"mixed\.csv line 3 is not UTF-8 \(GBK\?\) while "
                                              r"line 2 is: the file mixes encodings"):
        ws.load("customers", path)


def test_byte_order_marks_never_make_an_invisible_duplicate(ws, tmp_path):
    path = _write(tmp_path, "bom.csv", "\ufeffcustomer_id,name\n\ufeffc1,Ann B\n")
    result = ws.load("customers", path)
    assert (result.inserted, result.updated) == (0, 1)
    assert sorted(ws.to_pandas("customers")["customer_id"]) == ["c1", "c2"]


# -- one-line errors instead of tracebacks -----------------------------------------------------
def test_duplicated_header_is_refused(ws, tmp_path):
    path = _write(tmp_path, "dup.csv", "customer_id,name,name\nc1,a,b\n")
    with pytest.raises(SchemaError, match=r"dup\.csv: the source has two columns named 'name' "
                                          r"\(columns 2 and 3\)"):
        ws.load("customers", path)


def test_two_columns_mapped_to_one_source_is_refused(ws, tmp_path):
    path = _write(tmp_path, "m.csv", "id,x\nc1,a\n")
    with pytest.raises(SchemaError, match=r"--map customer_id=id and --map name=id use the same "
                                          r"source column 'id'"):
        ws.load("customers", path, mapping={"customer_id": "id", "name": "id"})


def test_mapping_onto_a_column_the_source_already_has_is_refused(ws, tmp_path):
    path = _write(tmp_path, "o.csv", "order_id,customer_id,order_date,amount,cost\n"
                                     "o1,c1,2024-01-01,10,4\n")
    with pytest.raises(SchemaError, match=r"--map amount=cost: the source also has a column "
                                          r"named 'amount'"):
        ws.load("orders", path, mapping={"amount": "cost"})
    ws.load("orders", path, mapping={"amount": "cost", "cost": "amount"})
    got = ws.to_pandas("orders").iloc[0]
    assert (got["amount"], got["cost"]) == (4.0, 10.0)


def test_a_parquet_name_on_something_else_is_refused(ws, tmp_path):
    path = _write(tmp_path, "c.parquet", "customer_id\nc1\n")
    with pytest.raises(DataImportError, match=r"c\.parquet: not a readable Parquet file"):
        ws.load("customers", path)


def test_parquet_dates_out_of_range_are_refused_and_far_ones_kept(ws, tmp_path):
    path = tmp_path / "c.parquet"
    pq.write_table(pa.table({"customer_id": ["c1", "c2"], "contract_end": pa.array(
        [dt.date(9999, 12, 31), dt.date(1, 1, 1)], pa.date32())}), path)
    with pytest.raises(DataImportError, match=r"c\.parquet row 2, column contract_end: "
                                              r"'0001-01-01' is out of range"):
        ws.load("customers", path)
    result = ws.load("customers", path, quarantine=tmp_path / "bad.csv")
    assert (result.updated, result.rejected) == (1, 1)
    ends = ws.to_pandas("customers").set_index("customer_id")["contract_end"]
    assert ends["c1"] == pd.Timestamp("9999-12-31")


def test_xlsx_with_a_missing_shared_string_is_refused(ws, tmp_path):
    rows = [["customer_id", "name"], ["x1", "a"]]
    ws.load("customers", write_xlsx(tmp_path / "ok.xlsx", rows))
    path = write_xlsx(tmp_path / "broken.xlsx", rows, extra_index=40)
    with pytest.raises(DataImportError, match=r"broken\.xlsx: the sheet cannot be read"):
        ws.load("customers", path)


def test_xlsx_with_xml_entities_is_refused_unread(ws, tmp_path):
    path = write_xlsx(tmp_path / "dtd.xlsx", [["customer_id", "name"], ["x1", "&a;"]],
                      doctype='<!DOCTYPE sst [<!ENTITY a "expanded">]>')
    with pytest.raises(DataImportError, match=r"dtd\.xlsx: xl/sharedStrings\.xml declares XML "
                                              r"entities"):
        ws.load("customers", path)
    assert "x1" not in set(ws.to_pandas("customers")["customer_id"])


def test_a_file_where_the_quarantine_folder_should_be(ws, tmp_path):
    (ws.folder / "quarantine").write_text("not a folder", encoding="utf-8")
    path = _write(tmp_path, "o.csv", ORDERS + "o1,c1,2024-01-01,1\no2,c9,2024-01-01,2\n")
    with pytest.raises(DataImportError, match=r"quarantine is a file where a folder should be\); "
                                              r"nothing was loaded into orders"):
        ws.load("orders", path, quarantine=True)
    assert not ws.has_table("orders")


def test_a_file_name_over_255_characters(ws, tmp_path):
    with pytest.raises(DataImportError, match=r"\(304 characters\): cannot open the file"):
        ws.load("customers", tmp_path / ("a" * 300 + ".csv"))


def test_safe_upload_name_keeps_the_suffix_under_the_limit():
    from churnguard.io.readers import safe_upload_name

    name = safe_upload_name("../" + "客" * 300 + ".xlsx")
    assert name.endswith(".xlsx") and len(name) == 120 and "/" not in name
    assert safe_upload_name("..") == "upload"


def test_every_refusal_is_a_churnguard_error(ws, tmp_path):
    """The web layer catches ChurnguardError: nothing above may escape as anything else."""
    path = _write(tmp_path, "x.xlsx", b"PK\x03\x04 not really a zip")
    with pytest.raises(ChurnguardError, match=r"x\.xlsx: not a readable Excel workbook"):
        ws.load("customers", path)


def test_utf16_with_its_byte_order_mark_is_read(ws, tmp_path):
    path = _write(tmp_path, "u16.csv", "customer_id,name\nc9,杭州瑞丰\n".encode("utf-16"))
    ws.load("customers", path)
    assert ws.to_pandas("customers").set_index("customer_id").loc["c9", "name"] == "杭州瑞丰"


def test_partial_orders_file_keeps_cost_and_product(ws, tmp_path):
    full = _write(tmp_path, "full.csv", ORDERS[:-1] + ",cost,product\n"
                                        "o1,c1,2024-01-01,10,4,茶叶\n")
    ws.load("orders", full)
    ws.load("orders", _write(tmp_path, "fix.csv", ORDERS + "o1,c1,2024-01-01,12\n"))
    row = ws.to_pandas("orders").iloc[0]
    assert (row["amount"], row["cost"], row["product"]) == (12.0, 4.0, "茶叶")


def test_text_that_pandas_reads_as_missing_stays_text_in_xlsx(ws, tmp_path):
    path = write_xlsx(tmp_path / "na.xlsx", [["customer_id", "region", "name"],
                                             ["c7", "NA", "null"]])
    ws.load("customers", path)
    row = ws.to_pandas("customers").set_index("customer_id").loc["c7"]
    assert (row["region"], row["name"]) == ("NA", "null")


def test_control_characters_in_ids_are_refused(ws, tmp_path):
    path = _write(tmp_path, "nul.csv", "customer_id,name\nc1\x00,Ann\nc8,\"two\nlines\"\n")
    with pytest.raises(DataImportError, match=r"nul\.csv row 2, column customer_id: 'c1\\x00' "
                                              r"holds a control character"):
        ws.load("customers", path)


def test_semicolon_separated_european_export(ws, tmp_path):
    path = _write(tmp_path, "eu.csv", "order_id;customer_id;order_date;amount\n"
                                      "o1;c1;25.03.2024;12,50\no2;c2;05.04.2024;1.234,00\n")
    ws.load("orders", path)
    got = ws.to_pandas("orders").set_index("order_id")
    assert got["amount"].to_dict() == {"o1": 12.5, "o2": 1234.0}
    assert got["order_date"].dt.strftime("%Y-%m-%d").to_dict() == {"o1": "2024-03-25",
                                                                   "o2": "2024-04-05"}


def test_rows_are_named_as_a_spreadsheet_shows_them_around_blank_lines(ws, tmp_path):
    path = _write(tmp_path, "gaps.csv", ORDERS + "o1,c1,2024-01-01,1\n\n\no2,c1,2024-13-01,2\n")
    with pytest.raises(DataImportError, match=r"gaps\.csv row 5, column order_date"):
        ws.load("orders", path)
