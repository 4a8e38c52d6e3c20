"""The BG/NBD model of Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way".

While active, a customer buys at Poisson rate λ ~ Gamma(r, α); after every purchase she
drops out with probability p ~ Beta(a, b). Fitted by maximum likelihood on ``frequency`` (x,
repeat purchases), ``recency`` (t_x) and ``T`` with an analytic gradient; identical
``(x, t_x, T)`` rows are collapsed into weighted patterns first, so a million customers fit in
about a second.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln, hyp2f1

from churnguard.errors import SchemaError
from churnguard.value._base import (
    BaseFitter,
    Patterns,
    aggregate_patterns,
    check_rfm_arrays,
    distinct,
    fit_mle,
    output_index,
    require_columns,
    subsample_patterns,
    wsum,
)
from churnguard.value.diagnostics import Diagnostic, emit

WARM_START_ABOVE = 60_000
"""Above this many distinct patterns the fit starts from a subsample's optimum."""
WARM_SAMPLE = 50_000

_COLUMNS = ("frequency", "recency", "T")


class BetaGeo(BaseFitter):
    """BG/NBD (beta-geometric / negative binomial) purchase model.

    Parameters
    ----------
    penalizer
        L2 penalty on the parameters added to the mean negative log-likelihood (as
        ``lifetimes``' ``penalizer_coef``); 0 gives the plain maximum likelihood estimate.
    initial_params
        Starting values ``(r, alpha, a, b)``; a moment-based guess when None.

    Attributes
    ----------
    params_ : pandas.Series
        ``r``, ``alpha``, ``a``, ``b``.
    standard_errors_ : pandas.Series
        From the observed information (Hessian) at the optimum.
    log_likelihood_ : float
        Total log-likelihood of the fitted data.
    data_ : pandas.DataFrame
        The fitted RFM summary (used when predictions get no data).
    time_unit_ : str
        ``"D"``, ``"W"`` or ``"M"`` as recorded by ``rfm_summary`` (``"D"`` otherwise).

    Examples
    --------
    >>> data = pd.DataFrame({"frequency": [0, 2, 5, 1, 0, 3, 4, 1],
    ...                      "recency": [0, 5, 30, 2, 0, 9, 3, 1],
    ...                      "T": [40, 38, 35, 30, 25, 40, 39, 40]})
    >>> model = BetaGeo(penalizer=0.001).fit(data)  # a small penalty steadies tiny data
    >>> list(model.params_.index)
    ['r', 'alpha', 'a', 'b']
    >>> bool((model.p_alive() <= 1).all())
    True
    """

    _param_names = ("r", "alpha", "a", "b")

    def __init__(self, *, penalizer: float = 0.0,
                 initial_params: tuple[float, float, float, float] | None = None) -> None:
        self.penalizer = penalizer
        self.initial_params = initial_params

    # -- fitting -------------------------------------------------------------------------
    def fit(self, data: pd.DataFrame, *, weights: np.ndarray | None = None) -> BetaGeo:
        """Fit on an RFM summary with columns ``frequency``, ``recency`` and ``T``.

        Parameters
        ----------
        data
            One row per customer (or per pattern, with ``weights``).
        weights
            Number of customers each row stands for (default 1).
        """
        require_columns(data, _COLUMNS, model="BetaGeo")
        x, t_x, T = (data[c].to_numpy(dtype=float) for c in _COLUMNS)
        check_rfm_arrays(x, t_x, T, model="BetaGeo")
        if not (x > 0).any():
            raise SchemaError(f"BetaGeo needs repeat purchases to fit: none of the {len(x)} "
                              f"customers bought on two different days. Use a longer history.")
        patterns = aggregate_patterns(x, t_x, T, weights)
        objective = _Objective(patterns, self.penalizer)
        warm = None
        if len(patterns.x) > WARM_START_ABOVE:
            warm = _Objective(subsample_patterns(patterns, WARM_SAMPLE), self.penalizer)
        theta0 = np.log(self.initial_params or _start(x, T))
        fit = fit_mle(objective, theta0, model="BetaGeo", warm=warm)
        total = patterns.weight.sum()
        self._store_fit(fit, total)
        penalty = self.penalizer * float(np.sum(np.exp(fit.theta) ** 2))
        self.log_likelihood_ = -(fit.value - penalty) * total
        if np.any(np.abs(fit.theta) > np.log(1e6)):
            self.diagnostics_.append(Diagnostic(
                "extreme_parameters", f"BetaGeo: the fit ran to extreme parameters "
                f"{np.exp(fit.theta).round(4).tolist()}; the data may be too small or "
                f"degenerate. Try BetaGeo(penalizer=0.001).", "BetaGeo"))
        emit(self.diagnostics_)
        self.n_patterns_ = len(patterns.x)
        self.data_ = data
        self.time_unit_ = data.attrs.get("time_unit", "D")
        return self

    # -- predictions ---------------------------------------------------------------------
    def _arrays(self, data: pd.DataFrame | None) -> tuple[np.ndarray, ...]:
        self._check_fitted()
        data = self.data_ if data is None else data
        require_columns(data, _COLUMNS, model="BetaGeo")
        return tuple(data[c].to_numpy(dtype=float) for c in _COLUMNS)

    def p_alive(self, data: pd.DataFrame | None = None) -> pd.Series:
        """Probability that each customer is still active at the end of the observation.

        ``1 / (1 + [x > 0] a / (b + x - 1) ((α + T) / (α + t_x))^(r + x))``.
        """
        x, t_x, T = self._arrays(data)
        r, alpha, a, b = self.params_.to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = (np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
                         + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)))
        odds = np.where(x > 0, np.exp(np.minimum(log_ratio, 700)), 0.0)
        return pd.Series(1 / (1 + odds), index=output_index(self._data(data)), name="p_alive")

    def predict_purchases(self, t: float, data: pd.DataFrame | None = None) -> pd.Series:
        """Expected number of purchases in the next ``t`` time units, given each history.

        Kept within ``[0, p_alive · (r + x) / (α + T) · t]`` (its exact upper bound); where a
        degenerate fit (a → 0, r and α huge) makes the closed form overflow, the bound (the
        no-dropout limit) is returned.
        """
        return pd.Series(self.cumulative_purchases([t], data)[0],
                         index=output_index(self._data(data)), name="expected_purchases")

    def cumulative_purchases(self, times: list[float] | np.ndarray,
                             data: pd.DataFrame | None = None) -> np.ndarray:
        """:meth:`predict_purchases` for several horizons at once, shape ``(times, rows)``.

        The hypergeometric part depends on ``x`` and ``T`` only, so it is evaluated once per
        distinct ``(x, T)`` pair and p_alive once per row.
        """
        x, t_x, T = self._arrays(data)
        r, alpha, a, b = self.params_.to_numpy()
        alive = self.p_alive(data).to_numpy()
        x_set, x_index = distinct(x)
        T_set, T_index = distinct(T)
        pair, first = np.unique(x_index.astype(np.int64) * len(T_set) + T_index,
                                return_inverse=True)
        ux, uT = x_set[pair // len(T_set)], T_set[pair % len(T_set)]
        head = (a + b + ux - 1) / (a - 1)
        rate = (r + x) / (alpha + T)
        result = np.empty((len(times), len(x)))
        for row, t in enumerate(times):
            with np.errstate(all="ignore"):
                tail = 1 - np.exp((r + ux) * np.log((alpha + uT) / (alpha + uT + t))) * hyp2f1(
                    r + ux, b + ux, a + b + ux - 1, t / (alpha + uT + t))
                value = (head * tail)[first] * alive
            # E[X(t)] <= P(alive) · E[λ | alive] · t: the bound is also the a → 0 (no
            # dropout) limit, used where extreme parameters overflow the hypergeometric.
            bound = alive * rate * t
            result[row] = np.where(np.isfinite(value), np.clip(value, 0.0, bound), bound)
        return result

    def purchase_rate_if_retained(self, data: pd.DataFrame | None = None) -> pd.Series:
        """Expected purchases per time unit of each customer who is still active:
        ``E[λ | x, t_x, T, alive] = (r + x) / (α + T)``."""
        x, _t_x, T = self._arrays(data)
        r, alpha, _a, _b = self.params_.to_numpy()
        return pd.Series((r + x) / (alpha + T), index=output_index(self._data(data)),
                         name="purchase_rate_if_retained")

    def expected_purchases_curve(self, t: np.ndarray | list[float] | None = None) -> pd.DataFrame:
        """Expected cumulative purchases ``E[X(t)]`` of a customer just acquired.

        Returns a frame with ``t`` and ``expected_purchases``; ``t`` defaults to 0..52 units.
        """
        self._check_fitted()
        times = np.arange(53, dtype=float) if t is None else np.asarray(t, dtype=float)
        r, alpha, a, b = self.params_.to_numpy()
        with np.errstate(all="ignore"):
            value = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + times)) ** r * hyp2f1(
                r, b, a + b - 1, times / (alpha + times)))
        return pd.DataFrame({"t": times, "expected_purchases": value})

    def _data(self, data: pd.DataFrame | None) -> pd.DataFrame:
        return self.data_ if data is None else data


def _start(x: np.ndarray, T: np.ndarray) -> tuple[float, float, float, float]:
    """A starting point: r = 1 and α matching the mean purchase rate."""
    rate = max(float(np.mean(x) / max(np.mean(T), 1e-9)), 1e-6)
    return (1.0, 1.0 / rate, 1.0, 1.0)


class _Objective:
    """Mean negative log-likelihood of BG/NBD and its gradient over log-parameters.

    Per-row logarithms are looked up from the distinct values of x, t_x and T (a few
    thousand at most), so one pass over the patterns costs two transcendental functions a row.
    """

    def __init__(self, patterns: Patterns, penalizer: float) -> None:
        self.penalizer = penalizer
        self.total = patterns.weight.sum()
        values, inverse = distinct(patterns.x)
        weight = np.bincount(inverse, weights=patterns.weight, minlength=len(values))
        self.x_values, self.x_weight = values[weight > 0], weight[weight > 0]
        zero = patterns.x == 0
        self.T0, self.w0 = patterns.T[zero], patterns.weight[zero]
        repeat = ~zero
        self.x, self.w = patterns.x[repeat], patterns.weight[repeat]
        self.wx = self.w * self.x
        self.x_set, self.x_index = distinct(self.x)
        self.t_set, self.t_index = distinct(patterns.t_x[repeat])
        self.T_set, self.T_index = distinct(patterns.T[repeat])
        # Σ w and Σ w·x per distinct T: sums of functions of T cost O(#T), not O(rows).
        self.w_by_T = np.bincount(self.T_index, weights=self.w, minlength=len(self.T_set))
        self.wx_by_T = np.bincount(self.T_index, weights=self.wx, minlength=len(self.T_set))
        self.x_used = np.bincount(self.x_index, minlength=len(self.x_set)) > 0
        self._buffers = np.empty((6, len(self.x)))  # reused by every pass: no allocations

    def _x_only(self, r: float, alpha: float, a: float, b: float) -> np.ndarray:
        """Log-likelihood and gradient parts that depend on x only, over distinct x."""
        u, wu = self.x_values, self.x_weight
        ll = wsum(wu, gammaln(r + u) - gammaln(r) + betaln(a, b + u) - betaln(a, b)) \
            + self.total * r * np.log(alpha)
        g_r = wsum(wu, digamma(r + u) - digamma(r)) + self.total * np.log(alpha)
        common = wsum(wu, digamma(a + b) - digamma(a + b + u))
        g_b = common + wsum(wu, digamma(b + u) - digamma(b))
        # Customers without repeat purchases: only the "still alive at T" term.
        log_a0 = np.log(alpha + self.T0)
        return np.array([ll - r * wsum(self.w0, log_a0), g_r - wsum(self.w0, log_a0),
                         self.total * r / alpha - r * wsum(self.w0, 1 / (alpha + self.T0)),
                         common, g_b])

    def _repeat_terms(self, r: float, alpha: float, a: float, b: float) -> np.ndarray:
        """Repeat buyers' log-sum-exp of "alive at T" and "dropped out after t_x" and its
        derivatives, computed in place in preallocated buffers."""
        gap, inv_gap, d, e, rx, drop = self._buffers
        log_T_set, inv_T_set = np.log(alpha + self.T_set), 1 / (alpha + self.T_set)
        np.take(np.log(alpha + self.t_set), self.t_index, out=gap, mode="clip")
        np.take(log_T_set, self.T_index, out=drop, mode="clip")
        gap -= drop                                   # log(α+t_x) − log(α+T)
        np.take(1 / (alpha + self.t_set), self.t_index, out=inv_gap, mode="clip")
        np.take(inv_T_set, self.T_index, out=drop, mode="clip")
        inv_gap -= drop                               # 1/(α+t_x) − 1/(α+T)
        np.add(self.x, r, out=rx)
        np.multiply(rx, gap, out=d)
        np.take(np.log(b + self.x_set - 1), self.x_index, out=e, mode="clip")
        d += e
        np.subtract(np.log(a), d, out=d)              # d = log a − log(b+x−1) − (r+x)·gap
        np.abs(d, out=e)
        np.negative(e, out=e)
        np.exp(e, out=e)                              # e = exp(−|d|)
        np.add(e, 1.0, out=drop)
        np.reciprocal(drop, out=drop)                 # sigmoid(|d|)
        np.multiply(drop, e, out=drop, where=d < 0)   # sigmoid(d)
        drop *= self.w                                # weight × P(dropped out | data)
        sum_log_T = wsum(self.w_by_T, log_T_set)
        g_r = -(sum_log_T + wsum(drop, gap))
        np.multiply(drop, rx, out=gap)
        g_alpha = -(r * wsum(self.w_by_T, inv_T_set) + wsum(self.wx_by_T, inv_T_set)
                    + wsum(gap, inv_gap))
        np.maximum(d, 0, out=d)
        np.log1p(e, out=e)
        d += e
        ll = wsum(self.w, d) - r * sum_log_T - wsum(self.wx_by_T, log_T_set)
        by_x = np.bincount(self.x_index, weights=drop, minlength=len(self.x_set))
        g_b = -wsum(by_x[self.x_used], 1 / (b + self.x_set[self.x_used] - 1))
        return np.array([ll, g_r, g_alpha, drop.sum() / a, g_b])

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        r, alpha, a, b = np.exp(theta)
        ll, g_r, g_alpha, g_a, g_b = self._x_only(r, alpha, a, b) \
            + self._repeat_terms(r, alpha, a, b)
        params = np.array([r, alpha, a, b])
        grad_log = -np.array([g_r, g_alpha, g_a, g_b]) * params / self.total
        value = -ll / self.total + self.penalizer * float(np.sum(params**2))
        grad_log += 2 * self.penalizer * params**2
        return float(value), grad_log
