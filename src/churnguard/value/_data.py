"""Inputs of the value functions: a Workspace, an Ibis table or a pandas DataFrame of orders."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import ibis
import pandas as pd

from churnguard.errors import SchemaError


def to_date(value: date | datetime | str, *, name: str = "as_of") -> date:
    """A calendar date from a date, datetime, Timestamp or ISO string."""
    try:
        return pd.Timestamp(value).date()
    except (ValueError, TypeError):
        raise SchemaError(f"{name}={value!r} is not a date. Use YYYY-MM-DD or a datetime.date.") \
            from None


def day_before(value: date) -> date:
    return value - timedelta(days=1)


def table_of(source: Any, name: str) -> ibis.Table:
    """Table ``name`` of ``source``: a Workspace, a dict of frames/tables, or (for ``orders``)
    one ibis.Table or pandas/polars DataFrame."""
    if isinstance(source, dict):
        if name not in source:
            raise SchemaError(f"no {name!r} table given; received tables "
                              f"{', '.join(map(str, source)) or 'none'}.")
        return table_of(source[name], name)
    if type(source).__module__.startswith("polars"):
        source = source.to_pandas()
    if isinstance(source, ibis.Table | pd.DataFrame):
        if name != "orders" and not _looks_like(source, name):
            raise SchemaError(f"this needs the {name!r} table too; pass a Workspace or a dict "
                              f"{{'orders': ..., {name!r}: ...}} instead of one table.")
        return ibis.memtable(source) if isinstance(source, pd.DataFrame) else source
    if hasattr(source, "table") and hasattr(source, "has_table"):
        return source.table(name)
    raise SchemaError(f"expected a Workspace, an ibis.Table or a pandas DataFrame of {name}; "
                      f"received {type(source).__name__}.")


def require(table: ibis.Table, columns: dict[str, str | None], *, what: str) -> None:
    """Raise when a column named by a ``*_col`` argument is absent."""
    missing = [f"{arg}={col!r}" for arg, col in columns.items()
               if col is not None and col not in table.columns]
    if missing:
        raise SchemaError(f"{what}: column(s) not found: {', '.join(missing)}; the data has "
                          f"{', '.join(table.columns)}. Pass the right *_col arguments.")


_SIGNATURE = {"activities": {"activity", "count"}, "cost_pools": {"activity", "total_cost"},
              "customers": {"customer_id"}}


def _looks_like(source: Any, name: str) -> bool:
    return _SIGNATURE.get(name, {"\0"}) <= set(source.columns)
