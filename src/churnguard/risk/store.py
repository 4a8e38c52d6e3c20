"""Fit the churn-risk model once, save it in the workspace, score with it many times.

:func:`train` fits a :class:`~churnguard.risk.model.ChurnRiskModel` on past snapshots whose
labels end by ``as_of`` and writes it to ``<workspace>/models/risk.joblib`` (:data:`MODEL_FILE`):
the scikit-learn estimator, the feature columns it was fitted on and what it learned from —
snapshot dates, horizon, label, churn definition, rows, library versions, time of training.
:func:`load_model` reads it back and :func:`check_saved_model` refuses a model that cannot
honestly score a date: trained on other feature columns, under another churn definition or
horizon, or on outcomes that lie after the scoring date.

The file is a pickle (joblib): load only models your own workspace wrote.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import joblib

from churnguard.churn import ChurnDefinition, to_date
from churnguard.errors import ConfigError, SchemaError
from churnguard.risk.backtest import (
    DEFAULT_HORIZON_DAYS,
    default_label,
    fit_history,
    label_lag,
    snapshot_dates,
)
from churnguard.risk.features import FEATURE_COLUMNS
from churnguard.risk.model import ChurnRiskModel

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

MODEL_FILE = Path("models") / "risk.joblib"
FORMAT = 1


def model_path(ws: Workspace) -> Path:
    """Where the workspace keeps its churn-risk model (``models/risk.joblib``).

    Examples
    --------
    >>> import tempfile
    >>> from churnguard import Workspace
    >>> ws = Workspace.create(tempfile.mkdtemp() + "/shop")
    >>> model_path(ws).relative_to(ws.folder).as_posix()
    'models/risk.joblib'
    """
    return Path(ws.folder) / MODEL_FILE


def model_metadata(model: ChurnRiskModel) -> dict[str, Any]:
    """What a model fitted by :func:`~churnguard.risk.backtest.fit_history` learned from."""
    import lightgbm
    import sklearn

    import churnguard

    dates = [d.isoformat() for d in getattr(model, "training_dates_", [])]
    churn = getattr(model, "churn_", None)
    return {
        "format": FORMAT,
        "feature_columns": [str(c) for c in model.feature_names_in_],
        "training_dates": dates,
        "labels_end": labels_end(model).isoformat() if dates else None,
        "horizon_days": getattr(model, "horizon_days_", None),
        "label": getattr(model, "label_", None),
        "churn": churn.label() if churn is not None else None,
        "training_rows": getattr(model, "training_rows_", None),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": {"churnguard": churnguard.__version__, "lightgbm": lightgbm.__version__,
                     "scikit-learn": sklearn.__version__},
    }


def labels_end(model: ChurnRiskModel) -> date:
    """The day after which the model's training labels lie: the last snapshot plus the horizon
    (plus the definition's silence for ``departure`` labels)."""
    lag = label_lag(model.churn_, model.label_)
    return max(model.training_dates_) + timedelta(days=model.horizon_days_ + lag)


def save_model(model: ChurnRiskModel, path: Path | str) -> Path:
    """Write a fitted model with its metadata to ``path`` (atomically).

    Examples
    --------
    >>> import tempfile, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"recency_days": rng.integers(1, 300, 300)})
    >>> model = ChurnRiskModel(n_estimators=20).fit(X, (X.recency_days > 150).astype(int))
    >>> path = save_model(model, tempfile.mkdtemp() + "/risk.joblib")
    >>> load_model(path).metadata_["feature_columns"]
    ['recency_days']
    """
    if not hasattr(model, "booster_"):
        raise ConfigError("only a fitted ChurnRiskModel can be saved; fit it first.")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": FORMAT, "model": model, "metadata": model_metadata(model)}
    partial = path.with_name(path.name + ".partial")
    joblib.dump(payload, partial)
    os.replace(partial, path)
    return path


def load_model(path: Path | str) -> ChurnRiskModel:
    """Read a model written by :func:`save_model`; its metadata is on ``metadata_``."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no saved churn-risk model at {path}. Train one with "
                          f"`churnguard train --workspace W --as-of YYYY-MM-DD`.")
    try:
        payload = joblib.load(path)
    except Exception as exc:  # a damaged or foreign file: say which and how to mend it
        raise ConfigError(f"{path} could not be read as a churnguard model ({exc}). Delete it "
                          f"and train again with `churnguard train`.") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT \
            or not isinstance(payload.get("model"), ChurnRiskModel):
        raise ConfigError(f"{path} is not a churnguard risk model of format {FORMAT}. Delete "
                          f"it and train again with `churnguard train`.")
    model = payload["model"]
    model.metadata_ = payload["metadata"]
    return model


def saved_model(ws: Workspace) -> ChurnRiskModel | None:
    """The workspace's saved model, or None when none was trained."""
    path = model_path(ws)
    return load_model(path) if path.is_file() else None


def check_saved_model(model: ChurnRiskModel, as_of: date, *, churn: ChurnDefinition,
                      horizon_days: int | None = None, label: str | None = None,
                      where: str = "the saved model") -> None:
    """Refuse a saved model that cannot score ``as_of`` honestly.

    Raises :class:`~churnguard.errors.SchemaError` when the model was fitted on other feature
    columns than :data:`~churnguard.risk.features.FEATURE_COLUMNS`, and
    :class:`~churnguard.errors.ConfigError` when its churn definition, horizon or label differ
    from those asked for, or when its training labels end after ``as_of``.
    """
    fix = "Train it again (`churnguard train`) or score with --refit."
    columns = [str(c) for c in model.feature_names_in_]
    if columns != FEATURE_COLUMNS:
        missing = [c for c in FEATURE_COLUMNS if c not in columns]
        extra = [c for c in columns if c not in FEATURE_COLUMNS]
        detail = "; ".join(part for part in (
            f"missing {', '.join(missing)}" if missing else "",
            f"unknown {', '.join(extra)}" if extra else "",
            "" if missing or extra else "same columns in another order") if part)
        raise SchemaError(f"{where} was trained on other feature columns than churnguard "
                          f"computes now ({detail}). {fix}")
    if getattr(model, "churn_", None) is None or not hasattr(model, "training_dates_"):
        raise ConfigError(f"{where} does not record its training snapshots (it was not fitted "
                          f"with fit_history). {fix}")
    if model.churn_ != churn:
        raise ConfigError(f"{where} was trained with the churn definition "
                          f"'{model.churn_.label()}' but the scoring uses '{churn.label()}'. "
                          f"{fix}")
    if horizon_days is not None and horizon_days != model.horizon_days_:
        raise ConfigError(f"{where} predicts churn within {model.horizon_days_} days, not "
                          f"{horizon_days}. {fix}")
    if label is not None and label != model.label_:
        raise ConfigError(f"{where} was trained for label '{model.label_}', not '{label}'. "
                          f"{fix}")
    end = labels_end(model)
    if end > as_of:
        raise ConfigError(f"{where} learned from outcomes up to {end}, after the scoring date "
                          f"{as_of}: scoring with it would use the future. Score a date on or "
                          f"after {end}, train for this date (`churnguard train --as-of "
                          f"{as_of}`) or score with --refit.")


def train(ws: Workspace, as_of: date | datetime | str, *,
          horizon_days: int = DEFAULT_HORIZON_DAYS, churn: ChurnDefinition | None = None,
          label: str | None = None, snapshots: int = 6, model: ChurnRiskModel | None = None,
          save: bool = True) -> ChurnRiskModel:
    """Fit on ``snapshots`` monthly snapshots whose labels end by ``as_of`` and save the model
    to ``<workspace>/models/risk.joblib`` (with ``save=True``).

    The defaults are :func:`~churnguard.risk.scoring.score`'s: 180 days and
    :func:`~churnguard.risk.backtest.default_label` (departure when the history allows it).
    Returns the fitted model; ``metadata_`` holds what was saved with it.
    """
    day = to_date(as_of)
    definition = churn or ws.churn_definition()
    label = label or default_label(ws, day, horizon_days=horizon_days, churn=definition)
    dates = snapshot_dates(day, horizon_days=horizon_days + label_lag(definition, label),
                           count=snapshots)
    fitted = fit_history(ws, dates, horizon_days=horizon_days, churn=definition, label=label,
                         model=model)
    fitted.metadata_ = model_metadata(fitted)
    if save:
        save_model(fitted, model_path(ws))
    return fitted
