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
    """``source`` as an Ibis table: a Workspace's table ``name``, an Ibis table, or a frame."""
    if isinstance(source, ibis.Table):
        return source
    if isinstance(source, pd.DataFrame):
        return ibis.memtable(source)
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
