"""The Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV").

A customer's transaction values are Gamma(p, ν) with ν ~ Gamma(q, v) across customers; fitted
on repeat buyers from their number of repeat purchases ``x`` and mean repeat-purchase value
``m̄``. The model assumes spend is independent of purchase frequency, which
:func:`frequency_monetary_independence` checks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import digamma, gammaln

from churnguard.errors import SchemaError
from churnguard.value._base import (
    BaseFitter,
    distinct,
    fit_mle,
    output_index,
    require_columns,
    wsum,
)
from churnguard.value.diagnostics import Diagnostic, emit

_COLUMNS = ("frequency", "monetary")
WARM_START_ABOVE = 60_000
"""Above this many repeat buyers the fit starts from a subsample's optimum."""
WARM_SAMPLE = 50_000
SPEARMAN_SAMPLE = 100_000
ABSURD_MEAN_RATIO = 2.0
"""A population mean spend more than this many times the repeat buyers' observed mean is
reported as absurd (q barely above 1: a tail the data never showed)."""


def frequency_monetary_independence(data: pd.DataFrame) -> pd.Series:
    """Correlation of frequency and mean spend among repeat buyers.

    Gamma-Gamma needs them to be (nearly) independent; a Pearson correlation beyond ±0.3
    is a reason to doubt its spend estimates. Spearman's rank correlation is computed on a
    random 100,000 repeat buyers when there are more.

    Returns
    -------
    pandas.Series
        ``pearson``, ``pearson_p_value``, ``spearman``, ``n_customers``, ``independent``
        (True when |pearson| <= 0.3, or when it is undefined because frequency or spend is
        constant).

    Examples
    --------
    >>> data = pd.DataFrame({"frequency": [1, 2, 3, 4], "monetary": [10.0, 30, 20, 25]})
    >>> round(float(frequency_monetary_independence(data)["pearson"]), 3)
    0.529
    """
    require_columns(data, _COLUMNS, model="frequency_monetary_independence")
    x = data["frequency"].to_numpy(dtype=float)
    m = data["monetary"].to_numpy(dtype=float)
    keep = (x > 0) & (m > 0)
    return _independence(x[keep], m[keep])


def _independence(x: np.ndarray, m: np.ndarray) -> pd.Series:
    if len(x) < 3:
        raise SchemaError(f"need at least 3 repeat buyers to test independence; received "
                          f"{len(x)}.")
    pearson, n = stats.pearsonr(x, m), len(x)
    if n > SPEARMAN_SAMPLE:
        pick = np.random.default_rng(0).choice(len(x), size=SPEARMAN_SAMPLE, replace=False)
        x, m = x[pick], m[pick]
    spearman = stats.spearmanr(x, m).statistic
    return pd.Series({"pearson": float(pearson.statistic),
                      "pearson_p_value": float(pearson.pvalue), "spearman": float(spearman),
                      "n_customers": n,
                      "independent": not abs(pearson.statistic) > 0.3}, dtype=object)


class GammaGamma(BaseFitter):
    """Gamma-Gamma model of the mean transaction value.

    Parameters
    ----------
    penalizer
        L2 penalty on ``(p, q, v)`` added to the mean negative log-likelihood.
    initial_params
        Starting values ``(p, q, v)``.

    Attributes
    ----------
    params_ : pandas.Series
        ``p``, ``q``, ``v``.
    standard_errors_ : pandas.Series
    log_likelihood_ : float
    independence_ : pandas.Series
        The :func:`frequency_monetary_independence` check of the fitted data.

    Examples
    --------
    >>> data = pd.DataFrame({"frequency": [1, 2, 3, 4, 1, 2, 0],
    ...                      "monetary": [25.0, 12, 20, 18, 10, 30, 0]})
    >>> model = GammaGamma().fit(data)
    >>> int(model.n_customers_)
    6
    """

    _param_names = ("p", "q", "v")

    def __init__(self, *, penalizer: float = 0.0,
                 initial_params: tuple[float, float, float] | None = None) -> None:
        self.penalizer = penalizer
        self.initial_params = initial_params

    def fit(self, data: pd.DataFrame) -> GammaGamma:
        """Fit on the repeat buyers (``frequency > 0``) of an RFM summary."""
        require_columns(data, _COLUMNS, model="GammaGamma")
        frequency = data["frequency"].to_numpy(dtype=float)
        repeat = frequency > 0
        x, m = frequency[repeat], data["monetary"].to_numpy(dtype=float)[repeat]
        if len(x) < 3:
            raise SchemaError(f"GammaGamma needs repeat buyers (frequency > 0); received "
                              f"{len(x)}. Use a longer history or more customers.")
        if (m <= 0).any() or not np.isfinite(m).all():
            raise SchemaError(f"GammaGamma: monetary must be positive for repeat buyers; "
                              f"{int((m <= 0).sum())} of {len(m)} are not. Drop customers whose "
                              f"repeat purchases net to zero or less.")
        objective = _Objective(x, m, self.penalizer)
        warm = None
        if len(x) > WARM_START_ABOVE:
            sample = np.random.default_rng(0).choice(len(x), size=WARM_SAMPLE, replace=False)
            warm = _Objective(x[sample], m[sample], self.penalizer)
        start = self.initial_params or (1.0, 1.0, float(np.mean(m)))
        fit = fit_mle(objective, np.log(start), model="GammaGamma", warm=warm)
        self._store_fit(fit, len(x))
        penalty = self.penalizer * float(np.sum(np.exp(fit.theta) ** 2))
        self.log_likelihood_ = -(fit.value - penalty) * len(x)
        self.n_customers_ = len(x)
        self.data_ = data
        self.independence_ = _independence(x, m)
        self.observed_mean_spend_ = float(np.mean(m))
        self.diagnostics_ += self._spend_diagnostics()
        emit(self.diagnostics_)
        return self

    def _spend_diagnostics(self) -> list[Diagnostic]:
        found = []
        p, q, v = self.params_.to_numpy()
        if q <= 1:
            found.append(Diagnostic(
                "infinite_mean_spend", f"GammaGamma: q = {q:.3g} <= 1, so the population mean "
                f"spend p·v/(q−1) is infinite; customers without repeat purchases cannot be "
                f"priced by this model.", "GammaGamma", "q"))
        elif (mean := self.mean_spend()) > ABSURD_MEAN_RATIO * self.observed_mean_spend_:
            found.append(Diagnostic(
                "absurd_mean_spend", f"GammaGamma: q = {q:.3g} is close to 1 and the population "
                f"mean spend {mean:,.4g} is {mean / self.observed_mean_spend_:.1f}× the "
                f"observed mean of repeat buyers' spend ({self.observed_mean_spend_:,.4g}); "
                f"customers without repeat purchases would be priced at it.", "GammaGamma",
                "q"))
        if not self.independence_["independent"]:
            found.append(Diagnostic(
                "spend_frequency_correlated", f"GammaGamma: frequency and monetary value are "
                f"correlated (Pearson {self.independence_['pearson']:.2f}); the model assumes "
                f"they are independent, so its spend estimates may be biased.", "GammaGamma"))
        return found

    def expected_spend(self, data: pd.DataFrame | None = None) -> pd.Series:
        """Expected mean transaction value of each customer: ``p (v + x m̄) / (p x + q - 1)``.

        Customers without repeat purchases get the population mean ``p v / (q - 1)``.
        """
        self._check_fitted()
        data = self.data_ if data is None else data
        require_columns(data, _COLUMNS, model="GammaGamma")
        x = data["frequency"].to_numpy(dtype=float)
        m = np.where(x > 0, data["monetary"].to_numpy(dtype=float), 0.0)
        p, q, v = self.params_.to_numpy()
        return pd.Series(p * (v + x * m) / (p * x + q - 1), index=output_index(data),
                         name="expected_spend")

    def mean_spend(self) -> float:
        """The population mean transaction value ``p v / (q - 1)`` (infinite when q <= 1)."""
        self._check_fitted()
        p, q, v = self.params_.to_numpy()
        return float(p * v / (q - 1)) if q > 1 else float("inf")


class _Objective:
    """Mean negative log-likelihood of Gamma-Gamma over log-parameters, with gradient."""

    def __init__(self, x: np.ndarray, m: np.ndarray, penalizer: float) -> None:
        values, inverse = distinct(x)
        counts = np.bincount(inverse, minlength=len(values)).astype(float)
        self.values, self.counts = values[counts > 0], counts[counts > 0]
        self.x, self.m, self.n = x, m, float(len(x))
        self.log_m, self.log_x = np.log(m), np.log(x)
        self.sum_x_log = wsum(x, self.log_m + self.log_x)
        self.sum_log_m = float(self.log_m.sum())
        self.penalizer = penalizer

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        p, q, v = np.exp(theta)
        u, c, x = self.values, self.counts, self.x
        log_total = np.log(x * self.m + v)
        shape = p * x + q
        ll = (wsum(c, gammaln(p * u + q) - gammaln(p * u)) - self.n * gammaln(q)
              + self.n * q * np.log(v) + p * self.sum_x_log - self.sum_log_m
              - wsum(shape, log_total))
        psi_sum = digamma(p * u + q)
        g_p = wsum(c, u * (psi_sum - digamma(p * u))) + self.sum_x_log - wsum(x, log_total)
        g_q = wsum(c, psi_sum) - self.n * digamma(q) + self.n * np.log(v) - log_total.sum()
        g_v = self.n * q / v - float(np.sum(shape / (x * self.m + v)))
        params = np.array([p, q, v])
        grad = -np.array([g_p, g_q, g_v]) * params / self.n + 2 * self.penalizer * params**2
        return float(-ll / self.n + self.penalizer * float(np.sum(params**2))), grad
