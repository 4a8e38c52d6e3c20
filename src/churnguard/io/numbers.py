"""Numbers from text, decided per column: decimal point or decimal comma, finite, in range.

``1,234.50`` and ``1.234,50`` are both common; ``12,5`` is twelve and a half in most of Europe.
Each cell is classified; a column whose cells say "decimal point" (``12.5``, ``1,234,567``) is
read that way, one whose cells say "decimal comma" (``12,5``, ``1.234,50``) the other way, and a
column that says both is refused. Cells that fit either (``1,234``, ``1.234``) follow the column,
else the other number columns of the file, else the caller's ``decimal``; when nothing decides
the column is refused rather than guessed. Every value must be finite and at most
:data:`MAX_ABS_NUMBER` in size (or the column's own ``high``, from :mod:`churnguard.constraints`):
``1e400`` or 400 digits never load as infinity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from churnguard.constraints import MAX_MONEY
from churnguard.io.cells import Parsed, clean_text, matches, messages_where, to_bool

Decimal = Literal[".", ","]
MAX_ABS_NUMBER = MAX_MONEY
"""Largest magnitude by default (a column may declare its own, see ``Column.high``)."""

_NOISE = r"[¥￥$€£元\s\x{00a0}\x{202f}]|RMB|CNY"
_PLAIN = r"^(\d+|(\d+\.?\d*|\.\d+)[eE][+-]?\d+)$"       # 1234  1.5e3
_DOT_EITHER = r"^\d{1,3}\.\d{3}$"          # 1.234: a decimal point, or a thousands dot
_COMMA_EITHER = r"^\d{1,3},\d{3}$"         # 1,234: a thousands comma, or a decimal comma
_DOT_DECIMAL = r"^(\d*\.\d+|\d+\.)$"         # 12.5  .5  1234.567
_COMMA_DECIMAL = r"^(\d*,\d+|\d+,)$"         # 12,5  ,5  1234,567
_DOT_GROUPS = r"^\d{1,3}(\.\d{3}){2,}$"       # 1.234.567
_COMMA_GROUPS = r"^\d{1,3}(,\d{3}){2,}$"       # 1,234,567
_POINT_BOTH = r"^\d{1,3}(,\d{3})+\.\d*$"      # 1,234.50
_COMMA_BOTH = r"^\d{1,3}(\.\d{3})+,\d*$"      # 1.234,50


@dataclass
class NumberCells:
    """A text column taken apart: the digits and marks of each cell, its sign, its style."""

    core: pa.Array
    negative: np.ndarray
    styles: dict[str, np.ndarray]


def number_styles(series: pd.Series) -> dict[str, np.ndarray]:
    """Classify each cell: ``point``/``comma`` (decides the style), ``either``, ``plain``.

    Examples
    --------
    >>> styles = number_styles(pd.Series(["12,5", "1,234", "7", "1,234.50"]))
    >>> [k for i in range(4) for k, v in styles.items() if v[i]]
    ['comma', 'either', 'plain', 'point']
    """
    return number_cells(series).styles


def number_cells(series: pd.Series) -> NumberCells:
    """Take a text column apart once (:func:`parse_numbers` and the file's decision share it).

    Literal tests sort the cells by the marks they hold, so each pattern only looks at the
    cells it can match."""
    core, negative = _core(series)
    comma = to_bool(pc.match_substring(core, ","))
    dot = to_bool(pc.match_substring(core, "."))
    dot_only, comma_only, both = dot & ~comma, comma & ~dot, dot & comma
    dot_either = matches(core, _DOT_EITHER, dot_only)
    comma_either = matches(core, _COMMA_EITHER, comma_only)
    dot_decimal = matches(core, _DOT_DECIMAL, dot_only & ~dot_either)
    comma_decimal = matches(core, _COMMA_DECIMAL, comma_only & ~comma_either)
    plain = matches(core, _PLAIN, ~comma & ~(dot_either | dot_decimal))
    point = dot_decimal | matches(core, _COMMA_GROUPS, comma_only & ~comma_either
                                  & ~comma_decimal) | matches(core, _POINT_BOTH, both)
    comma_style = comma_decimal | matches(core, _DOT_GROUPS, dot_only & ~dot_either
                                          & ~dot_decimal & ~plain) | matches(
        core, _COMMA_BOTH, both)
    return NumberCells(core, negative, {"plain": plain, "either": dot_either | comma_either,
                                        "point": point, "comma": comma_style})


def decided_style(styles: dict[str, np.ndarray]) -> Decimal | None:
    """The decimal mark the cells decide on their own (None when they do not, or disagree)."""
    point, comma = styles["point"].any(), styles["comma"].any()
    if point and not comma:
        return "."
    if comma and not point:
        return ","
    return None


def parse_numbers(series: pd.Series, *, decimal: Decimal | None = None,
                  row_numbers: pd.Series | None = None, high: float = MAX_ABS_NUMBER,
                  cells: NumberCells | None = None) -> Parsed:
    """Parse ``series`` as finite numbers; ``decimal`` is used when the column does not decide.

    Examples
    --------
    >>> parse_numbers(pd.Series(["¥1,234.50", "(12)", "1e400", "x"])).values.tolist()
    [1234.5, -12.0, nan, nan]
    >>> parse_numbers(pd.Series(["12,5", "1.234,50"])).values.tolist()
    [12.5, 1234.5]
    >>> parse_numbers(pd.Series(["1,234"])).column_problem is not None
    True
    """
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = pd.to_numeric(series, errors="coerce").astype("float64")
        return _in_range(values, values.notna().to_numpy(), Parsed.clean(values), high)
    rows = row_numbers if row_numbers is not None else pd.Series(
        np.arange(1, len(series) + 1), index=series.index)
    cells = cells if cells is not None else number_cells(series)
    styles = cells.styles
    point, comma = styles["point"], styles["comma"]
    if point.any() and comma.any():
        return _refused(series, "mixes decimal points and decimal commas (row "
                        f"{_first_row(rows, point)}: {_first(series, point)!r}, row "
                        f"{_first_row(rows, comma)}: {_first(series, comma)!r}). Use one "
                        "style in the whole column.")
    style = decided_style(styles) or decimal
    if style is None and styles["either"].any():
        example = _first(series, styles["either"])
        digits = re.sub(r"[.,]", "", example)
        return _refused(series, f"cannot tell a decimal mark from a thousands separator (row "
                        f"{_first_row(rows, styles['either'])}: {example!r} reads as {digits} "
                        f"or as {example.replace(',', '.')}). Pass --decimal . or --decimal , "
                        "to say which.")
    core, negative = cells.core, cells.negative
    if style == ",":
        core = pc.replace_substring(pc.replace_substring(core, ".", ""), ",", ".")
        readable = styles["plain"] | styles["either"] | comma
    else:
        core = pc.replace_substring(core, ",", "")
        readable = styles["plain"] | styles["either"] | point
    text = pc.if_else(pa.array(readable), core, pa.scalar(None, core.type))
    numbers = pc.cast(text, pa.float64())
    numbers = pc.if_else(pa.array(negative), pc.negate(numbers), numbers)
    values = pd.Series(numbers.to_numpy(zero_copy_only=False), index=series.index,
                       dtype="float64")
    present = to_bool(pc.invert(pc.equal(pc.utf8_length(clean_text(series)), 0)))
    other = comma if style != "," else point
    mark = "comma" if style == "," else "point"
    parsed = Parsed(values, pd.Series(present & ~readable, index=series.index),
                    messages_where(series.index, [
                        (present & other, f"uses the other decimal mark than this column "
                                          f"(a decimal {mark}). Use one style in the column."),
                        (present & ~readable, "is not a number. Use digits, e.g. 1234.50."),
                    ]))
    return _in_range(values, present & readable, parsed, high)


def _core(series: pd.Series) -> tuple[pa.Array, np.ndarray]:
    """The digits and marks of each cell (noise and sign removed) and whether it is negative."""
    text = clean_text(series)
    negative = np.zeros(len(text), dtype=bool)
    if pc.any(pc.match_substring_regex(text, r"[^0-9.,eE+-]")).as_py():
        text = pc.replace_substring_regex(text, _NOISE, "")
        negative = to_bool(pc.match_substring_regex(text, r"^\(.*\)$"))
        if negative.any():
            text = pc.replace_substring_regex(text, r"^\((.*)\)$", r"\1")
    minus = to_bool(pc.starts_with(text, "-"))
    if minus.any() or pc.any(pc.starts_with(text, "+")).as_py():
        text = pc.replace_substring_regex(text, r"^[+-]", "")
    return text, negative ^ minus


def _in_range(values: pd.Series, checked: np.ndarray, parsed: Parsed, high: float) -> Parsed:
    raw = values.to_numpy()
    with np.errstate(invalid="ignore"):
        out = checked & ~(np.abs(raw) <= high)
    if out.any():
        accepted = f"numbers from -{high:,.0f} to {high:,.0f} are accepted."
        message = np.where(np.isinf(raw), f"is not a finite number; {accepted}",
                           f"is out of range: {accepted}")
        parsed.bad = parsed.bad | out
        parsed.messages = parsed.messages.where(~out, pd.Series(message, index=values.index))
        parsed.values = values.where(~out)
    return parsed


def _refused(series: pd.Series, message: str) -> Parsed:
    values = pd.Series(np.nan, index=series.index, dtype="float64")
    parsed = Parsed.clean(values)
    parsed.column_problem = message
    return parsed


def _first(series: pd.Series, mask: np.ndarray) -> str:
    return str(series[mask].iloc[0]).strip()


def _first_row(rows: pd.Series, mask: np.ndarray) -> str:
    return f"{int(rows[mask].iloc[0]):,}"
