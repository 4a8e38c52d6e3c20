"""Map a model's log-odds to probabilities that stay inside (0, 1).

A calibration set of ``n`` rows cannot show that anything is certain: with no churner among
``n`` look-alikes the rule of succession still gives ``1 / (n + 2)``. Both calibrators keep
their probabilities within the bounds their own counts justify, and both are strictly
increasing in the score, so calibrating never ties customers the model told apart (a product
such as ``p_churn × value`` keeps ranking by both parts).

- :class:`PlattCalibrator` (``"sigmoid"``): a logistic fit on the log-odds (Platt 1999),
  clipped to ``[1 / (n + 2), 1 − 1 / (n + 2)]``.
- :class:`IsotonicCalibrator` (``"isotonic"``): isotonic regression whose pooled steps are
  smoothed with half an event and half a non-event each (``(k + ½) / (m + 1)`` for ``k``
  churners among ``m`` rows: a step of 40 churners out of 40 gives 0.988, not 1), then
  interpolated linearly between the steps' mean scores; beyond the first and last step the
  end values hold, with the raw score's order kept by a tie-break far below display precision.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

TIE_BREAK = 1e-7  # below any displayed precision; keeps the raw order inside flat ends


class PlattCalibrator:
    """Logistic map of scores to probabilities, bounded by the calibration set's size.

    Examples
    --------
    >>> score = np.array([-3.0, -1.0, 0.0, 1.0, 3.0, 40.0])
    >>> cal = PlattCalibrator().fit(score, np.array([0, 0, 1, 0, 1, 1]))
    >>> p = cal.predict(np.array([-100.0, 0.0, 100.0]))
    >>> bool(p[0] > 0), bool(p[2] < 1), round(float(p[2]), 3)
    (True, True, 0.875)
    """

    def fit(self, score: np.ndarray, target: np.ndarray) -> PlattCalibrator:
        score = np.asarray(score, dtype="float64")
        self.model_ = LogisticRegression(C=1e6).fit(score.reshape(-1, 1), target)
        self.bounds_ = _bounds(len(score))
        return self

    def predict(self, score: np.ndarray) -> np.ndarray:
        score = np.asarray(score, dtype="float64")
        raw = expit(self.model_.coef_[0, 0] * score + self.model_.intercept_[0])
        return np.clip(raw, *self.bounds_)


class IsotonicCalibrator:
    """Isotonic steps smoothed by their counts and interpolated between their mean scores.

    Examples
    --------
    >>> score = np.arange(8.0)
    >>> cal = IsotonicCalibrator().fit(score, np.array([0, 0, 0, 1, 0, 1, 1, 1]))
    >>> [round(float(v), 3) for v in cal.predict(np.array([0.0, 3.5, 6.5, 99.0]))]
    [0.125, 0.5, 0.875, 0.875]
    """

    def fit(self, score: np.ndarray, target: np.ndarray) -> IsotonicCalibrator:
        score = np.asarray(score, dtype="float64")
        target = np.asarray(target, dtype="float64")
        fitted = IsotonicRegression(out_of_bounds="clip").fit_transform(score, target)
        # consecutive rows (by score) with the same fitted value form one pooled step
        order = np.argsort(score, kind="stable")
        level = fitted[order]
        step = np.concatenate([[0], np.cumsum(np.diff(level) != 0)])
        rows = np.bincount(step).astype("float64")
        events = np.bincount(step, weights=target[order])
        self.centres_ = np.bincount(step, weights=score[order]) / rows
        self.values_ = (events + 0.5) / (rows + 1.0)
        return self

    def predict(self, score: np.ndarray) -> np.ndarray:
        score = np.asarray(score, dtype="float64")
        p = np.interp(score, self.centres_, self.values_)
        outside = (score < self.centres_[0]) | (score > self.centres_[-1])
        return np.where(outside, p + TIE_BREAK * (expit(score) - 0.5), p)


def _bounds(rows: int) -> tuple[float, float]:
    """``1 / (n + 2)`` and its complement: the rule of succession with no event in ``n``."""
    low = 1.0 / (rows + 2.0)
    return low, 1.0 - low


def fit_calibrator(
    kind: str, score: np.ndarray, target: np.ndarray
) -> PlattCalibrator | IsotonicCalibrator | None:
    """The fitted calibrator of ``kind`` (``"sigmoid"``, ``"isotonic"``; else None)."""
    if kind == "sigmoid":
        return PlattCalibrator().fit(score, target)
    if kind == "isotonic":
        return IsotonicCalibrator().fit(score, target)
    return None


def apply_calibrator(
    calibrator: PlattCalibrator | IsotonicCalibrator | None, score: np.ndarray
) -> np.ndarray:
    """Probabilities of ``score``; without a calibrator the logistic of the log-odds."""
    if calibrator is None:
        return expit(np.asarray(score, dtype="float64"))
    return calibrator.predict(score)
