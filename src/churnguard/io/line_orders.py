"""What order lines imply: the ``orders`` (one per order with a customer) and new ``customers``.

Both are derived from the whole ``order_lines`` table after each load, so a cancellation in one
file voids a purchase loaded from another, and loading the same file twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from churnguard.io.cells import as_text

CUSTOMER_ATTRIBUTES = ("region", "channel")
"""Order-level columns of the lines that the customers created from them take (first value)."""


def is_in(values: pd.Series, wanted: Iterable[object]) -> np.ndarray:
    """``values.isin(wanted)`` for text, in Arrow (pandas' Arrow strings test cell by cell).

    Examples
    --------
    >>> is_in(pd.Series(["a", None, "b"]), ["b"]).tolist()
    [False, False, True]
    """
    wanted = pd.Series(wanted if isinstance(wanted, pd.Series | pd.Index) else list(wanted))
    found = pc.is_in(text_of(values), value_set=text_of(wanted).cast(pa.string()))
    return np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False), dtype=bool)


def text_of(values: pd.Series | pd.Index) -> pa.Array:
    """The cells as one Arrow string array (no copy when they are Arrow strings already)."""
    return pa.array(as_text(pd.Series(values))).cast(pa.string())


def derive_orders(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per order id with a customer, from its lines that are not voided.

    ``order_date`` is the first line's timestamp, ``amount`` the sum of line amounts (negative
    for an order of returns), ``cost`` the sum of line costs, ``quantity`` the sum of units
    (null for an order of returns), ``line_count`` the number of lines.

    Examples
    --------
    >>> lines = pd.DataFrame({"order_id": ["1", "1", "2", "3"],
    ...     "customer_id": ["a", "a", None, "b"],
    ...     "order_date": pd.to_datetime(["2024-01-02 10:00", "2024-01-02 09:00",
    ...                                   "2024-01-03 00:00", "2024-01-04 00:00"]),
    ...     "amount": [2.0, 3.0, 9.0, 4.0], "quantity": [1.0, 1.0, 1.0, 2.0],
    ...     "voided": [0, 0, 0, 1]})
    >>> derive_orders(lines)[["order_id", "customer_id", "amount", "line_count"]].values.tolist()
    [['1', 'a', 5.0, 2]]
    """
    kept = lines[(lines["voided"] == 0) & lines["customer_id"].notna()]
    grouped = kept.groupby("order_id", sort=True, observed=True)
    orders = grouped.agg(
        customer_id=("customer_id", "first"),
        order_date=("order_date", "min"),
        amount=("amount", "sum"),
        line_count=("amount", "size"),
    )
    if "cost" in kept.columns:
        orders["cost"] = grouped["cost"].sum(min_count=1)
    if "quantity" in kept.columns:
        units = grouped["quantity"].sum(min_count=1)
        orders["quantity"] = units.where(units >= 0)
    if "channel" in kept.columns:
        orders["channel"] = grouped["channel"].first()
    one_line = orders["line_count"] == 1
    for column, target in (("product_name", "product"), ("category", "category")):
        if column in kept.columns:
            orders[target] = grouped[column].first().where(one_line)
    return orders.reset_index()


def order_customer_conflicts(lines: pd.DataFrame) -> pd.DataFrame:
    """Orders whose lines name more than one customer: ``order_id``, ``customers`` (two
    shown), ``row`` (the first line)."""
    named = lines[lines["customer_id"].notna()]
    counts = named.groupby("order_id", observed=True)["customer_id"].nunique()
    bad = counts[counts > 1].index
    if bad.empty:
        return pd.DataFrame(columns=["order_id", "customers"])
    rows = named[is_in(named["order_id"], bad)]
    shown = rows.groupby("order_id", observed=True)["customer_id"].agg(
        lambda ids: " and ".join(map(repr, pd.unique(ids)[:2]))
    )
    return shown.rename("customers").reset_index()


def new_customers(lines: pd.DataFrame, known: pd.Series) -> pd.DataFrame:
    """The customers the lines name that ``known`` lacks, with the region and channel of
    their first order line (when the lines have them). Blank ids are no customer.

    Examples
    --------
    >>> lines = pd.DataFrame({"customer_id": ["b", None, "a", "b"],
    ...                       "order_date": pd.to_datetime(["2024-01-02"] * 4),
    ...                       "region": ["UK", "FR", "DE", "NL"]})
    >>> new_customers(lines, pd.Series(["a"])).values.tolist()
    [['b', 'UK']]
    """
    named = lines[lines["customer_id"].notna()]
    named = named[~is_in(named["customer_id"], known)]
    columns = [c for c in CUSTOMER_ATTRIBUTES if c in named.columns]
    order = np.lexsort((np.arange(len(named)), named["order_date"].to_numpy()))
    first = named.iloc[order].drop_duplicates("customer_id")
    return first[["customer_id", *columns]].sort_values("customer_id").reset_index(drop=True)
