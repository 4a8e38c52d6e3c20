"""Dates and timestamps from text, decided per column, never guessed.

Accepted: year first (``2024-03-05``, ``2024/3/5``, ``2024.3.5``, ``20240305``,
``2024年3月5日``), each with an optional time (``14:30``, ``14:30:00.5``, ``2:30 PM``) and zone
(``Z``, ``+08:00``, converted to UTC); Excel serial day numbers; and a four-digit year last
(``05/03/2024``). For the last form the column decides day-first or month-first: a first field
above 12 says day-first, a second field above 12 month-first; a column that says both, or has
values such as ``01/02/2024`` with nothing deciding, is refused (pass ``date_order``). Two-digit
years (``24-03-05``), times alone (``10:00:00``) and words (``now``) are not dates. Dates run
from :data:`FIRST_DATE` to 9999-12-31 (``9999-12-31`` is a common "no end").
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from churnguard.constraints import FIRST_DAY
from churnguard.io.cells import Parsed, clean_text, matches, messages_where, to_bool

DateOrder = Literal["dayfirst", "monthfirst"]
FIRST_DATE = pd.Timestamp(FIRST_DAY)
LAST_DATE = pd.Timestamp("9999-12-31 23:59:59.999999")
"""Imports accept up to 9999-12-31, the usual "no end" of a contract, beyond the
:data:`~churnguard.constraints.LAST_DAY` a person may type into a form."""
_EXCEL_EPOCH = np.datetime64("1899-12-30", "us")
_US_PER_DAY = 86_400_000_000

_TIME = (r"(?:[T ]\s*(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<F>\d{1,9}))?)?"
         r"\s*(?P<P>[AaPp][Mm])?)?\s*(?P<Z>Z|[+-]\d{2}(?::?\d{2})?)?$")
_YEAR_FIRST = r"^(?P<a>\d{4})[-/.](?P<b>\d{1,2})[-/.](?P<c>\d{1,2})" + _TIME
_YEAR_LAST = r"^(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<c>\d{4})" + _TIME
_YEAR_LAST_PLAIN = r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}(?: \d{1,2}:\d{2}(?::\d{2})?)?$"
_TWO_DIGIT_YEAR = r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{2}(\s|T|$)"
_SERIAL = r"^\d{1,5}(\.\d+)?$"

NOT_A_DATE = "is not a date. Use YYYY-MM-DD (or 2024/3/5, 2024年3月5日)."
OUT_OF_RANGE = "is out of range: dates from 1900-01-01 to 9999-12-31 are accepted."


def parse_dates(series: pd.Series, *, date_order: DateOrder | None = None,
                row_numbers: pd.Series | None = None) -> Parsed:
    """Parse ``series`` as timestamps (``datetime64[us]``, UTC without zone).

    Examples
    --------
    >>> days = pd.Series(["2024-03-05", "2024/3/5", "2024年3月5日", "45356", "9999-12-31"])
    >>> parse_dates(days).values.dt.strftime("%Y-%m-%d").tolist()
    ['2024-03-05', '2024-03-05', '2024-03-05', '2024-03-05', '9999-12-31']
    >>> parse_dates(pd.Series(["13/01/2011", "01/12/2010"])).values.dt.month.tolist()
    [1, 12]
    >>> parse_dates(pd.Series(["24-03-05", "now"])).bad.tolist()
    [True, True]
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        values = series.dt.tz_convert(None) if series.dt.tz is not None else series
        return _in_range(values.astype("datetime64[us]"), series.notna().to_numpy(),
                         Parsed.clean(series))
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64")
        values, ok = _from_serial(numbers)
        present = ~np.isnan(numbers)
        values = np.where(ok, values, np.datetime64("NaT"))
        parsed = Parsed(pd.Series(values, index=series.index, dtype="datetime64[us]"),
                        pd.Series(present & ~ok, index=series.index),
                        messages_where(series.index, [(present & ~ok, OUT_OF_RANGE)]))
        return parsed
    rows = row_numbers if row_numbers is not None else pd.Series(
        np.arange(1, len(series) + 1), index=series.index)
    text = _normalised(series)
    present = to_bool(pc.invert(pc.equal(pc.utf8_length(text), 0)))
    f = _fields(text, present)
    is_first, is_last = f["first"], f["last"]
    a_last, b_last = np.where(is_last, f["a"], 0), np.where(is_last, f["b"], 0)
    problem = None
    order = _decide_order(a_last, b_last, is_last, date_order)
    if order is None:
        if (is_last & (a_last != b_last)).any():
            problem = _undecided(series, rows, is_last, a_last, b_last)
        order = "dayfirst"             # only values with day == month remain: either reads
    day_first = order == "dayfirst"
    year = np.where(is_first, f["a"], f["c"])
    month = np.where(is_first, f["b"], np.where(day_first, f["b"], f["a"]))
    day = np.where(is_first, f["c"], np.where(day_first, f["a"], f["b"]))
    stamps, ok, outside = _build(year, month, day, f["H"], f["M"], f["S"], f["F"], f["P"],
                                 f["Z"])
    matched = is_first | is_last
    unmatched = present & ~matched
    serial_cells = unmatched & matches(text, _SERIAL, unmatched)
    if serial_cells.any():
        serial_values, serial_ok = _from_serial(np.where(serial_cells, _floats(text), np.nan))
        stamps = np.where(serial_cells, serial_values, stamps)
        outside = np.where(serial_cells, ~serial_ok, outside)
        ok = np.where(serial_cells, serial_ok, ok)
    ok &= matched | serial_cells
    bad = present & ~ok
    two_digit = bad & matches(text, _TWO_DIGIT_YEAR, bad)
    messages = messages_where(series.index, [
        (two_digit, "has a two-digit year; write the year in full, e.g. 2024-03-05."),
        (bad & outside, OUT_OF_RANGE),
        (bad & matched, "is not a date. Use YYYY-MM-DD; this day, month or time does not exist."),
        (bad, NOT_A_DATE),
    ])
    values = pd.Series(np.where(ok, stamps, np.datetime64("NaT")), index=series.index,
                       dtype="datetime64[us]")
    return Parsed(values, pd.Series(bad, index=series.index), messages, problem)


_ISO_FIXED = r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?$"
_FIELDS = ("a", "b", "c", "H", "M", "S", "F", "P", "Z")


def _normalised(series: pd.Series) -> pa.Array:
    text = clean_text(series)
    if not pc.all(pc.string_is_ascii(text)).as_py():
        text = pc.replace_substring_regex(text, r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?",
                                          r"\1-\2-\3")
    if pc.any(pc.equal(pc.utf8_length(text), 8)).as_py():
        text = pc.replace_substring_regex(text, r"^(\d{4})(\d{2})(\d{2})$", r"\1-\2-\3")
    return text


def _fields(text: pa.Array, present: np.ndarray) -> dict[str, np.ndarray]:
    """The fields of each cell as integers, with masks ``first`` (year first) and ``last``.

    The common fixed-width ISO form is cut by position; only other cells go through the
    general patterns."""
    n = len(text)
    out = {name: np.zeros(n, dtype=np.int64) for name in _FIELDS}
    iso = to_bool(pc.match_substring_regex(text, _ISO_FIXED))
    out["first"], out["last"] = iso.copy(), np.zeros(n, dtype=bool)
    if iso.any():
        rows = np.flatnonzero(iso)
        cells = pc.take(text, pa.array(rows))
        padded = pc.utf8_rpad(cells, 19, "0")          # a date alone reads as midnight
        for name, (lo, hi) in {"a": (0, 4), "b": (5, 7), "c": (8, 10), "H": (11, 13),
                               "M": (14, 16), "S": (17, 19)}.items():
            out[name][rows] = _ints(pc.utf8_slice_codeunits(padded, lo, hi))
        fraction = pc.utf8_rpad(pc.utf8_slice_codeunits(cells, 20, 26), 6, "0")
        out["F"][rows] = _ints(fraction)
    rest = np.flatnonzero(present & ~iso)
    if len(rest):
        simple = to_bool(pc.match_substring_regex(pc.take(text, pa.array(rest)), _YEAR_LAST_PLAIN))
        if simple.any():
            _year_last_plain(text, rest[simple], out)
            rest = rest[~simple]
    if len(rest):
        cells = pc.take(text, pa.array(rest))
        for pattern, kind in ((_YEAR_FIRST, "first"), (_YEAR_LAST, "last")):
            groups = pc.extract_regex(cells, pattern)
            hit = to_bool(groups.is_valid())
            out[kind][rest[hit]] = True
            for name in ("a", "b", "c", "H", "M", "S"):
                out[name][rest[hit]] = _digits(pc.struct_field(groups, name))[hit]
            out["F"][rest[hit]] = _micros(pc.struct_field(groups, "F"))[hit]
            out["P"][rest[hit]] = _ampm(pc.struct_field(groups, "P"))[hit]
            out["Z"][rest[hit]] = _offset(pc.struct_field(groups, "Z"))[hit]
    return out


def _year_last_plain(text: pa.Array, rows: np.ndarray, out: dict[str, np.ndarray]) -> None:
    """``5/3/2024`` and ``05/03/2024 14:30(:00)`` (the common export forms) cut into their
    fields with plain splits, several times faster than a regular expression with groups."""
    cells = pc.take(text, pa.array(rows))
    for mark in ("-", ".", " ", ":"):
        if pc.any(pc.match_substring(cells, mark)).as_py():
            cells = pc.replace_substring(cells, mark, "/")
    marks = pc.count_substring(cells, "/")
    for count, pad in ((2, "/0/0/0"), (4, "/0")):
        if pc.any(pc.equal(marks, count)).as_py():
            padded = pc.binary_join_element_wise(cells, pa.scalar(pad, cells.type),
                                                 pa.scalar("", cells.type))
            cells = pc.if_else(pc.equal(marks, count), padded, cells)
    parts = pc.list_flatten(pc.split_pattern(cells, "/"))
    fields = np.asarray(pc.cast(parts, pa.int64()).to_numpy(zero_copy_only=False),
                        dtype=np.int64).reshape(-1, 6)
    out["last"][rows] = True
    for position, name in enumerate(("a", "b", "c", "H", "M", "S")):
        out[name][rows] = fields[:, position]


def _decide_order(a: np.ndarray, b: np.ndarray, is_last: np.ndarray,
                  date_order: DateOrder | None) -> DateOrder | None:
    if date_order is not None:
        return date_order
    day_first = (is_last & (a > 12) & (b <= 12)).any()
    month_first = (is_last & (b > 12) & (a <= 12)).any()
    if day_first and not month_first:
        return "dayfirst"
    if month_first and not day_first:
        return "monthfirst"
    return None


def _undecided(series: pd.Series, rows: pd.Series, is_last: np.ndarray, a: np.ndarray,
               b: np.ndarray) -> str:
    def example(index: int) -> str:
        return f"row {int(rows.iloc[index]):,}: {str(series.iloc[index]).strip()!r}"

    day_first = np.flatnonzero(is_last & (a > 12) & (b <= 12))
    month_first = np.flatnonzero(is_last & (b > 12) & (a <= 12))
    if len(day_first) and len(month_first):
        return (f"mixes day-first ({example(day_first[0])}) and month-first "
                f"({example(month_first[0])}) dates. Use one order in the whole column.")
    shown = " and ".join(example(i) for i in np.flatnonzero(is_last & (a != b))[:2])
    return (f"has dates that read either day-first or month-first ({shown}) and none that "
            "decides. Pass --dayfirst or --monthfirst to say which.")


def _floats(text: pa.Array) -> np.ndarray:
    numbers = pc.cast(pc.if_else(pc.match_substring_regex(text, _SERIAL), text,
                                 pa.scalar(None, text.type)), pa.float64())
    return np.asarray(pc.fill_null(numbers, np.nan).to_numpy(zero_copy_only=False))


def _micros(digits: pa.Array) -> np.ndarray:
    padded = pc.utf8_slice_codeunits(pc.utf8_rpad(pc.fill_null(digits, ""), 6, "0"), 0, 6)
    return _digits(padded)


def _ampm(mark: pa.Array) -> np.ndarray:
    """0 without a mark, 1 for AM, 2 for PM."""
    mark = pc.utf8_lower(pc.fill_null(mark, ""))
    return to_bool(pc.equal(mark, "am")) * 1 + to_bool(pc.equal(mark, "pm")) * 2


def _offset(zone: pa.Array) -> np.ndarray:
    """Zone offsets in minutes (0 for none or ``Z``)."""
    zone = pc.replace_substring(pc.fill_null(zone, ""), ":", "")
    sign = np.where(to_bool(pc.starts_with(zone, "-")), -1, 1)
    hours = _digits(pc.utf8_slice_codeunits(zone, 1, 3))
    minutes = _digits(pc.utf8_slice_codeunits(zone, 3, 5))
    return sign * (hours * 60 + minutes)


def _ints(text: pa.Array) -> np.ndarray:
    """Integers from text known to hold only digits."""
    return np.asarray(pc.cast(text, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)


def _digits(text: pa.Array) -> np.ndarray:
    """Unsigned integers from text; anything else (blank, null) → 0."""
    text = pc.if_else(pc.match_substring_regex(text, r"^\d+$"), text, pa.scalar(None, text.type))
    return np.asarray(pc.fill_null(pc.cast(text, pa.int64()), 0).to_numpy(
        zero_copy_only=False), dtype=np.int64)


def _build(year: np.ndarray, month: np.ndarray, day: np.ndarray, hour: np.ndarray,
           minute: np.ndarray, second: np.ndarray, micros: np.ndarray, ampm: np.ndarray,
           offset: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Timestamps from their fields, which form a real moment in range, which one out of it."""
    twelve_hour = ampm > 0
    ok = (month >= 1) & (month <= 12) & (day >= 1) & (minute < 60) & (second < 60)
    ok &= np.where(twelve_hour, (hour >= 1) & (hour <= 12), hour < 24)
    hour = np.where(twelve_hour, hour % 12 + np.where(ampm == 2, 12, 0), hour)
    ok &= (year >= 1) & (year <= LAST_DATE.year)
    safe_month = np.clip(month, 1, 12)
    months = ((np.clip(year, 1, 9999) - 1970) * 12 + safe_month - 1).astype("datetime64[M]")
    next_month = months + np.timedelta64(1, "M")
    days_in_month = (next_month.astype("datetime64[D]") - months.astype("datetime64[D]")
                     ).astype(np.int64)
    ok &= day <= days_in_month
    stamps = (months.astype("datetime64[D]").astype("datetime64[us]")
              + ((np.clip(day, 1, 31) - 1) * _US_PER_DAY
                 + ((hour * 60 + minute - offset) * 60 + second) * 1_000_000 + micros
                 ).astype("timedelta64[us]"))
    stamps = stamps.astype("datetime64[us]")
    in_range = (stamps >= FIRST_DATE.to_datetime64()) & (stamps <= LAST_DATE.to_datetime64())
    return stamps, ok & in_range, ok & ~in_range


def _from_serial(numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Excel serial day numbers (1900-01-01 is 2) → timestamps."""
    ok = (numbers >= 2) & (numbers <= 2_958_465)
    micros = np.where(ok, numbers, 0) * _US_PER_DAY
    return _EXCEL_EPOCH + micros.astype(np.int64).astype("timedelta64[us]"), ok


def _in_range(values: pd.Series, present: np.ndarray, parsed: Parsed) -> Parsed:
    out = present & ~values.between(FIRST_DATE, LAST_DATE).to_numpy()
    parsed.values = values.where(~out)
    if out.any():
        parsed.bad = parsed.bad | out
        parsed.messages = parsed.messages.where(~out, OUT_OF_RANGE)
    return parsed
