"""Load order lines (what shops and ERPs export) and the orders and customers they imply.

One load reads the file, computes columns (``--compute amount=Quantity*UnitPrice``), parses and
checks every cell, fills in what the file leaves out (order ids from customer + day, line
numbers, ``amount = quantity × unit_price``), finds the cancellations and the purchases they
void, and then writes ``order_lines``, ``orders`` and the new ``customers`` in one transaction:
all or nothing, and loading the same file again changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from churnguard.errors import DataImportError, SchemaError
from churnguard.io.cancellations import cancellation_mask, match_cancellations
from churnguard.io.compute import (
    EXPRESSION_MARKS,
    Expression,
    computed_columns,
    expression,
    parse_compute,
)
from churnguard.io.dates import DateOrder
from churnguard.io.line_orders import (
    derive_orders,
    is_in,
    new_customers,
    order_customer_conflicts,
    text_of,
)
from churnguard.io.line_writes import write_lines
from churnguard.io.load import LoadResult, _save_mapping, _summary, _write_quarantine
from churnguard.io.normalise import Problem, rename_columns
from churnguard.io.numbers import Decimal
from churnguard.io.readers import read_source
from churnguard.io.schema import table_spec
from churnguard.io.validate import duplicate_keys, parse_frame
from churnguard.warehouse import to_canonical_arrow

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

DERIVED = ("cancellation", "voided", "matched_order_id")
"""Columns of ``order_lines`` that a load works out; a source never sets them."""


@dataclass
class OrderLinesResult(LoadResult):
    """What an order-lines load did, besides the counts of any load."""

    orders: int = 0
    customers_created: int = 0
    revenue: float = 0.0
    unattributed_lines: int = 0
    unattributed_revenue: float = 0.0
    cancellations: int = 0
    voided_purchases: int = 0
    voided_amount: float = 0.0
    returns_unmatched: int = 0
    returns_unmatched_amount: float = 0.0
    derived_order_ids: bool = False

    @property
    def unattributed_share(self) -> float:
        """Share of the file's revenue on lines without a customer (0 when no revenue)."""
        return self.unattributed_revenue / self.revenue if self.revenue else 0.0


def load_order_lines(
    ws: Workspace,
    source: Any,
    *,
    mapping: Mapping[str, str] | None = None,
    compute: Iterable[str] | None = None,
    cancel_prefix: str | None = None,
    quarantine: bool | str = False,
    sheet: str | int | None = None,
    encoding: str | None = None,
    save_mapping: bool = False,
    decimal: Decimal | None = None,
    date_order: DateOrder | None = None,
) -> OrderLinesResult:
    """Load order lines from ``source`` into ``order_lines``, ``orders`` and ``customers``.

    Parameters
    ----------
    ws, source, mapping, quarantine, sheet, encoding, save_mapping, decimal, date_order
        As for :func:`churnguard.io.load.load_table`. A mapping whose source is an expression
        (``{"amount": "Quantity*UnitPrice"}``) computes the column.
    compute
        ``NAME=EXPR`` items (:mod:`churnguard.io.compute`): new source columns, e.g.
        ``["amount=Quantity*UnitPrice"]``.
    cancel_prefix
        Order ids starting with it are cancellations (``"C"`` for ``C536379``).

    Every line is kept, also those without a customer (unattributed sales). Without an
    ``order_id`` column an order is a customer's day: ``order_id = customer_id@YYYY-MM-DD``.
    Customers named by the lines and not yet in ``customers`` are created (with the region
    and channel of their first line).

    Examples
    --------
    >>> import tempfile
    >>> from churnguard.workspace import Workspace
    >>> ws = Workspace.create(tempfile.mkdtemp() + "/shop")
    >>> lines = pd.DataFrame({"Invoice": ["1", "1", "C2"], "Customer": ["a", "a", "a"],
    ...     "Date": ["2024-01-02", "2024-01-02", "2024-01-03"], "Qty": ["1", "2", "-2"],
    ...     "Price": ["3", "5", "5"]})
    >>> result = load_order_lines(ws, lines, mapping={"order_id": "Invoice",
    ...     "customer_id": "Customer", "order_date": "Date", "quantity": "Qty",
    ...     "unit_price": "Price"})
    >>> result.voided_purchases, ws.to_pandas("orders")["amount"].tolist()
    (1, [3.0])
    """
    spec = table_spec("order_lines")
    if mapping is None:
        mapping = ws.settings.mappings.get("order_lines")
    raw = read_source(source, sheet=sheet, encoding=encoding)
    headers = [str(c) for c in raw.frame.columns]
    plain, expressions = _split_mapping(mapping or {}, headers, raw.name)
    expressions += [parse_compute(item, headers) for item in compute or ()]
    row_numbers = raw.row_numbers()
    frame, problems = computed_columns(raw.frame, expressions, row_numbers, decimal, raw.name)
    try:
        frame = rename_columns(frame, spec, plain)
    except SchemaError as exc:
        raise SchemaError(f"{raw.name}: {exc}") from None
    frame = frame.drop(columns=[c for c in DERIVED if c in frame.columns])
    _require(frame, raw.name)
    notes: list[str] = []
    parsed, bad, cell_problems, refused = parse_frame(
        frame, spec, row_numbers, decimal=decimal, date_order=date_order, notes=notes
    )
    if refused:
        raise DataImportError(
            _summary(raw.name, "order_lines", refused, quarantine_helps=False), refused
        )
    problems += cell_problems
    bad |= _rows_of(problems, row_numbers)
    parsed, derived_ids = _fill_in(parsed, row_numbers, bad, problems)
    dup, dup_problems = duplicate_keys(parsed, spec, row_numbers)
    bad |= dup
    problems += dup_problems
    problems += _conflicts(parsed[~bad], row_numbers)
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        if not quarantine:
            raise DataImportError(_summary(raw.name, "order_lines", problems), problems)
        bad |= _rows_of(problems, row_numbers)
        quarantine_path = _write_quarantine(
            ws, "order_lines", raw.frame, bad, problems, row_numbers, quarantine
        )
    else:
        quarantine_path = None
    rows_read, good = len(frame), parsed[~bad]
    del frame, parsed
    raw.frame = raw.frame.iloc[:0]  # the text cells are not needed any more: free them
    result = _load_parsed(ws, good, cancel_prefix=cancel_prefix)
    if save_mapping and mapping:
        _save_mapping(ws, "order_lines", mapping)
    result.source, result.rows_read = raw.name, rows_read
    result.rejected, result.quarantine_path = int(bad.sum()), quarantine_path
    result.problems, result.notes = problems, notes
    result.derived_order_ids = derived_ids
    return result


def _rows_of(problems: list[Problem], row_numbers: pd.Series) -> pd.Series:
    return row_numbers.isin({p.row for p in problems if p.row is not None})


def _split_mapping(
    mapping: Mapping[str, str], headers: list[str], name: str
) -> tuple[dict[str, str], list[Expression]]:
    """Mappings to a source column, and those whose source is an expression."""
    plain: dict[str, str] = {}
    expressions: list[Expression] = []
    for canonical, src in mapping.items():
        if src not in headers and EXPRESSION_MARKS.search(src):
            expressions.append(expression(canonical, src))
        else:
            plain[canonical] = src
    return plain, expressions


def _require(frame: pd.DataFrame, name: str) -> None:
    """The columns an order line cannot do without."""
    lacking = [c for c in ("customer_id", "order_date") if c not in frame.columns]
    if "amount" not in frame.columns and not {"quantity", "unit_price"} <= set(frame.columns):
        lacking.append("amount (or quantity and unit_price, or --compute amount=…)")
    if lacking:
        raise DataImportError(
            f"{name}: order lines need {', '.join(lacking)}; nothing was loaded. Map them with "
            "--map COLUMN=SOURCE_HEADER (--map customer_id= for a column of customer ids)."
        )


def _fill_in(
    parsed: pd.DataFrame, row_numbers: pd.Series, bad: pd.Series, problems: list[Problem]
) -> tuple[pd.DataFrame, bool]:
    """Amounts from quantity × unit price, order ids from customer + day, line numbers."""
    parsed = parsed.copy()
    if "amount" not in parsed.columns:
        amount = parsed["quantity"] * parsed["unit_price"]
        missing = amount.isna() & ~bad
        for row in row_numbers[missing]:
            problems.append(
                Problem(
                    int(row),
                    "amount",
                    None,
                    "cannot be worked out: quantity "
                    "or unit_price is empty. Fill them, or map an amount.",
                )
            )
        bad |= missing
        parsed["amount"] = amount
    derived = "order_id" not in parsed.columns
    if derived:
        day = pc.strftime(pa.array(parsed["order_date"]), "%Y-%m-%d")
        customer = pc.fill_null(text_of(parsed["customer_id"]), "")
        ids = pc.binary_join_element_wise(customer, pc.fill_null(day, ""), "@")
        parsed["order_id"] = pd.Series(
            pd.array(ids, dtype=pd.StringDtype("pyarrow")), index=parsed.index
        )
    if "line_no" not in parsed.columns:
        parsed["line_no"] = parsed.groupby("order_id", sort=False).cumcount() + 1
    return parsed, derived


def _conflicts(parsed: pd.DataFrame, row_numbers: pd.Series) -> list[Problem]:
    conflicts = order_customer_conflicts(parsed)
    problems = []
    for order_id, customers in conflicts.itertuples(index=False):
        first = row_numbers[parsed.index[parsed["order_id"] == order_id][0]]
        problems.append(
            Problem(
                int(first),
                "customer_id",
                order_id,
                f"order {order_id} has lines for customers {customers}; an "
                "order belongs to one customer.",
            )
        )
    return problems


def _load_parsed(
    ws: Workspace, lines: pd.DataFrame, *, cancel_prefix: str | None
) -> OrderLinesResult:
    """Merge with the stored lines, work out cancellations, orders, customers, and write."""
    spec = table_spec("order_lines")
    new_ids = pd.Index(lines["order_id"].unique())
    fresh = to_canonical_arrow(lines.assign(cancellation=0, voided=0), spec)
    replaced = unchanged = 0
    if ws.has_table("order_lines"):
        stored = ws.warehouse.read_arrow("order_lines").cast(fresh.schema)
        again = pc.is_in(stored["order_id"], value_set=pa.array(new_ids.astype(str)))
        replaced = pc.sum(again.cast(pa.int64())).as_py() or 0
        if replaced:
            unchanged = _same_lines(stored.filter(again), fresh)
        fresh = pa.concat_tables([stored.filter(pc.invert(again)), fresh])
    kept_rows = fresh.num_rows - len(lines)
    everything = fresh.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    cancelled = cancellation_mask(everything, cancel_prefix=cancel_prefix)
    voided, other = match_cancellations(everything, cancelled)
    everything["cancellation"] = cancelled.astype(np.int64)
    everything["voided"] = voided.astype(np.int64)
    everything["matched_order_id"] = other
    orders = derive_orders(everything)
    known = (
        ws.table("customers").select("customer_id").to_pyarrow().column(0).to_pandas()
        if ws.has_table("customers")
        else pd.Series([], dtype=object)
    )
    customers = new_customers(everything, known)
    write_lines(ws, everything, orders, customers)
    mine = everything.iloc[kept_rows:]
    result = _summary_of(mine, orders, customers, inserted=len(lines) - replaced, updated=replaced)
    result.unchanged = unchanged  # of the updated lines, those the file gave again as they were
    return result


def _same_lines(old: pa.Table, new: pa.Table) -> int:
    """How many lines of ``new`` are stored already with the same values (what the file says,
    not what a load works out)."""
    columns = [c for c in new.column_names if c not in DERIVED]
    before = old.select(columns).to_pandas()
    after = new.select(columns).to_pandas()
    return len(before.merge(after, on=columns, how="inner"))


def _summary_of(
    mine: pd.DataFrame,
    orders: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    inserted: int,
    updated: int,
) -> OrderLinesResult:
    amount = mine["amount"]
    attributed = mine["customer_id"].notna()
    cancel = mine["cancellation"] == 1
    voided = mine["voided"] == 1
    return OrderLinesResult(
        table="order_lines",
        source="",
        rows_read=len(mine),
        inserted=max(inserted, 0),
        updated=updated,
        orders=int(is_in(orders["order_id"], mine["order_id"].unique()).sum()),
        customers_created=len(customers),
        revenue=float(amount.sum()),
        unattributed_lines=int((~attributed).sum()),
        unattributed_revenue=float(amount[~attributed].sum()),
        cancellations=int(cancel.sum()),
        voided_purchases=int((voided & ~cancel).sum()),
        voided_amount=float(amount[voided & ~cancel].sum()),
        returns_unmatched=int((cancel & ~voided).sum()),
        returns_unmatched_amount=float(amount[cancel & ~voided].sum()),
    )


def order_lines_summary(result: OrderLinesResult) -> list[str]:
    """The lines an import prints about order lines (orders, customers, unattributed sales,
    cancellations), every figure from ``result``."""
    lines = [
        f"orders: {result.orders:,} (one per order id with a customer"
        + (", order id = customer@day" if result.derived_order_ids else "")
        + f"); revenue in the file {result.revenue:,.2f}",
        f"customers created from the order lines: {result.customers_created:,}",
        f"sales without a customer: {result.unattributed_lines:,} lines, "
        f"{result.unattributed_revenue:,.2f} = {result.unattributed_share:.1%} of the revenue "
        "(kept in order_lines, not in orders)",
    ]
    if result.cancellations:
        lines.append(
            f"cancellations/returns: {result.cancellations:,} lines; "
            f"{result.voided_purchases:,} purchase lines voided ({result.voided_amount:,.2f}); "
            f"{result.returns_unmatched:,} unmatched returns reduce revenue by "
            f"{abs(result.returns_unmatched_amount):,.2f}"
        )
    return lines
