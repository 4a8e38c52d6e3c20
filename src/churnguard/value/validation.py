"""Holdout check of the value model: :func:`validate_clv`.

Calibrate on the orders before ``calibration_end``, predict each calibration customer's
revenue over ``[calibration_end, calibration_end + months)`` (margin 1, no discount, the
horizon is the window's exact length in days) and compare it with what they actually spent,
decile by decile of the prediction. The naive forecast "each customer spends what they spent
in the previous window of the same length" is measured beside it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from churnguard.errors import SchemaError
from churnguard.value._base import DAYS_PER_UNIT
from churnguard.value._data import table_of, to_date
from churnguard.value.valuation import SEGMENT, fit_value_models, value_inputs

VALIDATION_COLUMNS = ["decile", "customers", "predicted_revenue", "actual_revenue", "error",
                      "baseline_revenue", "baseline_error"]


def window_revenue(source: Any, start: date, end: date) -> pd.DataFrame:
    """``customer_id, revenue``: each customer's purchases (amount ≥ 0; returns are not
    purchases, as in ``rfm_summary``) with ``start <= order day < end``."""
    orders = table_of(source, "orders")
    rows = orders.select(customer_id=orders.customer_id.cast("string"),
                         day=orders.order_date.cast("date"),
                         amount=orders.amount.cast("float64"))
    rows = rows.filter(rows.day >= start, rows.day < end, rows.amount >= 0)
    return rows.group_by("customer_id").aggregate(revenue=rows.amount.sum()).to_pandas()


def _deciles(score: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Decile 1 = the highest tenth of ``score`` (ties broken by customer id)."""
    order = np.lexsort((ids, -score))
    rank = np.empty(len(score), dtype=np.int64)
    rank[order] = np.arange(len(score))
    return rank * 10 // max(len(score), 1) + 1


def _error(predicted: float, actual: float) -> float:
    return predicted / actual - 1 if actual else float("nan")


def _figures(predicted: np.ndarray, actual: np.ndarray, decile: np.ndarray,
             one_time: np.ndarray) -> dict[str, float]:
    errors = [_error(predicted[decile == d].sum(), actual[decile == d].sum())
              for d in range(1, 11) if (decile == d).any()]
    return {"total_error": _error(predicted.sum(), actual.sum()),
            "one_time_error": _error(predicted[one_time].sum(), actual[one_time].sum()),
            "mean_decile_abs_error": float(np.nanmean(np.abs(errors))) if errors
            else float("nan")}


def validate_clv(source: Any, calibration_end: date | datetime | str, *,
                 months: int = 6, segment_col: str | None = SEGMENT) -> pd.DataFrame:
    """Predicted against actual revenue of the calibration customers, per predicted decile.

    Parameters
    ----------
    source
        A Workspace, a dict of tables or one orders table.
    calibration_end
        The models see orders before this day; the holdout window starts on it.
    months
        Length of the holdout window in calendar months (the baseline window before
        ``calibration_end`` has the same length).
    segment_col
        As in :func:`~churnguard.value.customer_value`: the models are the ones it uses.

    Returns
    -------
    pandas.DataFrame
        ``decile, customers, predicted_revenue, actual_revenue, error, baseline_revenue,
        baseline_error``: rows for deciles 1–10 (1 = highest predicted), then ``"total"``
        and ``"one_time"`` (customers with a single purchase at calibration). ``error`` is
        ``predicted / actual − 1``; ``baseline_revenue`` is the same customers' revenue in the
        window before. Customers who first bought in the holdout window are not counted.
        ``attrs``: ``summary`` and ``baseline`` (``total_error``, ``one_time_error``,
        ``mean_decile_abs_error``; the baseline's deciles are its own ranking),
        ``calibration_end``, ``end``, ``baseline_start``, ``estimator`` and ``warnings``.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": list("aaabbc") * 4,
    ...     "order_date": pd.date_range("2024-01-01", periods=24, freq="9D"),
    ...     "amount": [20.0, 35, 15, 60, 80, 12] * 4})
    >>> table = validate_clv(orders, "2024-05-01", months=2)
    >>> table["decile"].tolist()[-2:]
    ['total', 'one_time']
    >>> float(table.set_index("decile").loc["total", "actual_revenue"])
    237.0
    """
    if months < 1:
        raise SchemaError(f"months must be at least 1; received {months}.")
    cutoff = to_date(calibration_end)
    end = (pd.Timestamp(cutoff) + pd.DateOffset(months=months)).date()
    start = (pd.Timestamp(cutoff) - pd.DateOffset(months=months)).date()
    data = value_inputs(source, as_of=cutoff, time_unit="W", segment_col=segment_col)
    if data.empty:
        raise SchemaError(f"validate_clv: no customer bought before {cutoff}; pick a later "
                          f"calibration_end.")
    fit = fit_value_models(data)
    if fit.purchase_model is None or fit.spend_model is None:
        raise SchemaError(f"validate_clv: the models cannot be fitted on the orders before "
                          f"{cutoff} ({'; '.join(d.message for d in fit.diagnostics)}). Pick "
                          f"a later calibration_end.")
    horizon = (end - cutoff).days / DAYS_PER_UNIT["W"]
    predicted = fit.predict_purchases(horizon) * fit.spend_model.expected_spend(data).to_numpy()
    ids = data["customer_id"].to_numpy()
    actual = _lookup(window_revenue(source, cutoff, end), ids)
    baseline = _lookup(window_revenue(source, start, cutoff), ids)
    one_time = data["frequency"].to_numpy() == 0
    decile = _deciles(predicted, ids)
    rows = []
    for label, mask in [*[(d, decile == d) for d in range(1, 11)], ("total", slice(None)),
                        ("one_time", one_time)]:
        p, a, b = predicted[mask].sum(), actual[mask].sum(), baseline[mask].sum()
        rows.append((label, int(np.count_nonzero(np.ones(len(ids))[mask])), float(p),
                     float(a), _error(p, a), float(b), _error(b, a)))
    table = pd.DataFrame(rows, columns=VALIDATION_COLUMNS)
    table["decile"] = table["decile"].astype(str)
    table.attrs.update(
        summary=_figures(predicted, actual, decile, one_time),
        baseline=_figures(baseline, actual, _deciles(baseline, ids), one_time),
        calibration_end=str(cutoff), end=str(end), baseline_start=str(start),
        estimator=fit.estimator, warnings=[d.message for d in fit.diagnostics])
    return table


def _lookup(revenue: pd.DataFrame, ids: np.ndarray) -> np.ndarray:
    series = revenue.set_index("customer_id")["revenue"]
    return series.reindex(ids).fillna(0.0).to_numpy(dtype=float)
