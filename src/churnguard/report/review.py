"""The monthly retention review: every figure the dashboard and the monthly report show.

:func:`monthly_review` gathers, for one month and an optional customer filter, the ten loyalty
KPIs against the previous month, twelve months of trends, the cohort triangle, tier migration,
the reason Pareto, survival by segment, the share of customers at risk per tier and the service
goals. Each panel calls the analytics module that owns it (``churnguard.metrics``, ``.value``,
``.risk``, ``.reasons``); a module or table that is not there yet leaves that panel empty with a
note instead of failing the whole review.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pandas as pd

from churnguard.report.goals import GoalProgress, goal_progress, load_goals
from churnguard.report.scope import ScopedWorkspace, base_workspace, cached

log = logging.getLogger(__name__)

# The ten loyalty KPIs of the seeds, in the order a manager reads them:
# (column, display kind, higher is better)
TEN_KPIS: tuple[tuple[str, str, bool], ...] = (
    ("customers_end", "count", True),
    ("new_customers", "count", True),
    ("retention_rate", "percent", True),
    ("churn_rate", "percent", False),
    ("new_customer_retention_90d", "percent", True),
    ("share_of_wallet", "percent", True),
    ("complaint_satisfaction", "percent", True),
    ("purchase_frequency", "decimal", True),
    ("avg_spend_per_customer", "money", True),
    ("winback_rate", "percent", True),
)
MORE_KPIS: tuple[tuple[str, str, bool], ...] = (
    ("revenue", "money", True),
    ("revenue_churn_rate", "percent", False),
    ("grr", "percent", True),
    ("nrr", "percent", True),
    ("avg_order_value", "money", True),
)
TREND_MONTHS = 12
# changes smaller than what the display shows (0.0 pp, ¥0, 0.00) count as no change
FLAT_BELOW = {"percent": 0.0005, "count": 0.5, "money": 0.5, "decimal": 0.005}


@dataclass
class Panel:
    """One block of the review: its data, or why there is none."""

    name: str
    data: pd.DataFrame | None = None
    missing: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.data is not None and not self.data.empty


@dataclass
class KpiCard:
    """A KPI of the month with the previous month's value and the direction of change."""

    column: str
    kind: str
    value: float | None
    previous: float | None
    higher_is_better: bool

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def arrow(self) -> str:
        """``up``, ``down`` or ``flat`` (a change that shows as zero is flat)."""
        change = self.change
        if change is None or abs(change) < FLAT_BELOW.get(self.kind, 1e-12):
            return "flat"
        return "up" if change > 0 else "down"

    @property
    def good(self) -> bool | None:
        """Whether the change is an improvement (None when flat or unknown)."""
        if self.arrow == "flat":
            return None
        return (self.arrow == "up") == self.higher_is_better


@dataclass
class Review:
    """Everything one month's review shows."""

    month: date
    end: date
    filters: dict[str, str]
    kpis: Panel
    cards: list[KpiCard] = field(default_factory=list)
    panels: dict[str, Panel] = field(default_factory=dict)
    goals: list[GoalProgress] = field(default_factory=list)
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    """Derived views (chart JSON per language) kept with the cached review."""


def month_bounds(month: date) -> tuple[date, date]:
    """``[first day, first day of next month)`` of ``month``.

    Examples
    --------
    >>> month_bounds(date(2024, 12, 17))
    (datetime.date(2024, 12, 1), datetime.date(2025, 1, 1))
    """
    start = month.replace(day=1)
    end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start, end


def add_months(day: date, months: int) -> date:
    """The first of the month ``months`` after ``day``'s month.

    Examples
    --------
    >>> add_months(date(2024, 3, 9), -11)
    datetime.date(2023, 4, 1)
    """
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def optional_function(module: str, name: str) -> Callable[..., Any] | None:
    """``module.name`` when that module is installed and defines it, else None."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def run_panel(name: str, module: str, function: str,
              call: Callable[[Callable[..., Any]], pd.DataFrame | None]) -> Panel:
    """Call ``module.function`` through ``call``; a missing module or a failure leaves a note."""
    fn = optional_function(module, function)
    if fn is None:
        return Panel(name, missing=f"{module}.{function}")
    try:
        data = call(fn)
    except Exception as exc:  # one failing panel must not take the page down
        log.warning("panel %s failed: %s", name, exc, exc_info=True)
        return Panel(name, error=f"{type(exc).__name__}: {exc}")
    return Panel(name, data=data if isinstance(data, pd.DataFrame) else None)


def monthly_review(ws: Any, month: date, *, segment: str | None = None,
                   region: str | None = None, owner: str | None = None) -> Review:
    """All figures of ``month``'s review, for the customers matching the filters.

    Cached per workspace, month and filters until the warehouse changes.

    Parameters
    ----------
    ws
        The workspace.
    month
        Any day of the month under review (the review uses data before the next month).
    segment, region, owner
        Optional customer filters (``customers.segment``, ``.region``, ``.owner_id``).
    """
    start, end = month_bounds(month)
    key = ("monthly_review", start, segment, region, owner)
    review = cached(ws, key, lambda: _compute(ws, start, end, segment=segment, region=region,
                                              owner=owner))
    current = {c.column: c.value for c in review.cards}
    return replace(review, goals=goal_progress(load_goals(base_workspace(ws)), current))


def _compute(ws: Any, start: date, end: date, **filters: str | None) -> Review:
    from churnguard.report import panels

    scoped = ScopedWorkspace(base_workspace(ws), **filters)
    kpis = panels.kpi_panel(scoped, add_months(start, 1 - TREND_MONTHS), end)
    review = Review(month=start, end=end, filters=scoped.filters, kpis=kpis)
    review.cards = kpi_cards(kpis.data, start)
    review.panels = {
        "cohort": panels.cohort_panel(scoped, end),
        "cohort_buyers": panels.cohort_panel(scoped, end, measure="buyers"),
        "migration": panels.migration_panel(scoped, start, end),
        "pareto": panels.pareto_panel(scoped, add_months(start, 1 - TREND_MONTHS), end),
        "survival": panels.survival_panel(scoped, end),
        "risk_by_tier": panels.risk_by_tier_panel(scoped, end),
    }
    return review


def kpi_cards(kpis: pd.DataFrame | None, month: date) -> list[KpiCard]:
    """The month's KPI cards with the previous month's values (empty without KPIs)."""
    if kpis is None or kpis.empty:
        return []
    frame = kpis.sort_values("period_start").reset_index(drop=True)
    starts = pd.to_datetime(frame["period_start"]).dt.date
    rows = frame.index[starts == month].tolist()
    if not rows:
        return []
    now = frame.loc[rows[0]]
    before = frame.loc[rows[0] - 1] if rows[0] > 0 else None
    cards = []
    for column, kind, higher in TEN_KPIS + MORE_KPIS:
        if column not in frame.columns:
            continue
        cards.append(KpiCard(column, kind, _number(now[column]),
                             None if before is None else _number(before[column]), higher))
    return cards


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number
