"""Reasons per customer from the model's own contributions, in English and Chinese.

:meth:`ChurnRiskModel.contributions` splits each customer's log-odds into one term per
feature (LightGBM ``pred_contrib`` plus the logistic partner). The reasons are the three
features that push the risk up the most, each turned into a sentence about the customer's
own value ("no order for 143 days" / "已 143 天未下单"). Sentences are built per feature over
all customers at once, never customer by customer.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from churnguard.i18n import translate_value
from churnguard.risk.catalog import feature_info

if TYPE_CHECKING:
    from churnguard.risk.model import ChurnRiskModel

_PLACEHOLDER = re.compile(r"(\{v\}|\{dir_en\}|\{dir_zh\})")


def explain(model: ChurnRiskModel, X: Any, *, top: int = 3,
            contributions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Top ``top`` reasons per row: the features that raise this customer's risk most.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``X``; for ``k = 1..top`` the columns ``reason_k`` (feature name),
        ``impact_k`` (log-odds added), ``reason_k_en`` and ``reason_k_zh`` (sentences).
        A row with fewer than ``top`` risk-raising features has empty trailing reasons.
        Pass ``contributions`` (from :meth:`ChurnRiskModel.contributions`) to reuse them.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from churnguard.risk.model import ChurnRiskModel
    >>> rng = np.random.default_rng(1)
    >>> X = pd.DataFrame({"recency_days": rng.integers(1, 300, 500)})
    >>> y = (rng.random(500) < X.recency_days / 300).astype(int)
    >>> model = ChurnRiskModel(n_estimators=100).fit(X, y)
    >>> explain(model, X.iloc[[3]])["reason_1_en"].tolist()
    ['no order for 285 days']
    """
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
    if contributions is None:
        contributions = model.contributions(frame)
    features = np.asarray(model.features_, dtype=object)
    values = model._encode(frame)
    impact = contributions[list(features)].to_numpy()
    ranked = _top(impact, min(top, len(features)))
    rows = np.arange(len(frame))
    gains = impact[rows[:, None], ranked]
    raises = gains > 0
    english, chinese = _sentences(features, values, ranked, raises)
    out: dict[str, Any] = {}
    for k in range(ranked.shape[1]):
        chosen = ranked[:, k]
        out[f"reason_{k + 1}"] = np.where(raises[:, k], features[chosen], None)
        out[f"impact_{k + 1}"] = np.where(raises[:, k], gains[:, k], np.nan)
        out[f"reason_{k + 1}_en"] = english[k]
        out[f"reason_{k + 1}_zh"] = chinese[k]
    return pd.DataFrame(out, index=frame.index)


def _top(impact: np.ndarray, top: int) -> np.ndarray:
    """Columns of the ``top`` largest values per row, largest first, ties by position: the
    first ``top`` of a stable descending sort, found by ``top`` passes of ``argmax``."""
    if np.isnan(impact).any() or top > 8:  # argmax would pick NaN first: sort instead
        return np.argsort(-impact, axis=1, kind="stable")[:, :top]
    left = impact.copy()
    rows = np.arange(len(impact))
    ranked = np.empty((len(impact), top), dtype=np.int64)
    for k in range(top):
        ranked[:, k] = np.argmax(left, axis=1) if left.shape[1] else 0
        left[rows, ranked[:, k]] = -np.inf
    return ranked


def _sentences(features: np.ndarray, values: pd.DataFrame, ranked: np.ndarray,
               raises: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sentences ``(top, rows)`` in English and Chinese (None where nothing raises the risk).

    The (row, rank) pairs are grouped by feature with one sort; each feature's values are
    formatted once per distinct value over all ranks, then handed to every row with it.
    """
    top, rows = ranked.shape[1], len(ranked)
    english = np.full((top, rows), None, dtype=object)
    chinese = np.full((top, rows), None, dtype=object)
    row, rank = np.nonzero(raises)
    feature = ranked[row, rank]
    order = np.argsort(feature, kind="stable")
    row, rank, feature = row[order], rank[order], feature[order]
    starts = np.flatnonzero(np.r_[True, feature[1:] != feature[:-1]]) if len(feature) \
        else np.zeros(0, dtype=np.int64)  # no row has a reason
    for start, stop in zip(starts, np.r_[starts[1:], len(feature)][:len(starts)], strict=True):
        name = str(features[feature[start]])
        info = feature_info(name)
        at = row[start:stop]
        column = values[name]
        codes, distinct = pd.factorize(column.iloc[at], use_na_sentinel=False)
        parts = _formatted(pd.Series(distinct, dtype=column.dtype), info.format)
        english[rank[start:stop], at] = _fill(info.en, parts)[codes]
        chinese[rank[start:stop], at] = _fill(info.zh, _in_chinese(parts, name))[codes]
    return english, chinese


def _fill(template: str, parts: dict[str, pd.Series]) -> np.ndarray:
    pieces = _PLACEHOLDER.split(template)
    result = pd.Series("", index=parts["v"].index, dtype="object")
    for piece in pieces:
        if piece in ("{v}", "{dir_en}", "{dir_zh}"):
            result = result + parts[piece[1:-1]]
        elif piece:
            result = result + piece
    return result.to_numpy(dtype=object)


def _in_chinese(parts: dict[str, pd.Series], feature: str) -> dict[str, pd.Series]:
    """The parts with the value in Chinese: a known code (segment ``smb``, channel
    ``online``) by the catalogue, ``missing``/``unknown`` as 未知; other text is data as is."""
    words = {"missing": "未知", "unknown": "未知"}
    text = parts["v"].map(lambda v: words.get(v) or translate_value(feature, v, "zh"))
    return {**parts, "v": text}


def _formatted(values: pd.Series, fmt: str) -> dict[str, pd.Series]:
    """The value as display text, and the words for its direction."""
    if isinstance(values.dtype, pd.CategoricalDtype) or values.dtype == object:
        text = values.astype("object").where(values.notna(), "missing").astype(str)
        return _with_direction(text, pd.Series(0.0, index=values.index))
    numbers = values.astype("float64") + 0.0  # + 0.0 turns -0.0 into 0.0
    missing = numbers.isna()
    shown = _number_text(numbers.fillna(0.0), fmt)
    shown = shown.where(~missing, "unknown")
    return _with_direction(shown, numbers.fillna(0.0))


def _number_text(numbers: pd.Series, fmt: str) -> pd.Series:
    if fmt in ("int", "flag"):
        return numbers.round().astype("int64").astype(str)
    if fmt == "money":
        return numbers.map("{:,.0f}".format)
    if fmt == "pct_change":
        return (numbers.abs() * 100).round().astype("int64").astype(str) + "%"
    if fmt == "pct":
        return (numbers * 100).round().astype("int64").astype(str) + "%"
    if fmt == "pct_points":
        return (numbers.abs() * 100).round(1).astype(str)
    if fmt == "signed_int":
        return numbers.round().astype("int64").map("{:+d}".format)
    if fmt == "signed_number":
        return numbers.round(1).map("{:+.1f}".format)
    if fmt in ("ratio", "score", "number"):
        return numbers.round(1).astype(str)
    return numbers.map("{:.4g}".format)


def _with_direction(text: pd.Series, numbers: pd.Series) -> dict[str, pd.Series]:
    falling = numbers < 0
    return {
        "v": text,
        "dir_en": pd.Series(np.where(falling, "fell", "rose"), index=text.index),
        "dir_zh": pd.Series(np.where(falling, "下降", "上升"), index=text.index),
    }


def reasons_text(explained: pd.DataFrame, *, language: str = "en", top: int = 3) -> pd.Series:
    """The reasons of each row joined into one line (``"; "`` in English, ``"；"`` in Chinese).

    Examples
    --------
    >>> frame = pd.DataFrame({"reason_1_en": ["no order for 90 days"], "reason_2_en": [None]})
    >>> reasons_text(frame, top=2).tolist()
    ['no order for 90 days']
    """
    separator = "；" if language == "zh" else "; "
    columns = [f"reason_{k}_{language}" for k in range(1, top + 1)
               if f"reason_{k}_{language}" in explained]
    if not columns:
        return pd.Series("", index=explained.index)
    parts = [explained[column].to_numpy(dtype=object) for column in columns]
    # one join per row over its (at most three) sentences: cheaper than masked string sums
    text = [separator.join([p for p in row if isinstance(p, str) and p])
            for row in zip(*parts, strict=True)]
    return pd.Series(text, index=explained.index, dtype=object)
