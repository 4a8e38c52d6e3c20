"""The loyalty KPIs (衡量客户忠诚度的 KPI) per period: :func:`loyalty_kpis`.

Every KPI is computed in the warehouse engine from a handful of Ibis expressions over three
intermediates: the purchase timeline (:func:`~churnguard.churn.purchase_timeline`, shared by
every metric until the data changes), the churn events and spells, and one row per customer and
period. Python only adds up a few numbers per period. docs/metrics.md gives each formula with its
Chinese name.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from churnguard.churn import (
    ChurnDefinition,
    Inactivity,
    cached_events,
    midnight,
    plus_days,
    timeline_before,
    to_date,
)
from churnguard.metrics._engine import (
    active_at_period_start,
    churn_spells,
    current_and_previous,
    customer_period_revenue,
    data_span,
    ones,
    orders_between,
    ratio,
    sums_by_period,
    tally,
    window_start,
)
from churnguard.metrics.periods import Periods, plus
from churnguard.metrics.ttm import ttm_retention
from churnguard.metrics.wallet import wallet_sums

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

NEW_CUSTOMER_DAYS = 90
FOLLOW_UP_DAYS = 14
SATISFIED_SCORE = 4

KPI_COLUMNS = [
    "period_start", "period_end", "status", "customers_start", "new_customers",
    "churned_customers", "reactivated_customers", "customers_end", "retention_rate",
    "churn_rate", "revenue", "unattributed_revenue", "revenue_churn_rate", "grr", "nrr",
    "grr_mom", "nrr_mom", "new_customer_retention_90d", "purchase_frequency",
    "avg_order_value", "avg_spend_per_customer", "share_of_wallet", "complaint_satisfaction",
    "winback_rate",
]
KPI_LABELS: dict[str, str] = {
    "period_start": "期初 period start",
    "period_end": "期末 period end",
    "status": "期间状态 period status",
    "customers_start": "期初客户基数 customers at start",
    "new_customers": "新客户数 new customers",
    "churned_customers": "流失客户数 churned",
    "reactivated_customers": "回流客户数 reactivated",
    "customers_end": "期末客户基数 customers at end",
    "retention_rate": "客户留存率 retention rate",
    "churn_rate": "客户流失率 churn rate",
    "revenue": "销售额(有客户) customer-attributed revenue",
    "unattributed_revenue": "无客户销售额 unattributed revenue",
    "revenue_churn_rate": "流失客户收入占比 revenue churn rate",
    "grr": "总收入留存率(滚动12个月) GRR, trailing 12 months",
    "nrr": "净收入留存率(滚动12个月) NRR, trailing 12 months",
    "grr_mom": "总收入留存率(环比) GRR, period on period",
    "nrr_mom": "净收入留存率(环比) NRR, period on period",
    "new_customer_retention_90d": "新客户留存率(90天) new-customer retention 90d",
    "purchase_frequency": "购买频率 purchase frequency",
    "avg_order_value": "平均订单金额 average order value",
    "avg_spend_per_customer": "平均消费金额 average spend per customer",
    "share_of_wallet": "钱包份额 share of wallet",
    "complaint_satisfaction": "投诉客户满意度 complaint satisfaction",
    "winback_rate": "挽回成功率 win-back rate",
}
"""Bilingual label of each KPI column (Chinese as the seeds' managers say it)."""

WARM_UP_COLUMNS = (
    "new_customers", "churned_customers", "reactivated_customers", "retention_rate",
    "churn_rate", "revenue_churn_rate", "new_customer_retention_90d", "winback_rate",
)
"""Columns that are null in a ``warm_up`` period: before ``history_start`` plus the churn
window nobody can have churned yet and every returning customer looks new."""
COUNT_COLUMNS = ("customers_start", "new_customers", "churned_customers",
                 "reactivated_customers", "customers_end")

RATE_COLUMNS = (
    "retention_rate", "churn_rate", "revenue_churn_rate", "grr", "nrr", "grr_mom", "nrr_mom",
    "new_customer_retention_90d", "share_of_wallet", "complaint_satisfaction", "winback_rate",
)


def loyalty_kpis(
    ws: Workspace,
    start: date | datetime | str,
    end: date | datetime | str,
    freq: str | None = "month",
    churn: ChurnDefinition = Inactivity(180),  # noqa: B008 - frozen, immutable
    lookback_days: int = 365,
    *,
    history_start: date | datetime | str | None = None,
    data_end: date | datetime | str | None = None,
) -> pd.DataFrame:
    """The ten loyalty KPIs and the customer-base accounting, one row per period.

    Only data before ``end`` is used. Counts are events dated ``period_start <= date <
    period_end``, so ``customers_end = customers_start + new_customers − churned_customers +
    reactivated_customers`` holds in every row that is not a warm-up period.

    ``status`` says how far a row can be trusted: ``warm_up`` when the period starts before
    ``history_start + churn.warm_up_days()`` (the data begins mid-stream: nobody can have
    churned yet and customers who bought before the data look new, so the columns
    ``WARM_UP_COLUMNS`` are null there); ``partial`` when the period is cut short by ``end``
    or by ``data_end`` (the last period then stops at ``data_end``, and its period-over-period
    comparisons — ``nrr_mom``, ``grr_mom`` — use the same number of days at the start of the
    period before); else ``complete``.

    Parameters
    ----------
    ws
        The workspace.
    start, end
        The half-open span ``[start, end)`` to report on.
    freq
        ``"month"``, ``"quarter"``, ``"year"`` or ``None`` (one period).
    churn
        The churn definition (``Inactivity(180)`` by default).
    lookback_days
        Window before each period start whose revenue ``revenue_churn_rate`` divides.
    history_start
        The first day of the history (default: the first order in the data). The workspace
        keeps it as ``ws.history_start()`` (``[data] history_start`` in churnguard.toml).
    data_end
        The day after the last day with data (default: the day after the last order).

    Returns
    -------
    DataFrame
        Columns ``KPI_COLUMNS`` (see docs/metrics.md); rates are fractions, NaN when their
        denominator is zero or the data is missing (e.g. ``share_of_wallet`` without a
        ``wallet`` table). ``revenue`` and every revenue figure are *customer-attributed*
        revenue (the ``orders``); ``unattributed_revenue`` is the net amount of the
        ``order_lines`` without a customer (0 when every line has one, NaN without an
        ``order_lines`` table).

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from churnguard import Workspace
    >>> ws = Workspace.create(tempfile.mkdtemp() + "/shop")
    >>> _ = ws.load("customers", pd.DataFrame({"customer_id": ["a", "b"]}))
    >>> _ = ws.load("orders", pd.DataFrame({"order_id": ["1", "2", "3"],
    ...     "customer_id": ["a", "a", "b"], "amount": [10.0, 30.0, 20.0],
    ...     "order_date": ["2024-01-05", "2024-02-10", "2024-01-20"]}))
    >>> kpis = loyalty_kpis(ws, "2024-02-01", "2024-04-01", churn=Inactivity(days=30),
    ...                     history_start="2024-01-01", data_end="2024-04-01")
    >>> cols = ["customers_start", "churned_customers", "reactivated_customers", "customers_end"]
    >>> kpis[cols].values.tolist()
    [[2, 2, 1, 1], [1, 1, 0, 0]]
    >>> kpis["retention_rate"].tolist()
    [0.5, 0.0]
    >>> kpis["status"].tolist()    # churn can show from 2024-01-31 (history start + 30 days)
    ['complete', 'complete']

    By default the history starts at the first order (2024-01-05: warm-up to 02-04) and the
    last period stops at the end of the data (the last order is on 02-10):

    >>> k = loyalty_kpis(ws, "2024-01-01", "2024-04-01", churn=Inactivity(days=30))
    >>> k["status"].tolist(), str(k["period_end"].iloc[-1].date())
    (['warm_up', 'warm_up'], '2024-02-11')
    """
    Periods.make(start, end, freq=freq)   # the arguments' errors before any query
    if not isinstance(lookback_days, int) or lookback_days < 1:
        from churnguard.errors import ConfigError

        raise ConfigError(f"lookback_days must be a positive number of days, received "
                          f"{lookback_days!r}.")
    first, last = data_span(ws) if history_start is None or data_end is None else (None, None)
    first = first if history_start is None else to_date(history_start)
    last = last if data_end is None else to_date(data_end)
    periods = Periods.make(start, end, freq=freq, data_end=last)
    end = periods.bounds[-1]
    events = cached_events(ws, churn, end)
    spells = churn_spells(events, periods)
    per_customer = customer_period_revenue(ws, periods).cache()
    parts = {
        **_base_parts(spells, events, periods),
        **_order_parts(per_customer),
        **_leaver_parts(ws, periods, events, lookback_days),
        **_new_customer_parts(timeline_before(ws, end), periods),
    }
    size = periods.n + 2
    sums = (tally(parts, size) | _movement_sums(per_customer, spells, periods)
            | _complaint_sums(ws, periods, size) | wallet_sums(ws, periods, size))
    sums |= _unattributed_sums(ws, periods, size)
    lookback = _lookback_revenue(ws, periods, lookback_days)
    frame = _assemble(periods, sums, lookback, has_wallet=ws.has_table("wallet"))
    ttm = ttm_retention(ws, periods, first)
    frame["grr"], frame["nrr"] = ttm["grr"], ttm["nrr"]
    warm_up_end = None if first is None else plus(first, churn.warm_up_days())
    return _mark_status(frame, periods, warm_up_end, last)


def _mark_status(frame: pd.DataFrame, periods: Periods, warm_up_end: date | None,
                 data_end: date | None) -> pd.DataFrame:
    """``status`` per period, and the warm-up columns nulled in warm-up periods."""
    starts = np.array(periods.starts, dtype="datetime64[D]")
    ends = np.array(periods.ends, dtype="datetime64[D]")
    warm = (np.zeros(periods.n, dtype=bool) if warm_up_end is None
            else starts < np.datetime64(warm_up_end, "D"))
    cut = np.zeros(periods.n, dtype=bool) if data_end is None else (
        ends > np.datetime64(data_end, "D"))
    cut[-1] |= periods.partial
    frame["status"] = np.select([warm, cut], ["warm_up", "partial"], "complete")
    for column in COUNT_COLUMNS:
        frame[column] = frame[column].astype("Int64")
    for column in WARM_UP_COLUMNS:
        frame.loc[warm, column] = pd.NA if column in COUNT_COLUMNS else np.nan
    return frame[KPI_COLUMNS]


def _base_parts(spells: ir.Table, events: ir.Table, periods: Periods) -> dict[str, ir.Table]:
    covering = spells.filter(spells.lo <= spells.hi)
    kept = covering.filter(covering.hi > covering.lo)
    ordered = covering.mutate(previous_hi=covering.hi.lag().over(
        ibis.window(group_by="customer_id", order_by="spell_start")))
    rejoined = ordered.filter(ordered.previous_hi == ordered.lo - 1)
    back = spells.filter((spells.kind == "reactivation")
                         & (periods.boundary_count(spells.previous_churn) < spells.lo))
    firsts = spells.filter(spells.kind == "new")
    event_index = periods.index(events.event_date)
    return {
        "active_from": ones(covering, covering.lo),
        "active_to": ones(covering, covering.hi + 1),
        "kept_from": ones(kept, kept.lo),
        "kept_to": ones(kept, kept.hi),
        "rejoined": ones(rejoined, rejoined.lo - 1),
        "won_back": ones(back, back.lo - 1),
        "first": ones(firsts, firsts.lo),
        **{
            kind: ones(events.filter(events.event == kind),
                       event_index)
            for kind in ("new", "churn", "reactivation")
        },
    }


def _order_parts(per_customer: ir.Table) -> dict[str, ir.Table]:
    buyers = per_customer.filter(per_customer.purchases > 0)
    return {
        "revenue": per_customer.select(idx=per_customer.period, weight=per_customer.revenue),
        "purchases": per_customer.select(idx=per_customer.period,
                                         weight=per_customer.purchases),
        "buyers": ones(buyers, buyers.period),
    }


def _leaver_parts(ws: Workspace, periods: Periods, events: ir.Table,
                  lookback_days: int) -> dict[str, ir.Table]:
    """Revenue, in the look-back window before the period start, of the customers who churned
    in the period."""
    churned = events.filter(events.event == "churn")
    churned = churned.select("customer_id", idx=periods.index(churned.event_date)).distinct()
    churned = churned.filter((churned.idx >= 0) & (churned.idx < periods.n))
    first = plus(periods.bounds[0], -lookback_days)
    orders = orders_between(ws, first, periods.bounds[periods.n - 1])
    joined = churned.inner_join(orders.select("customer_id", "order_date", "amount"),
                                "customer_id")
    day = joined.order_date.date()
    joined = joined.filter((day >= window_start(periods, joined.idx, lookback_days))
                           & (day < periods.start_of(joined.idx)))
    return {"leavers_lookback": joined.select("idx", weight=joined.amount)}


def _movement_sums(per_customer: ir.Table, spells: ir.Table,
                   periods: Periods) -> dict[str, np.ndarray]:
    """GRR / NRR parts: this and the previous period's revenue of customers active at the
    period start, and the part of it kept (each customer capped at 100%)."""
    movement = active_at_period_start(current_and_previous(per_customer, periods), spells)
    kept = ibis.greatest(ibis.literal(0.0), ibis.least(movement.current, movement.previous))
    return sums_by_period(movement, movement.period, periods.n + 2,
                          nrr_current=movement.current, nrr_previous=movement.previous,
                          grr_kept=kept)


def _lookback_revenue(ws: Workspace, periods: Periods, lookback_days: int) -> np.ndarray:
    """Net revenue of all customers in ``[b_k − lookback, b_k)`` for each period ``k``: daily
    totals from the engine, window sums in NumPy."""
    first = plus(periods.bounds[0], -lookback_days)
    last = periods.bounds[periods.n - 1]
    orders = orders_between(ws, first, last)
    daily = orders.group_by(day=orders.order_date.date()).aggregate(
        revenue=orders.amount.sum()).to_pandas()
    offsets = (pd.to_datetime(daily["day"]) - pd.Timestamp(first)).dt.days.to_numpy()
    totals = np.zeros((last - first).days + 1)
    np.add.at(totals, offsets, daily["revenue"].to_numpy(dtype=float))
    running = np.concatenate([[0.0], np.cumsum(totals)])
    ends = np.array([(start - first).days for start in periods.starts])
    return running[ends] - running[ends - lookback_days]


def _new_customer_parts(timeline: ir.Table, periods: Periods) -> dict[str, ir.Table]:
    """First purchases old enough to judge (``NEW_CUSTOMER_DAYS`` before ``end``), and those
    followed by another purchase day within ``NEW_CUSTOMER_DAYS``: the first purchase on a later
    day is the one row whose ``previous_day`` is the first day."""
    end = periods.bounds[-1]
    mature = timeline.filter(plus_days(timeline.first_day, NEW_CUSTOMER_DAYS) < end)
    firsts = mature.filter(mature.previous_day.isnull())
    again = mature.filter((mature.previous_day == mature.first_day)
                          & (mature.day > mature.first_day)
                          & (mature.day <= plus_days(mature.first_day, NEW_CUSTOMER_DAYS)))
    return {"new_mature": ones(firsts, periods.index(firsts.first_day)),
            "new_again": ones(again, periods.index(again.first_day))}


def _unattributed_sums(ws: Workspace, periods: Periods, size: int) -> dict[str, np.ndarray]:
    """Net amount of the ``order_lines`` without a customer per period (NaN without the
    table: nothing says whether there were such sales)."""
    if not ws.has_table("order_lines"):
        return {"unattributed": np.full(size, np.nan)}
    lines = ws.table("order_lines")
    lines = lines.filter(lines.customer_id.isnull() | (lines.customer_id.strip() == ""),
                         lines.order_date >= midnight(periods.previous),
                         lines.order_date < midnight(periods.bounds[-1]))
    return {"unattributed": sums_by_period(lines, periods.index(lines.order_date), size,
                                           unattributed=lines.amount)["unattributed"]}


def _complaint_sums(ws: Workspace, periods: Periods, size: int) -> dict[str, np.ndarray]:
    """Surveys (kind ``survey``, score 1–5) that follow a complaint of the same customer: dated
    from the complaint up to ``FOLLOW_UP_DAYS`` days after it was resolved (after the
    complaint itself while unresolved at ``end``)."""
    end = midnight(periods.bounds[-1])
    interactions = ws.table("interactions")
    known = interactions.filter(interactions.ts < end)
    surveys = known.filter((known.kind == "survey") & known.score.notnull())
    surveys = surveys.select("interaction_id", "customer_id", "score", survey_ts=surveys.ts)
    complaints = known.filter(known.kind == "complaint")
    resolved = ibis.ifelse(complaints.resolved_at < end, complaints.resolved_at,
                           ibis.null("timestamp"))
    complaints = complaints.select(
        "customer_id", opened=complaints.ts,
        until=resolved.fill_null(complaints.ts) + ibis.interval(days=FOLLOW_UP_DAYS))
    follow = surveys.inner_join(complaints, "customer_id")
    follow = follow.filter((follow.opened <= follow.survey_ts) & (follow.survey_ts <= follow.until))
    follow = follow.select("interaction_id", "score", "survey_ts").distinct()
    return sums_by_period(follow, periods.index(follow.survey_ts), size,
                          surveys=ibis.literal(1.0),
                          satisfied=(follow.score >= SATISFIED_SCORE).cast("float64"))


def _assemble(periods: Periods, s: dict[str, np.ndarray], lookback: np.ndarray, *,
              has_wallet: bool) -> pd.DataFrame:
    n = periods.n
    active = np.cumsum(s["active_from"]) - np.cumsum(s["active_to"])
    retained = (np.cumsum(s["kept_from"]) - np.cumsum(s["kept_to"]) + s["rejoined"])[:n]
    ever = np.cumsum(s["first"])[:n]
    retention = ratio(retained, active[:n])
    frame = periods.frame().drop(columns="period")
    frame["customers_start"] = active[:n].round().astype("int64")
    frame["new_customers"] = s["new"][:n].round().astype("int64")
    frame["churned_customers"] = s["churn"][:n].round().astype("int64")
    frame["reactivated_customers"] = s["reactivation"][:n].round().astype("int64")
    frame["customers_end"] = active[1:n + 1].round().astype("int64")
    frame["retention_rate"] = retention
    frame["churn_rate"] = 1.0 - retention
    frame["revenue"] = s["revenue"][:n]
    frame["unattributed_revenue"] = s["unattributed"][:n]
    frame["revenue_churn_rate"] = ratio(s["leavers_lookback"][:n], lookback)
    frame["grr_mom"] = ratio(s["grr_kept"][:n], s["nrr_previous"][:n])
    frame["nrr_mom"] = ratio(s["nrr_current"][:n], s["nrr_previous"][:n])
    frame["new_customer_retention_90d"] = ratio(s["new_again"][:n], s["new_mature"][:n])
    frame["purchase_frequency"] = ratio(s["purchases"][:n], s["buyers"][:n])
    frame["avg_order_value"] = ratio(s["revenue"][:n], s["purchases"][:n])
    frame["avg_spend_per_customer"] = ratio(s["revenue"][:n], s["buyers"][:n])
    frame["share_of_wallet"] = (ratio(s["wallet_revenue"][:n], s["wallet_spend"][:n])
                                if has_wallet else np.nan)
    frame["complaint_satisfaction"] = ratio(s["satisfied"][:n], s["surveys"][:n])
    frame["winback_rate"] = ratio(s["won_back"][:n], ever - active[:n])
    return frame
