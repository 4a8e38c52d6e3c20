"""Check a parsed frame against its canonical table; every problem names row, column and value."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from churnguard.io.dates import DateOrder
from churnguard.io.normalise import Problem, empty_mask, parse_column
from churnguard.io.numbers import Decimal, decided_style, number_cells
from churnguard.io.schema import TableSpec


def missing_columns(frame: pd.DataFrame, spec: TableSpec) -> list[Problem]:
    """Required columns the source lacks."""
    return [
        Problem(None, name, None, "is required but missing. Add it or map it with "
                                  f"--map {name}=<source column>.")
        for name in spec.required_columns
        if name not in frame.columns
    ]


def parse_frame(
    raw: pd.DataFrame, spec: TableSpec, row_numbers: pd.Series, *,
    decimal: Decimal | None = None, date_order: DateOrder | None = None,
    notes: list[str] | None = None,
) -> tuple[pd.DataFrame, pd.Series, list[Problem], list[Problem]]:
    """Parse every canonical column present in ``raw``.

    Returns the parsed frame, a boolean Series of bad rows, the problems found in cells, and
    the columns refused as a whole (which no quarantine can load around). Number columns that
    do not decide their decimal mark follow the other number columns of the source (when those
    agree). What a summary should say about a column (ids read from ``17850.0``) is appended
    to ``notes`` as ``"column customer_id: …"``.
    """
    parsed = pd.DataFrame(index=raw.index)
    bad_rows = pd.Series(False, index=raw.index)
    problems: list[Problem] = []
    refused: list[Problem] = []
    present = [c for c in spec.columns if c.name in raw.columns]
    cells = {c.name: number_cells(raw[c.name]) for c in present
             if c.type in ("float64", "int64") and not pd.api.types.is_numeric_dtype(raw[c.name])}
    if decimal is None:
        decided = {decided_style(c.styles) for c in cells.values()} - {None}
        decimal = decided.pop() if len(decided) == 1 else None
    for column in present:
        result = parse_column(raw[column.name], column, decimal=decimal, date_order=date_order,
                              row_numbers=row_numbers, number_cells=cells.get(column.name))
        values = result.values
        parsed[column.name] = values
        if result.note and notes is not None:
            notes.append(f"column {column.name}: {result.note}")
        if result.column_problem:
            refused.append(Problem(None, column.name, None, result.column_problem))
        problems += _problems(raw[column.name], result.bad, row_numbers, column.name,
                              result.messages)
        bad_rows |= result.bad
        if not column.nullable:
            empty = empty_mask(raw[column.name])
            problems += _problems(raw[column.name], empty, row_numbers, column.name,
                                  "is empty; a value is required.", show_value=False)
            bad_rows |= empty
        if column.choices:
            unknown = values.notna() & ~values.isin(column.choices)
            problems += _problems(raw[column.name], unknown, row_numbers, column.name,
                                  f"is not one of {', '.join(column.choices)}.")
            bad_rows |= unknown
        if column.non_negative:
            negative = values.lt(0).fillna(False) & ~result.bad
            problems += _problems(raw[column.name], negative, row_numbers, column.name,
                                  "is negative; it must be 0 or more.")
            bad_rows |= negative
        if column.no_future:
            tomorrow = pd.Timestamp.now().normalize() + pd.Timedelta(days=1)
            future = values.ge(tomorrow).fillna(False)
            problems += _problems(raw[column.name], future, row_numbers, column.name,
                                  "is in the future.")
            bad_rows |= future
    return parsed, bad_rows, problems, refused


def duplicate_keys(
    parsed: pd.DataFrame, spec: TableSpec, row_numbers: pd.Series
) -> tuple[pd.Series, list[Problem]]:
    """Rows whose key repeats an earlier row of the same source."""
    key = list(spec.key)
    if not set(key) <= set(parsed.columns):
        return pd.Series(False, index=parsed.index), []
    dup = parsed.duplicated(subset=key, keep="first")
    if not dup.any():
        return dup, []
    first_row = row_numbers.groupby([parsed[k] for k in key], dropna=False).transform("first")
    problems = [
        Problem(int(row_numbers[i]), "+".join(key), _key_value(parsed, key, i),
                f"repeats the key of row {int(first_row[i]):,}; keys must be unique.")
        for i in parsed.index[dup]
    ]
    return dup, problems


def unknown_customers(
    parsed: pd.DataFrame, spec: TableSpec, known: pd.Series, row_numbers: pd.Series
) -> tuple[pd.Series, list[Problem]]:
    """Rows that point at a customer_id not in ``customers``."""
    bad = pd.Series(False, index=parsed.index)
    problems: list[Problem] = []
    for column in spec.customer_ref:
        if column not in parsed.columns:
            continue
        values = parsed[column]
        unknown = values.notna() & ~values.isin(known)
        bad |= unknown
        problems += _problems(values, unknown, row_numbers, column,
                              "is not a known customer. Load customers first or fix the id.")
    return bad, problems


def _problems(
    values: pd.Series, mask: pd.Series, row_numbers: pd.Series, column: str,
    message: str | pd.Series, *, show_value: bool = True,
) -> list[Problem]:
    """One problem per masked cell; ``message`` is one text or a text per cell."""
    if not mask.any():
        return []
    texts = message[mask] if isinstance(message, pd.Series) else [message] * int(mask.sum())
    return [
        Problem(int(row), column, value if show_value else None, text)
        for row, value, text in zip(row_numbers[mask], values[mask], texts, strict=True)
    ]


def _key_value(frame: pd.DataFrame, key: Iterable[str], index: object) -> str:
    return "/".join(str(frame.at[index, k]) for k in key)
