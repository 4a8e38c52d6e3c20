"""Customer lifetime value from a purchase model (BG/NBD or Pareto/NBD) and a spend model
(Gamma-Gamma or the shrinkage estimator of :mod:`churnguard.value.spend`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from churnguard.errors import SchemaError
from churnguard.value._base import DAYS_PER_UNIT
from churnguard.value.gamma_gamma import GammaGamma
from churnguard.value.spend import ShrinkageSpend


def clv(purchase_model: Any, spend_model: GammaGamma | ShrinkageSpend, *, months: int = 12,
        discount_rate: float = 0.01, margin: float | np.ndarray = 1.0,
        data: pd.DataFrame | None = None, time_unit: str | None = None) -> pd.DataFrame:
    """Discounted expected value of each customer over the next ``months``.

    ``CLV = Σ_{i=1..months} (E[X(i)] − E[X(i−1)]) · E[M] · margin / (1 + discount_rate)^i``
    where ``E[X(i)]`` is the purchase model's expected purchases in the first ``i`` months and
    ``E[M]`` the spend model's expected spend per purchase; months are 365.25/12 days long.

    ``value_if_retained`` is the same sum for a customer who stays: purchases at the posterior
    rate ``E[λ | x, t_x, T, alive] = (r + x) / (α + T)`` with no dropout, so it is never below
    ``clv``; ``expected_purchases_if_retained`` is that rate times the horizon.

    Parameters
    ----------
    purchase_model
        A fitted :class:`BetaGeo` or :class:`ParetoNBD`.
    spend_model
        A fitted :class:`GammaGamma` or :class:`~churnguard.value.spend.ShrinkageSpend` (the
        latter needs the ``spend_summary`` columns in ``data``).
    months
        Horizon in months.
    discount_rate
        Discount rate per month (0.01 ≈ 12.7 % a year).
    margin
        Share of revenue kept as profit (a number, or one per customer).
    data
        RFM summary to score; the purchase model's fitted data by default.
    time_unit
        ``"D"``, ``"W"`` or ``"M"``: the unit of the model's recency and T. By default the
        purchase model's ``time_unit_``, which it read from the ``rfm_summary`` frame's attrs
        (pandas drops attrs in some operations, e.g. ``merge``: then pass it here).

    Returns
    -------
    pandas.DataFrame
        ``customer_id, p_alive, expected_purchases, expected_spend, clv,
        expected_purchases_if_retained, value_if_retained``.

    Examples
    --------
    >>> from churnguard.value import BetaGeo, GammaGamma
    >>> data = pd.DataFrame({"customer_id": list("abcdef"), "frequency": [0, 2, 5, 1, 3, 4],
    ...     "recency": [0, 20, 30, 5, 9, 36], "T": [40, 38, 35, 30, 40, 39],
    ...     "monetary": [0, 35.0, 18, 10, 22, 20]})
    >>> bg, gg = BetaGeo(penalizer=0.001).fit(data), GammaGamma().fit(data)
    >>> values = clv(bg, gg, months=6, data=data)
    >>> list(values.columns)[:5]
    ['customer_id', 'p_alive', 'expected_purchases', 'expected_spend', 'clv']
    >>> list(values.columns)[5:]
    ['expected_purchases_if_retained', 'value_if_retained']
    >>> bool((values["value_if_retained"] >= values["clv"]).all())
    True
    """
    if months < 1:
        raise SchemaError(f"months must be at least 1; received {months}.")
    if discount_rate <= -1:
        raise SchemaError(f"discount_rate must be above -1; received {discount_rate}.")
    data = purchase_model.data_ if data is None else data
    unit = time_unit or getattr(purchase_model, "time_unit_", "D")
    if unit not in DAYS_PER_UNIT:
        raise SchemaError(f"time_unit={unit!r} is not one of D, W, M.")
    units_per_month = DAYS_PER_UNIT["M"] / DAYS_PER_UNIT[unit]
    spend = spend_model.expected_spend(data).to_numpy()
    horizons = np.arange(1, months + 1) * units_per_month
    if hasattr(purchase_model, "cumulative_purchases"):  # BG/NBD: all months in one pass
        curve = purchase_model.cumulative_purchases(horizons, data)
    else:  # a loop over months; customers are vectorised
        curve = np.stack([purchase_model.predict_purchases(h, data).to_numpy()
                          for h in horizons])
    previous = np.zeros(len(data))
    value = np.zeros(len(data))
    for month in range(1, months + 1):
        cumulative = curve[month - 1]
        value += (cumulative - previous) / (1 + discount_rate) ** month
        previous = cumulative
    monthly = purchase_model.purchase_rate_if_retained(data).to_numpy() * units_per_month
    discount = float(np.sum((1 + discount_rate) ** -np.arange(1, months + 1, dtype=float)))
    ids = data["customer_id"].to_numpy() if "customer_id" in data else data.index.to_numpy()
    per_purchase = spend * np.asarray(margin, dtype=float)
    return pd.DataFrame({
        "customer_id": ids,
        "p_alive": purchase_model.p_alive(data).to_numpy(),
        "expected_purchases": previous,
        "expected_spend": spend,
        "clv": value * per_purchase,
        "expected_purchases_if_retained": monthly * months,
        "value_if_retained": monthly * discount * per_purchase,
    })
