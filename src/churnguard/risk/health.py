"""A health score from 0 (about to leave) to 100 (healthy), with a breakdown by dimension.

``health_score = 100 · (1 − p_churn)`` with ``p_churn`` the calibrated probability. Each of the
five dimensions (purchasing, spend, service, payment, relationship; see
:mod:`churnguard.risk.catalog`) gets the health the customer would have if every other
dimension were that of the average customer: the model's baseline log-odds plus only that
dimension's contributions, calibrated. A manager sees which side is weak: a customer at 35
overall with service at 30 and purchasing at 80 is losing faith in the service, not buying less.
Columns that are not in the catalogue (a user's own table) form the dimension ``other``.
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
    """Health 0–100 overall and per dimension, indexed like ``X``.

    Columns ``health_score`` and ``health_<dimension>`` for each of the five dimensions
    (and ``health_other`` when the model has columns outside the catalogue).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from churnguard.risk.model import ChurnRiskModel
    >>> rng = np.random.default_rng(2)
    >>> X = pd.DataFrame({"recency_days": rng.integers(1, 300, 400),
    ...                   "complaints_90d": rng.integers(0, 3, 400)})
    >>> y = (rng.random(400) < X.recency_days / 300).astype(int)
    >>> health = health_scores(ChurnRiskModel(n_estimators=50).fit(X, y), X.head(2))
    >>> list(health.columns)[:3]
    ['health_score', 'health_purchasing', 'health_spend']
    """
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
    if contributions is None:
        contributions = model.contributions(frame)
    baseline = contributions["(baseline)"].to_numpy()
    p_churn = model.probability_from_score(contributions.to_numpy().sum(axis=1))
    out = {"health_score": np.round(100 * (1 - p_churn), 1)}
    groups: dict[str, list[str]] = {d: [] for d in DIMENSIONS}
    for name in model.features_:
        groups.setdefault(feature_info(name).dimension, []).append(name)
    for dimension, names in groups.items():
        if dimension == "other" and not names:
            continue
        part = contributions[names].to_numpy().sum(axis=1) if names else 0.0
        p = model.probability_from_score(baseline + part)
        out[f"health_{dimension}"] = np.round(100 * (1 - p), 1)
    return pd.DataFrame(out, index=frame.index)


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
