"""Spend per purchase that cannot explode: a robust estimator and the chooser.

Gamma-Gamma prices a customer without repeat purchases at its population mean ``p·v/(q−1)``;
when q is at or near 1 that mean is infinite or absurd and every one-time buyer is valued at
it. :class:`ShrinkageSpend` instead works from each customer's own purchases (all of them,
the first included) on the log scale:

- ``y_ij`` = log of purchase *j* of customer *i* (one purchase = one customer-day, as in
  :func:`~churnguard.value.rfm_summary`), ``n_i`` purchases, mean ``ȳ_i``;
- within-customer variance ``σ²`` = Σ_i Σ_j (y_ij − ȳ_i)² / Σ_i (n_i − 1) (pooled);
- segment mean ``μ`` = the mean of ``ȳ_i`` over the segment's customers (everyone's when no
  segments are given, and for segments with fewer than ``min_segment`` customers);
- between-customer variance ``τ²`` = max(0, Var(ȳ_i − μ_seg(i)) − mean(σ²/n_i)) (method of
  moments: the spread of customer means less what their own noise explains);
- each customer's log mean is shrunk toward μ: ``B_i = τ² / (τ² + σ²/n_i)``,
  ``θ_i = μ + B_i (ȳ_i − μ)``, posterior variance ``V_i = B_i σ²/n_i``;
- expected spend per purchase, the log-normal mean: ``exp(θ_i + V_i/2 + σ²/2)``.

:func:`fit_spend_model` fits Gamma-Gamma and keeps it only when it is trustworthy; see its
docstring for the rule.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import ibis
import numpy as np
import pandas as pd

from churnguard.errors import ChurnguardError, NotFittedError, SchemaError
from churnguard.value._base import output_index
from churnguard.value.diagnostics import Diagnostic
from churnguard.value.gamma_gamma import GammaGamma
from churnguard.value.rfm import purchase_days

SPEND_COLUMNS = ["customer_id", "purchases", "mean_log_spend", "log_spend_ss", "mean_spend"]
UNUSABLE = ("not_identified", "infinite_mean_spend", "absurd_mean_spend",
            "spend_frequency_correlated")
"""Gamma-Gamma diagnostics that make :func:`fit_spend_model` use the shrinkage estimator."""


def spend_table(source: Any, *, as_of: date | datetime | str,
                customer_id_col: str = "customer_id", date_col: str = "order_date",
                amount_col: str = "amount") -> ibis.Table:
    """:func:`spend_summary` as an Ibis expression (nothing runs until it is executed)."""
    days = purchase_days(source, as_of=as_of, customer_id_col=customer_id_col,
                         date_col=date_col, amount_col=amount_col)
    days = days.filter(days.amount > 0).mutate(log_amount=lambda t: t.amount.ln())
    return days.group_by("customer_id").aggregate(
        purchases=days.amount.count(), mean_log_spend=days.log_amount.mean(),
        log_spend_ss=(days.log_amount.var(how="pop") * days.amount.count()).fill_null(0.0),
        mean_spend=days.amount.mean())


def spend_summary(source: Any, *, as_of: date | datetime | str,
                  customer_id_col: str = "customer_id", date_col: str = "order_date",
                  amount_col: str = "amount") -> pd.DataFrame:
    """Per customer, the purchases with a positive value before ``as_of`` and their log spend.

    A purchase is a customer-day (orders on one day are summed), as in ``rfm_summary``, and
    the first purchase counts too.

    Returns
    -------
    pandas.DataFrame
        ``customer_id, purchases, mean_log_spend, log_spend_ss`` (Σ (log spend − mean)²) and
        ``mean_spend`` (arithmetic), sorted by ``customer_id``.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "order_date": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-02"]),
    ...     "amount": [10.0, 40.0, 8.0]})
    >>> row = spend_summary(orders, as_of="2024-02-01").iloc[0]
    >>> int(row["purchases"]), round(float(np.exp(row["mean_log_spend"])), 6)
    (2, 20.0)
    """
    table = spend_table(source, as_of=as_of, customer_id_col=customer_id_col,
                        date_col=date_col, amount_col=amount_col)
    frame = table.select(SPEND_COLUMNS).order_by("customer_id").to_pandas()
    return frame.astype({"purchases": "int64", "mean_log_spend": "float64",
                         "log_spend_ss": "float64", "mean_spend": "float64"})


class ShrinkageSpend:
    """Empirical-Bayes shrinkage of each customer's mean log spend (see the module text).

    Parameters
    ----------
    segment_col
        Column of the data holding each customer's segment; customers are shrunk toward
        their segment's mean (everyone's when None).
    min_segment
        Segments with fewer customers are shrunk toward everyone's mean instead.

    Attributes
    ----------
    mu_ : float
        Everyone's mean of the customer mean log spend.
    segment_means_ : pandas.Series
        μ per segment (empty without segments).
    within_var_, between_var_ : float
        σ² and τ².
    diagnostics_ : list
        Always empty: the estimator has no parameter that can fail to be identified.

    Examples
    --------
    >>> data = pd.DataFrame({"purchases": [2, 1, 3],
    ...                      "mean_log_spend": np.log([20.0, 10.0, 40.0]),
    ...                      "log_spend_ss": [0.5, 0.0, 0.3]})
    >>> model = ShrinkageSpend().fit(data)
    >>> round(model.within_var_, 4)  # (0.5 + 0.3) / (1 + 2)
    0.2667
    >>> bool(model.expected_spend(data).iloc[2] > model.expected_spend(data).iloc[1])
    True
    """

    estimator_ = "shrinkage"

    def __init__(self, *, segment_col: str | None = None, min_segment: int = 30) -> None:
        self.segment_col = segment_col
        self.min_segment = min_segment

    def fit(self, data: pd.DataFrame) -> ShrinkageSpend:
        """Fit on a :func:`spend_summary` (``purchases``, ``mean_log_spend``,
        ``log_spend_ss`` and the ``segment_col``)."""
        n, y, ss = _columns(data)
        segments = self._segments(data)
        keep = n > 0
        if not keep.any():
            raise SchemaError("ShrinkageSpend needs customers with a purchase of positive "
                              "value; none was found. Check the amount column.")
        n, y, ss = n[keep], y[keep], ss[keep]
        repeats = float((n - 1).sum())
        self.mu_ = float(y.mean())
        if segments is not None:
            labels = pd.Series(np.asarray(segments)[keep])
            sizes = labels.map(labels.value_counts())
            means = pd.Series(y).groupby(labels.to_numpy()).mean()
            counts = labels.value_counts()
            self.segment_means_ = means[counts.reindex(means.index) >= self.min_segment]
            centre = labels.map(self.segment_means_).where(sizes >= self.min_segment, self.mu_)
            centre = centre.to_numpy(dtype=float)
        else:
            self.segment_means_ = pd.Series(dtype=float)
            centre = np.full(len(y), self.mu_)
        deviation = y - centre
        if repeats > 0:
            self.within_var_ = float(ss.sum() / repeats)
            spread = float(np.mean(deviation**2)) if len(y) > 1 else 0.0
            self.between_var_ = max(spread - float(np.mean(self.within_var_ / n)), 0.0)
        else:  # nobody bought twice: within and between cannot be told apart
            self.within_var_ = float(np.mean(deviation**2))
            self.between_var_ = 0.0
        self.n_customers_ = int(len(y))
        self.diagnostics_: list[Diagnostic] = []
        self.reason_ = ""
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "mu_"):
            raise NotFittedError("This ShrinkageSpend is not fitted yet. Call "
                                 "ShrinkageSpend().fit(spend_summary(...)) first.")

    def _segments(self, data: pd.DataFrame) -> np.ndarray | None:
        if self.segment_col is None:
            return None
        if self.segment_col not in data.columns:
            raise SchemaError(f"ShrinkageSpend: segment_col={self.segment_col!r} is not a "
                              f"column of the data ({', '.join(map(str, data.columns))}).")
        return data[self.segment_col].astype(str).to_numpy()

    def expected_spend(self, data: pd.DataFrame) -> pd.Series:
        """Expected value of each customer's next purchase, ``exp(θ_i + V_i/2 + σ²/2)``;
        customers without a positive purchase get the prior mean ``exp(μ + τ²/2 + σ²/2)``."""
        self._check_fitted()
        n, y, _ss = _columns(data)
        segments = self._segments(data)
        centre = np.full(len(n), self.mu_)
        if segments is not None and len(self.segment_means_):
            mapped = pd.Series(np.asarray(segments)).map(self.segment_means_).to_numpy(float)
            centre = np.where(np.isnan(mapped), self.mu_, mapped)
        tau2, sigma2 = self.between_var_, self.within_var_
        with np.errstate(divide="ignore", invalid="ignore"):
            noise = np.where(n > 0, sigma2 / np.maximum(n, 1), np.inf)
            weight = np.where(n > 0, tau2 / (tau2 + noise), 0.0)
        weight = np.nan_to_num(weight, nan=1.0)  # τ² = σ² = 0: every purchase is the same
        theta = centre + weight * (np.nan_to_num(y) - centre)
        variance = np.where(n > 0, weight * np.where(np.isfinite(noise), noise, 0.0), tau2)
        return pd.Series(np.exp(theta + variance / 2 + sigma2 / 2), index=output_index(data),
                         name="expected_spend")

    def mean_spend(self) -> float:
        """The prior mean spend per purchase ``exp(μ + τ²/2 + σ²/2)``."""
        self._check_fitted()
        return float(np.exp(self.mu_ + self.between_var_ / 2 + self.within_var_ / 2))

    def summary(self) -> pd.DataFrame:
        """``mu`` (mean log spend), ``between_var`` (τ²), ``within_var`` (σ²): plain
        moments, without standard errors (the columns match the likelihood models')."""
        self._check_fitted()
        estimate = [self.mu_, self.between_var_, self.within_var_]
        frame = pd.DataFrame({"estimate": estimate, "std_error": np.nan, "lower_95": np.nan,
                              "upper_95": np.nan, "identified": True},
                             index=pd.Index(["mu", "between_var", "within_var"],
                                            name="parameter"))
        return frame

    def __repr__(self) -> str:
        if not hasattr(self, "mu_"):
            return "ShrinkageSpend(unfitted)"
        return (f"ShrinkageSpend(mu={self.mu_:.4g}, between_var={self.between_var_:.4g}, "
                f"within_var={self.within_var_:.4g})")


def _columns(data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    missing = [c for c in ("purchases", "mean_log_spend") if c not in data.columns]
    if missing:
        raise SchemaError(f"ShrinkageSpend: data lacks column(s) {', '.join(missing)}; use "
                          f"churnguard.value.spend_summary(orders, as_of=...) (merged with "
                          f"the RFM summary on customer_id).")
    n = data["purchases"].fillna(0).to_numpy(dtype=float)
    y = data["mean_log_spend"].to_numpy(dtype=float)
    ss = (data["log_spend_ss"].fillna(0).to_numpy(dtype=float) if "log_spend_ss" in data
          else np.zeros(len(n)))
    return n, y, ss


def fit_spend_model(data: pd.DataFrame, *, segment_col: str | None = None,
                    ) -> GammaGamma | ShrinkageSpend:
    """Gamma-Gamma when it can be trusted, else :class:`ShrinkageSpend`.

    Gamma-Gamma is fitted on the repeat buyers (its FitWarnings are emitted as usual) and
    kept only when none of its diagnostics is ``not_identified``, ``infinite_mean_spend``
    (q ≤ 1), ``absurd_mean_spend`` (population mean above twice the repeat buyers' observed
    mean spend) or ``spend_frequency_correlated`` (|Pearson| > 0.3), and it could be fitted at
    all (3 repeat buyers with positive spend). Otherwise the shrinkage estimator is used.

    Parameters
    ----------
    data
        The RFM summary merged with :func:`spend_summary` on ``customer_id``: ``frequency,
        monetary, purchases, mean_log_spend, log_spend_ss``.
    segment_col
        Column with each customer's segment, for the shrinkage estimator's means.

    Returns
    -------
    GammaGamma or ShrinkageSpend
        With ``estimator_`` (``"gamma_gamma"`` or ``"shrinkage"``), ``reason_`` (a sentence)
        and, for the shrinkage model, ``gamma_gamma_`` (the rejected fit, or None).

    Examples
    --------
    >>> data = pd.DataFrame({"frequency": [0, 1, 2, 1], "monetary": [0, 10.0, 12, 11],
    ...     "purchases": [1, 2, 3, 2], "mean_log_spend": np.log([70.0, 10, 12, 11]),
    ...     "log_spend_ss": [0.0, 0.1, 0.2, 0.1]})
    >>> fit_spend_model(data).estimator_  # three repeat buyers cannot identify Gamma-Gamma
    'shrinkage'
    """
    gamma_gamma: GammaGamma | None = None
    try:
        gamma_gamma = GammaGamma().fit(data)
    except ChurnguardError as error:
        reason = f"Gamma-Gamma could not be fitted ({error})"
    else:
        problems = [d for d in gamma_gamma.diagnostics_ if d.code in UNUSABLE]
        if not problems:
            gamma_gamma.estimator_ = "gamma_gamma"
            gamma_gamma.reason_ = ("Gamma-Gamma: parameters identified, q > 1 with a plausible "
                                   "mean spend, spend independent of frequency")
            return gamma_gamma
        reason = "Gamma-Gamma unusable: " + "; ".join(sorted({d.code for d in problems}))
    model = ShrinkageSpend(segment_col=segment_col).fit(data)
    model.reason_ = reason
    model.gamma_gamma_ = gamma_gamma
    return model
