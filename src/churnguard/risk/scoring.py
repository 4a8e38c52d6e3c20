"""Score the active customers: who is about to leave, why, what it would cost, who owns them.

``score(ws, as_of)`` scores every customer active at ``as_of`` with the workspace's saved
:class:`~churnguard.risk.model.ChurnRiskModel` (``churnguard train``, see
:mod:`churnguard.risk.store`), or one fitted on past snapshots, or the one given. By default
the model predicts *departure*: the customer makes their last purchase before the end of
the next :data:`~churnguard.risk.backtest.DEFAULT_HORIZON_DAYS` (180) days (buys no more),
learnt from snapshots whose labels (horizon plus the churn definition's silence) end by
``as_of``; with too little history for that, "no purchase in the next 180 days" (see
:func:`~churnguard.risk.backtest.default_label`).

The list comes in two parts, ``lifecycle``:

- ``active``: the save list, sorted by ``profit_at_risk`` (ties by ``value_if_retained``),
- ``lapsing``: customers silent for more than ``lapsing_share`` (0.8) of an inactivity
  definition's days, or who answered an exit survey since their last order — lost or nearly
  lost already, a win-back list with their value — after it, sorted the same way.

``rank`` follows that order (1 = first to call). With ``save=True`` the list is written to the
warehouse table ``risk_scores`` (atomically, keyed by ``customer_id, as_of``: a re-run of a
date replaces its rows, earlier dates remain as history), where ``churnguard sync`` picks up
each customer's latest row, and the value models' warnings to ``value_fit_notes``
(``as_of, estimator, message``):

==================================  ===========================================================
``customer_id``                     the customer
``as_of``                           scoring date (date)
``p_churn``                         calibrated probability of the model's label (departure
                                    within ``horizon_days`` by default)
``risk_band``                       ``high`` (p ≥ 0.5), ``medium`` (p ≥ 0.2) or ``low``
``rank``                            1 = first on the list (see above)
``lifecycle``                       ``active`` or ``lapsing``
``recency_days``                    days since the last purchase
``health_score``                    0–100, 100 = healthy; plus ``health_<dimension>``
``reasons``                         top three reasons in English, ``"; "``-separated
                                    (``reasons_zh`` in Chinese); ``reason_1..3`` feature names
``rules_fired``                     warning rules that fired (``rules_en``/``rules_zh``
                                    sentences, ``rule_score`` severities)
``p_alive``, ``expected_purchases``,  the value model's parts (:func:`churnguard.value.
``expected_purchases_if_retained``,   customer_value`: BG/NBD and the spend model it chose,
``expected_spend``, ``margin``,       ``spend_estimator``), over 12 months
``spend_estimator``
``clv``                             12-month margin CLV (discounted by p_alive)
``value_if_retained``               12-month margin if the customer stays
``cost_to_serve``                   activity-based cost of the last 365 days scaled to the
                                    value horizon (0 without ``activities``/``cost_pools``)
``profit_at_risk``                  ``p_churn × (value_if_retained − cost_to_serve)``
                                    (:func:`churnguard.value.profit_at_risk`)
``owner_id``                        account owner
``horizon_days``                    label window of the model
==================================  ===========================================================
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.exceptions import NotFittedError as SklearnNotFitted
from sklearn.utils.validation import check_is_fitted

from churnguard.churn import ChurnDefinition, to_date
from churnguard.errors import ConfigError
from churnguard.risk.backtest import (
    DEFAULT_HORIZON_DAYS,
    default_label,
    fit_history,
    label_lag,
    snapshot_dates,
)
from churnguard.risk.explain import explain, reasons_text
from churnguard.risk.features import features
from churnguard.risk.health import health_scores
from churnguard.risk.model import ChurnRiskModel
from churnguard.risk.rules import evaluate_rules, rules_from_settings, rules_summary

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

RISK_SCORES_TABLE = "risk_scores"
FIT_NOTES_TABLE = "value_fit_notes"
LAPSING_SHARE = 0.8
VALUE_MONTHS = 12
VALUE_PARTS = ["p_alive", "expected_purchases", "expected_purchases_if_retained",
               "expected_spend", "margin", "clv", "value_if_retained", "spend_estimator"]
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


def customer_values(ws: Workspace, as_of: date, *, months: int = VALUE_MONTHS) -> pd.DataFrame:
    """``customer_id`` and :data:`VALUE_PARTS` of every buyer before ``as_of``
    (:func:`churnguard.value.customer_value`); ``attrs["warnings"]`` holds the value fits'
    FitWarning messages (the warnings are also emitted, never silenced) and
    ``attrs["estimator"]`` the spend model used."""
    from churnguard.value import customer_value

    values = customer_value(ws, as_of, months=months)
    return values[["customer_id", *VALUE_PARTS]]


def _no_values() -> pd.DataFrame:
    frame = pd.DataFrame({"customer_id": pd.Series(dtype="object")})
    for name in VALUE_PARTS:
        frame[name] = pd.Series(dtype="object" if name == "spend_estimator" else "float64")
    frame.attrs.update(warnings=[], estimator="none")
    return frame


def cost_to_serve_ahead(ws: Workspace, as_of: date, *,
                        months: int = VALUE_MONTHS) -> pd.DataFrame | None:
    """``customer_id, cost_to_serve``: the activity-based cost of the 365 days before
    ``as_of`` scaled to ``months`` (the cost expected over the value horizon if the customer
    stays as they are); None when the workspace has no ``activities`` and ``cost_pools``."""
    if not (ws.has_table("activities") and ws.has_table("cost_pools")):
        return None
    from churnguard.value import cost_to_serve

    costs = cost_to_serve(ws, as_of - timedelta(days=365), as_of)
    costs["cost_to_serve"] = costs["cost_to_serve"].astype("float64") * months / 12
    return costs[["customer_id", "cost_to_serve"]]


def lifecycle(recency_days: pd.Series | np.ndarray, churn: ChurnDefinition, *,
              share: float = LAPSING_SHARE,
              told_left: pd.Series | np.ndarray | None = None) -> np.ndarray:
    """``lapsing`` for customers silent longer than ``share`` of an inactivity definition's
    days, or who told us they left (``told_left``: an exit survey since their last order),
    else ``active`` (without ``told_left``, always ``active`` under definitions without a
    silence).

    Examples
    --------
    >>> from churnguard.churn import Inactivity
    >>> lifecycle([10, 144, 145], Inactivity(days=180)).tolist()
    ['active', 'active', 'lapsing']
    >>> lifecycle([10, 10], Inactivity(days=180), told_left=[0, 1]).tolist()
    ['active', 'lapsing']
    """
    if not 0 < share <= 1:
        raise ConfigError(f"lapsing_share must be in (0, 1], e.g. 0.8 for 80% of the churn "
                          f"window; received {share!r}.")
    recency = np.asarray(recency_days, dtype="float64")
    gone = (np.zeros(len(recency), dtype=bool) if told_left is None
            else np.asarray(told_left, dtype="float64") == 1)
    days = getattr(churn, "days", None)
    if days:
        gone |= recency > share * days
    return np.where(gone, "lapsing", "active").astype(object)


def sort_worklist(frame: pd.DataFrame) -> pd.DataFrame:
    """The save list first (``lifecycle == "active"``), then the lapsing; each by
    ``profit_at_risk``, ties by ``value_if_retained`` then ``p_churn`` (missing values last,
    the customer id only as the final tie-break); ``rank`` 1, 2, … in that order.

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
    ...     "lifecycle": ["lapsing", "active", "active", "active"],
    ...     "profit_at_risk": [900.0, 10.0, 10.0, 50.0],
    ...     "value_if_retained": [1000.0, 20.0, 40.0, 60.0], "p_churn": [0.9, 0.5, 0.25, 0.8]})
    >>> sort_worklist(frame)[["rank", "customer_id"]].values.tolist()
    [[1, 'd'], [2, 'c'], [3, 'b'], [4, 'a']]
    """
    keys = pd.DataFrame({
        "lapsing": (frame["lifecycle"] == "lapsing").to_numpy(),
        "par": -frame["profit_at_risk"].astype("float64").fillna(-np.inf).to_numpy(),
        "value": -frame["value_if_retained"].astype("float64").fillna(-np.inf).to_numpy(),
        "p": -frame["p_churn"].astype("float64").fillna(-np.inf).to_numpy(),
        "id": frame["customer_id"].astype(str).to_numpy(),
    })
    order = np.lexsort([keys[c].to_numpy() for c in ("id", "p", "value", "par", "lapsing")])
    out = frame.iloc[order].reset_index(drop=True)
    out = out.drop(columns="rank", errors="ignore")
    out.insert(min(4, out.shape[1]), "rank", np.arange(1, len(out) + 1))
    return out


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
          snapshots: int = 6, refit: bool = False,
          lapsing_share: float = LAPSING_SHARE) -> pd.DataFrame:
    """The worklist at ``as_of``: every active customer, the save list first.

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
        what is asked for), else 180 days, the workspace definition and
        :func:`~churnguard.risk.backtest.default_label` (``"departure"`` when the history
        allows it).
    bands
        Probability cut-offs of the ``medium`` and ``high`` bands.
    with_value
        Add the value parts, ``cost_to_serve`` and ``profit_at_risk``.
    save
        Write the list to ``risk_scores`` and the value fits' warnings to
        ``value_fit_notes``.
    top
        Return only the first ``top`` rows of the list (the saved table has everyone).
    snapshots
        Training snapshots when a model is fitted.
    refit
        Fit a model for this date even when the workspace has a saved one.
    lapsing_share
        Share of an inactivity definition's days of silence after which a customer is
        ``lapsing`` (their own win-back list, after the save list).

    Returns
    -------
    pandas.DataFrame
        The columns listed in the module documentation, in worklist order; ``attrs``:
        ``model`` (``"saved"``, ``"given"`` or ``"fitted"``), ``label``, ``horizon_days``,
        ``warnings`` (the value fits' FitWarning messages) and ``estimator`` (spend model).
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
        horizon_days = horizon_days or DEFAULT_HORIZON_DAYS
        label = label or default_label(ws, day, horizon_days=horizon_days, churn=definition)
        lag = label_lag(definition, label)
        dates = snapshot_dates(day, horizon_days=horizon_days + lag, count=snapshots)
        model = fit_history(ws, dates, horizon_days=horizon_days, churn=definition,
                            label=label, model=model)
    frame = features(ws, day, churn=definition)
    result = score_frame(frame, model, rules=rules_from_settings(ws.settings.section("rules")),
                         bands=bands)
    result.insert(1, "as_of", pd.Timestamp(day))
    result.insert(4, "lifecycle", lifecycle(frame["recency_days"], definition,
                                            share=lapsing_share,
                                            told_left=frame["exit_survey_since_order"]))
    result.insert(5, "recency_days", frame["recency_days"].to_numpy())
    result["horizon_days"] = getattr(model, "horizon_days_", horizon_days or
                                     DEFAULT_HORIZON_DAYS)
    result, notes = _add_value(ws, day, result, with_value)
    owners = ws.table("customers").select("customer_id", "owner_id").to_pandas()
    result = result.merge(owners, on="customer_id", how="left")
    result = sort_worklist(result)
    result.attrs.update(model=source, label=getattr(model, "label_", label),
                        horizon_days=int(result["horizon_days"].iloc[0]) if len(result)
                        else horizon_days, **notes)
    if save:
        save_scores(ws, result)
        save_fit_notes(ws, day, notes["estimator"], notes["warnings"])
    return result.head(top) if top else result


def score_frame(frame: pd.DataFrame, model: ChurnRiskModel, *, rules: list | None = None,
                bands: tuple[float, float] = DEFAULT_BANDS) -> pd.DataFrame:
    """Probability, band, health, reasons and fired rules for a feature frame."""
    # the model reads its own columns by name: no copy of the feature columns is needed
    X = frame if frame.index.equals(pd.RangeIndex(len(frame))) else frame.reset_index(
        drop=True)
    # the rules need no model: they run beside the contributions, whose trees release the GIL
    with ThreadPoolExecutor(max_workers=1) as pool:
        ruled = pool.submit(lambda: rules_summary(frame, evaluate_rules(frame, rules)))
        parts = model.contributions(X)  # once, for probability, reasons and health
        p = model.probability_from_score(parts.to_numpy().sum(axis=1))
        reasons = explain(model, X, contributions=parts)
        health = health_scores(model, X, contributions=parts)
        fired = ruled.result()
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


def _add_value(ws: Workspace, day: date, result: pd.DataFrame,
               with_value: bool) -> tuple[pd.DataFrame, dict]:
    from churnguard.value import profit_at_risk

    values = customer_values(ws, day) if with_value else _no_values()
    notes = {"warnings": list(values.attrs.get("warnings", [])),
             "estimator": values.attrs.get("estimator", "none")}
    result = result.merge(values, on="customer_id", how="left")
    costs = cost_to_serve_ahead(ws, day) if with_value else None
    if costs is not None:
        result = result.merge(costs, on="customer_id", how="left")
        result["cost_to_serve"] = result["cost_to_serve"].fillna(0.0)
    else:
        result["cost_to_serve"] = 0.0
    parts = result[["p_churn", "value_if_retained", "cost_to_serve"]]
    result["profit_at_risk"] = profit_at_risk(parts, sort=False)["profit_at_risk"].to_numpy()
    return result, notes


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


def save_fit_notes(ws: Workspace, as_of: date, estimator: str,
                   messages: list[str]) -> None:
    """Replace the ``value_fit_notes`` rows of ``as_of`` with one row per FitWarning message
    (``as_of, estimator, message``); a clean fit leaves no row for the date."""
    day = to_date(as_of)
    rows = pa.table({"as_of": pa.array([day] * len(messages), pa.date32()),
                     "estimator": pa.array([estimator] * len(messages), pa.string()),
                     "message": pa.array([str(m) for m in messages], pa.string())})
    if ws.has_table(FIT_NOTES_TABLE):
        kept = ws.warehouse.read_arrow(FIT_NOTES_TABLE)
        if kept.column_names == rows.column_names:
            dates = pc.cast(kept.column("as_of"), pa.date32())
            kept = kept.set_column(0, "as_of", dates)
            kept = kept.filter(pc.not_equal(dates, pa.scalar(day, pa.date32())))
            rows = pa.concat_tables([kept.cast(rows.schema), rows])
    ws.warehouse.replace(FIT_NOTES_TABLE, rows)


def load_scores(ws: Workspace, as_of: date | datetime | str | None = None) -> pd.DataFrame:
    """Saved scores of ``as_of`` (default: the latest scoring date) in worklist order; empty
    when never scored."""
    if not ws.has_table(RISK_SCORES_TABLE):
        return pd.DataFrame()
    table = ws.table(RISK_SCORES_TABLE)
    day = to_date(as_of) if as_of is not None else table.as_of.max().execute()
    frame = table.filter(table.as_of == day).to_pandas()
    return frame.sort_values("rank", ignore_index=True)


