"""The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987).

While active a customer buys at Poisson rate λ ~ Gamma(r, α); her lifetime is exponential with
rate μ ~ Gamma(s, β). The likelihood follows Fader & Hardie's note "Deriving an Expression for
P(X(t) = x) Under the Pareto/NBD Model" (Gauss hypergeometric form), evaluated in logs;
the gradient is numeric.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import gammaln, hyp2f1

from churnguard.value._base import (
    BaseFitter,
    Patterns,
    aggregate_patterns,
    check_rfm_arrays,
    fit_mle,
    numeric_gradient,
    output_index,
    require_columns,
    wsum,
)

_COLUMNS = ("frequency", "recency", "T")


class ParetoNBD(BaseFitter):
    """Pareto/NBD purchase model with the interface of :class:`BetaGeo`.

    Parameters
    ----------
    penalizer
        L2 penalty on ``(r, alpha, s, beta)`` added to the mean negative log-likelihood.
    initial_params
        Starting values ``(r, alpha, s, beta)``.

    Examples
    --------
    >>> data = pd.DataFrame({"frequency": [0, 2, 5, 1, 0, 3, 0], "recency": [0, 20, 30, 5, 0, 9, 0],
    ...                      "T": [40, 38, 35, 30, 25, 40, 39]})
    >>> model = ParetoNBD().fit(data)
    >>> list(model.params_.index)
    ['r', 'alpha', 's', 'beta']
    """

    _param_names = ("r", "alpha", "s", "beta")

    def __init__(self, *, penalizer: float = 0.0,
                 initial_params: tuple[float, float, float, float] | None = None) -> None:
        self.penalizer = penalizer
        self.initial_params = initial_params

    def fit(self, data: pd.DataFrame, *, weights: np.ndarray | None = None) -> ParetoNBD:
        """Fit on an RFM summary with columns ``frequency``, ``recency`` and ``T``."""
        require_columns(data, _COLUMNS, model="ParetoNBD")
        x, t_x, T = (data[c].to_numpy(dtype=float) for c in _COLUMNS)
        check_rfm_arrays(x, t_x, T, model="ParetoNBD")
        patterns = aggregate_patterns(x, t_x, T, weights)
        penalizer = self.penalizer

        def mean_nll(theta: np.ndarray) -> float:
            params = np.exp(theta)
            ll = wsum(patterns.weight, _log_likelihood(params, patterns))
            return float(-ll / patterns.weight.sum() + penalizer * float(np.sum(params**2)))

        rate = max(float(np.mean(x) / max(np.mean(T), 1e-9)), 1e-6)
        start = self.initial_params or (1.0, 1.0 / rate, 1.0, float(np.mean(T)))
        fit = fit_mle(numeric_gradient(mean_nll), np.log(start), model="ParetoNBD", tol=1e-9)
        total = patterns.weight.sum()
        self._store_fit(fit, total)
        self.log_likelihood_ = wsum(patterns.weight, _log_likelihood(np.exp(fit.theta),
                                                                      patterns))
        self.data_ = data
        self.time_unit_ = data.attrs.get("time_unit", "D")
        return self

    def _arrays(self, data: pd.DataFrame | None) -> tuple[pd.DataFrame, np.ndarray, ...]:
        self._check_fitted()
        data = self.data_ if data is None else data
        require_columns(data, _COLUMNS, model="ParetoNBD")
        return (data, *(data[c].to_numpy(dtype=float) for c in _COLUMNS))

    def p_alive(self, data: pd.DataFrame | None = None) -> pd.Series:
        """Probability that each customer is still active at the end of the observation."""
        data, x, t_x, T = self._arrays(data)
        params = self.params_.to_numpy()
        r, alpha, s, beta = params
        patterns = Patterns(x, t_x, T, np.ones(len(x)))
        log_alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        log_total = _log_likelihood(params, patterns) - _log_front(params, x)
        return pd.Series(np.exp(log_alive - log_total), index=output_index(data),
                         name="p_alive")

    def predict_purchases(self, t: float, data: pd.DataFrame | None = None) -> pd.Series:
        """Expected number of purchases in the next ``t`` time units, given each history."""
        data, x, _t_x, T = self._arrays(data)
        r, alpha, s, beta = self.params_.to_numpy()
        alive = self.p_alive(data).to_numpy()
        mean = (r + x) * (beta + T) / ((alpha + T) * (s - 1)) * (
            1 - ((beta + T) / (beta + T + t)) ** (s - 1))
        return pd.Series(mean * alive, index=output_index(data), name="expected_purchases")

    def expected_purchases_curve(self, t: np.ndarray | list[float] | None = None) -> pd.DataFrame:
        """Expected cumulative purchases ``E[X(t)]`` of a customer just acquired."""
        self._check_fitted()
        times = np.arange(53, dtype=float) if t is None else np.asarray(t, dtype=float)
        r, alpha, s, beta = self.params_.to_numpy()
        value = r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + times)) ** (s - 1))
        return pd.DataFrame({"t": times, "expected_purchases": value})


def _log_front(params: np.ndarray, x: np.ndarray) -> np.ndarray:
    r, alpha, s, beta = params
    return gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)


def _log_likelihood(params: np.ndarray, patterns: Patterns) -> np.ndarray:
    """Per-pattern log-likelihood of Pareto/NBD."""
    r, alpha, s, beta = params
    x, t_x, T = patterns.x, patterns.t_x, patterns.T
    big = r + s + x
    if alpha >= beta:
        shift, second, base = alpha - beta, s + 1, alpha
    else:
        shift, second, base = beta - alpha, r + x, beta
    with np.errstate(all="ignore"):
        log_at_t = np.log(hyp2f1(big, second, big + 1, shift / (base + t_x))) \
            - big * np.log(base + t_x)
        log_at_T = np.log(hyp2f1(big, second, big + 1, shift / (base + T))) \
            - big * np.log(base + T)
        log_a0 = log_at_t + np.log(-np.expm1(log_at_T - log_at_t))
        log_alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        log_dead = np.log(s / big) + log_a0
        return _log_front(params, x) + np.logaddexp(log_alive, log_dead)
