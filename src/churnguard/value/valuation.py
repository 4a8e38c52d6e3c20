"""One entry point for the value of every customer: :func:`customer_value`.

It reads the RFM summary and the spend summary in one engine query, fits BG/NBD on the
purchase patterns, chooses the spend model (:func:`~churnguard.value.spend.fit_spend_model`)
and returns CLV, the value if the customer stays, and the fits' warnings as data.

Segments: when the customers table has a ``segment`` column, customers of different segments
(consumers, small businesses, enterprises) buy at very different rates and amounts, which one
pooled BG/NBD spreads over everyone. Then each segment with at least
``MIN_SEGMENT_CUSTOMERS`` buyers and a trustworthy fit (no diagnostic) gets its own BG/NBD;
the other customers use the pooled fit. The shrinkage spend estimator shrinks toward the
segment's mean. Without segments everything is pooled.
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
from churnguard.value.spend import ShrinkageSpend, fit_spend_model

MIN_SEGMENT_CUSTOMERS = 500
"""Fewest buyers for a segment's own BG/NBD fit."""
SEGMENT = "segment"

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


def _segments_of(source: Any, segment_col: str | None) -> Any:
    """``customer_id, segment`` from the customers table, or None when there is none."""
    if segment_col is None:
        return None
    has = (source.has_table("customers") if hasattr(source, "has_table")
           else isinstance(source, dict) and "customers" in source)
    if not has:
        return None
    customers = table_of(source, "customers")
    if segment_col not in customers.columns:
        return None
    return customers.select(customer_id=customers.customer_id.cast("string"),
                            segment=customers[segment_col].cast("string"))


def value_inputs(source: Any, *, as_of: date | datetime | str, time_unit: str = "W",
                 segment_col: str | None = SEGMENT) -> pd.DataFrame:
    """The RFM summary (``frequency, recency, T, monetary``) and the spend summary
    (``purchases, mean_log_spend, log_spend_ss, mean_spend``) of every buyer before ``as_of``,
    from one engine query, sorted by ``customer_id``; ``attrs["time_unit"]`` is set. With a
    customers table that has ``segment_col``, a ``segment`` column too.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "order_date": pd.to_datetime(["2024-01-01", "2024-01-15", "2024-01-08"]),
    ...     "amount": [10.0, 40.0, 8.0]})
    >>> value_inputs(orders, as_of="2024-02-01")[["customer_id", "frequency", "purchases"]]
      customer_id  frequency  purchases
    0           a        1.0          2
    1           b        0.0          1
    """
    table = rfm_table(source, as_of=as_of, time_unit=time_unit, spend=True)
    joined = table.select(*RFM_COLUMNS, purchases=table.spend_purchases,
                          mean_log_spend=table.mean_log_spend,
                          log_spend_ss=table.log_spend_ss, mean_spend=table.mean_spend)
    segments = _segments_of(source, segment_col)
    if segments is not None:
        joined = joined.left_join(segments, "customer_id").drop("customer_id_right")
    frame = joined.order_by("customer_id").to_pandas()
    frame = frame.astype({"frequency": "float64", "recency": "float64", "T": "float64",
                          "monetary": "float64", "mean_log_spend": "float64",
                          "log_spend_ss": "float64", "mean_spend": "float64"})
    frame["purchases"] = frame["purchases"].fillna(0).astype("int64")
    frame.attrs.update(time_unit=time_unit, as_of=str(to_date(as_of)))
    return frame.reset_index(drop=True)


@dataclass
class ValueFit:
    """The fitted models behind :func:`customer_value` (None when a fit was impossible).

    ``purchase_model`` is the pooled BG/NBD; ``segment_models`` maps a segment to its own
    BG/NBD (empty without segments).
    """

    data: pd.DataFrame
    purchase_model: BetaGeo | None
    spend_model: GammaGamma | ShrinkageSpend | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    segment_models: dict[str, BetaGeo] = field(default_factory=dict)

    def groups(self) -> list[tuple[BetaGeo, np.ndarray]]:
        """``(model, row positions)`` covering every row of ``data`` once."""
        if self.purchase_model is None:
            return []
        rows = np.arange(len(self.data))
        if not self.segment_models:
            return [(self.purchase_model, rows)]
        segment = self.data[SEGMENT].to_numpy()
        own = np.isin(segment, list(self.segment_models))
        found = [(model, rows[segment == name]) for name, model in self.segment_models.items()]
        return [*found, (self.purchase_model, rows[~own])]

    def predict_purchases(self, t: float) -> np.ndarray:
        """Expected purchases of every row in the next ``t`` model time units."""
        result = np.full(len(self.data), np.nan)
        for model, rows in self.groups():
            result[rows] = model.predict_purchases(t, self.data.iloc[rows]).to_numpy()
        return result

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
        for name, model in self.segment_models.items():
            parts.append(model.summary().assign(model=f"BG/NBD ({name})"))
        if self.spend_model is not None:
            name = {"gamma_gamma": "Gamma-Gamma", "shrinkage": "Spend shrinkage (log)"}
            parts.append(self.spend_model.summary().assign(model=name[self.estimator]))
        columns = ["model", "parameter", "estimate", "std_error", "lower_95", "upper_95",
                   "identified"]
        if not parts:
            return pd.DataFrame(columns=columns)
        return pd.concat(parts).reset_index()[columns]


def _usable(model: BetaGeo) -> bool:
    """A segment's fit is used unless it ran to extreme parameters or a parameter's 95%
    interval spans more than two orders of magnitude (a wide but bounded interval of a or b
    alone is common and harmless: predictions depend mostly on a / (a + b))."""
    return not any(d.code != "not_identified" or not d.span <= 100
                   for d in model.diagnostics_)


def _segment_models(data: pd.DataFrame, min_customers: int,
                    found: list[Diagnostic]) -> dict[str, BetaGeo]:
    """A BG/NBD per large segment; a segment whose own fit fails or is not usable uses the
    pooled one. Every segment fit's diagnostics are added to ``found``."""
    if SEGMENT not in data.columns:
        return {}
    models = {}
    counts = data[SEGMENT].value_counts()
    large = sorted(str(name) for name in counts[counts >= min_customers].index)
    if len(large) < 2 and len(large) == counts.size:  # one segment: the pooled fit is its fit
        return {}
    for name in large:
        part = data[data[SEGMENT] == name]
        try:
            model = BetaGeo().fit(part)
        except ChurnguardError:
            continue
        use = _usable(model)
        note = "own fit used" if use else "pooled fit used instead"
        found += [Diagnostic(d.code, f"segment {name} ({note}): {d.message}", d.model,
                             d.parameter, d.span) for d in model.diagnostics_]
        if use:
            models[name] = model
    return models


def fit_value_models(data: pd.DataFrame, *,
                     min_segment: int = MIN_SEGMENT_CUSTOMERS) -> ValueFit:
    """Fit BG/NBD (pooled and per segment) and the spend model on :func:`value_inputs`; a
    fit that the data cannot support is left None with a ``no_fit`` diagnostic (emitted as
    a FitWarning).

    Examples
    --------
    >>> import warnings
    >>> orders = pd.DataFrame({"customer_id": ["a", "b", "c"],
    ...     "order_date": pd.to_datetime(["2024-01-02", "2024-01-05", "2024-01-09"]),
    ...     "amount": [70.0, 20.0, 40.0]})
    >>> with warnings.catch_warnings(record=True):  # nobody bought twice: no BG/NBD
    ...     fit = fit_value_models(value_inputs(orders, as_of="2024-03-01"))
    >>> fit.purchase_model is None, fit.estimator, fit.diagnostics[0].code
    (True, 'shrinkage', 'no_fit')
    """
    found: list[Diagnostic] = []
    purchase = spend = None
    segments: dict[str, BetaGeo] = {}
    if len(data):
        try:
            purchase = BetaGeo().fit(data)
            found += purchase.diagnostics_
        except ChurnguardError as error:
            found.append(Diagnostic("no_fit", f"BetaGeo could not be fitted: {error}",
                                    "BetaGeo"))
            emit(found[-1:], stacklevel=2)
        if purchase is not None:
            segments = _segment_models(data, min_segment, found)
        try:
            spend = fit_spend_model(data, segment_col=SEGMENT if SEGMENT in data else None)
            found += spend.diagnostics_
            gamma_gamma = getattr(spend, "gamma_gamma_", None)
            if gamma_gamma is not None:
                found += gamma_gamma.diagnostics_
        except ChurnguardError as error:
            found.append(Diagnostic("no_fit", f"no spend model could be fitted: {error}",
                                    "spend"))
            emit(found[-1:], stacklevel=2)
    return ValueFit(data, purchase, spend, found, segments)


def customer_value(source: Any, as_of: date | datetime | str, *, months: int = 12,
                   margin: float | None = None, discount_rate: float = 0.01,
                   time_unit: str = "W", segment_col: str | None = SEGMENT) -> pd.DataFrame:
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
    segment_col
        Column of the customers table whose segments get their own BG/NBD and spend mean
        (see the module text); None pools everyone.

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
    data = value_inputs(source, as_of=cutoff, time_unit=time_unit, segment_col=segment_col)
    if margin is None:
        margin = gross_margin(source, cutoff - timedelta(days=365), cutoff)
    fit = fit_value_models(data)
    return value_frame(fit, months=months, margin=margin, discount_rate=discount_rate)


def value_frame(fit: ValueFit, *, months: int, margin: float,
                discount_rate: float) -> pd.DataFrame:
    """The :func:`customer_value` frame of fitted models (see there)."""
    data = fit.data
    if fit.purchase_model is not None and fit.spend_model is not None:
        parts = []
        for model, rows in fit.groups():
            part = data.iloc[rows]
            parts.append(clv(model, fit.spend_model, months=months, margin=margin,
                             discount_rate=discount_rate, data=part,
                             time_unit=data.attrs.get("time_unit", "W")).set_index(rows))
        frame = pd.concat(parts).sort_index().reset_index(drop=True)
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
