"""The customers behind a point of a review chart (drill-through).

Each *view* answers "who is in this number?" with the same analytics the chart used, for the
same month and customer filter (a :class:`~churnguard.report.scope.ScopedWorkspace`):

=============  ==========================================  ===================================
view           parameters                                  customers
=============  ==========================================  ===================================
``churned``    ``period`` (a month; the review's)          whose churn date fell in the month
``retained``   ``period`` (the review's by default)        active at its start and at its end
``cohort``     ``cohort`` (month), ``age``, ``measure``    the cohort, each ``retained`` or not
``migration``  ``source`` and/or ``target`` (tier/state)   who moved so over the review month
``reason``     ``reason`` (code)                           churned in the Pareto's 12 months
``segment``    ``group`` (segment)                         of that segment, with their status
``at_risk``    ``tier``                                    scored at risk in that value tier
=============  ==========================================  ===================================

Every result is a DataFrame keyed by ``customer_id`` with view-specific columns; the web app
adds names, restricts it to the user's book and exports it.

Examples
--------
>>> import tempfile
>>> from datetime import date
>>> from churnguard import Workspace
>>> ws = Workspace.create(tempfile.mkdtemp() + "/w")
>>> _ = ws.load("customers", pd.DataFrame({"customer_id": ["a", "b"]}))
>>> _ = ws.load("orders", pd.DataFrame({"order_id": ["1", "2"], "customer_id": ["a", "b"],
...     "amount": [10.0, 5.0], "order_date": ["2024-01-05", "2024-05-20"]}))
>>> drill_customers(ws, "churned", month=date(2024, 7, 1), period=date(2024, 7, 1)
...                 ).to_dict("records")
[{'customer_id': 'a', 'churn_date': datetime.date(2024, 7, 3)}]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import ibis
import pandas as pd

from churnguard.churn import midnight
from churnguard.errors import ChurnguardError
from churnguard.report.review import TREND_MONTHS, add_months, month_bounds
from churnguard.report.scope import ScopedWorkspace, base_workspace

VIEWS = ("churned", "retained", "cohort", "migration", "reason", "segment", "at_risk")
MEASURES = ("customers", "buyers")


class DrillError(ChurnguardError, ValueError):
    """A drill-through request that names no valid view or misses a parameter."""


@dataclass(frozen=True)
class Drill:
    """What to list: a view and its parameters (see the module table)."""

    view: str
    period: date | None = None
    cohort: date | None = None
    age: int | None = None
    measure: str = "customers"
    source: str | None = None
    target: str | None = None
    reason: str | None = None
    group: str | None = None
    tier: str | None = None


def drill_customers(ws: Any, view: str, *, month: date, segment: str | None = None,
                    region: str | None = None, owner: str | None = None,
                    **params: Any) -> pd.DataFrame:
    """The customers behind a point of ``month``'s review charts (see the module table).

    Parameters
    ----------
    ws
        The workspace.
    view
        One of :data:`VIEWS`.
    month
        The review month (any day of it): charts over a window end with it.
    segment, region, owner
        The dashboard's customer filter.
    **params
        The view's parameters (:class:`Drill` fields).

    Returns
    -------
    DataFrame
        ``customer_id`` and the view's columns, sorted by ``customer_id``.
    """
    if view not in VIEWS:
        raise DrillError(f"view {view!r} is not one of {', '.join(VIEWS)}.")
    drill = Drill(view=view, **params)
    scoped = ScopedWorkspace(base_workspace(ws), segment=segment, region=region, owner=owner)
    start, end = month_bounds(month)
    frame = _VIEWS[view](scoped, drill, start, end)
    for column in frame.columns:  # dates as dates (the engines hand back timestamps)
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].dt.date
    return frame.sort_values("customer_id", kind="stable").reset_index(drop=True)


def _need(value: Any, name: str, view: str) -> Any:
    if value is None or value == "":
        raise DrillError(f"view {view!r} needs the parameter {name}.")
    return value


def _status(ws: Any, as_of: date) -> ibis.Table:
    return ws.churn_definition().status(ws, as_of)


def _churned(ws: Any, drill: Drill, start: date, end: date) -> pd.DataFrame:
    first, last = month_bounds(drill.period or start)  # the review month by default
    events = ws.churn_definition().events(ws, last)
    lost = events.filter((events.event == "churn") & (events.event_date >= first))
    frame = lost.select("customer_id", churn_date=lost.event_date).to_pandas()
    return frame.drop_duplicates("customer_id", keep="last")


def _retained(ws: Any, drill: Drill, start: date, end: date) -> pd.DataFrame:
    first, last = month_bounds(drill.period or start)  # the review month by default
    before, after = _status(ws, first), _status(ws, last)
    kept = after.filter(after.status == "active").semi_join(
        before.filter(before.status == "active"), "customer_id")
    return kept.select("customer_id", "first_order", "last_order").to_pandas()


def _cohort(ws: Any, drill: Drill, start: date, end: date) -> pd.DataFrame:
    cohort = month_bounds(_need(drill.cohort, "cohort", drill.view))[0]
    age = int(_need(drill.age, "age", drill.view))
    if drill.measure not in MEASURES:
        raise DrillError(f"measure {drill.measure!r} is not one of {', '.join(MEASURES)}.")
    period_start, period_end = add_months(cohort, age), add_months(cohort, age + 1)
    if age < 0 or period_end > end:
        raise DrillError(f"cohort {cohort:%Y-%m} has no month {age} ended by {end}.")
    status = _status(ws, period_end)
    members = status.filter((status.first_order >= cohort)
                            & (status.first_order < add_months(cohort, 1)))
    if drill.measure == "customers":
        retained = members.status == "active"
    else:
        orders = ws.table("orders")
        bought = orders.filter((orders.amount >= 0)
                               & (orders.order_date >= midnight(period_start))
                               & (orders.order_date < midnight(period_end)))
        retained = members.customer_id.isin(bought.customer_id)
    return members.select("customer_id", "first_order", "last_order",
                          retained=retained).to_pandas()


def _migration(ws: Any, drill: Drill, start: date, end: date) -> pd.DataFrame:
    from churnguard.metrics.migration import segment_migration, states_at, tiers_at

    if not (drill.source or drill.target):
        raise DrillError("view 'migration' needs the parameter source or target.")
    defaults = segment_migration.__kwdefaults__  # the chart's tiers and churn definition
    churn, lookback = defaults["churn"], defaults["lookback_days"]
    before = states_at(ws, start, tiers_at(ws, start, defaults["tiers"], churn=churn,
                                           lookback_days=lookback), churn)
    after = states_at(ws, end, tiers_at(ws, end, defaults["tiers"], churn=churn,
                                        lookback_days=lookback), churn)
    moves = before.select("customer_id", source=before.state).inner_join(
        after.select("customer_id", target=after.state), "customer_id")
    moves = moves.filter((moves.target != "new")
                         & ~((moves.source == "churned") & (moves.target == "churned")))
    if drill.source:
        moves = moves.filter(moves.source == drill.source)
    if drill.target:
        moves = moves.filter(moves.target == drill.target)
    return moves.select("customer_id", "source", "target").to_pandas()


def _reason(ws: Any, drill: Drill, start: date, end: date) -> pd.DataFrame:
    from churnguard.reasons.pareto import churn_reasons

    code = _need(drill.reason, "reason", drill.view)
    detail = churn_reasons(ws, add_months(start, 1 - TREND_MONTHS), end)
    rows = detail[detail["reason"].astype(str) == code]
    return rows[["customer_id", "churn_date", "reason", "lost_revenue"]]


def _segment(ws: Any, drill: Drill, start: date, end: date) -> pd.DataFrame:
    group = _need(drill.group, "group", drill.view)
    status = _status(ws, end)
    customers = ws.table("customers")
    members = customers.filter(customers.segment.cast("string") == group).select("customer_id")
    rows = status.semi_join(members, "customer_id")
    rows = rows.filter(rows.status != "prospect")
    return rows.select("customer_id", "first_order", "last_order", "status",
                       "churn_date").to_pandas()


def _at_risk(ws: Any, drill: Drill, start: date, end: date) -> pd.DataFrame:
    from churnguard.report.panels import AT_RISK_BANDS, AT_RISK_PROBABILITY, latest_scores
    from churnguard.value import value_tiers

    tier = _need(drill.tier, "tier", drill.view)
    if not ws.has_table("risk_scores"):
        return pd.DataFrame({"customer_id": pd.Series([], dtype=str)})
    scores = latest_scores(ws.table("risk_scores"), end)
    tiers = value_tiers(ws, end)[["customer_id", "tier"]]
    scores = scores.drop(columns=["tier"], errors="ignore").merge(tiers, on="customer_id",
                                                                  how="left")
    scores["tier"] = scores["tier"].fillna("–")
    at_risk = (scores["p_churn"] >= AT_RISK_PROBABILITY if "p_churn" in scores.columns
               else pd.Series(False, index=scores.index))
    if "risk_band" in scores.columns:
        at_risk |= scores["risk_band"].astype(str).str.lower().isin(AT_RISK_BANDS)
    rows = scores[at_risk & (scores["tier"].astype(str) == tier)]
    columns = [c for c in ("customer_id", "tier", "p_churn", "risk_band") if c in rows.columns]
    return rows[columns]


_VIEWS = {"churned": _churned, "retained": _retained, "cohort": _cohort,
          "migration": _migration, "reason": _reason, "segment": _segment,
          "at_risk": _at_risk}


def chart_drill(chart: str, data: pd.DataFrame) -> dict[str, Any]:
    """How a click on ``chart`` (drawn from the panel ``data``) becomes a drill request.

    The dashboard's script merges, into the page's month and filters, ``series[i]`` for the
    clicked series, then ``x[j]`` (the category), ``items[j]`` (a heatmap cell) or, on a
    Sankey, ``nodes[j]``/``edges[j]``. Charts drawn from the same data use the same order.

    Examples
    --------
    >>> k = pd.DataFrame({"period_start": pd.to_datetime(["2024-05-01", "2024-06-01"])})
    >>> chart_drill("logo_vs_revenue", k)["x"]
    [{'period': '2024-05'}, {'period': '2024-06'}]
    """
    from churnguard.report.charts import sankey_parts

    if chart in ("trend", "logo_vs_revenue"):
        months = [{"period": pd.Timestamp(v).strftime("%Y-%m")} for v in data["period_start"]]
        series = ([{"view": "retained"}, {"view": "churned"}] if chart == "trend"
                  else [{"view": "churned"}, {"view": "churned"}])
        return {"series": series, "x": months}
    if chart in ("cohort", "cohort_buyers"):
        measure = "customers" if chart == "cohort" else "buyers"
        return {"series": [{"view": "cohort", "measure": measure}],
                "items": [{"cohort": c, "age": int(a)}
                          for c, a in data[["cohort", "age"]].itertuples(index=False)]}
    if chart == "migration":
        nodes, links = sankey_parts(data)
        return {"series": [{"view": "migration"}],
                "nodes": [{side: state} for side, state in nodes],
                "edges": [{"source": s, "target": t} for s, t, _ in links]}
    if chart == "pareto":
        return {"series": [{"view": "reason"}, {"view": "reason"}],
                "x": [{"reason": str(r)} for r in data["reason"]]}
    if chart == "survival":
        return {"series": [{"view": "segment", "group": str(g)}
                           for g in sorted(data["group"].unique())]}
    if chart == "risk_by_tier":
        return {"series": [{"view": "at_risk"}], "x": [{"tier": str(t)} for t in data["tier"]]}
    return {}
