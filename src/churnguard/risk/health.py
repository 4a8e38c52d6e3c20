"""A health score from 0 (about to leave) to 100 (healthy), with a breakdown by dimension.

The model's churn log-odds of a customer is its baseline (the average customer) plus the
contributions of its features, and each feature belongs to one of the dimensions purchasing,
spend, service, payment and relationship (see :mod:`churnguard.risk.catalog`; columns outside
the catalogue, a user's own table, form the dimension ``other``). With ``s_d`` the sum of a
dimension's contributions, ``b`` the baseline and ``D`` the number of dimensions the model uses:

- ``health_<d> = 100 · (1 − calibrated(b + D · s_d))``: the customer's health if every dimension
  looked like this one (a dimension where the customer is average scores the average customer's
  health; a dimension without any of the model's columns is left empty);
- ``health_score = 100 · (1 − calibrated(mean_d (b + D · s_d)))`` — the dimensions averaged on
  the log-odds scale. As ``mean_d (b + D · s_d) = b + Σ_d s_d`` this is exactly
  ``100 · (1 − p_churn)``, and as calibration is monotone the overall always lies between the
  weakest and the strongest dimension: one very weak dimension pulls it down towards itself.

(The earlier breakdown gave each dimension ``b + s_d`` alone, so five mildly weak dimensions
could show 66–100 each beside an overall 5: their log-odds add up, the breakdown did not.)
A manager sees which side is weak: a customer at 35 overall with service at 10 and purchasing
at 80 is losing faith in the service, not buying less.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from churnguard.risk.catalog import DIMENSIONS, feature_info

if TYPE_CHECKING:
    from churnguard.risk.model import ChurnRiskModel


def health_scores(model: ChurnRiskModel, X: Any, *,
                  contributions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Health 0–100 overall and per dimension, indexed like ``X`` (see the module text).

    Columns ``health_score`` and ``health_<dimension>`` for each of the five dimensions
    (NaN for a dimension none of the model's columns belongs to), and ``health_other`` when
    the model has columns outside the catalogue. ``health_score`` is ``100 · (1 − p_churn)``
    and lies between the row's lowest and highest dimension.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from churnguard.risk.model import ChurnRiskModel
    >>> rng = np.random.default_rng(2)
    >>> X = pd.DataFrame({"recency_days": rng.integers(1, 300, 400),
    ...                   "complaints_90d": rng.integers(0, 3, 400)})
    >>> y = (rng.random(400) < X.recency_days / 300).astype(int)
    >>> health = health_scores(ChurnRiskModel(n_estimators=50).fit(X, y), X.head(2))
    >>> list(health.columns)
    ['health_score', 'health_purchasing', 'health_spend', 'health_service', \
'health_payment', 'health_relationship']
    >>> bool(health["health_spend"].isna().all())  # no spend column in this model
    True
    """
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
    if contributions is None:
        contributions = model.contributions(frame)
    return combine_dimensions(contributions, model.probability_from_score,
                              {name: feature_info(name).dimension for name in model.features_},
                              index=frame.index)


def combine_dimensions(contributions: pd.DataFrame, calibrated: Any,
                       dimension_of: dict[str, str], *, index: Any = None) -> pd.DataFrame:
    """Health overall and per dimension from log-odds ``contributions`` (one column per
    feature plus ``(baseline)``), a monotone ``calibrated`` map from log-odds to churn
    probability and each feature's dimension.

    Examples
    --------
    Baseline log-odds −2, purchasing +3 (weak), service −1 (strong), no spend, payment or
    relationship column: ``D = 2``, purchasing ``−2 + 2·3 = 4``, service ``−2 − 2 = −4``, the
    overall their mean ``0`` (= ``−2 + 3 − 1``).

    >>> parts = pd.DataFrame({"recency_days": [3.0], "complaints_90d": [-1.0],
    ...                       "(baseline)": [-2.0]})
    >>> sigmoid = lambda z: 1 / (1 + np.exp(-np.asarray(z)))
    >>> h = combine_dimensions(parts, sigmoid, {"recency_days": "purchasing",
    ...                                          "complaints_90d": "service"})
    >>> h[["health_score", "health_purchasing", "health_service"]].to_dict("records")
    [{'health_score': 50.0, 'health_purchasing': 1.8, 'health_service': 98.2}]
    """
    baseline = contributions["(baseline)"].to_numpy(dtype="float64")
    groups: dict[str, list[str]] = {d: [] for d in DIMENSIONS}
    for name, dimension in dimension_of.items():
        groups.setdefault(dimension, []).append(name)
    used = [d for d, names in groups.items() if names]
    size = max(len(used), 1)
    out: dict[str, Any] = {}
    scores = []
    for dimension, names in groups.items():
        if dimension == "other" and not names:
            continue
        if not names:
            out[f"health_{dimension}"] = np.full(len(baseline), np.nan)
            continue
        score = baseline + size * contributions[names].to_numpy(dtype="float64").sum(axis=1)
        scores.append(score)
        out[f"health_{dimension}"] = _health(calibrated(score))
    overall = np.mean(scores, axis=0) if scores else baseline
    health = pd.DataFrame({"health_score": _health(calibrated(overall)), **out})
    if index is not None:
        health.index = index
    return health


def _health(p_churn: Any) -> np.ndarray:
    return np.round(100 * (1 - np.asarray(p_churn, dtype="float64")), 1)


def weakest_dimension(health: pd.DataFrame) -> pd.Series:
    """The name of each row's lowest-scoring dimension.

    Examples
    --------
    >>> weakest_dimension(pd.DataFrame({"health_score": [40.0], "health_service": [20.0],
    ...                                 "health_spend": [70.0]})).tolist()
    ['service']
    """
    columns = [c for c in health.columns if c.startswith("health_") and c != "health_score"]
    return health[columns].idxmin(axis=1).str.removeprefix("health_")
