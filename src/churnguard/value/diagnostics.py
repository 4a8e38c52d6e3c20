"""Fit diagnostics: when a CLV model's estimates cannot be trusted, it says so.

Every fitted model keeps its findings in ``diagnostics_`` (a list of :class:`Diagnostic`, a
machine ``code`` and a short English sentence) and emits each as a :class:`FitWarning`, a
``UserWarning`` the library never silences. The CLI, the report and the Admin page show the
sentences.

A parameter is *not identified* when its 95% Wald interval on the natural scale includes 0
(standard error above ``estimate / 1.96``) or its log-scale interval
``exp(log θ ± 1.96·se/θ)`` spans more than two orders of magnitude (``se/θ`` above
``ln 100 / 3.92 ≈ 1.17``); the first rule is the stricter one and the second catches a missing
standard error too.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

Z95 = 1.959964
"""The 97.5% quantile of the standard normal distribution."""


class FitWarning(UserWarning):
    """A CLV model fit that should not be trusted as it is (see ``diagnostics_``).

    Examples
    --------
    >>> issubclass(FitWarning, UserWarning)
    True
    """


@dataclass(frozen=True)
class Diagnostic:
    """One finding about a fit: ``code`` for programs, ``message`` for people.

    Codes: ``not_identified``, ``extreme_parameters``, ``infinite_mean_spend``,
    ``absurd_mean_spend``, ``spend_frequency_correlated``, ``at_bound``, ``no_fit``.

    Examples
    --------
    >>> Diagnostic("not_identified", "BetaGeo: a is not identified.").code
    'not_identified'
    """

    code: str
    message: str
    model: str = ""
    parameter: str = ""
    span: float = float("nan")
    """For ``not_identified``: upper / lower 95% bound (log scale); inf without an error."""

    def __str__(self) -> str:
        return self.message


def log_interval(estimate: np.ndarray | pd.Series, std_error: np.ndarray | pd.Series,
                 ) -> tuple[np.ndarray, np.ndarray]:
    """95% bounds ``exp(log θ ± 1.96·se/θ)`` of positive parameters (never negative).

    Examples
    --------
    >>> lower, upper = log_interval(np.array([2.0]), np.array([1.0]))
    >>> round(float(lower[0]), 4), round(float(upper[0]), 4)
    (0.7506, 5.3288)
    """
    theta = np.asarray(estimate, dtype=float)
    se = np.asarray(std_error, dtype=float)
    with np.errstate(all="ignore"):
        spread = np.exp(Z95 * se / theta)
        return theta / spread, theta * spread


def unidentified(names: list[str] | pd.Index, estimate: np.ndarray, std_error: np.ndarray,
                 *, model: str) -> list[Diagnostic]:
    """A ``not_identified`` diagnostic for every parameter whose 95% Wald interval includes
    0 or whose log-scale interval spans more than a factor of 100.

    Examples
    --------
    >>> found = unidentified(["r", "a"], np.array([0.24, 0.003]), np.array([0.01, 0.010]),
    ...                      model="BetaGeo")
    >>> [d.parameter for d in found]
    ['a']
    >>> print(found[0].message)  # doctest: +NORMALIZE_WHITESPACE
    BetaGeo: parameter a = 0.003 is not identified (standard error 0.01; its 95% interval
    includes 0). Predictions that depend on it are guesses.
    """
    found = []
    for name, theta, se in zip(names, np.asarray(estimate, float), np.asarray(std_error, float),
                               strict=True):
        if not np.isfinite(se):
            why = "its standard error cannot be computed"
        elif theta - Z95 * se <= 0:
            why = "its 95% interval includes 0"
        elif math.exp(2 * Z95 * se / theta) > 100:
            why = "its 95% interval spans more than two orders of magnitude"
        else:
            continue
        se_text = f"standard error {se:.3g}; " if np.isfinite(se) else ""
        span = math.exp(min(2 * Z95 * se / theta, 700)) if np.isfinite(se) else math.inf
        found.append(Diagnostic(
            "not_identified",
            f"{model}: parameter {name} = {theta:.3g} is not identified ({se_text}{why}). "
            f"Predictions that depend on it are guesses.", model, str(name), span))
    return found


def emit(diagnostics: list[Diagnostic], *, stacklevel: int = 3) -> None:
    """Emit each diagnostic as a :class:`FitWarning` (``stacklevel`` counts from the caller
    of the function that calls this one)."""
    for diagnostic in diagnostics:
        warnings.warn(diagnostic.message, FitWarning, stacklevel=stacklevel)


def diagnostics_frame(diagnostics: list[Diagnostic]) -> pd.DataFrame:
    """The diagnostics as a table ``model, code, parameter, message`` (for the CLI/report).

    Examples
    --------
    >>> diagnostics_frame([Diagnostic("no_fit", "nothing to fit", "BetaGeo")])["code"].tolist()
    ['no_fit']
    """
    return pd.DataFrame({"model": [d.model for d in diagnostics],
                         "code": [d.code for d in diagnostics],
                         "parameter": [d.parameter for d in diagnostics],
                         "message": [d.message for d in diagnostics]},
                        columns=["model", "code", "parameter", "message"])
