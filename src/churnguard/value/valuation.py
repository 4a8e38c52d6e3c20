"""One entry point for the value of every customer: :func:`customer_value`.

It reads the RFM summary and the spend summary in one engine query, fits BG/NBD on the
purchase patterns, chooses the spend model (:func:`~churnguard.value.spend.fit_spend_model`)
and returns CLV, the value if the customer stays, and the fits' warnings as data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from churnguard.errors import ChurnguardError
from churnguard.value._data import table_of, to_date
from churnguard.value.beta_geo import BetaGeo
from churnguard.value.clv import clv
from churnguard.value.diagnostics import Diagnostic, emit
from churnguard.value.gamma_gamma import GammaGamma
from churnguard.value.rfm import RFM_COLUMNS, rfm_table
from churnguard.value.spend import ShrinkageSpend, fit_spend_model, spend_table

VALUE_COLUMNS = ["customer_id", "p_alive", "expected_purchases",
                 "expected_purchases_if_retained", "expected_spend", "margin", "clv",
                 "value_if_retained", "spend_estimator"]


def gross_margin(ws: Any, start: date, end: date) -> float:
    """Σ(amount − cost) / Σ amount over orders in ``[start, end)`` that carry a cost; 1.0
    when no order does (CLV is then revenue, not margin)."""
    orders = table_of(ws, "orders")
    if "cost" not in orders.columns:
        return 1.0
    day = orders.order_date.cast("date")
    costed = orders.filter(day >= start, day < end, orders.cost.notnull())
    totals = costed.aggregate(amount=costed.amount.sum(), cost=costed.cost.sum()).to_pandas()
    amount, cost = totals["amount"].iloc[0], totals["cost"].iloc[0]
    if pd.isna(amount) or amount <= 0:
        return 1.0
    return float(min(max((amount - cost) / amount, 0.0), 1.0))


def value_inputs(source: Any, *, as_of: date | datetime | str,
                 time_unit: str = "W") -> pd.DataFrame:
    """The RFM summary (``frequency, recency, T, monetary``) and the spend summary
    (``purchases, mean_log_spend, log_spend_ss, mean_spend``) of every buyer before ``as_of``,
    from one engine query, sorted by ``customer_id``; ``attrs["time_unit"]`` is set."""
    rfm = rfm_table(source, as_of=as_of, time_unit=time_unit).select(RFM_COLUMNS)
    spend = spend_table(source, as_of=as_of)
    joined = rfm.left_join(spend, "customer_id").drop("customer_id_right")
    frame = joined.order_by("customer_id").to_pandas()
    frame = frame.astype({"frequency": "float64", "recency": "float64", "T": "float64",
                          "monetary": "float64", "mean_log_spend": "float64",
                          "log_spend_ss": "float64", "mean_spend": "float64"})
    frame["purchases"] = frame["purchases"].fillna(0).astype("int64")
    frame.attrs.update(time_unit=time_unit, as_of=str(to_date(as_of)))
    return frame.reset_index(drop=True)


@dataclass
class ValueFit:
    """The fitted models behind :func:`customer_value` (None when a fit was impossible)."""

    data: pd.DataFrame
    purchase_model: BetaGeo | None
    spend_model: GammaGamma | ShrinkageSpend | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def estimator(self) -> str:
        """``"gamma_gamma"``, ``"shrinkage"`` or ``"none"``."""
        return getattr(self.spend_model, "estimator_", "none")

    def parameters(self) -> pd.DataFrame:
        """Both models' ``summary()`` stacked: ``model, parameter, estimate, std_error,
        lower_95, upper_95, identified``."""
        parts = []
        if self.purchase_model is not None:
            parts.append(self.purchase_model.summary().assign(model="BG/NBD"))
        if self.spend_model is not None:
            name = {"gamma_gamma": "Gamma-Gamma", "shrinkage": "Spend shrinkage (log)"}
            parts.append(self.spend_model.summary().assign(model=name[self.estimator]))
        columns = ["model", "parameter", "estimate", "std_error", "lower_95", "upper_95",
                   "identified"]
        if not parts:
            return pd.DataFrame(columns=columns)
        return pd.concat(parts).reset_index()[columns]


def fit_value_models(data: pd.DataFrame) -> ValueFit:
    """Fit BG/NBD and the spend model on :func:`value_inputs`; a fit that the data cannot
    support is left None with a ``no_fit`` diagnostic (emitted as a FitWarning)."""
    found: list[Diagnostic] = []
    purchase = spend = None
    if len(data):
        try:
            purchase = BetaGeo().fit(data)
            found += purchase.diagnostics_
        except ChurnguardError as error:
            found.append(Diagnostic("no_fit", f"BetaGeo could not be fitted: {error}",
                                    "BetaGeo"))
            emit(found[-1:], stacklevel=2)
        try:
            spend = fit_spend_model(data)
            found += spend.diagnostics_
            gamma_gamma = getattr(spend, "gamma_gamma_", None)
            if gamma_gamma is not None:
                found += gamma_gamma.diagnostics_
        except ChurnguardError as error:
            found.append(Diagnostic("no_fit", f"no spend model could be fitted: {error}",
                                    "spend"))
            emit(found[-1:], stacklevel=2)
    return ValueFit(data, purchase, spend, found)


def customer_value(source: Any, as_of: date | datetime | str, *, months: int = 12,
                   margin: float | None = None, discount_rate: float = 0.01,
                   time_unit: str = "W") -> pd.DataFrame:
    """CLV and value if retained of every customer who bought before ``as_of``.

    BG/NBD (fitted on purchase patterns) gives p_alive and expected purchases; the spend per
    purchase comes from Gamma-Gamma when it can be trusted, else from the shrinkage estimator
    (:func:`~churnguard.value.spend.fit_spend_model`). Fit problems are emitted as
    :class:`~churnguard.value.FitWarning` and also returned in ``attrs["warnings"]``.

    Parameters
    ----------
    source
        A Workspace, a dict of tables or one orders table (ibis or pandas).
    as_of
        Only orders before this date count.
    months
        Horizon in months (of 365.25/12 days).
    margin
        Share of revenue kept; by default :func:`gross_margin` over the 365 days before
        ``as_of`` (1.0 without order costs).
    discount_rate
        Per month.
    time_unit
        Model time unit (``"D"``, ``"W"`` or ``"M"``); predictions do not depend on it
        beyond rounding.

    Returns
    -------
    pandas.DataFrame
        ``customer_id, p_alive, expected_purchases, expected_purchases_if_retained,
        expected_spend, margin, clv, value_if_retained, spend_estimator``, sorted by
        ``customer_id``; ``attrs["warnings"]`` (the FitWarning messages), ``attrs["estimator"]``
        (``"gamma_gamma"``, ``"shrinkage"`` or ``"none"``) and ``attrs["spend_reason"]``.
        It never raises for data reasons: without buyers the frame is empty; when BG/NBD
        cannot be fitted (e.g. nobody bought twice) ``p_alive``, the purchase columns,
        ``clv`` and ``value_if_retained`` are NaN while ``expected_spend`` is still filled;
        when no spend model can be fitted either (no positive amounts) it is NaN too.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": list("aaabbc") * 3,
    ...     "order_date": pd.date_range("2024-01-01", periods=18, freq="9D"),
    ...     "amount": [20.0, 35, 15, 60, 80, 12] * 3})
    >>> values = customer_value(orders, "2024-07-01", months=6, margin=0.3)
    >>> list(values["customer_id"]), values.attrs["estimator"]
    (['a', 'b', 'c'], 'shrinkage')
    >>> bool((values["value_if_retained"] >= values["clv"]).all())
    True
    """
    cutoff = to_date(as_of)
    data = value_inputs(source, as_of=cutoff, time_unit=time_unit)
    if margin is None:
        margin = gross_margin(source, cutoff - timedelta(days=365), cutoff)
    fit = fit_value_models(data)
    return value_frame(fit, months=months, margin=margin, discount_rate=discount_rate)


def value_frame(fit: ValueFit, *, months: int, margin: float,
                discount_rate: float) -> pd.DataFrame:
    """The :func:`customer_value` frame of fitted models (see there)."""
    data = fit.data
    if fit.purchase_model is not None and fit.spend_model is not None:
        frame = clv(fit.purchase_model, fit.spend_model, months=months, margin=margin,
                    discount_rate=discount_rate, data=data,
                    time_unit=data.attrs.get("time_unit", "W"))
    else:
        nan = np.full(len(data), np.nan)
        spend = (fit.spend_model.expected_spend(data).to_numpy()
                 if fit.spend_model is not None else nan)
        frame = pd.DataFrame({"customer_id": data["customer_id"].to_numpy(), "p_alive": nan,
                              "expected_purchases": nan, "expected_spend": spend,
                              "clv": nan, "expected_purchases_if_retained": nan,
                              "value_if_retained": nan})
    frame["margin"] = float(margin)
    frame["spend_estimator"] = fit.estimator
    frame = frame[VALUE_COLUMNS]
    frame.attrs.update(warnings=[d.message for d in fit.diagnostics], estimator=fit.estimator,
                       spend_reason=getattr(fit.spend_model, "reason_", ""),
                       as_of=data.attrs.get("as_of"))
    return frame
