"""How good is a churn score: ranking, calibration, lift, capture and expected maximum profit.

All functions take true labels ``y`` (1 = churned) and scores ``p`` (higher = more likely to
churn). The top ``q`` share of customers is the first ``ceil(q · n)`` by descending score.

Expected maximum profit (Verbraken, Verdonck & Baesens, 2013, "A novel profit maximizing metric
for measuring classification performance of customer churn prediction models", IEEE TKDE 25(5))
values a retention campaign that contacts the top of the list: each contacted churner accepts
the offer with probability ``γ`` and is kept (worth ``CLV − d``), each contact costs ``f``, and
an offer made to a customer who would have stayed costs ``d``. With churn rate ``π₁``, and for
a cut-off that contacts a share ``F₁`` of the churners and ``F₀`` of the others, the profit per
customer in the base is::

    P = CLV · (γ(1 − δ) − φ) · π₁ · F₁  −  CLV · (δ + φ) · π₀ · F₀,   δ = d/CLV, φ = f/CLV.

The best cut-off depends on ``γ``; EMP is the expectation over ``γ ~ Beta(α, β)`` of the
profit at the best cut-off (a fixed ``acceptance`` gives the plain maximum profit).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from churnguard.errors import SchemaError

EMP_DEFAULTS = {"clv": 200.0, "offer_cost": 10.0, "contact_cost": 1.0, "acceptance": (6.0, 14.0)}


def _arrays(y: object, p: object) -> tuple[np.ndarray, np.ndarray]:
    labels = np.asarray(y, dtype="float64")
    scores = np.asarray(p, dtype="float64")
    if labels.shape != scores.shape or labels.ndim != 1:
        raise SchemaError(f"y and p must be 1-D and of equal length; received shapes "
                          f"{labels.shape} and {scores.shape}.")
    if not np.isin(labels, (0.0, 1.0)).all():
        raise SchemaError("y must hold 0 (stayed) and 1 (churned) only.")
    return labels, scores


def _top(scores: np.ndarray, share: float) -> np.ndarray:
    if not 0 < share <= 1:
        raise SchemaError(f"share {share!r} must be in (0, 1], e.g. 0.1 for the top 10%.")
    k = max(1, math.ceil(share * len(scores) - 1e-9))
    return np.argsort(-scores, kind="stable")[:k]


def lift_at(y: object, p: object, share: float) -> float:
    """Churn rate in the top ``share`` divided by the overall churn rate.

    Examples
    --------
    >>> lift_at([1, 0, 1, 0, 0, 0, 0, 0, 0, 0], [.9, .8, .7, .1, .1, .1, .1, .1, .1, .1], 0.2)
    2.5
    """
    labels, scores = _arrays(y, p)
    base = labels.mean()
    return float(labels[_top(scores, share)].mean() / base) if base > 0 else float("nan")


def capture_at(y: object, p: object, share: float) -> float:
    """Share of all churners found in the top ``share`` of scores.

    Examples
    --------
    >>> capture_at([1, 0, 1, 0], [.9, .8, .7, .1], 0.5)
    0.5
    """
    labels, scores = _arrays(y, p)
    total = labels.sum()
    return float(labels[_top(scores, share)].sum() / total) if total > 0 else float("nan")


def lift_curve(y: object, p: object, *, points: int = 20) -> pd.DataFrame:
    """Cumulative lift and capture at ``points`` evenly spaced shares of the list.

    Columns ``share, lift, capture, random``; ``random`` is the capture of a random list.

    Examples
    --------
    >>> lift_curve([1, 0, 1, 0], [.9, .8, .7, .1], points=2)["capture"].tolist()
    [0.5, 1.0]
    """
    shares = np.arange(1, points + 1) / points
    return pd.DataFrame({
        "share": shares,
        "lift": [lift_at(y, p, s) for s in shares],
        "capture": [capture_at(y, p, s) for s in shares],
        "random": shares,
    })


def calibration_table(y: object, p: object, *, bins: int = 10) -> pd.DataFrame:
    """Predicted against observed churn in ``bins`` equal-sized groups by score.

    Columns ``bin`` (1 = lowest scores), ``customers``, ``predicted`` (mean score),
    ``observed`` (churn rate), ``churners``.

    Examples
    --------
    >>> calibration_table([0, 0, 1, 1], [.1, .2, .7, .9], bins=2)["observed"].tolist()
    [0.0, 1.0]
    """
    labels, scores = _arrays(y, p)
    order = np.argsort(scores, kind="stable")
    groups = np.empty(len(scores), dtype=int)
    groups[order] = np.minimum(np.arange(len(scores)) * bins // max(len(scores), 1), bins - 1)
    frame = pd.DataFrame({"bin": groups + 1, "y": labels, "p": scores})
    table = frame.groupby("bin").agg(customers=("y", "size"), predicted=("p", "mean"),
                                     observed=("y", "mean"), churners=("y", "sum"))
    table["churners"] = table["churners"].astype(int)
    return table.reset_index()


def expected_maximum_profit(y: object, p: object, *, clv: float = 200.0,
                            offer_cost: float = 10.0, contact_cost: float = 1.0,
                            acceptance: float | tuple[float, float] = (6.0, 14.0),
                            grid: int = 400) -> dict[str, float]:
    """EMP of a churn score (Verbraken et al. 2013): profit per customer in the base.

    Parameters
    ----------
    clv
        Value of a customer kept (money).
    offer_cost
        Cost ``d`` of the retention offer to a customer who takes it.
    contact_cost
        Cost ``f`` of contacting one customer.
    acceptance
        Share of contacted churners who accept and stay: a number, or ``(α, β)`` of a Beta
        distribution (the paper's default ``(6, 14)``, mean 0.3).
    grid
        Quadrature points over the acceptance distribution.

    Returns
    -------
    dict
        ``emp`` (money per customer), ``share_targeted`` (expected share of the base to
        contact at the best cut-off).

    Examples
    --------
    A perfect score on a base that is half churners, with 30% acceptance:
    ``200 · (0.3 · 0.95 − 0.005) · 0.5 = 28``.

    >>> round(expected_maximum_profit([1, 1, 0, 0], [.9, .8, .2, .1], acceptance=0.3)["emp"], 6)
    28.0
    """
    labels, scores = _arrays(y, p)
    if clv <= 0:
        raise SchemaError(f"clv must be positive; received {clv}.")
    delta, phi = offer_cost / clv, contact_cost / clv
    share_churn = labels.mean()
    tpr, fpr = _roc_points(labels, scores)
    if isinstance(acceptance, tuple):
        alpha, beta = acceptance
        gammas = stats.beta.ppf((np.arange(grid) + 0.5) / grid, alpha, beta)
    else:
        gammas = np.asarray([float(acceptance)])
    gain = clv * (gammas[:, None] * (1 - delta) - phi) * share_churn * tpr[None, :]
    loss = clv * (delta + phi) * (1 - share_churn) * fpr[None, :]
    profit = gain - loss
    best = profit.argmax(axis=1)
    targeted = share_churn * tpr[best] + (1 - share_churn) * fpr[best]
    return {"emp": float(profit.max(axis=1).mean()), "share_targeted": float(targeted.mean())}


def _roc_points(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True- and false-positive rates at every distinct cut-off, from (0, 0) to (1, 1)."""
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_labels = scores[order], labels[order]
    last_of_tie = np.r_[np.diff(sorted_scores) != 0, True]
    positives = np.cumsum(sorted_labels)[last_of_tie]
    negatives = np.cumsum(1 - sorted_labels)[last_of_tie]
    tpr = np.r_[0.0, positives / max(labels.sum(), 1)]
    fpr = np.r_[0.0, negatives / max((1 - labels).sum(), 1)]
    return tpr, fpr


def score_metrics(y: object, p: object, **emp_options: float | tuple[float, float]) -> dict:
    """Every headline metric of a score in one dictionary.

    Keys ``roc_auc, pr_auc, brier, lift_at_5, lift_at_10, lift_at_20, capture_at_5,
    capture_at_10, capture_at_20, emp, emp_share_targeted, churn_rate, customers``. Brier
    needs probabilities; it is ``nan`` when a score leaves ``[0, 1]``.

    Examples
    --------
    >>> m = score_metrics([1, 0, 1, 0], [.9, .1, .8, .2])
    >>> m["roc_auc"], m["lift_at_20"]
    (1.0, 2.0)
    """
    labels, scores = _arrays(y, p)
    two_classes = 0 < labels.sum() < len(labels)
    nan = float("nan")
    probability = bool(scores.min() >= 0 and scores.max() <= 1) if len(scores) else False
    emp = expected_maximum_profit(labels, scores, **emp_options) if two_classes else {}
    metrics = {
        "roc_auc": float(roc_auc_score(labels, scores)) if two_classes else nan,
        "pr_auc": float(average_precision_score(labels, scores)) if two_classes else nan,
        "brier": float(brier_score_loss(labels, scores)) if probability else nan,
    }
    for share in (5, 10, 20):
        metrics[f"lift_at_{share}"] = lift_at(labels, scores, share / 100)
    for share in (5, 10, 20):
        metrics[f"capture_at_{share}"] = capture_at(labels, scores, share / 100)
    metrics["emp"] = emp.get("emp", nan)
    metrics["emp_share_targeted"] = emp.get("share_targeted", nan)
    metrics["churn_rate"] = float(labels.mean())
    metrics["customers"] = len(labels)
    return metrics
