"""Reporting periods and the index expressions that place dates in them.

Periods are half-open ``[start, end)``. With ``freq="month"`` (``"quarter"``, ``"year"``) the
boundaries are ``start``, ``start + 1 month``, … anchored on ``start`` (so a month that starts
on the 15th runs to the 15th), and the last period stops at ``end``, or at ``data_end`` (the day
after the last order) when the data stops earlier. ``freq=None`` gives one period. The
*previous* period of the first one has the same length and ends at ``start``.

A last period cut short (by ``end`` or by the data) is *partial*; period-over-period comparisons
then use equal lengths: the partial period against the same number of days at the start of
the period before it (:meth:`Periods.compared`).

Dates are placed in periods in the engine by comparing them with the boundaries (one ``CASE``
expression), so nothing is looped over in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import ibis
import ibis.expr.types as ir
import pandas as pd

from churnguard.churn import midnight, to_date
from churnguard.errors import ConfigError

FREQS: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}


def _shift(day: date, months: int) -> date:
    return (pd.Timestamp(day) + pd.DateOffset(months=months)).date()


@dataclass(frozen=True)
class Periods:
    """Boundaries ``b_0 = start < b_1 < … < b_n = end`` plus ``previous``, the start of the
    period before ``start``.

    Examples
    --------
    >>> p = Periods.make("2024-01-01", "2024-03-15", freq="month")
    >>> [str(b) for b in p.bounds]
    ['2024-01-01', '2024-02-01', '2024-03-01', '2024-03-15']
    >>> str(p.previous), p.n, p.partial, str(p.compare_end)   # March 1–14 vs February 1–14
    ('2023-12-01', 3, True, '2024-02-15')
    >>> q = Periods.make("2024-01-01", "2025-01-01", freq="quarter", data_end="2024-08-10")
    >>> [str(b) for b in q.bounds], q.partial
    (['2024-01-01', '2024-04-01', '2024-07-01', '2024-08-10'], True)
    """

    bounds: tuple[date, ...]
    previous: date
    full_end: date | None = None
    """Where the last period would end at full length (None: same as ``bounds[-1]``)."""

    @classmethod
    def make(cls, start: date | datetime | str, end: date | datetime | str, *,
             freq: str | None = "month",
             data_end: date | datetime | str | None = None) -> Periods:
        """Split ``[start, end)`` into periods of ``freq`` (``month``/``quarter``/``year``/None),
        stopping at ``data_end`` when ``start < data_end < end``."""
        start, end = to_date(start), to_date(end)
        stop = end
        if data_end is not None and start < to_date(data_end) < end:
            stop = to_date(data_end)
        if start >= end:
            raise ConfigError(f"start {start} must be before end {end}: periods are "
                              f"half-open [start, end).")
        if freq is not None and freq not in FREQS:
            raise ConfigError(f"freq {freq!r} is not one of month, quarter, year or None.")
        if freq is None:
            return cls((start, stop), start - (stop - start), end)
        months = FREQS[freq]
        bounds = [start]
        step = 1
        while (nxt := _shift(start, months * step)) < stop:
            bounds.append(nxt)
            step += 1
        bounds.append(stop)
        return cls(tuple(bounds), _shift(start, -months), _shift(start, months * (step)))

    @property
    def n(self) -> int:
        """Number of periods."""
        return len(self.bounds) - 1

    @property
    def partial(self) -> bool:
        """Whether the last period is shorter than its full length."""
        return self.full_end is not None and self.bounds[-1] < self.full_end

    @property
    def compare_end(self) -> date | None:
        """When the last period is partial, the end of the stretch of the period before it that
        has the same number of days (its start + the partial period's length); else None."""
        if not self.partial:
            return None
        before = self.bounds[-3] if self.n >= 2 else self.previous
        return before + (self.bounds[-1] - self.bounds[-2])

    def compared(self, value: ir.Value, period: ir.IntegerValue) -> ir.BooleanValue:
        """Whether a date or timestamp ``value`` in ``period`` counts when that period is
        compared with the next one: always, except past :attr:`compare_end` in the period
        before a partial last period."""
        cut = self.compare_end
        if cut is None:
            return ibis.literal(True)
        bound = midnight(cut) if value.type().is_timestamp() else cut
        return (period != self.n - 2) | (value < ibis.literal(bound))

    @property
    def starts(self) -> list[date]:
        return list(self.bounds[:-1])

    @property
    def ends(self) -> list[date]:
        return list(self.bounds[1:])

    def frame(self) -> pd.DataFrame:
        """``period`` (0…n−1), ``period_start``, ``period_end`` as a pandas frame."""
        return pd.DataFrame({
            "period": range(self.n),
            "period_start": pd.to_datetime(self.starts),
            "period_end": pd.to_datetime(self.ends),
        })

    def boundary_count(self, value: ir.Value) -> ir.IntegerValue:
        """How many boundaries ``b_0…b_n`` are ``<= value`` (a date or timestamp expression).

        A spell that started on ``s`` first covers boundary ``boundary_count(s)``; a churn
        date ``c`` covers boundaries up to ``boundary_count(c) - 1``.
        """
        return _count_le(value, self.bounds)

    def index(self, value: ir.Value) -> ir.IntegerValue:
        """The period of ``value``: −1 in the previous period, 0…n−1 inside, else −2 / n."""
        return _count_le(value, (self.previous, *self.bounds)) - 2

    def start_of(self, period: ir.IntegerValue) -> ir.DateValue:
        """The start date of period ``period`` (−1 … n−1) as an expression."""
        cases = [(period == i, ibis.literal(b, type="date")) for i, b in enumerate(self.bounds)]
        cases.append((period == -1, ibis.literal(self.previous, type="date")))
        return ibis.cases(*cases, else_=ibis.null("date"))


def _count_le(value: ir.Value, bounds: tuple[date, ...]) -> ir.IntegerValue:
    is_timestamp = value.type().is_timestamp()
    cases = []
    for i in range(len(bounds), 0, -1):
        bound = midnight(bounds[i - 1]) if is_timestamp else bounds[i - 1]
        cases.append((value >= ibis.literal(bound), i))
    return ibis.cases(*cases, else_=0).cast("int64")


def days_between(first: date, second: date) -> int:
    """Whole days from ``first`` to ``second``."""
    return (second - first).days


def plus(day: date, days: int) -> date:
    """``day + days`` days."""
    return day + timedelta(days=days)
