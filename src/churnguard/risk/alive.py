"""The BG/NBD probability that a customer is still buying, as a feature of the risk model.

:func:`churnguard.risk.features.features` counts, per customer, the distinct purchase days,
the days since the last and since the first purchase; :func:`p_alive` fits a
:class:`~churnguard.value.BetaGeo` on the distinct patterns of those three numbers (with the
number of customers of each as weights, the same likelihood as one row per customer) and
evaluates it for the customers scored. The time unit is the week and the observation ends the
day before ``as_of``, as in :func:`churnguard.value.rfm_summary`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from churnguard.errors import ChurnguardError


def btyd_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """BG/NBD inputs in weeks from day counts: repeat purchase days, span, age (the
    observation ends the day before ``as_of``, as in :func:`churnguard.value.rfm_summary`).

    Examples
    --------
    >>> row = pd.DataFrame({"purchase_days": [3], "recency_days": [8], "tenure_days": [22]})
    >>> btyd_inputs(row).to_dict("records")
    [{'frequency': 2.0, 'recency': 2.0, 'T': 3.0}]
    """
    days = frame["purchase_days"].to_numpy(dtype="float64")
    tenure = frame["tenure_days"].to_numpy(dtype="float64")
    recency = frame["recency_days"].to_numpy(dtype="float64")
    data = pd.DataFrame({"frequency": days - 1, "recency": (tenure - recency) / 7,
                         "T": (tenure - 1) / 7})
    data.attrs["time_unit"] = "W"
    return data


def p_alive(patterns: pd.DataFrame, frame: pd.DataFrame) -> np.ndarray:
    """BG/NBD probability that each customer of ``frame`` is still buying, fitted on the
    purchase ``patterns`` of every customer (``purchase_days, recency_days, tenure_days,
    customers``); missing when the value module cannot fit it.

    Examples
    --------
    >>> patterns = pd.DataFrame({"purchase_days": [1, 3, 5, 2], "recency_days": [40, 5, 60, 9],
    ...                          "tenure_days": [40, 90, 200, 30], "customers": [50, 30, 10, 20]})
    >>> alive = p_alive(patterns, patterns.head(3))
    >>> [round(float(v), 3) for v in alive][0], bool(alive[1] > alive[2])
    (1.0, True)
    """
    alive = np.full(len(frame), np.nan)
    known = frame["purchase_days"].notna().to_numpy()
    patterns = patterns.dropna()
    if not known.any() or patterns.empty:
        return alive
    try:
        from churnguard.value import BetaGeo
    except ImportError:
        return alive
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = BetaGeo().fit(btyd_inputs(patterns),
                                  weights=patterns["customers"].to_numpy(dtype="float64"))
            inputs = frame[["purchase_days", "recency_days", "tenure_days"]]  # no wide copy
            alive[known] = model.p_alive(btyd_inputs(inputs[known])).to_numpy()
    except (ChurnguardError, ValueError, FloatingPointError):
        pass
    return alive
