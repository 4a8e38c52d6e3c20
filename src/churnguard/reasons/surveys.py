"""Voice of the customer in numbers: CSAT, NPS and complaint follow-up surveys (满意度调查).

How a survey's scale is told — by ``interactions.kind``, never guessed from the score:

* ``kind`` in ``NPS_KINDS`` (``"nps"``) — Net Promoter Score question, 0–10:
  promoters 9–10, passives 7–8, detractors 0–6, ``nps = 100 × (promoters − detractors) /
  responses``.
* ``kind`` in ``CSAT_KINDS`` (``"survey"``, ``"csat"``) — satisfaction, 1–5; *satisfied*
  means a score of 4 or 5.
* A score outside its scale or not a whole number is not counted; the summaries report it in
  ``invalid`` so that a mis-mapped import shows up instead of skewing the figures.
* A CSAT survey is a *complaint follow-up* when the same customer complained before it and it
  is dated no later than ``FOLLOW_UP_DAYS`` (14) days after that complaint was resolved (or
  after the complaint itself while it is unresolved). ``complaint_satisfaction`` is the share
  of follow-ups that are satisfied — the same definition and constants as the loyalty KPI of
  :mod:`churnguard.metrics.loyalty`, so both always agree.

Periods are half-open ``[start, end)`` (see :class:`churnguard.metrics.periods.Periods`);
``by`` groups by a ``customers`` column such as ``segment`` or ``region``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import pandas as pd

from churnguard.churn import midnight
from churnguard.errors import SchemaError
from churnguard.metrics.loyalty import FOLLOW_UP_DAYS, SATISFIED_SCORE
from churnguard.metrics.periods import Periods

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

NPS_KINDS: tuple[str, ...] = ("nps",)
CSAT_KINDS: tuple[str, ...] = ("survey", "csat")
PROMOTER_MIN, DETRACTOR_MAX = 9, 6
CUSTOMER_COLUMNS = ("segment", "region", "channel", "owner_id")
NO_GROUP = "(none)"


def with_customer_group(ws: Workspace, table: ir.Table, by: str | None) -> ir.Table:
    """``table`` with a ``group`` column: the customer's ``by`` value (``"(none)"`` when
    missing); ``table`` unchanged when ``by`` is None."""
    if by is None:
        return table
    if by not in CUSTOMER_COLUMNS:
        raise SchemaError(f"by={by!r} is not a customers column to group by. Use one of "
                          f"{', '.join(CUSTOMER_COLUMNS)}.")
    customers = ws.table("customers")
    groups = customers.select("customer_id", group=customers[by].cast("string"))
    joined = table.left_join(groups, "customer_id").drop("customer_id_right")
    return joined.mutate(group=joined.group.fill_null(NO_GROUP))


def _scored(ws: Workspace, periods: Periods, kinds: tuple[str, ...], by: str | None,
            low: int, high: int) -> ir.Table:
    """Surveys of ``kinds`` in the periods with ``period``, ``valid`` and ``group``."""
    interactions = ws.table("interactions")
    rows = interactions.filter(
        interactions.kind.isin(list(kinds)), interactions.score.notnull(),
        interactions.ts >= midnight(periods.bounds[0]),
        interactions.ts < midnight(periods.bounds[-1]))
    valid = (rows.score >= low) & (rows.score <= high) & (rows.score == rows.score.round(0))
    rows = rows.mutate(period=periods.index(rows.ts), valid=valid)
    return with_customer_group(ws, rows, by)


def _keys(by: str | None) -> list[str]:
    return ["period"] + (["group"] if by else [])


def _frame(result: pd.DataFrame, periods: Periods, by: str | None,
           counts: list[str]) -> pd.DataFrame:
    """Every period (× every group seen) with zeros where nothing was answered."""
    grid = periods.frame()
    result = result.astype({"period": "int64"})
    if by:
        result = result.astype({"group": object})
        groups = sorted(result["group"].unique())
        grid = grid.merge(pd.DataFrame({"group": pd.Series(groups, dtype=object)}), how="cross")
    out = grid.merge(result, on=_keys(by), how="left")
    out[counts] = out[counts].fillna(0).astype("int64")
    out = out.drop(columns="period").rename(columns={"group": by} if by else {})
    return out.reset_index(drop=True)


def nps_summary(ws: Workspace, start: date | datetime | str, end: date | datetime | str, *,
                freq: str | None = "month", by: str | None = None,
                kinds: tuple[str, ...] = NPS_KINDS) -> pd.DataFrame:
    """Net Promoter Score per period (and group).

    Returns
    -------
    DataFrame
        ``period_start, period_end, [by], responses, promoters, passives, detractors,
        invalid, nps`` (``nps`` in −100…100, NaN without responses).

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from churnguard import Workspace
    >>> ws = Workspace.create(tempfile.mkdtemp() + "/s")
    >>> _ = ws.load("customers", pd.DataFrame({"customer_id": ["a"]}))
    >>> _ = ws.load("interactions", pd.DataFrame({"interaction_id": ["1", "2", "3"],
    ...     "customer_id": "a", "ts": ["2024-01-05", "2024-01-06", "2024-01-07"],
    ...     "kind": "nps", "score": [10.0, 8.0, 3.0]}))
    >>> nps_summary(ws, "2024-01-01", "2024-02-01")[["responses", "nps"]].values.tolist()
    [[3.0, 0.0]]
    """
    periods = Periods.make(start, end, freq=freq)
    rows = _scored(ws, periods, kinds, by, 0, 10)
    ok = rows.valid
    result = rows.group_by(_keys(by)).aggregate(
        responses=ok.sum(),
        promoters=(ok & (rows.score >= PROMOTER_MIN)).sum(),
        passives=(ok & (rows.score > DETRACTOR_MAX) & (rows.score < PROMOTER_MIN)).sum(),
        detractors=(ok & (rows.score <= DETRACTOR_MAX)).sum(),
        invalid=(~ok).sum(),
    ).to_pandas()
    counts = ["responses", "promoters", "passives", "detractors", "invalid"]
    out = _frame(result, periods, by, counts)
    share = (out["promoters"] - out["detractors"]) / out["responses"].where(out["responses"] > 0)
    out["nps"] = (100.0 * share).astype("float64")
    return out


def csat_summary(ws: Workspace, start: date | datetime | str, end: date | datetime | str, *,
                 freq: str | None = "month", by: str | None = None,
                 kinds: tuple[str, ...] = CSAT_KINDS) -> pd.DataFrame:
    """Customer satisfaction (CSAT, 1–5) per period (and group).

    Returns
    -------
    DataFrame
        ``period_start, period_end, [by], responses, satisfied, invalid, csat_mean,
        satisfied_share`` (satisfied = score ≥ 4).
    """
    periods = Periods.make(start, end, freq=freq)
    rows = _scored(ws, periods, kinds, by, 1, 5)
    ok = rows.valid
    result = rows.group_by(_keys(by)).aggregate(
        responses=ok.sum(),
        satisfied=(ok & (rows.score >= SATISFIED_SCORE)).sum(),
        invalid=(~ok).sum(),
        score_sum=ibis.ifelse(ok, rows.score, 0.0).sum(),
    ).to_pandas()
    out = _frame(result, periods, by, ["responses", "satisfied", "invalid"])
    answered = out["responses"].where(out["responses"] > 0)
    out["csat_mean"] = (out.pop("score_sum") / answered).astype("float64")
    out["satisfied_share"] = (out["satisfied"] / answered).astype("float64")
    return out


def follow_up_surveys(ws: Workspace, start: date | datetime | str,
                      end: date | datetime | str) -> ir.Table:
    """CSAT surveys in ``[start, end)`` that follow a complaint (see the module notes).

    One row per survey: ``interaction_id, customer_id, ts, score``.
    """
    cutoff = midnight(Periods.make(start, end, freq=None).bounds[-1])
    first = midnight(Periods.make(start, end, freq=None).bounds[0])
    interactions = ws.table("interactions")
    known = interactions.filter(interactions.ts < cutoff)
    surveys = known.filter(known.kind.isin(list(CSAT_KINDS)), known.score.notnull(),
                           known.ts >= first)
    complaints = known.filter(known.kind == "complaint")
    resolved = ibis.ifelse(complaints.resolved_at < cutoff, complaints.resolved_at,
                           ibis.null("timestamp"))
    complaints = complaints.select(
        complaint_customer=complaints.customer_id, opened=complaints.ts,
        until=resolved.fill_null(complaints.ts) + ibis.interval(days=FOLLOW_UP_DAYS))
    joined = surveys.inner_join(complaints,
                                surveys.customer_id == complaints.complaint_customer)
    joined = joined.filter((joined.opened <= joined.ts) & (joined.ts <= joined.until))
    return joined.select("interaction_id", "customer_id", "ts", "score").distinct()


def complaint_satisfaction(ws: Workspace, start: date | datetime | str,
                           end: date | datetime | str, *, freq: str | None = None,
                           by: str | None = None) -> pd.DataFrame:
    """Complaint follow-up surveys per period (and group): how many, how many satisfied.

    Returns
    -------
    DataFrame
        ``period_start, period_end, [by], surveys, satisfied, invalid,
        complaint_satisfaction`` (satisfied / surveys; NaN without surveys).
    """
    periods = Periods.make(start, end, freq=freq)
    rows = follow_up_surveys(ws, start, end)
    valid = (rows.score >= 1) & (rows.score <= 5)
    rows = with_customer_group(ws, rows.mutate(period=periods.index(rows.ts), valid=valid), by)
    result = rows.group_by(_keys(by)).aggregate(
        surveys=rows.valid.sum(),
        satisfied=(rows.valid & (rows.score >= SATISFIED_SCORE)).sum(),
        invalid=(~rows.valid).sum(),
    ).to_pandas()
    out = _frame(result, periods, by, ["surveys", "satisfied", "invalid"])
    out["complaint_satisfaction"] = (
        out["satisfied"] / out["surveys"].where(out["surveys"] > 0)).astype("float64")
    return out


def survey_summary(ws: Workspace, start: date | datetime | str, end: date | datetime | str, *,
                   freq: str | None = "month", by: str | None = None) -> pd.DataFrame:
    """CSAT, NPS and complaint follow-up side by side, one row per period (and group).

    Returns
    -------
    DataFrame
        ``period_start, period_end, [by], csat_responses, csat_mean, satisfied_share,
        nps_responses, nps, follow_up_surveys, complaint_satisfaction``.
    """
    keys = ["period_start", "period_end"] + ([by] if by else [])
    csat = csat_summary(ws, start, end, freq=freq, by=by).rename(
        columns={"responses": "csat_responses"})
    nps = nps_summary(ws, start, end, freq=freq, by=by).rename(
        columns={"responses": "nps_responses"})
    follow = complaint_satisfaction(ws, start, end, freq=freq, by=by).rename(
        columns={"surveys": "follow_up_surveys"})
    out = csat[keys + ["csat_responses", "csat_mean", "satisfied_share"]]
    out = out.merge(nps[keys + ["nps_responses", "nps"]], on=keys, how="outer")
    out = out.merge(follow[keys + ["follow_up_surveys", "complaint_satisfaction"]], on=keys,
                    how="outer")
    counts = ["csat_responses", "nps_responses", "follow_up_surveys"]
    out[counts] = out[counts].fillna(0).astype("int64")
    return out.sort_values(keys, kind="stable").reset_index(drop=True)
