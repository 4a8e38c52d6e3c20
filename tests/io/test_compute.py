"""``--compute NAME=EXPR`` and expressions in ``--map``: safe, vectorised, errors that name
the expression, the row and the column; ids written as ``17850.0``; the fast date path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from churnguard import Workspace
from churnguard.errors import DataImportError, SchemaError
from churnguard.io.compute import evaluate, parse_compute
from churnguard.io.dates import parse_dates


def _evaluate(item: str, frame: pd.DataFrame):
    return evaluate(parse_compute(item, list(frame.columns)), frame,
                    pd.Series(np.arange(2, len(frame) + 2), index=frame.index))


def test_arithmetic_with_precedence_parentheses_literals_and_quoted_names():
    frame = pd.DataFrame({"Qty": ["2", "3"], "Unit Price": ["1.50", "¥4"], "数量": ["1", "2"]})
    values, problems = _evaluate('x=("Unit Price" − 0.5) × Qty + 数量 / 2 - -1', frame)
    assert problems == []
    assert values.tolist() == pytest.approx([(1.5 - 0.5) * 2 + 0.5 + 1, (4 - 0.5) * 3 + 1 + 1])
    values, _ = _evaluate("y=`Unit Price`*10", frame)
    assert values.tolist() == pytest.approx([15.0, 40.0])


@pytest.mark.parametrize("item", ['a=__import__("os").system("x")', "a=Qty**2", "a=Qty.real",
                                  "a=Qty[0]", "a=f(Qty)", "a=Qty if Qty else 1", "a=Qty<1",
                                  "a=lambda: 1", "a=True+Qty"])
def test_anything_but_arithmetic_is_refused(item: str):
    with pytest.raises(SchemaError, match=r"is not allowed|not an expression"):
        parse_compute(item)


def test_bad_cells_and_division_by_zero_name_row_column_and_expression():
    frame = pd.DataFrame({"a": ["6", "x", "1", ""], "b": ["2", "1", "0", "1"]})
    values, problems = _evaluate("r=a/b", frame)
    assert values.iloc[0] == 3.0 and np.isnan(values.iloc[1:]).all()
    described = [p.describe("f.csv") for p in problems]
    assert described == [
        "f.csv row 3, column a: 'x' is not a number. Use digits, e.g. 1234.50. "
        "(read by --compute r=a/b)",
        "f.csv row 4, column r cannot be computed: --compute r=a/b divides by zero here.",
    ]


def test_unknown_columns_and_taken_names_are_refused(workspace: Workspace, tmp_path: Path):
    path = tmp_path / "o.csv"
    path.write_text("order_id,customer_id,order_date,net,tax\n1,a,2024-01-01,10,2\n")
    with pytest.raises(SchemaError, match=r"--compute amount=net\+vat: 'vat' not in the source"):
        parse_compute("amount=net+vat", ["net", "tax"])
    with pytest.raises(SchemaError, match="already has a column named 'net'"):
        workspace.load("orders", path, compute=["net=tax*2"])


def test_compute_fills_a_canonical_column_of_any_table(workspace: Workspace, tmp_path: Path):
    path = tmp_path / "o.csv"
    path.write_text("order_id,customer_id,order_date,net,tax\n1,a,2024-01-01,10,2.5\n")
    workspace.load("customers", pd.DataFrame({"customer_id": ["a"]}))
    workspace.load("orders", path, compute=["amount=net+tax"])
    assert workspace.to_pandas("orders")["amount"].tolist() == [12.5]


def test_map_with_an_expression_computes_it_through_the_cli(tmp_path: Path):
    (tmp_path / "l.csv").write_text("Invoice,Customer,Date,Qty,Price\n1,a,2024-01-02,3,2.5\n")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "churnguard", *args], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)

    assert run("init", "ws").returncode == 0
    done = run("import", "order-lines", "l.csv", "-w", "ws", "--map", "order_id=Invoice",
               "--map", "customer_id=Customer", "--map", "order_date=Date",
               "--map", "amount=Qty*Price")
    assert done.returncode == 0, done.stderr
    with Workspace.open(tmp_path / "ws") as ws:
        assert ws.to_pandas("orders")["amount"].tolist() == [7.5]
    bad = run("import", "order-lines", "l.csv", "-w", "ws", "--map", "order_id=Invoice",
              "--map", "customer_id=Customer", "--map", "order_date=Date",
              "--compute", "amount=Qty**Price")
    assert bad.returncode == 1
    assert "'Qty ** Price' is not allowed" in " ".join(bad.stderr.split())


def test_integral_float_ids_load_as_integers_with_a_note(workspace: Workspace):
    result = workspace.load("customers", pd.DataFrame({"customer_id": [17850.0, 13047.0]}))
    assert sorted(workspace.to_pandas("customers")["customer_id"]) == ["13047", "17850"]
    assert result.notes == ["column customer_id: ids written as numbers ('17850.0') were read "
                            "as '17850' (2 rows)."]


def test_ids_keep_their_text_when_not_all_integral(workspace: Workspace):
    result = workspace.load("customers", pd.DataFrame({"customer_id": ["17850.0", "A1.0x"]}))
    assert sorted(workspace.to_pandas("customers")["customer_id"]) == ["17850.0", "A1.0x"]
    assert result.notes == []


def test_the_split_date_path_reads_what_the_general_one_reads():
    cells = pd.Series(["1/12/2010 08:26", "13/12/2010 8:05:09", "9.12.2010", "09-12-2010 23:59",
                       "2010-12-01", "31/02/2010", ""])
    parsed = parse_dates(cells)
    assert parsed.values.tolist()[:5] == [
        pd.Timestamp("2010-12-01 08:26"), pd.Timestamp("2010-12-13 08:05:09"),
        pd.Timestamp("2010-12-09"), pd.Timestamp("2010-12-09 23:59"),
        pd.Timestamp("2010-12-01")]
    assert parsed.bad.tolist() == [False] * 5 + [True, False]
    assert parsed.column_problem is None


def test_a_bad_order_lines_compute_cell_rejects_the_load(workspace: Workspace, tmp_path: Path):
    path = tmp_path / "l.csv"
    path.write_text("Invoice,Customer,Date,Qty,Price\n1,a,2024-01-02,3,2.5\n2,a,2024-01-02,3,?\n")
    with pytest.raises(DataImportError, match=r"row 3, column Price: '\?' is not a number"):
        workspace.load("order_lines", path, mapping={
            "order_id": "Invoice", "customer_id": "Customer", "order_date": "Date"},
            compute=["amount=Qty*Price"])
    assert not workspace.has_table("order_lines")
