"""Score the active customers: who is at risk, why, what it would cost, who owns them.

``score(ws, as_of)`` scores every customer active at ``as_of`` with the workspace's saved
:class:`~churnguard.risk.model.ChurnRiskModel` (``churnguard train``, see
:mod:`churnguard.risk.store`), or one fitted on past snapshots, or the one given, and returns
the at-risk list, riskiest first. With ``save=True`` the list is written to the warehouse
table ``risk_scores`` (atomically, keyed by ``customer_id, as_of``: a re-run of a date replaces
its rows, earlier dates remain as history), where ``churnguard sync`` picks up each
customer's latest row:

==================  ==================================================================
``customer_id``     the customer
``as_of``           scoring date (date)
``p_churn``         calibrated probability of churning within ``horizon_days``
``risk_band``       ``high`` (p ≥ 0.5), ``medium`` (p ≥ 0.2) or ``low``; bands settable
``rank``            1 = riskiest
``health_score``    0–100, 100 = healthy; plus ``health_<dimension>`` for purchasing,
                    spend, service, payment and relationship
``reasons``         top three reasons in English, ``"; "``-separated (``reasons_zh`` in
                    Chinese, ``"；"``-separated); ``reason_1..3`` the feature names
``rules_fired``     names of the warning rules that fired, ``", "``-separated
                    (``rules_en``/``rules_zh`` their sentences; ``rule_score`` the severities)
``clv``             12-month margin CLV (BG/NBD × Gamma-Gamma) when it can be fitted
``profit_at_risk``  ``p_churn × clv``
``owner_id``        account owner
``horizon_days``    label window of the model
==================  ==================================================================
"""

from __future__ import annotations

import warnings
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
from sklearn.exceptions import NotFittedError as SklearnNotFitted
from sklearn.utils.validation import check_is_fitted

from churnguard.churn import ChurnDefinition, to_date
from churnguard.errors import ChurnguardError, ConfigError
from churnguard.risk.backtest import fit_history, label_lag, snapshot_dates
from churnguard.risk.explain import explain, reasons_text
from churnguard.risk.features import features
from churnguard.risk.health import health_scores
from churnguard.risk.model import ChurnRiskModel
from churnguard.risk.rules import evaluate_rules, rules_from_settings, rules_summary

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

RISK_SCORES_TABLE = "risk_scores"
DEFAULT_BANDS = (0.2, 0.5)
BAND_LABELS_ZH = {"high": "高风险", "medium": "中风险", "low": "低风险"}


def risk_band(p_churn: np.ndarray | pd.Series, *,
              bands: tuple[float, float] = DEFAULT_BANDS) -> np.ndarray:
    """``low``, ``medium`` or ``high`` for each probability.

    Examples
    --------
    >>> risk_band([0.1, 0.2, 0.7]).tolist()
    ['low', 'medium', 'high']
    """
    low, high = bands
    if not 0 < low < high < 1:
        raise ConfigError(f"risk bands must satisfy 0 < medium < high < 1; received {bands}.")
    p = np.asarray(p_churn, dtype="float64")
    return np.where(p >= high, "high", np.where(p >= low, "medium", "low")).astype(object)


def customer_values(ws: Workspace, as_of: date, *, months: int = 12) -> pd.DataFrame:
    """``customer_id, p_alive, clv`` from the value module (margin CLV over ``months``, as in
    the value report), or an empty frame when it cannot be fitted (too little history)."""
    empty = pd.DataFrame({"customer_id": pd.Series(dtype="object"),
                          "p_alive": pd.Series(dtype="float64"),
                          "clv": pd.Series(dtype="float64")})
    try:
        from churnguard.value import BetaGeo, GammaGamma, clv, rfm_summary
        from churnguard.value.overview import gross_margin
    except ImportError:
        return empty
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            data = rfm_summary(ws, as_of=as_of, time_unit="W")
            margin = gross_margin(ws, as_of - timedelta(days=365), as_of)
            values = clv(BetaGeo().fit(data), GammaGamma().fit(data), months=months,
                         data=data, margin=margin)
    except (ChurnguardError, ValueError, FloatingPointError):
        return empty
    return values[["customer_id", "p_alive", "clv"]]


def _is_fitted(model: ChurnRiskModel) -> bool:
    try:
        check_is_fitted(model)
    except SklearnNotFitted:
        return False
    return True


def score(ws: Workspace, as_of: date | datetime | str, *, model: ChurnRiskModel | None = None,
          horizon_days: int | None = None, churn: ChurnDefinition | None = None,
          label: str | None = None, bands: tuple[float, float] = DEFAULT_BANDS,
          with_value: bool = True, save: bool = True, top: int | None = None,
          snapshots: int = 6, refit: bool = False) -> pd.DataFrame:
    """The at-risk list at ``as_of``: every active customer, riskiest first.

    Parameters
    ----------
    ws
        The workspace.
    as_of
        Scoring date; only data before it is used.
    model
        A fitted model, or an unfitted one whose settings to fit. By default the workspace's
        saved model (``models/risk.joblib``, see :func:`churnguard.risk.store.train`) when
        there is one, else a model fitted on ``snapshots`` monthly snapshots whose labels end
        by ``as_of`` (:func:`~churnguard.risk.backtest.fit_history`).
    horizon_days, churn, label
        Label window, churn definition and label: those of the saved model (which must match
        what is asked for), else 90 days, the workspace definition and ``"churn"``.
    bands
        Probability cut-offs of the ``medium`` and ``high`` bands.
    with_value
        Add ``clv`` and ``profit_at_risk`` from the value module.
    save
        Replace the warehouse table ``risk_scores`` with the full list.
    top
        Return only the ``top`` riskiest (the saved table has everyone).
    snapshots
        Training snapshots when a model is fitted.
    refit
        Fit a model for this date even when the workspace has a saved one.

    Returns
    -------
    pandas.DataFrame
        The columns listed in the module documentation; ``attrs["model"]`` says which model
        scored (``"saved"``, ``"given"`` or ``"fitted"``).
    """
    from churnguard.risk.store import check_saved_model, model_path, saved_model

    day = to_date(as_of)
    definition = churn or ws.churn_definition()
    source = "given" if model is not None and _is_fitted(model) else "fitted"
    if model is None and not refit:
        stored = saved_model(ws)
        if stored is not None:
            check_saved_model(stored, day, churn=definition, horizon_days=horizon_days,
                              label=label, where=f"the saved model {model_path(ws)}")
            model, source = stored, "saved"
    if model is None or not _is_fitted(model):
        label = label or "churn"
        horizon_days = horizon_days or 90
        lag = label_lag(definition, label)
        dates = snapshot_dates(day, horizon_days=horizon_days + lag, count=snapshots)
        model = fit_history(ws, dates, horizon_days=horizon_days, churn=definition,
                            label=label, model=model)
    frame = features(ws, day, churn=definition)
    result = score_frame(frame, model, rules=rules_from_settings(ws.settings.section("rules")),
                         bands=bands)
    result.insert(1, "as_of", pd.Timestamp(day))
    result["horizon_days"] = getattr(model, "horizon_days_", horizon_days or 90)
    result = _add_value(ws, day, result, with_value)
    owners = ws.table("customers").select("customer_id", "owner_id").to_pandas()
    result = result.merge(owners, on="customer_id", how="left")
    result = result.sort_values(["p_churn", "customer_id"], ascending=[False, True],
                                ignore_index=True)
    result.insert(4, "rank", np.arange(1, len(result) + 1))
    result.attrs["model"] = source
    if save:
        save_scores(ws, result)
    return result.head(top) if top else result


def score_frame(frame: pd.DataFrame, model: ChurnRiskModel, *, rules: list | None = None,
                bands: tuple[float, float] = DEFAULT_BANDS) -> pd.DataFrame:
    """Probability, band, health, reasons and fired rules for a feature frame."""
    # the model reads its own columns by name: no copy of the feature columns is needed
    X = frame if frame.index.equals(pd.RangeIndex(len(frame))) else frame.reset_index(
        drop=True)
    parts = model.contributions(X)  # once, for probability, reasons and health
    p = model.probability_from_score(parts.to_numpy().sum(axis=1))
    reasons = explain(model, X, contributions=parts)
    health = health_scores(model, X, contributions=parts)
    fired = rules_summary(frame, evaluate_rules(frame, rules))
    out = pd.DataFrame({"customer_id": frame["customer_id"].to_numpy(), "p_churn": p,
                        "risk_band": risk_band(p, bands=bands)})
    out = pd.concat([out, health], axis=1)
    out["reasons"] = reasons_text(reasons, language="en").to_numpy()
    out["reasons_zh"] = reasons_text(reasons, language="zh").to_numpy()
    for k in (1, 2, 3):
        out[f"reason_{k}"] = reasons[f"reason_{k}"].to_numpy() if f"reason_{k}" in reasons \
            else None
    out["rules_fired"] = fired["rules"].to_numpy()
    out["rules_en"] = fired["rules_en"].to_numpy()
    out["rules_zh"] = fired["rules_zh"].to_numpy()
    out["rule_score"] = fired["rule_score"].to_numpy()
    return out


def _add_value(ws: Workspace, day: date, result: pd.DataFrame, with_value: bool) -> pd.DataFrame:
    values = customer_values(ws, day) if with_value else pd.DataFrame(
        {"customer_id": pd.Series(dtype="object"), "p_alive": pd.Series(dtype="float64"),
         "clv": pd.Series(dtype="float64")})
    result = result.merge(values, on="customer_id", how="left")
    result["profit_at_risk"] = result["p_churn"] * result["clv"]
    return result


def save_scores(ws: Workspace, scores: pd.DataFrame) -> None:
    """Write ``scores`` to the warehouse table ``risk_scores`` (atomically).

    Rows are keyed by ``(customer_id, as_of)``: scoring the same date again replaces that
    date's rows, earlier dates stay as the customers' risk history.
    """
    frame = scores.copy()
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    for name in ("reason_1", "reason_2", "reason_3", "owner_id"):
        if name in frame:
            frame[name] = frame[name].astype("object").where(frame[name].notna(), None)
    rows = pa.Table.from_pandas(frame, preserve_index=False)
    if ws.has_table(RISK_SCORES_TABLE):
        existing = ws.table(RISK_SCORES_TABLE)
        if list(existing.columns) != rows.column_names:  # older layout: start afresh
            ws.warehouse.replace(RISK_SCORES_TABLE, rows)
            return
        rows = rows.cast(existing.schema().to_pyarrow())
    ws.warehouse.upsert(RISK_SCORES_TABLE, rows, key=["customer_id", "as_of"])


def load_scores(ws: Workspace, as_of: date | datetime | str | None = None) -> pd.DataFrame:
    """Saved scores of ``as_of`` (default: the latest scoring date), riskiest first; empty
    when never scored."""
    if not ws.has_table(RISK_SCORES_TABLE):
        return pd.DataFrame()
    table = ws.table(RISK_SCORES_TABLE)
    day = to_date(as_of) if as_of is not None else table.as_of.max().execute()
    frame = table.filter(table.as_of == day).to_pandas()
    return frame.sort_values("rank", ignore_index=True)


