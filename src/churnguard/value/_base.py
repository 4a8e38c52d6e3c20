"""Shared machinery of the CLV models: input checks, row aggregation, maximum likelihood.

Every model optimises its log-likelihood over the logarithms of its (positive) parameters with
an analytic or numeric gradient, then polishes the optimum with Newton steps on a
finite-difference Hessian of the gradient. Standard errors come from that Hessian (the observed
information), transformed back to the natural scale with the delta method.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from churnguard.errors import ConvergenceError, NotFittedError, SchemaError
from churnguard.value.diagnostics import log_interval, unidentified

Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]

# Length of one model time unit in days; used to turn months into model time.
DAYS_PER_UNIT: dict[str, float] = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}


def distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A lookup set of ``values`` and the index of each element in it.

    Whole numbers in a modest range (days, counts) index ``0, 1, …, max`` directly; other
    values are hashed. Either way ``lookup[index] == values``.
    """
    if len(values) and values.dtype.kind in "fiu":
        low, high = values.min(), values.max()
        if low >= 0 and high < 1_000_000 and np.array_equal(values, np.floor(values)):
            return np.arange(int(high) + 1, dtype=float), values.astype(np.intp)
    codes, uniques = pd.factorize(values)
    return np.asarray(uniques, dtype=float), codes


def wsum(weights: np.ndarray, values: np.ndarray) -> float:
    """``Σ weights × values`` without BLAS (OpenBLAS threads stall on a busy machine)."""
    return float(np.einsum("i,i->", weights, values))


def require_columns(data: pd.DataFrame, columns: tuple[str, ...], *, model: str) -> None:
    """Raise a readable :class:`SchemaError` when ``data`` lacks one of ``columns``."""
    if not isinstance(data, pd.DataFrame):
        raise SchemaError(f"{model}.fit expects a pandas DataFrame with columns "
                          f"{', '.join(columns)}; received {type(data).__name__}. Build one "
                          f"with churnguard.value.rfm_summary(orders, as_of=...).")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise SchemaError(f"{model}: data lacks column(s) {', '.join(missing)}; received "
                          f"columns {', '.join(map(str, data.columns))}. Use the output of "
                          f"churnguard.value.rfm_summary or rename the columns.")


def check_rfm_arrays(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, *, model: str) -> None:
    """Check the BTYD constraints ``x >= 0``, ``0 <= t_x <= T`` and ``t_x = 0`` when ``x = 0``."""
    problems = []
    if len(x) == 0:
        problems.append("there are no customers")
    if not (np.isfinite(x).all() and np.isfinite(t_x).all() and np.isfinite(T).all()):
        problems.append("some values are missing or infinite")
    elif (x < 0).any() or (x != np.round(x)).any():
        problems.append("frequency must be a non-negative whole number")
    elif (t_x < 0).any() or (t_x > T + 1e-9).any():
        problems.append("recency must lie between 0 and T")
    elif ((x == 0) & (t_x > 0)).any():
        problems.append("customers with frequency 0 must have recency 0")
    if problems:
        raise SchemaError(f"{model}: invalid RFM data: {problems[0]}. Compute the summary with "
                          f"churnguard.value.rfm_summary (frequency = repeat purchases).")


@dataclass(frozen=True)
class Patterns:
    """Distinct ``(x, t_x, T)`` rows with the number of customers showing each."""

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    weight: np.ndarray


def aggregate_patterns(x: np.ndarray, t_x: np.ndarray, T: np.ndarray,
                       weight: np.ndarray | None = None) -> Patterns:
    """Collapse identical ``(x, t_x, T)`` rows into one row with a weight.

    Examples
    --------
    >>> p = aggregate_patterns(np.array([0., 1, 0]), np.array([0., 2, 0]), np.array([5., 5, 5]))
    >>> p.x.tolist(), p.weight.tolist()
    ([0.0, 1.0], [2.0, 1.0])
    """
    w = np.ones(len(x)) if weight is None else np.asarray(weight, dtype=float)
    key = np.zeros(len(x), dtype=np.int64)
    size = 1
    for column in (x, t_x, T):
        uniques, codes = distinct(column)
        if size * len(uniques) >= 2**62:  # keep the combined key inside int64
            key, kept = pd.factorize(key)
            size = len(kept)
        key = key * np.int64(len(uniques)) + codes
        size *= len(uniques)
    inverse, kept = pd.factorize(key)
    index = np.empty(len(kept), dtype=np.int64)
    index[inverse] = np.arange(len(x))  # any member represents its pattern
    return Patterns(x[index], t_x[index], T[index], np.bincount(inverse, weights=w))


def numeric_gradient(fun: Callable[[np.ndarray], float]) -> Objective:
    """Wrap a scalar function into ``(value, central-difference gradient)``."""

    def value_and_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value = fun(theta)
        grad = np.empty_like(theta)
        for i in range(len(theta)):
            step = np.zeros_like(theta)
            step[i] = 1e-6
            grad[i] = (fun(theta + step) - fun(theta - step)) / 2e-6
        return value, grad

    return value_and_grad


def hessian_of(objective: Objective, theta: np.ndarray, *, step: float = 1e-5,
               grad: np.ndarray | None = None) -> np.ndarray:
    """Symmetric finite-difference Hessian from the gradient of ``objective``: central
    differences, or forward differences from ``grad`` (the gradient at ``theta``), which
    halves the passes over big data at a relative error of about ``step``."""
    k = len(theta)
    hess = np.empty((k, k))
    for i in range(k):
        shift = np.zeros(k)
        shift[i] = step
        if grad is None:
            hess[i] = (objective(theta + shift)[1] - objective(theta - shift)[1]) / (2 * step)
        else:
            hess[i] = (objective(theta + shift)[1] - grad) / step
    return (hess + hess.T) / 2


@dataclass
class MleResult:
    """The optimum on the log scale, the mean negative log-likelihood and its Hessian."""

    theta: np.ndarray
    value: float
    hessian: np.ndarray
    iterations: int


def _blas_single_thread() -> Any:
    """Keep BLAS to one thread: L-BFGS-B and small solves stall when OpenBLAS threads fight
    for a busy machine's cores."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn brings threadpoolctl
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def _lbfgs(objective: Objective, theta0: np.ndarray, *, model: str, tol: float,
           max_iter: int, bounds: tuple[float, float] | None = None) -> tuple[np.ndarray, int]:
    box = None if bounds is None else [bounds] * len(theta0)
    result = optimize.minimize(objective, theta0, jac=True, method="L-BFGS-B", bounds=box,
                               options={"maxiter": max_iter, "ftol": 1e-15, "gtol": tol})
    if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        raise ConvergenceError(f"{model}: the likelihood could not be maximised (non-finite "
                               f"values from start {np.exp(theta0).round(3).tolist()}). Check the "
                               f"data or pass a penalizer > 0.")
    return result.x, int(result.nit)


def _newton(objective: Objective, theta: np.ndarray, hess: np.ndarray, *,
            max_steps: int) -> tuple[np.ndarray, float, np.ndarray, int]:
    """Newton steps with a fixed Hessian approximation and step halving."""
    value, grad = objective(theta)
    steps = 0
    for steps in range(1, max_steps + 1):  # noqa: B007 - the count is returned
        if np.max(np.abs(grad)) < 1e-10:  # about the rounding noise of a big summed likelihood
            break
        try:
            direction = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        if np.max(np.abs(direction)) < 1e-11:  # below what the summed likelihood resolves
            break
        for scale in (1.0, 0.5, 0.25, 0.125):
            new_value, new_grad = objective(theta - scale * direction)
            if np.isfinite(new_value) and new_value <= value + 1e-13 * max(1.0, abs(value)):
                break
        else:
            break
        theta, value, grad = theta - scale * direction, new_value, new_grad
        if np.max(np.abs(scale * direction)) < 1e-7:  # the next step would be ~1e-9 or less
            break
    return theta, value, grad, steps


def fit_mle(objective: Objective, theta0: np.ndarray, *, model: str,
            warm: Objective | None = None, tol: float = 1e-10, max_iter: int = 500,
            bounds: tuple[float, float] | None = None) -> MleResult:
    """Minimise ``objective`` (mean negative log-likelihood over log-parameters).

    L-BFGS-B with the supplied gradient, then Newton steps on a finite-difference Hessian, so
    the optimum is accurate to many digits. With ``warm`` (the same objective on a subsample)
    L-BFGS-B and the Hessian run on the subsample, and the full data only sees a handful of
    Newton steps: the fit of a million customers costs about fifteen passes over the data.
    With ``bounds`` (on every log-parameter) an optimum on the boundary is returned as is.
    """
    with _blas_single_thread(), np.errstate(all="ignore"):
        start = warm if warm is not None else objective
        theta, iterations = _lbfgs(start, theta0, model=model, tol=tol, max_iter=max_iter,
                                   bounds=bounds)
        if bounds is not None and np.any(np.abs(theta) >= max(np.abs(bounds)) - 1e-6):
            if warm is not None:
                theta, more = _lbfgs(objective, theta, model=model, tol=tol,
                                     max_iter=max_iter, bounds=bounds)
                iterations += more
            value, grad = objective(theta)
            return MleResult(theta, float(value), hessian_of(objective, theta), iterations)
        hess = hessian_of(start, theta)
        theta, value, grad, steps = _newton(objective, theta, hess,
                                            max_steps=30 if warm is not None else 3)
        hess = hessian_of(objective, theta, grad=grad if warm is not None else None)
        if warm is None and np.max(np.abs(grad)) > 1e-11:
            theta, value, grad, more = _newton(objective, theta, hess, max_steps=2)
            steps += more
    if not np.isfinite(value) or np.max(np.abs(grad)) > 1e-3:
        raise ConvergenceError(f"{model}: the fit did not converge (gradient {grad.tolist()} at "
                               f"parameters {np.exp(theta).round(4).tolist()}). Try a penalizer "
                               f"> 0 or check for extreme values in the data.")
    return MleResult(theta, float(value), hess, iterations + steps)


def subsample_patterns(patterns: Patterns, size: int, *, seed: int = 0) -> Patterns:
    """``size`` customers drawn with replacement from weighted patterns, re-aggregated."""
    rng = np.random.default_rng(seed)
    p = patterns.weight / patterns.weight.sum()
    counts = np.bincount(rng.choice(len(p), size=size, p=p), minlength=len(p))
    keep = counts > 0
    return Patterns(patterns.x[keep], patterns.t_x[keep], patterns.T[keep],
                    counts[keep].astype(float))


class BaseFitter:
    """Common behaviour: the fitted check, ``summary()`` and a readable ``repr``."""

    _param_names: tuple[str, ...] = ()

    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            name = type(self).__name__
            raise NotFittedError(f"This {name} is not fitted yet. Call {name}().fit(data) "
                                 f"with an RFM summary before using it.")

    def _store_fit(self, fit: MleResult, n_weight: float) -> None:
        values = np.exp(fit.theta)
        self.params_ = pd.Series(values, index=list(self._param_names), dtype=float)
        info = fit.hessian * n_weight  # observed information of the total log-likelihood
        try:
            cov_log = np.linalg.inv(info)
            se = values * np.sqrt(np.clip(np.diag(cov_log), 0, None))
        except np.linalg.LinAlgError:
            se = np.full(len(values), np.nan)
        self.standard_errors_ = pd.Series(se, index=self.params_.index, dtype=float)
        self.n_iter_ = fit.iterations
        self.diagnostics_ = unidentified(self.params_.index, values, se,
                                         model=type(self).__name__)

    def summary(self) -> pd.DataFrame:
        """Estimates with standard errors, 95% bounds and whether each is identified.

        The parameters are positive, so the bounds are the log-scale Wald interval
        ``exp(log θ ± 1.96·se/θ)``: never negative. ``identified`` is False for a parameter
        flagged in ``diagnostics_`` (see :mod:`churnguard.value.diagnostics`).
        """
        self._check_fitted()
        frame = pd.DataFrame({"estimate": self.params_, "std_error": self.standard_errors_})
        frame["lower_95"], frame["upper_95"] = log_interval(frame["estimate"],
                                                            frame["std_error"])
        flagged = {d.parameter for d in getattr(self, "diagnostics_", [])
                   if d.code == "not_identified"}
        frame["identified"] = [name not in flagged for name in frame.index]
        frame.index.name = "parameter"
        return frame

    def __repr__(self) -> str:
        name = type(self).__name__
        if not hasattr(self, "params_"):
            return f"{name}(unfitted)"
        values = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"{name}({values}, log_likelihood={self.log_likelihood_:.2f})"


def output_index(data: pd.DataFrame) -> Any:
    """Index for per-customer outputs: ``customer_id`` when present, else ``data.index``."""
    if "customer_id" in data.columns:
        return pd.Index(data["customer_id"], name="customer_id")
    return data.index
