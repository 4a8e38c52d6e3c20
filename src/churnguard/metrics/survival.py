"""Customer lifetime curves (客户生命周期): Kaplan-Meier estimates of the time to churn.

Each customer's first spell is one observation: from the first purchase to its churn date
(an event) or, when still active at ``as_of``, to ``as_of`` (censored). The engine counts
customers by group, duration and outcome; lifelines fits the curves on those counts (as
weights), so a million customers cost a few thousand rows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import ibis
import pandas as pd

from churnguard.churn import ChurnDefinition, Inactivity, to_date
from churnguard.errors import ConfigError
from churnguard.io.schema import table_spec

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

ALL = "all"


@dataclass
class SurvivalCurves:
    """Kaplan-Meier results.

    Attributes
    ----------
    curves
        ``group, days, survival, lower, upper, at_risk, churned``: the share of customers
        still active ``days`` after their first purchase, with its confidence band.
    medians
        ``group, customers, churned, median_days, median_lower, median_upper``: the median
        lifetime (NaN/inf when more than half are still active) and its confidence interval.
    """

    curves: pd.DataFrame
    medians: pd.DataFrame


def lifetimes(ws: Workspace, *, as_of: date | datetime | str,
              churn: ChurnDefinition = Inactivity(180),  # noqa: B008 - frozen
              by: str | None = None) -> pd.DataFrame:
    """Counts of customers by ``group``, ``days`` (first spell length) and ``churned`` (bool)."""
    as_of = to_date(as_of)
    spells = churn.spells(ws, as_of)
    first = spells.filter(spells.kind == "new")
    stop = first.churn_date.fill_null(ibis.literal(as_of, type="date"))
    first = first.select("customer_id", days=stop.delta(first.spell_start, unit="day"),
                         churned=first.churn_date.notnull())
    if by is None:
        first = first.mutate(group=ibis.literal(ALL))
    else:
        if by not in table_spec("customers").column_names or by == "customer_id":
            columns = ", ".join(c for c in table_spec("customers").column_names
                                if c != "customer_id")
            raise ConfigError(f"by={by!r} is not a customers column. Use one of: {columns}.")
        customers = ws.table("customers")
        customers = customers.select("customer_id",
                                     group=customers[by].cast("string").fill_null("unknown"))
        first = first.left_join(customers, "customer_id").drop("customer_id_right")
    counts = first.group_by(["group", "days", "churned"]).aggregate(customers=first.count())
    return counts.to_pandas().sort_values(["group", "days", "churned"]).reset_index(drop=True)


def survival(ws: Workspace, *, as_of: date | datetime | str,
             churn: ChurnDefinition = Inactivity(180),  # noqa: B008 - frozen
             by: str | None = None, alpha: float = 0.05) -> SurvivalCurves:
    """Kaplan-Meier curves of time to churn per group, with confidence bands.

    Parameters
    ----------
    ws
        The workspace.
    as_of
        Only data before this date is used; active customers are censored here.
    churn
        The churn definition.
    by
        ``None`` (everyone) or a customers column (``"segment"``, ``"region"``, ``"channel"``…).
    alpha
        1 − confidence level of the bands (0.05 gives 95% bands).

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from churnguard import Workspace
    >>> ws = Workspace.create(tempfile.mkdtemp() + "/shop")
    >>> _ = ws.load("customers", pd.DataFrame({"customer_id": ["a", "b", "c"]}))
    >>> _ = ws.load("orders", pd.DataFrame({"order_id": ["1", "2", "3"],
    ...     "customer_id": ["a", "b", "c"], "amount": [1.0, 1.0, 1.0],
    ...     "order_date": ["2024-01-01", "2024-01-01", "2024-03-15"]}))
    >>> result = survival(ws, as_of="2024-04-01", churn=Inactivity(days=30))
    >>> result.medians[["customers", "churned", "median_days"]].to_dict("records")
    [{'customers': 3, 'churned': 2, 'median_days': 30.0}]
    """
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    counts = lifetimes(ws, as_of=as_of, churn=churn, by=by)
    curves, medians = [], []
    for group, data in counts.groupby("group", sort=True):
        kmf = KaplanMeierFitter(alpha=alpha)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kmf.fit(data["days"], data["churned"], weights=data["customers"], label=str(group))
        band = kmf.confidence_interval_survival_function_
        table = kmf.event_table
        curves.append(pd.DataFrame({
            "group": group,
            "days": kmf.survival_function_.index.to_numpy(),
            "survival": kmf.survival_function_.iloc[:, 0].to_numpy(),
            "lower": band.iloc[:, 0].to_numpy(),
            "upper": band.iloc[:, 1].to_numpy(),
            "at_risk": table["at_risk"].reindex(kmf.survival_function_.index).to_numpy(),
            "churned": table["observed"].reindex(kmf.survival_function_.index).to_numpy(),
        }))
        interval = median_survival_times(kmf.confidence_interval_).iloc[0]
        medians.append({
            "group": group,
            "customers": int(data["customers"].sum()),
            "churned": int(data.loc[data["churned"], "customers"].sum()),
            "median_days": float(kmf.median_survival_time_),
            "median_lower": float(interval.iloc[0]),
            "median_upper": float(interval.iloc[1]),
        })
    columns = ["group", "customers", "churned", "median_days", "median_lower", "median_upper"]
    return SurvivalCurves(
        curves=pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(
            columns=["group", "days", "survival", "lower", "upper", "at_risk", "churned"]),
        medians=pd.DataFrame(medians, columns=columns),
    )
