"""Which causes cost the most customers and revenue: the reason Pareto and topic drift.

Who left: the churn events of the workspace's churn definition (``ws.churn_definition()``, or
``churn=``) dated in ``[start, end)`` — a customer who left twice in the window counts twice.
Lost revenue of a churn: the customer's order amounts (returns included) in the
``lookback_days`` (365) days before the churn date.

Why, in order of trust:

1. ``archive`` — the warehouse table ``churn_archive`` (``customer_id, churn_date, reason``,
   pushed by the workflow's churn archive): the record of the customer whose churn date is
   closest to the event's, within ``lookback_days``.
2. ``exit_survey`` — the customer's latest exit survey dated from ``lookback_days`` before the
   churn date to ``after_days`` (120) after it (and before ``end``).
3. ``complaint`` — the most frequent reason among the customer's complaints in that window
   (ties: the latest).

An interaction's ``reason`` is used when filled, else its text is classified
(:func:`churnguard.reasons.classifier.classify`, with ``model=`` when given). A churn with no
reason anywhere is ``other`` with ``reason_source = "none"``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from churnguard.churn import ChurnDefinition, midnight, to_date
from churnguard.errors import ConfigError
from churnguard.reasons.classifier import ReasonClassifier, classify
from churnguard.reasons.surveys import with_customer_group
from churnguard.reasons.taxonomy import Taxonomy, default_taxonomy, workspace_taxonomy

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

LOOKBACK_DAYS = 365
AFTER_DAYS = 120
VOICE_KINDS = ("exit_survey", "complaint")
DETAIL_COLUMNS = ["customer_id", "churn_date", "reason", "reason_source", "lost_revenue"]


def check_window(start: date | datetime | str, end: date | datetime | str) -> tuple[date, date]:
    first, last = to_date(start), to_date(end)
    if first >= last:
        raise ConfigError(f"start {first} must be before end {last}: the window is [start, end).")
    return first, last


def _churn_events(ws: Workspace, first: date, last: date,
                  churn: ChurnDefinition | None) -> ir.Table:
    events = (churn or ws.churn_definition()).events(ws, last)
    events = events.filter((events.event == "churn") & (events.event_date >= first))
    return events.select("customer_id", churn_date=events.event_date.cast("date")).distinct()


def _lost_revenue(ws: Workspace, lost: ir.Table, last: date, lookback: int) -> ir.Table:
    orders = ws.table("orders")
    orders = orders.filter(orders.order_date < midnight(last))
    joined = lost.inner_join(orders.select("customer_id", "order_date", "amount"),
                             "customer_id")
    since = (joined.churn_date - ibis.interval(days=lookback)).cast("timestamp")
    joined = joined.filter((joined.order_date >= since)
                           & (joined.order_date < joined.churn_date.cast("timestamp")))
    revenue = joined.group_by(["customer_id", "churn_date"]).aggregate(
        lost_revenue=joined.amount.sum())
    out = lost.left_join(revenue, ["customer_id", "churn_date"])
    return out.select(lost, lost_revenue=out.lost_revenue.fill_null(0.0).cast("float64"))


def _archive_reasons(ws: Workspace, lost: ir.Table, lookback: int) -> pd.DataFrame:
    empty = pd.DataFrame(columns=["customer_id", "churn_date", "archive_reason"])
    if not ws.has_table("churn_archive"):
        return empty
    archive = ws.table("churn_archive")
    archive = archive.select(archive_customer=archive.customer_id.cast("string"),
                             archive_date=archive.churn_date.cast("date"),
                             archive_reason=archive.reason.cast("string"))
    archive = archive.filter(archive.archive_reason.notnull() & (archive.archive_reason != ""))
    joined = lost.inner_join(archive, lost.customer_id == archive.archive_customer)
    gap = (joined.archive_date.epoch_days() - joined.churn_date.epoch_days()).abs()
    joined = joined.mutate(gap=gap).filter(gap <= lookback)
    window = ibis.window(group_by=["customer_id", "churn_date"], order_by=["gap"])
    joined = joined.mutate(rank=ibis.row_number().over(window))
    best = joined.filter(joined.rank == 0)
    frame = best.select("customer_id", "churn_date", "archive_reason").to_pandas()
    frame["archive_reason"] = recorded_reasons(frame["archive_reason"])
    return frame.dropna(subset=["archive_reason"])


def _voice(ws: Workspace, lost: ir.Table, last: date, lookback: int, after: int) -> pd.DataFrame:
    interactions = ws.table("interactions")
    voice = interactions.filter(interactions.kind.isin(list(VOICE_KINDS)),
                                interactions.ts < midnight(last))
    voice = voice.select(voice_customer=voice.customer_id, ts=voice.ts, kind=voice.kind,
                         text=voice.text, given=voice.reason)
    joined = lost.inner_join(voice, lost.customer_id == voice.voice_customer)
    since = (joined.churn_date - ibis.interval(days=lookback)).cast("timestamp")
    until = (joined.churn_date + ibis.interval(days=after)).cast("timestamp")
    joined = joined.filter((joined.ts >= since) & (joined.ts < until))
    return joined.select("customer_id", "churn_date", "ts", "kind", "text", "given").to_pandas()


def recorded_reasons(values: pd.Series, taxonomy: Taxonomy | None = None) -> pd.Series:
    """Recorded reasons as codes: codes or English/Chinese names map to their code, other
    text is kept trimmed and lower-cased, blanks become None.

    Examples
    --------
    >>> recorded_reasons(pd.Series([" Price", "价格因素", "", None, "Weather"])).tolist()
    ['price', 'price', None, None, 'weather']
    """
    tax = taxonomy or default_taxonomy()
    text = values.astype("string").str.strip()
    codes = [None if pd.isna(v) or v == "" else (tax.code_for(v) or v.lower()) for v in text]
    return pd.Series(codes, index=values.index, dtype=object)


def fill_reasons(given: pd.Series, texts: pd.Series, *, model: ReasonClassifier | None = None,
                 taxonomy: Taxonomy | None = None) -> pd.Series:
    """Recorded reasons (:func:`recorded_reasons`), else the reason read from ``texts``; None
    when neither exists or the text says nothing the lexicon understands. Each distinct text is
    classified once.

    Examples
    --------
    >>> fill_reasons(pd.Series([" Price", None, None, None]),
    ...              pd.Series(["x", "太贵了", "谢谢", None])).tolist()
    ['price', 'price', None, None]
    """
    reasons = recorded_reasons(given, taxonomy)
    missing = reasons.isna() & texts.notna()
    unique = texts[missing].astype(str).unique()
    if len(unique):
        read = classify(list(unique), model=model)
        understood = read["reason"].where(read["confidence"] > 0, None)
        lookup = dict(zip(unique, understood, strict=True))
        reasons[missing] = texts[missing].astype(str).map(lookup)
    return reasons.where(reasons.notna(), None)


def _voice_reasons(voice: pd.DataFrame, model: ReasonClassifier | None) -> pd.DataFrame:
    """One reason per churn from exit surveys, else complaints (see the module notes)."""
    voice = voice.assign(reason=fill_reasons(voice["given"], voice["text"], model=model))
    voice = voice.dropna(subset=["reason"])
    keys = ["customer_id", "churn_date"]
    tally = voice.groupby(keys + ["kind", "reason"], as_index=False).agg(
        mentions=("ts", "size"), latest=("ts", "max"))
    tally["kind_rank"] = (tally["kind"] != "exit_survey").astype(int)
    exit_rows = tally["kind"] == "exit_survey"
    tally.loc[exit_rows, "mentions"] = 0  # exit surveys: the latest answer decides
    tally = tally.sort_values(keys + ["kind_rank", "mentions", "latest"],
                              ascending=[True, True, True, False, False], kind="stable")
    best = tally.drop_duplicates(keys)
    return best[keys + ["reason", "kind"]].rename(columns={"reason": "voice_reason"})


def churn_reasons(ws: Workspace, start: date | datetime | str, end: date | datetime | str, *,
                  churn: ChurnDefinition | None = None, model: ReasonClassifier | None = None,
                  by: str | None = None, lookback_days: int = LOOKBACK_DAYS,
                  after_days: int = AFTER_DAYS) -> pd.DataFrame:
    """One row per churn in ``[start, end)`` with its reason and lost revenue.

    Returns
    -------
    DataFrame
        ``customer_id, churn_date, reason, reason_source`` (``archive``, ``exit_survey``,
        ``complaint`` or ``none``), ``lost_revenue`` and the ``by`` column when given,
        sorted by ``churn_date, customer_id``.
    """
    first, last = check_window(start, end)
    lost = _churn_events(ws, first, last, churn)
    detail = _lost_revenue(ws, lost, last, lookback_days)
    detail = with_customer_group(ws, detail, by).to_pandas()
    detail["churn_date"] = pd.to_datetime(detail["churn_date"])
    keys = ["customer_id", "churn_date"]
    archive = _archive_reasons(ws, lost, lookback_days)
    voice = _voice_reasons(_voice(ws, lost, last, lookback_days, after_days), model)
    for frame in (archive, voice):
        frame["churn_date"] = pd.to_datetime(frame["churn_date"])
    detail = detail.merge(archive, on=keys, how="left").merge(voice, on=keys, how="left")
    from_archive = detail["archive_reason"].notna()
    detail["reason"] = detail["archive_reason"].where(from_archive, detail["voice_reason"])
    detail["reason_source"] = np.where(from_archive, "archive", detail["kind"].fillna("none"))
    detail["reason"] = detail["reason"].fillna("other").astype(str)
    columns = DETAIL_COLUMNS + ([by] if by else [])
    detail = detail.rename(columns={"group": by} if by else {})[columns]
    return detail.sort_values(keys, kind="stable").reset_index(drop=True)


def pareto_table(detail: pd.DataFrame, *, by: str | None = None,
                 sort_by: str = "lost_revenue", taxonomy: Taxonomy | None = None) -> pd.DataFrame:
    """Aggregate :func:`churn_reasons` rows into a Pareto table (see :func:`reason_pareto`).

    Examples
    --------
    >>> detail = pd.DataFrame({"customer_id": ["a", "b", "c"], "reason": ["price", "price",
    ...     "service"], "lost_revenue": [100.0, 50.0, 250.0]})
    >>> pareto_table(detail)[["reason", "label_zh", "customers", "lost_revenue",
    ...     "cumulative_revenue_share"]].values.tolist()
    [['service', '服务不到位', 1, 250.0, 0.625], ['price', '价格因素', 2, 150.0, 1.0]]
    """
    if sort_by not in ("lost_revenue", "customers"):
        raise ConfigError(f"sort_by={sort_by!r}: use 'lost_revenue' or 'customers'.")
    keys = ([by] if by else []) + ["reason"]
    table = detail.groupby(keys, as_index=False, dropna=False).agg(
        customers=("customer_id", "size"), lost_revenue=("lost_revenue", "sum"))
    other = "customers" if sort_by == "lost_revenue" else "lost_revenue"
    table = table.sort_values(keys[:-1] + [sort_by, other, "reason"],
                              ascending=[True] * (len(keys) - 1) + [False, False, True],
                              kind="stable").reset_index(drop=True)
    grouped = table.groupby(table[by] if by else np.zeros(len(table)), sort=False)
    for measure, share in (("customers", "customer_share"), ("lost_revenue", "revenue_share")):
        total = grouped[measure].transform("sum").astype("float64")
        total = total.where(total != 0)
        table[share] = table[measure] / total
        table[f"cumulative_{share}"] = grouped[measure].cumsum() / total
    tax = taxonomy or default_taxonomy()
    table.insert(len(keys), "label_en", [tax.label(r) for r in table["reason"]])
    table.insert(len(keys) + 1, "label_zh", [tax.label(r, lang="zh") for r in table["reason"]])
    table["customers"] = table["customers"].astype("int64")
    table["lost_revenue"] = table["lost_revenue"].astype("float64")
    return table.reset_index(drop=True)


def reason_pareto(ws: Workspace, start: date | datetime | str, end: date | datetime | str, *,
                  by: str | None = None, churn: ChurnDefinition | None = None,
                  model: ReasonClassifier | None = None, sort_by: str = "lost_revenue",
                  explained_only: bool = False) -> pd.DataFrame:
    """Churned customers and lost revenue per reason, largest first, with cumulative shares.

    Churns with no reason anywhere count as ``other``; with ``explained_only=True`` they are
    left out, so the shares are of the churns whose reason is known.

    Returns
    -------
    DataFrame
        ``[by], reason, label_en, label_zh, customers, lost_revenue, customer_share,
        cumulative_customer_share, revenue_share, cumulative_revenue_share``; rows sorted by
        ``sort_by`` (``lost_revenue`` or ``customers``) within each ``by`` group, and the
        cumulative shares run in that order.
    """
    detail = churn_reasons(ws, start, end, churn=churn, model=model, by=by)
    if explained_only:
        detail = detail[detail["reason_source"] != "none"]
    return pareto_table(detail, by=by, sort_by=sort_by, taxonomy=workspace_taxonomy(ws))
