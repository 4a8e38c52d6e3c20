"""RFM scores (1–5) and named customer segments, computed in the engine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import ibis
import pandas as pd

from churnguard.value.rfm import rfm_table


@dataclass(frozen=True)
class SegmentRule:
    """A named segment: inclusive score ranges for R, F and M. Rules apply in order."""

    name: str
    label: str
    r: tuple[int, int] = (1, 5)
    f: tuple[int, int] = (1, 5)
    m: tuple[int, int] = (1, 5)


DEFAULT_RULES: tuple[SegmentRule, ...] = (
    SegmentRule("champions", "冠军客户", r=(4, 5), f=(4, 5)),
    SegmentRule("loyal", "忠诚客户", r=(3, 5), f=(3, 5)),
    SegmentRule("new", "新客户", r=(4, 5), f=(1, 1)),
    SegmentRule("potential", "潜力客户", r=(3, 5), f=(1, 2)),
    SegmentRule("can't lose", "不能失去的客户", r=(1, 2), f=(4, 5), m=(4, 5)),
    SegmentRule("at risk", "流失风险客户", r=(1, 2), f=(3, 5)),
    SegmentRule("hibernating", "沉睡客户", r=(2, 2), f=(1, 2)),
    SegmentRule("lost", "已流失客户", r=(1, 1), f=(1, 2)),
)
"""Segments that cover every (R, F) pair; ``can't lose`` also needs a high M score."""


def _score(column: ibis.Value) -> ibis.Value:
    """1–5 by percent rank (ties share a score; the lowest values score 1)."""
    rank = ibis.percent_rank().over(order_by=column)
    return ibis.least(5, (rank * 5).floor().cast("int64") + 1)


def _in(score: ibis.Value, bounds: tuple[int, int]) -> ibis.Value:
    return score.between(bounds[0], bounds[1])


def rfm_scores(source: Any, *, as_of: date | datetime | str,
               rules: Sequence[SegmentRule] = DEFAULT_RULES,
               customer_id_col: str = "customer_id", date_col: str = "order_date",
               amount_col: str = "amount") -> pd.DataFrame:
    """Recency, frequency and monetary scores 1–5 and a named segment per customer.

    R ranks days since the last purchase (fewer is better), F the number of purchase days,
    M the total spend, all before ``as_of``. Scores are quintiles of the percent rank; tied
    values share a score, so a mass of one-time buyers all get F = 1.

    Parameters
    ----------
    source
        A Workspace, an ``ibis.Table`` or a pandas DataFrame of orders.
    as_of
        Only orders strictly before this date count.
    rules
        Ordered :class:`SegmentRule` list; the first match names the segment (``other`` /
        其他 when none does). ``DEFAULT_RULES`` covers every R/F pair.

    Returns
    -------
    pandas.DataFrame
        ``customer_id, days_since_last, purchases, revenue, r_score, f_score, m_score,
        rfm_score, segment, segment_label`` sorted by ``customer_id``.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "order_date": pd.to_datetime(["2024-01-02", "2024-01-20", "2023-06-01"]),
    ...     "amount": [10.0, 30.0, 5.0]})
    >>> scores = rfm_scores(orders, as_of="2024-02-01")
    >>> scores[["customer_id", "rfm_score", "segment"]].values.tolist()
    [['a', '555', 'champions'], ['b', '111', 'lost']]
    """
    table = rfm_table(source, as_of=as_of, customer_id_col=customer_id_col,
                      date_col=date_col, amount_col=amount_col)
    scored = table.select(
        "customer_id", "days_since_last", "purchases", "revenue",
        r_score=_score(-table.days_since_last), f_score=_score(table.purchases),
        m_score=_score(table.revenue))
    cases = [(_in(scored.r_score, rule.r) & _in(scored.f_score, rule.f)
              & _in(scored.m_score, rule.m), rule) for rule in rules]
    name = ibis.cases(*[(cond, rule.name) for cond, rule in cases], else_="other")
    label = ibis.cases(*[(cond, rule.label) for cond, rule in cases], else_="其他")
    text = (scored.r_score.cast("string") + scored.f_score.cast("string")
            + scored.m_score.cast("string"))
    result = scored.mutate(rfm_score=text, segment=name, segment_label=label)
    frame = result.order_by("customer_id").to_pandas()
    return frame.astype({"r_score": "int64", "f_score": "int64", "m_score": "int64",
                         "purchases": "int64", "days_since_last": "int64"})


def segment_summary(scores: pd.DataFrame) -> pd.DataFrame:
    """Customers and revenue per segment of an :func:`rfm_scores` frame, largest first."""
    grouped = scores.groupby(["segment", "segment_label"], as_index=False).agg(
        customers=("customer_id", "size"), revenue=("revenue", "sum"))
    grouped["customer_share"] = grouped["customers"] / grouped["customers"].sum()
    grouped["revenue_share"] = grouped["revenue"] / grouped["revenue"].sum()
    return grouped.sort_values("customers", ascending=False, ignore_index=True)
