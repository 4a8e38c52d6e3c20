"""The panels of the monthly review, each reshaped to one small long table for charts.

Every function takes a (possibly scoped) workspace and returns a :class:`Panel`; the analytics
come from the modules that own them and are only reshaped here:

- KPIs: ``period_start`` + the loyalty KPI columns (``churnguard.metrics.loyalty_kpis``).
- cohort: ``cohort, age, value`` (share of the cohort still active ``age`` months on).
- migration: ``source, target, customers`` (value tiers, ``new`` and ``churned`` included).
- pareto: ``reason, customers, revenue, cumulative_share``.
- survival: ``group, t, survival``.
- risk_by_tier: ``tier, customers, at_risk, share``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from churnguard.report.review import Panel, add_months, optional_function, run_panel

AT_RISK_BANDS = frozenset({"high", "高"})
AT_RISK_PROBABILITY = 0.5
STANDING_STATES = frozenset({"new", "churned"})  # prospects staying prospects, lost staying lost
SURVIVAL_POINTS = 120


def _pick(frame: pd.DataFrame, *names: str) -> str | None:
    """The first of ``names`` that is a column of ``frame`` (case-insensitive)."""
    lower = {str(c).lower(): c for c in frame.columns}
    for name in names:
        if name in lower:
            return lower[name]
    return None


def _frame(result: Any) -> pd.DataFrame:
    """A DataFrame from a function's result (a frame, or an object with ``.table``/``.curves``)."""
    if isinstance(result, pd.DataFrame):
        return result
    for attribute in ("table", "curves", "frame", "data"):
        value = getattr(result, attribute, None)
        if isinstance(value, pd.DataFrame):
            return value
    raise TypeError(f"expected a DataFrame, got {type(result).__name__}")


def kpi_panel(ws: Any, start: date, end: date) -> Panel:
    """Monthly loyalty KPIs over ``[start, end)``."""
    return run_panel("kpis", "churnguard.metrics", "loyalty_kpis",
                     lambda fn: fn(ws, start, end, freq="month",
                                   churn=ws.churn_definition(),
                                   history_start=ws.history_start()))


def cohort_panel(ws: Any, as_of: date, *, cohorts: int = 12,
                 measure: str = "customers") -> Panel:
    """The monthly cohort triangle of the last ``cohorts`` cohorts as ``cohort, age, value``:
    the share still active (``measure="customers"``) or that bought in the month
    (``"buyers"``)."""

    def call(fn: Any) -> pd.DataFrame:
        frame = _frame(fn(ws, cohort="month", churn=ws.churn_definition(), as_of=as_of,
                          measure=measure))
        long = cohort_long(frame)
        keep = sorted(long["cohort"].unique())[-cohorts:]
        return long[long["cohort"].isin(keep)].reset_index(drop=True)

    name = "cohort" if measure == "customers" else f"cohort_{measure}"
    return run_panel(name, "churnguard.metrics", "cohort_retention", call)


def cohort_long(frame: pd.DataFrame) -> pd.DataFrame:
    """A cohort triangle (long or wide) as ``cohort`` (YYYY-MM), ``age`` (int), ``value``.

    Examples
    --------
    >>> wide = pd.DataFrame({0: [1.0, 1.0], 1: [0.5, None]},
    ...                     index=pd.Index(["2024-01", "2024-02"], name="cohort"))
    >>> cohort_long(wide).to_dict("records")[:2]
    [{'cohort': '2024-01', 'age': 0, 'value': 1.0}, {'cohort': '2024-01', 'age': 1, 'value': 0.5}]
    """
    cohort = _pick(frame, "cohort", "cohort_start", "cohort_month")
    age = _pick(frame, "age", "period", "periods_since", "period_number", "months_since_first",
                "period_index", "offset")
    value = _pick(frame, "retention", "retention_rate", "share", "value", "rate")
    if cohort and age and value:
        long = frame[[cohort, age, value]].set_axis(["cohort", "age", "value"], axis=1)
    else:
        wide = frame.set_index(cohort) if cohort else frame
        numeric = [c for c in wide.columns if str(c).lstrip("-").isdigit()]
        long = (wide[numeric].rename_axis("cohort").reset_index()
                .melt(id_vars="cohort", var_name="age", value_name="value"))
    long = long.dropna(subset=["value"]).copy()
    long["cohort"] = long["cohort"].map(_month_label)
    long["age"] = long["age"].astype(int)
    long["value"] = long["value"].astype(float)
    return long.sort_values(["cohort", "age"]).reset_index(drop=True)


def _month_label(value: Any) -> str:
    try:
        return pd.Timestamp(value).strftime("%Y-%m")
    except (ValueError, TypeError):
        return str(value)


def migration_panel(ws: Any, start: date, end: date) -> Panel:
    """Customers moving between value tiers from ``start`` to ``end`` as source/target/customers."""

    def call(fn: Any) -> pd.DataFrame:
        frame = _frame(fn(ws, start, end))
        source = _pick(frame, "from_tier", "source", "from", "tier_start", "before")
        target = _pick(frame, "to_tier", "target", "to", "tier_end", "after")
        count = _pick(frame, "customers", "count", "n", "value")
        if not (source and target and count):
            raise ValueError(f"segment_migration columns not understood: {list(frame.columns)}")
        out = frame[[source, target, count]].set_axis(["source", "target", "customers"], axis=1)
        out = out[out["customers"] > 0].astype({"source": str, "target": str})
        standing = (out["source"] == out["target"]) & out["source"].isin(STANDING_STATES)
        return out[~standing].reset_index(drop=True)

    return run_panel("migration", "churnguard.metrics", "segment_migration", call)


def pareto_panel(ws: Any, start: date, end: date) -> Panel:
    """Churned customers and lost revenue per reason over ``[start, end)``, sorted."""

    def call(fn: Any) -> pd.DataFrame:
        frame = _frame(fn(ws, start, end))
        reason = _pick(frame, "reason", "reason_code", "code")
        count = _pick(frame, "churned_customers", "customers", "count")
        revenue = _pick(frame, "lost_revenue", "revenue")
        if not (reason and count):
            raise ValueError(f"reason_pareto columns not understood: {list(frame.columns)}")
        out = pd.DataFrame({"reason": frame[reason].astype(str),
                            "customers": frame[count].astype(float),
                            "revenue": frame[revenue].astype(float) if revenue else float("nan")})
        out = out.sort_values("customers", ascending=False).reset_index(drop=True)
        total = out["customers"].sum()
        out["cumulative_share"] = out["customers"].cumsum() / total if total else 0.0
        return out

    return run_panel("pareto", "churnguard.reasons", "reason_pareto", call)


def survival_panel(ws: Any, as_of: date) -> Panel:
    """Kaplan-Meier survival by segment as ``group, t, survival``."""

    def call(fn: Any) -> pd.DataFrame:
        frame = _frame(fn(ws, churn=ws.churn_definition(), as_of=as_of, by="segment"))
        group = _pick(frame, "group", "segment", "by")
        time = _pick(frame, "t", "timeline", "days", "time", "duration")
        value = _pick(frame, "survival", "km_estimate", "survival_function", "s")
        if not (time and value):
            raise ValueError(f"survival columns not understood: {list(frame.columns)}")
        out = pd.DataFrame({"group": frame[group].astype(str) if group else "all",
                            "t": frame[time].astype(float), "survival": frame[value].astype(float)})
        return thin_curves(out.sort_values(["group", "t"]), points=SURVIVAL_POINTS)

    return run_panel("survival", "churnguard.metrics", "survival", call)


def thin_curves(curves: pd.DataFrame, *, points: int) -> pd.DataFrame:
    """At most about ``points`` steps per group (evenly spaced, first and last kept).

    Examples
    --------
    >>> c = pd.DataFrame({"group": "a", "t": range(10), "survival": [1.0] * 10})
    >>> thin_curves(c, points=3)["t"].tolist()
    [0, 4, 9]
    """
    parts = []
    for _, part in curves.groupby("group", sort=True):
        if len(part) > points:
            step = (len(part) - 1) / (points - 1)
            part = part.iloc[sorted({round(i * step) for i in range(points)})]
        parts.append(part)
    if not parts:
        return curves.reset_index(drop=True)
    return pd.concat(parts).reset_index(drop=True)


def risk_by_tier_panel(ws: Any, as_of: date) -> Panel:
    """Share of scored customers at risk (high band or p ≥ 0.5) per value tier."""
    if not ws.has_table("risk_scores"):
        return Panel("risk_by_tier", missing="risk_scores (churnguard score)")
    tiers_fn = optional_function("churnguard.value", "value_tiers")
    frame = latest_scores(ws.table("risk_scores"), as_of)
    if tiers_fn is not None:
        try:
            tiers = _frame(tiers_fn(ws, as_of))[["customer_id", "tier"]]
            frame = frame.drop(columns=["tier"], errors="ignore").merge(tiers, on="customer_id",
                                                                        how="left")
        except Exception as exc:  # tiers are optional here
            return Panel("risk_by_tier", error=f"value_tiers: {exc}")
    if "tier" not in frame.columns:
        return Panel("risk_by_tier", missing="churnguard.value.value_tiers")
    return Panel("risk_by_tier", data=risk_share(frame))


def latest_scores(scores: Any, as_of: date) -> pd.DataFrame:
    """The newest score per customer dated on or before ``as_of`` (a score as of a date uses
    only data before it); all rows when there is no date column."""
    stamp = next((c for c in ("as_of", "scored_at", "score_date") if c in scores.columns), None)
    if stamp is None:
        return scores.to_pandas()
    scores = scores.filter(scores[stamp].cast("date") <= as_of)  # a score as of D uses data < D
    latest = scores.group_by("customer_id").agg(_latest=scores[stamp].max())
    joined = scores.join(latest, [scores.customer_id == latest.customer_id,
                                  scores[stamp] == latest._latest])
    return joined.select(scores.columns).to_pandas()


def risk_share(scores: pd.DataFrame) -> pd.DataFrame:
    """Per tier: customers, how many are at risk, and the share.

    Examples
    --------
    >>> s = pd.DataFrame({"tier": ["core", "core", "low"], "p_churn": [0.7, 0.1, 0.6]})
    >>> risk_share(s).to_dict("records")
    [{'tier': 'core', 'customers': 2, 'at_risk': 1, 'share': 0.5}, \
{'tier': 'low', 'customers': 1, 'at_risk': 1, 'share': 1.0}]
    """
    band = _pick(scores, "risk_band", "band")
    at_risk = scores["p_churn"] >= AT_RISK_PROBABILITY if "p_churn" in scores else False
    if band:
        at_risk = scores[band].astype(str).str.lower().isin(AT_RISK_BANDS) | at_risk
    grouped = (scores.assign(at_risk=at_risk.astype(int), tier=scores["tier"].fillna("–"))
               .groupby("tier", sort=True)
               .agg(customers=("at_risk", "size"), at_risk=("at_risk", "sum")).reset_index())
    grouped["share"] = grouped["at_risk"] / grouped["customers"]
    return grouped.astype({"customers": int, "at_risk": int})


def trend_months(month: date, count: int) -> list[date]:
    """The ``count`` month starts ending with ``month``'s."""
    return [add_months(month, -i) for i in range(count - 1, -1, -1)]
