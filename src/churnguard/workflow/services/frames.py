"""Small helpers to move pandas frames in and out of the app store in bulk."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select
from sqlalchemy.orm import Session


def read_frame(session: Session, query: Select[Any]) -> pd.DataFrame:
    """Run ``query`` and return its rows as a DataFrame (columns named after the labels)."""
    result = session.execute(query)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def plain(value: Any) -> Any:
    """A DB-ready Python value: NaN/NaT → None, numpy scalars → Python, Timestamps → datetime.

    Examples
    --------
    >>> plain(float("nan")) is None, plain(pd.NA) is None, plain(np.int64(3))
    (True, True, 3)
    >>> plain(pd.Timestamp("2024-01-02"))
    datetime.datetime(2024, 1, 2, 0, 0)
    """
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float | np.floating) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    return value


def as_date(value: Any) -> date | None:
    """A date from a date, datetime, Timestamp or ISO string (None for missing)."""
    value = plain(value)
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``frame`` as dictionaries of DB-ready values."""
    columns = list(frame.columns)
    return [{c: plain(v) for c, v in zip(columns, row, strict=True)}
            for row in frame.itertuples(index=False, name=None)]


def same(a: Any, b: Any) -> bool:
    """Equality that treats two missing values as equal and floats within 1e-9."""
    a, b = plain(a), plain(b)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    return a == b
