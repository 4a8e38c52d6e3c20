"""Training from past snapshots and honest time backtests.

A *snapshot* at date ``t`` holds the features of every customer active at ``t`` (only data
before ``t``) and a label observed over ``[t, t + horizon)``:

- ``label="churn"`` (default): the churn definition records a churn event for the customer
  dated in ``[t, t + horizon)`` (``churn.events(ws, t + horizon)``, so metrics and labels agree);
- ``label="no_purchase"``: the customer makes no purchase in ``[t, t + horizon)``;
- ``label="departure"``: the customer's departure (the last purchase before a churn) falls
  before ``t + horizon``, i.e. a churn event dated in ``[t, t + horizon + lag)`` where ``lag``
  is the silence the definition waits before calling a churn (``Inactivity.days``; 0 for
  contracts). This is the early-warning question "who will stop buying within the horizon";
  it needs ``horizon + lag`` days of data after ``t``.
  This is the worklist's default question (with a 180-day horizon).

``backtest(ws, train_until, evaluate_at, horizon_days)`` trains on snapshots whose label
windows end by ``train_until`` and scores the customers active at ``evaluate_at`` against what
happened in the next ``horizon_days``; it compares the model with the warning rules alone and
with recency alone (the longer since the last purchase, the riskier).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd

from churnguard.churn import ChurnDefinition, midnight, to_date
from churnguard.errors import ConfigError
from churnguard.risk.evaluation import calibration_table, lift_curve, score_metrics
from churnguard.risk.features import FEATURE_COLUMNS, point_in_time
from churnguard.risk.model import ChurnRiskModel
from churnguard.risk.rules import evaluate_rules, rules_from_settings, rules_summary

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

LABELS = ("churn", "no_purchase", "departure")
DEFAULT_LABEL = "departure"  # what the reps' list predicts (measured choice: docs/risk.md)
DEFAULT_HORIZON_DAYS = 180
FALLBACK_LABEL = "no_purchase"  # when the history is too short for departure labels
MIN_HISTORY_DAYS = 60  # a training snapshot this long after the first order at the earliest
BACKTEST_COLUMNS = ["roc_auc", "pr_auc", "brier", "lift_at_5", "lift_at_10", "lift_at_20",
                    "capture_at_10", "emp"]
DateLike = date | datetime | str
LABEL_SLACK_DAYS = 7  # the last order may fall this many days before a label window ends


def _label_table(ws: Workspace, as_of: date, horizon_days: int, churn: ChurnDefinition,
                 label: str) -> ibis.Table:
    """Customers who churned (label 1) within ``[as_of, as_of + horizon)``."""
    lag = label_lag(churn, label)
    end = as_of + timedelta(days=horizon_days + lag)
    if label in ("churn", "departure"):
        events = churn.events(ws, end)
        gone = events.filter(events.event == "churn", events.event_date >= as_of,
                             events.event_date < end)
        gone = gone.group_by("customer_id").aggregate(first=gone.event_date.min())
        # the churn date; for departures the day of the last purchase (event − silence)
        return gone.select("customer_id", churn_date=(gone["first"] - ibis.interval(
            days=lag)).cast("date"))
    orders = ws.table("orders")
    bought = orders.filter(orders.order_date >= midnight(as_of), orders.order_date < midnight(end),
                           orders.amount >= 0)
    status = churn.status(ws, as_of)
    active = status.filter(status.status == "active").select("customer_id")
    return active.anti_join(bought, "customer_id").mutate(churn_date=ibis.null("date"))


def label_lag(churn: ChurnDefinition, label: str) -> int:
    """Days of data needed after a label window: the definition's silence for departures."""
    return int(getattr(churn, "days", 0)) if label == "departure" else 0


def default_label(ws: Workspace, as_of: DateLike, *, horizon_days: int = DEFAULT_HORIZON_DAYS,
                  churn: ChurnDefinition | None = None) -> str:
    """:data:`DEFAULT_LABEL` (``"departure"``) when the history before ``as_of`` holds a
    labelled snapshot (``horizon + lag`` days before ``as_of``) at least
    :data:`MIN_HISTORY_DAYS` after the first order, else :data:`FALLBACK_LABEL`
    (``"no_purchase"``, which needs only ``horizon`` days).

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from churnguard import Workspace
    >>> ws = Workspace.create(tempfile.mkdtemp() + "/shop")
    >>> _ = ws.load("customers", pd.DataFrame({"customer_id": ["a"]}))
    >>> _ = ws.load("orders", pd.DataFrame({"order_id": ["1"], "customer_id": ["a"],
    ...     "amount": [10.0], "order_date": ["2023-01-01"]}))
    >>> default_label(ws, "2024-06-01"), default_label(ws, "2023-12-01")
    ('departure', 'no_purchase')
    """
    definition = churn or ws.churn_definition()
    orders = ws.table("orders")
    first = orders.order_date.min().execute()
    if first is None or pd.isna(first):
        return DEFAULT_LABEL
    latest = to_date(as_of) - timedelta(days=horizon_days + label_lag(definition,
                                                                      DEFAULT_LABEL))
    enough = latest >= pd.Timestamp(first).date() + timedelta(days=MIN_HISTORY_DAYS)
    return DEFAULT_LABEL if enough else FALLBACK_LABEL


def snapshot(ws: Workspace, as_of: DateLike, *, horizon_days: int = 90,
             churn: ChurnDefinition | None = None, label: str = "churn",
             check_data: bool = True, dates: bool = False) -> pd.DataFrame:
    """Features at ``as_of`` with the label ``churned`` (0/1) over the next ``horizon_days``.

    Columns ``customer_id, snapshot``, :data:`~churnguard.risk.features.FEATURE_COLUMNS`,
    ``churned`` (and with ``dates=True`` ``churn_date``: the churn event's date for
    ``label="churn"``, the last purchase before it for ``"departure"``, missing otherwise).

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from churnguard import Workspace
    >>> from churnguard.churn import Inactivity
    >>> ws = Workspace.create(tempfile.mkdtemp() + "/shop")
    >>> _ = ws.load("customers", pd.DataFrame({"customer_id": ["a", "b"]}))
    >>> _ = ws.load("orders", pd.DataFrame({"order_id": ["1", "2", "3", "4"],
    ...     "customer_id": ["a", "b", "b", "b"], "amount": [10.0, 5.0, 8.0, 9.0],
    ...     "order_date": ["2024-01-10", "2024-01-20", "2024-03-05", "2024-04-05"]}))
    >>> s = snapshot(ws, "2024-02-01", horizon_days=60, churn=Inactivity(days=60))
    >>> s[["customer_id", "churned"]].values.tolist()
    [['a', 1], ['b', 0]]
    """
    if label not in LABELS:
        raise ConfigError(f"label={label!r} is not one of {', '.join(LABELS)}.")
    if horizon_days < 1:
        raise ConfigError(f"horizon_days must be at least 1; received {horizon_days}.")
    day = to_date(as_of)
    definition = churn or ws.churn_definition()
    if check_data:
        _check_label_window(ws, day, horizon_days + label_lag(definition, label))
    gone = _label_table(ws, day, horizon_days, definition, label).mutate(churned=ibis.literal(1))
    frame = point_in_time(ws, day, definition, extra=gone)
    frame["churned"] = frame["churned"].fillna(0).astype("int64")
    frame.insert(1, "snapshot", pd.Timestamp(day))
    extra = ["churn_date"] if dates else []
    return frame[["customer_id", "snapshot", *FEATURE_COLUMNS, "churned", *extra]]


def _check_label_window(ws: Workspace, as_of: date, horizon_days: int) -> None:
    orders = ws.table("orders")
    last = orders.order_date.max().execute()
    if last is None or pd.isna(last):
        raise ConfigError("the workspace has no orders; load orders before training or "
                          "backtesting the churn model.")
    end = as_of + timedelta(days=horizon_days)
    if pd.Timestamp(last).date() < end - timedelta(days=LABEL_SLACK_DAYS):
        raise ConfigError(f"the label window [{as_of}, {end}) ends after the last order "
                          f"({pd.Timestamp(last).date()}); every customer would look churned. "
                          f"Choose an as_of at least {horizon_days} days before the end of "
                          f"the data.")


def training_frame(ws: Workspace, as_of_dates: Sequence[DateLike], *, horizon_days: int = 90,
                   churn: ChurnDefinition | None = None, label: str = "churn") -> pd.DataFrame:
    """Snapshots at several dates stacked (a customer appears once per snapshot)."""
    if not as_of_dates:
        raise ConfigError("as_of_dates is empty; give at least one past snapshot date.")
    frames = [snapshot(ws, d, horizon_days=horizon_days, churn=churn, label=label)
              for d in sorted(to_date(d) for d in as_of_dates)]
    return pd.concat(frames, ignore_index=True)


def snapshot_dates(until: DateLike, *, horizon_days: int, count: int = 6,
                   spacing_days: int = 30) -> list[date]:
    """``count`` snapshot dates whose label windows end by ``until``, latest first.

    Examples
    --------
    >>> snapshot_dates("2024-12-31", horizon_days=90, count=2)
    [datetime.date(2024, 10, 2), datetime.date(2024, 9, 2)]
    """
    last = to_date(until) - timedelta(days=horizon_days)
    return [last - timedelta(days=spacing_days * k) for k in range(count)]


def fit_history(ws: Workspace, as_of_dates: Sequence[DateLike], *, horizon_days: int = 90,
                churn: ChurnDefinition | None = None, label: str = "churn",
                model: ChurnRiskModel | None = None) -> ChurnRiskModel:
    """Fit a :class:`ChurnRiskModel` on snapshots at ``as_of_dates``.

    The latest snapshot is the validation slice (time-ordered early stopping and
    calibration). The fitted model records ``horizon_days_``, ``label_``, ``churn_`` and
    ``training_dates_``.
    """
    model = model if model is not None else ChurnRiskModel()
    frame = training_frame(ws, as_of_dates, horizon_days=horizon_days, churn=churn,
                           label=label)
    if frame["churned"].nunique() < 2:
        raise ConfigError(f"the snapshots {', '.join(map(str, as_of_dates))} hold "
                          f"{len(frame)} active customers and all have the same label; "
                          f"use more or earlier dates.")
    model.fit(frame[FEATURE_COLUMNS], frame["churned"].to_numpy(),
              order=frame["snapshot"].to_numpy())
    model.horizon_days_ = horizon_days
    model.label_ = label
    model.churn_ = churn or ws.churn_definition()
    model.training_dates_ = sorted(to_date(d) for d in as_of_dates)
    model.training_rows_ = len(frame)
    return model


@dataclass
class BacktestResult:
    """What a backtest measured.

    Attributes
    ----------
    table
        One row per model (``churnguard``, ``rules``, ``recency``) and the columns
        ``roc_auc, pr_auc, brier, lift_at_5, lift_at_10, lift_at_20, capture_at_10, emp``.
    calibration
        :func:`~churnguard.risk.evaluation.calibration_table` of the model's probabilities.
    curves
        Lift and capture curves, column ``model`` naming the score.
    scores
        Per evaluated customer: ``customer_id, churned, churnguard, rules, recency``.
    model
        The fitted :class:`ChurnRiskModel`.
    """

    table: pd.DataFrame
    calibration: pd.DataFrame
    curves: pd.DataFrame
    scores: pd.DataFrame
    model: ChurnRiskModel
    details: dict[str, Any] = field(default_factory=dict)


def chained_no_purchase(model: ChurnRiskModel, ws: Workspace, as_of: DateLike,
                        horizon_days: int, *, churn: ChurnDefinition | None = None
                        ) -> pd.DataFrame:
    """Probability of no purchase in ``[as_of, as_of + horizon_days)`` from a model of no
    purchase in the next ``model.horizon_days_`` days, chained step by step.

    Step ``k`` scores the customers active at ``as_of`` as they would look ``k`` steps later
    had they not bought (:func:`~churnguard.risk.features.features` with ``known_until``); the
    probabilities multiply (a last partial step counts as that fraction of a step, in
    log-odds of staying silent). Because a step is short, the training snapshots can lie close
    to ``as_of`` and include customers as old and as long silent as the ones scored — the
    reason to chain instead of training on ``horizon_days``-long labels.

    Returns ``customer_id, p_no_purchase``, sorted by ``customer_id``.
    """
    from churnguard.risk.features import features

    day = to_date(as_of)
    step = int(model.horizon_days_)
    full, part = divmod(horizon_days, step)
    log_silent = None
    ids = None
    for k in range(full + (1 if part else 0)):
        frame = features(ws, day + timedelta(days=step * k), churn=churn, known_until=day)
        silent = model.predict_proba(frame[FEATURE_COLUMNS])[:, 1]
        weight = 1.0 if k < full else part / step
        term = weight * np.log(np.clip(silent, 1e-12, 1.0))
        if ids is None:
            ids, log_silent = frame["customer_id"].to_numpy(), term
        else:
            log_silent = log_silent + term
    return pd.DataFrame({"customer_id": ids, "p_no_purchase": np.exp(log_silent)})


LEAD_TOP_SHARE = 0.10
LEAD_DAYS = 60
LEAD_COLUMNS = ["leavers", "flagged", "flagged_share", "median_lead_days",
                "share_lead_60d", "share_of_flagged_lead_60d"]


def _method_scores(model: ChurnRiskModel, frame: pd.DataFrame, rules: list, *,
                   chain: Any = None) -> dict[str, np.ndarray]:
    """Scores of the three compared methods for a feature frame (higher = riskier)."""
    summary = rules_summary(frame, evaluate_rules(frame, rules))
    predicted = chain if chain is not None else model.predict_proba(frame[FEATURE_COLUMNS])[:, 1]
    return {"churnguard": np.asarray(predicted, dtype="float64"),
            "rules": summary["rule_score"].to_numpy(dtype="float64"),
            "recency": frame["recency_days"].to_numpy(dtype="float64")}


def lead_times(flags: pd.DataFrame, leavers: pd.DataFrame, *,
               days: int = LEAD_DAYS) -> pd.DataFrame:
    """How early each method warned about the customers who left.

    ``flags`` holds ``snapshot, customer_id, model``: each time a method put a customer in
    its top share at a snapshot. ``leavers`` holds ``customer_id, churn_date``. A leaver is
    *flagged* when a method put them in its top share at a snapshot on or before their churn
    date; the lead time is the churn date minus the first such snapshot, in days.

    Returns one row per model (index ``model``) with :data:`LEAD_COLUMNS`: leavers, flagged
    (count and share of leavers), the median lead time of the flagged, the share of all leavers
    flagged at least ``days`` ahead and the same share among the flagged.

    Examples
    --------
    >>> flags = pd.DataFrame({"snapshot": pd.to_datetime(["2024-01-01", "2024-02-01",
    ...     "2024-02-01", "2024-03-01"]), "customer_id": ["a", "a", "b", "c"],
    ...     "model": ["m"] * 4})
    >>> leavers = pd.DataFrame({"customer_id": ["a", "b", "c"],
    ...     "churn_date": pd.to_datetime(["2024-03-15", "2024-02-10", "2024-02-20"])})
    >>> row = lead_times(flags, leavers).loc["m"]  # a: 74 days ahead, b: 9, c: too late
    >>> int(row["flagged"]), float(row["median_lead_days"]), round(float(row["share_lead_60d"]), 3)
    (2, 41.5, 0.333)
    """
    models = list(dict.fromkeys(flags["model"]))
    churn_at = pd.to_datetime(leavers.set_index("customer_id")["churn_date"])
    rows = {}
    for name in models:
        mine = flags[flags["model"] == name]
        when = churn_at.reindex(mine["customer_id"]).to_numpy()
        early = mine[pd.to_datetime(mine["snapshot"]).to_numpy() <= when]
        first = early.groupby("customer_id")["snapshot"].min()
        lead = (churn_at.reindex(first.index) - pd.to_datetime(first)).dt.days
        total = len(churn_at)
        rows[name] = {
            "leavers": total, "flagged": int(len(lead)),
            "flagged_share": len(lead) / total if total else np.nan,
            "median_lead_days": float(lead.median()) if len(lead) else np.nan,
            "share_lead_60d": float((lead >= days).sum() / total) if total else np.nan,
            "share_of_flagged_lead_60d": float((lead >= days).mean()) if len(lead) else np.nan,
        }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=LEAD_COLUMNS)
    table.index.name = "model"
    return table


def _lead_flags(fitted: ChurnRiskModel, ws: Workspace, evaluate_day: date, horizon_days: int,
                churn: ChurnDefinition | None, rules: list, step_days: int | None,
                spacing_days: int, *, first_ids: np.ndarray,
                first_scores: dict[str, np.ndarray]) -> pd.DataFrame:
    """The top 10 % of each method at monthly snapshots from ``evaluate_day`` through the
    horizon (scored with the model trained before ``evaluate_day``). The snapshot at
    ``evaluate_day`` is the backtest's own (``first_ids``, ``first_scores``): not scored again."""
    from churnguard.risk.evaluation import _top
    from churnguard.risk.features import features

    parts = []
    for k in range(max(1, -(-horizon_days // spacing_days))):
        day = evaluate_day + timedelta(days=spacing_days * k)
        if k == 0:
            ids, methods = first_ids, first_scores
        else:
            frame = features(ws, day, churn=churn)
            if frame.empty:
                continue
            chain = None
            if step_days is not None:
                chain = chained_no_purchase(fitted, ws, day, horizon_days,
                                            churn=churn)["p_no_purchase"].to_numpy()
            ids, methods = frame["customer_id"].to_numpy(), _method_scores(
                fitted, frame, rules, chain=chain)
        if len(ids) == 0:
            continue
        for name, values in methods.items():
            parts.append(pd.DataFrame({"snapshot": pd.Timestamp(day),
                                       "customer_id": ids[_top(values, LEAD_TOP_SHARE)],
                                       "model": name}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["snapshot", "customer_id", "model"])


def backtest(ws: Workspace, train_until: DateLike, evaluate_at: DateLike,
             horizon_days: int = 90, *, churn: ChurnDefinition | None = None,
             label: str = "churn", snapshots: int = 6, spacing_days: int = 30,
             step_days: int | None = None, model: ChurnRiskModel | None = None,
             emp_options: dict[str, Any] | None = None,
             lead_time: bool = True) -> BacktestResult:
    """Train on the past, score at ``evaluate_at``, compare with what happened next.

    Parameters
    ----------
    ws
        The workspace.
    train_until
        Labels used for training end by this date (snapshots at ``train_until − horizon``
        and every ``spacing_days`` before it).
    evaluate_at
        Date of the scored snapshot; must not be before ``train_until``.
    horizon_days
        Label window.
    churn, label
        See :func:`snapshot`.
    snapshots, spacing_days
        Number and spacing of training snapshots.
    step_days
        With ``label="no_purchase"``: learn "no purchase in the next ``step_days``" on
        snapshots up to ``train_until − step_days`` and chain the steps over the horizon
        (:func:`chained_no_purchase`) instead of learning the whole horizon at once; the
        snapshots then reach closer to ``evaluate_at``.
    model
        An unfitted :class:`ChurnRiskModel` with custom settings (default settings otherwise).
    emp_options
        Options of :func:`~churnguard.risk.evaluation.expected_maximum_profit`
        (``clv``, ``offer_cost``, ``contact_cost``, ``acceptance``).
    lead_time
        Also score monthly snapshots from ``evaluate_at`` through the horizon and measure,
        per method, how early its top 10 % named the customers who left in the window
        (``details["lead_time"]``, see :func:`lead_times`; per customer in
        ``details["lead_flags"]``). Needs a churn date: labels ``churn`` (the event) and
        ``departure`` (the last purchase); ``None`` for ``no_purchase``.
    """
    train_end, evaluate_day = to_date(train_until), to_date(evaluate_at)
    if evaluate_day < train_end:
        raise ConfigError(f"evaluate_at ({evaluate_day}) is before train_until ({train_end}); "
                          f"a backtest scores a date after the training labels end.")
    if step_days is not None and (label != "no_purchase" or not 0 < step_days <= horizon_days):
        raise ConfigError(f"step_days={step_days} needs label='no_purchase' and "
                          f"0 < step_days <= horizon_days ({horizon_days}).")
    lag = label_lag(churn or ws.churn_definition(), label)
    learned = step_days or horizon_days
    dates = snapshot_dates(train_end, horizon_days=learned + lag, count=snapshots,
                           spacing_days=spacing_days)
    fitted = fit_history(ws, dates, horizon_days=learned, churn=churn, label=label,
                         model=model)
    test = snapshot(ws, evaluate_day, horizon_days=horizon_days, churn=churn, label=label,
                    dates=True)
    if step_days is None:
        predicted = fitted.predict_proba(test[FEATURE_COLUMNS])[:, 1]
    else:
        chain = chained_no_purchase(fitted, ws, evaluate_day, horizon_days, churn=churn)
        if not np.array_equal(chain["customer_id"].to_numpy(), test["customer_id"].to_numpy()):
            raise ConfigError("the chained scores do not cover the evaluated customers; the "
                              "data changed while backtesting.")
        predicted = chain["p_no_purchase"].to_numpy()
    rules = rules_from_settings(ws.settings.section("rules"))
    methods = _method_scores(fitted, test, rules, chain=predicted)
    scores = pd.DataFrame({"customer_id": test["customer_id"],
                           "churned": test["churned"].astype(int), **methods})
    options = emp_options or {}
    rows, curves = {}, []
    for name in ("churnguard", "rules", "recency"):
        metrics = score_metrics(scores["churned"], scores[name], **options)
        if name != "churnguard":
            metrics["brier"] = np.nan  # a rank score, not a probability
        rows[name] = metrics
        curves.append(lift_curve(scores["churned"], scores[name]).assign(model=name))
    full = pd.DataFrame.from_dict(rows, orient="index")
    full.index.name = "model"
    lead, flags = None, None
    if lead_time and label != "no_purchase":
        dated = pd.to_datetime(test["churn_date"])
        leavers = test.loc[(test["churned"] == 1) & (dated >= pd.Timestamp(evaluate_day)),
                           ["customer_id", "churn_date"]]
        flags = _lead_flags(fitted, ws, evaluate_day, horizon_days, churn, rules, step_days,
                            spacing_days=30, first_ids=test["customer_id"].to_numpy(),
                            first_scores=methods)
        lead = lead_times(flags, leavers)
    return BacktestResult(
        table=full[BACKTEST_COLUMNS], calibration=calibration_table(scores["churned"],
                                                                    scores["churnguard"]),
        curves=pd.concat(curves, ignore_index=True), scores=scores, model=fitted,
        details={"metrics": full, "training_dates": dates, "evaluate_at": evaluate_day,
                 "horizon_days": horizon_days, "label": label, "step_days": step_days,
                 "training_rows": fitted.training_rows_, "evaluated": len(scores),
                 "churn_rate": float(scores["churned"].mean()), "lead_time": lead,
                 "lead_flags": flags})
