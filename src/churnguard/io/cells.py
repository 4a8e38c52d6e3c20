"""Cells as text, and what parsing a column returns.

Every parser in :mod:`churnguard.io` returns a :class:`Parsed`: the values, the cells that are
present but wrong (each with its own message), and at most one refusal for the whole column
(when the column as a whole cannot be read without guessing, e.g. ``01/02/2024`` with nothing
deciding day-first or month-first).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

INVISIBLE = "[\ufeff\u200b\u200c\u200d\u2060\u00ad]"
"""Byte-order marks and zero-width characters: never part of an id, a name or a number."""


@dataclass
class Parsed:
    """One parsed column.

    ``bad`` marks cells that hold something but could not be read; ``messages`` holds the
    reason for each of them (None elsewhere). ``column_problem`` refuses the whole column.
    """

    values: pd.Series
    bad: pd.Series
    messages: pd.Series
    column_problem: str | None = None
    note: str | None = None
    """Something the summary should say about the column (``17850.0`` read as ``17850``)."""

    @classmethod
    def clean(cls, values: pd.Series) -> Parsed:
        """A column with nothing wrong."""
        index = values.index
        return cls(values, pd.Series(False, index=index),
                   pd.Series(None, index=index, dtype=object))


def as_text(series: pd.Series) -> pd.Series:
    """``series`` as Arrow-backed strings (vectorised string kernels)."""
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
        return series
    return series.astype(pd.StringDtype("pyarrow"))


def clean_text(series: pd.Series) -> pa.Array:
    """Text of ``series`` without surrounding blanks and invisible characters, as Arrow.

    Examples
    --------
    >>> clean_text(pd.Series(["\\ufeffc1 ", None])).to_pylist()
    ['c1', None]
    """
    text = pa.array(as_text(series), type=pa.large_string())
    if not pc.all(pc.string_is_ascii(text)).as_py():
        text = pc.replace_substring_regex(text, INVISIBLE, "")
    return pc.utf8_trim_whitespace(text)


def empty_mask(series: pd.Series) -> pd.Series:
    """Cells that are null or blank text (invisible characters count as blank)."""
    blank = series.isna()
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        stripped = clean_text(series)
        empty = pc.fill_null(pc.equal(pc.utf8_length(stripped), 0), True)
        blank = blank | pd.Series(empty.to_numpy(zero_copy_only=False), index=series.index)
    return blank.astype(bool)


def messages_where(index: pd.Index, cases: list[tuple[np.ndarray, str]]) -> pd.Series:
    """A message per cell: the first case whose mask is true, None elsewhere."""
    out = np.full(len(index), None, dtype=object)
    for mask, message in reversed(cases):
        out[np.asarray(mask, dtype=bool)] = message
    return pd.Series(out, index=index, dtype=object)


def to_bool(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow array as numpy, null → False."""
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def matches(text: pa.Array, pattern: str, where: np.ndarray) -> np.ndarray:
    """Which cells match the regular expression ``pattern``, looking only where ``where`` is
    true (false elsewhere)."""
    out = np.zeros(len(text), dtype=bool)
    if where.all():
        return to_bool(pc.match_substring_regex(text, pattern))
    if where.any():
        rows = np.flatnonzero(where)
        out[rows] = to_bool(pc.match_substring_regex(pc.take(text, pa.array(rows)), pattern))
    return out
